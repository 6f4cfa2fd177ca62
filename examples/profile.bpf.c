// SPDX-License-Identifier: GPL-2.0
/* profile: sample what every CPU runs, 99 times a second by default, and
 * count the kernel and user stacks per process (the idle task left out).
 * On exit the stacks print symbolized, most sampled first.
 * Run: coolbpf run -d 5 --top 10 examples/profile.bpf.c
 *      coolbpf run -d 5 --folded examples/profile.bpf.c | flamegraph.pl >cpu.svg
 *      coolbpf run -d 5 --freq 999 --event task-clock examples/profile.bpf.c */
#include "lbc.h"

struct sample_key {
	lbc_pid_t pid;
	lbc_stackid_t kstack;
	lbc_stackid_t ustack;
	char comm[16];
};

LBC_STACK(stacks, 16384);
LBC_HASH(samples, struct sample_key, u64, 16384);

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	struct sample_key key = {};
	u64 one = 1, *n;

	key.pid = bpf_get_current_pid_tgid() >> 32;
	if (!key.pid)
		return 0;
	key.kstack = bpf_get_stackid(ctx, &stacks, KERN_STACKID_FLAGS);
	key.ustack = bpf_get_stackid(ctx, &stacks, USER_STACKID_FLAGS);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	n = bpf_map_lookup_elem(&samples, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
