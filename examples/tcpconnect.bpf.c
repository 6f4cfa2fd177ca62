// SPDX-License-Identifier: GPL-2.0
/* tcpconnect: one event per outgoing IPv4 TCP connection once its
 * handshake ends (established, refused or timed out), with the process
 * that called connect() and both ends. Tracepoints only: the socket's
 * CLOSE -> SYN_SENT change remembers who connects (the source port is not
 * chosen yet), its change out of SYN_SENT reports the four-tuple.
 * Run: coolbpf run examples/tcpconnect.bpf.c */
#include "lbc.h"

/* values of the tracepoint's fields (socket.h, in.h, tcp_states.h) */
#define CONN_AF_INET	   2
#define CONN_IPPROTO_TCP   6
#define CONN_ESTABLISHED   1
#define CONN_SYN_SENT	   2
#define CONN_TASK_COMM_LEN 16

struct connector {
	u32 pid;
	char comm[CONN_TASK_COMM_LEN];
};

/* typed fields (lbc.h): run prints "saddr": "127.0.0.1", "sport": 40312 */
struct tcp_connect_event {
	u32 pid;
	char comm[CONN_TASK_COMM_LEN];
	lbc_port_t sport; /* network byte order, as lbc_port_t says */
	lbc_port_t dport;
	lbc_ipv4_t saddr;
	lbc_ipv4_t daddr;
	u32 established; /* 0: refused or timed out */
};

LBC_HASH(connecting, u64, struct connector, 4096);
LBC_PERF_OUTPUT(events, struct tcp_connect_event, 128);

SEC("tp/sock/inet_sock_set_state")
int on_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	u64 sk = (u64)ctx->skaddr;
	struct tcp_connect_event e = {};
	struct connector *c;

	if (ctx->family != CONN_AF_INET || ctx->protocol != CONN_IPPROTO_TCP)
		return 0;
	if (ctx->newstate == CONN_SYN_SENT) {
		struct connector nc = {};

		nc.pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(nc.comm, sizeof(nc.comm));
		bpf_map_update_elem(&connecting, &sk, &nc, BPF_ANY);
		return 0;
	}
	if (ctx->oldstate != CONN_SYN_SENT)
		return 0;
	c = bpf_map_lookup_elem(&connecting, &sk);
	if (!c)
		return 0;
	e.pid = c->pid;
	__builtin_memcpy(e.comm, c->comm, sizeof(e.comm));
	/* the tracepoint keeps its ports in host order */
	e.sport = bpf_htons(ctx->sport);
	e.dport = bpf_htons(ctx->dport);
	__builtin_memcpy(&e.saddr, ctx->saddr, sizeof(e.saddr));
	__builtin_memcpy(&e.daddr, ctx->daddr, sizeof(e.daddr));
	e.established = ctx->newstate == CONN_ESTABLISHED;
	bpf_map_delete_elem(&connecting, &sk);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
