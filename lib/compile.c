// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Local compile: BPF C + lbc.h + the target kernel's vmlinux.h -> CO-RE
 * artifact, through the object cache.
 *
 * Per target BTF, <cache>/kernels/<btf id>/ holds vmlinux.h and, per
 * toolchain and lbc.h, lbc-<key>/ with lbc.h and a precompiled header of
 * vmlinux.h plus lbc.h's own includes (parsing vmlinux.h is most of
 * clang's time). They are built once, under a flock, each file written
 * under a temporary name and renamed into place; the PCH comes last, so
 * its presence means the directory is complete.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"

#define SYS_BTF "/sys/kernel/btf/vmlinux"
#define CLANG_LOG_MAX (1024 * 1024)

/* opts field, or 0 when opts is NULL or older than the field */
#define OPT(opts, field)                                                                   \
	((opts) && (opts)->sz >= offsetof(struct coolbpf_compile_opts, field) +           \
				    sizeof((opts)->field) ? (opts)->field : 0)


/* tools ------------------------------------------------------------- */

static int find_in_path(const char *const names[], const char *const extra_dirs[], char *buf,
			size_t sz)
{
	const char *path = getenv("PATH");

	for (const char *const *n = names; *n; n++) {
		const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";

		while (*p) {
			size_t len = strcspn(p, ":");

			if (len && (size_t)snprintf(buf, sz, "%.*s/%s", (int)len, p, *n) < sz &&
			    access(buf, X_OK) == 0)
				return 0;
			p += len + (p[len] == ':');
		}
		for (const char *const *d = extra_dirs; d && *d; d++) {
			if ((size_t)snprintf(buf, sz, "%s/%s", *d, *n) < sz && access(buf, X_OK) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

/* realpath, size and mtime: changes when the tool is upgraded, costs no exec */
static void tool_identity(struct sha256_ctx *ctx, const char *path)
{
	char real[PATH_MAX], id[PATH_MAX + 64];
	struct stat st;
	int n;

	if (!realpath(path, real) || stat(real, &st)) {
		sha256_ctx_update(ctx, path, strlen(path) + 1);
		return;
	}
	n = snprintf(id, sizeof(id), "%s %lld %lld.%09ld", real, (long long)st.st_size,
		     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	sha256_ctx_update(ctx, id, (size_t)n + 1);
}

int compile_tools_find(struct compile_tools *tools)
{
	static const char *const clang[] = { "clang", "clang-19", "clang-18", "clang-17",
					     "clang-16", "clang-15", "clang-14", NULL };
	static const char *const bpftool[] = { "bpftool", NULL };
	/* bpftool lives in sbin, often not in a user's PATH */
	static const char *const sbin[] = { "/usr/sbin", "/usr/local/sbin", "/sbin", NULL };
	struct sha256_ctx *ctx;

	if (find_in_path(clang, NULL, tools->clang, sizeof(tools->clang))) {
		pr_warn("clang not found: install clang (scripts/bootstrap) or compile on a server with --server URL\n");
		return cb_err(-ENOENT);
	}
	if (find_in_path(bpftool, sbin, tools->bpftool, sizeof(tools->bpftool))) {
		pr_warn("bpftool not found: install bpftool (scripts/bootstrap)\n");
		return cb_err(-ENOENT);
	}
	ctx = sha256_ctx_new();
	if (!ctx)
		return cb_err(-ENOMEM);
	tool_identity(ctx, tools->clang);
	tool_identity(ctx, tools->bpftool);
	sha256_ctx_final_hex(ctx, tools->id);
	return 0;
}

/* target ------------------------------------------------------------ */

static int btf_content_id(const char *path, char out[65])
{
	void *data;
	size_t len;
	int err = read_file(path, &data, &len);

	if (err) {
		pr_warn("cannot open BTF '%s': %s\n", path, strerror(-err));
		return cb_err(err);
	}
	sha256_hex(data, len, out);
	free(data);
	return 0;
}

/* The running kernel's BTF only changes with the kernel: identify it by
 * uname and size instead of hashing megabytes on every start. */
static int btf_sysfs_id(char out[65])
{
	struct utsname u;
	struct stat st;
	char buf[512];
	int n;

	if (uname(&u) || stat(SYS_BTF, &st))
		return -errno;
	n = snprintf(buf, sizeof(buf), "sysfs\n%s\n%s\n%lld", u.release, u.version,
		     (long long)st.st_size);
	sha256_hex(buf, (size_t)n, out);
	return 0;
}

/* A compressed BTF (archive entry, or a .gz given with --btf) is unpacked
 * once into <cache>/btf/<sha256>.btf: bpftool and the cache key want a file. */
static int target_from_file(struct compile_target *t, const char *gz_path)
{
	char path[PATH_MAX];
	struct stat st;
	void *data;
	size_t len;
	int err;

	if (gz_path) {
		strlcpy_cb(path, gz_path, sizeof(path));
		err = btf_file_read(path, &data, &len);
	} else {
		err = btf_archive_read(NULL, t->release, NULL, &data, &len, path, sizeof(path));
	}
	if (err) {
		pr_warn("no BTF for kernel %s: cannot read '%s': %s; pass --btf FILE or add it to the archive ('coolbpf btf archive add')\n",
			t->release, path, strerror(-err));
		return cb_err(err);
	}
	sha256_hex(data, len, t->btf_id);
	err = pathf(t->btf_path, sizeof(t->btf_path), "%s/btf", cache_root(NULL));
	if (!err)
		err = mkdir_p(t->btf_path);
	if (!err)
		err = pathf(t->btf_path, sizeof(t->btf_path), "%s/btf/%s.btf", cache_root(NULL),
			    t->btf_id);
	if (!err && stat(t->btf_path, &st))
		err = write_file_atomic(t->btf_path, data, len);
	free(data);
	if (err)
		pr_warn("compile: cannot unpack BTF '%s' into '%s': %s\n", path, t->btf_path,
			strerror(-err));
	return err ? cb_err(err) : 0;
}

int compile_target_resolve(const char *kernel, const char *btf_path, struct compile_target *t)
{
	bool running = !kernel || !*kernel || !strcmp(kernel, host_kernel_release());

	memset(t, 0, sizeof(*t));
	if (strlcpy_cb(t->release, running ? host_kernel_release() : kernel,
		       sizeof(t->release)) >= sizeof(t->release)) {
		pr_warn("compile: kernel release '%s' is too long\n", kernel);
		return cb_err(-ENAMETOOLONG);
	}
	if (btf_path && *btf_path) {
		if (strlcpy_cb(t->btf_path, btf_path, sizeof(t->btf_path)) >= sizeof(t->btf_path))
			return cb_err(-ENAMETOOLONG);
		if (running && !strcmp(btf_path, SYS_BTF) && btf_sysfs_id(t->btf_id) == 0)
			return 0;
		if (str_has_suffix(btf_path, ".gz"))
			return target_from_file(t, btf_path);
		return btf_content_id(btf_path, t->btf_id);
	}
	if (running && btf_sysfs_id(t->btf_id) == 0) {
		strlcpy_cb(t->btf_path, SYS_BTF, sizeof(t->btf_path));
		return 0;
	}
	if (!btf_archive_root(NULL)) {
		pr_warn("no BTF for kernel %s: %sCOOLBPF_BTF_DIR is not set; pass --btf FILE or set COOLBPF_BTF_DIR to a BTF archive\n",
			t->release, running ? SYS_BTF " is missing and " : "");
		return cb_err(-ENOENT);
	}
	return target_from_file(t, NULL);
}

/* kernel directory -------------------------------------------------- */

struct kernel_dir {
	char kdir[PATH_MAX];	/* kernels/<btf id>: vmlinux.h */
	char pdir[PATH_MAX];	/* kdir/lbc-<key>: lbc.h, prelude.h, prelude.h.pch */
	char pch[PATH_MAX];
};

static const char *target_arch_define(void)
{
	static const struct {
		const char *uname, *define;
	} map[] = {
		{ "x86_64", "-D__TARGET_ARCH_x86" },	{ "i686", "-D__TARGET_ARCH_x86" },
		{ "aarch64", "-D__TARGET_ARCH_arm64" }, { "s390x", "-D__TARGET_ARCH_s390" },
		{ "ppc64le", "-D__TARGET_ARCH_powerpc" }, { "ppc64", "-D__TARGET_ARCH_powerpc" },
		{ "riscv64", "-D__TARGET_ARCH_riscv" }, { "loongarch64", "-D__TARGET_ARCH_loongarch" },
		{ "mips64", "-D__TARGET_ARCH_mips" },	{ "armv7l", "-D__TARGET_ARCH_arm" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (!strcmp(host_arch(), map[i].uname))
			return map[i].define;
	}
	return "-D__TARGET_ARCH_x86";
}

/* vmlinux.h, then lbc.h's system includes: everything lbc.h needs that
 * the user's defines cannot change. */
static int prelude_text(struct strbuf *sb)
{
	const char *p = cb_lbc_h;
	int err = strbuf_addstr(sb, "/* generated by coolbpf: precompiled once per kernel */\n"
				    "#include \"vmlinux.h\"\n"
				    "#define __COOLBPF_VMLINUX_INCLUDED 1\n");

	while (!err && p < cb_lbc_h_end) {
		size_t len = strcspn(p, "\n");

		if (len > 10 && !strncmp(p, "#include <", 10)) {
			err = strbuf_add(sb, p, len);
			if (!err)
				err = strbuf_addch(sb, '\n');
		}
		p += len + 1;
	}
	return err;
}

static int kernel_dir_paths(const char *root, const struct compile_target *t,
			    const struct compile_tools *tools, struct kernel_dir *kd)
{
	struct sha256_ctx *ctx = sha256_ctx_new();
	char key[65];

	if (!ctx)
		return cb_err(-ENOMEM);
	sha256_ctx_update(ctx, COMPILE_PIPELINE_VERSION, sizeof(COMPILE_PIPELINE_VERSION));
	sha256_ctx_update(ctx, tools->id, strlen(tools->id));
	sha256_ctx_update(ctx, target_arch_define(), strlen(target_arch_define()));
	sha256_ctx_update(ctx, cb_lbc_h, (size_t)(cb_lbc_h_end - cb_lbc_h));
	sha256_ctx_final_hex(ctx, key);
	if (pathf(kd->kdir, sizeof(kd->kdir), "%s/kernels/%s", root, t->btf_id) ||
	    pathf(kd->pdir, sizeof(kd->pdir), "%s/lbc-%.16s", kd->kdir, key) ||
	    pathf(kd->pch, sizeof(kd->pch), "%s/prelude.h.pch", kd->pdir))
		return cb_err(-ENAMETOOLONG);
	return 0;
}

static int gen_vmlinux_h(const struct compile_tools *tools, const struct compile_target *t,
			 const char *kdir)
{
	const char *argv[] = { tools->bpftool, "btf", "dump", "file", t->btf_path, "format", "c",
			       NULL };
	char tmp[PATH_MAX], dst[PATH_MAX];
	struct strbuf err_log = STRBUF_INIT;
	int fd, rc, err = 0;

	if (pathf(dst, sizeof(dst), "%s/vmlinux.h", kdir) ||
	    pathf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", dst))
		return cb_err(-ENAMETOOLONG);
	if (access(dst, F_OK) == 0)
		return 0;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	rc = run_argv_fd(argv, fd, &err_log, 64 * 1024);
	if (rc) {
		pr_warn("compile: cannot make vmlinux.h from '%s': bpftool %s: %s\n", t->btf_path,
			rc < 0 ? strerror(-rc) : "failed", strbuf_str(&err_log));
		err = -EINVAL;
	}
	strbuf_release(&err_log);
	return tmpfile_commit(fd, tmp, dst, err);
}

static int build_pch(const struct compile_tools *tools, const struct kernel_dir *kd)
{
	char prelude[PATH_MAX], lbc[PATH_MAX], tmp[PATH_MAX];
	struct strbuf sb = STRBUF_INIT, log = STRBUF_INIT;
	int rc, err;

	if (pathf(prelude, sizeof(prelude), "%s/prelude.h", kd->pdir) ||
	    pathf(lbc, sizeof(lbc), "%s/lbc.h", kd->pdir) ||
	    pathf(tmp, sizeof(tmp), "%s.tmp.%d", kd->pch, (int)getpid()))
		return cb_err(-ENAMETOOLONG);
	err = prelude_text(&sb);
	if (!err)
		err = write_file_atomic(prelude, sb.buf, sb.len);
	if (!err)
		err = write_file_atomic(lbc, cb_lbc_h, (size_t)(cb_lbc_h_end - cb_lbc_h));
	strbuf_release(&sb);
	if (err) {
		pr_warn("compile: cannot write '%s': %s\n", kd->pdir, strerror(-err));
		return err;
	}
	{
		const char *argv[] = { tools->clang, "-g", "-O2", "-target", "bpf",
				       target_arch_define(), "-fno-color-diagnostics", "-I",
				       kd->pdir, "-I", kd->kdir, "-x", "c-header", prelude, "-o",
				       tmp, NULL };

		rc = run_argv(argv, &log, CLANG_LOG_MAX);
	}
	if (rc == 0 && rename(tmp, kd->pch))
		rc = -errno;
	if (rc) {
		pr_warn("compile: cannot precompile '%s': %s\n", prelude,
			rc < 0 ? strerror(-rc) : strbuf_str(&log));
		unlink(tmp);
	}
	strbuf_release(&log);
	return rc ? cb_err(-EINVAL) : 0;
}

/* Make vmlinux.h and the PCH unless they are there; rebuild the PCH when
 * stale (clang refuses a PCH whose inputs changed, e.g. libbpf upgraded). */
static int kernel_dir_prepare(const struct compile_tools *tools, const struct compile_target *t,
			      const struct kernel_dir *kd, bool stale)
{
	char lock[PATH_MAX];
	int fd, err;

	if (!stale && access(kd->pch, F_OK) == 0)
		return 0;
	err = mkdir_p(kd->pdir);
	if (err) {
		pr_warn("compile: cannot create '%s': %s\n", kd->pdir, strerror(-err));
		return err;
	}
	if (pathf(lock, sizeof(lock), "%s/.lock", kd->kdir))
		return cb_err(-ENAMETOOLONG);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		err = -errno;
		pr_warn("compile: cannot lock '%s': %s\n", lock, strerror(-err));
		if (fd >= 0)
			close(fd);
		return cb_err(err);
	}
	if (stale)
		unlink(kd->pch);
	/* another process may have built it while we waited */
	if (access(kd->pch, F_OK)) {
		pr_info("compile: preparing vmlinux.h and its precompiled header for %s\n",
			t->release);
		err = gen_vmlinux_h(tools, t, kd->kdir);
		if (!err)
			err = build_pch(tools, kd);
	}
	close(fd); /* releases the lock */
	return err;
}

/* compile ----------------------------------------------------------- */

static bool define_ok(const char *d)
{
	const char *p = d;

	if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9'))
		p++;
	return *p == '\0' || *p == '=' || *p == '(';
}

static int abs_path(const char *path, char *buf, size_t sz)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return strlcpy_cb(buf, path, sz) < sz ? 0 : cb_err(-ENAMETOOLONG);
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return pathf(buf, sz, "%s/%s", cwd, path);
}

static void rm_tmpdir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pathf(path, sizeof(path), "%s/%s", dir, de->d_name))
			continue;
		if (de->d_type == DT_DIR)
			rm_tmpdir(path); /* slim/ */
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Remove every "prefix" from s in place (the private dir of compile_buf
 * from clang's messages, so they name the file as the caller did). */
static void strip_all(char *s, const char *prefix)
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

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct compile_job {
	const struct coolbpf_compile_opts *opts;
	/* as given to clang and shown in diagnostics */
	const char *src_path;
	/* as shown in messages */
	const char *display;
	/* in the object's line info: absolute path, or "buf:<name>" */
	const char *key_name;
	const void *src;
	size_t src_len;
	/* compile_buf: the private directory holding the source, else NULL */
	const char *buf_dir;
};

/* What clang sees before the program: the slim header of slim.c in a
 * directory of its own, or the kernel directory's precompiled one. */
struct prelude {
	const char *dirs[2];
	/* "-include" or "-include-pch" */
	const char *how;
	const char *path;
};

static int run_clang(const struct compile_tools *tools, const struct prelude *pre,
		     const struct compile_job *job, const char *tmpdir, const char *src_dir,
		     struct strbuf *log)
{
	const char *const *defines = OPT(job->opts, defines);
	const char *const *incs = OPT(job->opts, include_dirs);
	char obj[PATH_MAX], deps[PATH_MAX], pmap[PATH_MAX + 8];
	size_t n = 0, max = 40;
	const char **argv;
	int rc;

	/* "-D" VALUE and "-I" DIR: two slots each */
	for (const char *const *p = defines; p && *p; p++)
		max += 2;
	for (const char *const *p = incs; p && *p; p++)
		max += 2;
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
	argv[n++] = target_arch_define();
	argv[n++] = "-fno-color-diagnostics";
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

/* Write <tmpdir>/slim/{vmlinux.h,vmlinux.btf,lbc.h,prelude.h} for this
 * program. */
static int slim_prepare(const struct compile_target *t, const struct compile_job *job,
			const char *src_dir, const char *tmpdir, char *dir, size_t dir_sz,
			char *prelude, size_t prelude_sz, char *btf, size_t btf_sz)
{
	const char *const *incs = OPT(job->opts, include_dirs);
	const char *const *defines = OPT(job->opts, defines);
	const char **dirs = NULL, **extra = NULL;
	struct strbuf hdr = STRBUF_INIT, pre = STRBUF_INIT;
	char path[PATH_MAX];
	size_t n = 0, n_def = 0, n_types = 0;
	double t0 = now_ms();
	int err;

	for (const char *const *p = incs; p && *p; p++)
		n++;
	for (const char *const *p = defines; p && *p; p++)
		n_def++;
	dirs = calloc(n + 3, sizeof(*dirs));
	extra = calloc(n_def + 2, sizeof(*extra));
	if (!dirs || !extra) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		dirs[i] = incs[i];
	dirs[n] = "/usr/local/include";
	dirs[n + 1] = "/usr/include";
	extra[0] = cb_lbc_h;
	for (size_t i = 0; i < n_def; i++)
		extra[i + 1] = defines[i];
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
	{
		struct slim_input in = { .src = job->src, .src_len = job->src_len,
					 .src_dir = src_dir, .include_dirs = dirs,
					 .extra = extra };

		err = slim_vmlinux_h(t->btf_path, &in, &hdr, btf, &n_types);
	}
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
			 hdr.len, now_ms() - t0);
out:
	free(dirs);
	free(extra);
	strbuf_release(&hdr);
	strbuf_release(&pre);
	return err;
}

static int compile_miss(const struct compile_tools *tools, const struct compile_target *t,
			const char *root, const struct compile_job *job, const char *mkey,
			const char *tmpdir, struct coolbpf_compile_result *res)
{
	struct strbuf log = STRBUF_INIT, manifest = STRBUF_INIT;
	char src_dir[PATH_MAX], path[PATH_MAX], cwd[PATH_MAX], slim_dir[PATH_MAX],
		slim_pre[PATH_MAX], slim_btf[PATH_MAX];
	const char *core_btf = t->btf_path;
	struct kernel_dir kd;
	double t_art;
	void *deps = NULL;
	size_t deps_len;
	int rc, err;

	err = kernel_dir_paths(root, t, tools, &kd);
	if (err)
		return err;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	abs_path(job->src_path, src_dir, sizeof(src_dir));
	*strrchr(src_dir, '/') = '\0';
	if (!src_dir[0])
		strlcpy_cb(src_dir, "/", sizeof(src_dir));

	/* the slim header first; the full one when clang rejects it */
	rc = 1;
	if (getenv("COOLBPF_COMPILE_FULL")) {
		pr_debug("compile: COOLBPF_COMPILE_FULL: the full vmlinux.h\n");
	} else if ((err = slim_prepare(t, job, src_dir, tmpdir, slim_dir, sizeof(slim_dir),
				       slim_pre, sizeof(slim_pre), slim_btf, sizeof(slim_btf)))) {
		pr_debug("compile: no slim vmlinux.h (%s): the full one\n", strerror(-err));
	} else {
		struct prelude pre = { { slim_dir }, "-include", slim_pre };
		double t0 = now_ms();

		rc = run_clang(tools, &pre, job, tmpdir, src_dir, &log);
		pr_debug("compile: clang with the slim vmlinux.h: %.1f ms\n", now_ms() - t0);
		if (rc == 0)
			core_btf = slim_btf;
		if (rc > 0) {
			/* a name the scan could not see (## pasting), or an error
			 * in the program: the full header tells which */
			pr_info("compile: '%s': clang rejected the slim vmlinux.h, compiling with the full one\n",
				job->display);
			pr_debug("compile: with the slim vmlinux.h: %s\n", strbuf_str(&log));
			strbuf_reset(&log);
		}
	}
	if (rc > 0) {
		struct prelude pre = { { kd.pdir, kd.kdir }, "-include-pch", kd.pch };

		err = kernel_dir_prepare(tools, t, &kd, false);
		if (err)
			goto out;
		rc = run_clang(tools, &pre, job, tmpdir, src_dir, &log);
		if (rc > 0 && strstr(strbuf_str(&log), "precompiled header")) {
			pr_info("compile: precompiled header is stale, rebuilding it\n");
			strbuf_reset(&log);
			err = kernel_dir_prepare(tools, t, &kd, true);
			if (err)
				goto out;
			rc = run_clang(tools, &pre, job, tmpdir, src_dir, &log);
		}
	}
	if (job->buf_dir) {
		pathf(path, sizeof(path), "%s/", job->buf_dir);
		if (log.buf)
			strip_all(log.buf, path);
	}
	res->log = strbuf_detach(&log, NULL);
	if (rc) {
		if (rc < 0)
			pr_warn("compile: cannot run '%s': %s\n", tools->clang, strerror(-rc));
		else
			pr_warn("compile: '%s' did not compile\n", job->display);
		err = rc < 0 ? rc : -EINVAL;
		goto out;
	}

	pathf(path, sizeof(path), "%s/obj.o", tmpdir);
	t_art = now_ms();
	err = artifact_build(tools, path, core_btf, t, tmpdir, &res->obj, &res->obj_sz);
	pr_debug("compile: min BTF and artifact: %.1f ms\n", now_ms() - t_art);
	if (err)
		goto out;

	pathf(path, sizeof(path), "%s/deps.d", tmpdir);
	err = read_file(path, &deps, &deps_len);
	if (!err) {
		char src_abs[PATH_MAX];

		abs_path(job->src_path, src_abs, sizeof(src_abs));
		/* the kernel dir and the slim header under tmp/ are the cache's
		 * own, covered by the key */
		err = cache_manifest_from_deps(deps, cwd, root, src_abs, &manifest);
	}
	/* an unwritable cache costs speed, not the compile */
	if (!err)
		cache_store(root, mkey, strbuf_str(&manifest), res->obj, res->obj_sz, res->log);
	err = 0;
out:
	free(deps);
	strbuf_release(&log);
	strbuf_release(&manifest);
	return err ? cb_err(err) : 0;
}

static int compile_job_run(const struct compile_job *job, struct coolbpf_compile_result *res)
{
	const struct coolbpf_compile_opts *opts = job->opts;
	const char *const *incs = OPT(opts, include_dirs);
	const char *server = OPT(opts, server);
	char root[PATH_MAX], mkey[65], tmpdir[PATH_MAX];
	char **abs_incs = NULL;
	struct compile_tools tools;
	struct compile_target t;
	size_t n_incs = 0;
	double t0 = now_ms();
	int err;

	if (!server || !*server)
		server = getenv("COOLBPF_SERVER");
	if (server && *server)
		return remote_compile(server, job->display, job->src, job->src_len, opts, res);
	for (const char *const *d = OPT(opts, defines); d && *d; d++) {
		if (!define_ok(*d)) {
			pr_warn("bad define '%s': NAME must be a C identifier, as in -D NAME or -D NAME=VALUE\n",
				*d);
			return cb_err(-EINVAL);
		}
	}
	err = compile_tools_find(&tools);
	if (!err)
		err = compile_target_resolve(OPT(opts, kernel), OPT(opts, btf_path), &t);
	if (!err)
		err = abs_path(cache_root(OPT(opts, cache_dir)), root, sizeof(root));
	if (err)
		return cb_err(err);

	for (const char *const *p = incs; p && *p; p++)
		n_incs++;
	abs_incs = calloc(n_incs + 1, sizeof(*abs_incs));
	if (!abs_incs)
		return cb_err(-ENOMEM);
	for (size_t i = 0; i < n_incs; i++) {
		char buf[PATH_MAX];

		if (abs_path(incs[i], buf, sizeof(buf)) || !(abs_incs[i] = strdup(buf))) {
			err = -ENOMEM;
			goto out;
		}
	}
	{
		struct cache_inputs in = {
			.src_name = job->key_name,
			.src = job->src,
			.src_len = job->src_len,
			.defines = OPT(opts, defines),
			.include_dirs = (const char *const *)abs_incs,
			.tools_id = tools.id,
			.btf_id = t.btf_id,
			.release = t.release,
			.arch = host_arch(),
		};

		cache_manifest_key(&in, mkey);
	}
	if (!OPT(opts, no_cache) &&
	    cache_lookup(root, mkey, &res->obj, &res->obj_sz, &res->log) == 0) {
		res->cached = true;
		pr_info("compile: '%s' served from the cache (%.1f ms)\n", job->display,
			now_ms() - t0);
		goto done;
	}

	if ((err = pathf(tmpdir, sizeof(tmpdir), "%s/tmp", root)) || (err = mkdir_p(tmpdir)) ||
	    (err = pathf(tmpdir, sizeof(tmpdir), "%s/tmp/cc.XXXXXX", root)) || !mkdtemp(tmpdir)) {
		err = err ? err : -errno;
		pr_warn("compile: cannot create a directory under '%s': %s\n", root,
			strerror(-err));
		goto out;
	}
	if (job->buf_dir) {
		/* compile_buf: the source lives in the private dir under its name */
		struct compile_job bj = *job;
		char src[PATH_MAX];

		err = pathf(src, sizeof(src), "%s/%s", tmpdir, job->display);
		if (!err) {
			bj.src_path = src;
			bj.buf_dir = tmpdir;
			err = write_file_atomic(src, job->src, job->src_len);
			if (!err)
				err = compile_miss(&tools, &t, root, &bj, mkey, tmpdir, res);
		}
	} else {
		err = compile_miss(&tools, &t, root, job, mkey, tmpdir, res);
	}
	rm_tmpdir(tmpdir);
	if (err)
		goto out;
	pr_info("compile: '%s' compiled (%.1f ms)\n", job->display, now_ms() - t0);
done:
	sha256_hex(res->obj, res->obj_sz, res->sha256);
out:
	for (size_t i = 0; i < n_incs; i++)
		free(abs_incs[i]);
	free(abs_incs);
	return err ? cb_err(err) : 0;
}

int coolbpf_compile_file(const char *path, const struct coolbpf_compile_opts *opts,
			 struct coolbpf_compile_result *res)
{
	struct compile_job job = { .opts = opts, .src_path = path, .display = path };
	char abs[PATH_MAX];
	void *src;
	size_t len;
	int err;

	if (!res)
		return cb_err(-EINVAL);
	memset(res, 0, sizeof(*res));
	if (!path || !*path)
		return cb_err(-EINVAL);
	err = read_file(path, &src, &len);
	if (err) {
		pr_warn("cannot open '%s': %s\n", path, strerror(-err));
		return cb_err(err);
	}
	err = abs_path(path, abs, sizeof(abs));
	if (!err) {
		job.key_name = abs;
		job.src = src;
		job.src_len = len;
		err = compile_job_run(&job, res);
	}
	free(src);
	return err ? cb_err(err) : 0;
}

int coolbpf_compile_buf(const char *name, const char *src, size_t len,
			const struct coolbpf_compile_opts *opts, struct coolbpf_compile_result *res)
{
	struct compile_job job = { .opts = opts, .src = src, .src_len = len };
	char key_name[NAME_MAX + 8];
	const char *base;

	if (!res)
		return cb_err(-EINVAL);
	memset(res, 0, sizeof(*res));
	if (!src)
		return cb_err(-EINVAL);
	base = name && *name ? strrchr(name, '/') : NULL;
	base = base ? base + 1 : (name && *name ? name : "source.bpf.c");
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) > NAME_MAX) {
		pr_warn("compile: bad source name '%s'\n", name);
		return cb_err(-EINVAL);
	}
	snprintf(key_name, sizeof(key_name), "buf:%s", base);
	job.display = base;
	job.key_name = key_name;
	/* the real private dir is made on a cache miss */
	job.buf_dir = "";
	return compile_job_run(&job, res);
}

void coolbpf_compile_result__release(struct coolbpf_compile_result *res)
{
	if (!res)
		return;
	free(res->obj);
	free(res->log);
	memset(res, 0, sizeof(*res));
}
