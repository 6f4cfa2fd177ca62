#!/usr/bin/python3
"""execsnoop on pylcc, as bench/bindings runs it beside the C, Rust and Go
ones: every exec() of the machine, one line each.
   PYTHONPATH=python bench/bindings/execsnoop.py examples/execsnoop.bpf.c"""
import sys

import pylcc


def main():
    with pylcc.Program(sys.argv[1]) as p:
        print("tracing exec() with %s; Ctrl-C to stop" % p.name, file=sys.stderr)
        print("%-16s %-7s %-7s %-6s FILENAME" % ("PCOMM", "PID", "PPID", "UID"))
        try:
            for ev in p.events("events"):
                print("%-16s %-7d %-7d %-6d %s" % (ev.comm, ev.pid, ev.ppid, ev.uid, ev.filename))
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
