// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Written as libbpf-tools' offcputime/profile/cpudist are: the stack map
 * gives only its key size and the hashes no max_entries, for user space
 * to size. Counts clock_nanosleep calls by kernel stack. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(u32));
} stackmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_clock_nanosleep")
int enter(void *ctx)
{
	u32 id = (u32)bpf_get_stackid(ctx, &stackmap, 0);
	u64 one = 1, *n = bpf_map_lookup_elem(&counts, &id);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &id, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
