#!/usr/bin/python3
"""A small pylcc tool in the original API's eventOut style (ClbcBase +
CeventThread, kernel code in a string), on a tracepoint so it runs where
kprobes are not allowed. Counts COUNT exec events, then prints its own
peak RSS (VmHWM) in kB. Run by bench/bindings/rss."""
import os
import sys

from pylcc.lbcBase import ClbcBase, CeventThread

from evprog import PROG, storm


class ExecOut(ClbcBase):
    def __init__(self, count):
        super().__init__("evtool", bpf_str=PROG)
        self.count = count
        self.seen = 0
        self.me = os.getpid()

    def _cb(self, cpu, e):
        if e.ppid == self.me:
            self.seen += 1


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    t = ExecOut(count)
    CeventThread(t, "e_out", t._cb)
    return storm(count, lambda: t.seen)


if __name__ == "__main__":
    sys.exit(main())
