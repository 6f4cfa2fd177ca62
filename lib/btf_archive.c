// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BTF archive: <root>/<arch>/<release>.btf.gz, one gzip-compressed raw
 * BTF per kernel. gzip because zlib is linked already (libbpf needs it) and
 * a kernel's 5-6 MB BTF shrinks to about a fifth; a plain <release>.btf is
 * read too, so a hand-made archive keeps working.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <zlib.h>

#include "internal.h"

const char *btf_archive_root(const char *dir)
{
	const char *env = getenv("COOLBPF_BTF_DIR");

	if (dir && *dir)
		return dir;
	return env && *env ? env : NULL;
}

int btf_archive_entry(const char *dir, const char *release, const char *arch, char *buf, size_t sz)
{
	const char *root = btf_archive_root(dir);

	if (!root)
		return cb_err(-ENOENT);
	if (snprintf(buf, sz, "%s/%s/%s.btf.gz", root, arch ? arch : host_arch(),
		     release ? release : host_kernel_release()) >= (int)sz)
		return cb_err(-ENAMETOOLONG);
	return 0;
}

static bool is_gzip(const void *data, size_t len)
{
	const unsigned char *p = data;

	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static int gunzip(const void *in, size_t in_len, void **out, size_t *out_len)
{
	z_stream zs = { 0 };
	/* gzip's trailer holds the size mod 2^32: a good first guess */
	size_t cap = in_len >= 4 ? (size_t)((const unsigned char *)in)[in_len - 1] << 24 |
					   (size_t)((const unsigned char *)in)[in_len - 2] << 16 |
					   (size_t)((const unsigned char *)in)[in_len - 3] << 8 |
					   (size_t)((const unsigned char *)in)[in_len - 4]
				 : 0;
	char *buf;
	int zerr;

	if (cap < in_len)
		cap = in_len * 4 + 64;
	buf = malloc(cap + 1);
	if (!buf)
		return cb_err(-ENOMEM);
	if (inflateInit2(&zs, 15 + 32) != Z_OK) {
		free(buf);
		return cb_err(-ENOMEM);
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_len;
	do {
		if (zs.total_out == cap) {
			char *p = realloc(buf, cap * 2 + 1);

			if (!p) {
				zerr = Z_MEM_ERROR;
				break;
			}
			buf = p;
			cap *= 2;
		}
		zs.next_out = (Bytef *)buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		zerr = inflate(&zs, Z_NO_FLUSH);
	} while (zerr == Z_OK);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	if (zerr != Z_STREAM_END) {
		free(buf);
		return cb_err(zerr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG);
	}
	buf[*out_len] = '\0';
	*out = buf;
	return 0;
}

int btf_file_read(const char *path, void **data, size_t *len)
{
	void *raw;
	size_t raw_len;
	int err = read_file(path, &raw, &raw_len);

	if (err)
		return cb_err(err);
	if (!is_gzip(raw, raw_len)) {
		*data = raw;
		*len = raw_len;
		return 0;
	}
	err = gunzip(raw, raw_len, data, len);
	free(raw);
	return err;
}

int btf_archive_read(const char *dir, const char *release, const char *arch, void **data,
		     size_t *len, char *path, size_t path_sz)
{
	int err = btf_archive_entry(dir, release, arch, path, path_sz);
	size_t n;

	if (err)
		return err;
	err = btf_file_read(path, data, len);
	if (err != -ENOENT)
		return err;
	/* an uncompressed <release>.btf */
	n = strlen(path);
	path[n - 3] = '\0';
	err = btf_file_read(path, data, len);
	if (err == -ENOENT)
		path[n - 3] = '.'; /* name the canonical file when neither is there */
	return err;
}

struct btf *btf_load_file(const char *path)
{
	struct btf *btf;
	void *data;
	size_t len;
	int err;

	err = read_file(path, &data, &len);
	if (err)
		return cb_err_ptr(err);
	if (!is_gzip(data, len)) {
		free(data);
		/* raw BTF or an ELF with a .BTF section */
		return btf__parse(path, NULL);
	}
	{
		void *raw;
		size_t raw_len;

		err = gunzip(data, len, &raw, &raw_len);
		free(data);
		if (err)
			return cb_err_ptr(err);
		btf = btf__new(raw, (__u32)raw_len);
		err = btf ? 0 : -errno;
		free(raw);
	}
	return btf ? btf : cb_err_ptr(err);
}

int btf_archive_add(const char *dir, const char *release, const char *arch, const void *data,
		    size_t len, char *path, size_t path_sz)
{
	z_stream zs = { 0 };
	struct btf *btf;
	char *out, *slash;
	size_t cap;
	int err;

	btf = btf__new(data, (__u32)len);
	if (!btf) {
		err = -errno;
		pr_warn("btf archive: not a valid raw BTF for '%s': %s\n", release, strerror(-err));
		return cb_err(err);
	}
	btf__free(btf);
	err = btf_archive_entry(dir, release, arch, path, path_sz);
	if (err)
		return err;
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return cb_err(-ENOMEM);
	cap = deflateBound(&zs, (uLong)len);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&zs);
		return cb_err(-ENOMEM);
	}
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap;
	err = deflate(&zs, Z_FINISH) == Z_STREAM_END ? 0 : -EIO;
	deflateEnd(&zs);
	slash = strrchr(path, '/');
	if (!err) {
		*slash = '\0';
		err = mkdir_p(path);
		*slash = '/';
	}
	if (!err)
		err = write_file_atomic(path, out, zs.total_out);
	free(out);
	if (err)
		pr_warn("btf archive: cannot write '%s': %s\n", path, strerror(-err));
	return err ? cb_err(err) : 0;
}

int btf_memfd(const void *data, size_t len, char *path, size_t sz)
{
	int fd = memfd_create("coolbpf-btf", MFD_CLOEXEC);
	const char *p = data;
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = w < 0 ? -errno : -EIO;

			close(fd);
			return cb_err(err);
		}
		off += (size_t)w;
	}
	snprintf(path, sz, "/proc/self/fd/%d", fd);
	return fd;
}
