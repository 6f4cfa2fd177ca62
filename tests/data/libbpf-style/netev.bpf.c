// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Written as libbpf-tools' tcpstates and execsnoop are: an address in an
 * unsigned __int128 beside a family field (IPv4 in its first 4 bytes, the
 * rest whatever the stack held), argv kept NUL-separated in a char array.
 * Plain strings beside them: one with a NUL tail, one with bytes that are
 * not strings after its NUL. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct netev {
	unsigned __int128 saddr;
	__u16 family;
	char comm[16];
	char junk[8];
	char args[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int exec(void *ctx)
{
	struct netev e = {};
	const char argv[] = "true\0one\0two";

	e.saddr = ((unsigned __int128)0xdeadbeef << 64) | 0x0100007f; /* 127.0.0.1, then garbage */
	e.family = 2;						      /* AF_INET */
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	e.junk[0] = 'o';
	e.junk[1] = 'k';
	e.junk[3] = 1;
	e.junk[4] = 'z';
	__builtin_memcpy(e.args, argv, sizeof(argv));
	if (e.comm[0] == 't' && e.comm[1] == 'r' && e.comm[2] == 'u' && e.comm[3] == 'e')
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
