// SPDX-License-Identifier: GPL-2.0
/* stackcount: count the kernel stacks that lead to a context switch, per
 * process; on exit the stacks print symbolized, most counted first (the
 * key's lbc_stackid_t member says where the stack is, lbc_pid_t whose).
 * Run: coolbpf run -d 5 examples/stackcount.bpf.c */
#include "lbc.h"

struct stack_key {
	lbc_pid_t pid;
	lbc_stackid_t kstack;
	char comm[16];
};

LBC_STACK(stacks, 1024);
LBC_HASH(counts, struct stack_key, u64, 4096);

SEC("tp/sched/sched_switch")
int count_switch(struct trace_event_raw_sched_switch *ctx)
{
	struct stack_key key = {};
	u64 one = 1, *n;

	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.kstack = bpf_get_stackid(ctx, &stacks, KERN_STACKID_FLAGS);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
