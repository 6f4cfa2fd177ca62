// SPDX-License-Identifier: GPL-2.0
/* What tests/cli/metrics.sh scrapes: by a process named coolbpf-mtest,
 * getppid() calls counted per (pid, comm, kind), write() sizes as a log2
 * histogram, and per fd a struct of counters. */
#include "lbc.h"

enum call_kind { KIND_GETPPID = 1, KIND_WRITE = 2 };

struct call_key {
	u32 pid;
	char comm[16];
	enum call_kind kind;
};

struct io_stat {
	u64 calls;
	u64 bytes;
};

LBC_HASH(calls, struct call_key, u64, 256);
LBC_HASH(io, u32, struct io_stat, 256);
LBC_HIST2(wsize);

static __always_inline bool is_probe(char *comm)
{
	static const char want[] = "coolbpf-mtest";

	bpf_get_current_comm(comm, 16);
	for (int i = 0; i < sizeof(want); i++)
		if (comm[i] != want[i])
			return false;
	return true;
}

static __always_inline void count(enum call_kind kind)
{
	struct call_key key = { .kind = kind };
	u64 one = 1, *n;

	if (!is_probe(key.comm))
		return;
	key.pid = bpf_get_current_pid_tgid() >> 32;
	n = bpf_map_lookup_elem(&calls, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&calls, &key, &one, BPF_NOEXIST);
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	count(KIND_GETPPID);
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int on_write(struct trace_event_raw_sys_enter *ctx)
{
	struct io_stat zero = {}, *st;
	char comm[16];
	u32 fd = (u32)ctx->args[0];

	if (!is_probe(comm))
		return 0;
	count(KIND_WRITE);
	hist2_push(&wsize, ctx->args[2]);
	bpf_map_update_elem(&io, &fd, &zero, BPF_NOEXIST);
	st = bpf_map_lookup_elem(&io, &fd);
	if (st) {
		__sync_fetch_and_add(&st->calls, 1);
		__sync_fetch_and_add(&st->bytes, ctx->args[2]);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
