// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpfd's counters and its compile latency histograms, and the text
 * of /metrics (the Prometheus exposition format, version 0.0.4). HTTP
 * and compile threads bump the counters without a lock (atomics); the
 * gauges belong to their owners (the cache, the queue) and come in as
 * arguments of metrics_format().
 */
#include <stdatomic.h>

#include "coolbpfd.h"

static const char *const ep_names[EP_N] = { "compile", "btf", "healthz", "metrics", "other" };
static const unsigned codes[] = { 200, 400, 401, 404, 405, 413, 422, 500, 503, 504 };
#define CODE_N (ARRAY_SIZE(codes) + 1) /* + "other" */
static const double buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				  0.5,	 1,	 2.5,	5,    10,    30,   60 };
#define BUCKET_N (ARRAY_SIZE(buckets) + 1)

struct hist {
	atomic_ullong count[BUCKET_N];
	atomic_ullong sum_us;
};

static struct {
	atomic_ullong requests[EP_N][CODE_N];
	atomic_ullong cache_hits, cache_misses, rejected_full, timeouts;
	struct hist latency[2]; /* [cached] */
} metrics;

void metrics_request(enum endpoint ep, unsigned status)
{
	size_t k = 0;

	while (k < ARRAY_SIZE(codes) && codes[k] != status)
		k++;
	atomic_fetch_add(&metrics.requests[ep][k], 1);
}

void metrics_latency(bool cached, double seconds)
{
	struct hist *h = &metrics.latency[cached];
	size_t i = 0;

	while (i < ARRAY_SIZE(buckets) && seconds > buckets[i])
		i++;
	atomic_fetch_add(&h->count[i], 1);
	atomic_fetch_add(&h->sum_us, (unsigned long long)(seconds * 1e6));
}

void metrics_cache_hit(void)
{
	atomic_fetch_add(&metrics.cache_hits, 1);
}

void metrics_cache_miss(void)
{
	atomic_fetch_add(&metrics.cache_misses, 1);
}

void metrics_queue_rejected(void)
{
	atomic_fetch_add(&metrics.rejected_full, 1);
}

void metrics_compile_timeout(void)
{
	atomic_fetch_add(&metrics.timeouts, 1);
}

static void format_requests(struct strbuf *sb)
{
	strbuf_addstr(sb, "# HELP coolbpfd_requests_total HTTP requests by endpoint and status.\n"
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
}

static void format_latency(struct strbuf *sb)
{
	strbuf_addstr(sb, "# HELP coolbpfd_compile_seconds POST /v1/compile latency, by cache.\n"
			  "# TYPE coolbpfd_compile_seconds histogram\n");
	for (int h = 0; h < 2; h++) {
		unsigned long long cum = 0;
		const char *lbl = h ? "hit" : "miss";

		for (size_t i = 0; i < BUCKET_N; i++) {
			cum += atomic_load(&metrics.latency[h].count[i]);
			if (i < ARRAY_SIZE(buckets))
				strbuf_addf(
					sb,
					"coolbpfd_compile_seconds_bucket{cache=\"%s\",le=\"%g\"} %llu\n",
					lbl, buckets[i], cum);
			else
				strbuf_addf(
					sb,
					"coolbpfd_compile_seconds_bucket{cache=\"%s\",le=\"+Inf\"} %llu\n",
					lbl, cum);
		}
		strbuf_addf(sb, "coolbpfd_compile_seconds_sum{cache=\"%s\"} %.6f\n", lbl,
			    (double)atomic_load(&metrics.latency[h].sum_us) / 1e6);
		strbuf_addf(sb, "coolbpfd_compile_seconds_count{cache=\"%s\"} %llu\n", lbl, cum);
	}
}

void metrics_format(struct strbuf *sb, const struct metrics_gauges *g)
{
	format_requests(sb);
	format_latency(sb);
	strbuf_addf(
		sb,
		"# TYPE coolbpfd_cache_hits_total counter\ncoolbpfd_cache_hits_total %llu\n"
		"# TYPE coolbpfd_cache_misses_total counter\ncoolbpfd_cache_misses_total %llu\n"
		"# TYPE coolbpfd_cache_bytes gauge\ncoolbpfd_cache_bytes %llu\n"
		"# TYPE coolbpfd_queue_depth gauge\ncoolbpfd_queue_depth %d\n"
		"# TYPE coolbpfd_in_flight_compiles gauge\ncoolbpfd_in_flight_compiles %d\n"
		"# TYPE coolbpfd_queue_rejected_total counter\ncoolbpfd_queue_rejected_total %llu\n"
		"# TYPE coolbpfd_compile_timeouts_total counter\ncoolbpfd_compile_timeouts_total %llu\n",
		atomic_load(&metrics.cache_hits), atomic_load(&metrics.cache_misses),
		g->cache_bytes, g->queue_depth, g->in_flight, atomic_load(&metrics.rejected_full),
		atomic_load(&metrics.timeouts));
}
