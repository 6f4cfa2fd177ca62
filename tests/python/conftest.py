"""pylcc tests load real programs into the running kernel (root needed).
The library under test is $COOLBPF_LIB, else $BUILD/lib (tests/run-all
exports BUILD), else build/lib."""
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if "COOLBPF_LIB" not in os.environ:
    os.environ["COOLBPF_LIB"] = os.path.join(REPO, os.environ.get("BUILD", "build"), "lib",
                                             "libcoolbpf.so.0")
sys.path.insert(0, os.path.join(REPO, "python"))

DATA = os.path.join(REPO, "tests", "data")


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="loading BPF programs needs root")
        for item in items:
            item.add_marker(skip)


@pytest.fixture
def compat_src():
    with open(os.path.join(DATA, "pylcc_compat.bpf.c")) as f:
        return f.read()
