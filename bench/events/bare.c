// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bare OBJ.o N [PAGES]: the baseline consumer, hand-written libbpf: load the
 * storm object, attach, count the events of its map "storm" (a ring buffer,
 * or a perf event array read with PAGES pages per CPU, default 64) until N
 * arrived, the perf buffer said N were lost or received, 2 s passed with none
 * after the first (a ring buffer that lost some never gets to N) or 30 s
 * passed without any, and
 * print "RECEIVED LOST" (LOST: the perf buffer's lost samples; 0 for a ring
 * buffer, which does not tell). Says "ready" on stderr once attached.
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
static unsigned long long lost;

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	count++;
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	on_event(ctx, data, size);
}

static void on_lost(void *ctx, int cpu, __u64 n)
{
	(void)ctx;
	(void)cpu;
	lost += n;
}

int main(int argc, char **argv)
{
	long want = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	struct bpf_map *map;
	double end, idle = 0;
	long seen = 0;

	if (argc < 2)
		return 2;
	obj = bpf_object__open(argv[1]);
	if (!obj || bpf_object__load(obj))
		return 1;
	bpf_object__for_each_program(prog, obj)
		if (!bpf_program__attach(prog))
			return 1;
	map = bpf_object__find_map_by_name(obj, "storm");
	if (!map)
		return 1;
	if (bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		pb = perf_buffer__new(bpf_map__fd(map), argc > 3 ? strtoul(argv[3], NULL, 10) : 64,
				      on_sample, on_lost, NULL, NULL);
	else
		rb = ring_buffer__new(bpf_map__fd(map), on_event, NULL, NULL);
	if (!rb && !pb)
		return 1;
	fprintf(stderr, "ready\n");
	if (argc > 2 && !strcmp(argv[2], "hold")) {
		while (getchar() != EOF)
			;
		return 0;
	}
	end = now() + 30;
	while (count + (long)lost < want && now() < (count ? idle + 2 : end)) {
		if (pb)
			perf_buffer__poll(pb, 100);
		else
			ring_buffer__poll(rb, 100);
		if (count != seen) {
			seen = count;
			idle = now();
		}
	}
	printf("%ld %llu\n", count, lost);
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	bpf_object__close(obj);
	return 0;
}
