#!/usr/bin/python3
"""A small pylcc tool in the original API's eventOut style (ClbcBase +
CeventThread, kernel code in a string), on a tracepoint so it runs where
kprobes are not allowed. Counts COUNT exec events, then prints its own
peak RSS (VmHWM) in kB. Run by bench/bindings/rss."""
import os
import sys
import time

from pylcc.lbcBase import ClbcBase, CeventThread

PROG = r"""
#include "lbc.h"
struct data_t { u32 pid; u32 ppid; char comm[16]; };
LBC_PERF_OUTPUT(e_out, struct data_t, 128);
SEC("tracepoint/sched/sched_process_exec")
int tp_exec(void *ctx)
{
    struct data_t d = {};
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    d.pid = bpf_get_current_pid_tgid() >> 32;
    d.ppid = BPF_CORE_READ(t, real_parent, tgid);
    bpf_get_current_comm(&d.comm, 16);
    bpf_perf_event_output(ctx, &e_out, BPF_F_CURRENT_CPU, &d, sizeof(d));
    return 0;
}
char _license[] SEC("license") = "GPL";
"""


class ExecOut(ClbcBase):
    def __init__(self, count):
        super().__init__("evtool", bpf_str=PROG)
        self.count = count
        self.seen = 0
        self.me = os.getpid()

    def _cb(self, cpu, e):
        if e.ppid == self.me:
            self.seen += 1


def vm_hwm_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    t = ExecOut(count)
    CeventThread(t, "e_out", t._cb)
    end = time.monotonic() + 30
    while t.seen < count and time.monotonic() < end:
        pid = os.fork()
        if pid == 0:
            os.execv("/bin/true", ["/bin/true"])
        os.waitpid(pid, 0)
    deadline = time.monotonic() + 2
    while t.seen < count and time.monotonic() < deadline:
        time.sleep(0.01)
    print("events %d hwm_kb %d" % (t.seen, vm_hwm_kb()))
    return 0 if t.seen >= count else 1


if __name__ == "__main__":
    sys.exit(main())
