// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The environment, for programs' entry points to put into opts: the only
 * place libcoolbpf reads it. A library that read COOLBPF_SERVER deep in a
 * compile made every embedder (coolbpfd's sandboxed worker among them)
 * unset it first; now the environment reaches a compile only when the
 * program says so.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* $COOLBPF_CACHE_DIR, $XDG_CACHE_HOME/coolbpf, $HOME/.cache/coolbpf */
static const char *env_cache_dir(void)
{
	static char cache[PATH_MAX];
	const char *v = env("COOLBPF_CACHE_DIR");

	if (v)
		return v;
	if ((v = env("XDG_CACHE_HOME")) &&
	    (size_t)snprintf(cache, sizeof(cache), "%s/coolbpf", v) < sizeof(cache))
		return cache;
	if ((v = env("HOME")) &&
	    (size_t)snprintf(cache, sizeof(cache), "%s/.cache/coolbpf", v) < sizeof(cache))
		return cache;
	return NULL;
}

int coolbpf_compile_opts__from_env(struct coolbpf_compile_opts *opts)
{
	unsigned long long size;
	const char *max;

	if (!opts || !OPTS_VALID(opts, coolbpf_compile_opts))
		return cb_err(-EINVAL);
	if (!opts->server)
		opts->server = env("COOLBPF_SERVER");
	if (!opts->server_token)
		opts->server_token = env("COOLBPF_SERVER_TOKEN");
	if (!opts->cache_dir)
		opts->cache_dir = env_cache_dir();
	if (!opts->btf_dir)
		opts->btf_dir = env("COOLBPF_BTF_DIR");
	/* later fields only where the caller's struct has them */
	if (OPTS_HAS(opts, tool_path) && !opts->tool_path)
		opts->tool_path = env("PATH");
	if (OPTS_HAS(opts, full_vmlinux_h) && !opts->full_vmlinux_h)
		opts->full_vmlinux_h = env("COOLBPF_COMPILE_FULL") != NULL;
	if (OPTS_HAS(opts, server_ca) && !opts->server_ca)
		opts->server_ca = env("COOLBPF_SERVER_CA");
	if (OPTS_HAS(opts, cache_max) && !opts->cache_max && (max = env("COOLBPF_CACHE_MAX"))) {
		opts->cache_max = str_to_size(max, &size) ? 0 : size;
		if (!opts->cache_max) {
			pr_warn("bad COOLBPF_CACHE_MAX '%s': give the cache's size in bytes, or "
				"with K, M or G (e.g. 512M)\n",
				max);
			return cb_err(-EINVAL);
		}
	}
	return 0;
}

int coolbpf_object_opts__from_env(struct coolbpf_object_opts *opts)
{
	const char *v;

	if (!opts || !OPTS_VALID(opts, coolbpf_object_opts))
		return cb_err(-EINVAL);
	if (!opts->btf_dir)
		opts->btf_dir = env("COOLBPF_BTF_DIR");
	/* COOLBPF_NOBPF=force: bpf() through the coolbpf_nobpf module even on a
	 * kernel that has its own (docs/NOBPF.md, differential tests) */
	if ((v = env("COOLBPF_NOBPF")) && !strcmp(v, "force"))
		nobpf_force();
	/* fields of 0.3: a caller built for 0.2 has no room for them */
	if (OPTS_HAS(opts, server) && !opts->server)
		opts->server = env("COOLBPF_SERVER");
	if (OPTS_HAS(opts, server_token) && !opts->server_token)
		opts->server_token = env("COOLBPF_SERVER_TOKEN");
	if (OPTS_HAS(opts, cache_dir) && !opts->cache_dir)
		opts->cache_dir = env_cache_dir();
	return 0;
}
