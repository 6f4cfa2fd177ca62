"""Events decoded from BTF: perf buffer (original API) and ring buffer
(modern API), checked against what the test itself did."""
import os
import subprocess
import time
import uuid

from pylcc import Program
from pylcc.lbcBase import ClbcBase

EXEC_SRC = r"""
#include "lbc.h"
struct inner { u32 uid; u32 gid; };
struct exec_event {
    u32 pid;
    u32 ppid;
    struct inner ids;
    u16 pair[2];
    char comm[16];
    char filename[128];
};
LBC_RINGBUF(execs, struct exec_event, 64 * 1024);

SEC("tp/sched/sched_process_exec")
int on_exec(struct trace_event_raw_sched_process_exec *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    unsigned int off = ctx->__data_loc_filename & 0xFFFF;
    struct exec_event *e = bpf_ringbuf_reserve(&execs, sizeof(*e), 0);

    if (!e)
        return 0;
    e->pid = bpf_get_current_pid_tgid() >> 32;
    e->ppid = BPF_CORE_READ(task, real_parent, tgid);
    e->ids.uid = (u32)bpf_get_current_uid_gid();
    e->ids.gid = bpf_get_current_uid_gid() >> 32;
    e->pair[0] = 7;
    e->pair[1] = 9;
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
    bpf_ringbuf_submit(e, 0);
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""

OPEN_SRC = r"""
#include "lbc.h"
struct open_event { u32 pid; s32 flags; char comm[16]; char fname[200]; };
LBC_PERF_OUTPUT(opens, struct open_event, 64);

SEC("tp/syscalls/sys_enter_openat")
int on_openat(struct trace_event_raw_sys_enter *ctx)
{
    struct open_event e = {};

    e.pid = bpf_get_current_pid_tgid() >> 32;
    e.flags = (int)ctx->args[2];
    bpf_get_current_comm(e.comm, sizeof(e.comm));
    bpf_probe_read_user_str(e.fname, sizeof(e.fname), (const char *)ctx->args[1]);
    bpf_perf_event_output(ctx, &opens, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""


def my_comm():
    with open("/proc/self/comm") as f:
        return f.read().strip()


def test_exec_event_decoded_from_ring_buffer_with_nested_fields():
    with Program(EXEC_SRC, name="execs") as p:
        child = subprocess.Popen(["/bin/true"])
        child.wait(timeout=10)
        mine = [e for e in p.events("execs", timeout=3) if e.pid == child.pid][:1]
    assert mine, "no exec event for pid %d" % child.pid
    ev = mine[0]
    assert ev.filename == "/bin/true"
    assert ev.comm == "true"
    assert ev.ppid == os.getpid()
    assert ev.ids.uid == os.getuid() and ev.ids.gid == os.getgid()
    assert ev.pair == [7, 9]
    assert ev["comm"] == ev.comm


def test_open_of_unique_path_seen_in_perf_event():
    path = "/tmp/pylcc-test-%s" % uuid.uuid4().hex
    with Program(OPEN_SRC, name="opens") as p:
        try:
            os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
        finally:
            if os.path.exists(path):
                os.unlink(path)
        got = []
        deadline = time.monotonic() + 3
        for ev in p.events("opens", timeout=3):
            if ev.fname == path:
                got.append(ev)
                break
            if time.monotonic() > deadline:
                break
    assert got, "no event for %s" % path
    assert got[0].pid == os.getpid()
    assert got[0].comm == my_comm()
    assert got[0].flags & os.O_CREAT


def test_original_api_fork_events_carry_child_pid(compat_src):
    seen = []

    class Fork(ClbcBase):
        def __init__(self):
            super().__init__("compat", bpf_str=compat_src)
            self.maps["e_out"].open_perf_buffer(self._cb)

        def _cb(self, cpu, data, size):
            e = self.maps["e_out"].event(data)
            seen.append((e.c_pid, e.p_pid, e.c_comm, e.p_comm))

    f = Fork()
    try:
        kids = [subprocess.Popen(["/bin/true"]) for _ in range(3)]
        for k in kids:
            k.wait(timeout=10)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not all(
                any(s[0] == k.pid for s in seen) for k in kids):
            f.maps["e_out"].perf_buffer_poll(200)
    finally:
        f.close()
    for k in kids:
        mine = [s for s in seen if s[0] == k.pid]
        assert mine, "no fork event with c_pid %d" % k.pid
        assert mine[0][1] == os.getpid()
        assert mine[0][2] == my_comm().encode()  # bytes, as the original on Python 3


def test_exception_in_callback_reaches_the_caller(compat_src):
    class Boom(Exception):
        pass

    def cb(cpu, data, size):
        raise Boom("from callback")

    with Program(compat_src, name="compat") as p:
        p.maps["e_out"].open_perf_buffer(cb)
        subprocess.run(["/bin/true"], timeout=10)
        try:
            for _ in range(20):
                p.poll(100)
        except Boom:
            return
    raise AssertionError("the callback's exception was swallowed")
