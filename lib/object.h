/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The coolbpf object and map structures, shared by object.c, attach.c,
 * events.c, map.c and trace.c. Not installed. */
#ifndef COOLBPF_OBJECT_H
#define COOLBPF_OBJECT_H

#include <limits.h>

#include <bpf/libbpf.h>

#include "internal.h"

struct decoder;

struct coolbpf_map {
	struct coolbpf_object *obj;
	struct bpf_map *map;
	enum coolbpf_map_kind kind;
	__u32 key_type_id;
	__u32 value_type_id; /* event type for RINGBUF / PERF */
	__u64 hist_step;
	struct decoder *key_dec;
	struct decoder *value_dec;
	bool dec_tried;
	struct perf_buffer *pb;
	__u64 perf_lost; /* from perf's lost-sample records */
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
	HOOK_NONE, /* loads but has no automatic attach target (xdp, socket, ...) */
};

struct prog_plan {
	char *name;
	char *section;
	enum hook hook;
	char *target;	  /* function or "category:name" */
	int alt;	  /* index of the alternative program, -1 if none */
	bool enabled;	  /* loaded this round */
	bool to_raw_tp;	  /* tp_btf loaded as raw_tp */
	bool optional;	  /* coolbpf_object__set_optional(): may be left out */
	int skipped;	  /* -errno: optional program left out at load */
	char note[256];	  /* fallback taken */
};

struct coolbpf_object {
	struct bpf_object *bpf;
	char *name;
	char origin[PATH_MAX]; /* the file or source name, for messages */
	void *elf; /* the object's bytes, kept to reopen on fallback */
	size_t elf_sz;
	char btf_origin[PATH_MAX + 16];
	char btf_path[PATH_MAX]; /* passed to libbpf as btf_custom_path, "" for none */
	int btf_memfd;
	bool loaded;

	struct prog_plan *plans;
	size_t nr_plans;

	struct coolbpf_map *maps;
	size_t nr_maps;

	struct coolbpf_attach_info *att;
	struct bpf_link **links;
	size_t nr_att;

	/* events.c */
	int epfd;
	struct ring_buffer *rb;
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
};

/* object.c */
void object_maps_release(struct coolbpf_object *obj);
/* attach.c */
bool kernel_has_kprobes(void);
/* Append SEC("tp/cat/name") of the tracepoint closest to a kernel function. */
void attach_suggest_tracepoint(const char *func, struct strbuf *sb);
/* trace.c */
void trace_close(struct coolbpf_object *obj);
int trace_consume(struct coolbpf_object *obj);
/* events.c */
void events_close(struct coolbpf_object *obj);
#define EV_TRACE_TAG ((void *)2)
int events_epoll_add(struct coolbpf_object *obj, int fd, void *tag);
/* map.c */
int map_classify(struct coolbpf_object *obj);
/* One event as text, or as {"map": NAME, "event": VALUE} (no newline). */
int map_event_append(struct coolbpf_map *map, const void *data, size_t size,
		     enum coolbpf_format fmt, struct strbuf *sb);
int map_dump_append(struct coolbpf_map *m, enum coolbpf_format fmt, struct strbuf *sb);
/* verifier.c: summarise a verifier log into sb */
void verifier_summary(const char *log, struct strbuf *sb);
/* sysfs.c */
const char *tracefs_root(void);

#endif /* COOLBPF_OBJECT_H */
