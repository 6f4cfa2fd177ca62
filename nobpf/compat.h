/* SPDX-License-Identifier: GPL-2.0 */
/* What the module needs from the kernel that changes between versions.
 * Written and tested against 6.1, loaded and compared with the kernel's
 * own bpf() on Debian's 5.10 and 6.12 (tests/vm/run-nobpf-diff); the
 * 3.10/4.x spellings are named here, not tested. */
#ifndef NOBPF_COMPAT_H
#define NOBPF_COMPAT_H

#include <linux/version.h>
#include <linux/filter.h>
#include <linux/mm.h>
#include <linux/perf_event.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uprobes.h>

/* copy_from_kernel_nofault: 5.8; probe_kernel_read before */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 8, 0)
#define copy_from_kernel_nofault    probe_kernel_read
#define strncpy_from_kernel_nofault strncpy_from_unsafe
#endif

/* BPF_ATOMIC and the fetching atomics: 5.12; before, BPF_XADD (the same
 * opcode as BPF_ATOMIC with imm BPF_ADD) is the only one, and the
 * interpreter runs only it (NB_OLD_ATOMICS: others on the stack refused) */
#ifndef BPF_ATOMIC
#define BPF_ATOMIC     0xc0
#define BPF_FETCH      0x01
#define BPF_XCHG       (0xe0 | BPF_FETCH)
#define BPF_CMPXCHG    (0xf0 | BPF_FETCH)
#define NB_OLD_ATOMICS 1
#else
#define NB_OLD_ATOMICS 0
#endif

/* helpers (and a link type) newer than the kernel's headers: their uAPI numbers */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#define BPF_FUNC_get_current_task_btf 158
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 15, 0)
#define BPF_FUNC_get_attach_cookie 174
#define BPF_LINK_TYPE_PERF_EVENT   7
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 16, 0)
#define BPF_FUNC_trace_vprintk 177
#endif

/* vma->vm_flags is read-only from 6.3 (vm_flags_mod); written before */
static inline void nb_vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set, vm_flags_t clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/* kvrealloc: 5.15 with the old size, 6.11 without; a copy before */
static inline void *nb_kvrealloc(void *p, size_t old, size_t size, gfp_t gfp)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return kvrealloc(p, size, gfp);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 15, 0)
	return kvrealloc(p, old, size, gfp);
#else
	void *n = kvmalloc(size, gfp);

	if (n && p)
		memcpy(n, p, min(old, size));
	if (n)
		kvfree(p);
	return n;
#endif
}

/* a raw sample: the kernel sizes it in perf_prepare_sample before 6.3,
 * the caller from 6.3 (dyn_size); sample_flags says it is there from 6.1.
 * (Written out, not perf_sample_save_raw_data: 6.12 stable changed its
 * arguments.) */
static inline void nb_sample_raw(struct perf_sample_data *sd, struct perf_raw_record *raw)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	u32 size = round_up(raw->frag.size + sizeof(u32), sizeof(u64));

	raw->size = size - sizeof(u32);
	raw->frag.pad = raw->size - raw->frag.size;
	sd->dyn_size += size;
#endif
	sd->raw = raw;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)
	sd->sample_flags |= PERF_SAMPLE_RAW;
#endif
}

/* a uprobe of the kernel's own (uprobe_register): until 6.12 by (inode,
 * offset), with uprobe_register_refctr for a reference counter (5.1; the
 * same with 0); from 6.12 uprobe_register takes the counter and returns
 * the struct uprobe, which unregistering takes, in two steps (nosync, then
 * sync: no handler runs after it). 3.10-4.x: uprobe_register without
 * the counter (not tried). */
struct nb_uprobe {
	struct inode *inode;
	loff_t offset;
	struct uprobe *uprobe;
	struct uprobe_consumer uc;
};

static inline int nb_uprobe_register(struct nb_uprobe *u, loff_t ref_ctr_offset)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	u->uprobe = uprobe_register(u->inode, u->offset, ref_ctr_offset, &u->uc);
	return PTR_ERR_OR_ZERO(u->uprobe);
#else
	return uprobe_register_refctr(u->inode, u->offset, ref_ctr_offset, &u->uc);
#endif
}

/* synchronous: no handler of it runs once this returns */
static inline void nb_uprobe_unregister(struct nb_uprobe *u)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	uprobe_unregister_nosync(u->uprobe, &u->uc);
	uprobe_unregister_sync();
#else
	uprobe_unregister(u->inode, u->offset, &u->uc);
#endif
}

/* a symbol the kernel has but does not export (perf_event_output,
 * perf_event_get): looked up once through a kprobe on it */
unsigned long nb_lookup_symbol(const char *name);

#endif
