// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Content-addressed object cache, like ccache's direct mode.
 *
 *   objects/<mk[0:2]>/<mk>.manifest   files the source included, with hashes
 *   objects/<ok[0:2]>/<ok>.o          the artifact
 *   objects/<ok[0:2]>/<ok>.log        clang's warnings, when there were any
 *   objects/<ok[0:2]>/<ok>.sum        what the entry must be: its inputs (ok),
 *                                     the sha256 and size of .o and .log
 *
 * mk (manifest key) hashes what is known before compiling: source, defines,
 * include dirs, tools, lbc.h, target BTF. ok (object key) adds the hash of
 * every included file, so editing a header misses without running the
 * preprocessor: the warm path only reads and hashes a handful of files.
 *
 * Nothing read back is trusted: an entry is used only when its bytes hash
 * to what its .sum recorded for these inputs (else it is reported, removed
 * and compiled again), and only from a cache that is the user's own (the
 * check ssh makes of ~/.ssh, cache_check_root). The cache is kept under
 * a size (cache_max) by removing the entries used least recently: a hit
 * touches the .sum, the kernel directories are touched when used.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"

static void hash_field(struct sha256_ctx *ctx, const char *name, const void *data, size_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %zu:", name, len);

	/* length-prefixed, so no two field lists hash alike */
	sha256_ctx_update(ctx, hdr, (size_t)n);
	sha256_ctx_update(ctx, data, len);
}

static void hash_str(struct sha256_ctx *ctx, const char *name, const char *s)
{
	hash_field(ctx, name, s ? s : "", s ? strlen(s) : 0);
}

void cache_manifest_key(const struct cache_inputs *in, char out[65])
{
	struct sha256_ctx *ctx = sha256_ctx_new();

	if (!ctx) {
		out[0] = '\0';
		return;
	}
	hash_str(ctx, "pipeline", COMPILE_PIPELINE_VERSION);
	hash_field(ctx, "lbc.h", cb_lbc_h, (size_t)(cb_lbc_h_end - cb_lbc_h));
	hash_str(ctx, "tools", in->tools_id);
	hash_str(ctx, "btf", in->btf_id);
	hash_str(ctx, "release", in->release);
	hash_str(ctx, "arch", in->arch);
	hash_str(ctx, "kernels", in->kernels_id);
	hash_str(ctx, "name", in->src_name);
	hash_field(ctx, "src", in->src, in->src_len);
	for (const char *const *d = in->defines; d && *d; d++)
		hash_str(ctx, "D", *d);
	for (const char *const *i = in->include_dirs; i && *i; i++)
		hash_str(ctx, "I", *i);
	for (const char *const *e = in->event_types; e && *e; e++)
		hash_str(ctx, "E", *e);
	for (const char *const *c = in->cflags; c && *c; c++)
		hash_str(ctx, "C", *c);
	sha256_ctx_final_hex(ctx, out);
}

void cache_object_key(const char *mkey, const char *manifest, char out[65])
{
	struct sha256_ctx *ctx = sha256_ctx_new();

	if (!ctx) {
		out[0] = '\0';
		return;
	}
	hash_str(ctx, "manifest-key", mkey);
	hash_str(ctx, "manifest", manifest);
	sha256_ctx_final_hex(ctx, out);
}

/* Next file name of a make rule's prerequisites ("\ " escapes a space,
 * "$$" a dollar, backslash-newline continues the line). */
static const char *deps_next(const char *p, struct strbuf *name)
{
	strbuf_reset(name);
	for (;;) {
		if (*p == '\\' && p[1] == '\n')
			p += 2;
		else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		else
			break;
	}
	while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
		if (*p == '\\' && (p[1] == ' ' || p[1] == '#')) {
			p++;
		} else if (*p == '\\' && p[1] == '\n') {
			break;
		} else if (*p == '$' && p[1] == '$') {
			p++;
		}
		if (strbuf_addch(name, *p++))
			return NULL;
	}
	return p;
}

int cache_manifest_from_deps(const char *deps, const char *cwd, const char *skip_dir,
			     const char *skip_file, struct strbuf *manifest)
{
	struct strbuf name = STRBUF_INIT, path = STRBUF_INIT;
	size_t skip_len = skip_dir ? strlen(skip_dir) : 0;
	const char *p = strchr(deps, ':');
	int err = 0;

	/* the rule's target is before the first ':' (we pass -MT with a plain name) */
	if (!p) {
		pr_warn("compile: malformed dependency file from clang\n");
		return cb_err(-EBADMSG);
	}
	p++;
	while ((p = deps_next(p, &name)) && name.len) {
		char hex[65];

		strbuf_reset(&path);
		if (name.buf[0] != '/' && (strbuf_addstr(&path, cwd) || strbuf_addch(&path, '/'))) {
			err = -ENOMEM;
			break;
		}
		if (strbuf_addstr(&path, name.buf)) {
			err = -ENOMEM;
			break;
		}
		if (skip_file && !strcmp(path.buf, skip_file))
			continue;
		if (skip_len && !strncmp(path.buf, skip_dir, skip_len) && path.buf[skip_len] == '/')
			continue;
		if (strchr(path.buf, '\n'))
			continue; /* cannot be listed; such a file never matches again */
		err = sha256_file_max(path.buf, COMPILE_INPUT_MAX, hex);
		if (err == -EINVAL || err == -EFBIG) {
			pr_warn("compile: '%s' includes '%s': %s (an #include must be a regular file "
				"of at most %u MiB)\n",
				skip_file ? skip_file : "the source", path.buf,
				err == -EINVAL ? "not a regular file" : "too large",
				COMPILE_INPUT_MAX >> 20);
			break;
		}
		if (err) {
			pr_warn("compile: cannot hash dependency '%s': %s\n", path.buf,
				strerror(-err));
			break;
		}
		if (strbuf_addf(manifest, "%s %s\n", hex, path.buf)) {
			err = -ENOMEM;
			break;
		}
	}
	if (!p)
		err = -ENOMEM;
	strbuf_release(&name);
	strbuf_release(&path);
	return err ? cb_err(err) : 0;
}

static int entry_path(char *buf, size_t sz, const char *root, const char *key, const char *ext)
{
	if (snprintf(buf, sz, "%s/objects/%.2s/%s%s", root, key, key, ext) >= (int)sz)
		return cb_err(-ENAMETOOLONG);
	return 0;
}

/* Every file the manifest lists still has the hash it had. */
static bool manifest_matches(char *text)
{
	char *line = text;

	while (*line) {
		char *nl = strchr(line, '\n'), hex[65];
		bool ok;

		if (!nl || nl - line < 66 || line[64] != ' ')
			return false;
		*nl = '\0';
		ok = sha256_file_max(line + 65, COMPILE_INPUT_MAX, hex) == 0 &&
		     !memcmp(hex, line, 64);
		*nl = '\n';
		if (!ok)
			return false;
		line = nl + 1;
	}
	return true;
}

static bool read_only_fs(const char *path)
{
	struct statvfs vfs;

	return !statvfs(path, &vfs) && (vfs.f_flag & ST_RDONLY);
}

/* Why st, of path, cannot be trusted, or NULL: not the user's or root's,
 * or writable by others (a sticky directory, /tmp, is fine as a parent:
 * nobody else can rename or remove what is ours in it). */
static const char *untrusted(const struct stat *st, bool parent, bool read_only, char *why,
			     size_t sz)
{
	uid_t me = geteuid();

	/* on a read-only mount nobody can plant anything there (coolbpfd's
	 * sandboxed worker reads its per-kernel headers so, made by another
	 * uid) */
	if (read_only)
		return NULL;
	if (st->st_uid != me && st->st_uid != 0) {
		snprintf(why, sz, "it belongs to uid %u, not to you (uid %u) or root",
			 (unsigned)st->st_uid, (unsigned)me);
		return why;
	}
	if ((st->st_mode & 022) && !(parent && (st->st_mode & S_ISVTX))) {
		snprintf(why, sz, "it is writable by %s (mode %04o)",
			 (st->st_mode & 002) ? "everyone" : "its group",
			 (unsigned)(st->st_mode & 07777));
		return why;
	}
	return NULL;
}

static int refuse_dir(const char *root, const char *path, const char *why)
{
	if (!strcmp(root, path))
		pr_warn("compile: refusing the cache directory '%s': %s, so what it holds could "
			"be someone else's programs; fix: use a directory of your own "
			"(COOLBPF_CACHE_DIR), or 'chown -R %u %s && chmod -R go-w %s'\n",
			root, why, (unsigned)geteuid(), root, root);
	else
		pr_warn("compile: refusing the cache directory '%s': '%s' on its path: %s; fix: "
			"'chmod go-w %s' (or chown it), or use another directory "
			"(COOLBPF_CACHE_DIR)\n",
			root, path, why, path);
	return cb_err(-EPERM);
}

int cache_check_dir(const char *root, const char *dir)
{
	struct stat st;
	char why[128];

	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		pr_warn("compile: refusing the cache directory '%s': '%s' is not a directory; fix: "
			"remove it\n",
			root, dir);
		return cb_err(-ENOTDIR);
	}
	if (untrusted(&st, false, read_only_fs(dir), why, sizeof(why)))
		return refuse_dir(root, dir, why);
	return 0;
}

int cache_check_root(const char *root)
{
	char real[PATH_MAX], why[128];
	int err = mkdir_p(root);

	if (err) {
		pr_warn("compile: cannot create the cache directory '%s': %s\n", root,
			strerror(-err));
		return cb_err(err);
	}
	if (!realpath(root, real)) {
		err = -errno;
		pr_warn("compile: bad cache directory '%s': %s\n", root, strerror(-err));
		return cb_err(err);
	}
	err = cache_check_dir(root, real);
	/* and every directory above it: one of them writable by others lets
	 * them swap the cache for theirs */
	for (char *slash = strrchr(real, '/'); !err && slash; slash = strrchr(real, '/')) {
		struct stat st;

		*slash = '\0';
		if (stat(real[0] ? real : "/", &st)) {
			err = -errno;
			break;
		}
		if (untrusted(&st, true, read_only_fs(real[0] ? real : "/"), why, sizeof(why)))
			err = refuse_dir(root, real[0] ? real : "/", why);
	}
	return err ? cb_err(err) : 0;
}

/*
 * Read an entry's file: a regular file of the user's or root's, not
 * writable by others, at most max bytes. -ENOENT when it is not there (a
 * concurrent eviction: a miss), -EBADMSG with why said otherwise.
 */
static int read_entry(const char *path, size_t max, void **data, size_t *len, char *why,
		      size_t why_sz)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), err;
	struct statvfs vfs;
	struct stat st;

	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			return err;
		snprintf(why, why_sz, "cannot open it: %s", strerror(-err));
		return -EBADMSG;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, why_sz, "not a regular file");
		close(fd);
		return -EBADMSG;
	}
	if (untrusted(&st, false, !fstatvfs(fd, &vfs) && (vfs.f_flag & ST_RDONLY), why, why_sz)) {
		close(fd);
		return -EBADMSG;
	}
	err = read_fd_max(fd, max, data, len);
	close(fd);
	if (err) {
		snprintf(why, why_sz, "cannot read it: %s", strerror(-err));
		return -EBADMSG;
	}
	return 0;
}

/* "<what> <sha256> <size>\n" of data */
static int sum_line(struct strbuf *sb, const char *what, const void *data, size_t len)
{
	char hex[65];

	sha256_hex(data, len, hex);
	return strbuf_addf(sb, "%s %s %zu\n", what, hex, len);
}

/* The line of sum for what ("object", "log"), or NULL. */
static const char *sum_find(const char *sum, const char *what)
{
	size_t n = strlen(what);

	for (const char *l = sum; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, what, n) && l[n] == ' ')
			return l;
	return NULL;
}

/* data is what sum recorded for what. */
static bool sum_matches(const char *sum, const char *what, const void *data, size_t len)
{
	struct strbuf want = STRBUF_INIT;
	const char *l = sum_find(sum, what);
	bool ok = l && sum_line(&want, what, data, len) == 0 && !strncmp(l, want.buf, want.len);

	strbuf_release(&want);
	return ok;
}

static void remove_entry(const char *root, const char *mkey, const char *okey)
{
	static const char *const exts[] = { ".o", ".log", ".sum" };
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (entry_path(path, sizeof(path), root, okey, exts[i]) == 0)
			unlink(path);
	if (mkey && entry_path(path, sizeof(path), root, mkey, ".manifest") == 0)
		unlink(path);
}

/* The entry okey, checked against its .sum: 0, -ENOENT (not there), or
 * -EBADMSG with why said. */
static int entry_read(const char *root, const char *okey, void **obj, size_t *obj_sz, char **log,
		      char *why, size_t why_sz)
{
	char path[PATH_MAX];
	void *sum = NULL, *text = NULL;
	size_t len;
	int err;

	*obj = NULL;
	*log = NULL;
	if (entry_path(path, sizeof(path), root, okey, ".sum"))
		return -ENOENT;
	err = read_entry(path, 4096, &sum, &len, why, why_sz);
	if (err)
		return err;
	if (strncmp(sum, "coolbpf-cache-entry 1\ninputs ", 29) ||
	    strncmp((char *)sum + 29, okey, 64)) {
		snprintf(why, why_sz, "its record '%s' is another entry's", path);
		err = -EBADMSG;
		goto out;
	}
	err = entry_path(path, sizeof(path), root, okey, ".o");
	if (err)
		goto out;
	err = read_entry(path, COMPILE_OBJECT_MAX, obj, obj_sz, why, why_sz);
	if (!err && !sum_matches(sum, "object", *obj, *obj_sz)) {
		snprintf(why, why_sz, "its size or sha256 is not the one its record has");
		err = -EBADMSG;
	}
	if (!err && sum_find(sum, "log")) {
		if (entry_path(path, sizeof(path), root, okey, ".log") == 0)
			err = read_entry(path, CLANG_LOG_MAX, &text, &len, why, why_sz);
		if (!err && !sum_matches(sum, "log", text, len)) {
			snprintf(why, why_sz, "its log '%s' is not the one its record has", path);
			err = -EBADMSG;
		}
	}
	if (!err && !text && !(text = strdup("")))
		err = -ENOMEM;
	if (!err) {
		*log = text;
		text = NULL;
	} else {
		free(*obj);
		*obj = NULL;
	}
out:
	free(text);
	free(sum);
	return err;
}

/* objects/ and objects/<key[0:2]>/ are trusted directories, or absent */
static int entry_dirs_check(const char *root, const char *key)
{
	char dir[PATH_MAX];
	int err;

	if (pathf(dir, sizeof(dir), "%s/objects", root))
		return -ENOENT;
	err = cache_check_dir(root, dir);
	if (!err && pathf(dir, sizeof(dir), "%s/objects/%.2s", root, key) == 0)
		err = cache_check_dir(root, dir);
	return err;
}

int cache_lookup(const char *root, const char *mkey, void **obj, size_t *obj_sz, char **log)
{
	char path[PATH_MAX], okey[65], why[PATH_MAX + 128];
	void *manifest = NULL;
	size_t len;
	int err;

	*obj = NULL;
	*log = NULL;
	err = entry_dirs_check(root, mkey);
	if (err)
		return err == -ENOENT ? err : cb_err(err);
	err = entry_path(path, sizeof(path), root, mkey, ".manifest");
	if (!err)
		err = read_entry(path, COMPILE_MANIFEST_MAX, &manifest, &len, why, sizeof(why));
	if (err == -EBADMSG) {
		pr_warn("compile: cache entry '%s' is bad (%s): removed, compiling again\n", path,
			why);
		unlink(path);
	}
	if (err)
		return -ENOENT;
	if (strlen(manifest) != len || !manifest_matches(manifest)) {
		free(manifest);
		return -ENOENT;
	}
	cache_object_key(mkey, manifest, okey);
	free(manifest);
	err = entry_dirs_check(root, okey);
	if (err)
		return err == -ENOENT ? err : cb_err(err);
	err = entry_read(root, okey, obj, obj_sz, log, why, sizeof(why));
	if (err == -ENOMEM)
		return cb_err(err);
	if (err == -EBADMSG) {
		entry_path(path, sizeof(path), root, okey, ".o");
		pr_warn("compile: cache entry '%s' is bad (%s): removed, compiling again\n", path,
			why);
		remove_entry(root, mkey, okey);
	}
	if (err)
		return -ENOENT;
	/* the least recently used go first when the cache is full */
	if (entry_path(path, sizeof(path), root, okey, ".sum") == 0)
		utimensat(AT_FDCWD, path, NULL, 0);
	if (entry_path(path, sizeof(path), root, mkey, ".manifest") == 0)
		utimensat(AT_FDCWD, path, NULL, 0);
	return 0;
}

static int store_file(const char *root, const char *key, const char *ext, const void *data,
		      size_t len)
{
	char path[PATH_MAX];
	int err = entry_path(path, sizeof(path), root, key, ext);

	if (err)
		return err;
	*strrchr(path, '/') = '\0';
	err = mkdir_p(path);
	if (err)
		return err;
	path[strlen(path)] = '/';
	return write_file_atomic(path, data, len);
}

int cache_store(const char *root, const char *mkey, const char *manifest, const void *obj,
		size_t obj_sz, const char *log, uint64_t max)
{
	struct strbuf sum = STRBUF_INIT;
	char okey[65];
	int err;

	cache_object_key(mkey, manifest, okey);
	err = strbuf_addf(&sum, "coolbpf-cache-entry 1\ninputs %s\n", okey);
	if (!err)
		err = sum_line(&sum, "object", obj, obj_sz);
	if (!err && log && *log)
		err = sum_line(&sum, "log", log, strlen(log));
	if (!err)
		err = store_file(root, okey, ".o", obj, obj_sz);
	if (!err && log && *log)
		err = store_file(root, okey, ".log", log, strlen(log));
	/* the record after what it records, the manifest last: a manifest
	 * never names an entry not yet complete */
	if (!err)
		err = store_file(root, okey, ".sum", sum.buf, sum.len);
	if (!err)
		err = store_file(root, mkey, ".manifest", manifest, strlen(manifest));
	strbuf_release(&sum);
	if (err)
		pr_warn("compile: cannot write the cache under '%s': %s\n", root, strerror(-err));
	else
		cache_evict(root, max ? max : COMPILE_CACHE_MAX_DEFAULT);
	return err;
}

/* eviction ------------------------------------------------------------ */

/* One thing eviction removes whole: an entry (its .o, .log, .sum), a
 * manifest, or a kernel directory. */
struct unit {
	char path[PATH_MAX]; /* the .sum, the .manifest, the directory */
	struct timespec used;
	uint64_t size;
	bool dir;
};

struct units {
	struct unit *v;
	size_t n, cap;
	uint64_t total;
};

static int units_add(struct units *u, const char *path, const struct stat *st, uint64_t size,
		     bool dir)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		struct unit *v = realloc(u->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		u->v = v;
		u->cap = cap;
	}
	strlcpy_cb(u->v[u->n].path, path, sizeof(u->v[u->n].path));
	u->v[u->n].used = st->st_mtim;
	u->v[u->n].size = size;
	u->v[u->n].dir = dir;
	u->n++;
	u->total += size;
	return 0;
}

static uint64_t tree_size(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t sz = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		if (pathf(path, sizeof(path), "%s/%s", dir, de->d_name) || lstat(path, &st))
			continue;
		sz += S_ISDIR(st.st_mode) ? tree_size(path) : (uint64_t)st.st_blocks * 512;
	}
	closedir(d);
	return sz;
}

/* The entries of objects/<xx>/: each .sum with its .o and .log, each
 * .manifest alone. */
static int units_of_objects(struct units *u, const char *dir)
{
	char path[PATH_MAX], other[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return 0;
	while (!err && (de = readdir(d))) {
		bool sum = str_has_suffix(de->d_name, ".sum");
		struct stat st, o;
		uint64_t size;

		if (!sum && !str_has_suffix(de->d_name, ".manifest"))
			continue;
		if (pathf(path, sizeof(path), "%s/%s", dir, de->d_name) || stat(path, &st))
			continue;
		size = (uint64_t)st.st_blocks * 512;
		for (int i = 0; sum && i < 2; i++) {
			size_t n = strlen(path) - 4;

			snprintf(other, sizeof(other), "%.*s%s", (int)n, path, i ? ".log" : ".o");
			if (stat(other, &o) == 0)
				size += (uint64_t)o.st_blocks * 512;
		}
		err = units_add(u, path, &st, size, false);
	}
	closedir(d);
	return err;
}

static int units_under(struct units *u, const char *root, const char *sub, bool whole)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (pathf(dir, sizeof(dir), "%s/%s", root, sub) || !(d = opendir(dir)))
		return 0;
	while (!err && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (pathf(path, sizeof(path), "%s/%s", dir, de->d_name) || lstat(path, &st) ||
		    !S_ISDIR(st.st_mode))
			continue;
		err = whole ? units_add(u, path, &st, tree_size(path), true) :
			      units_of_objects(u, path);
	}
	closedir(d);
	return err;
}

static int unit_older(const void *a, const void *b)
{
	const struct timespec *x = &((const struct unit *)a)->used,
			      *y = &((const struct unit *)b)->used;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

static void unit_remove(const struct unit *un)
{
	char other[PATH_MAX];

	if (un->dir) {
		rm_tree(un->path);
		return;
	}
	strlcpy_cb(other, un->path, sizeof(other));
	*strrchr(other, '/') = '\0';
	if (str_has_suffix(un->path, ".sum")) {
		size_t n = strlen(un->path) - 4;

		/* the record last: a .o without one is never used */
		snprintf(other, sizeof(other), "%.*s.o", (int)n, un->path);
		unlink(other);
		snprintf(other, sizeof(other), "%.*s.log", (int)n, un->path);
		unlink(other);
		strlcpy_cb(other, un->path, sizeof(other));
		*strrchr(other, '/') = '\0';
	}
	unlink(un->path);
	rmdir(other); /* objects/<xx>/, when that was its last entry */
}

void cache_evict(const char *root, uint64_t max)
{
	struct units u = { 0 };
	time_t now = time(NULL);
	size_t removed = 0;
	uint64_t freed = 0;

	if (units_under(&u, root, "objects", false) || units_under(&u, root, "kernels", true))
		goto out;
	if (u.total <= max)
		goto out;
	qsort(u.v, u.n, sizeof(*u.v), unit_older);
	/* the newest (what was just stored) stays, and so does a kernel
	 * directory used in the last minute: a compile may be reading it */
	for (size_t i = 0; i + 1 < u.n && u.total > max; i++) {
		if (u.v[i].dir && u.v[i].used.tv_sec > now - 60)
			continue;
		unit_remove(&u.v[i]);
		u.total -= u.v[i].size;
		freed += u.v[i].size;
		removed++;
	}
	pr_info("compile: cache over %llu bytes: removed the %zu least recently used entries "
		"(%llu bytes)\n",
		(unsigned long long)max, removed, (unsigned long long)freed);
out:
	free(u.v);
}

int cache_default_root(char *buf, size_t sz)
{
	char home[PATH_MAX];
	int err = home_dir(home, sizeof(home));

	if (err) {
		pr_warn("compile: no home directory for uid %u: give a cache directory "
			"(COOLBPF_CACHE_DIR)\n",
			(unsigned)geteuid());
		return err;
	}
	return pathf(buf, sz, "%s/.cache/coolbpf", home);
}
