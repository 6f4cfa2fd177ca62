"""Loss is counted, per map, kernel side (lost) apart from user space
(dropped): a program floods a 16 KB ring buffer and a one-page perf buffer
and counts what it sent; received + lost + dropped must be exactly that,
through the new API (Program, EventMap.lost/.dropped, Program.dropped())
and the original one (ClbcBase with CeventThread consumers)."""
import ctypes as ct
import os
import threading
import time

from pylcc import Program
from pylcc.lbcBase import CeventThread, ClbcBase

SRC = r"""
#include "lbc.h"
struct ev_t { u64 seq; u64 pad[7]; };
#ifndef RING_BYTES
#define RING_BYTES 16384
#endif
LBC_RINGBUF(rb, struct ev_t, RING_BYTES);
LBC_PERF_OUTPUT(pb, struct ev_t, 128);
LBC_ARRAY(sent, u32, u64, 2);

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
    struct ev_t e = {};
    u32 k0 = 0, k1 = 1;
    u64 *n;

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    n = bpf_map_lookup_elem(&sent, &k0);
    if (n)
        e.seq = __sync_fetch_and_add(n, 1);
    bpf_ringbuf_output(&rb, &e, sizeof(e), 0);
    n = bpf_map_lookup_elem(&sent, &k1);
    if (n)
        e.seq = __sync_fetch_and_add(n, 1);
    bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}
char LICENSE[] SEC("license") = "GPL";
"""

FLOOD = 20000
libc = ct.CDLL(None)


def flood(n=FLOOD):
    for _ in range(n):
        libc.getppid()


def sent_of(p):
    """what the program sent into rb and pb (its own counters)"""
    return {"rb": p.maps["sent"][0], "pb": p.maps["sent"][1]}


def consume(p, got):
    """count each map's events: seq numbers, to see none comes twice"""
    for name in ("rb", "pb"):
        p.maps[name].open_perf_buffer(
            lambda cpu, data, size, name=name: got[name].append(p.maps[name].event(data).seq))


def drain(p, got, sent, timeout=20):
    """poll until every record is received, lost or dropped (or timeout)"""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if all(len(got[m]) + p.maps[m].lost + p.maps[m].dropped >= sent[m] for m in got):
            break
        p.poll(50)
    p.poll(0)


def check_sums(p, got, sent):
    for m in ("rb", "pb"):
        lost, dropped = p.dropped()[m]
        assert (lost, dropped) == (p.maps[m].lost, p.maps[m].dropped)
        assert len(got[m]) + lost + dropped == sent[m], (m, len(got[m]), lost, dropped, sent[m])
        assert len(set(got[m])) == len(got[m]), m  # none twice
        assert all(0 <= s < sent[m] for s in got[m]), m


def test_no_queue_kernel_loss_counted_exactly():
    """queue_size=0: nothing reads the buffers while the flood runs, so
    the kernel refuses most records: all counted as lost, none dropped"""
    with Program(source=SRC, name="flood", defines={"TARGET": os.getpid()}, queue_size=0,
                 perf_pages=1) as p:
        got = {"rb": [], "pb": []}
        consume(p, got)
        flood()
        sent = sent_of(p)
        assert sent == {"rb": FLOOD, "pb": FLOOD}
        drain(p, got, sent)
        check_sums(p, got, sent)
        for m in ("rb", "pb"):
            assert p.maps[m].dropped == 0, m
            assert p.maps[m].lost > FLOOD // 2, (m, p.maps[m].lost)
            assert len(got[m]) > 0, m


def test_small_queue_drops_counted_apart_from_lost(capsys):
    """a 64 KB queue that Python does not read during the flood, behind
    kernel buffers that hold more (a 1 MB ring, 64 pages of perf buffer):
    the drain thread takes the kernel's records and drops what the queue
    cannot hold, counted as dropped, said on stderr"""
    with Program(source=SRC, name="flood", defines={"TARGET": os.getpid(), "RING_BYTES": 1 << 20},
                 queue_size=64 << 10, perf_pages=64) as p:
        got = {"rb": [], "pb": []}
        consume(p, got)
        flood()
        time.sleep(0.2)  # the drain thread empties the kernel's buffers
        sent = sent_of(p)
        drain(p, got, sent)
        check_sums(p, got, sent)
        for m in ("rb", "pb"):
            assert p.maps[m].dropped > 0, (m, p.dropped())
            # the queue holds at most 64 KB of 64-byte records (+ a header)
            assert len(got[m]) <= (64 << 10) // 64, (m, len(got[m]))
    err = capsys.readouterr().err
    assert "pylcc: map 'rb': " in err and "events dropped so far (the user-space queue was " \
        "full: give a larger queue_size, or consume faster)" in err, err


def test_original_api_event_threads_count_what_they_miss():
    """ClbcBase + a CeventThread per map, polling while the flood runs:
    each thread's (lost, dropped) and what its callback got add up to what
    the program sent"""
    class Flood(ClbcBase):
        def __init__(self):
            super().__init__("flood", bpf_str=SRC, env="-DTARGET=%d" % os.getpid(),
                             queue_size=64 << 10)

    got = {"rb": [], "pb": []}
    flooded = threading.Event()

    def take(m, e):
        # the first event of each map waits for the whole flood: the
        # 64 KB queue behind it must then drop, on any machine's pace
        flooded.wait(30)
        got[m].append(e.seq)

    t = Flood()
    try:
        threads = {m: CeventThread(t, m, lambda cpu, e, m=m: take(m, e)) for m in got}
        flood()
        flooded.set()
        sent = sent_of(t)
        end = time.monotonic() + 20
        while time.monotonic() < end and any(
                len(got[m]) + sum(threads[m].dropped) < sent[m] for m in got):
            time.sleep(0.05)
        for m in got:
            lost, dropped = threads[m].dropped
            assert len(got[m]) + lost + dropped == sent[m], (m, len(got[m]), lost, dropped)
            assert len(set(got[m])) == len(got[m]), m
        # a 16 KB ring, a 64 KB queue and callbacks held back: some must be missed
        assert sum(sum(threads[m].dropped) for m in got) > 0, {m: threads[m].dropped for m in got}
    finally:
        t.close()
