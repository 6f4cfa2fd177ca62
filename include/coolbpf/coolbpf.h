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
#define COOLBPF_OPTS(TYPE, NAME, ...)                                    \
	struct TYPE NAME = ({                                            \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));         \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ }; \
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

typedef int (*coolbpf_print_fn_t)(enum coolbpf_print_level level, const char *fmt, va_list ap);

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
	/* target kernel BTF file (raw, .btf.gz or ELF); NULL: see btf_dir */
	const char *btf_path;
	/* NULL-terminated lists; defines are "NAME" or "NAME=VALUE" */
	const char *const *defines;
	const char *const *include_dirs;
	/* object cache; NULL: ~/.cache/coolbpf of the effective user */
	const char *cache_dir;
	/* compile on this coolbpfd (http[s]://host:port); NULL: locally */
	const char *server;
	/* do not read the object cache (still writes it) */
	bool no_cache;
	/* BTF archive root (<dir>/<arch>/<release>.btf.gz) for kernels other
	 * than the running one, or when it has no /sys/kernel/btf/vmlinux */
	const char *btf_dir;
	/* bearer token for the server */
	const char *server_token;
	/* colon-separated directories where clang and bpftool are looked up;
	 * NULL: /usr/local/bin:/usr/bin:/bin (bpftool: and sbin) */
	const char *tool_path;
	/* do not write the object cache */
	bool no_cache_write;
	/* compile against the kernel's full vmlinux.h (and its precompiled
	 * header), not one cut down to the program */
	bool full_vmlinux_h;
	/* the target kernel's architecture in any spelling ("aarch64" as
	 * uname -m says it, or "arm64"; NULL: the host's): its BTF is looked
	 * up under <btf_dir>/<uname -m>/ and the program is compiled with its
	 * -D__TARGET_ARCH_ */
	const char *arch;
	/* CA bundle (PEM) that an https:// server's certificate is checked
	 * against; NULL: the system's */
	const char *server_ca;
	/* more kernels (releases, NULL-terminated) whose min BTF the artifact
	 * carries too, each from btf_dir (or the running kernel's); a load
	 * picks the one it runs on. Their BTF must be there: -ENOENT names the
	 * file looked for. Local compiles only */
	const char *const *kernels;
	/* the object cache's size in bytes: over it, the entries used least
	 * recently are removed; 0: 1 GiB (COOLBPF_CACHE_MAX) */
	__u64 cache_max;
	/* "MAP=TYPE" (NULL-terminated): the event type of output map MAP
	 * ("struct event", or a typedef), where the program names none with
	 * LBC_EVENT_TYPE and the calls that write the map do not tell which of
	 * its types it is. Also read by coolbpf_object__open_*() through
	 * coolbpf_object_opts.compile, for an object built elsewhere with
	 * DWARF (-g) */
	const char *const *event_types;
	/* more clang flags (NULL-terminated: "-mcpu=v3"), after coolbpf's
	 * own; part of the cache key. Local compiles only: -EINVAL with a
	 * server */
	const char *const *cflags;
	size_t : 0;
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
 * kernel, whose BTF is chosen as coolbpf_btf__locate() says. On compiler
 * failure returns -EINVAL with res->log holding the diagnostics. res must
 * be released with coolbpf_compile_result__release() whatever the return
 * value. The library reads no environment variable: see
 * coolbpf_compile_opts__from_env().
 */
COOLBPF_API int coolbpf_compile_file(const char *path, const struct coolbpf_compile_opts *opts,
				     struct coolbpf_compile_result *res);
/* Same, from memory; name is used in diagnostics (e.g. "hello.bpf.c"). */
COOLBPF_API int coolbpf_compile_buf(const char *name, const char *src, size_t len,
				    const struct coolbpf_compile_opts *opts,
				    struct coolbpf_compile_result *res);
COOLBPF_API void coolbpf_compile_result__release(struct coolbpf_compile_result *res);

/*
 * Fill the fields of opts that the caller left NULL from the environment,
 * for programs to call at their entry (the library itself never reads the
 * environment): server from $COOLBPF_SERVER, server_token from
 * $COOLBPF_SERVER_TOKEN, cache_dir from $COOLBPF_CACHE_DIR (else
 * $XDG_CACHE_HOME/coolbpf, else $HOME/.cache/coolbpf), btf_dir from
 * $COOLBPF_BTF_DIR, tool_path from
 * $PATH, full_vmlinux_h from $COOLBPF_COMPILE_FULL, server_ca from
 * $COOLBPF_SERVER_CA, cache_max from $COOLBPF_CACHE_MAX (bytes, or with a
 * K, M or G suffix). Strings point into the environment or static
 * storage. Returns 0, or -EINVAL (bad opts, or a COOLBPF_CACHE_MAX that
 * is not a size: said through the print callback).
 */
COOLBPF_API int coolbpf_compile_opts__from_env(struct coolbpf_compile_opts *opts);

/*
 * The identity of the compile environment as hex sha256 into out: the
 * compile pipeline's version, clang and bpftool (found in tool_path, NULL:
 * the default), the embedded lbc.h and the libbpf headers it includes
 * (every file of /usr/local/include/bpf and /usr/include/bpf: path, size,
 * modification time, no read). Two compiles of the same input in the same
 * environment give the same artifact; a server keys its answers on it,
 * so an upgrade of clang, bpftool or libbpf is a miss. 0 or -ENOENT (a
 * tool is missing).
 */
COOLBPF_API int coolbpf_compile_env_id(const char *tool_path, char out[65]);

/*
 * The program a compile runs as tool ("clang" or "bpftool"), looked up in
 * tool_path (NULL: the default) as coolbpf_compile_file() does, into buf:
 * for a server that confines the compile to the files it needs. 0,
 * -ENOENT (not found, with a message saying what to install), -EINVAL
 * (another tool), -ENAMETOOLONG.
 */
COOLBPF_API int coolbpf_compile_tool(const char *tool_path, const char *tool, char *buf, size_t sz);

/*
 * The minimized BTF embedded in a compiled artifact, and the kernel it
 * was made for. Returns 0 and points into obj (no copy), or -ENOENT when
 * the object carries none.
 */
COOLBPF_API int coolbpf_artifact__min_btf(const void *obj, size_t obj_sz, const void **btf,
					  size_t *btf_sz, const char **kernel_release);

/* One kernel an artifact carries min BTF for. */
struct coolbpf_artifact_kernel {
	const char *release; /* uname -r */
	const char *arch;    /* uname -m; "" in artifacts of coolbpf 0.2 (the host's) */
	const void *btf;     /* its min BTF, inside the artifact */
	size_t btf_sz;
	/* the same bytes as an earlier kernel's min BTF, stored once */
	bool shared;
	/* what this kernel adds to the artifact: its table entry and names,
	 * and its min BTF unless shared */
	size_t added;
};

/*
 * The kernels an artifact carries min BTF for, the compile target first,
 * the others (coolbpf_compile_opts.kernels) after it; a load picks the one
 * whose release is uname -r. Fills at most n entries of out (pointing into
 * obj) and returns how many there are (0: none), or -EINVAL (malformed).
 */
COOLBPF_API int coolbpf_artifact__kernels(const void *obj, size_t obj_sz,
					  struct coolbpf_artifact_kernel *out, size_t n);

/* ------------------------------------------------------------------ */
/* BTF: which describes a kernel, and the archive that keeps it         */
/* ------------------------------------------------------------------ */

#define COOLBPF_PATH_MAX 4096

struct coolbpf_btf_opts {
	size_t sz;
	/* kernel release; NULL: the running kernel */
	const char *kernel;
	/* its architecture as uname -m says it; NULL: the host's */
	const char *arch;
	/* a BTF file chosen by the caller (raw, .btf.gz or ELF with .BTF) */
	const char *btf_path;
	/* the archive root: <btf_dir>/<arch>/<release>.btf.gz (or .btf) */
	const char *btf_dir;
	size_t : 0;
};
#define COOLBPF_BTF_OPTS(NAME, ...) COOLBPF_OPTS(coolbpf_btf_opts, NAME, __VA_ARGS__)

struct coolbpf_btf_info {
	/* "explicit", "kernel", "archive" or "none" */
	const char *source;
	/* the file: btf_path, /sys/kernel/btf/vmlinux, or the archive entry
	 * (maybe gzip'd); for "none" the archive file looked for, or "" */
	char path[COOLBPF_PATH_MAX];
	char release[256];
	char arch[64];
};

/*
 * Which BTF describes a kernel, in the one order compile, run, pylcc and
 * coolbpfd all use: opts->btf_path; /sys/kernel/btf/vmlinux when the
 * kernel is the running one; the archive entry .btf.gz, then .btf. (A
 * load first takes the min BTF an artifact carries for the kernel.)
 * Reads nothing but directory entries. Returns 0 with info->source
 * "none" when there is none, or -errno (bad opts, name too long).
 */
COOLBPF_API int coolbpf_btf__locate(const struct coolbpf_btf_opts *opts,
				    struct coolbpf_btf_info *info);
/*
 * The same, read: raw BTF (gunzipped, or the .BTF of an ELF as is) in a
 * malloc'd buffer. -ENOENT with a message naming what was looked for and
 * the fix when there is none; -EINVAL when the file is not BTF.
 */
COOLBPF_API int coolbpf_btf__read(const struct coolbpf_btf_opts *opts, void **data, size_t *sz,
				  struct coolbpf_btf_info *info);
/*
 * The archive's entry for release/arch (NULL: the host's) into buf: the
 * .btf.gz, or a plain .btf. -ENOENT when it has neither (buf: the .btf.gz
 * looked for).
 */
COOLBPF_API int coolbpf_btf_archive__path(const char *dir, const char *release, const char *arch,
					  char *buf, size_t sz);
/*
 * Store raw BTF (validated) as the archive entry for release/arch (NULL:
 * the host's), gzip'd and written atomically; path (may be NULL) gets
 * the entry's file name.
 */
COOLBPF_API int coolbpf_btf_archive__add(const char *dir, const char *release, const char *arch,
					 const void *data, size_t sz, char *path, size_t path_sz);

/* ------------------------------------------------------------------ */
/* Object: open, load, attach                                          */
/* ------------------------------------------------------------------ */

struct coolbpf_object;
struct coolbpf_map;

struct coolbpf_object_opts {
	size_t sz;
	/* object name; default: derived from the file name */
	const char *name;
	/* BTF for CO-RE relocations, overrides every other choice; also the
	 * compile's target BTF when a source is opened (unless compile->btf_path) */
	const char *btf_path;
	/* how to compile when opening a source; NULL: defaults */
	const struct coolbpf_compile_opts *compile;
	/* BTF archive root, for a kernel without /sys/kernel/btf/vmlinux */
	const char *btf_dir;
	/* last resort for the BTF: a coolbpfd (http[s]://host:port) asked for
	 * GET /v1/btf/<arch>/<release> when neither the kernel, the artifact
	 * nor the archive has it, and its bearer token; NULL: compile->server
	 * and compile->server_token. The answer must hash to the sha256 the
	 * server sends; coolbpf_object__btf_origin() says "remote <url>" */
	const char *server;
	const char *server_token;
	/* where fetched BTF is kept, <cache_dir>/btf-remote/<arch>/<release>
	 * .btf.gz (read before asking again); NULL: compile->cache_dir, else
	 * ~/.cache/coolbpf of the effective user */
	const char *cache_dir;
	size_t : 0;
};
#define COOLBPF_OBJECT_OPTS(NAME, ...) COOLBPF_OPTS(coolbpf_object_opts, NAME, __VA_ARGS__)
/* btf_dir, server, server_token and cache_dir from $COOLBPF_BTF_DIR,
 * $COOLBPF_SERVER, $COOLBPF_SERVER_TOKEN and $COOLBPF_CACHE_DIR (as
 * coolbpf_compile_opts__from_env() does) where NULL. */
COOLBPF_API int coolbpf_object_opts__from_env(struct coolbpf_object_opts *opts);

/*
 * Open a program: a "*.c" path is compiled (cache first), anything else
 * is read as an ELF object. The BTF used for CO-RE is chosen by the
 * resolver of coolbpf_btf__locate(), with one more step before the
 * running kernel's: the min BTF the artifact carries for this kernel.
 */
COOLBPF_API struct coolbpf_object *
coolbpf_object__open_file(const char *path, const struct coolbpf_object_opts *opts);
COOLBPF_API struct coolbpf_object *
coolbpf_object__open_source(const char *src, size_t len, const struct coolbpf_object_opts *opts);
COOLBPF_API struct coolbpf_object *coolbpf_object__open_mem(const void *obj, size_t obj_sz,
							    const struct coolbpf_object_opts *opts);

/*
 * Load every program and create every map. Programs whose hook type the
 * kernel lacks are switched to their fallback first (kprobe <-> fentry,
 * kretprobe <-> fexit, tp_btf -> raw_tp). A verifier rejection is
 * reported as the failing instruction's source line and the verifier's
 * last lines (coolbpf_errmsg()), and returns -EINVAL.
 */
COOLBPF_API int coolbpf_object__load(struct coolbpf_object *obj);

/* The object's programs, in ELF order: 0 <= i < program_count. name and
 * section stay valid until close; NULL (errno ENOENT) past the end. */
COOLBPF_API size_t coolbpf_object__program_count(const struct coolbpf_object *obj);
COOLBPF_API const char *coolbpf_object__program_name(const struct coolbpf_object *obj, size_t i);
COOLBPF_API const char *coolbpf_object__program_section(const struct coolbpf_object *obj, size_t i);

/* What a program is, from open to close (coolbpf inspect). */
struct coolbpf_program_info {
	const char *name;
	const char *section;
	/* its hook: "tracepoint", "raw_tp", "tp_btf", "kprobe", "kretprobe",
	 * "fentry", "fexit", "uprobe", or the section's prefix for others
	 * ("perf_event", "xdp") */
	const char *hook;
	/* what it attaches to: "sched:sched_switch", "do_sys_openat2"; "" if
	 * nothing automatic */
	const char *target;
	/* where the kernel lacks the hook: the name of the program of the
	 * same target loaded instead (kprobe <-> fentry, kretprobe <-> fexit,
	 * tp_btf <-> raw_tp pairs), "raw_tp" for a lone tp_btf; NULL: none */
	const char *fallback;
};
COOLBPF_API const struct coolbpf_program_info *
coolbpf_object__program_info(const struct coolbpf_object *obj, size_t i);

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
 * Before load: leave out, as if optional, every program whose target this
 * kernel does not have (a tracepoint, a kernel function for a kprobe, a
 * function in the kernel's BTF for fentry/fexit) while the others load and
 * attach; other failures still fail. coolbpf run does this unless
 * --strict. Returns 0 or -EBUSY (already loaded).
 */
COOLBPF_API int coolbpf_object__set_missing_optional(struct coolbpf_object *obj, bool on);

/*
 * Attach every loaded program by its section. On failure of any program
 * (optional ones aside) everything attached so far is detached and a
 * negative errno returned; the per-program report says what attached
 * where and why not. A SEC("perf_event") program gets a sampling perf
 * event on every online CPU: the one of coolbpf_object__set_perf_event(),
 * by default the software cpu-clock at 99 Hz.
 */
COOLBPF_API int coolbpf_object__attach(struct coolbpf_object *obj);
COOLBPF_API void coolbpf_object__detach(struct coolbpf_object *obj);

/* How coolbpf_object__attach_program() attaches. */
enum coolbpf_attach_kind {
	COOLBPF_ATTACH_AUTO,   /* from the program's section, as __attach() does */
	COOLBPF_ATTACH_KPROBE, /* target: function; offset */
	COOLBPF_ATTACH_KRETPROBE,
	COOLBPF_ATTACH_UPROBE, /* target: binary; symbol or offset; pid */
	COOLBPF_ATTACH_URETPROBE,
	COOLBPF_ATTACH_TRACEPOINT,     /* target: "category:name" (or "category/name") */
	COOLBPF_ATTACH_RAW_TRACEPOINT, /* target: name */
	COOLBPF_ATTACH_PERF_EVENT,     /* perf_attr or perf_type/config/freq/period; cpu; pid */
};

struct coolbpf_attach_opts {
	size_t sz;
	enum coolbpf_attach_kind kind;
	const char *target;
	/* uprobe: the function in target (ELF symbol); NULL: offset only */
	const char *symbol;
	/* kprobe/uprobe: offset into the function (or the file for uprobe
	 * without symbol) */
	__u64 offset;
	/* uprobe: the process (-1 or 0: every process); perf event: as
	 * perf_event_open(2) takes it (0: the calling thread, -1: any) */
	int pid;
	/* perf event: the CPU (-1: any); pid and cpu both -1: one event on
	 * every online CPU */
	int cpu;
	/* perf event: a struct perf_event_attr of the caller's (as bytes of
	 * its own size field), used as is; NULL: the fields below */
	const void *perf_attr;
	/* perf event without perf_attr: PERF_TYPE_* and its config (default
	 * PERF_TYPE_SOFTWARE/PERF_COUNT_SW_CPU_CLOCK), sampled at
	 * sample_freq Hz, else every sample_period events (default 99 Hz) */
	__u32 perf_type;
	__u64 perf_config;
	__u64 sample_freq;
	__u64 sample_period;
	/* perf event: group leader fd (-1: none) and perf_event_open flags */
	int perf_group_fd;
	unsigned long perf_flags;
	size_t : 0;
};
#define COOLBPF_ATTACH_OPTS(NAME, ...)                                                     \
	COOLBPF_OPTS(coolbpf_attach_opts, NAME, .pid = -1, .cpu = -1, .perf_group_fd = -1, \
		     __VA_ARGS__)

struct coolbpf_link;
/*
 * Attach one loaded program by hand (opts NULL: as its section says). The
 * attach report (coolbpf_object__attach_info) gets an entry for it. A
 * kprobe on a kernel without kprobes, a missing function or tracepoint, a
 * hardware perf event the machine lacks: NULL with errno and a message
 * saying so. The link is detached by coolbpf_link__destroy() or when the
 * object is closed, whichever comes first.
 */
COOLBPF_API struct coolbpf_link *
coolbpf_object__attach_program(struct coolbpf_object *obj, const char *prog,
			       const struct coolbpf_attach_opts *opts);
/* Detach (accepts NULL). */
COOLBPF_API void coolbpf_link__destroy(struct coolbpf_link *link);
/*
 * The perf event coolbpf_object__attach() opens for SEC("perf_event")
 * programs: the perf fields of opts (kind AUTO or PERF_EVENT; perf_attr,
 * if given, must outlive the attach), pid/cpu as in
 * coolbpf_object__attach_program(); NULL: back to 99 Hz cpu-clock on
 * every online CPU. Before __attach(): -EBUSY after it.
 */
COOLBPF_API int coolbpf_object__set_perf_event(struct coolbpf_object *obj,
					       const struct coolbpf_attach_opts *opts);
/*
 * A perf event by the name perf(1) gives it: "cpu-clock", "task-clock",
 * "page-faults", "context-switches", "cpu-migrations" (software),
 * "cycles", "instructions", "cache-references", "cache-misses",
 * "branches", "branch-misses", "bus-cycles", "ref-cycles" (hardware), into
 * its PERF_TYPE_* and config. -ENOENT with a message listing the names.
 */
COOLBPF_API int coolbpf_perf_event__parse(const char *name, __u32 *type, __u64 *config);
/* Perf events behind a link (one per CPU for a perf event on every CPU). */
COOLBPF_API size_t coolbpf_link__perf_count(const struct coolbpf_link *link);

struct coolbpf_attach_info {
	const char *prog;    /* program name */
	const char *section; /* its ELF section */
	const char *kind;    /* hook used: "tracepoint", "raw_tp", "kprobe", ... */
	const char *target;  /* where: "sched:sched_process_exec", "do_sys_openat2" */
	const char *note;    /* fallback taken, or why it failed; NULL if none */
	int err;	     /* 0 if attached, else -errno */
};
COOLBPF_API size_t coolbpf_object__attach_count(const struct coolbpf_object *obj);
COOLBPF_API const struct coolbpf_attach_info *
coolbpf_object__attach_info(const struct coolbpf_object *obj, size_t i);

/* ------------------------------------------------------------------ */
/* Globals: run-time parameters                                        */
/* ------------------------------------------------------------------ */

/* One global variable of the program: a const volatile one (.rodata), an
 * initialized one (.data) or a zero one (.bss). Static variables and
 * lbc.h's own (__lbc*) are not listed. */
struct coolbpf_global_info {
	const char *name;
	const char *section; /* ".rodata", ".data" or ".bss" */
	const char *type;    /* as C spells it: "int", "u32", "enum mode", "char[16]" */
	__u32 type_id;	     /* in coolbpf_object__btf() */
	__u32 size;
	/* coolbpf_object__set_global() takes it: an integer, bool, enum,
	 * float or char array */
	bool settable;
	/* its bytes as the program will be loaded with them: the default the
	 * object was compiled with, or what was set (NULL: not available) */
	const void *value;
};
/* The object's globals, in section then declaration order, from open to
 * close; NULL (errno ENOENT) past the end. */
COOLBPF_API size_t coolbpf_object__global_count(const struct coolbpf_object *obj);
COOLBPF_API const struct coolbpf_global_info *
coolbpf_object__global_info(const struct coolbpf_object *obj, size_t i);
/*
 * Set a global before load from text, as `coolbpf run --set NAME=VALUE`
 * does: integers in decimal, 0x hex or 0 octal (negative for signed types,
 * within the type's range), bools (true/false/1/0/yes/no/on/off), enums by
 * enumerator name (or number), floats, char arrays from a string that
 * fits with its NUL. Returns 0, -ENOENT (no such global), -ENOTSUP (a type
 * that cannot be set: struct, pointer), -EINVAL or -ERANGE (a bad value),
 * -EBUSY (loaded already); the message names the variable, its type and
 * the settable ones.
 */
COOLBPF_API int coolbpf_object__set_global(struct coolbpf_object *obj, const char *name,
					   const char *value);

/* Which BTF served CO-RE: "explicit <path>", "artifact <release>" (the min BTF it carries
 * for that kernel), "kernel", "archive <path>",
 * "remote <url> (kept in <path>)", "remote <path>" (kept from an earlier fetch),
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
	COOLBPF_MAP_PLAIN,    /* hash, array, ...: key/value table */
	COOLBPF_MAP_RINGBUF,  /* event output: ring buffer */
	COOLBPF_MAP_PERF,     /* event output: perf event array */
	COOLBPF_MAP_HIST2,    /* LBC_HIST2: log2 histogram */
	COOLBPF_MAP_HIST10,   /* LBC_HIST10: log10 histogram */
	COOLBPF_MAP_HISTLIN,  /* LBC_HIST_LINEAR: linear histogram */
	COOLBPF_MAP_STACK,    /* stack trace map */
	COOLBPF_MAP_INTERNAL, /* .data/.rodata/.bss/.kconfig */
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
/* A map the program keeps for itself, that coolbpf run leaves out of its
 * dump unless -v: a per-CPU array of one element (a heap), a map user
 * space fills (cgroup, program arrays), a name starting with "__"
 * (__bpf_usdt_specs), a map the program deletes from (start times), or
 * one marked LBC_SCRATCH(name) in lbc.h. */
COOLBPF_API bool coolbpf_map__scratch(const struct coolbpf_map *map);
/*
 * A map's number of entries. A program may leave it (or a stack trace
 * map's value size) 0 for user space to set, as bcc's libbpf-tools do:
 * coolbpf then gives it what their user space gives: stack trace maps
 * 1024 entries of 127 frames (8 bytes each), other maps 10240 entries
 * (perf event arrays: one per CPU, by libbpf). Set before load, it
 * replaces the program's number. Returns 0, -EINVAL (0 entries, or NULL)
 * or -EBUSY (loaded); max_entries is the number the load uses.
 */
COOLBPF_API int coolbpf_map__set_max_entries(struct coolbpf_map *map, __u32 entries);
COOLBPF_API __u32 coolbpf_map__max_entries(const struct coolbpf_map *map);
/* the size coolbpf gave it (program left 0, nothing set), for -v */
COOLBPF_API bool coolbpf_map__sized_by_default(const struct coolbpf_map *map);
/* BTF type ids in coolbpf_object__btf() (0: unknown). For event maps
 * the value type is the event type declared with LBC_PERF_OUTPUT /
 * LBC_RINGBUF / LBC_EVENT_TYPE. */
COOLBPF_API __u32 coolbpf_map__key_type_id(const struct coolbpf_map *map);
COOLBPF_API __u32 coolbpf_map__value_type_id(const struct coolbpf_map *map);
/* Events lost by an event map so far: every record the kernel refused
 * to a program built with lbc.h (its bpf_ringbuf_reserve, _output and
 * bpf_perf_event_output count failures per map), else perf's lost-record
 * reports. */
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
/* Empty a map, as `coolbpf run --clear` does after each interval: every
 * key of a hash-like or stack map deleted, every value of an array (a
 * histogram) zeroed, on every CPU for per-CPU maps. Event and internal
 * maps are left alone. 0 or -errno. */
COOLBPF_API int coolbpf_map__clear(const struct coolbpf_map *map);
/* Pin under bpffs (mounted if missing). */
COOLBPF_API int coolbpf_map__pin(struct coolbpf_map *map, const char *path);

/* ------------------------------------------------------------------ */
/* Decoding (BTF-driven)                                               */
/* ------------------------------------------------------------------ */

enum coolbpf_format {
	COOLBPF_FMT_TEXT, /* pid=12 comm=bash flags={a=1 b=2} list=[1, 2] */
	COOLBPF_FMT_JSON, /* {"pid":12,"comm":"bash",...} */
	/* JSON with the values as C holds them, for bindings that give C's
	 * types (pylcc's original API): enums as numbers, a char array as
	 * {"": "..."} holding its bytes up to the first NUL, one code point
	 * a byte (\u00XX past printable ASCII: latin-1 gives them back).
	 * Only coolbpf_decode() and coolbpf_map__decode_event() take it. */
	COOLBPF_FMT_JSON_RAW,
};

/*
 * Decode data of BTF type type_id into buf (snprintf semantics: always
 * NUL-terminated when buf_sz > 0; returns the length the full text needs,
 * or a negative errno). Decoding plans are computed once per type.
 */
COOLBPF_API int coolbpf_decode(const struct btf *btf, __u32 type_id, const void *data, size_t size,
			       enum coolbpf_format fmt, char *buf, size_t buf_sz);

/* A BTF type spelled as C ("u32", "struct event", "char[16]", "enum
 * mode": typedef names kept, const/volatile dropped) into buf (snprintf
 * semantics); the length it needs, or -EINVAL. */
COOLBPF_API int coolbpf_type_name(const struct btf *btf, __u32 type_id, char *buf, size_t buf_sz);

/* A growable buffer the library appends to (the caller frees it with
 * coolbpf_buf__release()); data is always NUL-terminated once non-NULL. */
struct coolbpf_buf {
	char *data;
	size_t len;
	size_t cap;
};
#define COOLBPF_BUF_INIT   \
	{                  \
		NULL, 0, 0 \
	}
/* 0 or -ENOMEM. */
COOLBPF_API int coolbpf_buf__append(struct coolbpf_buf *buf, const void *data, size_t len);
COOLBPF_API int coolbpf_buf__printf(struct coolbpf_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s as a JSON string (quoted, escaped as the decoder escapes). */
COOLBPF_API int coolbpf_buf__json_string(struct coolbpf_buf *buf, const char *s);
/* Empty it, keeping its memory. */
COOLBPF_API void coolbpf_buf__reset(struct coolbpf_buf *buf);
COOLBPF_API void coolbpf_buf__release(struct coolbpf_buf *buf);

struct coolbpf_format_opts {
	size_t sz;
	enum coolbpf_format fmt;
	/* a time stamp as the caller wrote it (NULL: none): JSON objects
	 * carry "time": TIME as their first member; a text event starts with
	 * "TIME " (text map dumps are left as they are: the caller prints a
	 * header) */
	const char *time;
	/* the label of histograms' value column ("usecs"); NULL: from the
	 * map's or a member's name (usecs, nsecs, msecs), else "value" */
	const char *unit;
	size_t : 0;
};
#define COOLBPF_FORMAT_OPTS(NAME, ...) COOLBPF_OPTS(coolbpf_format_opts, NAME, __VA_ARGS__)

/*
 * Append one event of an event map to out as coolbpf run prints it: text
 * "field=value ...", JSON {"map": NAME, "event": {...}}; no newline.
 * 0 or -errno (out keeps its previous contents on error).
 */
COOLBPF_API int coolbpf_map__format_event(struct coolbpf_map *map, const void *data, size_t size,
					  const struct coolbpf_format_opts *opts,
					  struct coolbpf_buf *out);
/* Append a whole map as coolbpf_map__dump() prints it (with newlines). */
COOLBPF_API int coolbpf_map__format(struct coolbpf_map *map, const struct coolbpf_format_opts *opts,
				    struct coolbpf_buf *out);

/*
 * A map that counts by a key holding stack ids (a struct key with members
 * of type lbc_stackid_t; the value an unsigned integer; the object has
 * one stack trace map) prints as its stacks, merged with their counts:
 * coolbpf_map__format() does so with these defaults, and leaves out the
 * stack trace map those stacks come from. Kernel frames are symbolized by
 * kallsyms, user frames in the process of the key's lbc_pid_t member (its
 * ELF files through /proc/PID/map_files and /proc/PID/root); a frame that
 * cannot be is "[unknown] 0xADDR" (the process is gone) or
 * "[unknown] (file) 0xADDR".
 */
struct coolbpf_stack_opts {
	size_t sz;
	enum coolbpf_format fmt;
	/* only the top most counted stacks (0: all) */
	size_t top;
	/* text only: one line per stack, "comm;outermost;...;innermost COUNT",
	 * the input of flame graph tools; the key's first char array is the
	 * comm (else its pid), frames are function names, lines that fold to
	 * the same text are summed */
	bool folded;
	size_t : 0;
};
#define COOLBPF_STACK_OPTS(NAME, ...) COOLBPF_OPTS(coolbpf_stack_opts, NAME, __VA_ARGS__)
/*
 * Append the merged stacks of a stack-count map to out, sorted by count,
 * most first. Text: "MAP: N stacks, M samples", then per stack
 * "  COUNT  key" and its frames, innermost first, one per line; JSON one
 * line: {"map": MAP, "samples": M, "stacks": [{"count": C, "key": {...},
 * "frames": [...]}]}. -EOPNOTSUPP (no message) when map is not a
 * stack-count map, -EINVAL for folded JSON.
 */
COOLBPF_API int coolbpf_map__format_stacks(struct coolbpf_map *map,
					   const struct coolbpf_stack_opts *opts,
					   struct coolbpf_buf *out);

/*
 * A map as Prometheus metrics, the text exposition format (0.0.4), read
 * now. A map whose value is an integer, or a struct of integers, is a
 * counter per value member, PREFIX_MAP[_MEMBER]_total, one series per key
 * with the key's struct members as labels by their BTF names (a scalar
 * key: the label "key"; integers in decimal, enums by enumerator, char
 * arrays as strings; per-CPU values summed). A histogram map (LBC_HIST2,
 * ...) is a histogram PREFIX_MAP: cumulative _bucket{le="HIGH"} per
 * bucket, +Inf, _count, and _sum estimated from the middle of each bucket
 * (the map keeps counts only). Other maps (events, stacks, .data) append
 * nothing. 0 or -errno.
 */
struct coolbpf_metrics_opts {
	size_t sz;
	/* the metric name prefix; NULL: the object's name ("" none) */
	const char *prefix;
	size_t : 0;
};
#define COOLBPF_METRICS_OPTS(NAME, ...) COOLBPF_OPTS(coolbpf_metrics_opts, NAME, __VA_ARGS__)
COOLBPF_API int coolbpf_map__format_metrics(struct coolbpf_map *map,
					    const struct coolbpf_metrics_opts *opts,
					    struct coolbpf_buf *out);

/* Decode one event of an event map (its declared type; hex if unknown). */
COOLBPF_API int coolbpf_map__decode_event(struct coolbpf_map *map, const void *data, size_t size,
					  enum coolbpf_format fmt, char *buf, size_t buf_sz);

/*
 * Print a whole map the way `coolbpf run` does on exit: histogram maps as
 * BCC-style histograms, stack maps symbolized, other maps as key/value
 * tables. JSON: one object per line, the shapes coolbpf(1) documents.
 */
COOLBPF_API int coolbpf_map__dump(struct coolbpf_map *map, enum coolbpf_format fmt, FILE *out);

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/* Return non-zero to stop polling (coolbpf_object__poll returns it). */
typedef int (*coolbpf_event_fn)(void *ctx, struct coolbpf_map *map, const void *data, size_t size);
typedef void (*coolbpf_lost_fn)(void *ctx, struct coolbpf_map *map, int cpu, __u64 count);

struct coolbpf_events_opts {
	size_t sz;
	coolbpf_event_fn on_event;
	coolbpf_lost_fn on_lost;
	void *ctx;
	/* pages per CPU for perf buffers (power of two); 0: 64 */
	size_t perf_pages;
	/* bytes of each event map's user-space queue; 0: none. With a queue,
	 * a drain thread copies records out of the kernel's buffers as soon
	 * as they come, apart from the thread that polls and formats (which
	 * gets them from the queue, in order, through on_event and on_lost as
	 * before); a record the queue has no room for is counted, apart from
	 * what the kernel lost: coolbpf_map__dropped(). Pages are touched
	 * only as the queue fills. Once detached, polls take the rest
	 * straight from the kernel's buffers. COOLBPF_EVENTS_QUEUE_DEFAULT is
	 * what coolbpf run and the bindings give unless told otherwise. */
	size_t queue_size;
	size_t : 0;
};
#define COOLBPF_EVENTS_QUEUE_DEFAULT   (256ULL << 20)
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
/* Wait up to timeout_ms for this event map only and deliver its events
 * (to the on_event of coolbpf_object__open_events): threads polling
 * different perf event maps of one object each get their own map's
 * events; one consumer of a map at a time (a lock). Ring buffer maps share
 * the object's one ring manager: polling one polls them all. Returns as
 * coolbpf_object__poll. */
COOLBPF_API int coolbpf_map__poll(struct coolbpf_map *map, int timeout_ms);
/* In on_event: the CPU the event being delivered was written on (perf
 * event arrays); -1 for ring buffers and outside a callback. */
COOLBPF_API int coolbpf_map__event_cpu(const struct coolbpf_map *map);
/* A file descriptor that is readable when events or trace output are ready. */
COOLBPF_API int coolbpf_object__events_fd(const struct coolbpf_object *obj);
/* Records of an event map the user-space queue (queue_size of
 * coolbpf_events_opts) had no room for: received from the kernel, not
 * delivered. 0 without a queue. */
COOLBPF_API __u64 coolbpf_map__dropped(const struct coolbpf_map *map);
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
				   unsigned int nr_slots, enum coolbpf_hist_kind kind, __u64 step,
				   const char *val_type, enum coolbpf_format fmt);
/* The same text into buf (snprintf semantics: always NUL-terminated when
 * buf_sz > 0; returns the length the whole text needs, or a negative errno). */
COOLBPF_API int coolbpf_hist_format(char *buf, size_t buf_sz, const char *name, const __u64 *slots,
				    unsigned int nr_slots, enum coolbpf_hist_kind kind, __u64 step,
				    const char *val_type, enum coolbpf_format fmt);

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

enum coolbpf_hook {
	COOLBPF_HOOK_KPROBE,	 /* kprobe/kretprobe: a kprobe PMU or kprobe_events */
	COOLBPF_HOOK_FENTRY,	 /* fentry/fexit: tracing programs load and attach */
	COOLBPF_HOOK_TP_BTF,	 /* tp_btf: BTF-typed raw tracepoints */
	COOLBPF_HOOK_UPROBE,	 /* uprobe/uretprobe */
	COOLBPF_HOOK_PERF_EVENT, /* BPF programs on perf events */
};
/*
 * Whether the running kernel can host a kind of hook, by trying it (a
 * program loaded and attached where that is the question), never by
 * version. 1 yes, 0 no, negative errno when it cannot tell (e.g. -EPERM:
 * not root). Results are kept for the process.
 */
COOLBPF_API int coolbpf_probe_hook(enum coolbpf_hook hook);

/*
 * Which bpf() this process uses: "kernel" (the system call), "module"
 * (the kernel has no bpf(): the calls go to /dev/coolbpf, the
 * coolbpf_nobpf module; see docs/NOBPF.md) or "none" (neither).
 */
COOLBPF_API const char *coolbpf_bpf_backend(void);

/* Mount tracefs and bpffs when missing (needs root). */
COOLBPF_API int coolbpf_mount_fs(void);

#ifdef __cplusplus
}
#endif
#endif /* COOLBPF_COOLBPF_H */
