// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decode OBJ.o [-n N] [-r ROUNDS] [--text] [-T]: the consumer's user-space
 * cost alone, no kernel. N storm events as storm.bpf.c writes them (seq,
 * ts, pid, cpu, arg, zero padding) are decoded and formatted as `coolbpf
 * run` does (coolbpf_map__format_event, a newline), into one buffer that is
 * emptied every 1 MB (what run then writes). Prints events/s and ns/event,
 * the best of ROUNDS rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coolbpf/coolbpf.h>

#include "base/banned.h"

#include "storm.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = 1000000, rounds = 5;
	bool text = false, stamps = false;
	const char *path = NULL;
	struct coolbpf_object *obj;
	struct coolbpf_map *map;
	struct storm_event *evs;
	struct coolbpf_buf out = COOLBPF_BUF_INIT;
	double best = 0;
	size_t bytes = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			rounds = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--text"))
			text = true;
		else if (!strcmp(argv[i], "-T"))
			stamps = true;
		else
			path = argv[i];
	}
	if (!path || n <= 0 || rounds <= 0) {
		fprintf(stderr, "usage: decode OBJ.o [-n N] [-r ROUNDS] [--text] [-T]\n");
		return 2;
	}
	obj = coolbpf_object__open_file(path, NULL);
	map = obj ? coolbpf_object__map(obj, "storm") : NULL;
	if (!map) {
		fprintf(stderr, "decode: cannot open map 'storm' of '%s': %s\n", path,
			coolbpf_errmsg());
		return 1;
	}
	evs = calloc((size_t)n, sizeof(*evs));
	if (!evs)
		return 1;
	for (long i = 0; i < n; i++) {
		evs[i].seq = (__u64)i;
		evs[i].ts = 1000000000000ULL + (__u64)i * 417;
		evs[i].pid = 123456;
		evs[i].cpu = (__u32)(i & 1);
		evs[i].arg = 0x7c0011bf;
	}
	for (long r = 0; r < rounds; r++) {
		COOLBPF_FORMAT_OPTS(fo, .fmt = text ? COOLBPF_FMT_TEXT : COOLBPF_FMT_JSON,
				    .time = stamps ? "2026-12-03T06:30:00.123+00:00" : NULL);
		double t0 = now_s(), dt;

		bytes = 0;
		for (long i = 0; i < n; i++) {
			if (coolbpf_map__format_event(map, &evs[i], sizeof(evs[i]), &fo, &out))
				return 1;
			coolbpf_buf__append(&out, "\n", 1);
			if (out.len >= 1 << 20) {
				bytes += out.len;
				coolbpf_buf__reset(&out);
			}
		}
		bytes += out.len;
		coolbpf_buf__reset(&out);
		dt = now_s() - t0;
		if (!best || dt < best)
			best = dt;
	}
	printf("%ld events, %.0f events/s, %.1f ns/event, %.1f bytes/event\n", n, (double)n / best,
	       best * 1e9 / (double)n, (double)bytes / (double)n);
	coolbpf_buf__release(&out);
	free(evs);
	coolbpf_object__close(obj);
	return 0;
}
