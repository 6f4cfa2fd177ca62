// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpf run --metrics ADDR:PORT: the tool's maps as Prometheus metrics
 * on GET /metrics, read at each scrape. The HTTP server (libmicrohttpd)
 * has no thread of its own: its epoll fd is one more source of run's
 * event loop, so the maps are read by the thread that polls the events.
 */
#include <argp.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "run.h"

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
	resp = MHD_create_response_from_buffer(body.len, body.data ? body.data : (char *)"",
					       MHD_RESPMEM_MUST_COPY);
	coolbpf_buf__release(&body);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8" :
							"text/plain; charset=utf-8");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
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
	metrics_obj = obj;
	httpd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
				 (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
				 (unsigned int)10, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
				 MHD_OPTION_END);
	if (!httpd) {
		cli_err("cannot serve metrics on '%s': %s (is the port taken?)", metrics_addr,
			strerror(errno ? errno : EADDRINUSE));
		return 1;
	}
	info = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_EPOLL_FD);
	*fd = info ? info->epoll_fd : -1;
	info = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_BIND_PORT);
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
		MHD_run(httpd);
}

void run_metrics_stop(void)
{
	if (httpd)
		MHD_stop_daemon(httpd);
	httpd = NULL;
}
