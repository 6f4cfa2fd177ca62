// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* An fentry program on a function this kernel does not have and a tp_btf
 * on a tracepoint it does not have (biosnoop's block_io_start before 6.5),
 * beside one that attaches. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 calls = 0;

SEC("tracepoint/syscalls/sys_enter_clock_nanosleep")
int present(void *ctx)
{
	__sync_fetch_and_add(&calls, 1);
	return 0;
}

SEC("fentry/no_such_kernel_function")
int BPF_PROG(gone)
{
	return 0;
}

SEC("tp_btf/no_such_tracepoint")
int BPF_PROG(gone_tp)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
