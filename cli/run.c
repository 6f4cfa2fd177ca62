// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf run: compile if needed, load, attach, print every event as it
 * comes, and every other map on exit.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define MAX_LIST 64

static struct run_args {
	const char *path;
	bool json;
	double duration;
	double interval;	       /* -i: print the maps every interval seconds */
	bool clear;		       /* --clear: and empty them after */
	bool timestamps;	       /* -T */
	unsigned long long queue_size; /* --queue-size: each event map's */
	unsigned long long perf_pages; /* --perf-pages: per CPU */
	const char *btf;
	const char *server;
	const char *kernel;
	const char *pin_dir;
	const char *sets[MAX_LIST + 1];
	int nr_sets;
	/* a tool of coolbpf build: its program, built in (NULL: run's FILE) */
	const struct run_tool *tool;
	const char *sizes[MAX_LIST + 1];
	int nr_sizes;
	bool strict;
} args;

static volatile sig_atomic_t exiting;
static struct coolbpf_buf out = COOLBPF_BUF_INIT;
/* JSON mode: the compiler's diagnostics, for the {"error": ...} line */
static struct coolbpf_buf compile_err = COOLBPF_BUF_INIT;
static struct coolbpf_format_opts fmt_opts = { .sz = sizeof(fmt_opts) };
static bool out_broken;
/* text mode prefixes events with their map's name when there are several */
static bool several_event_maps;
/* --columns: the object's BTF, for the fields' types */
static const struct btf *events_btf;

enum {
	OPT_BTF = 0x100,
	OPT_SERVER,
	OPT_KERNEL,
	OPT_PIN,
	OPT_SET,
	OPT_CLEAR,
	OPT_UNIT,
	OPT_MAP_SIZE,
	OPT_STRICT,
	OPT_QUEUE,
	OPT_PERF_PAGES
};

static const struct argp_option options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line", 0 },
	{ "duration", 'd', "SECONDS", 0,
	  "Stop after SECONDS, fractions allowed (default: until Ctrl-C)", 0 },
	{ "interval", 'i', "SECONDS", 0,
	  "Print the maps every SECONDS (fractions allowed) under a time header, and on exit", 0 },
	{ "clear", OPT_CLEAR, NULL, 0, "With -i: empty the maps after each print (per interval)",
	  0 },
	{ "timestamp", 'T', NULL, 0, "Start each event with the wall-clock time (JSON: \"time\")",
	  0 },
	{ "queue-size", OPT_QUEUE, "BYTES", 0,
	  "Queue up to BYTES (K, M, G) of each event map's records in user space, drained from "
	  "the kernel's buffer by a thread of its own; what does not fit is reported as dropped "
	  "(default 256M)",
	  0 },
	{ "perf-pages", OPT_PERF_PAGES, "N", 0,
	  "Pages of each CPU's perf buffer, a power of two (default 64)", 0 },
	{ "btf", OPT_BTF, "FILE", 0, "BTF for CO-RE relocations (kernels without BTF)", 0 },
	{ "server", OPT_SERVER, "URL", 0, "Compile on this coolbpfd ($COOLBPF_SERVER)", 0 },
	{ "kernel", OPT_KERNEL, "RELEASE", OPTION_HIDDEN, "Target kernel release", 0 },
	{ "pin-maps", OPT_PIN, "DIR", 0, "Pin every map under DIR in bpffs (they outlive the run)",
	  0 },
	{ "set", OPT_SET, "NAME=VALUE", 0,
	  "Set a global (const volatile, or plain) before load; repeatable. Works on .o files", 0 },
	{ "map-size", OPT_MAP_SIZE, "MAP=ENTRIES", 0,
	  "Give MAP ENTRIES entries (maps a program leaves unsized get libbpf-tools' sizes, "
	  "said with -v); repeatable",
	  0 },
	{ "strict", OPT_STRICT, NULL, 0,
	  "Fail when any program cannot attach (default: a program whose tracepoint or function "
	  "this kernel lacks is left out, with a warning, if others attach)",
	  0 },
	{ NULL, 'D', "NAME[=VAL]", 0, "Define a macro for the compile (sources only)", 0 },
	{ NULL, 'I', "DIR", 0, "Add an include directory for the compile", 0 },
	{ "unit", OPT_UNIT, "NAME", 0,
	  "Label histograms' values NAME (default: usecs/nsecs/msecs from the map's names)", 0 },
	{ "verbose", 'v', NULL, 0,
	  "Say more, and print scratch maps too (twice: libbpf debug output)", 0 },
	{},
};

static const char doc[] =
	"Compile (if needed), load and attach FILE.bpf.c or FILE.o, print every event of its "
	"ring buffers and perf buffers decoded by their BTF type, and on exit print its other "
	"maps: histograms as histograms, stack maps symbolized, others as key/value tables."
	"\v"
	"EXAMPLES:\n"
	"  coolbpf run examples/execsnoop.bpf.c          # trace exec() calls\n"
	"  coolbpf run --json -d 5 examples/opensnoop.bpf.c\n"
	"  coolbpf run -i 1 --clear examples/runqlat.bpf.c   # a histogram per second\n"
	"  coolbpf run -T -d 0.5 examples/execsnoop.bpf.c\n"
	"  coolbpf run --set target_pid=1234 my.bpf.o   # const volatile int target_pid;\n"
	"  coolbpf run -D TARGET_PID=1234 my.bpf.c\n"
	"  coolbpf run --btf /var/lib/btf/5.10.0-28-amd64.btf tool.o\n";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		args.json = true;
		break;
	case 'd':
		if (cli_parse_seconds("duration", arg, 0.001, 365.0 * 24 * 3600, &args.duration))
			argp_usage(state);
		break;
	case 'i':
		if (cli_parse_seconds("interval", arg, 0.01, 365.0 * 24 * 3600, &args.interval))
			argp_usage(state);
		break;
	case OPT_CLEAR:
		args.clear = true;
		break;
	case 'T':
		args.timestamps = true;
		break;
	case OPT_QUEUE:
		if (cli_parse_bytes("--queue-size", arg, 4096, 1ULL << 40, &args.queue_size))
			argp_usage(state);
		break;
	case OPT_PERF_PAGES:
		if (cli_parse_count("--perf-pages", arg, 1, 1 << 20, true, &args.perf_pages))
			exit(2);
		break;
	case OPT_BTF:
		args.btf = arg;
		break;
	case OPT_SERVER:
		if (args.tool)
			argp_error(state, "--server compiles, and %s is compiled already",
				   args.tool->name);
		args.server = arg;
		break;
	case OPT_KERNEL:
		args.kernel = arg;
		break;
	case OPT_PIN:
		args.pin_dir = arg;
		break;
	case OPT_SET:
		if (cli_list_add("--set", "NAME=VALUE", args.sets, &args.nr_sets, MAX_LIST, arg))
			exit(2);
		break;
	case OPT_MAP_SIZE:
		if (cli_list_add("--map-size", "MAP=ENTRIES", args.sizes, &args.nr_sizes, MAX_LIST,
				 arg))
			exit(2);
		break;
	case OPT_STRICT:
		args.strict = true;
		break;
	case OPT_UNIT:
		fmt_opts.unit = arg;
		break;
	case 'D':
	case 'I':
		if (args.tool)
			argp_error(state, "-%c is a compile option, and %s is compiled already%s",
				   key, args.tool->name,
				   key == 'D' ? ": set its parameters with --set NAME=VALUE" : "");
		if (cli_build_cpp(&cli_build, key, arg))
			exit(2);
		break;
	case 'v':
		cli_verbose++;
		break;
	case ARGP_KEY_ARG:
		if (args.tool)
			argp_error(state, "%s runs the program built into it: no FILE ('%s')",
				   args.tool->name, arg);
		if (args.path)
			argp_error(state, "one program at a time: '%s' and '%s'", args.path, arg);
		args.path = arg;
		break;
	case ARGP_KEY_END:
		if (!args.path)
			argp_error(state, "which program? give FILE.bpf.c or FILE.o");
		if (args.clear && !args.interval)
			argp_error(state,
				   "--clear empties the maps after each -i print: give -i SECONDS");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void flush_out(void)
{
	if (out.len && !out_broken) {
		if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout))
			out_broken = true; /* reader went away: stop, clean up, exit */
	}
	coolbpf_buf__reset(&out);
	if (out_broken)
		exiting = 1;
}

/* Wall-clock now: text "16:58:03.123" (events) or "16:58:03" (interval
 * headers); JSON ISO 8601 with the zone, "2026-12-02T16:58:03.123+00:00". */
static const char *wall_time(char *buf, size_t sz, bool json, bool ms)
{
	struct timespec ts;
	struct tm tm;
	char zone[8] = "";
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, sz, json ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	if (ms || json)
		snprintf(buf + n, sz - n, ".%03ld", ts.tv_nsec / 1000000);
	if (json && strftime(zone, sizeof(zone), "%z", &tm) == 5) {
		n = strlen(buf);
		snprintf(buf + n, sz - n, "%.3s:%s", zone, zone + 3);
	}
	return buf;
}

static int on_event(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	char now[64];

	(void)ctx;
	if (args.timestamps)
		fmt_opts.time = wall_time(now, sizeof(now), args.json, true);
	if (!args.json && several_event_maps && !run_columns) {
		if (args.timestamps)
			coolbpf_buf__printf(&out, "%s ", now);
		fmt_opts.time = NULL; /* it comes before the map's name */
		coolbpf_buf__printf(&out, "%s: ", coolbpf_map__name(map));
	}
	if (!run_columns || run_columns_event(map, events_btf, data, size, fmt_opts.time, &out))
		coolbpf_map__format_event(map, data, size, &fmt_opts, &out);
	fmt_opts.time = NULL;
	coolbpf_buf__append(&out, "\n", 1);
	if (out.len >= 1 << 20) /* large writes; the loop flushes the rest when idle */
		flush_out();
	return 0;
}

/*
 * Loss is never silent: every event map's count of records the kernel
 * refused (lbc.h's table, perf's lost records) and, apart, of records our
 * queue had no room for, is reported when it changed, at most once a
 * second while running and once at exit. Text: a line on stderr; JSON:
 * {"map": M, "lost": N} or {"map": M, "dropped": N} on stdout, the total
 * so far, with "exit": true on the last.
 */
struct loss_seen {
	const struct coolbpf_map *map;
	__u64 lost;
	__u64 dropped;
};
static struct loss_seen loss_seen[64];
static size_t nr_loss_seen;
static double loss_last_report;

static struct loss_seen *loss_slot(const struct coolbpf_map *m)
{
	for (size_t i = 0; i < nr_loss_seen; i++)
		if (loss_seen[i].map == m)
			return &loss_seen[i];
	if (nr_loss_seen == sizeof(loss_seen) / sizeof(loss_seen[0]))
		return NULL;
	loss_seen[nr_loss_seen].map = m;
	return &loss_seen[nr_loss_seen++];
}

static void report_count(const struct coolbpf_map *m, const char *what, __u64 n, bool at_exit,
			 const char *why)
{
	if (args.json) {
		coolbpf_buf__printf(&out, "{\"map\": ");
		coolbpf_buf__json_string(&out, coolbpf_map__name(m));
		coolbpf_buf__printf(&out, ", \"%s\": %llu%s}\n", what, (unsigned long long)n,
				    at_exit ? ", \"exit\": true" : "");
		return;
	}
	flush_out();
	fprintf(stderr, "coolbpf: map '%s': %llu events %s %s (%s)\n", coolbpf_map__name(m),
		(unsigned long long)n, what, at_exit ? "in all" : "so far", why);
}

static void report_loss(struct coolbpf_object *obj, bool at_exit)
{
	double now = mono_now();

	if (!at_exit && now - loss_last_report < 1.0)
		return;
	loss_last_report = now;
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m)) {
		enum coolbpf_map_kind k = coolbpf_map__kind(m);
		struct loss_seen *seen;
		__u64 lost, dropped;

		if (k != COOLBPF_MAP_RINGBUF && k != COOLBPF_MAP_PERF)
			continue;
		lost = coolbpf_map__lost(m);
		dropped = coolbpf_map__dropped(m);
		seen = loss_slot(m);
		if (!seen)
			continue;
		if (lost != seen->lost || (at_exit && lost))
			report_count(
				m, "lost", lost, at_exit,
				k == COOLBPF_MAP_RINGBUF ?
					"the ring buffer was full: make it larger in LBC_RINGBUF" :
					"the perf buffer was full: consume faster or send less");
		if (dropped != seen->dropped || (at_exit && dropped))
			report_count(m, "dropped", dropped, at_exit,
				     "the user-space queue was full: give a larger --queue-size, "
				     "or read the output faster");
		seen->lost = lost;
		seen->dropped = dropped;
	}
}

static void on_trace(void *ctx, const char *line)
{
	(void)ctx;
	if (args.json) {
		coolbpf_buf__printf(&out, "{\"printk\": ");
		coolbpf_buf__json_string(&out, line);
		coolbpf_buf__printf(&out, "}\n");
	} else {
		coolbpf_buf__printf(&out, "%s\n", line);
	}
}

static void report_attach(const struct coolbpf_object *obj)
{
	/* text: a failure said once, the programs failing for the same
	 * reason after it counted (a limit hit by 136 programs is one line) */
	const char *said = NULL;
	size_t same = 0;

	for (size_t i = 0; i < coolbpf_object__attach_count(obj); i++) {
		const struct coolbpf_attach_info *ai = coolbpf_object__attach_info(obj, i);
		const char *why = ai->note ? ai->note : strerror(-ai->err);

		if (!args.json && ai->err && said && !strcmp(said, why)) {
			same++;
			continue;
		}

		if (args.json) {
			struct coolbpf_buf b = COOLBPF_BUF_INIT;

			coolbpf_buf__printf(&b, "{\"program\": ");
			coolbpf_buf__json_string(&b, ai->prog);
			coolbpf_buf__printf(&b, ", \"section\": ");
			coolbpf_buf__json_string(&b, ai->section);
			coolbpf_buf__printf(&b, ", \"attached\": %s, \"kind\": ",
					    ai->err == 0 && strcmp(ai->kind, "loaded") ? "true" :
											 "false");
			coolbpf_buf__json_string(&b, ai->kind);
			coolbpf_buf__printf(&b, ", \"target\": ");
			coolbpf_buf__json_string(&b, ai->target);
			if (ai->note) {
				coolbpf_buf__printf(&b, ", \"%s\": ", ai->err ? "error" : "note");
				coolbpf_buf__json_string(&b, ai->note);
			}
			fprintf(stderr, "%s}\n", b.data);
			coolbpf_buf__release(&b);
		} else if (ai->err) {
			fprintf(stderr, "coolbpf: not attached: %s (%s): %s\n", ai->prog,
				ai->section, why);
			said = why;
		} else if (!strcmp(ai->kind, "loaded")) {
			fprintf(stderr, "coolbpf: %s (%s): %s\n", ai->prog, ai->section,
				ai->note ? ai->note : "loaded, not attached");
		} else {
			fprintf(stderr, "coolbpf: attached %s: %s %s%s%s%s\n", ai->prog, ai->kind,
				ai->target, ai->note ? " (" : "", ai->note ? ai->note : "",
				ai->note ? ")" : "");
		}
	}
	if (same)
		fprintf(stderr,
			"coolbpf: not attached either: %zu more programs, for the same reason\n",
			same);
}

/* Every map that is not an event map, as on exit. With -i: under a time
 * header (text) or with "time" in each object (JSON), then emptied when
 * --clear. */
static void print_maps(struct coolbpf_object *obj, bool interval)
{
	struct coolbpf_buf maps = COOLBPF_BUF_INIT;
	char now[64];

	COOLBPF_FORMAT_OPTS(fo, .fmt = fmt_opts.fmt, .unit = fmt_opts.unit);
	if (interval && args.json)
		fo.time = wall_time(now, sizeof(now), true, false);
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m)) {
		/* scratch state (a start-time hash, a per-CPU heap) is neither
		 * printed nor cleared: clearing it would lose what is in flight */
		if (coolbpf_map__scratch(m) && !cli_verbose)
			continue;
		run_profile_format(m, &fo, &maps);
		if (interval && args.clear)
			coolbpf_map__clear(m);
	}
	if (maps.len) {
		if (interval && !args.json)
			coolbpf_buf__printf(&out, "%s\n",
					    wall_time(now, sizeof(now), false, false));
		coolbpf_buf__append(&out, maps.data, maps.len);
	}
	coolbpf_buf__release(&maps);
}

/* JSON mode: errors are JSON on stderr too. */
static int fail(const char *what)
{
	const char *msg = compile_err.len ? compile_err.data : coolbpf_errmsg();

	if (args.json) {
		struct coolbpf_buf b = COOLBPF_BUF_INIT;

		coolbpf_buf__printf(&b, "{\"error\": ");
		coolbpf_buf__json_string(&b, msg[0] ? msg : what);
		fprintf(stderr, "%s}\n", b.data);
		coolbpf_buf__release(&b);
	} else if (!msg[0]) {
		cli_err("%s: %s", what, strerror(errno));
	}
	return 1;
}

static void json_log_setup(void);

static bool is_source(const char *path)
{
	size_t n = strlen(path);

	return n >= 2 && !strcmp(path + n - 2, ".c");
}

/* "a (int), b (char[16])": what --set takes in this object. */
static void settable_names(const struct coolbpf_object *obj, struct coolbpf_buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < coolbpf_object__global_count(obj); i++) {
		const struct coolbpf_global_info *g = coolbpf_object__global_info(obj, i);

		if (g->settable)
			coolbpf_buf__printf(b, "%s%s (%s)", n++ ? ", " : "", g->name, g->type);
	}
	if (!n)
		coolbpf_buf__printf(b, "none");
}

/* -D is the compile's: an object is compiled already, and its parameters
 * are globals. Said, never ignored. */
static int check_defines(const struct coolbpf_object *obj)
{
	struct coolbpf_buf b = COOLBPF_BUF_INIT;

	if (!cli_build.nr_defines || is_source(args.path))
		return 0;
	settable_names(obj, &b);
	coolbpf_buf__reset(&compile_err);
	coolbpf_buf__printf(
		&compile_err,
		"-D %s defines a macro for a compile, and '%s' is compiled already: set "
		"its globals with --set NAME=VALUE (settable: %s), or run the .bpf.c",
		cli_build.defines[0], args.path, b.data);
	coolbpf_buf__release(&b);
	if (!args.json)
		cli_err("%s", compile_err.data);
	errno = EINVAL;
	return -1;
}

static int apply_sets(struct coolbpf_object *obj)
{
	for (int i = 0; i < args.nr_sets; i++) {
		char name[256];
		const char *eq = strchr(args.sets[i], '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - args.sets[i]), args.sets[i]);
		if (coolbpf_object__set_global(obj, name, eq + 1))
			return -1;
		if (cli_verbose)
			fprintf(stderr, "coolbpf: set %s = %s\n", name, eq + 1);
	}
	return 0;
}

/* --map-size, then (-v) every size coolbpf chose for the program */
static int apply_map_sizes(struct coolbpf_object *obj)
{
	for (int i = 0; i < args.nr_sizes; i++) {
		const char *eq = strchr(args.sizes[i], '=');
		char name[256], *end;
		struct coolbpf_map *m;
		unsigned long long n;

		snprintf(name, sizeof(name), "%.*s", (int)(eq - args.sizes[i]), args.sizes[i]);
		m = coolbpf_object__map(obj, name);
		if (!m) {
			cli_err("--map-size %s: the program has no map '%s'", args.sizes[i], name);
			return -1;
		}
		errno = 0;
		n = strtoull(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end || !n || n > UINT32_MAX || eq[1] == '-') {
			cli_err("--map-size %s: give a number of entries from 1 to %u",
				args.sizes[i], UINT32_MAX);
			return -1;
		}
		if (coolbpf_map__set_max_entries(m, (__u32)n)) {
			cli_err("--map-size %s: %s", args.sizes[i], coolbpf_errmsg());
			return -1;
		}
		if (cli_verbose)
			fprintf(stderr, "coolbpf: map '%s': %u entries (--map-size)\n", name,
				coolbpf_map__max_entries(m));
	}
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); cli_verbose && m;
	     m = coolbpf_object__next_map(obj, m))
		if (coolbpf_map__sized_by_default(m))
			fprintf(stderr,
				"coolbpf: map '%s': the program leaves its size to user space; "
				"coolbpf gives it %u entries of %u bytes (--map-size %s=N to change)\n",
				coolbpf_map__name(m), coolbpf_map__max_entries(m),
				coolbpf_map__value_size(m), coolbpf_map__name(m));
	return 0;
}

/* every program left out (none loaded-only either) */
static bool nothing_attached(const struct coolbpf_object *obj)
{
	size_t n = coolbpf_object__attach_count(obj);

	for (size_t i = 0; i < n; i++)
		if (!coolbpf_object__attach_info(obj, i)->err)
			return false;
	return n > 0;
}

static int pin_maps(struct coolbpf_object *obj)
{
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m)) {
		char path[PATH_MAX];

		if (coolbpf_map__kind(m) == COOLBPF_MAP_INTERNAL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", args.pin_dir, coolbpf_map__name(m));
		if (coolbpf_map__pin(m, path))
			return -1;
		fprintf(stderr, "coolbpf: pinned map %s at %s\n", coolbpf_map__name(m), path);
	}
	return 0;
}

/* Sources are compiled here rather than inside open_file so that clang's
 * diagnostics reach the terminal exactly as clang printed them. */
static struct coolbpf_object *open_program(const struct coolbpf_compile_opts *copts,
					   struct coolbpf_object_opts *oopts)
{
	struct coolbpf_compile_result res = {};
	struct coolbpf_object *obj;
	char name[256];
	const char *base;
	int err;

	if (args.tool) {
		oopts->name = args.tool->name;
		return coolbpf_object__open_mem(args.tool->obj, args.tool->obj_sz, oopts);
	}
	if (!is_source(args.path))
		return coolbpf_object__open_file(args.path, oopts);
	if (access(args.path, R_OK)) {
		err = errno;
		cli_err("cannot open '%s': %s", args.path, strerror(err));
		errno = err;
		return NULL;
	}
	err = coolbpf_compile_file(args.path, copts, &res);
	if (err) {
		if (res.log && res.log[0] && !args.json)
			fputs(res.log, stderr);
		if (!args.json && res.log && res.log[0])
			cli_err("cannot compile '%s'", args.path);
		else if (args.json && res.log && res.log[0])
			coolbpf_buf__printf(&compile_err, "cannot compile '%s':\n%s", args.path,
					    res.log);
		coolbpf_compile_result__release(&res);
		errno = -err;
		return NULL;
	}
	base = strrchr(args.path, '/');
	snprintf(name, sizeof(name), "%s", base ? base + 1 : args.path);
	name[strcspn(name, ".")] = '\0';
	oopts->name = name;
	obj = coolbpf_object__open_mem(res.obj, res.obj_sz, oopts);
	coolbpf_compile_result__release(&res);
	return obj;
}

/*
 * Wait for events, the deadline or SIGINT/SIGTERM/SIGHUP/SIGQUIT. The signals are blocked
 * and read from a signalfd in the same epoll set as the object's events:
 * with a flag set by a handler, a signal landing between the check of the
 * flag and the wait would be lost and the wait would never end.
 */
static int event_loop(struct coolbpf_object *obj, double deadline, int metrics_fd)
{
	double tick = args.interval ? mono_now() + args.interval : 0;
	struct epoll_event ev = { .events = EPOLLIN }, got[4];
	int efd = coolbpf_object__events_fd(obj), sfd, ep, err = 0;
	sigset_t mask;

	cli_exit_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0) {
		err = -errno;
		goto out;
	}
	ev.data.fd = sfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev)) {
		err = -errno;
		goto out;
	}
	/* no event maps and no printk: only the signal or the deadline ends it */
	ev.data.fd = efd;
	if (efd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev)) {
		err = -errno;
		goto out;
	}
	ev.data.fd = metrics_fd;
	if (metrics_fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, metrics_fd, &ev)) {
		err = -errno;
		goto out;
	}
	/* a signal that came during setup was caught by cli_catch_signals' handler */
	while (!exiting && !cli_signal) {
		double wake = deadline, now = mono_now();
		int timeout = -1, n;

		/* the deadline first: the print on exit is the last interval's */
		if (deadline && deadline <= now)
			break;
		if (tick && tick <= now) {
			coolbpf_object__consume(obj); /* the interval's events before its maps */
			print_maps(obj, true);
			flush_out();
			tick = tick + args.interval > now ? tick + args.interval :
							    now + args.interval;
		}
		if (tick && (!wake || tick < wake))
			wake = tick;
		if (wake)
			timeout = (int)((wake - now) * 1000) + 1;
		if (timeout < 0 || timeout > 1000)
			timeout = 1000; /* the loss report's pace */
		n = epoll_wait(ep, got, 4, timeout);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == sfd) {
				exiting = 1;
			} else if (got[i].data.fd == metrics_fd) {
				run_metrics_serve();
			} else {
				int r = coolbpf_object__poll(obj, 0);

				if (r < 0 && r != -EINTR) {
					err = r;
					exiting = 1;
				}
			}
		}
		report_loss(obj, false);
		flush_out();
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	return err;
}

/* A tool's --help: its own name, what it is, then its parameters and
 * kernels (from the program built into it) after the options. */
static char *tool_help(int key, const char *text, void *input)
{
	struct coolbpf_buf b = COOLBPF_BUF_INIT;
	char *s;

	(void)input;
	if (key == ARGP_KEY_HELP_PRE_DOC)
		coolbpf_buf__printf(&b,
				    "%s: an eBPF tool made by 'coolbpf build'. Loads and "
				    "attaches its programs, prints every event, and on exit its "
				    "maps. Runs with no compiler and no coolbpf installed.",
				    args.tool->name);
	else if (key == ARGP_KEY_HELP_POST_DOC && args.tool->describe)
		args.tool->describe(args.tool, &b);
	else
		return (char *)text;
	s = b.len ? strdup(b.data) : NULL;
	coolbpf_buf__release(&b);
	return s;
}

/* run's options less the compile's, for a tool (which is compiled) */
static const struct argp_option *tool_options(void)
{
	static struct argp_option opts[sizeof(options) / sizeof(options[0])];

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		opts[i] = options[i];
		if (opts[i].key == 'D' || opts[i].key == 'I' || opts[i].key == OPT_SERVER ||
		    opts[i].key == OPT_KERNEL)
			opts[i].flags |= OPTION_HIDDEN;
	}
	return opts;
}

int cmd_run(int argc, char **argv)
{
	return run_tool(argc, argv, NULL);
}

int run_tool(int argc, char **argv, const struct run_tool *tool)
{
	static const struct argp_child children[] = { { &run_profile_argp, 0, NULL, 0 },
						      { &run_metrics_argp, 0, NULL, 0 },
						      { &run_columns_argp, 0, NULL, 0 },
						      { &cli_build_argp, 0, NULL, 0 },
						      {} };
	static const struct argp argp = { options, parse_opt, "FILE.bpf.c|FILE.o", doc, children,
					  NULL,	   NULL };
	struct argp tool_argp = { tool_options(), parse_opt, "", "\v", children, tool_help, NULL };
	struct argp_child tool_children[] = { children[0], children[1], children[2], {} };
	struct coolbpf_object *obj = NULL;
	double deadline = 0;
	int err, rc = 1, metrics_fd = -1;

	args.tool = tool;
	if (tool) {
		args.path = tool->name;
		tool_argp.children = tool_children;
	}
	if (!tool && cli_build_env(&cli_build))
		return 2;
	if (argp_parse(tool ? &tool_argp : &argp, argc, argv, 0, NULL, NULL))
		return 2;
	if (args.json && run_columns) {
		cli_err("--columns lays out text: leave out --json (JSON events are objects already)");
		return 2;
	}
	fmt_opts.fmt = args.json ? COOLBPF_FMT_JSON : COOLBPF_FMT_TEXT;
	if (args.json)
		json_log_setup();
	/* --btf is the compile's target BTF and the load's CO-RE BTF alike */
	COOLBPF_COMPILE_OPTS(copts, .server = args.server, .kernel = args.kernel,
			     .btf_path = args.btf);
	COOLBPF_OBJECT_OPTS(oopts, .btf_path = args.btf, .compile = &copts);
	if (coolbpf_compile_opts__from_env(&copts))
		return 2;
	coolbpf_object_opts__from_env(&oopts);
	cli_build_apply(&cli_build, &copts);

	/* no SA_RESTART: a signal must interrupt the wait for events */
	cli_catch_signals();

	obj = open_program(&copts, &oopts);
	/* told to end while compiling or opening: nothing to report */
	if (cli_signal) {
		rc = 128 + cli_signal;
		goto out;
	}
	if (!obj)
		return fail("cannot open program");
	/* BTF that came over the network is always said */
	if (args.json && !strncmp(coolbpf_object__btf_origin(obj), "remote ", 7)) {
		struct coolbpf_buf b = COOLBPF_BUF_INIT;

		coolbpf_buf__printf(&b, "{\"btf\": ");
		coolbpf_buf__json_string(&b, coolbpf_object__btf_origin(obj));
		fprintf(stderr, "%s}\n", b.data);
		coolbpf_buf__release(&b);
	} else if (cli_verbose || !strncmp(coolbpf_object__btf_origin(obj), "remote ", 7)) {
		fprintf(stderr, "coolbpf: BTF for CO-RE: %s\n", coolbpf_object__btf_origin(obj));
	}
	if (check_defines(obj) || apply_sets(obj)) {
		fail("cannot set parameters");
		rc = 2; /* a usage error: nothing was loaded */
		goto out;
	}
	if (apply_map_sizes(obj)) {
		rc = 2;
		goto out;
	}
	/* unless --strict, a program whose tracepoint or kernel function this
	 * kernel lacks (syncsnoop's, on x86) is left out when others attach */
	coolbpf_object__set_missing_optional(obj, !args.strict);
	rc = run_profile_setup(obj, args.json);
	if (rc) {
		if (rc == 1)
			fail("cannot set the perf event");
		goto out;
	}
	rc = 1;
	if (cli_verbose)
		fprintf(stderr, "coolbpf: bpf() backend: %s\n", cli_bpf_backend_text());
	if (coolbpf_object__load(obj)) {
		rc = cli_signal ? 128 + cli_signal : fail("cannot load program");
		goto out;
	}
	if (args.pin_dir && pin_maps(obj)) {
		rc = fail("cannot pin maps");
		goto out;
	}
	/* each program's attach is said once, by the report */
	cli_mute_warnings = true;
	err = coolbpf_object__attach(obj);
	cli_mute_warnings = false;
	report_attach(obj);
	if (err) {
		rc = fail("cannot attach program");
		goto out;
	}
	if (nothing_attached(obj)) {
		if (args.json)
			fprintf(stderr, "{\"error\": \"nothing attached: every program was left "
					"out (each one's reason above)\"}\n");
		else
			cli_err("nothing attached: every program was left out (each one's reason "
				"above)");
		goto out;
	}
	{
		int n = 0;

		for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
		     m = coolbpf_object__next_map(obj, m))
			n += coolbpf_map__kind(m) == COOLBPF_MAP_RINGBUF ||
			     coolbpf_map__kind(m) == COOLBPF_MAP_PERF;
		several_event_maps = n > 1;
		events_btf = coolbpf_object__btf(obj);
	}
	COOLBPF_EVENTS_OPTS(eopts, .on_event = on_event,
			    .queue_size = args.queue_size ?: COOLBPF_EVENTS_QUEUE_DEFAULT,
			    .perf_pages = args.perf_pages);
	if (coolbpf_object__open_events(obj, &eopts) ||
	    coolbpf_object__open_trace(obj, on_trace, NULL)) {
		rc = fail("cannot open event output");
		goto out;
	}
	rc = run_metrics_start(obj, &metrics_fd);
	if (rc)
		goto out;
	rc = 1;
	if (!args.json)
		fprintf(stderr, "coolbpf: tracing%s... hit Ctrl-C to end.\n",
			args.duration ? " for a while" : "");
	if (args.duration)
		deadline = mono_now() + args.duration;
	err = event_loop(obj, deadline, metrics_fd);
	if (err)
		cli_err("polling events failed: %s", strerror(-err));
	/* stop the events before reading the maps; then every event sent
	 * before is in the queues or the kernel's buffers */
	coolbpf_object__detach(obj);
	while (!out_broken && coolbpf_object__consume(obj) > 0)
		;
	print_maps(obj, args.interval > 0);
	report_loss(obj, true);
	if (coolbpf_object__lost_events(obj) && !args.json)
		fprintf(stderr, "coolbpf: %llu events lost in total\n",
			(unsigned long long)coolbpf_object__lost_events(obj));
	flush_out();
	rc = out_broken ? 1 : 0;
out:
	run_metrics_stop();
	coolbpf_object__close(obj);
	coolbpf_buf__release(&out);
	coolbpf_buf__release(&compile_err);
	cli_build_release(&cli_build);
	return rc;
}

static int json_log_print(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	/* in JSON mode warnings surface once, as {"error": ...}; keep debug */
	if (level == COOLBPF_DEBUG && cli_verbose >= 2)
		return vfprintf(stderr, fmt, ap);
	if (level == COOLBPF_INFO && cli_verbose >= 1)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void json_log_setup(void)
{
	coolbpf_set_print(json_log_print);
}
