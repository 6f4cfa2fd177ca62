/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Streaming JSON writer over a strbuf (after bpftool's json_writer).
 *
 * The writer tracks nesting and separators itself: callers only say
 * begin/end, key, value. Output uses ", " and ": " as separators (the
 * shapes in DESIGN.md), on one line. Strings are always valid UTF-8:
 * '"' and '\\' are escaped, control bytes (< 0x20 and 0x7f) become
 * \u00XX, and every byte that is not part of a valid UTF-8 sequence
 * becomes \u00XX of that byte.
 *
 * Errors are sticky: after the first failure every call is a no-op and
 * jw_error() reports it (-ENOMEM: strbuf growth failed; -E2BIG: more
 * than JW_MAX_DEPTH nested containers; -EINVAL: misuse, e.g. a value in
 * an object without a key, or an end without a begin). Values written
 * at depth 0 are appended back to back (callers add newlines).
 */
#ifndef COOLBPF_JSON_H
#define COOLBPF_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

#define JW_MAX_DEPTH 64

struct jw {
	struct strbuf *sb;
	int depth;		      /* open containers */
	int err;		      /* sticky: 0, -ENOMEM, -E2BIG, -EINVAL */
	bool key_pending;	      /* a key was written, its value is next */
	unsigned long long in_object; /* bit d: container at depth d+1 is an object */
	unsigned long long has_items; /* bit d: container at depth d+1 has an item */
};

/* Appends to sb from its current end; never resets it. */
void jw_init(struct jw *w, struct strbuf *sb);
void jw_begin_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_begin_array(struct jw *w);
void jw_end_array(struct jw *w);
/* Inside an object, before each value. */
void jw_key(struct jw *w, const char *key);
void jw_string(struct jw *w, const char *s);
/* At most n bytes of s, stopping at the first NUL. */
void jw_string_len(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, long long v);
void jw_uint(struct jw *w, unsigned long long v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* An already-encoded JSON value, copied as is. */
void jw_raw(struct jw *w, const char *json);
/* 0, or the first error (-ENOMEM, -E2BIG, -EINVAL). */
int jw_error(const struct jw *w);

/* Decimal formatting shared by the writer and the text decoder: append
 * v to sb without printf. 0 or -ENOMEM. */
int strbuf_add_uint(struct strbuf *sb, unsigned long long v);
int strbuf_add_int(struct strbuf *sb, long long v);

#endif /* COOLBPF_JSON_H */
