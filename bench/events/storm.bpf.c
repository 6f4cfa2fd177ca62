// SPDX-License-Identifier: GPL-2.0
/* Event storm: one 64-byte event per getpgid(MAGIC) call of the producer
 * (bench/events/producer), into a ring buffer, or with -D STORM_PERF into
 * a perf event array. seq lets a consumer count losses; lbc.h counts the
 * records the kernel refused (reserve or perf output failures). */
#include "lbc.h"

#include "storm.h"

#ifdef STORM_PERF
LBC_PERF_OUTPUT(storm, struct storm_event, 128);
#else
#ifndef STORM_RB_BYTES
#define STORM_RB_BYTES (64 << 20) /* bench/events/run --ring-mb */
#endif
LBC_RINGBUF(storm, struct storm_event, STORM_RB_BYTES);
#endif

u64 seq;
u64 dropped;

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(struct trace_event_raw_sys_enter *ctx)
{
#ifdef STORM_PERF
	struct storm_event ev = {}, *e = &ev;
#else
	struct storm_event *e;
#endif

	if (ctx->args[0] != STORM_MAGIC)
		return 0;
#ifndef STORM_PERF
	e = bpf_ringbuf_reserve(&storm, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
#endif
	e->seq = __sync_fetch_and_add(&seq, 1);
	e->ts = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->cpu = bpf_get_smp_processor_id();
	e->arg = ctx->args[0];
#ifdef STORM_PERF
	if (bpf_perf_event_output(ctx, &storm, BPF_F_CURRENT_CPU, e, sizeof(*e)))
		__sync_fetch_and_add(&dropped, 1);
#else
	bpf_ringbuf_submit(e, 0);
#endif
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
