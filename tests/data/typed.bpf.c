// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One field of every lbc.h typed kind, filled with what the test knows,
 * on each getppid() of the process --set target_pid names. */
#include "lbc.h"

const volatile int target_pid = 0;
extern const void schedule __ksym;

struct typed_event {
	u32 pid;
	lbc_ipv4_t v4;
	lbc_ipv6_t v6;
	lbc_port_t port;
	lbc_ksym_t ksym;
	lbc_usym_t usym; /* where the process called getppid(): libc */
	lbc_ns_t when;
	lbc_errno_t err;
	lbc_errno_t ok;
	lbc_syscall_t nr;
	lbc_dev_t dev;
	u32 plain; /* untyped: a number */
	lbc_signal_t sig;
	lbc_tcp_state_t state;
	lbc_signal_t nosig; /* 0: no signal, the number */
};
LBC_RINGBUF(events, struct typed_event, 4096 * 4);

/* the syscall tracepoints' own layout: __syscall_nr is an int at 8 */
struct sys_enter_ctx {
	u64 common;
	int nr;
};

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(struct sys_enter_ctx *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct typed_event *e;

	if ((int)pid != target_pid)
		return 0;
	e = lbc_ringbuf_reserve(events, sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->v4 = bpf_htonl(0x7f000001);
	e->v6[15] = 1;
	e->port = bpf_htons(8080);
	e->ksym = (u64)&schedule;
	bpf_get_stack(ctx, &e->usym, sizeof(e->usym), BPF_F_USER_STACK);
	e->when = bpf_ktime_get_ns();
	e->err = -2;
	e->ok = 0;
	e->nr = ctx->nr;
	e->dev = (7 << 20) | 0; /* loop0 */
	e->plain = bpf_htonl(0x7f000001);
	e->sig = 9;
	e->state = 1;
	e->nosig = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
