// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pingtrace: where does a ping's time go? Sends ICMP echoes from a raw
 * socket and reports, per packet, the time spent in each kernel stage on
 * the way out and back (pingtrace.bpf.c); with --responder, the peer's
 * own stages for the echoes it answers.
 */
#include <arpa/inet.h>
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <jansson.h>
#include <coolbpf/coolbpf.h>

#include "pingtrace.h"

extern const char pt_bpf_obj[], pt_bpf_obj_end[];

#define NSEC_PER_SEC 1000000000ULL
#define MAX_PAYLOAD 1472 /* one Ethernet frame: no fragments to follow */
#define MIN_PAYLOAD 8	 /* the magic word and a pad word */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PROC_PID_INIT_INO 0xEFFFFFFCU /* the initial pid namespace's inode, fixed */

static struct env {
	long count;	     /* 0: until interrupted */
	double interval;     /* seconds */
	long size;	     /* payload bytes */
	double timeout;	     /* seconds a reply may take */
	double threshold_us; /* print only packets slower than this */
	int family; /* AF_INET, AF_INET6, or 0: as DEST resolves */
	bool json;
	bool responder;
	bool no_trace;
	int verbose;
	const char *dest;
} env = {
	.interval = 1.0,
	.size = 56,
	.timeout = 1.0,
};

/* ------------------------------------------------------------------ */
/* Stages                                                              */
/* ------------------------------------------------------------------ */

struct point_def {
	const char *hook;  /* what the kernel offers at this point */
	const char *prog;  /* the program that stamps it; NULL: pingtrace does */
	const char *prog2; /* a second program it needs, or NULL */
	const char *alt;   /* a program that stamps it instead, or NULL */
	const char *stage; /* the stage that ends here */
};

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

/* the responder answers both families: it needs both ICMP kprobes */
static const struct point_def responder_points[PR_NR_POINTS] = {
	[PR_DEV_RX] = { "raw tracepoint netif_receive_skb", "pt_dev_rx", NULL, NULL, NULL },
	[PR_ICMP_RX] = { "kprobe icmp_rcv and icmpv6_rcv", "pt_icmp_rcv", "pt_icmpv6_rcv", NULL,
			 "recv" },
	[PR_DEV_QUEUE] = { "raw tracepoint net_dev_queue", "pt_dev_queue", NULL, NULL, "icmp_reply" },
	[PR_DEV_XMIT] = { "raw tracepoint net_dev_xmit", "pt_dev_xmit", "pt_dev_start_xmit", NULL,
			  "qdisc" },
};

#define MAX_STAGES 8

struct samples {
	double *v;
	size_t n, cap;
};

/* The stages this kernel can observe: between consecutive observed
 * points; a point it cannot observe merges the two stages around it. */
static struct stages {
	const struct point_def *pts;
	int nr_pts;
	bool avail[PT_NR_POINTS];
	char why[PT_NR_POINTS][320]; /* why a point is not observed */
	int nr;
	int from[MAX_STAGES], to[MAX_STAGES];
	char name[MAX_STAGES][64];
	struct samples s[MAX_STAGES];
	struct samples total; /* rtt (sender) or first to last point (responder) */
} st;

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

static void stages_build(const struct coolbpf_object *obj, const struct point_def *pts, int nr)
{
	int prev = -1;

	st.pts = pts;
	st.nr_pts = nr;
	for (int k = 0; k < nr; k++) {
		/* no program: pingtrace's own clock stamps it */
		int e1 = pts[k].prog ? prog_err(obj, pts[k].prog, st.why[k], sizeof(st.why[k])) : 0;
		int e2 = pts[k].prog2 ? prog_err(obj, pts[k].prog2, st.why[k], sizeof(st.why[k]))
				      : 0;

		st.avail[k] = !e1 && !e2;
		if (!st.avail[k] && pts[k].alt) {
			char why[sizeof(st.why[k])];
			size_t l = strlen(st.why[k]);

			st.avail[k] = !prog_err(obj, pts[k].alt, why, sizeof(why));
			snprintf(st.why[k] + l, sizeof(st.why[k]) - l, "; %s", why);
		}
	}
	for (int k = 0; k < nr; k++) {
		if (!st.avail[k])
			continue;
		if (prev >= 0 && st.nr < MAX_STAGES) {
			char *n = st.name[st.nr];

			n[0] = '\0';
			for (int j = prev + 1; j <= k; j++) {
				if (n[0])
					strncat(n, "+", sizeof(st.name[0]) - strlen(n) - 1);
				strncat(n, pts[j].stage, sizeof(st.name[0]) - strlen(n) - 1);
			}
			st.from[st.nr] = prev;
			st.to[st.nr] = k;
			st.nr++;
		}
		prev = k;
	}
}

/* Stage k of a packet in microseconds, NAN when a point was not passed. */
static double stage_us(const unsigned long long *ts, int k)
{
	unsigned long long a = ts[st.from[k]], b = ts[st.to[k]];

	if (!a || !b || b < a)
		return NAN;
	return (double)(b - a) / 1000.0;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

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

	for (int k = 0; k < st.nr; k++)
		json_object_set_new(o, st.name[k], isnan(us[k]) ? json_null() : json_real(round1(us[k])));
	return o;
}

static void stages_text(const double *us)
{
	for (int k = 0; k < st.nr; k++) {
		if (isnan(us[k]))
			printf(" %s=-", st.name[k]);
		else
			printf(" %s=%.1f", st.name[k], us[k]);
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

	for (int k = 0; k < st.nr_pts; k++)
		if (!st.avail[k])
			json_array_append_new(a, json_pack("{s:s,s:s}", "hook", st.pts[k].hook,
							   "reason", st.why[k]));
	return a;
}

static void print_unobserved_text(FILE *f)
{
	for (int k = 0; k < st.nr_pts; k++)
		if (!st.avail[k])
			fprintf(f, "pingtrace: not observable on this kernel: %s (%s)\n",
				st.pts[k].hook, st.why[k]);
}

/* The first line (text mode), and on stderr what this kernel cannot observe. */
static void header(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void header(const char *fmt, ...)
{
	va_list ap;

	if (!env.json) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(env.no_trace ? "; not traced (--no-trace)" : "; per-stage times in us:");
		for (int k = 0; k < st.nr; k++)
			printf(" %s", st.name[k]);
		printf("\n");
		fflush(stdout);
	}
	print_unobserved_text(stderr);
}

static void summary(const char *title, const char *total_name, json_t *counts)
{
	struct stat4 s;

	if (env.json) {
		json_t *stages = json_object();

		if (samples_stat(&st.total, &s))
			json_object_set_new(counts, total_name, stat_json(&s));
		for (int k = 0; k < st.nr; k++)
			if (samples_stat(&st.s[k], &s))
				json_object_set_new(stages, st.name[k], stat_json(&s));
		json_object_set_new(counts, "stages", stages);
		json_object_set_new(counts, "unobserved", unobserved_json());
		emit_json(json_pack("{s:o}", "summary", counts));
		return;
	}
	json_decref(counts);
	printf("%s", title);
	printf("%-34s %10s %10s %10s %10s\n", "stage (us)", "min", "avg", "max", "p99");
	if (samples_stat(&st.total, &s))
		printf("%-34s %10.1f %10.1f %10.1f %10.1f\n", total_name, s.min, s.avg, s.max,
		       s.p99);
	for (int k = 0; k < st.nr; k++) {
		if (samples_stat(&st.s[k], &s))
			printf("%-34s %10.1f %10.1f %10.1f %10.1f\n", st.name[k], s.min, s.avg,
			       s.max, s.p99);
		else
			printf("%-34s %10s\n", st.name[k], "-");
	}
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */
/* ------------------------------------------------------------------ */

static int log_print(enum coolbpf_print_level level, const char *fmt, va_list ap)
{
	if ((level == COOLBPF_DEBUG && env.verbose < 2) || (level == COOLBPF_INFO && !env.verbose))
		return 0;
	fputs("pingtrace: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("pingtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (unsigned long long)ts.tv_sec * NSEC_PER_SEC + (unsigned long long)ts.tv_nsec;
}

static struct coolbpf_object *open_bpf(unsigned int mode, unsigned long long sock_cookie)
{
	struct coolbpf_object *obj;
	struct pt_config c = { .mode = mode, .tgid = (unsigned int)getpid(),
			       .sock_cookie = sock_cookie };
	struct bpf_program *prog;
	struct stat sb;
	unsigned int zero = 0;
	int err;

	if (stat("/proc/self/ns/net", &sb))
		die("cannot read /proc/self/ns/net: %s (is /proc mounted?)", strerror(errno));
	c.netns = (unsigned int)sb.st_ino;
	if (stat("/proc/self/ns/pid", &sb))
		die("cannot read /proc/self/ns/pid: %s (is /proc mounted?)", strerror(errno));
	if (sb.st_ino != PROC_PID_INIT_INO) {
		/* not the initial pid namespace: the programs learn our tgid */
		c.tgid = 0;
		c.ns_tgid = (unsigned int)getpid();
		c.pidns_dev = (unsigned long long)sb.st_dev;
		c.pidns_ino = (unsigned long long)sb.st_ino;
	}
	c.id = (unsigned int)(getpid() & 0xffff) ?: 1;
	obj = coolbpf_object__open_mem(pt_bpf_obj, (size_t)(pt_bpf_obj_end - pt_bpf_obj),
				       &(struct coolbpf_object_opts){ .sz = sizeof(struct coolbpf_object_opts),
								      .name = "pingtrace" });
	if (!obj)
		die("cannot open the BPF object: %s", coolbpf_errmsg());
	/* every point is optional: stages merge around those the kernel lacks */
	bpf_object__for_each_program(prog, coolbpf_object__bpf(obj))
		coolbpf_object__set_optional(obj, bpf_program__name(prog), true);
	err = coolbpf_object__load(obj);
	if (err)
		die("cannot load the BPF programs: %s", coolbpf_errmsg()[0] ? coolbpf_errmsg()
									 : strerror(-err));
	if (coolbpf_map__update(coolbpf_object__map(obj, "cfg"), &zero, &c, 0))
		die("cannot configure the BPF programs: %s", strerror(errno));
	err = coolbpf_object__attach(obj);
	if (err)
		die("cannot attach: %s", coolbpf_errmsg()[0] ? coolbpf_errmsg() : strerror(-err));
	return obj;
}

static int signal_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		die("signalfd: %s", strerror(errno));
	return fd;
}

/* ------------------------------------------------------------------ */
/* Sender                                                              */
/* ------------------------------------------------------------------ */

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
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),	      /* x = IP header length */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),	      /* a = ICMP echo id */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),	      /* ours: keep */
		BPF_STMT(BPF_RET | BPF_K, 0),		      /* others': drop */
	};
	struct sock_filter code6[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),	      /* a = ICMPv6 echo id */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = ARRAY_LEN(code4), .filter = code4 };

	if (!ip_header)
		prog = (struct sock_fprog){ .len = ARRAY_LEN(code6), .filter = code6 };

	if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		fprintf(stderr, "pingtrace: no socket filter (%s): others' echo replies will "
				"wake it too\n", strerror(errno));
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

static const struct family ipv4 = { AF_INET, IPPROTO_ICMP, ICMP_ECHO, ICMP_ECHOREPLY, "ICMP",
				    true, true };
static const struct family ipv6 = { AF_INET6, IPPROTO_ICMPV6, ICMP6_ECHO_REQUEST,
				    ICMP6_ECHO_REPLY, "ICMPv6", false, false };

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

static void report_packet(struct sender *s, unsigned short seq, double rtt_us,
			  const struct pt_stamps *ps)
{
	double us[MAX_STAGES];
	unsigned long long ts[PT_NR_POINTS];

	memcpy(ts, ps->ts, sizeof(ts));
	/* no wake-up between the reply reaching the socket and recvfrom: the
	 * task was not asleep, so waking it took no time */
	if (st.avail[PT_WAKEUP] && !ts[PT_WAKEUP] && ts[PT_USER_RX]) {
		for (int k = PT_WAKEUP - 1; k >= 0; k--)
			if (st.avail[k] && ts[k]) {
				ts[PT_WAKEUP] = ts[k];
				break;
			}
	}
	for (int k = 0; k < st.nr; k++) {
		us[k] = stage_us(ts, k);
		if (!isnan(us[k]))
			samples_add(&st.s[k], us[k]);
	}
	samples_add(&st.total, rtt_us);
	if (rtt_us <= env.threshold_us)
		return;
	if (env.json) {
		emit_json(json_pack("{s:i,s:f,s:o}", "seq", (int)seq, "rtt_us", round1(rtt_us),
				    "stages", stages_json(us)));
		return;
	}
	printf("%ld bytes from %s: icmp_seq=%u time=%.3f ms", env.size + 8, s->dest_ip, seq,
	       rtt_us / 1000.0);
	if (st.nr) {
		printf(" |");
		stages_text(us);
	} else {
		printf("\n");
	}
	fflush(stdout);
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
		if (ic->type != s->fam->reply || ntohs(ic->un.echo.id) != s->id || ntohl(magic) != PT_MAGIC)
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
		report_packet(s, seq, (double)(t - pend[seq].sent_ns) / 1000.0, &ps);
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
		if (env.json)
			emit_json(json_pack("{s:i,s:b}", "seq", (int)*oldest, "lost", 1));
		else
			printf("no reply to icmp_seq=%u within %.3g s\n", *oldest, env.timeout);
		fflush(stdout);
	}
}

static int run_sender(void)
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
	header("PINGTRACE %s (%s): %ld data bytes", env.dest, s.dest_ip, env.size);

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
	summary(title, env.json ? "rtt_us" : "rtt",
		json_pack("{s:s,s:i,s:i,s:i}", "dest", s.dest_ip, "sent", (int)s.sent, "received",
			  (int)s.received, "lost", (int)s.lost));
	coolbpf_object__close(s.obj);
	close(sock);
	return s.sent && !s.received ? 1 : 0; /* like ping: no reply at all fails */
}

/* ------------------------------------------------------------------ */
/* Responder                                                           */
/* ------------------------------------------------------------------ */

struct responder {
	unsigned long answered;
};

static int on_reply(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	struct responder *r = ctx;
	const struct pt_reply *e = data;
	double us[MAX_STAGES], total;
	char from[INET6_ADDRSTRLEN];

	(void)map;
	if (size < sizeof(*e))
		return 0;
	r->answered++;
	for (int k = 0; k < st.nr; k++) {
		us[k] = stage_us(e->ts, k);
		if (!isnan(us[k]))
			samples_add(&st.s[k], us[k]);
	}
	total = (double)(e->ts[PR_DEV_XMIT] - e->ts[PR_DEV_RX]) / 1000.0;
	samples_add(&st.total, total);
	if (e->family == 6)
		inet_ntop(AF_INET6, e->saddr6, from, sizeof(from));
	else
		inet_ntop(AF_INET, &e->saddr, from, sizeof(from));
	if (total > env.threshold_us) {
		if (env.json) {
			emit_json(json_pack("{s:s,s:i,s:i,s:f,s:o}", "from", from, "id", (int)e->id,
					    "seq", (int)e->seq, "total_us", round1(total),
					    "stages", stages_json(us)));
		} else {
			printf("echo from %s id=%u icmp_seq=%u: in kernel %.1f us |", from, e->id,
			       e->seq, total);
			stages_text(us);
			fflush(stdout);
		}
	}
	return env.count && (long)r->answered >= env.count ? 1 : 0;
}

static int run_responder(void)
{
	struct responder r = { 0 };
	struct coolbpf_object *obj = open_bpf(PT_MODE_RESPONDER, 0);
	struct pollfd pfd[2];
	int sfd, err;
	char title[128];

	stages_build(obj, responder_points, PR_NR_POINTS);
	if (!st.avail[PR_DEV_RX] || !st.avail[PR_DEV_XMIT])
		die("this kernel cannot observe the responder's device receive and transmit "
		    "(%s: %s; %s: %s)",
		    responder_points[PR_DEV_RX].hook, st.why[PR_DEV_RX][0] ? st.why[PR_DEV_RX] : "ok",
		    responder_points[PR_DEV_XMIT].hook,
		    st.why[PR_DEV_XMIT][0] ? st.why[PR_DEV_XMIT] : "ok");
	err = coolbpf_object__open_events(
		obj, &(struct coolbpf_events_opts){ .sz = sizeof(struct coolbpf_events_opts),
						    .on_event = on_reply, .ctx = &r });
	if (err)
		die("cannot open the event buffer: %s", coolbpf_errmsg());
	header("PINGTRACE responder: answering echoes");
	fprintf(stderr, "pingtrace: responder ready: tracing the echoes this network namespace "
			"answers; Ctrl-C to end\n");
	sfd = signal_fd();
	pfd[0] = (struct pollfd){ .fd = coolbpf_object__events_fd(obj), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd[0].revents & POLLIN && coolbpf_object__consume(obj) > 0 && env.count &&
		    (long)r.answered >= env.count)
			break;
		if (pfd[1].revents & POLLIN)
			break;
	}
	snprintf(title, sizeof(title), "--- pingtrace responder statistics ---\n%lu echoes answered\n",
		 r.answered);
	summary(title, env.json ? "total_us" : "in kernel",
		json_pack("{s:i,s:i}", "answered", (int)r.answered, "lost_events",
			  (int)coolbpf_object__lost_events(obj)));
	coolbpf_object__close(obj);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

const char *argp_program_version = "pingtrace (coolbpf) 0.1.0";
static const char doc[] =
	"pingtrace: where ping latency comes from, stage by stage.\v"
	"Sends ICMP (or ICMPv6) echoes to DEST and prints, per packet, the round-trip time and the time "
	"spent in each kernel stage: user_send, ip_send, qdisc (net_dev_queue to "
	"net_dev_xmit), wire_peer (the network and the peer), ip_recv, wakeup (of pingtrace), "
	"user_recv. Stages whose boundary this kernel cannot observe are merged (named "
	"a+b) and listed. With --responder, runs on the peer and reports its own stages "
	"(recv, icmp_reply, qdisc) for the echoes it answers.\n\n"
	"Examples:\n  pingtrace -c 10 10.0.0.2\n  pingtrace -c 10 2001:db8::2\n  pingtrace -i 0.2 -t 1000 10.0.0.2   "
	"(print only echoes slower than 1 ms)\n  pingtrace --responder --json";

static const struct argp_option options[] = {
	{ "ipv4", '4', NULL, 0, "IPv4 only (DEST resolved as such)", 0 },
	{ "ipv6", '6', NULL, 0, "IPv6 only (ICMPv6 echoes)", 0 },
	{ "count", 'c', "COUNT", 0, "stop after COUNT echoes (responder: answered); "
				    "default: until interrupted", 0 },
	{ "interval", 'i', "SECONDS", 0, "between echoes (default 1; at least 0.001)", 0 },
	{ "size", 's', "SIZE", 0, "payload bytes (default 56; 8 to 1472)", 0 },
	{ "timeout", 'W', "TIMEOUT", 0, "seconds to wait for each reply (default 1)", 0 },
	{ "threshold", 't', "THRESHOLD_US", 0, "print only packets whose RTT (responder: time "
					      "in kernel) exceeds it; all are counted", 0 },
	{ "json", 'j', NULL, 0, "one JSON object per packet, and a final summary", 0 },
	{ "responder", 'R', NULL, 0, "trace the echoes this host answers", 0 },
	{ "no-trace", 'N', NULL, 0, "send and time echoes only, load nothing into the kernel "
				   "(the RTT without pingtrace's own overhead)", 0 },
	{ "verbose", 'v', NULL, 0, "say more (twice: libbpf's messages too)", 0 },
	{ 0 },
};

static double parse_num(const char *name, const char *arg, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min && v <= max))
		die("invalid %s '%s': expected a number from %g to %g", name, arg, min, max);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case '4':
	case '6':
		if (env.family && env.family != (key == '4' ? AF_INET : AF_INET6))
			argp_error(state, "-4 and -6 together");
		env.family = key == '4' ? AF_INET : AF_INET6;
		break;
	case 'c':
		env.count = (long)parse_num("count", arg, 1, 1e9);
		if (env.count != strtod(arg, NULL))
			die("invalid count '%s': expected a whole number", arg);
		break;
	case 'i':
		env.interval = parse_num("interval", arg, 0.001, 3600);
		break;
	case 's':
		env.size = (long)parse_num("size", arg, MIN_PAYLOAD, MAX_PAYLOAD);
		break;
	case 'W':
		env.timeout = parse_num("timeout", arg, 0.001, 3600);
		break;
	case 't':
		env.threshold_us = parse_num("threshold", arg, 0, 1e12);
		break;
	case 'j':
		env.json = true;
		break;
	case 'R':
		env.responder = true;
		break;
	case 'N':
		env.no_trace = true;
		break;
	case 'v':
		env.verbose++;
		break;
	case ARGP_KEY_ARG:
		if (env.dest)
			argp_error(state, "one DEST only (got '%s' and '%s')", env.dest, arg);
		env.dest = arg;
		break;
	case ARGP_KEY_END:
		if (!env.responder && !env.dest)
			argp_error(state, "give a DEST to ping, or --responder");
		if (env.responder && env.dest)
			argp_error(state, "--responder takes no DEST");
		if (env.responder && env.no_trace)
			argp_error(state, "--no-trace is for the sender");
		if (env.responder && env.family)
			argp_error(state, "the responder traces IPv4 and IPv6 alike: no -4/-6");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_arg, "DEST\n--responder", doc, NULL,
					  NULL, NULL };

	argp_err_exit_status = 2; /* usage errors, as ping */
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	coolbpf_set_print(log_print);
	if (geteuid() != 0)
		die("needs root: raw ICMP sockets (CAP_NET_RAW) and BPF (CAP_BPF, CAP_PERFMON); "
		    "run with sudo");
	return env.responder ? run_responder() : run_sender();
}
