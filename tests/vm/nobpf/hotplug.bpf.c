// SPDX-License-Identifier: GPL-2.0
/* CPU hotplug through coolbpf_nobpf for the hooks the kprobe cases of
 * tests/vm/nobpf/cases (smp) do not cover: a uprobe and a uretprobe (libc's
 * getpid, registered with the kernel's uprobe_register, nothing per CPU)
 * and a tracepoint (per-CPU perf counters, renewed when a CPU comes
 * online), each counted per CPU. */
#include "lbc.h"

/* 0: getpid calls, 1: getpid returns of the caller's pid,
 * 2: getppid() system calls (the sys_enter_getppid tracepoint) */
LBC_PERCPU_ARRAY(percpu, u32, u64, 3);

/* lbc.h's counter: slot k of this CPU's percpu += 1 */
#define count(k) incr_hist(&percpu, k)

SEC("uprobe//lib/x86_64-linux-gnu/libc.so.6:getpid")
int on_getpid(struct pt_regs *ctx)
{
	count(0);
	return 0;
}

SEC("uretprobe//lib/x86_64-linux-gnu/libc.so.6:getpid")
int on_getpid_return(struct pt_regs *ctx)
{
	if ((u32)PT_REGS_RC(ctx) == bpf_get_current_pid_tgid() >> 32)
		count(1);
	return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	count(2);
	return 0;
}

char _license[] SEC("license") = "GPL";
