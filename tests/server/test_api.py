#!/usr/bin/env python3
# coolbpfd's HTTP API against the real server on loopback: success, cache
# hit, min BTF, BTF archive, every error status, metrics, the per-request
# log line, SIGTERM drain, cache eviction, and the coolbpf client.
import hashlib
import json
import os
import shutil
import signal
import threading
import time

from lib import COOLBPF, HELLO, Checks, Server, b64, descendants, processes, remove_at_exit, run

t = Checks()
RUNNING = os.uname().release
ARCH = os.uname().machine
btf_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       os.environ.get("BUILD", "build"), "server-test-btf")
shutil.rmtree(btf_dir, ignore_errors=True)
os.makedirs(os.path.join(btf_dir, ARCH))
remove_at_exit(btf_dir)
shutil.copyfile("/sys/kernel/btf/vmlinux", os.path.join(btf_dir, ARCH, "6.1.0-test-amd64.btf"))
# an entry as the project's own archive makes it: <arch>/<release>.btf.gz
added = run([COOLBPF, "btf", "archive", "add", "/sys/kernel/btf/vmlinux", "--release",
             "6.1.0-gz-amd64", "--dir", btf_dir])
assert added.returncode == 0, added.stderr

s = Server("--btf-dir", btf_dir, "--workers", "2")
try:
    st, body = s.request("GET", "/healthz")
    t.check("GET /healthz answers 200 ok", (st, body) == (200, b"ok\n"), (st, body))

    st, body = s.compile({"source": HELLO, "kernel": RUNNING, "arch": ARCH})
    r = json.loads(body) if st == 200 else {}
    obj = b64(r.get("object", ""))
    t.check("a compile answers 200 with an ELF object", st == 200 and obj[:4] == b"\x7fELF", body[:300])
    t.check("sha256 is the object's", r.get("sha256") == hashlib.sha256(obj).hexdigest())
    t.check("first compile is not cached", r.get("cached") is False)
    t.check("the running kernel's min BTF is returned", r.get("btf") and b64(r["btf"])[:2] == b"\x9f\xeb", str(r.get("btf"))[:80])

    st2, body2 = s.compile({"source": HELLO, "kernel": RUNNING, "arch": ARCH})
    r2 = json.loads(body2) if st2 == 200 else {}
    t.check("an identical request is served from the cache", st2 == 200 and r2.get("cached") is True
            and r2.get("sha256") == r.get("sha256"), body2[:200])
    st3, body3 = s.compile({"source": HELLO})
    t.check("kernel and arch default to the server's (same cache entry)",
            st3 == 200 and json.loads(body3).get("cached") is True, body3[:200])

    st, body = s.compile({"source": HELLO, "kernel": "6.1.0-test-amd64", "arch": ARCH})
    r = json.loads(body) if st == 200 else {}
    t.check("a kernel from --btf-dir gets its min BTF", st == 200 and r.get("btf"), body[:300])
    st, body = s.compile({"source": HELLO, "kernel": "6.1.0-gz-amd64", "arch": ARCH})
    r = json.loads(body) if st == 200 else {}
    t.check("a kernel of 'coolbpf btf archive add' (.btf.gz) compiles with its BTF: min BTF returned",
            st == 200 and r.get("btf") and b64(r["btf"])[:2] == b"\x9f\xeb"
            and "no BTF for kernel" not in r.get("log", ""), body[:300])
    t.check("its object is made for that release (.lbc.target)",
            b"6.1.0-gz-amd64\0" in b64(r.get("object", "")), body[:200])
    st, body = s.request("GET", "/v1/btf/%s/6.1.0-gz-amd64" % ARCH)
    t.check("GET /v1/btf serves a .btf.gz entry as raw BTF",
            st == 200 and body == open("/sys/kernel/btf/vmlinux", "rb").read(), (st, body[:40]))
    st, body = s.compile({"source": HELLO, "kernel": "5.4.0-nobtf", "arch": ARCH})
    r = json.loads(body) if st == 200 else {}
    t.check("a kernel without BTF compiles with the default BTF and says so",
            st == 200 and r.get("btf") is None and "no BTF for kernel 5.4.0-nobtf" in r.get("log", ""), body[:300])

    st, body = s.request("GET", "/v1/btf/%s/6.1.0-test-amd64" % ARCH)
    t.check("GET /v1/btf serves the archive's raw BTF",
            st == 200 and body == open("/sys/kernel/btf/vmlinux", "rb").read())
    st, body = s.request("GET", "/v1/btf/%s/%s" % (ARCH, RUNNING))
    t.check("GET /v1/btf serves the running kernel's BTF", st == 200 and body[:2] == b"\x9f\xeb")
    st, body = s.request("GET", "/v1/btf/%s/9.9.9-none" % ARCH)
    t.check("GET /v1/btf of an unknown kernel is 404", st == 404, (st, body))

    st, body = s.compile({"source": "int f(void) { return undeclared; }"})
    r = json.loads(body) if body.startswith(b"{") else {}
    t.check("a compile error is 422 with clang's diagnostics",
            st == 422 and "undeclared" in r.get("log", "") and r.get("error"), (st, body[:300]))
    st, body = s.compile(b"{not json")
    t.check("malformed JSON is 400 with an error", st == 400 and b'"error"' in body, (st, body))
    st, body = s.request("GET", "/v1/compile")
    t.check("GET /v1/compile is 405", st == 405, st)
    st, body = s.request("POST", "/healthz", b"x")
    t.check("POST /healthz is 405", st == 405, st)
    st, body = s.request("GET", "/nope")
    t.check("an unknown path is 404", st == 404, st)
    out = s.raw(b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n")
    t.check("a body announced over 1 MiB is 413 before it is read", out.startswith(b"HTTP/1.1 413"), out[:200])
    # another architecture: its BTF from --btf-dir (tests/data's arm64 BTF is
    # Debian's linux-image-6.1.0-57-cloud-arm64 cut down by bpftool gen
    # min_core_btf to what hello.bpf.c, lbc.h and the PCH use)
    st, body = s.compile({"source": HELLO, "arch": "arm64", "kernel": "6.1.0-99-arm64"})
    t.check("another arch without its BTF: 404 naming the file to add",
            st == 404 and b"aarch64/6.1.0-99-arm64.btf.gz" in body, (st, body))
    os.makedirs(os.path.join(btf_dir, "aarch64"), exist_ok=True)
    shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                 "arm64-6.1.0-57-cloud.min.btf"),
                    os.path.join(btf_dir, "aarch64", "6.1.0-57-cloud-arm64.btf"))
    st, body = s.compile({"source": HELLO, "arch": "arm64", "kernel": "6.1.0-57-cloud-arm64"})
    r = json.loads(body) if st == 200 else {}
    t.check("\"arch\": \"arm64\" compiles with the arm64 BTF of --btf-dir (its min BTF returned)",
            st == 200 and r.get("btf") and b"user_pt_regs" in b64(r["btf"]), (st, body[:300]))
    t.check("... for that release, as a BPF object (PT_REGS of arm64: x86 BTF could not serve it)",
            b"6.1.0-57-cloud-arm64\0" in b64(r.get("object", "")) and b64(r.get("object", ""))[:4] == b"\x7fELF")

    st, body = s.request("GET", "/metrics")
    m = body.decode()
    t.check("metrics count requests by endpoint and status",
            'coolbpfd_requests_total{endpoint="compile",status="200"}' in m
            and 'status="422"' in m and 'endpoint="healthz"' in m, m[:500])
    t.check("metrics have the latency histogram, cache hits/misses, queue, in-flight",
            all(k in m for k in ("coolbpfd_compile_seconds_bucket{cache=\"hit\",le=\"+Inf\"}",
                                 "coolbpfd_cache_hits_total 2", "coolbpfd_cache_misses_total",
                                 "coolbpfd_queue_depth 0", "coolbpfd_in_flight_compiles 0")), m)

    log = s.logtext()
    t.check("one log line per request: method, path, status, bytes, ms, cache",
            "POST /v1/compile 200 " in log and "cache=hit" in log and "cache=miss" in log
            and "GET /healthz 200 3 " in log, log[-600:])

    # the client
    env = dict(os.environ, COOLBPF_CACHE_DIR=os.path.join(s.tmp, "client-cache"))
    out = os.path.join(s.tmp, "hello.o")
    src = os.path.join(s.tmp, "hello.bpf.c")
    open(src, "w").write(HELLO)
    p = run([COOLBPF, "compile", "--server", s.url, src, "-o", out], env=env)
    t.check("coolbpf compile --server writes the server's artifact",
            p.returncode == 0 and open(out, "rb").read()[:4] == b"\x7fELF", p.stderr)
    p = run([COOLBPF, "compile", src, "-o", out], env=dict(env, COOLBPF_SERVER=s.url, PATH="/nonexistent"))
    t.check("COOLBPF_SERVER compiles remotely (no clang in PATH)", p.returncode == 0, p.stderr)
    bad = os.path.join(s.tmp, "bad.bpf.c")
    open(bad, "w").write("int f(void) { return nope; }\n")
    p = run([COOLBPF, "compile", "--server", s.url, bad], env=env)
    t.check("a remote compile error prints clang's diagnostics and exits 1",
            p.returncode == 1 and "nope" in p.stderr, p.stderr)
    p = run([COOLBPF, "compile", "--server", "http://127.0.0.1:1", src], env=env)
    t.check("connection refused: a clear error, no local fallback",
            p.returncode == 1 and "Couldn't connect" in p.stderr and "unset COOLBPF_SERVER" in p.stderr
            and not os.path.exists(src[:-2] + ".o"), p.stderr)
    p = run([COOLBPF, "compile", "--server", s.url, "-D", "X=\"q\"", src], env=env)
    t.check("a 4xx is reported with the server's reason",
            p.returncode == 1 and "HTTP 400" in p.stderr and "define value" in p.stderr, p.stderr)
    # local quoted includes travel inlined: next to the source, then -I
    inc = os.path.join(s.tmp, "inc")
    os.makedirs(inc)
    open(os.path.join(s.tmp, "local.h"), "w").write('#pragma once\n#include "deep.h"\n')
    open(os.path.join(inc, "deep.h"), "w").write("#define LOCAL_RET 7\n")
    uses = os.path.join(s.tmp, "uses_local.bpf.c")
    open(uses, "w").write(HELLO.replace('#include "lbc.h"', '#include "lbc.h"\n#include "local.h"\n'
                                        '#include "local.h"\nint local_ret(void) { return LOCAL_RET; }'))
    p = run([COOLBPF, "compile", "--server", s.url, uses, "-o", out], env=env)
    t.check("a header next to the source without -I: refused by the server, it was not sent",
            p.returncode == 1 and "deep.h" in p.stderr, p.stderr[-400:])
    p = run([COOLBPF, "compile", "--server", s.url, "-I", inc, uses, "-o", out], env=env)
    t.check("local quoted includes (next to the source, then -I, nested) are inlined and compile",
            p.returncode == 0 and open(out, "rb").read()[:4] == b"\x7fELF", p.stderr[-600:])
    open(os.path.join(inc, "deep.h"), "w").write('#define LOCAL_RET 7\nint oops = nope;\n')
    p = run([COOLBPF, "compile", "--server", s.url, "-I", inc, uses, "-o", out], env=env)
    t.check("a remote error in an inlined header names the header and its line",
            p.returncode == 1 and "deep.h:2" in p.stderr, p.stderr[-600:])
    open(os.path.join(inc, "deep.h"), "w").write('#include "local2.h"\n')
    open(os.path.join(inc, "local2.h"), "w").write('#include "deep.h"\n')
    p = run([COOLBPF, "compile", "--server", s.url, "-I", inc, uses, "-o", out], env=env)
    t.check("an include cycle is a clear error before anything is sent",
            p.returncode == 1 and "include cycle" in p.stderr and "deep.h" in p.stderr, p.stderr[-600:])
    open(os.path.join(inc, "deep.h"), "w").write("/*" + "x" * (300 * 1024) + "*/\n")
    p = run([COOLBPF, "compile", "--server", s.url, "-I", inc, uses, "-o", out], env=env)
    t.check("a header past the server's 256 KiB is a clear error naming it",
            p.returncode == 1 and "256 KiB" in p.stderr and "deep.h" in p.stderr, p.stderr[-600:])
    p = run([COOLBPF, "run", "--server", s.url, "-d", "1",
             os.path.join(os.path.dirname(COOLBPF), "..", "..", "examples", "hello_tp.bpf.c")],
            env=env, timeout=60)
    t.check("coolbpf run --server compiles remotely, loads and attaches",
            p.returncode == 0 and "attach" in (p.stdout + p.stderr).lower(), p.stdout[-300:] + p.stderr[-600:])

    # SIGTERM drains: a compile in flight still gets its answer
    result = {}

    def slow():
        result["r"] = s.compile({"source": HELLO + "\n// drain %f\n" % time.time()})
    th = threading.Thread(target=slow, daemon=True)
    th.start()
    time.sleep(0.15)
    rc = s.stop(signal.SIGTERM)
    th.join(timeout=60)
    if th.is_alive():
        result["r"] = ("timed out: no answer 60 s after SIGTERM",)
    t.check("SIGTERM drains the compile in flight, then exits 0",
            result.get("r", (0,))[0] == 200 and rc == 0, (result.get("r", ("none",))[0], rc, s.logtext()[-300:]))
finally:
    s.stop(signal.SIGKILL)

# bearer token
tok = os.path.join(btf_dir, "token")
open(tok, "w").write("s3cr3t-token\n")
s = Server("--token-file", tok)
try:
    st, _ = s.compile({"source": HELLO})
    t.check("--token-file: no token is 401", st == 401, st)
    st, _ = s.compile({"source": HELLO}, headers={"Authorization": "Bearer s3cr3t-tokem"})
    t.check("--token-file: a wrong token is 401", st == 401, st)
    st, _ = s.compile({"source": HELLO}, headers={"Authorization": "Bearer s3cr3t-token-longer"})
    t.check("--token-file: a longer token is 401", st == 401, st)
    st, _ = s.request("GET", "/healthz")
    t.check("--token-file: /healthz stays open", st == 200, st)
    st, body = s.compile({"source": HELLO}, headers={"Authorization": "Bearer s3cr3t-token"})
    t.check("--token-file: the right token compiles", st == 200, body[:200])
    env = dict(os.environ, COOLBPF_SERVER_TOKEN="s3cr3t-token",
               COOLBPF_CACHE_DIR=os.path.join(s.tmp, "cc"))
    open(os.path.join(s.tmp, "h.bpf.c"), "w").write(HELLO)
    p = run([COOLBPF, "compile", "--server", s.url, os.path.join(s.tmp, "h.bpf.c")], env=env)
    t.check("the client sends COOLBPF_SERVER_TOKEN", p.returncode == 0, p.stderr)
    env.pop("COOLBPF_SERVER_TOKEN")
    p = run([COOLBPF, "compile", "--server", s.url, os.path.join(s.tmp, "h.bpf.c")], env=env)
    t.check("the client reports 401", p.returncode == 1 and "HTTP 401" in p.stderr, p.stderr)
finally:
    s.stop(signal.SIGKILL)

# a full queue is 503, a compile over its time is 504
s = Server("--workers", "1", "--queue", "1", "--timeout", "2")
try:
    bomb = "\n".join(["#define A0 x+"] + ["#define A%d A%d A%d" % (i, i - 1, i - 1) for i in range(1, 23)]
                     + ["int f(int x){return A22 0;}"])
    res = []

    def one(i):
        res.append(s.compile({"source": bomb + "\n// %d\n" % i}, timeout=60)[0])
    ths = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(4)]
    for x in ths:
        x.start()
    # the server's workers and what they start, sampled while they run:
    # each worker leads a process group that the timeout must kill whole
    groups, end = set(), time.monotonic() + 90
    while any(x.is_alive() for x in ths) and time.monotonic() < end:
        groups |= {g for pid, (pp, g, cmd) in descendants(s.proc.pid).items()}
        time.sleep(0.02)
    for x in ths:
        x.join(timeout=max(0, end - time.monotonic()))
    if any(x.is_alive() for x in ths):
        res.append("timed out: %d compiles unanswered after 90 s" % sum(x.is_alive() for x in ths))
    t.check("more compiles than workers + queue: 503", 503 in res, res)
    t.check("a compile over --timeout: 504 (process group killed)", 504 in res, res)
    t.check("the server still answers after 503/504", s.healthy())
    time.sleep(0.5)
    procs = processes()
    left = "".join("%d %s\n" % (pid, cmd) for pid, (pp, g, cmd) in procs.items() if "A22" in cmd)
    t.check("no compiler process survives the timeout", left.strip() == "", left)
    groups.discard(os.getpgid(s.proc.pid))
    left = ["%d %s" % (pid, cmd) for pid, (pp, g, cmd) in procs.items() if g in groups]
    t.check("the workers' process groups were seen, and none of their processes is left",
            groups and not left, (groups, left))
finally:
    s.stop(signal.SIGKILL)

# the cache is bounded: over --cache-max-mb the oldest entries go first
cache = os.path.join(btf_dir, "evict-cache")
sub = os.path.join(cache, "responses", "aa")
os.makedirs(sub)
for i in range(3):
    path = os.path.join(sub, "aa%062d.json" % i)
    open(path, "wb").write(b"x" * 600 * 1024)
    os.utime(path, (1000 + i, 1000 + i))
s = Server("--cache-max-mb", "1", cache=cache)
try:
    left = sorted(os.listdir(sub))
    t.check("--cache-max-mb evicts the least recently used entries",
            left == ["aa%062d.json" % 2], left)
    st, _ = s.compile({"source": HELLO})
    t.check("the bounded cache still serves compiles", st == 200, st)
finally:
    s.stop(signal.SIGKILL)
# the client's reply parsing, against a stub that answers what we choose
import http.server
import tempfile


def stub_reply(status, body):
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.handle_request, daemon=True).start()
    return srv, "http://127.0.0.1:%d" % srv.server_address[1]


with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "h.bpf.c")
    open(src, "w").write(HELLO)
    env = dict(os.environ, COOLBPF_CACHE_DIR=os.path.join(tmp, "cache"))
    srv, url = stub_reply(200, b"<html>not json</html>")
    p = run([COOLBPF, "compile", "--server", url, src, "-o", os.path.join(tmp, "x.o")],
            env=env, timeout=30)
    srv.server_close()
    t.check("a reply that is not JSON: a clear error, exit 1, no object written",
            p.returncode == 1 and "not JSON" in p.stderr and not os.path.exists(os.path.join(tmp, "x.o")),
            p.stderr)
    # escapes, a surrogate pair and unknown fields in an error reply
    srv, url = stub_reply(422, json.dumps({"error": "compile failed", "future": [1, {"x": None}],
                                           "log": "h.bpf.c:1: err\u00e9 \"q\" \U0001F600\n"
                                           }).encode())
    p = run([COOLBPF, "compile", "--server", url, src], env=env, timeout=30)
    srv.server_close()
    t.check("an error reply's log is decoded (escapes, non-ASCII) and printed, exit 1",
            p.returncode == 1 and 'h.bpf.c:1: err\u00e9 "q" \U0001F600' in p.stderr, p.stderr)

shutil.rmtree(btf_dir, ignore_errors=True)
t.done()
