// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event output: every ring buffer and perf event array of an object behind
 * one epoll descriptor, so a caller waits on one fd for all of them (and
 * for bpf_printk lines, see trace.c).
 */
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "object.h"

/* epoll data: a perf map, the ring buffer manager, or the trace pipe */
#define EV_RING ((void *)1)
#define EV_TRACE ((void *)2)

static int ring_cb(void *ctx, void *data, size_t size)
{
	struct coolbpf_map *m = ctx;
	struct coolbpf_object *obj = m->obj;
	int r = obj->on_event ? obj->on_event(obj->ev_ctx, m, data, size) : 0;

	if (r)
		obj->cb_ret = r;
	return r;
}

static void perf_sample_cb(void *ctx, int cpu, void *data, __u32 size)
{
	struct coolbpf_map *m = ctx;
	struct coolbpf_object *obj = m->obj;

	(void)cpu;
	if (obj->cb_ret)
		return; /* the consumer asked to stop; perf has no early exit */
	if (obj->on_event)
		obj->cb_ret = obj->on_event(obj->ev_ctx, m, data, size);
}

static void perf_lost_cb(void *ctx, int cpu, __u64 cnt)
{
	struct coolbpf_map *m = ctx;
	struct coolbpf_object *obj = m->obj;

	m->perf_lost += cnt;
	if (obj->on_lost)
		obj->on_lost(obj->ev_ctx, m, cpu, cnt);
}

int events_epoll_fd(struct coolbpf_object *obj)
{
	if (obj->epfd < 0) {
		obj->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (obj->epfd < 0)
			return -errno;
	}
	return obj->epfd;
}

int events_epoll_add(struct coolbpf_object *obj, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };
	int epfd = events_epoll_fd(obj);

	if (epfd < 0)
		return epfd;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int coolbpf_object__open_events(struct coolbpf_object *obj,
				const struct coolbpf_events_opts *opts)
{
	size_t pages = opts && opts->perf_pages ? opts->perf_pages : 64;
	int err;

	if (!obj || !obj->loaded)
		return cb_err(-EINVAL);
	if (pages & (pages - 1)) {
		pr_warn("perf buffer pages must be a power of two, not %zu\n", pages);
		return cb_err(-EINVAL);
	}
	obj->on_event = opts ? opts->on_event : NULL;
	obj->on_lost = opts ? opts->on_lost : NULL;
	obj->ev_ctx = opts ? opts->ctx : NULL;
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct coolbpf_map *m = &obj->maps[i];
		int fd = bpf_map__fd(m->map);

		if (m->kind == COOLBPF_MAP_RINGBUF) {
			if (!obj->rb) {
				obj->rb = ring_buffer__new(fd, ring_cb, m, NULL);
				if (!obj->rb)
					goto fail;
				err = events_epoll_add(obj, ring_buffer__epoll_fd(obj->rb), EV_RING);
				if (err)
					return cb_err(err);
			} else if (ring_buffer__add(obj->rb, fd, ring_cb, m)) {
				goto fail;
			}
		} else if (m->kind == COOLBPF_MAP_PERF && !m->pb) {
			m->pb = perf_buffer__new(fd, pages, perf_sample_cb, perf_lost_cb, m, NULL);
			if (!m->pb)
				goto fail;
			err = events_epoll_add(obj, perf_buffer__epoll_fd(m->pb), m);
			if (err)
				return cb_err(err);
		}
	}
	return 0;
fail:
	err = -errno;
	pr_warn("cannot open event buffers of '%s': %s\n", obj->name, strerror(-err));
	return cb_err(err);
}

static int consume_tag(struct coolbpf_object *obj, void *tag)
{
	if (tag == EV_RING)
		return ring_buffer__consume(obj->rb);
	if (tag == EV_TRACE)
		return trace_consume(obj);
	return perf_buffer__consume(((struct coolbpf_map *)tag)->pb);
}

int coolbpf_object__poll(struct coolbpf_object *obj, int timeout_ms)
{
	struct epoll_event evs[16];
	int n, total = 0;

	if (!obj)
		return cb_err(-EINVAL);
	if (obj->epfd < 0)
		return cb_err(-ENOENT);
	n = epoll_wait(obj->epfd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		int r = consume_tag(obj, evs[i].data.ptr);

		if (obj->cb_ret) {
			r = obj->cb_ret;
			obj->cb_ret = 0;
			return r;
		}
		if (r < 0)
			return r;
		total += r;
	}
	return total;
}

int coolbpf_object__consume(struct coolbpf_object *obj)
{
	int total = 0, r;

	if (!obj)
		return cb_err(-EINVAL);
	if (obj->rb) {
		r = ring_buffer__consume(obj->rb);
		if (r > 0)
			total += r;
	}
	for (size_t i = 0; i < obj->nr_maps; i++) {
		if (obj->maps[i].pb) {
			r = perf_buffer__consume(obj->maps[i].pb);
			if (r > 0)
				total += r;
		}
	}
	if (obj->trace_fd >= 0) {
		r = trace_consume(obj);
		if (r > 0)
			total += r;
	}
	r = obj->cb_ret;
	obj->cb_ret = 0;
	return r ? r : total;
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
	return n;
}

void events_close(struct coolbpf_object *obj)
{
	ring_buffer__free(obj->rb);
	obj->rb = NULL;
	for (size_t i = 0; i < obj->nr_maps; i++) {
		perf_buffer__free(obj->maps[i].pb);
		obj->maps[i].pb = NULL;
	}
	if (obj->epfd >= 0)
		close(obj->epfd);
	obj->epfd = -1;
}
