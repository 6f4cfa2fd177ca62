// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* coolbpf compile: FILE.bpf.c -> CO-RE artifact, through the cache. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"

static void compile_usage(FILE *f)
{
	fprintf(f,
		"Usage: coolbpf compile FILE.bpf.c [-o OUT.o] [--kernel RELEASE] [--btf FILE]\n"
		"                       [-D NAME[=VAL]]... [-I DIR]... [--server URL] [--no-cache] [-v]\n"
		"\n"
		"Compile a BPF program written against lbc.h into a CO-RE object carrying the\n"
		"minimized BTF of the target kernel. Prints nothing on success; compiler\n"
		"diagnostics and exit status 1 on failure. Identical compiles are served from\n"
		"the cache ($COOLBPF_CACHE_DIR, default ~/.cache/coolbpf).\n"
		"\n"
		"  -o, --output OUT.o   object to write (default: FILE's name with .c -> .o,\n"
		"                       in the current directory)\n"
		"  -k, --kernel RELEASE target kernel (uname -r); default: the running one.\n"
		"                       Its BTF comes from $COOLBPF_BTF_DIR/<arch>/RELEASE.btf\n"
		"      --btf FILE       target kernel BTF (overrides the lookup)\n"
		"  -D NAME[=VAL]        define a macro\n"
		"  -I DIR               add an include directory\n"
		"      --server URL     compile on a coolbpfd server\n"
		"      --no-cache       do not read the cache (still fill it)\n"
		"  -v, --verbose        say whether the object came from the cache\n"
		"  -h, --help           this help\n"
		"\n"
		"EXAMPLES:\n"
		"  coolbpf compile hello.bpf.c                   # writes hello.bpf.o\n"
		"  coolbpf compile -DMAX=8 -I inc hello.bpf.c -o /tmp/h.o\n"
		"  coolbpf compile --kernel 5.10.0-21-amd64 hello.bpf.c\n");
}

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

static int push(const char ***list, size_t *n, const char *s)
{
	const char **p = realloc(*list, (*n + 2) * sizeof(*p));

	if (!p)
		return -1;
	p[(*n)++] = s;
	p[*n] = NULL;
	*list = p;
	return 0;
}

int cmd_compile(int argc, char **argv)
{
	enum { OPT_BTF = 256, OPT_SERVER, OPT_NO_CACHE };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	COOLBPF_OPTS(coolbpf_compile_opts, opts);
	struct coolbpf_compile_result res = { 0 };
	const char **defines = NULL, **incs = NULL;
	size_t n_defines = 0, n_incs = 0;
	const char *out = NULL;
	char out_buf[PATH_MAX];
	int c, err, status = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:k:D:I:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'k':
			opts.kernel = optarg;
			break;
		case OPT_BTF:
			opts.btf_path = optarg;
			break;
		case OPT_SERVER:
			opts.server = optarg;
			break;
		case OPT_NO_CACHE:
			opts.no_cache = true;
			break;
		case 'D':
			if (push(&defines, &n_defines, optarg))
				goto oom;
			break;
		case 'I':
			if (push(&incs, &n_incs, optarg))
				goto oom;
			break;
		case 'v':
			cli_verbose++;
			break;
		case 'h':
			compile_usage(stdout);
			status = 0;
			goto out;
		default:
			compile_usage(stderr);
			status = 2;
			goto out;
		}
	}
	if (optind != argc - 1) {
		cli_err(optind >= argc ? "compile: missing FILE.bpf.c" :
					 "compile: one source file at a time");
		compile_usage(stderr);
		status = 2;
		goto out;
	}
	if (!out) {
		if (default_output(argv[optind], out_buf, sizeof(out_buf))) {
			cli_err("compile: file name too long: '%s'", argv[optind]);
			goto out;
		}
		out = out_buf;
	}
	opts.defines = defines;
	opts.include_dirs = incs;

	err = coolbpf_compile_file(argv[optind], &opts, &res);
	/* clang's own words, warnings included, exactly as it printed them */
	if (res.log && *res.log)
		fputs(res.log, stderr);
	if (err)
		goto out; /* the library said why through the log callback */
	err = write_file_atomic(out, res.obj, res.obj_sz);
	if (err) {
		cli_err("cannot write '%s': %s", out, strerror(-err));
		goto out;
	}
	status = 0;
	goto out;
oom:
	cli_err("compile: out of memory");
out:
	coolbpf_compile_result__release(&res);
	free(defines);
	free(incs);
	return status;
}
