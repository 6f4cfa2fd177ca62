"""The bounds conftest.py puts on every test of this suite, checked on a
pytest run of their own: a test over PYLCC_TEST_TIMEOUT fails saying so,
and SIGTERM ends a run through the tests' cleanup."""
import os
import signal
import subprocess
import sys
import time

CONFTEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conftest.py")


def _suite(tmp_path, body):
    """tmp_path as a test directory with this suite's conftest.py and one test"""
    (tmp_path / "conftest.py").write_text("exec(open(%r).read())\n" % CONFTEST)
    (tmp_path / "test_one.py").write_text(body)
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]


def test_a_test_over_its_time_fails_saying_so(tmp_path):
    argv = _suite(tmp_path, "import time\n\ndef test_sleeps():\n    time.sleep(60)\n")
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYLCC_TEST_TIMEOUT="1"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "timed out: the test ran over 1 s (PYLCC_TEST_TIMEOUT)" in r.stdout, r.stdout
    assert "1 failed" in r.stdout
    assert time.monotonic() - t0 < 30


def test_sigterm_ends_the_run_through_cleanup(tmp_path):
    started, cleaned = tmp_path / "started", tmp_path / "cleaned"
    # started by the test's body, so that the fixture's setup is over when
    # SIGTERM comes (a SIGTERM within the setup has no cleanup to run)
    argv = _suite(tmp_path, "import pytest, time\n\n"
                            "@pytest.fixture\n"
                            "def res():\n"
                            "    yield\n"
                            "    open(%r, 'w').close()\n\n"
                            "def test_sleeps(res):\n"
                            "    open(%r, 'w').close()\n"
                            "    time.sleep(60)\n" % (str(cleaned), str(started)))
    with open(tmp_path / "out", "w+") as out:
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            end = time.monotonic() + 30
            while not started.exists() and time.monotonic() < end and p.poll() is None:
                time.sleep(0.05)
            assert started.exists(), "the test did not start within 30 s"
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        out.seek(0)
        text = out.read()
    assert cleaned.exists(), "the fixture's cleanup did not run:\n" + text
    assert p.returncode != 0, text
