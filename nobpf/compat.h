/* SPDX-License-Identifier: GPL-2.0 */
/* What the module needs from the kernel that changes between versions.
 * Written and tested against 6.1 (and built against Debian's 5.10/6.12
 * headers); the 3.10/4.x spellings are named here, not tested. */
#ifndef NOBPF_COMPAT_H
#define NOBPF_COMPAT_H

#include <linux/version.h>
#include <linux/uaccess.h>

/* copy_from_kernel_nofault: 5.8; probe_kernel_read before */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 8, 0)
#define copy_from_kernel_nofault    probe_kernel_read
#define strncpy_from_kernel_nofault strncpy_from_unsafe
#endif

/* a symbol the kernel has but does not export (perf_event_output,
 * perf_event_get): looked up once through a kprobe on it */
unsigned long nb_lookup_symbol(const char *name);

#endif
