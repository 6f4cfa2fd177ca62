// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf inspect: what an artifact carries. For now the kernels whose min
 * BTF it holds (coolbpf compile --kernel R1 --kernel R2, --all-kernels),
 * each with its size and what it adds to the object.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static struct {
	const char *path;
	bool json;
} args;

static const struct argp_option options[] = {
	{ "json", 'j', NULL, 0, "One JSON object", 0 },
	{},
};

static const char doc[] =
	"Show what a compiled object carries: the kernels it has min BTF for (a load picks the "
	"one whose release is uname -r), each min BTF's size, whether it is the same bytes as "
	"an earlier kernel's (stored once), and the bytes each kernel adds to the object."
	"\v"
	"EXAMPLES:\n"
	"  coolbpf compile --all-kernels tool.bpf.c && coolbpf inspect tool.bpf.o\n"
	"  coolbpf inspect --json tool.bpf.o\n";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		args.json = true;
		break;
	case ARGP_KEY_ARG:
		if (args.path)
			argp_error(state, "one object at a time: '%s' and '%s'", args.path, arg);
		args.path = arg;
		break;
	case ARGP_KEY_END:
		if (!args.path)
			argp_error(state, "which object? give FILE.o");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* "kernel", "module", "none" as a sentence (run -v says the same) */
static const char *backend_text(const char *b)
{
	if (!strcmp(b, "kernel"))
		return "kernel (the bpf() system call)";
	if (!strcmp(b, "module"))
		return "module (no bpf() in this kernel: coolbpf_nobpf through /dev/coolbpf)";
	return "none (no bpf() in this kernel and no coolbpf_nobpf module: see docs/NOBPF.md)";
}

static void print_json(size_t obj_sz, const struct coolbpf_artifact_kernel *k, size_t n,
		       size_t carried, size_t distinct)
{
	struct strbuf sb = STRBUF_INIT;
	struct jw w;

	jw_init(&w, &sb);
	jw_begin_object(&w);
	jw_key(&w, "file");
	jw_string(&w, args.path);
	jw_key(&w, "size");
	jw_uint(&w, obj_sz);
	jw_key(&w, "carried_bytes");
	jw_uint(&w, carried);
	jw_key(&w, "distinct_btf");
	jw_uint(&w, distinct);
	jw_key(&w, "bpf_backend");
	jw_string(&w, coolbpf_bpf_backend());
	jw_key(&w, "kernels");
	jw_begin_array(&w);
	for (size_t i = 0; i < n; i++) {
		jw_begin_object(&w);
		jw_key(&w, "release");
		jw_string(&w, k[i].release);
		jw_key(&w, "arch");
		jw_string(&w, k[i].arch);
		jw_key(&w, "btf_size");
		jw_uint(&w, k[i].btf_sz);
		jw_key(&w, "added");
		jw_uint(&w, k[i].added);
		jw_key(&w, "shared");
		jw_bool(&w, k[i].shared);
		jw_key(&w, "target");
		jw_bool(&w, i == 0);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	if (!jw_error(&w))
		printf("%s\n", sb.buf);
	strbuf_release(&sb);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "FILE.o", doc, NULL, NULL, NULL };
	struct coolbpf_artifact_kernel *k = NULL;
	size_t obj_sz, carried = 0, distinct = 0;
	void *obj = NULL;
	int n, err, status = 1;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	err = read_file(args.path, &obj, &obj_sz);
	if (err) {
		cli_err("inspect: cannot open '%s': %s", args.path, strerror(-err));
		return 1;
	}
	n = coolbpf_artifact__kernels(obj, obj_sz, NULL, 0);
	if (n < 0) {
		cli_err("inspect: '%s' is not a coolbpf object (or is damaged): rebuild it with "
			"'coolbpf compile'",
			args.path);
		goto out;
	}
	k = calloc((size_t)n + 1, sizeof(*k));
	if (!k || coolbpf_artifact__kernels(obj, obj_sz, k, (size_t)n) != n)
		goto out;
	for (int i = 0; i < n; i++) {
		carried += k[i].added;
		distinct += !k[i].shared;
	}
	if (args.json) {
		print_json(obj_sz, k, (size_t)n, carried, distinct);
	} else {
		printf("%s: %zu bytes; min BTF for %d kernel%s (%zu distinct), %zu bytes of it\n",
		       args.path, obj_sz, n, n == 1 ? "" : "s", distinct, carried);
		if (n)
			printf("  %-40s %-8s %8s %8s\n", "kernel", "arch", "min BTF", "added");
		for (int i = 0; i < n; i++)
			printf("  %-40s %-8s %8zu %8zu%s%s\n", k[i].release,
			       k[i].arch[0] ? k[i].arch : "-", k[i].btf_sz, k[i].added,
			       i == 0 ? "  (compile target)" : "",
			       k[i].shared ? "  (same as an earlier kernel's)" : "");
		printf("this machine's bpf(): %s\n", backend_text(coolbpf_bpf_backend()));
	}
	status = 0;
out:
	free(k);
	free(obj);
	return status;
}
