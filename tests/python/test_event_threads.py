"""Two CeventThreads on two perf maps of one object each get only their
own map's events, and the callback's cpu is the CPU the event was
written on (the original passed it; -1 before)."""
import ctypes as ct
import os
import time

from pylcc.lbcBase import ClbcBase, CeventThread

SRC = r"""
#include "lbc.h"
struct ev_t { u32 tag; u32 cpu; };
LBC_PERF_OUTPUT(e1, struct ev_t, 128);
LBC_PERF_OUTPUT(e2, struct ev_t, 128);

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
    struct ev_t e = { .tag = 1, .cpu = bpf_get_smp_processor_id() };

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    bpf_perf_event_output(ctx, &e1, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int on_getpgid(void *ctx)
{
    struct ev_t e = { .tag = 2, .cpu = bpf_get_smp_processor_id() };

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    bpf_perf_event_output(ctx, &e2, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""


def test_two_threads_two_maps_own_events_real_cpu():
    class Two(ClbcBase):
        def __init__(self):
            super().__init__("twomaps", bpf_str=SRC, env="-DTARGET=%d" % os.getpid())

    got = {"e1": [], "e2": []}

    def on(name):
        def cb(cpu, e):
            got[name].append((cpu, e.tag, e.cpu))
        return cb

    t = Two()
    try:
        CeventThread(t, "e1", on("e1"))
        CeventThread(t, "e2", on("e2"))
        libc = ct.CDLL(None)
        end = time.monotonic() + 10
        while (len(got["e1"]) < 20 or len(got["e2"]) < 20) and time.monotonic() < end:
            libc.getppid()
            libc.getpgid(0)
            time.sleep(0.001)
        assert len(got["e1"]) >= 20 and len(got["e2"]) >= 20, {k: len(v) for k, v in got.items()}
        assert {tag for _, tag, _ in got["e1"]} == {1}
        assert {tag for _, tag, _ in got["e2"]} == {2}
        for name in got:
            for cpu, _, written_on in got[name]:
                assert cpu == written_on, (name, cpu, written_on)
    finally:
        t.close()  # stops the polling threads before freeing the object
