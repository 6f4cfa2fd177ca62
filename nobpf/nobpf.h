/* SPDX-License-Identifier: GPL-2.0 */
/* coolbpf_nobpf: the module's own types, shared by its files. */
#ifndef NOBPF_H
#define NOBPF_H

#include <linux/string.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "compat.h"

#define NB_MAX_USED_MAPS 64
/* the bottom of every program's 512-byte stack belongs to the rewriter:
 * saved r0-r5 around checked accesses, the loop budget */
#define NB_RESERVED	64
#define NB_STACK_USABLE (MAX_BPF_STACK - NB_RESERVED)
#define NB_SLOT(i)	(-MAX_BPF_STACK + 8 * (i)) /* r10-relative */
#define NB_SLOT_BUDGET	6
#define NB_LOOP_BUDGET	(1 << 20) /* backward jumps one run may take */
/* libbpf's mark on an instruction whose CO-RE relocation failed (a field
 * this kernel lacks): the verifier refuses it when reachable; the module
 * cannot tell, so reaching it ends the run (returns 0), as a budget does */
#define NB_CORE_POISON 0xbad2310

struct nb_map {
	u32 type, key_size, value_size, max_entries, flags;
	u32 id;
	char name[BPF_OBJ_NAME_LEN];
	bool frozen;
	raw_spinlock_t lock;
	/* array, per-CPU array, hash element pool: one region, so a store
	 * through a value pointer is checked against [mem, mem + mem_size) */
	void *mem;
	size_t mem_size;
	u32 elem_size; /* hash: one element; percpu: value_size rounded to 8 */
	/* hash */
	u32 *buckets, nbuckets, free_head, count, lru_hand;
	/* ring buffer: pages mapped twice back to back, as the kernel does */
	struct page **pages;
	u32 nr_pages;  /* consumer page, producer page, data pages */
	void *rb_base; /* vmap: cons, prod, data, data again */
	unsigned long *consumer_pos, *producer_pos;
	void *rb_data;
	u64 rb_mask;
	wait_queue_head_t waitq;
	struct irq_work work;
	/* perf event array: the events user space put in */
	struct file **perf_files;
	/* stack trace: ids -> ips */
	u32 stack_depth;
};

struct nb_line {
	u32 insn_off;
	u32 line;
	const char *file;
};

struct nb_prog {
	struct bpf_prog *prog;
	u32 id;
	u32 type;
	char name[BPF_OBJ_NAME_LEN];
	struct file *maps[NB_MAX_USED_MAPS]; /* references held */
	struct nb_map *map_ptr[NB_MAX_USED_MAPS];
	u32 nr_maps;
	u32 orig_len;
	u32 *orig_of;	   /* rewritten insn index -> original insn index */
	atomic64_t faults; /* accesses the checks refused at run time */
	atomic64_t runs;
};

/* the frame of the program running on this CPU, for the range checks */
struct nb_run {
	struct nb_prog *np;
	unsigned long fp;
	void *ctx;
	struct pt_regs *regs;
	int depth;
	u64 cookie;
};
DECLARE_PER_CPU(struct nb_run, nb_run);

/* main.c */
struct nb_map *nb_map_from_fd(int fd, struct file **filp);
struct nb_prog *nb_prog_from_fd(int fd, struct file **filp);
int nb_new_id(void);
int nb_log(union bpf_attr *attr, const char *fmt, ...) __printf(2, 3);
void *nb_btf_data(int fd, u32 *size);

/* maps.c */
int nb_map_create(union bpf_attr *attr);
int nb_map_lookup_user(union bpf_attr *attr);
int nb_map_update_user(union bpf_attr *attr);
int nb_map_delete_user(union bpf_attr *attr);
int nb_map_next_key_user(union bpf_attr *attr);
int nb_map_freeze(union bpf_attr *attr);
int nb_map_info(struct nb_map *m, void __user *info, u32 *len);
void *nb_map_lookup(struct nb_map *m, const void *key);
int nb_map_update(struct nb_map *m, const void *key, const void *value, u64 flags);
int nb_map_delete(struct nb_map *m, const void *key);
void *nb_ringbuf_reserve(struct nb_map *m, u64 size);
void nb_ringbuf_commit(struct nb_map *m, void *sample, bool discard, u64 flags);
bool nb_ringbuf_owns(struct nb_map *m, const void *sample);
int nb_stack_get(struct nb_map *m, struct pt_regs *regs, u64 flags);
int nb_perf_output(struct nb_map *m, u64 flags, void *data, u64 size);
bool nb_map_owns(struct nb_map *m, unsigned long addr, u64 size);
extern const struct file_operations nb_map_fops;

/* prog.c */
int nb_prog_load(union bpf_attr *attr);
int nb_prog_info(struct nb_prog *np, void __user *info, u32 *len);
extern const struct file_operations nb_prog_fops;
unsigned int nb_prog_run(struct nb_prog *np, void *ctx, struct pt_regs *regs);

/* helpers.c */
void *nb_helper(s32 id);
int nb_helpers_init(void);
void nb_helpers_exit(void);
u64 nb_check_load(u64 addr, u64 size, u64 r3, u64 r4, u64 r5);
u64 nb_check_store(u64 addr, u64 value, u64 size, u64 insn, u64 r5);
u64 nb_check_atomic(u64 addr, u64 value, u64 code, u64 insn, u64 r5);
u64 nb_set_frame(u64 fp, u64 r2, u64 r3, u64 r4, u64 r5);
int nb_maps_init(void);
bool nb_writable(unsigned long addr, u64 size);

/* attach.c */
int nb_attach(struct nb_prog *np, struct file *pf, struct perf_event_attr *attr, u64 cookie);
int nb_link_info(struct file *f, void __user *info, u32 *len);
bool nb_is_link(struct file *f);
int nb_raw_tp_open(union bpf_attr *attr);
int nb_attach_init(void);
void nb_attach_exit(void);

#endif
