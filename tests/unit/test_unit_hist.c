// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Histograms: BCC print_log2_hist text layout and the JSON shape. The
 * expected texts were produced independently with BCC's printf formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <jansson.h>

#include "format/format.h"

static struct strbuf sb = STRBUF_INIT;
static __u64 slots[64];

static int setup(void **state)
{
	(void)state;
	strbuf_reset(&sb);
	memset(slots, 0, sizeof(slots));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	strbuf_release(&sb);
	return 0;
}

static const char *hist(unsigned int nr, enum coolbpf_hist_kind kind, __u64 step,
			const char *val_type, enum coolbpf_format fmt)
{
	strbuf_reset(&sb);
	assert_int_equal(hist_append(&sb, "lat", slots, nr, kind, step, val_type, fmt), 0);
	if (fmt == COOLBPF_FMT_JSON) {
		json_error_t jerr;
		json_t *v = json_loads(strbuf_str(&sb), JSON_DECODE_INT_AS_REAL, &jerr);

		if (!v)
			fail_msg("invalid JSON '%s': %s", strbuf_str(&sb), jerr.text);
		json_decref(v);
	}
	return strbuf_str(&sb);
}

static void test_log2_text_from_first_to_last_nonzero(void **state)
{
	(void)state;
	slots[1] = 1;
	slots[3] = 10;
	slots[4] = 5;
	assert_string_equal(
		hist(64, COOLBPF_HIST_LOG2, 0, "usecs", COOLBPF_FMT_TEXT),
		"     usecs               : count    distribution\n"
		"         2 -> 3          : 1        |****                                    |\n"
		"         4 -> 7          : 0        |                                        |\n"
		"         8 -> 15         : 10       |****************************************|\n"
		"        16 -> 31         : 5        |********************                    |\n");
}

static void test_log2_bucket0_is_0_to_1_and_default_val_type(void **state)
{
	(void)state;
	slots[0] = 3;
	slots[1] = 1;
	assert_string_equal(
		hist(64, COOLBPF_HIST_LOG2, 0, NULL, COOLBPF_FMT_TEXT),
		"     value               : count    distribution\n"
		"         0 -> 1          : 3        |****************************************|\n"
		"         2 -> 3          : 1        |*************                           |\n");
}

static void test_log2_wide_layout_past_bucket_32(void **state)
{
	(void)state;
	slots[40] = 7;
	assert_string_equal(
		hist(64, COOLBPF_HIST_LOG2, 0, "nsecs", COOLBPF_FMT_TEXT),
		"               nsecs                         : count    distribution\n"
		"       1099511627776 -> 2199023255551        : 7        |********************|\n");
}

static void test_log10_text(void **state)
{
	(void)state;
	slots[0] = 1;
	slots[2] = 4;
	assert_string_equal(
		hist(20, COOLBPF_HIST_LOG10, 0, "bytes", COOLBPF_FMT_TEXT),
		"     bytes               : count    distribution\n"
		"         0 -> 9          : 1        |**********                              |\n"
		"        10 -> 99         : 0        |                                        |\n"
		"       100 -> 999        : 4        |****************************************|\n");
}

static void test_linear_text(void **state)
{
	(void)state;
	slots[1] = 2;
	slots[3] = 1;
	assert_string_equal(
		hist(10, COOLBPF_HIST_LINEAR, 5, "ms", COOLBPF_FMT_TEXT),
		"     ms                  : count    distribution\n"
		"         5 -> 9          : 2        |****************************************|\n"
		"        10 -> 14         : 0        |                                        |\n"
		"        15 -> 19         : 1        |********************                    |\n");
}

static void test_huge_counts_do_not_overflow_stars(void **state)
{
	(void)state;
	slots[0] = 1ULL << 62;
	slots[1] = 1ULL << 63;
	assert_string_equal(
		hist(64, COOLBPF_HIST_LOG2, 0, NULL, COOLBPF_FMT_TEXT),
		"     value               : count    distribution\n"
		"         0 -> 1          : 4611686018427387904 |********************                    |\n"
		"         2 -> 3          : 9223372036854775808 |****************************************|\n");
}

static void test_empty_hist_text_nothing_json_empty_list(void **state)
{
	(void)state;
	assert_string_equal(hist(64, COOLBPF_HIST_LOG2, 0, NULL, COOLBPF_FMT_TEXT), "");
	assert_string_equal(hist(64, COOLBPF_HIST_LOG2, 0, NULL, COOLBPF_FMT_JSON),
			    "{\"map\": \"lat\", \"hist\": []}\n");
}

static void test_json_rows_with_inner_zero_buckets(void **state)
{
	(void)state;
	slots[1] = 1;
	slots[3] = 10;
	assert_string_equal(
		hist(64, COOLBPF_HIST_LOG2, 0, NULL, COOLBPF_FMT_JSON),
		"{\"map\": \"lat\", \"hist\": [{\"low\": 2, \"high\": 3, \"count\": 1}, "
		"{\"low\": 4, \"high\": 7, \"count\": 0}, "
		"{\"low\": 8, \"high\": 15, \"count\": 10}]}\n");
	memset(slots, 0, sizeof(slots));
	slots[0] = 2;
	assert_string_equal(
		hist(20, COOLBPF_HIST_LOG10, 0, NULL, COOLBPF_FMT_JSON),
		"{\"map\": \"lat\", \"hist\": [{\"low\": 0, \"high\": 9, \"count\": 2}]}\n");
	memset(slots, 0, sizeof(slots));
	slots[2] = 3;
	assert_string_equal(hist(4, COOLBPF_HIST_LINEAR, 100, NULL, COOLBPF_FMT_JSON),
			    "{\"map\": \"lat\", \"hist\": [{\"low\": 200, \"high\": 299, "
			    "\"count\": 3}]}\n");
}

static void test_top_buckets_reach_u64_max(void **state)
{
	(void)state;
	slots[63] = 1;
	assert_string_equal(hist(64, COOLBPF_HIST_LOG2, 0, NULL, COOLBPF_FMT_JSON),
			    "{\"map\": \"lat\", \"hist\": [{\"low\": 9223372036854775808, "
			    "\"high\": 18446744073709551615, \"count\": 1}]}\n");
	slots[63] = 0;
	slots[19] = 1;
	assert_string_equal(hist(20, COOLBPF_HIST_LOG10, 0, NULL, COOLBPF_FMT_JSON),
			    "{\"map\": \"lat\", \"hist\": [{\"low\": 10000000000000000000, "
			    "\"high\": 18446744073709551615, \"count\": 1}]}\n");
}

static void test_bad_arguments(void **state)
{
	(void)state;
	strbuf_addstr(&sb, "kept");
	slots[1] = 1;
	assert_int_equal(
		hist_append(&sb, "x", slots, 4, COOLBPF_HIST_LINEAR, 0, NULL, COOLBPF_FMT_TEXT),
		-EINVAL);
	slots[20] = 1; /* log10 has 20 buckets */
	assert_int_equal(
		hist_append(&sb, "x", slots, 21, COOLBPF_HIST_LOG10, 0, NULL, COOLBPF_FMT_JSON),
		-ERANGE);
	assert_string_equal(strbuf_str(&sb), "kept");
}

static void test_hist_print_writes_to_file(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	slots[2] = 1;
	assert_int_equal(coolbpf_hist_print(f, "lat", slots, 64, COOLBPF_HIST_LOG2, 0, "usecs",
					    COOLBPF_FMT_TEXT),
			 0);
	fclose(f);
	assert_string_equal(buf, "     usecs               : count    distribution\n"
				 "         4 -> 7          : 1        "
				 "|****************************************|\n");
	free(buf);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
	const struct CMUnitTest tests[] = {
		T(test_log2_text_from_first_to_last_nonzero),
		T(test_log2_bucket0_is_0_to_1_and_default_val_type),
		T(test_log2_wide_layout_past_bucket_32),
		T(test_log10_text),
		T(test_linear_text),
		T(test_huge_counts_do_not_overflow_stars),
		T(test_empty_hist_text_nothing_json_empty_list),
		T(test_json_rows_with_inner_zero_buckets),
		T(test_top_buckets_reach_u64_max),
		T(test_bad_arguments),
		T(test_hist_print_writes_to_file),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
