// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A map as people read it: one event of an event map, or a whole map the
 * way coolbpf run prints it on exit (histograms, symbolized stacks,
 * key/value tables), through lib/format's decoders, cached per map.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "object.h"

void map_decoders(struct coolbpf_map *m)
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
	struct strbuf *head = &map->ev_json_head;

	map_decoders(map);
	if (fmt == COOLBPF_FMT_JSON) {
		if (!head->len) {
			struct jw w;

			jw_init(&w, head);
			strbuf_addstr(head, "{\"map\": ");
			jw_string(&w, bpf_map__name(map->map));
			if (jw_error(&w) || strbuf_addstr(head, ", \"event\": ")) {
				strbuf_release(head);
				return -ENOMEM;
			}
		}
		if (strbuf_add(sb, head->buf, head->len))
			return -ENOMEM;
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

	if (!map || (!data && size) || (!buf && buf_sz))
		return cb_err(-EINVAL);
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
	enum coolbpf_hist_kind kind = m->kind == COOLBPF_MAP_HIST2  ? COOLBPF_HIST_LOG2 :
				      m->kind == COOLBPF_MAP_HIST10 ? COOLBPF_HIST_LOG10 :
								      COOLBPF_HIST_LINEAR;
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
static void table_open(const struct coolbpf_map *m, enum coolbpf_format fmt, struct strbuf *sb,
		       struct jw *w)
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

/* One histogram of a keyed family: text "  LABEL" then the histogram
 * indented as BCC's tools print per-disk/per-CPU ones, JSON one line
 * {"map": NAME, "key": KEY, "hist": [...]}. Empty ones print nothing. */
static int keyed_hist(const char *map, const char *label_text, const char *label_json,
		      const __u64 *slots, __u32 n, const char *unit, enum coolbpf_format fmt,
		      struct strbuf *sb)
{
	bool any = false;

	for (__u32 i = 0; i < n && !any; i++)
		any = slots[i] != 0;
	if (!any)
		return 0;
	if (fmt == COOLBPF_FMT_TEXT && label_text)
		strbuf_addf(sb, "  %s\n", label_text);
	return hist_append_key(sb, map, fmt == COOLBPF_FMT_JSON ? label_json : NULL, slots, n,
			       COOLBPF_HIST_LOG2, 0, unit, fmt);
}

/* The members of a hist-shaped struct other than slots ("comm=bash"). */
static void hist_extras(const struct btf *btf, const struct hist_shape *hs, const void *val,
			struct strbuf *sb)
{
	const struct btf_type *t = btf__type_by_id(btf, hs->type_id);
	const struct btf_member *m = btf_members(t);

	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		struct decoder *d;

		if (!strcmp(name, "slots") || btf_member_bitfield_size(t, i))
			continue;
		d = decoder_new(btf, m->type);
		if (!d)
			continue;
		strbuf_addf(sb, " %s=", name);
		decoder_append(d, (const char *)val + btf_member_bit_offset(t, i) / 8,
			       decoder_type_size(d), COOLBPF_FMT_TEXT, sb);
		decoder_free(d);
	}
}

static const char *unit_for(const struct coolbpf_map *m, const char *unit, const char *name,
			    __u32 type_id)
{
	const char *u = unit ? unit : hist_unit_of(bpf_object__btf(m->obj->bpf), name, type_id);

	return u ? u : "value";
}

/* A map of struct hist { slots[] } values: one log2 histogram per key
 * (per disk, CPU, pid...), per-CPU values summed. */
static int dump_keyed_hists(struct coolbpf_map *m, enum coolbpf_format fmt, const char *unit,
			    struct strbuf *sb)
{
	const struct btf *btf = bpf_object__btf(m->obj->bpf);
	bool percpu = coolbpf_map__percpu(m);
	int ncpu = percpu ? libbpf_num_possible_cpus() : 1, fd = bpf_map__fd(m->map), err = 0;
	__u32 ksz = bpf_map__key_size(m->map), vsz = bpf_map__value_size(m->map);
	size_t stride = percpu ? ((vsz + 7) & ~7u) : vsz;
	void *key = calloc(1, ksz ? ksz : 1), *next = calloc(1, ksz ? ksz : 1);
	void *val = calloc((size_t)(ncpu > 0 ? ncpu : 1), stride ? stride : 1);
	__u64 *slots = calloc(m->hs.n, sizeof(*slots));
	struct strbuf lt = STRBUF_INIT, lj = STRBUF_INIT;
	bool first = true;

	if (!key || !next || !val || !slots) {
		err = cb_err(-ENOMEM);
		goto out;
	}
	map_decoders(m);
	unit = unit_for(m, unit, bpf_map__name(m->map), m->value_type_id);
	if (fmt == COOLBPF_FMT_TEXT)
		strbuf_addf(sb, "%s:\n", bpf_map__name(m->map));
	while (!err && bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, ksz);
		if (bpf_map_lookup_elem(fd, key, val))
			continue;
		memset(slots, 0, m->hs.n * sizeof(*slots));
		for (int c = 0; c < ncpu; c++)
			hist_shape_add(&m->hs, (const char *)val + (size_t)c * stride, slots);
		strbuf_setlen(&lt, 0);
		strbuf_setlen(&lj, 0);
		append_value(m->key_dec, key, ksz, COOLBPF_FMT_TEXT, &lt);
		if (btf)
			hist_extras(btf, &m->hs, val, &lt);
		append_value(m->key_dec, key, ksz, COOLBPF_FMT_JSON, &lj);
		err = keyed_hist(bpf_map__name(m->map), strbuf_str(&lt), strbuf_str(&lj), slots,
				 m->hs.n, unit, fmt, sb);
	}
out:
	strbuf_release(&lt);
	strbuf_release(&lj);
	free(key);
	free(next);
	free(val);
	free(slots);
	return err;
}

/* A global of .bss/.data: one histogram, one per element of an array of
 * them, or its value as an entry of the section's table. */
static int dump_global(struct coolbpf_map *m, const struct btf *btf, const char *name, __u32 tid,
		       const char *data, size_t size, enum coolbpf_format fmt, const char *unit,
		       struct strbuf *sb, struct strbuf *hists, struct jw *w, bool *opened)
{
	const struct btf_type *t = btf__type_by_id(btf, tid);
	struct hist_shape hs;
	struct decoder *d;
	__u32 elem = 0, n = 1;
	char lab[160];
	int err = 0;

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_array(t)) {
		elem = btf_array(t)->type;
		n = btf_array(t)->nelems;
	}
	if (hist_shape_of(btf, elem ? elem : tid, &hs)) {
		size_t esz = n ? size / n : 0;
		__u64 *slots = calloc(hs.n, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		unit = unit_for(m, unit, name, hs.type_id);
		for (__u32 i = 0; !err && i < n && (size_t)(i + 1) * esz <= size; i++) {
			memset(slots, 0, hs.n * sizeof(*slots));
			hist_shape_add(&hs, data + (size_t)i * esz, slots);
			if (elem)
				snprintf(lab, sizeof(lab), "%s[%u]", name, i);
			else
				snprintf(lab, sizeof(lab), "%s", name);
			err = keyed_hist(name, lab, NULL, slots, hs.n, unit, fmt, hists);
		}
		free(slots);
		return err;
	}
	d = decoder_new(btf, tid);
	if (!d)
		return 0;
	if (!*opened) {
		table_open(m, fmt, sb, w);
		*opened = true;
	}
	if (fmt == COOLBPF_FMT_JSON) {
		jw_begin_object(w);
		jw_key(w, "key");
		jw_string(w, name);
		jw_key(w, "value");
		jw_raw(w, "");
		decoder_append(d, data, size, fmt, sb);
		jw_end_object(w);
	} else {
		strbuf_addf(sb, "  %s => ", name);
		decoder_append(d, data, size, fmt, sb);
		strbuf_addch(sb, '\n');
	}
	decoder_free(d);
	return 0;
}

/* The results programs keep in .bss and .data globals (libbpf-tools'
 * softirqs, runqlen...): every variable but lbc.h's own. */
static int dump_globals(struct coolbpf_map *m, enum coolbpf_format fmt, const char *unit,
			struct strbuf *sb)
{
	const struct btf *btf = bpf_object__btf(m->obj->bpf);
	const char *name = bpf_map__name(m->map), *dot = strrchr(name, '.');
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	__u32 vsz = bpf_map__value_size(m->map), zero = 0;
	struct strbuf hists = STRBUF_INIT; /* after the table: JSON cannot nest them */
	bool opened = false;
	char *data = NULL;
	struct jw w;
	int id, err = 0;

	if (!btf || !dot || (strcmp(dot, ".bss") && strcmp(dot, ".data")))
		return 0;
	id = btf__find_by_name_kind(btf, dot, BTF_KIND_DATASEC);
	if (id <= 0)
		return 0;
	sec = btf__type_by_id(btf, (__u32)id);
	data = malloc(vsz ? vsz : 1);
	if (!data)
		return cb_err(-ENOMEM);
	if (bpf_map_lookup_elem(bpf_map__fd(m->map), &zero, data))
		goto out;
	vs = btf_var_secinfos(sec);
	for (__u16 i = 0; !err && i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);
		const char *vn = var ? btf__name_by_offset(btf, var->name_off) : "";

		if (!var || !btf_is_var(var) || str_has_prefix(vn, "__lbc_") ||
		    vs->offset + vs->size > vsz)
			continue;
		err = dump_global(m, btf, vn, var->type, data + vs->offset, vs->size, fmt, unit, sb,
				  &hists, &w, &opened);
	}
	if (opened)
		table_close(fmt, sb, &w);
	if (!err && hists.len)
		err = strbuf_add(sb, hists.buf, hists.len);
out:
	strbuf_release(&hists);
	free(data);
	return err ? cb_err(err) : 0;
}

int map_dump_append(struct coolbpf_map *m, enum coolbpf_format fmt, const char *unit,
		    struct strbuf *sb)
{
	if (!m->obj->loaded)
		return cb_err(-EINVAL);
	if (m->kind == COOLBPF_MAP_PLAIN && m->hs.ok)
		return dump_keyed_hists(m, fmt, unit, sb);
	if (m->kind == COOLBPF_MAP_INTERNAL)
		return dump_globals(m, fmt, unit, sb);
	switch (m->kind) {
	case COOLBPF_MAP_HIST2:
	case COOLBPF_MAP_HIST10:
	case COOLBPF_MAP_HISTLIN:
		return dump_hist(m, fmt, sb);
	case COOLBPF_MAP_STACK:
		/* its stacks print with the counts of the map keyed by their ids */
		return map_stacks_consumed(m) ? 0 : dump_stack(m, fmt, sb);
	case COOLBPF_MAP_PLAIN: {
		int err = map_stacks_append(m, fmt, sb);

		return err == -EOPNOTSUPP ? dump_plain(m, fmt, sb) : err;
	}
	default:
		return 0; /* event and internal maps have nothing to show */
	}
}

int coolbpf_map__dump(struct coolbpf_map *map, enum coolbpf_format fmt, FILE *out)
{
	struct strbuf sb = STRBUF_INIT;
	int err;

	if (!map || !out)
		return cb_err(-EINVAL);
	err = map_dump_append(map, fmt, NULL, &sb);

	if (sb.len && fwrite(sb.buf, 1, sb.len, out) != sb.len && !err)
		err = cb_err(-EIO);
	strbuf_release(&sb);
	return err;
}

/* public buffers and formats ------------------------------------------ */

void buf_borrow(struct coolbpf_buf *b, struct strbuf *sb)
{
	sb->buf = b->data;
	sb->len = b->len;
	sb->alloc = b->cap;
}

int buf_return(struct coolbpf_buf *b, struct strbuf *sb, int err)
{
	b->data = sb->buf;
	b->len = sb->len;
	b->cap = sb->alloc;
	return err ? cb_err(err) : 0;
}

int coolbpf_buf__append(struct coolbpf_buf *buf, const void *data, size_t len)
{
	struct strbuf sb;

	if (!buf || (!data && len))
		return cb_err(-EINVAL);
	buf_borrow(buf, &sb);
	return buf_return(buf, &sb, strbuf_add(&sb, data, len));
}

int coolbpf_buf__printf(struct coolbpf_buf *buf, const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;
	int err;

	if (!buf || !fmt)
		return cb_err(-EINVAL);
	buf_borrow(buf, &sb);
	va_start(ap, fmt);
	err = strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return buf_return(buf, &sb, err);
}

int coolbpf_buf__json_string(struct coolbpf_buf *buf, const char *s)
{
	struct strbuf sb;
	struct jw w;

	if (!buf || !s)
		return cb_err(-EINVAL);
	buf_borrow(buf, &sb);
	jw_init(&w, &sb);
	jw_string(&w, s);
	return buf_return(buf, &sb, jw_error(&w));
}

void coolbpf_buf__reset(struct coolbpf_buf *buf)
{
	if (!buf)
		return;
	buf->len = 0;
	if (buf->data)
		buf->data[0] = '\0';
}

void coolbpf_buf__release(struct coolbpf_buf *buf)
{
	if (!buf)
		return;
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

static int format_fmt(const struct coolbpf_format_opts *opts, enum coolbpf_format *fmt,
		      const char **time)
{
	if (!OPTS_VALID(opts, coolbpf_format_opts))
		return cb_err(-EINVAL);
	*fmt = OPTS_GET(opts, fmt, COOLBPF_FMT_TEXT);
	*time = OPTS_GET(opts, time, NULL);
	return *fmt == COOLBPF_FMT_TEXT || *fmt == COOLBPF_FMT_JSON ? 0 : cb_err(-EINVAL);
}

/* The time stamp of coolbpf_format_opts on what was appended from len0:
 * "time": T first in every JSON object (one per line, each starting with
 * '{'), or "T " before a text event. */
static int stamp(struct strbuf *sb, size_t len0, enum coolbpf_format fmt, bool event,
		 const char *time)
{
	struct strbuf member = STRBUF_INIT;
	size_t count = 0, src, dst;
	bool json = fmt == COOLBPF_FMT_JSON;
	struct jw w;
	int err = 0;

	if (!time || sb->len == len0 || (!json && !event))
		return 0;
	if (!json) {
		err |= strbuf_addf(&member, "%s ", time);
	} else {
		err |= strbuf_addstr(&member, "\"time\": ");
		jw_init(&w, &member);
		jw_string(&w, time);
		err |= jw_error(&w);
		err |= strbuf_addstr(&member, ", ");
	}
	/* only what this call appended is rewritten, in place: a caller's
	 * buffer of many events is not copied once per event */
	for (const char *p = sb->buf + len0, *end = sb->buf + sb->len; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		count += !json || *p == '{';
		p = nl ? nl + 1 : NULL;
	}
	if (err || strbuf_grow(sb, count * member.len)) {
		strbuf_release(&member);
		return -ENOMEM;
	}
	src = sb->len;
	dst = sb->len + count * member.len;
	sb->len = dst;
	while (src > len0) {
		const char *nl = memrchr(sb->buf + len0, '\n', src - 1 - len0);
		size_t start = nl ? (size_t)(nl - sb->buf) + 1 : len0, len = src - start;
		bool mark = !json || sb->buf[start] == '{';
		size_t keep = mark && json ? 1 : 0; /* the '{' stays first */

		memmove(sb->buf + dst - (len - keep), sb->buf + start + keep, len - keep);
		dst -= len - keep;
		if (mark) {
			dst -= member.len;
			memcpy(sb->buf + dst, member.buf, member.len);
		}
		if (keep)
			sb->buf[--dst] = '{';
		src = start;
	}
	sb->buf[sb->len] = '\0';
	strbuf_release(&member);
	return 0;
}

int coolbpf_map__format_event(struct coolbpf_map *map, const void *data, size_t size,
			      const struct coolbpf_format_opts *opts, struct coolbpf_buf *out)
{
	enum coolbpf_format fmt;
	const char *time;
	struct strbuf sb;
	size_t len0;
	int err;

	if (!map || !out || (!data && size))
		return cb_err(-EINVAL);
	err = format_fmt(opts, &fmt, &time);
	if (err)
		return err;
	buf_borrow(out, &sb);
	len0 = sb.len;
	err = map_event_append(map, data, size, fmt, &sb);
	if (!err)
		err = stamp(&sb, len0, fmt, true, time);
	if (err && sb.buf)
		strbuf_setlen(&sb, len0);
	return buf_return(out, &sb, err);
}

int coolbpf_map__format(struct coolbpf_map *map, const struct coolbpf_format_opts *opts,
			struct coolbpf_buf *out)
{
	enum coolbpf_format fmt;
	const char *time;
	struct strbuf sb;
	size_t len0;
	int err;

	if (!map || !out)
		return cb_err(-EINVAL);
	err = format_fmt(opts, &fmt, &time);
	if (err)
		return err;
	buf_borrow(out, &sb);
	len0 = sb.len;
	err = map_dump_append(map, fmt, OPTS_GET(opts, unit, NULL), &sb);
	if (!err)
		err = stamp(&sb, len0, fmt, false, time);
	if (err && sb.buf)
		strbuf_setlen(&sb, len0);
	return buf_return(out, &sb, err);
}
