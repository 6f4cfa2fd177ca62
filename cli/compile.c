// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* coolbpf compile: FILE.bpf.c -> CO-RE artifact, through the cache. */
#include <argp.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* hello.bpf.c -> hello.bpf.o in the current directory, like clang -c */
static int default_output(const char *src, char *buf, size_t sz)
{
	const char *base = strrchr(src, '/');
	size_t len;

	base = base ? base + 1 : src;
	len = strlen(base);
	if (len > 2 && str_has_suffix(base, ".c"))
		len -= 2;
	if ((size_t)snprintf(buf, sz, "%.*s.o", (int)len, base) >= sz)
		return -1;
	return 0;
}

enum { OPT_BTF = 0x100, OPT_SERVER, OPT_NO_CACHE, OPT_ALL_KERNELS, OPT_ARCH, OPT_BTF_DIR };

static const struct argp_option options[] = {
	{ "output", 'o', "OUT.o", 0,
	  "Object to write (default: FILE's name with .c -> .o, in the current directory)", 0 },
	{ "kernel", 'k', "RELEASE", 0,
	  "Target kernel (uname -r; default: the running one); its BTF comes from the "
	  "archive, $COOLBPF_BTF_DIR/<arch>/RELEASE.btf.gz. Repeat it to carry the min BTF of "
	  "each kernel in one object (a load picks its own by uname -r)",
	  0 },
	{ "all-kernels", OPT_ALL_KERNELS, NULL, 0,
	  "Carry the min BTF of every kernel of the archive (of the target arch)", 0 },
	{ "arch", OPT_ARCH, "ARCH", 0,
	  "Target architecture: x86_64|amd64, aarch64|arm64, ... (default: this machine's)", 0 },
	{ "btf", OPT_BTF, "FILE", 0, "Target kernel BTF (overrides the lookup)", 0 },
	{ "btf-dir", OPT_BTF_DIR, "DIR", 0, "The BTF archive ($COOLBPF_BTF_DIR)", 0 },
	{ NULL, 'D', "NAME[=VAL]", 0, "Define a macro", 0 },
	{ NULL, 'I', "DIR", 0, "Add an include directory", 0 },
	{ "server", OPT_SERVER, "URL", 0, "Compile on a coolbpfd server ($COOLBPF_SERVER)", 0 },
	{ "no-cache", OPT_NO_CACHE, NULL, 0, "Do not read the cache (still fill it)", 0 },
	{ "verbose", 'v', NULL, 0, "Say whether the object came from the cache (twice: more)", 0 },
	{},
};

static const char doc[] =
	"Compile a BPF program written against lbc.h into a CO-RE object carrying the "
	"minimized BTF of the target kernel. Prints nothing on success; compiler diagnostics "
	"and exit status 1 on failure. Identical compiles are served from the cache "
	"($COOLBPF_CACHE_DIR, default ~/.cache/coolbpf)."
	"\v"
	"EXAMPLES:\n"
	"  coolbpf compile hello.bpf.c                   # writes hello.bpf.o\n"
	"  coolbpf compile -DMAX=8 -I inc hello.bpf.c -o /tmp/h.o\n"
	"  coolbpf compile --kernel 5.10.0-21-amd64 hello.bpf.c\n"
	"  coolbpf compile --kernel 6.1.0-57-amd64 --kernel 5.10.0-46-amd64 tool.bpf.c\n"
	"  coolbpf compile --all-kernels tool.bpf.c     # every kernel of $COOLBPF_BTF_DIR\n"
	"  coolbpf compile --arch arm64 --kernel 6.1.0-57-arm64 tool.bpf.c\n"
	"  coolbpf inspect tool.bpf.o                    # the kernels it carries\n";

static struct compile_args {
	const char *src, *out;
	struct coolbpf_compile_opts opts;
	/* --kernel, every one: the first is the compile's target */
	char **kernels;
	size_t nr_kernels;
	bool all_kernels;
} args;

static int add_kernel(const char *rel)
{
	char **k = realloc(args.kernels, (args.nr_kernels + 2) * sizeof(*k));

	if (!k || !(k[args.nr_kernels] = strdup(rel))) {
		free(k ? k : args.kernels);
		args.kernels = NULL;
		return -ENOMEM;
	}
	args.kernels = k;
	k[++args.nr_kernels] = NULL;
	return 0;
}

static int by_version(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* --all-kernels: every <dir>/<arch>/<release>.btf[.gz] of the archive */
static int archive_kernels(const char *dir, const char *arch)
{
	size_t first = args.nr_kernels;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (!dir) {
		cli_err("compile: --all-kernels: which archive? set COOLBPF_BTF_DIR");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, arch);
	d = opendir(path);
	if (!d) {
		cli_err("compile: --all-kernels: cannot read the archive '%s': %s", path,
			strerror(errno));
		return -errno;
	}
	while (!err && (de = readdir(d))) {
		char rel[256];
		size_t n = strlen(de->d_name);

		if (str_has_suffix(de->d_name, ".btf.gz"))
			n -= 7;
		else if (str_has_suffix(de->d_name, ".btf"))
			n -= 4;
		else
			continue;
		if (n == 0 || n >= sizeof(rel))
			continue;
		memcpy(rel, de->d_name, n);
		rel[n] = '\0';
		err = add_kernel(rel);
	}
	closedir(d);
	/* in version order: the same archive gives the same artifact */
	if (!err)
		qsort(args.kernels + first, args.nr_kernels - first, sizeof(*args.kernels),
		      by_version);
	if (!err && !args.nr_kernels) {
		cli_err("compile: --all-kernels: the archive '%s' has no kernel (coolbpf btf crawl "
			"fills it)",
			path);
		err = -ENOENT;
	}
	return err;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'o':
		args.out = arg;
		break;
	case 'k':
		if (add_kernel(arg))
			argp_failure(state, 1, ENOMEM, "--kernel");
		break;
	case OPT_ALL_KERNELS:
		args.all_kernels = true;
		break;
	case OPT_ARCH:
		if (!arch_uname(arg))
			argp_error(state,
				   "unknown architecture '%s' (x86_64, amd64, aarch64, arm64, ...)",
				   arg);
		args.opts.arch = arg;
		break;
	case OPT_BTF:
		args.opts.btf_path = arg;
		break;
	case OPT_BTF_DIR:
		args.opts.btf_dir = arg;
		break;
	case OPT_SERVER:
		args.opts.server = arg;
		break;
	case OPT_NO_CACHE:
		args.opts.no_cache = true;
		break;
	case 'D':
	case 'I':
		if (cli_build_cpp(&cli_build, key, arg))
			exit(2);
		break;
	case 'v':
		cli_verbose++;
		break;
	case ARGP_KEY_ARG:
		if (args.src)
			argp_error(state, "one source file at a time: '%s' and '%s'", args.src,
				   arg);
		args.src = arg;
		break;
	case ARGP_KEY_END:
		if (!args.src)
			argp_error(state, "missing FILE.bpf.c");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cli_compile(int argc, char **argv, const char *doc_text, const struct argp *more,
		struct coolbpf_compile_result *res, const char **src, const char **out)
{
	struct argp_child children[] = { { &cli_build_argp, 0, NULL, 0 },
					 { more, 0, NULL, 0 },
					 {} };
	struct argp argp = { options, parse_opt, "FILE.bpf.c", doc_text, children, NULL, NULL };
	int err, status = 1;

	args.opts.sz = sizeof(args.opts);
	if (cli_build_env(&cli_build) || argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	*src = args.src;
	*out = args.out;
	if (coolbpf_compile_opts__from_env(&args.opts)) {
		status = 2;
		goto out;
	}
	cli_build_apply(&cli_build, &args.opts);
	if (args.all_kernels) {
		const char *arch = arch_uname(args.opts.arch ? args.opts.arch : host_arch());

		if (archive_kernels(args.opts.btf_dir, arch ? arch : host_arch()))
			goto out;
	}
	if (args.nr_kernels) {
		args.opts.kernel = args.kernels[0];
		args.opts.kernels = (const char *const *)args.kernels + 1;
	}

	/* a signal lets the compile end (clang, if it was sent the signal too,
	 * ends with it) and clean up, then ends us with 128+signal */
	cli_catch_signals();
	err = coolbpf_compile_file(args.src, &args.opts, res);
	if (cli_signal) {
		status = 128 + cli_signal;
		goto out;
	}
	/* clang's own words, warnings included, exactly as it printed them */
	if (res->log && *res->log)
		fputs(res->log, stderr);
	if (err)
		goto out; /* the library said why through the log callback */
	status = 0;
out:
	cli_build_release(&cli_build);
	for (size_t i = 0; i < args.nr_kernels; i++)
		free(args.kernels[i]);
	free(args.kernels);
	args.kernels = NULL;
	args.nr_kernels = 0;
	return status;
}

int cmd_compile(int argc, char **argv)
{
	struct coolbpf_compile_result res = { 0 };
	const char *src = NULL, *out = NULL;
	char out_buf[PATH_MAX];
	int err, status;

	status = cli_compile(argc, argv, doc, NULL, &res, &src, &out);
	if (status)
		goto out;
	status = 1;
	if (!out) {
		if (default_output(src, out_buf, sizeof(out_buf))) {
			cli_err("compile: file name too long: '%s'", src);
			goto out;
		}
		out = out_buf;
	}
	err = write_file_atomic(out, res.obj, res.obj_sz);
	if (err) {
		cli_err("cannot write '%s': %s", out, strerror(-err));
		goto out;
	}
	status = 0;
out:
	coolbpf_compile_result__release(&res);
	return status;
}
