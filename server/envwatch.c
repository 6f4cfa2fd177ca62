// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The salt of every request key: what decides an answer besides the
 * request itself. The compile environment's identity (the pipeline,
 * clang, bpftool, lbc.h, the libbpf headers: coolbpf_compile_env_id()),
 * the running kernel, and a fingerprint of every header a compile can
 * read: the include directories of the workers' root (path, size,
 * modification and change time of each file, no read).
 *
 * A thread watches those trees and the tools' directories with inotify:
 * a header edited, added or removed, or a package upgraded, and the salt
 * is made anew (after a quiet 200 ms), so every later request misses the
 * response cache instead of being answered with an object built from the
 * old header. The fingerprint is taken at startup too: a change made
 * while the server was down is a miss as well.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coolbpfd.h"

static pthread_mutex_t salt_lock = PTHREAD_MUTEX_INITIALIZER;
static char salt[256];
static int ino_fd = -1, stop_pipe[2] = { -1, -1 };
static pthread_t watcher;
static bool watching;

/* what nftw's callbacks share (one walk at a time: the watcher's) */
static struct sha256_ctx *walk_ctx;
static size_t walk_files;

static bool is_header_tree(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode) &&
	       (strstr(path, "include") || str_has_suffix(path, "/lib/clang"));
}

static int hash_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char id[PATH_MAX + 96];
	int n;

	(void)ftw;
	if (type != FTW_F && type != FTW_SL)
		return 0;
	n = snprintf(id, sizeof(id), "%s %lld %lld.%09ld %lld.%09ld", path, (long long)st->st_size,
		     (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		     (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	sha256_ctx_update(walk_ctx, id, (size_t)n + 1);
	walk_files++;
	return 0;
}

static int watch_dir(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_D)
		inotify_add_watch(ino_fd, path,
				  IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
					  IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR);
	return 0;
}

/* The include trees of the workers' root, clang's among them (inside its
 * installation: <root>/lib/clang/<version>/include). */
static void for_each_tree(int (*fn)(const char *, const struct stat *, int, struct FTW *))
{
	const struct sandbox_fs *fs = &server_cfg.sandbox_fs;

	for (size_t i = 0; i < fs->n; i++) {
		char sub[PATH_MAX];

		if (is_header_tree(fs->paths[i]))
			nftw(fs->paths[i], fn, 32, FTW_PHYS);
		else if (!pathf(sub, sizeof(sub), "%s/lib/clang", fs->paths[i]) &&
			 is_header_tree(sub))
			nftw(sub, fn, 32, FTW_PHYS);
	}
}

/* env id + kernel + header fingerprint; 0 or -errno */
static int make_salt(char *out, size_t sz)
{
	char env_id[65], headers[65];
	int err = coolbpf_compile_env_id(server_cfg.tool_path, env_id);

	if (err)
		return err;
	walk_ctx = sha256_ctx_new();
	if (!walk_ctx)
		return -ENOMEM;
	walk_files = 0;
	for_each_tree(hash_entry);
	sha256_ctx_final_hex(walk_ctx, headers);
	walk_ctx = NULL;
	snprintf(out, sz, "%s %s %.16s", env_id, host_kernel_release(), headers);
	return 0;
}

void env_salt(char *buf, size_t sz)
{
	pthread_mutex_lock(&salt_lock);
	strlcpy_cb(buf, salt, sz);
	pthread_mutex_unlock(&salt_lock);
}

/* the tools' directories: a clang or bpftool upgrade replaces them */
static void watch_tools(void)
{
	for (size_t i = 0; i < server_cfg.sandbox_fs.n; i++) {
		const char *p = server_cfg.sandbox_fs.paths[i];
		char real[PATH_MAX], *slash;
		struct stat st;

		if (!realpath(p, real) || stat(real, &st) || !(st.st_mode & S_IXUSR) ||
		    S_ISDIR(st.st_mode) || !(slash = strrchr(real, '/')))
			continue;
		*slash = '\0';
		inotify_add_watch(ino_fd, real[0] ? real : "/",
				  IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_ATTRIB |
					  IN_ONLYDIR);
	}
}

static void *watcher_main(void *arg)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)arg;
	for (;;) {
		struct pollfd p[2] = { { .fd = ino_fd, .events = POLLIN },
				       { .fd = stop_pipe[0], .events = POLLIN } };
		char fresh[sizeof(salt)];
		bool changed;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		/* drain the burst (an upgrade touches hundreds of files) */
		do {
			while (read(ino_fd, buf, sizeof(buf)) > 0)
				;
			p[0].revents = 0;
		} while (poll(p, 1, 200) > 0 && (p[0].revents & POLLIN));
		if (make_salt(fresh, sizeof(fresh)))
			continue;
		pthread_mutex_lock(&salt_lock);
		changed = strcmp(fresh, salt) != 0;
		if (changed)
			strlcpy_cb(salt, fresh, sizeof(salt));
		pthread_mutex_unlock(&salt_lock);
		if (changed) {
			metrics_count(M_ENV_CHANGES);
			fprintf(stderr, "coolbpfd: the compile environment changed (headers or "
					"tools): later requests miss the cache\n");
		}
		/* new directories, or replaced ones, watched again */
		for_each_tree(watch_dir);
		watch_tools();
	}
	return NULL;
}

int env_start(void)
{
	int err = make_salt(salt, sizeof(salt));

	if (err)
		return err;
	ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino_fd < 0 || pipe2(stop_pipe, O_CLOEXEC)) {
		/* no watch: the salt is still right at startup */
		fprintf(stderr, "coolbpfd: cannot watch the compile environment: %s\n",
			strerror(errno));
		return 0;
	}
	for_each_tree(watch_dir);
	watch_tools();
	err = pthread_create(&watcher, NULL, watcher_main, NULL);
	watching = !err;
	if (!server_cfg.quiet)
		fprintf(stderr, "coolbpfd: compile environment: %zu header files watched\n",
			walk_files);
	return 0;
}

void env_stop(void)
{
	if (watching) {
		if (write(stop_pipe[1], "x", 1) < 0)
			pthread_cancel(watcher);
		pthread_join(watcher, NULL);
		watching = false;
	}
	if (ino_fd >= 0)
		close(ino_fd);
	ino_fd = -1;
}
