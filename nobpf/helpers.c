// SPDX-License-Identifier: GPL-2.0
/* The helpers programs may call (the allow-list), with the kernel's uAPI
 * semantics, and the run-time checks the rewrite inserts. Every pointer a
 * program hands in is treated as untrusted: maps must be ones the program
 * was loaded with, memory written must be the program's stack or a
 * writable value of one of its maps, memory read goes through the
 * fault-safe copy. */
#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/perf_event.h>
#include <linux/random.h>
#include <linux/irq_work.h>
#include <linux/ratelimit.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "nobpf.h"

#define SCRATCH 32768
static DEFINE_PER_CPU(u8 *, nb_scratch);

static struct nb_run *run(void)
{
	return this_cpu_ptr(&nb_run);
}

/* a refused access is said later, from an irq_work: programs run inside the
 * scheduler (sched_switch), where printk could take the runqueue lock */
static struct {
	char name[BPF_OBJ_NAME_LEN];
	const char *what;
	u64 addr, size, insn;
	atomic_t busy;
} last_fault;
static DEFINE_RATELIMIT_STATE(fault_rs, 5 * HZ, 10);

static void fault_say(struct irq_work *w)
{
	if (__ratelimit(&fault_rs))
		pr_warn("coolbpf_nobpf: prog '%s' insn %llu: %s of %llu bytes at %px refused (outside its stack and writable map values)\n",
			last_fault.name, last_fault.insn, last_fault.what, last_fault.size,
			(void *)last_fault.addr);
	atomic_set(&last_fault.busy, 0);
}
static DEFINE_IRQ_WORK(fault_work, fault_say);

static void fault(const char *what, u64 addr, u64 size, u64 insn)
{
	struct nb_prog *np = run()->np;

	if (np)
		atomic64_inc(&np->faults);
	if (atomic_cmpxchg(&last_fault.busy, 0, 1))
		return;
	strscpy(last_fault.name, np ? np->name : "?", sizeof(last_fault.name));
	last_fault.what = what;
	last_fault.addr = addr;
	last_fault.size = size;
	last_fault.insn = insn;
	irq_work_queue(&fault_work);
}

/* the map a program passes must be one it was loaded with */
static struct nb_map *prog_map(u64 p)
{
	struct nb_prog *np = run()->np;
	u32 i;

	for (i = 0; np && i < np->nr_maps; i++)
		if ((u64)np->map_ptr[i] == p)
			return np->map_ptr[i];
	return NULL;
}

bool nb_writable(unsigned long addr, u64 size)
{
	struct nb_run *r = run();
	unsigned long lo = r->fp - NB_STACK_USABLE;
	u32 i;

	if (!size)
		return true;
	if (size > MAX_BPF_STACK * 1024)
		return false;
	if (addr >= lo && addr + size <= r->fp && addr + size > addr)
		return true;
	for (i = 0; r->np && i < r->np->nr_maps; i++)
		if (nb_map_owns(r->np->map_ptr[i], addr, size))
			return true;
	return false;
}

u64 nb_set_frame(u64 fp, u64 r2, u64 r3, u64 r4, u64 r5)
{
	run()->fp = fp;
	return 0;
}

u64 nb_check_load(u64 addr, u64 size, u64 r3, u64 r4, u64 r5)
{
	u64 v = 0;

	if (copy_from_kernel_nofault(&v, (void *)addr, size))
		return 0; /* as the kernel's BPF_PROBE_MEM: a faulting load reads 0 */
	return v;
}

u64 nb_check_store(u64 addr, u64 value, u64 size, u64 insn, u64 r5)
{
	if (!nb_writable(addr, size)) {
		fault("store", addr, size, insn);
		return 0;
	}
	switch (size) {
	case 1:
		*(u8 *)addr = value;
		break;
	case 2:
		*(u16 *)addr = value;
		break;
	case 4:
		*(u32 *)addr = value;
		break;
	default:
		*(u64 *)addr = value;
	}
	return 0;
}

u64 nb_check_atomic(u64 addr, u64 value, u64 code, u64 insn, u64 r5)
{
	u32 size = code & 0xff, op = code >> 8;

	if (!nb_writable(addr, size) || (addr & (size - 1))) {
		fault("atomic", addr, size, insn);
		return 0;
	}
	if (size == 4) {
		atomic_t *a = (atomic_t *)addr;

		switch (op & ~BPF_FETCH) {
		case BPF_ADD:
			return (u32)atomic_fetch_add(value, a);
		case BPF_AND:
			return (u32)atomic_fetch_and(value, a);
		case BPF_OR:
			return (u32)atomic_fetch_or(value, a);
		case BPF_XOR:
			return (u32)atomic_fetch_xor(value, a);
		default:
			return (u32)atomic_xchg(a, value);
		}
	} else {
		atomic64_t *a = (atomic64_t *)addr;

		switch (op & ~BPF_FETCH) {
		case BPF_ADD:
			return atomic64_fetch_add(value, a);
		case BPF_AND:
			return atomic64_fetch_and(value, a);
		case BPF_OR:
			return atomic64_fetch_or(value, a);
		case BPF_XOR:
			return atomic64_fetch_xor(value, a);
		default:
			return atomic64_xchg(a, value);
		}
	}
}

/* a copy of untrusted memory into the CPU's scratch (no recursion: one
 * program per CPU at a time) */
static void *scratch(u64 src, u64 size, int slot)
{
	u8 *s = *this_cpu_ptr(&nb_scratch) + slot * (SCRATCH / 2);

	if (size > SCRATCH / 2 || copy_from_kernel_nofault(s, (void *)src, size))
		return NULL;
	return s;
}

static u64 h_map_lookup(u64 map, u64 key, u64 r3, u64 r4, u64 r5)
{
	struct nb_map *m = prog_map(map);
	void *k = m ? scratch(key, m->key_size, 0) : NULL;

	return k ? (u64)nb_map_lookup(m, k) : 0;
}

static u64 h_map_update(u64 map, u64 key, u64 value, u64 flags, u64 r5)
{
	struct nb_map *m = prog_map(map);
	void *k = m ? scratch(key, m->key_size, 0) : NULL;
	void *v = m ? scratch(value, m->value_size, 1) : NULL;

	if (!m)
		return -EINVAL;
	if (!k || !v)
		return -EFAULT;
	if (m->frozen)
		return -EPERM;
	return nb_map_update(m, k, v, flags);
}

static u64 h_map_delete(u64 map, u64 key, u64 r3, u64 r4, u64 r5)
{
	struct nb_map *m = prog_map(map);
	void *k = m ? scratch(key, m->key_size, 0) : NULL;

	if (!m)
		return -EINVAL;
	return k ? nb_map_delete(m, k) : -EFAULT;
}

static u64 read_into(u64 dst, u64 size, u64 src, bool user)
{
	long err;

	if (!nb_writable(dst, size)) {
		fault("helper write", dst, size, 0);
		return -EFAULT;
	}
	err = user ? copy_from_user_nofault((void *)dst, (const void __user *)src, size) :
		     copy_from_kernel_nofault((void *)dst, (void *)src, size);
	if (err)
		memset((void *)dst, 0, size);
	return err ? -EFAULT : 0;
}

static u64 h_probe_read_kernel(u64 dst, u64 size, u64 src, u64 r4, u64 r5)
{
	return read_into(dst, size, src, false);
}

static u64 h_probe_read_user(u64 dst, u64 size, u64 src, u64 r4, u64 r5)
{
	return read_into(dst, size, src, true);
}

static u64 h_probe_read(u64 dst, u64 size, u64 src, u64 r4, u64 r5)
{
	return read_into(dst, size, src, src < TASK_SIZE);
}

/* the _str helpers: up to size - 1 bytes and a NUL; the length with it */
static u64 read_str(u64 dst, u64 size, u64 src, bool user)
{
	u8 *d = (u8 *)dst;
	u64 i;

	if (!size)
		return -EINVAL;
	if (!nb_writable(dst, size)) {
		fault("helper write", dst, size, 0);
		return -EFAULT;
	}
	for (i = 0; i + 1 < size; i++) {
		long err = user ? copy_from_user_nofault(&d[i], (const void __user *)(src + i), 1) :
				  copy_from_kernel_nofault(&d[i], (void *)(src + i), 1);

		if (err) {
			d[0] = 0;
			return -EFAULT;
		}
		if (!d[i])
			return i + 1;
	}
	d[i] = 0;
	return i + 1;
}

static u64 h_probe_read_kernel_str(u64 dst, u64 size, u64 src, u64 r4, u64 r5)
{
	return read_str(dst, size, src, false);
}

static u64 h_probe_read_user_str(u64 dst, u64 size, u64 src, u64 r4, u64 r5)
{
	return read_str(dst, size, src, true);
}

static u64 h_probe_read_str(u64 dst, u64 size, u64 src, u64 r4, u64 r5)
{
	return read_str(dst, size, src, src < TASK_SIZE);
}

static u64 h_ktime_get_ns(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return ktime_get_mono_fast_ns();
}

static u64 h_ktime_get_boot_ns(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return ktime_get_boot_fast_ns();
}

static u64 h_get_prandom_u32(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return get_random_u32();
}

static u64 h_get_smp_processor_id(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return smp_processor_id();
}

static u64 h_get_current_pid_tgid(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return (u64)current->tgid << 32 | current->pid;
}

static u64 h_get_current_uid_gid(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	kuid_t uid;
	kgid_t gid;

	current_uid_gid(&uid, &gid);
	return (u64)from_kgid(&init_user_ns, gid) << 32 | from_kuid(&init_user_ns, uid);
}

static u64 h_get_current_comm(u64 buf, u64 size, u64 r3, u64 r4, u64 r5)
{
	if (!size || !nb_writable(buf, size)) {
		fault("helper write", buf, size, 0);
		return -EINVAL;
	}
	strscpy_pad((char *)buf, current->comm, size);
	return 0;
}

/* the pid and tgid in the pid namespace user space named by its nsfs inode
 * (the device is not compared: nsfs's mount is not exported; a kernel
 * without namespaces has only the initial one) */
static u64 h_get_ns_current_pid_tgid(u64 dev, u64 ino, u64 nsdata, u64 size, u64 r5)
{
	struct bpf_pidns_info *info = (struct bpf_pidns_info *)nsdata;
	struct pid_namespace *pidns;

	if (size != sizeof(*info) || !nb_writable(nsdata, size)) {
		fault("helper write", nsdata, size, 0);
		return -EINVAL;
	}
	memset(info, 0, sizeof(*info));
	pidns = task_active_pid_ns(current);
	if (!pidns || pidns->ns.inum != ino)
		return -ENOENT;
	info->pid = task_pid_nr_ns(current, pidns);
	info->tgid = task_tgid_nr_ns(current, pidns);
	return 0;
}

static u64 h_get_current_task(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return (u64)current;
}

static u64 h_get_attach_cookie(u64 ctx, u64 r2, u64 r3, u64 r4, u64 r5)
{
	return run()->cookie;
}

static u64 h_perf_event_output(u64 ctx, u64 map, u64 flags, u64 data, u64 size)
{
	struct nb_map *m = prog_map(map);
	void *d = m ? scratch(data, size, 0) : NULL;

	if (!m)
		return -EINVAL;
	return d ? nb_perf_output(m, flags, d, size) : -EFAULT;
}

static u64 h_get_stackid(u64 ctx, u64 map, u64 flags, u64 r4, u64 r5)
{
	struct nb_map *m = prog_map(map);

	return m ? nb_stack_get(m, run()->regs, flags) : -EINVAL;
}

static u64 h_ringbuf_reserve(u64 map, u64 size, u64 flags, u64 r4, u64 r5)
{
	struct nb_map *m = prog_map(map);

	return m && !flags ? (u64)nb_ringbuf_reserve(m, size) : 0;
}

static struct nb_map *sample_map(u64 sample)
{
	struct nb_prog *np = run()->np;
	u32 i;

	for (i = 0; np && i < np->nr_maps; i++)
		if (nb_ringbuf_owns(np->map_ptr[i], (void *)sample))
			return np->map_ptr[i];
	return NULL;
}

static u64 ringbuf_commit(u64 sample, u64 flags, bool discard)
{
	struct nb_map *m = sample_map(sample);

	if (m)
		nb_ringbuf_commit(m, (void *)sample, discard, flags);
	else
		fault(discard ? "ringbuf discard" : "ringbuf submit", sample, 0, 0);
	return 0;
}

static u64 h_ringbuf_submit(u64 sample, u64 flags, u64 r3, u64 r4, u64 r5)
{
	return ringbuf_commit(sample, flags, false);
}

static u64 h_ringbuf_discard(u64 sample, u64 flags, u64 r3, u64 r4, u64 r5)
{
	return ringbuf_commit(sample, flags, true);
}

static u64 h_ringbuf_output(u64 map, u64 data, u64 size, u64 flags, u64 r5)
{
	struct nb_map *m = prog_map(map);
	void *s = m ? nb_ringbuf_reserve(m, size) : NULL;

	if (!s)
		return -EAGAIN;
	if (copy_from_kernel_nofault(s, (void *)data, size)) {
		nb_ringbuf_commit(m, s, true, flags);
		return -EFAULT;
	}
	nb_ringbuf_commit(m, s, false, flags);
	return 0;
}

/* bpf_trace_printk: the kernel's format subset (%d %i %u %x %X %ld %lu
 * %lx %lld %llu %llx %p %c %s %%), %s read fault-safe; the line lands in
 * the trace buffer as "...: bpf_trace_printk: msg", the kernel's shape */
static int format(char *out, size_t outsz, const char *fmt, const u64 *args, int nargs)
{
	char strs[3][64];
	u64 vals[12];
	char f2[160];
	int ai = 0, si = 0, n = 0;
	const char *p;

	for (p = fmt; *p && n < (int)sizeof(f2) - 4; p++) {
		f2[n++] = *p;
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			f2[n++] = *++p;
			continue;
		}
		if (ai >= nargs || ai >= 12)
			return -EINVAL;
		while (p[1] == 'l' || p[1] == 'h' || (p[1] >= '0' && p[1] <= '9') || p[1] == '-')
			f2[n++] = *++p;
		p++;
		switch (*p) {
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X':
		case 'c':
		case 'p':
			/* %p prints the value, never dereferences (no %pS extensions) */
			if (*p == 'p') {
				n--;
				while (n && f2[n] != '%')
					n--;
				n++;
				f2[n++] = 'l';
				f2[n++] = 'x';
				vals[ai] = args[ai];
				ai++;
				continue;
			}
			f2[n++] = *p;
			vals[ai] = args[ai];
			ai++;
			break;
		case 's':
			if (si >= 3)
				return -EINVAL;
			f2[n++] = 's';
			if (read_str((u64)strs[si], sizeof(strs[si]), args[ai],
				     args[ai] < TASK_SIZE) > 64)
				strs[si][0] = 0;
			vals[ai++] = (u64)strs[si++];
			break;
		default:
			return -EINVAL;
		}
	}
	f2[n] = 0;
	/* every conversion takes a u64 slot: casts are per conversion */
	return snprintf(out, outsz, f2, vals[0], vals[1], vals[2], vals[3], vals[4], vals[5],
			vals[6], vals[7], vals[8], vals[9], vals[10], vals[11]);
}

static noinline u64 bpf_trace_printk(const char *fmt, const u64 *args, int nargs)
{
	char buf[256];
	int n;

	n = format(buf, sizeof(buf), fmt, args, nargs);
	if (n < 0)
		return n;
	n = min_t(int, n, sizeof(buf) - 1);
	__trace_puts(_THIS_IP_, buf, n);
	return n;
}

static const char *fmt_copy(u64 fmt, u64 size)
{
	char *f = scratch(fmt, min_t(u64, size, 255), 1);

	if (!f || !size || size > 255 || f[size - 1])
		return NULL;
	return f;
}

static u64 h_trace_printk(u64 fmt, u64 size, u64 a1, u64 a2, u64 a3)
{
	const char *f = fmt_copy(fmt, size);
	u64 args[3] = { a1, a2, a3 };

	return f ? bpf_trace_printk(f, args, 3) : -EINVAL;
}

static u64 h_trace_vprintk(u64 fmt, u64 size, u64 data, u64 len, u64 r5)
{
	const char *f = fmt_copy(fmt, size);
	u64 args[12];

	if (!f || len % 8 || len > sizeof(args) ||
	    copy_from_kernel_nofault(args, (void *)data, len))
		return -EINVAL;
	return bpf_trace_printk(f, args, len / 8);
}

#define H(id, fn) [BPF_FUNC_##id] = fn
static void *const helpers[] = {
	H(map_lookup_elem, h_map_lookup),
	H(map_update_elem, h_map_update),
	H(map_delete_elem, h_map_delete),
	H(probe_read, h_probe_read),
	H(ktime_get_ns, h_ktime_get_ns),
	H(trace_printk, h_trace_printk),
	H(get_prandom_u32, h_get_prandom_u32),
	H(get_smp_processor_id, h_get_smp_processor_id),
	H(get_current_pid_tgid, h_get_current_pid_tgid),
	H(get_current_uid_gid, h_get_current_uid_gid),
	H(get_current_comm, h_get_current_comm),
	H(get_ns_current_pid_tgid, h_get_ns_current_pid_tgid),
	H(perf_event_output, h_perf_event_output),
	H(get_stackid, h_get_stackid),
	H(get_current_task, h_get_current_task),
	H(probe_read_str, h_probe_read_str),
	H(probe_read_user, h_probe_read_user),
	H(probe_read_kernel, h_probe_read_kernel),
	H(probe_read_user_str, h_probe_read_user_str),
	H(probe_read_kernel_str, h_probe_read_kernel_str),
	H(ktime_get_boot_ns, h_ktime_get_boot_ns),
	H(ringbuf_output, h_ringbuf_output),
	H(ringbuf_reserve, h_ringbuf_reserve),
	H(ringbuf_submit, h_ringbuf_submit),
	H(ringbuf_discard, h_ringbuf_discard),
	H(get_current_task_btf, h_get_current_task),
	H(get_attach_cookie, h_get_attach_cookie),
	H(trace_vprintk, h_trace_vprintk),
};

void *nb_helper(s32 id)
{
	return id > 0 && id < (s32)ARRAY_SIZE(helpers) ? helpers[id] : NULL;
}

int nb_helpers_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
	{
		u8 *s = kmalloc_node(SCRATCH, GFP_KERNEL, cpu_to_node(cpu));

		if (!s)
			return -ENOMEM;
		per_cpu(nb_scratch, cpu) = s;
	}
	return nb_maps_init();
}

void nb_helpers_exit(void)
{
	int cpu;

	irq_work_sync(&fault_work);
	for_each_possible_cpu(cpu) kfree(per_cpu(nb_scratch, cpu));
}
