# Shared helpers of the coolbpfd tests: start a real server on 127.0.0.1
# with a free port (--listen 127.0.0.1:0, the port read from its log),
# raw HTTP over loopback, and check lists printing "N passed, N failed".
# Every wait has a bound; servers, their temp dirs and other files made
# for a test are removed when the test exits, also on a failure or SIGTERM.
import atexit
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
COOLBPFD = os.path.join(ROOT, BUILD, "bin", "coolbpfd")
COOLBPF = os.path.join(ROOT, BUILD, "bin", "coolbpf")
HELLO = open(os.path.join(ROOT, "examples", "hello.bpf.c")).read()

# paths to remove and servers to stop when the test exits
_remove = []
_servers = []


def remove_at_exit(path):
    _remove.append(path)
    return path


@atexit.register
def _cleanup():
    for s in _servers:
        s.stop(signal.SIGKILL)
    for path in _remove:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)


def _on_sigterm(sig, frame):
    raise SystemExit(128 + sig)  # unwinds through finally and atexit


signal.signal(signal.SIGTERM, _on_sigterm)


def run(argv, timeout=120, **kw):
    """subprocess.run capturing text output, with a time limit: a command
    that overruns it is killed and returns status 124 and a message"""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", "timed out: %s: still running after "
                                           "%d s, killed" % (" ".join(argv), timeout))


def processes():
    """{pid: (ppid, process group, command line)} of every process now"""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read().rsplit(")", 1)[1].split()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        if st[0] != "Z":
            out[int(d)] = (int(st[1]), int(st[2]), cmd)
    return out


def descendants(pid, procs=None):
    """the processes below pid, from processes()"""
    procs = procs if procs is not None else processes()
    found, todo = {}, [pid]
    while todo:
        p = todo.pop()
        for c, info in procs.items():
            if info[0] == p and c not in found:
                found[c] = info
                todo.append(c)
    return found


class Server:
    START_S = 20

    def __init__(self, *args, cache=None, listen="127.0.0.1:0"):
        self.tmp = remove_at_exit(tempfile.mkdtemp(prefix="coolbpfd-test-"))
        self.cache = cache or os.path.join(self.tmp, "cache")
        self.logpath = os.path.join(self.tmp, "log")
        self.log = open(self.logpath, "w+")
        self.host = "127.0.0.1"
        self.proc = subprocess.Popen(
            [COOLBPFD, "--listen", listen, "--cache", self.cache] + list(args),
            stderr=self.log, stdout=subprocess.DEVNULL)
        _servers.append(self)
        self.port = None
        end = time.monotonic() + self.START_S
        while time.monotonic() < end:
            text = open(self.logpath).read()
            m = re.search(r"listening on \[?([0-9a-f.:]+?)\]?:(\d+) ", text)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                break
            if self.proc.poll() is not None:
                raise RuntimeError("coolbpfd exited: " + text)
            time.sleep(0.05)
        if not self.port:
            self.stop(signal.SIGKILL)
            raise RuntimeError("timed out: coolbpfd did not say 'listening on' within %d s: %s"
                               % (self.START_S, open(self.logpath).read()))
        self.url = "http://%s:%d" % ("[%s]" % self.host if ":" in self.host else self.host,
                                      self.port)

    def request(self, method, path, body=None, headers=None, timeout=60, source=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout,
                                       source_address=(source, 0) if source else None)
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def compile(self, body, **kw):
        return self.request("POST", "/v1/compile", body, **kw)

    def connect(self, source="127.0.0.1", timeout=10):
        """A TCP connection from a loopback address of our choice (each
        127.0.0.0/8 address is a client of its own for the caps)."""
        return socket.create_connection((self.host, self.port), timeout=timeout,
                                        source_address=(source, 0))

    def raw(self, data, timeout=10, delay=None, source="127.0.0.1"):
        """Send raw bytes (in pieces with a delay between them when delay
        is set); return everything the server answers until it closes."""
        s = self.connect(source, timeout)
        out = b""
        try:
            try:
                if delay is None:
                    s.sendall(data)
                else:
                    for piece in data:
                        s.sendall(piece)
                        time.sleep(delay)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                # The server may answer (431, 413, ...) and close before it
                # has read all we send: its answer is still to be read.
                pass
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
            return out
        except OSError as e:  # reset, broken pipe, timeout, not connected
            return out or ("<%s>" % type(e).__name__).encode()
        finally:
            s.close()

    def healthy(self, source=None):
        try:
            return self.request("GET", "/healthz", timeout=10, source=source) == (200, b"ok\n")
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("coolbpfd did not end within 30 s of signal %d: killed" % sig)
                self.proc.kill()
                self.proc.wait(timeout=30)
        return self.proc.returncode

    def logtext(self):
        return open(self.logpath).read()

    def metric(self, name):
        """The value of one /metrics line (name with its labels), or None."""
        st, body = self.request("GET", "/metrics", timeout=10)
        for line in body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return None

    def rss_kb(self):
        for line in open("/proc/%d/status" % self.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def make_secret():
    """A root-only file with a random token under /tmp."""
    token = "COOLBPFD-SECRET-" + secrets.token_hex(16)
    fd, path = tempfile.mkstemp(prefix="coolbpfd-secret-", dir="/tmp")
    remove_at_exit(path)
    os.write(fd, (token + "\n").encode())
    os.close(fd)
    os.chmod(path, 0o600)
    return path, token


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS: " + name)
        else:
            self.failed += 1
            print("FAIL: " + name + (": " + str(detail)[:800] if detail else ""))

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def b64(s):
    return base64.b64decode(s)
