// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One file out of a distribution package, streamed: a .deb's data tarball
 * through dpkg-deb, an .rpm's cpio payload through its decompressor, read
 * up to the file wanted and no further. And the decompressors themselves,
 * told apart by their magic (as scripts/extract-vmlinux does), for package
 * payloads, package indexes and kernel images alike.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

/* the tools, not libraries: each is an essential or bootstrap package */
static const struct codec codecs[] = {
	{ "gzip", "\x1f\x8b\x08", 3, { "gzip", "-dc", NULL } },
	{ "xz",
	  "\xfd"
	  "7zXZ\0",
	  6,
	  { "xz", "-dc", NULL } },
	{ "zstd", "\x28\xb5\x2f\xfd", 4, { "zstd", "-dcq", NULL } },
	{ "bzip2", "BZh", 3, { "bzip2", "-dc", NULL } },
	{ "lzma", "\x5d\0\0", 3, { "xz", "-dc", "--format=lzma", NULL } },
	{ "lzo", "\x89LZO", 4, { "lzop", "-dc", NULL } },
	{ "lz4", "\x02\x21\x4c\x18", 4, { "lz4", "-dc", NULL } },
};

const struct codec *codec_sniff(const void *data, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(codecs); i++) {
		if (len >= codecs[i].magic_len &&
		    !memcmp(data, codecs[i].magic, codecs[i].magic_len))
			return &codecs[i];
	}
	return NULL;
}

const struct codec *codec_at(size_t i)
{
	return i < ARRAY_SIZE(codecs) ? &codecs[i] : NULL;
}

pid_t spawn_io(const char *const argv[], int in_fd, int out_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int err;

	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return err ? cb_err(-err) : pid;
}

int decompress_file(const char *path, struct strbuf *out, size_t max)
{
	unsigned char head[8] = { 0 };
	const struct codec *c;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, head, sizeof(head), 0);
	c = n > 0 ? codec_sniff(head, (size_t)n) : NULL;
	if (!c) {
		void *data;
		size_t len;

		close(fd);
		rc = read_file(path, &data, &len);
		if (rc)
			return rc;
		strbuf_release(out);
		out->buf = data;
		out->len = len;
		out->alloc = len + 1;
		return 0;
	}
	rc = run_filter(c->argv, fd, out, max);
	close(fd);
	if (rc > 0) {
		pr_warn("cannot decompress '%s' (%s exit %d)\n", path, c->argv[0], rc);
		return cb_err(-EBADMSG);
	}
	if (rc < 0)
		pr_warn("cannot decompress '%s' with %s: %s\n", path, c->argv[0], strerror(-rc));
	return rc;
}

static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t off = 0;

	while (off < n) {
		ssize_t r = read(fd, p + off, n - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		off += (size_t)r;
	}
	return 0;
}

static bool wanted(const char *name, const char *const *patterns)
{
	if (name[0] == '.' && name[1] == '/')
		name += 2;
	else if (name[0] == '/')
		name++;
	for (const char *const *p = patterns; *p; p++) {
		if (!fnmatch(*p, name, 0))
			return true;
	}
	return false;
}

struct stream {
	int fd;
	int out_fd;
	const struct pkg_progress *progress;
	char *name;
	size_t name_sz;
	char buf[1 << 16];
};

/* Copy size bytes of the stream to out_fd (0: skip them), pad included. */
static int stream_copy(struct stream *s, uint64_t size, uint64_t pad_to, bool keep)
{
	uint64_t left = (size + pad_to - 1) & ~(pad_to - 1), done = 0;

	while (left) {
		size_t n = left < sizeof(s->buf) ? (size_t)left : sizeof(s->buf);
		int err = read_full(s->fd, s->buf, n);

		if (err)
			return err;
		if (keep && done < size &&
		    (err = write_all(s->out_fd, s->buf,
				     size - done < n ? (size_t)(size - done) : n)))
			return err;
		done += n;
		left -= n;
		if (keep && s->progress && s->progress->fn)
			s->progress->fn(s->progress->ctx, done < size ? done : size, size);
	}
	return 0;
}

static uint64_t octal(const char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

/* A tar stream up to the first regular file a pattern matches. */
static int tar_extract(struct stream *s, const char *const *patterns)
{
	char hdr[512], longname[PATH_MAX] = "";

	for (;;) {
		char name[PATH_MAX];
		uint64_t size;
		int err = read_full(s->fd, hdr, sizeof(hdr));

		if (err)
			return err == -EIO ? -ENOENT : err;
		if (!hdr[0])
			return -ENOENT; /* end of archive */
		size = octal(hdr + 124, 12);
		if (longname[0]) {
			strlcpy_cb(name, longname, sizeof(name));
			longname[0] = '\0';
		} else if (!memcmp(hdr + 257, "ustar", 5) && hdr[345]) {
			snprintf(name, sizeof(name), "%.155s/%.100s", hdr + 345, hdr);
		} else {
			snprintf(name, sizeof(name), "%.100s", hdr);
		}
		if (hdr[156] == 'L' && size < sizeof(longname)) {
			/* GNU long name: the next block(s) hold the name */
			if ((err = read_full(s->fd, longname, (size_t)((size + 511) & ~511ull))))
				return err;
			longname[size] = '\0';
			continue;
		}
		if ((hdr[156] == '0' || hdr[156] == '\0') && wanted(name, patterns)) {
			strlcpy_cb(s->name, name, s->name_sz);
			return stream_copy(s, size, 512, true);
		}
		if ((err = stream_copy(s, size, 512, false)))
			return err;
	}
}

static uint64_t hex8(const char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++) {
		char c = p[i];

		v = v * 16 + (uint64_t)(c >= '0' && c <= '9' ? c - '0' :
					c >= 'a' && c <= 'f' ? c - 'a' + 10 :
					c >= 'A' && c <= 'F' ? c - 'A' + 10 :
							       0);
	}
	return v;
}

/* A cpio "newc" stream (an RPM payload) up to the first file wanted. */
static int cpio_extract(struct stream *s, const char *const *patterns)
{
	char hdr[110], name[PATH_MAX];

	for (;;) {
		uint64_t mode, size, namesize;
		int err = read_full(s->fd, hdr, sizeof(hdr));

		if (err)
			return err == -EIO ? -ENOENT : err;
		if (memcmp(hdr, "07070", 5) || (hdr[5] != '1' && hdr[5] != '2'))
			return -EBADMSG;
		mode = hex8(hdr + 14);
		size = hex8(hdr + 54);
		namesize = hex8(hdr + 94);
		if (!namesize || namesize >= sizeof(name))
			return -EBADMSG;
		/* header and name together are padded to 4 bytes */
		if ((err = read_full(s->fd, name, (size_t)(((110 + namesize + 3) & ~3ull) - 110))))
			return err;
		name[namesize - 1] = '\0';
		if (!strcmp(name, "TRAILER!!!"))
			return -ENOENT;
		if ((mode & 0170000) == 0100000 && wanted(name, patterns)) {
			strlcpy_cb(s->name, name, s->name_sz);
			return stream_copy(s, size, 4, true);
		}
		if ((err = stream_copy(s, size, 4, false)))
			return err;
	}
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where an RPM's payload starts: after the lead, the signature header
 * (padded to 8 bytes) and the header. */
static int rpm_payload(int fd, off_t *off)
{
	unsigned char b[96];
	off_t o = 96;

	if (read_full(fd, b, 96) || be32(b) != 0xedabeedb)
		return -EBADMSG;
	for (int i = 0; i < 2; i++) {
		uint32_t nindex, hsize;

		if (pread(fd, b, 16, o) != 16 || memcmp(b, "\x8e\xad\xe8\x01", 4))
			return -EBADMSG;
		nindex = be32(b + 8);
		hsize = be32(b + 12);
		if (nindex > (1u << 20) || hsize > (256u << 20))
			return -EBADMSG;
		o += 16 + (off_t)nindex * 16 + hsize;
		if (i == 0)
			o = (o + 7) & ~(off_t)7;
	}
	*off = o;
	return 0;
}

int pkg_extract(const char *pkg, enum pkg_format fmt, const char *const *patterns, const char *out,
		char *name, size_t name_sz, const struct pkg_progress *progress)
{
	const char *deb_argv[] = { "dpkg-deb", "--fsys-tarfile", pkg, NULL };
	const char *const *argv = deb_argv;
	struct stream *s = calloc(1, sizeof(*s));
	int pipefd[2] = { -1, -1 }, in = -1, out_fd = -1, err, rc;
	char dummy[8];
	pid_t pid = -1;

	if (!s)
		return cb_err(-ENOMEM);
	s->name = name ? name : dummy;
	s->name_sz = name ? name_sz : sizeof(dummy);
	s->progress = progress;
	if (fmt == PKG_RPM) {
		unsigned char head[8] = { 0 };
		const struct codec *c;
		off_t off;

		in = open(pkg, O_RDONLY | O_CLOEXEC);
		if (in < 0 || (err = rpm_payload(in, &off))) {
			err = in < 0 ? -errno : err;
			pr_warn("'%s' is not an RPM package: %s\n", pkg, strerror(-err));
			goto out;
		}
		c = pread(in, head, sizeof(head), off) > 0 ? codec_sniff(head, sizeof(head)) : NULL;
		if (!c) {
			err = -EBADMSG;
			pr_warn("'%s': its payload is compressed in a way coolbpf does not know\n",
				pkg);
			goto out;
		}
		lseek(in, off, SEEK_SET);
		argv = c->argv;
	}
	out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0 || pipe2(pipefd, O_CLOEXEC)) {
		err = -errno;
		pr_warn("cannot write '%s': %s\n", out, strerror(-err));
		goto out;
	}
	pid = spawn_io(argv, in, pipefd[1]);
	close(pipefd[1]);
	if (pid < 0) {
		err = (int)pid;
		pr_warn("cannot run %s: %s\n", argv[0], strerror(-err));
		goto out;
	}
	s->fd = pipefd[0];
	s->out_fd = out_fd;
	err = fmt == PKG_RPM ? cpio_extract(s, patterns) : tar_extract(s, patterns);
	/* done early on purpose: the rest of the stream is of no interest */
	kill(pid, SIGTERM);
	rc = wait_child(pid);
	if (err == -ENOENT)
		pr_warn("'%s' has no %s\n", pkg, patterns[0]);
	else if (err)
		pr_warn("cannot unpack '%s': %s (%s exit %d)\n", pkg, strerror(-err), argv[0], rc);
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (out_fd >= 0 && close(out_fd) && !err)
		err = -errno;
	if (in >= 0)
		close(in);
	if (err && out_fd >= 0)
		unlink(out);
	free(s);
	return err ? cb_err(err) : 0;
}
