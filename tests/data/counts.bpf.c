// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* getppid() calls of one process (--set target_pid=PID), counted by pid in
 * a hash and in a log2 histogram, and sent as events: what -i, --clear and
 * -T print. */
#include "lbc.h"

const volatile int target_pid = 0;

struct call {
	int pid;
	u64 n;
};
LBC_HASH(calls, u32, u64, 16);
LBC_HIST2(sizes);
LBC_RINGBUF(events, struct call, 4096 * 4);

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *v;
	struct call *e;

	if ((int)pid != target_pid)
		return 0;
	v = bpf_map_lookup_elem(&calls, &pid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&calls, &pid, &one, BPF_NOEXIST);
	hist2_push(&sizes, 100);
	e = lbc_ringbuf_reserve(events, sizeof(*e));
	if (e) {
		e->pid = pid;
		e->n = v ? *v : 1;
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
