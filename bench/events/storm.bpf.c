// SPDX-License-Identifier: GPL-2.0
/* Event storm: one 64-byte ring buffer event per getpgid(MAGIC) call of
 * the producer (bench/events/producer). seq lets a consumer count losses. */
#include "lbc.h"

#include "storm.h"

#ifndef STORM_RB_BYTES
#define STORM_RB_BYTES (64 << 20) /* bench/events/run --ring-mb */
#endif
LBC_RINGBUF(storm, struct storm_event, STORM_RB_BYTES);

u64 seq;
u64 dropped;

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	struct storm_event *e;

	if (ctx->args[0] != STORM_MAGIC)
		return 0;
	e = bpf_ringbuf_reserve(&storm, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	e->seq = __sync_fetch_and_add(&seq, 1);
	e->ts = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->cpu = bpf_get_smp_processor_id();
	e->arg = ctx->args[0];
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
