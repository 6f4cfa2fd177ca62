/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pingtrace: what pingtrace.bpf.c and pingtrace.c share. */
#ifndef PINGTRACE_H
#define PINGTRACE_H

/* first 4 payload bytes of every echo pingtrace sends ("CbPt", network order) */
#define PT_MAGIC 0x43625074u

enum pt_mode {
	PT_MODE_OFF = 0,
	PT_MODE_SENDER = 1,
	PT_MODE_RESPONDER = 2,
};

/* Sender hook points, in the order a packet passes them. Stage k is the
 * time from the previous observed point to point k. */
enum pt_point {
	PT_USER_SEND, /* pingtrace's clock right before sendto */
	PT_RAW_SEND,  /* kprobe raw_sendmsg (rawv6_sendmsg): ICMP/IP output starts */
	PT_DEV_QUEUE, /* net_dev_queue: handed to the qdisc */
	PT_DEV_XMIT,  /* net_dev_xmit: the driver took it */
	PT_DEV_RX,    /* netif_receive_skb of the reply */
	PT_SOCK_RX, /* sk_data_ready, or kprobe raw_local_deliver (raw6_...): queued to the socket */
	PT_WAKEUP,  /* sched_wakeup of pingtrace */
	PT_USER_RX, /* pingtrace's clock right after recv returned it */
	PT_NR_POINTS,
};

/* Responder hook points. */
enum pt_rpoint {
	PR_DEV_RX,    /* netif_receive_skb of the echo request */
	PR_ICMP_RX,   /* kprobe icmp_rcv (icmpv6_rcv) */
	PR_DEV_QUEUE, /* net_dev_queue of the echo reply */
	PR_DEV_XMIT,  /* net_dev_xmit of the echo reply */
	PR_NR_POINTS,
};

struct pt_config {
	unsigned int mode; /* enum pt_mode */
	/* the sender process in the initial pid namespace (what
	 * sched_wakeup and bpf_get_current_pid_tgid() report); 0 until the
	 * programs learn it, when pingtrace runs in another pid namespace */
	unsigned int tgid;
	unsigned int netns;		/* network namespace inode traced */
	unsigned int id;		/* ICMP echo id of the sender */
	unsigned long long sock_cookie; /* SO_COOKIE of the sender's socket */
	/* pingtrace's own pid namespace (stat of /proc/self/ns/pid) and its
	 * pid there: how the programs recognise it to learn tgid */
	unsigned long long pidns_dev;
	unsigned long long pidns_ino;
	unsigned int ns_tgid;
	unsigned int pad;
};

/* one echo of the sender, keyed by (id << 16 | seq) */
struct pt_stamps {
	unsigned long long ts[PT_NR_POINTS];
};

/* one echo the responder answered */
struct pt_reply {
	unsigned long long ts[PR_NR_POINTS];
	unsigned int saddr; /* IPv4, network order */
	unsigned int daddr;
	unsigned short id;
	unsigned short seq;
	unsigned int family;	  /* 4 or 6 */
	unsigned char saddr6[16]; /* IPv6 */
	unsigned char daddr6[16];
};

#endif
