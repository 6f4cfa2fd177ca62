// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The coolbpf command: dispatch to the verb, log printing, shared option parsing. */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_verbose;
volatile sig_atomic_t cli_signal;
bool cli_mute_warnings;

static const int exit_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void on_exit_signal(int sig)
{
	cli_signal = sig;
}

void cli_exit_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(exit_signals); i++)
		sigaddset(set, exit_signals[i]);
}

void cli_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_exit_signal };

	for (size_t i = 0; i < ARRAY_SIZE(exit_signals); i++)
		sigaction(exit_signals[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} verbs[] = {
	{ "compile", cmd_compile, "compile FILE.bpf.c to a CO-RE object (cached)" },
	{ "run", cmd_run, "compile if needed, load, attach and print events and maps" },
	{ "btf", cmd_btf, "make, minimize, archive, fetch and crawl for kernel BTF" },
	{ "inspect", cmd_inspect, "what a compiled object carries (the kernels it has BTF for)" },
	{ "build", cmd_build, "a one-file executable of FILE.bpf.c: no compiler needed to run it" },
};

static int log_print(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == COOLBPF_DEBUG && cli_verbose < 2)
		return 0;
	if (level == COOLBPF_INFO && cli_verbose < 1)
		return 0;
	if (level == COOLBPF_WARN && cli_mute_warnings)
		return 0;
	if (level == COOLBPF_WARN)
		fputs("coolbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void cli_setup_log(void)
{
	coolbpf_set_print(log_print);
	log_set_print(log_print); /* lib/base's copy in this program */
}

const char *cli_bpf_backend_text(void)
{
	const char *b = coolbpf_bpf_backend();

	if (!strcmp(b, "kernel"))
		return "kernel (the bpf() system call)";
	if (!strcmp(b, "module"))
		return "module (no bpf() in this kernel: coolbpf_nobpf through /dev/coolbpf)";
	return "none (no bpf() in this kernel and no coolbpf_nobpf module: see docs/NOBPF.md)";
}

const char *cli_cache_dir(void)
{
	static char dir[PATH_MAX + 16];
	char home[PATH_MAX];
	COOLBPF_COMPILE_OPTS(o);

	coolbpf_compile_opts__from_env(&o);
	if (o.cache_dir)
		return o.cache_dir;
	if (home_dir(home, sizeof(home)))
		snprintf(home, sizeof(home), "/root");
	snprintf(dir, sizeof(dir), "%s/.cache/coolbpf", home);
	return dir;
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("coolbpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_parse_long(const char *name, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		cli_err("invalid %s '%s': expected an integer from %ld to %ld", name, arg, min,
			max);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_seconds(const char *name, const char *arg, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min && v <= max)) {
		cli_err("invalid %s '%s': expected seconds from %g to %g (fractions allowed: 0.5)",
			name, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_bytes(const char *name, const char *arg, unsigned long long min,
		    unsigned long long max, unsigned long long *out)
{
	unsigned long long v;

	if (str_to_size(arg, &v) || v > max || v < min) {
		cli_err("invalid %s '%s': expected bytes from %llu to %llu, K, M or G after the "
			"number for KiB, MiB, GiB (256M)",
			name, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_count(const char *name, const char *arg, unsigned long long min,
		    unsigned long long max, bool pow2, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || !isdigit((unsigned char)arg[0]) || v < min || v > max) {
		cli_err("invalid %s '%s': expected a count from %llu to %llu%s (a plain number: no "
			"K, M, G)",
			name, arg, min, max, pow2 ? ", a power of two" : "");
		return -1;
	}
	if (pow2 && (v & (v - 1))) {
		cli_err("invalid %s '%s': expected a power of two (1, 2, 4, ... 64)", name, arg);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_list_add(const char *opt, const char *form, const char **list, int *nr, int max,
		 const char *arg)
{
	if (form && (arg[0] == '=' || !strchr(arg, '='))) {
		cli_err("%s takes %s, not '%s'", opt, form, arg);
		return -1;
	}
	if (*nr >= max) {
		cli_err("too many %s options (at most %d)", opt, max);
		return -1;
	}
	list[(*nr)++] = arg;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: coolbpf VERB [OPTIONS]\n\nVerbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "\n'coolbpf VERB --help' describes a verb. See coolbpf(1).\n");
}

/* argp: usage errors exit 2, as coolbpf(1) says; --version everywhere */
__attribute__((visibility("default"))) const char *argp_program_version = "coolbpf 0.2.0";

int main(int argc, char **argv)
{
	int rc;

	argp_err_exit_status = 2;
	rc = cli_tool_main(argc, argv); /* a tool of coolbpf build */
	if (rc >= 0)
		return rc;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("%s\n", argp_program_version);
		return 0;
	}
	cli_setup_log();
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char prog[32];

		if (strcmp(argv[1], verbs[i].name))
			continue;
		/* argp's messages and --help name "coolbpf VERB" */
		snprintf(prog, sizeof(prog), "coolbpf %s", verbs[i].name);
		argv[1] = prog;
		return verbs[i].fn(argc - 1, argv + 1);
	}
	cli_err("unknown verb '%s'", argv[1]);
	usage(stderr);
	return 2;
}
