/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What both halves of these libbpf-style test tools share, as a
 * libbpf-tools name.h does: nothing tells coolbpf which struct is an event. */
#ifndef EVENTS_H
#define EVENTS_H

#define TASK_COMM_LEN 16
#define MAX_SLOTS     26

struct event {
	int pid;
	int ppid;
	unsigned int uid;
	char comm[TASK_COMM_LEN];
};

/* as large as struct event: only the calls tell them apart */
struct twin {
	int a;
	int b;
	unsigned int c;
	char d[TASK_COMM_LEN];
};

struct rec {
	unsigned long long ts;
	int pid;
	char comm[TASK_COMM_LEN];
};

struct big {
	int pid;
	char comm[TASK_COMM_LEN];
	char pad[600];
};

struct hist {
	unsigned int slots[MAX_SLOTS];
	char comm[TASK_COMM_LEN];
};

#endif
