#!/usr/bin/env python3
# Hostile input against the real coolbpfd: every case must be refused (or
# compiled harmlessly), must not leak the secret token of a root-only file
# (nor of files planted in the server's own cache and BTF directories),
# and must leave the server answering /healthz.
import json
import os
import shutil

from lib import HELLO, Checks, Server, make_secret

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
rawcase("a chunked body over 1 MiB", b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"10000\r\n" + b" " * 0x10000 + b"\r\n" for _ in range(20)) + b"0\r\n\r\n",
        lambda o: o.startswith(b"HTTP/1.1 413"))
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
st, body = s.request("GET", "/metrics")
t.check("metrics still answer after the hostile suite", st == 200 and b"coolbpfd_requests_total" in body)
t.check("the server log names no secret content", token not in s.logtext())
s.stop()
os.unlink(secret)
shutil.rmtree(s.tmp, ignore_errors=True)
t.done()
