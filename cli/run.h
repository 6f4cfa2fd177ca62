/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Parts of coolbpf run kept out of run.c, each with its own options as an
 * argp child of run's parser.
 */
#ifndef COOLBPF_CLI_RUN_H
#define COOLBPF_CLI_RUN_H

#include "cli.h"

/* A program built into a tool by coolbpf build (build.c). */
struct run_tool {
	const char *name; /* the tool's name: its --help, its object's name */
	const void *obj;  /* the artifact: CO-RE object, min BTF of its kernels */
	size_t obj_sz;
	/* its --help after the options: parameters and kernels */
	void (*describe)(const struct run_tool *tool, struct coolbpf_buf *out);
};
/* coolbpf run's options, load, attach and output, on tool's program
 * (NULL: run's FILE argument, as coolbpf run). argv[0] names the
 * command. The exit status. */
int run_tool(int argc, char **argv, const struct run_tool *tool);

/* run_profile.c: --freq, --period, --event for SEC("perf_event")
 * programs; --top, --folded for maps of stacks. */
extern const struct argp run_profile_argp;
/* Before attach: the perf event asked for, and checks the options
 * against the output format. 0, 2 (usage error, said) or 1. */
int run_profile_setup(struct coolbpf_object *obj, bool json);
/* Print map m as run does on exit: stack-count maps by --top/--folded,
 * other maps as coolbpf_map__format() does, nothing but folded stacks
 * with --folded. 0 or -errno. */
int run_profile_format(struct coolbpf_map *m, const struct coolbpf_format_opts *fmt,
		       struct coolbpf_buf *out);

/* run_metrics.c: --metrics ADDR:PORT. After load: start serving (0, or
 * 1/2 said), *fd the fd for run's event loop to watch (-1: none); serve
 * what is pending when it is readable; stop. */
extern const struct argp run_metrics_argp;
int run_metrics_start(struct coolbpf_object *obj, int *fd);
void run_metrics_serve(void);
void run_metrics_stop(void);

/* run_columns.c: --columns. Text events as aligned columns, a header
 * line before the first event of each type (time: a TIME column). 0, or
 * -errno when the event cannot be put in columns (the caller prints it as
 * text). */
extern const struct argp run_columns_argp;
extern bool run_columns;
struct btf;
int run_columns_event(struct coolbpf_map *map, const struct btf *btf, const void *data, size_t size,
		      const char *time, struct coolbpf_buf *out);

#endif
