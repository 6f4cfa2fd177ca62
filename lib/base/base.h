/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lib/base: the C the rest of coolbpf is written in. Growable buffers, a
 * JSON writer, whole-file I/O, child processes, SHA-256, base64, gzip,
 * strings, the host's identity and clock, and the library's diagnostics.
 *
 * Nothing here knows BPF, BTF, libbpf or any coolbpf object, nothing here
 * reads the environment, and nothing here is public API: functions return
 * 0 or -errno (and set errno), or NULL with errno, and only log.c and
 * opts.c print (through the installed callback). The floors above (btf,
 * format, compile, object) and the project's programs (cli/, server/,
 * tools/, which link their own copy as libcoolbpf-base.a) build on it;
 * see docs/ARCHITECTURE.md.
 */
#ifndef COOLBPF_BASE_H
#define COOLBPF_BASE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "coolbpf/coolbpf.h"
#include "banned.h"

#define ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))

/* errors ------------------------------------------------------------ */

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

/* log.c: the library's diagnostics -------------------------------------- */

/* Hand a message to the callback of coolbpf_set_print(); a WARN is also
 * kept as this thread's coolbpf_errmsg(). */
__printf(2, 3) void cb_print(enum coolbpf_print_level level, const char *fmt, ...);
void cb_vprint(enum coolbpf_print_level level, const char *fmt, va_list ap);
/* Install the callback (coolbpf_set_print() does this, plus libbpf's). */
coolbpf_print_fn_t log_set_print(coolbpf_print_fn_t fn);
/* The last WARN of this thread, without its trailing newlines ("" if none). */
const char *log_last_error(void);
#define pr_warn(fmt, ...)  cb_print(COOLBPF_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  cb_print(COOLBPF_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) cb_print(COOLBPF_DEBUG, fmt, ##__VA_ARGS__)

/* opts.c: sized opts structs (libbpf's OPTS_VALID) ------------------------ */

/*
 * An opts struct is valid when it is NULL, or its sz covers at least the
 * sz field and every byte past the fields this library knows is zero (a
 * newer caller asking for something this version cannot do). Warns with
 * the struct's name otherwise.
 */
bool opts_valid(const void *opts, size_t known_sz, const char *type_name);
#define offsetofend(TYPE, FIELD) (offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))
/* Every opts struct names its last field: #define coolbpf_x_opts__last_field y */
#define OPTS_VALID(opts, TYPE) \
	opts_valid((opts), offsetofend(struct TYPE, TYPE##__last_field), #TYPE)
#define OPTS_HAS(opts, field)		((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/* strbuf.c: a growable NUL-terminated buffer --------------------------- */

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}

/* All return 0 or -ENOMEM. */
int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, int c);
__printf(2, 3) int strbuf_addf(struct strbuf *sb, const char *fmt, ...);
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
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
/* Decimal formatting without printf. 0 or -ENOMEM. */
int strbuf_add_uint(struct strbuf *sb, unsigned long long v);
int strbuf_add_int(struct strbuf *sb, long long v);

/* json.c: streaming JSON writer over a strbuf (after bpftool's) -------- */

/*
 * The writer tracks nesting and separators itself: callers only say
 * begin/end, key, value. Output uses ", " and ": " as separators (the
 * shapes coolbpf(1) documents), on one line. Strings are always valid UTF-8:
 * '"' and '\\' are escaped, control bytes (< 0x20 and 0x7f) become
 * \u00XX, and every byte that is not part of a valid UTF-8 sequence
 * becomes \u00XX of that byte.
 *
 * Errors are sticky: after the first failure every call is a no-op and
 * jw_error() reports it (-ENOMEM: strbuf growth failed; -E2BIG: more
 * than JW_MAX_DEPTH nested containers; -EINVAL: misuse, e.g. a value in
 * an object without a key, or an end without a begin). Values written
 * at depth 0 are appended back to back (callers add newlines).
 */
#define JW_MAX_DEPTH 64

struct jw {
	struct strbuf *sb;
	int depth;		      /* open containers */
	int err;		      /* sticky: 0, -ENOMEM, -E2BIG, -EINVAL */
	bool key_pending;	      /* a key was written, its value is next */
	unsigned long long in_object; /* bit d: container at depth d+1 is an object */
	unsigned long long has_items; /* bit d: container at depth d+1 has an item */
};

/* Appends to sb from its current end; never resets it. */
void jw_init(struct jw *w, struct strbuf *sb);
void jw_begin_object(struct jw *w);
void jw_end_object(struct jw *w);
void jw_begin_array(struct jw *w);
void jw_end_array(struct jw *w);
/* Inside an object, before each value. */
void jw_key(struct jw *w, const char *key);
void jw_string(struct jw *w, const char *s);
/* At most n bytes of s, stopping at the first NUL. */
void jw_string_len(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, long long v);
void jw_uint(struct jw *w, unsigned long long v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* An already-encoded JSON value, copied as is. */
void jw_raw(struct jw *w, const char *json);
/* 0, or the first error (-ENOMEM, -E2BIG, -EINVAL). */
int jw_error(const struct jw *w);

/* files.c ----------------------------------------------------------- */

/* Read a whole file (NUL-terminated for convenience). 0 or -errno. */
int read_file(const char *path, void **data, size_t *len);
/* The same, -EFBIG (nothing kept) when there is more than max bytes (a
 * regular file: known from its size, before reading), -EINVAL for a
 * device (/dev/zero says size 0 and never ends). */
int read_file_max(const char *path, size_t max, void **data, size_t *len);
int read_fd_max(int fd, size_t max, void **data, size_t *len);
/* Hex SHA-256 of a file read_file_max() would take (the same bounds and
 * errors), streamed: nothing of its size is held in memory. */
int sha256_file_max(const char *path, size_t max, char out[65]);
/* Write atomically: temp file in the same directory, then rename. */
int write_file_atomic(const char *path, const void *data, size_t len);
/* Finish a temp file written through fd: mode 0644, close, rename to path;
 * on error (or err != 0 on entry) unlink it. Returns 0 or -errno. */
int tmpfile_commit(int fd, const char *tmp, const char *path, int err);
/* Write all of data to fd (EINTR retried). 0 or -errno. */
int write_all(int fd, const void *data, size_t len);
/* mkdir -p with mode 0755. */
int mkdir_p(const char *path);
/* path made absolute against the current directory. */
int abs_path(const char *path, char *buf, size_t sz);
/* Remove a directory and everything under it (best effort). */
void rm_tree(const char *dir);
/* snprintf for paths: 0, or -ENAMETOOLONG when it does not fit */
__printf(3, 4) int pathf(char *buf, size_t sz, const char *fmt, ...);

/* proc.c ------------------------------------------------------------ */

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
/* waitpid(pid) to the end: exit status 0..255, 128+signal, or -errno. */
int wait_child(pid_t pid);
/*
 * The first of names found as an executable in the colon-separated
 * search path (NULL or "": /usr/local/bin:/usr/bin:/bin), then in
 * extra_dirs (NULL-terminated, may be NULL); its path into buf. -ENOENT.
 */
int find_program(const char *search_path, const char *const names[], const char *const extra_dirs[],
		 char *buf, size_t sz);

/*
 * Run argv (no shell) with stdin read from in_fd (at its current offset)
 * and collect its stdout into out; stderr is discarded. More than out_max
 * bytes of output: the child is killed and -EFBIG returned. Otherwise
 * the exit status as run_argv() gives it.
 */
int run_filter(const char *const argv[], int in_fd, struct strbuf *out, size_t out_max);

/* http.c: HTTP(S) through libcurl, dlopen'd on first use ---------------- */

/* dlopen soname (never closed) and resolve names[i] into *fns[i] for each
 * of the NULL-terminated names: 0, or -1 with why in err (and every *fns[i]
 * NULL). For the libraries only some runs need (libcurl, libjansson). */
int dl_resolve(const char *soname, const char *const names[], void **const fns[], char *err,
	       size_t err_size);

#define HTTP_BODY_MAX (256u * 1024 * 1024)

struct http_req {
	const char *url;
	/* "Name: value", NULL-terminated; may be NULL */
	const char *const *headers;
	/* POST this body when not NULL, else GET */
	const void *body;
	size_t body_len;
	/* >= 0: the body is written to this fd (a 2xx body only: an error
	 * status fails the request with -EPROTO); else kept in resp->body, at
	 * most max_body bytes (0: HTTP_BODY_MAX) */
	int out_fd;
	size_t max_body;
	/* ask for the body from this offset on (Range), to resume a download */
	uint64_t resume_from;
	/* "http,https" when NULL; "http,https,file" lets tests use local trees */
	const char *protocols;
	bool follow;		/* follow redirects (http/https only) */
	long connect_timeout_s; /* 0: 10 s */
	long timeout_s;		/* the whole transfer; 0: unbounded */
	long low_speed_s;	/* fail when under 1 KB/s for this long; 0: never */
	const char *user_agent;
	/* CA bundle (PEM) an https server's certificate is checked against;
	 * NULL: the system's */
	const char *ca_file;
	/* told how far the body got (total 0: unknown); non-zero aborts */
	int (*progress)(void *ctx, uint64_t now, uint64_t total);
	void *ctx;
};

struct http_resp {
	long status; /* 0 when nothing was answered */
	struct strbuf body;
	struct strbuf headers; /* of the last response, as received */
	uint64_t received;     /* body bytes of this transfer */
	char err[256];	       /* why the transfer failed */
};

/* NULL when libcurl can be used, else why not (dlerror's words). */
const char *http_unavailable(void);
/*
 * One request. 0 once a response came (whatever its status: look at
 * resp->status), or -errno with resp->err saying why: -ENOPKG (no
 * libcurl.so.4), -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT, -ECANCELED
 * (progress said stop), -EFBIG (over max_body), -ERANGE (resume refused),
 * -EPROTO (an error status when writing to out_fd),
 * -ENOENT (file:// missing), -EIO. resp must be released either way.
 */
int http_request(const struct http_req *req, struct http_resp *resp);
/* A response header's value (name compared case-blind). 0 or -ENOENT. */
int http_header(const struct http_resp *resp, const char *name, char *buf, size_t sz);
void http_resp_release(struct http_resp *resp);
/* base (its trailing slashes dropped) then path, appended to url. */
int http_url(const char *base, const char *path, struct strbuf *url);

/* sha256.c ---------------------------------------------------------- */

/* Hex SHA-256 (65 bytes with NUL). */
void sha256_hex(const void *data, size_t len, char out[65]);
/* Incremental SHA-256; sha256_ctx_* hides the digest library. */
struct sha256_ctx;
struct sha256_ctx *sha256_ctx_new(void);
void sha256_ctx_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Also frees ctx. */
void sha256_ctx_final_hex(struct sha256_ctx *ctx, char out[65]);

/* codec.c ----------------------------------------------------------- */

/* Append/decode standard base64 (with '=' padding). 0, -ENOMEM, -EINVAL. */
int base64_encode(struct strbuf *sb, const void *data, size_t len);
int base64_decode(const char *s, size_t len, void **out, size_t *out_sz);
bool is_gzip(const void *data, size_t len);
/* gzip (level 9) / gunzip a buffer into a malloc'd one (gunzip's output is
 * NUL-terminated). 0, -ENOMEM, -EBADMSG (not gzip or corrupt), -EIO. */
int gzip(const void *in, size_t in_len, void **out, size_t *out_len);
int gunzip(const void *in, size_t in_len, void **out, size_t *out_len);
/* The same, -EFBIG when it inflates to more than max bytes (a bomb). */
int gunzip_max(const void *in, size_t in_len, size_t max, void **out, size_t *out_len);

/* str.c ------------------------------------------------------------- */

/* Bounded copy that always terminates; returns strlen(src). */
size_t strlcpy_cb(char *dst, const char *src, size_t size);
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* "1073741824", "512M", "2G", "64k", "64KiB": bytes (K, M, G in either
 * case, then nothing, "B" or "iB"); -EINVAL when it is not a size,
 * -ERANGE when it does not fit. */
int str_to_size(const char *s, unsigned long long *out);
/* uname -r / uname -m of the running kernel (static storage). */
const char *host_kernel_release(void);
const char *host_arch(void);
/*
 * An architecture in any of its spellings ("x86_64" or "amd64", "aarch64"
 * or "arm64", ...) as uname -m says it (the BTF archive's layout), as
 * Debian names it, and as libbpf's -D__TARGET_ARCH_<x> wants it. NULL for
 * an architecture coolbpf does not know.
 */
const char *arch_uname(const char *name);
const char *arch_debian(const char *name);
const char *arch_target(const char *name);
/* CLOCK_MONOTONIC in seconds. */
double mono_now(void);
/* The effective user's home directory, from the password database. */
int home_dir(char *buf, size_t sz);

#endif /* COOLBPF_BASE_H */
