// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpfd's counters and histograms, and the text of /metrics (the
 * Prometheus exposition format, version 0.0.4). HTTP and compile threads
 * bump the counters without a lock (atomics); the gauges belong to their
 * owners (the cache, the queue, the front door, the shared cache) and
 * come in as arguments of metrics_format().
 */
#include <stdatomic.h>

#include "coolbpfd.h"

static const char *const ep_names[EP_N] = {
	"compile", "btf", "healthz", "metrics", "other", "none"
};
static const unsigned codes[] = { 200, 400, 401, 404, 405, 408, 413, 414,
				  422, 431, 499, 500, 503, 504, 505 };
#define CODE_N (ARRAY_SIZE(codes) + 1) /* + "other" */
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				  0.5,	 1,	 2.5,	5,    10,    30,   60 };
#define BUCKET_N (ARRAY_SIZE(buckets) + 1)

static const char *const outcome_names[OUT_N] = {
	[OUT_NONE] = "none",
	[OUT_CACHE_HIT] = "cache_hit",
	[OUT_SHARED_HIT] = "shared_hit",
	[OUT_COMPILED] = "compiled",
	[OUT_WAITED] = "single_flight",
	[OUT_COMPILE_ERROR] = "compile_error",
	[OUT_REFUSED] = "refused",
	[OUT_QUEUE_FULL] = "queue_full",
	[OUT_TIMEOUT] = "timeout",
	[OUT_CANCELLED] = "cancelled",
	[OUT_FAILED] = "failed",
};

/* one counter per line of /metrics; lines of one name are adjacent */
static const struct {
	const char *name, *labels, *help;
} counters[M_N] = {
	[M_CACHE_HIT] = { "coolbpfd_cache_hits_total", NULL,
			  "Compile requests answered from the local response cache." },
	[M_CACHE_MISS] = { "coolbpfd_cache_misses_total", NULL,
			   "Compile requests not in the local response cache." },
	[M_QUEUE_REJECTED] = { "coolbpfd_queue_rejected_total", NULL,
			       "Compile requests answered 503: the queue was full." },
	[M_COMPILES] = { "coolbpfd_compiles_total", NULL,
			 "Sandboxed compiles run for requests (a single flight is one)." },
	[M_PREPS] = { "coolbpfd_kernel_preps_total", NULL,
		      "Per-kernel vmlinux.h and precompiled headers made by the server." },
	[M_CANCELLED] = { "coolbpfd_compiles_cancelled_total", NULL,
			  "Compiles killed because their client went away." },
	[M_KILL_TIME] = { "coolbpfd_worker_kills_total", "limit=\"wall_clock\"",
			  "Workers killed by a limit." },
	[M_KILL_OUTPUT] = { "coolbpfd_worker_kills_total", "limit=\"output\"", NULL },
	[M_KILL_SIGNAL] = { "coolbpfd_worker_kills_total", "limit=\"signal\"", NULL },
	[M_SF_LOCAL] = { "coolbpfd_single_flight_waits_total", "scope=\"local\"",
			 "Requests that waited for an identical compile in progress." },
	[M_SF_SHARED] = { "coolbpfd_single_flight_waits_total", "scope=\"shared\"", NULL },
	[M_SHARED_HIT] = { "coolbpfd_shared_cache_hits_total", NULL,
			   "Compile requests answered from the shared cache (Redis)." },
	[M_SHARED_MISS] = { "coolbpfd_shared_cache_misses_total", NULL,
			    "Shared cache lookups that found nothing." },
	[M_SHARED_ERROR] = { "coolbpfd_shared_cache_errors_total", NULL,
			     "Shared cache operations that failed (down, slow, refused)." },
	[M_SHARED_STORE] = { "coolbpfd_shared_cache_stores_total", NULL,
			     "Replies stored in the shared cache." },
	[M_SHARED_CORRUPT] = { "coolbpfd_shared_cache_corrupt_total", NULL,
			       "Shared cache entries dropped: wrong hash or size." },
	[M_CONN_REJECTED_TOTAL] = { "coolbpfd_connections_rejected_total", "cap=\"total\"",
				    "Connections refused at accept by a cap." },
	[M_CONN_REJECTED_IP] = { "coolbpfd_connections_rejected_total", "cap=\"per_ip\"", NULL },
	[M_DEADLINE_CLOSE] = { "coolbpfd_request_deadline_closes_total", NULL,
			       "Connections closed for not sending a request in --request-timeout." },
	[M_BODY_REFUSED] = { "coolbpfd_bodies_refused_total", NULL,
			     "Connections closed mid-body: over 1 MiB or the memory budget." },
	[M_ENV_CHANGES] = { "coolbpfd_environment_changes_total", NULL,
			    "Changes of the headers or tools a compile uses (all keys new)." },
};

struct hist {
	atomic_ullong count[BUCKET_N];
	atomic_ullong sum_us;
};

static struct {
	atomic_ullong requests[EP_N][CODE_N];
	atomic_ullong outcomes[OUT_N];
	atomic_ullong counter[M_N];
	struct hist latency[2]; /* [cached] */
	struct hist sandbox;
} metrics;

void metrics_request(enum endpoint ep, unsigned status)
{
	size_t k = 0;

	while (k < ARRAY_SIZE(codes) && codes[k] != status)
		k++;
	atomic_fetch_add(&metrics.requests[ep][k], 1);
}

void metrics_outcome(enum outcome o)
{
	atomic_fetch_add(&metrics.outcomes[o], 1);
}

void metrics_count(enum metric m)
{
	atomic_fetch_add(&metrics.counter[m], 1);
}

static void hist_add(struct hist *h, double seconds)
{
	size_t i = 0;

	while (i < ARRAY_SIZE(buckets) && seconds > buckets[i])
		i++;
	atomic_fetch_add(&h->count[i], 1);
	atomic_fetch_add(&h->sum_us, (unsigned long long)(seconds * 1e6));
}

void metrics_latency(bool cached, double seconds)
{
	hist_add(&metrics.latency[cached], seconds);
}

void metrics_sandbox_time(double seconds)
{
	hist_add(&metrics.sandbox, seconds);
}

static void format_requests(struct strbuf *sb)
{
	strbuf_addstr(sb, "# HELP coolbpfd_requests_total HTTP requests by endpoint and status "
			  "(endpoint \"none\": answered by libmicrohttpd itself).\n"
			  "# TYPE coolbpfd_requests_total counter\n");
	for (int e = 0; e < EP_N; e++) {
		for (size_t k = 0; k < CODE_N; k++) {
			unsigned long long v = atomic_load(&metrics.requests[e][k]);

			if (!v)
				continue;
			if (k < ARRAY_SIZE(codes))
				strbuf_addf(
					sb,
					"coolbpfd_requests_total{endpoint=\"%s\",status=\"%u\"} %llu\n",
					ep_names[e], codes[k], v);
			else
				strbuf_addf(
					sb,
					"coolbpfd_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
					ep_names[e], v);
		}
	}
	strbuf_addstr(sb, "# HELP coolbpfd_compile_requests_total POST /v1/compile by outcome.\n"
			  "# TYPE coolbpfd_compile_requests_total counter\n");
	for (int o = OUT_NONE + 1; o < OUT_N; o++)
		strbuf_addf(sb, "coolbpfd_compile_requests_total{outcome=\"%s\"} %llu\n",
			    outcome_names[o], atomic_load(&metrics.outcomes[o]));
}

static void format_hist(struct strbuf *sb, const char *name, const char *label,
			const struct hist *h)
{
	unsigned long long cum = 0;
	const char *sep = label[0] ? "," : "";

	for (size_t i = 0; i < BUCKET_N; i++) {
		cum += atomic_load(&h->count[i]);
		if (i < ARRAY_SIZE(buckets))
			strbuf_addf(sb, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, label, sep,
				    buckets[i], cum);
		else
			strbuf_addf(sb, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label, sep, cum);
	}
	strbuf_addf(sb, "%s_sum%s%s%s %.6f\n", name, label[0] ? "{" : "", label,
		    label[0] ? "}" : "", (double)atomic_load(&h->sum_us) / 1e6);
	strbuf_addf(sb, "%s_count%s%s%s %llu\n", name, label[0] ? "{" : "", label,
		    label[0] ? "}" : "", cum);
}

static void format_latency(struct strbuf *sb)
{
	strbuf_addstr(sb, "# HELP coolbpfd_compile_seconds POST /v1/compile latency, by cache.\n"
			  "# TYPE coolbpfd_compile_seconds histogram\n");
	format_hist(sb, "coolbpfd_compile_seconds", "cache=\"miss\"", &metrics.latency[0]);
	format_hist(sb, "coolbpfd_compile_seconds", "cache=\"hit\"", &metrics.latency[1]);
	strbuf_addstr(sb, "# HELP coolbpfd_sandbox_seconds Time of one sandboxed compile.\n"
			  "# TYPE coolbpfd_sandbox_seconds histogram\n");
	format_hist(sb, "coolbpfd_sandbox_seconds", "", &metrics.sandbox);
}

static void format_counters(struct strbuf *sb)
{
	for (int m = 0; m < M_N; m++) {
		const char *name = counters[m].name, *labels = counters[m].labels;

		if (!m || strcmp(counters[m - 1].name, name))
			strbuf_addf(sb, "# HELP %s %s\n# TYPE %s counter\n", name, counters[m].help,
				    name);
		strbuf_addf(sb, "%s%s%s%s %llu\n", name, labels ? "{" : "", labels ? labels : "",
			    labels ? "}" : "", atomic_load(&metrics.counter[m]));
	}
}

void metrics_format(struct strbuf *sb, const struct metrics_gauges *g)
{
	format_requests(sb);
	format_latency(sb);
	format_counters(sb);
	strbuf_addf(sb,
		    "# TYPE coolbpfd_cache_bytes gauge\ncoolbpfd_cache_bytes %llu\n"
		    "# TYPE coolbpfd_queue_depth gauge\ncoolbpfd_queue_depth %d\n"
		    "# TYPE coolbpfd_in_flight_compiles gauge\ncoolbpfd_in_flight_compiles %d\n"
		    "# TYPE coolbpfd_open_connections gauge\ncoolbpfd_open_connections %d\n"
		    "# HELP coolbpfd_shared_cache_up 1: the shared cache answers; 0: down, "
		    "serving from the local cache; -1: none configured.\n"
		    "# TYPE coolbpfd_shared_cache_up gauge\ncoolbpfd_shared_cache_up %d\n",
		    g->cache_bytes, g->queue_depth, g->in_flight, g->open_conns, g->shared_up);
}
