// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Written as libbpf-tools' runqlat/softirqs are (no lbc.h): a struct hist
 * { slots[] } per key, a .bss result, a start-time hash deleted from, a
 * per-CPU heap. Measures how long sys_enter_clock_nanosleep -> sys_exit takes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct hist);
} hists_usecs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct hist);
} heap SEC(".maps");

__u64 sleeps = 0;
struct hist total = {};

static __always_inline u32 log2l(u64 v)
{
	u32 r = 0;

	while (v > 1 && r < MAX_SLOTS - 1) {
		v >>= 1;
		r++;
	}
	return r;
}

SEC("tracepoint/syscalls/sys_enter_clock_nanosleep")
int enter(void *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	u64 ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clock_nanosleep")
int leave(void *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid(), zero = 0, slot;
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct hist *h, *init;
	u64 *tsp, d;

	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	d = (bpf_ktime_get_ns() - *tsp) / 1000;
	bpf_map_delete_elem(&start, &tid);
	h = bpf_map_lookup_elem(&hists_usecs, &pid);
	if (!h) {
		init = bpf_map_lookup_elem(&heap, &zero);
		if (!init)
			return 0;
		bpf_get_current_comm(&init->comm, sizeof(init->comm));
		bpf_map_update_elem(&hists_usecs, &pid, init, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists_usecs, &pid);
		if (!h)
			return 0;
	}
	slot = log2l(d);
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&total.slots[slot], 1);
	__sync_fetch_and_add(&sleeps, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
