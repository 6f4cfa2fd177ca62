#!/usr/bin/env python3
# BTF from coolbpfd when a host has none (issue 16): a load on a kernel
# whose /sys/kernel/btf is hidden (a private mount namespace), whose object
# does not carry its kernel and with no archive, fetches GET /v1/btf from a
# real coolbpfd into its cache, hash-checked, and says so; a second load
# reads the cache; without a server the error names every place looked in;
# a server whose answer does not match its X-Coolbpf-Sha256 is refused.
# Then compiles for another architecture (arm64) through coolbpfd and
# locally: only for kernels whose BTF is archived, with that architecture's
# -D__TARGET_ARCH_. Loads BPF: run under the kernel lock (make test is).
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading

from lib import COOLBPF, Checks, Server, b64

t = Checks()
REL = os.uname().release
ARCH = os.uname().machine
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
work = tempfile.mkdtemp(prefix="coolbpf-btf-remote-")
served = os.path.join(work, "served")
other = os.path.join(work, "other")
env = dict(os.environ)
for k in ("COOLBPF_SERVER", "COOLBPF_BTF_DIR", "COOLBPF_SERVER_TOKEN"):
    env.pop(k, None)
env["COOLBPF_CACHE_DIR"] = os.path.join(work, "cache")


def coolbpf(*args, cwd=None, extra_env=None, hide_btf=False, timeout=120):
    e = dict(env, **(extra_env or {}))
    cmd = [COOLBPF] + list(args)
    if hide_btf:
        # the kernel's BTF gone from this process's view of /sys; an exec
        # of true while it traces gives execsnoop an event to print
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               'mount -t tmpfs none /sys/kernel/btf && '
               '{ (for i in 1 2 3 4 5 6 7 8; do sleep 0.4; /bin/true; done) & exec "$@"; }',
               "sh"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, env=e, cwd=cwd, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


# an archive for compiling: the running kernel's BTF under another release,
# so the object carries a kernel that is not this one
subprocess.run([COOLBPF, "btf", "archive", "add", "/sys/kernel/btf/vmlinux", "--release",
                "9.9.9-other", "--dir", other], check=True)
obj = os.path.join(work, "exec.o")
rc, out, err = coolbpf("compile", "--kernel", "9.9.9-other", os.path.join(ROOT, "examples",
                       "execsnoop.bpf.c"), "-o", obj, extra_env={"COOLBPF_BTF_DIR": other})
t.check("an object carrying 9.9.9-other only", rc == 0, err)

s = Server("--btf-dir", served)
try:
    st, body = s.request("GET", "/v1/btf/%s/%s" % (ARCH, REL))
    t.check("GET /v1/btf of the server's kernel answers its BTF", st == 200 and body[:2] == b"\x9f\xeb")
    c = __import__("http.client").client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    c.request("GET", "/v1/btf/%s/%s" % (ARCH, REL))
    r = c.getresponse()
    data = r.read()
    t.check("... with X-Coolbpf-Sha256, the sha256 of the body",
            r.getheader("X-Coolbpf-Sha256") == hashlib.sha256(data).hexdigest(),
            r.getheader("X-Coolbpf-Sha256"))
    c.close()

    rc, out, err = coolbpf("run", "-d", "3", "--server", s.url, obj, hide_btf=True)
    kept = os.path.join(work, "cache", "btf-remote", ARCH, REL + ".btf.gz")
    t.check("no kernel BTF, not carried, no archive: run fetches it from the server (exit 0)",
            rc == 0, err[-800:])
    t.check("... and says so: remote URL, where it is kept",
            "BTF for CO-RE: remote %s/v1/btf/%s/%s (kept in %s)" % (s.url, ARCH, REL, kept) in err,
            err[-800:])
    t.check("... the kept file is the server's BTF",
            subprocess.run(["gzip", "-dc", kept], capture_output=True).stdout == data)
    t.check("... and CO-RE works with it: exec events decoded",
            re.search(r"^pid=\d+ ppid=\d+ uid=0 comm=true filename=/(usr/)?bin/true$", out, re.M), out[-400:])
    n_get = s.logtext().count("GET /v1/btf/")
    rc, out, err = coolbpf("run", "-d", "1", "--server", s.url, obj, hide_btf=True)
    t.check("a second run takes the kept copy: no request to the server",
            rc == 0 and s.logtext().count("GET /v1/btf/") == n_get, err[-400:])
    t.check("... and says where it came from", "BTF for CO-RE: remote %s" % kept in err, err[-400:])
    rc, out, err = coolbpf("run", "--json", "-d", "1", obj, hide_btf=True,
                           extra_env={"COOLBPF_SERVER": s.url,
                                      "COOLBPF_CACHE_DIR": os.path.join(work, "cache2")})
    t.check("COOLBPF_SERVER serves as --server; --json says it as JSON on stderr",
            rc == 0 and json.loads(err.splitlines()[0]).get("btf", "").startswith("remote " + s.url),
            err[-400:])
finally:
    s.stop()

rc, out, err = coolbpf("run", "-d", "1", obj, hide_btf=True,
                       extra_env={"COOLBPF_CACHE_DIR": os.path.join(work, "cache3")})
t.check("without a server: fails", rc != 0)
t.check("... naming every place looked in and how to fix it",
        all(w in err for w in ("no BTF for kernel " + REL, "/sys/kernel/btf/vmlinux is missing",
                               "the object carries min BTF for 9.9.9-other only",
                               "COOLBPF_BTF_DIR is not set",
                               "no server is set to fetch it from (COOLBPF_SERVER or --server)")),
        err[-600:])


class Fake(http.server.BaseHTTPRequestHandler):
    """A server that answers /v1/btf with the kernel's BTF and a wrong
    hash, or 404."""
    mode = "badhash"

    def do_GET(self):
        if Fake.mode == "404":
            self.send_response(404)
            self.end_headers()
            return
        data = open("/sys/kernel/btf/vmlinux", "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Coolbpf-Sha256", "0" * 64)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
threading.Thread(target=fake.serve_forever, daemon=True).start()
furl = "http://127.0.0.1:%d" % fake.server_address[1]
rc, out, err = coolbpf("run", "-d", "1", "--server", furl, obj, hide_btf=True,
                       extra_env={"COOLBPF_CACHE_DIR": os.path.join(work, "cache4")})
t.check("BTF that does not hash to the server's X-Coolbpf-Sha256 is refused",
        rc != 0 and "is not the %s it announced: refused" % ("0" * 64) in err, err[-600:])
t.check("... and not kept", not os.path.exists(os.path.join(work, "cache4", "btf-remote")))
Fake.mode = "404"
rc, out, err = coolbpf("run", "-d", "1", "--server", furl, obj, hide_btf=True,
                       extra_env={"COOLBPF_CACHE_DIR": os.path.join(work, "cache5")})
t.check("a server without it: the error says it asked (HTTP 404)",
        rc != 0 and "%s/v1/btf/%s/%s has none either (HTTP 404)" % (furl, ARCH, REL) in err,
        err[-600:])
fake.shutdown()

# --- another architecture: arm64 through coolbpfd, only for archived kernels
ARM = "6.1.0-57-arm64"
arm_dir = os.path.join(work, "arm")
# a stand-in BTF under aarch64/: the program below reads no kernel type
subprocess.run([COOLBPF, "btf", "archive", "add", "/sys/kernel/btf/vmlinux", "--release", ARM,
                "--arch", "arm64", "--dir", arm_dir], check=True)
t.check("archive add --arch arm64 files it under aarch64/ (uname -m)",
        os.path.exists(os.path.join(arm_dir, "aarch64", ARM + ".btf.gz")))
SRC = """#include "lbc.h"
#ifndef __TARGET_ARCH_arm64
#error not compiled for arm64
#endif
SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx) { bpf_printk("exec"); return 0; }
char LICENSE[] SEC("license") = "GPL";
"""
s = Server("--btf-dir", arm_dir)
try:
    st, body = s.compile({"source": SRC, "kernel": ARM, "arch": "arm64"})
    r = json.loads(body) if st == 200 else {}
    t.check("POST /v1/compile arch arm64 for an archived arm64 kernel: 200, built for arm64",
            st == 200 and r.get("btf"), body[:400])
    t.check("... the object names its target: release and aarch64",
            (ARM + "\0").encode() in b64(r.get("object", "")) and b"\0aarch64\0" in b64(r.get("object", "")))
    st, body = s.compile({"source": SRC, "kernel": "6.1.0-99-arm64", "arch": "aarch64"})
    t.check("another architecture without archived BTF: 404 naming the file it needs",
            st == 404 and b"aarch64/6.1.0-99-arm64.btf.gz" in body, body[:300])
    src = os.path.join(work, "arm.bpf.c")
    open(src, "w").write(SRC)
    rc, out, err = coolbpf("compile", "--server", s.url, "--arch", "arm64", "--kernel", ARM, src,
                           "-o", os.path.join(work, "arm-remote.o"))
    t.check("coolbpf compile --server --arch arm64 --kernel R", rc == 0, err[-400:])
finally:
    s.stop()
rc, out, err = coolbpf("compile", "--arch", "aarch64", "--kernel", ARM, src, "-o",
                       os.path.join(work, "arm-local.o"), extra_env={"COOLBPF_BTF_DIR": arm_dir})
t.check("coolbpf compile --arch aarch64 --kernel R locally (the arm64 define)", rc == 0, err[-400:])
rc, out, err = coolbpf("inspect", "--json", os.path.join(work, "arm-local.o"))
t.check("inspect: the carried kernel is aarch64",
        rc == 0 and json.loads(out)["kernels"][0]["arch"] == "aarch64", out[:300])
rc, out, err = coolbpf("compile", "--kernel", ARM, "--btf", "/sys/kernel/btf/vmlinux", src, "-o",
                       os.path.join(work, "x.o"))
t.check("the same source for the host's arch: the arm64 check fails the compile",
        rc == 1 and "not compiled for arm64" in err, err[-300:])

shutil.rmtree(work, ignore_errors=True)
t.done()
