// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pingtrace's report: the stages this kernel can observe (from what
 * attached), one line (or JSON object) per echo, the statistics (min,
 * avg, max, nearest-rank p99) and the summary that ends a run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <coolbpf/coolbpf.h>

#include "pingtrace_user.h"
#include "base/banned.h"

struct stages stages;

static void samples_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return; /* statistics of what fitted */
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat4 {
	double min, avg, max, p99;
};

static bool samples_stat(struct samples *s, struct stat4 *o)
{
	double sum = 0;
	size_t rank;

	if (!s->n)
		return false;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	rank = (size_t)ceil(0.99 * (double)s->n); /* nearest rank */
	o->min = s->v[0];
	o->max = s->v[s->n - 1];
	o->avg = sum / (double)s->n;
	o->p99 = s->v[(rank ? rank : 1) - 1];
	return true;
}

/* 0 if program prog attached, else -errno with the reason appended to why */
static int prog_err(const struct coolbpf_object *obj, const char *prog, char *why, size_t sz)
{
	for (size_t i = 0; i < coolbpf_object__attach_count(obj); i++) {
		const struct coolbpf_attach_info *ai = coolbpf_object__attach_info(obj, i);
		size_t l = strlen(why);

		if (strcmp(ai->prog, prog))
			continue;
		if (ai->err && ai->note && strstr(why, ai->note))
			return ai->err; /* said already (a point with two programs) */
		if (ai->err && l < sz)
			snprintf(why + l, sz - l, "%s%s", l ? "; " : "",
				 ai->note ? ai->note : strerror(-ai->err));
		return ai->err;
	}
	return -ENOENT;
}

/* What attached decides the stages: nr points pts, in the order a packet passes them. */
void stages_build(const struct coolbpf_object *obj, const struct point_def *pts, int nr)
{
	int prev = -1;

	stages.pts = pts;
	stages.nr_pts = nr;
	for (int k = 0; k < nr; k++) {
		/* no program: pingtrace's own clock stamps it */
		char *why = stages.why[k];
		int e1 = pts[k].prog ? prog_err(obj, pts[k].prog, why, sizeof(stages.why[k])) : 0;
		int e2 = pts[k].prog2 ? prog_err(obj, pts[k].prog2, why, sizeof(stages.why[k])) : 0;

		stages.avail[k] = !e1 && !e2;
		if (!stages.avail[k] && pts[k].alt) {
			char alt_why[sizeof(stages.why[k])] = "";
			size_t l = strlen(why);

			stages.avail[k] = !prog_err(obj, pts[k].alt, alt_why, sizeof(alt_why));
			snprintf(why + l, sizeof(stages.why[k]) - l, "; %s", alt_why);
		}
	}
	for (int k = 0; k < nr; k++) {
		if (!stages.avail[k])
			continue;
		if (prev >= 0 && stages.nr < MAX_STAGES) {
			char *n = stages.name[stages.nr];
			size_t len = 0, sz = sizeof(stages.name[0]);

			/* the stages around the points not observed, joined with '+' */
			n[0] = '\0';
			for (int j = prev + 1; j <= k && len < sz - 1; j++)
				len += (size_t)snprintf(n + len, sz - len, "%s%s", len ? "+" : "",
							pts[j].stage);
			stages.from[stages.nr] = prev;
			stages.to[stages.nr] = k;
			stages.nr++;
		}
		prev = k;
	}
}

/* Stage k of a packet in microseconds, NAN when a point was not passed. */
static double stage_us(const unsigned long long *ts, int k)
{
	unsigned long long a = ts[stages.from[k]], b = ts[stages.to[k]];

	if (!a || !b || b < a)
		return NAN;
	return (double)(b - a) / 1000.0;
}

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(9))

static double round1(double us)
{
	return round(us * 10.0) / 10.0;
}

static void emit_json(json_t *j)
{
	char *s = json_dumps(j, JSON_FLAGS);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	json_decref(j);
	fflush(stdout);
}

static json_t *stages_json(const double *us)
{
	json_t *o = json_object();

	for (int k = 0; k < stages.nr; k++)
		json_object_set_new(o, stages.name[k],
				    isnan(us[k]) ? json_null() : json_real(round1(us[k])));
	return o;
}

static void stages_text(const double *us)
{
	for (int k = 0; k < stages.nr; k++) {
		if (isnan(us[k]))
			printf(" %s=-", stages.name[k]);
		else
			printf(" %s=%.1f", stages.name[k], us[k]);
	}
	printf(" us\n");
}

static json_t *stat_json(const struct stat4 *s)
{
	return json_pack("{s:f,s:f,s:f,s:f}", "min", round1(s->min), "avg", round1(s->avg), "max",
			 round1(s->max), "p99", round1(s->p99));
}

static json_t *unobserved_json(void)
{
	json_t *a = json_array();

	for (int k = 0; k < stages.nr_pts; k++)
		if (!stages.avail[k])
			json_array_append_new(a, json_pack("{s:s,s:s}", "hook", stages.pts[k].hook,
							   "reason", stages.why[k]));
	return a;
}

static void print_unobserved_text(FILE *f)
{
	for (int k = 0; k < stages.nr_pts; k++)
		if (!stages.avail[k])
			fprintf(f, "pingtrace: not observable on this kernel: %s (%s)\n",
				stages.pts[k].hook, stages.why[k]);
}

/* The first line (text mode), and on stderr what this kernel cannot observe. */
void report_header(const char *fmt, ...)
{
	va_list ap;

	if (!env.json) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(env.no_trace ? "; not traced (--no-trace)" : "; per-stage times in us:");
		for (int k = 0; k < stages.nr; k++)
			printf(" %s", stages.name[k]);
		printf("\n");
		fflush(stdout);
	}
	print_unobserved_text(stderr);
}

/* The end of a run: title and a table (text), or one JSON object. */
void report_summary(const char *title, const char *total_name, json_t *counts)
{
	struct stat4 s;

	if (env.json) {
		json_t *by_stage = json_object();

		if (samples_stat(&stages.total, &s))
			json_object_set_new(counts, total_name, stat_json(&s));
		for (int k = 0; k < stages.nr; k++)
			if (samples_stat(&stages.s[k], &s))
				json_object_set_new(by_stage, stages.name[k], stat_json(&s));
		json_object_set_new(counts, "stages", by_stage);
		json_object_set_new(counts, "unobserved", unobserved_json());
		emit_json(json_pack("{s:o}", "summary", counts));
		return;
	}
	json_decref(counts);
	printf("%s", title);
	printf("%-34s %10s %10s %10s %10s\n", "stage (us)", "min", "avg", "max", "p99");
	if (samples_stat(&stages.total, &s))
		printf("%-34s %10.1f %10.1f %10.1f %10.1f\n", total_name, s.min, s.avg, s.max,
		       s.p99);
	for (int k = 0; k < stages.nr; k++) {
		if (samples_stat(&stages.s[k], &s))
			printf("%-34s %10.1f %10.1f %10.1f %10.1f\n", stages.name[k], s.min, s.avg,
			       s.max, s.p99);
		else
			printf("%-34s %10s\n", stages.name[k], "-");
	}
	fflush(stdout);
}

/* The sender's echo seq, answered after rtt_us, with the stamps ps of the programs. */
void report_echo(const char *dest_ip, unsigned short seq, double rtt_us, const struct pt_stamps *ps)
{
	double us[MAX_STAGES];
	unsigned long long ts[PT_NR_POINTS];

	memcpy(ts, ps->ts, sizeof(ts));
	/* no wake-up between the reply reaching the socket and recvfrom: the
	 * task was not asleep, so waking it took no time */
	if (stages.avail[PT_WAKEUP] && !ts[PT_WAKEUP] && ts[PT_USER_RX]) {
		for (int k = PT_WAKEUP - 1; k >= 0; k--)
			if (stages.avail[k] && ts[k]) {
				ts[PT_WAKEUP] = ts[k];
				break;
			}
	}
	for (int k = 0; k < stages.nr; k++) {
		us[k] = stage_us(ts, k);
		if (!isnan(us[k]))
			samples_add(&stages.s[k], us[k]);
	}
	samples_add(&stages.total, rtt_us);
	if (rtt_us <= env.threshold_us)
		return;
	if (env.json) {
		emit_json(json_pack("{s:i,s:f,s:o}", "seq", (int)seq, "rtt_us", round1(rtt_us),
				    "stages", stages_json(us)));
		return;
	}
	printf("%ld bytes from %s: icmp_seq=%u time=%.3f ms", env.size + 8, dest_ip, seq,
	       rtt_us / 1000.0);
	if (stages.nr) {
		printf(" |");
		stages_text(us);
	} else {
		printf("\n");
	}
	fflush(stdout);
}

/* An echo the responder answered, as the programs stamped it. */
void report_reply(const struct pt_reply *e)
{
	double us[MAX_STAGES], total;
	char from[INET6_ADDRSTRLEN];

	for (int k = 0; k < stages.nr; k++) {
		us[k] = stage_us(e->ts, k);
		if (!isnan(us[k]))
			samples_add(&stages.s[k], us[k]);
	}
	total = (double)(e->ts[PR_DEV_XMIT] - e->ts[PR_DEV_RX]) / 1000.0;
	samples_add(&stages.total, total);
	if (e->family == 6)
		inet_ntop(AF_INET6, e->saddr6, from, sizeof(from));
	else
		inet_ntop(AF_INET, &e->saddr, from, sizeof(from));
	if (total > env.threshold_us) {
		if (env.json) {
			emit_json(json_pack("{s:s,s:i,s:i,s:f,s:o}", "from", from, "id", (int)e->id,
					    "seq", (int)e->seq, "total_us", round1(total), "stages",
					    stages_json(us)));
		} else {
			printf("echo from %s id=%u icmp_seq=%u: in kernel %.1f us |", from, e->id,
			       e->seq, total);
			stages_text(us);
			fflush(stdout);
		}
	}
}

/* The sender's echo seq got no reply within the timeout. */
void report_lost(unsigned short seq)
{
	if (env.json)
		emit_json(json_pack("{s:i,s:b}", "seq", (int)seq, "lost", 1));
	else
		printf("no reply to icmp_seq=%u within %.3g s\n", seq, env.timeout);
	fflush(stdout);
}
