// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Maps: what each one is (learned from the object's BTF, never from the
 * source text), element access, and the events lost by event maps.
 */
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

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
		for (size_t j = 0; j < n; j++)
			pthread_mutex_init(&obj->maps[j].ev_lock, NULL);
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
	for (size_t i = 0; i < obj->nr_maps; i++) {
		map_decoders_free(&obj->maps[i]);
		pthread_mutex_destroy(&obj->maps[i].ev_lock);
	}
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
	if (!map || !key || !value)
		return cb_err(-EINVAL);
	return bpf_map_lookup_elem(bpf_map__fd(map->map), key, value) ? cb_err(-errno) : 0;
}

int coolbpf_map__update(const struct coolbpf_map *map, const void *key, const void *value,
			__u64 flags)
{
	if (!map || !key || !value)
		return cb_err(-EINVAL);
	return bpf_map_update_elem(bpf_map__fd(map->map), key, value, flags) ? cb_err(-errno) : 0;
}

int coolbpf_map__delete(const struct coolbpf_map *map, const void *key)
{
	if (!map || !key)
		return cb_err(-EINVAL);
	return bpf_map_delete_elem(bpf_map__fd(map->map), key) ? cb_err(-errno) : 0;
}

int coolbpf_map__next_key(const struct coolbpf_map *map, const void *key, void *next)
{
	if (!map || !next)
		return cb_err(-EINVAL);
	return bpf_map_get_next_key(bpf_map__fd(map->map), key, next) ? cb_err(-errno) : 0;
}

int coolbpf_map__pin(struct coolbpf_map *map, const char *path)
{
	int err;

	if (!map || !path)
		return cb_err(-EINVAL);
	coolbpf_mount_fs();
	err = bpf_map__pin(map->map, path);
	if (err) {
		pr_warn("map '%s': cannot pin at '%s': %s\n", bpf_map__name(map->map), path,
			strerror(-err));
		return cb_err(err);
	}
	return 0;
}
