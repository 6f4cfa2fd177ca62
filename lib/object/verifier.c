// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Turn a verifier log (thousands of lines) into what a person needs: the
 * source line of the failing instruction, the verifier's verdict, and the
 * few instructions before it. The kernel interleaves BTF line info into
 * the log as "; <source> @ <file>:<line>" (older kernels omit the "@").
 */
#include <stdio.h>
#include <stdlib.h>

#include "object.h"

#define TAIL_LINES 12

static bool is_stat_line(const char *l, size_t n)
{
	static const char *const prefixes[] = { "processed ", "verification time", "stack depth",
						"max_states_per_insn", "mark_read" };

	if (!n)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		if (n >= strlen(prefixes[i]) && !strncmp(l, prefixes[i], strlen(prefixes[i])))
			return true;
	}
	return false;
}

void verifier_summary(const char *log, struct strbuf *sb)
{
	const char *lines[TAIL_LINES];
	size_t lens[TAIL_LINES], nl = 0;
	const char *src = NULL, *err = NULL;
	size_t src_len = 0, err_len = 0;

	if (!log || !*log)
		return;
	for (const char *l = log; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);

		if (n >= 2 && l[0] == ';' && l[1] == ' ') {
			src = l + 2;
			src_len = n - 2;
		}
		if (!is_stat_line(l, n)) {
			err = l;
			err_len = n;
			memmove(lines, lines + (nl == TAIL_LINES),
				sizeof(lines[0]) * (TAIL_LINES - 1));
			memmove(lens, lens + (nl == TAIL_LINES),
				sizeof(lens[0]) * (TAIL_LINES - 1));
			if (nl < TAIL_LINES)
				nl++;
			lines[nl - 1] = l;
			lens[nl - 1] = n;
		}
		if (!e)
			break;
		l = e + 1;
	}
	if (src) {
		const char *at = NULL;

		/* "code @ file.c:12" -> "file.c:12: code" */
		for (size_t i = src_len; i >= 3; i--) {
			if (src[i - 3] == ' ' && src[i - 2] == '@' && src[i - 1] == ' ') {
				at = src + i - 3;
				break;
			}
		}
		if (at)
			strbuf_addf(sb, "  at %.*s: %.*s\n", (int)(src + src_len - at - 3), at + 3,
				    (int)(at - src), src);
		else
			strbuf_addf(sb, "  at source line: %.*s\n", (int)src_len, src);
	}
	if (err)
		strbuf_addf(sb, "  error: %.*s\n", (int)err_len, err);
	if (nl) {
		strbuf_addstr(sb, "  last verifier lines:\n");
		for (size_t i = 0; i < nl; i++)
			strbuf_addf(sb, "    %.*s\n", (int)lens[i], lines[i]);
	}
}
