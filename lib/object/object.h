/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lib/object: a program in the kernel. Opening (an ELF object, or a source
 * compiled through lib/compile), choosing its CO-RE BTF (lib/btf),
 * loading with hook fallbacks, attaching, maps, event buffers, bpf_printk
 * lines, and printing maps and events through lib/format.
 *
 *   object.c      open, close, accessors; the BTF for CO-RE
 *   load.c        load plans (hook fallbacks, optional programs) and the
 *                 one message that says why a load failed
 *   verifier.c    a verifier log summarised to its failing source line
 *   probe.c       what the running kernel can host (kprobes, fentry, ...)
 *   attach.c      attach by section, or one program by hand; the report
 *   maps.c        map kinds, element access, lost-event counters
 *   output.c      events and map dumps as text or JSON
 *   events.c      ring and perf buffers (and other sources) behind one fd
 *   trace.c       bpf_printk lines from a private tracefs instance
 *   globals.c     run-time parameters: globals listed and set before load
 *   fs.c          tracefs and bpffs: find, mount
 *   libbpf_log.c  libbpf's messages routed into the library's log
 *   env.c         the environment, read only by programs' entry points
 *
 * The structures below are shared by those files only. Builds on every
 * other floor: base, btf, format, compile.
 */
#ifndef COOLBPF_OBJECT_H
#define COOLBPF_OBJECT_H

#include <pthread.h>
#include <limits.h>

#include <bpf/libbpf.h>

#include "base/base.h"
#include "btf/btf.h"
#include "compile/compile.h"
#include "format/format.h"

#define coolbpf_object_opts__last_field	 cache_dir
#define coolbpf_events_opts__last_field	 queue_size
#define coolbpf_attach_opts__last_field	 perf_flags
#define coolbpf_format_opts__last_field	 unit
#define coolbpf_stack_opts__last_field	 folded
#define coolbpf_metrics_opts__last_field prefix

struct coolbpf_map {
	struct coolbpf_object *obj;
	struct bpf_map *map;
	enum coolbpf_map_kind kind;
	__u32 key_type_id;
	__u32 value_type_id; /* event type for RINGBUF / PERF */
	__u64 hist_step;
	struct hist_shape hs; /* PLAIN maps of struct hist { slots[] } values */
	bool scratch;	      /* coolbpf_map__scratch() */
	__u32 entries_set;    /* coolbpf_map__set_max_entries(), 0: none */
	bool sized;	      /* given coolbpf's default size */
	struct decoder *key_dec;
	struct decoder *value_dec;
	bool dec_tried;
	struct strbuf ev_json_head; /* {"map": NAME, "event":  of each JSON event */
	struct perf_buffer *pb;
	__u64 perf_lost;    /* from perf's lost-sample records */
	int lost_slot;	    /* its slot in lbc.h's lost-record table, or -1 */
	__u64 dropped;	    /* records the user-space queue had no room for */
	struct ev_queue *q; /* events.c: records the drain thread copied out */
	/* events.c: one thread consumes this map's perf buffer at a time
	 * (coolbpf_map__poll and coolbpf_object__poll); the CPU of the event
	 * being delivered plus one (0: none); the callback's stop request */
	pthread_mutex_t ev_lock;
	int ev_cpu1;
	int cb_ret;
};

/* Hook types coolbpf knows how to attach or fall back between. */
enum hook {
	HOOK_OTHER,
	HOOK_KPROBE,
	HOOK_KRETPROBE,
	HOOK_FENTRY,
	HOOK_FEXIT,
	HOOK_TP,
	HOOK_RAW_TP,
	HOOK_TP_BTF,
	HOOK_UPROBE,
	HOOK_PERF, /* SEC("perf_event"): a sampling event on every online CPU */
	HOOK_NONE, /* loads but has no automatic attach target (xdp, socket, ...) */
};

struct prog_plan {
	char *name;
	char *section;
	enum hook hook;
	char *target;	/* function or "category:name" */
	int alt;	/* index of the alternative program, -1 if none */
	bool enabled;	/* loaded this round */
	bool to_raw_tp; /* tp_btf loaded as raw_tp */
	bool optional;	/* coolbpf_object__set_optional(): may be left out */
	int skipped;	/* -errno: optional program left out at load */
	char note[512]; /* fallback taken, or why left out */
	/* coolbpf_object__program_info(); its strings point into this plan */
	struct coolbpf_program_info info;
	char hook_str[32];
};

/* Something coolbpf_object__events_fd() waits for: a ring buffer manager,
 * a perf buffer, the trace pipe. consume returns how much it handled. */
struct ev_source {
	int fd;
	int (*consume)(void *ctx);
	void *ctx;
	struct coolbpf_map *map; /* a perf buffer's map: its cb_ret; else NULL */
};
#define EV_SOURCES_MAX 64

/* One attached program: a link, or one per CPU for perf events. */
struct coolbpf_link {
	struct coolbpf_object *obj;
	struct bpf_link **links;
	int *perf_fds;
	size_t n;
	size_t att; /* its entry in obj->att */
	struct coolbpf_link *next;
	bool auto_made; /* by coolbpf_object__attach(): freed by __detach() */
};

struct coolbpf_object {
	struct bpf_object *bpf;
	char *name;
	char origin[PATH_MAX]; /* the file or source name, for messages */
	void *elf;	       /* the object's bytes, kept to reopen on fallback */
	size_t elf_sz;
	/* the BTF for CO-RE (lib/btf); its path goes to libbpf as
	 * btf_custom_path unless it is the running kernel's */
	struct btf_choice btf;

	struct prog_plan *plans;
	size_t nr_plans;
	bool loaded;
	bool missing_optional; /* coolbpf_object__set_missing_optional() */

	struct coolbpf_map *maps;
	size_t nr_maps;

	/* attach report: one entry per program attached (or left out) */
	struct coolbpf_attach_info *att;
	size_t nr_att, cap_att;
	/* coolbpf_object__attach(): one link per report entry it made */
	struct bpf_link **auto_links;
	size_t nr_auto;
	/* coolbpf_object__attach_program() */
	struct coolbpf_link *links;
	/* the event __attach() opens for SEC("perf_event") programs
	 * (coolbpf_object__set_perf_event(); sz 0: 99 Hz cpu-clock) */
	struct coolbpf_attach_opts perf_opts;

	/* maps.c: lbc.h's lost-record table (NULL: the object has none) */
	struct bpf_map *lost_map;
	size_t lost_off;

	/* events.c */
	int epfd;
	struct ev_source sources[EV_SOURCES_MAX];
	size_t nr_sources;
	struct ring_buffer *rb;
	struct ev_drain *drain; /* the drain thread, while it runs */
	coolbpf_event_fn on_event;
	coolbpf_lost_fn on_lost;
	void *ev_ctx;
	int cb_ret;

	/* trace.c */
	int trace_fd;
	char *trace_instance;
	coolbpf_trace_fn on_trace;
	void *trace_ctx;
	struct strbuf trace_partial;

	/* globals.c */
	struct global *globals;
	size_t nr_globals;
};

/* load.c */
int plans_build(struct coolbpf_object *obj);
void plans_free(struct coolbpf_object *obj);
const char *hook_name(enum hook h);
/* object.c: reopen the ELF image (a load round after a fallback) */
int object_reopen(struct coolbpf_object *obj);
/* the verifier log of the last load (NULL or "" if none) */
const char *object_verifier_log(void);
/* probe.c */
bool kernel_has_kprobes(void);
/* Whether the running kernel's BTF (vmlinux or a module's) has a type of
 * that name and BTF kind (a FUNC fentry can attach to, tp_btf's
 * btf_trace_<name> TYPEDEF); -errno when there is no BTF. */
int kernel_btf_has(const char *name, int kind);
/* That type's id (> 0), with *obj_fd 0 for vmlinux's or its module's BTF
 * fd (kept open by probe.c for the process); -ENOENT: none; -ENODATA: no
 * kernel BTF. Reads /sys/kernel/btf in one pass, loads none of it. */
int kernel_btf_find(const char *name, int kind, int *obj_fd);
/* Append SEC("tp/cat/name") of a tracepoint related to a kernel function. */
void attach_suggest_tracepoint(const char *func, struct strbuf *sb);
/* attach.c: a report entry (strings copied); its index or -ENOMEM */
int attach_report_add(struct coolbpf_object *obj, const char *prog, const char *section,
		      const char *kind, const char *target, const char *note, int err);
void attach_release(struct coolbpf_object *obj);
/* A kernel limit err stands for (64 programs on a tracepoint for kind
 * "tracepoint"/"kprobe"/..., open files, locked memory), appended to why
 * (strerror when empty) with what to do; false when err is not one. */
bool object_limit_hint(int err, const char *kind, const char *where, char *why, size_t sz);
/* globals.c: list the globals of .rodata/.data/.bss (after map_classify;
 * after a reopen, write again what was set) */
int globals_collect(struct coolbpf_object *obj);
void globals_free(struct coolbpf_object *obj);
/* trace.c */
void trace_close(struct coolbpf_object *obj);
/* events.c: wait for fd in the object's epoll set, call consume(ctx) when
 * it is readable and on every coolbpf_object__consume(). */
int events_add_source(struct coolbpf_object *obj, int fd, int (*consume)(void *ctx), void *ctx);
void events_close(struct coolbpf_object *obj);
/* Stop the drain thread (nothing new comes once detached): what it
 * queued is delivered first, then the kernel's buffers directly. */
void events_drain_stop(struct coolbpf_object *obj);
/* maps.c */
int map_classify(struct coolbpf_object *obj);
/* Before a load: the ids of the event maps into lbc.h's lost table. */
void lost_table_prepare(struct coolbpf_object *obj);
/* Failures the table could not give to a map. */
__u64 lost_unattributed(const struct coolbpf_object *obj);
void object_maps_release(struct coolbpf_object *obj);
/* output.c: one event as text, or as {"map": NAME, "event": VALUE}, and a
 * whole map, appended to sb (no newline after an event) */
int map_event_append(struct coolbpf_map *map, const void *data, size_t size,
		     enum coolbpf_format fmt, struct strbuf *sb);
int map_dump_append(struct coolbpf_map *m, enum coolbpf_format fmt, const char *unit,
		    struct strbuf *sb);
void map_decoders(struct coolbpf_map *m);
/* a coolbpf_buf lent to the strbuf functions, and given back */
void buf_borrow(struct coolbpf_buf *b, struct strbuf *sb);
int buf_return(struct coolbpf_buf *b, struct strbuf *sb, int err);
/* stacks.c: a stack-count map as merged stacks (-EOPNOTSUPP: m is not
 * one); is this stack map shown by a stack-count map? */
int map_stacks_append(struct coolbpf_map *m, enum coolbpf_format fmt, struct strbuf *sb);
bool map_stacks_consumed(struct coolbpf_map *stack_map);
bool map_is_stack_count(struct coolbpf_map *m);
/* verifier.c: summarise a verifier log into sb */
void verifier_summary(const char *log, struct strbuf *sb);
/* fs.c */
const char *tracefs_root(void);
/* libbpf_log.c */
void cb_libbpf_log_init(void);
/* The program / map libbpf's warnings first blamed for a failure since
 * cb_libbpf_fail_reset() ("" if none), in this thread. */
void cb_libbpf_fail_reset(void);
const char *cb_libbpf_failed_prog(void);
const char *cb_libbpf_failed_map(void);

/* nobpf.c: "kernel", "module" (bpf() through coolbpf_nobpf) or "none" */
const char *nobpf_backend(void);
/* route bpf() to the module even where the kernel has its own */
void nobpf_force(void);

#endif /* COOLBPF_OBJECT_H */
