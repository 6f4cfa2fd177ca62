// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BTF for Debian kernels from their -dbg packages: apt-get download into
 * <cache>/debs (apt resumes a partial file and skips a complete one),
 * stream only the vmlinux out of the package's data tarball, pahole it, and
 * keep the BTF in <cache>/btf/debian/<release>.btf so the 0.5-1 GB package
 * can go. Kernels of another suite (bullseye's 5.10) come through a private
 * apt configuration under <cache>/apt/<suite>: its own sources.list, lists,
 * package cache and empty dpkg status; the system's apt setup is untouched.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define APT_LOG_MAX (64u << 10)

static const struct {
	const char *name;    /* what users type */
	const char *suite;   /* NULL: the system's apt sources */
	const char *package; /* a meta package depending on the versioned one */
} debian_kernels[] = {
	{ "5.10", "bullseye", "linux-image-amd64-dbg" },
	{ "6.1", NULL, "linux-image-amd64-dbg" },
	{ "6.12", NULL, "linux-image-6.12-amd64-dbg" },
};

struct apt_ctx {
	const char *suite;
	char dir[PATH_MAX]; /* private apt root, "" for the system's */
	char opts[6][PATH_MAX + 64];
	int n_opts;
};

/* apt-get/apt-cache with the private configuration's options, in dir */
static int apt_run(struct apt_ctx *apt, const char *tool, const char *const *args, const char *dir,
		   bool loud, struct strbuf *out)
{
	const char *argv[24];
	int n = 0;

	argv[n++] = tool;
	for (int i = 0; i < apt->n_opts; i++) {
		argv[n++] = "-o";
		argv[n++] = apt->opts[i];
	}
	while (*args && n < (int)ARRAY_SIZE(argv) - 1)
		argv[n++] = *args++;
	argv[n] = NULL;
	/* loud: apt draws its progress bar on our stdout, errors come here */
	return run_argv_in(dir, argv, loud ? 1 : -1, out, APT_LOG_MAX);
}

static int apt_setup(struct apt_ctx *apt, const char *cache, const char *suite)
{
	static const char *const subdirs[] = { "etc/sources.list.d", "etc/preferences.d",
					       "state/lists/partial", "cache/archives/partial" };
	char path[PATH_MAX], src[1024];
	struct stat st;
	int err, n;

	memset(apt, 0, sizeof(*apt));
	apt->suite = suite;
	if (!suite)
		return 0;
	if ((err = pathf(apt->dir, sizeof(apt->dir), "%s/apt/%s", cache, suite)))
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		if ((err = pathf(path, sizeof(path), "%s/%s", apt->dir, subdirs[i])) ||
		    (err = mkdir_p(path)))
			return err;
	}
	n = snprintf(src, sizeof(src),
		     "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
		     "http://deb.debian.org/debian %s main\n"
		     "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
		     "http://deb.debian.org/debian-security %s-security main\n",
		     suite, suite);
	if ((err = pathf(path, sizeof(path), "%s/etc/sources.list", apt->dir)) ||
	    (err = write_file_atomic(path, src, (size_t)n)))
		return err;
	if ((err = pathf(path, sizeof(path), "%s/state/status", apt->dir)))
		return err;
	if (stat(path, &st) && (err = write_file_atomic(path, "", 0)))
		return err;
	/* the system's apt.conf.d (proxies, keys) still applies: only where
	 * packages are listed, cached and recorded changes */
	snprintf(apt->opts[0], sizeof(apt->opts[0]), "Dir::Etc::SourceList=%s/etc/sources.list",
		 apt->dir);
	snprintf(apt->opts[1], sizeof(apt->opts[1]), "Dir::Etc::SourceParts=%s/etc/sources.list.d",
		 apt->dir);
	snprintf(apt->opts[2], sizeof(apt->opts[2]),
		 "Dir::Etc::PreferencesParts=%s/etc/preferences.d", apt->dir);
	snprintf(apt->opts[3], sizeof(apt->opts[3]), "Dir::State=%s/state", apt->dir);
	snprintf(apt->opts[4], sizeof(apt->opts[4]), "Dir::State::status=%s/state/status",
		 apt->dir);
	snprintf(apt->opts[5], sizeof(apt->opts[5]), "Dir::Cache=%s/cache", apt->dir);
	apt->n_opts = 6;
	return 0;
}

static bool apt_has_lists(const struct apt_ctx *apt)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *d;

	if (pathf(path, sizeof(path), "%s/state/lists", apt->dir) || !(d = opendir(path)))
		return false;
	while (!any && (de = readdir(d)))
		any = str_has_suffix(de->d_name, "_Packages");
	closedir(d);
	return any;
}

static int apt_update(struct apt_ctx *apt)
{
	static const char *const args[] = { "-q", "update", NULL };
	struct strbuf log = STRBUF_INIT;
	int rc;

	rc = apt_run(apt, "apt-get", args, NULL, false, &log);
	if (rc)
		pr_warn("fetch-debian: apt-get update for %s failed (exit %d):\n%s\n", apt->suite,
			rc, strbuf_str(&log));
	strbuf_release(&log);
	return rc ? cb_err(rc < 0 ? rc : -EIO) : 0;
}

/* A meta package (linux-image-amd64-dbg) names the versioned one. */
static int apt_resolve(struct apt_ctx *apt, const char *pkg, char *out, size_t sz)
{
	const char *args[] = { "depends", pkg, NULL };
	struct strbuf log = STRBUF_INIT;
	const char *p;
	int rc;

	rc = apt_run(apt, "apt-cache", args, NULL, false, &log);
	if (rc) {
		pr_warn("fetch-debian: no package '%s'%s%s (apt-cache: %s)\n", pkg,
			apt->suite ? " in " : "", apt->suite ? apt->suite : "", strbuf_str(&log));
		strbuf_release(&log);
		return cb_err(-ENOENT);
	}
	strlcpy_cb(out, pkg, sz);
	p = strstr(strbuf_str(&log), "Depends: linux-image-");
	if (p) {
		size_t n;

		p += strlen("Depends: ");
		n = strcspn(p, " \n");
		if (n < sz && n > 4 && !strncmp(p + n - 4, "-dbg", 4)) {
			memcpy(out, p, n);
			out[n] = '\0';
		}
	}
	strbuf_release(&log);
	return 0;
}

/* The package's .deb in dir, if there is one */
static bool find_deb(const char *dir, const char *pkg, char *path, size_t sz)
{
	size_t n = strlen(pkg);
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (!strncmp(de->d_name, pkg, n) && de->d_name[n] == '_' &&
		    str_has_suffix(de->d_name, ".deb"))
			found = !pathf(path, sz, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	return found;
}

static int apt_download(struct apt_ctx *apt, const char *pkg, const char *debs, bool loud,
			char *deb, size_t sz)
{
	const char *args[] = { "download", pkg, NULL };
	struct strbuf log = STRBUF_INIT;
	int rc = apt_run(apt, "apt-get", args, debs, loud, &log);

	if (rc && apt->suite) {
		/* stale lists: the mirror dropped that version */
		strbuf_reset(&log);
		if (!apt_update(apt))
			rc = apt_run(apt, "apt-get", args, debs, loud, &log);
	}
	if (rc || !find_deb(debs, pkg, deb, sz)) {
		pr_warn("fetch-debian: cannot download '%s' (apt-get exit %d):\n%s\n", pkg, rc,
			strbuf_str(&log));
		strbuf_release(&log);
		return cb_err(-EIO);
	}
	strbuf_release(&log);
	return 0;
}

/* The fetch's progress callback as pkg_extract() calls it. */
struct step_progress {
	const struct btf_fetch_opts *o;
};

static void extract_progress(void *ctx, uint64_t done, uint64_t total)
{
	const struct step_progress *p = ctx;

	p->o->progress("extracting vmlinux", done, total, p->o->ctx);
}

static int deb_extract_vmlinux(const char *deb, const char *out, const struct btf_fetch_opts *o)
{
	static const char *const want[] = { "usr/lib/debug/boot/vmlinux-*", NULL };
	struct step_progress sp = { o };
	struct pkg_progress pp = { o->progress ? extract_progress : NULL, &sp };

	return pkg_extract(deb, PKG_DEB, want, out, NULL, 0, &pp);
}

int btf_fetch_debian(const char *spec, const struct btf_fetch_opts *o, char *release,
		     size_t release_sz)
{
	const char *cache = o->cache_dir, *suite = NULL, *pkg = spec;
	char meta[256], resolved[256], debs[PATH_MAX], deb[PATH_MAX], btf[PATH_MAX],
		vmlinux[PATH_MAX], entry[PATH_MAX];
	struct apt_ctx apt;
	struct stat st;
	void *data = NULL;
	size_t len, n;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(debian_kernels); i++) {
		if (!strcmp(spec, debian_kernels[i].name)) {
			suite = debian_kernels[i].suite;
			pkg = debian_kernels[i].package;
		}
	}
	if (pkg == spec && !str_has_prefix(spec, "linux-image-")) {
		/* a release: 6.1.0-56-amd64 */
		if ((err = pathf(meta, sizeof(meta), "linux-image-%s-dbg", spec)))
			return err;
		pkg = meta;
	}
	if (pkg == spec && !str_has_suffix(spec, "-dbg")) {
		pr_warn("fetch-debian: '%s' is not a -dbg package: the BTF comes from the "
			"vmlinux in linux-image-<release>-dbg\n",
			spec);
		return cb_err(-EINVAL);
	}
	if (!suite && strstr(pkg, "-5.10."))
		suite = "bullseye";
	if ((err = apt_setup(&apt, cache, suite)))
		return err;
	if (suite && !apt_has_lists(&apt) && (err = apt_update(&apt)))
		return err; /* first use of this suite */
	if ((err = apt_resolve(&apt, pkg, resolved, sizeof(resolved))))
		return err;
	n = strlen(resolved);
	if (n <= strlen("linux-image--dbg") || !str_has_suffix(resolved, "-dbg"))
		return cb_err(-EINVAL);
	snprintf(release, release_sz, "%.*s", (int)(n - strlen("linux-image--dbg")),
		 resolved + strlen("linux-image-"));

	if (!o->force &&
	    !coolbpf_btf_archive__path(o->archive_dir, release, "x86_64", entry, sizeof(entry)))
		return 0;
	if ((err = pathf(btf, sizeof(btf), "%s/btf/debian", cache)) || (err = mkdir_p(btf)) ||
	    (err = pathf(btf, sizeof(btf), "%s/btf/debian/%s.btf", cache, release)))
		return err;
	if (o->force || stat(btf, &st)) {
		if ((err = pathf(debs, sizeof(debs), "%s/debs", cache)) || (err = mkdir_p(debs)))
			return err;
		if ((err = apt_download(&apt, resolved, debs, o->progress != NULL, deb,
					sizeof(deb))))
			return err;
		if ((err = pathf(vmlinux, sizeof(vmlinux), "%s/vmlinux-%s", debs, release)))
			return err;
		err = deb_extract_vmlinux(deb, vmlinux, o);
		if (!err) {
			if (o->progress)
				o->progress("pahole", 0, 0, o->ctx);
			err = btf_gen_vmlinux(vmlinux, btf);
		}
		unlink(vmlinux);
		if (err)
			return err;
		if (!o->keep_deb)
			unlink(deb);
	}
	if ((err = read_file(btf, &data, &len)))
		return err;
	err = coolbpf_btf_archive__add(o->archive_dir, release, "x86_64", data, len, entry,
				       sizeof(entry));
	free(data);
	return err;
}
