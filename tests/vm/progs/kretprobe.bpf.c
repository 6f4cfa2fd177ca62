// SPDX-License-Identifier: GPL-2.0
/* A lone kretprobe: no fexit partner, it attaches as a kretprobe. */
#include "lbc.h"

#include "hits.h"

SEC("kretprobe/do_nanosleep")
int on_return(struct pt_regs *ctx)
{
	hit();
	return 0;
}

char _license[] SEC("license") = "GPL";
