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
 * records are CELL. Write with lbc_ringbuf_reserve/bpf_ringbuf_submit or
 * lbc_ringbuf_output: they count the records the full buffer refused in
 * __lbc_lost__<map> (.bss), which coolbpf reports as lost events. */
#define LBC_RINGBUF(NAME, CELL, BYTES)              \
	struct {                                    \
		__uint(type, BPF_MAP_TYPE_RINGBUF); \
		__uint(max_entries, BYTES);         \
	} NAME SEC(".maps");                        \
	LBC_EVENT_TYPE(NAME, CELL);                 \
	u64 __lbc_lost__##NAME

/* bpf_ringbuf_reserve(&NAME, SIZE, 0), counting failures as lost events. */
#define lbc_ringbuf_reserve(NAME, SIZE)                                \
	({                                                             \
		void *__lbc_rec = bpf_ringbuf_reserve(&NAME, SIZE, 0); \
		if (!__lbc_rec)                                        \
			__sync_fetch_and_add(&__lbc_lost__##NAME, 1);  \
		__lbc_rec;                                             \
	})

/* bpf_ringbuf_output(&NAME, DATA, SIZE, 0), counting failures likewise. */
#define lbc_ringbuf_output(NAME, DATA, SIZE)                               \
	({                                                                 \
		long __lbc_err = bpf_ringbuf_output(&NAME, DATA, SIZE, 0); \
		if (__lbc_err)                                             \
			__sync_fetch_and_add(&__lbc_lost__##NAME, 1);      \
		__lbc_err;                                                 \
	})

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
