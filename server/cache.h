/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * coolbpfd's response cache: the whole 200 body of a compile, keyed by
 * the hash of the request (request_key), one file per entry under
 * <dir>/<2 hex>/<key>.json, bounded in size, least recently used first
 * out. A hit costs an open(), no JSON encoding and no sandbox.
 */
#ifndef COOLBPFD_CACHE_H
#define COOLBPFD_CACHE_H

#include <stddef.h>
#include <sys/types.h>

struct resp_cache;

struct resp_cache *resp_cache_open(const char *dir, unsigned long long max_bytes);
void resp_cache_close(struct resp_cache *c);
/* An open fd on the entry (and its size), or -ENOENT. Marks it used. */
int resp_cache_get(struct resp_cache *c, const char *key, off_t *size);
/* Store an entry atomically, then evict the oldest entries while the
 * cache is over its bound. 0 or -errno. */
int resp_cache_put(struct resp_cache *c, const char *key, const void *body, size_t len);
unsigned long long resp_cache_bytes(struct resp_cache *c);

#endif /* COOLBPFD_CACHE_H */
