#!/usr/bin/python3
"""A small pylcc tool in the original API's cpudist style (ClbcBase, kernel
code in a string, log2 and log10 histograms read and printed by showHist()): how
long tasks run on a CPU before they are switched out, in microseconds,
while COUNT children exec /bin/true. Prints the histogram, then its
total and its own peak RSS (VmHWM) in kB. Run by bench/bindings/rss and
tests/python/test_rss.py; with "tp_btf" after COUNT, the same on
SEC("tp_btf/sched_switch"), a BTF-typed tracepoint (bench/btfattach).

Usage: histtool.py [COUNT [tp_btf]]"""
import os
import sys

from pylcc.lbcBase import ClbcBase

from evprog import vm_hwm_kb

PROG = r"""
#include "lbc.h"
LBC_HASH(oncpu, u32, u64, 256 * 1024);
LBC_HIST2(dist);
LBC_HIST10(dist10);
SEC("tracepoint/sched/sched_switch")
int sched_switch(struct trace_event_raw_sched_switch *ctx)
{
    u32 prev = ctx->prev_pid, next = ctx->next_pid;
    u64 now = bpf_ktime_get_ns(), *tsp;

    tsp = bpf_map_lookup_elem(&oncpu, &prev);
    if (tsp && prev && now > *tsp) {
        hist2_push(&dist, (now - *tsp) / 1000);
        hist10_push(&dist10, (now - *tsp) / 1000);
    }
    bpf_map_update_elem(&oncpu, &next, &now, BPF_ANY);
    return 0;
}
char _license[] SEC("license") = "GPL";
"""

# the same on a BTF-typed tracepoint: the task pointers of sched_switch
TP_BTF = PROG.replace("""SEC("tracepoint/sched/sched_switch")
int sched_switch(struct trace_event_raw_sched_switch *ctx)
{
    u32 prev = ctx->prev_pid, next = ctx->next_pid;""", """SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *p, struct task_struct *n)
{
    u32 prev = p->pid, next = n->pid;""")
assert TP_BTF != PROG


class CpuDist(ClbcBase):
    def __init__(self, prog):
        super().__init__("histtool", bpf_str=prog)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    t = CpuDist(TP_BTF if sys.argv[2:3] == ["tp_btf"] else PROG)
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os.execv("/bin/true", ["/bin/true"])
        os.waitpid(pid, 0)
    dist = t.maps["dist"]
    dist.showHist("on-CPU time", val_type="usecs")
    t.maps["dist10"].showHist("on-CPU time, log10", val_type="usecs")
    total = sum(dist.get())
    print("total %d hwm_kb %d" % (total, vm_hwm_kb()))
    return 0 if total >= count else 1


if __name__ == "__main__":
    sys.exit(main())
