/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * coolbpfd's shared cache (--shared-cache redis://HOST:PORT[/DB]): the
 * replies of every node of a farm in one Redis, under the same content
 * key as the local cache, and a short lock per key so that N nodes given
 * the same new source compile it once (single flight across nodes).
 * Redis down or slow costs sharing, never service: the node says so in
 * its log and /metrics, serves from its local cache, compiles, and comes
 * back to Redis when it answers again.
 */
#ifndef COOLBPFD_SHARED_H
#define COOLBPFD_SHARED_H

#include <stdbool.h>
#include <stddef.h>

struct shared_options {
	const char *url;
	unsigned ttl_s;	     /* of an entry */
	size_t max_entry;    /* larger replies are not shared */
	unsigned timeout_ms; /* of a connect or a command */
	unsigned wait_s;     /* longest wait for another node's compile */
};

/* Parse the URL (at startup). 0, or -EINVAL with err saying why. */
int shared_configure(const struct shared_options *o, char *err, size_t err_sz);
/* 1 up, 0 down (serving locally), -1 not configured */
int shared_state(void);
/* Try Redis once and say how it went (startup). */
void shared_probe(void);

/* One connection per compile thread (NULL: not configured). */
struct shared *shared_open(void);
void shared_close(struct shared *sh);

/* 1 found (body malloc'd, its hash and size checked), 0 not there (or
 * corrupt: dropped), -errno Redis failed. */
int shared_get(struct shared *sh, const char *key, void **body, size_t *len);
/* Store a reply (with its hash and size), with the TTL; larger than
 * max_entry: not stored. */
void shared_put(struct shared *sh, const char *key, const void *body, size_t len);

/* single flight */
struct shared_flight {
	struct shared *sh;
	char key[65];
	char token[33];
	bool held;
};

enum flight {
	FLIGHT_ALONE,	  /* no shared cache (or it failed): compile, no lock */
	FLIGHT_OURS,	  /* this node holds the key's lock: compile */
	FLIGHT_ANSWERED,  /* another node stored the reply while this one waited */
	FLIGHT_CANCELLED, /* the client went away while waiting */
};

/* Take the key's lock, or wait (watching the client's socket) until the
 * node holding it stores the reply or the lock goes. */
enum flight shared_flight_begin(struct shared *sh, const char *key, int client_fd,
				struct shared_flight *f);
/* While compiling: keep the lock (a sandbox tick, about every second). */
void shared_flight_tick(void *flight);
/* Release the lock if held. */
void shared_flight_end(struct shared *sh, struct shared_flight *f);

#endif /* COOLBPFD_SHARED_H */
