// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Written as libbpf-tools' sigsnoop is: a kfunc called by name, its
 * prototype expected from vmlinux.h (bpftool's declares the kernel's
 * bpf_kfunc-tagged functions). Keeps the comm of the last exec's task. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char comm[16] = {};

SEC("tracepoint/sched/sched_process_exec")
int exec(void *ctx)
{
	pid_t pid = (pid_t)(bpf_get_current_pid_tgid() >> 32);

	if (bpf_ksym_exists(bpf_task_from_pid)) {
		struct task_struct *t = bpf_task_from_pid(pid);

		if (t) {
			bpf_probe_read_kernel_str(comm, sizeof(comm), t->comm);
			bpf_task_release(t);
		}
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
