// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpfd: the compile server (DESIGN.md's HTTP API).
 *
 * libmicrohttpd serves connections from a small thread pool. A compile
 * request is parsed and validated (request.c), hashed, and looked up in
 * the response cache (cache.c) right there in the HTTP thread: a hit is
 * one open() and a sendfile. A miss suspends the connection and queues a
 * job; --workers compile threads each run one sandboxed worker process
 * (sandbox.c) at a time and resume the connection with the answer. When
 * the queue is full the answer is 503 at once, so a burst cannot pile up
 * unbounded work; a slow client only ever holds an HTTP connection
 * (bounded by MHD's timeout and memory limit), never a worker.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "cache.h"
#include "request.h"
#include "sandbox.h"

#define BODY_MAX (1024 * 1024)

/* metrics ----------------------------------------------------------- */

enum endpoint { EP_COMPILE, EP_BTF, EP_HEALTHZ, EP_METRICS, EP_OTHER, EP_N };
static const char *const ep_names[EP_N] = { "compile", "btf", "healthz", "metrics", "other" };
static const unsigned codes[] = { 200, 400, 401, 404, 405, 413, 422, 500, 503, 504 };
#define CODE_N (ARRAY_SIZE(codes) + 1) /* + "other" */
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				  0.5,	 1,	 2.5,	5,    10,    30,   60 };
#define BUCKET_N (ARRAY_SIZE(buckets) + 1)

struct hist {
	atomic_ullong count[BUCKET_N];
	atomic_ullong sum_us;
};

static struct {
	atomic_ullong requests[EP_N][CODE_N];
	atomic_ullong cache_hits, cache_misses, rejected_full, timeouts;
	atomic_int queued, in_flight, active;
	struct hist latency[2]; /* [cached] */
} M;

static void hist_add(struct hist *h, double s)
{
	size_t i = 0;

	while (i < ARRAY_SIZE(buckets) && s > buckets[i])
		i++;
	atomic_fetch_add(&h->count[i], 1);
	atomic_fetch_add(&h->sum_us, (unsigned long long)(s * 1e6));
}

/* configuration ------------------------------------------------------ */

static struct {
	struct sockaddr_in addr;
	char cache_dir[PATH_MAX];
	char pipeline_root[PATH_MAX];
	char self[PATH_MAX];
	const char *btf_dir;
	char *token;
	unsigned workers, threads, queue_max, timeout_s, client_timeout;
	unsigned long long cache_max;
	char salt[256];
	struct sandbox_config sb;
	struct resp_cache *cache;
	bool quiet;
} S;

/* the job queue ------------------------------------------------------ */

struct conn {
	enum endpoint ep;
	char method[8];
	char path[96];
	double t0;
	struct strbuf body;
	bool too_large;
	/* answer */
	unsigned status;
	size_t bytes;
	int cache; /* -1 n/a, 0 miss, 1 hit */
	struct MHD_Response *resp;
	/* a queued compile */
	struct MHD_Connection *mc;
	struct compile_request req;
	char key[65];
	const char *kernel;  /* NULL: the running kernel */
	char btf_path[PATH_MAX]; /* "": the running kernel's */
	bool have_target_btf;
	bool done;
	struct conn *next;
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct conn *q_head, *q_tail;
static bool q_stop;

/* responses ---------------------------------------------------------- */

static void set_resp(struct conn *c, unsigned status, struct MHD_Response *r, size_t bytes,
		     const char *type)
{
	if (!r)
		return;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	c->status = status;
	c->bytes = bytes;
	c->resp = r;
}

static void set_buf(struct conn *c, unsigned status, struct strbuf *sb, const char *type)
{
	size_t len;
	char *data = strbuf_detach(sb, &len);

	set_resp(c, status, MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE),
		 len, type);
}

static void set_error(struct conn *c, unsigned status, const char *error, const char *log)
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
	set_buf(c, status, &sb, "application/json");
}

static int compile_body(struct strbuf *sb, bool cached, const char *sha, const char *obj_b64,
			const char *btf_b64, const char *log)
{
	struct jw w;

	jw_init(&w, sb);
	jw_begin_object(&w);
	jw_key(&w, "cached");
	jw_bool(&w, cached);
	jw_key(&w, "sha256");
	jw_string(&w, sha);
	jw_key(&w, "object");
	jw_string(&w, obj_b64);
	jw_key(&w, "btf");
	if (btf_b64)
		jw_string(&w, btf_b64);
	else
		jw_null(&w);
	jw_key(&w, "log");
	jw_string(&w, log);
	jw_end_object(&w);
	return jw_error(&w) ?: strbuf_addch(sb, '\n');
}

/* The 200 answer; the cache keeps the "cached": true twin. */
static void answer_compiled(struct conn *c, struct sandbox_result *r)
{
	struct strbuf obj = STRBUF_INIT, btf = STRBUF_INIT, log = STRBUF_INIT,
		      fresh = STRBUF_INIT, stored = STRBUF_INIT;
	const void *min_btf;
	const char *rel;
	size_t min_sz;
	char sha[65];
	int err;

	sha256_hex(r->obj, r->obj_sz, sha);
	err = base64_encode(&obj, r->obj, r->obj_sz);
	if (!err && c->have_target_btf &&
	    coolbpf_artifact__min_btf(r->obj, r->obj_sz, &min_btf, &min_sz, &rel) == 0)
		err = base64_encode(&btf, min_btf, min_sz);
	if (!err && !c->have_target_btf)
		err = strbuf_addf(&log,
				  "coolbpfd: no BTF for kernel %s (%s) on this server; compiled "
				  "with its default BTF (kernel %s): CO-RE relocates at load time, "
				  "no min BTF returned\n",
				  c->req.kernel, c->req.arch, host_kernel_release());
	err = err ?: strbuf_addstr(&log, r->log ? r->log : "");
	err = err ?: compile_body(&fresh, false, sha, strbuf_str(&obj),
				  c->have_target_btf && btf.len ? btf.buf : NULL, strbuf_str(&log));
	err = err ?: compile_body(&stored, true, sha, strbuf_str(&obj),
				  c->have_target_btf && btf.len ? btf.buf : NULL, strbuf_str(&log));
	if (err) {
		set_error(c, 500, "out of memory", NULL);
	} else {
		if (resp_cache_put(S.cache, c->key, stored.buf, stored.len))
			fprintf(stderr, "coolbpfd: cannot store a response in '%s'\n", S.cache_dir);
		set_buf(c, 200, &fresh, "application/json");
	}
	strbuf_release(&obj);
	strbuf_release(&btf);
	strbuf_release(&log);
	strbuf_release(&fresh);
	strbuf_release(&stored);
}

static bool answer_from_cache(struct conn *c)
{
	off_t size;
	int fd = resp_cache_get(S.cache, c->key, &size);

	if (fd < 0)
		return false;
	set_resp(c, 200, MHD_create_response_from_fd((uint64_t)size, fd), (size_t)size,
		 "application/json");
	if (!c->resp) {
		close(fd);
		return false;
	}
	c->cache = 1;
	return true;
}

/* compile threads ---------------------------------------------------- */

static int unpack_target_btf(struct conn *c);

static void run_job(struct conn *c)
{
	struct sandbox_result r;

	/* an identical request may have been compiled while this one waited */
	if (answer_from_cache(c))
		return;
	c->cache = 0;
	if (unpack_target_btf(c)) {
		set_error(c, 500, "cannot unpack the target kernel's BTF", coolbpf_errmsg());
		return;
	}
	switch (sandbox_compile(&S.sb, &c->req, c->kernel, c->btf_path[0] ? c->btf_path : NULL,
				&r)) {
	case SANDBOX_OK:
		answer_compiled(c, &r);
		break;
	case SANDBOX_COMPILE_ERROR:
		set_error(c, 422, "compile failed", r.log);
		break;
	case SANDBOX_TIMEOUT:
		atomic_fetch_add(&M.timeouts, 1);
		set_error(c, 504, r.err, NULL);
		break;
	case SANDBOX_TOO_LARGE:
	case SANDBOX_FAILED:
		fprintf(stderr, "coolbpfd: compile failed: %s\n", r.err);
		set_error(c, 500, r.err, NULL);
		break;
	}
	sandbox_result_release(&r);
}

static void *compile_thread(void *arg)
{
	(void)arg;
	for (;;) {
		struct conn *c;

		pthread_mutex_lock(&q_lock);
		while (!q_head && !q_stop)
			pthread_cond_wait(&q_cond, &q_lock);
		if (!q_head) {
			pthread_mutex_unlock(&q_lock);
			return NULL;
		}
		c = q_head;
		q_head = c->next;
		if (!q_head)
			q_tail = NULL;
		atomic_fetch_sub(&M.queued, 1);
		atomic_fetch_add(&M.in_flight, 1);
		pthread_mutex_unlock(&q_lock);

		run_job(c);
		if (!c->resp)
			set_error(c, 500, "out of memory", NULL);
		atomic_fetch_sub(&M.in_flight, 1);
		c->done = true;
		MHD_resume_connection(c->mc);
	}
}

/* 0 queued, -EBUSY when the queue is full */
static int enqueue(struct conn *c)
{
	pthread_mutex_lock(&q_lock);
	if ((unsigned)atomic_load(&M.queued) >= S.queue_max) {
		pthread_mutex_unlock(&q_lock);
		return -EBUSY;
	}
	c->next = NULL;
	if (q_tail)
		q_tail->next = c;
	else
		q_head = c;
	q_tail = c;
	atomic_fetch_add(&M.queued, 1);
	/* suspended before a compile thread can resume it: both under q_lock */
	MHD_suspend_connection(c->mc);
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
	return 0;
}

/* handlers ----------------------------------------------------------- */

/* Hex sha256 of everything that determines the answer, plus salt (the
 * toolchain and the target BTF's identity). */
static void request_key(const struct compile_request *req, const char *salt, char out[65])
{
	struct sha256_ctx *ctx = sha256_ctx_new();
	char len[32];
	int n;

	if (!ctx) {
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	sha256_ctx_update(ctx, "coolbpfd-request-1", 19);
	sha256_ctx_update(ctx, salt, strlen(salt) + 1);
	n = snprintf(len, sizeof(len), "%zu", req->source_len);
	sha256_ctx_update(ctx, len, (size_t)n + 1);
	sha256_ctx_update(ctx, req->source, req->source_len);
	sha256_ctx_update(ctx, req->kernel, strlen(req->kernel) + 1);
	sha256_ctx_update(ctx, req->arch, strlen(req->arch) + 1);
	for (size_t i = 0; i < req->n_defines; i++)
		sha256_ctx_update(ctx, req->defines[i], strlen(req->defines[i]) + 1);
	sha256_ctx_final_hex(ctx, out);
}


/* The request's target: its BTF as the resolver finds it (the running
 * kernel's, or --btf-dir's archive entry), or (neither) the default BTF,
 * which the answer's log says. Salted into the key with the BTF file's
 * identity, so a BTF added later misses. */
static void choose_target(struct conn *c, char *salt, size_t salt_sz)
{
	COOLBPF_BTF_OPTS(bo, .kernel = c->req.kernel, .arch = c->req.arch, .btf_dir = S.btf_dir);
	struct coolbpf_btf_info info;
	struct stat st;

	c->kernel = NULL;
	c->btf_path[0] = '\0';
	c->have_target_btf = false;
	if (coolbpf_btf__locate(&bo, &info) == 0 && !strcmp(info.source, "archive") &&
	    stat(info.path, &st) == 0 && S_ISREG(st.st_mode)) {
		strlcpy_cb(c->btf_path, info.path, sizeof(c->btf_path));
		c->kernel = c->req.kernel;
		c->have_target_btf = true;
		snprintf(salt, salt_sz, "%s\nbtf %s %lld %lld.%09ld", S.salt, info.path,
			 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		return;
	}
	c->have_target_btf = !strcmp(c->req.kernel, host_kernel_release());
	snprintf(salt, salt_sz, "%s\n%s", S.salt, c->have_target_btf ? "running" : "default");
}

/* A gzip'd archive entry goes to the worker as raw BTF, unpacked once into
 * <pipeline>/btf/<sha256>.btf. */
static int unpack_target_btf(struct conn *c)
{
	COOLBPF_BTF_OPTS(bo, .btf_path = c->btf_path);
	char sha[65], path[PATH_MAX];
	struct stat st;
	void *data;
	size_t len;
	int err;

	if (!str_has_suffix(c->btf_path, ".gz"))
		return 0;
	if (coolbpf_btf__read(&bo, &data, &len, NULL))
		return -EINVAL;
	sha256_hex(data, len, sha);
	err = pathf(path, sizeof(path), "%s/btf", S.pipeline_root);
	if (!err)
		err = mkdir_p(path);
	if (!err)
		err = pathf(path, sizeof(path), "%s/btf/%s.btf", S.pipeline_root, sha);
	if (!err && stat(path, &st))
		err = write_file_atomic(path, data, len);
	free(data);
	if (!err)
		strlcpy_cb(c->btf_path, path, sizeof(c->btf_path));
	return err;
}

static void handle_compile(struct conn *c)
{
	char err[256], salt[PATH_MAX + 512];

	if (c->too_large) {
		set_error(c, 413, "request body is larger than 1 MiB", NULL);
		return;
	}
	if (request_parse(c->body.buf ? c->body.buf : "", c->body.len, &c->req, err,
			  sizeof(err))) {
		set_error(c, 400, err, NULL);
		return;
	}
	if (!c->req.arch[0])
		strlcpy_cb(c->req.arch, host_arch(), sizeof(c->req.arch));
	if (!c->req.kernel[0])
		strlcpy_cb(c->req.kernel, host_kernel_release(), sizeof(c->req.kernel));
	if (strcmp(c->req.arch, host_arch())) {
		snprintf(err, sizeof(err), "this server compiles for %s only, not %s", host_arch(),
			 c->req.arch);
		set_error(c, 400, err, NULL);
		return;
	}
	choose_target(c, salt, sizeof(salt));
	request_key(&c->req, salt, c->key);
	if (answer_from_cache(c)) {
		atomic_fetch_add(&M.cache_hits, 1);
		return;
	}
	atomic_fetch_add(&M.cache_misses, 1);
	c->cache = 0;
	if (enqueue(c)) {
		atomic_fetch_add(&M.rejected_full, 1);
		set_error(c, 503, "compile queue is full, retry later", NULL);
	}
}

static void handle_btf(struct conn *c, const char *url)
{
	const char *rest = url + strlen("/v1/btf/");
	const char *slash = strchr(rest, '/');
	char arch[REQ_ARCH_MAX + 1], rel[REQ_KERNEL_MAX + 1];
	size_t alen = slash ? (size_t)(slash - rest) : 0;

	if (!slash || alen >= sizeof(arch) || strlen(slash + 1) >= sizeof(rel)) {
		set_error(c, 404, "no such BTF: use /v1/btf/<arch>/<release>", NULL);
		return;
	}
	memcpy(arch, rest, alen);
	arch[alen] = '\0';
	strlcpy_cb(rel, slash + 1, sizeof(rel));
	if (!request_arch_ok(arch) || !request_kernel_ok(rel)) {
		set_error(c, 404, "no such BTF: bad arch or release", NULL);
		return;
	}
	{
		COOLBPF_BTF_OPTS(bo, .kernel = rel, .arch = arch, .btf_dir = S.btf_dir);
		struct coolbpf_btf_info info;
		struct strbuf sb = STRBUF_INIT;
		void *data;
		size_t len;

		/* the resolver's order: the running kernel's, then the archive's
		 * .btf.gz (unpacked) or .btf */
		if (coolbpf_btf__locate(&bo, &info) == 0 && strcmp(info.source, "none") &&
		    coolbpf_btf__read(&bo, &data, &len, NULL) == 0) {
			sb.buf = data;
			sb.len = len;
			sb.alloc = len + 1;
			set_buf(c, 200, &sb, "application/octet-stream");
			return;
		}
	}
	set_error(c, 404, "no BTF for this kernel on this server", NULL);
}

static void handle_metrics(struct conn *c)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "# HELP coolbpfd_requests_total HTTP requests by endpoint and status.\n"
			   "# TYPE coolbpfd_requests_total counter\n");
	for (int e = 0; e < EP_N; e++) {
		for (size_t k = 0; k < CODE_N; k++) {
			unsigned long long v = atomic_load(&M.requests[e][k]);

			if (!v)
				continue;
			if (k < ARRAY_SIZE(codes))
				strbuf_addf(&sb, "coolbpfd_requests_total{endpoint=\"%s\",status=\"%u\"} %llu\n",
					    ep_names[e], codes[k], v);
			else
				strbuf_addf(&sb, "coolbpfd_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
					    ep_names[e], v);
		}
	}
	strbuf_addstr(&sb, "# HELP coolbpfd_compile_seconds POST /v1/compile latency, by cache.\n"
			   "# TYPE coolbpfd_compile_seconds histogram\n");
	for (int h = 0; h < 2; h++) {
		unsigned long long cum = 0;
		const char *lbl = h ? "hit" : "miss";

		for (size_t i = 0; i < BUCKET_N; i++) {
			cum += atomic_load(&M.latency[h].count[i]);
			if (i < ARRAY_SIZE(buckets))
				strbuf_addf(&sb, "coolbpfd_compile_seconds_bucket{cache=\"%s\",le=\"%g\"} %llu\n",
					    lbl, buckets[i], cum);
			else
				strbuf_addf(&sb, "coolbpfd_compile_seconds_bucket{cache=\"%s\",le=\"+Inf\"} %llu\n",
					    lbl, cum);
		}
		strbuf_addf(&sb, "coolbpfd_compile_seconds_sum{cache=\"%s\"} %.6f\n", lbl,
			    (double)atomic_load(&M.latency[h].sum_us) / 1e6);
		strbuf_addf(&sb, "coolbpfd_compile_seconds_count{cache=\"%s\"} %llu\n", lbl, cum);
	}
	strbuf_addf(&sb,
		    "# TYPE coolbpfd_cache_hits_total counter\ncoolbpfd_cache_hits_total %llu\n"
		    "# TYPE coolbpfd_cache_misses_total counter\ncoolbpfd_cache_misses_total %llu\n"
		    "# TYPE coolbpfd_cache_bytes gauge\ncoolbpfd_cache_bytes %llu\n"
		    "# TYPE coolbpfd_queue_depth gauge\ncoolbpfd_queue_depth %d\n"
		    "# TYPE coolbpfd_in_flight_compiles gauge\ncoolbpfd_in_flight_compiles %d\n"
		    "# TYPE coolbpfd_queue_rejected_total counter\ncoolbpfd_queue_rejected_total %llu\n"
		    "# TYPE coolbpfd_compile_timeouts_total counter\ncoolbpfd_compile_timeouts_total %llu\n",
		    atomic_load(&M.cache_hits), atomic_load(&M.cache_misses),
		    resp_cache_bytes(S.cache), atomic_load(&M.queued), atomic_load(&M.in_flight),
		    atomic_load(&M.rejected_full), atomic_load(&M.timeouts));
	set_buf(c, 200, &sb, "text/plain; version=0.0.4");
}

/* Constant time in the content of both: no early exit on a mismatch. */
static bool token_ok(struct MHD_Connection *mc)
{
	const char *h = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Authorization");
	size_t tl = strlen(S.token), hl;
	unsigned char diff;

	if (!h || strncmp(h, "Bearer ", 7))
		return false;
	h += 7;
	hl = strlen(h);
	diff = (unsigned char)(hl != tl);
	for (size_t i = 0; i < tl; i++)
		diff |= (unsigned char)(S.token[i] ^ h[i < hl ? i : 0]);
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

static enum MHD_Result queue(struct MHD_Connection *mc, struct conn *c)
{
	enum MHD_Result rc = MHD_queue_response(mc, c->status, c->resp);

	MHD_destroy_response(c->resp);
	c->resp = NULL;
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_sz, void **con_cls)
{
	struct conn *c = *con_cls;
	bool is_get;

	(void)cls;
	(void)version;
	if (!c) {
		const char *cl;

		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		c->t0 = mono_now();
		c->cache = -1;
		c->mc = mc;
		c->ep = classify(url);
		copy_printable(c->method, sizeof(c->method), method);
		copy_printable(c->path, sizeof(c->path), url);
		atomic_fetch_add(&M.active, 1);
		*con_cls = c;
		/* refuse an announced oversized body before reading it */
		cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (c->ep == EP_COMPILE && cl && strtoull(cl, NULL, 10) > BODY_MAX) {
			set_error(c, 413, "request body is larger than 1 MiB", NULL);
			return queue(mc, c);
		}
		return MHD_YES;
	}
	if (*upload_sz) {
		if (c->body.len + *upload_sz > BODY_MAX || c->ep != EP_COMPILE)
			c->too_large = true; /* keep reading, answer at the end */
		else if (strbuf_add(&c->body, upload, *upload_sz))
			return MHD_NO;
		*upload_sz = 0;
		return MHD_YES;
	}
	if (c->done)
		return queue(mc, c);

	is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	if (S.token && c->ep != EP_HEALTHZ && c->ep != EP_OTHER && !token_ok(mc))
		set_error(c, 401, "missing or wrong bearer token", NULL);
	else if (c->ep == EP_OTHER)
		set_error(c, 404, "no such endpoint: /v1/compile, /v1/btf/<arch>/<release>, /healthz, /metrics", NULL);
	else if (c->ep == EP_COMPILE && strcmp(method, "POST"))
		set_error(c, 405, "use POST", NULL);
	else if (c->ep != EP_COMPILE && !is_get)
		set_error(c, 405, "use GET", NULL);
	else if (c->ep == EP_COMPILE)
		handle_compile(c);
	else if (c->ep == EP_BTF)
		handle_btf(c, url);
	else if (c->ep == EP_HEALTHZ) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "ok\n");
		set_buf(c, 200, &sb, "text/plain");
	} else
		handle_metrics(c);
	if (!c->resp)
		return c->status ? MHD_NO : MHD_YES; /* queued for a compile thread */
	return queue(mc, c);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;
	double ms;
	size_t k = 0;

	(void)cls;
	(void)mc;
	if (!c)
		return;
	ms = (mono_now() - c->t0) * 1e3;
	if (!c->status)
		c->status = 499; /* client went away, or the server stopped */
	while (k < ARRAY_SIZE(codes) && codes[k] != c->status)
		k++;
	atomic_fetch_add(&M.requests[c->ep][k], 1);
	if (c->ep == EP_COMPILE && c->status == 200)
		hist_add(&M.latency[c->cache == 1], ms / 1e3);
	if (!S.quiet)
		fprintf(stderr, "%s %s %u %zu %.1fms cache=%s%s\n", c->method, c->path, c->status,
			c->bytes, ms, c->cache < 0 ? "-" : c->cache ? "hit" : "miss",
			toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	if (c->resp)
		MHD_destroy_response(c->resp);
	request_release(&c->req);
	strbuf_release(&c->body);
	free(c);
	*con_cls = NULL;
	atomic_fetch_sub(&M.active, 1);
}

/* startup ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: coolbpfd [--listen ADDR:PORT] [--cache DIR] [--cache-max-mb N]\n"
		"                [--btf-dir DIR] [--workers N] [--threads N] [--queue N]\n"
		"                [--timeout SECONDS] [--mem-mb N] [--token-file FILE]\n"
		"                [--client-timeout SECONDS] [--quiet]\n"
		"\n"
		"The coolbpf compile server (see coolbpfd(8)).\n"
		"  --listen ADDR:PORT   IPv4 address and port (default 127.0.0.1:8470; port 0: any)\n"
		"  --cache DIR          responses and per-kernel headers (default /var/cache/coolbpfd)\n"
		"  --cache-max-mb N     bound of the response cache, LRU eviction (default 1024)\n"
		"  --btf-dir DIR        BTF archive: DIR/<arch>/<release>.btf ($COOLBPF_BTF_DIR)\n"
		"  --workers N          concurrent sandboxed compiles (default: CPUs)\n"
		"  --threads N          HTTP threads (default: CPUs)\n"
		"  --queue N            compiles waiting for a worker before 503 (default 64)\n"
		"  --timeout SECONDS    wall-clock and CPU limit of one compile (default 60)\n"
		"  --mem-mb N           address-space limit of one compile (default 4096)\n"
		"  --token-file FILE    require 'Authorization: Bearer <token>'\n"
		"  --client-timeout S   close a connection idle for S seconds (default 15)\n"
		"  --quiet              no per-request log line\n"
		"\n"
		"EXAMPLES\n"
		"  coolbpfd --listen 0.0.0.0:8470 --btf-dir /srv/btf --token-file /etc/coolbpfd/token\n"
		"  COOLBPF_SERVER=http://build:8470 coolbpf run prog.bpf.c\n");
}

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

static int parse_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	unsigned long long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host) ||
	    parse_uint(colon + 1, "port", 0, 65535, &port))
		goto bad;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	S.addr.sin_family = AF_INET;
	S.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &S.addr.sin_addr) != 1)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "coolbpfd: bad --listen '%s': expected IPv4ADDR:PORT\n", s);
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
	S.token = t;
	return 0;
}

/* What else decides an answer: the compile environment (pipeline,
 * toolchain, lbc.h) and the running kernel (the default BTF). */
static int make_salt(void)
{
	char env_id[65];
	int err = coolbpf_compile_env_id(getenv("PATH"), env_id);

	if (err)
		return err;
	snprintf(S.salt, sizeof(S.salt), "%s %s", env_id, host_kernel_release());
	return 0;
}

static int print_lib(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != COOLBPF_WARN)
		return 0;
	fputs("coolbpfd: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	enum { O_LISTEN = 256, O_CACHE, O_CACHE_MAX, O_BTF_DIR, O_WORKERS, O_THREADS, O_QUEUE,
	       O_TIMEOUT, O_MEM, O_TOKEN, O_QUIET, O_WORKER, O_CLIENT_TIMEOUT };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "cache", required_argument, NULL, O_CACHE },
		{ "cache-max-mb", required_argument, NULL, O_CACHE_MAX },
		{ "btf-dir", required_argument, NULL, O_BTF_DIR },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "mem-mb", required_argument, NULL, O_MEM },
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "worker", no_argument, NULL, O_WORKER },
		{ "client-timeout", required_argument, NULL, O_CLIENT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v, cache_mb = 1024, mem_mb = 4096;
	const char *cache = "/var/cache/coolbpfd";
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t *threads;
	struct MHD_Daemon *d;
	sigset_t sigs;
	int c, sig, abi;
	ssize_t n;

	if (argc == 2 && !strcmp(argv[1], "--worker"))
		return sandbox_worker_main();
	S.workers = S.threads = ncpu > 0 ? (unsigned)ncpu : 1;
	S.queue_max = 64;
	S.timeout_s = 60;
	S.client_timeout = 15;
	S.btf_dir = getenv("COOLBPF_BTF_DIR");
	parse_listen("127.0.0.1:8470");
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_LISTEN:
			if (parse_listen(optarg))
				return 2;
			break;
		case O_CACHE:
			cache = optarg;
			break;
		case O_CACHE_MAX:
			if (parse_uint(optarg, "--cache-max-mb", 1, 1ULL << 30, &cache_mb))
				return 2;
			break;
		case O_BTF_DIR:
			S.btf_dir = optarg;
			break;
		case O_WORKERS:
		case O_THREADS:
		case O_QUEUE:
			if (parse_uint(optarg, opts[c - O_LISTEN].name, 1, 1024, &v))
				return 2;
			*(c == O_WORKERS ? &S.workers : c == O_THREADS ? &S.threads : &S.queue_max) =
				(unsigned)v;
			break;
		case O_TIMEOUT:
			if (parse_uint(optarg, "--timeout", 1, 3600, &v))
				return 2;
			S.timeout_s = (unsigned)v;
			break;
		case O_MEM:
			if (parse_uint(optarg, "--mem-mb", 64, 1ULL << 20, &mem_mb))
				return 2;
			break;
		case O_TOKEN:
			if (load_token(optarg))
				return 1;
			break;
		case O_QUIET:
			S.quiet = true;
			break;
		case O_CLIENT_TIMEOUT:
			if (parse_uint(optarg, "--client-timeout", 1, 3600, &v))
				return 2;
			S.client_timeout = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	coolbpf_set_print(print_lib);
	host_kernel_release(); /* fill its static storage before threads start */
	abi = sandbox_landlock_abi();
	if (abi < 1) {
		fprintf(stderr, "coolbpfd: Landlock is not available (%s): refusing to run the compiler unconfined\n",
			strerror(abi < 0 ? -abi : EOPNOTSUPP));
		return 1;
	}
	n = readlink("/proc/self/exe", S.self, sizeof(S.self) - 1);
	if (n <= 0) {
		perror("coolbpfd: /proc/self/exe");
		return 1;
	}
	S.self[n] = '\0';
	if (!realpath(cache, S.cache_dir) && (mkdir_p(cache) || !realpath(cache, S.cache_dir))) {
		fprintf(stderr, "coolbpfd: cannot create '%s': %s\n", cache, strerror(errno));
		return 1;
	}
	{
		char resp[PATH_MAX + 16], sub[PATH_MAX + 16];

		snprintf(resp, sizeof(resp), "%s/responses", S.cache_dir);
		if (strlen(S.cache_dir) + 16 > sizeof(S.pipeline_root)) {
			fprintf(stderr, "coolbpfd: cache path too long\n");
			return 1;
		}
		strlcpy_cb(S.pipeline_root, S.cache_dir, sizeof(S.pipeline_root));
		memcpy(S.pipeline_root + strlen(S.cache_dir), "/pipeline", 10);
		snprintf(sub, sizeof(sub), "%s/kernels", S.pipeline_root);
		if (mkdir_p(sub) || (snprintf(sub, sizeof(sub), "%s/tmp", S.pipeline_root), mkdir_p(sub))) {
			fprintf(stderr, "coolbpfd: cannot create '%s'\n", sub);
			return 1;
		}
		S.cache = resp_cache_open(resp, cache_mb << 20);
		if (!S.cache) {
			fprintf(stderr, "coolbpfd: cannot open the cache '%s': %s\n", resp,
				strerror(errno));
			return 1;
		}
	}
	if (make_salt())
		return 1;
	S.sb = (struct sandbox_config){ .self = S.self, .pipeline_root = S.pipeline_root,
					.timeout_s = S.timeout_s, .mem_bytes = mem_mb << 20,
					.output_max = 64u << 20 };

	/* worker pipes: a dead worker is an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* threads inherit it */

	threads = calloc(S.workers, sizeof(*threads));
	for (unsigned i = 0; threads && i < S.workers; i++)
		pthread_create(&threads[i], NULL, compile_thread, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
				     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC,
			     0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&S.addr,
			     MHD_OPTION_THREAD_POOL_SIZE, S.threads,
			     MHD_OPTION_CONNECTION_TIMEOUT, S.client_timeout,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
			     MHD_OPTION_CONNECTION_LIMIT, 2048u,
			     MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_END);
	if (!d || !threads) {
		fprintf(stderr, "coolbpfd: cannot listen on %s:%u: %s\n",
			inet_ntoa(S.addr.sin_addr), ntohs(S.addr.sin_port), strerror(errno));
		return 1;
	}
	{
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

		fprintf(stderr, "coolbpfd: listening on %s:%u (workers %u, threads %u, Landlock ABI %d, cache %s)\n",
			inet_ntoa(S.addr.sin_addr), di ? di->port : ntohs(S.addr.sin_port),
			S.workers, S.threads, abi, S.cache_dir);
	}

	while (sigwait(&sigs, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
		;
	/* drain: stop accepting, let every request in progress finish */
	fprintf(stderr, "coolbpfd: %s: draining %d request(s)\n", strsignal(sig),
		atomic_load(&M.active));
	MHD_socket lsock = MHD_quiesce_daemon(d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	for (double end = mono_now() + S.timeout_s + 5; atomic_load(&M.active) > 0 && mono_now() < end;)
		usleep(20000);
	MHD_stop_daemon(d);
	pthread_mutex_lock(&q_lock);
	q_stop = true;
	pthread_cond_broadcast(&q_cond);
	pthread_mutex_unlock(&q_lock);
	for (unsigned i = 0; i < S.workers; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	resp_cache_close(S.cache);
	free(S.token);
	fprintf(stderr, "coolbpfd: stopped\n");
	return 0;
}
