// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a worker's root filesystem holds, found once at startup: the
 * programs a compile runs (clang and bpftool, as the library finds them),
 * the shared libraries they load (the dynamic loader's own list, through
 * ldd), clang's installation (its resource directory with stddef.h and
 * friends lives there), the system headers and the loader's cache. A
 * worker binds exactly these, read-only, at the same paths (jail.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/base.h"
#include "sandbox.h"

static bool listed(const struct sandbox_fs *fs, const char *path)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (!strcmp(fs->paths[i], path))
			return true;
	}
	return false;
}

static int fs_add(struct sandbox_fs *fs, const char *path)
{
	char **np;
	struct stat st;

	if (stat(path, &st) || listed(fs, path))
		return 0; /* absent on this system: nothing to bind */
	if (fs->n == fs->cap) {
		np = realloc(fs->paths, (fs->cap = fs->cap ? fs->cap * 2 : 32) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		fs->paths = np;
	}
	fs->paths[fs->n] = strdup(path);
	if (!fs->paths[fs->n])
		return -ENOMEM;
	fs->n++;
	return 0;
}

/* Every library path ldd prints: "name => /path (0x...)" and the
 * loader's "/path (0x...)". */
static int add_libraries(struct sandbox_fs *fs, const char *prog, char *err, size_t err_sz)
{
	const char *argv[] = { "ldd", prog, NULL };
	struct strbuf out = STRBUF_INIT;
	int rc = run_argv_fd(argv, -1, &out, 1 << 20), ret = 0;
	char *line, *save = NULL;

	if (rc && !strstr(strbuf_str(&out), "not a dynamic executable")) {
		snprintf(err, err_sz, "cannot list the libraries of '%s' with ldd: %s", prog,
			 rc < 0 ? strerror(-rc) : strbuf_str(&out));
		strbuf_release(&out);
		return -ENOENT;
	}
	for (line = strtok_r(out.buf ? out.buf : (char *)"", "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "=> "), *end;

		p = p ? p + 3 : line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '/') {
			if (strstr(line, "not found")) {
				snprintf(err, err_sz, "'%s' needs a library that is missing: %s",
					 prog, line);
				ret = -ENOENT;
			}
			continue;
		}
		end = strstr(p, " (");
		if (end)
			*end = '\0';
		ret = fs_add(fs, p);
	}
	strbuf_release(&out);
	return ret;
}

/* clang's resource directory (<root>/lib/clang/<version>), and the
 * installation it belongs to: <root>, or the directory alone. */
static int add_clang_install(struct sandbox_fs *fs, const char *clang, char *err, size_t err_sz)
{
	const char *argv[] = { clang, "-print-resource-dir", NULL };
	struct strbuf out = STRBUF_INIT;
	int rc = run_argv_fd(argv, -1, &out, 64 * 1024);
	char *dir = out.buf, *cut;

	if (rc || !dir || dir[0] != '/') {
		snprintf(err, err_sz, "'%s -print-resource-dir' failed: %s", clang,
			 strbuf_str(&out));
		strbuf_release(&out);
		return -ENOENT;
	}
	dir[strcspn(dir, "\n")] = '\0';
	cut = strstr(dir, "/lib/clang/");
	if (cut && !strchr(cut + strlen("/lib/clang/"), '/') && cut != dir)
		*cut = '\0';
	rc = fs_add(fs, dir);
	strbuf_release(&out);
	return rc;
}

int sandbox_fs_discover(const char *tool_path, const char *const *extra, struct sandbox_fs *fs,
			char *err, size_t err_sz)
{
	/* directories first: a file under one of them is bound with it */
	static const char *const system[] = { "/usr/include", "/usr/local/include" };
	char clang[PATH_MAX], bpftool[PATH_MAX];
	int rc;

	memset(fs, 0, sizeof(*fs));
	rc = coolbpf_compile_tool(tool_path, "clang", clang, sizeof(clang));
	if (!rc)
		rc = coolbpf_compile_tool(tool_path, "bpftool", bpftool, sizeof(bpftool));
	if (rc) {
		snprintf(err, err_sz, "%s", coolbpf_errmsg());
		return rc;
	}
	rc = add_clang_install(fs, clang, err, err_sz);
	for (size_t i = 0; !rc && i < ARRAY_SIZE(system); i++)
		rc = fs_add(fs, system[i]);
	for (const char *const *e = extra; !rc && e && *e; e++)
		rc = fs_add(fs, *e);
	if (!rc)
		rc = fs_add(fs, clang);
	if (!rc)
		rc = fs_add(fs, bpftool);
	if (!rc)
		rc = add_libraries(fs, clang, err, err_sz);
	if (!rc)
		rc = add_libraries(fs, bpftool, err, err_sz);
	if (!rc)
		rc = fs_add(fs, "/etc/ld.so.cache");
	if (rc == -ENOMEM)
		snprintf(err, err_sz, "out of memory");
	if (rc)
		sandbox_fs_release(fs);
	return rc;
}

void sandbox_fs_release(struct sandbox_fs *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->paths[i]);
	free(fs->paths);
	memset(fs, 0, sizeof(*fs));
}
