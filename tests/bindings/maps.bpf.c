// SPDX-License-Identifier: GPL-2.0
/* The bindings' test program (rust/, go/): every getppid() of the thread
 * whose id the test writes in target_tid[0] sends one event to each event map
 * and counts in each kind of map, so a test knows exactly what to find. */
#include "lbc.h"

#ifndef SEQ_START
#define SEQ_START 0
#endif

struct event {
	u32 tid;
	u32 seq;
	u64 seq_squared;
	char comm[16];
};

struct pevent {
	u32 tid;
	u32 seq;
};

struct key_t {
	u32 tid;
	char comm[16];
};

struct val_t {
	u64 calls;
	u32 last_seq;
};

LBC_ARRAY(target_tid, u32, u32, 1);
LBC_RINGBUF(events, struct event, 256 * 1024);
LBC_PERF_OUTPUT(pevents, struct pevent, 128);
/* one page: fills up when nobody reads it, so its loss is counted */
LBC_RINGBUF(small, struct event, 4096);
LBC_HASH(by_tid, u32, u64, 64);
LBC_HASH(by_key, struct key_t, struct val_t, 64);
LBC_ARRAY(arr, u32, u64, 4);
LBC_PERCPU_HASH(pch, u32, u64, 8);
LBC_HIST2(h2);
LBC_HIST_LINEAR(hl, 10, 8);
LBC_STACK(stacks, 64);
LBC_ARRAY(last_stack, u32, s32, 1);

u32 seq = SEQ_START;

static __always_inline void bump(void *map, u32 k)
{
	u64 one = 1, *v = bpf_map_lookup_elem(map, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(map, &k, &one, BPF_NOEXIST);
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid(), zero = 0, n;
	struct key_t k = {};
	struct val_t *v, nv = {};
	struct pevent pe = {};
	struct event *e, se = {};
	u32 *target;
	s32 sid;

	target = bpf_map_lookup_elem(&target_tid, &zero);
	if (!target || *target != tid)
		return 0;
	/* only the target thread gets here: no race */
	n = ++seq;

	e = lbc_ringbuf_reserve(events, sizeof(*e));
	if (e) {
		e->tid = tid;
		e->seq = n;
		e->seq_squared = (u64)n * n;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_ringbuf_submit(e, 0);
	}
	se.tid = tid;
	se.seq = n;
	lbc_ringbuf_output(small, &se, sizeof(se));
	pe.tid = tid;
	pe.seq = n;
	bpf_perf_event_output(ctx, &pevents, BPF_F_CURRENT_CPU, &pe, sizeof(pe));

	bump(&by_tid, tid);
	bump(&arr, 1);
	bump(&arr, 1);
	bump(&arr, 3);
	bump(&pch, tid);
	k.tid = tid;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	v = bpf_map_lookup_elem(&by_key, &k);
	if (v) {
		__sync_fetch_and_add(&v->calls, 1);
		v->last_seq = n;
	} else {
		nv.calls = 1;
		nv.last_seq = n;
		bpf_map_update_elem(&by_key, &k, &nv, BPF_NOEXIST);
	}
	hist2_push(&h2, n);
	histlin_push(&hl, n, 10, 8);
	sid = bpf_get_stackid(ctx, &stacks, KERN_STACKID_FLAGS);
	bpf_map_update_elem(&last_stack, &zero, &sid, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
