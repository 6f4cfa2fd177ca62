// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpfd's HTTP side: libmicrohttpd's callbacks, which read a request,
 * check its endpoint, method and bearer token, and answer /v1/btf,
 * /healthz and /metrics at once. A compile request is parsed and
 * validated (request.c) here in the HTTP thread and handed to queue.c,
 * which answers it from the cache or suspends the connection until a
 * compile thread has. on_completed logs one line per request and counts
 * it (metrics.c). A slow client only ever holds an HTTP connection
 * (bounded by MHD's timeout and memory limit), never a compile thread.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "coolbpfd.h"
#include "shared.h"

#define BODY_MAX (1024 * 1024)
/* bodies held in memory by all connections together: past it a new body
 * is refused (the connection closed) rather than the server growing */
#define BODY_BUDGET (128ull * 1024 * 1024)

static atomic_int active;
static atomic_ullong body_bytes;

int http_active(void)
{
	return atomic_load(&active);
}

void conn_set_resp(struct conn *c, unsigned status, struct MHD_Response *r, size_t bytes,
		   const char *type)
{
	if (!r)
		return;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	c->status = status;
	c->bytes = bytes;
	c->resp = r;
}

void conn_set_buf(struct conn *c, unsigned status, struct strbuf *sb, const char *type)
{
	size_t len;
	char *data = strbuf_detach(sb, &len);

	conn_set_resp(c, status, MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE),
		      len, type);
}

void conn_set_error(struct conn *c, unsigned status, const char *error, const char *log)
{
	struct strbuf sb = STRBUF_INIT;
	struct jw w;

	jw_init(&w, &sb);
	jw_begin_object(&w);
	jw_key(&w, "error");
	jw_string(&w, error);
	jw_key(&w, "log");
	jw_string(&w, log ? log : "");
	jw_end_object(&w);
	strbuf_addch(&sb, '\n');
	conn_set_buf(c, status, &sb, "application/json");
}

static void handle_compile(struct conn *c)
{
	char err[384];

	if (request_parse(c->body.buf ? c->body.buf : "", c->body.len, &c->req, err, sizeof(err))) {
		conn_set_error(c, 400, err, NULL);
		return;
	}
	strlcpy_cb(c->req.arch, request_arch_uname(c->req.arch[0] ? c->req.arch : host_arch()),
		   sizeof(c->req.arch));
	if (!c->req.kernel[0])
		strlcpy_cb(c->req.kernel, host_kernel_release(), sizeof(c->req.kernel));
	queue_submit(c);
}

static void handle_btf(struct conn *c, const char *url)
{
	const char *rest = url + strlen("/v1/btf/");
	const char *slash = strchr(rest, '/');
	char arch[REQ_ARCH_MAX + 1], rel[REQ_KERNEL_MAX + 1];
	size_t alen = slash ? (size_t)(slash - rest) : 0;

	if (!slash || alen >= sizeof(arch) || strlen(slash + 1) >= sizeof(rel)) {
		conn_set_error(c, 404, "no such BTF: use /v1/btf/<arch>/<release>", NULL);
		return;
	}
	memcpy(arch, rest, alen);
	arch[alen] = '\0';
	strlcpy_cb(rel, slash + 1, sizeof(rel));
	if (!request_arch_ok(arch) || !request_kernel_ok(rel)) {
		conn_set_error(c, 404, "no such BTF: bad arch or release", NULL);
		return;
	}
	{
		COOLBPF_BTF_OPTS(bo, .kernel = rel, .arch = arch, .btf_dir = server_cfg.btf_dir);
		struct coolbpf_btf_info info;
		struct strbuf sb = STRBUF_INIT;
		void *data;
		size_t len;

		/* the resolver's order: the running kernel's, then the archive's
		 * .btf.gz (unpacked) or .btf */
		if (coolbpf_btf__locate(&bo, &info) == 0 && strcmp(info.source, "none") &&
		    coolbpf_btf__read(&bo, &data, &len, NULL) == 0) {
			char sha[65];

			/* clients check what they got against it */
			sha256_hex(data, len, sha);
			sb.buf = data;
			sb.len = len;
			sb.alloc = len + 1;
			conn_set_buf(c, 200, &sb, "application/octet-stream");
			if (c->resp)
				MHD_add_response_header(c->resp, "X-Coolbpf-Sha256", sha);
			return;
		}
	}
	conn_set_error(c, 404, "no BTF for this kernel on this server", NULL);
}

static atomic_bool draining;

void http_set_draining(void)
{
	atomic_store(&draining, true);
}

/* 503 while draining: a load balancer's health check moves on */
static void handle_healthz(struct conn *c)
{
	struct strbuf sb = STRBUF_INIT;
	bool d = atomic_load(&draining);

	strbuf_addstr(&sb, d ? "draining\n" : "ok\n");
	conn_set_buf(c, d ? 503 : 200, &sb, "text/plain");
}

static void handle_metrics(struct conn *c)
{
	const struct metrics_gauges g = {
		.cache_bytes = resp_cache_bytes(server_cfg.cache),
		.queue_depth = queue_depth(),
		.in_flight = queue_in_flight(),
		.open_conns = conns_open(),
		.shared_up = shared_state(),
	};
	struct strbuf sb = STRBUF_INIT;

	metrics_format(&sb, &g);
	conn_set_buf(c, 200, &sb, "text/plain; version=0.0.4");
}

/* Constant time in the content of both: no early exit on a mismatch. */
static bool token_ok(struct MHD_Connection *mc)
{
	const char *h = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization");
	const char *token = server_cfg.token;
	size_t tl = strlen(token), hl;
	unsigned char diff;

	if (!h || strncmp(h, "Bearer ", 7))
		return false;
	h += 7;
	hl = strlen(h);
	diff = (unsigned char)(hl != tl);
	for (size_t i = 0; i < tl; i++)
		diff |= (unsigned char)(token[i] ^ h[i < hl ? i : 0]);
	return diff == 0;
}

static enum endpoint classify(const char *url)
{
	if (!strcmp(url, "/v1/compile"))
		return EP_COMPILE;
	if (str_has_prefix(url, "/v1/btf/"))
		return EP_BTF;
	if (!strcmp(url, "/healthz"))
		return EP_HEALTHZ;
	if (!strcmp(url, "/metrics"))
		return EP_METRICS;
	return EP_OTHER;
}

/* the log shows the path, not whatever bytes a client sent */
static void copy_printable(char *dst, size_t sz, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < sz; i++)
		dst[i] = src[i] > ' ' && src[i] < 0x7f && src[i] != '"' ? src[i] : '?';
	dst[i] = '\0';
}

static enum MHD_Result respond(struct MHD_Connection *mc, struct conn *c)
{
	enum MHD_Result rc = MHD_queue_response(mc, c->status, c->resp);

	MHD_destroy_response(c->resp);
	c->resp = NULL;
	return rc;
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	(void)kind;
	(void)value;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		++*(unsigned *)cls;
	return MHD_YES;
}

/* The framing of the body, as the request says it: a message two parsers
 * could read differently (the smuggling primitives) is refused. */
static const char *framing_error(struct MHD_Connection *mc)
{
	const char *te =
		MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	unsigned n_cl = 0;

	MHD_get_connection_values(mc, MHD_HEADER_KIND, count_header, &n_cl);
	if (te && n_cl)
		return "both Content-Length and Transfer-Encoding: send one";
	if (n_cl > 1)
		return "more than one Content-Length";
	if (te && strcasecmp(te, "chunked"))
		return "unsupported Transfer-Encoding: only chunked";
	return NULL;
}

/* What can be decided from the headers alone, before a byte of body is
 * read: the framing, the token, the endpoint and the method. */
static void check_headers(struct conn *c, const char *method)
{
	bool is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	const char *framing = framing_error(c->mc);
	const char *cl;

	if (framing) {
		conn_set_error(c, 400, framing, NULL);
		if (c->resp)
			MHD_add_response_header(c->resp, MHD_HTTP_HEADER_CONNECTION, "close");
	} else if (server_cfg.token && c->ep != EP_HEALTHZ && c->ep != EP_OTHER &&
		   !token_ok(c->mc)) {
		conn_set_error(c, 401, "missing or wrong bearer token", NULL);
	} else if (c->ep == EP_OTHER) {
		conn_set_error(
			c, 404,
			"no such endpoint: /v1/compile, /v1/btf/<arch>/<release>, /healthz, /metrics",
			NULL);
	} else if (c->ep == EP_COMPILE && strcmp(method, "POST")) {
		conn_set_error(c, 405, "use POST", NULL);
	} else if (c->ep != EP_COMPILE && !is_get) {
		conn_set_error(c, 405, "use GET", NULL);
	} else if (c->ep == EP_COMPILE &&
		   (cl = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH)) &&
		   strtoull(cl, NULL, 10) > BODY_MAX) {
		/* an announced oversized body, refused before it is read */
		conn_set_error(c, 413, "request body is larger than 1 MiB", NULL);
	}
}

/* The first callback of a request: its state, before any body. An answer
 * queued here closes the connection when a body was announced:
 * libmicrohttpd reads no byte of it. */
static enum MHD_Result begin_request(struct MHD_Connection *mc, const char *url, const char *method,
				     void **con_cls)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return MHD_NO;
	c->t0 = mono_now();
	c->cache = -1;
	c->mc = mc;
	c->ep = classify(url);
	copy_printable(c->method, sizeof(c->method), method);
	copy_printable(c->path, sizeof(c->path), url);
	atomic_fetch_add(&active, 1);
	*con_cls = c;
	check_headers(c, method);
	if (c->resp)
		return respond(mc, c);
	return MHD_YES;
}

/* The whole request is in: answer it, or leave it to a compile thread. */
static void dispatch(struct conn *c, const char *url)
{
	conns_request_received(c->mc);
	if (c->ep == EP_COMPILE)
		handle_compile(c);
	else if (c->ep == EP_BTF)
		handle_btf(c, url);
	else if (c->ep == EP_HEALTHZ)
		handle_healthz(c);
	else
		handle_metrics(c);
}

/* A body past BODY_MAX (chunked: its size was not announced) or past the
 * budget of all bodies: the connection is closed, nothing more is read. */
static enum MHD_Result take_body(struct conn *c, const char *upload, size_t *upload_sz)
{
	size_t n = *upload_sz;

	if (c->body.len + n > BODY_MAX) {
		metrics_count(M_BODY_REFUSED);
		return MHD_NO;
	}
	if (atomic_fetch_add(&body_bytes, n) + n > BODY_BUDGET) {
		atomic_fetch_sub(&body_bytes, n);
		metrics_count(M_BODY_REFUSED);
		return MHD_NO;
	}
	c->body_counted += n;
	if (strbuf_add(&c->body, upload, n))
		return MHD_NO;
	*upload_sz = 0;
	return MHD_YES;
}

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *mc, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_sz, void **con_cls)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)version;
	(void)method;
	if (!c)
		return begin_request(mc, url, method, con_cls);
	if (*upload_sz)
		return take_body(c, upload, upload_sz);
	if (c->done)
		return respond(mc, c);
	dispatch(c, url);
	if (!c->resp)
		return c->status ? MHD_NO : MHD_YES; /* queued for a compile thread */
	return respond(mc, c);
}

void http_on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
		       enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;
	double ms;

	(void)cls;
	if (!c)
		return;
	ms = (mono_now() - c->t0) * 1e3;
	if (!c->status)
		/* past --request-timeout, or the client went away (or the
		 * server stopped) */
		c->status = conns_timed_out(mc) ? 408 : 499;
	conns_request_done(mc);
	metrics_request(c->ep, c->status);
	if (c->ep == EP_COMPILE) {
		enum outcome o = c->outcome;

		if (c->status == 499 || c->status == 408)
			o = OUT_CANCELLED;
		else if (o == OUT_NONE)
			o = c->status >= 400 && c->status < 500 ? OUT_REFUSED : OUT_FAILED;
		metrics_outcome(o);
	}
	if (c->ep == EP_COMPILE && c->status == 200)
		metrics_latency(c->cache == 1, ms / 1e3);
	if (!server_cfg.quiet)
		fprintf(stderr, "%s %s %u %zu %.1fms cache=%s%s\n", c->method, c->path, c->status,
			c->bytes, ms,
			c->cache < 0 ? "-" :
			c->cache     ? "hit" :
				       "miss",
			toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	if (c->resp)
		MHD_destroy_response(c->resp);
	request_release(&c->req);
	strbuf_release(&c->stored);
	free(c->fail.error);
	free(c->fail.log);
	atomic_fetch_sub(&body_bytes, c->body_counted);
	strbuf_release(&c->body);
	free(c);
	*con_cls = NULL;
	atomic_fetch_sub(&active, 1);
}
