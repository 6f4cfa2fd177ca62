// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Text to bytes, the other way from decode.c: a value written by a person
 * (coolbpf run --set NAME=VALUE) parsed against the BTF type of the
 * variable it is for, and a BTF type spelled as C for the messages that
 * say what a variable takes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <bpf/btf.h>

#include "format.h"

/* Skip const, volatile, restrict and type_tag (typedefs are kept: their
 * name is what the program wrote). */
static const struct btf_type *skip_quals(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	for (int i = 0; t && i < 64 && btf_is_mod(t); i++) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t && !btf_is_mod(t) ? t : NULL;
}

/* And typedefs too: what the bytes are. */
static const struct btf_type *resolve(const struct btf *btf, __u32 *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	for (int i = 0; t && i < 64 && (btf_is_mod(t) || btf_is_typedef(t)); i++) {
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t && !btf_is_mod(t) && !btf_is_typedef(t) ? t : NULL;
}

static void type_cname(const struct btf *btf, __u32 id, struct strbuf *sb, int depth)
{
	const struct btf_type *t = skip_quals(btf, &id);
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;

	if (!t || depth > 16) {
		strbuf_addstr(sb, "?");
		return;
	}
	if (!id) {
		strbuf_addstr(sb, "void");
	} else if (btf_is_array(t)) {
		type_cname(btf, btf_array(t)->type, sb, depth + 1);
		strbuf_addf(sb, "[%u]", btf_array(t)->nelems);
	} else if (btf_is_ptr(t)) {
		type_cname(btf, t->type, sb, depth + 1);
		strbuf_addstr(sb, " *");
	} else if (btf_is_struct(t) || btf_is_union(t) || btf_is_any_enum(t) || btf_is_fwd(t)) {
		strbuf_addf(sb, "%s %s",
			    btf_is_any_enum(t) ? "enum" :
			    btf_is_union(t)    ? "union" :
						 "struct",
			    name && *name ? name : "(anonymous)");
	} else {
		strbuf_addstr(sb, name && *name ? name : "?");
	}
}

int btf_type_cname(const struct btf *btf, __u32 type_id, struct strbuf *sb)
{
	size_t len0 = sb->len;

	type_cname(btf, type_id, sb, 0);
	return sb->len > len0 ? 0 : -ENOMEM;
}

int coolbpf_type_name(const struct btf *btf, __u32 type_id, char *buf, size_t buf_sz)
{
	struct strbuf sb = STRBUF_INIT;
	int n;

	if (!btf || (!buf && buf_sz) || type_id >= btf__type_cnt(btf))
		return cb_err(-EINVAL);
	if (btf_type_cname(btf, type_id, &sb)) {
		strbuf_release(&sb);
		return cb_err(-ENOMEM);
	}
	n = (int)sb.len;
	if (buf_sz)
		strlcpy_cb(buf, strbuf_str(&sb), buf_sz);
	strbuf_release(&sb);
	return n;
}

bool value_settable(const struct btf *btf, __u32 type_id)
{
	const struct btf_type *t = resolve(btf, &type_id);

	if (!t)
		return false;
	if (btf_is_int(t) || btf_is_any_enum(t))
		return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
	if (btf_is_float(t))
		return t->size == 4 || t->size == 8;
	if (btf_is_array(t)) {
		const struct btf_type *e = resolve(btf, &(__u32){ btf_array(t)->type });

		return e && btf_is_char(btf, e) && btf_array(t)->nelems > 0;
	}
	return false;
}

static void store_int(void *out, __u32 size, __u64 v)
{
	switch (size) {
	case 1:
		*(__u8 *)out = (__u8)v;
		break;
	case 2:
		*(__u16 *)out = (__u16)v;
		break;
	case 4:
		*(__u32 *)out = (__u32)v;
		break;
	default:
		*(__u64 *)out = v;
	}
}

/* An integer of size bytes: decimal, 0x hex or 0 octal, negative only
 * for signed types, within the type's range. */
static int parse_int(const char *text, __u32 size, bool is_signed, __u64 *v, struct strbuf *why)
{
	char *end;

	errno = 0;
	if (is_signed) {
		long long min = size == 8 ? LLONG_MIN : -(1LL << (size * 8 - 1));
		long long max = size == 8 ? LLONG_MAX : (1LL << (size * 8 - 1)) - 1;
		long long x = strtoll(text, &end, 0);

		if (end == text || *end) {
			strbuf_addf(why, "'%s' is not an integer", text);
			return -EINVAL;
		}
		if (errno == ERANGE || x < min || x > max) {
			strbuf_addf(why, "%s is out of range [%lld, %lld]", text, min, max);
			return -ERANGE;
		}
		*v = (__u64)x;
		return 0;
	}
	{
		unsigned long long max = size == 8 ? ULLONG_MAX : (1ULL << (size * 8)) - 1;
		unsigned long long x;
		const char *p = text;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '-') {
			strbuf_addf(why, "%s is out of range [0, %llu] (the type is unsigned)",
				    text, max);
			return -ERANGE;
		}
		x = strtoull(text, &end, 0);
		if (end == text || *end) {
			strbuf_addf(why, "'%s' is not an integer", text);
			return -EINVAL;
		}
		if (errno == ERANGE || x > max) {
			strbuf_addf(why, "%s is out of range [0, %llu]", text, max);
			return -ERANGE;
		}
		*v = x;
		return 0;
	}
}

static int parse_bool(const char *text, __u64 *v, struct strbuf *why)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(text, yes[i]) || !strcasecmp(text, no[i])) {
			*v = !strcasecmp(text, yes[i]);
			return 0;
		}
	}
	strbuf_addf(why, "'%s' is not a bool (true, false, 1 or 0)", text);
	return -EINVAL;
}

static int parse_enum(const struct btf *btf, const struct btf_type *t, const char *text, __u64 *v,
		      struct strbuf *why)
{
	__u16 n = btf_vlen(t);
	bool is_signed = btf_kflag(t);

	for (__u16 i = 0; i < n; i++) {
		const char *name;
		__u64 val;

		if (btf_is_enum(t)) {
			name = btf__name_by_offset(btf, btf_enum(t)[i].name_off);
			val = is_signed ? (__u64)(__s64)btf_enum(t)[i].val :
					  (__u32)btf_enum(t)[i].val;
		} else {
			name = btf__name_by_offset(btf, btf_enum64(t)[i].name_off);
			val = btf_enum64_value(&btf_enum64(t)[i]);
		}
		if (name && !strcmp(name, text)) {
			*v = val;
			return 0;
		}
	}
	/* a number is taken as the value itself, as C would */
	{
		struct strbuf ignored = STRBUF_INIT;
		int err = parse_int(text, t->size, is_signed, v, &ignored);

		strbuf_release(&ignored);
		if (!err)
			return 0;
	}
	strbuf_addf(why, "'%s' is not one of its enumerators:", text);
	for (__u16 i = 0; i < n; i++)
		strbuf_addf(why, "%s %s", i ? "," : "",
			    btf__name_by_offset(btf, btf_is_enum(t) ? btf_enum(t)[i].name_off :
								      btf_enum64(t)[i].name_off));
	return -EINVAL;
}

static int parse_float(const char *text, __u32 size, void *out, struct strbuf *why)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(text, &end);
	if (end == text || *end || errno == ERANGE) {
		strbuf_addf(why, "'%s' is not a number", text);
		return -EINVAL;
	}
	if (size == 4) {
		float f = (float)d;

		memcpy(out, &f, sizeof(f));
	} else {
		memcpy(out, &d, sizeof(d));
	}
	return 0;
}

int value_parse(const struct btf *btf, __u32 type_id, const char *text, void *out, size_t size,
		struct strbuf *why)
{
	const struct btf_type *t = resolve(btf, &type_id);
	__u64 v = 0;
	int err;

	if (!t || !value_settable(btf, type_id) || btf__resolve_size(btf, type_id) != (long)size) {
		strbuf_addstr(why,
			      "only integers, enums, bools, floats and char arrays can be set");
		return -ENOTSUP;
	}
	if (btf_is_float(t))
		return parse_float(text, t->size, out, why);
	if (btf_is_array(t)) {
		size_t len = strlen(text), n = btf_array(t)->nelems;

		if (len >= n) {
			strbuf_addf(why, "'%s' is %zu bytes: the array holds %zu and a NUL", text,
				    len, n - 1);
			return -ERANGE;
		}
		memset(out, 0, size);
		memcpy(out, text, len);
		return 0;
	}
	if (btf_is_any_enum(t))
		err = parse_enum(btf, t, text, &v, why);
	else if (btf_int_encoding(t) & BTF_INT_BOOL)
		err = parse_bool(text, &v, why);
	else
		err = parse_int(text, t->size, btf_int_encoding(t) & BTF_INT_SIGNED, &v, why);
	if (!err)
		store_int(out, t->size, v);
	return err;
}
