// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The shared cache in Redis (hiredis, synchronous, one connection per
 * compile thread, every call bounded by --shared-cache-timeout-ms).
 *
 *   coolbpfd:r:<key>   "CBFD1 <sha256 of body> <length>\n" + the reply
 *                      body, SET with EX --shared-cache-ttl
 *   coolbpfd:l:<key>   the single-flight lock: SET NX PX 10000 with a
 *                      random token, refreshed every second while the
 *                      compile runs, deleted (if still ours) after it;
 *                      a node that dies loses it within 10 s
 *
 * A failed call (refused, reset, timed out) marks Redis down for a
 * second: the node serves from its local cache and compiles alone until
 * a call succeeds again. Both transitions are logged once.
 */
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "coolbpfd.h"
#include "shared.h"

#define LOCK_MS	   10000
#define RETRY_MS   1000
#define WAIT_POLL  100 /* ms between looks while another node compiles */
#define ENTRY_WIRE "CBFD1"

static struct {
	bool on;
	char url[256];
	char host[256];
	int port, db;
	struct shared_options o;
	atomic_int up;		  /* 1 up, 0 down */
	atomic_llong retry_at_ms; /* down: no call before */
	pthread_mutex_t log_lock;
} cfg = { .up = 1, .log_lock = PTHREAD_MUTEX_INITIALIZER };

struct shared {
	redisContext *rc;
};

static long long now_ms(void)
{
	return (long long)(mono_now() * 1e3);
}

int shared_configure(const struct shared_options *o, char *err, size_t err_sz)
{
	const char *p = o->url, *host, *end;
	char *num_end;
	size_t hl;

	if (!str_has_prefix(p, "redis://"))
		goto bad;
	host = p + strlen("redis://");
	if (*host == '[') {
		end = strchr(host, ']');
		if (!end)
			goto bad;
		hl = (size_t)(end - host - 1);
		host++;
		end++;
	} else {
		end = host + strcspn(host, ":/");
		hl = (size_t)(end - host);
	}
	if (!hl || hl >= sizeof(cfg.host))
		goto bad;
	memcpy(cfg.host, host, hl);
	cfg.host[hl] = '\0';
	cfg.port = 6379;
	if (*end == ':') {
		long v = strtol(end + 1, &num_end, 10);

		if (num_end == end + 1 || v < 1 || v > 65535)
			goto bad;
		cfg.port = (int)v;
		end = num_end;
	}
	if (*end == '/' && end[1]) {
		long v = strtol(end + 1, &num_end, 10);

		if (num_end == end + 1 || *num_end || v < 0 || v > 1000000)
			goto bad;
		cfg.db = (int)v;
	} else if (*end && strcmp(end, "/")) {
		goto bad;
	}
	strlcpy_cb(cfg.url, o->url, sizeof(cfg.url));
	cfg.o = *o;
	cfg.o.url = cfg.url;
	cfg.on = true;
	return 0;
bad:
	snprintf(err, err_sz, "bad --shared-cache '%s': expected redis://HOST:PORT[/DB]", o->url);
	return -EINVAL;
}

int shared_state(void)
{
	return cfg.on ? atomic_load(&cfg.up) : -1;
}

static void mark(bool ok, const char *why)
{
	int was;

	if (ok) {
		was = atomic_exchange(&cfg.up, 1);
		if (!was) {
			pthread_mutex_lock(&cfg.log_lock);
			fprintf(stderr, "coolbpfd: shared cache %s is back\n", cfg.url);
			pthread_mutex_unlock(&cfg.log_lock);
		}
		return;
	}
	metrics_count(M_SHARED_ERROR);
	atomic_store(&cfg.retry_at_ms, now_ms() + RETRY_MS);
	was = atomic_exchange(&cfg.up, 0);
	if (was) {
		pthread_mutex_lock(&cfg.log_lock);
		fprintf(stderr,
			"coolbpfd: shared cache %s unavailable (%s): serving from the local cache, "
			"compiling alone\n",
			cfg.url, why);
		pthread_mutex_unlock(&cfg.log_lock);
	}
}

struct shared *shared_open(void)
{
	return cfg.on ? calloc(1, sizeof(struct shared)) : NULL;
}

void shared_close(struct shared *sh)
{
	if (!sh)
		return;
	if (sh->rc)
		redisFree(sh->rc);
	free(sh);
}

static struct timeval timeout_tv(void)
{
	return (struct timeval){ .tv_sec = cfg.o.timeout_ms / 1000,
				 .tv_usec = (cfg.o.timeout_ms % 1000) * 1000 };
}

/* A live connection, or NULL (down: not before the retry time). */
static redisContext *conn_of(struct shared *sh)
{
	redisReply *r;

	if (!sh)
		return NULL;
	if (sh->rc && !sh->rc->err)
		return sh->rc;
	if (!atomic_load(&cfg.up) && now_ms() < atomic_load(&cfg.retry_at_ms))
		return NULL;
	if (sh->rc)
		redisFree(sh->rc);
	sh->rc = redisConnectWithTimeout(cfg.host, cfg.port, timeout_tv());
	if (!sh->rc || sh->rc->err) {
		mark(false, sh->rc ? sh->rc->errstr : "out of memory");
		if (sh->rc)
			redisFree(sh->rc);
		sh->rc = NULL;
		return NULL;
	}
	redisSetTimeout(sh->rc, timeout_tv());
	if (cfg.db) {
		r = redisCommand(sh->rc, "SELECT %d", cfg.db);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			mark(false, r ? r->str : sh->rc->errstr);
			freeReplyObject(r);
			redisFree(sh->rc);
			sh->rc = NULL;
			return NULL;
		}
		freeReplyObject(r);
	}
	return sh->rc;
}

/* A command's reply, or NULL with Redis marked down (or refusing). Not
 * __printf: hiredis has its own %b (pointer, length). */
static redisReply *command(struct shared *sh, const char *fmt, ...)
{
	redisContext *rc = conn_of(sh);
	redisReply *r;
	va_list ap;

	if (!rc)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(rc, fmt, ap);
	va_end(ap);
	if (!r) {
		mark(false, rc->errstr[0] ? rc->errstr : "no reply");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		/* Redis answers (it is up) but refuses: out of memory, ... */
		metrics_count(M_SHARED_ERROR);
		pthread_mutex_lock(&cfg.log_lock);
		fprintf(stderr, "coolbpfd: shared cache %s refused: %s\n", cfg.url, r->str);
		pthread_mutex_unlock(&cfg.log_lock);
		freeReplyObject(r);
		return NULL;
	}
	mark(true, NULL);
	return r;
}

void shared_probe(void)
{
	struct shared *sh = shared_open();
	redisReply *r;

	if (!sh)
		return;
	r = command(sh, "PING");
	if (r)
		fprintf(stderr, "coolbpfd: shared cache %s connected\n", cfg.url);
	freeReplyObject(r);
	shared_close(sh);
}

/* The envelope: checked before a byte of the body is trusted. */
static bool unwrap(const char *v, size_t n, const char **body, size_t *len)
{
	const char *nl = memchr(v, '\n', n < 128 ? n : 128);
	char sha[65], want[65];
	unsigned long long sz;
	char head[128];

	if (!nl)
		return false;
	memcpy(head, v, (size_t)(nl - v));
	head[nl - v] = '\0';
	if (sscanf(head, ENTRY_WIRE " %64s %llu", want, &sz) != 2 || strlen(want) != 64)
		return false;
	*body = nl + 1;
	*len = n - (size_t)(nl + 1 - v);
	if (*len != sz)
		return false;
	sha256_hex(*body, *len, sha);
	return !strcmp(sha, want);
}

int shared_get(struct shared *sh, const char *key, void **body, size_t *len)
{
	redisReply *r;
	const char *b;
	size_t n;
	int ret = 0;

	if (!sh)
		return 0;
	r = command(sh, "GET coolbpfd:r:%s", key);
	if (!r)
		return -EIO;
	if (r->type == REDIS_REPLY_STRING) {
		if (unwrap(r->str, r->len, &b, &n) && (*body = malloc(n + 1))) {
			memcpy(*body, b, n);
			((char *)*body)[n] = '\0';
			*len = n;
			ret = 1;
		} else {
			/* never served: dropped, and compiled anew */
			metrics_count(M_SHARED_CORRUPT);
			fprintf(stderr,
				"coolbpfd: shared cache entry %.16s... is corrupt: dropped\n", key);
			freeReplyObject(command(sh, "DEL coolbpfd:r:%s", key));
		}
	}
	if (!ret)
		metrics_count(M_SHARED_MISS);
	freeReplyObject(r);
	return ret;
}

void shared_put(struct shared *sh, const char *key, const void *body, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	char sha[65];

	if (!sh || len > cfg.o.max_entry)
		return;
	sha256_hex(body, len, sha);
	if (!strbuf_addf(&sb, ENTRY_WIRE " %s %zu\n", sha, len) && !strbuf_add(&sb, body, len)) {
		redisReply *r =
			command(sh, "SET coolbpfd:r:%s %b EX %u", key, sb.buf, sb.len, cfg.o.ttl_s);

		if (r)
			metrics_count(M_SHARED_STORE);
		freeReplyObject(r);
	}
	strbuf_release(&sb);
}

/* 1 taken, 0 held by another node, -EIO Redis failed */
static int try_lock(struct shared_flight *f)
{
	redisReply *r = command(f->sh, "SET coolbpfd:l:%s %s NX PX %d", f->key, f->token, LOCK_MS);
	int ret;

	if (!r)
		return -EIO;
	ret = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	f->held = ret == 1;
	return ret;
}

static int exists(struct shared *sh, const char *key)
{
	redisReply *r = command(sh, "EXISTS coolbpfd:r:%s", key);
	int ret = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -EIO;

	freeReplyObject(r);
	return ret;
}

enum flight shared_flight_begin(struct shared *sh, const char *key, int client_fd,
				struct shared_flight *f)
{
	unsigned char rnd[16];
	double end;
	int rc;

	memset(f, 0, sizeof(*f));
	if (!sh || !conn_of(sh))
		return FLIGHT_ALONE;
	f->sh = sh;
	strlcpy_cb(f->key, key, sizeof(f->key));
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return FLIGHT_ALONE;
	for (int i = 0; i < 16; i++)
		snprintf(f->token + 2 * i, 3, "%02x", rnd[i]);
	end = mono_now() + cfg.o.wait_s;
	for (;;) {
		struct pollfd p = { .fd = client_fd, .events = POLLRDHUP };

		rc = try_lock(f);
		if (rc < 0)
			return FLIGHT_ALONE;
		rc = exists(sh, key);
		if (f->held && rc > 0) {
			/* stored just before the lock was ours */
			shared_flight_end(sh, f);
			return FLIGHT_ANSWERED;
		}
		if (f->held)
			return FLIGHT_OURS;
		if (rc < 0)
			return FLIGHT_ALONE;
		if (rc > 0)
			return FLIGHT_ANSWERED;
		if (mono_now() > end)
			return FLIGHT_ALONE; /* the other node is stuck: compile here */
		if (poll(&p, client_fd >= 0 ? 1 : 0, WAIT_POLL) > 0 &&
		    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return FLIGHT_CANCELLED;
	}
}

void shared_flight_tick(void *flight)
{
	struct shared_flight *f = flight;
	redisReply *r;

	if (!f->held)
		return;
	r = command(f->sh, "EVAL %s 1 coolbpfd:l:%s %s %d",
		    "if redis.call('get', KEYS[1]) == ARGV[1] then "
		    "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end",
		    f->key, f->token, LOCK_MS);
	freeReplyObject(r);
}

void shared_flight_end(struct shared *sh, struct shared_flight *f)
{
	redisReply *r;

	if (!sh || !f->held)
		return;
	r = command(sh, "EVAL %s 1 coolbpfd:l:%s %s",
		    "if redis.call('get', KEYS[1]) == ARGV[1] then "
		    "return redis.call('del', KEYS[1]) else return 0 end",
		    f->key, f->token);
	freeReplyObject(r);
	f->held = false;
}
