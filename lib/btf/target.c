// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BTF resolver: one search order for everything that needs to know
 * which BTF describes a kernel (coolbpf compile, coolbpf run, pylcc,
 * coolbpfd), one identity per BTF (the compile cache keys on it), one
 * set of messages when there is none.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "btf.h"

static const char *const src_names[] = {
	[BTF_SRC_NONE] = "none",	 [BTF_SRC_EXPLICIT] = "explicit",
	[BTF_SRC_ARTIFACT] = "artifact", [BTF_SRC_KERNEL] = "kernel",
	[BTF_SRC_ARCHIVE] = "archive",	 [BTF_SRC_REMOTE] = "remote",
};

static void set_origin(struct btf_choice *c, enum btf_source src, const char *what)
{
	c->source = src;
	snprintf(c->origin, sizeof(c->origin), "%s%s%.*s", src_names[src], what && *what ? " " : "",
		 (int)(sizeof(c->origin) - 10), what ? what : "");
}

/* The running kernel's BTF only changes with the kernel: identify it by
 * uname and size instead of hashing megabytes on every start. */
static int sysfs_id(char out[65])
{
	struct utsname u;
	struct stat st;
	char buf[512];
	int n;

	if (uname(&u) || stat(SYS_BTF, &st))
		return -errno;
	n = snprintf(buf, sizeof(buf), "sysfs\n%s\n%s\n%lld", u.release, u.version,
		     (long long)st.st_size);
	sha256_hex(buf, (size_t)n, out);
	return 0;
}

/*
 * Make data (a raw BTF read from what) usable as a file: for a compile,
 * <unpack_dir>/<sha256>.btf (kept; the compile tools run on a path), for
 * a load an in-memory file. The choice owns the memfd.
 */
static int place(struct btf_choice *c, const struct btf_query *q, enum btf_use use,
		 const void *data, size_t len)
{
	struct stat st;
	int err, fd;

	sha256_hex(data, len, c->id);
	if (use == BTF_FOR_COMPILE && q->unpack_dir && *q->unpack_dir) {
		err = mkdir_p(q->unpack_dir);
		if (!err)
			err = pathf(c->path, sizeof(c->path), "%s/%s.btf", q->unpack_dir, c->id);
		/* named by its hash: one there of another size is damaged, replaced */
		if (!err && (stat(c->path, &st) || (size_t)st.st_size != len))
			err = write_file_atomic(c->path, data, len);
		if (err)
			pr_warn("cannot unpack BTF into '%s': %s\n", q->unpack_dir, strerror(-err));
		return err;
	}
	fd = btf_memfd(data, len, c->path, sizeof(c->path));
	if (fd < 0) {
		pr_warn("cannot keep BTF in memory: %s\n", strerror(-fd));
		return fd;
	}
	c->memfd = fd;
	return 0;
}

/* BTF from a file or a server, checked before libbpf parses it. */
static int check_or_warn(const char *from, const void *data, size_t len)
{
	char why[256];
	struct btf *btf = btf_from_bytes(data, len, why, sizeof(why));
	int err = btf ? 0 : -errno;

	if (!btf)
		pr_warn("cannot use BTF '%s': not a valid BTF file (%s); replace it (coolbpf btf gen, or "
			"the kernel's own /sys/kernel/btf/vmlinux)\n",
			from, why);
	btf__free(btf);
	return err;
}

/* A file the caller named: it must be BTF (raw, gzip'd, or an ELF's .BTF). */
static bool file_is_gzip(const char *path)
{
	unsigned char m[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool gz = fd >= 0 && read(fd, m, 2) == 2 && is_gzip(m, 2);

	if (fd >= 0)
		close(fd);
	return gz;
}

static int choose_explicit(struct btf_choice *c, const struct btf_query *q, enum btf_use use)
{
	const char *path = q->explicit_path;
	struct btf *btf;
	char why[256];
	void *data;
	size_t len;
	int err = btf_file_read(path, &data, &len);

	/* read once, bounded, and checked before libbpf parses it */
	if (err) {
		pr_warn("cannot use BTF '%s': %s; give a raw BTF file, a .btf.gz or an ELF with a "
			".BTF section (e.g. from 'coolbpf btf gen')\n",
			path,
			err == -EFBIG	? "larger than BTF can be (256 MiB)" :
			err == -EINVAL	? "not a regular file" :
			err == -EBADMSG ? "not valid gzip" :
					  strerror(-err));
		return cb_err(err);
	}
	btf = btf_from_bytes(data, len, why, sizeof(why));
	if (!btf) {
		err = -errno;
		free(data);
		pr_warn("cannot use BTF '%s': not a valid BTF file (%s); give a raw BTF file, a "
			".btf.gz or an ELF with a .BTF section (e.g. from 'coolbpf btf gen')\n",
			path, why);
		return cb_err(err);
	}
	btf__free(btf);
	set_origin(c, BTF_SRC_EXPLICIT, path);
	if (!strcmp(path, SYS_BTF) && !strcmp(c->release, host_kernel_release()) &&
	    sysfs_id(c->id) == 0) {
		free(data);
		strlcpy_cb(c->path, path, sizeof(c->path));
		return 0;
	}
	if (file_is_gzip(path)) {
		err = place(c, q, use, data, len);
	} else {
		/* used in place: libbpf and bpftool read ELF and raw BTF alike */
		sha256_hex(data, len, c->id);
		err = strlcpy_cb(c->path, path, sizeof(c->path)) < sizeof(c->path) ? 0 :
										     -ENAMETOOLONG;
	}
	free(data);
	return err ? cb_err(err) : 0;
}

/* The min BTF an artifact carries, when it was made for this release. */
static bool choose_carried(struct btf_choice *c, const struct btf_query *q)
{
	struct coolbpf_artifact_kernel ks[4];
	const void *min;
	size_t min_sz;
	int n;

	if (!q->artifact)
		return false;
	if (artifact_carried_btf(q->artifact, q->artifact_sz, c->release, c->arch, &min, &min_sz)) {
		/* named in the message if nothing else serves */
		n = coolbpf_artifact__kernels(q->artifact, q->artifact_sz, ks, ARRAY_SIZE(ks));
		for (int i = 0; i < n && i < (int)ARRAY_SIZE(ks); i++) {
			size_t len = strlen(c->carried);

			snprintf(c->carried + len, sizeof(c->carried) - len, "%s%s", i ? ", " : "",
				 ks[i].release);
		}
		if (n > (int)ARRAY_SIZE(ks)) {
			size_t len = strlen(c->carried);

			snprintf(c->carried + len, sizeof(c->carried) - len, " and %d more",
				 n - (int)ARRAY_SIZE(ks));
		}
		return false;
	}
	{
		char why[256];

		/* libbpf parses it for CO-RE: a damaged one must not reach it */
		if (btf_check(min, min_sz, why, sizeof(why))) {
			pr_warn("artifact: its min BTF for %s is damaged (%s): not used\n",
				c->release, why);
			return false;
		}
	}
	if (place(c, q, BTF_FOR_LOAD, min, min_sz))
		return false;
	set_origin(c, BTF_SRC_ARTIFACT, c->release); /* which of its kernels */
	return true;
}

int btf_locate(const struct btf_query *q, struct btf_choice *c)
{
	const char *rel = q->release && *q->release ? q->release : host_kernel_release();
	const char *arch = q->arch && *q->arch ? q->arch : host_arch();

	/* the archive is laid out by uname -m: aarch64, not Debian's arm64 */
	if (arch_uname(arch))
		arch = arch_uname(arch);

	memset(c, 0, sizeof(*c));
	c->memfd = -1;
	if (strlcpy_cb(c->release, rel, sizeof(c->release)) >= sizeof(c->release) ||
	    strlcpy_cb(c->arch, arch, sizeof(c->arch)) >= sizeof(c->arch)) {
		pr_warn("kernel release '%s' or arch '%s' is too long\n", rel, arch);
		return cb_err(-ENAMETOOLONG);
	}
	if (q->explicit_path && *q->explicit_path) {
		if (strlcpy_cb(c->path, q->explicit_path, sizeof(c->path)) >= sizeof(c->path))
			return cb_err(-ENAMETOOLONG);
		set_origin(c, BTF_SRC_EXPLICIT, c->path);
		return 0;
	}
	if (!strcmp(rel, host_kernel_release()) && !strcmp(arch, host_arch()) &&
	    access(SYS_BTF, R_OK) == 0) {
		strlcpy_cb(c->path, SYS_BTF, sizeof(c->path));
		set_origin(c, BTF_SRC_KERNEL, NULL);
		return 0;
	}
	if (q->archive_dir && *q->archive_dir) {
		int err = coolbpf_btf_archive__path(q->archive_dir, c->release, c->arch, c->path,
						    sizeof(c->path));

		if (!err) {
			set_origin(c, BTF_SRC_ARCHIVE, c->path);
			return 0;
		}
		if (err != -ENOENT)
			return err;
		strlcpy_cb(c->looked_for, c->path, sizeof(c->looked_for));
		c->path[0] = '\0';
	}
	/* what a server gave an earlier load, kept in the caller's cache */
	if (q->server && *q->server && q->fetch_dir && *q->fetch_dir &&
	    coolbpf_btf_archive__path(q->fetch_dir, c->release, c->arch, c->path,
				      sizeof(c->path)) == 0) {
		set_origin(c, BTF_SRC_REMOTE, c->path);
		return 0;
	}
	c->path[0] = '\0';
	set_origin(c, BTF_SRC_NONE, c->looked_for);
	return 0;
}

/* The last step of a load: ask the server, keep what it gives. */
static int choose_remote(struct btf_choice *c, const struct btf_query *q)
{
	char entry[PATH_MAX] = "";
	void *data;
	size_t len;
	int err = btf_remote_fetch(q, c, &data, &len);

	if (err)
		return err;
	err = check_or_warn(c->remote, data, len);
	if (err) {
		free(data);
		return err;
	}
	if (q->fetch_dir && *q->fetch_dir &&
	    coolbpf_btf_archive__add(q->fetch_dir, c->release, c->arch, data, len, entry,
				     sizeof(entry)))
		entry[0] = '\0'; /* not kept: used from memory this once */
	err = place(c, q, BTF_FOR_LOAD, data, len);
	free(data);
	if (err)
		return err;
	set_origin(c, BTF_SRC_REMOTE, c->remote);
	if (entry[0]) {
		size_t n = strlen(c->origin);

		snprintf(c->origin + n, sizeof(c->origin) - n, " (kept in %s)", entry);
	}
	pr_info("BTF for kernel %s: fetched from %s%s%s\n", c->release, c->remote,
		entry[0] ? ", kept in " : "", entry);
	return 0;
}

static int read_archive(struct btf_choice *c, const struct btf_query *q, enum btf_use use)
{
	void *data;
	size_t len;
	int err = btf_file_read(c->path, &data, &len);

	if (err) {
		pr_warn("cannot read BTF '%s': %s\n", c->path, strerror(-err));
		return cb_err(err);
	}
	err = check_or_warn(c->path, data, len);
	if (!err)
		err = place(c, q, use, data, len);
	free(data);
	return err ? cb_err(err) : 0;
}

int btf_choose(const struct btf_query *q, enum btf_use use, struct btf_choice *c)
{
	char msg[PATH_MAX + 512];
	int err = btf_locate(q, c);

	if (err)
		return err;
	switch (c->source) {
	case BTF_SRC_EXPLICIT:
		return choose_explicit(c, q, use);
	default:
		break;
	}
	if (use == BTF_FOR_LOAD && choose_carried(c, q))
		return 0;
	switch (c->source) {
	case BTF_SRC_KERNEL:
		err = sysfs_id(c->id);
		return err ? cb_err(err) : 0;
	case BTF_SRC_ARCHIVE:
	case BTF_SRC_REMOTE: /* kept from an earlier fetch */
		return read_archive(c, q, use);
	default:
		break;
	}
	c->for_load = use == BTF_FOR_LOAD;
	if (use == BTF_FOR_LOAD && q->server && *q->server && choose_remote(c, q) == 0)
		return 0;
	if (use == BTF_FOR_LOAD)
		return 0;
	btf_missing_message(c, msg, sizeof(msg));
	pr_warn("%s\n", msg);
	return cb_err(-ENOENT);
}

void btf_missing_message(const struct btf_choice *c, char *buf, size_t sz)
{
	bool running = !strcmp(c->release, host_kernel_release());
	size_t n;

	n = (size_t)snprintf(buf, sz, "no BTF for kernel %s: %s", c->release,
			     running ? SYS_BTF " is missing and " : "");
	if (c->carried[0] && n < sz)
		n += (size_t)snprintf(buf + n, sz - n, "the object carries min BTF for %s only, ",
				      c->carried);
	if (n < sz && !c->looked_for[0])
		n += (size_t)snprintf(buf + n, sz - n, "COOLBPF_BTF_DIR is not set");
	else if (n < sz)
		n += (size_t)snprintf(buf + n, sz - n, "the archive has no '%s'", c->looked_for);
	if (n < sz && c->for_load)
		n += (size_t)snprintf(buf + n, sz - n, "%s%s", c->remote[0] ? "; " : "",
				      c->remote[0] ? c->remote :
						     "; and no server is set to fetch it from "
						     "(COOLBPF_SERVER or --server)");
	if (n < sz)
		snprintf(
			buf + n, sz - n, "%s",
			c->looked_for[0] ?
				" (add it with 'coolbpf btf crawl' or 'coolbpf btf archive add', or "
				"pass --btf FILE)" :
				"; pass --btf FILE or set COOLBPF_BTF_DIR to a BTF archive");
}

void btf_choice_release(struct btf_choice *c)
{
	if (!c)
		return;
	if (c->memfd >= 0)
		close(c->memfd);
	c->memfd = -1;
}

#define coolbpf_btf_opts__last_field btf_dir

static int public_query(const struct coolbpf_btf_opts *opts, struct btf_query *q)
{
	if (!OPTS_VALID(opts, coolbpf_btf_opts))
		return cb_err(-EINVAL);
	memset(q, 0, sizeof(*q));
	q->release = OPTS_GET(opts, kernel, NULL);
	q->arch = OPTS_GET(opts, arch, NULL);
	q->explicit_path = OPTS_GET(opts, btf_path, NULL);
	q->archive_dir = OPTS_GET(opts, btf_dir, NULL);
	return 0;
}

static void public_info(const struct btf_choice *c, struct coolbpf_btf_info *info)
{
	if (!info)
		return;
	info->source = src_names[c->source];
	strlcpy_cb(info->path, c->source == BTF_SRC_NONE ? c->looked_for : c->path,
		   sizeof(info->path));
	strlcpy_cb(info->release, c->release, sizeof(info->release));
	strlcpy_cb(info->arch, c->arch, sizeof(info->arch));
}

int coolbpf_btf__locate(const struct coolbpf_btf_opts *opts, struct coolbpf_btf_info *info)
{
	struct btf_query q;
	struct btf_choice c;
	int err;

	if (!info)
		return cb_err(-EINVAL);
	err = public_query(opts, &q);
	if (!err)
		err = btf_locate(&q, &c);
	if (err)
		return err;
	public_info(&c, info);
	return 0;
}

int coolbpf_btf__read(const struct coolbpf_btf_opts *opts, void **data, size_t *sz,
		      struct coolbpf_btf_info *info)
{
	struct btf_query q;
	struct btf_choice c;
	char msg[PATH_MAX + 512];
	int err;

	if (!data || !sz)
		return cb_err(-EINVAL);
	err = public_query(opts, &q);
	if (!err)
		err = btf_locate(&q, &c);
	if (err)
		return err;
	public_info(&c, info);
	if (c.source == BTF_SRC_NONE) {
		btf_missing_message(&c, msg, sizeof(msg));
		pr_warn("%s\n", msg);
		return cb_err(-ENOENT);
	}
	if (c.source == BTF_SRC_EXPLICIT) {
		struct btf *btf = btf_load_file(c.path);
		const void *raw;
		__u32 raw_sz;

		if (!btf) {
			err = -errno;
			pr_warn("cannot use BTF '%s': %s\n", c.path,
				err == -ENOENT ? "No such file or directory" :
						 "not a valid BTF file");
			return cb_err(err);
		}
		raw = btf__raw_data(btf, &raw_sz);
		*data = raw ? malloc(raw_sz) : NULL;
		if (*data)
			memcpy(*data, raw, raw_sz);
		*sz = raw_sz;
		btf__free(btf);
		return *data ? 0 : cb_err(-ENOMEM);
	}
	err = btf_file_read(c.path, data, sz);
	if (err)
		pr_warn("cannot read BTF '%s': %s\n", c.path, strerror(-err));
	return err ? cb_err(err) : 0;
}
