"""Values of the original API as the original pylcc gave them on Python 3
(cffi: ffi.string() of a char array is bytes, an enum field an int, a
struct a CffiValue printed as a dict of its members in name order), and
the modern Program API's str and enum names on the same program."""
import ctypes as ct
import os

from pylcc import Program
from pylcc.lbcBase import ClbcBase

SRC = r"""
#include "lbc.h"
enum colour { RED = 3, GREEN = 5 };
struct ev { u32 pid; enum colour c; char comm[16]; unsigned char raw[2]; };
LBC_PERF_OUTPUT(e_out, struct ev, 64);
LBC_HASH(by_pid, u32, struct ev, 64);
SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
    struct ev e = { .pid = bpf_get_current_pid_tgid() >> 32, .c = GREEN, .raw = { 1, 255 } };

    bpf_get_current_comm(e.comm, sizeof(e.comm));
    bpf_map_update_elem(&by_pid, &e.pid, &e, BPF_ANY);
    bpf_perf_event_output(ctx, &e_out, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}
char _license[] SEC("license") = "GPL";
"""

PR_SET_NAME = 15
NAME = b"\xffpy\xc3\xa9t"  # not UTF-8 (0xff), then UTF-8 (c3 a9): bytes kept as they are


def _mine(obj):
    seen = []
    obj.maps["e_out"].open_perf_buffer(lambda cpu, data, size:
                                       seen.append(obj.maps["e_out"].event(data)))
    libc = ct.CDLL(None, use_errno=True)
    old = open("/proc/self/comm", "rb").read().rstrip(b"\n")
    libc.prctl(PR_SET_NAME, ct.c_char_p(NAME), 0, 0, 0)
    try:
        for _ in range(20):
            libc.syscall(110)  # getppid(2) on x86_64
            obj.maps["e_out"].perf_buffer_poll(100)
            if any(e.pid == os.getpid() for e in seen):
                break
    finally:
        libc.prctl(PR_SET_NAME, ct.c_char_p(old), 0, 0, 0)
    return [e for e in seen if e.pid == os.getpid()]


def test_original_api_gives_bytes_ints_and_dict_prints():
    class T(ClbcBase):
        def __init__(self):
            super().__init__("cvals", bpf_str=SRC)

    t = T()
    try:
        mine = _mine(t)
        assert mine
        e = mine[0]
        assert e.comm == NAME and isinstance(e.comm, bytes)
        assert e.c == 5
        assert e.raw == [1, 255]
        assert repr(e) == str({"c": 5, "comm": NAME, "pid": os.getpid(), "raw": [1, 255]})
        v = t.maps["by_pid"].get()[os.getpid()]
        assert v.comm == NAME and v.c == 5
        assert "comm:%s" % v.comm == "comm:%s" % NAME  # the guide's prints: b'...'
    finally:
        t.close()


def test_modern_api_keeps_str_and_enum_names():
    with Program(SRC, name="cvals_modern") as p:
        mine = _mine(p)
        assert mine
        e = mine[0]
        assert isinstance(e.comm, str) and e.comm.endswith("pyét")
        assert e.c == "GREEN"
