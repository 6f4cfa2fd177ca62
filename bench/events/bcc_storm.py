#!/usr/bin/python3
"""bench/events' BCC consumer: the storm's probe written for BCC (python3-bpfcc),
each event submitted through a perf buffer (PAGES per CPU) and counted.
Prints "ready" on stderr once attached, then "RECEIVED LOST" on stdout when N
were received or lost, or 2 s passed with none after the first.

Usage: bcc_storm.py N PAGES"""
import sys
import time

from bcc import BPF  # python3-bpfcc

PROG = r"""
struct storm_event { u64 seq; u64 ts; u32 pid; u32 cpu; u64 arg; char pad[32]; };
BPF_PERF_OUTPUT(storm);
BPF_ARRAY(seqs, u64, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getpgid)
{
    struct storm_event e = {};
    int zero = 0;
    u64 *s = seqs.lookup(&zero);

    if (args->pid != 0x7c0011bf || !s)
        return 0;
    e.seq = __sync_fetch_and_add(s, 1);
    e.ts = bpf_ktime_get_ns();
    e.pid = bpf_get_current_pid_tgid() >> 32;
    e.cpu = bpf_get_smp_processor_id();
    e.arg = args->pid;
    storm.perf_submit(args, &e, sizeof(e));
    return 0;
}
"""


def main():
    n, pages = int(sys.argv[1]), int(sys.argv[2])
    got, lost = [0], [0]
    b = BPF(text=PROG)

    def on_event(cpu, data, size):
        got[0] += 1

    def on_lost(cnt):
        lost[0] += cnt

    b["storm"].open_perf_buffer(on_event, page_cnt=pages, lost_cb=on_lost)
    print("ready", file=sys.stderr, flush=True)
    end, seen, idle = time.monotonic() + 30, 0, 0.0
    while got[0] + lost[0] < n and time.monotonic() < (idle + 2 if got[0] else end):
        b.perf_buffer_poll(timeout=100)
        if got[0] != seen:
            seen, idle = got[0], time.monotonic()
    print(got[0], lost[0], flush=True)


if __name__ == "__main__":
    main()
