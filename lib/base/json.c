// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON writer of base.h (after bpftool's json_writer) and decimal
 * formatting without printf, which the decoder shares. */
#include "base.h"

static const char hexdig[] = "0123456789abcdef";

int strbuf_add_uint(struct strbuf *sb, unsigned long long v)
{
	char buf[20];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return strbuf_add(sb, buf + i, sizeof(buf) - i);
}

int strbuf_add_int(struct strbuf *sb, long long v)
{
	if (v >= 0)
		return strbuf_add_uint(sb, (unsigned long long)v);
	if (strbuf_addch(sb, '-'))
		return -ENOMEM;
	/* unsigned negation is defined for LLONG_MIN too */
	return strbuf_add_uint(sb, 0ULL - (unsigned long long)v);
}

static void emit(struct jw *w, const void *data, size_t len)
{
	if (!w->err && strbuf_add(w->sb, data, len))
		w->err = -ENOMEM;
}

static void emit_ch(struct jw *w, char c)
{
	if (!w->err && strbuf_addch(w->sb, c))
		w->err = -ENOMEM;
}

void jw_init(struct jw *w, struct strbuf *sb)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
}

int jw_error(const struct jw *w)
{
	return w->err;
}

static unsigned long long depth_bit(const struct jw *w)
{
	return 1ULL << (w->depth - 1);
}

/* Separator (or the key's pending slot) before a value; false on error. */
static bool before_value(struct jw *w)
{
	unsigned long long bit;

	if (w->err)
		return false;
	if (!w->depth)
		return true;
	bit = depth_bit(w);
	if (w->in_object & bit) {
		if (!w->key_pending) {
			w->err = -EINVAL;
			return false;
		}
		w->key_pending = false;
		return true;
	}
	if (w->has_items & bit)
		emit(w, ", ", 2);
	w->has_items |= bit;
	return !w->err;
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if the byte at s does
 * not start one: overlongs, surrogates and code points past U+10FFFF are
 * invalid, as RFC 3629 says. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

#define CONT(i) (n > (i) && (s[i] & 0xc0) == 0x80)
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return CONT(1) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (!CONT(1) || !CONT(2))
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (!CONT(1) || !CONT(2) || !CONT(3))
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
#undef CONT
}

static void emit_quoted(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	if (!w->err && strbuf_grow(w->sb, n + 2))
		w->err = -ENOMEM;
	emit_ch(w, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t len = 1;
		char esc[6];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			len = utf8_len(s + i, n - i);
			if (len) {
				i += len;
				continue;
			}
		}
		emit(w, s + run, i - run);
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			emit(w, esc, 2);
		} else {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hexdig[c >> 4];
			esc[5] = hexdig[c & 0xf];
			emit(w, esc, 6);
		}
		run = ++i;
	}
	emit(w, s + run, n - run);
	emit_ch(w, '"');
}

static void begin(struct jw *w, bool object)
{
	unsigned long long bit;

	if (w->err)
		return;
	if (w->depth >= JW_MAX_DEPTH) {
		w->err = -E2BIG;
		return;
	}
	if (!before_value(w))
		return;
	w->depth++;
	bit = depth_bit(w);
	if (object)
		w->in_object |= bit;
	else
		w->in_object &= ~bit;
	w->has_items &= ~bit;
	emit_ch(w, object ? '{' : '[');
}

static void end(struct jw *w, bool object)
{
	if (w->err)
		return;
	if (!w->depth || w->key_pending || !(w->in_object & depth_bit(w)) != !object) {
		w->err = -EINVAL;
		return;
	}
	w->depth--;
	emit_ch(w, object ? '}' : ']');
}

void jw_begin_object(struct jw *w)
{
	begin(w, true);
}

void jw_end_object(struct jw *w)
{
	end(w, true);
}

void jw_begin_array(struct jw *w)
{
	begin(w, false);
}

void jw_end_array(struct jw *w)
{
	end(w, false);
}

void jw_key(struct jw *w, const char *key)
{
	unsigned long long bit;

	if (w->err)
		return;
	if (!w->depth || !(w->in_object & depth_bit(w)) || w->key_pending) {
		w->err = -EINVAL;
		return;
	}
	bit = depth_bit(w);
	if (w->has_items & bit)
		emit(w, ", ", 2);
	w->has_items |= bit;
	emit_quoted(w, key, strlen(key));
	emit(w, ": ", 2);
	w->key_pending = true;
}

void jw_string(struct jw *w, const char *s)
{
	if (before_value(w))
		emit_quoted(w, s, strlen(s));
}

void jw_string_len(struct jw *w, const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);

	if (before_value(w))
		emit_quoted(w, s, nul ? (size_t)(nul - s) : n);
}

void jw_int(struct jw *w, long long v)
{
	if (before_value(w) && strbuf_add_int(w->sb, v))
		w->err = -ENOMEM;
}

void jw_uint(struct jw *w, unsigned long long v)
{
	if (before_value(w) && strbuf_add_uint(w->sb, v))
		w->err = -ENOMEM;
}

void jw_bool(struct jw *w, bool v)
{
	if (before_value(w))
		emit(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	if (before_value(w))
		emit(w, "null", 4);
}

void jw_raw(struct jw *w, const char *json)
{
	if (before_value(w))
		emit(w, json, strlen(json));
}
