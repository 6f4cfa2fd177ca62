// SPDX-License-Identifier: GPL-2.0
/* Two CPUs through coolbpf_nobpf (tests/vm/nobpf/smp-cases, a guest with
 * COOLBPF_VM_SMP=2): every getppid() on either CPU counts in a per-CPU
 * array and a per-CPU hash (each CPU its own slot), in one hash key both
 * CPUs race to insert and add to, and in a total; a hash churns inserts
 * and deletes under contention; the first events of each CPU go out
 * through a ring buffer and a perf event array; kernel stacks are kept. */
#include "lbc.h"

struct ev {
	u32 cpu;
	u32 kind; /* 1: ring buffer, 2: perf event array */
};

LBC_RINGBUF(rb, struct ev, 1 << 16);
LBC_PERF_OUTPUT(pe, struct ev, 4);
LBC_PERCPU_ARRAY(pcpu, u32, u64, 2);
LBC_PERCPU_HASH(phash, u32, u64, 4);
LBC_HASH(shared, u32, u64, 4);
LBC_HASH(churn, u32, u64, 8);
/* 0: events, 1: inserts into shared lost to the other CPU (then added to),
 * 2: shared lookups that found nothing after a lost insert (a bug),
 * 3: kernel stacks taken */
LBC_ARRAY(total, u32, u64, 4);
LBC_STACK(stacks, 64);

/* lbc.h's counter: slot k of total += 1 */
#define add(k) incr_hist(&total, k)

SEC("kprobe/__x64_sys_getppid")
int on_getppid(struct pt_regs *ctx)
{
	u32 z = 0, c;
	u64 one = 1, *n, *v;
	struct ev e = { .cpu = bpf_get_smp_processor_id() };

	n = bpf_map_lookup_elem(&pcpu, &z);
	if (!n)
		return 0;
	*n += 1; /* this CPU's own: no atomics */
	add(0);
	v = bpf_map_lookup_elem(&phash, &z);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&phash, &z, &one, BPF_ANY);
	v = bpf_map_lookup_elem(&shared, &z);
	if (!v) {
		if (!bpf_map_update_elem(&shared, &z, &one, BPF_NOEXIST))
			goto churn;
		add(1);
		v = bpf_map_lookup_elem(&shared, &z);
		if (!v) {
			add(2);
			goto churn;
		}
	}
	__sync_fetch_and_add(v, 1);
churn:
	c = *n & 15;
	bpf_map_update_elem(&churn, &c, &one, BPF_ANY);
	if (c & 1)
		bpf_map_delete_elem(&churn, &c);
	if (bpf_get_stackid(ctx, &stacks, 0) >= 0)
		add(3);
	if (*n <= 3) {
		e.kind = 1;
		bpf_ringbuf_output(&rb, &e, sizeof(e), 0);
		e.kind = 2;
		bpf_perf_event_output(ctx, &pe, BPF_F_CURRENT_CPU, &e, sizeof(e));
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
