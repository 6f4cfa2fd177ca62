/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Internal helpers shared by every lib/ file. Not installed. */
#ifndef COOLBPF_INTERNAL_H
#define COOLBPF_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "coolbpf/coolbpf.h"
#include "banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))

/* log.c ------------------------------------------------------------- */

__printf(2, 3) void cb_print(enum coolbpf_print_level level, const char *fmt, ...);
#define pr_warn(fmt, ...) cb_print(COOLBPF_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) cb_print(COOLBPF_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) cb_print(COOLBPF_DEBUG, fmt, ##__VA_ARGS__)
/* Route libbpf's messages through cb_print (idempotent). */
void cb_libbpf_log_init(void);
/* The program / map libbpf's warnings first blamed for a failure since
 * cb_libbpf_fail_reset() ("" if none), in this thread. */
void cb_libbpf_fail_reset(void);
const char *cb_libbpf_failed_prog(void);
const char *cb_libbpf_failed_map(void);

/* Set errno and return -err: `return cb_err(-ENOENT);` */
static inline int cb_err(int err)
{
	errno = err < 0 ? -err : err;
	return err < 0 ? err : -err;
}
/* Set errno and return NULL. */
static inline void *cb_err_ptr(int err)
{
	errno = err < 0 ? -err : err;
	return NULL;
}

/* strbuf.c: a growable NUL-terminated buffer --------------------------- */

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT { NULL, 0, 0 }

/* All return 0 or -ENOMEM. */
int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, int c);
__printf(2, 3) int strbuf_addf(struct strbuf *sb, const char *fmt, ...);
void strbuf_reset(struct strbuf *sb);
/* Free the contents; sb is reusable afterwards. */
void strbuf_release(struct strbuf *sb);
/* Take ownership of the buffer (never NULL: "" when empty); sb is reset. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* The contents, never NULL. */
static inline const char *strbuf_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}
/* Cut back to len (<= sb->len), e.g. to drop a partial append on error. */
static inline void strbuf_setlen(struct strbuf *sb, size_t len)
{
	sb->len = len;
	if (sb->buf)
		sb->buf[len] = '\0';
}

/* util.c ------------------------------------------------------------ */

/* Read a whole file (NUL-terminated for convenience). 0 or -errno. */
int read_file(const char *path, void **data, size_t *len);
/* Write atomically: temp file in the same directory, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t len);
/* Finish a temp file written through fd: mode 0644, close, rename to path;
 * on error (or err != 0 on entry) unlink it. Returns 0 or -errno. */
int tmpfile_commit(int fd, const char *tmp, const char *path, int err);
/* Write all of data to fd (EINTR retried). 0 or -errno. */
int write_all(int fd, const void *data, size_t len);
/* waitpid(pid) to the end: exit status 0..255, 128+signal, or -errno. */
int wait_child(pid_t pid);
/* CLOCK_MONOTONIC in seconds. */
double mono_now(void);
/* mkdir -p with mode 0755. */
int mkdir_p(const char *path);
/* Hex SHA-256 (65 bytes with NUL). */
void sha256_hex(const void *data, size_t len, char out[65]);
/* Incremental SHA-256; sha256_ctx_* hides libcrypto from callers. */
struct sha256_ctx;
struct sha256_ctx *sha256_ctx_new(void);
void sha256_ctx_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Also frees ctx. */
void sha256_ctx_final_hex(struct sha256_ctx *ctx, char out[65]);
/* Bounded copy that always terminates; returns strlen(src). */
size_t strlcpy_cb(char *dst, const char *src, size_t size);
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* uname -r / uname -m of the running kernel (static storage). */
const char *host_kernel_release(void);
const char *host_arch(void);
/* The cache root: opts value, $COOLBPF_CACHE_DIR, $XDG_CACHE_HOME/coolbpf,
 * $HOME/.cache/coolbpf (static storage when cache_dir is NULL). */
const char *cache_root(const char *cache_dir);
/* COOLBPF_BTF_DIR/<arch>/<release>.btf into buf; -ENOENT if unset. */
int btf_archive_path(const char *release, const char *arch, char *buf, size_t sz);

/* btf_archive.c: the BTF archive <root>/<arch>/<release>.btf.gz (gzip of
 * raw BTF; a plain <release>.btf is read too) ------------------------- */

struct btf;
/* dir when given, else $COOLBPF_BTF_DIR; NULL when neither. */
const char *btf_archive_root(const char *dir);
/* <root>/<arch>/<release>.btf.gz into buf (NULL release/arch: the running
 * kernel's). -ENOENT when there is no root. */
int btf_archive_entry(const char *dir, const char *release, const char *arch, char *buf,
		      size_t sz);
/* The entry decompressed (malloc'd, NUL-terminated). path gets the file
 * read, or the .btf.gz looked for: -ENOENT when neither file exists. */
int btf_archive_read(const char *dir, const char *release, const char *arch, void **data,
		     size_t *len, char *path, size_t path_sz);
/* Validate raw BTF and store it compressed, atomically; path gets the entry. */
int btf_archive_add(const char *dir, const char *release, const char *arch, const void *data,
		    size_t len, char *path, size_t path_sz);
/* A file's contents, gunzipped when gzip-compressed. */
int btf_file_read(const char *path, void **data, size_t *len);
/* Parse raw BTF, gzip'd raw BTF or an ELF's .BTF; NULL + errno. */
struct btf *btf_load_file(const char *path);
/* An in-memory file with data (close-on-exec); "/proc/self/fd/N" into path.
 * Returns the fd or -errno. */
int btf_memfd(const void *data, size_t len, char *path, size_t sz);

/* btf_gen.c: pahole a vmlinux's DWARF into raw BTF at out. */
int btf_gen_vmlinux(const char *vmlinux, const char *out);
/* bpftool gen min_core_btf: what objs' CO-RE relocations use of full
 * (raw, ELF or .gz) into out. objs is NULL-terminated. */
int btf_min_objects(const char *full, const char *const *objs, const char *out);

/* btf_debian.c ------------------------------------------------------ */

struct btf_fetch_opts {
	const char *archive_dir; /* NULL: $COOLBPF_BTF_DIR */
	const char *cache_dir;	 /* NULL: cache_root(); debs/, btf/debian/, apt/ */
	bool keep_deb;		 /* keep the downloaded .deb */
	bool force;		 /* regenerate even when archived or cached */
	/* non-NULL: apt draws its progress on the terminal, and this is told
	 * how far a step got (total 0: unknown) */
	void (*progress)(const char *step, uint64_t done, uint64_t total, void *ctx);
	void *ctx;
};
/*
 * spec: "5.10" (bullseye), "6.1", "6.12" (bookworm), a release
 * ("6.1.0-56-amd64") or a linux-image-*-dbg package. Downloads the -dbg
 * package, generates its BTF and adds it to the archive as x86_64/<release>
 * (written to release). 0 or -errno, with a message.
 */
int btf_fetch_debian(const char *spec, const struct btf_fetch_opts *o, char *release,
		     size_t release_sz);

/*
 * Run argv (no shell) and wait. stdout/stderr of the child are captured
 * into out (may be NULL to discard), at most out_max bytes. Returns the
 * exit status (0..255), 128+signal, or -errno if it could not start.
 */
int run_argv(const char *const argv[], struct strbuf *out, size_t out_max);
/* Same, with the child's stdout on out_fd (-1: into out like stderr). */
int run_argv_fd(const char *const argv[], int out_fd, struct strbuf *out, size_t out_max);
/* Same, run in directory dir (NULL: the current one). */
int run_argv_in(const char *dir, const char *const argv[], int out_fd, struct strbuf *out,
		size_t out_max);
/* snprintf for paths: 0, or -ENAMETOOLONG when it does not fit */
__printf(3, 4) int pathf(char *buf, size_t sz, const char *fmt, ...);

#endif /* COOLBPF_INTERNAL_H */
