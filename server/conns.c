// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * coolbpfd's front door: which connections get in and how long a request
 * may take to arrive.
 *
 * libmicrohttpd's timeout is an idle timeout: a client that sends a byte
 * every few seconds keeps its connection forever, and enough of them stop
 * all service. So every connection carries a deadline for the request it
 * is reading (headers and body together, --request-timeout from the
 * connection's start or the end of its previous request); a watchdog
 * thread shuts down the socket of any connection past it, which
 * libmicrohttpd sees as the client leaving. The deadline is lifted while
 * the request is answered (a compile may take --timeout).
 *
 * Connections are counted in all and per client address (the accept
 * policy refuses one over --max-connections or --max-connections-per-ip
 * before a byte is read), and libmicrohttpd's own error answers (431,
 * 414, 505, 400 before any callback of ours) are counted from its log
 * callback, the one place it reports them.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coolbpfd.h"

#define IP_BUCKETS 1024

struct client {
	int fd;
	unsigned char ip[16];
	double deadline; /* 0: none (the request is being answered) */
	bool timed_out;
	struct client *prev, *next;
};

struct ip_count {
	unsigned char ip[16];
	unsigned n;
	struct ip_count *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct client *clients;
static struct ip_count *ips[IP_BUCKETS];
static atomic_int n_open;
static bool stopping;
static pthread_t watchdog;
static bool watchdog_started;

/* IPv4 as ::ffff:a.b.c.d, so one client is one key whatever the socket */
static void ip_key(const struct sockaddr *sa, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else if (sa && sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

static struct ip_count **ip_slot(const unsigned char ip[16])
{
	unsigned h = 2166136261u;
	struct ip_count **p;

	for (int i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	for (p = &ips[h % IP_BUCKETS]; *p && memcmp((*p)->ip, ip, 16); p = &(*p)->next)
		;
	return p;
}

enum MHD_Result conns_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	unsigned char ip[16];
	struct ip_count *e;
	bool ok = true;

	(void)cls;
	(void)len;
	ip_key(addr, ip);
	pthread_mutex_lock(&lock);
	if ((unsigned)atomic_load(&n_open) >= server_cfg.max_conns) {
		metrics_count(M_CONN_REJECTED_TOTAL);
		ok = false;
	} else if ((e = *ip_slot(ip)) && e->n >= server_cfg.max_conns_per_ip) {
		metrics_count(M_CONN_REJECTED_IP);
		ok = false;
	}
	pthread_mutex_unlock(&lock);
	return ok ? MHD_YES : MHD_NO;
}

static void client_add(struct client *cl)
{
	struct ip_count **slot, *e;

	pthread_mutex_lock(&lock);
	slot = ip_slot(cl->ip);
	e = *slot;
	if (!e && (e = calloc(1, sizeof(*e)))) {
		memcpy(e->ip, cl->ip, 16);
		*slot = e;
	}
	if (e)
		e->n++;
	cl->next = clients;
	if (clients)
		clients->prev = cl;
	clients = cl;
	atomic_fetch_add(&n_open, 1);
	pthread_mutex_unlock(&lock);
}

/* Before libmicrohttpd closes the socket: the watchdog never touches a
 * descriptor that may be reused. */
static void client_remove(struct client *cl)
{
	struct ip_count **slot, *e;

	pthread_mutex_lock(&lock);
	slot = ip_slot(cl->ip);
	e = *slot;
	if (e && --e->n == 0) {
		*slot = e->next;
		free(e);
	}
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	atomic_fetch_sub(&n_open, 1);
	pthread_mutex_unlock(&lock);
}

void conns_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
		  enum MHD_ConnectionNotificationCode code)
{
	struct client *cl = *socket_context;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd, *addr;

		cl = calloc(1, sizeof(*cl));
		if (!cl)
			return; /* counted nowhere, limited by libmicrohttpd's own caps */
		fd = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		addr = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		cl->fd = fd ? fd->connect_fd : -1;
		ip_key(addr ? addr->client_addr : NULL, cl->ip);
		cl->deadline = mono_now() + server_cfg.request_timeout;
		client_add(cl);
		*socket_context = cl;
	} else if (cl) {
		client_remove(cl);
		free(cl);
		*socket_context = NULL;
	}
}

static struct client *client_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

static void set_deadline(struct MHD_Connection *mc, double deadline)
{
	struct client *cl = client_of(mc);

	if (!cl)
		return;
	pthread_mutex_lock(&lock);
	cl->deadline = deadline;
	pthread_mutex_unlock(&lock);
}

void conns_request_received(struct MHD_Connection *mc)
{
	set_deadline(mc, 0);
}

void conns_request_done(struct MHD_Connection *mc)
{
	set_deadline(mc, mono_now() + server_cfg.request_timeout);
}

bool conns_timed_out(struct MHD_Connection *mc)
{
	struct client *cl = client_of(mc);
	bool t;

	if (!cl)
		return false;
	pthread_mutex_lock(&lock);
	t = cl->timed_out;
	pthread_mutex_unlock(&lock);
	return t;
}

int conns_fd(struct MHD_Connection *mc)
{
	struct client *cl = client_of(mc);

	return cl ? cl->fd : -1;
}

int conns_open(void)
{
	return atomic_load(&n_open);
}

static void *watchdog_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		struct timespec ts;
		double now = mono_now();

		for (struct client *cl = clients; cl; cl = cl->next) {
			if (cl->deadline == 0 || now < cl->deadline || cl->timed_out || cl->fd < 0)
				continue;
			/* libmicrohttpd reads EOF and closes; the descriptor is
			 * still its own until NOTIFY_CLOSED, which takes lock */
			shutdown(cl->fd, SHUT_RDWR);
			cl->timed_out = true;
			metrics_count(M_DEADLINE_CLOSE);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&wake, &lock, &ts);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int conns_start(void)
{
	int err = pthread_create(&watchdog, NULL, watchdog_main, NULL);

	watchdog_started = !err;
	return -err;
}

void conns_stop(void)
{
	if (!watchdog_started)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(watchdog, NULL);
	watchdog_started = false;
}

/* libmicrohttpd's messages: its error answers are counted, the rest said
 * only when they are about the daemon (not one client's bad request). */
#define MHD_ERROR_ANSWER "Error processing request (HTTP response code is %u"

__printf(2, 0) void conns_mhd_log(void *cls, const char *fmt, va_list ap)
{
	va_list aq;

	(void)cls;
	if (!strncmp(fmt, MHD_ERROR_ANSWER, strlen(MHD_ERROR_ANSWER))) {
		va_copy(aq, ap);
		metrics_request(EP_NONE, va_arg(aq, unsigned));
		va_end(aq);
	}
}
