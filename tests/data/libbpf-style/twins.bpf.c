// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Two of the program's structs have the size of what is written: which one
 * the events are cannot be told, and coolbpf must say so and how to name it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(void *ctx)
{
	struct event e = {};
	struct twin t = {};

	t.a = e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_get_current_comm(&t.d, sizeof(t.d));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &t, sizeof(t));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
