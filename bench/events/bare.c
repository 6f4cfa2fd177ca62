// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bare OBJ.o N: the baseline consumer, hand-written libbpf: load the storm
 * object, attach, count ring buffer events until N arrived (or 30 s), and
 * print the count. Says "ready" on stderr once attached.
 * bare OBJ.o hold: attach, never consume, until stdin closes (the probe's
 * kernel-side cost without a consumer's wakeups in the way).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "base/banned.h"

static long count;

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	count++;
	return 0;
}

int main(int argc, char **argv)
{
	long want = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct ring_buffer *rb;
	time_t end;

	if (argc < 2)
		return 2;
	obj = bpf_object__open(argv[1]);
	if (!obj || bpf_object__load(obj))
		return 1;
	bpf_object__for_each_program(prog, obj)
		if (!bpf_program__attach(prog))
			return 1;
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "storm")), on_event,
			      NULL, NULL);
	if (!rb)
		return 1;
	fprintf(stderr, "ready\n");
	if (argc > 2 && !strcmp(argv[2], "hold")) {
		while (getchar() != EOF)
			;
		return 0;
	}
	end = time(NULL) + 30;
	while (count < want && time(NULL) < end)
		ring_buffer__poll(rb, 100);
	printf("%ld\n", count);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
