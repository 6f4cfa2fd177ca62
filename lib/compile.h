/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Compile pipeline internals: compile.c (driver), cache.c (object
 * cache), artifact.c (min BTF + target sections). Not installed. */
#ifndef COOLBPF_COMPILE_H
#define COOLBPF_COMPILE_H

#include <limits.h>

#include "internal.h"

/* bpf/lbc.h, embedded by lbc_embed.S (cb_lbc_h_end points at a NUL). */
extern const char cb_lbc_h[];
extern const char cb_lbc_h_end[];

/* Bumped whenever the pipeline's output changes for the same inputs. */
#define COMPILE_PIPELINE_VERSION "coolbpf-compile-3"

/* The kernel a compile targets and the BTF that describes it. */
struct compile_target {
	char release[256];
	char btf_path[PATH_MAX];
	/* hex sha256: cheap for the running kernel, content otherwise */
	char btf_id[65];
};

/* The external programs of the pipeline, resolved through $PATH. */
struct compile_tools {
	char clang[PATH_MAX];
	char bpftool[PATH_MAX];
	/* their paths, sizes and mtimes: a cache key input, no exec needed */
	char id[65];
};

/* Find the tools; -ENOENT with a message saying what to install. */
int compile_tools_find(struct compile_tools *tools);

/* Choose the target BTF (see coolbpf_compile_opts) and identify it.
 * -ENOENT with a message naming the file looked for. */
int compile_target_resolve(const char *kernel, const char *btf_path, struct compile_target *t);

/* slim.c ------------------------------------------------------------ */

struct slim_input {
	/* the program: scanned for identifiers and #includes */
	const char *src;
	size_t src_len;
	/* where its quoted includes are looked up first; may be NULL */
	const char *src_dir;
	/* then these, for quoted and <> includes alike; NULL-terminated */
	const char *const *include_dirs;
	/* more text to take identifiers from (lbc.h, -D values); NULL-terminated */
	const char *const *extra;
};

/*
 * A vmlinux.h for one program from the target BTF: the kernel types its
 * identifiers name, with the members it names (see slim.c). btf_out, when
 * not NULL, is written with the same types as raw BTF: every type a CO-RE
 * relocation of the program can match, a small input for min_core_btf.
 * n_types, when not NULL, gets the number of BTF types kept.
 */
int slim_vmlinux_h(const char *btf_path, const struct slim_input *in, struct strbuf *out,
		   const char *btf_out, size_t *n_types);

/* cache.c ----------------------------------------------------------- */

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
};

/* Hex sha256 of the inputs, the embedded lbc.h and the pipeline version:
 * names the manifest of included files. */
void cache_manifest_key(const struct cache_inputs *in, char out[65]);

/*
 * Turn clang's -MD dependency file into a manifest: one "<sha256> <path>"
 * line per included file, relative paths made absolute against cwd. Files
 * under skip_dir (the kernel directory, covered by the BTF identity) and
 * skip_file (the source itself, hashed as an input) are left out.
 */
int cache_manifest_from_deps(const char *deps, const char *cwd, const char *skip_dir,
			     const char *skip_file, struct strbuf *manifest);

/* Hex sha256 naming the object: manifest key plus every listed file's hash. */
void cache_object_key(const char *mkey, const char *manifest, char out[65]);

/*
 * Look an artifact up: read the manifest named by mkey, re-hash every file
 * it lists, and read the object if they all still match. 0 on a hit
 * (obj and log malloc'd, log may be ""), -ENOENT on a miss.
 */
int cache_lookup(const char *root, const char *mkey, void **obj, size_t *obj_sz, char **log);

/* Store an artifact, then its manifest (a manifest never names a missing
 * object). Every file is written atomically. */
int cache_store(const char *root, const char *mkey, const char *manifest, const void *obj,
		size_t obj_sz, const char *log);

/* artifact.c -------------------------------------------------------- */

/*
 * Make the artifact from clang's object obj_path: the target's BTF reduced
 * to what its CO-RE relocations use (bpftool gen min_core_btf on
 * core_btf: the slim BTF of the program, or the target's), DWARF emptied
 * and sections .lbc.minbtf and .lbc.target added, in process with libelf.
 * Scratch files go to tmpdir. The result is malloc'd.
 */
int artifact_build(const struct compile_tools *tools, const char *obj_path, const char *core_btf,
		   const struct compile_target *t, const char *tmpdir, void **out, size_t *out_sz);

/* remote.c ---------------------------------------------------------- */

/* Append/decode standard base64 (with '=' padding). 0, -ENOMEM, -EINVAL. */
int base64_encode(struct strbuf *sb, const void *data, size_t len);
int base64_decode(const char *s, size_t len, void **out, size_t *out_sz);

/*
 * Compile on the coolbpfd at server (POST /v1/compile); the result is the
 * same artifact a local compile makes. Errors are reported through the log
 * callback with how to compile locally; -EINVAL with res->log set when the
 * compiler refused the source, -ECONNREFUSED, -ETIMEDOUT, -EACCES (401),
 * -EIO (5xx), -EPROTO (malformed reply), -ENOPKG (no libcurl.so.4).
 */
int remote_compile(const char *server, const char *display, const void *src, size_t len,
		   const struct coolbpf_compile_opts *opts, struct coolbpf_compile_result *res);

#endif /* COOLBPF_COMPILE_H */
