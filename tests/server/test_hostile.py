#!/usr/bin/env python3
# Hostile input against the real coolbpfd: every case must be refused (or
# compiled harmlessly), must not leak the secret token of a root-only file
# (nor of files planted in the server's own cache and BTF directories),
# and must leave the server answering /healthz.
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from lib import COOLBPF, HELLO, Checks, Server, make_secret

HERE = os.path.dirname(os.path.abspath(__file__))

t = Checks()
secret, token = make_secret()
ARCH = os.uname().machine
s = Server("--client-timeout", "2", "--timeout", "20")
btf_secret = os.path.join(s.tmp, "btf", ARCH, "leak.btf")
os.makedirs(os.path.dirname(btf_secret))
open(btf_secret, "w").write(token + "\n")
cache_secret = os.path.join(s.cache, "responses", "secret.txt")
open(cache_secret, "w").write(token + "\n")
pipe_secret = os.path.join(s.cache, "pipeline", "secret.h")
open(pipe_secret, "w").write(token + "\n")
tmp_secret = os.path.join(s.cache, "pipeline", "tmp", "secret.h")
open(tmp_secret, "w").write(token + "\n")
PWNED = "/tmp/coolbpfd-pwned-%d" % os.getpid()


def case(name, resp, ok_status):
    st, body = resp
    leaked = token.encode() in body
    alive = s.healthy()
    t.check(name, st in ok_status and not leaked and alive and not os.path.exists(PWNED),
            "status %s leaked=%s alive=%s body=%r" % (st, leaked, alive, body[:300]))


def src(text, **kw):
    return s.compile(dict({"source": text}, **kw))


REFUSED = (400, 422)
# host files, every way the preprocessor, assembler or driver can name one
case("#include of a root-only file by absolute path", src('#include "%s"\n' % secret), REFUSED)
case("#include <...> of it", src("#include <%s>\n" % secret), REFUSED)
case("#include by relative path with ..", src('#include "../../../../../../..%s"\n' % secret), REFUSED)
case("#include of /etc/shadow", src('#include "/etc/shadow"\n'), REFUSED)
case("#include of /etc/passwd", src('#include "/etc/passwd"\n'), REFUSED)
case("#include of /proc/self/environ", src('#include "/proc/self/environ"\n'), REFUSED)
case("#include of /dev/stdin (clang's stdin is /dev/null)", src('#include "/dev/stdin"\n'), REFUSED + (200,))
case("#include of a file in the response cache", src('#include "../../../responses/secret.txt"\n'), REFUSED)
case("#include of a file in the pipeline root", src('#include "%s"\n' % pipe_secret), REFUSED)
case("#include of a file in the BTF dir", src('#include "%s"\n' % btf_secret), REFUSED)
case("__has_include probing a secret",
     src('#if __has_include("%s")\n#error yes\n#else\n#error no\n#endif\n' % secret), REFUSED)
case("__has_include_next", src('#if __has_include_next("%s")\n#endif\nint x;\n' % secret), REFUSED + (200,))
case(".incbin of a secret in inline asm", src('asm(".incbin \\"%s\\"");\n' % secret), REFUSED)
case(".incbin of a secret built by macro pasting",
     src('#define S(x) #x\n#define X(a,b) S(a##b)\nasm(X(.inc,bin) " \\"%s\\"");\n' % secret), REFUSED)
case(".include in inline asm", src('asm(".include \\"%s\\"");\n' % secret), REFUSED)
case("#line naming a secret, then an error", src('#line 1 "%s"\n#error boom\n' % secret), REFUSED)
case("#pragma GCC dependency on a secret", src('#pragma GCC dependency "%s"\nint x;\n' % secret), REFUSED + (200,))
case("_Pragma dependency", src('_Pragma("GCC dependency \\"%s\\"")\nint x;\n' % secret), REFUSED + (200,))
case("#embed of a secret", src('const char d[] = {\n#embed "%s"\n};\n' % secret), REFUSED)
case("#include_next of a secret", src('#include_next "%s"\n' % secret), REFUSED)
case("#import of a secret", src('#import "%s"\n' % secret), REFUSED)
case("a file planted in the pipeline's tmp dir (hidden by the private tmpfs)",
     src('#include "../secret.h"\n'), REFUSED)
# shell metacharacters in every field
case("shell metacharacters in kernel", src(HELLO, kernel="6.1;touch " + PWNED), (400,))
case("command substitution in kernel", src(HELLO, kernel="$(touch %s)" % PWNED), (400,))
case("shell metacharacters in arch", src(HELLO, arch="x86_64|touch " + PWNED), (400,))
case("shell metacharacters in a define name", src(HELLO, defines={"A;touch " + PWNED: "1"}), (400,))
case("command substitution in a define value", src(HELLO, defines={"A": "`touch %s`" % PWNED}), (400,))
case("a define value that looks like a flag stays a value",
     src(HELLO, defines={"A": "1 -include " + secret}), (200, 422))
case("a quote in a define value", src(HELLO, defines={"A": '"x"'}), (400,))
case("shell syntax in the source is just C", src("int x = 1; // $(touch %s) `id` ; | &\n" % PWNED), (200,))
# traversal in kernel, arch and the BTF path
case("traversal in kernel", src(HELLO, kernel="../../../../etc/passwd"), (400,))
case("a dot-dot kernel", src(HELLO, kernel=".."), (400,))
case("traversal in arch", src(HELLO, arch="../" + ARCH), (400,))
case("a slash in kernel", src(HELLO, kernel="x/../../leak"), (400,))
case("GET /v1/btf with traversal", s.request("GET", "/v1/btf/%s/..%%2F..%%2F..%%2Fetc%%2Fpasswd" % ARCH), (404,))


def rawcase(name, data, expect, **kw):
    out = s.raw(data, **kw)
    leaked = token.encode() in out
    alive = s.healthy()
    t.check(name, expect(out) and not leaked and alive, "leaked=%s alive=%s out=%r" % (leaked, alive, out[:300]))


rawcase("GET /v1/btf/../../ raw traversal", b"GET /v1/btf/%s/../../../..%s HTTP/1.1\r\nHost: x\r\n\r\n" % (ARCH.encode(), secret.encode()),
        lambda o: b" 404 " in o.split(b"\r\n")[0])
rawcase("GET /v1/btf of a planted non-BTF name", b"GET /v1/btf/%s/leak.btf HTTP/1.1\r\nHost: x\r\n\r\n" % ARCH.encode(),
        lambda o: b" 404 " in o.split(b"\r\n")[0])
# encodings and malformed bodies
case("invalid UTF-8 in the source", s.compile(b'{"source": "int x; \xff\xfe"}'), (400,))
case("invalid UTF-8 in a define", s.compile(b'{"source": "int x;", "defines": {"A": "\xc3\x28"}}'), (400,))
case("\\u0000 in the source", s.compile(b'{"source": "int x;\\u0000#include \\"/etc/passwd\\""}'), (400,))
case("a lone surrogate escape", s.compile(b'{"source": "int x; \\ud800"}'), (400,))
case("malformed JSON", s.compile(b'{"source": '), (400,))
case("JSON that is not an object", s.compile(b'["int x;"]'), (400,))
case("deeply nested JSON", s.compile(b"[" * 200000 + b"]" * 200000), (400,))
case("deeply nested defines", s.compile(b'{"source":"int x;","defines":' + b'{"a":' * 5000 + b"1" + b"}" * 5001), (400,))
case("duplicate keys", s.compile(b'{"source": "int x;", "source": "int y;"}'), (400,))
case("an unknown field", src("int x;", btf_path="/etc/shadow"), (400,))
case("65 defines", src("int x;", defines={"D%d" % i: "1" for i in range(65)}), (400,))
case("a define name of 65 characters", src("int x;", defines={"A" * 65: "1"}), (400,))
case("a source over 256 KiB", src("int x;\n" + "//" + "a" * (300 * 1024)), (400,))
rawcase("a chunked body over 1 MiB: the connection is closed, nothing compiled",
        b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"10000\r\n" + b" " * 0x10000 + b"\r\n" for _ in range(20)) + b"0\r\n\r\n",
        lambda o: b" 200 " not in o[:20])
rawcase("a body shorter than its Content-Length (slow client is cut off)",
        [b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", b'{"source":'],
        lambda o: b"200" not in o[:20], delay=0.1, timeout=15)
rawcase("garbage instead of HTTP", b"\x00\x01\x02 GARBAGE \r\n\r\n", lambda o: b"200" not in o[:20])
rawcase("a header line over the memory limit", b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 200000 + b"\r\n\r\n",
        lambda o: b" 200 " not in o[:20])
# resource bombs
bomb = "\n".join(["#define A0 x+"] + ["#define A%d A%d A%d" % (i, i - 1, i - 1) for i in range(1, 19)]
                 + ["int f(int x){return A18 0;}"])
case("a macro-expansion bomb", src(bomb), (200, 422, 500, 504))
case("include recursion", src('#include "prog.bpf.c"\nint x;\n'), REFUSED)
case("__COUNTER__ include recursion", src('#if __COUNTER__ < 100000\n#include __FILE__\n#endif\n'), REFUSED)


# the __has_include oracle: every host path is absent for the compiler (a
# system header is there: the probe itself works)
def oracle(path):
    st, body = src('#if __has_include("%s")\n#error yes\n#else\n#error no\n#endif\n' % path)
    log = json.loads(body).get("log", "") if body.startswith(b"{") else ""
    return "error: yes" in log, "error: no" in log


t.check("__has_include of a system header is true (the oracle works)", oracle("/usr/include/bpf/bpf_helpers.h") == (True, False))
for path in (secret, "/etc/passwd", "/proc/1/status", "/proc/self/environ", "/root", s.cache, pipe_secret,
             btf_secret, "/tmp", "/var", "/home", "/sys/kernel/debug"):
    t.check("__has_include(\"%s\") is false: the path does not exist for the compiler" % path,
            oracle(path) == (False, True), oracle(path))
# a clang crash names the request's file, never the server's paths or addresses
st, body = src("#pragma clang __debug crash\nint x;\n")
log = json.loads(body).get("log", "") if body.startswith(b"{") else ""
t.check("a compiler crash is reported without argv, paths or addresses",
        st == 422 and "crashed" in log and "Program arguments" not in log and "0x" not in log
        and s.cache not in log and "/coolbpf" not in log and "libLLVM" not in log, log)
st, body = s.request("GET", "/metrics")
t.check("metrics still answer after the hostile suite", st == 200 and b"coolbpfd_requests_total" in body)
t.check("the server log names no secret content", token not in s.logtext())
s.stop()
shutil.rmtree(s.tmp, ignore_errors=True)

# A compiler an attacker controls (tests/server/hostile_cc.c as "clang"):
# everything it tries is refused, and the shared per-kernel files stay as
# the server made them.
work = tempfile.mkdtemp(prefix="coolbpfd-hostile-")
listeners = []
try:
    hello = os.path.join(work, "hello.bpf.c")
    open(hello, "w").write(HELLO)
    subprocess.run([COOLBPF, "compile", hello, "-o", os.path.join(work, "hello.o")], check=True,
                   env=dict(os.environ, COOLBPF_CACHE_DIR=os.path.join(work, "cc")), capture_output=True)
    obj = open(os.path.join(work, "hello.o"), "rb").read()
    open(os.path.join(work, "obj.c"), "w").write(
        "static const unsigned char obj[] = {%s};\nstatic const unsigned long obj_len = %d;\n"
        % (",".join(str(b) for b in obj), len(obj)))
    os.makedirs(os.path.join(work, "bin"))
    subprocess.run(["cc", "-O1", "-D_GNU_SOURCE", "-I", os.path.join(HERE, "..", "..", "lib"),
                    '-DOBJ_C="%s"' % os.path.join(work, "obj.c"), "-o",
                    os.path.join(work, "bin", "clang"), os.path.join(HERE, "hostile_cc.c")], check=True)
    # what the compiler must not reach: a UNIX socket and a TCP port here
    usock = socket.socket(socket.AF_UNIX)
    upath = os.path.join(work, "listen.sock")
    usock.bind(upath)
    usock.listen(8)
    os.chmod(upath, 0o777)
    tsock = socket.socket()
    tsock.bind(("127.0.0.1", 0))
    tsock.listen(8)
    listeners = [usock, tsock]
    reached = []

    def accept(sk):
        sk.settimeout(60)
        try:
            reached.append(sk.accept())
        except OSError:
            pass
    for sk in listeners:
        threading.Thread(target=accept, args=(sk,), daemon=True).start()
    h = Server("--tool-path", os.path.join(work, "bin") + ":/usr/sbin:/usr/bin", "--worker-uid", "2147400000",
               "--timeout", "30")
    try:
        st, _ = h.compile({"source": HELLO})
        kernels = os.path.join(h.cache, "pipeline", "kernels")

        def snapshot():
            out = {}
            for root, _, files in os.walk(kernels):
                for f in files:
                    p = os.path.join(root, f)
                    out[p] = open(p, "rb").read()
            return out
        before = snapshot()
        t.check("the hostile compiler's server made its shared per-kernel files",
                st == 200 and any(p.endswith("lbc.h") for p in before), (st, sorted(before)[:5]))
        st, body = h.compile({"source": HELLO + "\n// HOSTILE-ACTIONS unix=%s tcp=%d\n"
                              % (upath, tsock.getsockname()[1])})
        log = json.loads(body).get("log", "") if body.startswith(b"{") else body.decode(errors="replace")
        got = dict(line[len("HOSTILE "):].split(": ", 1) for line in log.splitlines()
                   if line.startswith("HOSTILE "))
        t.check("the hostile compiler ran in the sandbox and reported", st == 200 and "bpf_map_create" in got,
                (st, log[:500]))
        for action in ("bpf_map_create", "bpf_prog_load", "bpf_map_get_next_id", "bpf_raw_tracepoint_open",
                       "perf_event_open", "socket_unix", "socket_inet", "socket_netlink", "write_shared_header",
                       "create_in_shared_dir", "ptrace_parent", "mount_tmpfs", "unshare_user", "setuid_0",
                       "keyctl", "open_etc_passwd", "open_proc_1", "write_root", "fork_past_limit"):
            t.check("a compromised compiler is refused: %s (%s)" % (action, got.get(action)),
                    got.get(action) not in (None, "ok"), got.get(action))
        t.check("it runs without root (uid %s)" % got.get("uid"), got.get("uid") not in (None, "0"))
        t.check("it holds no capability (no CAP_BPF, no CAP_SYS_ADMIN: %s)" % got.get("capabilities"),
                got.get("capabilities") == "000000000")
        t.check("RLIMIT_NPROC holds: %s forks" % got.get("fork_count"),
                got.get("fork_count") is not None and int(got["fork_count"]) < 70)
        t.check("it saw the shared files it tried to write (%s)" % got.get("shared_files_seen"),
                int(got.get("shared_files_seen", "0")) > 0)
        time.sleep(0.5)
        t.check("nothing connected to the host's UNIX socket or TCP port", reached == [], reached)
        after = snapshot()
        t.check("the shared per-kernel files are unchanged", before == after,
                sorted(set(after) ^ set(before)))
        st, body = h.compile({"source": HELLO + "\n// the next client\n"})
        t.check("the next client's object carries no planted marker",
                st == 200 and b"HOSTILE-PLANTED" not in body, body[:200])
    finally:
        h.stop(signal.SIGKILL)
        shutil.rmtree(h.tmp, ignore_errors=True)
finally:
    for sk in listeners:
        sk.close()
    shutil.rmtree(work, ignore_errors=True)
os.unlink(secret)
t.done()
