#!/usr/bin/python3
"""evtool.py's job through bench/bindings/floor.c instead of pylcc: the
same program, events decoded to JSON by libcoolbpf and to attribute
objects by _json's scanner, a Python thread polling; no ctypes. Prints
events and its peak RSS. Run by bench/bindings/rss with the extension's
directory first on PYTHONPATH."""
import os
import sys
import _thread
from _json import make_scanner

import _floor
from evprog import PROG, storm


class Struct(dict):
    __getattr__ = dict.__getitem__


class _ScanContext:
    strict, object_pairs_hook, object_hook = True, None, Struct
    parse_float, parse_int, parse_constant, memo = float, int, float, None


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    scan, me, seen = make_scanner(_ScanContext()), os.getpid(), [0]

    def on_event(cpu, text):
        if scan(text, 0)[0].ppid == me:
            seen[0] += 1

    obj = _floor.open("evtool", PROG, on_event)

    def poll():
        while True:
            _floor.poll(obj, 100)

    _thread.start_new_thread(poll, ())
    return storm(count, lambda: seen[0])


if __name__ == "__main__":
    sys.exit(main())
