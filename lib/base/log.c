// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Diagnostics: every message goes to the callback installed (none by
 * default: the library never prints), and the last warning of each
 * thread is kept (coolbpf_errmsg()). A program linking lib/base has its
 * own copy of this state, for its own messages.
 */
#include <stdio.h>

#include "base.h"

static coolbpf_print_fn_t print_fn;
static __thread char last_err[1024];

coolbpf_print_fn_t log_set_print(coolbpf_print_fn_t fn)
{
	coolbpf_print_fn_t old = print_fn;

	print_fn = fn;
	return old;
}

const char *log_last_error(void)
{
	return last_err;
}

void cb_vprint(enum coolbpf_print_level level, const char *fmt, va_list ap)
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
	cb_vprint(level, fmt, ap);
	va_end(ap);
}
