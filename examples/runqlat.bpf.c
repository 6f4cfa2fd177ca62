// SPDX-License-Identifier: GPL-2.0
/* runqlat: how long tasks wait on the run queue, as a log2 histogram of
 * microseconds printed on exit. tp_btf programs; coolbpf loads them as
 * raw_tp where the kernel has no tp_btf (fields are read with CO-RE).
 * Run: coolbpf run -d 5 examples/runqlat.bpf.c */
#include "lbc.h"

LBC_HASH(start, u32, u64, 10240);
LBC_HIST2(runq_usecs);

/* task_struct's run state is "__state" since 5.14 and "state" before: both
 * are declared as CO-RE flavors so one object runs on every kernel. */
struct task_struct___new {
	unsigned int __state;
} __attribute__((preserve_access_index));

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *p)
{
	struct task_struct___new *n = (void *)p;
	struct task_struct___old *o = (void *)p;

	if (bpf_core_field_exists(n->__state))
		return BPF_CORE_READ(n, __state);
	return BPF_CORE_READ(o, state);
}

static __always_inline int record_enqueue(struct task_struct *p)
{
	u32 pid = BPF_CORE_READ(p, pid);
	u64 ts;

	if (!pid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	return record_enqueue(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p)
{
	return record_enqueue(p);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u32 pid;
	u64 *tsp;

	/* a preempted task goes straight back on the run queue */
	if (task_state(prev) == 0)
		record_enqueue(prev);
	pid = BPF_CORE_READ(next, pid);
	tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	hist2_push(&runq_usecs, (bpf_ktime_get_ns() - *tsp) / 1000);
	bpf_map_delete_elem(&start, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
