// SPDX-License-Identifier: GPL-2.0
/* tests/cli/events.sh: events that outrun their buffers. getpgid(MAGIC_RB)
 * writes a 512-byte record into a one-page ring buffer (7 fit), with
 * bpf_ringbuf_reserve called directly; getpgid(MAGIC_PERF) a 256-byte one
 * into a perf event array. seq numbers every record of each map. */
#include "lbc.h"

#define MAGIC_RB   0x7c0011c0
#define MAGIC_PERF 0x7c0011c1

struct big_event {
	u64 seq;
	u64 fill[63];
};

struct mid_event {
	u64 seq;
	u64 fill[31];
};

LBC_RINGBUF(small, struct big_event, 4096);
LBC_PERF_OUTPUT(pev, struct mid_event, 1024);

u64 rb_seq, perf_seq;

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	struct big_event *e;
	struct mid_event m = {};

	if (ctx->args[0] == MAGIC_RB) {
		e = bpf_ringbuf_reserve(&small, sizeof(*e), 0);
		if (!e) {
			__sync_fetch_and_add(&rb_seq, 1);
			return 0;
		}
		__builtin_memset(e, 0, sizeof(*e));
		e->seq = __sync_fetch_and_add(&rb_seq, 1);
		bpf_ringbuf_submit(e, 0);
	} else if (ctx->args[0] == MAGIC_PERF) {
		m.seq = __sync_fetch_and_add(&perf_seq, 1);
		bpf_perf_event_output(ctx, &pev, BPF_F_CURRENT_CPU, &m, sizeof(m));
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
