// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RPM repositories (CentOS Stream, AlmaLinux, Rocky, Fedora, Anolis):
 * repodata/repomd.xml names the primary index and its sha256; primary.xml
 * (gzip, xz or zstd) lists every package with its version, location and
 * sha256. The kernel image is in kernel-core (kernel on EL7 and Anolis 7:
 * /boot/vmlinuz-<release>), DWARF in kernel-debuginfo of the repository's
 * debug twin. uname -r is <ver>-<rel>.<arch>, and +debug, +64k for the
 * debug and 64k-page variants.
 *
 * A small XML reader, enough for these two files (tags, attributes, text,
 * the five entities; comments, CDATA and declarations skipped): pulling
 * in libxml2 for two flat formats is not worth it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "crawl.h"

struct xml {
	const char *p, *end;
	/* the current tag */
	char name[64];
	const char *attrs; /* up to the tag's '>' */
	size_t attrs_len;
	bool closing, empty;
};

/* The next tag; false at the end. Text between tags is skipped: take it
 * with xml_text() right after an opening tag. */
static bool xml_next(struct xml *x)
{
	for (;;) {
		const char *lt = memchr(x->p, '<', (size_t)(x->end - x->p)), *gt, *n;
		size_t len;

		if (!lt || lt + 1 >= x->end)
			return false;
		if (!strncmp(lt, "<!--", 4)) {
			gt = memmem(lt, (size_t)(x->end - lt), "-->", 3);
			x->p = gt ? gt + 3 : x->end;
			continue;
		}
		if (!strncmp(lt, "<![CDATA[", 9)) {
			gt = memmem(lt, (size_t)(x->end - lt), "]]>", 3);
			x->p = gt ? gt + 3 : x->end;
			continue;
		}
		gt = memchr(lt, '>', (size_t)(x->end - lt));
		if (!gt)
			return false;
		x->p = gt + 1;
		if (lt[1] == '?' || lt[1] == '!')
			continue;
		x->closing = lt[1] == '/';
		n = lt + 1 + x->closing;
		len = strcspn(n, " \t\r\n/>");
		if (n + len > gt)
			len = (size_t)(gt - n);
		snprintf(x->name, sizeof(x->name), "%.*s", (int)len, n);
		x->attrs = n + len;
		x->attrs_len = (size_t)(gt - x->attrs);
		x->empty = gt > lt && gt[-1] == '/';
		return true;
	}
}

static void xml_unescape(const char *s, size_t n, char *out, size_t sz)
{
	static const struct {
		const char *ent, ch;
	} ents[] = { { "&amp;", '&' },
		     { "&lt;", '<' },
		     { "&gt;", '>' },
		     { "&quot;", '"' },
		     { "&apos;", '\'' } };
	size_t o = 0, i = 0;

	while (i < n && o + 1 < sz) {
		if (s[i] == '&') {
			size_t e, l = 0;

			for (e = 0; e < ARRAY_SIZE(ents); e++) {
				l = strlen(ents[e].ent);
				if (i + l <= n && !strncmp(s + i, ents[e].ent, l))
					break;
			}
			if (e < ARRAY_SIZE(ents)) {
				out[o++] = ents[e].ch;
				i += l;
				continue;
			}
		}
		out[o++] = s[i++];
	}
	/* text of a tag on its own lines */
	while (o && (out[o - 1] == ' ' || out[o - 1] == '\n' || out[o - 1] == '\r' ||
		     out[o - 1] == '\t'))
		o--;
	out[o] = '\0';
}

/* The text after the current (opening) tag, up to the next '<'. */
static void xml_text(const struct xml *x, char *out, size_t sz)
{
	const char *lt = memchr(x->p, '<', (size_t)(x->end - x->p));

	xml_unescape(x->p, lt ? (size_t)(lt - x->p) : (size_t)(x->end - x->p), out, sz);
}

/* An attribute of the current tag ("" when absent). */
static void xml_attr(const struct xml *x, const char *key, char *out, size_t sz)
{
	const char *p = x->attrs, *end = x->attrs + x->attrs_len;
	size_t k = strlen(key);

	out[0] = '\0';
	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p)), *q, *close;

		if (!eq || eq + 1 >= end)
			return;
		q = eq + 1;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= end || (*q != '"' && *q != '\''))
			return;
		close = memchr(q + 1, *q, (size_t)(end - q - 1));
		if (!close)
			return;
		{
			const char *name_end = eq, *name;

			while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
				name_end--;
			name = name_end;
			while (name > p && name[-1] != ' ' && name[-1] != '\t' &&
			       name[-1] != '\n' && name[-1] != '\r')
				name--;
			if ((size_t)(name_end - name) == k && !strncmp(name, key, k)) {
				xml_unescape(q + 1, (size_t)(close - q - 1), out, sz);
				return;
			}
		}
		p = close + 1;
	}
}

/* repomd.xml: the primary index's location and sha256. */
static int rpm_repomd_primary(const char *xml, size_t len, char *href, size_t href_sz,
			      char sha256[65])
{
	struct xml x = { .p = xml, .end = xml + len };
	bool in_primary = false;
	char type[32], ctype[16];

	href[0] = sha256[0] = '\0';
	while (xml_next(&x)) {
		if (!strcmp(x.name, "data")) {
			if (x.closing) {
				if (in_primary)
					break;
				continue;
			}
			xml_attr(&x, "type", type, sizeof(type));
			in_primary = !strcmp(type, "primary");
		} else if (in_primary && !x.closing && !strcmp(x.name, "location")) {
			xml_attr(&x, "href", href, href_sz);
		} else if (in_primary && !x.closing && !strcmp(x.name, "checksum")) {
			xml_attr(&x, "type", ctype, sizeof(ctype));
			if (!strcmp(ctype, "sha256"))
				xml_text(&x, sha256, 65);
		}
	}
	return href[0] ? 0 : -ENOENT;
}

/* Which kernel packages are which: the package, and what its variant adds
 * to uname -r. */
static const struct {
	const char *image, *dbg, *suffix;
} variants[] = {
	{ "kernel-core", "kernel-debuginfo", "" },
	{ "kernel-debug-core", "kernel-debug-debuginfo", "+debug" },
	{ "kernel-64k-core", "kernel-64k-debuginfo", "+64k" },
	{ "kernel-64k-debug-core", "kernel-64k-debug-debuginfo", "+64k-debug" },
	{ "kernel-rt-core", "kernel-rt-debuginfo", "" },
	{ "kernel-rt-debug-core", "kernel-rt-debug-debuginfo", "+debug" },
	/* EL7, Anolis 7: no -core split */
	{ "kernel", NULL, "" },
};

struct rpm_pkg {
	char name[96], arch[32], ver[64], rel[96], epoch[16], href[768], sha256[65];
	uint64_t size;
};

static int add_pkg(const struct rpm_pkg *r, const char *base, const char *suite, const char *arch,
		   struct crawl_list *out)
{
	struct crawl_kernel k = { 0 };
	struct crawl_pkg *p = NULL;
	size_t v;

	if (strcmp(r->arch, arch) || strlen(r->sha256) != 64)
		return 0;
	for (v = 0; v < ARRAY_SIZE(variants); v++) {
		if (!strcmp(r->name, variants[v].image)) {
			p = &k.image;
			break;
		}
		if (variants[v].dbg && !strcmp(r->name, variants[v].dbg)) {
			p = &k.dbg;
			break;
		}
	}
	if (!p)
		return 0;
	if (snprintf(k.release, sizeof(k.release), "%s-%s.%s%s", r->ver, r->rel, r->arch,
		     variants[v].suffix) >= (int)sizeof(k.release))
		return 0;
	snprintf(k.suite, sizeof(k.suite), "%s", suite);
	snprintf(k.arch, sizeof(k.arch), "%s", arch);
	snprintf(p->name, sizeof(p->name), "%s", r->name);
	if (snprintf(p->version, sizeof(p->version), "%s%s%s-%s",
		     strcmp(r->epoch, "0") ? r->epoch : "",
		     strcmp(r->epoch, "0") && r->epoch[0] ? ":" : "", r->ver,
		     r->rel) >= (int)sizeof(p->version))
		return 0;
	memcpy(p->sha256, r->sha256, sizeof(p->sha256));
	p->size = r->size;
	if (crawl_url_join(base, r->href, p->url, sizeof(p->url)))
		return 0;
	if (p == &k.image && !strcmp(r->name, "kernel")) {
		/* EL8+: "kernel" is a meta package next to kernel-core */
		for (size_t i = 0; i < out->n; i++) {
			if (!strcmp(out->k[i].release, k.release) && out->k[i].image.name[0])
				return 0;
		}
	}
	if (p == &k.image && strcmp(r->name, "kernel")) {
		for (size_t i = 0; i < out->n; i++) {
			if (!strcmp(out->k[i].release, k.release) &&
			    !strcmp(out->k[i].image.name, "kernel")) {
				out->k[i].image = k.image;
				return 0;
			}
		}
	}
	return crawl_list_add(out, &k);
}

/* primary.xml: the kernel packages. */
static int rpm_primary_kernels(const char *xml, size_t len, const char *base, const char *suite,
			       const char *arch, struct crawl_list *out)
{
	struct xml x = { .p = xml, .end = xml + len };
	struct rpm_pkg r;
	char buf[32];
	bool in_pkg = false;
	int err = 0;

	while (!err && xml_next(&x)) {
		if (!strcmp(x.name, "package")) {
			if (!x.closing) {
				memset(&r, 0, sizeof(r));
				in_pkg = true;
			} else if (in_pkg) {
				err = add_pkg(&r, base, suite, arch, out);
				in_pkg = false;
			}
		} else if (!in_pkg || x.closing) {
			continue;
		} else if (!strcmp(x.name, "name")) {
			xml_text(&x, r.name, sizeof(r.name));
		} else if (!strcmp(x.name, "arch")) {
			xml_text(&x, r.arch, sizeof(r.arch));
		} else if (!strcmp(x.name, "version")) {
			xml_attr(&x, "epoch", r.epoch, sizeof(r.epoch));
			xml_attr(&x, "ver", r.ver, sizeof(r.ver));
			xml_attr(&x, "rel", r.rel, sizeof(r.rel));
		} else if (!strcmp(x.name, "checksum")) {
			xml_attr(&x, "type", buf, sizeof(buf));
			if (!strcmp(buf, "sha256"))
				xml_text(&x, r.sha256, sizeof(r.sha256));
		} else if (!strcmp(x.name, "size")) {
			xml_attr(&x, "package", buf, sizeof(buf));
			r.size = strtoull(buf, NULL, 10);
		} else if (!strcmp(x.name, "location")) {
			xml_attr(&x, "href", r.href, sizeof(r.href));
		}
	}
	return err;
}

/* One repository: repomd.xml, then its primary index. */
static int list_repo(const struct crawl_ctx *c, const char *base, const char *suite,
		     const char *arch, struct crawl_list *out)
{
	struct strbuf md = STRBUF_INIT, primary = STRBUF_INIT;
	char url[CRAWL_URL_MAX], href[768], sha[65];
	int err = crawl_url_join(base, "repodata/repomd.xml", url, sizeof(url));

	if (!err)
		err = crawl_get(url, &md, 16u << 20);
	if (err == -ENOENT)
		pr_warn("crawl: %s has no repository at %s (no repodata/repomd.xml)\n", c->d->name,
			base);
	if (err)
		goto out;
	if (rpm_repomd_primary(strbuf_str(&md), md.len, href, sizeof(href), sha)) {
		pr_warn("crawl: '%s' names no primary index\n", url);
		err = -EBADMSG;
		goto out;
	}
	err = crawl_url_join(base, href, url, sizeof(url));
	if (!err)
		err = crawl_get_index(c, url, sha, &primary);
	if (!err)
		err = rpm_primary_kernels(strbuf_str(&primary), primary.len, base, suite, arch,
					  out);
out:
	strbuf_release(&md);
	strbuf_release(&primary);
	return err;
}

static int rpm_list(const struct crawl_ctx *c, const char *suite, const char *arch,
		    struct crawl_list *out)
{
	char base[CRAWL_URL_MAX], dbg[CRAWL_URL_MAX];
	int err = crawl_url(c->d->url, c->mirror, suite, arch, base, sizeof(base));

	if (!err)
		err = list_repo(c, base, suite, arch, out);
	if (err || !c->d->security_url)
		return err;
	/* the debug repository: a mirror given replaces both, as <mirror>/debug */
	if (c->mirror)
		err = crawl_url_join(base, "debug", dbg, sizeof(dbg));
	else
		err = crawl_url(c->d->security_url, NULL, suite, arch, dbg, sizeof(dbg));
	if (!err && list_repo(c, dbg, suite, arch, out))
		pr_info("crawl: no debuginfo packages from %s\n", dbg);
	return 0;
}

static const char *const rpm_image_files[] = { "lib/modules/*/vmlinuz", "boot/vmlinuz-*", NULL };
static const char *const rpm_dbg_files[] = { "usr/lib/debug/lib/modules/*/vmlinux", NULL };

const struct crawl_source crawl_rpm = {
	.name = "rpm",
	.fmt = PKG_RPM,
	.list = rpm_list,
	.image_files = rpm_image_files,
	.dbg_files = rpm_dbg_files,
};
