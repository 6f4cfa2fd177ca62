// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* BTF-driven decoding: BTF built with libbpf's btf__add_*(), known bytes
 * in, exact text and JSON out. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <jansson.h>

#include <bpf/btf.h>

#include "format/format.h"

static struct btf *btf;
static struct strbuf out = STRBUF_INIT;
/* common types, added by setup() */
static int t_s8, t_s16, t_int, t_s64, t_u8, t_u16, t_u32, t_u64, t_char, t_bool;

static int setup(void **state)
{
	(void)state;
	btf = btf__new_empty();
	assert_non_null(btf);
	t_s8 = btf__add_int(btf, "s8", 1, BTF_INT_SIGNED);
	t_s16 = btf__add_int(btf, "short", 2, BTF_INT_SIGNED);
	t_int = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	t_s64 = btf__add_int(btf, "long long", 8, BTF_INT_SIGNED);
	t_u8 = btf__add_int(btf, "unsigned char", 1, 0);
	t_u16 = btf__add_int(btf, "unsigned short", 2, 0);
	t_u32 = btf__add_int(btf, "unsigned int", 4, 0);
	t_u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	t_char = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	t_bool = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	assert_true(t_bool > 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	btf__free(btf);
	btf = NULL;
	strbuf_release(&out);
	return 0;
}

static void assert_valid_json(const char *s)
{
	json_error_t jerr;
	json_t *v = json_loads(s, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);

	if (!v)
		fail_msg("invalid JSON '%s': %s", s, jerr.text);
	json_decref(v);
}

/* Decode with a fresh plan; JSON is also checked by a real parser and
 * coolbpf_decode() (the cached public path) must agree. */
static const char *decode(int id, const void *data, size_t size, enum coolbpf_format fmt)
{
	struct decoder *d = decoder_new(btf, (__u32)id);
	char small[8];
	char *copy;
	int n;

	if (!d)
		fail_msg("decoder_new(%d): %s", id, strerror(errno));
	strbuf_reset(&out);
	assert_int_equal(decoder_append(d, data, size, fmt, &out), 0);
	if (fmt == COOLBPF_FMT_JSON) {
		/* an event of the full size takes the flat plan, the JSON
		 * writer's decoder_json() the tree walk: both say the same */
		struct strbuf walk = STRBUF_INIT;
		struct jw w;

		jw_init(&w, &walk);
		assert_int_equal(decoder_json(d, data, size, &w), 0);
		assert_string_equal(strbuf_str(&walk), strbuf_str(&out));
		strbuf_release(&walk);
	}
	decoder_free(d);
	if (fmt != COOLBPF_FMT_TEXT)
		assert_valid_json(strbuf_str(&out));

	copy = calloc(1, out.len + 1);
	assert_non_null(copy);
	n = coolbpf_decode(btf, (__u32)id, data, size, fmt, copy, out.len + 1);
	assert_int_equal(n, (int)out.len);
	assert_string_equal(copy, strbuf_str(&out));
	free(copy);
	/* snprintf semantics: truncated, terminated, full length returned */
	n = coolbpf_decode(btf, (__u32)id, data, size, fmt, small, sizeof(small));
	assert_int_equal(n, (int)out.len);
	assert_int_equal(strlen(small), out.len < sizeof(small) ? out.len : sizeof(small) - 1);
	return strbuf_str(&out);
}

#define TEXT(id, v) decode(id, &(v), sizeof(v), COOLBPF_FMT_TEXT)
#define JSON(id, v) decode(id, &(v), sizeof(v), COOLBPF_FMT_JSON)
#define RAW(id, v)  decode(id, &(v), sizeof(v), COOLBPF_FMT_JSON_RAW)

/* struct NAME with the C layout of TYPE: fields added by the caller */
#define ADD_STRUCT(NAME, TYPE) btf__add_struct(btf, NAME, sizeof(TYPE))
#define FIELD(TYPE, F, T)      assert_int_equal(btf__add_field(btf, #F, T, offsetof(TYPE, F) * 8, 0), 0)

struct ints {
	__s8 a;
	__s16 b;
	__s32 c;
	__s64 d;
	__u8 e;
	__u16 f;
	__u32 g;
	__u64 h;
};

static int add_ints(void)
{
	int id = ADD_STRUCT("ints", struct ints);

	FIELD(struct ints, a, t_s8);
	FIELD(struct ints, b, t_s16);
	FIELD(struct ints, c, t_int);
	FIELD(struct ints, d, t_s64);
	FIELD(struct ints, e, t_u8);
	FIELD(struct ints, f, t_u16);
	FIELD(struct ints, g, t_u32);
	FIELD(struct ints, h, t_u64);
	return id;
}

static void test_ints_negative_and_max_each_width(void **state)
{
	struct ints v = { -1, -2, -3, LLONG_MIN, 255, 65535, UINT32_MAX, UINT64_MAX };
	struct ints lo = { -128, -32768, INT32_MIN, -5, 0, 0, 0, 0 };
	int id = add_ints();

	(void)state;
	assert_string_equal(TEXT(id, v), "a=-1 b=-2 c=-3 d=-9223372036854775808 e=255 f=65535 "
					 "g=4294967295 h=18446744073709551615");
	assert_string_equal(JSON(id, v),
			    "{\"a\": -1, \"b\": -2, \"c\": -3, \"d\": -9223372036854775808, "
			    "\"e\": 255, \"f\": 65535, \"g\": 4294967295, "
			    "\"h\": 18446744073709551615}");
	assert_string_equal(TEXT(id, lo), "a=-128 b=-32768 c=-2147483648 d=-5 e=0 f=0 g=0 h=0");
}

static void test_top_level_scalar_is_just_the_value(void **state)
{
	__s32 v = -42;
	__u8 b = 1;

	(void)state;
	assert_string_equal(TEXT(t_int, v), "-42");
	assert_string_equal(JSON(t_int, v), "-42");
	assert_string_equal(TEXT(t_bool, b), "true");
	assert_string_equal(JSON(t_bool, b), "true");
}

struct misc {
	__u8 on;
	__u8 off;
	char c;
	unsigned __int128 big;
	void *ptr;
	void *null;
};

static void test_bool_char_int128_pointer(void **state)
{
	struct misc v = { .on = 1, .off = 0, .c = 'A' };
	int i128 = btf__add_int(btf, "unsigned __int128", 16, 0);
	int pvoid = btf__add_ptr(btf, 0);
	int id = ADD_STRUCT("misc", struct misc);

	(void)state;
	FIELD(struct misc, on, t_bool);
	FIELD(struct misc, off, t_bool);
	FIELD(struct misc, c, t_char);
	FIELD(struct misc, big, i128);
	FIELD(struct misc, ptr, pvoid);
	FIELD(struct misc, null, pvoid);
	v.big = ((unsigned __int128)0x0102030405060708ULL << 64) | 0x090a0b0c0d0e0f10ULL;
	v.ptr = (void *)(uintptr_t)0xffff888012345678ULL;
	assert_string_equal(TEXT(id, v),
			    "on=true off=false c=65 big=0x102030405060708090a0b0c0d0e0f10 "
			    "ptr=0xffff888012345678 null=0x0");
	assert_string_equal(JSON(id, v), "{\"on\": true, \"off\": false, \"c\": 65, "
					 "\"big\": \"0x102030405060708090a0b0c0d0e0f10\", "
					 "\"ptr\": \"0xffff888012345678\", \"null\": \"0x0\"}");
}

struct strs {
	char comm[8];
	char spaced[8];
	char ctl[8];
	char utf8[8];
	char empty[4];
	char full[4];
	unsigned char bytes[4];
	signed char schar[4];
};

static void test_char_arrays_are_strings_u8_arrays_lists(void **state)
{
	struct strs v = {
		.comm = "bash",
		.spaced = "a b\"c",
		.ctl = "a\tb\x01\xff\n",
		.utf8 = "\xc3\xa9t\xc3\xa9",
		.empty = "",
		.full = { 'a', 'b', 'c', 'd' },
		.bytes = { 1, 2, 0, 255 },
		.schar = "ok",
	};
	int c8 = btf__add_array(btf, t_u32, t_char, 8);
	int c4 = btf__add_array(btf, t_u32, t_char, 4);
	int u4 = btf__add_array(btf, t_u32, t_u8, 4);
	int s4 = btf__add_array(btf, t_u32, btf__add_int(btf, "signed char", 1, BTF_INT_SIGNED), 4);
	int id = ADD_STRUCT("strs", struct strs);

	(void)state;
	FIELD(struct strs, comm, c8);
	FIELD(struct strs, spaced, c8);
	FIELD(struct strs, ctl, c8);
	FIELD(struct strs, utf8, c8);
	FIELD(struct strs, empty, c4);
	FIELD(struct strs, full, c4);
	FIELD(struct strs, bytes, u4);
	FIELD(struct strs, schar, s4);
	assert_string_equal(TEXT(id, v), "comm=bash spaced=\"a b\\\"c\" ctl=\"a\\tb\\x01\\xff\\n\" "
					 "utf8=\"\\xc3\\xa9t\\xc3\\xa9\" empty=\"\" full=abcd "
					 "bytes=[1, 2, 0, 255] schar=ok");
	assert_string_equal(JSON(id, v), "{\"comm\": \"bash\", \"spaced\": \"a b\\\"c\", "
					 "\"ctl\": \"a\\u0009b\\u0001\\u00ff\\u000a\", "
					 "\"utf8\": \"\xc3\xa9t\xc3\xa9\", \"empty\": \"\", "
					 "\"full\": \"abcd\", \"bytes\": [1, 2, 0, 255], "
					 "\"schar\": \"ok\"}");
	/* the original pylcc's bytes: one code point a byte, UTF-8 or not */
	assert_string_equal(RAW(id, v), "{\"comm\": {\"\": \"bash\"}, "
					"\"spaced\": {\"\": \"a b\\u0022c\"}, "
					"\"ctl\": {\"\": \"a\\u0009b\\u0001\\u00ff\\u000a\"}, "
					"\"utf8\": {\"\": \"\\u00c3\\u00a9t\\u00c3\\u00a9\"}, "
					"\"empty\": {\"\": \"\"}, \"full\": {\"\": \"abcd\"}, "
					"\"bytes\": [1, 2, 0, 255], \"schar\": {\"\": \"ok\"}}");
}

struct multi {
	char argv[16];
	char plain[16];
	char junk[8];
	char full[12];
	unsigned __int128 addr;
	__u16 family;
};

/* execsnoop's argv (NUL-separated, then NULs) joined by spaces; a string
 * with other bytes after its NUL stays one string; a 16-byte integer
 * beside a "family" of AF_INET6 is that address */
static void test_multi_strings_and_addresses_by_family(void **state)
{
	struct multi v = {
		.argv = "ls\0-l\0/tmp",
		.plain = "plain\0\0\x01junk",
		.junk = "ab\0c\x01d",
		.full = { 'o', 'n', 'e', 0, 't', 'w', 'o', 'o', 'o', 'o', 'o', 'o' },
		.family = 10,
	};
	int c16 = btf__add_array(btf, t_u32, t_char, 16);
	int c8 = btf__add_array(btf, t_u32, t_char, 8);
	int c12 = btf__add_array(btf, t_u32, t_char, 12);
	int i128 = btf__add_int(btf, "unsigned __int128", 16, 0);
	int id = ADD_STRUCT("multi", struct multi);

	(void)state;
	FIELD(struct multi, argv, c16);
	FIELD(struct multi, plain, c16);
	FIELD(struct multi, junk, c8);
	FIELD(struct multi, full, c12);
	FIELD(struct multi, addr, i128);
	FIELD(struct multi, family, t_u16);
	((unsigned char *)&v.addr)[15] = 1;
	assert_string_equal(TEXT(id, v), "argv=\"ls -l /tmp\" plain=plain junk=ab "
					 "full=\"one twoooooo\" addr=::1 family=10");
	v.family = 2;
	((unsigned char *)&v.addr)[0] = 10;
	((unsigned char *)&v.addr)[3] = 7;
	assert_string_equal(JSON(id, v), "{\"argv\": \"ls -l /tmp\", \"plain\": \"plain\", "
					 "\"junk\": \"ab\", \"full\": \"one twoooooo\", "
					 "\"addr\": \"10.0.0.7\", \"family\": 2}");
}

struct sock_ev {
	__u32 pid;
	__u16 family;
	unsigned __int128 saddr;
	unsigned __int128 daddr;
};

struct outer_ev {
	unsigned __int128 raw; /* no family beside it: a hex number */
	struct sock_ev sk;
	struct sock_ev pair[2];
};

/* A struct with a family member stays on the flat plan (its addresses by
 * the family read from each event), and says what the walk says: the
 * family is the struct's own, not an enclosing one's */
static void test_family_struct_takes_flat_plan_same_as_walk(void **state)
{
	struct outer_ev v = { 0 };
	int i128 = btf__add_int(btf, "unsigned __int128", 16, 0);
	int sk = ADD_STRUCT("sock_ev", struct sock_ev), id, arr;
	struct decoder *d;

	(void)state;
	FIELD(struct sock_ev, pid, t_u32);
	FIELD(struct sock_ev, family, t_u16);
	FIELD(struct sock_ev, saddr, i128);
	FIELD(struct sock_ev, daddr, i128);
	arr = btf__add_array(btf, t_u32, sk, 2);
	id = ADD_STRUCT("outer_ev", struct outer_ev);
	FIELD(struct outer_ev, raw, i128);
	FIELD(struct outer_ev, sk, sk);
	FIELD(struct outer_ev, pair, arr);
	d = decoder_new(btf, (__u32)id);
	assert_non_null(d);
	assert_true(decoder_has_flat(d, COOLBPF_FMT_TEXT));
	assert_true(decoder_has_flat(d, COOLBPF_FMT_JSON));
	decoder_free(d);

	((unsigned char *)&v.raw)[0] = 1;
	v.sk.pid = 7;
	v.sk.family = 2;
	memcpy(&v.sk.saddr, "\x7f\0\0\x01", 4);
	memcpy(&v.sk.daddr, "\x0a\0\0\x07", 4);
	v.pair[0].family = 10;
	((unsigned char *)&v.pair[0].saddr)[15] = 1;
	v.pair[1].family = 0; /* neither: hex numbers */
	((unsigned char *)&v.pair[1].saddr)[0] = 0xff;
	/* JSON() also runs the walk (decoder_json) and compares */
	assert_string_equal(
		JSON(id, v),
		"{\"raw\": \"0x1\", \"sk\": {\"pid\": 7, \"family\": 2, \"saddr\": \"127.0.0.1\", "
		"\"daddr\": \"10.0.0.7\"}, \"pair\": [{\"pid\": 0, \"family\": 10, "
		"\"saddr\": \"::1\", \"daddr\": \"::\"}, {\"pid\": 0, \"family\": 0, "
		"\"saddr\": \"0xff\", \"daddr\": \"0x0\"}]}");
	assert_string_equal(TEXT(id, v),
			    "raw=0x1 sk={pid=7 family=2 saddr=127.0.0.1 daddr=10.0.0.7} "
			    "pair=[{pid=0 family=10 saddr=::1 daddr=::}, "
			    "{pid=0 family=0 saddr=0xff daddr=0x0}]");
	/* the same struct on its own, family changing event by event */
	v.sk.family = 10;
	assert_string_equal(JSON(sk, v.sk), "{\"pid\": 7, \"family\": 10, \"saddr\": \"7f00:1::\", "
					    "\"daddr\": \"a00:7::\"}");
}

static void test_char_by_encoding_and_through_typedef_const(void **state)
{
	char v[6] = "x=y";
	int enc_char = btf__add_int(btf, "u8_char", 1, BTF_INT_CHAR);
	int tdef = btf__add_typedef(btf, "mychar", btf__add_const(btf, t_char));
	int a1 = btf__add_array(btf, t_u32, enc_char, sizeof(v));
	int a2 = btf__add_typedef(btf, "name_t", btf__add_array(btf, t_u32, tdef, sizeof(v)));

	(void)state;
	assert_string_equal(TEXT(a1, v), "x=y");
	assert_string_equal(JSON(a2, v), "\"x=y\"");
}

static void test_modifiers_and_type_tag_resolved(void **state)
{
	__u32 v = 7;
	int id = btf__add_typedef(
		btf, "u32_t",
		btf__add_const(btf, btf__add_volatile(btf, btf__add_type_tag(btf, "user", t_u32))));

	(void)state;
	assert_true(id > 0);
	assert_string_equal(TEXT(id, v), "7");
	assert_string_equal(JSON(id, v), "7");
}

struct inner {
	__s32 a;
	__s32 b;
};
struct outer {
	struct inner in;
	struct inner arr[2];
	__s32 m[2][3];
	char names[2][4];
};

static void test_nested_structs_arrays_of_structs_multidim(void **state)
{
	struct outer v = {
		{ 1, 2 }, { { 3, 4 }, { 5, -6 } }, { { 1, 2, 3 }, { 4, 5, 6 } }, { "ab", "c d" }
	};
	int in = ADD_STRUCT("inner", struct inner);
	int arr, m, names, id;

	(void)state;
	FIELD(struct inner, a, t_int);
	FIELD(struct inner, b, t_int);
	arr = btf__add_array(btf, t_u32, in, 2);
	m = btf__add_array(btf, t_u32, btf__add_array(btf, t_u32, t_int, 3), 2);
	names = btf__add_array(btf, t_u32, btf__add_array(btf, t_u32, t_char, 4), 2);
	id = ADD_STRUCT("outer", struct outer);
	FIELD(struct outer, in, in);
	FIELD(struct outer, arr, arr);
	FIELD(struct outer, m, m);
	FIELD(struct outer, names, names);
	assert_string_equal(TEXT(id, v), "in={a=1 b=2} arr=[{a=3 b=4}, {a=5 b=-6}] "
					 "m=[[1, 2, 3], [4, 5, 6]] names=[ab, \"c d\"]");
	assert_string_equal(JSON(id, v),
			    "{\"in\": {\"a\": 1, \"b\": 2}, "
			    "\"arr\": [{\"a\": 3, \"b\": 4}, {\"a\": 5, \"b\": -6}], "
			    "\"m\": [[1, 2, 3], [4, 5, 6]], \"names\": [\"ab\", \"c d\"]}");
	/* a top-level array */
	assert_string_equal(TEXT(arr, v.arr), "[{a=3 b=4}, {a=5 b=-6}]");
}

union un {
	__u32 x;
	__u8 b[4];
};

static void test_union_prints_every_member(void **state)
{
	union un v = { .x = 0x01020304 };
	int b = btf__add_array(btf, t_u32, t_u8, 4);
	int id = btf__add_union(btf, "un", sizeof(v));

	(void)state;
	FIELD(union un, x, t_u32);
	FIELD(union un, b, b);
	assert_string_equal(TEXT(id, v), "x=16909060 b=[4, 3, 2, 1]");
	assert_string_equal(JSON(id, v), "{\"x\": 16909060, \"b\": [4, 3, 2, 1]}");
}

struct anon {
	__s32 a;
	union {
		__s32 b;
		__u32 c;
	};
	struct {
		__s16 d;
		struct {
			__s16 e;
		};
	};
};

static void test_anonymous_members_flattened(void **state)
{
	struct anon v = { .a = 1, .b = -2, .d = 3, .e = 4 };
	int u = btf__add_union(btf, NULL, 4);
	int s, s2, id;

	(void)state;
	assert_int_equal(btf__add_field(btf, "b", t_int, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "c", t_u32, 0, 0), 0);
	s2 = btf__add_struct(btf, NULL, 2);
	assert_int_equal(btf__add_field(btf, "e", t_s16, 0, 0), 0);
	s = btf__add_struct(btf, NULL, 4);
	assert_int_equal(btf__add_field(btf, "d", t_s16, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, NULL, s2, 16, 0), 0);
	id = ADD_STRUCT("anon", struct anon);
	FIELD(struct anon, a, t_int);
	assert_int_equal(btf__add_field(btf, NULL, u, offsetof(struct anon, b) * 8, 0), 0);
	assert_int_equal(btf__add_field(btf, NULL, s, offsetof(struct anon, d) * 8, 0), 0);
	assert_string_equal(TEXT(id, v), "a=1 b=-2 c=4294967294 d=3 e=4");
	assert_string_equal(JSON(id, v), "{\"a\": 1, \"b\": -2, \"c\": 4294967294, \"d\": 3, "
					 "\"e\": 4}");
}

static int add_enum(void)
{
	int id = btf__add_enum(btf, "state", 4);

	btf__add_enum_value(btf, "RUNNING", 0);
	btf__add_enum_value(btf, "SLEEPING", 1);
	btf__add_enum_value(btf, "ALIAS_SLEEPING", 1);
	btf__add_enum_value(btf, "DEAD", -1);
	return id;
}

static void test_enum_by_name_unknown_as_number(void **state)
{
	__s32 v[4] = { 1, 0, -1, 7 };
	int e = add_enum();
	int arr = btf__add_array(btf, t_u32, e, 4);

	(void)state;
	assert_string_equal(TEXT(arr, v), "[SLEEPING, RUNNING, DEAD, 7]");
	assert_string_equal(JSON(arr, v), "[\"SLEEPING\", \"RUNNING\", \"DEAD\", 7]");
	assert_string_equal(RAW(arr, v), "[1, 0, -1, 7]");
	v[0] = -5;
	assert_string_equal(TEXT(e, v[0]), "-5");
}

static void test_enum64_and_unsigned_enum(void **state)
{
	__u64 v[3] = { 1ULL << 40, UINT64_MAX, 3 };
	__u8 small = 200;
	int e64 = btf__add_enum64(btf, "big", 8, false);
	int e8, arr;

	(void)state;
	btf__add_enum64_value(btf, "TERA", 1ULL << 40);
	btf__add_enum64_value(btf, "ALL", UINT64_MAX);
	arr = btf__add_array(btf, t_u32, e64, 3);
	e8 = btf__add_enum(btf, "small", 1);
	btf__add_enum_value(btf, "TWO_HUNDRED", 200);
	assert_string_equal(TEXT(arr, v), "[TERA, ALL, 3]");
	assert_string_equal(JSON(arr, v), "[\"TERA\", \"ALL\", 3]");
	assert_string_equal(JSON(e8, small), "\"TWO_HUNDRED\"");
}

struct bits {
	__u32 a : 3;
	__s32 b : 5;
	__u32 c : 24;
	__u8 d;
	__s64 e : 40;
	__u64 f : 1;
	__u32 g : 2; /* enum state */
	__u8 h : 1;  /* bool */
};

/* Bit offset of a bitfield as this compiler lays it out (little endian):
 * set the field to 1 in a zeroed struct and find the bit. */
#define BIT_OFFSET(TYPE, F)                  \
	({                                   \
		TYPE _z;                     \
		memset(&_z, 0, sizeof(_z));  \
		_z.F = 1;                    \
		lowest_bit(&_z, sizeof(_z)); \
	})

static __u32 lowest_bit(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return (__u32)(i * 8 + (size_t)__builtin_ctz(b[i]));
	fail_msg("field not found");
	return 0;
}

/* A pre-kflag BTF bitfield type: the width lives in the int itself. */
static int legacy_int(const char *name, int size, int enc, int bits)
{
	int id = btf__add_int(btf, name, size, enc);
	struct btf_type *t = (struct btf_type *)btf__type_by_id(btf, id);

	*(__u32 *)(t + 1) =
		((__u32)enc << 24) | (__u32)bits /* BTF_INT_ENCODING, _OFFSET 0, _BITS */;
	return id;
}

/* libbpf only adds kflag structs with bitfields: rewrite one as pre-kflag
 * BTF, member offsets in plain bits and kflag clear. */
static void make_legacy(int id)
{
	struct btf_type *t = (struct btf_type *)btf__type_by_id(btf, id);
	struct btf_member *m = btf_members(t);
	__u16 i;

	for (i = 0; i < btf_vlen(t); i++)
		m[i].offset = btf_member_bit_offset(t, i);
	t->info &= ~(1U << 31);
}

/* The same C struct as kflag=1 BTF (width in the member) and as kflag=0
 * BTF (width in the int type); offsets are the compiler's own. */
static void check_bits(bool kflag)
{
	struct bits v;
	int e = add_enum();
	int l3 = kflag ? 0 : legacy_int("u32:3", 4, 0, 3);
	int l5 = kflag ? 0 : legacy_int("s32:5", 4, BTF_INT_SIGNED, 5);
	int l24 = kflag ? 0 : legacy_int("u32:24", 4, 0, 24);
	int l40 = kflag ? 0 : legacy_int("s64:40", 8, BTF_INT_SIGNED, 40);
	int l1 = kflag ? 0 : legacy_int("u64:1", 8, 0, 1);
	int id = btf__add_struct(btf, kflag ? "bits" : "bits_legacy", sizeof(v));

#define BF(F, KTYPE, LTYPE, W) \
	assert_int_equal(      \
		btf__add_field(btf, #F, kflag ? KTYPE : LTYPE, BIT_OFFSET(struct bits, F), W), 0)
	memset(&v, 0, sizeof(v));
	v.a = 5;
	v.b = -3;
	v.c = 0xabcdef;
	v.d = 200;
	v.e = -549755813888LL; /* -2^39, the minimum of 40 bits */
	v.f = 1;
	v.g = 1;
	v.h = 1;
	BF(a, t_u32, l3, 3);
	BF(b, t_int, l5, 5);
	BF(c, t_u32, l24, 24);
	assert_int_equal(btf__add_field(btf, "d", t_u8, offsetof(struct bits, d) * 8, 0), 0);
	BF(e, t_s64, l40, 40);
	BF(f, t_u64, l1, 1);
	if (kflag) {
		/* enum and bool bitfields exist only with kflag */
		BF(g, e, 0, 2);
		BF(h, t_bool, 0, 1);
		assert_true(btf_kflag(btf__type_by_id(btf, id)));
		assert_string_equal(TEXT(id, v), "a=5 b=-3 c=11259375 d=200 e=-549755813888 f=1 "
						 "g=SLEEPING h=true");
		assert_string_equal(JSON(id, v),
				    "{\"a\": 5, \"b\": -3, \"c\": 11259375, \"d\": 200, "
				    "\"e\": -549755813888, \"f\": 1, "
				    "\"g\": \"SLEEPING\", \"h\": true}");
	} else {
		make_legacy(id);
		assert_false(btf_kflag(btf__type_by_id(btf, id)));
		assert_string_equal(TEXT(id, v), "a=5 b=-3 c=11259375 d=200 e=-549755813888 f=1");
	}
#undef BF
}

static void test_bitfields_kflag(void **state)
{
	(void)state;
	check_bits(true);
}

static void test_bitfields_legacy_int_encoding(void **state)
{
	(void)state;
	check_bits(false);
}

struct __attribute__((packed)) straddle {
	__u8 a : 4;
	__u64 b : 63;
	__s8 c : 5;
};

static void test_bitfield_straddling_nine_bytes(void **state)
{
	struct straddle v;
	int id = btf__add_struct(btf, "straddle", sizeof(v));

	(void)state;
	memset(&v, 0, sizeof(v));
	v.a = 0xf;
	v.b = 0x7fffffffffffffffULL - 1;
	v.c = -16;
	assert_int_equal(btf__add_field(btf, "a", t_u8, BIT_OFFSET(struct straddle, a), 4), 0);
	assert_int_equal(btf__add_field(btf, "b", t_u64, BIT_OFFSET(struct straddle, b), 63), 0);
	assert_int_equal(btf__add_field(btf, "c", t_s8, BIT_OFFSET(struct straddle, c), 5), 0);
	assert_int_equal(BIT_OFFSET(struct straddle, c), 67);
	assert_string_equal(TEXT(id, v), "a=15 b=9223372036854775806 c=-16");
}

struct floats {
	float f;
	double d;
	double tiny;
	double nan;
	double inf;
};

static void test_floats_shortest_roundtrip_nonfinite(void **state)
{
	struct floats v = { 1.5f, 0.1, -2e-300, NAN, -INFINITY };
	int fl = btf__add_float(btf, "float", 4);
	int db = btf__add_float(btf, "double", 8);
	int id = ADD_STRUCT("floats", struct floats);

	(void)state;
	FIELD(struct floats, f, fl);
	FIELD(struct floats, d, db);
	FIELD(struct floats, tiny, db);
	FIELD(struct floats, nan, db);
	FIELD(struct floats, inf, db);
	assert_string_equal(TEXT(id, v), "f=1.5 d=0.1 tiny=-2e-300 nan=nan inf=-inf");
	assert_string_equal(JSON(id, v), "{\"f\": 1.5, \"d\": 0.1, \"tiny\": -2e-300, "
					 "\"nan\": null, \"inf\": null}");
}

struct trunc {
	__s32 a;
	__s32 b;
	char s[8];
	__s32 arr[4];
};

static void test_truncated_input_omits_what_is_missing(void **state)
{
	struct trunc v = { 1, 2, "abcdefg", { 10, 20, 30, 40 } };
	int str = btf__add_array(btf, t_u32, t_char, 8);
	int arr = btf__add_array(btf, t_u32, t_int, 4);
	int id = ADD_STRUCT("trunc", struct trunc);
	__s32 i = 5;

	(void)state;
	FIELD(struct trunc, a, t_int);
	FIELD(struct trunc, b, t_int);
	FIELD(struct trunc, s, str);
	FIELD(struct trunc, arr, arr);
	assert_string_equal(decode(id, &v, 6, COOLBPF_FMT_TEXT), "a=1");
	assert_string_equal(decode(id, &v, 6, COOLBPF_FMT_JSON), "{\"a\": 1}");
	assert_string_equal(decode(id, &v, 12, COOLBPF_FMT_TEXT), "a=1 b=2 s=abcd");
	assert_string_equal(decode(id, &v, 30, COOLBPF_FMT_JSON),
			    "{\"a\": 1, \"b\": 2, \"s\": \"abcdefg\", \"arr\": [10, 20, 30]}");
	assert_string_equal(decode(id, &v, 0, COOLBPF_FMT_JSON), "{}");
	assert_string_equal(decode(t_int, &i, 3, COOLBPF_FMT_JSON), "null");
	assert_string_equal(decode(t_int, &i, 3, COOLBPF_FMT_TEXT), "");
}

static void test_datasec_decodes_its_variables(void **state)
{
	struct {
		__u64 count;
		char tag[4];
	} v = { 3, "on" };
	int cnt = btf__add_var(btf, "count", BTF_VAR_GLOBAL_ALLOCATED, t_u64);
	int tag = btf__add_var(btf, "tag", BTF_VAR_GLOBAL_ALLOCATED,
			       btf__add_array(btf, t_u32, t_char, 4));
	int sec = btf__add_datasec(btf, ".bss", sizeof(v));

	(void)state;
	assert_int_equal(btf__add_datasec_var_info(btf, cnt, 0, 8), 0);
	assert_int_equal(btf__add_datasec_var_info(btf, tag, 8, 4), 0);
	assert_string_equal(TEXT(sec, v), "count=3 tag=on");
}

static void test_undecodable_types_fail_with_errno(void **state)
{
	int proto = btf__add_func_proto(btf, t_int);
	int fwd = btf__add_fwd(btf, "opaque", BTF_FWD_STRUCT);
	char buf[8];

	(void)state;
	errno = 0;
	assert_null(decoder_new(btf, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(decoder_new(btf, (__u32)proto));
	assert_int_equal(errno, EINVAL);
	assert_null(decoder_new(btf, (__u32)fwd));
	assert_int_equal(errno, EINVAL);
	assert_null(decoder_new(btf, 100000));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(coolbpf_decode(btf, (__u32)proto, buf, 1, COOLBPF_FMT_TEXT, buf, 8),
			 -EINVAL);
}

static void test_nesting_too_deep_is_e2big(void **state)
{
	int id = t_int, i;

	(void)state;
	for (i = 0; i < 70; i++) {
		id = btf__add_struct(btf, NULL, 4);
		assert_int_equal(btf__add_field(btf, "x", i ? id - 1 : t_int, 0, 0), 0);
	}
	errno = 0;
	assert_null(decoder_new(btf, (__u32)id));
	assert_int_equal(errno, E2BIG);
}

static void test_hex_fallback(void **state)
{
	static const unsigned char bytes[] = { 0x0a, 0x0b, 0xff };

	(void)state;
	strbuf_reset(&out);
	assert_int_equal(decode_hex_append(bytes, sizeof(bytes), COOLBPF_FMT_TEXT, &out), 0);
	assert_string_equal(strbuf_str(&out), "0a 0b ff");
	strbuf_reset(&out);
	assert_int_equal(decode_hex_append(bytes, sizeof(bytes), COOLBPF_FMT_JSON, &out), 0);
	assert_string_equal(strbuf_str(&out), "\"0a0bff\"");
	strbuf_reset(&out);
	assert_int_equal(decode_hex_append(bytes, 0, COOLBPF_FMT_JSON, &out), 0);
	assert_string_equal(strbuf_str(&out), "\"\"");
}

static void test_decoder_outlives_btf_and_appends(void **state)
{
	struct ints v = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int id = add_ints();
	struct decoder *d = decoder_new(btf, (__u32)id);

	(void)state;
	assert_non_null(d);
	assert_int_equal(decoder_type_size(d), sizeof(v));
	btf__free(btf);
	btf = NULL;
	strbuf_reset(&out);
	strbuf_addstr(&out, "ev: ");
	assert_int_equal(decoder_append(d, &v, sizeof(v), COOLBPF_FMT_TEXT, &out), 0);
	assert_string_equal(strbuf_str(&out), "ev: a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8");
	decoder_free(d);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ints_negative_and_max_each_width),
		T(test_top_level_scalar_is_just_the_value),
		T(test_bool_char_int128_pointer),
		T(test_char_arrays_are_strings_u8_arrays_lists),
		T(test_multi_strings_and_addresses_by_family),
		T(test_family_struct_takes_flat_plan_same_as_walk),
		T(test_char_by_encoding_and_through_typedef_const),
		T(test_modifiers_and_type_tag_resolved),
		T(test_nested_structs_arrays_of_structs_multidim),
		T(test_union_prints_every_member),
		T(test_anonymous_members_flattened),
		T(test_enum_by_name_unknown_as_number),
		T(test_enum64_and_unsigned_enum),
		T(test_bitfields_kflag),
		T(test_bitfields_legacy_int_encoding),
		T(test_bitfield_straddling_nine_bytes),
		T(test_floats_shortest_roundtrip_nonfinite),
		T(test_truncated_input_omits_what_is_missing),
		T(test_datasec_decodes_its_variables),
		T(test_undecodable_types_fail_with_errno),
		T(test_nesting_too_deep_is_e2big),
		T(test_hex_fallback),
		T(test_decoder_outlives_btf_and_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
