// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf inspect: what an artifact (or a source, compiled) holds: its
 * programs (section, hook, target, fallback), maps (type, key and value
 * types, how run prints them), event types and their fields, run-time
 * parameters with their types and defaults, and the kernels whose min BTF
 * it carries (coolbpf compile --kernel R1 --kernel R2, --all-kernels).
 */
#include <argp.h>
#include <errno.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
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
	"Show what a compiled object (or a source, compiled first) holds: its programs with "
	"their section, hook, target and fallback; its maps with their type, key and value "
	"types and how 'coolbpf run' prints them; the fields of each event type; the globals "
	"'coolbpf run --set' takes, with their types and defaults; and the kernels it has min "
	"BTF for (a load picks the one whose release is uname -r), each min BTF's size, whether "
	"it is the same bytes as an earlier kernel's (stored once), and the bytes each kernel "
	"adds to the object."
	"\v"
	"EXAMPLES:\n"
	"  coolbpf compile --all-kernels tool.bpf.c && coolbpf inspect tool.bpf.o\n"
	"  coolbpf inspect --json tool.bpf.o\n"
	"  coolbpf inspect examples/opensnoop.bpf.c\n";

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
			argp_error(state, "which object? give FILE.o or FILE.bpf.c");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char *printed_as(const struct coolbpf_map *m)
{
	switch (coolbpf_map__kind(m)) {
	case COOLBPF_MAP_RINGBUF:
	case COOLBPF_MAP_PERF:
		return "events, as they come";
	case COOLBPF_MAP_HIST2:
		return "log2 histogram";
	case COOLBPF_MAP_HIST10:
		return "log10 histogram";
	case COOLBPF_MAP_HISTLIN:
		return "linear histogram";
	case COOLBPF_MAP_STACK:
		return "stack traces, symbolized";
	case COOLBPF_MAP_PLAIN:
		return "key/value table";
	default:
		return "not printed (globals)";
	}
}

static const char *type_name(const struct btf *btf, __u32 id, char *buf, size_t sz)
{
	if (!btf || !id || coolbpf_type_name(btf, id, buf, sz) < 0)
		snprintf(buf, sz, "-");
	return buf;
}

/* The members of an event type: the struct behind typedefs. */
static const struct btf_type *event_struct(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_composite(t) ? t : NULL;
}

static void json_object_part(struct coolbpf_object *obj, struct jw *w)
{
	const struct btf *btf = coolbpf_object__btf(obj);
	char a[256], b[256];

	jw_key(w, "programs");
	jw_begin_array(w);
	for (size_t i = 0; i < coolbpf_object__program_count(obj); i++) {
		const struct coolbpf_program_info *p = coolbpf_object__program_info(obj, i);

		jw_begin_object(w);
		jw_key(w, "name");
		jw_string(w, p->name);
		jw_key(w, "section");
		jw_string(w, p->section);
		jw_key(w, "hook");
		jw_string(w, p->hook);
		jw_key(w, "target");
		jw_string(w, p->target);
		jw_key(w, "fallback");
		if (p->fallback)
			jw_string(w, p->fallback);
		else
			jw_null(w);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_key(w, "maps");
	jw_begin_array(w);
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m)) {
		jw_begin_object(w);
		jw_key(w, "name");
		jw_string(w, coolbpf_map__name(m));
		jw_key(w, "type");
		jw_string(w, libbpf_bpf_map_type_str(bpf_map__type(coolbpf_map__bpf(m))));
		jw_key(w, "key");
		jw_string(w, type_name(btf, coolbpf_map__key_type_id(m), a, sizeof(a)));
		jw_key(w, "value");
		jw_string(w, type_name(btf, coolbpf_map__value_type_id(m), b, sizeof(b)));
		jw_key(w, "printed_as");
		jw_string(w, printed_as(m));
		if (coolbpf_map__kind(m) == COOLBPF_MAP_RINGBUF ||
		    coolbpf_map__kind(m) == COOLBPF_MAP_PERF) {
			const struct btf_type *t =
				btf ? event_struct(btf, coolbpf_map__value_type_id(m)) : NULL;

			jw_key(w, "fields");
			jw_begin_array(w);
			for (__u16 k = 0; t && k < btf_vlen(t); k++) {
				const struct btf_member *mb = &btf_members(t)[k];

				jw_begin_object(w);
				jw_key(w, "name");
				jw_string(w, btf__name_by_offset(btf, mb->name_off));
				jw_key(w, "type");
				jw_string(w, type_name(btf, mb->type, a, sizeof(a)));
				jw_end_object(w);
			}
			jw_end_array(w);
		}
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_key(w, "parameters");
	jw_begin_array(w);
	for (size_t i = 0; i < coolbpf_object__global_count(obj); i++) {
		const struct coolbpf_global_info *g = coolbpf_object__global_info(obj, i);

		jw_begin_object(w);
		jw_key(w, "name");
		jw_string(w, g->name);
		jw_key(w, "type");
		jw_string(w, g->type);
		jw_key(w, "section");
		jw_string(w, g->section);
		jw_key(w, "settable");
		jw_bool(w, g->settable);
		jw_key(w, "default");
		if (!g->value || coolbpf_decode(btf, g->type_id, g->value, g->size,
						COOLBPF_FMT_JSON, a, sizeof(a)) < 0)
			jw_null(w);
		else
			jw_raw(w, a);
		jw_end_object(w);
	}
	jw_end_array(w);
}

static void print_object_text(struct coolbpf_object *obj)
{
	const struct btf *btf = coolbpf_object__btf(obj);
	char a[256], b[256];

	printf("programs:\n");
	for (size_t i = 0; i < coolbpf_object__program_count(obj); i++) {
		const struct coolbpf_program_info *p = coolbpf_object__program_info(obj, i);

		printf("  %-20s %-36s %s %s%s%s\n", p->name, p->section, p->hook,
		       p->target[0] ? p->target : "(no automatic target)",
		       p->fallback ? "  fallback: " : "", p->fallback ? p->fallback : "");
	}
	printf("maps:\n");
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m)) {
		printf("  %-20s %-16s key %s, value %s: %s\n", coolbpf_map__name(m),
		       libbpf_bpf_map_type_str(bpf_map__type(coolbpf_map__bpf(m))),
		       type_name(btf, coolbpf_map__key_type_id(m), a, sizeof(a)),
		       type_name(btf, coolbpf_map__value_type_id(m), b, sizeof(b)), printed_as(m));
	}
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m)) {
		const struct btf_type *t;

		if (coolbpf_map__kind(m) != COOLBPF_MAP_RINGBUF &&
		    coolbpf_map__kind(m) != COOLBPF_MAP_PERF)
			continue;
		t = btf ? event_struct(btf, coolbpf_map__value_type_id(m)) : NULL;
		printf("events of %s: %s\n", coolbpf_map__name(m),
		       type_name(btf, coolbpf_map__value_type_id(m), a, sizeof(a)));
		for (__u16 k = 0; t && k < btf_vlen(t); k++)
			printf("  %-20s %s\n", btf__name_by_offset(btf, btf_members(t)[k].name_off),
			       type_name(btf, btf_members(t)[k].type, a, sizeof(a)));
	}
	printf("parameters (coolbpf run --set NAME=VALUE):\n");
	for (size_t i = 0; i < coolbpf_object__global_count(obj); i++) {
		const struct coolbpf_global_info *g = coolbpf_object__global_info(obj, i);

		if (!g->value || coolbpf_decode(btf, g->type_id, g->value, g->size,
						COOLBPF_FMT_TEXT, a, sizeof(a)) < 0)
			snprintf(a, sizeof(a), "?");
		printf("  %-20s %-16s %-8s default %s%s\n", g->name, g->type, g->section, a,
		       g->settable ? "" : " (not settable)");
	}
	if (!coolbpf_object__global_count(obj))
		printf("  none\n");
}

static void print_json(struct coolbpf_object *obj, size_t obj_sz,
		       const struct coolbpf_artifact_kernel *k, size_t n, size_t carried,
		       size_t distinct)
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
	if (obj)
		json_object_part(obj, &w);
	jw_end_object(&w);
	if (!jw_error(&w))
		printf("%s\n", sb.buf);
	strbuf_release(&sb);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "FILE.o|FILE.bpf.c", doc, NULL,
					  NULL,	   NULL };
	struct coolbpf_artifact_kernel *k = NULL;
	struct coolbpf_compile_result res = {};
	struct coolbpf_object *o = NULL;
	size_t obj_sz, carried = 0, distinct = 0, len;
	void *obj = NULL;
	int n, err, status = 1;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	len = strlen(args.path);
	if (len > 2 && !strcmp(args.path + len - 2, ".c")) {
		COOLBPF_COMPILE_OPTS(copts);
		coolbpf_compile_opts__from_env(&copts);
		err = coolbpf_compile_file(args.path, &copts, &res);
		if (err) {
			if (res.log && res.log[0])
				fputs(res.log, stderr);
			cli_err("inspect: cannot compile '%s'", args.path);
			coolbpf_compile_result__release(&res);
			return 1;
		}
		obj = res.obj;
		obj_sz = res.obj_sz;
		res.obj = NULL;
		coolbpf_compile_result__release(&res);
	} else {
		/* a BPF object is never this large (libcoolbpf's BPF_OBJECT_MAX) */
		err = read_file_max(args.path, 256u << 20, &obj, &obj_sz);
		if (err) {
			cli_err("inspect: cannot open '%s': %s", args.path,
				err == -EFBIG  ? "larger than a BPF object can be (256 MiB)" :
				err == -EINVAL ? "not a regular file" :
						 strerror(-err));
			return 1;
		}
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
	{
		COOLBPF_OBJECT_OPTS(oopts);
		coolbpf_object_opts__from_env(&oopts);
		o = coolbpf_object__open_mem(obj, obj_sz, &oopts);
		if (!o)
			cli_err("inspect: '%s': programs and maps unknown: %s", args.path,
				coolbpf_errmsg());
	}
	if (args.json) {
		print_json(o, obj_sz, k, (size_t)n, carried, distinct);
	} else {
		if (o)
			print_object_text(o);
		printf("%s: %zu bytes; min BTF for %d kernel%s (%zu distinct), %zu bytes of it\n",
		       args.path, obj_sz, n, n == 1 ? "" : "s", distinct, carried);
		if (n)
			printf("  %-40s %-8s %8s %8s\n", "kernel", "arch", "min BTF", "added");
		for (int i = 0; i < n; i++)
			printf("  %-40s %-8s %8zu %8zu%s%s\n", k[i].release,
			       k[i].arch[0] ? k[i].arch : "-", k[i].btf_sz, k[i].added,
			       i == 0 ? "  (compile target)" : "",
			       k[i].shared ? "  (same as an earlier kernel's)" : "");
		printf("this machine's bpf(): %s\n", cli_bpf_backend_text());
	}
	status = 0;
out:
	coolbpf_object__close(o);
	free(k);
	free(obj);
	return status;
}
