// SPDX-License-Identifier: GPL-2.0
/*
 * pingtrace: timestamps each ICMP echo pingtrace sends (or, with
 * --responder, answers) at every stage the kernel offers a hook for.
 *
 * Packets are recognised by their contents, not by socket: IPv4 ICMP or
 * IPv6 ICMPv6 echo or echo reply, PT_MAGIC as the first payload word, the sender's
 * echo id, and the network namespace pingtrace runs in (so two namespaces
 * on one host, as in the tests, do not see each other's stages).
 *
 * Tracepoints everywhere the kernel has one, as raw tracepoints (no
 * record is formatted for us: the program reads the skb it is handed);
 * kprobes only for the three
 * points that have none (raw_sendmsg, raw_local_deliver, icmp_rcv, and
 * their IPv6 twins). Every
 * program is optional: user space asks which attached and merges the
 * stages around a point the kernel could not observe.
 */
#include "lbc.h"
#include "pingtrace.h"

#define ETH_P_IP_BE	      0x0008 /* htons(ETH_P_IP) */
#define ETH_P_IPV6_BE	      0xDD86 /* htons(ETH_P_IPV6) */
#define ICMP_ECHOREPLY_T      0
#define ICMP_ECHO_T	      8
#define ICMPV6_ECHO_REQUEST_T 128
#define ICMPV6_ECHO_REPLY_T   129
#define NEXTHDR_ICMPV6	      58

/* wire formats: our own definitions, no CO-RE (they never change) */
struct pt_ip6hdr {
	u8 vtc;
	u8 flow[3];
	u16 payload_len;
	u8 nexthdr;
	u8 hop_limit;
	u32 saddr[4];
	u32 daddr[4];
};

struct pt_echohdr {
	u8 type;
	u8 code;
	u16 csum;
	u16 id;
	u16 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct pt_config);
	__uint(max_entries, 1);
} cfg SEC(".maps");

/* sender: stamps per echo, keyed by id << 16 | seq; pingtrace creates each
 * entry before it sends the echo, the programs only fill it in */
LBC_HASH(pkts, u32, struct pt_stamps, 16384);
/* responder: echoes in flight, keyed by saddr ^ (id << 16 | seq) */
LBC_HASH(inflight, u64, struct pt_reply, 4096);
/* sender: slot 0 the echo being sent (set by pingtrace before sendto), 1
 * the last reply the device received (keys of pkts, 0: none) */
LBC_ARRAY(cur, u32, u32, 2);
LBC_RINGBUF(replies, struct pt_reply, 256 * 1024);

struct pt_pkt {
	/* IPv4 addresses; for IPv6 the four words xor-ed (keys only) */
	u32 saddr, daddr;
	u16 id, seq;
	u8 type;   /* ICMP_ECHO_T or ICMP_ECHOREPLY_T, for both families */
	u8 family; /* 4 or 6 */
	u32 saddr6[4], daddr6[4];
};

static __always_inline struct pt_config *pt_cfg(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&cfg, &zero);
}

static __always_inline u32 cur_get(u32 slot)
{
	u32 *v = bpf_map_lookup_elem(&cur, &slot);

	return v ? *v : 0;
}

static __always_inline void cur_set(u32 slot, u32 key)
{
	bpf_map_update_elem(&cur, &slot, &key, BPF_ANY);
}

/* Parse an IPv4 header at iph (kernel memory): one of our echoes? */
static __always_inline int parse_ip(const void *iph, struct pt_pkt *p)
{
	struct iphdr ip;
	struct icmphdr ic;
	u32 magic;
	const void *icp;

	if (bpf_probe_read_kernel(&ip, sizeof(ip), iph))
		return -1;
	if (ip.version != 4 || ip.protocol != IPPROTO_ICMP)
		return -1;
	icp = iph + ip.ihl * 4;
	if (bpf_probe_read_kernel(&ic, sizeof(ic), icp) ||
	    bpf_probe_read_kernel(&magic, sizeof(magic), icp + sizeof(ic)))
		return -1;
	if ((ic.type != ICMP_ECHO_T && ic.type != ICMP_ECHOREPLY_T) || ic.code != 0 ||
	    bpf_ntohl(magic) != PT_MAGIC)
		return -1;
	p->saddr = ip.saddr;
	p->daddr = ip.daddr;
	p->id = bpf_ntohs(ic.un.echo.id);
	p->seq = bpf_ntohs(ic.un.echo.sequence);
	p->type = ic.type;
	return 0;
}

/* The same for an IPv6 header directly followed by ICMPv6 (extension
 * headers: not ours). */
static __always_inline int parse_ip6(const void *iph, struct pt_pkt *p)
{
	struct pt_ip6hdr ip;
	struct pt_echohdr ic;
	u32 magic;

	if (bpf_probe_read_kernel(&ip, sizeof(ip), iph) || (ip.vtc >> 4) != 6 ||
	    ip.nexthdr != NEXTHDR_ICMPV6)
		return -1;
	if (bpf_probe_read_kernel(&ic, sizeof(ic), iph + sizeof(ip)) ||
	    bpf_probe_read_kernel(&magic, sizeof(magic), iph + sizeof(ip) + sizeof(ic)))
		return -1;
	if ((ic.type != ICMPV6_ECHO_REQUEST_T && ic.type != ICMPV6_ECHO_REPLY_T) || ic.code != 0 ||
	    bpf_ntohl(magic) != PT_MAGIC)
		return -1;
	__builtin_memcpy(p->saddr6, ip.saddr, sizeof(p->saddr6));
	__builtin_memcpy(p->daddr6, ip.daddr, sizeof(p->daddr6));
	p->saddr = ip.saddr[0] ^ ip.saddr[1] ^ ip.saddr[2] ^ ip.saddr[3];
	p->daddr = ip.daddr[0] ^ ip.daddr[1] ^ ip.daddr[2] ^ ip.daddr[3];
	p->id = bpf_ntohs(ic.id);
	p->seq = bpf_ntohs(ic.seq);
	p->type = ic.type == ICMPV6_ECHO_REQUEST_T ? ICMP_ECHO_T : ICMP_ECHOREPLY_T;
	p->family = 6;
	return 0;
}

/* Parse an skb whose network header is set (transmit, IP and socket
 * layers); on device receive it is not set yet: data points at it. */
static __always_inline int parse_skb(struct sk_buff *skb, bool at_data, struct pt_pkt *p)
{
	u16 proto = BPF_CORE_READ(skb, protocol);
	const void *iph;

	if (proto != ETH_P_IP_BE && proto != ETH_P_IPV6_BE)
		return -1;
	if (at_data)
		iph = BPF_CORE_READ(skb, data);
	else
		iph = BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, network_header);
	if (proto == ETH_P_IPV6_BE)
		return parse_ip6(iph, p);
	p->family = 4;
	return parse_ip(iph, p);
}

/* a kernel without CONFIG_NET_NS has one network namespace and an empty
 * possible_net_t (netns 0 from user space): every packet is ours */
static __always_inline bool in_netns(struct sk_buff *skb, const struct pt_config *c)
{
	if (!c->netns || !bpf_core_field_exists(((struct net_device *)0)->nd_net.net))
		return true;
	return BPF_CORE_READ(skb, dev, nd_net.net, ns.inum) == c->netns;
}

/* pingtrace's tgid as the kernel's hooks see it. Run in a pid namespace
 * (a container), its getpid() is not that: the first hook that runs in its
 * context, recognised by its namespace and pid there, learns it. */
static __always_inline u32 sender_tgid(struct pt_config *c)
{
	struct bpf_pidns_info ns = {};
	u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (c->tgid)
		return c->tgid;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_ns_current_pid_tgid) ||
	    bpf_get_ns_current_pid_tgid(c->pidns_dev, c->pidns_ino, &ns, sizeof(ns)) ||
	    ns.tgid != c->ns_tgid)
		return 0;
	c->tgid = tgid;
	return tgid;
}

static __always_inline bool is_sender_task(struct pt_config *c)
{
	return c->mode == PT_MODE_SENDER && (bpf_get_current_pid_tgid() >> 32) == sender_tgid(c);
}

static __always_inline u32 pkt_key(u16 id, u16 seq)
{
	return (u32)id << 16 | seq;
}

static __always_inline u64 reply_key(const struct pt_pkt *p, bool request)
{
	/* the peer's address: source of the request, destination of the reply */
	u32 peer = request ? p->saddr : p->daddr;

	return (u64)peer << 32 | pkt_key(p->id, p->seq);
}

/* Stamp point pt of echo key, first passage only. */
static __always_inline void stamp(u32 key, int pt)
{
	struct pt_stamps *s;

	if (!key)
		return;
	s = bpf_map_lookup_elem(&pkts, &key);
	if (s && pt >= 0 && pt < PT_NR_POINTS && !s->ts[pt])
		s->ts[pt] = bpf_ktime_get_ns();
}

static __always_inline void rstamp(u64 key, int pt)
{
	struct pt_reply *r = bpf_map_lookup_elem(&inflight, &key);

	if (r && pt >= 0 && pt < PR_NR_POINTS && !r->ts[pt])
		r->ts[pt] = bpf_ktime_get_ns();
}

/* ---- sender: send ---- */

/* pingtrace stamps user send and user receive itself, with the clock
 * bpf_ktime_get_ns() reads (CLOCK_MONOTONIC): syscall tracepoints would put
 * every system call of every process on the slow path while it runs */
static __always_inline int raw_send(void)
{
	struct pt_config *c = pt_cfg();

	if (c && is_sender_task(c))
		stamp(cur_get(0), PT_RAW_SEND);
	return 0;
}

SEC("kprobe/raw_sendmsg")
int BPF_KPROBE(pt_raw_sendmsg)
{
	return raw_send();
}

SEC("kprobe/rawv6_sendmsg")
int BPF_KPROBE(pt_rawv6_sendmsg)
{
	return raw_send();
}

/* ---- both: the device layer ---- */

/* which echo an skb handed to the driver carries: at net_dev_xmit the
 * driver may have freed or forwarded the skb, so it is not read there */
LBC_HASH(txskb, u64, u64, 1024);

/* One of ours leaving this namespace? Its key: pkts key (sender) or
 * inflight key (responder), 0 if not ours. */
static __always_inline u64 tx_key(struct sk_buff *skb, const struct pt_config *c)
{
	struct pt_pkt p;

	if (c->mode == PT_MODE_OFF || !in_netns(skb, c) || parse_skb(skb, false, &p))
		return 0;
	if (c->mode == PT_MODE_SENDER)
		return p.type == ICMP_ECHO_T && p.id == c->id ? pkt_key(p.id, p.seq) : 0;
	return p.type == ICMP_ECHOREPLY_T ? reply_key(&p, false) : 0;
}

SEC("raw_tp/net_dev_queue")
int BPF_PROG(pt_dev_queue, struct sk_buff *skb)
{
	struct pt_config *c = pt_cfg();
	u64 key;

	if (!c)
		return 0;
	key = tx_key(skb, c);
	if (key && c->mode == PT_MODE_SENDER) {
		/* queued from sendto, in pingtrace's context (checked) */
		sender_tgid(c);
		stamp((u32)key, PT_DEV_QUEUE);
	} else if (key)
		rstamp(key, PR_DEV_QUEUE);
	return 0;
}

SEC("raw_tp/net_dev_start_xmit")
int BPF_PROG(pt_dev_start_xmit, struct sk_buff *skb)
{
	struct pt_config *c = pt_cfg();
	u64 addr = (u64)skb, key;

	if (!c)
		return 0;
	key = tx_key(skb, c);
	if (key)
		bpf_map_update_elem(&txskb, &addr, &key, BPF_ANY);
	return 0;
}

SEC("raw_tp/net_dev_xmit")
int BPF_PROG(pt_dev_xmit, struct sk_buff *skb, int rc)
{
	struct pt_config *c = pt_cfg();
	u64 addr = (u64)skb, key, *k;
	struct pt_reply *r;

	k = bpf_map_lookup_elem(&txskb, &addr);
	if (!c || !k)
		return 0;
	key = *k;
	bpf_map_delete_elem(&txskb, &addr);
	if (rc != 0) /* not NETDEV_TX_OK: it will be sent again */
		return 0;
	if (c->mode == PT_MODE_SENDER) {
		stamp((u32)key, PT_DEV_XMIT);
		return 0;
	}
	rstamp(key, PR_DEV_XMIT);
	r = bpf_map_lookup_elem(&inflight, &key);
	if (r) {
		lbc_ringbuf_output(replies, r, sizeof(*r));
		bpf_map_delete_elem(&inflight, &key);
	}
	return 0;
}

SEC("raw_tp/netif_receive_skb")
int BPF_PROG(pt_dev_rx, struct sk_buff *skb)
{
	struct pt_config *c = pt_cfg();
	struct pt_pkt p;

	if (!c || c->mode == PT_MODE_OFF || !in_netns(skb, c) || parse_skb(skb, true, &p))
		return 0;
	if (c->mode == PT_MODE_SENDER) {
		if (p.type == ICMP_ECHOREPLY_T && p.id == c->id) {
			u32 key = pkt_key(p.id, p.seq);

			stamp(key, PT_DEV_RX);
			cur_set(1, key);
		}
		return 0;
	}
	if (p.type == ICMP_ECHO_T) {
		struct pt_reply r = {};
		u64 key = reply_key(&p, true);

		r.ts[PR_DEV_RX] = bpf_ktime_get_ns();
		r.family = p.family;
		if (p.family == 6) {
			__builtin_memcpy(r.saddr6, p.saddr6, sizeof(r.saddr6));
			__builtin_memcpy(r.daddr6, p.daddr6, sizeof(r.daddr6));
		} else {
			r.saddr = p.saddr;
			r.daddr = p.daddr;
		}
		r.id = p.id;
		r.seq = p.seq;
		bpf_map_update_elem(&inflight, &key, &r, BPF_ANY);
	}
	return 0;
}

/* ---- IP / ICMP layer (no tracepoints: kprobes, optional) ---- */

/* ---- socket layer ---- */

/* The reply is queued on pingtrace's socket (tracepoint since Linux 6.6;
 * where it is missing the attach fails and the kprobe below stands in). */
SEC("raw_tp/sk_data_ready")
int BPF_PROG(pt_sk_data_ready, struct sock *sk)
{
	struct pt_config *c = pt_cfg();

	if (!c || c->mode != PT_MODE_SENDER || !c->sock_cookie ||
	    (u64)BPF_CORE_READ(sk, __sk_common.skc_cookie.counter) != c->sock_cookie)
		return 0;
	stamp(cur_get(1), PT_SOCK_RX);
	return 0;
}

/* the same point where that tracepoint is missing: IP delivers to raw sockets */
static __always_inline int raw_deliver(struct sk_buff *skb)
{
	struct pt_config *c = pt_cfg();
	struct pt_pkt p;

	if (!c || c->mode != PT_MODE_SENDER || !in_netns(skb, c) || parse_skb(skb, false, &p))
		return 0;
	if (p.type == ICMP_ECHOREPLY_T && p.id == c->id)
		stamp(pkt_key(p.id, p.seq), PT_SOCK_RX);
	return 0;
}

SEC("kprobe/raw_local_deliver")
int BPF_KPROBE(pt_raw_local_deliver, struct sk_buff *skb)
{
	return raw_deliver(skb);
}

SEC("kprobe/raw6_local_deliver")
int BPF_KPROBE(pt_raw6_local_deliver, struct sk_buff *skb)
{
	return raw_deliver(skb);
}

static __always_inline int icmp_in(struct sk_buff *skb)
{
	struct pt_config *c = pt_cfg();
	struct pt_pkt p;

	if (!c || c->mode != PT_MODE_RESPONDER || !in_netns(skb, c) || parse_skb(skb, false, &p))
		return 0;
	if (p.type == ICMP_ECHO_T)
		rstamp(reply_key(&p, true), PR_ICMP_RX);
	return 0;
}

SEC("kprobe/icmp_rcv")
int BPF_KPROBE(pt_icmp_rcv, struct sk_buff *skb)
{
	return icmp_in(skb);
}

SEC("kprobe/icmpv6_rcv")
int BPF_KPROBE(pt_icmpv6_rcv, struct sk_buff *skb)
{
	return icmp_in(skb);
}

/* ---- sender: wake-up ---- */

SEC("raw_tp/sched_wakeup")
int BPF_PROG(pt_wakeup, struct task_struct *p)
{
	struct pt_config *c = pt_cfg();
	struct pt_stamps *s;
	u32 key;

	if (!c || c->mode != PT_MODE_SENDER || !c->tgid || (u32)BPF_CORE_READ(p, pid) != c->tgid)
		return 0;
	key = cur_get(1);
	if (!key)
		return 0;
	s = bpf_map_lookup_elem(&pkts, &key);
	/* the first wake-up after the reply reached the device */
	if (s && s->ts[PT_DEV_RX] && !s->ts[PT_WAKEUP])
		s->ts[PT_WAKEUP] = bpf_ktime_get_ns();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
