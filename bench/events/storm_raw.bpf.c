// SPDX-License-Identifier: GPL-2.0
/* storm.bpf.c written the libbpf-tools way, without lbc.h, to compare the
 * per-event kernel cost of lbc.h's macros with hand-written libbpf code. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "storm.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} storm SEC(".maps");

__u64 seq;
__u64 dropped;

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
