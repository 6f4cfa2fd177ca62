"""Run-time parameters: Program(globals={...}) sets the program's globals
before load, as `coolbpf run --set` does; the events of this process's
getppid() calls carry what the kernel got (tests/data/params.bpf.c)."""
import os

import pytest

from pylcc import Program
from pylcc.lbcBase import ClbcBase

from conftest import DATA

PARAMS = os.path.join(DATA, "params.bpf.c")


def mine(p):
    os.getppid()
    for ev in p.events("events", timeout=5):
        if ev.pid == os.getpid():
            return ev
    pytest.fail("no event of this process")


def test_globals_reach_the_kernel():
    with Program(PARAMS, globals={"target_pid": os.getpid(), "small": "0x7f", "verbose": True,
                                  "mode": "MODE_PID", "comm": "pylcc", "counter": -5}) as p:
        ev = mine(p)
        assert ev.target_pid == os.getpid()
        assert ev.small == 0x7f and ev.verbose is True and ev.counter == -5
        assert ev.comm == "pylcc"
        assert ev.mode in ("MODE_PID", 5)


def test_defaults_without_globals():
    with Program(PARAMS) as p:
        ev = mine(p)
        assert (ev.target_pid, ev.small, ev.comm, ev.counter) == (-1, 7, "any", 3)


def test_clbcbase_takes_globals_too():
    with open(PARAMS) as f:
        src = f.read()
    p = ClbcBase("params", bpf_str=src, globals={"small": 9})
    try:
        assert mine(p).small == 9
    finally:
        p.close()


@pytest.mark.parametrize("name,value,msg", [
    ("nope", 1, "has no global variable 'nope'; settable: target_pid (int)"),
    ("small", 256, "cannot set small (unsigned char, in .rodata): 256 is out of range [0, 255]"),
    ("mode", "MODE_X", "is not one of its enumerators: MODE_ALL, MODE_PID, MODE_NONE"),
    ("pair", 1, "'pair' is a struct pair, which cannot be set"),
])
def test_bad_globals_raise_naming_the_variable(name, value, msg):
    with pytest.raises(ValueError) as e:
        Program(PARAMS, globals={name: value})
    assert msg in str(e.value)
