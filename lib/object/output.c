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
	err = map_dump_append(map, fmt, &sb);

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
	struct strbuf out = STRBUF_INIT, member = STRBUF_INIT;
	struct jw w;
	int err = 0;

	if (!time || sb->len == len0 || (fmt == COOLBPF_FMT_TEXT && !event))
		return 0;
	if (fmt == COOLBPF_FMT_TEXT) {
		err |= strbuf_addf(&member, "%s ", time);
	} else {
		err |= strbuf_addstr(&member, "\"time\": ");
		jw_init(&w, &member);
		jw_string(&w, time);
		err |= jw_error(&w);
		err |= strbuf_addstr(&member, ", ");
	}
	err |= strbuf_add(&out, sb->buf, len0);
	for (size_t i = len0; i < sb->len && !err; i++) {
		bool line_start = i == len0 || sb->buf[i - 1] == '\n';

		if (line_start && fmt == COOLBPF_FMT_TEXT)
			err |= strbuf_add(&out, member.buf, member.len);
		err |= strbuf_addch(&out, sb->buf[i]);
		if (line_start && fmt == COOLBPF_FMT_JSON && sb->buf[i] == '{')
			err |= strbuf_add(&out, member.buf, member.len);
	}
	strbuf_release(&member);
	if (err) {
		strbuf_release(&out);
		return -ENOMEM;
	}
	strbuf_release(sb);
	*sb = out;
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
	err = map_dump_append(map, fmt, &sb);
	if (!err)
		err = stamp(&sb, len0, fmt, false, time);
	if (err && sb.buf)
		strbuf_setlen(&sb, len0);
	return buf_return(out, &sb, err);
}
