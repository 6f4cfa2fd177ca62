// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pingtrace's sender: a raw ICMP (ICMPv6) socket that sends the echoes,
 * tells the BPF programs which echo is on its way, matches the replies to
 * what it sent and counts those that time out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <coolbpf/coolbpf.h>

#include "pingtrace_user.h"
#include "base/banned.h"

#define NSEC_PER_SEC 1000000000ULL
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The points the sender's echoes pass, and the programs that stamp them. */
static const struct point_def sender_points[PT_NR_POINTS] = {
	[PT_USER_SEND] = { "pingtrace's clock before sendto", NULL, NULL, NULL, NULL },
	[PT_RAW_SEND] = { "kprobe raw_sendmsg", "pt_raw_sendmsg", NULL, NULL, "user_send" },
	[PT_DEV_QUEUE] = { "raw tracepoint net_dev_queue", "pt_dev_queue", NULL, NULL, "ip_send" },
	[PT_DEV_XMIT] = { "raw tracepoint net_dev_xmit", "pt_dev_xmit", "pt_dev_start_xmit", NULL,
			  "qdisc" },
	[PT_DEV_RX] = { "raw tracepoint netif_receive_skb", "pt_dev_rx", NULL, NULL, "wire_peer" },
	[PT_SOCK_RX] = { "raw tracepoint sk_data_ready or kprobe raw_local_deliver",
			 "pt_sk_data_ready", NULL, "pt_raw_local_deliver", "ip_recv" },
	[PT_WAKEUP] = { "raw tracepoint sched_wakeup", "pt_wakeup", NULL, NULL, "wakeup" },
	[PT_USER_RX] = { "pingtrace's clock after recv", NULL, NULL, NULL, "user_recv" },
};

/* the same over IPv6: the two kprobed functions have IPv6 twins */
static const struct point_def *sender_points_v6(void)
{
	static struct point_def pts[PT_NR_POINTS];

	memcpy(pts, sender_points, sizeof(pts));
	pts[PT_RAW_SEND].hook = "kprobe rawv6_sendmsg";
	pts[PT_RAW_SEND].prog = "pt_rawv6_sendmsg";
	pts[PT_SOCK_RX].hook = "raw tracepoint sk_data_ready or kprobe raw6_local_deliver";
	pts[PT_SOCK_RX].alt = "pt_raw6_local_deliver";
	return pts;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (unsigned long long)ts.tv_sec * NSEC_PER_SEC + (unsigned long long)ts.tv_nsec;
}

struct pending {
	unsigned long long sent_ns;
	bool waiting;
};

static struct pending pend[65536];

static unsigned short icmp_csum(const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned long sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (unsigned long)(p[0] << 8 | p[1]);
	if (len)
		sum += (unsigned long)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((unsigned short)~sum);
}

/* A raw ICMP socket gets every echo reply of the namespace: a socket filter
 * (as iputils ping has) keeps others' from waking pingtrace, which would
 * both cost it and put wake-ups in its stages that are not its own. An
 * IPv4 raw socket sees the IP header first; an IPv6 one, ICMPv6. */
static void only_our_replies(int sock, unsigned short id, bool ip_header)
{
	struct sock_filter code4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), /* x = IP header length */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),	/* a = ICMP echo id */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff), /* ours: keep */
		BPF_STMT(BPF_RET | BPF_K, 0),	       /* others': drop */
	};
	struct sock_filter code6[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4), /* a = ICMPv6 echo id */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = ARRAY_LEN(code4), .filter = code4 };

	if (!ip_header)
		prog = (struct sock_fprog){ .len = ARRAY_LEN(code6), .filter = code6 };

	if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		fprintf(stderr,
			"pingtrace: no socket filter (%s): others' echo replies will "
			"wake it too\n",
			strerror(errno));
}

/* What differs between ICMP over IPv4 and ICMPv6: echoes share a layout
 * (type, code, checksum, id, seq), the socket and the types do not. */
struct family {
	int af, proto;
	unsigned char echo, reply;
	const char *name;
	/* an IPv4 raw socket returns the IP header, an IPv6 one only ICMPv6 */
	bool ip_header;
	/* ICMPv6's checksum covers a pseudo-header: the kernel fills it in */
	bool csum;
};

static const struct family ipv4 = { AF_INET, IPPROTO_ICMP, ICMP_ECHO, ICMP_ECHOREPLY,
				    "ICMP",  true,	   true };
static const struct family ipv6 = {
	AF_INET6, IPPROTO_ICMPV6, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY, "ICMPv6", false, false
};

struct sender {
	struct coolbpf_object *obj;
	struct coolbpf_map *pkts, *cur;
	unsigned short id;
	unsigned long sent, received, lost;
	const struct family *fam;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	char dest_ip[NI_MAXHOST];
};

static void send_echo(struct sender *s, int sock, unsigned short seq)
{
	unsigned short id = s->id;
	unsigned int key = (unsigned int)id << 16 | seq, zero = 0;
	unsigned char buf[sizeof(struct icmphdr) + MAX_PAYLOAD] = { 0 };
	struct icmphdr *ic = (struct icmphdr *)buf;
	unsigned int magic = htonl(PT_MAGIC);
	size_t len = sizeof(*ic) + (size_t)env.size;

	ic->type = s->fam->echo;
	ic->un.echo.id = htons(id);
	ic->un.echo.sequence = htons(seq);
	memcpy(buf + sizeof(*ic), &magic, sizeof(magic));
	for (size_t i = sizeof(*ic) + 8; i < len; i++)
		buf[i] = (unsigned char)i; /* ping's pattern */
	if (s->fam->csum)
		ic->checksum = icmp_csum(buf, len);
	if (s->pkts) {
		/* the entry the programs stamp, and which echo is being sent */
		struct pt_stamps ps = { 0 };

		coolbpf_map__update(s->pkts, &key, &ps, 0);
		coolbpf_map__update(s->cur, &zero, &key, 0);
	}
	/* user send: the kernel's monotonic clock, as bpf_ktime_get_ns() */
	pend[seq].sent_ns = now_ns();
	pend[seq].waiting = true;
	if (sendto(sock, buf, len, 0, (const struct sockaddr *)&s->dst, s->dst_len) < 0) {
		fprintf(stderr, "pingtrace: sendto %s: %s\n", env.dest, strerror(errno));
		pend[seq].waiting = false;
	}
}

static void receive_all(struct sender *s, int sock)
{
	unsigned char buf[IP_MAXPACKET];
	ssize_t n;

	while ((n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		unsigned long long t = now_ns();
		const struct iphdr *ip = (const struct iphdr *)buf;
		const struct icmphdr *ic;
		struct pt_stamps ps = { 0 };
		unsigned int magic, key;
		unsigned short seq;
		size_t hl = s->fam->ip_header ? (size_t)ip->ihl * 4 : 0;

		if ((size_t)n < hl + sizeof(*ic) + sizeof(magic))
			continue;
		ic = (const struct icmphdr *)(buf + hl);
		memcpy(&magic, buf + hl + sizeof(*ic), sizeof(magic));
		if (ic->type != s->fam->reply || ntohs(ic->un.echo.id) != s->id ||
		    ntohl(magic) != PT_MAGIC)
			continue;
		seq = ntohs(ic->un.echo.sequence);
		if (!pend[seq].waiting)
			continue; /* a duplicate, or later than the timeout */
		pend[seq].waiting = false;
		s->received++;
		key = (unsigned int)s->id << 16 | seq;
		if (s->pkts) {
			coolbpf_map__lookup(s->pkts, &key, &ps);
			coolbpf_map__delete(s->pkts, &key);
		}
		ps.ts[PT_USER_SEND] = pend[seq].sent_ns;
		ps.ts[PT_USER_RX] = t; /* user receive: recv has returned */
		report_echo(s->dest_ip, seq, (double)(t - pend[seq].sent_ns) / 1000.0, &ps);
	}
}

static void expire(struct sender *s, unsigned short *oldest, unsigned short next, bool all)
{
	unsigned long long t = now_ns(), limit = (unsigned long long)(env.timeout * 1e9);

	for (; *oldest != next; (*oldest)++) {
		struct pending *p = &pend[*oldest];
		unsigned int key = (unsigned int)s->id << 16 | *oldest;

		if (p->waiting && !all && t - p->sent_ns < limit)
			break;
		if (!p->waiting)
			continue;
		p->waiting = false;
		s->lost++;
		if (s->pkts)
			coolbpf_map__delete(s->pkts, &key);
		report_lost(*oldest);
	}
}

/* pingtrace DEST: echoes to DEST until count, or a signal; 1 if none came back. */
int run_sender(void)
{
	struct sender s = { 0 };
	struct addrinfo hints = { .ai_family = env.family, .ai_socktype = SOCK_RAW }, *ai;
	struct icmp_filter filt = { .data = ~(1U << ICMP_ECHOREPLY) };
	struct icmp6_filter filt6;
	unsigned long long next_send, interval = (unsigned long long)(env.interval * 1e9);
	unsigned short seq = 1, oldest = 1;
	bool stop = false;
	unsigned long long cookie = 0;
	socklen_t cookie_len = sizeof(cookie);
	int sock, sfd, err;
	char title[256];

	err = getaddrinfo(env.dest, NULL, &hints, &ai);
	if (err)
		die("cannot resolve '%s': %s (give an IPv4 or IPv6 address or host name%s)",
		    env.dest, gai_strerror(err), env.family ? ", or drop -4/-6" : "");
	s.fam = ai->ai_family == AF_INET6 ? &ipv6 : &ipv4;
	s.dst_len = ai->ai_addrlen;
	memcpy(&s.dst, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	getnameinfo((const struct sockaddr *)&s.dst, s.dst_len, s.dest_ip, sizeof(s.dest_ip), NULL,
		    0, NI_NUMERICHOST);

	sock = socket(s.fam->af, SOCK_RAW | SOCK_CLOEXEC, s.fam->proto);
	if (sock < 0)
		die("cannot open a raw %s socket: %s (run as root: CAP_NET_RAW)", s.fam->name,
		    strerror(errno));
	if (s.fam == &ipv6) {
		ICMP6_FILTER_SETBLOCKALL(&filt6);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt6);
		setsockopt(sock, IPPROTO_ICMPV6, ICMP6_FILTER, &filt6, sizeof(filt6));
	} else {
		setsockopt(sock, SOL_RAW, ICMP_FILTER, &filt, sizeof(filt));
	}

	/* the socket's cookie tells the kernel side which socket is ours */
	if (getsockopt(sock, SOL_SOCKET, SO_COOKIE, &cookie, &cookie_len))
		cookie = 0;
	s.id = (unsigned short)((getpid() & 0xffff) ?: 1);
	only_our_replies(sock, s.id, s.fam->ip_header);
	if (!env.no_trace) {
		s.obj = open_bpf(PT_MODE_SENDER, cookie);
		s.pkts = coolbpf_object__map(s.obj, "pkts");
		s.cur = coolbpf_object__map(s.obj, "cur");
		stages_build(s.obj, s.fam == &ipv6 ? sender_points_v6() : sender_points,
			     PT_NR_POINTS);
	}
	report_header("PINGTRACE %s (%s): %ld data bytes", env.dest, s.dest_ip, env.size);

	sfd = signal_fd();
	next_send = now_ns();
	while (!stop) {
		unsigned long long t = now_ns();
		struct pollfd pfd[2] = { { .fd = sock, .events = POLLIN },
					 { .fd = sfd, .events = POLLIN } };
		long long wait_ns;
		bool sending = !env.count || (long)s.sent < env.count;

		if (sending && t >= next_send) {
			send_echo(&s, sock, seq);
			s.sent++;
			seq++;
			if (!seq)
				seq = 1;
			next_send += interval;
			continue;
		}
		expire(&s, &oldest, seq, false);
		sending = !env.count || (long)s.sent < env.count;
		if (!sending && oldest == seq)
			break;
		/* sleep until the next send, or the oldest echo's timeout */
		wait_ns = sending ? (long long)(next_send - t) : (long long)(env.timeout * 1e9);
		if (oldest != seq) {
			long long left = (long long)(pend[oldest].sent_ns +
						     (unsigned long long)(env.timeout * 1e9) - t);

			if (left < wait_ns)
				wait_ns = left;
		}
		if (wait_ns < 0)
			wait_ns = 0;
		if (poll(pfd, 2, (int)((wait_ns + 999999) / 1000000)) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd[0].revents & POLLIN)
			receive_all(&s, sock);
		if (pfd[1].revents & POLLIN)
			stop = true;
	}
	receive_all(&s, sock);
	expire(&s, &oldest, seq, true);
	snprintf(title, sizeof(title),
		 "--- %s pingtrace statistics ---\n%lu packets transmitted, %lu received, %lu lost "
		 "(%.1f%% loss)\n",
		 env.dest, s.sent, s.received, s.lost,
		 s.sent ? 100.0 * (double)s.lost / (double)s.sent : 0.0);
	report_summary(title, env.json ? "rtt_us" : "rtt",
		       json_pack("{s:s,s:i,s:i,s:i}", "dest", s.dest_ip, "sent", (int)s.sent,
				 "received", (int)s.received, "lost", (int)s.lost));
	coolbpf_object__close(s.obj);
	close(sock);
	return s.sent && !s.received ? 1 : 0; /* like ping: no reply at all fails */
}
