// SPDX-License-Identifier: GPL-2.0
/* execsnoop: one event per successful exec(), with pid, ppid, comm and the
 * file executed. Run: coolbpf run examples/execsnoop.bpf.c */
#include "lbc.h"

struct exec_event {
	u32 pid;
	u32 ppid;
	u32 uid;
	char comm[16];
	char filename[256];
};

LBC_RINGBUF(events, struct exec_event, 256 * 1024);

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	struct exec_event *e;

	e = lbc_ringbuf_reserve(events, sizeof(*e));
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
