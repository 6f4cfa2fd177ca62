/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * coolbpf btf crawl: what the crawler (crawl.c) and its package sources
 * share. A source reads a distribution's package indexes and lists the
 * kernels in them; the crawler downloads, extracts and archives:
 *
 *   crawl_apt.c   APT archives (Debian, Ubuntu): InRelease, Packages
 *   crawl_rpm.c   RPM repositories (CentOS, Alma, Rocky, Fedora, Anolis):
 *                 repomd.xml, primary.xml
 *   crawl_fetch.c downloads: indexes (checked against the hashes their
 *                 parent index gives) and packages (resumed, hash-checked)
 */
#ifndef COOLBPF_CLI_CRAWL_H
#define COOLBPF_CLI_CRAWL_H

#include <limits.h>

#include "cli.h"

#define CRAWL_URL_MAX 1024

/* One package of a kernel, as its index describes it. */
struct crawl_pkg {
	char name[192];
	char version[96];
	char url[CRAWL_URL_MAX];
	char sha256[65];
	uint64_t size;
};

/* One kernel: its image package and, when the index has one, its debug
 * package (DWARF, for pahole when the image carries no BTF). */
struct crawl_kernel {
	char suite[96]; /* the index it was found in: "bookworm-security" */
	char arch[32];	/* uname -m spelling, as the archive is laid out */
	char release[192];
	struct crawl_pkg image, dbg;
};

struct crawl_list {
	struct crawl_kernel *k;
	size_t n, cap;
};

/* Add k, or when its arch and release are listed already, fill in the
 * packages the first listing lacked (an image's -dbg found in another
 * index). 0 or -ENOMEM. */
int crawl_list_add(struct crawl_list *l, const struct crawl_kernel *k);
void crawl_list_release(struct crawl_list *l);

struct crawl_distro;

/* What a source needs to read one distribution's indexes. */
struct crawl_ctx {
	const struct crawl_distro *d;
	/* <cache>/crawl: indexes and packages go under it */
	const char *cache;
	/* replaces the distribution's base URL (a mirror, or a file:// tree) */
	const char *mirror;
	/* accept indexes without a valid signature (local trees) */
	bool unsigned_ok;
};

struct crawl_source {
	const char *name; /* "apt", "rpm" */
	enum pkg_format fmt;
	/* The kernels of one suite (a release of the distribution: all its
	 * indexes, e.g. bookworm, -updates, -security) for arch (uname -m
	 * spelling) added to out. 0 or -errno, with a message. */
	int (*list)(const struct crawl_ctx *c, const char *suite, const char *arch,
		    struct crawl_list *out);
	/* where the kernel image and the debug vmlinux sit in the packages */
	const char *const *image_files;
	const char *const *dbg_files;
};

extern const struct crawl_source crawl_apt, crawl_rpm;

struct crawl_distro {
	const char *name;
	const struct crawl_source *source;
	/* suites crawled when none is named */
	const char *default_suites;
	/* base URLs; "{suite}" and "{arch}" (the distribution's spelling)
	 * are replaced. apt: the archive root (dists/ under it); rpm: the
	 * repository (repodata/ under it) */
	const char *url;
	/* apt: the archive of other architectures (Ubuntu's ports), or NULL */
	const char *ports_url;
	/* apt: the security archive; rpm: the debug repository */
	const char *security_url;
	/* apt: a separate archive of debug packages (Ubuntu's ddebs), or NULL */
	const char *dbg_url;
	/* apt: the keyring InRelease is checked with */
	const char *keyring;
	const char *dbg_keyring;
	/* live fetching tested here (the others: their parsers, on excerpts) */
	bool tested_live;
};

/* "{suite}", "{arch}" of tmpl replaced; tmpl replaced whole by mirror
 * when one is given. 0 or -ENAMETOOLONG. */
int crawl_url(const char *tmpl, const char *mirror, const char *suite, const char *arch, char *buf,
	      size_t sz);
/* base + "/" + rel (base's trailing slashes dropped). */
int crawl_url_join(const char *base, const char *rel, char *buf, size_t sz);

/* crawl_fetch.c ------------------------------------------------------- */

/* Protocols the crawler's transfers allow (file:// for local trees). */
#define CRAWL_PROTOCOLS "http,https,file"

/*
 * GET url into memory. -ENOENT when the server says 404 (or a file:// tree
 * lacks it), else 0 or -errno with a message naming the URL.
 */
int crawl_get(const char *url, struct strbuf *body, size_t max);
/*
 * An index the parent index gave the sha256 of (empty: none, accept what
 * comes): kept under <cache>/index/<sha256>, downloaded only when not
 * there, checked, then decompressed into out.
 */
int crawl_get_index(const struct crawl_ctx *c, const char *url, const char *sha256,
		    struct strbuf *out);

struct crawl_transfer {
	/* bytes received by this run, for the package being downloaded */
	uint64_t received;
	/* called as bytes arrive (may be NULL) */
	void (*progress)(void *ctx, uint64_t have, uint64_t total);
	void *ctx;
};
/*
 * The package into <cache>/pkgs/<file name>: resumed from a .part left by
 * an interrupted run, its size and sha256 checked against the index. path
 * gets the file. 0 or -errno with a message.
 */
int crawl_get_package(const struct crawl_ctx *c, const struct crawl_pkg *p, char *path,
		      size_t path_sz, struct crawl_transfer *t);

/* crawl_apt.c: parsers, also used by the tests through dry runs -------- */

/* The SHA256 and size a Release file gives for path ("main/binary-amd64/
 * Packages.xz"). 0 or -ENOENT. */
int apt_release_entry(const char *release, const char *path, char sha256[65], uint64_t *size);

#endif
