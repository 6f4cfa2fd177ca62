/* SPDX-License-Identifier: GPL-2.0 */
/* coolbpf_nobpf's own tracepoint (main.c): each bpf() command through the
 * device and what it returned. A bare tracepoint (no trace event): raw
 * tracepoint programs attach to it by name, as to a kernel's. */
#ifndef NOBPF_TRACE_H
#define NOBPF_TRACE_H

#include <linux/tracepoint.h>

DECLARE_TRACE(coolbpf_nobpf_cmd, TP_PROTO(u64 cmd, s64 ret), TP_ARGS(cmd, ret));

#endif
