// SPDX-License-Identifier: GPL-2.0
/* hello on a tracepoint: bpf_printk on every new task, streamed by
 * coolbpf run like BCC's trace_print. Works without kprobes.
 * Run: coolbpf run examples/hello_tp.bpf.c */
#include "lbc.h"

SEC("tp/sched/sched_process_fork")
int hello_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	bpf_printk("hello coolbpf, parent: %d child: %d\n", ctx->parent_pid, ctx->child_pid);
	return 0;
}

char _license[] SEC("license") = "GPL";
