// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Maps: what each one is (learned from the object's BTF, never from the
 * source text), element access, and printing a whole map.
 */
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "decode.h"
#include "json.h"
#include "object.h"

/* The pointee of VAR "<prefix><map>" in .lbc.meta (see lbc.h), or 0. */
static __u32 meta_pointee(const struct btf *btf, const char *prefix, const char *map)
{
	const struct btf_type *t;
	char name[256];
	int id;

	if (!btf || snprintf(name, sizeof(name), "%s%s", prefix, map) >= (int)sizeof(name))
		return 0;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_VAR);
	if (id <= 0)
		return 0;
	t = btf__type_by_id(btf, (__u32)id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_ptr(t) ? t->type : 0;
}

static const char *typedef_name(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf && id ? btf__type_by_id(btf, id) : NULL;

	return t && btf_is_typedef(t) ? btf__name_by_offset(btf, t->name_off) : "";
}

static void map_classify_one(const struct btf *btf, struct coolbpf_map *m)
{
	const char *name = bpf_map__name(m->map);
	const char *vt;

	m->key_type_id = bpf_map__btf_key_type_id(m->map);
	m->value_type_id = bpf_map__btf_value_type_id(m->map);
	m->hist_step = 0;
	if (bpf_map__is_internal(m->map)) {
		m->kind = COOLBPF_MAP_INTERNAL;
		return;
	}
	switch (bpf_map__type(m->map)) {
	case BPF_MAP_TYPE_RINGBUF:
		m->kind = COOLBPF_MAP_RINGBUF;
		m->key_type_id = 0;
		m->value_type_id = meta_pointee(btf, "__lbc_event__", name);
		return;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		m->kind = COOLBPF_MAP_PERF;
		m->key_type_id = 0;
		m->value_type_id = meta_pointee(btf, "__lbc_event__", name);
		return;
	case BPF_MAP_TYPE_STACK_TRACE:
		m->kind = COOLBPF_MAP_STACK;
		return;
	default:
		break;
	}
	vt = typedef_name(btf, m->value_type_id);
	if (!strcmp(vt, "lbc_hist2_t")) {
		m->kind = COOLBPF_MAP_HIST2;
	} else if (!strcmp(vt, "lbc_hist10_t")) {
		m->kind = COOLBPF_MAP_HIST10;
	} else if (!strcmp(vt, "lbc_histlin_t")) {
		__u32 arr = meta_pointee(btf, "__lbc_histlin__", name);
		const struct btf_type *t = arr ? btf__type_by_id(btf, arr) : NULL;

		m->kind = COOLBPF_MAP_HISTLIN;
		m->hist_step = t && btf_is_array(t) ? btf_array(t)->nelems : 1;
	} else {
		m->kind = COOLBPF_MAP_PLAIN;
	}
}

static void map_decoders_free(struct coolbpf_map *m)
{
	decoder_free(m->key_dec);
	decoder_free(m->value_dec);
	m->key_dec = m->value_dec = NULL;
	m->dec_tried = false;
}

int map_classify(struct coolbpf_object *obj)
{
	const struct btf *btf = bpf_object__btf(obj->bpf);
	struct bpf_map *map;
	size_t n = 0, i = 0;

	bpf_object__for_each_map(map, obj->bpf)
		n++;
	if (obj->maps && n != obj->nr_maps)
		return cb_err(-EINVAL);
	if (!obj->maps) {
		obj->maps = calloc(n ? n : 1, sizeof(*obj->maps));
		if (!obj->maps)
			return cb_err(-ENOMEM);
		obj->nr_maps = n;
	}
	bpf_object__for_each_map(map, obj->bpf) {
		struct coolbpf_map *m = &obj->maps[i++];

		map_decoders_free(m); /* they point into the previous BTF */
		m->obj = obj;
		m->map = map;
		map_classify_one(btf, m);
	}
	return 0;
}

void object_maps_release(struct coolbpf_object *obj)
{
	for (size_t i = 0; i < obj->nr_maps; i++)
		map_decoders_free(&obj->maps[i]);
	free(obj->maps);
	obj->maps = NULL;
	obj->nr_maps = 0;
}

struct coolbpf_map *coolbpf_object__map(const struct coolbpf_object *obj, const char *name)
{
	for (size_t i = 0; obj && name && i < obj->nr_maps; i++) {
		if (!strcmp(bpf_map__name(obj->maps[i].map), name))
			return &obj->maps[i];
	}
	return cb_err_ptr(-ENOENT);
}

struct coolbpf_map *coolbpf_object__next_map(const struct coolbpf_object *obj,
					     const struct coolbpf_map *prev)
{
	size_t i = prev ? (size_t)(prev - obj->maps) + 1 : 0;

	return obj && i < obj->nr_maps ? &obj->maps[i] : NULL;
}

const char *coolbpf_map__name(const struct coolbpf_map *map)
{
	return bpf_map__name(map->map);
}

enum coolbpf_map_kind coolbpf_map__kind(const struct coolbpf_map *map)
{
	return map->kind;
}

int coolbpf_map__fd(const struct coolbpf_map *map)
{
	return bpf_map__fd(map->map);
}

struct bpf_map *coolbpf_map__bpf(const struct coolbpf_map *map)
{
	return map->map;
}

__u32 coolbpf_map__key_size(const struct coolbpf_map *map)
{
	return bpf_map__key_size(map->map);
}

__u32 coolbpf_map__value_size(const struct coolbpf_map *map)
{
	return bpf_map__value_size(map->map);
}

bool coolbpf_map__percpu(const struct coolbpf_map *map)
{
	switch (bpf_map__type(map->map)) {
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
		return true;
	default:
		return false;
	}
}

__u32 coolbpf_map__key_type_id(const struct coolbpf_map *map)
{
	return map->key_type_id;
}

__u32 coolbpf_map__value_type_id(const struct coolbpf_map *map)
{
	return map->value_type_id;
}

__u64 coolbpf_map__hist_step(const struct coolbpf_map *map)
{
	return map->hist_step;
}

/* lbc.h's __lbc_lost__<map> counter in .bss. Read with a lookup: libbpf
 * 1.1 maps .bss to the kernel's memory only for skeletons. */
static __u64 ringbuf_lost(const struct coolbpf_map *m)
{
	const struct btf *btf = bpf_object__btf(m->obj->bpf);
	const char *want = "__lbc_lost__", *name = bpf_map__name(m->map);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *bss = NULL;
	__u64 v = 0;
	char *data;
	__u32 zero = 0;
	int id;

	if (!btf || !m->obj->loaded)
		return 0;
	id = btf__find_by_name_kind(btf, ".bss", BTF_KIND_DATASEC);
	for (size_t i = 0; i < m->obj->nr_maps && !bss; i++) {
		struct bpf_map *b = m->obj->maps[i].map;

		if (bpf_map__is_internal(b) && str_has_suffix(bpf_map__name(b), ".bss"))
			bss = b;
	}
	if (id <= 0 || !bss)
		return 0;
	sec = btf__type_by_id(btf, (__u32)id);
	vs = btf_var_secinfos(sec);
	for (__u16 i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);
		const char *vn = var ? btf__name_by_offset(btf, var->name_off) : "";

		if (!str_has_prefix(vn, want) || strcmp(vn + strlen(want), name) ||
		    vs->offset + sizeof(v) > bpf_map__value_size(bss))
			continue;
		data = malloc(bpf_map__value_size(bss));
		if (data && !bpf_map_lookup_elem(bpf_map__fd(bss), &zero, data))
			memcpy(&v, data + vs->offset, sizeof(v));
		free(data);
		break;
	}
	return v;
}

__u64 coolbpf_map__lost(const struct coolbpf_map *map)
{
	if (map->kind == COOLBPF_MAP_PERF)
		return map->perf_lost;
	if (map->kind == COOLBPF_MAP_RINGBUF)
		return ringbuf_lost(map);
	return 0;
}

int coolbpf_map__lookup(const struct coolbpf_map *map, const void *key, void *value)
{
	return bpf_map_lookup_elem(bpf_map__fd(map->map), key, value) ? -errno : 0;
}

int coolbpf_map__update(const struct coolbpf_map *map, const void *key, const void *value,
			__u64 flags)
{
	return bpf_map_update_elem(bpf_map__fd(map->map), key, value, flags) ? -errno : 0;
}

int coolbpf_map__delete(const struct coolbpf_map *map, const void *key)
{
	return bpf_map_delete_elem(bpf_map__fd(map->map), key) ? -errno : 0;
}

int coolbpf_map__next_key(const struct coolbpf_map *map, const void *key, void *next)
{
	return bpf_map_get_next_key(bpf_map__fd(map->map), key, next) ? -errno : 0;
}

int coolbpf_map__pin(struct coolbpf_map *map, const char *path)
{
	int err;

	coolbpf_mount_fs();
	err = bpf_map__pin(map->map, path);
	if (err) {
		pr_warn("map '%s': cannot pin at '%s': %s\n", bpf_map__name(map->map), path,
			strerror(-err));
		return cb_err(err);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static void map_decoders(struct coolbpf_map *m)
{
	const struct btf *btf = bpf_object__btf(m->obj->bpf);

	if (m->dec_tried)
		return;
	m->dec_tried = true;
	if (btf && m->key_type_id)
		m->key_dec = decoder_new(btf, m->key_type_id);
	if (btf && m->value_type_id)
		m->value_dec = decoder_new(btf, m->value_type_id);
}

static void append_value(const struct decoder *d, const void *data, size_t size,
			 enum coolbpf_format fmt, struct strbuf *sb)
{
	if (d)
		decoder_append(d, data, size, fmt, sb);
	else
		decode_hex_append(data, size, fmt, sb);
}

int map_event_append(struct coolbpf_map *map, const void *data, size_t size,
		     enum coolbpf_format fmt, struct strbuf *sb)
{
	map_decoders(map);
	if (fmt == COOLBPF_FMT_JSON) {
		strbuf_addstr(sb, "{\"map\": ");
		{
			struct jw w;

			jw_init(&w, sb);
			jw_string(&w, bpf_map__name(map->map));
		}
		strbuf_addstr(sb, ", \"event\": ");
		append_value(map->value_dec, data, size, fmt, sb);
		return strbuf_addch(sb, '}');
	}
	append_value(map->value_dec, data, size, fmt, sb);
	return 0;
}

int coolbpf_map__decode_event(struct coolbpf_map *map, const void *data, size_t size,
			      enum coolbpf_format fmt, char *buf, size_t buf_sz)
{
	struct strbuf sb = STRBUF_INIT;
	int n;

	map_decoders(map);
	append_value(map->value_dec, data, size, fmt, &sb);
	n = (int)sb.len;
	if (buf_sz)
		strlcpy_cb(buf, strbuf_str(&sb), buf_sz);
	strbuf_release(&sb);
	return n;
}

/* ------------------------------------------------------------------ */

static int dump_hist(struct coolbpf_map *m, enum coolbpf_format fmt, struct strbuf *sb)
{
	__u32 n = bpf_map__max_entries(m->map);
	enum coolbpf_hist_kind kind = m->kind == COOLBPF_MAP_HIST2    ? COOLBPF_HIST_LOG2
				      : m->kind == COOLBPF_MAP_HIST10 ? COOLBPF_HIST_LOG10
								      : COOLBPF_HIST_LINEAR;
	__u64 *slots = calloc(n ? n : 1, sizeof(*slots));
	int err;

	if (!slots)
		return cb_err(-ENOMEM);
	for (__u32 k = 0; k < n; k++)
		bpf_map_lookup_elem(bpf_map__fd(m->map), &k, &slots[k]);
	if (fmt == COOLBPF_FMT_TEXT)
		strbuf_addf(sb, "%s:\n", bpf_map__name(m->map));
	err = hist_append(sb, bpf_map__name(m->map), slots, n, kind, m->hist_step, "value", fmt);
	free(slots);
	return err;
}

/* A table's start and end: "name:" in text, {"map": name, "entries": [...]}
 * on one line in JSON. */
static void table_open(const struct coolbpf_map *m, enum coolbpf_format fmt,
		       struct strbuf *sb, struct jw *w)
{
	jw_init(w, sb);
	if (fmt == COOLBPF_FMT_JSON) {
		jw_begin_object(w);
		jw_key(w, "map");
		jw_string(w, bpf_map__name(m->map));
		jw_key(w, "entries");
		jw_begin_array(w);
	} else {
		strbuf_addf(sb, "%s:\n", bpf_map__name(m->map));
	}
}

static void table_close(enum coolbpf_format fmt, struct strbuf *sb, struct jw *w)
{
	if (fmt == COOLBPF_FMT_JSON) {
		jw_end_array(w);
		jw_end_object(w);
		strbuf_addch(sb, '\n');
	}
}

static int dump_stack(struct coolbpf_map *m, enum coolbpf_format fmt, struct strbuf *sb)
{
	__u32 vsz = bpf_map__value_size(m->map), key, next, *prev = NULL;
	int fd = bpf_map__fd(m->map);
	struct coolbpf_syms *syms = coolbpf_syms__new(0);
	__u64 *ips = malloc(vsz);
	struct jw w;
	char sym[512];

	if (!ips) {
		coolbpf_syms__free(syms);
		return cb_err(-ENOMEM);
	}
	table_open(m, fmt, sb, &w);
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, ips))
			continue;
		if (fmt == COOLBPF_FMT_JSON) {
			jw_begin_object(&w);
			jw_key(&w, "key");
			jw_uint(&w, key);
			jw_key(&w, "value");
			jw_begin_array(&w);
		} else {
			strbuf_addf(sb, "  stack %u:\n", key);
		}
		for (__u32 i = 0; i < vsz / 8 && ips[i]; i++) {
			if (!syms || coolbpf_syms__resolve(syms, ips[i], sym, sizeof(sym)))
				snprintf(sym, sizeof(sym), "0x%llx", (unsigned long long)ips[i]);
			if (fmt == COOLBPF_FMT_JSON)
				jw_string(&w, sym);
			else
				strbuf_addf(sb, "    %s\n", sym);
		}
		if (fmt == COOLBPF_FMT_JSON) {
			jw_end_array(&w);
			jw_end_object(&w);
		}
	}
	table_close(fmt, sb, &w);
	free(ips);
	coolbpf_syms__free(syms);
	return jw_error(&w);
}

/* A value, or for per-CPU maps the list of every CPU's value. */
static void append_values(struct coolbpf_map *m, const void *val, size_t stride, int ncpu,
			  bool percpu, enum coolbpf_format fmt, struct strbuf *sb)
{
	if (percpu)
		strbuf_addch(sb, '[');
	for (int c = 0; c < ncpu; c++) {
		if (c)
			strbuf_addstr(sb, ", ");
		append_value(m->value_dec, (const char *)val + (size_t)c * stride,
			     bpf_map__value_size(m->map), fmt, sb);
	}
	if (percpu)
		strbuf_addch(sb, ']');
}

static int dump_plain(struct coolbpf_map *m, enum coolbpf_format fmt, struct strbuf *sb)
{
	bool percpu = coolbpf_map__percpu(m);
	int ncpu = percpu ? libbpf_num_possible_cpus() : 1;
	__u32 ksz = bpf_map__key_size(m->map), vsz = bpf_map__value_size(m->map);
	size_t stride = percpu ? ((vsz + 7) & ~7u) : vsz;
	int fd = bpf_map__fd(m->map);
	void *key = calloc(1, ksz ? ksz : 1), *next = calloc(1, ksz ? ksz : 1);
	void *val = calloc((size_t)(ncpu > 0 ? ncpu : 1), stride ? stride : 1);
	bool first_key = true;
	struct jw w;
	int err = 0;

	if (!key || !next || !val) {
		err = cb_err(-ENOMEM);
		goto out;
	}
	map_decoders(m);
	table_open(m, fmt, sb, &w);
	while (bpf_map_get_next_key(fd, first_key ? NULL : key, next) == 0) {
		first_key = false;
		memcpy(key, next, ksz);
		if (bpf_map_lookup_elem(fd, key, val))
			continue;
		if (fmt == COOLBPF_FMT_JSON) {
			jw_begin_object(&w);
			jw_key(&w, "key");
			jw_raw(&w, ""); /* value follows as raw JSON text */
			append_value(m->key_dec, key, ksz, fmt, sb);
			jw_key(&w, "value");
			jw_raw(&w, "");
			append_values(m, val, stride, ncpu, percpu, fmt, sb);
			jw_end_object(&w);
		} else {
			strbuf_addstr(sb, "  ");
			append_value(m->key_dec, key, ksz, fmt, sb);
			strbuf_addstr(sb, " => ");
			append_values(m, val, stride, ncpu, percpu, fmt, sb);
			strbuf_addch(sb, '\n');
		}
	}
	table_close(fmt, sb, &w);
	err = jw_error(&w);
out:
	free(key);
	free(next);
	free(val);
	return err;
}

int map_dump_append(struct coolbpf_map *m, enum coolbpf_format fmt, struct strbuf *sb)
{
	if (!m->obj->loaded)
		return cb_err(-EINVAL);
	switch (m->kind) {
	case COOLBPF_MAP_HIST2:
	case COOLBPF_MAP_HIST10:
	case COOLBPF_MAP_HISTLIN:
		return dump_hist(m, fmt, sb);
	case COOLBPF_MAP_STACK:
		return dump_stack(m, fmt, sb);
	case COOLBPF_MAP_PLAIN:
		return dump_plain(m, fmt, sb);
	default:
		return 0; /* event and internal maps have nothing to show */
	}
}

int coolbpf_map__dump(struct coolbpf_map *map, enum coolbpf_format fmt, FILE *out)
{
	struct strbuf sb = STRBUF_INIT;
	int err = map_dump_append(map, fmt, &sb);

	if (sb.len && fwrite(sb.buf, 1, sb.len, out) != sb.len && !err)
		err = cb_err(-EIO);
	strbuf_release(&sb);
	return err;
}
