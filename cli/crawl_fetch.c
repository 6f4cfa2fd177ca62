// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The crawler's downloads. Indexes are kept under the hash their parent
 * index gives them, so an unchanged Packages.xz or primary.xml is not
 * downloaded again by the next run (cron may run the crawl every few
 * minutes). Packages go to a .part file first: an interrupted run resumes
 * it with a Range request, and only a file whose size and sha256 match
 * the index is renamed into place and used.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crawl.h"

#define UA "coolbpf-btf-crawl/0.2"

int crawl_url(const char *tmpl, const char *mirror, const char *suite, const char *arch, char *buf,
	      size_t sz)
{
	const char *p = mirror && *mirror ? mirror : tmpl;
	size_t n = 0;

	while (*p) {
		const char *v = NULL;
		size_t skip = 1, len;

		if (!strncmp(p, "{suite}", 7))
			v = suite, skip = 7;
		else if (!strncmp(p, "{arch}", 6))
			v = arch, skip = 6;
		len = v ? strlen(v) : 1;
		if (n + len >= sz)
			return cb_err(-ENAMETOOLONG);
		memcpy(buf + n, v ? v : p, len);
		n += len;
		p += skip;
	}
	buf[n] = '\0';
	return 0;
}

int crawl_url_join(const char *base, const char *rel, char *buf, size_t sz)
{
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	if (snprintf(buf, sz, "%.*s/%s", (int)n, base, rel) >= (int)sz)
		return cb_err(-ENAMETOOLONG);
	return 0;
}

int crawl_get(const char *url, struct strbuf *body, size_t max)
{
	struct http_req req = {
		.url = url,
		.out_fd = -1,
		.max_body = max,
		.protocols = CRAWL_PROTOCOLS,
		.follow = true,
		.low_speed_s = 60,
		.user_agent = UA,
	};
	struct http_resp resp;
	int err = http_request(&req, &resp);

	if (err == -ENOENT || (!err && resp.status == 404)) {
		http_resp_release(&resp);
		return -ENOENT;
	}
	if (!err && resp.status && resp.status != 200) {
		pr_warn("crawl: '%s': HTTP %ld\n", url, resp.status);
		err = -EIO;
	} else if (err) {
		pr_warn("crawl: cannot fetch '%s': %s\n", url, resp.err);
	}
	if (!err) {
		strbuf_release(body);
		*body = resp.body;
		memset(&resp.body, 0, sizeof(resp.body));
	}
	http_resp_release(&resp);
	return err ? cb_err(err) : 0;
}

static bool file_has_sha(const char *path, const char *sha256)
{
	char got[65];
	void *data;
	size_t len;

	if (read_file(path, &data, &len))
		return false;
	sha256_hex(data, len, got);
	free(data);
	return !strcmp(got, sha256);
}

int crawl_get_index(const struct crawl_ctx *c, const char *url, const char *sha256,
		    struct strbuf *out)
{
	struct strbuf body = STRBUF_INIT;
	char path[PATH_MAX], got[65];
	int err;

	if (sha256 && *sha256) {
		if ((err = pathf(path, sizeof(path), "%s/index/%s", c->cache, sha256)))
			return err;
		if (file_has_sha(path, sha256))
			return decompress_file(path, out, HTTP_BODY_MAX);
	}
	err = crawl_get(url, &body, HTTP_BODY_MAX);
	if (err)
		goto out;
	sha256_hex(body.buf ? body.buf : "", body.len, got);
	if (sha256 && *sha256 && strcmp(got, sha256)) {
		pr_warn("crawl: '%s' does not match the sha256 its Release/repomd gives "
			"(%.16s... instead of %.16s...): a mirror in the middle of an update? "
			"run the crawl again later\n",
			url, got, sha256);
		err = -EBADMSG;
		goto out;
	}
	if ((err = pathf(path, sizeof(path), "%s/index", c->cache)) || (err = mkdir_p(path)) ||
	    (err = pathf(path, sizeof(path), "%s/index/%s", c->cache, got)) ||
	    (err = write_file_atomic(path, strbuf_str(&body), body.len))) {
		pr_warn("crawl: cannot keep '%s' under '%s/index': %s\n", url, c->cache,
			strerror(-err));
		goto out;
	}
	err = decompress_file(path, out, HTTP_BODY_MAX);
out:
	strbuf_release(&body);
	return err;
}

static int file_sha256(const char *path, char out[65])
{
	struct sha256_ctx *ctx = sha256_ctx_new();
	char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (!ctx || fd < 0) {
		err = !ctx ? -ENOMEM : -errno;
		if (fd >= 0)
			close(fd);
		if (ctx)
			sha256_ctx_final_hex(ctx, out);
		return err;
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = -errno;
		if (r <= 0)
			break;
		sha256_ctx_update(ctx, buf, (size_t)r);
	}
	close(fd);
	sha256_ctx_final_hex(ctx, out);
	return err;
}

struct pkg_xfer {
	struct crawl_transfer *t;
	uint64_t base; /* bytes already in the .part */
	uint64_t total;
};

static int on_progress(void *ctx, uint64_t now, uint64_t total)
{
	struct pkg_xfer *x = ctx;

	(void)total;
	x->t->received = now;
	if (x->t->progress)
		x->t->progress(x->t->ctx, x->base + now, x->total);
	return 0;
}

int crawl_get_package(const struct crawl_ctx *c, const struct crawl_pkg *p, char *path,
		      size_t path_sz, struct crawl_transfer *t)
{
	const char *base = strrchr(p->url, '/');
	struct pkg_xfer x = { .t = t, .total = p->size };
	char part[PATH_MAX], got[65];
	struct http_resp resp;
	struct stat st;
	int fd, err;

	base = base ? base + 1 : p->url;
	t->received = 0;
	if ((err = pathf(part, sizeof(part), "%s/pkgs", c->cache)) || (err = mkdir_p(part)) ||
	    (err = pathf(path, path_sz, "%s/pkgs/%s", c->cache, base)) ||
	    (err = pathf(part, sizeof(part), "%s.part", path)))
		return err;
	if (stat(path, &st) == 0 && (uint64_t)st.st_size == p->size &&
	    file_sha256(path, got) == 0 && !strcmp(got, p->sha256))
		return 0; /* kept by --keep-packages, or a crash after the rename */
	fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		pr_warn("crawl: cannot write '%s': %s\n", part, strerror(-err));
		if (fd >= 0)
			close(fd);
		return cb_err(err);
	}
	x.base = (uint64_t)st.st_size;
	if (x.base > p->size) {
		/* longer than the index says: start over */
		if (ftruncate(fd, 0))
			err = -errno;
		x.base = 0;
	}
	if (!err && x.base < p->size) {
		struct http_req req = {
			.url = p->url,
			.out_fd = fd,
			.resume_from = x.base,
			.protocols = CRAWL_PROTOCOLS,
			.follow = true,
			.low_speed_s = 60,
			.user_agent = UA,
			.progress = on_progress,
			.ctx = &x,
		};

		err = http_request(&req, &resp);
		t->received = resp.received;
		if (err == -EPROTO && resp.status == 416) {
			err = -ERANGE; /* the .part is no prefix of the file: again */
		} else if (err == -EPROTO && resp.status == 404) {
			pr_warn("crawl: %s is in the index but not on the server (HTTP 404 for "
				"'%s'): a mirror behind its index, or a package withdrawn\n",
				p->name, p->url);
			err = -EIO;
		} else if (err == -EPROTO) {
			pr_warn("crawl: '%s': HTTP %ld\n", p->url, resp.status);
			err = -EIO;
		} else if (!err && resp.status == 200 && x.base) {
			/* the server ignored the Range: the body is the whole file */
			pr_warn("crawl: '%s': the server cannot resume; downloading it again\n",
				p->url);
			err = -EAGAIN;
		} else if (err) {
			pr_warn("crawl: cannot download '%s': %s (the next run resumes it)\n",
				p->url, resp.err);
		}
		http_resp_release(&resp);
	}
	if (close(fd) && !err)
		err = -errno;
	/* nothing came: no empty .part left behind */
	if (err && stat(part, &st) == 0 && st.st_size == 0)
		unlink(part);
	if (err == -EAGAIN || err == -ERANGE) {
		unlink(part);
		return crawl_get_package(c, p, path, path_sz, t);
	}
	if (err)
		return cb_err(err);
	if (stat(part, &st) || (uint64_t)st.st_size != p->size || file_sha256(part, got) ||
	    strcmp(got, p->sha256)) {
		pr_warn("crawl: '%s' is not the package its index describes (%lld bytes, sha256 "
			"%.16s...; expected %llu, %.16s...): removed\n",
			p->url, (long long)st.st_size, got, (unsigned long long)p->size, p->sha256);
		unlink(part);
		return cb_err(-EBADMSG);
	}
	if (rename(part, path)) {
		err = -errno;
		pr_warn("crawl: cannot rename '%s': %s\n", part, strerror(-err));
		return cb_err(err);
	}
	return 0;
}
