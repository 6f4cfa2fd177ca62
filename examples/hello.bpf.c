// SPDX-License-Identifier: GPL-2.0
/* The original pylcc hello, unchanged: a kprobe on wake_up_new_task that
 * prints the parent's tgid with bpf_printk. Needs kprobes: on a kernel
 * built without them coolbpf says so and suggests a tracepoint.
 * Run: coolbpf run examples/hello.bpf.c */
#include "lbc.h"

SEC("kprobe/wake_up_new_task")
int j_wake_up_new_task(struct pt_regs *ctx)
{
	struct task_struct *parent = (struct task_struct *)PT_REGS_PARM1(ctx);

	bpf_printk("hello lcc, parent: %d\n", _(parent->tgid));
	return 0;
}

char _license[] SEC("license") = "GPL";
