// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Histograms as BCC prints them (print_log2_hist), or as JSON rows. */
#include <stdio.h>

#include <bpf/btf.h>

#include "format.h"

#define STARS_MAX 40

/* [low, high] counted by bucket i (lbc.h's bucket functions), or -ERANGE
 * when the scale has no such bucket. */
static int bucket_range(enum coolbpf_hist_kind kind, __u64 step, unsigned int i, __u64 *low,
			__u64 *high)
{
	__u64 p10 = 1;
	unsigned int k;

	switch (kind) {
	case COOLBPF_HIST_LOG2:
		if (i >= 64)
			return -ERANGE;
		*low = i ? 1ULL << i : 0;
		*high = i == 63 ? UINT64_MAX : (1ULL << (i + 1)) - 1;
		return 0;
	case COOLBPF_HIST_LOG10:
		if (i >= 20)
			return -ERANGE;
		for (k = 0; k < i; k++)
			p10 *= 10;
		*low = i ? p10 : 0;
		*high = i == 19 ? UINT64_MAX : p10 * 10 - 1;
		return 0;
	case COOLBPF_HIST_LINEAR:
		if (i && step > UINT64_MAX / i)
			return -ERANGE;
		*low = i * step;
		*high = step > UINT64_MAX - *low ? UINT64_MAX : *low + step - 1;
		return 0;
	}
	return -EINVAL;
}

int hist_bucket_range(enum coolbpf_hist_kind kind, __u64 step, unsigned int i, __u64 *low,
		      __u64 *high)
{
	return bucket_range(kind, step, i, low, high);
}

static int add_stars(struct strbuf *sb, __u64 val, __u64 val_max, unsigned int width)
{
	unsigned int stars = (unsigned int)((unsigned __int128)val * width / val_max);
	char bar[STARS_MAX + 2];

	memset(bar, ' ', width);
	memset(bar, '*', stars);
	bar[width] = '|';
	return strbuf_add(sb, bar, width + 1);
}

/* BCC's print_log2_hist: its narrow layout while every bound fits in 10
 * digits (log2 buckets up to 32), else the wide one with half the stars. */
static int hist_text(struct strbuf *sb, const __u64 *slots, unsigned int first, unsigned int last,
		     __u64 val_max, enum coolbpf_hist_kind kind, __u64 step, const char *val_type)
{
	__u64 low, high;
	bool narrow;
	unsigned int i;
	int width, err;

	err = bucket_range(kind, step, last, &low, &high);
	if (err)
		return err;
	narrow = high < 10000000000ULL;
	width = narrow ? 10 : 20;
	err = strbuf_addf(sb, "%*s%-*s : count    distribution\n", narrow ? 5 : 15, "",
			  narrow ? 19 : 29, val_type);
	for (i = first; !err && i <= last; i++) {
		bucket_range(kind, step, i, &low, &high);
		err = strbuf_addf(sb, "%*llu -> %-*llu : %-8llu |", width, (unsigned long long)low,
				  width, (unsigned long long)high, (unsigned long long)slots[i]);
		if (!err)
			err = add_stars(sb, slots[i], val_max, narrow ? STARS_MAX : STARS_MAX / 2);
		if (!err)
			err = strbuf_addch(sb, '\n');
	}
	return err;
}

static int hist_json(struct strbuf *sb, const char *name, const char *key_json, const __u64 *slots,
		     int first, int last, enum coolbpf_hist_kind kind, __u64 step)
{
	__u64 low, high;
	struct jw w;
	int i, err;

	jw_init(&w, sb);
	jw_begin_object(&w);
	jw_key(&w, "map");
	jw_string(&w, name ? name : "");
	if (key_json) {
		jw_key(&w, "key");
		jw_raw(&w, key_json);
	}
	jw_key(&w, "hist");
	jw_begin_array(&w);
	for (i = first; i >= 0 && i <= last; i++) {
		err = bucket_range(kind, step, (unsigned int)i, &low, &high);
		if (err)
			return err;
		jw_begin_object(&w);
		jw_key(&w, "low");
		jw_uint(&w, low);
		jw_key(&w, "high");
		jw_uint(&w, high);
		jw_key(&w, "count");
		jw_uint(&w, slots[i]);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_end_object(&w);
	err = jw_error(&w);
	return err ? err : strbuf_addch(sb, '\n');
}

int hist_append(struct strbuf *sb, const char *name, const __u64 *slots, unsigned nr,
		enum coolbpf_hist_kind kind, __u64 step, const char *val_type,
		enum coolbpf_format fmt)
{
	return hist_append_key(sb, name, NULL, slots, nr, kind, step, val_type, fmt);
}

int hist_append_key(struct strbuf *sb, const char *name, const char *key_json, const __u64 *slots,
		    unsigned nr, enum coolbpf_hist_kind kind, __u64 step, const char *val_type,
		    enum coolbpf_format fmt)
{
	size_t old_len = sb->len;
	int first = -1, last = -1, err;
	__u64 val_max = 0;
	unsigned int i;

	if ((!slots && nr) || nr > INT32_MAX || (kind == COOLBPF_HIST_LINEAR && !step))
		return cb_err(-EINVAL);
	for (i = 0; i < nr; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = (int)i;
		last = (int)i;
		if (slots[i] > val_max)
			val_max = slots[i];
	}
	if (fmt == COOLBPF_FMT_JSON)
		err = hist_json(sb, name, key_json, slots, first, last, kind, step);
	else if (first < 0)
		err = 0;
	else
		err = hist_text(sb, slots, (unsigned int)first, (unsigned int)last, val_max, kind,
				step, val_type ? val_type : "value");
	if (err) {
		strbuf_setlen(sb, old_len);
		return cb_err(err);
	}
	return 0;
}

int coolbpf_hist_print(FILE *out, const char *name, const __u64 *slots, unsigned int nr_slots,
		       enum coolbpf_hist_kind kind, __u64 step, const char *val_type,
		       enum coolbpf_format fmt)
{
	struct strbuf sb = STRBUF_INIT;
	int err;

	if (!out)
		return cb_err(-EINVAL);
	err = hist_append(&sb, name, slots, nr_slots, kind, step, val_type, fmt);
	if (!err && sb.len && (fwrite(sb.buf, 1, sb.len, out) != sb.len))
		err = cb_err(-EIO);
	strbuf_release(&sb);
	return err;
}

/* Histograms into a caller's buffer, for bindings that cannot hand the
 * library a FILE * (the Python binding prints through sys.stdout). */
int coolbpf_hist_format(char *buf, size_t buf_sz, const char *name, const __u64 *slots,
			unsigned int nr_slots, enum coolbpf_hist_kind kind, __u64 step,
			const char *val_type, enum coolbpf_format fmt)
{
	struct strbuf sb = STRBUF_INIT;
	int err;

	if (!buf && buf_sz)
		return cb_err(-EINVAL);
	err = hist_append(&sb, name, slots, nr_slots, kind, step, val_type, fmt);
	if (!err && sb.len > INT32_MAX)
		err = cb_err(-E2BIG);
	if (!err && buf_sz) {
		size_t n = sb.len < buf_sz - 1 ? sb.len : buf_sz - 1;

		memcpy(buf, strbuf_str(&sb), n);
		buf[n] = '\0';
	}
	if (!err)
		err = (int)sb.len;
	strbuf_release(&sb);
	return err;
}

/* ---- histograms by shape: libbpf-tools' struct hist { __u32 slots[N]; } */

static const struct btf_type *skip_mods(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	for (int i = 0; t && i < 16 && (btf_is_typedef(t) || btf_is_mod(t)); i++) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

bool hist_shape_of(const struct btf *btf, __u32 id, struct hist_shape *hs)
{
	const struct btf_type *t = btf && id ? skip_mods(btf, &id) : NULL;
	const struct btf_member *m;

	memset(hs, 0, sizeof(*hs));
	if (!t || !btf_is_struct(t))
		return false;
	m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		__u32 aid = m->type, eid;
		const struct btf_type *a = skip_mods(btf, &aid), *e;
		const struct btf_array *arr;

		if (strcmp(btf__name_by_offset(btf, m->name_off), "slots") || !a ||
		    !btf_is_array(a))
			continue;
		arr = btf_array(a);
		eid = arr->type;
		e = skip_mods(btf, &eid);
		if (!e || !btf_is_int(e) || arr->nelems < 16 || arr->nelems > 64 ||
		    (e->size != 4 && e->size != 8) || btf_member_bitfield_size(t, i) ||
		    btf_member_bit_offset(t, i) % 8)
			return false;
		hs->ok = true;
		hs->off = btf_member_bit_offset(t, i) / 8;
		hs->n = arr->nelems;
		hs->elsz = e->size;
		hs->type_id = id;
		return true;
	}
	return false;
}

void hist_shape_add(const struct hist_shape *hs, const void *val, __u64 *slots)
{
	const unsigned char *p = (const unsigned char *)val + hs->off;

	for (__u32 i = 0; i < hs->n; i++) {
		if (hs->elsz == 8) {
			__u64 v;

			memcpy(&v, p + (size_t)i * 8, 8);
			slots[i] += v;
		} else {
			__u32 v;

			memcpy(&v, p + (size_t)i * 4, 4);
			slots[i] += v;
		}
	}
}

const char *hist_unit_of(const struct btf *btf, const char *name, __u32 type_id)
{
	static const char *const units[] = { "usecs", "nsecs", "msecs" };
	const struct btf_type *t = btf && type_id ? skip_mods(btf, &type_id) : NULL;

	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (name && strstr(name, units[u]))
			return units[u];
		for (__u16 i = 0; t && btf_is_composite(t) && i < btf_vlen(t); i++)
			if (strstr(btf__name_by_offset(btf, btf_members(t)[i].name_off), units[u]))
				return units[u];
	}
	return NULL;
}
