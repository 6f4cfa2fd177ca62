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

/* libbpf is chatty and its warnings are about its internals; coolbpf
 * reports what matters itself, so everything from libbpf is DEBUG. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (print_fn)
		print_fn(COOLBPF_DEBUG, fmt, ap);
	return 0;
}

void cb_libbpf_log_init(void)
{
	libbpf_set_print(libbpf_print);
}
