// SPDX-License-Identifier: GPL-2.0
/* The differential program (tests/vm/nobpf/diff-cases): run through the
 * kernel's bpf() and through coolbpf_nobpf on the same kernel, on the same
 * input (opens of /tmp/nbdiff-*), its maps and events must be the same.
 * Every map kind the module has that gives a deterministic answer: hash,
 * array, per-CPU array, LRU hash, ring buffer and perf event output; and a
 * kprobe/kretprobe pair on do_sys_openat2 (every kernel from 5.6) whose
 * entry marks the thread opening a /tmp/nbdiff-* file and whose return
 * counts those opens by their result (map delete, a kretprobe's return
 * value); a raw tracepoint (sys_enter) counting the same opens per
 * syscall in a per-CPU hash; a uprobe on libc's getpid counting the
 * calls of the thread diff-cases names "nbdiffpid".
 * NBDIFF_NO_FETCH (tests/vm/run-nobpf-diff, for kernels before 5.12, whose
 * verifier has no fetching atomics): the sequence number is read, then
 * added to without fetching (BPF_XADD); -smp 1 guests, so the same. */
#include "lbc.h"

struct name {
	char s[32];
};

struct comm {
	char s[16];
};

struct ev {
	u64 seq;
	struct name name;
};

LBC_RINGBUF(rb_events, struct ev, 1 << 16);
LBC_PERF_OUTPUT(perf_events, struct ev, 128);
LBC_HASH(by_name, struct name, u64, 64);
LBC_LRU_HASH(lru_by_name, struct name, u64, 64);
LBC_ARRAY(total, u32, u64, 2);
LBC_PERCPU_ARRAY(per_cpu, u32, u64, 1);
LBC_HASH(opening, u64, u64, 64);
LBC_HASH(open_results, s64, u64, 8);
LBC_PERCPU_HASH(raw_opens, s64, u64, 8);
LBC_HASH(getpids, struct comm, u64, 8);

static const char prefix[] = "/tmp/nbdiff-";

/* the first N bytes of A and B are the same (N a constant: unrolled) */
static __always_inline int same(const char *a, const char *b, int n)
{
#pragma unroll
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static __always_inline int has_prefix(const char *s)
{
	return same(s, prefix, sizeof(prefix) - 1);
}

/* MAP[KEY] += 1, atomically, from 1 when it is not there */
static __always_inline void bump(void *map, const void *key)
{
	u64 one = 1, *n = bpf_map_lookup_elem(map, key);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
}

SEC("tp/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx)
{
	struct ev e = {};
	u64 one = 1, *n;
	u32 k0 = 0, k1 = 1;
	int len;

	len = bpf_probe_read_user_str(e.name.s, sizeof(e.name.s), (void *)ctx->args[1]);
	if (len <= (int)sizeof(prefix) - 1 || !has_prefix(e.name.s))
		return 0;
	n = bpf_map_lookup_elem(&total, &k0);
	if (!n)
		return 0;
#ifdef NBDIFF_NO_FETCH
	e.seq = *n;
	__sync_fetch_and_add(n, 1);
#else
	e.seq = __sync_fetch_and_add(n, 1);
#endif
	n = bpf_map_lookup_elem(&total, &k1);
	if (n)
		*n += len; /* a plain store through a map value */
	n = bpf_map_lookup_elem(&per_cpu, &k0);
	if (n)
		*n += 1;
	bump(&by_name, &e.name);
	n = bpf_map_lookup_elem(&lru_by_name, &e.name);
	if (n)
		*n += 1;
	else
		bpf_map_update_elem(&lru_by_name, &e.name, &one, BPF_ANY);
	bpf_ringbuf_output(&rb_events, &e, sizeof(e), 0);
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

/* is the string at user address p one of /tmp/nbdiff-*? */
static __always_inline int ours(const void *p)
{
	char s[sizeof(prefix)] = {};

	return bpf_probe_read_user_str(s, sizeof(s), p) == sizeof(s) && has_prefix(s);
}

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(on_openat2, int dfd, const char *filename)
{
	u64 id = bpf_get_current_pid_tgid(), one = 1;

	if (ours(filename))
		bpf_map_update_elem(&opening, &id, &one, BPF_ANY);
	return 0;
}

SEC("kretprobe/do_sys_openat2")
int BPF_KRETPROBE(on_openat2_return, long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	s64 r = ret;

	if (!bpf_map_lookup_elem(&opening, &id))
		return 0;
	bpf_map_delete_elem(&opening, &id);
	bump(&open_results, &r);
	return 0;
}

SEC("raw_tp/sys_enter")
int on_sys_enter(u64 *ctx) /* struct pt_regs *regs, long id */
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];
	s64 id = (s64)ctx[1];

	if (id == 257 /* x86-64 openat */ && ours((void *)PT_REGS_PARM2_CORE(regs)))
		bump(&raw_opens, &id);
	return 0;
}

static const char pidcomm[] = "nbdiffpid";

SEC("uprobe//lib/x86_64-linux-gnu/libc.so.6:getpid")
int on_getpid(struct pt_regs *ctx)
{
	struct comm c = {};

	bpf_get_current_comm(c.s, sizeof(c.s));
	if (same(c.s, pidcomm, sizeof(pidcomm)))
		bump(&getpids, &c);
	return 0;
}

char _license[] SEC("license") = "GPL";
