"""Stacks, attach=0 with the original attach helpers, the file lookup of
ClbcBase, and errors raised as Python exceptions with the C message."""
import os
import shutil
import subprocess
import time

import pytest

from pylcc import AttachError, CompileError, LccError, LoadError, Program
from pylcc.lbcBase import ClbcBase
from pylcc.perfEvent import PerfSwIds, PerfType

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

STACK_SRC = r"""
#include "lbc.h"
LBC_STACK(stacks, 256);
LBC_HASH(ids, s32, u64, 256);

SEC("tp/sched/sched_switch")
int on_switch(void *ctx)
{
    s32 id = bpf_get_stackid(ctx, &stacks, KERN_STACKID_FLAGS);
    u64 one = 1;

    if (id >= 0)
        bpf_map_update_elem(&ids, &id, &one, BPF_ANY);
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""

MANUAL_SRC = r"""
#include "lbc.h"
LBC_ARRAY(hits, u32, u64, 8);

static __always_inline void hit(u32 k)
{
    u64 *v = bpf_map_lookup_elem(&hits, &k);

    if (v)
        __sync_fetch_and_add(v, 1);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_getppid(void *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == TARGET)
        hit(0);
    return 0;
}

SEC("raw_tracepoint/sys_enter")
int raw_enter(void *ctx) { hit(1); return 0; }

SEC("uprobe")
int up_sync(void *ctx) { hit(2); return 0; }

SEC("perf_event")
int on_clock(void *ctx) { hit(3); return 0; }

char LICENSE[] SEC("license") = "GPL";
"""


def test_stack_ids_to_addresses_and_symbolized_frames():
    with Program(STACK_SRC, name="stacks") as p:
        time.sleep(0.05)
        subprocess.run(["/bin/sleep", "0.01"], timeout=10)
        p.detach()
        ids = p.maps["ids"].getKeys()
        assert ids
        st = p.maps["stacks"]
        arr = st.getArr(ids[0])
        assert len(arr) == 127 and arr[0] > 0 and all(isinstance(a, int) for a in arr)
        frames = [f for i in ids for f in st.stack(i)]
        assert any("schedule" in f for f in frames), frames[:20]
        assert all("+0x" in f or f.startswith("[unknown]") for f in frames)
        assert st.getStacks(ids[0], 2, offsets=True) == st.stack(ids[0])[:2]


def test_attach0_then_original_attach_helpers():
    class Manual(ClbcBase):
        def __init__(self):
            super().__init__("manual", bpf_str=MANUAL_SRC, attach=0,
                             env="-DTARGET=%d" % os.getpid())

    m = Manual()
    try:
        hits = m.maps["hits"]
        os.getppid()
        assert hits.get(4) == [0, 0, 0, 0]          # loaded, nothing attached
        m.attachTracepoint("tp_getppid", "syscalls", "sys_enter_getppid")
        m.attachRawTracepoint("raw_enter", "sys_enter")
        m.traceUprobes("up_sync", -1, "libc.so.6:sync")
        m.attachAllCpuPerf("on_clock", {"type": PerfType.SOFTWARE,
                                        "config": PerfSwIds.CPU_CLOCK,
                                        "sample_freq": 1000, "freq": 1})
        for _ in range(3):
            os.getppid()
        subprocess.run(["/bin/sync"], timeout=60)
        deadline = time.monotonic() + 3
        v = hits.get(4)
        while time.monotonic() < deadline and not (v[2] and v[3]):
            v = hits.get(4)           # busy: the CPU clock samples this CPU too
        assert v[0] == 3, v
        assert v[1] >= 3, v
        assert v[2] >= 1, v
        assert v[3] >= 1, v
        with pytest.raises(AttachError, match="does not exist"):
            m.attachTracepoint("tp_getppid", "syscalls", "sys_enter_no_such_call")
        with pytest.raises(AttachError, match="no program 'nope'"):
            m.attachRawTracepoint("nope", "sys_enter")
    finally:
        m.close()


def test_clbcbase_finds_source_then_object_in_work_path(tmp_path):
    src = os.path.join(REPO, "tests", "data", "pylcc_compat.bpf.c")
    shutil.copy(src, tmp_path / "fork.bpf.c")
    a = ClbcBase("fork", workPath=str(tmp_path))
    assert set(a.maps) >= {"e_out", "pid_cnt", "fork_hist", "call_stack"}
    a.close()
    (tmp_path / "fork.bpf.c").unlink()
    coolbpf = os.environ.get("COOLBPF", os.path.join(REPO, "build", "bin", "coolbpf"))
    if not os.path.exists(coolbpf):
        pytest.skip("no coolbpf binary to compile the .o")
    subprocess.run([coolbpf, "compile", src, "-o", str(tmp_path / "fork.bpf.o")], check=True,
                   timeout=120)
    b = ClbcBase("fork.bpf.c", workPath=str(tmp_path))
    assert b.attached[0]["prog"] == "j_fork"
    b.close()
    with pytest.raises(LccError, match="cannot find 'gone.bpf.c'"):
        ClbcBase("gone", workPath=str(tmp_path))


def test_syntax_error_raises_compile_error_with_diagnostics():
    src = '#include "lbc.h"\nint f(void) { return undeclared_thing; }\n'
    with pytest.raises(CompileError) as ei:
        Program(src, name="broken")
    msg = str(ei.value)
    assert "cannot compile 'broken.bpf.c'" in msg
    assert "undeclared_thing" in msg and "error:" in msg


def test_verifier_rejection_raises_load_error_with_source_line():
    src = ('#include "lbc.h"\n'
           'LBC_HASH(m, u32, u64, 4);\n'
           'SEC("tp/sched/sched_process_exec")\n'
           'int bad(void *ctx)\n'
           '{\n'
           '\tu32 k = 0;\n'
           '\tu64 *v = bpf_map_lookup_elem(&m, &k);\n'
           '\treturn *v + 1;\n'
           '}\n'
           'char LICENSE[] SEC("license") = "GPL";\n')
    with pytest.raises(LoadError) as ei:
        Program(src, name="verif")
    msg = str(ei.value)
    assert "verifier rejected program 'bad'" in msg
    assert "verif.bpf.c:8: return *v + 1;" in msg


def test_missing_tracepoint_raises_attach_error():
    src = ('#include "lbc.h"\nSEC("tp/sched/no_such_event")\n'
           'int t(void *ctx) { return 0; }\nchar LICENSE[] SEC("license") = "GPL";\n')
    with pytest.raises(AttachError, match="tracepoint 'sched:no_such_event' does not exist"):
        Program(src, name="notp")


@pytest.mark.skipif(os.path.exists("/sys/bus/event_source/devices/kprobe"),
                    reason="this kernel has kprobes")
def test_original_hello_kprobe_says_no_kprobe_support():
    with open(os.path.join(REPO, "examples", "hello.bpf.c")) as f:
        src = f.read()

    class Hello(ClbcBase):
        def __init__(self):
            super().__init__("hello", bpf_str=src)

    with pytest.raises(LoadError, match="no kprobe support") as ei:
        Hello()
    assert ei.value.errno == 95  # EOPNOTSUPP
