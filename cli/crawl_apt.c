// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * APT archives (Debian, Ubuntu): the kernels of a suite from its indexes,
 * read as apt reads them. InRelease is checked with gpgv against the
 * distribution's keyring and gives the sha256 of each Packages file
 * (fetched by hash when the archive offers it, so a mirror that updates
 * meanwhile cannot hand over a mismatched one); each Packages stanza
 * gives a package's sha256, which the download is checked against.
 *
 * A kernel is a linux-image-<release> package whose release looks like
 * one (6.1.0-57-amd64, 6.12.117+deb12-amd64, 5.15.0-140-generic: at least
 * X.Y.Z), the signed package preferred to its -unsigned twin; its debug
 * package is linux-image-<release>-dbg (Debian) or
 * linux-image-unsigned-<release>-dbgsym (Ubuntu's ddebs archive).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "crawl.h"

#define GPGV_LOG_MAX (16u << 10)

int apt_release_entry(const char *release, const char *path, char sha256[65], uint64_t *size)
{
	const char *p = strstr(release, "\nSHA256:");
	size_t plen = strlen(path);

	if (!p)
		return -ENOENT;
	p = strchr(p + 1, '\n');
	while (p && p[1] == ' ') {
		const char *line = p + 1, *end = strchr(line, '\n');
		char hash[65], name[256];
		unsigned long long sz;
		int n = 0;

		if (!end)
			end = line + strlen(line);
		if (sscanf(line, " %64s %llu %255s%n", hash, &sz, name, &n) == 3 &&
		    strlen(name) == plen && !strcmp(name, path) && strlen(hash) == 64) {
			memcpy(sha256, hash, 65);
			*size = sz;
			return 0;
		}
		p = *end ? end : NULL;
	}
	return -ENOENT;
}

/* The text a cleartext-signed message signs (RFC 4880 7.1): after the
 * armor headers, up to the signature, dash-escapes undone. */
static int clearsigned_text(const char *msg, struct strbuf *out)
{
	const char *p = strstr(msg, "\n\n"), *end = strstr(msg, "\n-----BEGIN PGP SIGNATURE-----");

	if (!p || !end || end < p)
		return -EBADMSG;
	for (p += 2; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len >= 2 && p[0] == '-' && p[1] == ' ')
			p += 2, len -= 2;
		if (strbuf_add(out, p, len) || strbuf_addch(out, '\n'))
			return -ENOMEM;
		p += len + 1;
		if (!nl)
			break;
	}
	return 0;
}

/* InRelease, checked; its signed text into out. */
static int fetch_release(const struct crawl_ctx *c, const char *base, const char *suite,
			 const char *keyring, struct strbuf *out)
{
	struct strbuf raw = STRBUF_INIT, log = STRBUF_INIT;
	char url[CRAWL_URL_MAX], in[PATH_MAX], verified[PATH_MAX];
	int fd, rc, err;

	if ((err = pathf(url, sizeof(url), "%s/dists/%s/InRelease", base, suite)))
		return err;
	err = crawl_get(url, &raw, 64u << 20);
	if (err == -ENOENT && c->unsigned_ok) {
		/* a local tree may have a plain Release */
		pathf(url, sizeof(url), "%s/dists/%s/Release", base, suite);
		err = crawl_get(url, &raw, 64u << 20);
	}
	if (err)
		goto out;
	if (c->unsigned_ok) {
		if (str_has_prefix(strbuf_str(&raw), "-----BEGIN PGP SIGNED MESSAGE-----"))
			err = clearsigned_text(strbuf_str(&raw), out);
		else
			err = strbuf_add(out, strbuf_str(&raw), raw.len);
		goto out;
	}
	if (access(keyring, R_OK)) {
		pr_warn("crawl: cannot check '%s': no keyring '%s' (install the distribution's "
			"keyring package, or pass --unsigned for a tree you trust)\n",
			url, keyring);
		err = -ENOKEY;
		goto out;
	}
	/* gpgv writes what it verified: parse that, never the raw file */
	if ((err = pathf(in, sizeof(in), "%s/index", c->cache)) || (err = mkdir_p(in)) ||
	    (err = pathf(in, sizeof(in), "%s/index/InRelease.XXXXXX", c->cache)))
		goto out;
	fd = mkstemp(in);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, raw.buf, raw.len);
	close(fd);
	if (!err && !(err = pathf(verified, sizeof(verified), "%s.txt", in))) {
		const char *argv[] = { "gpgv",	   "--quiet", "--keyring", keyring,
				       "--output", verified,  in,	   NULL };

		rc = run_argv(argv, &log, GPGV_LOG_MAX);
		if (rc) {
			pr_warn("crawl: '%s' is not signed by a key of '%s' (gpgv %s%d): %s\n", url,
				keyring, rc < 0 ? "cannot run: -" : "exit ", rc < 0 ? -rc : rc,
				rc == -ENOENT ? "install gpgv" : strbuf_str(&log));
			err = -EBADMSG;
		} else {
			void *data;
			size_t len;

			err = read_file(verified, &data, &len);
			if (!err) {
				err = strbuf_add(out, data, len);
				free(data);
			}
		}
		unlink(verified);
	}
	unlink(in);
out:
	strbuf_release(&raw);
	strbuf_release(&log);
	return err;
}

struct stanza {
	char package[192], version[96], arch[32], filename[768], sha256[65];
	uint64_t size;
};

static void field(const char *line, size_t len, const char *key, char *out, size_t sz)
{
	size_t k = strlen(key);

	if (len > k + 1 && !strncmp(line, key, k) && line[k] == ':') {
		const char *v = line + k + 1;
		size_t n = len - k - 1;

		while (n && *v == ' ')
			v++, n--;
		snprintf(out, sz, "%.*s", (int)n, v);
	}
}

/* At least X.Y.Z: a versioned kernel, not a meta package (6.1-amd64) */
static bool release_like(const char *r)
{
	for (int part = 0; part < 3; part++) {
		if (*r < '0' || *r > '9')
			return false;
		while (*r >= '0' && *r <= '9')
			r++;
		if (part < 2 && *r++ != '.')
			return false;
	}
	return true;
}

/* The kernel a package is for. 1 image, 2 debug, 0 neither; *is_unsigned
 * for the unsigned twin of a signed image. */
static int kernel_package(const char *name, char *release, size_t sz, bool *is_unsigned)
{
	const char *r = name + strlen("linux-image-");
	int kind = 1;
	size_t n;

	*is_unsigned = false;
	if (!str_has_prefix(name, "linux-image-"))
		return 0;
	if (str_has_prefix(r, "unsigned-"))
		r += strlen("unsigned-"), *is_unsigned = true;
	n = strlen(r);
	if (str_has_suffix(r, "-dbgsym"))
		n -= strlen("-dbgsym"), kind = 2;
	else if (str_has_suffix(r, "-dbg"))
		n -= strlen("-dbg"), kind = 2;
	else if (str_has_suffix(r, "-unsigned"))
		n -= strlen("-unsigned"), *is_unsigned = true;
	if (n >= sz)
		return 0;
	memcpy(release, r, n);
	release[n] = '\0';
	if (str_has_suffix(release, "-signed-template") || !release_like(release))
		return 0;
	return kind;
}

static int add_stanza(const struct stanza *s, const char *base, const char *suite, const char *arch,
		      struct crawl_list *out)
{
	struct crawl_kernel k = { 0 };
	struct crawl_pkg *p;
	bool is_unsigned;
	int kind;

	if (!s->package[0] || !s->filename[0] || strlen(s->sha256) != 64)
		return 0;
	kind = kernel_package(s->package, k.release, sizeof(k.release), &is_unsigned);
	if (!kind)
		return 0;
	snprintf(k.suite, sizeof(k.suite), "%s", suite);
	snprintf(k.arch, sizeof(k.arch), "%s", arch);
	p = kind == 1 ? &k.image : &k.dbg;
	snprintf(p->name, sizeof(p->name), "%s", s->package);
	snprintf(p->version, sizeof(p->version), "%s", s->version);
	memcpy(p->sha256, s->sha256, sizeof(p->sha256));
	p->size = s->size;
	if (crawl_url_join(base, s->filename, p->url, sizeof(p->url)))
		return 0;
	if (kind == 1 && is_unsigned) {
		/* listed after its signed twin: keep the signed one */
		for (size_t i = 0; i < out->n; i++) {
			if (!strcmp(out->k[i].release, k.release) &&
			    !strcmp(out->k[i].arch, k.arch) && out->k[i].image.name[0])
				return 0;
		}
	}
	if (kind == 1 && !is_unsigned) {
		/* listed before it: the signed one replaces the unsigned */
		for (size_t i = 0; i < out->n; i++) {
			if (!strcmp(out->k[i].release, k.release) &&
			    !strcmp(out->k[i].arch, k.arch) &&
			    strstr(out->k[i].image.name, "unsigned")) {
				out->k[i].image = k.image;
				return 0;
			}
		}
	}
	return crawl_list_add(out, &k);
}

/* Every kernel of one Packages file. */
static int parse_packages(const char *text, const char *base, const char *suite, const char *darch,
			  const char *arch, struct crawl_list *out)
{
	struct stanza s = { 0 };
	const char *p = text;
	int err = 0;

	while (!err && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == 0) {
			if (!strcmp(s.arch, darch))
				err = add_stanza(&s, base, suite, arch, out);
			memset(&s, 0, sizeof(s));
		} else if (p[0] != ' ') {
			char size[32] = "";

			field(p, len, "Package", s.package, sizeof(s.package));
			field(p, len, "Version", s.version, sizeof(s.version));
			field(p, len, "Architecture", s.arch, sizeof(s.arch));
			field(p, len, "Filename", s.filename, sizeof(s.filename));
			field(p, len, "SHA256", s.sha256, sizeof(s.sha256));
			field(p, len, "Size", size, sizeof(size));
			if (size[0])
				s.size = strtoull(size, NULL, 10);
		}
		p += len + (nl != NULL);
	}
	if (!err && !strcmp(s.arch, darch))
		err = add_stanza(&s, base, suite, arch, out);
	return err;
}

/* One index of the suite: dists/<suite>/main/binary-<arch>/Packages. */
static int list_index(const struct crawl_ctx *c, const char *base, const char *suite,
		      const char *keyring, const char *darch, const char *arch, bool required,
		      struct crawl_list *out)
{
	static const char *const exts[] = { ".xz", ".gz", "" };
	struct strbuf rel = STRBUF_INIT, pkgs = STRBUF_INIT;
	char path[256], sha[65], url[CRAWL_URL_MAX];
	uint64_t size;
	size_t i;
	int err = fetch_release(c, base, suite, keyring, &rel);

	if (err == -ENOENT) {
		if (required)
			pr_warn("crawl: %s has no suite '%s' (no %s/dists/%s/InRelease)\n",
				c->d->name, suite, base, suite);
		else
			pr_debug("crawl: no %s/dists/%s: skipped\n", base, suite);
		err = required ? -ENOENT : 0;
		goto out;
	}
	if (err)
		goto out;
	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		snprintf(path, sizeof(path), "main/binary-%s/Packages%s", darch, exts[i]);
		if (apt_release_entry(strbuf_str(&rel), path, sha, &size) == 0)
			break;
	}
	if (i == ARRAY_SIZE(exts)) {
		pr_warn("crawl: %s/dists/%s lists no main/binary-%s/Packages: no %s kernels there\n",
			base, suite, darch, darch);
		err = required ? -ENOENT : 0;
		goto out;
	}
	if (strstr(strbuf_str(&rel), "\nAcquire-By-Hash: yes"))
		err = pathf(url, sizeof(url), "%s/dists/%s/main/binary-%s/by-hash/SHA256/%s", base,
			    suite, darch, sha);
	else
		err = pathf(url, sizeof(url), "%s/dists/%s/%s", base, suite, path);
	if (!err)
		err = crawl_get_index(c, url, sha, &pkgs);
	if (!err)
		err = parse_packages(strbuf_str(&pkgs), base, suite, darch, arch, out);
out:
	strbuf_release(&rel);
	strbuf_release(&pkgs);
	return err;
}

static int apt_list(const struct crawl_ctx *c, const char *suite, const char *arch,
		    struct crawl_list *out)
{
	const struct crawl_distro *d = c->d;
	const char *darch = arch_debian(arch);
	const char *tmpl = strcmp(darch, "amd64") && strcmp(darch, "i386") && d->ports_url ?
				   d->ports_url :
				   d->url;
	char base[CRAWL_URL_MAX], sec[CRAWL_URL_MAX], dbg[CRAWL_URL_MAX], s[128];
	int err;

	if ((err = crawl_url(tmpl, c->mirror, suite, darch, base, sizeof(base))) ||
	    (err = crawl_url(d->security_url ? d->security_url : tmpl, c->mirror, suite, darch, sec,
			     sizeof(sec))))
		return err;
	if ((err = list_index(c, base, suite, d->keyring, darch, arch, true, out)))
		return err;
	snprintf(s, sizeof(s), "%s-updates", suite);
	if ((err = list_index(c, base, s, d->keyring, darch, arch, false, out)))
		return err;
	snprintf(s, sizeof(s), "%s-security", suite);
	if ((err = list_index(c, sec, s, d->keyring, darch, arch, false, out)))
		return err;
	if (!d->dbg_url || c->mirror)
		return 0;
	/* Ubuntu's debug symbols live in an archive of their own: optional */
	if (crawl_url(d->dbg_url, NULL, suite, darch, dbg, sizeof(dbg)))
		return 0;
	for (int i = 0; i < 3; i++) {
		snprintf(s, sizeof(s), "%s%s", suite,
			 i == 0 ? "" :
			 i == 1 ? "-updates" :
				  "-security");
		if (list_index(c, dbg, s, d->dbg_keyring, darch, arch, false, out))
			pr_info("crawl: no debug packages from %s/dists/%s\n", dbg, s);
	}
	return 0;
}

static const char *const apt_image_files[] = { "boot/vmlinuz-*", "boot/vmlinux-*", NULL };
static const char *const apt_dbg_files[] = { "usr/lib/debug/boot/vmlinux-*", NULL };

const struct crawl_source crawl_apt = {
	.name = "apt",
	.fmt = PKG_DEB,
	.list = apt_list,
	.image_files = apt_image_files,
	.dbg_files = apt_dbg_files,
};
