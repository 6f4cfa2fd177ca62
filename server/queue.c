// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpfd's compiles: the key of a request, its answer from the
 * response cache, and on a miss the job queue that --workers compile
 * threads drain, each running one sandboxed worker (sandbox.c) at a
 * time. A queued connection is suspended until its thread has set the
 * answer and resumed it; when --queue jobs wait already the answer is
 * 503 at once, so a burst cannot pile up unbounded work.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "coolbpfd.h"
#include "shared.h"

struct compile_thread {
	pthread_t tid;
	unsigned slot; /* its workers' uid: sandbox_config.uid_base + slot */
	struct shared *sh;
	struct shared_flight flight;
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct conn *q_head, *q_tail;
/* queued or compiling, by key: an identical request waits on one */
static struct conn *active;
static bool q_stop;
/* read by /metrics without q_lock */
static atomic_int queued, in_flight;

static struct compile_thread *threads;
static unsigned n_threads;

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
 * kernel's, or --btf-dir's archive entry, .btf.gz or .btf), or (neither)
 * the default BTF, which the answer's log says. Salted into the key with
 * the BTF file's identity, so a BTF added later misses. */
static int choose_target(struct conn *c, char *salt, size_t salt_sz, char *err, size_t err_sz)
{
	COOLBPF_BTF_OPTS(bo, .kernel = c->req.kernel, .arch = c->req.arch,
			 .btf_dir = server_cfg.btf_dir);
	struct coolbpf_btf_info info;
	char env[256];
	struct stat st;

	env_salt(env, sizeof(env));
	c->kernel = NULL;
	c->btf_path[0] = '\0';
	c->have_target_btf = false;
	if (coolbpf_btf__locate(&bo, &info) == 0 && !strcmp(info.source, "archive") &&
	    stat(info.path, &st) == 0 && S_ISREG(st.st_mode)) {
		strlcpy_cb(c->btf_path, info.path, sizeof(c->btf_path));
		c->kernel = c->req.kernel;
		c->have_target_btf = true;
		snprintf(salt, salt_sz, "%s\nbtf %s %lld %lld.%09ld", env, info.path,
			 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		return 0;
	}
	if (strcmp(c->req.arch, host_arch())) {
		/* no default BTF of another architecture to fall back on */
		snprintf(err, err_sz,
			 "no BTF for kernel %s on %s here: the server's --btf-dir needs "
			 "%s/%s/%s.btf.gz (coolbpf btf archive add FILE --release %s --arch %s)",
			 c->req.kernel, c->req.arch,
			 server_cfg.btf_dir ? server_cfg.btf_dir : "<none given>", c->req.arch,
			 c->req.kernel, c->req.kernel, c->req.arch);
		return -ENOENT;
	}
	c->have_target_btf = !strcmp(c->req.kernel, host_kernel_release());
	snprintf(salt, salt_sz, "%s\n%s", env, c->have_target_btf ? "running" : "default");
	return 0;
}

/* A gzip'd archive entry goes to the worker as raw BTF, unpacked once into
 * <pipeline>/btf/<sha256>.btf (the worker may read it, not write there). */
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
	err = pathf(path, sizeof(path), "%s/btf", server_cfg.pipeline_root);
	if (!err)
		err = mkdir_p(path);
	if (!err)
		err = pathf(path, sizeof(path), "%s/btf/%s.btf", server_cfg.pipeline_root, sha);
	if (!err && stat(path, &st))
		err = write_file_atomic(path, data, len);
	free(data);
	if (!err)
		strlcpy_cb(c->btf_path, path, sizeof(c->btf_path));
	return err;
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
	struct strbuf obj = STRBUF_INIT, btf = STRBUF_INIT, log = STRBUF_INIT, fresh = STRBUF_INIT,
		      stored = STRBUF_INIT;
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
	err = err   ?:
		      compile_body(&fresh, false, sha, strbuf_str(&obj),
				   c->have_target_btf && btf.len ? btf.buf : NULL,
				   strbuf_str(&log));
	err = err   ?:
		      compile_body(&stored, true, sha, strbuf_str(&obj),
				   c->have_target_btf && btf.len ? btf.buf : NULL,
				   strbuf_str(&log));
	if (err) {
		conn_set_error(c, 500, "out of memory", NULL);
	} else {
		if (resp_cache_put(server_cfg.cache, c->key, stored.buf, stored.len))
			fprintf(stderr, "coolbpfd: cannot store a response in '%s'\n",
				server_cfg.cache_dir);
		conn_set_buf(c, 200, &fresh, "application/json");
		/* for the shared cache */
		c->stored = stored;
		stored = (struct strbuf)STRBUF_INIT;
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
	int fd = resp_cache_get(server_cfg.cache, c->key, &size);

	if (fd < 0)
		return false;
	conn_set_resp(c, 200, MHD_create_response_from_fd((uint64_t)size, fd), (size_t)size,
		      "application/json");
	if (!c->resp) {
		close(fd);
		return false;
	}
	c->cache = 1;
	return true;
}

/* An error answer, kept (c->fail) for the requests that waited on it. */
static void job_error(struct conn *c, unsigned status, const char *error, const char *log,
		      enum outcome o)
{
	c->outcome = o;
	c->fail.status = status;
	free(c->fail.error);
	free(c->fail.log);
	c->fail.error = strdup(error);
	c->fail.log = log ? strdup(log) : NULL;
	conn_set_error(c, status, error, log);
}

/* The per-kernel headers of c's target, made once by the server's own
 * prep job (kernels/ is read-only to client compiles). A marker per
 * target and environment says it was done; the library rebuilds a
 * stale PCH in the next prep. */
static void ensure_prepared(struct conn *c, unsigned slot)
{
	static pthread_mutex_t prep_lock = PTHREAD_MUTEX_INITIALIZER;
	char marker[PATH_MAX];
	struct sandbox_result r;
	struct sandbox_job job = {
		.mode = SANDBOX_PREP,
		.kernel = c->kernel,
		.arch = c->req.arch,
		.btf_path = c->btf_path[0] ? c->btf_path : NULL,
		.slot = slot,
		.client_fd = -1,
	};
	int fd;

	if (pathf(marker, sizeof(marker), "%s/kernels/.prep-%s", server_cfg.pipeline_root,
		  c->prep_key) ||
	    !access(marker, F_OK))
		return;
	pthread_mutex_lock(&prep_lock);
	if (access(marker, F_OK)) {
		double t0 = mono_now();

		metrics_count(M_PREPS);
		if (sandbox_run(&server_cfg.sandbox, &job, &r) == SANDBOX_OK) {
			fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd >= 0)
				close(fd);
			if (!server_cfg.quiet)
				fprintf(stderr,
					"coolbpfd: per-kernel headers for %s made (%.0f ms)\n",
					c->req.kernel, (mono_now() - t0) * 1e3);
		} else {
			fprintf(stderr,
				"coolbpfd: cannot make the per-kernel headers for %s: %s%s; "
				"programs the slim vmlinux.h cannot serve will fail\n",
				c->req.kernel, r.err, r.log ? r.log : "");
		}
		sandbox_result_release(&r);
	}
	pthread_mutex_unlock(&prep_lock);
}

static void answer_sandbox(struct conn *c, struct sandbox_result *r)
{
	switch (r->status) {
	case SANDBOX_OK:
		c->outcome = OUT_COMPILED;
		answer_compiled(c, r);
		break;
	case SANDBOX_COMPILE_ERROR:
		job_error(c, 422, "compile failed", r->log, OUT_COMPILE_ERROR);
		break;
	case SANDBOX_TIMEOUT:
		metrics_count(M_KILL_TIME);
		job_error(c, 504, r->err, NULL, OUT_TIMEOUT);
		break;
	case SANDBOX_CANCELLED:
		metrics_count(M_CANCELLED);
		c->outcome = OUT_CANCELLED;
		c->status = 499; /* nobody to answer */
		break;
	case SANDBOX_TOO_LARGE:
		metrics_count(M_KILL_OUTPUT);
		job_error(c, 500, r->err, NULL, OUT_FAILED);
		break;
	case SANDBOX_FAILED:
		if (r->signal)
			metrics_count(M_KILL_SIGNAL);
		/* the detail (paths of the server's layout) stays in its log */
		fprintf(stderr, "coolbpfd: compile failed: %s%s%s\n", r->err,
			r->signal ? ": signal " : "", r->signal ? strsignal(r->signal) : "");
		job_error(c, 500, "the compile sandbox failed (the server's log says why)", NULL,
			  OUT_FAILED);
		break;
	}
}

static void compile(struct conn *c, struct compile_thread *t)
{
	struct sandbox_result r;
	struct sandbox_job job = {
		.mode = SANDBOX_COMPILE,
		.req = &c->req,
		.kernel = c->kernel,
		.arch = c->req.arch,
		.btf_path = c->btf_path[0] ? c->btf_path : NULL,
		.slot = t->slot,
		.client_fd = conns_fd(c->mc),
		.tick = shared_flight_tick,
		.tick_arg = &t->flight,
	};
	double t0 = mono_now();

	ensure_prepared(c, t->slot);
	metrics_count(M_COMPILES);
	sandbox_run(&server_cfg.sandbox, &job, &r);
	metrics_sandbox_time(mono_now() - t0);
	answer_sandbox(c, &r);
	sandbox_result_release(&r);
}

/* From the shared cache: stored locally, then served as a local hit. */
static bool answer_from_shared(struct conn *c, struct compile_thread *t)
{
	void *body;
	size_t len;

	if (shared_get(t->sh, c->key, &body, &len) != 1)
		return false;
	if (resp_cache_put(server_cfg.cache, c->key, body, len))
		fprintf(stderr, "coolbpfd: cannot store a response in '%s'\n",
			server_cfg.cache_dir);
	free(body);
	return answer_from_cache(c);
}

static void run_job(struct conn *c, struct compile_thread *t)
{
	/* an identical request may have been compiled while this one waited */
	if (answer_from_cache(c)) {
		c->outcome = OUT_CACHE_HIT;
		return;
	}
	c->cache = 0;
	if (unpack_target_btf(c)) {
		job_error(c, 500, "cannot unpack the target kernel's BTF", coolbpf_errmsg(),
			  OUT_FAILED);
		return;
	}
	if (answer_from_shared(c, t)) {
		metrics_count(M_SHARED_HIT);
		c->outcome = OUT_SHARED_HIT;
		return;
	}
	/* one node compiles a new key, the others wait for its reply */
	switch (shared_flight_begin(t->sh, c->key, conns_fd(c->mc), &t->flight)) {
	case FLIGHT_ANSWERED:
		if (answer_from_shared(c, t)) {
			metrics_count(M_SF_SHARED);
			c->outcome = OUT_WAITED;
			return;
		}
		break;
	case FLIGHT_CANCELLED:
		metrics_count(M_CANCELLED);
		c->outcome = OUT_CANCELLED;
		c->status = 499;
		return;
	case FLIGHT_OURS:
	case FLIGHT_ALONE:
		break;
	}
	compile(c, t);
	if (c->status == 200 && c->stored.len)
		shared_put(t->sh, c->key, c->stored.buf, c->stored.len);
	shared_flight_end(t->sh, &t->flight);
}

/* Hand c's answer to the requests that waited for it: the cached reply
 * (one compile, all answered from it) or the same error. */
static void answer_followers(struct conn *c)
{
	struct conn *f = c->followers, *next;

	c->followers = NULL;
	for (; f; f = next) {
		next = f->next_follower;
		f->cache = 0;
		f->outcome = OUT_WAITED;
		if (!answer_from_cache(f)) {
			if (c->fail.status)
				conn_set_error(f, c->fail.status, c->fail.error ?: "", c->fail.log);
			else
				conn_set_error(f, 500, "the compile it waited for failed", NULL);
		}
		if (!f->resp)
			conn_set_error(f, 500, "out of memory", NULL);
		f->done = true;
		MHD_resume_connection(f->mc);
	}
}

static void unlink_active(struct conn *c)
{
	struct conn **p = &active;

	while (*p && *p != c)
		p = &(*p)->next_active;
	if (*p)
		*p = c->next_active;
}

/* Pop the next job, or NULL when stopping with nothing queued. */
static struct conn *next_job(void)
{
	struct conn *c;

	pthread_mutex_lock(&q_lock);
	while (!q_head && !q_stop)
		pthread_cond_wait(&q_cond, &q_lock);
	c = q_head;
	if (c) {
		q_head = c->next;
		if (!q_head)
			q_tail = NULL;
		atomic_fetch_sub(&queued, 1);
		atomic_fetch_add(&in_flight, 1);
	}
	pthread_mutex_unlock(&q_lock);
	return c;
}

/* Put c first in the queue (its followers stay with it). */
static void requeue_first(struct conn *c)
{
	c->next = q_head;
	q_head = c;
	if (!q_tail)
		q_tail = c;
	atomic_fetch_add(&queued, 1);
	pthread_cond_signal(&q_cond);
}

static void *compile_thread_main(void *arg)
{
	struct compile_thread *t = arg;

	for (;;) {
		struct conn *c = next_job(), *heir = NULL;

		if (!c)
			break;
		run_job(c, t);
		if (!c->resp && c->status != 499)
			conn_set_error(c, 500, "out of memory", NULL);
		pthread_mutex_lock(&q_lock);
		unlink_active(c);
		if (c->status == 499 && c->followers) {
			/* the client went away, others still wait: the first of
			 * them compiles it */
			heir = c->followers;
			heir->followers = heir->next_follower;
			c->followers = NULL;
			heir->next_active = active;
			active = heir;
			requeue_first(heir);
		}
		pthread_mutex_unlock(&q_lock);
		atomic_fetch_sub(&in_flight, 1);
		answer_followers(c);
		c->done = true;
		MHD_resume_connection(c->mc);
	}
	shared_close(t->sh);
	return NULL;
}

/* 0 queued (or attached to an identical job), -EBUSY when the queue is full */
static int enqueue(struct conn *c)
{
	struct conn *same;

	pthread_mutex_lock(&q_lock);
	for (same = active; same && strcmp(same->key, c->key); same = same->next_active)
		;
	if (same) {
		/* single flight on this node: answered with same's result */
		c->next_follower = same->followers;
		same->followers = c;
		metrics_count(M_SF_LOCAL);
		MHD_suspend_connection(c->mc);
		pthread_mutex_unlock(&q_lock);
		return 0;
	}
	if ((unsigned)atomic_load(&queued) >= server_cfg.queue_max) {
		pthread_mutex_unlock(&q_lock);
		return -EBUSY;
	}
	c->next = NULL;
	if (q_tail)
		q_tail->next = c;
	else
		q_head = c;
	q_tail = c;
	c->next_active = active;
	active = c;
	atomic_fetch_add(&queued, 1);
	/* suspended before a compile thread can resume it: both under q_lock */
	MHD_suspend_connection(c->mc);
	pthread_cond_signal(&q_cond);
	pthread_mutex_unlock(&q_lock);
	return 0;
}

void queue_submit(struct conn *c)
{
	char salt[PATH_MAX + 512], err[PATH_MAX + 256];

	if (choose_target(c, salt, sizeof(salt), err, sizeof(err))) {
		c->outcome = OUT_REFUSED;
		conn_set_error(c, 404, err, NULL);
		return;
	}
	request_key(&c->req, salt, c->key);
	sha256_hex(salt, strlen(salt), c->prep_key);
	if (answer_from_cache(c)) {
		metrics_count(M_CACHE_HIT);
		c->outcome = OUT_CACHE_HIT;
		return;
	}
	metrics_count(M_CACHE_MISS);
	c->cache = 0;
	if (enqueue(c)) {
		metrics_count(M_QUEUE_REJECTED);
		c->outcome = OUT_QUEUE_FULL;
		conn_set_error(c, 503, "compile queue is full, retry later", NULL);
	}
}

/* 0, or -errno with no thread left running */
int queue_start(unsigned nworkers)
{
	threads = calloc(nworkers, sizeof(*threads));
	if (!threads)
		return -ENOMEM;
	for (; n_threads < nworkers; n_threads++) {
		struct compile_thread *t = &threads[n_threads];
		int err;

		t->slot = n_threads;
		t->sh = shared_open();
		err = pthread_create(&t->tid, NULL, compile_thread_main, t);
		if (err) {
			shared_close(t->sh);
			queue_stop_and_join();
			return -err;
		}
	}
	return 0;
}

/* The threads finish the jobs still queued, then return. */
void queue_stop_and_join(void)
{
	pthread_mutex_lock(&q_lock);
	q_stop = true;
	pthread_cond_broadcast(&q_cond);
	pthread_mutex_unlock(&q_lock);
	for (unsigned i = 0; i < n_threads; i++)
		pthread_join(threads[i].tid, NULL);
	free(threads);
	threads = NULL;
	n_threads = 0;
}

int queue_depth(void)
{
	return atomic_load(&queued);
}

int queue_in_flight(void)
{
	return atomic_load(&in_flight);
}
