// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Integration tests of profiling through the public API: a SEC("perf_event")
 * program attached by coolbpf_object__attach() samples this process while
 * it spins in one function, and the stack-count map prints that function
 * (coolbpf_map__format_stacks), its stack trace map nothing of its own.
 * Run from the repository root, as root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/perf_event.h>

#include "coolbpf/coolbpf.h"
#include "base/banned.h"

static struct coolbpf_compile_opts env_compile = { .sz = sizeof(env_compile) };
static volatile unsigned long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the function the profile must name (global: no .constprop suffix) */
void integ_profile_spin(double secs);
__attribute__((noinline)) void integ_profile_spin(double secs)
{
	double end = now() + secs;

	while (now() < end)
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i;
}

static struct coolbpf_object *open_load(const char *path)
{
	COOLBPF_OBJECT_OPTS(oo, .compile = &env_compile);
	struct coolbpf_object *obj = coolbpf_object__open_file(path, &oo);

	if (!obj)
		fail_msg("open %s: %s", path, coolbpf_errmsg());
	if (coolbpf_object__load(obj))
		fail_msg("load %s: %s", path, coolbpf_errmsg());
	return obj;
}

static void test_perf_event_program_samples_and_names_the_function(void **state)
{
	struct coolbpf_object *obj = open_load("examples/profile.bpf.c");
	COOLBPF_ATTACH_OPTS(po, .sample_freq = 1000);
	COOLBPF_STACK_OPTS(so, .fmt = COOLBPF_FMT_JSON);
	struct coolbpf_buf out = COOLBPF_BUF_INIT;
	const struct coolbpf_attach_info *ai;
	char want[128];

	(void)state;
	assert_int_equal(coolbpf_object__set_perf_event(obj, &po), 0);
	assert_int_equal(coolbpf_object__attach(obj), 0);
	ai = coolbpf_object__attach_info(obj, 0);
	assert_non_null(ai);
	assert_string_equal(ai->kind, "perf_event");
	assert_string_equal(ai->target, "cpu-clock at 1000 Hz on every CPU");
	/* too late once attached */
	assert_int_equal(coolbpf_object__set_perf_event(obj, NULL), -EBUSY);
	integ_profile_spin(0.5);
	coolbpf_object__detach(obj);

	assert_int_equal(coolbpf_map__format_stacks(coolbpf_object__map(obj, "samples"), &so, &out),
			 0);
	assert_non_null(out.data);
	assert_non_null(strstr(out.data, "{\"map\": \"samples\", \"samples\": "));
	snprintf(want, sizeof(want), "\"pid\": %d}, \"frames\": [\"integ_profile_spin (", getpid());
	if (!strstr(out.data, want))
		fail_msg("no stack of this process in integ_profile_spin: %s", out.data);

	/* the stack trace map prints through the counts, not on its own */
	COOLBPF_FORMAT_OPTS(fo, .fmt = COOLBPF_FMT_TEXT);
	coolbpf_buf__reset(&out);
	assert_int_equal(coolbpf_map__format(coolbpf_object__map(obj, "stacks"), &fo, &out), 0);
	assert_int_equal(out.len, 0);
	/* folded is text only; a map that counts no stacks is not one */
	so.folded = true;
	assert_int_equal(coolbpf_map__format_stacks(coolbpf_object__map(obj, "samples"), &so, &out),
			 -EINVAL);
	so.fmt = COOLBPF_FMT_TEXT;
	assert_int_equal(coolbpf_map__format_stacks(coolbpf_object__map(obj, "samples"), &so, &out),
			 0);
	assert_non_null(strstr(out.data, ";integ_profile_spin"));
	coolbpf_buf__release(&out);
	coolbpf_object__close(obj);
}

static void test_non_stack_map_is_not_formatted_as_stacks(void **state)
{
	struct coolbpf_object *obj = open_load("examples/runqlat.bpf.c");
	struct coolbpf_buf out = COOLBPF_BUF_INIT;

	(void)state;
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m))
		assert_int_equal(coolbpf_map__format_stacks(m, NULL, &out), -EOPNOTSUPP);
	assert_int_equal(out.len, 0);
	coolbpf_object__close(obj);
}

static void test_perf_event_names(void **state)
{
	__u32 type = 99;
	__u64 config = 99;
	COOLBPF_ATTACH_OPTS(bad, .kind = COOLBPF_ATTACH_KPROBE);
	struct coolbpf_object *obj = open_load("examples/profile.bpf.c");

	(void)state;
	assert_int_equal(coolbpf_perf_event__parse("cycles", &type, &config), 0);
	assert_int_equal(type, PERF_TYPE_HARDWARE);
	assert_int_equal(config, PERF_COUNT_HW_CPU_CYCLES);
	assert_int_equal(coolbpf_perf_event__parse("page-faults", &type, &config), 0);
	assert_int_equal(type, PERF_TYPE_SOFTWARE);
	assert_int_equal(config, PERF_COUNT_SW_PAGE_FAULTS);
	assert_int_equal(coolbpf_perf_event__parse("cpu_clock", &type, &config), -ENOENT);
	assert_non_null(strstr(coolbpf_errmsg(), "known are cpu-clock"));
	assert_int_equal(coolbpf_object__set_perf_event(obj, &bad), -EINVAL);
	coolbpf_object__close(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perf_event_program_samples_and_names_the_function),
		cmocka_unit_test(test_non_stack_map_is_not_formatted_as_stacks),
		cmocka_unit_test(test_perf_event_names),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root\n");
		return 77;
	}
	coolbpf_compile_opts__from_env(&env_compile);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
