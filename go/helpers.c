// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The C side of the Go binding: see helpers.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
/* the project's banned functions, where the source tree is at hand (the
 * installed module has only the public header) */
#if __has_include("base/banned.h")
#include "base/banned.h"
#endif

/* The library's warnings of this thread, counted: a failure is reported
 * with coolbpf_errmsg() only if it warned during the call (the Go side
 * locks the goroutine to its thread around the call and the reading). */
static __thread unsigned long gocb_nwarn;
static int gocb_verbose;

/* log.go */
extern void goCoolbpfLog(int level, char *msg);

static int gocb_print(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level == COOLBPF_WARN)
		gocb_nwarn++;
	if ((int)level > gocb_verbose - 1)
		return 0;
	if (vsnprintf(buf, sizeof(buf), fmt, ap) >= 0)
		goCoolbpfLog((int)level, buf);
	return 0;
}

void gocb_init(void)
{
	coolbpf_set_print(gocb_print);
}

unsigned long gocb_warns(void)
{
	return gocb_nwarn;
}

void gocb_set_verbose(int v)
{
	gocb_verbose = v;
}

static int gocb_reserve(struct gocb_batch *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 65536;
	char *d;

	while (cap - b->len < more)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

/* Each event: its record header, its bytes, its JSON (the library's
 * decoder writes straight into the batch, snprintf-style). */
static int gocb_on_event(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	struct gocb_batch *b = ctx;
	struct gocb_rec h = { (__u64)(uintptr_t)map, 0, -1, size, 0 };
	size_t start = b->len, room;
	int n;

	if (gocb_reserve(b, sizeof(h) + size + 256))
		return b->err = -ENOMEM;
	b->len += sizeof(h);
	memcpy(b->data + b->len, data, size);
	b->len += size;
	for (;;) {
		room = b->cap - b->len;
		n = coolbpf_map__decode_event(map, data, size, COOLBPF_FMT_JSON, b->data + b->len,
					      room);
		if (n < 0) {
			b->len = start;
			return b->err = n;
		}
		if ((size_t)n < room)
			break;
		if (gocb_reserve(b, (size_t)n + 1)) {
			b->len = start;
			return b->err = -ENOMEM;
		}
	}
	b->len += n;
	h.json_len = n;
	memcpy(b->data + start, &h, sizeof(h));
	return 0;
}

static void gocb_on_lost(void *ctx, struct coolbpf_map *map, int cpu, __u64 count)
{
	struct gocb_batch *b = ctx;
	struct gocb_rec h = { (__u64)(uintptr_t)map, 1, cpu, count, 0 };

	if (gocb_reserve(b, sizeof(h)))
		return;
	memcpy(b->data + b->len, &h, sizeof(h));
	b->len += sizeof(h);
}

struct gocb_batch *gocb_open_events(struct coolbpf_object *obj, size_t perf_pages,
				    size_t queue_size, int *err)
{
	struct gocb_batch *b = calloc(1, sizeof(*b));
	COOLBPF_EVENTS_OPTS(o, .on_event = gocb_on_event, .on_lost = gocb_on_lost, .ctx = b,
			    .perf_pages = perf_pages, .queue_size = queue_size);

	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = coolbpf_object__open_events(obj, &o);
	if (*err < 0) {
		free(b);
		return NULL;
	}
	return b;
}

void gocb_batch_free(struct gocb_batch *b)
{
	if (b)
		free(b->data);
	free(b);
}

struct coolbpf_object *gocb_open(int how, const char *path, const void *mem, size_t len,
				 struct coolbpf_compile_opts *c, struct coolbpf_object_opts *o,
				 int from_env)
{
	c->sz = sizeof(*c);
	o->sz = sizeof(*o);
	o->compile = c;
	if (from_env) {
		coolbpf_compile_opts__from_env(c);
		coolbpf_object_opts__from_env(o);
	}
	switch (how) {
	case 0:
		return coolbpf_object__open_file(path, o);
	case 1:
		return coolbpf_object__open_source(mem, len, o);
	default:
		return coolbpf_object__open_mem(mem, len, o);
	}
}

struct coolbpf_link *gocb_attach(struct coolbpf_object *obj, const char *prog,
				 struct coolbpf_attach_opts *o)
{
	o->sz = sizeof(*o);
	o->perf_group_fd = -1;
	return coolbpf_object__attach_program(obj, prog, o);
}

int gocb_map_format(struct coolbpf_map *map, int fmt, char **out, size_t *len)
{
	COOLBPF_FORMAT_OPTS(o, .fmt = (enum coolbpf_format)fmt);
	struct coolbpf_buf b = COOLBPF_BUF_INIT;
	int err = coolbpf_map__format(map, &o, &b);

	*out = b.data;
	*len = b.len;
	return err;
}
