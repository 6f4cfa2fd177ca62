/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libcoolbpf: compile, load, attach and decode eBPF programs written
 * against lbc.h, with nothing but the kernel half written by the user.
 *
 * Conventions (as libbpf):
 *  - int functions return 0 (or a count) on success and a negative errno
 *    on failure; they also set errno.
 *  - pointer functions return NULL on failure and set errno.
 *  - the library never prints and never exits: every diagnostic goes to
 *    the callback installed with coolbpf_set_print() (none by default),
 *    and the last warning of the calling thread is kept for
 *    coolbpf_errmsg().
 *  - extensible calls take a sized opts struct; declare it with the
 *    matching *_OPTS() macro, which zero-fills it and sets .sz.
 *  - __free/__close/__release functions accept NULL.
 */
#ifndef COOLBPF_COOLBPF_H
#define COOLBPF_COOLBPF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef COOLBPF_API
#define COOLBPF_API __attribute__((visibility("default")))
#endif

/* Declare a zero-filled opts struct with .sz set (libbpf's LIBBPF_OPTS). */
#define COOLBPF_OPTS(TYPE, NAME, ...)                                          \
	struct TYPE NAME = ({                                                  \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));               \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };       \
	})

struct btf;
struct bpf_object;
struct bpf_map;

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

enum coolbpf_print_level {
	COOLBPF_WARN,
	COOLBPF_INFO,
	COOLBPF_DEBUG,
};

typedef int (*coolbpf_print_fn_t)(enum coolbpf_print_level level,
				  const char *fmt, va_list ap);

/*
 * Install the diagnostics callback; NULL silences the library.
 * Returns the previous callback. libbpf's own messages are routed to it
 * at COOLBPF_DEBUG level (coolbpf summarises what matters as WARN).
 */
COOLBPF_API coolbpf_print_fn_t coolbpf_set_print(coolbpf_print_fn_t fn);

/* The last COOLBPF_WARN message of this thread ("" if none). */
COOLBPF_API const char *coolbpf_errmsg(void);

/* ------------------------------------------------------------------ */
/* Compile                                                             */
/* ------------------------------------------------------------------ */

struct coolbpf_compile_opts {
	size_t sz;
	/* target kernel release ("uname -r"); NULL: the running kernel */
	const char *kernel;
	/* target kernel BTF file; NULL: /sys/kernel/btf/vmlinux for the
	 * running kernel, else COOLBPF_BTF_DIR/<arch>/<kernel>.btf */
	const char *btf_path;
	/* NULL-terminated lists; defines are "NAME" or "NAME=VALUE" */
	const char *const *defines;
	const char *const *include_dirs;
	/* NULL: $COOLBPF_CACHE_DIR, $XDG_CACHE_HOME/coolbpf, ~/.cache/coolbpf */
	const char *cache_dir;
	/* compile on this coolbpfd; NULL: $COOLBPF_SERVER, else locally */
	const char *server;
	/* do not read the object cache (still writes it) */
	bool no_cache;
	size_t :0;
};
#define COOLBPF_COMPILE_OPTS(NAME, ...) COOLBPF_OPTS(coolbpf_compile_opts, NAME, __VA_ARGS__)

struct coolbpf_compile_result {
	/* CO-RE ELF object (malloc'd). When the target kernel's BTF was
	 * available it embeds the minimized BTF and the target identity,
	 * see coolbpf_artifact__min_btf(). */
	void *obj;
	size_t obj_sz;
	/* compiler diagnostics as clang printed them (malloc'd, may be "") */
	char *log;
	/* served from the cache */
	bool cached;
	/* hex sha256 of obj */
	char sha256[65];
};

/*
 * Compile a BPF C source with lbc.h and a vmlinux.h for the target
 * kernel. On compiler failure returns -EINVAL with res->log holding the
 * diagnostics. res must be released with coolbpf_compile_result__release()
 * whatever the return value.
 */
COOLBPF_API int coolbpf_compile_file(const char *path,
				     const struct coolbpf_compile_opts *opts,
				     struct coolbpf_compile_result *res);
/* Same, from memory; name is used in diagnostics (e.g. "hello.bpf.c"). */
COOLBPF_API int coolbpf_compile_buf(const char *name, const char *src,
				    size_t len,
				    const struct coolbpf_compile_opts *opts,
				    struct coolbpf_compile_result *res);
COOLBPF_API void coolbpf_compile_result__release(struct coolbpf_compile_result *res);

/*
 * The minimized BTF embedded in a compiled artifact, and the kernel it
 * was made for. Returns 0 and points into obj (no copy), or -ENOENT when
 * the object carries none.
 */
COOLBPF_API int coolbpf_artifact__min_btf(const void *obj, size_t obj_sz,
					  const void **btf, size_t *btf_sz,
					  const char **kernel_release);

/* ------------------------------------------------------------------ */
/* Object: open, load, attach                                          */
/* ------------------------------------------------------------------ */

struct coolbpf_object;
struct coolbpf_map;

struct coolbpf_object_opts {
	size_t sz;
	/* object name; default: derived from the file name */
	const char *name;
	/* BTF for CO-RE relocations, overrides every other choice */
	const char *btf_path;
	/* how to compile when opening a source; NULL: defaults */
	const struct coolbpf_compile_opts *compile;
	size_t :0;
};
#define COOLBPF_OBJECT_OPTS(NAME, ...) COOLBPF_OPTS(coolbpf_object_opts, NAME, __VA_ARGS__)

/*
 * Open a program: a "*.c" path is compiled (cache first), anything else
 * is read as an ELF object. The BTF used for CO-RE is, in this order:
 * opts->btf_path; the artifact's minimized BTF when it was made for the
 * running kernel; /sys/kernel/btf/vmlinux; COOLBPF_BTF_DIR/<arch>/<uname -r>.btf.gz
 * (or .btf). A gzip-compressed opts->btf_path is read too.
 */
COOLBPF_API struct coolbpf_object *
coolbpf_object__open_file(const char *path, const struct coolbpf_object_opts *opts);
COOLBPF_API struct coolbpf_object *
coolbpf_object__open_source(const char *src, size_t len, const struct coolbpf_object_opts *opts);
COOLBPF_API struct coolbpf_object *
coolbpf_object__open_mem(const void *obj, size_t obj_sz, const struct coolbpf_object_opts *opts);

/*
 * Load every program and create every map. Programs whose hook type the
 * kernel lacks are switched to their fallback first (kprobe <-> fentry,
 * kretprobe <-> fexit, tp_btf -> raw_tp). A verifier rejection is
 * reported as the failing instruction's source line and the verifier's
 * last lines (coolbpf_errmsg()), and returns -EINVAL.
 */
COOLBPF_API int coolbpf_object__load(struct coolbpf_object *obj);

/*
 * Mark a program optional (before load): when the kernel cannot host it
 * (no kprobe support, hook not permitted, no such function or tracepoint)
 * it is left out instead of failing load or attach, and its attach report
 * entry carries the reason (err < 0, kind "none" when left out at load).
 * A verifier rejection still fails the load. Returns 0, -ENOENT (no such
 * program) or -EBUSY (already loaded).
 */
COOLBPF_API int coolbpf_object__set_optional(struct coolbpf_object *obj, const char *prog,
					     bool optional);

/*
 * Attach every loaded program by its section. On failure of any program
 * (optional ones aside) everything attached so far is detached and a
 * negative errno returned; the per-program report says what attached
 * where and why not.
 */
COOLBPF_API int coolbpf_object__attach(struct coolbpf_object *obj);
COOLBPF_API void coolbpf_object__detach(struct coolbpf_object *obj);

struct coolbpf_attach_info {
	const char *prog;	/* program name */
	const char *section;	/* its ELF section */
	const char *kind;	/* hook used: "tracepoint", "raw_tp", "kprobe", ... */
	const char *target;	/* where: "sched:sched_process_exec", "do_sys_openat2" */
	const char *note;	/* fallback taken, or why it failed; NULL if none */
	int err;		/* 0 if attached, else -errno */
};
COOLBPF_API size_t coolbpf_object__attach_count(const struct coolbpf_object *obj);
COOLBPF_API const struct coolbpf_attach_info *
coolbpf_object__attach_info(const struct coolbpf_object *obj, size_t i);

/* Which BTF served CO-RE: "explicit <path>", "artifact", "kernel", "archive <path>",
 * or "none [<archive file looked for>]". */
COOLBPF_API const char *coolbpf_object__btf_origin(const struct coolbpf_object *obj);
COOLBPF_API struct bpf_object *coolbpf_object__bpf(const struct coolbpf_object *obj);
COOLBPF_API const char *coolbpf_object__name(const struct coolbpf_object *obj);
/* Detach, unload and free. Unpinned programs and maps leave the kernel. */
COOLBPF_API void coolbpf_object__close(struct coolbpf_object *obj);

/* ------------------------------------------------------------------ */
/* Maps                                                                */
/* ------------------------------------------------------------------ */

enum coolbpf_map_kind {
	COOLBPF_MAP_PLAIN,	/* hash, array, ...: key/value table */
	COOLBPF_MAP_RINGBUF,	/* event output: ring buffer */
	COOLBPF_MAP_PERF,	/* event output: perf event array */
	COOLBPF_MAP_HIST2,	/* LBC_HIST2: log2 histogram */
	COOLBPF_MAP_HIST10,	/* LBC_HIST10: log10 histogram */
	COOLBPF_MAP_HISTLIN,	/* LBC_HIST_LINEAR: linear histogram */
	COOLBPF_MAP_STACK,	/* stack trace map */
	COOLBPF_MAP_INTERNAL,	/* .data/.rodata/.bss/.kconfig */
};

COOLBPF_API struct coolbpf_map *coolbpf_object__map(const struct coolbpf_object *obj,
						    const char *name);
/* Iterate: prev NULL gives the first map, returns NULL after the last. */
COOLBPF_API struct coolbpf_map *coolbpf_object__next_map(const struct coolbpf_object *obj,
							 const struct coolbpf_map *prev);

COOLBPF_API const char *coolbpf_map__name(const struct coolbpf_map *map);
COOLBPF_API enum coolbpf_map_kind coolbpf_map__kind(const struct coolbpf_map *map);
COOLBPF_API int coolbpf_map__fd(const struct coolbpf_map *map);
COOLBPF_API struct bpf_map *coolbpf_map__bpf(const struct coolbpf_map *map);
COOLBPF_API __u32 coolbpf_map__key_size(const struct coolbpf_map *map);
/* Per-CPU maps: the size of one CPU's value. */
COOLBPF_API __u32 coolbpf_map__value_size(const struct coolbpf_map *map);
COOLBPF_API bool coolbpf_map__percpu(const struct coolbpf_map *map);
/* BTF type ids in coolbpf_object__btf() (0: unknown). For event maps
 * the value type is the event type declared with LBC_PERF_OUTPUT /
 * LBC_RINGBUF / LBC_EVENT_TYPE. */
COOLBPF_API __u32 coolbpf_map__key_type_id(const struct coolbpf_map *map);
COOLBPF_API __u32 coolbpf_map__value_type_id(const struct coolbpf_map *map);
/* Events lost by an event map so far: perf buffer overruns, and for ring
 * buffers the records lbc_ringbuf_reserve/lbc_ringbuf_output could not
 * place (bpf_ringbuf_reserve used directly counts nothing). */
COOLBPF_API __u64 coolbpf_map__lost(const struct coolbpf_map *map);
/* Linear histogram bucket width (LBC_HIST_LINEAR), else 0. */
COOLBPF_API __u64 coolbpf_map__hist_step(const struct coolbpf_map *map);
COOLBPF_API const struct btf *coolbpf_object__btf(const struct coolbpf_object *obj);

/* Element access. Per-CPU maps take/return value_size * nr_cpus bytes. */
COOLBPF_API int coolbpf_map__lookup(const struct coolbpf_map *map, const void *key, void *value);
COOLBPF_API int coolbpf_map__update(const struct coolbpf_map *map, const void *key,
				    const void *value, __u64 flags);
COOLBPF_API int coolbpf_map__delete(const struct coolbpf_map *map, const void *key);
/* key NULL gives the first key; -ENOENT after the last. */
COOLBPF_API int coolbpf_map__next_key(const struct coolbpf_map *map, const void *key, void *next);
/* Pin under bpffs (mounted if missing). */
COOLBPF_API int coolbpf_map__pin(struct coolbpf_map *map, const char *path);

/* ------------------------------------------------------------------ */
/* Decoding (BTF-driven)                                               */
/* ------------------------------------------------------------------ */

enum coolbpf_format {
	COOLBPF_FMT_TEXT,	/* pid=12 comm=bash flags={a=1 b=2} list=[1, 2] */
	COOLBPF_FMT_JSON,	/* {"pid":12,"comm":"bash",...} */
};

/*
 * Decode data of BTF type type_id into buf (snprintf semantics: always
 * NUL-terminated when buf_sz > 0; returns the length the full text needs,
 * or a negative errno). Decoding plans are computed once per type.
 */
COOLBPF_API int coolbpf_decode(const struct btf *btf, __u32 type_id, const void *data,
			       size_t size, enum coolbpf_format fmt, char *buf, size_t buf_sz);

/* Decode one event of an event map (its declared type; hex if unknown). */
COOLBPF_API int coolbpf_map__decode_event(struct coolbpf_map *map, const void *data,
					  size_t size, enum coolbpf_format fmt, char *buf,
					  size_t buf_sz);

/*
 * Print a whole map the way `coolbpf run` does on exit: histogram maps as
 * BCC-style histograms, stack maps symbolized, other maps as key/value
 * tables. JSON: one object per line as documented in DESIGN.md.
 */
COOLBPF_API int coolbpf_map__dump(struct coolbpf_map *map, enum coolbpf_format fmt, FILE *out);

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* Return non-zero to stop polling (coolbpf_object__poll returns it). */
typedef int (*coolbpf_event_fn)(void *ctx, struct coolbpf_map *map, const void *data,
				size_t size);
typedef void (*coolbpf_lost_fn)(void *ctx, struct coolbpf_map *map, int cpu, __u64 count);

struct coolbpf_events_opts {
	size_t sz;
	coolbpf_event_fn on_event;
	coolbpf_lost_fn on_lost;
	void *ctx;
	/* pages per CPU for perf buffers (power of two); 0: 64 */
	size_t perf_pages;
	size_t :0;
};
#define COOLBPF_EVENTS_OPTS(NAME, ...) COOLBPF_OPTS(coolbpf_events_opts, NAME, __VA_ARGS__)

/* Open every ring buffer and perf event array map of a loaded object. */
COOLBPF_API int coolbpf_object__open_events(struct coolbpf_object *obj,
					    const struct coolbpf_events_opts *opts);
/* Wait up to timeout_ms (-1: forever) and consume what is ready.
 * Returns the number of events handled, or a negative errno (-EINTR on
 * a signal), or the callback's non-zero return. */
COOLBPF_API int coolbpf_object__poll(struct coolbpf_object *obj, int timeout_ms);
/* Consume without waiting. */
COOLBPF_API int coolbpf_object__consume(struct coolbpf_object *obj);
/* A file descriptor that is readable when events or trace output are ready. */
COOLBPF_API int coolbpf_object__events_fd(const struct coolbpf_object *obj);
/* Sum of coolbpf_map__lost() over the object's event maps. */
COOLBPF_API __u64 coolbpf_object__lost_events(const struct coolbpf_object *obj);

/* bpf_printk: stream the trace_pipe lines produced by this object's
 * programs (other processes' lines are filtered out). */
typedef void (*coolbpf_trace_fn)(void *ctx, const char *line);
COOLBPF_API int coolbpf_object__open_trace(struct coolbpf_object *obj, coolbpf_trace_fn fn,
					   void *ctx);

/* ------------------------------------------------------------------ */
/* Histograms, symbols                                                 */
/* ------------------------------------------------------------------ */

enum coolbpf_hist_kind {
	COOLBPF_HIST_LOG2,
	COOLBPF_HIST_LOG10,
	COOLBPF_HIST_LINEAR,
};

/* Print slots like BCC's print_log2_hist (text) or as
 * {"map":NAME,"hist":[{"low":L,"high":H,"count":C},...]} (JSON). */
COOLBPF_API int coolbpf_hist_print(FILE *out, const char *name, const __u64 *slots,
				   unsigned int nr_slots, enum coolbpf_hist_kind kind,
				   __u64 step, const char *val_type, enum coolbpf_format fmt);
/* The same text into buf (snprintf semantics: always NUL-terminated when
 * buf_sz > 0; returns the length the whole text needs, or a negative errno). */
COOLBPF_API int coolbpf_hist_format(char *buf, size_t buf_sz, const char *name,
				    const __u64 *slots, unsigned int nr_slots,
				    enum coolbpf_hist_kind kind, __u64 step, const char *val_type,
				    enum coolbpf_format fmt);

struct coolbpf_syms;
/* Kernel symbols (kallsyms) plus, for pid > 0, that process's ELF
 * symbols through /proc/PID/maps. Loaded lazily on first resolve; the
 * kernel table is loaded once per process and shared. One object serves
 * one thread at a time. */
COOLBPF_API struct coolbpf_syms *coolbpf_syms__new(int pid);
/* "name+0xoff" (module in brackets for modules: "name+0xoff [mod]"; user
 * code: "name+0xoff (libc.so.6)", "[unknown] (/path)" without a symbol;
 * "[unknown]" when not found) into buf; returns 0 or -ENOENT, -EPERM when
 * kallsyms hides addresses, -ESRCH when the process is gone and its
 * mappings were never read. */
COOLBPF_API int coolbpf_syms__resolve(struct coolbpf_syms *syms, __u64 addr, char *buf,
				      size_t buf_sz);
COOLBPF_API void coolbpf_syms__free(struct coolbpf_syms *syms);

/* ------------------------------------------------------------------ */
/* System                                                              */
/* ------------------------------------------------------------------ */

/* Mount tracefs and bpffs when missing (needs root). */
COOLBPF_API int coolbpf_mount_fs(void);

#ifdef __cplusplus
}
#endif
#endif /* COOLBPF_COOLBPF_H */
