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
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "btf.h"

int btf_archive_entry(const char *root, const char *release, const char *arch, char *buf, size_t sz)
{
	if (!root || !*root)
		return cb_err(-ENOENT);
	/* laid out by uname -m: "arm64" files under aarch64/ */
	if (arch && arch_uname(arch))
		arch = arch_uname(arch);
	if (snprintf(buf, sz, "%s/%s/%s.btf.gz", root, arch ? arch : host_arch(),
		     release ? release : host_kernel_release()) >= (int)sz)
		return cb_err(-ENAMETOOLONG);
	return 0;
}

int btf_file_read(const char *path, void **data, size_t *len)
{
	void *raw;
	size_t raw_len;
	int err = read_file_max(path, BTF_FILE_MAX, &raw, &raw_len);

	if (err)
		return cb_err(err);
	if (!is_gzip(raw, raw_len)) {
		*data = raw;
		*len = raw_len;
		return 0;
	}
	err = gunzip_max(raw, raw_len, BTF_FILE_MAX, data, len);
	free(raw);
	return err;
}

int coolbpf_btf_archive__path(const char *dir, const char *release, const char *arch, char *buf,
			      size_t sz)
{
	struct stat st;
	size_t n;
	int err = btf_archive_entry(dir, release, arch, buf, sz);

	if (err)
		return err;
	if (stat(buf, &st) == 0)
		return 0;
	n = strlen(buf);
	buf[n - 3] = '\0';
	if (stat(buf, &st) == 0)
		return 0;
	buf[n - 3] = '.';
	return cb_err(-ENOENT);
}

int btf_archive_read(const char *root, const char *release, const char *arch, void **data,
		     size_t *len, char *path, size_t path_sz)
{
	int err = btf_archive_entry(root, release, arch, path, path_sz);
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
	char why[256];
	void *data;
	size_t len;
	int err = btf_file_read(path, &data, &len);

	if (err)
		return cb_err_ptr(err);
	/* raw BTF or an ELF with a .BTF section, checked before libbpf parses it */
	btf = btf_from_bytes(data, len, why, sizeof(why));
	err = btf ? 0 : -errno;
	free(data);
	if (!btf)
		pr_debug("btf: '%s': %s\n", path, why);
	return btf ? btf : cb_err_ptr(err);
}

int coolbpf_btf_archive__add(const char *root, const char *release, const char *arch,
			     const void *data, size_t len, char *path, size_t path_sz)
{
	char entry[PATH_MAX];
	struct btf *btf;
	char *slash;
	void *gz = NULL;
	size_t gz_len = 0;
	int err;

	btf = btf__new(data, (__u32)len);
	if (!btf) {
		err = -errno;
		pr_warn("btf archive: not a valid raw BTF for '%s': %s\n", release, strerror(-err));
		return cb_err(err);
	}
	btf__free(btf);
	if (!path) {
		path = entry;
		path_sz = sizeof(entry);
	}
	err = btf_archive_entry(root, release, arch, path, path_sz);
	if (err)
		return err;
	err = gzip(data, len, &gz, &gz_len);
	slash = strrchr(path, '/');
	if (!err) {
		*slash = '\0';
		err = mkdir_p(path);
		*slash = '/';
	}
	if (!err)
		err = write_file_atomic(path, gz, gz_len);
	free(gz);
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
