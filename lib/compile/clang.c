// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* clang's command line for a program, and the slim header it includes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"

/* Per architecture: bpf_tracing.h's __TARGET_ARCH_ define, and the
 * system's multiarch headers (asm/errno.h, that libbpf's usdt.bpf.h
 * includes), searched after every other directory as bcc's libbpf-tools
 * build does (-idirafter). */
static const struct {
	const char *uname, *define, *multiarch;
} arch_map[] = {
	{ "x86_64", "-D__TARGET_ARCH_x86", "/usr/include/x86_64-linux-gnu" },
	{ "i686", "-D__TARGET_ARCH_x86", "/usr/include/i386-linux-gnu" },
	{ "aarch64", "-D__TARGET_ARCH_arm64", "/usr/include/aarch64-linux-gnu" },
	{ "s390x", "-D__TARGET_ARCH_s390", "/usr/include/s390x-linux-gnu" },
	{ "ppc64le", "-D__TARGET_ARCH_powerpc", "/usr/include/powerpc64le-linux-gnu" },
	{ "ppc64", "-D__TARGET_ARCH_powerpc", "/usr/include/powerpc64-linux-gnu" },
	{ "riscv64", "-D__TARGET_ARCH_riscv", "/usr/include/riscv64-linux-gnu" },
	{ "loongarch64", "-D__TARGET_ARCH_loongarch", "/usr/include/loongarch64-linux-gnu" },
	{ "mips64", "-D__TARGET_ARCH_mips", "/usr/include/mips64el-linux-gnuabi64" },
	{ "armv7l", "-D__TARGET_ARCH_arm", "/usr/include/arm-linux-gnueabihf" },
};

static int arch_index(const char *arch)
{
	const char *name = arch_uname(arch && *arch ? arch : host_arch());

	for (size_t i = 0; i < ARRAY_SIZE(arch_map); i++)
		if (name && !strcmp(name, arch_map[i].uname))
			return (int)i;
	return -1;
}

const char *compile_arch_define(const char *arch)
{
	int i = arch_index(arch);

	return i < 0 ? "-D__TARGET_ARCH_x86" : arch_map[i].define;
}

/* NULL when not installed */
static const char *multiarch_include_dir(const char *arch)
{
	int i = arch_index(arch);

	return i < 0 || access(arch_map[i].multiarch, F_OK) ? NULL : arch_map[i].multiarch;
}

/* Remove every "prefix" from s in place (the private dir of compile_buf
 * from clang's messages, so they name the file as the caller did). */
void strip_all(char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	char *r = s, *w = s;

	while (*r) {
		if (!strncmp(r, prefix, n)) {
			r += n;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

int clang_run(const struct compile_tools *tools, const struct prelude *pre,
	      const struct compile_job *job, const char *tmpdir, const char *src_dir,
	      struct strbuf *log)
{
	const char *const *defines = OPTS_GET(job->opts, defines, NULL);
	const char *const *incs = OPTS_GET(job->opts, include_dirs, NULL);
	const char *const *cflags = OPTS_GET(job->opts, cflags, NULL);
	char obj[PATH_MAX], deps[PATH_MAX], pmap[PATH_MAX + 8];
	size_t n = 0, max = 40;
	const char **argv;
	int rc;

	/* "-D" VALUE and "-I" DIR: two slots each */
	for (const char *const *p = defines; p && *p; p++)
		max += 2;
	for (const char *const *p = incs; p && *p; p++)
		max += 2;
	for (const char *const *p = cflags; p && *p; p++)
		max++;
	argv = calloc(max, sizeof(*argv));
	if (!argv)
		return cb_err(-ENOMEM);
	if (pathf(obj, sizeof(obj), "%s/obj.o", tmpdir) ||
	    pathf(deps, sizeof(deps), "%s/deps.d", tmpdir) ||
	    pathf(pmap, sizeof(pmap), "-ffile-prefix-map=%s/=", job->buf_dir ? job->buf_dir : "")) {
		free(argv);
		return cb_err(-ENAMETOOLONG);
	}
	argv[n++] = tools->clang;
	argv[n++] = "-g";
	argv[n++] = "-O2";
	argv[n++] = "-target";
	argv[n++] = "bpf";
	argv[n++] = compile_arch_define(job->arch);
	argv[n++] = "-fno-color-diagnostics";
	/* a crash leaves no preprocessed source and script in /tmp for
	 * anyone to read: its stack is in the log */
	argv[n++] = "-fno-crash-diagnostics";
	for (size_t i = 0; i < ARRAY_SIZE(pre->dirs) && pre->dirs[i]; i++) {
		argv[n++] = "-I";
		argv[n++] = pre->dirs[i];
	}
	for (const char *const *p = incs; p && *p; p++) {
		argv[n++] = "-I";
		argv[n++] = *p;
	}
	argv[n++] = "-I";
	argv[n++] = src_dir;
	if (multiarch_include_dir(job->arch)) {
		argv[n++] = "-idirafter";
		argv[n++] = multiarch_include_dir(job->arch);
	}
	for (const char *const *p = defines; p && *p; p++)
		argv[n++] = "-D", argv[n++] = *p;
	if (job->buf_dir) {
		/* line info names "./<name>", not the random private dir; the
		 * BPF backend reads source lines for BTF line info from the file
		 * that path names, so embed the source (the verifier quotes it) */
		argv[n++] = pmap;
		argv[n++] = "-fdebug-compilation-dir=.";
		argv[n++] = "-gdwarf-5";
		argv[n++] = "-gembed-source";
	}
	for (const char *const *p = cflags; p && *p; p++)
		argv[n++] = *p;
	argv[n++] = pre->how;
	argv[n++] = pre->path;
	argv[n++] = "-MD";
	argv[n++] = "-MF";
	argv[n++] = deps;
	argv[n++] = "-MT";
	argv[n++] = "obj";
	argv[n++] = "-c";
	argv[n++] = job->src_path;
	argv[n++] = "-o";
	argv[n++] = obj;
	argv[n] = NULL;
	rc = run_argv(argv, log, CLANG_LOG_MAX);
	free(argv);
	return rc;
}

int compile_slim_input(const struct compile_job *job, const char *src_dir, struct slim_input *in,
		       void **mem)
{
	const char *const *incs = OPTS_GET(job->opts, include_dirs, NULL);
	const char *const *defines = OPTS_GET(job->opts, defines, NULL);
	size_t n = 0, n_def = 0;
	const char **dirs, **extra;

	for (const char *const *p = incs; p && *p; p++)
		n++;
	for (const char *const *p = defines; p && *p; p++)
		n_def++;
	/* one allocation: the include dirs, then the extra texts */
	dirs = calloc(n + 4 + n_def + 2, sizeof(*dirs));
	if (!dirs)
		return cb_err(-ENOMEM);
	extra = dirs + n + 4;
	for (size_t i = 0; i < n; i++)
		dirs[i] = incs[i];
	dirs[n] = "/usr/local/include";
	dirs[n + 1] = "/usr/include";
	dirs[n + 2] = multiarch_include_dir(job->arch);
	extra[0] = cb_lbc_h;
	for (size_t i = 0; i < n_def; i++)
		extra[i + 1] = defines[i];
	*in = (struct slim_input){ .src = job->src,
				   .src_len = job->src_len,
				   .src_dir = src_dir,
				   .include_dirs = dirs,
				   .extra = extra };
	*mem = dirs;
	return 0;
}

int clang_slim_prepare(const struct btf_choice *t, const struct compile_job *job,
		       const char *src_dir, const char *tmpdir, char *dir, size_t dir_sz,
		       char *prelude, size_t prelude_sz, char *btf, size_t btf_sz)
{
	struct strbuf hdr = STRBUF_INIT, pre = STRBUF_INIT;
	struct slim_input in;
	char path[PATH_MAX];
	size_t n_types = 0;
	double t0 = mono_now();
	void *mem = NULL;
	int err = compile_slim_input(job, src_dir, &in, &mem);

	if (err)
		return err;
	if (pathf(dir, dir_sz, "%s/slim", tmpdir) ||
	    pathf(prelude, prelude_sz, "%s/prelude.h", dir) ||
	    pathf(btf, btf_sz, "%s/vmlinux.btf", dir)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	if (mkdir(dir, 0700)) {
		err = -errno;
		goto out;
	}
	err = slim_vmlinux_h(t->path, &in, &hdr, btf, &n_types);
	if (!err)
		err = prelude_text(&pre);
	if (!err)
		err = pathf(path, sizeof(path), "%s/vmlinux.h", dir);
	if (!err)
		err = write_file_atomic(path, hdr.buf, hdr.len);
	if (!err)
		err = pathf(path, sizeof(path), "%s/lbc.h", dir);
	if (!err)
		err = write_file_atomic(path, cb_lbc_h, (size_t)(cb_lbc_h_end - cb_lbc_h));
	if (!err)
		err = write_file_atomic(prelude, pre.buf, pre.len);
	if (!err)
		pr_debug("compile: slim vmlinux.h: %zu types, %zu bytes (%.1f ms)\n", n_types,
			 hdr.len, (mono_now() - t0) * 1e3);
out:
	free(mem);
	strbuf_release(&hdr);
	strbuf_release(&pre);
	return err;
}
