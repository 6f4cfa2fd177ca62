// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event output: every ring buffer and perf event array of an object behind
 * one epoll descriptor, so a caller waits on one fd for all of them. Other
 * files add sources of their own (trace.c: bpf_printk lines).
 *
 * With a queue (queue_size), a drain thread owns the kernel's buffers: it
 * copies each record into its map's queue the moment it is there, so a
 * slow formatter costs queue space, not kernel-side loss; the caller's
 * epoll then sees one eventfd per map, readable when its queue has
 * records. Each queue is a single-producer single-consumer byte ring.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "object.h"

enum { REC_EVENT, REC_LOST, REC_WRAP };

#define QUEUE_RESTART (1 << 20)

struct rec {
	__u32 size; /* payload bytes */
	__u16 kind;
	__s16 cpu;
};

struct ev_queue {
	char *buf;
	size_t cap;  /* a multiple of 8 */
	__u64 head;  /* consumer's; atomics on both */
	__u64 tail;  /* producer's */
	int waiting; /* the consumer found it empty: the producer signals */
	int efd;
};

struct ev_drain {
	pthread_t thread;
	int epfd; /* the kernel's buffers */
	int stop_fd;
	struct ev_source sources[EV_SOURCES_MAX];
	size_t nr_sources;
};

static struct ev_queue *queue_new(size_t size)
{
	struct ev_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->cap = (size + 7) & ~(size_t)7;
	q->buf = mmap(NULL, q->cap, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->waiting = 1;
	if (q->buf == MAP_FAILED || q->efd < 0) {
		if (q->buf != MAP_FAILED)
			munmap(q->buf, q->cap);
		if (q->efd >= 0)
			close(q->efd);
		free(q);
		return NULL;
	}
	return q;
}

static void queue_free(struct ev_queue *q)
{
	if (!q)
		return;
	munmap(q->buf, q->cap);
	close(q->efd);
	free(q);
}

/* Producer: false when there is no room (the record is not queued). */
static bool queue_push(struct ev_queue *q, int kind, int cpu, const void *data, size_t size)
{
	size_t need = sizeof(struct rec) + ((size + 7) & ~(size_t)7), pos, to_end, total;
	__u64 head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE), tail = q->tail;
	struct rec r = { .size = (__u32)size, .kind = (__u16)kind, .cpu = (__s16)cpu };

	pos = (size_t)(tail % q->cap);
	to_end = q->cap - pos;
	total = need > to_end ? to_end + need : need; /* a record never wraps */
	if (size > UINT32_MAX || q->cap - (size_t)(tail - head) < total)
		return false;
	if (head == tail && pos >= QUEUE_RESTART && need <= pos) {
		/* empty: start over at the beginning, so a queue that keeps
		 * up touches (keeps resident) only its first pages. The bytes
		 * skipped count as used until the consumer has read the wrap:
		 * the producer must not write over it meanwhile (it once did,
		 * when the head stood at the wrap: the consumer then read
		 * records out of order, some twice) */
		total = to_end + need;
	}
	if (total > need) {
		struct rec wrap = { .kind = REC_WRAP };

		memcpy(q->buf + pos, &wrap, sizeof(wrap));
		pos = 0;
	}
	memcpy(q->buf + pos, &r, sizeof(r));
	memcpy(q->buf + pos + sizeof(r), data, size);
	__atomic_store_n(&q->tail, tail + total, __ATOMIC_RELEASE);
	if (__atomic_exchange_n(&q->waiting, 0, __ATOMIC_ACQ_REL)) {
		__u64 one = 1;

		if (write(q->efd, &one, sizeof(one)) < 0) {
			/* a full counter is still readable: nothing to do */
		}
	}
	return true;
}

static void queue_record(struct coolbpf_map *m, int kind, int cpu, const void *data, size_t size)
{
	if (!queue_push(m->q, kind, cpu, data, size))
		__atomic_add_fetch(&m->dropped, 1, __ATOMIC_RELAXED);
}

static int ring_cb(void *ctx, void *data, size_t size)
{
	struct coolbpf_map *m = ctx;
	struct coolbpf_object *obj = m->obj;
	int r;

	if (obj->drain) {
		queue_record(m, REC_EVENT, -1, data, size);
		return 0;
	}
	r = obj->on_event ? obj->on_event(obj->ev_ctx, m, data, size) : 0;
	if (r)
		obj->cb_ret = r;
	return r;
}

static void perf_sample_cb(void *ctx, int cpu, void *data, __u32 size)
{
	struct coolbpf_map *m = ctx;
	struct coolbpf_object *obj = m->obj;

	if (obj->drain) {
		queue_record(m, REC_EVENT, cpu, data, size);
		return;
	}
	if (m->cb_ret)
		return; /* the consumer asked to stop; perf has no early exit */
	if (obj->on_event) {
		m->ev_cpu1 = cpu + 1;
		m->cb_ret = obj->on_event(obj->ev_ctx, m, data, size);
		m->ev_cpu1 = 0;
	}
}

static void perf_lost_cb(void *ctx, int cpu, __u64 cnt)
{
	struct coolbpf_map *m = ctx;
	struct coolbpf_object *obj = m->obj;

	__atomic_add_fetch(&m->perf_lost, cnt, __ATOMIC_RELAXED);
	if (obj->drain && obj->on_lost)
		queue_push(m->q, REC_LOST, cpu, &cnt, sizeof(cnt)); /* no room: counted anyway */
	else if (obj->on_lost)
		obj->on_lost(obj->ev_ctx, m, cpu, cnt);
}

/*
 * Consumer: deliver what the queue holds (what the producer had written
 * when it started), in order; stops early when on_event asks to. Returns
 * the number of events delivered.
 */
static int queue_pop(struct coolbpf_map *m)
{
	struct coolbpf_object *obj = m->obj;
	struct ev_queue *q = m->q;
	__u64 head = q->head, tail, junk;
	int n = 0;

	if (read(q->efd, &junk, sizeof(junk)) < 0) {
		/* not signalled: there may be records all the same */
	}
	for (;;) {
		tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
		if (head == tail) {
			/* empty: ask for a signal, then look once more (a
			 * record pushed before the flag was seen) */
			__atomic_store_n(&q->waiting, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&q->tail, __ATOMIC_SEQ_CST) == head)
				break;
			__atomic_store_n(&q->waiting, 0, __ATOMIC_RELAXED);
			continue;
		}
		while (head != tail && !m->cb_ret) {
			size_t pos = (size_t)(head % q->cap);
			struct rec r;
			__u64 cnt;

			memcpy(&r, q->buf + pos, sizeof(r));
			if (r.kind == REC_WRAP) {
				head += q->cap - pos;
				continue;
			}
			if (r.kind == REC_LOST) {
				memcpy(&cnt, q->buf + pos + sizeof(r), sizeof(cnt));
				if (obj->on_lost)
					obj->on_lost(obj->ev_ctx, m, r.cpu, cnt);
			} else if (obj->on_event) {
				m->ev_cpu1 = r.cpu + 1;
				m->cb_ret = obj->on_event(obj->ev_ctx, m, q->buf + pos + sizeof(r),
							  r.size);
				m->ev_cpu1 = 0;
				n++;
			}
			head += sizeof(r) + ((r.size + 7) & ~(size_t)7);
			__atomic_store_n(&q->head, head, __ATOMIC_RELEASE);
		}
		if (m->cb_ret) {
			__u64 one = 1;

			/* records left: readable again for the next poll */
			if (head != __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) &&
			    write(q->efd, &one, sizeof(one)) < 0) {
			}
			break;
		}
	}
	return n;
}

static int queue_consume(void *ctx)
{
	struct coolbpf_map *m = ctx;
	int r;

	pthread_mutex_lock(&m->ev_lock);
	r = queue_pop(m);
	pthread_mutex_unlock(&m->ev_lock);
	return r;
}

static int epoll_fd(struct coolbpf_object *obj)
{
	if (obj->epfd < 0) {
		obj->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (obj->epfd < 0)
			return -errno;
	}
	return obj->epfd;
}

static int add_source(int epfd, struct ev_source *arr, size_t *nr, int fd,
		      int (*consume)(void *ctx), void *ctx, struct coolbpf_map *map)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ev_source *src;

	if (*nr == EV_SOURCES_MAX)
		return cb_err(-E2BIG);
	src = &arr[*nr];
	src->fd = fd;
	src->consume = consume;
	src->ctx = ctx;
	src->map = map;
	ev.data.ptr = src;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		return cb_err(-errno);
	(*nr)++;
	return 0;
}

int events_add_source(struct coolbpf_object *obj, int fd, int (*consume)(void *ctx), void *ctx)
{
	int epfd = epoll_fd(obj);

	if (epfd < 0)
		return cb_err(epfd);
	return add_source(epfd, obj->sources, &obj->nr_sources, fd, consume, ctx, NULL);
}

static int ring_consume(void *ctx)
{
	return ring_buffer__consume(ctx);
}

static int perf_consume(void *ctx)
{
	struct coolbpf_map *m = ctx;
	int r;

	pthread_mutex_lock(&m->ev_lock);
	r = perf_buffer__consume(m->pb);
	pthread_mutex_unlock(&m->ev_lock);
	return r;
}

/* the drain thread's: it alone reads the perf buffer, and must not wait
 * for a consumer holding the map's lock while it formats */
static int perf_consume_drain(void *ctx)
{
	struct coolbpf_map *m = ctx;

	return perf_buffer__consume(m->pb);
}

/* A kernel buffer: the drain thread's when there is one, else the caller's. */
static int add_kernel_source(struct coolbpf_object *obj, int fd, int (*consume)(void *ctx),
			     void *ctx, struct coolbpf_map *map)
{
	struct ev_drain *d = obj->drain;
	int epfd;

	if (d)
		return add_source(d->epfd, d->sources, &d->nr_sources, fd,
				  consume == perf_consume ? perf_consume_drain : consume, ctx, map);
	epfd = epoll_fd(obj);
	if (epfd < 0)
		return cb_err(epfd);
	return add_source(epfd, obj->sources, &obj->nr_sources, fd, consume, ctx, map);
}

/* Every kernel buffer after each wait, ready or not (see coolbpf_object__poll);
 * one last pass when asked to stop. */
static void *drain_main(void *arg)
{
	struct ev_drain *d = arg;
	struct epoll_event evs[16];
	bool stop = false;

	while (!stop) {
		int n = epoll_wait(d->epfd, evs, ARRAY_SIZE(evs), -1);

		for (int i = 0; i < n; i++)
			stop |= !evs[i].data.ptr;
		if (n < 0 && errno != EINTR)
			stop = true;
		for (size_t i = 0; i < d->nr_sources; i++)
			d->sources[i].consume(d->sources[i].ctx);
	}
	return NULL;
}

static void drain_free(struct ev_drain *d)
{
	if (!d)
		return;
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	free(d);
}

/* Queues for every event map and the drain's epoll; the thread starts
 * once every buffer is in (drain_start). */
static int drain_new(struct coolbpf_object *obj, size_t queue_size)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct ev_drain *d;
	size_t nr = 0;
	int err;

	for (size_t i = 0; i < obj->nr_maps; i++)
		nr += obj->maps[i].kind == COOLBPF_MAP_RINGBUF ||
		      obj->maps[i].kind == COOLBPF_MAP_PERF;
	if (!nr)
		return 0; /* nothing to drain */
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->epfd < 0 || d->stop_fd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->stop_fd, &ev)) {
		err = -errno;
		drain_free(d);
		return err;
	}
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct coolbpf_map *m = &obj->maps[i];

		if (m->kind != COOLBPF_MAP_RINGBUF && m->kind != COOLBPF_MAP_PERF)
			continue;
		if (!m->q)
			m->q = queue_new(queue_size);
		if (!m->q)
			goto fail;
		if (epoll_fd(obj) < 0 || add_source(obj->epfd, obj->sources, &obj->nr_sources,
						    m->q->efd, queue_consume, m, m))
			goto fail;
	}
	obj->drain = d;
	return 0;
fail:
	err = -errno;
	drain_free(d);
	return err ? err : -ENOMEM;
}

static int drain_start(struct coolbpf_object *obj)
{
	sigset_t all, old;
	int err;

	/* signals stay the caller's threads' business */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&obj->drain->thread, NULL, drain_main, obj->drain);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

void events_drain_stop(struct coolbpf_object *obj)
{
	struct ev_drain *d = obj->drain;
	__u64 one = 1;

	if (!d)
		return;
	if (write(d->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(d->thread, NULL);
	obj->drain = NULL;
	/* the kernel's buffers are the caller's now, after the queues */
	for (size_t i = 0; i < d->nr_sources; i++) {
		struct ev_source *src = &d->sources[i];

		epoll_ctl(d->epfd, EPOLL_CTL_DEL, src->fd, NULL);
		add_kernel_source(obj, src->fd,
				  src->consume == perf_consume_drain ? perf_consume : src->consume,
				  src->ctx, src->map);
	}
	drain_free(d);
}

int coolbpf_object__open_events(struct coolbpf_object *obj, const struct coolbpf_events_opts *opts)
{
	size_t pages = OPTS_GET(opts, perf_pages, 0) ? opts->perf_pages : 64;
	size_t queue_size = OPTS_GET(opts, queue_size, 0);
	bool started = obj && (obj->rb || obj->drain);
	int err;

	if (!obj || !obj->loaded || !OPTS_VALID(opts, coolbpf_events_opts))
		return cb_err(-EINVAL);
	if (pages & (pages - 1)) {
		pr_warn("perf buffer pages must be a power of two, not %zu\n", pages);
		return cb_err(-EINVAL);
	}
	if (queue_size && queue_size < 4096) {
		pr_warn("event queue of %zu bytes is too small: give at least 4096\n", queue_size);
		return cb_err(-EINVAL);
	}
	for (size_t i = 0; i < obj->nr_maps && !started; i++)
		started = obj->maps[i].pb != NULL;
	obj->on_event = OPTS_GET(opts, on_event, NULL);
	obj->on_lost = OPTS_GET(opts, on_lost, NULL);
	obj->ev_ctx = OPTS_GET(opts, ctx, NULL);
	if (queue_size && !started) {
		err = drain_new(obj, queue_size);
		if (err) {
			pr_warn("cannot make the event queues of '%s': %s\n", obj->name,
				strerror(-err));
			return cb_err(err);
		}
	}
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct coolbpf_map *m = &obj->maps[i];
		int fd = bpf_map__fd(m->map);

		if (m->kind == COOLBPF_MAP_RINGBUF) {
			if (!obj->rb) {
				obj->rb = ring_buffer__new(fd, ring_cb, m, NULL);
				if (!obj->rb)
					goto fail;
				err = add_kernel_source(obj, ring_buffer__epoll_fd(obj->rb),
							ring_consume, obj->rb, NULL);
				if (err)
					return cb_err(err);
			} else if (ring_buffer__add(obj->rb, fd, ring_cb, m)) {
				goto fail;
			}
		} else if (m->kind == COOLBPF_MAP_PERF && !m->pb) {
			m->pb = perf_buffer__new(fd, pages, perf_sample_cb, perf_lost_cb, m, NULL);
			if (!m->pb)
				goto fail;
			err = add_kernel_source(obj, perf_buffer__epoll_fd(m->pb), perf_consume, m,
						m);
			if (err)
				return cb_err(err);
		}
	}
	if (obj->drain && !started) {
		err = drain_start(obj);
		if (err) {
			pr_warn("cannot start the drain thread of '%s': %s\n", obj->name,
				strerror(-err));
			return cb_err(err);
		}
	}
	return 0;
fail:
	err = -errno;
	pr_warn("cannot open event buffers of '%s': %s\n", obj->name, strerror(-err));
	return cb_err(err);
}

/*
 * Every source is consumed after each wait, ready or not. A perf event's
 * readiness is taken by whoever polls it first (perf_poll() clears it):
 * with our epoll set inside libbpf's and a caller's epoll around ours, the
 * caller's check takes it, our epoll_wait then finds nothing, and a full
 * perf buffer, which wakes nobody again, stays full for good. Consuming a
 * source that has nothing costs a read of its head.
 */
int coolbpf_object__poll(struct coolbpf_object *obj, int timeout_ms)
{
	struct epoll_event evs[16];
	int n;

	if (!obj)
		return cb_err(-EINVAL);
	if (obj->epfd < 0)
		return cb_err(-ENOENT);
	n = epoll_wait(obj->epfd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return -errno;
	return coolbpf_object__consume(obj);
}

int coolbpf_object__consume(struct coolbpf_object *obj)
{
	int total = 0, r;

	if (!obj)
		return cb_err(-EINVAL);
	for (size_t i = 0; i < obj->nr_sources; i++) {
		struct coolbpf_map *m = obj->sources[i].map;

		r = obj->sources[i].consume(obj->sources[i].ctx);
		if (obj->cb_ret)
			break;
		if (r < 0 && r != -EINTR)
			return r;
		if (r > 0)
			total += r;
		if (m && m->cb_ret && !obj->cb_ret)
			obj->cb_ret = m->cb_ret;
		if (m)
			m->cb_ret = 0;
	}
	r = obj->cb_ret;
	obj->cb_ret = 0;
	return r ? r : total;
}

int coolbpf_map__poll(struct coolbpf_map *map, int timeout_ms)
{
	struct pollfd pfd = { .events = POLLIN };
	int n, r;

	if (!map || (map->kind != COOLBPF_MAP_PERF && map->kind != COOLBPF_MAP_RINGBUF))
		return cb_err(-EINVAL);
	if (map->q) {
		/* what the drain thread queued first; once it stopped, the
		 * rest from the kernel's buffer below */
		if (map->obj->drain) {
			pfd.fd = map->q->efd;
			n = poll(&pfd, 1, timeout_ms);
			if (n < 0)
				return -errno;
		}
		r = queue_consume(map);
		if (map->cb_ret || map->obj->drain) {
			if (map->cb_ret) {
				r = map->cb_ret;
				map->cb_ret = 0;
			}
			return r;
		}
		timeout_ms = 0;
	}
	if (map->kind == COOLBPF_MAP_RINGBUF) {
		/* the object's ring buffer maps share one manager */
		if (!map->obj->rb)
			return cb_err(-ENOENT);
		r = ring_buffer__poll(map->obj->rb, timeout_ms);
		if (map->obj->cb_ret) {
			r = map->obj->cb_ret;
			map->obj->cb_ret = 0;
		}
		return r;
	}
	if (!map->pb)
		return cb_err(-ENOENT);
	pfd.fd = perf_buffer__epoll_fd(map->pb);
	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	r = perf_consume(map);
	if (map->cb_ret) {
		r = map->cb_ret;
		map->cb_ret = 0;
	}
	return r;
}

int coolbpf_map__event_cpu(const struct coolbpf_map *map)
{
	return map ? map->ev_cpu1 - 1 : -1;
}

int coolbpf_object__events_fd(const struct coolbpf_object *obj)
{
	return obj ? obj->epfd : -EINVAL;
}

__u64 coolbpf_object__lost_events(const struct coolbpf_object *obj)
{
	__u64 n = 0;

	for (size_t i = 0; obj && i < obj->nr_maps; i++)
		n += coolbpf_map__lost(&obj->maps[i]);
	return obj ? n + lost_unattributed(obj) : 0;
}

__u64 coolbpf_map__dropped(const struct coolbpf_map *map)
{
	return map ? __atomic_load_n(&map->dropped, __ATOMIC_RELAXED) : 0;
}

void events_close(struct coolbpf_object *obj)
{
	events_drain_stop(obj);
	for (size_t i = 0; i < obj->nr_maps; i++) {
		queue_free(obj->maps[i].q);
		obj->maps[i].q = NULL;
	}
	ring_buffer__free(obj->rb);
	obj->rb = NULL;
	for (size_t i = 0; i < obj->nr_maps; i++) {
		perf_buffer__free(obj->maps[i].pb);
		obj->maps[i].pb = NULL;
	}
	if (obj->epfd >= 0)
		close(obj->epfd);
	obj->epfd = -1;
	obj->nr_sources = 0;
}
