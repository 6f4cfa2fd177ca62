/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the compile server's files share: the configuration main.c sets
 * up before any thread starts, the state of one HTTP request (struct
 * conn) that http.c creates and queue.c may answer, and the small API
 * of http.c, queue.c and metrics.c.
 */
#ifndef COOLBPFD_H
#define COOLBPFD_H

#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include "base/base.h"
#include "request.h"
#include "sandbox.h"

/* written by main.c before the threads start, read-only afterwards */
struct server_config {
	struct sockaddr_storage addr; /* AF_INET or AF_INET6 */
	char cache_dir[PATH_MAX];
	char pipeline_root[PATH_MAX];
	char self[PATH_MAX];
	const char *btf_dir;
	char *token; /* NULL: no Authorization required */
	unsigned workers, threads, queue_max, timeout_s, client_timeout;
	/* the front door (conns.c) */
	unsigned request_timeout, max_conns, max_conns_per_ip;
	struct sandbox_config sandbox;
	struct sandbox_fs sandbox_fs;
	const char *tool_path; /* the workers' clang and bpftool */
	struct resp_cache *cache;
	bool quiet;
};

extern struct server_config server_cfg;

/* EP_NONE: answered by libmicrohttpd before any callback of ours */
enum endpoint { EP_COMPILE, EP_BTF, EP_HEALTHZ, EP_METRICS, EP_OTHER, EP_NONE, EP_N };

/* How a compile request ended, for /metrics. */
enum outcome {
	OUT_NONE, /* not a compile request */
	OUT_CACHE_HIT,
	OUT_SHARED_HIT,
	OUT_COMPILED,
	OUT_WAITED, /* an identical compile in progress answered it */
	OUT_COMPILE_ERROR,
	OUT_REFUSED, /* 4xx before any compile */
	OUT_QUEUE_FULL,
	OUT_TIMEOUT,
	OUT_CANCELLED,
	OUT_FAILED,
	OUT_N,
};

/* The counters of /metrics (metrics.c names them). */
enum metric {
	M_CACHE_HIT,
	M_CACHE_MISS,
	M_QUEUE_REJECTED,
	M_COMPILES,
	M_PREPS,
	M_CANCELLED,
	M_KILL_TIME,
	M_KILL_OUTPUT,
	M_KILL_SIGNAL,
	M_SF_LOCAL,
	M_SF_SHARED,
	M_SHARED_HIT,
	M_SHARED_MISS,
	M_SHARED_ERROR,
	M_SHARED_STORE,
	M_SHARED_CORRUPT,
	M_CONN_REJECTED_TOTAL,
	M_CONN_REJECTED_IP,
	M_DEADLINE_CLOSE,
	M_BODY_REFUSED,
	M_ENV_CHANGES,
	M_N,
};

/* One HTTP request, from its first callback to on_completed. */
struct conn {
	enum endpoint ep;
	char method[8];
	char path[96];
	double t0;
	struct strbuf body;
	size_t body_counted; /* of the budget of all bodies */
	/* answer */
	unsigned status;
	size_t bytes;
	int cache; /* -1 n/a, 0 miss, 1 hit */
	enum outcome outcome;
	struct MHD_Response *resp;
	/* a queued compile */
	struct MHD_Connection *mc;
	struct compile_request req;
	char key[65];
	const char *kernel;	 /* NULL: the running kernel */
	char btf_path[PATH_MAX]; /* "": the running kernel's */
	char prep_key[65];	 /* the target's per-kernel headers */
	bool have_target_btf;
	bool done;
	struct strbuf stored; /* the cached twin of a compiled answer */
	struct {
		unsigned status; /* 0: none */
		char *error, *log;
	} fail;			  /* an error answer, repeated to its followers */
	struct conn *next;	  /* in the queue */
	struct conn *next_active; /* queued or compiling */
	struct conn *followers;	  /* identical requests waiting on this one */
	struct conn *next_follower;
};

/* http.c: libmicrohttpd's callbacks, and the answer of a request */
enum MHD_Result http_on_request(void *cls, struct MHD_Connection *mc, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_sz, void **con_cls);
void http_on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
		       enum MHD_RequestTerminationCode toe);
/* requests between their first callback and on_completed */
int http_active(void);
/* /healthz answers 503 from now on */
void http_set_draining(void);
/* Set c's answer; r NULL (out of memory) leaves it unset. */
void conn_set_resp(struct conn *c, unsigned status, struct MHD_Response *r, size_t bytes,
		   const char *type);
/* Set c's answer to the contents of sb, which it takes over. */
void conn_set_buf(struct conn *c, unsigned status, struct strbuf *sb, const char *type);
/* Set c's answer to {"error": error, "log": log or ""}. */
void conn_set_error(struct conn *c, unsigned status, const char *error, const char *log);

/* queue.c: the compile queue and its threads */
int queue_start(unsigned nworkers);
/* Answer c's parsed compile request from the cache, or suspend c and
 * queue it for a compile thread, or answer 503 when the queue is full. */
void queue_submit(struct conn *c);
void queue_stop_and_join(void);
int queue_depth(void);
int queue_in_flight(void);

/* conns.c: the front door (connection caps, the request deadline) */
enum MHD_Result conns_accept(void *cls, const struct sockaddr *addr, socklen_t len);
void conns_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
		  enum MHD_ConnectionNotificationCode code);
/* the request is in (no deadline while it is answered) / answered */
void conns_request_received(struct MHD_Connection *mc);
void conns_request_done(struct MHD_Connection *mc);
/* closed by the watchdog for taking longer than --request-timeout */
bool conns_timed_out(struct MHD_Connection *mc);
/* the connection's socket, or -1 */
int conns_fd(struct MHD_Connection *mc);
int conns_open(void);
int conns_start(void);
void conns_stop(void);
void conns_mhd_log(void *cls, const char *fmt, va_list ap);

/* envwatch.c: the salt of every request key (the compile environment,
 * the running kernel, the headers a compile can read), made anew when
 * they change */
int env_start(void);
void env_stop(void);
void env_salt(char *buf, size_t sz);

/* metrics.c: counters and histograms, and their /metrics text */
struct metrics_gauges {
	unsigned long long cache_bytes;
	int queue_depth;
	int in_flight;
	int open_conns;
	int shared_up; /* 1 up, 0 down, -1 not configured */
};

void metrics_request(enum endpoint ep, unsigned status);
void metrics_outcome(enum outcome o);
void metrics_count(enum metric m);
void metrics_latency(bool cached, double seconds);
void metrics_sandbox_time(double seconds);
void metrics_format(struct strbuf *sb, const struct metrics_gauges *g);

#endif /* COOLBPFD_H */
