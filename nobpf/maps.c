// SPDX-License-Identifier: GPL-2.0
/* Maps: array, per-CPU array, hash, LRU hash, per-CPU hash, ring buffer
 * (mmap-able in the kernel's layout, so libbpf's consumer works as is),
 * perf event array, stack trace. Each map's values live in one region, so
 * the store checks can ask "is this inside a value of a map this program
 * uses". */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/perf_event.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/vmalloc.h>

#include "nobpf.h"

#define NB_NIL	   ((u32)-1)
#define RB_BUSY	   (1U << 31)
#define RB_DISCARD (1U << 30)
#define RB_HDR	   8

struct nb_elem {
	u32 next;
	u32 used;
	u8 data[]; /* key (rounded to 8), value(s) */
};

/* A map's lock is not taken twice on one CPU: a program run by a probe
 * inside a locked section (a kprobe on a function the map code calls
 * there, an NMI) gets -EBUSY or NULL instead of spinning on itself, as the
 * kernel's hash maps do with their map_locked count. Other CPUs wait. */
static DEFINE_PER_CPU(int, nb_map_locked);

static bool map_lock(struct nb_map *m, unsigned long *flags)
{
	local_irq_save(*flags);
	if (unlikely(__this_cpu_inc_return(nb_map_locked) != 1))
		goto busy;
	if (!in_nmi())
		raw_spin_lock(&m->lock);
	else if (!raw_spin_trylock(&m->lock))
		goto busy;
	return true;
busy:
	__this_cpu_dec(nb_map_locked);
	local_irq_restore(*flags);
	return false;
}

static void map_unlock(struct nb_map *m, unsigned long flags)
{
	raw_spin_unlock(&m->lock);
	__this_cpu_dec(nb_map_locked);
	local_irq_restore(flags);
}

static bool is_hash(u32 t)
{
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_percpu(u32 t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static u32 key_room(struct nb_map *m)
{
	return round_up(m->key_size, 8);
}

static u32 value_room(struct nb_map *m)
{
	return is_percpu(m->type) ? round_up(m->value_size, 8) * num_possible_cpus() :
				    round_up(m->value_size, 8);
}

static struct nb_elem *elem(struct nb_map *m, u32 i)
{
	return m->mem + (size_t)i * m->elem_size;
}

static void *elem_value(struct nb_map *m, struct nb_elem *e)
{
	return e->data + key_room(m);
}

/* ---- ring buffer --------------------------------------------------- */

static void rb_wake(struct irq_work *w)
{
	struct nb_map *m = container_of(w, struct nb_map, work);

	wake_up_all(&m->waitq);
}

static int rb_alloc(struct nb_map *m)
{
	u32 data_pages = m->max_entries >> PAGE_SHIFT, i;
	struct page **map_pages;

	m->nr_pages = 2 + data_pages;
	m->pages = kvcalloc(m->nr_pages, sizeof(*m->pages), GFP_KERNEL);
	map_pages = kvcalloc(2 + 2 * data_pages, sizeof(*map_pages), GFP_KERNEL);
	if (!m->pages || !map_pages)
		goto fail;
	for (i = 0; i < m->nr_pages; i++) {
		m->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!m->pages[i])
			goto fail;
	}
	for (i = 0; i < 2 + 2 * data_pages; i++)
		map_pages[i] = m->pages[i < m->nr_pages ? i : i - data_pages];
	m->rb_base = vmap(map_pages, 2 + 2 * data_pages, VM_MAP, PAGE_KERNEL);
	kvfree(map_pages);
	map_pages = NULL;
	if (!m->rb_base)
		goto fail;
	m->consumer_pos = m->rb_base;
	m->producer_pos = m->rb_base + PAGE_SIZE;
	m->rb_data = m->rb_base + 2 * PAGE_SIZE;
	m->rb_mask = m->max_entries - 1;
	init_waitqueue_head(&m->waitq);
	init_irq_work(&m->work, rb_wake);
	return 0;
fail:
	kvfree(map_pages);
	return -ENOMEM;
}

void *nb_ringbuf_reserve(struct nb_map *m, u64 size)
{
	unsigned long cons, prod, flags;
	u32 len;
	u32 *hdr;

	if (m->type != BPF_MAP_TYPE_RINGBUF || size > m->rb_mask + 1 - RB_HDR)
		return NULL;
	len = round_up(size + RB_HDR, 8);
	cons = smp_load_acquire(m->consumer_pos);
	if (!map_lock(m, &flags))
		return NULL;
	prod = *m->producer_pos;
	if (prod + len - cons > m->rb_mask + 1) {
		map_unlock(m, flags);
		return NULL;
	}
	hdr = m->rb_data + (prod & m->rb_mask);
	hdr[0] = size | RB_BUSY;
	hdr[1] = ((void *)hdr - m->rb_base) >> PAGE_SHIFT;
	smp_store_release(m->producer_pos, prod + len);
	map_unlock(m, flags);
	return hdr + 2;
}

bool nb_ringbuf_owns(struct nb_map *m, const void *sample)
{
	const u32 *hdr = sample - RB_HDR;
	unsigned long off;

	if (m->type != BPF_MAP_TYPE_RINGBUF || (void *)hdr < m->rb_data ||
	    (void *)hdr >= m->rb_data + m->max_entries || ((unsigned long)hdr & 7))
		return false;
	off = (void *)hdr - m->rb_base;
	return (READ_ONCE(hdr[0]) & RB_BUSY) && hdr[1] == off >> PAGE_SHIFT;
}

void nb_ringbuf_commit(struct nb_map *m, void *sample, bool discard, u64 flags)
{
	u32 *hdr = sample - RB_HDR;
	u32 len = READ_ONCE(hdr[0]) & ~RB_BUSY;

	xchg(&hdr[0], discard ? len | RB_DISCARD : len);
	if (!(flags & BPF_RB_NO_WAKEUP))
		irq_work_queue(&m->work);
}

static int rb_mmap(struct nb_map *m, struct vm_area_struct *vma)
{
	unsigned long n = vma_pages(vma), i;
	unsigned long pg = vma->vm_pgoff;
	u32 data_pages = m->nr_pages - 2;

	/* the consumer page is the only one user space writes */
	if ((vma->vm_flags & VM_WRITE) && (pg != 0 || n != 1))
		return -EPERM;
	if (pg + n > 2 + 2 * (unsigned long)data_pages)
		return -EINVAL;
	nb_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP | (pg == 0 ? VM_MAYWRITE : 0),
			pg == 0 ? 0 : VM_MAYWRITE);
	for (i = 0; i < n; i++) {
		unsigned long p = pg + i;
		int err;

		if (p >= m->nr_pages)
			p -= data_pages;
		err = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE, m->pages[p]);
		if (err)
			return err;
	}
	return 0;
}

/* ---- stack trace --------------------------------------------------- */

int nb_stack_get(struct nb_map *m, struct pt_regs *regs, u64 flags)
{
	unsigned long ips[127], irq;
	u32 skip = flags & BPF_F_SKIP_FIELD_MASK, n, id, i;
	u64 *slot;

	if (m->type != BPF_MAP_TYPE_STACK_TRACE)
		return -EINVAL;
	if (flags & BPF_F_USER_STACK)
		return -EOPNOTSUPP; /* docs/NOBPF.md: kernel stacks only */
	/* skip the module's and perf's own frames: the handler chain is
	 * nb_tp/kprobe handler -> perf overflow -> this; 4 frames */
	n = stack_trace_save(ips, min_t(u32, m->stack_depth, ARRAY_SIZE(ips)), 4 + skip);
	if (!n)
		return -EFAULT;
	id = jhash2((u32 *)ips, n * sizeof(long) / 4, 0) % m->max_entries;
	slot = m->mem + (size_t)id * m->elem_size;
	/* two CPUs on one bucket: one stack in it, whole */
	if (!map_lock(m, &irq))
		return -EBUSY;
	if (slot[0] && !(flags & BPF_F_REUSE_STACKID)) {
		/* a different stack in the bucket: the kernel's answer */
		for (i = 0; i < n; i++)
			if (slot[i] != ips[i]) {
				map_unlock(m, irq);
				return -EEXIST;
			}
	}
	for (i = 0; i < m->stack_depth; i++)
		slot[i] = i < n ? ips[i] : 0;
	map_unlock(m, irq);
	return id;
}

/* ---- perf event array ---------------------------------------------- */

static int (*nb_perf_event_output)(struct perf_event *, struct perf_sample_data *,
				   struct pt_regs *);
static struct file *(*nb_perf_event_get)(unsigned int fd);
static DEFINE_PER_CPU(struct pt_regs, nb_perf_regs);

int nb_maps_init(void)
{
	nb_perf_event_output = (void *)nb_lookup_symbol("perf_event_output");
	nb_perf_event_get = (void *)nb_lookup_symbol("perf_event_get");
	if (!nb_perf_event_output || !nb_perf_event_get)
		pr_warn("coolbpf_nobpf: perf_event_output/perf_event_get not found: no perf event arrays\n");
	return 0;
}

int nb_perf_output(struct nb_map *m, u64 flags, void *data, u64 size)
{
	u32 cpu = smp_processor_id(), idx = flags & BPF_F_INDEX_MASK;
	struct perf_raw_record raw = { .frag = { .size = size, .data = data } };
	struct perf_sample_data sd;
	struct perf_event *ev;
	struct pt_regs *regs;
	struct file *f;

	if (m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || !nb_perf_event_output)
		return -EINVAL;
	if (idx == BPF_F_CURRENT_CPU)
		idx = cpu;
	if (idx >= m->max_entries)
		return -E2BIG;
	f = READ_ONCE(m->perf_files[idx]);
	if (!f)
		return -ENOENT;
	ev = f->private_data;
	if (ev->oncpu != cpu)
		return -EOPNOTSUPP;
	regs = this_cpu_ptr(&nb_perf_regs);
	perf_fetch_caller_regs(regs);
	perf_sample_data_init(&sd, 0, 0);
	nb_sample_raw(&sd, &raw);
	return nb_perf_event_output(ev, &sd, regs);
}

/* ---- lookup, update, delete: the program's and user space's --------- */

static struct nb_elem *hash_find(struct nb_map *m, const void *key, u32 *bucket, u32 *prev)
{
	u32 b = jhash(key, m->key_size, 0) % m->nbuckets, i, p = NB_NIL;

	if (bucket)
		*bucket = b;
	for (i = READ_ONCE(m->buckets[b]); i != NB_NIL; p = i, i = READ_ONCE(elem(m, i)->next)) {
		struct nb_elem *e = elem(m, i);

		if (!memcmp(e->data, key, m->key_size)) {
			if (prev)
				*prev = p;
			return e;
		}
	}
	return NULL;
}

void *nb_map_lookup(struct nb_map *m, const void *key)
{
	u32 k;
	unsigned long flags;
	struct nb_elem *e;

	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		k = *(const u32 *)key;
		if (k >= m->max_entries)
			return NULL;
		if (m->type == BPF_MAP_TYPE_PERCPU_ARRAY)
			return m->mem + (size_t)k * m->elem_size * num_possible_cpus() +
			       (size_t)smp_processor_id() * m->elem_size;
		return m->mem + (size_t)k * m->elem_size;
	default:
		if (!is_hash(m->type))
			return NULL;
		if (!map_lock(m, &flags))
			return NULL;
		e = hash_find(m, key, NULL, NULL);
		map_unlock(m, flags);
		if (!e)
			return NULL;
		if (is_percpu(m->type))
			return elem_value(m, e) + smp_processor_id() * round_up(m->value_size, 8);
		return elem_value(m, e);
	}
}

/* LRU: when full, the element under the hand goes (a clock, not a list) */
static u32 lru_evict(struct nb_map *m)
{
	u32 i, b;

	for (i = 0; i < m->max_entries; i++) {
		struct nb_elem *e = elem(m, m->lru_hand);
		u32 prev, victim = m->lru_hand;

		m->lru_hand = (m->lru_hand + 1) % m->max_entries;
		if (!e->used)
			continue;
		hash_find(m, e->data, &b, &prev);
		if (prev == NB_NIL)
			WRITE_ONCE(m->buckets[b], e->next);
		else
			WRITE_ONCE(elem(m, prev)->next, e->next);
		e->used = 0;
		m->count--;
		return victim;
	}
	return NB_NIL;
}

static int hash_update(struct nb_map *m, const void *key, const void *value, u64 flags,
		       bool all_cpus)
{
	u32 b, i, vr = round_up(m->value_size, 8);
	unsigned long irq;
	struct nb_elem *e;
	void *v;

	if (!map_lock(m, &irq))
		return -EBUSY;
	e = hash_find(m, key, &b, NULL);
	if (e && (flags & 3) == BPF_NOEXIST) {
		map_unlock(m, irq);
		return -EEXIST;
	}
	if (!e && (flags & 3) == BPF_EXIST) {
		map_unlock(m, irq);
		return -ENOENT;
	}
	if (!e) {
		i = m->free_head;
		if (i == NB_NIL &&
		    (m->type == BPF_MAP_TYPE_LRU_HASH || m->type == BPF_MAP_TYPE_LRU_PERCPU_HASH))
			i = lru_evict(m);
		else if (i != NB_NIL)
			m->free_head = elem(m, i)->next;
		if (i == NB_NIL) {
			map_unlock(m, irq);
			return -E2BIG;
		}
		e = elem(m, i);
		memcpy(e->data, key, m->key_size);
		memset(elem_value(m, e), 0, value_room(m));
		e->used = 1;
		e->next = m->buckets[b];
		m->count++;
		smp_wmb();
		WRITE_ONCE(m->buckets[b], i);
	}
	v = elem_value(m, e);
	if (!is_percpu(m->type))
		memcpy(v, value, m->value_size);
	else if (all_cpus)
		for (i = 0; i < num_possible_cpus(); i++)
			memcpy(v + i * vr, value + i * vr, m->value_size);
	else
		memcpy(v + smp_processor_id() * vr, value, m->value_size);
	map_unlock(m, irq);
	return 0;
}

static int update(struct nb_map *m, const void *key, const void *value, u64 flags, bool all_cpus)
{
	u32 k, i, vr = round_up(m->value_size, 8);
	void *v;

	if ((flags & 3) == 3)
		return -EINVAL;
	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		k = *(const u32 *)key;
		if (k >= m->max_entries)
			return -E2BIG;
		if ((flags & 3) == BPF_NOEXIST)
			return -EEXIST;
		if (m->type == BPF_MAP_TYPE_ARRAY) {
			memcpy(m->mem + (size_t)k * m->elem_size, value, m->value_size);
			return 0;
		}
		v = m->mem + (size_t)k * m->elem_size * num_possible_cpus();
		if (!all_cpus) {
			memcpy(v + smp_processor_id() * vr, value, m->value_size);
			return 0;
		}
		for (i = 0; i < num_possible_cpus(); i++)
			memcpy(v + i * vr, value + i * vr, m->value_size);
		return 0;
	default:
		if (is_hash(m->type))
			return hash_update(m, key, value, flags, all_cpus);
		return -EINVAL;
	}
}

int nb_map_update(struct nb_map *m, const void *key, const void *value, u64 flags)
{
	return update(m, key, value, flags, false);
}

int nb_map_delete(struct nb_map *m, const void *key)
{
	unsigned long irq;
	struct nb_elem *e;
	u32 b, prev, i;

	if (!is_hash(m->type))
		return -EINVAL;
	if (!map_lock(m, &irq))
		return -EBUSY;
	e = hash_find(m, key, &b, &prev);
	if (!e) {
		map_unlock(m, irq);
		return -ENOENT;
	}
	i = ((void *)e - m->mem) / m->elem_size;
	if (prev == NB_NIL)
		WRITE_ONCE(m->buckets[b], e->next);
	else
		WRITE_ONCE(elem(m, prev)->next, e->next);
	e->used = 0;
	e->next = m->free_head;
	m->free_head = i;
	m->count--;
	map_unlock(m, irq);
	return 0;
}

bool nb_map_owns(struct nb_map *m, unsigned long addr, u64 size)
{
	unsigned long lo = (unsigned long)m->mem, hi = lo + m->mem_size;

	if (m->type == BPF_MAP_TYPE_RINGBUF) {
		lo = (unsigned long)m->rb_data;
		hi = lo + 2 * (unsigned long)m->max_entries;
	} else if (m->type == BPF_MAP_TYPE_STACK_TRACE ||
		   m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		return false;
	} else if (m->frozen || (m->flags & BPF_F_RDONLY_PROG)) {
		return false;
	}
	/* (a ring buffer's region is its data pages, not mem) */
	return lo && addr >= lo && size <= hi - lo && addr - lo <= hi - lo - size;
}

/* ---- the file --------------------------------------------------------- */

static void map_free(struct nb_map *m)
{
	u32 i;

	if (m->perf_files)
		for (i = 0; i < m->max_entries; i++)
			if (m->perf_files[i])
				fput(m->perf_files[i]);
	kvfree(m->perf_files);
	if (m->rb_base) {
		irq_work_sync(&m->work);
		vunmap(m->rb_base);
	}
	if (m->pages)
		for (i = 0; i < m->nr_pages; i++)
			if (m->pages[i])
				__free_page(m->pages[i]);
	kvfree(m->pages);
	kvfree(m->buckets);
	vfree(m->mem);
	kfree(m);
}

static int map_release(struct inode *inode, struct file *f)
{
	map_free(f->private_data);
	return 0;
}

static int map_mmap(struct file *f, struct vm_area_struct *vma)
{
	struct nb_map *m = f->private_data;

	if (m->type == BPF_MAP_TYPE_RINGBUF)
		return rb_mmap(m, vma);
	if (m->type != BPF_MAP_TYPE_ARRAY || !(m->flags & BPF_F_MMAPABLE))
		return -ENODEV;
	if (m->frozen && (vma->vm_flags & VM_WRITE))
		return -EPERM;
	if (m->frozen)
		nb_vm_flags_mod(vma, 0, VM_MAYWRITE);
	return remap_vmalloc_range(vma, m->mem, vma->vm_pgoff);
}

static __poll_t map_poll(struct file *f, struct poll_table_struct *pt)
{
	struct nb_map *m = f->private_data;

	if (m->type != BPF_MAP_TYPE_RINGBUF)
		return 0;
	poll_wait(f, &m->waitq, pt);
	return smp_load_acquire(m->consumer_pos) != smp_load_acquire(m->producer_pos) ?
		       EPOLLIN | EPOLLRDNORM :
		       0;
}

const struct file_operations nb_map_fops = {
	.owner = THIS_MODULE,
	.release = map_release,
	.mmap = map_mmap,
	.poll = map_poll,
};

int nb_map_create(union bpf_attr *attr)
{
	struct nb_map *m;
	size_t n;
	u32 i;
	int err = -ENOMEM, fd;

	if (attr->map_flags &
	    ~(BPF_F_NO_PREALLOC | BPF_F_MMAPABLE | BPF_F_RDONLY_PROG | BPF_F_NUMA_NODE |
	      BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_ZERO_SEED | BPF_F_STACK_BUILD_ID))
		return -EINVAL;
	if (attr->map_flags & BPF_F_STACK_BUILD_ID)
		return -EOPNOTSUPP;
	if (!attr->max_entries || attr->key_size > 512 || attr->value_size > (1 << 20))
		return -EINVAL;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	raw_spin_lock_init(&m->lock);
	m->type = attr->map_type;
	m->key_size = attr->key_size;
	m->value_size = attr->value_size;
	m->max_entries = attr->max_entries;
	m->flags = attr->map_flags;
	m->id = nb_new_id();
	strscpy(m->name, attr->map_name, sizeof(m->name));
	err = -EINVAL;
	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		if (m->key_size != 4 || !m->value_size)
			goto fail;
		m->elem_size = round_up(m->value_size, 8);
		n = (size_t)m->elem_size * m->max_entries;
		if (m->type == BPF_MAP_TYPE_PERCPU_ARRAY)
			n *= num_possible_cpus();
		else if (m->flags & BPF_F_MMAPABLE)
			n = PAGE_ALIGN(n);
		if (n > (256 << 20))
			goto fail;
		err = -ENOMEM;
		m->mem_size = n;
		m->mem = vmalloc_user(n);
		if (!m->mem)
			goto fail;
		break;
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		if (!m->key_size || !m->value_size || m->max_entries > (1 << 22))
			goto fail;
		m->elem_size = sizeof(struct nb_elem) + key_room(m) + value_room(m);
		m->mem_size = (size_t)m->elem_size * m->max_entries;
		m->nbuckets = roundup_pow_of_two(m->max_entries);
		err = -ENOMEM;
		if (m->mem_size > (256 << 20))
			goto fail;
		m->mem = vzalloc(m->mem_size);
		m->buckets = kvmalloc_array(m->nbuckets, sizeof(u32), GFP_KERNEL);
		if (!m->mem || !m->buckets)
			goto fail;
		for (i = 0; i < m->nbuckets; i++)
			m->buckets[i] = NB_NIL;
		for (i = 0; i < m->max_entries; i++)
			elem(m, i)->next = i + 1 < m->max_entries ? i + 1 : NB_NIL;
		m->free_head = 0;
		break;
	case BPF_MAP_TYPE_RINGBUF:
		if (m->key_size || m->value_size || !is_power_of_2(m->max_entries) ||
		    !PAGE_ALIGNED(m->max_entries) || m->max_entries > (256 << 20))
			goto fail;
		err = rb_alloc(m);
		if (err)
			goto fail;
		break;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		if (m->key_size != 4 || m->value_size != 4)
			goto fail;
		m->max_entries = min_t(u32, m->max_entries, num_possible_cpus());
		err = -ENOMEM;
		m->perf_files = kvcalloc(m->max_entries, sizeof(*m->perf_files), GFP_KERNEL);
		if (!m->perf_files)
			goto fail;
		break;
	case BPF_MAP_TYPE_STACK_TRACE:
		if (m->key_size != 4 || m->value_size < 8 || m->value_size % 8 ||
		    m->value_size / 8 > 127)
			goto fail;
		m->stack_depth = m->value_size / 8;
		m->elem_size = m->value_size;
		m->mem_size = (size_t)m->elem_size * m->max_entries;
		err = -ENOMEM;
		m->mem = vzalloc(m->mem_size);
		if (!m->mem)
			goto fail;
		break;
	default:
		err = -EOPNOTSUPP;
		goto fail;
	}
	fd = anon_inode_getfd("coolbpf-map", &nb_map_fops, m, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	return fd;
fail:
	map_free(m);
	return err;
}

static u32 user_value_size(struct nb_map *m)
{
	return is_percpu(m->type) ? round_up(m->value_size, 8) * num_possible_cpus() :
				    m->value_size;
}

/* lookups from user space copy under the lock; per-CPU maps give every CPU */
static int copy_value(struct nb_map *m, const void *key, void *out)
{
	unsigned long irq;
	struct nb_elem *e;
	u32 k;

	switch (m->type) {
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		k = *(const u32 *)key;
		if (k >= m->max_entries)
			return -ENOENT;
		memcpy(out,
		       m->mem + (size_t)k * m->elem_size *
					(is_percpu(m->type) ? num_possible_cpus() : 1),
		       user_value_size(m));
		return 0;
	case BPF_MAP_TYPE_STACK_TRACE:
		k = *(const u32 *)key;
		if (k >= m->max_entries || !((u64 *)(m->mem + (size_t)k * m->elem_size))[0])
			return -ENOENT;
		memcpy(out, m->mem + (size_t)k * m->elem_size, m->value_size);
		return 0;
	default:
		if (!is_hash(m->type))
			return -EINVAL;
		if (!map_lock(m, &irq))
			return -EBUSY;
		e = hash_find(m, key, NULL, NULL);
		if (e)
			memcpy(out, elem_value(m, e), user_value_size(m));
		map_unlock(m, irq);
		return e ? 0 : -ENOENT;
	}
}

static int user_kv(union bpf_attr *attr, struct file **f, struct nb_map **m, void **key, void **val)
{
	*m = nb_map_from_fd(attr->map_fd, f);
	if (IS_ERR(*m))
		return PTR_ERR(*m);
	*key = kvmalloc((*m)->key_size + 8, GFP_KERNEL);
	/* a value, or the next key (get next key copies a key through it) */
	*val = kvmalloc(max(user_value_size(*m), (*m)->key_size) + 8, GFP_KERNEL);
	if (!*key || !*val)
		return -ENOMEM;
	if (attr->key && copy_from_user(*key, u64_to_user_ptr(attr->key), (*m)->key_size))
		return -EFAULT;
	return 0;
}

static void user_kv_done(struct file *f, void *key, void *val)
{
	kvfree(key);
	kvfree(val);
	if (f)
		fput(f);
}

int nb_map_lookup_user(union bpf_attr *attr)
{
	struct file *f = NULL;
	struct nb_map *m;
	void *key = NULL, *val = NULL;
	int err = user_kv(attr, &f, &m, &key, &val);

	if (!err)
		err = copy_value(m, key, val);
	if (!err && copy_to_user(u64_to_user_ptr(attr->value), val, user_value_size(m)))
		err = -EFAULT;
	user_kv_done(f, key, val);
	return err;
}

static int perf_set(struct nb_map *m, u32 idx, int pfd)
{
	struct perf_event *ev;
	struct file *f, *old;

	if (idx >= m->max_entries)
		return -E2BIG;
	if (!nb_perf_event_get)
		return -EOPNOTSUPP;
	f = nb_perf_event_get(pfd); /* checks it is a perf event, takes a ref */
	if (IS_ERR(f))
		return PTR_ERR(f);
	ev = f->private_data;
	if (ev->attr.type != PERF_TYPE_SOFTWARE || ev->attr.config != PERF_COUNT_SW_BPF_OUTPUT) {
		fput(f);
		return -EINVAL;
	}
	old = xchg(&m->perf_files[idx], f);
	if (old) {
		synchronize_rcu();
		fput(old);
	}
	return 0;
}

int nb_map_update_user(union bpf_attr *attr)
{
	struct file *f = NULL;
	struct nb_map *m;
	void *key = NULL, *val = NULL;
	int err = user_kv(attr, &f, &m, &key, &val);

	if (err)
		goto out;
	if (m->frozen) {
		err = -EPERM;
		goto out;
	}
	if (copy_from_user(val, u64_to_user_ptr(attr->value),
			   m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY ? 4 : user_value_size(m))) {
		err = -EFAULT;
		goto out;
	}
	if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		err = perf_set(m, *(u32 *)key, *(int *)val);
	else
		err = update(m, key, val, attr->flags, true);
out:
	user_kv_done(f, key, val);
	return err;
}

int nb_map_delete_user(union bpf_attr *attr)
{
	struct file *f = NULL, *old;
	struct nb_map *m;
	void *key = NULL, *val = NULL;
	int err = user_kv(attr, &f, &m, &key, &val);
	u32 k;

	if (err)
		goto out;
	k = *(u32 *)key;
	if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		err = -ENOENT;
		if (k < m->max_entries && (old = xchg(&m->perf_files[k], NULL))) {
			synchronize_rcu();
			fput(old);
			err = 0;
		}
	} else if (m->type == BPF_MAP_TYPE_STACK_TRACE) {
		err = -ENOENT;
		if (k < m->max_entries) {
			memset(m->mem + (size_t)k * m->elem_size, 0, m->elem_size);
			err = 0;
		}
	} else {
		err = nb_map_delete(m, key);
	}
out:
	user_kv_done(f, key, val);
	return err;
}

int nb_map_next_key_user(union bpf_attr *attr)
{
	struct file *f = NULL;
	struct nb_map *m;
	void *key = NULL, *val = NULL;
	int err = user_kv(attr, &f, &m, &key, &val);
	unsigned long irq;
	u32 k, i, b;

	if (err)
		goto out;
	if (!is_hash(m->type)) {
		/* arrays and stack maps: indexes in order */
		k = attr->key ? *(u32 *)key + 1 : 0;
		if (m->type == BPF_MAP_TYPE_STACK_TRACE)
			while (k < m->max_entries &&
			       !((u64 *)(m->mem + (size_t)k * m->elem_size))[0])
				k++;
		err = k < m->max_entries ? 0 : -ENOENT;
		if (!err && copy_to_user(u64_to_user_ptr(attr->next_key), &k, 4))
			err = -EFAULT;
		goto out;
	}
	/* hash: bucket order, then chain order; a missing key starts over */
	err = -EBUSY;
	if (!map_lock(m, &irq))
		goto out;
	err = -ENOENT;
	b = 0;
	i = NB_NIL;
	if (attr->key) {
		struct nb_elem *e = hash_find(m, key, &b, NULL);

		if (e) {
			i = e->next;
			b++;
		} else {
			b = 0;
		}
	}
	for (; i == NB_NIL && b < m->nbuckets; b++)
		i = m->buckets[b];
	if (i != NB_NIL) {
		memcpy(val, elem(m, i)->data, m->key_size);
		err = 0;
	}
	map_unlock(m, irq);
	if (!err && copy_to_user(u64_to_user_ptr(attr->next_key), val, m->key_size))
		err = -EFAULT;
out:
	user_kv_done(f, key, val);
	return err;
}

int nb_map_freeze(union bpf_attr *attr)
{
	struct nb_map *m = nb_map_from_fd(attr->map_fd, NULL);

	if (IS_ERR(m))
		return PTR_ERR(m);
	m->frozen = true;
	return 0;
}

int nb_map_info(struct nb_map *m, void __user *uinfo, u32 *len)
{
	struct bpf_map_info info = {};
	u32 n = min_t(u32, *len, sizeof(info));

	info.type = m->type;
	info.id = m->id;
	info.key_size = m->key_size;
	info.value_size = m->value_size;
	info.max_entries = m->max_entries;
	info.map_flags = m->flags;
	memcpy(info.name, m->name, sizeof(info.name));
	*len = n;
	return copy_to_user(uinfo, &info, n) ? -EFAULT : 0;
}
