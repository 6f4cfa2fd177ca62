"""Names of the original pylcc that its guide scripts use: lbcStack,
perfEvent's classes, attachJavaSym, CexecCmd, lbcMaps.CffiTrans."""
import ctypes as ct
import os
import subprocess
import time

import pytest

from pylcc.lbcBase import ClbcBase, CexecCmd
from pylcc.lbcStack import ClbcUstack, getKStacks
from pylcc import perfEvent as pe

from test_attach_errors import STACK_SRC  # stacks of sched_switch in "stacks", ids in "ids"

BP_SRC = r"""
#include "lbc.h"
LBC_ARRAY(hits, u32, u64, 1);
SEC("perf_event")
int on_bp(void *ctx)
{
    u32 k = 0;
    u64 *v = bpf_map_lookup_elem(&hits, &k);

    if (v)
        __sync_fetch_and_add(v, 1);
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""


class _Ksym:
    """the shape of surftrace's CelfKsym that the original's callers pass"""

    def __init__(self):
        self.asked = 0

    def ksymSearch(self, addr):
        self.asked += 1
        return "k%x" % addr, 0


def test_kernel_stacks_are_bare_names_as_the_original():
    class Stacks(ClbcBase):
        def __init__(self):
            super().__init__("stacks", bpf_str=STACK_SRC)

    s = Stacks()
    try:
        subprocess.run(["/bin/sleep", "0.01"], check=True)
        ids = s.maps["ids"].getKeys()
        assert ids
        st = s.maps["stacks"]
        names = getKStacks(st, ids[0], None)
        assert names and all("+" not in n and " " not in n for n in names), names
        assert any("schedule" in n for i in ids for n in getKStacks(st, i, None)), names
        assert st.getStacks(ids[0]) == names
        assert getKStacks(st, ids[0], None, 2) == names[:2]
        assert all("+0x" in f for f in st.getStacks(ids[0], offsets=True))
        ks = _Ksym()
        assert getKStacks(st, ids[0], ks) == ["k%x" % a for a in st.getArr(ids[0]) if a]
        assert ks.asked == len(names)
        # a stack that is not there: [] here, TypeError from getStacks as the
        # original (netCollect catches it)
        assert getKStacks(st, 0x7fffffff, None) == []
        with pytest.raises(TypeError):
            st.getStacks(0x7fffffff, 2)
    finally:
        s.close()


def test_user_stack_frames_sym_plus_offset():
    libc = ct.CDLL(None)
    getpid = ct.cast(libc.getpid, ct.c_void_p).value
    frames = ClbcUstack(os.getpid(), [getpid, getpid + 4, 0, getpid]).dumpStacks()
    assert len(frames) == 2, frames  # stops at the first 0
    assert frames[0] in ("getpid + 0x0", "__getpid + 0x0"), frames
    assert frames[1].endswith(" + 0x4")
    assert ClbcUstack(os.getpid(), [1]).dumpStacks() == []  # not mapped: stops


def test_perf_event_names():
    assert pe.PerfHWConfig.INSTRUCTIONS == pe.PerfHwIds.INSTRUCTIONS == 1
    assert pe.PerfHWCacheId.NODE == 6 and pe.PerfHWCacheOpId.PREFETCH == 2
    assert pe.PerfHWCacheOpResultId.MISS == 1
    assert pe.PerfFlag.FD_CLOEXEC == 8 and pe.PerfFlag.PID_CGROUP == 4
    assert pe.PerfEventSampleFormat.CALLCHAIN == 32 and pe.PerfEventSampleFormat.READ == 16
    assert pe.PerfEventSampleFormat.WEIGHT_STRUCT == 1 << 24
    assert pe.PerfBranchSampleType.HW_INDEX == 1 << 17
    assert pe.PerfEventReadFormat.GROUP == 8 and pe.PerfBreakPointLen.LEN_8 == 8
    assert pe.PERF_ATTR_SIZE_VER5 == 112 and pe.PERF_ATTR_SIZE_VER7 == ct.sizeof(pe.PerfEventAttr)


def _fake_perf_map(pid, sym, entry):
    path = "/tmp/perf-%d.map" % pid
    with open(path, "w") as f:
        f.write("%x 40 other::method()\n%x 100 %s\n" % (entry + 0x1000, entry, sym))
    return path


def test_attach_java_sym_breakpoint_on_the_jit_address():
    """attachJavaSym on this process with a perf map naming libc's getppid
    (0x20 before it, as the original puts the breakpoint 0x20 past a JIT
    method's start): every call of getppid runs the program."""
    libc = ct.CDLL(None)
    entry = ct.cast(libc.getppid, ct.c_void_p).value - 0x20

    class Java(ClbcBase):
        def __init__(self):
            super().__init__("javabp", bpf_str=BP_SRC, attach=0)

    path = _fake_perf_map(os.getpid(), "Lfoo;::bar()", entry)
    j = Java()
    try:
        with pytest.raises(Exception, match="not in map"):
            j.attachJavaSym("on_bp", os.getpid(), "Lfoo;::nothere()")
        try:
            j.attachJavaSym("on_bp", os.getpid(), "Lfoo;::bar()")
        except Exception as e:  # a VM without hardware breakpoints
            if "No such device" in str(e) or "Operation not supported" in str(e):
                pytest.skip("no hardware breakpoints here: %s" % e)
            raise
        for _ in range(10):
            libc.getppid()
        time.sleep(0.05)
        assert j.maps["hits"].getKeyValue(0) >= 10
    finally:
        j.close()
        os.unlink(path)
    with pytest.raises(Exception, match="can not find java maps"):
        Java().attachJavaSym("on_bp", 0x7ffffff0, "x")


def test_cexeccmd_on_class_and_instance():
    assert CexecCmd.cmd("echo  hi there ") == "hi there"
    assert CexecCmd().cmd("printf 'a\\n'") == "a"
    assert CexecCmd.system("echo sh; echo $((1+2))") == "sh\n3\n"


def test_cffi_trans_as_the_original():
    cffi = pytest.importorskip("cffi")
    from pylcc.lbcMaps import CffiTrans, CffiValue
    ffi = cffi.FFI()
    ffi.cdef("struct c { int a; }; struct s { struct c cs[2]; struct c *p; int n[3];"
             " char name[8]; char names[2][4]; union { unsigned int a; unsigned short b; } u;"
             " double d; };")
    t = CffiTrans(ffi)
    assert t.value(ffi.new("int *", -5)) == -5
    assert t.value(ffi.new("void **")).startswith("point:")
    assert t.value(ffi.new("int [2][2]", [[1, 2], [3, 4]])) == [[1, 2], [3, 4]]
    s = ffi.new("struct s *")
    s.cs[1].a = 7
    s.n = [1, 2, 3]
    s.name = b"bash"
    s.names[1] = b"sh"
    s.u.a = 0x12345678
    s.d = 2.5
    v = t.value(s)
    assert isinstance(v, CffiValue) and v.cs[1].a == 7 and v.n == [1, 2, 3]
    assert v.name == b"bash" and v.names == [b"", b"sh"]  # bytes, as the original on Python 3
    assert v.p == "point:struct c *" and v.u.b == 0x5678 and v.d == 2.5
    assert "cs" in repr(v)
