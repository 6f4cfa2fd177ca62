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
#include <stddef.h>

#include "base/base.h"
#include "request.h"
#include "sandbox.h"

/* written by main.c before the threads start, read-only afterwards */
struct server_config {
	struct sockaddr_in addr;
	char cache_dir[PATH_MAX];
	char pipeline_root[PATH_MAX];
	char self[PATH_MAX];
	const char *btf_dir;
	char *token; /* NULL: no Authorization required */
	unsigned workers, threads, queue_max, timeout_s, client_timeout;
	char salt[256]; /* toolchain, lbc.h, running kernel: see make_salt() */
	struct sandbox_config sandbox;
	struct resp_cache *cache;
	bool quiet;
};

extern struct server_config server_cfg;

enum endpoint { EP_COMPILE, EP_BTF, EP_HEALTHZ, EP_METRICS, EP_OTHER, EP_N };

/* One HTTP request, from its first callback to on_completed. */
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
	const char *kernel;	 /* NULL: the running kernel */
	char btf_path[PATH_MAX]; /* "": the running kernel's */
	bool have_target_btf;
	bool done;
	struct conn *next;
};

/* http.c: libmicrohttpd's callbacks, and the answer of a request */
enum MHD_Result http_on_request(void *cls, struct MHD_Connection *mc, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_sz, void **con_cls);
void http_on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
		       enum MHD_RequestTerminationCode toe);
/* requests between their first callback and on_completed */
int http_active(void);
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

/* metrics.c: counters and histograms, and their /metrics text */
struct metrics_gauges {
	unsigned long long cache_bytes;
	int queue_depth;
	int in_flight;
};

void metrics_request(enum endpoint ep, unsigned status);
void metrics_latency(bool cached, double seconds);
void metrics_cache_hit(void);
void metrics_cache_miss(void);
void metrics_queue_rejected(void);
void metrics_compile_timeout(void);
void metrics_format(struct strbuf *sb, const struct metrics_gauges *g);

#endif /* COOLBPFD_H */
