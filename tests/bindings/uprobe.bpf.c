// SPDX-License-Identifier: GPL-2.0
/* The bindings' uprobe test: a program with no target in its section,
 * attached by hand (to libc's getpgid); it counts the calls of the thread,
 * or the process, whose id is in target_tid[0]. */
#include "lbc.h"

LBC_ARRAY(target_tid, u32, u32, 1);
LBC_ARRAY(calls, u32, u64, 1);

SEC("uprobe")
int on_call(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id, pid = id >> 32, zero = 0;
	u32 *target = bpf_map_lookup_elem(&target_tid, &zero);
	u64 *n;

	if (!target || (*target != tid && *target != pid))
		return 0;
	n = bpf_map_lookup_elem(&calls, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
