// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The library's border: every public call that fails says so the same way
 * (a negative errno returned, or NULL, and errno set to it), every opts
 * struct is validated (a caller built for a newer library, with bytes set
 * past the fields this one knows, is refused with a message naming the
 * struct), and nothing is read from the environment.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "coolbpf/coolbpf.h"
#include "base/base.h"

static char last_warn[1024];

static int capture(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == COOLBPF_WARN)
		vsnprintf(last_warn, sizeof(last_warn), fmt, ap);
	return 0;
}

/* an int call failed with -want and errno want */
#define EXPECT_ERR(want, call)                     \
	do {                                       \
		errno = 0;                         \
		assert_int_equal((call), -(want)); \
		assert_int_equal(errno, (want));   \
	} while (0)
/* a pointer call returned NULL with errno want */
#define EXPECT_NULL(want, call)                  \
	do {                                     \
		errno = 0;                       \
		assert_null((call));             \
		assert_int_equal(errno, (want)); \
	} while (0)

/* opts of a newer caller: sz past this library's struct, a byte set there */
struct compile_opts_v99 {
	struct coolbpf_compile_opts known;
	long newer_field;
};

static void test_opts_with_unknown_nonzero_tail_are_refused_naming_the_struct(void **state)
{
	struct compile_opts_v99 v = { .known.sz = sizeof(v), .newer_field = 1 };
	struct coolbpf_compile_result res;
	static const char src[] = "int x;";

	(void)state;
	last_warn[0] = '\0';
	EXPECT_ERR(EINVAL, coolbpf_compile_buf("a.bpf.c", src, sizeof(src) - 1, &v.known, &res));
	assert_non_null(strstr(last_warn, "coolbpf_compile_opts"));
	assert_non_null(strstr(last_warn, "newer"));
	coolbpf_compile_result__release(&res);

	/* the same tail, zero: an old field layout is fine (nothing asked) */
	{
		COOLBPF_BTF_OPTS(bo, .btf_dir = "/nonexistent");
		struct {
			struct coolbpf_btf_opts known;
			long newer_field;
		} w = { .known = bo };
		struct coolbpf_btf_info info;

		w.known.sz = sizeof(w);
		assert_int_equal(coolbpf_btf__locate(&w.known, &info), 0);
		w.newer_field = 7;
		EXPECT_ERR(EINVAL, coolbpf_btf__locate(&w.known, &info));
		assert_non_null(strstr(last_warn, "coolbpf_btf_opts"));
	}
	/* sz smaller than the sz field itself */
	{
		COOLBPF_OBJECT_OPTS(oo);

		oo.sz = 3;
		EXPECT_NULL(EINVAL, coolbpf_object__open_file("/nonexistent.o", &oo));
	}
	{
		struct {
			struct coolbpf_attach_opts known;
			int newer;
		} a = { .known.sz = sizeof(a), .newer = 1 };
		struct {
			struct coolbpf_events_opts known;
			int newer;
		} e = { .known.sz = sizeof(e), .newer = 1 };
		struct {
			struct coolbpf_format_opts known;
			int newer;
		} f = { .known.sz = sizeof(f), .newer = 1 };
		struct coolbpf_buf b = COOLBPF_BUF_INIT;

		/* the opts are checked before anything else of the call */
		EXPECT_NULL(EINVAL, coolbpf_object__attach_program(NULL, "p", &a.known));
		EXPECT_ERR(EINVAL, coolbpf_object__open_events(NULL, &e.known));
		EXPECT_ERR(EINVAL, coolbpf_map__format(NULL, &f.known, &b));
	}
}

static void test_null_and_bad_arguments_fail_with_errno(void **state)
{
	struct coolbpf_btf_info info;
	struct coolbpf_buf b = COOLBPF_BUF_INIT;
	char buf[64];
	void *data;
	size_t sz;

	(void)state;
	EXPECT_ERR(EINVAL, coolbpf_compile_file("x.bpf.c", NULL, NULL));
	EXPECT_ERR(EINVAL, coolbpf_compile_buf("x.bpf.c", NULL, 0, NULL, NULL));
	EXPECT_ERR(EINVAL, coolbpf_artifact__min_btf("not elf", 7, NULL, NULL, NULL));
	EXPECT_ERR(EINVAL, coolbpf_artifact__kernels("not elf", 7, NULL, 0));
	EXPECT_ERR(EINVAL, coolbpf_btf__locate(NULL, NULL));
	EXPECT_ERR(EINVAL, coolbpf_btf__read(NULL, NULL, NULL, NULL));
	EXPECT_ERR(ENOENT, coolbpf_btf_archive__path(NULL, "1.0", "x86_64", buf, sizeof(buf)));
	EXPECT_ERR(EINVAL,
		   coolbpf_btf_archive__add("/nonexistent", "1.0", NULL, "not btf", 7, NULL, 0));
	{
		COOLBPF_BTF_OPTS(bo, .btf_path = "/nonexistent/x.btf");

		EXPECT_ERR(ENOENT, coolbpf_btf__read(&bo, &data, &sz, &info));
	}
	{
		COOLBPF_BTF_OPTS(bo, .kernel = "0.0-none", .btf_dir = "/nonexistent");

		assert_int_equal(coolbpf_btf__locate(&bo, &info), 0);
		assert_string_equal(info.source, "none");
		snprintf(buf, sizeof(buf), "/nonexistent/%s/0.0-none.btf.gz", host_arch());
		assert_string_equal(info.path, buf);
		EXPECT_ERR(ENOENT, coolbpf_btf__read(&bo, &data, &sz, &info));
	}

	EXPECT_NULL(EINVAL, coolbpf_object__open_file(NULL, NULL));
	EXPECT_NULL(ENOENT, coolbpf_object__open_file("/nonexistent.o", NULL));
	EXPECT_NULL(EINVAL, coolbpf_object__open_mem(NULL, 0, NULL));
	EXPECT_NULL(EINVAL, coolbpf_object__open_source(NULL, 0, NULL));
	EXPECT_ERR(EINVAL, coolbpf_object__load(NULL));
	EXPECT_ERR(EINVAL, coolbpf_object__attach(NULL));
	EXPECT_NULL(EINVAL, coolbpf_object__attach_program(NULL, "p", NULL));
	EXPECT_ERR(EINVAL, coolbpf_object__set_optional(NULL, "p", true));
	EXPECT_NULL(ENOENT, coolbpf_object__map(NULL, "m"));
	EXPECT_NULL(ENOENT, coolbpf_object__attach_info(NULL, 0));
	EXPECT_NULL(ENOENT, coolbpf_object__program_name(NULL, 0));
	EXPECT_NULL(ENOENT, coolbpf_object__program_section(NULL, 0));
	EXPECT_ERR(EINVAL, coolbpf_object__open_events(NULL, NULL));
	EXPECT_ERR(EINVAL, coolbpf_object__poll(NULL, 0));
	EXPECT_ERR(EINVAL, coolbpf_object__consume(NULL));
	EXPECT_ERR(EINVAL, coolbpf_object__open_trace(NULL, NULL, NULL));

	EXPECT_ERR(EINVAL, coolbpf_map__lookup(NULL, buf, buf));
	EXPECT_ERR(EINVAL, coolbpf_map__update(NULL, buf, buf, 0));
	EXPECT_ERR(EINVAL, coolbpf_map__delete(NULL, buf));
	EXPECT_ERR(EINVAL, coolbpf_map__next_key(NULL, NULL, buf));
	EXPECT_ERR(EINVAL, coolbpf_map__pin(NULL, "/sys/fs/bpf/x"));
	EXPECT_ERR(EINVAL, coolbpf_map__decode_event(NULL, buf, 1, COOLBPF_FMT_TEXT, buf, 1));
	EXPECT_ERR(EINVAL, coolbpf_map__dump(NULL, COOLBPF_FMT_TEXT, stdout));
	EXPECT_ERR(EINVAL, coolbpf_map__format_event(NULL, buf, 1, NULL, &b));
	EXPECT_ERR(EINVAL, coolbpf_map__format(NULL, NULL, &b));
	EXPECT_ERR(EINVAL, coolbpf_decode(NULL, 1, buf, 1, COOLBPF_FMT_TEXT, buf, sizeof(buf)));

	EXPECT_ERR(EINVAL, coolbpf_buf__append(NULL, "x", 1));
	EXPECT_ERR(EINVAL, coolbpf_buf__printf(NULL, "x"));
	EXPECT_ERR(EINVAL, coolbpf_buf__json_string(&b, NULL));
	EXPECT_ERR(EINVAL, coolbpf_hist_print(NULL, "h", NULL, 0, COOLBPF_HIST_LOG2, 0, NULL,
					      COOLBPF_FMT_TEXT));
	EXPECT_ERR(EINVAL, coolbpf_hist_format(NULL, 8, "h", NULL, 0, COOLBPF_HIST_LOG2, 0, NULL,
					       COOLBPF_FMT_TEXT));
	EXPECT_NULL(EINVAL, coolbpf_syms__new(-1));
	EXPECT_ERR(EINVAL, coolbpf_syms__resolve(NULL, 0, buf, sizeof(buf)));
	EXPECT_ERR(EINVAL, coolbpf_probe_hook((enum coolbpf_hook)99));
	EXPECT_ERR(EINVAL, coolbpf_compile_opts__from_env(NULL));
	EXPECT_ERR(EINVAL, coolbpf_object_opts__from_env(NULL));
	EXPECT_ERR(EINVAL, coolbpf_compile_env_id(NULL, NULL));

	/* destructors take NULL */
	coolbpf_object__close(NULL);
	coolbpf_object__detach(NULL);
	coolbpf_link__destroy(NULL);
	coolbpf_syms__free(NULL);
	coolbpf_buf__release(NULL);
	coolbpf_compile_result__release(NULL);
	coolbpf_buf__release(&b);
}

/* The library reads no environment: COOLBPF_SERVER set in the process
 * does not send a compile anywhere unless the program asks from_env(). */
static void test_the_environment_reaches_a_compile_only_through_from_env(void **state)
{
	COOLBPF_COMPILE_OPTS(opts);

	(void)state;
	setenv("COOLBPF_SERVER", "http://127.0.0.1:1", 1);
	setenv("COOLBPF_BTF_DIR", "/srv/btf-from-env", 1);
	setenv("COOLBPF_CACHE_DIR", "/tmp/cache-from-env", 1);
	assert_null(opts.server);
	assert_int_equal(coolbpf_compile_opts__from_env(&opts), 0);
	assert_string_equal(opts.server, "http://127.0.0.1:1");
	assert_string_equal(opts.btf_dir, "/srv/btf-from-env");
	assert_string_equal(opts.cache_dir, "/tmp/cache-from-env");
	/* what the caller set stays */
	{
		COOLBPF_COMPILE_OPTS(mine, .server = "http://mine:1");

		assert_int_equal(coolbpf_compile_opts__from_env(&mine), 0);
		assert_string_equal(mine.server, "http://mine:1");
	}
	{
		COOLBPF_OBJECT_OPTS(oo);

		assert_int_equal(coolbpf_object_opts__from_env(&oo), 0);
		assert_string_equal(oo.btf_dir, "/srv/btf-from-env");
	}
	unsetenv("COOLBPF_SERVER");
	unsetenv("COOLBPF_BTF_DIR");
	unsetenv("COOLBPF_CACHE_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_with_unknown_nonzero_tail_are_refused_naming_the_struct),
		cmocka_unit_test(test_null_and_bad_arguments_fail_with_errno),
		cmocka_unit_test(test_the_environment_reaches_a_compile_only_through_from_env),
	};

	coolbpf_set_print(capture);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
