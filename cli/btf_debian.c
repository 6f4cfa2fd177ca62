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
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

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

/* Spawn argv with stdout on out_fd (stderr inherited); the pid or -errno. */
static pid_t spawn(const char *const argv[], int out_fd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return err ? cb_err(-err) : pid;
}

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

static uint64_t octal(const char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
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

/*
 * Read the tar stream on fd up to ./usr/lib/debug/boot/vmlinux-* and write
 * that file to out_fd; stop there (the rest of the 1 GB stream is not read).
 */
static int tar_extract_vmlinux(int fd, int out_fd, const struct btf_fetch_opts *o)
{
	static const char want[] = "usr/lib/debug/boot/vmlinux-";
	char hdr[512], longname[PATH_MAX] = "", buf[1 << 16];
	uint64_t skipped = 0;

	for (;;) {
		char name[PATH_MAX];
		const char *nm;
		uint64_t size, left;
		int err = read_full(fd, hdr, sizeof(hdr));

		if (err)
			return err;
		if (!hdr[0])
			return cb_err(-ENOENT); /* end of archive */
		size = octal(hdr + 124, 12);
		if (longname[0]) {
			strlcpy_cb(name, longname, sizeof(name));
			longname[0] = '\0';
		} else if (!memcmp(hdr + 257, "ustar", 5) && hdr[345]) {
			snprintf(name, sizeof(name), "%.155s/%.100s", hdr + 345, hdr);
		} else {
			snprintf(name, sizeof(name), "%.100s", hdr);
		}
		nm = name;
		if (nm[0] == '.' && nm[1] == '/')
			nm += 2;
		left = (size + 511) & ~(uint64_t)511;
		if (hdr[156] == 'L' && size < sizeof(longname)) {
			/* GNU long name: the next block(s) hold the name */
			if ((err = read_full(fd, longname, (size_t)left)))
				return err;
			longname[size] = '\0';
			continue;
		}
		if ((hdr[156] == '0' || hdr[156] == '\0') && str_has_prefix(nm, want)) {
			uint64_t done = 0;

			while (left) {
				size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

				if ((err = read_full(fd, buf, n)))
					return err;
				if (done < size &&
				    (err = write_all(out_fd, buf,
						     size - done < n ? (size_t)(size - done) : n)))
					return err;
				done += n;
				left -= n;
				if (o->progress)
					o->progress("extracting vmlinux", done < size ? done : size,
						    size, o->ctx);
			}
			return 0;
		}
		while (left) {
			size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

			if ((err = read_full(fd, buf, n)))
				return err;
			left -= n;
			skipped += n;
			if (o->progress)
				o->progress("looking for vmlinux", skipped, 0, o->ctx);
		}
	}
}

static int deb_extract_vmlinux(const char *deb, const char *out, const struct btf_fetch_opts *o)
{
	const char *argv[] = { "dpkg-deb", "--fsys-tarfile", deb, NULL };
	int pipefd[2], out_fd, err, rc;
	pid_t pid;

	out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC)) {
		err = -errno;
		close(out_fd);
		return err;
	}
	pid = spawn(argv, pipefd[1]);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		close(out_fd);
		return (int)pid;
	}
	err = tar_extract_vmlinux(pipefd[0], out_fd, o);
	close(pipefd[0]);
	/* done early on purpose: the rest of the stream is of no interest */
	kill(pid, SIGTERM);
	rc = wait_child(pid);
	if (close(out_fd) && !err)
		err = -errno;
	if (err == -ENOENT)
		pr_warn("fetch-debian: '%s' has no usr/lib/debug/boot/vmlinux-*\n", deb);
	else if (err)
		pr_warn("fetch-debian: cannot extract vmlinux from '%s': %s (dpkg-deb exit %d)\n",
			deb, strerror(-err), rc);
	if (err)
		unlink(out);
	return err ? cb_err(err) : 0;
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
