# Shared helpers of the coolbpfd tests: start a real server on 127.0.0.1
# with a free port (--listen 127.0.0.1:0, the port read from its log),
# raw HTTP over loopback, and check lists printing "N passed, N failed".
import base64
import http.client
import json
import os
import re
import secrets
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


class Server:
    def __init__(self, *args, cache=None, listen="127.0.0.1:0"):
        self.tmp = tempfile.mkdtemp(prefix="coolbpfd-test-")
        self.cache = cache or os.path.join(self.tmp, "cache")
        self.logpath = os.path.join(self.tmp, "log")
        self.log = open(self.logpath, "w+")
        self.host = "127.0.0.1"
        self.proc = subprocess.Popen(
            [COOLBPFD, "--listen", listen, "--cache", self.cache] + list(args),
            stderr=self.log, stdout=subprocess.DEVNULL)
        self.port = None
        for _ in range(400):
            text = open(self.logpath).read()
            m = re.search(r"listening on \[?([0-9a-f.:]+?)\]?:(\d+) ", text)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                break
            if self.proc.poll() is not None:
                raise RuntimeError("coolbpfd exited: " + text)
            time.sleep(0.05)
        if not self.port:
            raise RuntimeError("coolbpfd did not start")
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
        try:
            if delay is None:
                s.sendall(data)
            else:
                for piece in data:
                    s.sendall(piece)
                    time.sleep(delay)
            s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
            return out
        except OSError as e:  # reset, broken pipe, timeout, not connected
            return ("<%s>" % type(e).__name__).encode()
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
                self.proc.kill()
                self.proc.wait()
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
