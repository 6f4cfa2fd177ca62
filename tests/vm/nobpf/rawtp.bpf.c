// SPDX-License-Identifier: GPL-2.0
/* A raw tracepoint through coolbpf_nobpf: sched_process_exec's arguments
 * (task, old pid, binprm) as ctx[], the new image's comm read from
 * the task. tests/vm/nobpf/cases checks the exec of /bin/true shows. */
#include "lbc.h"

struct ev {
	u32 old_pid;
	char comm[16];
};

LBC_RINGBUF(events, struct ev, 1 << 14);

SEC("raw_tp/sched_process_exec")
int on_exec(u64 *ctx) /* struct bpf_raw_tracepoint_args: args[] */
{
	struct task_struct *p = (struct task_struct *)ctx[0];
	struct ev e = {};

	e.old_pid = (u32)ctx[1];
	bpf_core_read_str(e.comm, sizeof(e.comm), &p->comm);
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
