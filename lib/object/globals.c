// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Run-time parameters: the program's global variables (const volatile in
 * .rodata, plain ones in .data and .bss), listed from the BTF of their
 * sections and set before load by value text parsed against their type
 * (lib/format's value_parse). A set survives the reopen of a load round
 * with a hook fallback: the bytes are kept and written again.
 */
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>

#include "object.h"

struct global {
	struct coolbpf_global_info info;
	size_t map_idx; /* its section's map in obj->maps */
	__u32 offset;
	void *set; /* bytes given by coolbpf_object__set_global, or NULL */
};

static bool section_has_globals(const char *sec)
{
	return !strcmp(sec, ".rodata") || !strcmp(sec, ".data") || !strcmp(sec, ".bss");
}

/* What lbc.h keeps for itself, not the program's parameters. */
static bool reserved_name(const char *name)
{
	return !strncmp(name, "__lbc", 5) || name[0] == '.';
}

static int global_add(struct coolbpf_object *obj, const struct btf *btf, size_t map_idx,
		      const char *sec, const struct btf_var_secinfo *vs)
{
	const struct btf_type *v = btf__type_by_id(btf, vs->type);
	const char *name = v ? btf__name_by_offset(btf, v->name_off) : NULL;
	struct strbuf type = STRBUF_INIT;
	struct global *g, *grown;

	if (!v || !btf_is_var(v) || !name || reserved_name(name) ||
	    btf_var(v)->linkage == BTF_VAR_STATIC)
		return 0;
	grown = realloc(obj->globals, (obj->nr_globals + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	obj->globals = grown;
	g = &obj->globals[obj->nr_globals];
	memset(g, 0, sizeof(*g));
	btf_type_cname(btf, v->type, &type);
	g->info.name = strdup(name);
	g->info.section = sec; /* a literal of section_has_globals() */
	g->info.type = strbuf_detach(&type, NULL);
	g->info.type_id = v->type;
	g->info.size = vs->size;
	g->info.settable = value_settable(btf, v->type);
	g->map_idx = map_idx;
	g->offset = vs->offset;
	obj->nr_globals++;
	return g->info.name && g->info.type ? 0 : -ENOMEM;
}

static const char *section_literal(const char *sec)
{
	return !strcmp(sec, ".rodata") ? ".rodata" : !strcmp(sec, ".data") ? ".data" : ".bss";
}

/* Point each global at its bytes in the (re)opened object, writing again
 * what was set. */
static void globals_bind(struct coolbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_globals; i++) {
		struct global *g = &obj->globals[i];
		struct bpf_map *map = obj->maps[g->map_idx].map;
		size_t sz = 0;
		const char *base = bpf_map__initial_value(map, &sz);

		g->info.value = base && g->offset + g->info.size <= sz ? base + g->offset : NULL;
		if (g->set && g->info.value)
			memcpy((char *)g->info.value, g->set, g->info.size);
	}
}

int globals_collect(struct coolbpf_object *obj)
{
	const struct btf *btf = bpf_object__btf(obj->bpf);
	int err = 0;

	if (obj->globals || !btf) {
		globals_bind(obj);
		return 0;
	}
	for (size_t i = 0; i < obj->nr_maps && !err; i++) {
		const struct coolbpf_map *m = &obj->maps[i];
		const struct btf_type *ds;
		const char *sec;

		if (m->kind != COOLBPF_MAP_INTERNAL || !m->value_type_id)
			continue;
		ds = btf__type_by_id(btf, m->value_type_id);
		sec = ds && btf_is_datasec(ds) ? btf__name_by_offset(btf, ds->name_off) : NULL;
		if (!sec || !section_has_globals(sec))
			continue;
		for (__u16 j = 0; j < btf_vlen(ds) && !err; j++)
			err = global_add(obj, btf, i, section_literal(sec),
					 &btf_var_secinfos(ds)[j]);
	}
	if (err)
		return cb_err(err);
	globals_bind(obj);
	return 0;
}

void globals_free(struct coolbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_globals; i++) {
		free((char *)obj->globals[i].info.name);
		free((char *)obj->globals[i].info.type);
		free(obj->globals[i].set);
	}
	free(obj->globals);
	obj->globals = NULL;
	obj->nr_globals = 0;
}

size_t coolbpf_object__global_count(const struct coolbpf_object *obj)
{
	return obj ? obj->nr_globals : 0;
}

const struct coolbpf_global_info *coolbpf_object__global_info(const struct coolbpf_object *obj,
							      size_t i)
{
	if (!obj || i >= obj->nr_globals)
		return cb_err_ptr(-ENOENT);
	return &obj->globals[i].info;
}

/* "a (int), b (char[16])" of every settable global, or "none". */
static void settable_list(const struct coolbpf_object *obj, struct strbuf *sb)
{
	size_t n = 0;

	for (size_t i = 0; i < obj->nr_globals; i++) {
		const struct coolbpf_global_info *gi = &obj->globals[i].info;

		if (gi->settable)
			strbuf_addf(sb, "%s%s (%s)", n++ ? ", " : "", gi->name, gi->type);
	}
	if (!n)
		strbuf_addstr(sb, "none (declare one: const volatile int NAME = DEFAULT;)");
}

int coolbpf_object__set_global(struct coolbpf_object *obj, const char *name, const char *value)
{
	struct strbuf why = STRBUF_INIT;
	struct global *g = NULL;
	void *bytes;
	int err;

	if (!obj || !name || !value)
		return cb_err(-EINVAL);
	for (size_t i = 0; i < obj->nr_globals && !g; i++)
		if (!strcmp(obj->globals[i].info.name, name))
			g = &obj->globals[i];
	if (!g || !g->info.settable) {
		if (g)
			strbuf_addf(&why, "'%s' is a %s, which cannot be set from the command line",
				    name, g->info.type);
		else
			strbuf_addf(&why, "'%s' has no global variable '%s'", obj->origin, name);
		strbuf_addstr(&why, "; settable: ");
		settable_list(obj, &why);
		pr_warn("cannot set %s: %s\n", name, strbuf_str(&why));
		strbuf_release(&why);
		return cb_err(g ? -ENOTSUP : -ENOENT);
	}
	if (obj->loaded) {
		pr_warn("cannot set %s: '%s' is loaded already; set globals before load\n", name,
			obj->origin);
		return cb_err(-EBUSY);
	}
	bytes = calloc(1, g->info.size ? g->info.size : 1);
	if (!bytes)
		return cb_err(-ENOMEM);
	err = value_parse(bpf_object__btf(obj->bpf), g->info.type_id, value, bytes, g->info.size,
			  &why);
	if (err) {
		pr_warn("cannot set %s (%s, in %s): %s\n", name, g->info.type, g->info.section,
			strbuf_str(&why));
		strbuf_release(&why);
		free(bytes);
		return cb_err(err == -ERANGE ? -ERANGE : -EINVAL);
	}
	strbuf_release(&why);
	free(g->set);
	g->set = bytes;
	globals_bind(obj);
	if (!g->info.value) {
		pr_warn("cannot set %s: its section %s has no initial value in '%s'\n", name,
			g->info.section, obj->origin);
		return cb_err(-EINVAL);
	}
	return 0;
}
