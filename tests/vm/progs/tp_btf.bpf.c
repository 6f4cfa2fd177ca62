// SPDX-License-Identifier: GPL-2.0
/* A lone tp_btf: attaches as tp_btf with kernel BTF, as raw_tp without. */
#include "lbc.h"

#include "hits.h"

SEC("tp_btf/sched_switch")
int on_switch(void *ctx)
{
	hit();
	return 0;
}

char _license[] SEC("license") = "GPL";
