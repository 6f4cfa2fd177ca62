// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event output: every ring buffer and perf event array of an object behind
 * one epoll descriptor, so a caller waits on one fd for all of them. Other
 * files add sources of their own (trace.c: bpf_printk lines).
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "object.h"

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

	m->perf_lost += cnt;
	if (obj->on_lost)
		obj->on_lost(obj->ev_ctx, m, cpu, cnt);
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

int events_add_source(struct coolbpf_object *obj, int fd, int (*consume)(void *ctx), void *ctx)
{
	struct ev_source *src;
	struct epoll_event ev = { .events = EPOLLIN };
	int epfd = epoll_fd(obj);

	if (epfd < 0)
		return cb_err(epfd);
	if (obj->nr_sources == EV_SOURCES_MAX)
		return cb_err(-E2BIG);
	src = &obj->sources[obj->nr_sources];
	src->consume = consume;
	src->ctx = ctx;
	ev.data.ptr = src;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		return cb_err(-errno);
	obj->nr_sources++;
	return 0;
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

int coolbpf_object__open_events(struct coolbpf_object *obj, const struct coolbpf_events_opts *opts)
{
	size_t pages = OPTS_GET(opts, perf_pages, 0) ? opts->perf_pages : 64;
	int err;

	if (!obj || !obj->loaded || !OPTS_VALID(opts, coolbpf_events_opts))
		return cb_err(-EINVAL);
	if (pages & (pages - 1)) {
		pr_warn("perf buffer pages must be a power of two, not %zu\n", pages);
		return cb_err(-EINVAL);
	}
	obj->on_event = OPTS_GET(opts, on_event, NULL);
	obj->on_lost = OPTS_GET(opts, on_lost, NULL);
	obj->ev_ctx = OPTS_GET(opts, ctx, NULL);
	for (size_t i = 0; i < obj->nr_maps; i++) {
		struct coolbpf_map *m = &obj->maps[i];
		int fd = bpf_map__fd(m->map);

		if (m->kind == COOLBPF_MAP_RINGBUF) {
			if (!obj->rb) {
				obj->rb = ring_buffer__new(fd, ring_cb, m, NULL);
				if (!obj->rb)
					goto fail;
				err = events_add_source(obj, ring_buffer__epoll_fd(obj->rb),
							ring_consume, obj->rb);
				if (err)
					return cb_err(err);
			} else if (ring_buffer__add(obj->rb, fd, ring_cb, m)) {
				goto fail;
			}
		} else if (m->kind == COOLBPF_MAP_PERF && !m->pb) {
			m->pb = perf_buffer__new(fd, pages, perf_sample_cb, perf_lost_cb, m, NULL);
			if (!m->pb)
				goto fail;
			err = events_add_source(obj, perf_buffer__epoll_fd(m->pb), perf_consume, m);
			if (err)
				return cb_err(err);
			obj->sources[obj->nr_sources - 1].map = m;
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
	obj->nr_sources = 0;
}
