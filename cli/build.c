// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf build: a one-file tool. FILE.bpf.c is compiled as coolbpf
 * compile does (its --kernel, --all-kernels: the min BTF of each kernel
 * carried), and the artifact is appended to a copy of coolbpf-runner (the
 * coolbpf command linked with libcoolbpf and its libraries statically),
 * behind a trailer that says where it is and its SHA-256. The runner, at
 * start, finds the trailer at the end of /proc/self/exe and runs the
 * program as coolbpf run does, with run's options: no compiler, no
 * coolbpf install, no cache on the host it runs on.
 *
 *   [runner ELF][object][name][trailer]
 *
 * Appended bytes are no part of the ELF image (the kernel maps what the
 * program headers say), so the runner runs unchanged; strip(1) would drop
 * them.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

#define TOOL_MAGIC "coolbpf-tool-1\n"
/* a BPF object is never larger (libcoolbpf's BPF_OBJECT_MAX) */
#define TOOL_OBJECT_MAX (256u << 20)
#define TOOL_NAME_MAX	64

/* At the very end of a tool, in the byte order of the machine it is for. */
struct tool_trailer {
	__u64 obj_off; /* where the object starts in the file */
	__u64 obj_sz;
	__u32 name_len; /* the tool's name follows the object */
	__u32 reserved;
	char sha256[64]; /* hex, of the object and the name */
	char magic[16];	 /* TOOL_MAGIC, NUL-padded */
};

static void trailer_sum(const void *obj, size_t obj_sz, const char *name, size_t name_len,
			char out[65])
{
	struct sha256_ctx *c = sha256_ctx_new();

	if (!c) {
		memset(out, 0, 65);
		return;
	}
	sha256_ctx_update(c, obj, obj_sz);
	sha256_ctx_update(c, name, name_len);
	sha256_ctx_final_hex(c, out);
}

/* The trailer at the end of fd, if there is one: 1, 0 (none) or -errno. */
static int trailer_read(int fd, struct tool_trailer *t, off_t *file_sz)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	*file_sz = st.st_size;
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(*t))
		return 0;
	if (pread(fd, t, sizeof(*t), st.st_size - (off_t)sizeof(*t)) != (ssize_t)sizeof(*t))
		return -EIO;
	return !memcmp(t->magic, TOOL_MAGIC, sizeof(TOOL_MAGIC));
}

/* "damaged" with what is wrong: the layout the trailer describes must be
 * the file's, within bounds, and the bytes must hash to its sum. */
static const char *trailer_check(const struct tool_trailer *t, off_t file_sz)
{
	if (t->obj_sz == 0 || t->obj_sz > TOOL_OBJECT_MAX)
		return "the program's size is out of bounds";
	if (t->name_len == 0 || t->name_len > TOOL_NAME_MAX)
		return "the name's length is out of bounds";
	if (t->obj_off + t->obj_sz + t->name_len + sizeof(*t) != (__u64)file_sz)
		return "the trailer does not describe this file (truncated, or bytes added)";
	return NULL;
}

static void tool_describe(const struct run_tool *tool, struct coolbpf_buf *b)
{
	struct coolbpf_artifact_kernel k[64];
	struct coolbpf_object *obj;
	coolbpf_print_fn_t print;
	int n;

	COOLBPF_OBJECT_OPTS(oopts, .name = tool->name);
	coolbpf_object_opts__from_env(&oopts);
	print = coolbpf_set_print(NULL); /* what cannot be read is said below */
	obj = coolbpf_object__open_mem(tool->obj, tool->obj_sz, &oopts);
	coolbpf_set_print(print);
	coolbpf_buf__printf(b, "Parameters (--set NAME=VALUE):\n");
	for (size_t i = 0; obj && i < coolbpf_object__global_count(obj); i++) {
		const struct coolbpf_global_info *g = coolbpf_object__global_info(obj, i);
		char v[256];

		if (!g->settable)
			continue;
		if (!g->value || coolbpf_decode(coolbpf_object__btf(obj), g->type_id, g->value,
						g->size, COOLBPF_FMT_TEXT, v, sizeof(v)) < 0)
			snprintf(v, sizeof(v), "?");
		coolbpf_buf__printf(b, "  %-24s %-16s default %s\n", g->name, g->type, v);
	}
	if (!obj)
		coolbpf_buf__printf(b, "  (unknown: %s)\n", coolbpf_errmsg());
	else if (!coolbpf_object__global_count(obj))
		coolbpf_buf__printf(b, "  none\n");
	coolbpf_object__close(obj);
	n = coolbpf_artifact__kernels(tool->obj, tool->obj_sz, k, sizeof(k) / sizeof(k[0]));
	coolbpf_buf__printf(b, "\nKernels it carries BTF for (picked by uname -r; others use "
			       "/sys/kernel/btf/vmlinux):\n");
	for (int i = 0; i < n && i < (int)(sizeof(k) / sizeof(k[0])); i++)
		coolbpf_buf__printf(b, "  %s %s\n", k[i].release, k[i].arch);
	if (n > (int)(sizeof(k) / sizeof(k[0])))
		coolbpf_buf__printf(b, "  ... %d in all\n", n);
	if (n <= 0)
		coolbpf_buf__printf(b, "  none\n");
	coolbpf_buf__printf(b, "\nEXAMPLES:\n  %s -d 5\n  %s --json -T\n", tool->name, tool->name);
}

int cli_tool_main(int argc, char **argv)
{
	struct tool_trailer t;
	struct run_tool tool = { .describe = tool_describe };
	char name[TOOL_NAME_MAX + 1], sum[65];
	const char *why;
	void *obj = NULL;
	off_t file_sz;
	int fd, rc;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1; /* no /proc: not a tool as far as we can tell */
	rc = trailer_read(fd, &t, &file_sz);
	if (rc <= 0) {
		close(fd);
		return -1;
	}
	cli_setup_log();
	why = trailer_check(&t, file_sz);
	if (!why) {
		obj = malloc(t.obj_sz);
		if (!obj || pread(fd, obj, t.obj_sz, (off_t)t.obj_off) != (ssize_t)t.obj_sz ||
		    pread(fd, name, t.name_len, (off_t)(t.obj_off + t.obj_sz)) !=
			    (ssize_t)t.name_len)
			why = "cannot read it";
	}
	close(fd);
	if (!why) {
		name[t.name_len] = '\0';
		trailer_sum(obj, t.obj_sz, name, t.name_len, sum);
		if (memcmp(sum, t.sha256, 64))
			why = "its SHA-256 is not the one recorded (the file was changed)";
	}
	if (why) {
		fprintf(stderr,
			"%s: the program built into this executable is damaged: %s; build the tool "
			"again with 'coolbpf build'\n",
			argv[0], why);
		free(obj);
		return 1;
	}
	tool.name = name;
	tool.obj = obj;
	tool.obj_sz = t.obj_sz;
	argv[0] = name; /* argp's messages and --help say the tool's name */
	rc = run_tool(argc, argv, &tool);
	free(obj);
	return rc;
}

/* coolbpf build ------------------------------------------------------ */

static const char *runner_arg;

enum { OPT_RUNNER = 0x400 };

static const struct argp_option build_options[] = {
	{ "runner", OPT_RUNNER, "FILE", 0,
	  "The executable the program is built into (default: coolbpf-runner next to coolbpf, "
	  "or in ../libexec/coolbpf/)",
	  0 },
	{},
};

static error_t build_parse(int key, char *arg, struct argp_state *state)
{
	(void)state;
	if (key != OPT_RUNNER)
		return ARGP_ERR_UNKNOWN;
	runner_arg = arg;
	return 0;
}

static const struct argp build_argp = { build_options, build_parse, NULL, NULL, NULL, NULL, NULL };

static const char build_doc[] =
	"Build FILE.bpf.c into one executable, -o TOOL: the program compiled (as coolbpf compile "
	"does: --kernel R, repeated, or --all-kernels carries the min BTF of each kernel; a run "
	"picks its own by uname -r) and built into a copy of coolbpf-runner, which is linked "
	"with libcoolbpf and its libraries statically. TOOL takes coolbpf run's options (--set, "
	"-d, -i, --json, -T, ...) and needs no compiler, no coolbpf install and no cache where it "
	"runs; 'TOOL --help' lists its parameters and kernels."
	"\v"
	"EXAMPLES:\n"
	"  coolbpf build examples/execsnoop.bpf.c -o execsnoop && ./execsnoop -d 5\n"
	"  coolbpf build examples/opensnoop.bpf.c -o opensnoop && ./opensnoop --set "
	"target_pid=1\n"
	"  coolbpf build --kernel 6.1.0-57-amd64 --kernel \"$(uname -r)\" tool.bpf.c -o tool\n"
	"  coolbpf build --all-kernels --btf-dir /var/lib/coolbpf/btf tool.bpf.c -o tool\n";

/* The runner: --runner, else next to this executable, else in
 * ../libexec/coolbpf/ (make install). */
static int find_runner(char *buf, size_t sz)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (runner_arg) {
		snprintf(buf, sz, "%s", runner_arg);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(buf, sz, "%.*s/coolbpf-runner", (int)(sz - 64), exe) < sz &&
	    !access(buf, X_OK))
		return 0;
	snprintf(buf, sz, "%.*s/../libexec/coolbpf/coolbpf-runner", (int)(sz - 64), exe);
	return access(buf, X_OK) ? -ENOENT : 0;
}

/* foo/execsnoop.bpf.c -> execsnoop */
static void tool_name(const char *path, char *buf, size_t sz)
{
	const char *base = strrchr(path, '/');

	snprintf(buf, sz, "%s", base ? base + 1 : path);
	buf[strcspn(buf, ".")] = '\0';
	if (!buf[0])
		snprintf(buf, sz, "tool");
}

static int write_tool(const char *runner, const char *out, const void *obj, size_t obj_sz,
		      const char *name)
{
	struct tool_trailer t = { 0 };
	struct strbuf sb = STRBUF_INIT;
	size_t runner_sz, name_len = strlen(name);
	void *data = NULL;
	char sum[65];
	int fd, err;

	err = read_file_max(runner, 1u << 30, &data, &runner_sz);
	if (err) {
		cli_err("build: cannot read the runner '%s': %s (make builds build/bin/coolbpf-runner; "
			"or give --runner FILE)",
			runner, strerror(-err));
		return -1;
	}
	/* a tool given as the runner: its runner part only */
	fd = open(runner, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		off_t file_sz;

		if (trailer_read(fd, &t, &file_sz) == 1 && !trailer_check(&t, file_sz))
			runner_sz = t.obj_off;
		close(fd);
	}
	if (runner_sz < 4 || memcmp(data, "\177ELF", 4)) {
		cli_err("build: the runner '%s' is not an executable (ELF)", runner);
		free(data);
		return -1;
	}
	memset(&t, 0, sizeof(t));
	t.obj_off = runner_sz;
	t.obj_sz = obj_sz;
	t.name_len = (__u32)name_len;
	trailer_sum(obj, obj_sz, name, name_len, sum);
	memcpy(t.sha256, sum, 64);
	memcpy(t.magic, TOOL_MAGIC, sizeof(TOOL_MAGIC));
	if (strbuf_add(&sb, data, runner_sz) || strbuf_add(&sb, obj, obj_sz) ||
	    strbuf_add(&sb, name, name_len) || strbuf_add(&sb, &t, sizeof(t))) {
		cli_err("build: out of memory");
		err = -ENOMEM;
	}
	free(data);
	if (!err)
		err = write_file_atomic(out, sb.buf, sb.len);
	if (!err && chmod(out, 0755))
		err = -errno;
	if (err && err != -ENOMEM)
		cli_err("build: cannot write '%s': %s", out, strerror(-err));
	strbuf_release(&sb);
	return err ? -1 : 0;
}

int cmd_build(int argc, char **argv)
{
	struct coolbpf_compile_result res = { 0 };
	const char *src = NULL, *out = NULL;
	char runner[PATH_MAX], name[TOOL_NAME_MAX + 1];
	int status;

	status = cli_compile(argc, argv, build_doc, &build_argp, &res, &src, &out);
	if (status)
		goto out;
	status = 1;
	tool_name(out ? out : src, name, sizeof(name));
	if (!out) {
		out = name; /* execsnoop.bpf.c -> ./execsnoop, as cc does */
	}
	if (find_runner(runner, sizeof(runner))) {
		cli_err("build: no coolbpf-runner next to this coolbpf nor in ../libexec/coolbpf/: "
			"give --runner FILE (make builds build/bin/coolbpf-runner)");
		goto out;
	}
	if (write_tool(runner, out, res.obj, res.obj_sz, name))
		goto out;
	if (cli_verbose)
		fprintf(stderr, "coolbpf: built %s (%zu bytes of program) on %s\n", out, res.obj_sz,
			runner);
	status = 0;
out:
	coolbpf_compile_result__release(&res);
	return status;
}
