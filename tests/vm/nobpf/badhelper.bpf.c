// SPDX-License-Identifier: GPL-2.0
/* A helper coolbpf_nobpf does not offer (bpf_send_signal): the load is
 * refused with the instruction and its source line. */
#include "lbc.h"

SEC("tp/sched/sched_process_exec")
int kill_it(void *ctx)
{
	bpf_send_signal(9);
	return 0;
}

char _license[] SEC("license") = "GPL";
