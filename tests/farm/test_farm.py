#!/usr/bin/env python3
# The compile farm of README's deployment on loopback: a real redis-server,
# three coolbpfd nodes sharing it, nginx in front (tests/farm/farm.py).
# Shows: a reply compiled by one node is a hit on the others; 16 concurrent
# identical cold requests are compiled once (coolbpfd_compiles_total over
# the nodes); a corrupt shared entry is dropped and recompiled, never
# served; a node killed mid-load loses no request (nginx retries it
# elsewhere); Redis stopped: no client sees an error, the nodes say so and
# come back when it does.
import base64
import hashlib
import os
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
from farm import Farm, Node  # noqa: E402
from lib import HELLO, Checks  # noqa: E402

t = Checks()
RUN = "%d-%d" % (os.getpid(), int(time.time()))


def source(tag):
    return HELLO + "\n// farm %s %s\n" % (RUN, tag)


def good(st, r):
    obj = base64.b64decode(r.get("object", "")) if st == 200 else b""
    return st == 200 and obj[:4] == b"\x7fELF" and hashlib.sha256(obj).hexdigest() == r.get("sha256")


def parallel(n, fn):
    out = [None] * n

    def run(i):
        out[i] = fn(i)
    ths = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(300)
    return out


with Farm(nodes=3, node_args=("--workers", "1", "--timeout", "60")) as f:
    n0, n1, n2 = f.nodes
    t.check("redis, 3 nodes and nginx are up; every node's /healthz answers",
            all(n.alive() and urllib.request.urlopen(n.url + "/healthz", timeout=5).read() == b"ok\n"
                for n in f.nodes))
    t.check("every node found the shared cache", all(n.metric("coolbpfd_shared_cache_up") == 1 for n in f.nodes))

    # 1. compiled once through nginx, a hit on every node
    src = source("cross-node")
    st, r = f.compile(src)
    t.check("a compile through nginx answers 200 with the object", good(st, r), r)
    compiled = [n.metric("coolbpfd_compiles_total") for n in f.nodes]
    replies = [f.compile(src, url=n.url) for n in f.nodes]
    t.check("the same request on each node: the same object, a cache hit, no compile",
            all(good(s2, r2) and r2.get("cached") is True and r2["sha256"] == r["sha256"] for s2, r2 in replies)
            and [n.metric("coolbpfd_compiles_total") for n in f.nodes] == compiled, (compiled, replies[0][0]))
    t.check("the nodes that did not compile it served it from Redis",
            sum(n.metric("coolbpfd_shared_cache_hits_total") for n in f.nodes) == 2)
    key = [k for k in f.redis_cli("--scan", "--pattern", "coolbpfd:r:*").split() if k]
    ttl = int(f.redis_cli("TTL", key[0])) if key else -1
    t.check("the shared entry is in Redis with a TTL (%d s)" % ttl, len(key) == 1 and 0 < ttl <= 7 * 86400, key)

    # 2. 16 concurrent identical cold requests: one compile in the farm
    before = f.total("coolbpfd_compiles_total")
    src = source("single-flight")
    res = parallel(16, lambda i: f.compile(src))
    after = f.total("coolbpfd_compiles_total")
    waits = f.total('coolbpfd_single_flight_waits_total{scope="local"}') + \
        f.total('coolbpfd_single_flight_waits_total{scope="shared"}')
    t.check("16 concurrent identical cold requests: all 200, one object", all(good(*x) for x in res)
            and len({x[1]["sha256"] for x in res}) == 1, [x[0] for x in res])
    t.check("... compiled exactly once in the farm (coolbpfd_compiles_total %d -> %d)" % (before, after),
            after - before == 1)
    t.check("... the others waited for it (single-flight waits: %d)" % waits, waits >= 1)
    spread = sum(1 for n in f.nodes if n.metric('coolbpfd_requests_total{endpoint="compile",status="200"}') > 2)
    t.check("... spread over the nodes by nginx (%d nodes served)" % spread, spread >= 2)

    # 3. a corrupt shared entry is dropped and recompiled, never served
    src = source("corrupt")
    keys = set(f.redis_cli("--scan", "--pattern", "coolbpfd:r:*").split())
    st, r = f.compile(src, url=n0.url)
    target = sorted(set(f.redis_cli("--scan", "--pattern", "coolbpfd:r:*").split()) - keys)
    if st == 200 and len(target) == 1:
        # keep the envelope's length, flip bytes of the body
        blob = f.redis_cli("GET", target[0], raw=True).rstrip(b"\n")
        f.redis_cli("SET", target[0], blob[:-40] + b"x" * 40)
    c1 = n1.metric("coolbpfd_compiles_total")
    st2, r2 = f.compile(src, url=n1.url)
    t.check("a corrupt Redis entry is not served: node 1 recompiles the same object",
            len(target) == 1 and good(st2, r2) and r2["sha256"] == r["sha256"]
            and n1.metric("coolbpfd_compiles_total") == c1 + 1
            and n1.metric("coolbpfd_shared_cache_corrupt_total") == 1, (target, st2))

    # 4. a node killed mid-load: nginx retries what it had on the others
    stop = threading.Event()
    results = []

    def client(i):
        k = 0
        while not stop.is_set() and k < 40:
            results.append(f.compile(source("load-%d" % (k % 6)) if i % 2 else source("cross-node")))
            k += 1
    ths = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for th in ths:
        th.start()
    time.sleep(2)
    n2.kill()
    time.sleep(3)
    stop.set()
    for th in ths:
        th.join(300)
    bad = [x[0] for x in results if not good(*x)]
    t.check("node 2 killed mid-load: %d requests, none lost (nginx retried on the others)" % len(results),
            len(results) > 10 and not bad, bad[:10])

    # 5. Redis stopped: local caching, no client error; then it comes back
    f.stop_redis()
    res = [f.compile(source("cross-node")), f.compile(source("no-redis-1")), f.compile(source("no-redis-2"))]
    t.check("Redis down: hits and new compiles still answer 200 through nginx", all(good(*x) for x in res),
            [x[0] for x in res])
    live = [n for n in f.nodes if n.alive()]
    t.check("... the nodes report it (coolbpfd_shared_cache_up 0, errors counted, a log line)",
            any(n.metric("coolbpfd_shared_cache_up") == 0 for n in live)
            and f.total("coolbpfd_shared_cache_errors_total") >= 1
            and any("unavailable" in n.logtext() for n in live))
    f.start_redis()
    time.sleep(1.2)  # past the node's retry delay
    stores = f.total("coolbpfd_shared_cache_stores_total")
    st, r = f.compile(source("redis-back"))
    t.check("Redis back: the next compile is shared again, the nodes say so",
            good(st, r) and f.total("coolbpfd_shared_cache_stores_total") == stores + 1
            and any("is back" in n.logtext() for n in live), (st, stores))
    t.check("every node left standing is healthy", all(n.alive() for n in (n0, n1)))

    # 6. the size cap: a node that shares nothing over 1 KiB stores nothing
    small = Node(f, 3, ("--shared-cache-max-kb", "1"))
    f.nodes.append(small)
    st, r = f.compile(source("too-big-to-share"), url=small.url)
    t.check("--shared-cache-max-kb: a reply over the cap is served, not shared",
            good(st, r) and small.metric("coolbpfd_shared_cache_stores_total") == 0, st)
t.done()
