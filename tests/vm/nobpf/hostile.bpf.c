// SPDX-License-Identifier: GPL-2.0
/* Programs the kernel's verifier would refuse and coolbpf_nobpf loads,
 * making each access safe at run time instead: every one runs on each
 * exec, does its damage attempt, then counts in 'after' (index per
 * program) to show it went on (or, for the loop, that the budget ended
 * it: its counter stays 0). tests/vm/nobpf/cases checks the guest is
 * alive and the counts afterwards. */
#include "lbc.h"

LBC_ARRAY(after, u32, u64, 4);
LBC_ARRAY(victim, u32, u64, 1);

/* lbc.h's counter: slot k of after += 1 */
#define mark(k) incr_hist(&after, k)

/* a load through NULL reads 0, as BPF_PROBE_MEM does */
SEC("tp/sched/sched_process_exec")
int null_deref(void *ctx)
{
	volatile u64 *p = 0;
	u64 x = *p;

	if (x == 0)
		mark(0);
	return 0;
}

/* a store into kernel memory (the task) is skipped and logged */
SEC("tp/sched/sched_process_exec")
int oob_store(void *ctx)
{
	volatile u64 *task = (u64 *)bpf_get_current_task();

	*task = 0xdead;
	task[100] = 0xdead;
	mark(1);
	return 0;
}

/* a map pointer made up: the helpers refuse it (-EINVAL / NULL) */
SEC("tp/sched/sched_process_exec")
int forged_map(void *ctx)
{
	u32 k = 0;
	void *forged = (void *)((unsigned long)&victim + 64);
	u64 one = 1;

	if (bpf_map_update_elem(forged, &k, &one, 0) != 0 && !bpf_map_lookup_elem(forged, &k))
		mark(2);
	return 0;
}

/* no bound: the backward-jump budget ends it, the counter stays 0 */
SEC("tp/sched/sched_process_exec")
int endless(void *ctx)
{
	volatile u64 n = 0;

	for (;;)
		n++;
	mark(3);
	return 0;
}

char _license[] SEC("license") = "GPL";
