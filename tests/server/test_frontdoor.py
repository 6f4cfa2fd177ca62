#!/usr/bin/env python3
# coolbpfd's front door against the attacks of the audit, each on loopback
# with a bounded loop, each while a well-behaved client (another loopback
# address: a client of its own for the caps) keeps being served:
# connections that trickle a byte at a time, one address holding every
# connection, bodies sent without a token, an endless chunked body, request
# smuggling (Content-Length with Transfer-Encoding, two Content-Lengths),
# libmicrohttpd's own rejections counted in /metrics, a compile whose client
# goes away (cancelled), a SIGKILLed server (its workers die with it), IPv6,
# and TLS with real clients.
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from lib import COOLBPF, HELLO, Checks, Server, make_secret

t = Checks()
GOOD = "127.0.0.200"  # the well-behaved client
# a compile that runs for long (2^24 macro expansions): killed by cancel
BOMB = "\n".join(["#define A0 x+"] + ["#define A%d A%d A%d" % (i, i - 1, i - 1) for i in range(1, 25)]
                 + ["int f(int x){return A24 0;}"])


def closed_by_server(sock, wait):
    """True when the server closes sock within wait seconds."""
    sock.settimeout(wait)
    try:
        return sock.recv(4096) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def worker_pids(uid_base):
    out = subprocess.run(["ps", "-eo", "pid=,uid="], capture_output=True, text=True).stdout
    return [int(p) for p, u in (line.split() for line in out.splitlines())
            if uid_base <= int(u) < uid_base + 8]


s = Server("--request-timeout", "3", "--client-timeout", "2", "--max-connections-per-ip", "20",
           "--max-connections", "60", "--workers", "1", "--timeout", "40",
           "--worker-uid", "2147100000")
socks = []
try:
    # 1. slow clients: a byte every 0.5 s keeps libmicrohttpd's idle timer
    # (2 s) happy; the request deadline (3 s) closes them all
    for i in range(15):
        c = s.connect("127.0.0.1")
        c.sendall(b"POST /v1/compile HTTP/1.1\r\nHost: x\r\n")
        socks.append(c)
    t0 = time.time()
    served = 0
    while time.time() - t0 < 4.5:
        for c in socks:
            try:
                c.sendall(b"X")
            except OSError:
                pass
        served += s.healthy(source=GOOD)
        time.sleep(0.5)
    closed = sum(closed_by_server(c, 2) for c in socks)
    t.check("15 trickling connections are closed by the request deadline", closed == 15,
            "%d of 15 closed" % closed)
    t.check("a well-behaved client is served meanwhile", served >= 8, "%d answers" % served)
    t.check("the deadline closes are counted",
            (s.metric("coolbpfd_request_deadline_closes_total") or 0) >= 15)
    for c in socks:
        c.close()
    socks = []

    # 2. one address takes its cap (20 idle connections), the next is refused
    for i in range(20):
        socks.append(s.connect("127.0.0.3"))
    time.sleep(0.3)
    extra = s.connect("127.0.0.3")
    t.check("the 21st connection of one address is closed at once", closed_by_server(extra, 2))
    extra.close()
    t.check("another address is served while one is at its cap", s.healthy(source=GOOD))
    t.check("per-address refusals are counted",
            (s.metric('coolbpfd_connections_rejected_total{cap="per_ip"}') or 0) >= 1)
    got = s.metric("coolbpfd_open_connections")
    t.check("open connections gauge counts the held ones", got is not None and got >= 20, got)
    # 3. the cap of all connections: 20 more from each of two addresses
    for src in ("127.0.0.4", "127.0.0.5"):
        for i in range(20):
            socks.append(s.connect(src))
    time.sleep(0.3)
    extra = s.connect("127.0.0.6")
    t.check("past --max-connections a new client is refused", closed_by_server(extra, 2))
    extra.close()
    for c in socks:
        c.close()
    socks = []
    time.sleep(0.5)
    t.check("once they leave, service is back", s.healthy(source=GOOD))
    t.check("refusals at the total cap are counted",
            (s.metric('coolbpfd_connections_rejected_total{cap="total"}') or 0) >= 1)

    # 4. an endless chunked body: the connection is closed past 1 MiB
    c = s.connect("127.0.0.7", timeout=15)
    c.sendall(b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    sent, chunk, t0 = 0, b"10000\r\n" + b" " * 0x10000 + b"\r\n", time.time()
    try:
        while sent < 64 << 20 and time.time() - t0 < 15:
            c.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    c.close()
    t.check("an endless chunked body is cut off (not read to the end)", sent < 16 << 20,
            "%d MiB sent" % (sent >> 20))
    t.check("... counted, and the server stays small",
            (s.metric("coolbpfd_bodies_refused_total") or 0) >= 1 and s.rss_kb() < 200 * 1024,
            s.rss_kb())

    # 5. request smuggling
    def smuggle(name, head):
        out = s.raw(head + b"\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", source="127.0.0.8")
        t.check(name, out.startswith(b"HTTP/1.1 400") and out.count(b"HTTP/1.1 ") == 1
                and b"coolbpfd_requests_total" not in out, out[:300])
    smuggle("Content-Length with Transfer-Encoding: 400, connection closed, nothing smuggled",
            b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n")
    smuggle("two Content-Length headers: 400, connection closed, nothing smuggled",
            b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 40\r\n")
    smuggle("a Transfer-Encoding other than chunked: 400",
            b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n")

    # 6. libmicrohttpd's own answers are counted
    big = s.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70000 + b"\r\n\r\n", source="127.0.0.9")
    uri = s.raw(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", source="127.0.0.9")
    ver = s.raw(b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", source="127.0.0.9")
    nohost = s.raw(b"GET /healthz HTTP/1.1\r\n\r\n", source="127.0.0.9")
    st, body = s.request("GET", "/metrics")
    m = body.decode()
    for code, out in (("431", big), ("414", uri), ("505", ver), ("400", nohost)):
        t.check("libmicrohttpd's %s is answered and counted in /metrics" % code,
                out.startswith(b"HTTP/1.1 " + code.encode())
                and 'coolbpfd_requests_total{endpoint="none",status="%s"}' % code in m, out[:100])

    # 7. a compile whose client goes away is cancelled: the only worker is
    # free for the next client at once, not after --timeout
    c = s.connect("127.0.0.10")
    body = json.dumps({"source": BOMB}).encode()
    c.sendall(b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    time.sleep(1.5)
    busy = worker_pids(2147100000)
    c.close()
    t0 = time.time()
    st, body = s.request("POST", "/v1/compile", {"source": HELLO + "\n// after cancel\n"},
                         source=GOOD, timeout=30)
    took = time.time() - t0
    t.check("a compile whose client left is killed: the next one is served at once",
            busy and st == 200 and took < 15, (busy, st, took))
    t.check("... counted as cancelled", s.metric("coolbpfd_compiles_cancelled_total") == 1)
    time.sleep(0.5)
    t.check("... and no process of it is left", worker_pids(2147100000) == [],
            worker_pids(2147100000))

    # 8. the response cache key covers the headers a compile reads: one
    # edited between two identical requests is a miss with the new value
    hdr = "/usr/local/include/coolbpfd-test-%d.h" % os.getpid()
    src = ('#include "lbc.h"\n#include <%s>\nSEC("raw_tp/sched_switch") int f(void *c) '
           '{ return VALUE; }\nchar LICENSE[] SEC("license") = "GPL";\n' % os.path.basename(hdr))
    changes = s.metric("coolbpfd_environment_changes_total")
    try:
        open(hdr, "w").write("#define VALUE 1\n")
        for _ in range(50):
            if s.metric("coolbpfd_environment_changes_total") != changes:
                break
            time.sleep(0.1)
        st1, b1 = s.compile({"source": src})
        st2, b2 = s.compile({"source": src})
        changes = s.metric("coolbpfd_environment_changes_total")
        open(hdr, "w").write("#define VALUE 2\n")
        for _ in range(50):
            if s.metric("coolbpfd_environment_changes_total") != changes:
                break
            time.sleep(0.1)
        st3, b3 = s.compile({"source": src})
        r1, r2, r3 = (json.loads(b) if b.startswith(b"{") else {} for b in (b1, b2, b3))
        t.check("an identical request with the header unchanged is a hit",
                (st1, st2) == (200, 200) and r2.get("cached") is True, (st1, st2, b2[:200]))
        t.check("after the header changed: a miss, a new object",
                st3 == 200 and r3.get("cached") is False and r3.get("sha256") != r1.get("sha256"),
                (st3, b3[:200]))
    finally:
        if os.path.exists(hdr):
            os.unlink(hdr)
    # 9. the server dies: its workers die with it
    c = s.connect("127.0.0.11")
    body = json.dumps({"source": BOMB + "\n// kill\n"}).encode()
    c.sendall(b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    time.sleep(1.5)
    busy = worker_pids(2147100000)
    s.stop(signal.SIGKILL)
    time.sleep(1)
    t.check("a SIGKILLed server leaves no worker or compiler running",
            busy and worker_pids(2147100000) == [], (busy, worker_pids(2147100000)))
    c.close()
finally:
    for c in socks:
        c.close()
    s.stop(signal.SIGKILL)
    shutil.rmtree(s.tmp, ignore_errors=True)

# 10. bodies without the token are refused before they are read
secret, token = make_secret()
s = Server("--token-file", secret, "--max-connections-per-ip", "1000", "--max-connections", "1100")
try:
    rss0 = s.rss_kb()
    refused = 0
    for i in range(300):
        c = s.connect("127.0.0.12")
        c.sendall(b"POST /v1/compile HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"
                  + b" " * 65536)
        c.settimeout(5)
        try:
            refused += c.recv(200).startswith(b"HTTP/1.1 401")
        except OSError:
            pass
        c.close()
    t.check("300 bodies of 1 MiB without a token: each 401 before its body", refused == 300, refused)
    t.check("... and the server did not grow (RSS +%d KiB)" % (s.rss_kb() - rss0),
            s.rss_kb() - rss0 < 20 * 1024)
    st, _ = s.compile({"source": HELLO}, headers={"Authorization": "Bearer " + token})
    t.check("the client with the token is served", st == 200, st)
finally:
    s.stop(signal.SIGKILL)
    shutil.rmtree(s.tmp, ignore_errors=True)
    os.unlink(secret)

# 11. IPv6
s = Server(listen="[::1]:0")
try:
    st, body = s.request("GET", "/healthz")
    t.check("--listen [::1]:0 serves over IPv6", s.host == "::1" and st == 200, (s.host, st))
    st, body = s.compile({"source": HELLO})
    t.check("... compiles too", st == 200, body[:200])
finally:
    s.stop(signal.SIGKILL)
    shutil.rmtree(s.tmp, ignore_errors=True)

# 12. TLS: certtool makes a CA and a certificate for 127.0.0.1; curl,
# Python's ssl and the coolbpf client (COOLBPF_SERVER=https://...) talk to it
tls = tempfile.mkdtemp(prefix="coolbpfd-tls-")
try:
    def certtool(*a):
        subprocess.run(["certtool", *a], check=True, capture_output=True)
    ca_key, ca, key, cert = (os.path.join(tls, n) for n in ("ca.key", "ca.pem", "key.pem", "cert.pem"))
    open(os.path.join(tls, "ca.tmpl"), "w").write('cn = "coolbpfd test CA"\nca\ncert_signing_key\nexpiration_days = 2\n')
    open(os.path.join(tls, "srv.tmpl"), "w").write('cn = "localhost"\nip_address = "127.0.0.1"\n'
                                                   'dns_name = "localhost"\ntls_www_server\nexpiration_days = 2\n')
    certtool("--generate-privkey", "--key-type", "ecdsa", "--outfile", ca_key)
    certtool("--generate-self-signed", "--load-privkey", ca_key, "--template",
             os.path.join(tls, "ca.tmpl"), "--outfile", ca)
    certtool("--generate-privkey", "--key-type", "ecdsa", "--outfile", key)
    certtool("--generate-certificate", "--load-privkey", key, "--load-ca-certificate", ca,
             "--load-ca-privkey", ca_key, "--template", os.path.join(tls, "srv.tmpl"), "--outfile", cert)
    s = Server("--tls-cert", cert, "--tls-key", key)
    try:
        url = "https://127.0.0.1:%d" % s.port
        p = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", ca, url + "/healthz"],
                           capture_output=True, text=True)
        t.check("curl over TLS, the certificate checked against the CA", p.stdout == "ok\n", p.stderr)
        p = subprocess.run(["curl", "-sS", "--max-time", "20", url + "/healthz"], capture_output=True, text=True)
        t.check("curl without the CA refuses the certificate", p.returncode != 0 and p.stdout == "")
        ctx = ssl.create_default_context(cafile=ca)
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tsock:
                tsock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                out = b""
                while True:
                    d = tsock.recv(65536)
                    if not d:
                        break
                    out += d
                version = tsock.version()
        t.check("Python's ssl speaks %s to it" % version, b"coolbpfd_requests_total" in out)
        src = os.path.join(tls, "h.bpf.c")
        open(src, "w").write(HELLO)
        env = dict(os.environ, COOLBPF_SERVER=url, COOLBPF_SERVER_CA=ca,
                   COOLBPF_CACHE_DIR=os.path.join(tls, "cc"))
        p = subprocess.run([COOLBPF, "compile", src, "-o", os.path.join(tls, "h.o")], capture_output=True,
                           text=True, env=env, timeout=120)
        t.check("COOLBPF_SERVER=https://... compiles (COOLBPF_SERVER_CA trusted)",
                p.returncode == 0 and open(os.path.join(tls, "h.o"), "rb").read(4) == b"\x7fELF", p.stderr)
        env.pop("COOLBPF_SERVER_CA")
        p = subprocess.run([COOLBPF, "compile", src, "-o", os.path.join(tls, "h2.o")], capture_output=True,
                           text=True, env=env, timeout=120)
        t.check("... and refuses a server whose certificate it cannot check",
                p.returncode == 1 and "certificate" in p.stderr.lower(), p.stderr)
    finally:
        s.stop(signal.SIGKILL)
        shutil.rmtree(s.tmp, ignore_errors=True)
finally:
    shutil.rmtree(tls, ignore_errors=True)
t.done()
