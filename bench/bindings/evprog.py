"""What evtool.py (pylcc) and floortool.py (bench/bindings/floor.c) share:
the kernel half (one perf output event an exec) and the job (exec
/bin/true until COUNT of this process's children were seen, then print
the peak RSS). Imports nothing a binding would not."""
import os
import time

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


def vm_hwm_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def storm(count, seen):
    """Exec /bin/true until seen() reaches count (30 s at most, then 2 s
    for the last events); print events and VmHWM; the exit status."""
    end = time.monotonic() + 30
    while seen() < count and time.monotonic() < end:
        pid = os.fork()
        if pid == 0:
            os.execv("/bin/true", ["/bin/true"])
        os.waitpid(pid, 0)
    deadline = time.monotonic() + 2
    while seen() < count and time.monotonic() < deadline:
        time.sleep(0.01)
    print("events %d hwm_kb %d" % (seen(), vm_hwm_kb()))
    return 0 if seen() >= count else 1
