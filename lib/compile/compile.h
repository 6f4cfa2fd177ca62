/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lib/compile: BPF C + lbc.h + a vmlinux.h for the target kernel -> a
 * CO-RE artifact, locally through clang or remotely through a coolbpfd,
 * served from a content-addressed cache when nothing changed.
 *
 *   driver.c    the public coolbpf_compile_*() and the steps of a compile
 *   tools.c     finding clang and bpftool, and their identity
 *   clang.c     clang's command line, the slim header it includes
 *   pch.c       the full vmlinux.h and its precompiled header (fallback)
 *   cache.c     the object cache (manifest of included files + object)
 *   artifact.c  the artifact: DWARF emptied, carried min BTF added
 *   remote.c    the coolbpfd client (libcurl, loaded only when used)
 *
 * Builds on lib/base and lib/btf (which BTF a compile targets).
 */
#ifndef COOLBPF_COMPILE_H
#define COOLBPF_COMPILE_H

#include <limits.h>

#include "base/base.h"
#include "btf/btf.h"

/* bpf/lbc.h, embedded by lbc_embed.S (cb_lbc_h_end points at a NUL). */
extern const char cb_lbc_h[];
extern const char cb_lbc_h_end[];

/* Bumped whenever the pipeline's output changes for the same inputs. */
#define COMPILE_PIPELINE_VERSION "coolbpf-compile-6"

#define coolbpf_compile_opts__last_field cflags

/* clang's messages kept for the caller, at most */
#define CLANG_LOG_MAX (1024 * 1024)
/* What a compile reads, at most: a source or a file it includes (the
 * cache hashes those), an artifact, a manifest. Beyond: -EFBIG. */
#define COMPILE_INPUT_MAX    (64u << 20)
#define COMPILE_OBJECT_MAX   (256u << 20)
#define COMPILE_MANIFEST_MAX (4u << 20)
/* the cache's size when the caller gives none (cache_max 0) */
#define COMPILE_CACHE_MAX_DEFAULT (1ull << 30)

/* tools.c ------------------------------------------------------------ */

/* The external programs of the pipeline. */
struct compile_tools {
	char clang[PATH_MAX];
	char bpftool[PATH_MAX];
	/* their paths, sizes and mtimes: a cache key input, no exec needed */
	char id[65];
};

/* Find the tools in search_path (NULL: the default one); -ENOENT with a
 * message saying what to install. */
int compile_tools_find(const char *search_path, struct compile_tools *tools);

/* driver.c: one compile ------------------------------------------------ */

struct compile_job {
	const struct coolbpf_compile_opts *opts;
	/* as given to clang and shown in diagnostics */
	const char *src_path;
	/* as shown in messages */
	const char *display;
	/* in the object's line info: absolute path, or "buf:<name>" */
	const char *key_name;
	const void *src;
	size_t src_len;
	/* compile_buf: the private directory holding the source, else NULL */
	const char *buf_dir;
	/* the target architecture, uname -m spelling */
	const char *arch;
	/* more kernels to carry min BTF for (NULL-terminated), or NULL */
	const char *const *kernels;
};

/* clang.c ------------------------------------------------------------ */

/* What clang sees before the program: the slim header of slim.c in a
 * directory of its own, or the kernel directory's precompiled one. */
struct prelude {
	const char *dirs[2];
	/* "-include" or "-include-pch" */
	const char *how;
	const char *path;
};

/* -D__TARGET_ARCH_<x> for arch (uname -m or Debian spelling; NULL: the
 * host's), as libbpf's bpf_tracing.h wants it. */
const char *compile_arch_define(const char *arch);
/* clang -c the job's source into <tmpdir>/obj.o (deps in deps.d); clang's
 * messages into log. Returns clang's exit status or -errno. */
int clang_run(const struct compile_tools *tools, const struct prelude *pre,
	      const struct compile_job *job, const char *tmpdir, const char *src_dir,
	      struct strbuf *log);
/* What slim.c scans for the job's program (the source, its include
 * directories, lbc.h and the -D values); *mem holds the lists, to free(). */
int compile_slim_input(const struct compile_job *job, const char *src_dir, struct slim_input *in,
		       void **mem);
/* Write <tmpdir>/slim/{vmlinux.h,vmlinux.btf,lbc.h,prelude.h} for this
 * program: dir, prelude and btf get those paths. */
int clang_slim_prepare(const struct btf_choice *t, const struct compile_job *job,
		       const char *src_dir, const char *tmpdir, char *dir, size_t dir_sz,
		       char *prelude, size_t prelude_sz, char *btf, size_t btf_sz);
/* Remove every "prefix" from s in place. */
void strip_all(char *s, const char *prefix);

/* pch.c -------------------------------------------------------------- */

struct kernel_dir {
	char kdir[PATH_MAX]; /* kernels/<btf id>: vmlinux.h */
	char pdir[PATH_MAX]; /* kdir/lbc-<key>: lbc.h, prelude.h, prelude.h.pch */
	char pch[PATH_MAX];
	const char *arch_define; /* the target's, the PCH is built with it */
};

/* vmlinux.h, then lbc.h's system includes (what the PCH holds). */
int prelude_text(struct strbuf *sb);
int kernel_dir_paths(const char *root, const struct btf_choice *t,
		     const struct compile_tools *tools, struct kernel_dir *kd);
/* Make vmlinux.h and the PCH unless they are there (stale: rebuild). */
int kernel_dir_prepare(const struct compile_tools *tools, const struct btf_choice *t,
		       const struct kernel_dir *kd, bool stale);

/* cache.c ------------------------------------------------------------ */

/* Everything but the included files that determines an artifact. */
struct cache_inputs {
	/* where the source is, as it ends up in the object's line info */
	const char *src_name;
	const void *src;
	size_t src_len;
	const char *const *defines;
	/* absolute */
	const char *const *include_dirs;
	/* tool identities: path, size, mtime */
	const char *tools_id;
	const char *btf_id;
	const char *release;
	const char *arch;
	/* the other kernels carried: releases and archive identities */
	const char *kernels_id;
	const char *const *event_types;
	const char *const *cflags;
};

/* Hex sha256 of the inputs, the embedded lbc.h and the pipeline version:
 * names the manifest of included files. */
void cache_manifest_key(const struct cache_inputs *in, char out[65]);

/*
 * Turn clang's -MD dependency file into a manifest: one "<sha256> <path>"
 * line per included file, relative paths made absolute against cwd. Files
 * under skip_dir (the kernel directory, covered by the BTF identity) and
 * skip_file (the source itself, hashed as an input) are left out.
 * An included file that is not a regular file or is larger than
 * COMPILE_INPUT_MAX is reported and gives -EINVAL or -EFBIG (the compile
 * is refused); a malformed file -EBADMSG, any other error its own.
 */
int cache_manifest_from_deps(const char *deps, const char *cwd, const char *skip_dir,
			     const char *skip_file, struct strbuf *manifest);

/* Hex sha256 naming the object: manifest key plus every listed file's hash. */
void cache_object_key(const char *mkey, const char *manifest, char out[65]);

/*
 * Look an artifact up: read the manifest named by mkey, re-hash every file
 * it lists, and read the object if they all still match and it is what
 * its .sum recorded. 0 on a hit (obj and log malloc'd, log may be ""),
 * -ENOENT on a miss. An entry that fails its check (damaged, swapped, not
 * the user's) is reported, removed, and a miss; a directory on its path
 * that is not the user's: -EPERM (cache_check_dir).
 */
int cache_lookup(const char *root, const char *mkey, void **obj, size_t *obj_sz, char **log);

/* Store an artifact, its record (.sum), then its manifest (a manifest
 * never names a missing object); every file is written atomically. Then
 * evict down to max bytes (0: COMPILE_CACHE_MAX_DEFAULT). */
int cache_store(const char *root, const char *mkey, const char *manifest, const void *obj,
		size_t obj_sz, const char *log, uint64_t max);
/* Remove the entries and kernel directories used least recently until
 * the cache holds at most max bytes (the newest always stays). */
void cache_evict(const char *root, uint64_t max);
/*
 * The cache must be the user's own, as ssh wants ~/.ssh: root (created
 * when missing) and every directory above it belong to the effective
 * user or to root and are not group- or world-writable (sticky ones above
 * it, /tmp, are fine). -EPERM (or -ENOTDIR) with a message naming the
 * path and the fix otherwise. cache_check_dir checks one directory in it.
 */
int cache_check_root(const char *root);
int cache_check_dir(const char *root, const char *dir);

/* The cache root when the caller gives none: ~/.cache/coolbpf of the
 * effective user (from the password database, not the environment). */
int cache_default_root(char *buf, size_t sz);

/* artifact.c --------------------------------------------------------- */

/* What an artifact is made for. */
struct artifact_targets {
	/* the compile target, and the BTF min_core_btf runs on for it: the
	 * program's slim BTF, or the target's whole BTF */
	const struct btf_choice *t;
	const char *core_btf;
	/* more kernels to carry min BTF for (NULL-terminated releases), found
	 * by query (its release replaced) */
	const char *const *kernels;
	const struct btf_query *query;
	/* non-NULL: cut each of those kernels' BTF to the program first */
	const struct slim_input *slim;
	/* "MAP=TYPE": event types named by the caller (NULL-terminated) */
	const char *const *event_types;
};

/*
 * Make the artifact from clang's object obj_path: each target's BTF
 * reduced to what its CO-RE relocations use (bpftool gen min_core_btf),
 * DWARF emptied and sections .lbc.minbtf, .lbc.target (and .lbc.kernels
 * for more kernels) added, in process with libelf. Scratch files go to
 * tmpdir. The result is malloc'd.
 */
int artifact_build(const struct compile_tools *tools, const char *obj_path,
		   const struct artifact_targets *at, const char *tmpdir, void **out,
		   size_t *out_sz);

/* remote.c ----------------------------------------------------------- */

/*
 * Compile the job's source on the coolbpfd at server (POST /v1/compile),
 * with the quoted includes that resolve here (the source's directory, then
 * its -I directories) inlined: the server sees only the request, at most
 * 256 KiB (-EFBIG beyond, -ELOOP for an include cycle or more than 16
 * nested / 64 headers). The result is the same artifact a local compile
 * makes. Errors are reported through the log
 * callback with how to compile locally; -EINVAL with res->log set when the
 * compiler refused the source, -ECONNREFUSED, -ETIMEDOUT, -EACCES (401),
 * -EIO (5xx), -EPROTO (malformed reply), -ENOPKG (no libcurl.so.4).
 */
int remote_compile(const char *server, const struct compile_job *job,
		   struct coolbpf_compile_result *res);

#endif /* COOLBPF_COMPILE_H */
