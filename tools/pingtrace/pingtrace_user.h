/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pingtrace: what its user-space files share (pingtrace.c: options, BPF
 * setup, dispatch; sender.c; responder.c; report.c). What the BPF side
 * shares too is in pingtrace.h.
 */
#ifndef PINGTRACE_USER_H
#define PINGTRACE_USER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <coolbpf/coolbpf.h>

#include "pingtrace.h"

#define MAX_PAYLOAD 1472 /* one Ethernet frame: no fragments to follow */
#define MIN_PAYLOAD 8	 /* the magic word and a pad word */

/* the options (pingtrace.c) */
struct env {
	long count;	     /* 0: until interrupted */
	double interval;     /* seconds */
	long size;	     /* payload bytes */
	double timeout;	     /* seconds a reply may take */
	double threshold_us; /* print only packets slower than this */
	int family;	     /* AF_INET, AF_INET6, or 0: as DEST resolves */
	bool json;
	bool responder;
	bool no_trace;
	int verbose;
	const char *dest;
};

extern struct env env;

/* pingtrace.c */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
struct coolbpf_object *open_bpf(unsigned int mode, unsigned long long sock_cookie);
int signal_fd(void);

/* the two modes */
int run_sender(void);
int run_responder(void);

/* ------------------------------------------------------------------ */
/* Stages (report.c)                                                   */
/* ------------------------------------------------------------------ */

struct point_def {
	const char *hook;  /* what the kernel offers at this point */
	const char *prog;  /* the program that stamps it; NULL: pingtrace does */
	const char *prog2; /* a second program it needs, or NULL */
	const char *alt;   /* a program that stamps it instead, or NULL */
	const char *stage; /* the stage that ends here */
};

#define MAX_STAGES 8

struct samples {
	double *v;
	size_t n, cap;
};

/* The stages this kernel can observe: between consecutive observed
 * points; a point it cannot observe merges the two stages around it. */
struct stages {
	const struct point_def *pts;
	int nr_pts;
	bool avail[PT_NR_POINTS];
	char why[PT_NR_POINTS][320]; /* why a point is not observed */
	int nr;
	int from[MAX_STAGES], to[MAX_STAGES];
	char name[MAX_STAGES][64];
	struct samples s[MAX_STAGES];
	struct samples total; /* rtt (sender) or first to last point (responder) */
};

extern struct stages stages;

void stages_build(const struct coolbpf_object *obj, const struct point_def *pts, int nr);

/* ------------------------------------------------------------------ */
/* Output (report.c)                                                   */
/* ------------------------------------------------------------------ */

void report_header(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_echo(const char *dest_ip, unsigned short seq, double rtt_us,
		 const struct pt_stamps *ps);
void report_lost(unsigned short seq);
void report_reply(const struct pt_reply *e);
/* counts: the JSON summary's other members; this takes its reference */
void report_summary(const char *title, const char *total_name, json_t *counts);

#endif
