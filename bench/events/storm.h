/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The storm event: what storm.bpf.c and storm_raw.bpf.c write per
 * getpgid(STORM_MAGIC) of the producer, and decode.c replays. */
#ifndef STORM_H
#define STORM_H

#define STORM_MAGIC 0x7c0011bf

struct storm_event {
	__u64 seq; /* lets a consumer count losses */
	__u64 ts;
	__u32 pid;
	__u32 cpu;
	__u64 arg;
	char pad[32];
};

#endif
