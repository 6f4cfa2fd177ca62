// SPDX-License-Identifier: GPL-2.0
/* A kprobe/fentry pair on one function: coolbpf loads fentry where the
 * kernel takes it and falls back to the kprobe (e.g. without kernel BTF). */
#include "lbc.h"

#include "hits.h"

SEC("kprobe/do_nanosleep")
int on_kprobe(struct pt_regs *ctx)
{
	hit();
	return 0;
}

SEC("fentry/do_nanosleep")
int on_fentry(void *ctx)
{
	hit();
	return 0;
}

char _license[] SEC("license") = "GPL";
