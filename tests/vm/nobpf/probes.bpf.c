// SPDX-License-Identifier: GPL-2.0
/* A kretprobe, a uprobe and a uretprobe through coolbpf_nobpf: returns of
 * do_nanosleep, calls of libc's getpid, and getpid's returns, by whether
 * the value returned is the caller's pid (tests/vm/nobpf/cases triggers
 * them). The getpid probes (registered with the kernel's uprobe_register,
 * nothing per CPU) and a tracepoint (per-CPU perf counters, renewed when a
 * CPU comes online) count per CPU too, for the two-CPU hotplug cases. */
#include "lbc.h"

/* 0: do_nanosleep returns, 1: getpid calls, 2: getpid returns of the
 * caller's pid, 3: of anything else */
LBC_ARRAY(counts, u32, u64, 4);
/* per CPU: 0 getpid calls, 1 getpid returns of the caller's pid,
 * 2 getppid() system calls (the sys_enter_getppid tracepoint) */
LBC_PERCPU_ARRAY(percpu, u32, u64, 3);

/* lbc.h's counter: slot k of counts += 1 */
#define count(k) incr_hist(&counts, k)

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
	incr_hist(&percpu, 0);
	return 0;
}

SEC("uretprobe//lib/x86_64-linux-gnu/libc.so.6:getpid")
int on_getpid_return(struct pt_regs *ctx)
{
	u32 ret = (u32)PT_REGS_RC(ctx);
	bool own = ret == bpf_get_current_pid_tgid() >> 32;

	count(own ? 2 : 3);
	if (own)
		incr_hist(&percpu, 1);
	return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	incr_hist(&percpu, 2);
	return 0;
}

char _license[] SEC("license") = "GPL";
