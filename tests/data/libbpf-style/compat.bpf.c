// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Written as libbpf-tools' bashreadline/javagc are, against a newer
 * libbpf than Debian's: BPF_URETPROBE, bpf_ksym_exists, and a system
 * header found only in the multiarch include directory (asm/errno.h, as
 * bpf/usdt.bpf.h includes it). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <asm/errno.h>

extern int bpf_compat_no_such_kfunc(void) __ksym __weak;

int seen = 0;

SEC("uretprobe")
int BPF_URETPROBE(ret, const void *r)
{
	seen = bpf_ksym_exists(bpf_compat_no_such_kfunc) ? -EINVAL : 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
