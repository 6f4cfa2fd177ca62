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

#include "cli.h"

#define MAX_LIST 64

static struct run_args {
	const char *path;
	bool json;
	long duration;
	const char *btf;
	const char *server;
	const char *kernel;
	const char *pin_dir;
	const char *defines[MAX_LIST + 1];
	const char *includes[MAX_LIST + 1];
	int nr_defines, nr_includes;
} args;

static volatile sig_atomic_t exiting;
static struct coolbpf_buf out = COOLBPF_BUF_INIT;
/* JSON mode: the compiler's diagnostics, for the {"error": ...} line */
static struct coolbpf_buf compile_err = COOLBPF_BUF_INIT;
static struct coolbpf_format_opts fmt_opts = { .sz = sizeof(fmt_opts) };
static bool out_broken;
/* text mode prefixes events with their map's name when there are several */
static bool several_event_maps;

enum { OPT_BTF = 0x100, OPT_SERVER, OPT_KERNEL, OPT_PIN, OPT_UNIT };

static const struct argp_option options[] = {
	{ "json", 'j', NULL, 0, "One JSON object per line", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: until Ctrl-C)", 0 },
	{ "btf", OPT_BTF, "FILE", 0, "BTF for CO-RE relocations (kernels without BTF)", 0 },
	{ "server", OPT_SERVER, "URL", 0, "Compile on this coolbpfd ($COOLBPF_SERVER)", 0 },
	{ "kernel", OPT_KERNEL, "RELEASE", OPTION_HIDDEN, "Target kernel release", 0 },
	{ "pin-maps", OPT_PIN, "DIR", 0, "Pin every map under DIR in bpffs (they outlive the run)",
	  0 },
	{ NULL, 'D', "NAME[=VAL]", 0, "Define a macro for the compile", 0 },
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
	"  coolbpf run -D TARGET_PID=1234 my.bpf.c\n"
	"  coolbpf run --btf /var/lib/btf/5.10.0-28-amd64.btf tool.o\n";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j':
		args.json = true;
		break;
	case 'd':
		if (cli_parse_long("duration", arg, 1, 365L * 24 * 3600, &args.duration))
			argp_usage(state);
		break;
	case OPT_BTF:
		args.btf = arg;
		break;
	case OPT_SERVER:
		args.server = arg;
		break;
	case OPT_KERNEL:
		args.kernel = arg;
		break;
	case OPT_PIN:
		args.pin_dir = arg;
		break;
	case OPT_UNIT:
		fmt_opts.unit = arg;
		break;
	case 'D':
	case 'I':
		if ((key == 'D' ? args.nr_defines : args.nr_includes) >= MAX_LIST) {
			cli_err("too many -%c options (at most %d)", key, MAX_LIST);
			exit(2);
		}
		if (key == 'D')
			args.defines[args.nr_defines++] = arg;
		else
			args.includes[args.nr_includes++] = arg;
		break;
	case 'v':
		cli_verbose++;
		break;
	case ARGP_KEY_ARG:
		if (args.path)
			argp_error(state, "one program at a time: '%s' and '%s'", args.path, arg);
		args.path = arg;
		break;
	case ARGP_KEY_END:
		if (!args.path)
			argp_error(state, "which program? give FILE.bpf.c or FILE.o");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
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

static int on_event(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	(void)ctx;
	if (!args.json && several_event_maps)
		coolbpf_buf__printf(&out, "%s: ", coolbpf_map__name(map));
	coolbpf_map__format_event(map, data, size, &fmt_opts, &out);
	coolbpf_buf__append(&out, "\n", 1);
	if (out.len >= 60 * 1024)
		flush_out();
	return 0;
}

static void on_lost(void *ctx, struct coolbpf_map *map, int cpu, __u64 count)
{
	(void)ctx;
	if (args.json) {
		coolbpf_buf__printf(&out, "{\"map\": ");
		coolbpf_buf__json_string(&out, coolbpf_map__name(map));
		coolbpf_buf__printf(&out, ", \"lost\": %llu, \"cpu\": %d}\n",
				    (unsigned long long)count, cpu);
	} else {
		flush_out();
		fprintf(stderr, "coolbpf: lost %llu events of map '%s' on CPU %d\n",
			(unsigned long long)count, coolbpf_map__name(map), cpu);
	}
}

/* Ring buffers have no lost-record notification: report their counters
 * once, at the end (perf buffers report as it happens, in on_lost). */
static void report_ringbuf_lost(struct coolbpf_object *obj)
{
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m)) {
		__u64 n = coolbpf_map__kind(m) == COOLBPF_MAP_RINGBUF ? coolbpf_map__lost(m) : 0;

		if (!n)
			continue;
		if (args.json) {
			coolbpf_buf__printf(&out, "{\"map\": ");
			coolbpf_buf__json_string(&out, coolbpf_map__name(m));
			coolbpf_buf__printf(&out, ", \"lost\": %llu}\n", (unsigned long long)n);
		} else
			fprintf(stderr,
				"coolbpf: lost %llu events of map '%s': the ring buffer was "
				"full (make it larger in LBC_RINGBUF)\n",
				(unsigned long long)n, coolbpf_map__name(m));
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
	for (size_t i = 0; i < coolbpf_object__attach_count(obj); i++) {
		const struct coolbpf_attach_info *ai = coolbpf_object__attach_info(obj, i);

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
				ai->section, ai->note ? ai->note : strerror(-ai->err));
		} else {
			fprintf(stderr, "coolbpf: attached %s: %s %s%s%s%s\n", ai->prog, ai->kind,
				ai->target, ai->note ? " (" : "", ai->note ? ai->note : "",
				ai->note ? ")" : "");
		}
	}
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

	size_t n = strlen(args.path);

	if (n < 2 || strcmp(args.path + n - 2, ".c"))
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
 * Wait for events, the deadline or SIGINT/SIGTERM. The signals are blocked
 * and read from a signalfd in the same epoll set as the object's events:
 * with a flag set by a handler, a signal landing between the check of the
 * flag and the wait would be lost and the wait would never end.
 */
static int event_loop(struct coolbpf_object *obj, double deadline)
{
	struct epoll_event ev = { .events = EPOLLIN }, got[4];
	int efd = coolbpf_object__events_fd(obj), sfd, ep, err = 0;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
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
	/* a signal that came during setup was caught by on_signal */
	while (!exiting) {
		int timeout = -1, n;

		if (deadline) {
			double left = deadline - mono_now();

			if (left <= 0)
				break;
			timeout = (int)(left * 1000) + 1;
		}
		n = epoll_wait(ep, got, 4, timeout);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == sfd) {
				exiting = 1;
			} else {
				int r = coolbpf_object__poll(obj, 0);

				if (r < 0 && r != -EINTR) {
					err = r;
					exiting = 1;
				}
			}
		}
		flush_out();
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	return err;
}

int cmd_run(int argc, char **argv)
{
	static const struct argp_child children[] = { { &cli_build_argp, 0, NULL, 0 }, {} };
	static const struct argp argp = { options, parse_opt, "FILE.bpf.c|FILE.o", doc, children,
					  NULL,	   NULL };
	struct coolbpf_object *obj = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	double deadline = 0;
	int err, rc = 1;

	if (cli_build_env(&cli_build) || argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	fmt_opts.fmt = args.json ? COOLBPF_FMT_JSON : COOLBPF_FMT_TEXT;
	if (args.json)
		json_log_setup();
	/* --btf is the compile's target BTF and the load's CO-RE BTF alike */
	COOLBPF_COMPILE_OPTS(copts, .defines = args.defines, .include_dirs = args.includes,
			     .server = args.server, .kernel = args.kernel, .btf_path = args.btf);
	COOLBPF_OBJECT_OPTS(oopts, .btf_path = args.btf, .compile = &copts);
	coolbpf_compile_opts__from_env(&copts);
	coolbpf_object_opts__from_env(&oopts);
	cli_build_apply(&cli_build, &copts);

	/* no SA_RESTART: a signal must interrupt the wait for events */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	obj = open_program(&copts, &oopts);
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
	if (coolbpf_object__load(obj)) {
		rc = fail("cannot load program");
		goto out;
	}
	if (args.pin_dir && pin_maps(obj)) {
		rc = fail("cannot pin maps");
		goto out;
	}
	err = coolbpf_object__attach(obj);
	report_attach(obj);
	if (err) {
		rc = fail("cannot attach program");
		goto out;
	}
	{
		int n = 0;

		for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
		     m = coolbpf_object__next_map(obj, m))
			n += coolbpf_map__kind(m) == COOLBPF_MAP_RINGBUF ||
			     coolbpf_map__kind(m) == COOLBPF_MAP_PERF;
		several_event_maps = n > 1;
	}
	COOLBPF_EVENTS_OPTS(eopts, .on_event = on_event, .on_lost = on_lost);
	if (coolbpf_object__open_events(obj, &eopts) ||
	    coolbpf_object__open_trace(obj, on_trace, NULL)) {
		rc = fail("cannot open event output");
		goto out;
	}
	if (!args.json)
		fprintf(stderr, "coolbpf: tracing%s... hit Ctrl-C to end.\n",
			args.duration ? " for a while" : "");
	if (args.duration)
		deadline = mono_now() + (double)args.duration;
	err = event_loop(obj, deadline);
	if (err)
		cli_err("polling events failed: %s", strerror(-err));
	coolbpf_object__consume(obj);
	coolbpf_object__detach(obj); /* stop the events before reading the maps */
	for (struct coolbpf_map *m = coolbpf_object__next_map(obj, NULL); m;
	     m = coolbpf_object__next_map(obj, m)) {
		if (!coolbpf_map__scratch(m) || cli_verbose)
			coolbpf_map__format(m, &fmt_opts, &out);
	}
	report_ringbuf_lost(obj);
	if (coolbpf_object__lost_events(obj) && !args.json)
		fprintf(stderr, "coolbpf: %llu events lost in total\n",
			(unsigned long long)coolbpf_object__lost_events(obj));
	flush_out();
	rc = out_broken ? 1 : 0;
out:
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
