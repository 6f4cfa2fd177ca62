// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A compile, step by step: validate the options, find the tools, choose
 * the target BTF (lib/btf), key the cache, and on a miss run clang with
 * the slim header (the full one + PCH when clang rejects it), make the
 * artifact and store it. Or, with a server, hand the source to it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"

static bool define_ok(const char *d)
{
	const char *p = d;

	if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9'))
		p++;
	return *p == '\0' || *p == '=' || *p == '(';
}

static int compile_miss(const struct compile_tools *tools, const struct btf_choice *t,
			const struct btf_query *q, const char *root, const struct compile_job *job,
			const char *mkey, const char *tmpdir, struct coolbpf_compile_result *res)
{
	struct strbuf log = STRBUF_INIT, manifest = STRBUF_INIT;
	char src_dir[PATH_MAX], path[PATH_MAX], cwd[PATH_MAX], slim_dir[PATH_MAX],
		slim_pre[PATH_MAX], slim_btf[PATH_MAX];
	const char *core_btf = t->path;
	struct kernel_dir kd;
	double t_art;
	void *deps = NULL;
	size_t deps_len;
	int rc, err;

	err = kernel_dir_paths(root, t, tools, &kd);
	if (err)
		return err;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	abs_path(job->src_path, src_dir, sizeof(src_dir));
	*strrchr(src_dir, '/') = '\0';
	if (!src_dir[0])
		strlcpy_cb(src_dir, "/", sizeof(src_dir));

	/* the slim header first; the full one when clang rejects it */
	rc = 1;
	if (OPTS_GET(job->opts, full_vmlinux_h, false)) {
		pr_debug("compile: asked for the full vmlinux.h\n");
	} else if ((err = clang_slim_prepare(t, job, src_dir, tmpdir, slim_dir, sizeof(slim_dir),
					     slim_pre, sizeof(slim_pre), slim_btf,
					     sizeof(slim_btf)))) {
		pr_debug("compile: no slim vmlinux.h (%s): the full one\n", strerror(-err));
	} else {
		struct prelude pre = { { slim_dir }, "-include", slim_pre };
		double t0 = mono_now();

		rc = clang_run(tools, &pre, job, tmpdir, src_dir, &log);
		pr_debug("compile: clang with the slim vmlinux.h: %.1f ms\n",
			 (mono_now() - t0) * 1e3);
		if (rc == 0)
			core_btf = slim_btf;
		if (rc > 0 && strstr(strbuf_str(&log), "frontend command failed")) {
			/* clang crashed: the full header would only crash it again */
			pr_warn("compile: clang crashed on '%s': nothing of it was kept on disk "
				"(-fno-crash-diagnostics), its messages are in the log\n",
				job->display);
			res->log = strbuf_detach(&log, NULL);
			err = -EINVAL;
			goto out;
		}
		if (rc > 0) {
			/* a name the scan could not see (## pasting), or an error
			 * in the program: the full header tells which */
			pr_info("compile: '%s': clang rejected the slim vmlinux.h, compiling with the full one\n",
				job->display);
			pr_debug("compile: with the slim vmlinux.h: %s\n", strbuf_str(&log));
			strbuf_reset(&log);
		}
	}
	if (rc > 0) {
		struct prelude pre = { { kd.pdir, kd.kdir }, "-include-pch", kd.pch };

		err = kernel_dir_prepare(tools, t, &kd, false);
		if (!err)
			err = cache_check_dir(root, kd.kdir);
		if (!err)
			err = cache_check_dir(root, kd.pdir);
		if (err)
			goto out;
		/* used now: the last one eviction takes */
		utimensat(AT_FDCWD, kd.kdir, NULL, 0);
		rc = clang_run(tools, &pre, job, tmpdir, src_dir, &log);
		if (rc > 0 && strstr(strbuf_str(&log), "precompiled header")) {
			pr_info("compile: precompiled header is stale, rebuilding it\n");
			strbuf_reset(&log);
			err = kernel_dir_prepare(tools, t, &kd, true);
			if (err)
				goto out;
			rc = clang_run(tools, &pre, job, tmpdir, src_dir, &log);
		}
	}
	if (job->buf_dir) {
		pathf(path, sizeof(path), "%s/", job->buf_dir);
		if (log.buf)
			strip_all(log.buf, path);
	}
	res->log = strbuf_detach(&log, NULL);
	if (rc) {
		if (rc < 0)
			pr_warn("compile: cannot run '%s': %s\n", tools->clang, strerror(-rc));
		else
			pr_warn("compile: '%s' did not compile\n", job->display);
		err = rc < 0 ? rc : -EINVAL;
		goto out;
	}

	pathf(path, sizeof(path), "%s/obj.o", tmpdir);
	t_art = mono_now();
	{
		struct artifact_targets at = {
			.t = t,
			.core_btf = core_btf,
			.kernels = job->kernels,
			.query = q,
			.event_types = OPTS_GET(job->opts, event_types, NULL),
		};
		struct slim_input in;
		void *mem = NULL;

		/* the other kernels' BTF cut as the target's was, when that served */
		if (core_btf != t->path && job->kernels &&
		    compile_slim_input(job, src_dir, &in, &mem) == 0)
			at.slim = &in;
		err = artifact_build(tools, path, &at, tmpdir, &res->obj, &res->obj_sz);
		free(mem);
	}
	pr_debug("compile: min BTF and artifact: %.1f ms\n", (mono_now() - t_art) * 1e3);
	if (err)
		goto out;

	pathf(path, sizeof(path), "%s/deps.d", tmpdir);
	err = read_file_max(path, COMPILE_MANIFEST_MAX, &deps, &deps_len);
	if (!err) {
		char src_abs[PATH_MAX];

		abs_path(job->src_path, src_abs, sizeof(src_abs));
		/* the kernel dir and the slim header under tmp/ are the cache's
		 * own, covered by the key */
		err = cache_manifest_from_deps(deps, cwd, root, src_abs, &manifest);
		/* an #include of a device or of a file past the bound */
		if (err == -EINVAL || err == -EFBIG) {
			free(res->obj);
			res->obj = NULL;
			res->obj_sz = 0;
			goto out;
		}
	}
	/* an unwritable cache costs speed, not the compile */
	if (!err && !OPTS_GET(job->opts, no_cache_write, false))
		cache_store(root, mkey, strbuf_str(&manifest), res->obj, res->obj_sz, res->log,
			    OPTS_GET(job->opts, cache_max, 0));
	err = 0;
out:
	free(deps);
	strbuf_release(&log);
	strbuf_release(&manifest);
	return err ? cb_err(err) : 0;
}

/*
 * tmp/cc.<pid>.* of processes that are gone (killed before they could
 * remove it): removed, as run removes the tracefs instances of dead runs.
 * A pid reused since by a live process keeps its directory a while longer.
 */
static void sweep_tmp(const char *tmp)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(tmp);

	while (d && (de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, "cc.", 3))
			continue;
		errno = 0;
		pid = strtol(de->d_name + 3, &end, 10);
		if (errno || end == de->d_name + 3 || *end != '.' || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* alive (or not ours to signal: alive too) */
		if (pathf(path, sizeof(path), "%s/%s", tmp, de->d_name) == 0) {
			pr_debug("compile: removing '%s', left by process %ld\n", path, pid);
			rm_tree(path);
		}
	}
	if (d)
		closedir(d);
}

/* The cache root: the caller's, else ~/.cache/coolbpf, made absolute. */
static int cache_root(const struct coolbpf_compile_opts *opts, char *root, size_t sz)
{
	const char *dir = OPTS_GET(opts, cache_dir, NULL);
	char def[PATH_MAX];
	int err;

	if (!dir || !*dir) {
		err = cache_default_root(def, sizeof(def));
		if (err)
			return err;
		dir = def;
	}
	err = abs_path(dir, root, sz);
	if (err)
		pr_warn("compile: bad cache directory '%s': %s\n", dir, strerror(-err));
	return err ? err : cache_check_root(root);
}

static int check_defines(const char *const *defines)
{
	for (const char *const *d = defines; d && *d; d++) {
		if (!define_ok(*d)) {
			pr_warn("bad define '%s': NAME must be a C identifier, as in -D NAME or -D NAME=VALUE\n",
				*d);
			return cb_err(-EINVAL);
		}
	}
	return 0;
}

/*
 * The other kernels to carry (the target and repeats left out), each one
 * located now so that a missing one fails before clang runs; id gets
 * what identifies them for the cache without reading megabytes of BTF:
 * release, file, size and mtime (the running kernel's sysfs BTF: its id).
 */
static int kernels_list(const char *const *in, const struct btf_query *q0,
			const struct btf_choice *t, char ***out, struct strbuf *id)
{
	size_t n = 0, k = 0;
	char **list;
	int err = 0;

	*out = NULL;
	for (const char *const *p = in; p && *p; p++)
		n++;
	if (!n)
		return 0;
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return cb_err(-ENOMEM);
	for (size_t i = 0; !err && i < n; i++) {
		struct btf_query q = *q0;
		struct btf_choice c;
		bool dup = !strcmp(in[i], t->release);
		struct stat st;

		for (size_t j = 0; !dup && j < k; j++)
			dup = !strcmp(list[j], in[i]);
		if (dup)
			continue;
		q.release = in[i];
		q.explicit_path = NULL;
		err = btf_locate(&q, &c);
		if (!err && c.source == BTF_SRC_NONE) {
			char msg[PATH_MAX + 512];

			btf_missing_message(&c, msg, sizeof(msg));
			pr_warn("compile: cannot carry kernel %s: %s\n", in[i], msg);
			err = -ENOENT;
		}
		if (!err && stat(c.path, &st))
			err = -errno;
		if (!err)
			err = strbuf_addf(id, "%s %s %lld %lld.%09ld\n", in[i], c.path,
					  (long long)st.st_size, (long long)st.st_mtim.tv_sec,
					  st.st_mtim.tv_nsec);
		if (!err && !(list[k++] = strdup(in[i])))
			err = -ENOMEM;
	}
	if (err) {
		for (size_t i = 0; i < k; i++)
			free(list[i]);
		free(list);
		return cb_err(err);
	}
	*out = list;
	return 0;
}

static int compile_job_run(const struct compile_job *job, struct coolbpf_compile_result *res)
{
	const struct coolbpf_compile_opts *opts = job->opts;
	const char *const *incs = OPTS_GET(opts, include_dirs, NULL);
	const char *server = OPTS_GET(opts, server, NULL);
	char root[PATH_MAX], mkey[65], tmpdir[PATH_MAX], unpack[PATH_MAX];
	char **abs_incs = NULL;
	struct strbuf kernels_id = STRBUF_INIT;
	struct compile_job kjob = *job;
	struct compile_tools tools;
	struct btf_choice t = { .memfd = -1 };
	struct btf_query q;
	char **kernels = NULL;
	size_t n_incs = 0;
	double t0 = mono_now();
	int err;

	if (!OPTS_VALID(opts, coolbpf_compile_opts))
		return cb_err(-EINVAL);
	kjob.arch = arch_uname(OPTS_GET(opts, arch, NULL) ?: host_arch());
	if (!kjob.arch) {
		pr_warn("compile: unknown architecture '%s' (x86_64/amd64, aarch64/arm64, s390x, "
			"ppc64le, riscv64, loongarch64, ...)\n",
			OPTS_GET(opts, arch, NULL));
		return cb_err(-EINVAL);
	}
	job = &kjob;
	if (server && *server && OPTS_GET(opts, cflags, NULL) && OPTS_GET(opts, cflags, NULL)[0]) {
		pr_warn("compile: --cflags '%s' needs a local compile: a coolbpfd takes no clang "
			"flags (unset COOLBPF_SERVER, or drop the flags)\n",
			OPTS_GET(opts, cflags, NULL)[0]);
		return cb_err(-EINVAL);
	}
	if (server && *server)
		return remote_compile(server, job, res);
	err = check_defines(OPTS_GET(opts, defines, NULL));
	if (!err)
		err = compile_tools_find(OPTS_GET(opts, tool_path, NULL), &tools);
	if (!err)
		err = cache_root(opts, root, sizeof(root));
	if (!err)
		err = pathf(unpack, sizeof(unpack), "%s/btf", root);
	q = (struct btf_query){
		.release = OPTS_GET(opts, kernel, NULL),
		.arch = job->arch,
		.explicit_path = OPTS_GET(opts, btf_path, NULL),
		.archive_dir = OPTS_GET(opts, btf_dir, NULL),
		.unpack_dir = unpack,
	};
	if (!err)
		err = btf_choose(&q, BTF_FOR_COMPILE, &t);
	if (!err)
		err = kernels_list(OPTS_GET(opts, kernels, NULL), &q, &t, &kernels, &kernels_id);
	if (err) {
		btf_choice_release(&t);
		return cb_err(err);
	}
	job = &kjob;
	kjob.kernels = (const char *const *)kernels;

	for (const char *const *p = incs; p && *p; p++)
		n_incs++;
	abs_incs = calloc(n_incs + 1, sizeof(*abs_incs));
	if (!abs_incs) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_incs; i++) {
		char buf[PATH_MAX];

		if (abs_path(incs[i], buf, sizeof(buf)) || !(abs_incs[i] = strdup(buf))) {
			err = -ENOMEM;
			goto out;
		}
	}
	{
		struct cache_inputs in = {
			.src_name = job->key_name,
			.src = job->src,
			.src_len = job->src_len,
			.defines = OPTS_GET(opts, defines, NULL),
			.include_dirs = (const char *const *)abs_incs,
			.tools_id = tools.id,
			.btf_id = t.id,
			.release = t.release,
			.arch = t.arch,
			.kernels_id = strbuf_str(&kernels_id),
			.event_types = OPTS_GET(opts, event_types, NULL),
			.cflags = OPTS_GET(opts, cflags, NULL),
		};

		cache_manifest_key(&in, mkey);
	}
	if (!OPTS_GET(opts, no_cache, false) &&
	    (err = cache_lookup(root, mkey, &res->obj, &res->obj_sz, &res->log)) != -ENOENT) {
		if (err)
			goto out;
		res->cached = true;
		pr_info("compile: '%s' served from the cache (%.1f ms)\n", job->display,
			(mono_now() - t0) * 1e3);
		goto done;
	}

	if ((err = pathf(tmpdir, sizeof(tmpdir), "%s/tmp", root)) || (err = mkdir_p(tmpdir)) ||
	    (err = cache_check_dir(root, tmpdir)) || (sweep_tmp(tmpdir), 0) ||
	    (err = pathf(tmpdir, sizeof(tmpdir), "%s/tmp/cc.%d.XXXXXX", root, (int)getpid())) ||
	    !mkdtemp(tmpdir)) {
		err = err ? err : -errno;
		pr_warn("compile: cannot create a directory under '%s': %s\n", root,
			strerror(-err));
		goto out;
	}
	if (job->buf_dir) {
		/* compile_buf: the source lives in the private dir under its name */
		struct compile_job bj = *job;
		char src[PATH_MAX];

		err = pathf(src, sizeof(src), "%s/%s", tmpdir, job->display);
		if (!err) {
			bj.src_path = src;
			bj.buf_dir = tmpdir;
			err = write_file_atomic(src, job->src, job->src_len);
			if (!err)
				err = compile_miss(&tools, &t, &q, root, &bj, mkey, tmpdir, res);
		}
	} else {
		err = compile_miss(&tools, &t, &q, root, job, mkey, tmpdir, res);
	}
	rm_tree(tmpdir);
	if (err)
		goto out;
	pr_info("compile: '%s' compiled (%.1f ms)\n", job->display, (mono_now() - t0) * 1e3);
done:
	sha256_hex(res->obj, res->obj_sz, res->sha256);
out:
	for (size_t i = 0; abs_incs && i < n_incs; i++)
		free(abs_incs[i]);
	free(abs_incs);
	for (size_t i = 0; kernels && kernels[i]; i++)
		free(kernels[i]);
	free(kernels);
	strbuf_release(&kernels_id);
	btf_choice_release(&t);
	return err ? cb_err(err) : 0;
}

int coolbpf_compile_file(const char *path, const struct coolbpf_compile_opts *opts,
			 struct coolbpf_compile_result *res)
{
	struct compile_job job = { .opts = opts, .src_path = path, .display = path };
	char abs[PATH_MAX];
	void *src;
	size_t len;
	int err;

	if (!res)
		return cb_err(-EINVAL);
	memset(res, 0, sizeof(*res));
	if (!path || !*path)
		return cb_err(-EINVAL);
	err = read_file_max(path, COMPILE_INPUT_MAX, &src, &len);
	if (err) {
		pr_warn("cannot open '%s': %s\n", path,
			err == -EFBIG  ? "larger than a source can be (64 MiB)" :
			err == -EINVAL ? "not a regular file" :
					 strerror(-err));
		return cb_err(err);
	}
	err = abs_path(path, abs, sizeof(abs));
	if (!err) {
		job.key_name = abs;
		job.src = src;
		job.src_len = len;
		err = compile_job_run(&job, res);
	}
	free(src);
	return err ? cb_err(err) : 0;
}

int coolbpf_compile_buf(const char *name, const char *src, size_t len,
			const struct coolbpf_compile_opts *opts, struct coolbpf_compile_result *res)
{
	struct compile_job job = { .opts = opts, .src = src, .src_len = len };
	char key_name[NAME_MAX + 8];
	const char *base;

	if (!res)
		return cb_err(-EINVAL);
	memset(res, 0, sizeof(*res));
	if (!src)
		return cb_err(-EINVAL);
	base = name && *name ? strrchr(name, '/') : NULL;
	base = base ? base + 1 : (name && *name ? name : "source.bpf.c");
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) > NAME_MAX) {
		pr_warn("compile: bad source name '%s'\n", name);
		return cb_err(-EINVAL);
	}
	snprintf(key_name, sizeof(key_name), "buf:%s", base);
	job.display = base;
	job.key_name = key_name;
	/* the real private dir is made on a cache miss */
	job.buf_dir = "";
	return compile_job_run(&job, res);
}

void coolbpf_compile_result__release(struct coolbpf_compile_result *res)
{
	if (!res)
		return;
	free(res->obj);
	free(res->log);
	memset(res, 0, sizeof(*res));
}
