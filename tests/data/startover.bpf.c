// SPDX-License-Identifier: GPL-2.0
/* tests/integration/test_integ_run.c's start-over test: one 64-byte record
 * per getpgid(0x5eee) into a 4 MB ring buffer, seq numbering them. */
#include "lbc.h"

struct rec {
	u64 seq;
	u64 fill[7];
};

LBC_RINGBUF(rb, struct rec, 4 << 20);

u64 seq;

SEC("tp/syscalls/sys_enter_getpgid")
int fill(struct trace_event_raw_sys_enter *ctx)
{
	struct rec *e;

	if (ctx->args[0] != 0x5eee)
		return 0;
	e = lbc_ringbuf_reserve(rb, sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->seq = __sync_fetch_and_add(&seq, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
