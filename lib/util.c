// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sha2.h>

#include "internal.h"

extern char **environ;

int read_file(const char *path, void **data, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* sysfs files report size 4096 or 0: read until EOF either way */
	cap = (fstat(fd, &st) == 0 && st.st_size > 0) ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return cb_err(-ENOMEM);
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *p = realloc(buf, cap * 2 + 1);

			if (!p) {
				err = -ENOMEM;
				goto fail;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return cb_err(err);
}

int write_file_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d.XXXXXX", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return cb_err(-ENAMETOOLONG);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	err = write_all(fd, data, len);
	return tmpfile_commit(fd, tmp, path, err);
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int tmpfile_commit(int fd, const char *tmp, const char *path, int err)
{
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return cb_err(err);
	}
	return 0;
}

int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlcpy_cb(buf, path, sizeof(buf));

	if (len >= sizeof(buf))
		return cb_err(-ENAMETOOLONG);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* libmd (not libcrypto): the digest is on the warm start path of every
 * `coolbpf run`, and libcrypto alone costs ~3 MB of resident pages. */
struct sha256_ctx {
	SHA2_CTX md;
};

struct sha256_ctx *sha256_ctx_new(void)
{
	struct sha256_ctx *ctx = malloc(sizeof(*ctx));

	if (ctx)
		SHA256Init(&ctx->md);
	return ctx;
}

void sha256_ctx_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
	SHA256Update(&ctx->md, data, len);
}

void sha256_ctx_final_hex(struct sha256_ctx *ctx, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256Final(md, &ctx->md);
	for (unsigned int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	free(ctx);
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256_ctx *ctx = sha256_ctx_new();

	if (!ctx) {
		out[0] = '\0';
		return;
	}
	sha256_ctx_update(ctx, data, len);
	sha256_ctx_final_hex(ctx, out);
}

size_t strlcpy_cb(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static struct utsname uts;
static bool uts_done;

static void uts_init(void)
{
	if (!uts_done && uname(&uts) == 0)
		uts_done = true;
}

const char *host_kernel_release(void)
{
	uts_init();
	return uts.release;
}

const char *host_arch(void)
{
	uts_init();
	return uts.machine;
}

const char *cache_root(const char *cache_dir)
{
	static char buf[PATH_MAX];
	const char *env;

	if (cache_dir && *cache_dir)
		return cache_dir;
	env = getenv("COOLBPF_CACHE_DIR");
	if (env && *env)
		return env;
	env = getenv("XDG_CACHE_HOME");
	if (env && *env) {
		snprintf(buf, sizeof(buf), "%s/coolbpf", env);
		return buf;
	}
	env = getenv("HOME");
	snprintf(buf, sizeof(buf), "%s/.cache/coolbpf", env && *env ? env : "/root");
	return buf;
}

int btf_archive_path(const char *release, const char *arch, char *buf, size_t sz)
{
	const char *root = getenv("COOLBPF_BTF_DIR");

	if (!root || !*root)
		return cb_err(-ENOENT);
	if (snprintf(buf, sz, "%s/%s/%s.btf", root, arch ? arch : host_arch(),
		     release ? release : host_kernel_release()) >= (int)sz)
		return cb_err(-ENAMETOOLONG);
	return 0;
}

int run_argv(const char *const argv[], struct strbuf *out, size_t out_max)
{
	return run_argv_fd(argv, -1, out, out_max);
}

int pathf(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sz ? cb_err(-ENAMETOOLONG) : 0;
}

int run_argv_fd(const char *const argv[], int out_fd, struct strbuf *out, size_t out_max)
{
	return run_argv_in(NULL, argv, out_fd, out, out_max);
}

int run_argv_in(const char *dir, const char *const argv[], int out_fd, struct strbuf *out,
		size_t out_max)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], err;
	pid_t pid;
	char buf[4096];

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd >= 0 ? out_fd : pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	if (dir)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		return cb_err(-err);
	}
	for (;;) {
		ssize_t r = read(pipefd[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out && out->len < out_max) {
			size_t n = (size_t)r;

			if (n > out_max - out->len)
				n = out_max - out->len;
			strbuf_add(out, buf, n);
		}
	}
	close(pipefd[0]);
	return wait_child(pid);
}
