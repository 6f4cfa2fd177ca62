// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Written as libbpf-tools' syncsnoop is: one program per syscall, some of
 * which this kernel lacks (sync_file_range2 is not on x86; here a name no
 * kernel has). With -DLONE only the missing one. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 calls = 0;

#ifndef LONE
SEC("tracepoint/syscalls/sys_enter_clock_nanosleep")
int present(void *ctx)
{
	__sync_fetch_and_add(&calls, 1);
	return 0;
}
#endif

SEC("tracepoint/syscalls/sys_enter_no_such_call")
int missing(void *ctx)
{
	__sync_fetch_and_add(&calls, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
