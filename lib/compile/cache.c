// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Content-addressed object cache, like ccache's direct mode.
 *
 *   objects/<mk[0:2]>/<mk>.manifest   files the source included, with hashes
 *   objects/<ok[0:2]>/<ok>.o          the artifact
 *   objects/<ok[0:2]>/<ok>.log        clang's warnings, when there were any
 *
 * mk (manifest key) hashes what is known before compiling: source, defines,
 * include dirs, tools, lbc.h, target BTF. ok (object key) adds the hash of
 * every included file, so editing a header misses without running the
 * preprocessor: the warm path only reads and hashes a handful of files.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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

static int hash_file(const char *path, char out[65])
{
	void *data;
	size_t len;
	int err = read_file(path, &data, &len);

	if (err)
		return err;
	sha256_hex(data, len, out);
	free(data);
	return 0;
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
		return cb_err(-EINVAL);
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
		err = hash_file(path.buf, hex);
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
		ok = hash_file(line + 65, hex) == 0 && !memcmp(hex, line, 64);
		*nl = '\n';
		if (!ok)
			return false;
		line = nl + 1;
	}
	return true;
}

int cache_lookup(const char *root, const char *mkey, void **obj, size_t *obj_sz, char **log)
{
	char path[PATH_MAX], okey[65];
	void *manifest = NULL, *text = NULL;
	size_t len;
	int err;

	*obj = NULL;
	*log = NULL;
	err = entry_path(path, sizeof(path), root, mkey, ".manifest");
	if (!err)
		err = read_file(path, &manifest, &len);
	if (err)
		return -ENOENT;
	if (strlen(manifest) != len || !manifest_matches(manifest)) {
		free(manifest);
		return -ENOENT;
	}
	cache_object_key(mkey, manifest, okey);
	free(manifest);
	if (entry_path(path, sizeof(path), root, okey, ".o") || read_file(path, obj, obj_sz))
		return -ENOENT;
	if (entry_path(path, sizeof(path), root, okey, ".log") == 0 &&
	    read_file(path, &text, &len) == 0) {
		*log = text;
	} else {
		*log = strdup("");
		if (!*log) {
			free(*obj);
			*obj = NULL;
			return cb_err(-ENOMEM);
		}
	}
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
		size_t obj_sz, const char *log)
{
	char okey[65];
	int err;

	cache_object_key(mkey, manifest, okey);
	err = store_file(root, okey, ".o", obj, obj_sz);
	if (!err && log && *log)
		err = store_file(root, okey, ".log", log, strlen(log));
	if (!err)
		err = store_file(root, mkey, ".manifest", manifest, strlen(manifest));
	if (err)
		pr_warn("compile: cannot write the cache under '%s': %s\n", root, strerror(-err));
	return err;
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
