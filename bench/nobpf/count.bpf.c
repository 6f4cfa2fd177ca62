// SPDX-License-Identifier: GPL-2.0
/* The per-event cost probe of bench/nobpf: on getpgid(MAGIC) (the
 * producer of bench/events), count the call per process in a hash map:
 * a tracepoint read, two helpers, a map lookup/update, an atomic add. */
#include "lbc.h"

#define STORM_MAGIC 0x7c0011bf

LBC_HASH(calls, u32, u64, 1024);

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 one = 1, *n;

	if (ctx->args[0] != STORM_MAGIC)
		return 0;
	n = bpf_map_lookup_elem(&calls, &pid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&calls, &pid, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
