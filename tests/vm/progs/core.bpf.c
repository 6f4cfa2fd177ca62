// SPDX-License-Identifier: GPL-2.0
/* CO-RE reads whose results depend on the BTF used: field offsets and
 * sizes of task_struct, and fields read through them. The output must be
 * the same with the kernel's BTF and with BTF pahole made from -dbg. */
#include "lbc.h"

struct core_ev {
	u32 off_pid;
	u32 off_tgid;
	u32 off_comm;
	u32 off_real_parent;
	u32 size_task;
	u32 uid;
	u32 pid_matches;
	char comm[16];
};
LBC_PERF_OUTPUT(events, struct core_ev, 128);

SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct core_ev e = {};

	bpf_get_current_comm(e.comm, sizeof(e.comm));
	if (e.comm[0] != 't' || e.comm[1] != 'r' || e.comm[2] != 'u' || e.comm[3] != 'e' ||
	    e.comm[4])
		return 0;
	e.off_pid = bpf_core_field_offset(struct task_struct, pid);
	e.off_tgid = bpf_core_field_offset(struct task_struct, tgid);
	e.off_comm = bpf_core_field_offset(struct task_struct, comm);
	e.off_real_parent = bpf_core_field_offset(struct task_struct, real_parent);
	e.size_task = bpf_core_type_size(struct task_struct);
	e.uid = (u32)bpf_get_current_uid_gid();
	e.pid_matches = BPF_CORE_READ(t, tgid) == (u32)(bpf_get_current_pid_tgid() >> 32);
	bpf_probe_read_kernel_str(e.comm, sizeof(e.comm), &t->comm);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char _license[] SEC("license") = "GPL";
