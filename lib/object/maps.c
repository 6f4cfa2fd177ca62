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

/* Left out of coolbpf run's dump unless -v: per-CPU arrays of one element
 * (heaps for records too big for the stack), maps user space fills
 * (cgroup and program arrays), names starting with "__" (libbpf's
 * __bpf_usdt_specs), maps the program deletes from (a start time kept
 * until the end event), and maps marked LBC_SCRATCH(name). */
static bool map_is_scratch(const struct btf *btf, const struct coolbpf_map *m,
			   const struct strbuf *deleted)
{
	const char *name = bpf_map__name(m->map);

	switch (bpf_map__type(m->map)) {
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		if (bpf_map__max_entries(m->map) == 1)
			return true;
		break;
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return true;
	default:
		break;
	}
	if (str_has_prefix(name, "__") || meta_pointee(btf, "__lbc_scratch__", name))
		return true;
	for (size_t at = 0; deleted && at < deleted->len; at += strlen(deleted->buf + at) + 1)
		if (!strcmp(deleted->buf + at, name))
			return true;
	return false;
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
		hist_shape_of(btf, m->value_type_id, &m->hs);
	}
}

/* What libbpf-tools' user space gives a map the program left unsized
 * (offcputime, profile, wakeuptime, futexctn: stack_storage_size 1024,
 * perf_max_stack_depth 127; cpudist: its hashes by pid_max, here 10240,
 * the number their headers use for MAX_ENTRIES), or what was set. */
#define DEFAULT_STACK_ENTRIES 1024
#define DEFAULT_STACK_DEPTH   127
#define DEFAULT_ENTRIES	      10240
#define DEFAULT_RINGBUF_BYTES (256u << 10)

static void map_size_apply(struct coolbpf_map *m)
{
	enum bpf_map_type t = bpf_map__type(m->map);

	if (m->kind == COOLBPF_MAP_INTERNAL)
		return;
	if (m->entries_set) {
		bpf_map__set_max_entries(m->map, m->entries_set);
	} else if (!bpf_map__max_entries(m->map) && t != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		bpf_map__set_max_entries(m->map, t == BPF_MAP_TYPE_STACK_TRACE ?
							 DEFAULT_STACK_ENTRIES :
						 t == BPF_MAP_TYPE_RINGBUF ? DEFAULT_RINGBUF_BYTES :
									     DEFAULT_ENTRIES);
		m->sized = true;
	}
	if (t == BPF_MAP_TYPE_STACK_TRACE && !bpf_map__value_size(m->map)) {
		bpf_map__set_value_size(m->map, DEFAULT_STACK_DEPTH * sizeof(__u64));
		m->sized = true;
	}
}

static void map_decoders_free(struct coolbpf_map *m)
{
	decoder_free(m->key_dec);
	decoder_free(m->value_dec);
	strbuf_release(&m->ev_json_head);
	m->key_dec = m->value_dec = NULL;
	m->dec_tried = false;
}

int map_classify(struct coolbpf_object *obj)
{
	const struct btf *btf = bpf_object__btf(obj->bpf);
	struct strbuf deleted = STRBUF_INIT;
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
		m->sized = false;
		map_size_apply(m);
	}
	if (obj->elf)
		elf_deleted_maps(obj->elf, obj->elf_sz, &deleted);
	for (i = 0; i < n; i++)
		obj->maps[i].scratch = map_is_scratch(btf, &obj->maps[i], &deleted);
	strbuf_release(&deleted);
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

bool coolbpf_map__scratch(const struct coolbpf_map *map)
{
	return map && map->scratch;
}

int coolbpf_map__set_max_entries(struct coolbpf_map *map, __u32 entries)
{
	if (!map || !entries)
		return cb_err(-EINVAL);
	if (map->obj->loaded)
		return cb_err(-EBUSY);
	map->entries_set = entries;
	map_size_apply(map);
	return 0;
}

__u32 coolbpf_map__max_entries(const struct coolbpf_map *map)
{
	return map ? bpf_map__max_entries(map->map) : 0;
}

bool coolbpf_map__sized_by_default(const struct coolbpf_map *map)
{
	return map && map->sized;
}

__u64 coolbpf_map__hist_step(const struct coolbpf_map *map)
{
	return map->hist_step;
}

/* An older lbc.h's __lbc_lost__<map> counter in .bss. Read with a lookup:
 * libbpf 1.1 maps .bss to the kernel's memory only for skeletons. */
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

/*
 * lbc.h's lost-record table (__lbc_lost_tab in .data.lbc_lost): a slot per
 * event map, known by the BTF type id of the map's definition (its VAR in
 * .maps). lost_table_prepare() writes the ids before each load; the last
 * slot gathers failures of maps without one.
 */
#define LOST_SLOTS    8 /* lbc.h's LBC_LOST_SLOTS */
#define LOST_SLOT_SZ  16
#define LOST_TAB_NAME "__lbc_lost_tab"

static __u32 maps_var_type(const struct btf *btf, const char *name)
{
	int id = btf ? btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC) : -1;
	const struct btf_type *sec = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	const struct btf_var_secinfo *vs = sec ? btf_var_secinfos(sec) : NULL;

	for (__u16 i = 0; sec && i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (var && btf_is_var(var) &&
		    !strcmp(btf__name_by_offset(btf, var->name_off), name))
			return var->type;
	}
	return 0;
}

/* The table's offset in its map's value, or -1 (an object without it). */
static long lost_table_offset(const struct btf *btf, const struct bpf_map *map)
{
	const struct btf_type *sec = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
	const struct btf_var_secinfo *vs =
		sec && btf_is_datasec(sec) ? btf_var_secinfos(sec) : NULL;

	for (__u16 i = 0; vs && i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (var && !strcmp(btf__name_by_offset(btf, var->name_off), LOST_TAB_NAME) &&
		    vs->size >= LOST_SLOTS * LOST_SLOT_SZ)
			return vs->offset;
	}
	return -1;
}

void lost_table_prepare(struct coolbpf_object *obj)
{
	const struct btf *btf = bpf_object__btf(obj->bpf);
	const void *init;
	unsigned char *data;
	int slot = 0;
	size_t sz = 0;
	long off;

	obj->lost_map = NULL;
	for (size_t i = 0; btf && i < obj->nr_maps && !obj->lost_map; i++) {
		struct bpf_map *b = obj->maps[i].map;

		if (bpf_map__is_internal(b) && lost_table_offset(btf, b) >= 0)
			obj->lost_map = b;
	}
	for (size_t i = 0; i < obj->nr_maps; i++)
		obj->maps[i].lost_slot = -1;
	if (!obj->lost_map)
		return;
	off = lost_table_offset(btf, obj->lost_map);
	init = bpf_map__initial_value(obj->lost_map, &sz);
	data = init && (size_t)off + LOST_SLOTS * LOST_SLOT_SZ <= sz ? malloc(sz) : NULL;
	if (!data) {
		obj->lost_map = NULL;
		return;
	}
	memcpy(data, init, sz);
	obj->lost_off = (size_t)off;
	for (size_t i = 0; i < obj->nr_maps && slot < LOST_SLOTS - 1; i++) {
		struct coolbpf_map *m = &obj->maps[i];
		__u32 tid;

		if (m->kind != COOLBPF_MAP_RINGBUF && m->kind != COOLBPF_MAP_PERF)
			continue;
		tid = maps_var_type(btf, bpf_map__name(m->map));
		if (!tid)
			continue;
		memcpy(data + off + (size_t)slot * LOST_SLOT_SZ, &tid, sizeof(tid));
		m->lost_slot = slot++;
	}
	if (bpf_map__set_initial_value(obj->lost_map, data, sz))
		obj->lost_map = NULL;
	free(data);
}

/* Slot's count (LOST_SLOTS - 1: the unattributed one), or 0. */
static __u64 lost_table_count(const struct coolbpf_object *obj, int slot)
{
	__u32 zero = 0, vsz;
	unsigned char *data;
	__u64 v = 0;

	if (!obj->lost_map || !obj->loaded || slot < 0)
		return 0;
	vsz = bpf_map__value_size(obj->lost_map);
	data = malloc(vsz);
	if (data && !bpf_map_lookup_elem(bpf_map__fd(obj->lost_map), &zero, data))
		memcpy(&v, data + obj->lost_off + (size_t)slot * LOST_SLOT_SZ + 8, sizeof(v));
	free(data);
	return v;
}

__u64 lost_unattributed(const struct coolbpf_object *obj)
{
	return lost_table_count(obj, LOST_SLOTS - 1);
}

__u64 coolbpf_map__lost(const struct coolbpf_map *map)
{
	__u64 n;

	if (!map || (map->kind != COOLBPF_MAP_PERF && map->kind != COOLBPF_MAP_RINGBUF))
		return 0;
	n = lost_table_count(map->obj, map->lost_slot);
	/* every failed perf output is in the table, perf's lost records too */
	if (map->kind == COOLBPF_MAP_PERF)
		return map->lost_slot >= 0 ? (n > map->perf_lost ? n : map->perf_lost) :
					     map->perf_lost;
	return n + ringbuf_lost(map); /* + an older lbc.h's per-map counter */
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

/* Arrays cannot lose keys: their values are zeroed, every CPU's for per-CPU
 * ones. Hash-like maps (and stack maps) lose every key. */
static bool map_is_array(const struct coolbpf_map *map)
{
	enum bpf_map_type t = bpf_map__type(map->map);

	return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

int coolbpf_map__clear(const struct coolbpf_map *map)
{
	__u32 ksz, vsz;
	int fd, ncpu, err = 0;
	void *key, *zero;

	if (!map || !map->obj->loaded)
		return cb_err(-EINVAL);
	if (map->kind == COOLBPF_MAP_RINGBUF || map->kind == COOLBPF_MAP_PERF ||
	    map->kind == COOLBPF_MAP_INTERNAL)
		return 0; /* nothing of theirs is kept to be cleared */
	fd = bpf_map__fd(map->map);
	ksz = bpf_map__key_size(map->map);
	vsz = bpf_map__value_size(map->map);
	ncpu = coolbpf_map__percpu(map) ? libbpf_num_possible_cpus() : 1;
	if (ncpu < 1)
		return cb_err(ncpu < 0 ? ncpu : -EINVAL);
	key = calloc(1, ksz ? ksz : 1);
	zero = calloc((size_t)ncpu, ((vsz + 7) & ~7u) ? ((vsz + 7) & ~7u) : 1);
	if (!key || !zero) {
		err = cb_err(-ENOMEM);
		goto out;
	}
	if (map_is_array(map)) {
		for (__u32 k = 0; k < bpf_map__max_entries(map->map) && !err; k++)
			if (bpf_map_update_elem(fd, &k, zero, BPF_ANY))
				err = cb_err(-errno);
		goto out;
	}
	/* always the first key, deleted: while the program adds keys this
	 * could go on, so at most twice the map's size */
	for (__u64 n = 0; n < 2ull * bpf_map__max_entries(map->map) + 1; n++) {
		if (bpf_map_get_next_key(fd, NULL, key))
			break;
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT) {
			err = cb_err(-errno);
			break;
		}
	}
out:
	if (err)
		pr_warn("map '%s': cannot clear: %s\n", bpf_map__name(map->map), strerror(-err));
	free(key);
	free(zero);
	return err;
}
