// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The streaming JSON writer: separators, escaping, UTF-8, errors. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/base.h"

static struct strbuf sb = STRBUF_INIT;
static struct jw w;

static int setup(void **state)
{
	(void)state;
	strbuf_reset(&sb);
	jw_init(&w, &sb);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	strbuf_release(&sb);
	return 0;
}

/* The writer's output equals want and a real parser accepts it. */
static void assert_json(const char *want)
{
	json_error_t jerr;
	json_t *v;

	assert_int_equal(jw_error(&w), 0);
	assert_int_equal(w.depth, 0);
	assert_string_equal(strbuf_str(&sb), want);
	v = json_loads(strbuf_str(&sb), JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!v)
		fail_msg("invalid JSON '%s': %s", strbuf_str(&sb), jerr.text);
	json_decref(v);
}

static void test_nesting_and_separators(void **state)
{
	(void)state;
	jw_begin_object(&w);
	jw_key(&w, "map");
	jw_string(&w, "events");
	jw_key(&w, "list");
	jw_begin_array(&w);
	jw_int(&w, 1);
	jw_begin_object(&w);
	jw_end_object(&w);
	jw_begin_array(&w);
	jw_end_array(&w);
	jw_null(&w);
	jw_end_array(&w);
	jw_key(&w, "nested");
	jw_begin_object(&w);
	jw_key(&w, "t");
	jw_bool(&w, true);
	jw_key(&w, "f");
	jw_bool(&w, false);
	jw_end_object(&w);
	jw_end_object(&w);
	assert_json("{\"map\": \"events\", \"list\": [1, {}, [], null], "
		    "\"nested\": {\"t\": true, \"f\": false}}");
}

static void test_numbers_extremes(void **state)
{
	(void)state;
	jw_begin_array(&w);
	jw_int(&w, 0);
	jw_int(&w, -1);
	jw_int(&w, LLONG_MIN);
	jw_int(&w, LLONG_MAX);
	jw_uint(&w, ULLONG_MAX);
	jw_raw(&w, "1.5");
	jw_end_array(&w);
	assert_json("[0, -1, -9223372036854775808, 9223372036854775807, "
		    "18446744073709551615, 1.5]");
}

static void test_escapes_quote_backslash_and_controls(void **state)
{
	(void)state;
	jw_begin_object(&w);
	jw_key(&w, "k\"ey");
	jw_string(&w, "a\"b\\c\n\t\x01\x1f\x7f/");
	jw_end_object(&w);
	assert_json("{\"k\\\"ey\": \"a\\\"b\\\\c\\u000a\\u0009\\u0001\\u001f\\u007f/\"}");
}

static void test_valid_utf8_passes_through(void **state)
{
	(void)state;
	/* 2-, 3- and 4-byte sequences: é, €, U+10348 */
	jw_string(&w, "\xc3\xa9\xe2\x82\xac\xf0\x90\x8d\x88");
	assert_json("\"\xc3\xa9\xe2\x82\xac\xf0\x90\x8d\x88\"");
}

static void test_invalid_utf8_escaped_per_byte(void **state)
{
	(void)state;
	jw_begin_array(&w);
	jw_string(&w, "\xff");		   /* never valid */
	jw_string(&w, "a\xc3");		   /* truncated sequence at the end */
	jw_string(&w, "\xc3(");		   /* bad continuation */
	jw_string(&w, "\xc0\xaf");	   /* overlong '/' */
	jw_string(&w, "\xed\xa0\x80");	   /* UTF-16 surrogate */
	jw_string(&w, "\xf4\x90\x80\x80"); /* past U+10FFFF */
	jw_end_array(&w);
	assert_json("[\"\\u00ff\", \"a\\u00c3\", \"\\u00c3(\", \"\\u00c0\\u00af\", "
		    "\"\\u00ed\\u00a0\\u0080\", \"\\u00f4\\u0090\\u0080\\u0080\"]");
}

static void test_string_len_stops_at_nul_and_n(void **state)
{
	static const char bytes[] = { 'a', 'b', '\0', 'c' };

	(void)state;
	jw_begin_array(&w);
	jw_string_len(&w, bytes, sizeof(bytes));
	jw_string_len(&w, "abcdef", 3);
	jw_string_len(&w, "", 0);
	jw_end_array(&w);
	assert_json("[\"ab\", \"abc\", \"\"]");
}

static void test_appends_without_resetting(void **state)
{
	(void)state;
	strbuf_addstr(&sb, "prefix ");
	jw_init(&w, &sb);
	jw_int(&w, 7);
	assert_int_equal(jw_error(&w), 0);
	assert_string_equal(strbuf_str(&sb), "prefix 7");
}

static void test_depth_64_ok_65_fails(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw_begin_array(&w);
	assert_int_equal(jw_error(&w), 0);
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw_end_array(&w);
	assert_int_equal(jw_error(&w), 0);
	assert_int_equal(sb.len, 2 * JW_MAX_DEPTH);

	strbuf_reset(&sb);
	jw_init(&w, &sb);
	for (i = 0; i <= JW_MAX_DEPTH; i++) {
		jw_begin_object(&w);
		jw_key(&w, "k");
	}
	assert_int_equal(jw_error(&w), -E2BIG);
	/* errors are sticky: later calls write nothing */
	i = (int)sb.len;
	jw_int(&w, 1);
	jw_end_object(&w);
	assert_int_equal(sb.len, (size_t)i);
	assert_int_equal(jw_error(&w), -E2BIG);
}

static void test_misuse_is_einval(void **state)
{
	(void)state;
	jw_begin_object(&w);
	jw_int(&w, 1); /* value without a key */
	assert_int_equal(jw_error(&w), -EINVAL);

	jw_init(&w, &sb);
	jw_end_array(&w); /* nothing open */
	assert_int_equal(jw_error(&w), -EINVAL);

	jw_init(&w, &sb);
	jw_begin_array(&w);
	jw_end_object(&w); /* wrong kind */
	assert_int_equal(jw_error(&w), -EINVAL);

	jw_init(&w, &sb);
	jw_begin_array(&w);
	jw_key(&w, "k"); /* key in an array */
	assert_int_equal(jw_error(&w), -EINVAL);

	jw_init(&w, &sb);
	jw_begin_object(&w);
	jw_key(&w, "k");
	jw_end_object(&w); /* key without its value */
	assert_int_equal(jw_error(&w), -EINVAL);
}

static void test_strbuf_add_int_uint(void **state)
{
	(void)state;
	assert_int_equal(strbuf_add_uint(&sb, 0), 0);
	strbuf_addch(&sb, ' ');
	assert_int_equal(strbuf_add_int(&sb, -42), 0);
	strbuf_addch(&sb, ' ');
	assert_int_equal(strbuf_add_int(&sb, LLONG_MIN), 0);
	strbuf_addch(&sb, ' ');
	assert_int_equal(strbuf_add_uint(&sb, 10000000000000000000ULL), 0);
	assert_string_equal(strbuf_str(&sb), "0 -42 -9223372036854775808 10000000000000000000");
}

/* str_to_size: the one parser of sizes (COOLBPF_CACHE_MAX, --queue-size) */
static void test_str_to_size(void **state)
{
	unsigned long long v = 7;

	(void)state;
	assert_int_equal(str_to_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_to_size("1073741824", &v), 0);
	assert_int_equal(v, 1ULL << 30);
	assert_int_equal(str_to_size("64k", &v), 0);
	assert_int_equal(v, 64ULL << 10);
	assert_int_equal(str_to_size("512M", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(str_to_size("2GiB", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(str_to_size("3MB", &v), 0);
	assert_int_equal(v, 3ULL << 20);
	v = 7;
	assert_int_equal(str_to_size("", &v), -EINVAL);
	assert_int_equal(str_to_size("-1", &v), -EINVAL);
	assert_int_equal(str_to_size(" 1", &v), -EINVAL);
	assert_int_equal(str_to_size("1T", &v), -EINVAL);
	assert_int_equal(str_to_size("1Mx", &v), -EINVAL);
	assert_int_equal(str_to_size("M", &v), -EINVAL);
	assert_int_equal(str_to_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(str_to_size("17179869184G", &v), -ERANGE);
	assert_int_equal(v, 7); /* untouched on error */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nesting_and_separators, setup),
		cmocka_unit_test_setup(test_numbers_extremes, setup),
		cmocka_unit_test_setup(test_escapes_quote_backslash_and_controls, setup),
		cmocka_unit_test_setup(test_valid_utf8_passes_through, setup),
		cmocka_unit_test_setup(test_invalid_utf8_escaped_per_byte, setup),
		cmocka_unit_test_setup(test_string_len_stops_at_nul_and_n, setup),
		cmocka_unit_test_setup(test_appends_without_resetting, setup),
		cmocka_unit_test_setup(test_depth_64_ok_65_fails, setup),
		cmocka_unit_test_setup(test_misuse_is_einval, setup),
		cmocka_unit_test_setup(test_strbuf_add_int_uint, setup),
		cmocka_unit_test(test_str_to_size),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
