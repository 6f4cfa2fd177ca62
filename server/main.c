// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpfd: the compile server (its HTTP API: man/coolbpfd.8).
 *
 * libmicrohttpd serves connections from a small thread pool (http.c). A
 * compile request is parsed and validated (request.c), hashed, and
 * looked up in the response cache (cache.c) right there in the HTTP
 * thread: a hit is one open() and a sendfile. A miss suspends the
 * connection and queues a job; --workers compile threads (queue.c) each
 * run one sandboxed worker process (sandbox.c) at a time and resume the
 * connection with the answer. metrics.c counts it all for /metrics.
 *
 * conns.c guards the front door, shared.c shares replies with the other
 * nodes of a farm through Redis, envwatch.c keeps the salt of every key.
 *
 * This file: the options, the setup (cache directories, the sandbox, the
 * shared cache, the salt of every request key), the start of the threads
 * and the HTTP daemon, then on SIGTERM or SIGINT a drain of the requests
 * in progress and the shutdown.
 */
#include <argp.h>
#include <arpa/inet.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cache.h"
#include "coolbpfd.h"
#include "shared.h"

struct server_config server_cfg;

/* what the options set besides server_cfg */
static struct {
	const char *cache_dir;
	unsigned long long cache_mb, mem_mb;
	const char *tls_cert, *tls_key;
	const char *sandbox_paths[17];
	size_t n_sandbox_paths;
	unsigned long long worker_uid;
	struct shared_options shared;
	int error_status; /* of a rejected option: 2, or 1 for an unreadable --token-file */
} args;

/* options ------------------------------------------------------------ */

enum {
	OPT_LISTEN = 0x100,
	OPT_CACHE,
	OPT_CACHE_MAX,
	OPT_BTF_DIR,
	OPT_WORKERS,
	OPT_THREADS,
	OPT_QUEUE,
	OPT_TIMEOUT,
	OPT_MEM,
	OPT_TOKEN,
	OPT_QUIET,
	OPT_WORKER,
	OPT_CLIENT_TIMEOUT,
	OPT_REQUEST_TIMEOUT,
	OPT_MAX_CONNS,
	OPT_MAX_CONNS_IP,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TOOL_PATH,
	OPT_SANDBOX_PATH,
	OPT_WORKER_UID,
	OPT_SHARED,
	OPT_SHARED_TTL,
	OPT_SHARED_MAX,
	OPT_SHARED_TIMEOUT,
};

/* each option its own group: argp sorts a group's options by name, and
 * this is the order coolbpfd's usage has always had */
static const struct argp_option options[] = {
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "IPv4 ADDR:PORT or IPv6 [ADDR]:PORT (default 127.0.0.1:8470; port 0: any)", 1 },
	{ "cache", OPT_CACHE, "DIR", 0,
	  "Responses and per-kernel headers (default /var/cache/coolbpfd)", 2 },
	{ "cache-max-mb", OPT_CACHE_MAX, "N", 0,
	  "Bound of the response cache, LRU eviction (default 1024)", 3 },
	{ "btf-dir", OPT_BTF_DIR, "DIR", 0,
	  "BTF archive: DIR/<arch>/<release>.btf ($COOLBPF_BTF_DIR)", 4 },
	{ "workers", OPT_WORKERS, "N", 0, "Concurrent sandboxed compiles (default: CPUs)", 5 },
	{ "threads", OPT_THREADS, "N", 0, "HTTP threads (default: CPUs)", 6 },
	{ "queue", OPT_QUEUE, "N", 0, "Compiles waiting for a worker before 503 (default 64)", 7 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0,
	  "Wall-clock and CPU limit of one compile (default 60)", 8 },
	{ "mem-mb", OPT_MEM, "N", 0, "Address-space limit of one compile (default 4096)", 9 },
	{ "token-file", OPT_TOKEN, "FILE", 0, "Require 'Authorization: Bearer <token>'", 10 },
	{ "client-timeout", OPT_CLIENT_TIMEOUT, "SECONDS", 0,
	  "Close a connection idle for SECONDS (default 15)", 11 },
	{ "request-timeout", OPT_REQUEST_TIMEOUT, "SECONDS", 0,
	  "Close a connection whose request (headers and body) takes longer (default 30)", 12 },
	{ "max-connections", OPT_MAX_CONNS, "N", 0, "Open connections in all (default 1024)", 13 },
	{ "max-connections-per-ip", OPT_MAX_CONNS_IP, "N", 0,
	  "Open connections of one client address (default 64; behind a proxy: its cap)", 14 },
	{ "tls-cert", OPT_TLS_CERT, "FILE", 0, "Serve HTTPS with this PEM certificate (chain)",
	  15 },
	{ "tls-key", OPT_TLS_KEY, "FILE", 0, "The PEM private key of --tls-cert", 16 },
	{ "tool-path", OPT_TOOL_PATH, "DIRS", 0,
	  "Where the workers find clang and bpftool (default "
	  "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin)",
	  17 },
	{ "sandbox-path", OPT_SANDBOX_PATH, "PATH", 0,
	  "One more read-only path in every worker's root (repeatable, at most 16)", 18 },
	{ "worker-uid", OPT_WORKER_UID, "UID", 0,
	  "Workers run as UID..UID+N-1 (N: --workers), the per-kernel header job as UID+N "
	  "(default 2147000000)",
	  19 },
	{ "shared-cache", OPT_SHARED, "redis://HOST:PORT[/DB]", 0,
	  "Share replies with other nodes in Redis, and compile each new source once", 20 },
	{ "shared-cache-ttl", OPT_SHARED_TTL, "SECONDS", 0,
	  "Lifetime of a shared entry (default 604800: a week)", 21 },
	{ "shared-cache-max-kb", OPT_SHARED_MAX, "N", 0,
	  "Larger replies are not shared (default 8192)", 22 },
	{ "shared-cache-timeout-ms", OPT_SHARED_TIMEOUT, "MS", 0,
	  "Longest Redis connect or command before it counts as down (default 300)", 23 },
	{ "quiet", OPT_QUIET, NULL, 0, "No per-request log line", 30 },
	/* the sandboxed compile process: only alone, see main() */
	{ "worker", OPT_WORKER, NULL, OPTION_HIDDEN, NULL, 0 },
	/* -h as before argp, besides its -? */
	{ NULL, 'h', NULL, OPTION_HIDDEN, NULL, 0 },
	{},
};

static const char doc[] = "The coolbpf compile server (see coolbpfd(8))."
			  "\v"
			  "EXAMPLES:\n"
			  "  coolbpfd --listen 0.0.0.0:8470 --btf-dir /srv/btf \\\n"
			  "           --token-file /etc/coolbpfd/token\n"
			  "  COOLBPF_SERVER=http://build:8470 coolbpf run prog.bpf.c\n";

static int parse_uint(const char *s, const char *what, unsigned long long min,
		      unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max || s[0] == '-') {
		fprintf(stderr, "coolbpfd: bad %s '%s': expected %llu..%llu\n", what, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_unsigned(const char *s, const char *what, unsigned long long min,
			  unsigned long long max, unsigned *out)
{
	unsigned long long v;
	int err = parse_uint(s, what, min, max, &v);

	if (!err)
		*out = (unsigned)v;
	return err;
}

/* "A.B.C.D:PORT", ":PORT" (any IPv4 address) or "[V6ADDR]:PORT" */
static int parse_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&server_cfg.addr;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&server_cfg.addr;
	unsigned long long port;
	size_t hl = colon ? (size_t)(colon - s) : 0;
	char host[64];

	if (!colon || hl >= sizeof(host) || parse_uint(colon + 1, "port", 0, 65535, &port))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(&server_cfg.addr, 0, sizeof(server_cfg.addr));
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			goto bad;
		host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			goto bad;
		return 0;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a4->sin_addr) != 1)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "coolbpfd: bad --listen '%s': expected IPv4ADDR:PORT or [IPv6ADDR]:PORT\n",
		s);
	return -EINVAL;
}

static int load_token(const char *path)
{
	void *data;
	size_t len;
	int err = read_file(path, &data, &len);
	char *t;

	if (err) {
		fprintf(stderr, "coolbpfd: cannot read '%s': %s\n", path, strerror(-err));
		return err;
	}
	t = data;
	while (len && (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' '))
		t[--len] = '\0';
	if (!len || strlen(t) != len) {
		fprintf(stderr, "coolbpfd: '%s' holds no token\n", path);
		free(data);
		return -EINVAL;
	}
	server_cfg.token = t;
	return 0;
}

/* A bad value returns EINVAL once its parse_* helper has said why:
 * argp then stops and prints nothing more. */
static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	int err = 0;

	switch (key) {
	case OPT_LISTEN:
		err = parse_listen(arg);
		break;
	case OPT_CACHE:
		args.cache_dir = arg;
		break;
	case OPT_CACHE_MAX:
		err = parse_uint(arg, "--cache-max-mb", 1, 1ULL << 30, &args.cache_mb);
		break;
	case OPT_BTF_DIR:
		server_cfg.btf_dir = arg;
		break;
	/* these three have always said "bad workers" (no "--") */
	case OPT_WORKERS:
		err = parse_unsigned(arg, "workers", 1, 1024, &server_cfg.workers);
		break;
	case OPT_THREADS:
		err = parse_unsigned(arg, "threads", 1, 1024, &server_cfg.threads);
		break;
	case OPT_QUEUE:
		err = parse_unsigned(arg, "queue", 1, 1024, &server_cfg.queue_max);
		break;
	case OPT_TIMEOUT:
		err = parse_unsigned(arg, "--timeout", 1, 3600, &server_cfg.timeout_s);
		break;
	case OPT_MEM:
		err = parse_uint(arg, "--mem-mb", 64, 1ULL << 20, &args.mem_mb);
		break;
	case OPT_TOKEN:
		err = load_token(arg);
		if (err)
			args.error_status = 1;
		break;
	case OPT_QUIET:
		server_cfg.quiet = true;
		break;
	case OPT_CLIENT_TIMEOUT:
		err = parse_unsigned(arg, "--client-timeout", 1, 3600, &server_cfg.client_timeout);
		break;
	case OPT_REQUEST_TIMEOUT:
		err = parse_unsigned(arg, "--request-timeout", 1, 3600,
				     &server_cfg.request_timeout);
		break;
	case OPT_MAX_CONNS:
		err = parse_unsigned(arg, "--max-connections", 1, 65536, &server_cfg.max_conns);
		break;
	case OPT_MAX_CONNS_IP:
		err = parse_unsigned(arg, "--max-connections-per-ip", 1, 65536,
				     &server_cfg.max_conns_per_ip);
		break;
	case OPT_TLS_CERT:
		args.tls_cert = arg;
		break;
	case OPT_TLS_KEY:
		args.tls_key = arg;
		break;
	case OPT_TOOL_PATH:
		server_cfg.tool_path = arg;
		break;
	case OPT_SANDBOX_PATH:
		if (arg[0] != '/' || args.n_sandbox_paths >= 16)
			argp_error(state, "--sandbox-path: an absolute path, at most 16 of them");
		args.sandbox_paths[args.n_sandbox_paths++] = arg;
		break;
	case OPT_WORKER_UID:
		err = parse_uint(arg, "--worker-uid", 1, 4000000000ULL, &args.worker_uid);
		break;
	case OPT_SHARED:
		args.shared.url = arg;
		break;
	case OPT_SHARED_TTL:
		err = parse_unsigned(arg, "--shared-cache-ttl", 1, 365u * 86400,
				     &args.shared.ttl_s);
		break;
	case OPT_SHARED_MAX: {
		unsigned long long kb;

		err = parse_uint(arg, "--shared-cache-max-kb", 1, 1u << 20, &kb);
		args.shared.max_entry = (size_t)kb << 10;
		break;
	}
	case OPT_SHARED_TIMEOUT:
		err = parse_unsigned(arg, "--shared-cache-timeout-ms", 10, 60000,
				     &args.shared.timeout_ms);
		break;
	case OPT_WORKER:
		argp_error(state, "--worker is the server's own compile process, never an option");
		break;
	case 'h':
		argp_state_help(state, state->out_stream, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s': coolbpfd takes options only", arg);
		break;
	case ARGP_KEY_END:
		if (!args.tls_cert != !args.tls_key)
			argp_error(state, "--tls-cert and --tls-key go together");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return err ? EINVAL : 0;
}

/* 0, or the exit status: 2 for a usage error, 1 for an unusable
 * --token-file (--help exits 0 inside argp) */
static int parse_options(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	server_cfg.workers = server_cfg.threads = ncpu > 0 ? (unsigned)ncpu : 1;
	server_cfg.queue_max = 64;
	server_cfg.timeout_s = 60;
	server_cfg.client_timeout = 15;
	server_cfg.request_timeout = 30;
	server_cfg.max_conns = 1024;
	server_cfg.max_conns_per_ip = 64;
	server_cfg.tool_path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	args.worker_uid = 2147000000ULL;
	args.shared.ttl_s = 7 * 86400;
	args.shared.max_entry = 8u << 20;
	args.shared.timeout_ms = 300;
	server_cfg.btf_dir = getenv("COOLBPF_BTF_DIR");
	parse_listen("127.0.0.1:8470");
	args.cache_dir = "/var/cache/coolbpfd";
	args.cache_mb = 1024;
	args.mem_mb = 4096;
	args.error_status = 2;
	argp_err_exit_status = 2;
	return argp_parse(&argp, argc, argv, 0, NULL, NULL) ? args.error_status : 0;
}

__attribute__((visibility("default"))) const char *argp_program_version = "coolbpfd 0.2.0";

/* setup -------------------------------------------------------------- */

__printf(2, 0) static int print_lib(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != COOLBPF_WARN)
		return 0;
	fputs("coolbpfd: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* the Landlock ABI: the compiler never runs unconfined */
static int check_landlock(void)
{
	int abi = sandbox_landlock_abi();

	if (abi < 1)
		fprintf(stderr,
			"coolbpfd: Landlock is not available (%s): refusing to run the compiler unconfined\n",
			strerror(abi < 0 ? -abi : EOPNOTSUPP));
	return abi;
}

/* this executable, which the sandbox re-runs with --worker */
static int find_self(void)
{
	ssize_t n = readlink("/proc/self/exe", server_cfg.self, sizeof(server_cfg.self) - 1);

	if (n <= 0) {
		perror("coolbpfd: /proc/self/exe");
		return -1;
	}
	server_cfg.self[n] = '\0';
	return 0;
}

/* DIR/responses (the response cache), DIR/pipeline/{kernels,tmp} (the
 * per-kernel headers and the workers' scratch space) */
static int open_cache(const char *dir, unsigned long long max_bytes)
{
	char *root = server_cfg.pipeline_root;
	char resp[PATH_MAX + 16], sub[PATH_MAX + 16];

	if (!realpath(dir, server_cfg.cache_dir) &&
	    (mkdir_p(dir) || !realpath(dir, server_cfg.cache_dir))) {
		fprintf(stderr, "coolbpfd: cannot create '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	snprintf(resp, sizeof(resp), "%s/responses", server_cfg.cache_dir);
	if (strlen(server_cfg.cache_dir) + 16 > sizeof(server_cfg.pipeline_root)) {
		fprintf(stderr, "coolbpfd: cache path too long\n");
		return -1;
	}
	strlcpy_cb(root, server_cfg.cache_dir, sizeof(server_cfg.pipeline_root));
	memcpy(root + strlen(server_cfg.cache_dir), "/pipeline", 10);
	snprintf(sub, sizeof(sub), "%s/kernels", root);
	if (mkdir_p(sub) || (snprintf(sub, sizeof(sub), "%s/tmp", root), mkdir_p(sub))) {
		fprintf(stderr, "coolbpfd: cannot create '%s'\n", sub);
		return -1;
	}
	server_cfg.cache = resp_cache_open(resp, max_bytes);
	if (!server_cfg.cache) {
		fprintf(stderr, "coolbpfd: cannot open the cache '%s': %s\n", resp,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int chown_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return lchown(path, server_cfg.sandbox.uid_base + server_cfg.sandbox.n_slots,
		      server_cfg.sandbox.uid_base + server_cfg.sandbox.n_slots);
}

/* The workers' root: what toolchain.c finds; kernels/ owned by the prep
 * job's uid (the only writer). */
static int configure_sandbox(unsigned long long mem_bytes)
{
	char err[512], kernels[PATH_MAX];
	const char *extra[17] = { 0 };

	memcpy(extra, args.sandbox_paths, args.n_sandbox_paths * sizeof(extra[0]));
	if (sandbox_fs_discover(server_cfg.tool_path, extra, &server_cfg.sandbox_fs, err,
				sizeof(err))) {
		fprintf(stderr, "coolbpfd: cannot set up the compile sandbox: %s\n", err);
		return -1;
	}
	server_cfg.sandbox = (struct sandbox_config){
		.self = server_cfg.self,
		.pipeline_root = server_cfg.pipeline_root,
		.tool_path = server_cfg.tool_path,
		.fs = &server_cfg.sandbox_fs,
		.timeout_s = server_cfg.timeout_s,
		.mem_bytes = mem_bytes,
		.output_max = 64u << 20,
		.uid_base = (uid_t)args.worker_uid,
		.n_slots = server_cfg.workers,
	};
	if (pathf(kernels, sizeof(kernels), "%s/kernels", server_cfg.pipeline_root) ||
	    nftw(kernels, chown_one, 16, FTW_PHYS)) {
		fprintf(stderr, "coolbpfd: cannot hand '%s' to uid %u: %s\n", kernels,
			(unsigned)(args.worker_uid + server_cfg.workers), strerror(errno));
		return -1;
	}
	if (!server_cfg.quiet)
		fprintf(stderr, "coolbpfd: workers run as uid %llu..%llu in a root of %zu paths\n",
			args.worker_uid, args.worker_uid + server_cfg.workers - 1,
			server_cfg.sandbox_fs.n);
	return 0;
}

/* --shared-cache: parsed and tried once (down is not fatal) */
static int configure_shared(void)
{
	char err[256];

	if (!args.shared.url)
		return 0;
	args.shared.wait_s = server_cfg.timeout_s + 10;
	if (shared_configure(&args.shared, err, sizeof(err))) {
		fprintf(stderr, "coolbpfd: %s\n", err);
		return -1;
	}
	shared_probe();
	return 0;
}

/* Before any thread starts, so that every thread inherits the mask and
 * only sigwait() sees SIGTERM and SIGINT. */
static void block_stop_signals(sigset_t *sigs)
{
	/* worker pipes: a dead worker is an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(sigs);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
}

/* "A.B.C.D:PORT" or "[V6]:PORT" of the listening socket */
static void addr_str(unsigned port, char *buf, size_t sz)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (server_cfg.addr.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&server_cfg.addr)->sin6_addr, host,
			  sizeof(host));
		snprintf(buf, sz, "[%s]:%u", host, port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&server_cfg.addr)->sin_addr, host,
			  sizeof(host));
		snprintf(buf, sz, "%s:%u", host, port);
	}
}

static unsigned addr_port(void)
{
	if (server_cfg.addr.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&server_cfg.addr)->sin6_port);
	return ntohs(((struct sockaddr_in *)&server_cfg.addr)->sin_port);
}

/* the PEM files of --tls-cert/--tls-key, NUL-terminated as MHD wants */
static int load_tls(char **cert, char **key)
{
	const char *paths[2] = { args.tls_cert, args.tls_key };
	char **out[2] = { cert, key };

	*cert = *key = NULL;
	if (!args.tls_cert)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr,
			"coolbpfd: this libmicrohttpd has no TLS: terminate TLS in a proxy\n");
		return -EOPNOTSUPP;
	}
	for (int i = 0; i < 2; i++) {
		size_t len;
		int err = read_file(paths[i], (void **)out[i], &len);

		if (err) {
			fprintf(stderr, "coolbpfd: cannot read '%s': %s\n", paths[i],
				strerror(-err));
			return err;
		}
	}
	return 0;
}

static struct MHD_Daemon *start_daemon(int landlock_abi, const char *cert, const char *key)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	char where[INET6_ADDRSTRLEN + 16];

	if (server_cfg.addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cert)
		flags |= MHD_USE_TLS;
	/* libmicrohttpd's own caps stay a backstop above conns.c's, which
	 * count what they refuse; its strict mode refuses malformed requests
	 * (bare CR/LF, spaces in names, a missing Host) */
	d = MHD_start_daemon(
		flags, 0, conns_accept, NULL, http_on_request, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&server_cfg.addr, MHD_OPTION_THREAD_POOL_SIZE,
		server_cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT, server_cfg.client_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_CONNECTION_LIMIT,
		server_cfg.max_conns + server_cfg.threads * 4, MHD_OPTION_LISTEN_BACKLOG_SIZE,
		1024u, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_EXTERNAL_LOGGER, conns_mhd_log,
		NULL, MHD_OPTION_NOTIFY_CONNECTION, conns_notify, NULL, MHD_OPTION_NOTIFY_COMPLETED,
		http_on_completed, NULL, cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
		MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	if (!d) {
		addr_str(addr_port(), where, sizeof(where));
		fprintf(stderr, "coolbpfd: cannot listen on %s: %s\n", where, strerror(errno));
		return NULL;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	addr_str(di ? di->port : addr_port(), where, sizeof(where));
	fprintf(stderr,
		"coolbpfd: listening on %s (%s, workers %u, threads %u, Landlock ABI %d, cache %s)\n",
		where, cert ? "https" : "http", server_cfg.workers, server_cfg.threads,
		landlock_abi, server_cfg.cache_dir);
	return d;
}

/* shutdown ----------------------------------------------------------- */

static int wait_for_stop(const sigset_t *sigs)
{
	int sig = 0;

	while (sigwait(sigs, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
		;
	return sig;
}

/* Stop accepting, let every request in progress finish (a compile can
 * take --timeout), then stop the daemon. */
static void drain(struct MHD_Daemon *d, int sig)
{
	MHD_socket lsock;

	fprintf(stderr, "coolbpfd: %s: draining %d request(s)\n", strsignal(sig), http_active());
	http_set_draining();
	lsock = MHD_quiesce_daemon(d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	for (double end = mono_now() + server_cfg.timeout_s + 5;
	     http_active() > 0 && mono_now() < end;)
		usleep(20000);
	MHD_stop_daemon(d);
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	char *cert, *key;
	sigset_t stop_sigs;
	int err, abi;

	if (argc == 2 && !strcmp(argv[1], "--worker"))
		return sandbox_worker_main();
	err = parse_options(argc, argv);
	if (err)
		return err;
	coolbpf_set_print(print_lib);
	host_kernel_release(); /* fill its static storage before threads start */
	abi = check_landlock();
	if (abi < 1 || find_self() || load_tls(&cert, &key) ||
	    open_cache(args.cache_dir, args.cache_mb << 20))
		return 1;
	if (configure_sandbox(args.mem_mb << 20) || configure_shared())
		return 1;
	err = env_start();
	if (err) {
		fprintf(stderr, "coolbpfd: %s\n",
			coolbpf_errmsg()[0] ? coolbpf_errmsg() : strerror(-err));
		return 1;
	}
	block_stop_signals(&stop_sigs);
	err = queue_start(server_cfg.workers);
	if (err) {
		fprintf(stderr, "coolbpfd: cannot start %u compile threads: %s\n",
			server_cfg.workers, strerror(-err));
		return 1;
	}
	err = conns_start();
	if (err) {
		fprintf(stderr, "coolbpfd: cannot start the connection watchdog: %s\n",
			strerror(-err));
		return 1;
	}
	d = start_daemon(abi, cert, key);
	if (!d)
		return 1;

	drain(d, wait_for_stop(&stop_sigs));
	queue_stop_and_join();
	conns_stop();
	env_stop();
	resp_cache_close(server_cfg.cache);
	sandbox_fs_release(&server_cfg.sandbox_fs);
	free(server_cfg.token);
	free(cert);
	free(key);
	fprintf(stderr, "coolbpfd: stopped\n");
	return 0;
}
