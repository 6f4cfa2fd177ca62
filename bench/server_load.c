// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Load generator for coolbpfd: C connections on loopback, HTTP/1.1
 * keep-alive, one request in flight per connection, one epoll thread
 * (so the client costs little of the 2 CPUs the server is measured on).
 *
 *   server_load --port PORT --source SOURCE.bpf.c [--conns C]
 *               (--seconds S | --requests N) [--unique]
 *
 * --seconds: run that long; --requests: stop after N requests. --unique
 * makes every request's source different (a cold compile each), otherwise
 * all are the same request (cache hits after the first). Prints
 * requests/s, p50/p99/max latency and the count of non-200 answers.
 */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

struct conn {
	int fd;
	char *req;
	size_t req_len, sent;
	char *buf;
	size_t len, cap;
	double t0;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *json_escape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 6 + 1), *w = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*w++ = '\\';
			*w++ = (char)c;
		} else if (c < 0x20) {
			w += snprintf(w, 7, "\\u%04x", c);
		} else {
			*w++ = (char)c;
		}
	}
	*w = '\0';
	return out;
}

static const char *src_esc;
static unsigned long seq;
static bool unique;

static void make_request(struct conn *c, int port)
{
	char tail[64] = "";
	size_t body_len, cap;
	int n;

	if (unique)
		snprintf(tail, sizeof(tail), "\\n// bench %lu %ld\\n", seq++, (long)getpid());
	body_len = strlen("{\"source\": \"\"}") + strlen(src_esc) + strlen(tail);
	cap = body_len + 256;
	free(c->req);
	c->req = malloc(cap);
	n = snprintf(
		c->req, cap,
		"POST /v1/compile HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
		"Content-Length: %zu\r\n\r\n{\"source\": \"%s%s\"}",
		port, body_len, src_esc, tail);
	c->req_len = (size_t)n;
	c->sent = 0;
	c->len = 0;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* A complete response in c->buf? Returns its status, or 0 when incomplete. */
static int response_done(struct conn *c)
{
	char *hdr_end, *cl;
	size_t body;

	if (c->len < 12)
		return 0;
	c->buf[c->len] = '\0';
	hdr_end = strstr(c->buf, "\r\n\r\n");
	if (!hdr_end)
		return 0;
	cl = strcasestr(c->buf, "content-length:");
	if (!cl || cl > hdr_end)
		return -1;
	body = strtoull(cl + 15, NULL, 10);
	if (c->len < (size_t)(hdr_end + 4 - c->buf) + body)
		return 0;
	return (int)strtol(c->buf + 9, NULL, 10);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct {
	long port, conns, seconds, requests;
	const char *source;
} opt = { .conns = 64 };

static int parse_num(const char *name, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		fprintf(stderr, "server_load: invalid %s '%s': expected %ld..%ld\n", name, arg, min,
			max);
		return -1;
	}
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
		return parse_num("--port", arg, 1, 65535, &opt.port) ? EINVAL : 0;
	case 's':
		opt.source = arg;
		break;
	case 'c':
		return parse_num("--conns", arg, 1, 4096, &opt.conns) ? EINVAL : 0;
	case 'd':
		return parse_num("--seconds", arg, 1, 3600, &opt.seconds) ? EINVAL : 0;
	case 'n':
		return parse_num("--requests", arg, 1, 20000000, &opt.requests) ? EINVAL : 0;
	case 'u':
		unique = true;
		break;
	case ARGP_KEY_END:
		if (!opt.port || !opt.source || !opt.seconds == !opt.requests)
			argp_error(state, "give --port, --source and one of --seconds, --requests");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "port", 'p', "PORT", 0, "coolbpfd's port on 127.0.0.1", 0 },
		{ "source", 's', "FILE", 0, "the BPF source every request sends", 0 },
		{ "conns", 'c', "N", 0, "concurrent keep-alive connections (default 64)", 0 },
		{ "seconds", 'd', "S", 0, "run this long", 0 },
		{ "requests", 'n', "N", 0, "stop after N requests", 0 },
		{ "unique", 'u', NULL, 0, "a different source per request (cold compiles)", 0 },
		{},
	};
	static const struct argp argp = { options, parse_opt,
					  NULL,	   "Load generator for coolbpfd (bench/server).",
					  NULL,	   NULL,
					  NULL };
	int port, conns, ep;
	double duration = 0, start, end;
	unsigned long done = 0, failed = 0, max_req;
	double *lat;
	struct conn *cs;
	FILE *f;
	char *src;
	long sz;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	port = (int)opt.port;
	conns = (int)opt.conns;
	duration = (double)opt.seconds;
	max_req = opt.requests ? (unsigned long)opt.requests : 50000000UL;
	f = fopen(opt.source, "r");
	if (!f) {
		perror(opt.source);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	src = calloc(1, (size_t)sz + 1);
	if (fread(src, 1, (size_t)sz, f) != (size_t)sz)
		return 1;
	fclose(f);
	src_esc = json_escape(src);
	lat = malloc(sizeof(double) * (opt.requests ? max_req : 20000000UL));
	cs = calloc((size_t)conns, sizeof(*cs));
	ep = epoll_create1(0);
	start = now();
	end = duration ? start + duration : 1e300;
	unsigned long issued = 0;
	for (int i = 0; i < conns && issued < max_req; i++, issued++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = &cs[i] };

		cs[i].fd = connect_to(port);
		cs[i].cap = 1 << 20;
		cs[i].buf = malloc(cs[i].cap + 1);
		make_request(&cs[i], port);
		cs[i].t0 = now();
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	while (done < issued) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 1000);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r;
			int st;

			if ((evs[i].events & EPOLLOUT) && c->sent < c->req_len) {
				r = write(c->fd, c->req + c->sent, c->req_len - c->sent);
				if (r > 0)
					c->sent += (size_t)r;
				if (c->sent == c->req_len) {
					struct epoll_event ev = { .events = EPOLLIN,
								  .data.ptr = c };

					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			if (c->len == c->cap) {
				c->cap *= 2;
				c->buf = realloc(c->buf, c->cap + 1);
			}
			r = read(c->fd, c->buf + c->len, c->cap - c->len);
			if (r <= 0) {
				/* server closed: count it and reconnect */
				failed++;
				done++;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = connect_to(port);
				goto next;
			}
			c->len += (size_t)r;
			st = response_done(c);
			if (!st)
				continue;
			lat[done++] = now() - c->t0;
			if (st != 200)
				failed++;
next:
			if (issued < max_req && now() < end) {
				struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT,
							  .data.ptr = c };

				issued++;
				make_request(c, port);
				c->t0 = now();
				if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev))
					epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
			}
		}
	}
	{
		double el = now() - start;
		unsigned long ok = done - failed;

		qsort(lat, done, sizeof(double), cmp_d);
		printf("requests %lu  failed %lu  seconds %.2f  req/s %.0f  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
		       done, failed, el, (double)done / el, done ? lat[done / 2] * 1e3 : 0,
		       done ? lat[(size_t)((double)done * 0.99)] * 1e3 : 0,
		       done ? lat[done - 1] * 1e3 : 0);
		(void)ok;
	}
	return failed ? 1 : 0;
}
