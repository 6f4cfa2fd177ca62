// SPDX-License-Identifier: GPL-2.0
/* A kretprobe and a uprobe through coolbpf_nobpf: returns of
 * do_nanosleep, and calls of libc's getpid, counted (tests/vm/nobpf/cases
 * triggers both). */
#include "lbc.h"

LBC_ARRAY(counts, u32, u64, 2);

static __always_inline void count(u32 k)
{
	u64 *n = bpf_map_lookup_elem(&counts, &k);

	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("kretprobe/do_nanosleep")
int on_nanosleep_return(struct pt_regs *ctx)
{
	count(0);
	return 0;
}

SEC("uprobe//lib/x86_64-linux-gnu/libc.so.6:getpid")
int on_getpid(struct pt_regs *ctx)
{
	count(1);
	return 0;
}

char _license[] SEC("license") = "GPL";
