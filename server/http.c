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
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "coolbpfd.h"

#define BODY_MAX (1024 * 1024)

static atomic_int active;

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

	if (c->too_large) {
		conn_set_error(c, 413, "request body is larger than 1 MiB", NULL);
		return;
	}
	if (request_parse(c->body.buf ? c->body.buf : "", c->body.len, &c->req, err, sizeof(err))) {
		conn_set_error(c, 400, err, NULL);
		return;
	}
	if (!c->req.arch[0])
		strlcpy_cb(c->req.arch, host_arch(), sizeof(c->req.arch));
	if (!c->req.kernel[0])
		strlcpy_cb(c->req.kernel, host_kernel_release(), sizeof(c->req.kernel));
	/* "arm64" is "aarch64": the archive is laid out by uname -m */
	if (arch_uname(c->req.arch))
		strlcpy_cb(c->req.arch, arch_uname(c->req.arch), sizeof(c->req.arch));
	if (strcmp(c->req.arch, host_arch())) {
		/* another architecture: only for a kernel whose BTF is archived */
		COOLBPF_BTF_OPTS(bo, .kernel = c->req.kernel, .arch = c->req.arch,
				 .btf_dir = server_cfg.btf_dir);
		struct coolbpf_btf_info info;

		if (!arch_uname(c->req.arch) || coolbpf_btf__locate(&bo, &info) ||
		    strcmp(info.source, "archive")) {
			snprintf(
				err, sizeof(err),
				"this server compiles for %s, and for other architectures only for "
				"kernels whose BTF its --btf-dir has: no %.32s/%.128s",
				host_arch(), c->req.arch, c->req.kernel);
			conn_set_error(c, 400, err, NULL);
			return;
		}
	}
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

static void handle_healthz(struct conn *c)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "ok\n");
	conn_set_buf(c, 200, &sb, "text/plain");
}

static void handle_metrics(struct conn *c)
{
	const struct metrics_gauges g = {
		.cache_bytes = resp_cache_bytes(server_cfg.cache),
		.queue_depth = queue_depth(),
		.in_flight = queue_in_flight(),
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

/* The first callback of a request: its state, before any body. */
static enum MHD_Result begin_request(struct MHD_Connection *mc, const char *url, const char *method,
				     void **con_cls)
{
	struct conn *c = calloc(1, sizeof(*c));
	const char *cl;

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
	/* refuse an announced oversized body before reading it */
	cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (c->ep == EP_COMPILE && cl && strtoull(cl, NULL, 10) > BODY_MAX) {
		conn_set_error(c, 413, "request body is larger than 1 MiB", NULL);
		return respond(mc, c);
	}
	return MHD_YES;
}

/* The whole request is in: check it and answer, or leave it to a
 * compile thread. */
static void dispatch(struct conn *c, const char *url, const char *method)
{
	bool is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	if (server_cfg.token && c->ep != EP_HEALTHZ && c->ep != EP_OTHER && !token_ok(c->mc))
		conn_set_error(c, 401, "missing or wrong bearer token", NULL);
	else if (c->ep == EP_OTHER)
		conn_set_error(
			c, 404,
			"no such endpoint: /v1/compile, /v1/btf/<arch>/<release>, /healthz, /metrics",
			NULL);
	else if (c->ep == EP_COMPILE && strcmp(method, "POST"))
		conn_set_error(c, 405, "use POST", NULL);
	else if (c->ep != EP_COMPILE && !is_get)
		conn_set_error(c, 405, "use GET", NULL);
	else if (c->ep == EP_COMPILE)
		handle_compile(c);
	else if (c->ep == EP_BTF)
		handle_btf(c, url);
	else if (c->ep == EP_HEALTHZ)
		handle_healthz(c);
	else
		handle_metrics(c);
}

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *mc, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_sz, void **con_cls)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)version;
	if (!c)
		return begin_request(mc, url, method, con_cls);
	if (*upload_sz) {
		if (c->body.len + *upload_sz > BODY_MAX || c->ep != EP_COMPILE)
			c->too_large = true; /* keep reading, answer at the end */
		else if (strbuf_add(&c->body, upload, *upload_sz))
			return MHD_NO;
		*upload_sz = 0;
		return MHD_YES;
	}
	if (c->done)
		return respond(mc, c);
	dispatch(c, url, method);
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
	(void)mc;
	if (!c)
		return;
	ms = (mono_now() - c->t0) * 1e3;
	if (!c->status)
		c->status = 499; /* client went away, or the server stopped */
	metrics_request(c->ep, c->status);
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
	strbuf_release(&c->body);
	free(c);
	*con_cls = NULL;
	atomic_fetch_sub(&active, 1);
}
