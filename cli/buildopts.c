// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Options that coolbpf compile and coolbpf run share for programs written
 * for another build: --cflags (and $COOLBPF_CFLAGS) and --event-type, and
 * the lists of their -D and -I.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Split FLAGS at blanks into b->cflags; -1 when there are too many. */
static int cflags_add(struct cli_build *b, const char *flags, const char *what)
{
	const char *p = flags;

	while (*p) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		n = strcspn(p, " \t\n");
		if (!n)
			break;
		if (b->nr_cflags >= CLI_BUILD_MAX) {
			cli_err("%s: too many clang flags (at most %d)", what, CLI_BUILD_MAX);
			return -1;
		}
		b->cflags[b->nr_cflags] = strndup(p, n);
		if (!b->cflags[b->nr_cflags]) {
			cli_err("%s: out of memory", what);
			return -1;
		}
		b->nr_cflags++;
		p += n;
	}
	return 0;
}

int cli_build_env(struct cli_build *b)
{
	const char *env = getenv("COOLBPF_CFLAGS");

	return env ? cflags_add(b, env, "COOLBPF_CFLAGS") : 0;
}

static int event_type_add(struct cli_build *b, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (eq && eq[1] == '\0') {
		cli_err("--event-type '%s': which type? e.g. --event-type events='struct event'",
			arg);
		return -1;
	}
	return cli_list_add("--event-type", "MAP=TYPE (e.g. events='struct event')", b->event_types,
			    &b->nr_event_types, CLI_BUILD_MAX, arg);
}

int cli_build_cpp(struct cli_build *b, int key, const char *arg)
{
	return key == 'D' ?
		       cli_list_add("-D", NULL, b->defines, &b->nr_defines, CLI_BUILD_MAX, arg) :
		       cli_list_add("-I", NULL, b->includes, &b->nr_includes, CLI_BUILD_MAX, arg);
}

void cli_build_apply(struct cli_build *b, struct coolbpf_compile_opts *o)
{
	if (b->nr_defines)
		o->defines = b->defines;
	if (b->nr_includes)
		o->include_dirs = b->includes;
	if (b->nr_cflags)
		o->cflags = (const char *const *)b->cflags;
	if (b->nr_event_types)
		o->event_types = b->event_types;
}

void cli_build_release(struct cli_build *b)
{
	for (int i = 0; i < b->nr_cflags; i++)
		free(b->cflags[i]);
	b->nr_cflags = 0;
}

struct cli_build cli_build;

enum { OPT_CFLAGS = 0x300, OPT_EVENT_TYPE };

static const struct argp_option options[] = {
	{ "cflags", OPT_CFLAGS, "FLAGS", 0,
	  "More clang flags, e.g. '-mcpu=v3' (after $COOLBPF_CFLAGS; part of the cache key)", 0 },
	{ "event-type", OPT_EVENT_TYPE, "MAP=TYPE", 0,
	  "Output map MAP's events are TYPE (when the program does not say)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	(void)state;
	switch (key) {
	case OPT_CFLAGS:
		if (cflags_add(&cli_build, arg, "--cflags"))
			exit(2);
		return 0;
	case OPT_EVENT_TYPE:
		if (event_type_add(&cli_build, arg))
			exit(2);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cli_build_argp = { options, parse_opt, NULL, NULL, NULL, NULL, NULL };
