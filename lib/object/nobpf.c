// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf() on a kernel that has none: when the bpf system call says ENOSYS and
 * /dev/coolbpf (the coolbpf_nobpf module, nobpf/) is there, the bpf() calls
 * libbpf makes go to the device instead. libbpf makes them through
 * syscall(__NR_bpf, ...) and attaches through perf_event_open() +
 * ioctl(PERF_EVENT_IOC_SET_BPF) or BPF_LINK_CREATE: this file interposes
 * syscall() and ioctl() (a program linking libcoolbpf.a, and the preload
 * library build/lib/libcoolbpf-nobpf.so for third-party libbpf tools),
 * remembers what each perf_event_open asked for and hands that event to
 * the module, which opens it on every CPU and runs the program there.
 * On a kernel with bpf() everything passes straight through.
 *
 * Self-contained (libc only): the preload library is this file alone.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/perf_event.h>

#include "base/banned.h"
#include "coolbpf/nobpf.h"

const char *nobpf_backend(void);

#define EXPORT	__attribute__((visibility("default")))
#define MAX_FDS 4096
#define STR_MAX 4096

typedef long (*syscall_fn)(long, ...);
typedef int (*ioctl_fn)(int, unsigned long, ...);

enum { B_UNKNOWN, B_KERNEL, B_MODULE, B_NONE };
static int backend = B_UNKNOWN;
static int dev_fd = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* what perf_event_open asked for, by fd: the module opens the same event */
struct pev {
	struct perf_event_attr attr;
	char str[STR_MAX]; /* kprobe function / uprobe path */
};
static struct pev *pevs[MAX_FDS];

static syscall_fn real_syscall(void)
{
	static syscall_fn fn;

	if (!fn)
		fn = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	return fn;
}

static ioctl_fn real_ioctl(void)
{
	static ioctl_fn fn;

	if (!fn)
		fn = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	return fn;
}

static long dev_call(unsigned long req, void *arg)
{
	int r = real_ioctl()(dev_fd, req, arg);

	return r;
}

/* bpf() answers ENOSYS and the module's device opens: the module it is */
static int choose(void)
{
	union bpf_attr attr;
	long r;
	int fd;

	if (backend != B_UNKNOWN)
		return backend;
	pthread_mutex_lock(&lock);
	if (backend == B_UNKNOWN) {
		memset(&attr, 0, sizeof(attr));
		/* an invalid map: EINVAL (or EPERM) from a kernel that has bpf() */
		r = real_syscall()(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
		if (r >= 0)
			close((int)r);
		if (r >= 0 || errno != ENOSYS) {
			backend = B_KERNEL;
		} else {
			fd = open(COOLBPF_NOBPF_DEV, O_RDWR | O_CLOEXEC);
			if (fd >= 0 && real_ioctl()(fd, COOLBPF_NOBPF_IOC_VERSION, 0) ==
					       COOLBPF_NOBPF_VERSION) {
				/* high, out of the way of the fds programs count on */
				int hi = fcntl(fd, F_DUPFD_CLOEXEC, 512);

				if (hi >= 0) {
					close(fd);
					fd = hi;
				}
				dev_fd = fd;
				backend = B_MODULE;
			} else {
				if (fd >= 0)
					close(fd);
				backend = B_NONE;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return backend;
}

static long attach(int prog_fd, int pfd, __u64 cookie)
{
	struct coolbpf_nobpf_attach a = { .prog_fd = (__u32)prog_fd, .cookie = cookie };
	struct perf_event_attr attr;
	struct pev *p;

	pthread_mutex_lock(&lock);
	p = pfd >= 0 && pfd < MAX_FDS ? pevs[pfd] : NULL;
	if (p)
		attr = p->attr;
	pthread_mutex_unlock(&lock);
	if (!p) {
		errno = EBADF;
		return -1;
	}
	a.attr = (__u64)(unsigned long)&attr;
	a.attr_size = sizeof(attr);
	return dev_call(COOLBPF_NOBPF_IOC_ATTACH, &a);
}

static long bpf_module(int cmd, union bpf_attr *attr, unsigned int size)
{
	struct coolbpf_nobpf_call c = { .cmd = (__u32)cmd,
					.size = size,
					.attr = (__u64)(unsigned long)attr };

	if (cmd == BPF_LINK_CREATE && attr->link_create.attach_type == BPF_PERF_EVENT &&
	    (int)attr->link_create.target_fd >= 0)
		return attach((int)attr->link_create.prog_fd, (int)attr->link_create.target_fd,
			      attr->link_create.perf_event.bpf_cookie);
	return dev_call(COOLBPF_NOBPF_IOC_BPF, &c);
}

static void remember(int fd, const struct perf_event_attr *attr)
{
	struct pev *p;
	size_t n;

	if (fd < 0 || fd >= MAX_FDS)
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	n = attr->size && attr->size < sizeof(p->attr) ? attr->size : sizeof(p->attr);
	memcpy(&p->attr, attr, n);
	/* a dynamic PMU's config1 is the kprobe function or the uprobe path */
	if (attr->type > PERF_TYPE_BREAKPOINT && attr->config1) {
		const char *src = (const char *)(unsigned long)attr->config1;
		size_t len = strnlen(src, STR_MAX - 1);

		memcpy(p->str, src, len);
		p->attr.config1 = (__u64)(unsigned long)p->str;
	}
	pthread_mutex_lock(&lock);
	free(pevs[fd]);
	pevs[fd] = p;
	pthread_mutex_unlock(&lock);
}

EXPORT long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	long r;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf && choose() == B_MODULE)
		return bpf_module((int)a[0], (union bpf_attr *)a[1], (unsigned int)a[2]);
	if (nr == __NR_perf_event_open && choose() == B_MODULE) {
		const struct perf_event_attr *attr = (const struct perf_event_attr *)a[0];
		struct perf_event_attr quiet;

		/* a probe or tracepoint event: the module opens its own on every
		 * CPU; this one stays, disabled, as the fd libbpf holds */
		if (attr &&
		    (attr->type == PERF_TYPE_TRACEPOINT || attr->type > PERF_TYPE_BREAKPOINT)) {
			size_t n = attr->size && attr->size < sizeof(quiet) ? attr->size :
									      sizeof(quiet);

			memset(&quiet, 0, sizeof(quiet));
			memcpy(&quiet, attr, n);
			quiet.disabled = 1;
			r = real_syscall()(nr, &quiet, a[1], a[2], a[3], a[4], a[5]);
			if (r >= 0)
				remember((int)r, attr);
			return r;
		}
	}
	return real_syscall()(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == PERF_EVENT_IOC_SET_BPF && backend == B_MODULE) {
		/* the link takes the perf event's fd number: close() detaches */
		long link = attach((int)(long)arg, fd, 0);

		if (link < 0)
			return -1;
		if (dup3((int)link, fd, O_CLOEXEC) < 0) {
			close((int)link);
			return -1;
		}
		close((int)link);
		return 0;
	}
	return real_ioctl()(fd, req, arg);
}

/* which bpf() this process uses: "kernel", "module" (coolbpf_nobpf) or
 * "none" (no bpf() and no module) */
const char *nobpf_backend(void)
{
	switch (choose()) {
	case B_KERNEL:
		return "kernel";
	case B_MODULE:
		return "module";
	default:
		return "none";
	}
}
