"""Remote compile from the original API: ClbcBase(server=...) and
$LBC_SERVER send the source to a real coolbpfd on loopback, with the
script's own quoted headers inlined (the server sees only the request);
the second compile of the same source is the server's cache hit."""
import os
import sys

import pytest

from pylcc.errors import CompileError
from pylcc.lbcBase import ClbcBase

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "server"))
import lib as srvlib  # noqa: E402  (tests/server/lib.py: coolbpfd on 127.0.0.1:0)

SRC = r"""
#include "lbc.h"
#include "getpid_event.h"
LBC_PERF_OUTPUT(e_out, struct getpid_event, 128);
SEC("tp/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
    struct getpid_event e = { .pid = bpf_get_current_pid_tgid() >> 32, .tag = EVENT_TAG };

    bpf_get_current_comm(e.comm, sizeof(e.comm));
    bpf_perf_event_output(ctx, &e_out, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}
char _license[] SEC("license") = "GPL";
"""

HEADER = '#pragma once\n#include "tag.h"\nstruct getpid_event { u32 pid; u32 tag; char comm[16]; };\n'


@pytest.fixture(scope="module")
def server():
    s = srvlib.Server()
    yield s
    s.stop()


@pytest.fixture
def work(tmp_path, monkeypatch):
    (tmp_path / "getpid_event.h").write_text(HEADER)
    (tmp_path / "tag.h").write_text("#define EVENT_TAG 4242\n")
    monkeypatch.setenv("COOLBPF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COOLBPF_SERVER", raising=False)
    monkeypatch.delenv("LBC_SERVER", raising=False)
    return tmp_path


def _events_of(obj):
    """events of our own getpid calls, polled in 100 ms slices (2 s at most)"""
    import ctypes
    seen = []
    obj.maps["e_out"].open_perf_buffer(lambda cpu, data, size:
                                       seen.append(obj.getMap("e_out", data, size)))
    libc = ctypes.CDLL(None, use_errno=True)
    for _ in range(20):
        libc.syscall(39)  # getpid(2) on x86_64, not libc's cached value
        obj.maps["e_out"].perf_buffer_poll(100)
        if any(e.pid == os.getpid() for e in seen):
            break
    return [e for e in seen if e.pid == os.getpid()]


def _cache_hits(server):
    return server.metric('coolbpfd_compile_requests_total{outcome="cache_hit"}') or 0


def test_server_argument_sends_the_script_headers_and_events_arrive(server, work):
    class Remote(ClbcBase):
        def __init__(self):
            super().__init__("remote_hdr", bpf_str=SRC, server=server.url, workPath=str(work))

    hits = _cache_hits(server)
    obj = Remote()
    try:
        mine = _events_of(obj)
        assert mine and mine[0].tag == 4242, mine
    finally:
        obj.close()
    assert _cache_hits(server) == hits, "the first compile was a cache hit"
    obj = Remote()  # the same source again: the server's cache answers
    obj.close()
    assert _cache_hits(server) == hits + 1


def test_lbc_server_with_a_bpf_c_file_next_to_the_script(server, work, monkeypatch):
    (work / "filed.bpf.c").write_text(SRC)
    monkeypatch.setenv("LBC_SERVER", server.url)
    monkeypatch.setenv("PATH", "/nonexistent")  # no clang: it can only be remote

    class Filed(ClbcBase):
        def __init__(self):
            super().__init__("filed", workPath=str(work))

    obj = Filed()
    try:
        assert _events_of(obj)
    finally:
        obj.close()


def test_an_include_cycle_is_a_clear_error(server, work):
    (work / "tag.h").write_text('#include "loop.h"\n')
    (work / "loop.h").write_text('#include "tag.h"\n')
    with pytest.raises(CompileError, match=r"include cycle.*: cyc.bpf.c -> getpid_event.h -> tag.h -> loop.h -> tag.h "):
        ClbcBase("cyc", bpf_str=SRC, server=server.url, workPath=str(work))


def test_an_oversized_header_is_a_clear_error(server, work):
    (work / "tag.h").write_text("/*" + "x" * (300 * 1024) + "*/\n")
    with pytest.raises(CompileError, match=r"tag\.h.*256 KiB"):
        ClbcBase("big", bpf_str=SRC, server=server.url, workPath=str(work))
