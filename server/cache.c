// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* coolbpfd's response cache on disk: the whole 200 body of a compile per request key. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "base/base.h"

struct resp_cache {
	char dir[PATH_MAX];
	unsigned long long max;
	atomic_ullong bytes;
	pthread_mutex_t evict_lock;
};

struct entry {
	char path[PATH_MAX];
	struct timespec mtime;
	off_t size;
};

static int entry_path(const struct resp_cache *c, const char *key, char *buf, size_t sz)
{
	int n = snprintf(buf, sz, "%s/%.2s/%s.json", c->dir, key, key);

	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

/* Every entry (the caller frees *out); the sum of their sizes. */
static unsigned long long scan(const struct resp_cache *c, struct entry **out, size_t *n_out)
{
	unsigned long long total = 0;
	size_t n = 0, alloc = 0;
	struct entry *v = NULL;
	struct dirent *sub;
	DIR *top = opendir(c->dir);

	while (top && (sub = readdir(top))) {
		char subdir[PATH_MAX];
		struct dirent *de;
		DIR *d;

		if (sub->d_name[0] == '.' ||
		    snprintf(subdir, sizeof(subdir), "%s/%s", c->dir, sub->d_name) >=
			    (int)sizeof(subdir) ||
		    !(d = opendir(subdir)))
			continue;
		while ((de = readdir(d))) {
			struct entry e;
			struct stat st;

			if (!str_has_suffix(de->d_name, ".json") ||
			    snprintf(e.path, sizeof(e.path), "%s/%s", subdir, de->d_name) >=
				    (int)sizeof(e.path) ||
			    stat(e.path, &st))
				continue;
			e.mtime = st.st_mtim;
			e.size = st.st_size;
			total += (unsigned long long)st.st_size;
			if (!out)
				continue;
			if (n == alloc) {
				struct entry *nv =
					realloc(v, (alloc = alloc ? alloc * 2 : 256) * sizeof(*v));
				if (!nv)
					break;
				v = nv;
			}
			v[n++] = e;
		}
		closedir(d);
	}
	if (top)
		closedir(top);
	if (out) {
		*out = v;
		*n_out = n;
	}
	return total;
}

static int by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : x->mtime.tv_nsec > y->mtime.tv_nsec;
}

/* Down to 90% of the bound, oldest first (an entry's mtime is its last use). */
static void evict(struct resp_cache *c)
{
	struct entry *v = NULL;
	size_t n = 0;
	unsigned long long total;

	if (pthread_mutex_trylock(&c->evict_lock))
		return; /* another thread is at it */
	total = scan(c, &v, &n);
	qsort(v, n, sizeof(*v), by_age);
	for (size_t i = 0; i < n && total > c->max / 10 * 9; i++) {
		if (unlink(v[i].path) == 0)
			total -= (unsigned long long)v[i].size;
	}
	atomic_store(&c->bytes, total);
	free(v);
	pthread_mutex_unlock(&c->evict_lock);
}

struct resp_cache *resp_cache_open(const char *dir, unsigned long long max_bytes)
{
	struct resp_cache *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return cb_err_ptr(-ENOMEM);
	if (strlcpy_cb(c->dir, dir, sizeof(c->dir)) >= sizeof(c->dir)) {
		free(c);
		return cb_err_ptr(-ENAMETOOLONG);
	}
	err = mkdir_p(dir);
	if (err) {
		free(c);
		return cb_err_ptr(err);
	}
	c->max = max_bytes;
	pthread_mutex_init(&c->evict_lock, NULL);
	atomic_store(&c->bytes, scan(c, NULL, NULL));
	if (atomic_load(&c->bytes) > c->max)
		evict(c);
	return c;
}

void resp_cache_close(struct resp_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->evict_lock);
	free(c);
}

int resp_cache_get(struct resp_cache *c, const char *key, off_t *size)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (entry_path(c, key, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	/* mtime is the entry's last use: eviction is least recently used */
	futimens(fd, NULL);
	*size = st.st_size;
	return fd;
}

int resp_cache_put(struct resp_cache *c, const char *key, const void *body, size_t len)
{
	char path[PATH_MAX];
	int err = entry_path(c, key, path, sizeof(path));

	if (err)
		return err;
	*strrchr(path, '/') = '\0';
	err = mkdir_p(path);
	path[strlen(path)] = '/';
	if (!err)
		err = write_file_atomic(path, body, len);
	if (err)
		return err;
	if (atomic_fetch_add(&c->bytes, len) + len > c->max)
		evict(c);
	return 0;
}

unsigned long long resp_cache_bytes(struct resp_cache *c)
{
	return atomic_load(&c->bytes);
}
