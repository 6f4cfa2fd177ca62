// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Maps as Prometheus metrics (the text exposition format 0.0.4): a map
 * counting per key is a counter with the key's members as labels, named
 * by BTF; a histogram map is a histogram. Read at each scrape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "object.h"

#define MAX_FIELDS 32

/* A key member as a label, or a value member as a counter. */
struct field {
	char name[64];
	__u32 off, size;
	const struct btf_type *t; /* resolved: int, enum, char array or other */
	__u32 type_id;
	struct decoder *dec; /* for "other" */
};

struct metric_plan {
	const struct btf *btf;
	struct field keys[MAX_FIELDS], vals[MAX_FIELDS];
	int nr_keys, nr_vals;
};

/* [a-zA-Z_:][a-zA-Z0-9_:]*: anything else becomes '_' */
static void metric_name_add(struct strbuf *sb, const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  c == ':' || (i && c >= '0' && c <= '9') ||
			  (sb->len && c >= '0' && c <= '9');

		strbuf_addch(sb, ok ? c : '_');
	}
}

static void label_value_add(struct strbuf *sb, const char *s, size_t len)
{
	for (size_t i = 0; i < len && s[i]; i++) {
		if (s[i] == '\\' || s[i] == '"')
			strbuf_addch(sb, '\\');
		if (s[i] == '\n')
			strbuf_addstr(sb, "\\n");
		else
			strbuf_addch(sb, s[i]);
	}
}

static const struct btf_type *resolved(const struct btf *btf, __u32 id, __u32 *rid)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (rid)
		*rid = id;
	return t;
}

static bool is_counter(const struct btf_type *t)
{
	return t && btf_is_int(t) && t->size <= 8 && !(btf_int_encoding(t) & BTF_INT_BOOL);
}

/* The members of a struct type id (or the type itself, as name) as fields. */
static int fields_of(const struct btf *btf, __u32 id, const char *name, struct field *f, int max)
{
	const struct btf_type *t = resolved(btf, id, NULL);
	const struct btf_member *m;
	int n = 0;

	if (!t)
		return 0;
	if (!btf_is_struct(t)) {
		snprintf(f[0].name, sizeof(f[0].name), "%s", name);
		f[0].off = 0;
		f[0].type_id = id;
		f[0].t = resolved(btf, id, &f[0].type_id);
		f[0].size = (__u32)btf__resolve_size(btf, id);
		return 1;
	}
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t) && n < max; i++, m++) {
		__u32 off = btf_member_bit_offset(t, i);
		const char *mn = btf__name_by_offset(btf, m->name_off);
		long sz = btf__resolve_size(btf, m->type);

		/* bitfields, anonymous members and "__" names (reserved by
		 * Prometheus, and padding by habit): left out */
		if (off % 8 || btf_member_bitfield_size(t, i) || !mn || !mn[0] ||
		    !strncmp(mn, "__", 2) || sz <= 0)
			continue;
		snprintf(f[n].name, sizeof(f[n].name), "%s", mn);
		f[n].off = off / 8;
		f[n].size = (__u32)sz;
		f[n].t = resolved(btf, m->type, &f[n].type_id);
		n++;
	}
	return n;
}

static bool is_char_array(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_type *e;

	if (!t || !btf_is_array(t))
		return false;
	e = resolved(btf, btf_array(t)->type, NULL);
	return e && btf_is_int(e) && e->size == 1;
}

static __u64 uint_at(const void *p, __u32 sz)
{
	__u64 v = 0;

	memcpy(&v, p, sz);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v >>= 8 * (8 - sz);
#endif
	return v;
}

static void label_add(const struct metric_plan *mp, struct field *f, const void *key,
		      struct strbuf *sb)
{
	const char *p = (const char *)key + f->off;
	const struct btf_type *t = f->t;

	if (t && btf_is_int(t) && t->size <= 8) {
		__u64 v = uint_at(p, t->size);

		if ((btf_int_encoding(t) & BTF_INT_SIGNED) && t->size < 8 &&
		    (v >> (t->size * 8 - 1)) & 1)
			v |= ~0ULL << (t->size * 8);
		if (btf_int_encoding(t) & BTF_INT_SIGNED)
			strbuf_addf(sb, "%lld", (long long)v);
		else
			strbuf_addf(sb, "%llu", (unsigned long long)v);
	} else if (t && btf_is_enum(t) && t->size <= 8) {
		__u64 v = uint_at(p, t->size);
		const struct btf_enum *e = btf_enum(t);

		for (__u16 i = 0; i < btf_vlen(t); i++, e++) {
			if ((__u32)v == (__u32)e->val) {
				strbuf_addstr(sb, btf__name_by_offset(mp->btf, e->name_off));
				return;
			}
		}
		strbuf_addf(sb, "%llu", (unsigned long long)v);
	} else if (is_char_array(mp->btf, t)) {
		label_value_add(sb, p, f->size);
	} else {
		struct strbuf txt = STRBUF_INIT;

		if (!f->dec)
			f->dec = decoder_new(mp->btf, f->type_id);
		if (f->dec)
			decoder_append(f->dec, p, f->size, COOLBPF_FMT_TEXT, &txt);
		else
			decode_hex_append(p, f->size, COOLBPF_FMT_TEXT, &txt);
		label_value_add(sb, strbuf_str(&txt), txt.len);
		strbuf_release(&txt);
	}
}

static void labels_add(struct metric_plan *mp, const void *key, struct strbuf *sb)
{
	if (!mp->nr_keys)
		return;
	strbuf_addch(sb, '{');
	for (int i = 0; i < mp->nr_keys; i++) {
		strbuf_addstr(sb, i ? "," : "");
		metric_name_add(sb, mp->keys[i].name);
		strbuf_addstr(sb, "=\"");
		label_add(mp, &mp->keys[i], key, sb);
		strbuf_addch(sb, '"');
	}
	strbuf_addch(sb, '}');
}

static void family_name(struct strbuf *sb, const char *prefix, const char *map, const char *member)
{
	if (prefix && prefix[0]) {
		metric_name_add(sb, prefix);
		strbuf_addch(sb, '_');
	}
	metric_name_add(sb, map);
	if (member) {
		strbuf_addch(sb, '_');
		metric_name_add(sb, member);
	}
}

/* ---- counters ------------------------------------------------------- */

static int counters_append(struct coolbpf_map *m, const char *prefix, struct strbuf *sb)
{
	struct metric_plan mp = { .btf = bpf_object__btf(m->obj->bpf) };
	bool percpu = coolbpf_map__percpu(m);
	int ncpu = percpu ? libbpf_num_possible_cpus() : 1, fd = bpf_map__fd(m->map);
	__u32 ksz = bpf_map__key_size(m->map), vsz = bpf_map__value_size(m->map);
	size_t stride = percpu ? ((vsz + 7) & ~7u) : vsz;
	void *keys = NULL, *vals = NULL;
	size_t nr = 0, cap = 0;
	int err = 0;

	if (!mp.btf || !m->key_type_id || !m->value_type_id || ncpu <= 0)
		return 0;
	mp.nr_keys = fields_of(mp.btf, m->key_type_id, "key", mp.keys, MAX_FIELDS);
	mp.nr_vals = fields_of(mp.btf, m->value_type_id, "", mp.vals, MAX_FIELDS);
	/* only integer values count something */
	for (int i = 0; i < mp.nr_vals; i++)
		if (!is_counter(mp.vals[i].t))
			mp.vals[i--] = mp.vals[--mp.nr_vals];
	if (!mp.nr_vals)
		goto out;
	/* every key and its values summed over the CPUs, read once */
	for (void *prev = NULL;; nr++) {
		void *a, *b, *val;

		if (nr == cap) {
			cap = cap ? cap * 2 : 64;
			a = realloc(keys, cap * ksz);
			b = a ? realloc(vals, cap * (size_t)mp.nr_vals * 8) : NULL;
			if (a)
				keys = a;
			if (b)
				vals = b;
			if (!a || !b) {
				err = -ENOMEM;
				goto out;
			}
		}
		if (bpf_map_get_next_key(fd, prev, (char *)keys + nr * ksz))
			break;
		prev = (char *)keys + nr * ksz;
		val = calloc((size_t)ncpu, stride);
		if (!val) {
			err = -ENOMEM;
			goto out;
		}
		if (bpf_map_lookup_elem(fd, prev, val)) {
			free(val);
			nr--; /* deleted since */
			continue;
		}
		for (int v = 0; v < mp.nr_vals; v++) {
			__u64 sum = 0;

			for (int c = 0; c < ncpu; c++)
				sum += uint_at((char *)val + (size_t)c * stride + mp.vals[v].off,
					       mp.vals[v].t->size);
			((__u64 *)vals)[nr * (size_t)mp.nr_vals + (size_t)v] = sum;
		}
		free(val);
	}
	for (int v = 0; v < mp.nr_vals; v++) {
		struct strbuf name = STRBUF_INIT;

		family_name(&name, prefix, bpf_map__name(m->map),
			    mp.vals[v].name[0] ? mp.vals[v].name : NULL);
		strbuf_addstr(&name, "_total");
		strbuf_addf(sb, "# HELP %s map %s of %s\n# TYPE %s counter\n", strbuf_str(&name),
			    bpf_map__name(m->map), m->obj->name, strbuf_str(&name));
		for (size_t i = 0; i < nr; i++) {
			strbuf_addstr(sb, strbuf_str(&name));
			labels_add(&mp, (char *)keys + i * ksz, sb);
			strbuf_addf(sb, " %llu\n",
				    (unsigned long long)((
					    __u64 *)vals)[i * (size_t)mp.nr_vals + (size_t)v]);
		}
		strbuf_release(&name);
	}
out:
	for (int i = 0; i < mp.nr_keys; i++)
		decoder_free(mp.keys[i].dec);
	free(keys);
	free(vals);
	return err;
}

/* ---- histograms ----------------------------------------------------- */

static int hist_metrics_append(struct coolbpf_map *m, const char *prefix, struct strbuf *sb)
{
	enum coolbpf_hist_kind kind = m->kind == COOLBPF_MAP_HIST2  ? COOLBPF_HIST_LOG2 :
				      m->kind == COOLBPF_MAP_HIST10 ? COOLBPF_HIST_LOG10 :
								      COOLBPF_HIST_LINEAR;
	__u32 n = bpf_map__max_entries(m->map), last = 0;
	struct strbuf name = STRBUF_INIT;
	__u64 cum = 0, low, high, *slots = calloc(n ? n : 1, sizeof(*slots));
	double sum = 0;

	if (!slots)
		return -ENOMEM;
	for (__u32 k = 0; k < n; k++) {
		bpf_map_lookup_elem(bpf_map__fd(m->map), &k, &slots[k]);
		last = slots[k] ? k : last;
	}
	family_name(&name, prefix, bpf_map__name(m->map), NULL);
	strbuf_addf(sb, "# HELP %s histogram %s of %s\n# TYPE %s histogram\n", strbuf_str(&name),
		    bpf_map__name(m->map), m->obj->name, strbuf_str(&name));
	/* buckets up to the highest that counted anything (a log2 scale has
	 * 64), then +Inf's; the last linear bucket is open-ended: +Inf's */
	for (__u32 k = 0; k < n && !hist_bucket_range(kind, m->hist_step, k, &low, &high); k++) {
		cum += slots[k];
		/* the map keeps counts only: the sum is estimated from the
		 * middle of each bucket (the last linear one: its start) */
		sum += (double)slots[k] * (k + 1 == n && kind == COOLBPF_HIST_LINEAR ?
						   (double)low :
						   ((double)low + (double)high) / 2);
		if (k <= last && k + 1 < n && high != UINT64_MAX)
			strbuf_addf(sb, "%s_bucket{le=\"%llu\"} %llu\n", strbuf_str(&name),
				    (unsigned long long)high, (unsigned long long)cum);
	}
	free(slots);
	strbuf_addf(sb, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.17g\n%s_count %llu\n",
		    strbuf_str(&name), (unsigned long long)cum, strbuf_str(&name), sum,
		    strbuf_str(&name), (unsigned long long)cum);
	strbuf_release(&name);
	return 0;
}

int coolbpf_map__format_metrics(struct coolbpf_map *map, const struct coolbpf_metrics_opts *opts,
				struct coolbpf_buf *out)
{
	const char *prefix;
	struct strbuf sb;
	size_t len0;
	int err = 0;

	if (!map || !out || !OPTS_VALID(opts, coolbpf_metrics_opts))
		return cb_err(-EINVAL);
	if (!map->obj->loaded)
		return cb_err(-EINVAL);
	prefix = OPTS_GET(opts, prefix, NULL);
	if (!prefix)
		prefix = map->obj->name;
	buf_borrow(out, &sb);
	len0 = sb.len;
	switch (map->kind) {
	case COOLBPF_MAP_HIST2:
	case COOLBPF_MAP_HIST10:
	case COOLBPF_MAP_HISTLIN:
		err = hist_metrics_append(map, prefix, &sb);
		break;
	case COOLBPF_MAP_PLAIN:
		/* stacks would be one series per stack: not metrics */
		if (!map_is_stack_count(map))
			err = counters_append(map, prefix, &sb);
		break;
	default:
		break;
	}
	if (err && sb.buf)
		strbuf_setlen(&sb, len0);
	return buf_return(out, &sb, err);
}
