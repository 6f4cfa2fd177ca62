// SPDX-License-Identifier: GPL-2.0
/* Attach: the event user space asked perf_event_open for (a tracepoint, a
 * kprobe/kretprobe or uprobe/uretprobe of the kprobe/uprobe PMU) is opened
 * again by the module as a kernel counter on every online CPU, with an
 * overflow handler that runs the program: on the tracepoint's record as it
 * is (the trace_event_raw_* layout), or on the probe's pt_regs. The link is
 * an fd; closing it releases the counters. CPUs that come online later are
 * not covered (docs/NOBPF.md). */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/perf_event.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>

#include "nobpf.h"

struct nb_link {
	u32 id;
	struct file *prog_file;
	struct nb_prog *np;
	bool tracepoint;
	u64 cookie;
	struct tracepoint *tp; /* a raw tracepoint's, or the perf events below */
	struct perf_event *ev[NR_CPUS];
};

static void nb_overflow(struct perf_event *ev, struct perf_sample_data *data, struct pt_regs *regs)
{
	struct nb_link *l = ev->overflow_handler_context;
	void *ctx = regs;

	if (l->tracepoint) {
		if (!data->raw)
			return;
		ctx = data->raw->frag.data;
	}
	this_cpu_ptr(&nb_run)->cookie = l->cookie;
	nb_prog_run(l->np, ctx, regs);
}

static void nb_raw_probe(void *data, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6, u64 a7,
			 u64 a8, u64 a9, u64 a10, u64 a11);

static void link_free(struct nb_link *l)
{
	int cpu;

	if (l->tp) {
		tracepoint_probe_unregister(l->tp, nb_raw_probe, l);
		tracepoint_synchronize_unregister();
	}
	for_each_possible_cpu(cpu) if (l->ev[cpu]) perf_event_release_kernel(l->ev[cpu]);
	/* handlers run with preemption off: none is left after this */
	synchronize_rcu();
	if (l->prog_file)
		fput(l->prog_file);
	kfree(l);
}

static int link_release(struct inode *inode, struct file *f)
{
	link_free(f->private_data);
	return 0;
}

/* libbpf's ioctl attach path enables the perf event fd it got back: the
 * link stands in for it (user space dup2()s it there) */
static long link_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case PERF_EVENT_IOC_ENABLE:
	case PERF_EVENT_IOC_DISABLE:
		return 0;
	}
	return -ENOTTY;
}

static const struct file_operations nb_link_fops = {
	.owner = THIS_MODULE,
	.release = link_release,
	.unlocked_ioctl = link_ioctl,
};

bool nb_is_link(struct file *f)
{
	return f->f_op == &nb_link_fops;
}

int nb_link_info(struct file *f, void __user *uinfo, u32 *len)
{
	struct nb_link *l = f->private_data;
	struct bpf_link_info info = {};
	u32 n = min_t(u32, *len, sizeof(info));

	info.type = l->tp ? BPF_LINK_TYPE_RAW_TRACEPOINT : BPF_LINK_TYPE_PERF_EVENT;
	info.id = l->id;
	info.prog_id = l->np->id;
	*len = n;
	return copy_to_user(uinfo, &info, n) ? -EFAULT : 0;
}

int nb_attach(struct nb_prog *np, struct file *pf, struct perf_event_attr *attr, u64 cookie)
{
	struct nb_link *l;
	int cpu, fd, err = 0, n = 0;

	switch (attr->type) {
	case PERF_TYPE_HARDWARE:
	case PERF_TYPE_SOFTWARE:
	case PERF_TYPE_HW_CACHE:
	case PERF_TYPE_RAW:
	case PERF_TYPE_BREAKPOINT:
		return -EOPNOTSUPP;
	}
	if (np->type == BPF_PROG_TYPE_SOCKET_FILTER || np->type == BPF_PROG_TYPE_RAW_TRACEPOINT)
		return -EINVAL;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->id = nb_new_id();
	l->np = np;
	l->prog_file = get_file(pf);
	l->cookie = cookie;
	l->tracepoint = attr->type == PERF_TYPE_TRACEPOINT;
	attr->size = sizeof(*attr);
	attr->sample_period = 1;
	attr->freq = 0;
	attr->sample_type = PERF_SAMPLE_RAW;
	attr->disabled = 0;
	attr->inherit = 0;
	attr->wakeup_events = 1;
	cpus_read_lock();
	for_each_online_cpu(cpu)
	{
		struct perf_event *ev =
			perf_event_create_kernel_counter(attr, cpu, NULL, nb_overflow, l);

		if (IS_ERR(ev)) {
			err = PTR_ERR(ev);
			break;
		}
		l->ev[cpu] = ev;
		n++;
	}
	cpus_read_unlock();
	if (err || !n) {
		link_free(l);
		return err ?: -ENODEV;
	}
	/* the program lives as long as the link */
	fd = anon_inode_getfd("coolbpf-link", &nb_link_fops, l, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		link_free(l);
		return fd;
	}
	return fd;
}

/* ---- raw tracepoints ------------------------------------------------- */

/* The probe of every raw tracepoint: its arguments (scalars and pointers,
 * at most 12) as the program's u64 ctx[], as the kernel's bpf_trace_run
 * gives them. One signature for all: a tracepoint with fewer arguments
 * leaves the rest as whatever the registers and its caller's stack slots
 * hold (read, never written; a program reads only the ones its tracepoint
 * has). */
static void nb_raw_probe(void *data, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6, u64 a7,
			 u64 a8, u64 a9, u64 a10, u64 a11)
{
	struct nb_link *l = data;
	u64 args[12] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 };

	this_cpu_ptr(&nb_run)->cookie = 0;
	nb_prog_run(l->np, args, NULL);
}

struct tp_find {
	const char *name;
	struct tracepoint *tp;
};

static void tp_match(struct tracepoint *tp, void *priv)
{
	struct tp_find *f = priv;

	if (!strcmp(tp->name, f->name))
		f->tp = tp;
}

/* BPF_RAW_TRACEPOINT_OPEN: a tracepoint of the kernel proper, by name */
int nb_raw_tp_open(union bpf_attr *attr)
{
	char name[128];
	struct tp_find find = { .name = name };
	struct file *pf;
	struct nb_prog *np;
	struct nb_link *l;
	long n;
	int err, fd;

	n = strncpy_from_user(name, u64_to_user_ptr(attr->raw_tracepoint.name), sizeof(name));
	if (n < 0)
		return n;
	if (n == sizeof(name))
		return -E2BIG;
	np = nb_prog_from_fd(attr->raw_tracepoint.prog_fd, &pf);
	if (IS_ERR(np))
		return PTR_ERR(np);
	err = -EINVAL;
	if (np->type != BPF_PROG_TYPE_RAW_TRACEPOINT)
		goto out;
	for_each_kernel_tracepoint(tp_match, &find);
	err = -ENOENT;
	if (!find.tp)
		goto out;
	err = -ENOMEM;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		goto out;
	l->id = nb_new_id();
	l->np = np;
	l->prog_file = get_file(pf);
	err = tracepoint_probe_register(find.tp, nb_raw_probe, l);
	if (err) {
		link_free(l);
		goto out;
	}
	l->tp = find.tp;
	fd = anon_inode_getfd("coolbpf-link", &nb_link_fops, l, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		link_free(l);
	err = fd;
out:
	fput(pf);
	return err;
}
