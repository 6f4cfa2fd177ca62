// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pingtrace --responder: on the peer, the echoes this network namespace
 * answers, as the BPF programs report them through the event buffer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <coolbpf/coolbpf.h>

#include "pingtrace_user.h"
#include "base/banned.h"

/* the responder answers both families: it needs both ICMP kprobes */
static const struct point_def responder_points[PR_NR_POINTS] = {
	[PR_DEV_RX] = { "raw tracepoint netif_receive_skb", "pt_dev_rx", NULL, NULL, NULL },
	[PR_ICMP_RX] = { "kprobe icmp_rcv and icmpv6_rcv", "pt_icmp_rcv", "pt_icmpv6_rcv", NULL,
			 "recv" },
	[PR_DEV_QUEUE] = { "raw tracepoint net_dev_queue", "pt_dev_queue", NULL, NULL,
			   "icmp_reply" },
	[PR_DEV_XMIT] = { "raw tracepoint net_dev_xmit", "pt_dev_xmit", "pt_dev_start_xmit", NULL,
			  "qdisc" },
};

struct responder {
	unsigned long answered;
};

/* One answered echo from the event buffer: 1 (stop) once count were answered. */
static int on_reply(void *ctx, struct coolbpf_map *map, const void *data, size_t size)
{
	struct responder *r = ctx;
	const struct pt_reply *e = data;

	(void)map;
	if (size < sizeof(*e))
		return 0;
	r->answered++;
	report_reply(e);
	return env.count && (long)r->answered >= env.count ? 1 : 0;
}

/* pingtrace --responder: until count echoes were answered, or a signal. */
int run_responder(void)
{
	struct responder r = { 0 };
	struct coolbpf_object *obj = open_bpf(PT_MODE_RESPONDER, 0);
	struct pollfd pfd[2];
	int sfd, err;
	char title[128];

	stages_build(obj, responder_points, PR_NR_POINTS);
	if (!stages.avail[PR_DEV_RX] || !stages.avail[PR_DEV_XMIT])
		die("this kernel cannot observe the responder's device receive and transmit "
		    "(%s: %s; %s: %s)",
		    responder_points[PR_DEV_RX].hook,
		    stages.why[PR_DEV_RX][0] ? stages.why[PR_DEV_RX] : "ok",
		    responder_points[PR_DEV_XMIT].hook,
		    stages.why[PR_DEV_XMIT][0] ? stages.why[PR_DEV_XMIT] : "ok");
	err = coolbpf_object__open_events(
		obj, &(struct coolbpf_events_opts){ .sz = sizeof(struct coolbpf_events_opts),
						    .on_event = on_reply,
						    .ctx = &r });
	if (err)
		die("cannot open the event buffer: %s", coolbpf_errmsg());
	report_header("PINGTRACE responder: answering echoes");
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
	snprintf(title, sizeof(title),
		 "--- pingtrace responder statistics ---\n%lu echoes answered\n", r.answered);
	report_summary(title, env.json ? "total_us" : "in kernel",
		       json_pack("{s:i,s:i}", "answered", (int)r.answered, "lost_events",
				 (int)coolbpf_object__lost_events(obj)));
	coolbpf_object__close(obj);
	return 0;
}
