// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Files: read whole, write atomically, directories, bounded path formatting. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

/* A bounded read is of a file or a pipe: a device (/dev/zero) has no end,
 * and a file over the bound is refused before a byte is read. */
static int bounded_input(int fd, size_t max, struct stat *st)
{
	if (fstat(fd, st))
		return -errno;
	if (max < SIZE_MAX - 2 && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)))
		return cb_err(-EINVAL);
	if (S_ISREG(st->st_mode) && (unsigned long long)st->st_size > max)
		return cb_err(-EFBIG);
	return 0;
}

int read_fd_max(int fd, size_t max, void **data, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;
	int err = bounded_input(fd, max, &st);

	if (err)
		return err;
	/* sysfs files report size 4096 or 0: read until EOF, never past max,
	 * whatever the size says */
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if (cap > max + 1)
		cap = max + 1;
	buf = malloc(cap + 1);
	if (!buf)
		return cb_err(-ENOMEM);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			size_t ncap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			char *p;

			if (n > max) {
				err = -EFBIG;
				goto fail;
			}
			p = realloc(buf, ncap + 1);
			if (!p) {
				err = -ENOMEM;
				goto fail;
			}
			buf = p;
			cap = ncap;
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
	if (n > max) {
		err = -EFBIG;
		goto fail;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	return cb_err(err);
}

int read_file_max(const char *path, size_t max, void **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = read_fd_max(fd, max, data, len);
	close(fd);
	return err ? cb_err(err) : 0;
}

int sha256_file_max(const char *path, size_t max, char out[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	struct sha256_ctx *ctx = NULL;
	char buf[16384];
	size_t n = 0;
	struct stat st;

	if (fd < 0)
		return -errno;
	err = bounded_input(fd, max, &st);
	if (!err && !(ctx = sha256_ctx_new()))
		err = -ENOMEM;
	while (!err) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = -errno;
		else if (r == 0)
			break;
		else if ((n += (size_t)r) > max)
			err = -EFBIG;
		else
			sha256_ctx_update(ctx, buf, (size_t)r);
	}
	close(fd);
	if (ctx)
		sha256_ctx_final_hex(ctx, out); /* also frees it */
	if (err)
		out[0] = '\0';
	return err ? cb_err(err) : 0;
}

int read_file(const char *path, void **data, size_t *len)
{
	return read_file_max(path, SIZE_MAX - 2, data, len);
}

int write_file_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d.XXXXXX", path, (int)getpid()) >= (int)sizeof(tmp))
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

int pathf(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sz ? cb_err(-ENAMETOOLONG) : 0;
}

int abs_path(const char *path, char *buf, size_t sz)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return strlcpy_cb(buf, path, sz) < sz ? 0 : cb_err(-ENAMETOOLONG);
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return pathf(buf, sz, "%s/%s", cwd, path);
}

void rm_tree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pathf(path, sizeof(path), "%s/%s", dir, de->d_name))
			continue;
		if (de->d_type == DT_DIR)
			rm_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}
