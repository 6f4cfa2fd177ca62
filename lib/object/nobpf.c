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
 * A process that loaded libcoolbpf.so without the preload (python's ctypes:
 * pylcc) has libbpf.so bound to libc's syscall() and ioctl(); once the
 * module is chosen, libbpf's GOT slots for the two are pointed here.
 * On a kernel with bpf() everything passes straight through.
 *
 * Self-contained (libc only): the preload library is this file alone.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/perf_event.h>

#include "base/banned.h"
#include "coolbpf/nobpf.h"

const char *nobpf_backend(void);
void nobpf_force(void);

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

/* the module's device, if it opens and speaks our version: B_MODULE */
static void open_dev(void)
{
	int fd = open(COOLBPF_NOBPF_DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0 && real_ioctl()(fd, COOLBPF_NOBPF_IOC_VERSION, 0) == COOLBPF_NOBPF_VERSION) {
		/* high, out of the way of the fds programs count on */
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, 512);

		if (hi >= 0) {
			close(fd);
			fd = hi;
		}
		dev_fd = fd;
		backend = B_MODULE;
	} else if (fd >= 0) {
		close(fd);
	}
}

EXPORT long syscall(long nr, ...);
EXPORT int ioctl(int fd, unsigned long req, ...);

#if defined(__aarch64__)
#define R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define R_GLOB_DAT  R_AARCH64_GLOB_DAT
#else
#define R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define R_GLOB_DAT  R_X86_64_GLOB_DAT
#endif

/* the d_ptr of a dynamic entry: glibc relocates them in place, others not */
static uintptr_t dyn_ptr(uintptr_t base, ElfW(Addr) p)
{
	return p < base ? base + p : p;
}

/* one GOT slot of libbpf that holds libc's function (not someone else's
 * interposer, e.g. the preload library's): ours instead; a slot under
 * RELRO (BIND_NOW libbpf) is made writable for the store */
static void got_set(struct dl_phdr_info *info, void **slot, void *ours, void *libc)
{
	uintptr_t a = (uintptr_t)slot, pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	int relro = 0;

	if (*slot != libc)
		return;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_GNU_RELRO && a >= lo && a < lo + ph->p_memsz)
			relro = 1;
	}
	if (relro && mprotect((void *)(a & ~(pg - 1)), pg, PROT_READ | PROT_WRITE))
		return;
	__atomic_store_n(slot, ours, __ATOMIC_RELEASE);
	if (relro)
		mprotect((void *)(a & ~(pg - 1)), pg, PROT_READ);
}

static void got_rels(struct dl_phdr_info *info, const ElfW(Rela) * r, size_t n,
		     const ElfW(Sym) * symtab, const char *strtab)
{
	for (size_t i = 0; i < n / sizeof(*r); i++) {
		unsigned long t = ELF64_R_TYPE(r[i].r_info);
		const char *name = strtab + symtab[ELF64_R_SYM(r[i].r_info)].st_name;
		void **slot = (void **)(info->dlpi_addr + r[i].r_offset);

		if (t != R_JUMP_SLOT && t != R_GLOB_DAT)
			continue;
		if (!strcmp(name, "syscall"))
			got_set(info, slot, (void *)syscall, (void *)real_syscall());
		else if (!strcmp(name, "ioctl"))
			got_set(info, slot, (void *)ioctl, (void *)real_ioctl());
	}
}

static int got_fix(struct dl_phdr_info *info, size_t size, void *data)
{
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Rela) *rela = NULL, *jmprel = NULL;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	size_t relasz = 0, pltsz = 0;

	(void)size;
	(void)data;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "/libbpf.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = dyn_ptr(info->dlpi_addr, dyn->d_un.d_ptr);

		switch (dyn->d_tag) {
		case DT_SYMTAB:
			symtab = (const ElfW(Sym) *)p;
			break;
		case DT_STRTAB:
			strtab = (const char *)p;
			break;
		case DT_RELA:
			rela = (const ElfW(Rela) *)p;
			break;
		case DT_RELASZ:
			relasz = dyn->d_un.d_val;
			break;
		case DT_JMPREL:
			jmprel = (const ElfW(Rela) *)p;
			break;
		case DT_PLTRELSZ:
			pltsz = dyn->d_un.d_val;
			break;
		}
	}
	if (!symtab || !strtab)
		return 0;
	if (jmprel)
		got_rels(info, jmprel, pltsz, symtab, strtab);
	if (rela)
		got_rels(info, rela, relasz, symtab, strtab);
	return 0;
}

static int forced;

/* the module even where bpf() exists, if its device opens (COOLBPF_NOBPF=
 * force through coolbpf_object_opts__from_env: the differential tests run
 * the same program through both); before the first bpf() call */
void nobpf_force(void)
{
	forced = 1;
}

/* bpf() answers ENOSYS and the module's device opens: the module it is */
static int choose(void)
{
	union bpf_attr attr;
	long r;

	if (backend != B_UNKNOWN)
		return backend;
	pthread_mutex_lock(&lock);
	if (backend == B_UNKNOWN && forced) {
		backend = B_NONE;
		open_dev();
	}
	if (backend == B_UNKNOWN) {
		memset(&attr, 0, sizeof(attr));
		/* an invalid map: EINVAL (or EPERM) from a kernel that has bpf() */
		r = real_syscall()(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
		if (r >= 0)
			close((int)r);
		if (r >= 0 || errno != ENOSYS) {
			backend = B_KERNEL;
		} else {
			backend = B_NONE;
			open_dev();
		}
	}
	pthread_mutex_unlock(&lock);
	if (backend == B_MODULE)
		dl_iterate_phdr(got_fix, NULL);
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
