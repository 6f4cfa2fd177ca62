// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf run --metrics ADDR:PORT: the tool's maps as Prometheus metrics
 * on GET /metrics, read at each scrape. The HTTP server (libmicrohttpd)
 * has no thread of its own: its epoll fd is one more source of run's
 * event loop, so the maps are read by the thread that polls the events.
 *
 * coolbpf loads libmicrohttpd with dlopen() for --metrics alone: linked,
 * it and the GnuTLS it links (p11-kit, nettle, gmp, ...) were 2.6 MB
 * resident in every `coolbpf run`. A one-file tool (coolbpf-runner) has
 * it linked statically (COOLBPF_MHD_LINKED), to serve metrics wherever it
 * is copied.
 */
#include <argp.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <pthread.h>

#include "base/base.h"
#include "run.h"

#ifdef COOLBPF_MHD_LINKED
#define MHD(fn) MHD_##fn

static const char *mhd_unavailable(void)
{
	return NULL;
}
#else
static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
	char err[256];
} mhd;
#define MHD(fn) mhd.fn

static void mhd_load(void)
{
	static const char *const names[] = { "MHD_start_daemon",
					     "MHD_stop_daemon",
					     "MHD_run",
					     "MHD_get_daemon_info",
					     "MHD_create_response_from_buffer",
					     "MHD_add_response_header",
					     "MHD_queue_response",
					     "MHD_destroy_response",
					     NULL };
	void **const fns[] = { (void **)&mhd.start_daemon,
			       (void **)&mhd.stop_daemon,
			       (void **)&mhd.run,
			       (void **)&mhd.get_daemon_info,
			       (void **)&mhd.create_response_from_buffer,
			       (void **)&mhd.add_response_header,
			       (void **)&mhd.queue_response,
			       (void **)&mhd.destroy_response };

	dl_resolve("libmicrohttpd.so.12", names, fns, mhd.err, sizeof(mhd.err));
}

/* NULL when libmicrohttpd is loaded, else why not */
static const char *mhd_unavailable(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, mhd_load);
	return mhd.start_daemon ? NULL : mhd.err;
}
#endif

static const char *metrics_addr;
static struct MHD_Daemon *httpd;
static struct coolbpf_object *metrics_obj;

enum { OPT_METRICS = 0x300 };

static const struct argp_option options[] = {
	{ "metrics", OPT_METRICS, "ADDR:PORT", 0,
	  "Serve the maps as Prometheus metrics at http://ADDR:PORT/metrics (ADDR empty: every "
	  "address; PORT 0: any free port, said on stderr)",
	  20 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	(void)state;
	if (key != OPT_METRICS)
		return ARGP_ERR_UNKNOWN;
	metrics_addr = arg;
	return 0;
}

const struct argp run_metrics_argp = { options, parse_opt, NULL, NULL, NULL, NULL, NULL };

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_sz, void **con_cls)
{
	struct coolbpf_buf body = COOLBPF_BUF_INIT;
	struct MHD_Response *resp;
	unsigned int status = MHD_HTTP_OK;
	enum MHD_Result r;

	(void)cls, (void)version, (void)data, (void)data_sz, (void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		coolbpf_buf__printf(&body, "only GET /metrics\n");
	} else if (strcmp(url, "/metrics")) {
		status = MHD_HTTP_NOT_FOUND;
		coolbpf_buf__printf(&body, "no '%s' here: the metrics are at /metrics\n", url);
	} else {
		for (struct coolbpf_map *m = coolbpf_object__next_map(metrics_obj, NULL); m;
		     m = coolbpf_object__next_map(metrics_obj, m)) {
			if (coolbpf_map__format_metrics(m, NULL, &body)) {
				status = MHD_HTTP_INTERNAL_SERVER_ERROR;
				coolbpf_buf__reset(&body);
				coolbpf_buf__printf(&body, "cannot read map '%s': %s\n",
						    coolbpf_map__name(m), coolbpf_errmsg());
				break;
			}
		}
	}
	resp = MHD(create_response_from_buffer)(body.len, body.data ? body.data : (char *)"",
						MHD_RESPMEM_MUST_COPY);
	coolbpf_buf__release(&body);
	if (!resp)
		return MHD_NO;
	MHD(add_response_header)
	(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	 status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8" :
				 "text/plain; charset=utf-8");
	r = MHD(queue_response)(conn, status, resp);
	MHD(destroy_response)(resp);
	return r;
}

/* "HOST:PORT", "[V6]:PORT", ":PORT" into a socket address; 0 or 2 (said). */
static int parse_addr(const char *spec, struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256];
	const char *colon = strrchr(spec, ':'), *h = host;
	size_t hl;
	int err;

	if (!colon || !colon[1]) {
		cli_err("--metrics '%s': give ADDR:PORT, e.g. 127.0.0.1:9435 or :9435", spec);
		return 2;
	}
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host)) {
		cli_err("--metrics '%s': address too long", spec);
		return 2;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		h = host + 1;
	}
	if (!h[0]) {
		h = NULL;
		hints.ai_flags |= AI_PASSIVE;
		hints.ai_family = AF_INET6; /* every address, v4 mapped too */
	}
	err = getaddrinfo(h, colon + 1, &hints, &res);
	if (err) {
		cli_err("--metrics '%s': %s", spec, gai_strerror(err));
		return 2;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int run_metrics_start(struct coolbpf_object *obj, int *fd)
{
	struct sockaddr_storage ss = {};
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	int rc;

	*fd = -1;
	if (!metrics_addr)
		return 0;
	rc = parse_addr(metrics_addr, &ss);
	if (rc)
		return rc;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (mhd_unavailable()) {
		cli_err("--metrics needs libmicrohttpd (Debian: apt install libmicrohttpd12): %s",
			mhd_unavailable());
		return 1;
	}
	metrics_obj = obj;
	httpd = MHD(start_daemon)(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned int)10, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
				  MHD_OPTION_END);
	if (!httpd) {
		cli_err("cannot serve metrics on '%s': %s (is the port taken?)", metrics_addr,
			strerror(errno ? errno : EADDRINUSE));
		return 1;
	}
	info = MHD(get_daemon_info)(httpd, MHD_DAEMON_INFO_EPOLL_FD);
	*fd = info ? info->epoll_fd : -1;
	info = MHD(get_daemon_info)(httpd, MHD_DAEMON_INFO_BIND_PORT);
	{
		int hl = (int)(strrchr(metrics_addr, ':') - metrics_addr);

		fprintf(stderr, "coolbpf: metrics at http://%.*s:%u/metrics\n", hl ? hl : 4,
			hl ? metrics_addr : "[::]", info ? info->port : 0);
	}
	return 0;
}

void run_metrics_serve(void)
{
	if (httpd)
		MHD(run)(httpd);
}

void run_metrics_stop(void)
{
	if (httpd)
		MHD(stop_daemon)(httpd);
	httpd = NULL;
}
