// SPDX-License-Identifier: GPL-2.0
/* opensnoop: every openat() with its flags and result (fd or -errno).
 * Run: coolbpf run examples/opensnoop.bpf.c
 * Only one process, only failures (also on the compiled .o):
 *      coolbpf run --set target_pid=1234 --set failed_only=true opensnoop.o */
#include "lbc.h"

struct open_args {
	const char *fname;
	int flags;
};

struct open_event {
	u32 pid;
	u32 uid;
	s32 ret;
	s32 flags;
	char comm[16];
	char fname[256];
};

/* run-time parameters: coolbpf run --set NAME=VALUE */
const volatile pid_t target_pid = 0; /* 0: every process */
const volatile bool failed_only = false;

LBC_HASH(start, u32, struct open_args, 10240);
LBC_PERF_OUTPUT(events, struct open_event, 128);

SEC("tp/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct open_args a = {
		.fname = (const char *)ctx->args[1],
		.flags = (int)ctx->args[2],
	};

	if (target_pid && (pid_t)(id >> 32) != target_pid)
		return 0;
	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct open_args *a = bpf_map_lookup_elem(&start, &tid);
	struct open_event e = {};

	if (!a)
		return 0;
	if (failed_only && ctx->ret >= 0) {
		bpf_map_delete_elem(&start, &tid);
		return 0;
	}
	e.pid = id >> 32;
	e.uid = (u32)bpf_get_current_uid_gid();
	e.ret = (s32)ctx->ret;
	e.flags = a->flags;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(e.fname, sizeof(e.fname), a->fname);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
