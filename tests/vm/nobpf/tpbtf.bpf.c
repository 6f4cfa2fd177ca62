// SPDX-License-Identifier: GPL-2.0
/* A tp_btf program on the nobpf guest: no kernel BTF there and no bpf()
 * BTF attach, so coolbpf loads it as a raw tracepoint (the same u64
 * arguments); the task pointer is read directly, as a typed tp_btf
 * program does (the module makes every load fault-safe).
 * tests/vm/nobpf/cases checks the exec of /bin/true shows. */
#include "lbc.h"

struct ev {
	u32 pid;
	char comm[16];
};

LBC_RINGBUF(events, struct ev, 1 << 14);

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ev e = {};

	e.pid = p->pid;
	bpf_probe_read_kernel_str(e.comm, sizeof(e.comm), p->comm);
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
