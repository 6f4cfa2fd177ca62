// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Run-time parameters of every kind `coolbpf run --set` takes, each copied
 * into the event of a getppid() so the test sees what the kernel got. */
#include "lbc.h"

enum mode { MODE_ALL, MODE_PID = 5, MODE_NONE };

const volatile int target_pid = -1;
const volatile unsigned char small = 7;
const volatile bool verbose = false;
const volatile enum mode mode = MODE_ALL;
const volatile char comm[16] = "any";
const volatile u64 big = 0x10;
int counter = 3; /* .data */
u32 zero;	 /* .bss */
struct pair {
	int a, b;
} pair; /* not settable: a struct */

struct ev {
	int pid;
	int target_pid;
	unsigned char small;
	bool verbose;
	enum mode mode;
	char comm[16];
	u64 big;
	int counter;
	u32 zero;
};
LBC_RINGBUF(events, struct ev, 4096 * 4);

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	int pid = bpf_get_current_pid_tgid() >> 32;
	struct ev *e;

	if (target_pid > 0 && pid != target_pid)
		return 0;
	e = lbc_ringbuf_reserve(events, sizeof(*e));
	if (!e)
		return 0;
	e->pid = pid;
	e->target_pid = target_pid;
	e->small = small;
	e->verbose = verbose;
	e->mode = mode;
	/* volatile reads, one by one: a memcpy would fold the default in */
	for (int i = 0; i < 16; i++)
		e->comm[i] = comm[i];
	e->big = big;
	e->counter = counter;
	e->zero = zero;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
