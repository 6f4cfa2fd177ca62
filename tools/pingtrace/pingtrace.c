// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pingtrace: where does a ping's time go? Sends ICMP echoes from a raw
 * socket and reports, per packet, the time spent in each kernel stage on
 * the way out and back (pingtrace.bpf.c); with --responder, the peer's
 * own stages for the echoes it answers.
 *
 * This file: the options, the embedded BPF object's open, load and attach
 * (through libcoolbpf), and the choice of mode: sender.c or responder.c;
 * report.c prints what they measure.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <coolbpf/coolbpf.h>

#include "pingtrace_user.h"
#include "base/banned.h"

extern const char pt_bpf_obj[], pt_bpf_obj_end[];

#define PROC_PID_INIT_INO 0xEFFFFFFCU /* the initial pid namespace's inode, fixed */

struct env env = {
	.interval = 1.0,
	.size = 56,
	.timeout = 1.0,
};

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

/* libcoolbpf's messages: warnings always, info with -v, debug with -vv */
static int log_print(enum coolbpf_print_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static int log_print(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	if ((level == COOLBPF_DEBUG && env.verbose < 2) || (level == COOLBPF_INFO && !env.verbose))
		return 0;
	fputs("pingtrace: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* A failure pingtrace cannot go on from: the message, and exit status 1. */
void die(const char *fmt, ...)
{
	va_list ap;

	fputs("pingtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* The embedded programs, configured for mode (enum pt_mode), loaded and attached. */
struct coolbpf_object *open_bpf(unsigned int mode, unsigned long long sock_cookie)
{
	struct coolbpf_object *obj;
	struct pt_config c = { .mode = mode,
			       .tgid = (unsigned int)getpid(),
			       .sock_cookie = sock_cookie };
	struct stat sb;
	unsigned int zero = 0;
	int err;

	/* no /proc/self/ns at all (a kernel without namespaces: one of each,
	 * the initial ones) is not an error; no /proc is */
	if (access("/proc/self/stat", F_OK))
		die("cannot read /proc/self/stat: %s (is /proc mounted?)", strerror(errno));
	if (!stat("/proc/self/ns/net", &sb))
		c.netns = (unsigned int)sb.st_ino;
	else if (errno != ENOENT)
		die("cannot read /proc/self/ns/net: %s", strerror(errno));
	if (stat("/proc/self/ns/pid", &sb))
		sb.st_ino = PROC_PID_INIT_INO;
	if (sb.st_ino != PROC_PID_INIT_INO) {
		/* not the initial pid namespace: the programs learn our tgid */
		c.tgid = 0;
		c.ns_tgid = (unsigned int)getpid();
		c.pidns_dev = (unsigned long long)sb.st_dev;
		c.pidns_ino = (unsigned long long)sb.st_ino;
	}
	c.id = (unsigned int)(getpid() & 0xffff) ?: 1;
	/* the environment, as coolbpf's: COOLBPF_BTF_DIR (a kernel without
	 * /sys/kernel/btf, the nobpf one), COOLBPF_SERVER, COOLBPF_NOBPF */
	COOLBPF_OBJECT_OPTS(oopts, .name = "pingtrace");
	coolbpf_object_opts__from_env(&oopts);
	obj = coolbpf_object__open_mem(pt_bpf_obj, (size_t)(pt_bpf_obj_end - pt_bpf_obj), &oopts);
	if (!obj)
		die("cannot open the BPF object: %s", coolbpf_errmsg());
	/* every point is optional: stages merge around those the kernel lacks */
	for (size_t i = 0; i < coolbpf_object__program_count(obj); i++)
		coolbpf_object__set_optional(obj, coolbpf_object__program_name(obj, i), true);
	err = coolbpf_object__load(obj);
	if (err)
		die("cannot load the BPF programs: %s",
		    coolbpf_errmsg()[0] ? coolbpf_errmsg() : strerror(-err));
	if (coolbpf_map__update(coolbpf_object__map(obj, "cfg"), &zero, &c, 0))
		die("cannot configure the BPF programs: %s", strerror(errno));
	err = coolbpf_object__attach(obj);
	if (err)
		die("cannot attach: %s", coolbpf_errmsg()[0] ? coolbpf_errmsg() : strerror(-err));
	return obj;
}

/* SIGINT and SIGTERM, blocked, as a file descriptor to poll: how a run ends. */
int signal_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		die("signalfd: %s", strerror(errno));
	return fd;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

__attribute__((visibility("default"))) const char *argp_program_version =
	"pingtrace (coolbpf) 0.2.0";
static const char doc[] =
	"pingtrace: where ping latency comes from, stage by stage.\v"
	"Sends ICMP (or ICMPv6) echoes to DEST and prints, per packet, the round-trip time and the time "
	"spent in each kernel stage: user_send, ip_send, qdisc (net_dev_queue to "
	"net_dev_xmit), wire_peer (the network and the peer), ip_recv, wakeup (of pingtrace), "
	"user_recv. Stages whose boundary this kernel cannot observe are merged (named "
	"a+b) and listed. With --responder, runs on the peer and reports its own stages "
	"(recv, icmp_reply, qdisc) for the echoes it answers.\n\n"
	"Examples:\n  pingtrace -c 10 10.0.0.2\n  pingtrace -c 10 2001:db8::2\n  pingtrace -i 0.2 -t 1000 10.0.0.2   "
	"(print only echoes slower than 1 ms)\n  pingtrace --responder --json";

static const struct argp_option options[] = {
	{ "ipv4", '4', NULL, 0, "IPv4 only (DEST resolved as such)", 0 },
	{ "ipv6", '6', NULL, 0, "IPv6 only (ICMPv6 echoes)", 0 },
	{ "count", 'c', "COUNT", 0,
	  "stop after COUNT echoes (responder: answered); "
	  "default: until interrupted",
	  0 },
	{ "interval", 'i', "SECONDS", 0, "between echoes (default 1; at least 0.001)", 0 },
	{ "size", 's', "SIZE", 0, "payload bytes (default 56; 8 to 1472)", 0 },
	{ "timeout", 'W', "TIMEOUT", 0, "seconds to wait for each reply (default 1)", 0 },
	{ "threshold", 't', "THRESHOLD_US", 0,
	  "print only packets whose RTT (responder: time "
	  "in kernel) exceeds it; all are counted",
	  0 },
	{ "json", 'j', NULL, 0, "one JSON object per packet, and a final summary", 0 },
	{ "responder", 'R', NULL, 0, "trace the echoes this host answers", 0 },
	{ "no-trace", 'N', NULL, 0,
	  "send and time echoes only, load nothing into the kernel "
	  "(the RTT without pingtrace's own overhead)",
	  0 },
	{ "verbose", 'v', NULL, 0, "say more (twice: libbpf's messages too)", 0 },
	{ 0 },
};

static double parse_num(const char *name, const char *arg, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min && v <= max))
		die("invalid %s '%s': expected a number from %g to %g", name, arg, min, max);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case '4':
	case '6':
		if (env.family && env.family != (key == '4' ? AF_INET : AF_INET6))
			argp_error(state, "-4 and -6 together");
		env.family = key == '4' ? AF_INET : AF_INET6;
		break;
	case 'c':
		env.count = (long)parse_num("count", arg, 1, 1e9);
		if (env.count != strtod(arg, NULL))
			die("invalid count '%s': expected a whole number", arg);
		break;
	case 'i':
		env.interval = parse_num("interval", arg, 0.001, 3600);
		break;
	case 's':
		env.size = (long)parse_num("size", arg, MIN_PAYLOAD, MAX_PAYLOAD);
		break;
	case 'W':
		env.timeout = parse_num("timeout", arg, 0.001, 3600);
		break;
	case 't':
		env.threshold_us = parse_num("threshold", arg, 0, 1e12);
		break;
	case 'j':
		env.json = true;
		break;
	case 'R':
		env.responder = true;
		break;
	case 'N':
		env.no_trace = true;
		break;
	case 'v':
		env.verbose++;
		break;
	case ARGP_KEY_ARG:
		if (env.dest)
			argp_error(state, "one DEST only (got '%s' and '%s')", env.dest, arg);
		env.dest = arg;
		break;
	case ARGP_KEY_END:
		if (!env.responder && !env.dest)
			argp_error(state, "give a DEST to ping, or --responder");
		if (env.responder && env.dest)
			argp_error(state, "--responder takes no DEST");
		if (env.responder && env.no_trace)
			argp_error(state, "--no-trace is for the sender");
		if (env.responder && env.family)
			argp_error(state, "the responder traces IPv4 and IPv6 alike: no -4/-6");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_arg, "DEST\n--responder", doc, NULL,
					  NULL,	   NULL };

	argp_err_exit_status = 2; /* usage errors, as ping */
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	coolbpf_set_print(log_print);
	if (geteuid() != 0)
		die("needs root: raw ICMP sockets (CAP_NET_RAW) and BPF (CAP_BPF, CAP_PERFMON); "
		    "run with sudo");
	return env.responder ? run_responder() : run_sender();
}
