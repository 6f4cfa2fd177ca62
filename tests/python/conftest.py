"""pylcc tests load real programs into the running kernel (root needed).
The library under test is $COOLBPF_LIB, else $BUILD/lib (tests/run-all
exports BUILD), else build/lib. Each test has PYLCC_TEST_TIMEOUT seconds
(default 120); SIGTERM stops the run as Ctrl-C would, through every
test's cleanup."""
import os
import signal
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if "COOLBPF_LIB" not in os.environ:
    os.environ["COOLBPF_LIB"] = os.path.join(REPO, os.environ.get("BUILD", "build"), "lib",
                                             "libcoolbpf.so.0")
sys.path.insert(0, os.path.join(REPO, "python"))

DATA = os.path.join(REPO, "tests", "data")
TEST_TIMEOUT_S = int(os.environ.get("PYLCC_TEST_TIMEOUT", "120"))


def _interrupt(sig, frame):
    raise KeyboardInterrupt("SIGTERM")


signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(autouse=True)
def _bounded():
    """a test that runs over TEST_TIMEOUT_S fails, saying so"""
    def expired(sig, frame):
        raise TimeoutError("timed out: the test ran over %d s (PYLCC_TEST_TIMEOUT)"
                           % TEST_TIMEOUT_S)
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIMEOUT_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="loading BPF programs needs root")
        for item in items:
            item.add_marker(skip)


@pytest.fixture
def compat_src():
    with open(os.path.join(DATA, "pylcc_compat.bpf.c")) as f:
        return f.read()
