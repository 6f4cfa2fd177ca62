// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Written as bcc's libbpf-tools are (no lbc.h): the event types appear only
 * in the calls that write them. One exec gives one event on each of the
 * three output maps: a stack struct by sizeof into a perf array, a ring
 * buffer record by sizeof(*e), and a per-CPU heap's value into a perf array. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct big);
} heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} bigs SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct event e = {};
	struct rec *r;
	struct big *b;
	u32 zero = 0;

	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	e.uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));

	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (r) {
		r->ts = bpf_ktime_get_ns();
		r->pid = e.pid;
		bpf_get_current_comm(&r->comm, sizeof(r->comm));
		bpf_ringbuf_submit(r, 0);
	}

	b = bpf_map_lookup_elem(&heap, &zero);
	if (!b)
		return 0;
	b->pid = e.pid;
	bpf_get_current_comm(&b->comm, sizeof(b->comm));
	bpf_perf_event_output(ctx, &bigs, BPF_F_CURRENT_CPU, b, sizeof(*b));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
