// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf run as a profiler: the sampling event of SEC("perf_event")
 * programs (--freq, --period, --event) and how maps of stacks print
 * (--top, --folded).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/perf_event.h>

#include "run.h"

static struct {
	long freq, period, top;
	const char *event;
	bool folded;
} prof;

enum { OPT_FREQ = 0x200, OPT_PERIOD, OPT_EVENT, OPT_TOP, OPT_FOLDED };

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Profiling (SEC(\"perf_event\") programs, maps of stacks):", 10 },
	{ "freq", OPT_FREQ, "HZ", 0, "Sample HZ times a second on every CPU (default 99)", 10 },
	{ "period", OPT_PERIOD, "N", 0, "Sample every N events instead of at a frequency", 10 },
	{ "event", OPT_EVENT, "NAME", 0,
	  "The event sampled: cpu-clock (default), task-clock, page-faults, context-switches, "
	  "cpu-migrations, cycles, instructions, cache-references, cache-misses, branches, "
	  "branch-misses, bus-cycles, ref-cycles",
	  10 },
	{ "top", OPT_TOP, "N", 0, "Print only the N most counted stacks", 10 },
	{ "folded", OPT_FOLDED, NULL, 0,
	  "Print stacks folded, 'comm;frame;...;frame count' (flame graph input), and nothing "
	  "else",
	  10 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_FREQ:
		if (cli_parse_long("--freq", arg, 1, 1000000, &prof.freq))
			argp_usage(state);
		break;
	case OPT_PERIOD:
		if (cli_parse_long("--period", arg, 1, 1L << 40, &prof.period))
			argp_usage(state);
		break;
	case OPT_EVENT:
		prof.event = arg;
		break;
	case OPT_TOP:
		if (cli_parse_long("--top", arg, 1, 1L << 30, &prof.top))
			argp_usage(state);
		break;
	case OPT_FOLDED:
		prof.folded = true;
		break;
	case ARGP_KEY_END:
		if (prof.freq && prof.period)
			argp_error(state, "--freq and --period exclude each other: give one");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp run_profile_argp = { options, parse_opt, NULL, NULL, NULL, NULL, NULL };

int run_profile_setup(struct coolbpf_object *obj, bool json)
{
	/* an attr of our own: perf_type/perf_config 0/0 would be the default
	 * cpu-clock, not the hardware event 0 (cycles); static, as it must
	 * outlive the attach */
	static struct perf_event_attr attr = { .size = sizeof(attr) };
	COOLBPF_ATTACH_OPTS(po, .kind = COOLBPF_ATTACH_PERF_EVENT, .perf_attr = &attr);

	if (json && prof.folded) {
		cli_err("--folded is text (flame graph input): drop --json or --folded");
		return 2;
	}
	if (!prof.freq && !prof.period && !prof.event)
		return 0;
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	if (prof.event && coolbpf_perf_event__parse(prof.event, &attr.type, &attr.config))
		return 2; /* the library said which names there are */
	attr.freq = !prof.period;
	if (prof.period)
		attr.sample_period = (__u64)prof.period;
	else
		attr.sample_freq = prof.freq ? (__u64)prof.freq : 99;
	return coolbpf_object__set_perf_event(obj, &po) ? 1 : 0;
}

int run_profile_format(struct coolbpf_map *m, const struct coolbpf_format_opts *fmt,
		       struct coolbpf_buf *out)
{
	COOLBPF_STACK_OPTS(so, .fmt = fmt->fmt, .top = (size_t)prof.top, .folded = prof.folded);
	int err = coolbpf_map__format_stacks(m, &so, out);

	if (err != -EOPNOTSUPP)
		return err;
	/* a stack trace map shown through its counts prints nothing here */
	return prof.folded ? 0 : coolbpf_map__format(m, fmt, out);
}
