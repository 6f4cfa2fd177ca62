/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lbc.h: the only header a coolbpf program includes.
 *
 * Pulls in vmlinux.h for the target kernel and libbpf's BPF headers, and
 * keeps the original coolbpf/pylcc macros working as BTF-defined maps
 * (libbpf 1.x rejects the legacy struct bpf_map_def in SEC("maps")).
 *
 * The event type of an output map is recorded in the object's BTF, not in
 * the map (a perf event array's value is a 4-byte fd and a ring buffer has
 * no value at all): LBC_PERF_OUTPUT and LBC_RINGBUF emit a pointer variable
 * `__lbc_event__<map>` of type `TYPE *` into the ".lbc.meta" section, which
 * libbpf skips when loading and the runtime reads to decode events.
 * Histogram maps are recognised by their value typedef (lbc_hist2_t, ...).
 */
#ifndef __LBC_H
#define __LBC_H

#ifndef __COOLBPF_VMLINUX_INCLUDED
#include "vmlinux.h"
#endif
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* lbc-compat begin: what newer libbpf BPF headers have and an older
 * installed libbpf (Debian 12's 1.1) lacks, as libbpf 1.2+ defines it, for
 * programs written against those (bcc's libbpf-tools). Every compile
 * carries these lines after libbpf's headers, lbc.h included or not. */
#ifndef BPF_UPROBE
#define BPF_UPROBE(name, args...) BPF_KPROBE(name, ##args)
#endif
#ifndef BPF_URETPROBE
#define BPF_URETPROBE(name, args...) BPF_KRETPROBE(name, ##args)
#endif
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym)                                                                      \
	({                                                                                        \
		_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak"); \
		!!sym;                                                                            \
	})
#endif
/* lbc-compat end */

/* uAPI flags a kernel built without bpf() leaves out of its BTF (nothing
 * in it uses those enums), so its vmlinux.h lacks them: the same values,
 * as macros (where vmlinux.h has the enums, these name the same numbers) */
#ifndef BPF_ANY
#define BPF_ANY	    0
#define BPF_NOEXIST 1
#define BPF_EXIST   2
#define BPF_F_LOCK  4
#endif
#ifndef BPF_F_USER_STACK
#define BPF_F_SKIP_FIELD_MASK 0xffULL
#define BPF_F_USER_STACK      (1ULL << 8)
#define BPF_F_FAST_STACK_CMP  (1ULL << 9)
#define BPF_F_REUSE_STACKID   (1ULL << 10)
#define BPF_F_USER_BUILD_ID   (1ULL << 11)
#endif
#ifndef BPF_RB_NO_WAKEUP
#define BPF_RB_NO_WAKEUP    1
#define BPF_RB_FORCE_WAKEUP 2
#endif

#ifndef NULL
#define NULL ((void *)0)
#endif

typedef unsigned long long u64;
typedef signed long long s64;
typedef unsigned int u32;
typedef signed int s32;
typedef unsigned short u16;
typedef signed short s16;
typedef unsigned char u8;
typedef signed char s8;

/*
 * Fields that say what they hold: coolbpf run (and every decoder of
 * libcoolbpf) shows a field of one of these types as people read it, in
 * text and JSON, chosen by the type, never by the field's name.
 */
typedef u32 lbc_ipv4_t;	   /* network order, as skc_daddr: "127.0.0.1" */
typedef u8 lbc_ipv6_t[16]; /* network order, as skc_v6_daddr: "::1" */
typedef u16 lbc_port_t;	   /* network order, as skc_dport: 8080 */
typedef u64 lbc_ksym_t;	   /* kernel address: "tcp_v4_connect+0x0" */
typedef u64 lbc_usym_t;	 /* user address in the process of the struct's "pid" (or "tgid") member */
typedef u64 lbc_ns_t;	 /* bpf_ktime_get_ns(): wall-clock "17:00:46.909123" */
typedef s32 lbc_errno_t; /* an errno, or -errno: "ENOENT", "-EAGAIN" */
typedef s32 lbc_syscall_t;   /* a syscall number of this arch: "openat" */
typedef u32 lbc_dev_t;	     /* the kernel's dev_t: "sda(8:0)" */
typedef s32 lbc_signal_t;    /* a signal number: "SIGKILL" */
typedef s32 lbc_tcp_state_t; /* sk->__sk_common.skc_state: "TCP_ESTABLISHED" */

#ifndef PERF_MAX_STACK_DEPTH
#define PERF_MAX_STACK_DEPTH 127
#endif
#ifndef KERN_STACKID_FLAGS
#define KERN_STACKID_FLAGS (0 | BPF_F_FAST_STACK_CMP)
#endif
#ifndef USER_STACKID_FLAGS
#define USER_STACKID_FLAGS (0 | BPF_F_FAST_STACK_CMP | BPF_F_USER_STACK)
#endif

/* Record TYPE as the event type of output map MAP (see top of file). Use it
 * directly for output maps declared without the LBC_ macros. */
#define LBC_EVENT_TYPE(MAP, TYPE) \
	TYPE *__lbc_event__##MAP __attribute__((section(".lbc.meta"), used))

/* MAP is the program's scratch space (a start time kept until the end
 * event, a heap): coolbpf run leaves it out of its dump unless -v. Maps the
 * program deletes from, per-CPU arrays of one element and names starting
 * with "__" are scratch without it. */
#define LBC_SCRATCH(MAP) char *__lbc_scratch__##MAP __attribute__((section(".lbc.meta"), used))

#define __LBC_MAP(NAME, TYPE, KEY_T, VALUE_T, ENTRIES) \
	struct {                                       \
		__uint(type, TYPE);                    \
		__type(key, KEY_T);                    \
		__type(value, VALUE_T);                \
		__uint(max_entries, ENTRIES);          \
	} NAME SEC(".maps")

/* Perf event array whose records are CELL (bpf_perf_event_output). */
#define LBC_PERF_OUTPUT(NAME, CELL, ENTRIES)                 \
	struct {                                             \
		__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); \
		__uint(key_size, sizeof(int));               \
		__uint(value_size, sizeof(s32));             \
		__uint(max_entries, ENTRIES);                \
	} NAME SEC(".maps");                                 \
	LBC_EVENT_TYPE(NAME, CELL)

/* Ring buffer of BYTES (a power of two, multiple of the page size) whose
 * records are CELL. Records the full buffer refuses are counted as lost
 * however they are written (see "Lost records" below). */
#define LBC_RINGBUF(NAME, CELL, BYTES)              \
	struct {                                    \
		__uint(type, BPF_MAP_TYPE_RINGBUF); \
		__uint(max_entries, BYTES);         \
	} NAME SEC(".maps");                        \
	LBC_EVENT_TYPE(NAME, CELL)

/*
 * Lost records. bpf_ringbuf_reserve, bpf_ringbuf_output and
 * bpf_perf_event_output are routed through wrappers that count every
 * record the kernel refused, per map, in __lbc_lost_tab (its own section,
 * .data.lbc_lost). A map is known there by the BTF type id of its
 * definition (each map declaration is a type of its own): the loader
 * writes the ids of the object's event maps into the slots before load
 * (coolbpf does), a failure adds to the slot of its map, and failures of a
 * map without a slot (another loader) add to the last one. Define
 * LBC_NO_LOST_COUNT before including lbc.h to call the helpers bare.
 */
#define LBC_LOST_SLOTS 8
struct lbc_lost_slot {
	u32 type_id;
	u32 pad;
	u64 count;
};
static struct lbc_lost_slot __lbc_lost_tab[LBC_LOST_SLOTS] SEC(".data.lbc_lost");

/* A macro, not a function: line info then names the caller's file, never
 * the private directory a compile reads lbc.h from (objects stay
 * byte-for-byte reproducible). The ids are read volatile: the loader fills
 * them, the compiler sees zeroes. */
#define __lbc_count_lost(TYPE_ID)                                                               \
	({                                                                                      \
		u32 __lbc_tid = (TYPE_ID);                                                      \
		int __lbc_i;                                                                    \
		_Pragma("unroll") for (__lbc_i = 0; __lbc_i < LBC_LOST_SLOTS - 1;               \
				       __lbc_i++) if (*(volatile u32 *)&__lbc_lost_tab[__lbc_i] \
							       .type_id == __lbc_tid) break;    \
		__sync_fetch_and_add(&__lbc_lost_tab[__lbc_i].count, 1);                        \
	})

#define __lbc_map_type_id(MAP) __builtin_btf_type_id(*(MAP), 0)

#ifndef LBC_NO_LOST_COUNT
/* The parenthesised name calls the helper itself, not this macro. */
#define bpf_ringbuf_reserve(MAP, SIZE, FLAGS)                              \
	({                                                                 \
		void *__lbc_rec = (bpf_ringbuf_reserve)(MAP, SIZE, FLAGS); \
		if (!__lbc_rec)                                            \
			__lbc_count_lost(__lbc_map_type_id(MAP));          \
		__lbc_rec;                                                 \
	})
#define bpf_ringbuf_output(MAP, DATA, SIZE, FLAGS)                             \
	({                                                                     \
		long __lbc_err = (bpf_ringbuf_output)(MAP, DATA, SIZE, FLAGS); \
		if (__lbc_err)                                                 \
			__lbc_count_lost(__lbc_map_type_id(MAP));              \
		__lbc_err;                                                     \
	})
#define bpf_perf_event_output(CTX, MAP, FLAGS, DATA, SIZE)                             \
	({                                                                             \
		long __lbc_err = (bpf_perf_event_output)(CTX, MAP, FLAGS, DATA, SIZE); \
		if (__lbc_err)                                                         \
			__lbc_count_lost(__lbc_map_type_id(MAP));                      \
		__lbc_err;                                                             \
	})
#endif

/* bpf_ringbuf_reserve(&NAME, SIZE, 0) (counted like every reserve). */
#define lbc_ringbuf_reserve(NAME, SIZE) bpf_ringbuf_reserve(&NAME, SIZE, 0)
/* bpf_ringbuf_output(&NAME, DATA, SIZE, 0), counted likewise. */
#define lbc_ringbuf_output(NAME, DATA, SIZE) bpf_ringbuf_output(&NAME, DATA, SIZE, 0)

#define LBC_HASH(NAME, KEY_T, VALUE_T, ENTRIES) \
	__LBC_MAP(NAME, BPF_MAP_TYPE_HASH, KEY_T, VALUE_T, ENTRIES)
#define LBC_ARRAY(NAME, KEY_T, VALUE_T, ENTRIES) \
	__LBC_MAP(NAME, BPF_MAP_TYPE_ARRAY, KEY_T, VALUE_T, ENTRIES)
#define LBC_LRU_HASH(NAME, KEY_T, VALUE_T, ENTRIES) \
	__LBC_MAP(NAME, BPF_MAP_TYPE_LRU_HASH, KEY_T, VALUE_T, ENTRIES)
#define LBC_PERCPU_HASH(NAME, KEY_T, VALUE_T, ENTRIES) \
	__LBC_MAP(NAME, BPF_MAP_TYPE_PERCPU_HASH, KEY_T, VALUE_T, ENTRIES)
#define LBC_PERCPU_ARRAY(NAME, KEY_T, VALUE_T, ENTRIES) \
	__LBC_MAP(NAME, BPF_MAP_TYPE_PERCPU_ARRAY, KEY_T, VALUE_T, ENTRIES)
#define LBC_LRU_PERCPU_HASH(NAME, KEY_T, VALUE_T, ENTRIES) \
	__LBC_MAP(NAME, BPF_MAP_TYPE_LRU_PERCPU_HASH, KEY_T, VALUE_T, ENTRIES)

/* Stack trace map: key is the stack id from bpf_get_stackid(). */
#define LBC_STACK(NAME, ENTRIES)                                        \
	struct {                                                        \
		__uint(type, BPF_MAP_TYPE_STACK_TRACE);                 \
		__uint(key_size, sizeof(u32));                          \
		__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(u64)); \
		__uint(max_entries, ENTRIES);                           \
	} NAME SEC(".maps")

/* Stacks: a map whose key is a struct with lbc_stackid_t members (ids
 * from bpf_get_stackid() into the program's one LBC_STACK map) and whose
 * value is a count prints as merged, symbolized stacks sorted by count
 * (coolbpf run --top N, --folded). User frames are symbolized in the
 * process of the key's lbc_pid_t member (the tgid); the key's first char
 * array is the command name of folded output. */
typedef s32 lbc_stackid_t;
typedef u32 lbc_pid_t;

/* Histograms: an array of counters whose value typedef names the scale. */
typedef u64 lbc_hist2_t;
typedef u64 lbc_hist10_t;
typedef u64 lbc_histlin_t;

#define LBC_HIST2(NAME)	 __LBC_MAP(NAME, BPF_MAP_TYPE_ARRAY, u32, lbc_hist2_t, 64)
#define LBC_HIST10(NAME) __LBC_MAP(NAME, BPF_MAP_TYPE_ARRAY, u32, lbc_hist10_t, 20)
/* Linear histogram of SLOTS buckets STEP wide; the step is recorded in BTF
 * as the length of a char array so the runtime can label the buckets. */
#define LBC_HIST_LINEAR(NAME, STEP, SLOTS)                              \
	__LBC_MAP(NAME, BPF_MAP_TYPE_ARRAY, u32, lbc_histlin_t, SLOTS); \
	char(*__lbc_histlin__##NAME)[STEP] __attribute__((section(".lbc.meta"), used))

/* Read kernel memory through bpf_probe_read (pylcc compatibility). */
#define _(P)                                                                                      \
	({                                                                                        \
		typeof(P) __lbc_val = 0;                                                          \
		bpf_probe_read_kernel((void *)&__lbc_val, sizeof(__lbc_val), (const void *)&(P)); \
		__lbc_val;                                                                        \
	})

#ifndef ntohs
#define ntohs(x) bpf_ntohs(x)
#endif
#ifndef htons
#define htons(x) bpf_htons(x)
#endif
#ifndef ntohl
#define ntohl(x) bpf_ntohl(x)
#endif
#ifndef htonl
#define htonl(x) bpf_htonl(x)
#endif
#ifndef ntohll
#define ntohll(x) bpf_be64_to_cpu(x)
#endif
#ifndef htonll
#define htonll(x) bpf_cpu_to_be64(x)
#endif

#ifndef BPF_F_CURRENT_CPU
#define BPF_F_CURRENT_CPU 0xffffffffULL
#endif

#ifdef LBC_DEBUG
#define lbc_debug(...) bpf_printk(__VA_ARGS__)
#else
#define lbc_debug(...)
#endif

static __always_inline int fast_log2(u64 v)
{
	int n = 0;

	if (v >= (1ULL << 32)) {
		n += 32;
		v >>= 32;
	}
	if (v >= (1ULL << 16)) {
		n += 16;
		v >>= 16;
	}
	if (v >= (1ULL << 8)) {
		n += 8;
		v >>= 8;
	}
	if (v >= (1ULL << 4)) {
		n += 4;
		v >>= 4;
	}
	if (v >= (1ULL << 2)) {
		n += 2;
		v >>= 2;
	}
	if (v >= (1ULL << 1)) {
		n += 1;
	}
	return n;
}

static __always_inline int fast_log10(u64 v)
{
	int n = 0;

	if (v >= 10000000000000000ULL) {
		n += 16;
		v /= 10000000000000000ULL;
	}
	if (v >= 100000000ULL) {
		n += 8;
		v /= 100000000ULL;
	}
	if (v >= 10000ULL) {
		n += 4;
		v /= 10000ULL;
	}
	if (v >= 100ULL) {
		n += 2;
		v /= 100ULL;
	}
	if (v >= 10ULL) {
		n += 1;
	}
	return n;
}

static __always_inline void add_hist(void *map, u32 k, u64 v)
{
	u64 *pv = bpf_map_lookup_elem(map, &k);

	if (pv)
		__sync_fetch_and_add(pv, v);
}

#define incr_hist(map, k) add_hist(map, k, 1)

/* Bucket k of a log2 histogram counts values in [2^k, 2^(k+1)); 0 and 1
 * land in bucket 0 (as BCC's bpf_log2l + print_log2_hist). */
static __always_inline void hist2_push(void *map, u64 v)
{
	incr_hist(map, (u32)fast_log2(v));
}

/* Bucket k of a log10 histogram counts values in [10^k, 10^(k+1)). */
static __always_inline void hist10_push(void *map, u64 v)
{
	incr_hist(map, (u32)fast_log10(v));
}

/* Bucket v / STEP of a linear histogram, clamped to the last of SLOTS. */
static __always_inline void histlin_push(void *map, u64 v, u64 step, u32 slots)
{
	u64 k = step ? v / step : 0;

	incr_hist(map, (u32)(k < slots ? k : slots - 1));
}

#endif /* __LBC_H */
