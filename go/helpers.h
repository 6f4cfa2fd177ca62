/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The C side of the Go binding (cgo compiles it with the package):
 * what is easier in C than through cgo, on the public API only. */
#ifndef COOLBPF_GO_HELPERS_H
#define COOLBPF_GO_HELPERS_H

#include <stddef.h>
#include <coolbpf/coolbpf.h>

void gocb_init(void);
/* COOLBPF_WARN lines of this thread so far */
unsigned long gocb_warns(void);
/* hand log lines of level < v to goCoolbpfLog (0: none) */
void gocb_set_verbose(int v);

/* One poll's events, decoded by the library, handed to Go in one piece:
 * records of a struct gocb_rec, the event's bytes, its JSON. */
struct gocb_rec {
	__u64 map;
	__u32 kind; /* 0: event, 1: lost */
	__s32 cpu;
	__u64 raw_len; /* lost: the count */
	__u64 json_len;
};

struct gocb_batch {
	char *data;
	size_t len, cap;
	int err;
};

struct gocb_batch *gocb_open_events(struct coolbpf_object *obj, size_t perf_pages,
				    size_t queue_size, int *err);
void gocb_batch_free(struct gocb_batch *b);

/* open (how: 0 file, 1 source, 2 object in memory) with the opts the
 * caller filled (sz and the compile link are set here), from_env: fill
 * the rest from the environment */
struct coolbpf_object *gocb_open(int how, const char *path, const void *mem, size_t len,
				 struct coolbpf_compile_opts *c, struct coolbpf_object_opts *o,
				 int from_env);
struct coolbpf_link *gocb_attach(struct coolbpf_object *obj, const char *prog,
				 struct coolbpf_attach_opts *o);
/* a whole map as coolbpf run prints it, into *out (malloc'd) */
int gocb_map_format(struct coolbpf_map *map, int fmt, char **out, size_t *len);

#endif
