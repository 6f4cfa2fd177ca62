// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The external programs of the compile (clang, bpftool), found once per
 * compile, and their identity for the cache key. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "compile.h"

/* realpath, size and mtime: changes when the tool is upgraded, costs no exec */
static void tool_identity(struct sha256_ctx *ctx, const char *path)
{
	char real[PATH_MAX], id[PATH_MAX + 64];
	struct stat st;
	int n;

	if (!realpath(path, real) || stat(real, &st)) {
		sha256_ctx_update(ctx, path, strlen(path) + 1);
		return;
	}
	n = snprintf(id, sizeof(id), "%s %lld %lld.%09ld", real, (long long)st.st_size,
		     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	sha256_ctx_update(ctx, id, (size_t)n + 1);
}

static const char *const clang[] = { "clang",	 "clang-19", "clang-18", "clang-17",
				     "clang-16", "clang-15", "clang-14", NULL };
static const char *const bpftool[] = { "bpftool", NULL };
/* bpftool lives in sbin, often not in a user's PATH */
static const char *const sbin[] = { "/usr/sbin", "/usr/local/sbin", "/sbin", NULL };

int compile_tools_find(const char *search_path, struct compile_tools *tools)
{
	struct sha256_ctx *ctx;

	if (find_program(search_path, clang, NULL, tools->clang, sizeof(tools->clang))) {
		pr_warn("clang not found: install clang (scripts/bootstrap) or compile on a server with --server URL\n");
		return cb_err(-ENOENT);
	}
	if (find_program(search_path, bpftool, sbin, tools->bpftool, sizeof(tools->bpftool))) {
		pr_warn("bpftool not found: install bpftool (scripts/bootstrap)\n");
		return cb_err(-ENOENT);
	}
	ctx = sha256_ctx_new();
	if (!ctx)
		return cb_err(-ENOMEM);
	tool_identity(ctx, tools->clang);
	tool_identity(ctx, tools->bpftool);
	sha256_ctx_final_hex(ctx, tools->id);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The libbpf headers lbc.h includes (<bpf/...>) live in <dir>/bpf of the
 * system include directories: each file's identity, in name order, so
 * a libbpf-dev upgrade changes the environment. */
static int headers_identity(struct sha256_ctx *ctx)
{
	static const char *const dirs[] = { "/usr/local/include/bpf", "/usr/include/bpf" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		DIR *d = opendir(dirs[i]);
		char **names = NULL, path[PATH_MAX];
		size_t n = 0, cap = 0;
		struct dirent *de;
		int err = 0;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (n == cap) {
				char **nn =
					realloc(names, (cap = cap ? cap * 2 : 32) * sizeof(*nn));

				if (!nn) {
					err = -ENOMEM;
					break;
				}
				names = nn;
			}
			if (!(names[n] = strdup(de->d_name))) {
				err = -ENOMEM;
				break;
			}
			n++;
		}
		closedir(d);
		if (!err)
			qsort(names, n, sizeof(*names), by_name);
		for (size_t k = 0; k < n; k++) {
			if (!err && !pathf(path, sizeof(path), "%s/%s", dirs[i], names[k]))
				tool_identity(ctx, path);
			free(names[k]);
		}
		free(names);
		if (err)
			return err;
	}
	return 0;
}

int coolbpf_compile_env_id(const char *tool_path, char out[65])
{
	struct compile_tools tools;
	struct sha256_ctx *ctx;
	int err;

	if (!out)
		return cb_err(-EINVAL);
	err = compile_tools_find(tool_path, &tools);
	if (err)
		return err;
	ctx = sha256_ctx_new();
	if (!ctx)
		return cb_err(-ENOMEM);
	sha256_ctx_update(ctx, COMPILE_PIPELINE_VERSION, sizeof(COMPILE_PIPELINE_VERSION));
	sha256_ctx_update(ctx, tools.id, sizeof(tools.id));
	sha256_ctx_update(ctx, cb_lbc_h, (size_t)(cb_lbc_h_end - cb_lbc_h));
	err = headers_identity(ctx);
	sha256_ctx_final_hex(ctx, out);
	return err ? cb_err(err) : 0;
}

int coolbpf_compile_tool(const char *tool_path, const char *tool, char *buf, size_t sz)
{
	struct compile_tools tools;
	const char *path;
	int err;

	if (!tool || !buf || !sz)
		return cb_err(-EINVAL);
	if (strcmp(tool, "clang") && strcmp(tool, "bpftool")) {
		pr_warn("compile: no tool '%s': clang or bpftool\n", tool);
		return cb_err(-EINVAL);
	}
	err = compile_tools_find(tool_path, &tools);
	if (err)
		return err;
	path = strcmp(tool, "clang") ? tools.bpftool : tools.clang;
	if (strlcpy_cb(buf, path, sz) >= sz)
		return cb_err(-ENAMETOOLONG);
	return 0;
}
