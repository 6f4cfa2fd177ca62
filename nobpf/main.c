// SPDX-License-Identifier: GPL-2.0
/* coolbpf_nobpf: the bpf() system call as a character device, for kernels
 * built without it (CONFIG_BPF_SYSCALL=n). /dev/coolbpf's ioctls carry
 * bpf(cmd, attr, size); maps, programs and links are anon-inode fds, so
 * close() (or the death of the process) frees them. Programs run on the
 * kernel's own interpreter or JIT after the module's checks and rewrite
 * (prog.c; what that guarantees: docs/NOBPF.md). Root only. */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/kprobes.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/perf_event.h>
#include <linux/slab.h>

#include "coolbpf_nobpf.h"
#include "nobpf.h"
#include "trace.h"

static atomic_t nb_ids = ATOMIC_INIT(0);

int nb_new_id(void)
{
	return atomic_inc_return(&nb_ids);
}

unsigned long nb_lookup_symbol(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	unsigned long addr;

	if (register_kprobe(&kp))
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

/* the verifier log of a refused program: the same buffer libbpf prints */
int nb_log(union bpf_attr *attr, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_info_ratelimited("coolbpf_nobpf: %s", buf);
	if (attr && attr->log_buf && attr->log_size > 1) {
		u32 len = min_t(u32, n, attr->log_size - 1);

		if (copy_to_user(u64_to_user_ptr(attr->log_buf), buf, len) ||
		    put_user((char)0, (char __user *)u64_to_user_ptr(attr->log_buf) + len))
			return -EFAULT;
	}
	return 0;
}

/* the object behind fd when it is one of ours of that kind; a reference to
 * the file in *filp when asked for */
static void *obj_from_fd(int fd, const struct file_operations *fops, struct file **filp)
{
	struct file *f = fget(fd);
	void *obj;

	if (!f)
		return ERR_PTR(-EBADF);
	if (f->f_op != fops) {
		fput(f);
		return ERR_PTR(-EINVAL);
	}
	obj = f->private_data;
	if (filp)
		*filp = f;
	else
		fput(f);
	return obj;
}

struct nb_map *nb_map_from_fd(int fd, struct file **filp)
{
	return obj_from_fd(fd, &nb_map_fops, filp);
}

struct nb_prog *nb_prog_from_fd(int fd, struct file **filp)
{
	return obj_from_fd(fd, &nb_prog_fops, filp);
}

/* BTF: kept for its strings (the file:line of a refused instruction);
 * the module needs no type information */
struct nb_btf {
	void *data;
	u32 size;
};

static int nb_btf_release(struct inode *inode, struct file *f)
{
	struct nb_btf *b = f->private_data;

	kvfree(b->data);
	kfree(b);
	return 0;
}

static const struct file_operations nb_btf_fops = {
	.owner = THIS_MODULE,
	.release = nb_btf_release,
};

void *nb_btf_data(int fd, u32 *size)
{
	struct file *f = fget(fd);
	void *data = NULL;

	if (!f)
		return NULL;
	if (f->f_op == &nb_btf_fops) {
		struct nb_btf *b = f->private_data;

		data = kvmalloc(b->size ?: 1, GFP_KERNEL);
		if (data)
			memcpy(data, b->data, b->size);
		*size = b->size;
	}
	fput(f);
	return data;
}

static int nb_btf_load(union bpf_attr *attr)
{
	struct nb_btf *b;
	int fd;

	if (attr->btf_size > (64 << 20))
		return -E2BIG;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->size = attr->btf_size;
	b->data = kvmalloc(b->size ?: 1, GFP_KERNEL);
	if (!b->data || copy_from_user(b->data, u64_to_user_ptr(attr->btf), b->size)) {
		kvfree(b->data);
		kfree(b);
		return -EFAULT;
	}
	fd = anon_inode_getfd("coolbpf-btf", &nb_btf_fops, b, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		kvfree(b->data);
		kfree(b);
	}
	return fd;
}

static int nb_obj_info(union bpf_attr *attr, union bpf_attr __user *uattr)
{
	void __user *info = u64_to_user_ptr(attr->info.info);
	u32 len = attr->info.info_len;
	struct file *f = fget(attr->info.bpf_fd);
	int err = -EINVAL;

	if (!f)
		return -EBADF;
	if (f->f_op == &nb_map_fops)
		err = nb_map_info(f->private_data, info, &len);
	else if (f->f_op == &nb_prog_fops)
		err = nb_prog_info(f->private_data, info, &len);
	else if (nb_is_link(f))
		err = nb_link_info(f, info, &len);
	else if (f->f_op == &nb_btf_fops)
		err = clear_user(info, len) ? -EFAULT : 0;
	fput(f);
	if (!err && put_user(len, &uattr->info.info_len))
		err = -EFAULT;
	return err;
}

static int nb_link_create(union bpf_attr *attr)
{
	/* BPF_PERF_EVENT links arrive as COOLBPF_NOBPF_IOC_ATTACH (user space
	 * knows the perf_event_attr); libbpf's probe of the feature passes
	 * target_fd -1 and expects EBADF */
	if (attr->link_create.target_fd < 0)
		return -EBADF;
	return -EOPNOTSUPP;
}

/* the module's own tracepoint: every bpf() command through it and its
 * result, as u64 (raw tracepoint programs read ctx[0], ctx[1]); no trace
 * event, a raw tracepoint of a module (tests/vm/nobpf/modtp.bpf.c) */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 10, 0)
DEFINE_TRACE(coolbpf_nobpf_cmd, TP_PROTO(u64 cmd, s64 ret), TP_ARGS(cmd, ret));
#else
DEFINE_TRACE(coolbpf_nobpf_cmd);
#endif

static long nb_bpf_cmd(struct coolbpf_nobpf_call *c);

static long nb_bpf(struct coolbpf_nobpf_call *c)
{
	long ret = nb_bpf_cmd(c);

	trace_coolbpf_nobpf_cmd(c->cmd, ret);
	return ret;
}

static long nb_bpf_cmd(struct coolbpf_nobpf_call *c)
{
	union bpf_attr attr;
	union bpf_attr __user *uattr = u64_to_user_ptr(c->attr);
	u32 size = min_t(u32, c->size, sizeof(attr));

	memset(&attr, 0, sizeof(attr));
	if (copy_from_user(&attr, uattr, size))
		return -EFAULT;
	switch (c->cmd) {
	case BPF_MAP_CREATE:
		return nb_map_create(&attr);
	case BPF_MAP_LOOKUP_ELEM:
		return nb_map_lookup_user(&attr);
	case BPF_MAP_UPDATE_ELEM:
		return nb_map_update_user(&attr);
	case BPF_MAP_DELETE_ELEM:
		return nb_map_delete_user(&attr);
	case BPF_MAP_GET_NEXT_KEY:
		return nb_map_next_key_user(&attr);
	case BPF_MAP_FREEZE:
		return nb_map_freeze(&attr);
	case BPF_PROG_LOAD:
		return nb_prog_load(&attr);
	case BPF_BTF_LOAD:
		return nb_btf_load(&attr);
	case BPF_OBJ_GET_INFO_BY_FD:
		return nb_obj_info(&attr, uattr);
	case BPF_LINK_CREATE:
		return nb_link_create(&attr);
	case BPF_RAW_TRACEPOINT_OPEN:
		return nb_raw_tp_open(&attr);
	case BPF_PROG_BIND_MAP:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static long nb_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *p = (void __user *)arg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case COOLBPF_NOBPF_IOC_VERSION:
		return COOLBPF_NOBPF_VERSION;
	case COOLBPF_NOBPF_IOC_BPF: {
		struct coolbpf_nobpf_call c;

		if (copy_from_user(&c, p, sizeof(c)))
			return -EFAULT;
		return nb_bpf(&c);
	}
	case COOLBPF_NOBPF_IOC_ATTACH: {
		struct coolbpf_nobpf_attach a;
		struct perf_event_attr pattr;
		struct file *pf;
		struct nb_prog *np;
		int fd;

		if (copy_from_user(&a, p, sizeof(a)))
			return -EFAULT;
		memset(&pattr, 0, sizeof(pattr));
		if (copy_from_user(&pattr, u64_to_user_ptr(a.attr),
				   min_t(u32, a.attr_size, sizeof(pattr))))
			return -EFAULT;
		np = nb_prog_from_fd(a.prog_fd, &pf);
		if (IS_ERR(np))
			return PTR_ERR(np);
		fd = nb_attach(np, pf, &pattr, a.cookie);
		fput(pf);
		return fd;
	}
	}
	return -ENOTTY;
}

static int nb_open(struct inode *inode, struct file *f)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

static const struct file_operations nb_dev_fops = {
	.owner = THIS_MODULE,
	.open = nb_open,
	.unlocked_ioctl = nb_ioctl,
	.compat_ioctl = nb_ioctl,
};

static struct miscdevice nb_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "coolbpf",
	.fops = &nb_dev_fops,
	.mode = 0600,
};

static int __init nb_init(void)
{
	int err = nb_helpers_init();

	if (err)
		return err;
	err = nb_attach_init();
	if (err) {
		nb_helpers_exit();
		return err;
	}
	err = misc_register(&nb_dev);
	if (err) {
		nb_attach_exit();
		nb_helpers_exit();
	} else {
		pr_info("coolbpf_nobpf: /dev/coolbpf ready (bpf() through a module; see docs/NOBPF.md)\n");
	}
	return err;
}

static void __exit nb_exit(void)
{
	misc_deregister(&nb_dev);
	nb_attach_exit();
	nb_helpers_exit();
}

module_init(nb_init);
module_exit(nb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("coolbpf: the bpf() system call for kernels built without it");
