// SPDX-License-Identifier: GPL-2.0
/* A raw tracepoint defined in a module: coolbpf_nobpf's own
 * coolbpf_nobpf_cmd (each bpf() command through the device, ctx[0] the
 * command, ctx[1] its result). tests/vm/nobpf/cases creates a map through
 * the device while it is attached. */
#include "lbc.h"

/* 0: BPF_MAP_CREATE (0: this kernel's BTF has no enum bpf_cmd), 1: other
 * commands, 2: map creates that gave an fd */
LBC_ARRAY(cmds, u32, u64, 3);

/* lbc.h's counter: slot k of cmds += 1 */
#define count(k) incr_hist(&cmds, k)

SEC("raw_tp/coolbpf_nobpf_cmd")
int on_cmd(u64 *ctx)
{
	count(ctx[0] == 0 ? 0 : 1);
	if (ctx[0] == 0 && (s64)ctx[1] >= 0)
		count(2);
	return 0;
}

char _license[] SEC("license") = "GPL";
