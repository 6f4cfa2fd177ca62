// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libbpf's messages, routed into the library's diagnostics at DEBUG level
 * (coolbpf reports what matters itself), and read on the way for the
 * program or map they blame: after a failed load libbpf closes every fd,
 * so its words are the only record of which one failed.
 */
#include <stdio.h>

#include <bpf/libbpf.h>

#include "object.h"

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
	cb_vprint(COOLBPF_DEBUG, fmt, ap);
	return 0;
}

void cb_libbpf_log_init(void)
{
	libbpf_set_print(libbpf_print);
}

coolbpf_print_fn_t coolbpf_set_print(coolbpf_print_fn_t fn)
{
	coolbpf_print_fn_t old = log_set_print(fn);

	cb_libbpf_log_init();
	return old;
}

const char *coolbpf_errmsg(void)
{
	return log_last_error();
}
