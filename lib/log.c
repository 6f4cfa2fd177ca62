// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include "internal.h"

static coolbpf_print_fn_t print_fn;
static __thread char last_err[1024];

coolbpf_print_fn_t coolbpf_set_print(coolbpf_print_fn_t fn)
{
	coolbpf_print_fn_t old = print_fn;

	print_fn = fn;
	cb_libbpf_log_init();
	return old;
}

const char *coolbpf_errmsg(void)
{
	return last_err;
}

static void vprint(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == COOLBPF_WARN) {
		va_list cp;
		size_t n;

		va_copy(cp, ap);
		vsnprintf(last_err, sizeof(last_err), fmt, cp);
		va_end(cp);
		n = strlen(last_err);
		while (n && last_err[n - 1] == '\n')
			last_err[--n] = '\0';
	}
	if (print_fn)
		print_fn(level, fmt, ap);
}

void cb_print(enum coolbpf_print_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(level, fmt, ap);
	va_end(ap);
}

/* The first program and map libbpf's warnings blame since the last reset.
 * After a failed load libbpf closes every fd, so its words are the only
 * record of which program or map failed. */
static __thread char failed_prog[128], failed_map[128];

void cb_libbpf_fail_reset(void)
{
	failed_prog[0] = failed_map[0] = '\0';
}

const char *cb_libbpf_failed_prog(void)
{
	return failed_prog;
}

const char *cb_libbpf_failed_map(void)
{
	return failed_map;
}

/* "prog 'name': ..." / "map 'name': failed ..." -> name into dst */
static void blame(const char *msg, const char *prefix, char *dst, size_t sz)
{
	const char *name = msg + strlen(prefix), *end;

	if (dst[0] || strncmp(msg, prefix, strlen(prefix)))
		return;
	end = strstr(name, "': ");
	if (!end || !strstr(end, "fail") || (size_t)(end - name) >= sz)
		return;
	memcpy(dst, name, (size_t)(end - name));
	dst[end - name] = '\0';
}

/* libbpf is chatty and its warnings are about its internals; coolbpf
 * reports what matters itself, so everything from libbpf is DEBUG. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		char msg[256];
		const char *m;
		va_list cp;

		va_copy(cp, ap);
		vsnprintf(msg, sizeof(msg), fmt, cp);
		va_end(cp);
		m = strncmp(msg, "libbpf: ", 8) ? msg : msg + 8;

		blame(m, "prog '", failed_prog, sizeof(failed_prog));
		blame(m, "map '", failed_map, sizeof(failed_map));
	}
	if (print_fn)
		print_fn(COOLBPF_DEBUG, fmt, ap);
	return 0;
}

void cb_libbpf_log_init(void)
{
	libbpf_set_print(libbpf_print);
}
