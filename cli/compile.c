// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* coolbpf compile: FILE.bpf.c -> CO-RE artifact, through the cache. */
#include <argp.h>
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

enum { OPT_BTF = 0x100, OPT_SERVER, OPT_NO_CACHE };

static const struct argp_option options[] = {
	{ "output", 'o', "OUT.o", 0,
	  "Object to write (default: FILE's name with .c -> .o, in the current directory)", 0 },
	{ "kernel", 'k', "RELEASE", 0,
	  "Target kernel (uname -r; default: the running one); its BTF comes from the "
	  "archive, $COOLBPF_BTF_DIR/<arch>/RELEASE.btf.gz",
	  0 },
	{ "btf", OPT_BTF, "FILE", 0, "Target kernel BTF (overrides the lookup)", 0 },
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
	"  coolbpf compile --kernel 5.10.0-21-amd64 hello.bpf.c\n";

#define MAX_LIST 64

static struct compile_args {
	const char *src, *out;
	struct coolbpf_compile_opts opts;
	const char *defines[MAX_LIST + 1];
	const char *includes[MAX_LIST + 1];
	int nr_defines, nr_includes;
} args;

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'o':
		args.out = arg;
		break;
	case 'k':
		args.opts.kernel = arg;
		break;
	case OPT_BTF:
		args.opts.btf_path = arg;
		break;
	case OPT_SERVER:
		args.opts.server = arg;
		break;
	case OPT_NO_CACHE:
		args.opts.no_cache = true;
		break;
	case 'D':
	case 'I':
		if ((key == 'D' ? args.nr_defines : args.nr_includes) >= MAX_LIST)
			argp_error(state, "too many -%c options (at most %d)", key, MAX_LIST);
		else if (key == 'D')
			args.defines[args.nr_defines++] = arg;
		else
			args.includes[args.nr_includes++] = arg;
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

int cmd_compile(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "FILE.bpf.c", doc, NULL, NULL, NULL };
	struct coolbpf_compile_result res = { 0 };
	char out_buf[PATH_MAX];
	int err, status = 1;

	args.opts.sz = sizeof(args.opts);
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	if (!args.out) {
		if (default_output(args.src, out_buf, sizeof(out_buf))) {
			cli_err("compile: file name too long: '%s'", args.src);
			return 1;
		}
		args.out = out_buf;
	}
	args.opts.defines = args.defines;
	args.opts.include_dirs = args.includes;
	coolbpf_compile_opts__from_env(&args.opts);

	err = coolbpf_compile_file(args.src, &args.opts, &res);
	/* clang's own words, warnings included, exactly as it printed them */
	if (res.log && *res.log)
		fputs(res.log, stderr);
	if (err)
		goto out; /* the library said why through the log callback */
	err = write_file_atomic(args.out, res.obj, res.obj_sz);
	if (err) {
		cli_err("cannot write '%s': %s", args.out, strerror(-err));
		goto out;
	}
	status = 0;
out:
	coolbpf_compile_result__release(&res);
	return status;
}
