// SPDX-License-Identifier: GPL-2.0
/* Attach: the event user space asked perf_event_open for (a tracepoint, a
 * kprobe/kretprobe of the kprobe PMU) is opened again by the module as a
 * kernel counter on every online CPU, with an overflow handler that runs
 * the program: on the tracepoint's record as it is (the trace_event_raw_*
 * layout), or on the probe's pt_regs. The link is an fd; closing it
 * releases the counters. A CPU that comes online later (or again: perf
 * drops a CPU's events when it goes offline) gets its counter from a work
 * item the hotplug callback queues. A uprobe/uretprobe of the uprobe PMU
 * is registered with the kernel's uprobe_register instead (the binary's
 * inode held while the link lasts): nothing per CPU, so every CPU, online
 * now or later, is covered. Raw tracepoints are not per CPU either. */
#include <linux/anon_inodes.h>
#include <linux/cpuhotplug.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/perf_event.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "nobpf.h"

struct nb_link {
	u32 id;
	struct file *prog_file;
	struct nb_prog *np;
	bool tracepoint;
	u64 cookie;
	struct tracepoint *tp; /* a raw tracepoint's, or the perf events below */
	struct module *tp_mod; /* the module defining it, referenced */
	/* perf events: one per online CPU; the attr again for a CPU that
	 * comes online (replay: it names no user memory) */
	struct perf_event_attr attr;
	bool replay, hp_added;
	struct mutex lock; /* ev[] */
	struct hlist_node hp;
	struct work_struct online_work;
	struct cpumask pending; /* CPUs that came online, counters to renew */
	/* a uprobe of uprobe_register: its binary, held */
	struct path upath;
	struct nb_uprobe up;
	bool up_registered;
	struct perf_event *ev[NR_CPUS];
};

static int nb_cpuhp_state = -1;

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
	if (l->tp_mod)
		module_put(l->tp_mod);
	if (l->up_registered)
		nb_uprobe_unregister(&l->up);
	if (l->upath.dentry)
		path_put(&l->upath);
	if (l->hp_added) {
		/* no callback queues the work after this, none runs after that */
		cpuhp_state_remove_instance_nocalls(nb_cpuhp_state, &l->hp);
		cancel_work_sync(&l->online_work);
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

/* a CPU's counter; -ENODEV: the CPU is offline (perf checks under its
 * context's lock, so a CPU going down meanwhile is not missed: its
 * callback comes after) */
static struct perf_event *link_counter(struct nb_link *l, struct perf_event_attr *attr, int cpu)
{
	return perf_event_create_kernel_counter(attr, cpu, NULL, nb_overflow, l);
}

/* a CPU came online: its old counter (if any) was taken off when it went
 * down and never comes back; a new one. In a work item: creating a
 * counter may register a kprobe, which takes the hotplug lock the
 * callback runs under. */
static void link_online_work(struct work_struct *w)
{
	struct nb_link *l = container_of(w, struct nb_link, online_work);
	int cpu;

	mutex_lock(&l->lock);
	if (!l->replay)
		cpumask_clear(&l->pending);
	for_each_cpu(cpu, &l->pending)
	{
		struct perf_event *ev;

		cpumask_clear_cpu(cpu, &l->pending);
		if (l->ev[cpu])
			perf_event_release_kernel(l->ev[cpu]);
		l->ev[cpu] = NULL;
		ev = link_counter(l, &l->attr, cpu);
		if (!IS_ERR(ev))
			l->ev[cpu] = ev;
		else if (PTR_ERR(ev) != -ENODEV)
			pr_warn_ratelimited(
				"coolbpf_nobpf: link %u: no counter on CPU %d come online: %ld\n",
				l->id, cpu, PTR_ERR(ev));
	}
	mutex_unlock(&l->lock);
}

static int nb_cpu_online(unsigned int cpu, struct hlist_node *node)
{
	struct nb_link *l = hlist_entry(node, struct nb_link, hp);

	cpumask_set_cpu(cpu, &l->pending);
	queue_work(system_long_wq, &l->online_work);
	return 0;
}

int nb_attach_init(void)
{
	int st = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN, "coolbpf_nobpf:online", nb_cpu_online,
					 NULL);

	if (st < 0)
		return st;
	nb_cpuhp_state = st;
	return 0;
}

void nb_attach_exit(void)
{
	cpuhp_remove_multi_state(nb_cpuhp_state);
}

/* the attr again for later CPUs: a kprobe names its function by a user
 * pointer (only the attaching process can read it), so it is given by
 * address instead (uprobes are not per CPU: nb_attach_uprobe) */
static void link_replay(struct nb_link *l, struct perf_event_attr *attr, const char *pmu)
{
	char func[KSYM_NAME_LEN];
	unsigned long addr;

	l->attr = *attr;
	if (attr->type == PERF_TYPE_TRACEPOINT) {
		l->replay = true;
	} else if (!strcmp(pmu, "kprobe")) {
		if (!attr->config1) {
			l->replay = true; /* already by address */
			return;
		}
		if (strncpy_from_user(func, u64_to_user_ptr(attr->config1), sizeof(func)) <= 0)
			return;
		func[sizeof(func) - 1] = 0;
		addr = nb_lookup_symbol(func);
		if (!addr)
			return;
		/* kprobe_func none: config2 is kprobe_addr, no longer probe_offset */
		l->attr.config1 = 0;
		l->attr.config2 = addr + attr->config2;
		l->replay = true;
	}
}

/* ---- uprobes ---------------------------------------------------------- */

/* in the probed task, preemptible: the program runs on one CPU throughout
 * and in an RCU read section, as the perf path ran it */
static int nb_uprobe_run(struct uprobe_consumer *uc, struct pt_regs *regs)
{
	struct nb_link *l = container_of(uc, struct nb_link, up.uc);

	rcu_read_lock();
	preempt_disable();
	this_cpu_ptr(&nb_run)->cookie = l->cookie;
	nb_prog_run(l->np, regs, regs);
	preempt_enable();
	rcu_read_unlock();
	return 0; /* keep the breakpoint */
}

static int nb_uretprobe_run(struct uprobe_consumer *uc, unsigned long func, struct pt_regs *regs)
{
	return nb_uprobe_run(uc, regs);
}

/* the uprobe PMU's type (dynamic): known once one event of it was made */
static int nb_uprobe_type = -1, nb_kprobe_type = -1;

/* is attr an event of the uprobe PMU? Its type is a number perf gave it at
 * boot, named only by its pmu: an event of that type is made once
 * (disabled, on one CPU) to read the name, and the answer kept */
static bool nb_is_uprobe(struct perf_event_attr *attr)
{
	struct perf_event_attr a = *attr;
	struct perf_event *ev;
	bool up;

	if (attr->type == PERF_TYPE_TRACEPOINT || (int)attr->type == READ_ONCE(nb_kprobe_type))
		return false;
	if ((int)attr->type == READ_ONCE(nb_uprobe_type))
		return true;
	a.size = sizeof(a);
	a.disabled = 1;
	ev = perf_event_create_kernel_counter(&a, cpumask_first(cpu_online_mask), NULL, NULL, NULL);
	if (IS_ERR(ev))
		return false; /* nb_attach's counters get the error again */
	up = ev->pmu->name && !strcmp(ev->pmu->name, "uprobe");
	if (up)
		WRITE_ONCE(nb_uprobe_type, attr->type);
	else if (ev->pmu->name && !strcmp(ev->pmu->name, "kprobe"))
		WRITE_ONCE(nb_kprobe_type, attr->type);
	perf_event_release_kernel(ev);
	return up;
}

/* the uprobe PMU's attr, as libbpf writes it: config1 the binary's path
 * (a user pointer), config2 the file offset, config bit 0 a uretprobe,
 * config bits 32-63 the reference counter's offset (0: none). The pid
 * is not looked at: every process that maps the binary is probed. */
static int nb_attach_uprobe(struct nb_link *l, struct perf_event_attr *attr)
{
	struct inode *inode;
	char *name;
	int err;

	name = strndup_user(u64_to_user_ptr(attr->config1), PATH_MAX);
	if (IS_ERR(name))
		return PTR_ERR(name);
	err = kern_path(name, LOOKUP_FOLLOW, &l->upath);
	kfree(name);
	if (err)
		return err;
	if (!d_is_reg(l->upath.dentry))
		return -EINVAL;
	inode = d_real_inode(l->upath.dentry);
	l->up.inode = inode;
	l->up.offset = attr->config2;
	if (attr->config & 1)
		l->up.uc.ret_handler = nb_uretprobe_run;
	else
		l->up.uc.handler = nb_uprobe_run;
	err = nb_uprobe_register(&l->up, attr->config >> 32);
	if (err)
		return err;
	l->up_registered = true;
	return 0;
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
	mutex_init(&l->lock);
	INIT_WORK(&l->online_work, link_online_work);
	attr->size = sizeof(*attr);
	attr->sample_period = 1;
	attr->freq = 0;
	attr->sample_type = PERF_SAMPLE_RAW;
	attr->disabled = 0;
	attr->inherit = 0;
	attr->wakeup_events = 1;
	if (nb_is_uprobe(attr)) {
		err = nb_attach_uprobe(l, attr);
		goto done;
	}
	/* the callback first: a CPU coming online from here on gets its
	 * counter from the work (which waits for this loop: l->lock) */
	if (nb_cpuhp_state >= 0 && !cpuhp_state_add_instance_nocalls(nb_cpuhp_state, &l->hp))
		l->hp_added = true;
	mutex_lock(&l->lock);
	for_each_online_cpu(cpu)
	{
		struct perf_event *ev = link_counter(l, attr, cpu);

		if (IS_ERR(ev)) {
			if (PTR_ERR(ev) == -ENODEV)
				continue; /* went offline meanwhile */
			err = PTR_ERR(ev);
			break;
		}
		if (!n)
			link_replay(l, attr, ev->pmu->name ?: "");
		l->ev[cpu] = ev;
		n++;
	}
	if (!l->replay)
		cpumask_clear(&l->pending); /* nothing to renew them with */
	mutex_unlock(&l->lock);
	if (!l->replay && l->hp_added) {
		cpuhp_state_remove_instance_nocalls(nb_cpuhp_state, &l->hp);
		cancel_work_sync(&l->online_work);
		l->hp_added = false;
	}
	if (!err && !n)
		err = -ENODEV;
done:
	if (err) {
		link_free(l);
		return err;
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
	struct module *mod; /* referenced, for a module's tracepoint */
};

static void tp_match(struct tracepoint *tp, void *priv)
{
	struct tp_find *f = priv;

	if (!strcmp(tp->name, f->name))
		f->tp = tp;
}

/* tracepoints of modules: no exported walk over them, but a tracepoint
 * module notifier is told of every loaded module with tracepoints when it
 * registers; the module found is held until the link goes */
static DEFINE_MUTEX(tp_find_lock);
static struct tp_find *tp_finding;

static int tp_module_match(struct notifier_block *nb, unsigned long val, void *data)
{
	struct tp_module *tm = data;
	struct tp_find *f = READ_ONCE(tp_finding);
	unsigned int i;

	if (val != MODULE_STATE_COMING || !f || f->tp)
		return NOTIFY_OK;
	for (i = 0; i < tm->mod->num_tracepoints; i++) {
		struct tracepoint *tp = tracepoint_ptr_deref(&tm->mod->tracepoints_ptrs[i]);

		if (!strcmp(tp->name, f->name) && try_module_get(tm->mod)) {
			f->tp = tp;
			f->mod = tm->mod;
			break;
		}
	}
	return NOTIFY_OK;
}

static struct notifier_block tp_module_nb = { .notifier_call = tp_module_match };

static void tp_find_in_modules(struct tp_find *f)
{
	mutex_lock(&tp_find_lock);
	WRITE_ONCE(tp_finding, f);
	if (!register_tracepoint_module_notifier(&tp_module_nb))
		unregister_tracepoint_module_notifier(&tp_module_nb);
	WRITE_ONCE(tp_finding, NULL);
	mutex_unlock(&tp_find_lock);
}

/* BPF_RAW_TRACEPOINT_OPEN: a tracepoint of the kernel or of a loaded
 * module, by name */
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
	if (!find.tp)
		tp_find_in_modules(&find);
	err = -ENOENT;
	if (!find.tp)
		goto out;
	err = -ENOMEM;
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l) {
		if (find.mod)
			module_put(find.mod);
		goto out;
	}
	l->id = nb_new_id();
	l->np = np;
	l->prog_file = get_file(pf);
	l->tp_mod = find.mod;
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
