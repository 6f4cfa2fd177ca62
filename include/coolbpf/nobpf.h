/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* The ABI between libcoolbpf and the coolbpf_nobpf module (/dev/coolbpf):
 * the bpf() system call carried by an ioctl, and the attach that libbpf
 * does on a kernel with bpf() through perf_event_open + SET_BPF/link. */
#ifndef COOLBPF_NOBPF_UAPI_H
#define COOLBPF_NOBPF_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define COOLBPF_NOBPF_DEV     "/dev/coolbpf"
#define COOLBPF_NOBPF_VERSION 1

/* bpf(cmd, attr, size): the attr is the kernel's union bpf_attr, as is */
struct coolbpf_nobpf_call {
	__u32 cmd;
	__u32 size;
	__u64 attr; /* user pointer to union bpf_attr */
};

/* run prog_fd on the event a perf_event_open(attr) describes (tracepoint,
 * kprobe PMU, uprobe PMU): the module opens that event itself on every CPU
 * and returns a link fd; closing it detaches. */
struct coolbpf_nobpf_attach {
	__u32 prog_fd;
	__u32 attr_size;
	__u64 attr; /* user pointer to struct perf_event_attr (its strings too) */
	__u64 cookie;
};

#define COOLBPF_NOBPF_IOC_VERSION _IO('C', 0)
#define COOLBPF_NOBPF_IOC_BPF	  _IOW('C', 1, struct coolbpf_nobpf_call)
#define COOLBPF_NOBPF_IOC_ATTACH  _IOW('C', 2, struct coolbpf_nobpf_attach)

#endif
