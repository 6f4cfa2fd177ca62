#!/usr/bin/python3
"""pingtrace on this kernel: two network namespaces joined by a veth pair
(198.18.0.1 sender, 198.18.0.2 responder; over IPv6 2001:2::1 and 2001:2::2,
RFC 5180's benchmarking prefix), real echoes, real delays.

A delay is put on one side's egress with `tc netem delay` when the kernel has
netem, else with a slow `tbf` (this machine's kernel has no netem: the
packets then wait in the token bucket, which is queueing in the qdisc just
the same). The delay must show up in the stage that holds it: the sender's
qdisc stage for a delay on the sender, outside the sender's local stages
(wire_peer) and in the responder's own qdisc stage for one on the responder.

Every command has a time limit; what the test sets up (namespaces, veth,
qdiscs, temp dirs, the responder) is undone on a failure and on SIGTERM too,
which is itself checked: a run of this script whose setup fails, and one
that gets SIGTERM, must leave nothing behind.

Needs root. Prints "N passed, N failed"; exit 0 pass, 77 skip, 1 fail.
"""
import json
import os
import re
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", "build")
PT = os.environ.get("PINGTRACE") or os.path.join(ROOT, BUILD, "bin", "pingtrace")
TAG = str(os.getpid() % 100000)
NS_S, NS_R = "ptS" + TAG, "ptR" + TAG
DEV_S, DEV_R = "pts" + TAG, "ptr" + TAG
SRC, DST = "198.18.0.1", "198.18.0.2"
SRC6, DST6 = "2001:2::1", "2001:2::2"
DELAY_MS = 30  # an echo counts as delayed from 80% of this
# netem's delay (guests): long against what an emulated guest under load
# adds to an echo (a few ms of scheduling), so the delayed stage keeps its
# >= 80% share, and replies come after every send of a run, so the sender
# is asleep for each one. (tbf, here, holds a frame about 104 ms.)
NETEM_DELAY_MS = 100
LOCAL_MAX_US = 10000  # a local stage without a delay on it: well under this

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"  ok: {name}")
    else:
        failed += 1
        print(f"  FAIL: {name}")
        for line in str(detail).splitlines()[-20:]:
            print(f"    | {line}")


def run(argv, timeout=60):
    """subprocess.run with a time limit; a command that overruns it is
    killed and returns status 124 with a message on stderr"""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "",
                                           f"timed out: {' '.join(argv)}: still running after "
                                           f"{timeout} s, killed")


def sh(*argv, check_rc=True):
    r = run(argv)
    if check_rc and r.returncode:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r


HAVE_V6 = False


# PINGTRACE_TEST_INJECT (the cleanup check sets it in a child run of this
# script): "setup-fails" makes setup fail once the namespaces and the veth
# pair exist, "sigterm" sends this process SIGTERM at the same point.
INJECT = os.environ.get("PINGTRACE_TEST_INJECT", "")


def setup():
    global HAVE_V6
    teardown()
    sh("ip", "netns", "add", NS_S)
    sh("ip", "netns", "add", NS_R)
    sh("ip", "link", "add", DEV_S, "type", "veth", "peer", "name", DEV_R)
    if INJECT:
        print(f"setup: {NS_S}, {NS_R} and {DEV_S} made; injecting {INJECT}", flush=True)
    if INJECT == "setup-fails":
        raise RuntimeError("setup failed on purpose (PINGTRACE_TEST_INJECT=setup-fails)")
    if INJECT == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
    sh("ip", "link", "set", DEV_S, "netns", NS_S)
    sh("ip", "link", "set", DEV_R, "netns", NS_R)
    for ns, dev, addr in ((NS_S, DEV_S, SRC), (NS_R, DEV_R, DST)):
        sh("ip", "-n", ns, "addr", "add", addr + "/24", "dev", dev)
        sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    # nodad: usable at once, no duplicate address detection to wait for
    HAVE_V6 = all(sh("ip", "-n", ns, "addr", "add", addr + "/64", "dev", dev, "nodad",
                     check_rc=False).returncode == 0
                  for ns, dev, addr in ((NS_S, DEV_S, SRC6), (NS_R, DEV_R, DST6)))


def teardown():
    # the veth pair is in the namespaces once moved (it goes with them),
    # in this one when setup stopped before that
    sh("ip", "link", "del", DEV_S, check_rc=False)
    for ns in (NS_S, NS_R):
        sh("ip", "netns", "del", ns, check_rc=False)


def leftovers(tag):
    """what a run with TAG tag left: its namespaces and links"""
    ns = set(sh("ip", "netns", "list").stdout.split())
    links = sh("ip", "-o", "link", "show").stdout
    return sorted({"ptS" + tag, "ptR" + tag} & ns) + \
        [d for d in ("pts" + tag, "ptr" + tag) if re.search(rf": {d}[@:]", links)]


def on_sigterm(sig, frame):
    # exit through the finally blocks, which undo the setup
    raise SystemExit(128 + sig)


def add_delay(ns, dev):
    """netem where the kernel has it, else a token bucket that queues."""
    r = sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "netem",
           "delay", f"{NETEM_DELAY_MS}ms", check_rc=False)
    if r.returncode == 0:
        return "netem"
    # 80 kbit/s: a 1042-byte frame takes 104 ms of tokens; the bucket holds one
    sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate",
       "80kbit", "burst", "1100", "latency", "5s")
    return "tbf"


def del_delay(ns, dev):
    sh("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "root", check_rc=False)


def pingtrace(ns, *args, timeout=60):
    return run(["ip", "netns", "exec", ns, PT, *args], timeout=timeout)


def parse_json(out):
    pkts, summary = [], None
    for line in out.splitlines():
        o = json.loads(line)
        if "summary" in o:
            summary = o["summary"]
        else:
            pkts.append(o)
    return pkts, summary


def kernel_has_kprobes():
    return os.path.exists("/sys/bus/event_source/devices/kprobe")


def test_no_delay():
    print("no delay: every stage small")
    r = pingtrace(NS_S, "-c", "5", "-i", "0.05", "--json", DST)
    check("exit 0", r.returncode == 0, r.stderr)
    pkts, s = parse_json(r.stdout)
    check("5 sent, 5 received, 0 lost", s and (s["sent"], s["received"], s["lost"]) == (5, 5, 0),
          r.stdout)
    check("one object per packet, seq 1..5", [p["seq"] for p in pkts] == [1, 2, 3, 4, 5],
          r.stdout)
    names = list(pkts[0]["stages"]) if pkts else []
    check("a stage named qdisc, one named wire_peer",
          any("qdisc" in n for n in names) and any("wire_peer" in n for n in names), names)
    vals = [v for p in pkts for v in p["stages"].values()]
    check("every stage observed in every packet", vals and None not in vals, r.stdout)
    check(f"every stage's median under {LOCAL_MAX_US} us, none negative",
          vals and None not in vals and min(vals) >= 0 and
          all(statistics.median(p["stages"][n] for p in pkts) < LOCAL_MAX_US for n in names),
          r.stdout)
    check("the stages add up to the RTT (both from the same clock)",
          pkts and all(abs(sum(p["stages"].values()) - p["rtt_us"]) <= 0.1 * len(names) + 0.1
                       for p in pkts), r.stdout)
    if kernel_has_kprobes() or os.path.exists("/sys/kernel/tracing/events/sock/sk_data_ready"):
        check("ip_recv is its own stage (sk_data_ready, or kprobe raw_local_deliver)",
              "ip_recv" in names and "wakeup" in names, names)
    if kernel_has_kprobes():
        check("with kprobes: user_send and ip_send are separate stages",
              "user_send" in names and "ip_send" in names, names)
    else:
        check("without kprobes: user_send+ip_send merged, never reported as zero",
              "user_send+ip_send" in names and "ip_send" not in names, names)
        hooks = {u["hook"]: u["reason"] for u in s["unobserved"]}
        check("without kprobes: the summary lists raw_sendmsg as not observable",
              "no kprobe support" in hooks.get("kprobe raw_sendmsg", ""), s["unobserved"])
        check("without kprobes: stderr says so",
              "not observable on this kernel: kprobe raw_sendmsg" in r.stderr, r.stderr)
    check("summary: min <= avg <= max per stage",
          all(v["min"] <= v["avg"] <= v["max"] and v["p99"] <= v["max"]
              for v in s["stages"].values()), s)


def test_text_and_threshold():
    print("text output, and -t printing only the slow ones")
    r = pingtrace(NS_S, "-c", "3", "-i", "0.05", DST)
    lines = r.stdout.splitlines()
    check("text: header names the stages", lines and lines[0].startswith("PINGTRACE " + DST)
          and "qdisc" in lines[0], r.stdout)
    pkt = [line for line in lines if re.match(
        r"64 bytes from 198\.18\.0\.2: icmp_seq=\d+ time=[\d.]+ ms \|( \S+=[\d.]+)+ us$", line)]
    check("text: one ping-like line per packet with its stages", len(pkt) == 3, r.stdout)
    check("text: summary line like ping's",
          "3 packets transmitted, 3 received, 0 lost" in r.stdout, r.stdout)
    check("text: per-stage min/avg/max/p99 table",
          re.search(r"^qdisc\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$", r.stdout, re.M), r.stdout)
    r = pingtrace(NS_S, "-c", "3", "-i", "0.05", "-t", "1000000", "--json", DST)
    pkts, s = parse_json(r.stdout)
    check("-t above every RTT: no packet printed, all counted",
          r.returncode == 0 and pkts == [] and s["received"] == 3 and s["rtt_us"]["max"] > 0,
          r.stdout)


def spacing(kind):
    """-i for the delayed runs: a token bucket delays an echo only while
    the ones before it queue (80 kbit/s refills the 1100-byte burst in
    0.11 s), so echoes go out close together; netem delays each one, so
    they go out far apart, each reply coming while the sender sleeps (a
    guest emulated on a busy host can take tens of ms per reply)."""
    return "0.02" if kind == "tbf" else "0.25"


def delayed(pkts):
    return [p for p in pkts if p["rtt_us"] >= DELAY_MS * 1000 * 0.8]


# Robust to one outlier (a guest under TCG emulation may leave the sender
# runnable but unscheduled for milliseconds, which lands in user_recv):
def holds_delay(pkts, stage):
    """stage holds >= 80% of the delayed echoes' summed RTT (an echo where
    it was not observed, None, fails it)"""
    vals = [p["stages"][stage] for p in pkts]
    return pkts and None not in vals and sum(vals) >= 0.8 * sum(p["rtt_us"] for p in pkts)


def others_small(pkts, is_delay_stage):
    """every other stage's median stays small (a stage not observed, None,
    in some echo fails it)"""
    names = [n for n in pkts[0]["stages"] if not is_delay_stage(n)] if pkts else []
    vals = {n: [p["stages"][n] for p in pkts] for n in names}
    return pkts and all(None not in v and statistics.median(v) < LOCAL_MAX_US
                        for v in vals.values())


def test_sender_delay():
    kind = add_delay(NS_S, DEV_S)
    print(f"delay on the sender's veth ({kind}): it appears in the qdisc stage")
    args = ["-c", "4", "-i", spacing(kind), "-s", "1000", "-W", "3", "--json"]
    try:
        r = pingtrace(NS_S, *args, DST)
        rt = pingtrace(NS_S, *args, "-t", str(DELAY_MS * 500), DST)
    finally:
        del_delay(NS_S, DEV_S)
    pkts, s = parse_json(r.stdout)
    slow = delayed(pkts)
    check("4 received", s and s["received"] == 4, r.stdout + r.stderr)
    check("at least 3 packets delayed", len(slow) >= 3, r.stdout)
    qd = [n for n in (pkts[0]["stages"] if pkts else {}) if "qdisc" in n]
    check(f"the qdisc stage holds >= 80% of the delayed RTT ({kind})",
          qd and holds_delay(slow, qd[0]), r.stdout)
    check("every other stage stays small (median)",
          others_small(slow, lambda n: "qdisc" in n), r.stdout)
    r = rt
    pkts, s = parse_json(r.stdout)
    check("-t: every printed packet is over the threshold, the summary counts all 4",
          pkts and all(p["rtt_us"] > DELAY_MS * 500 for p in pkts) and s["sent"] == 4
          and s["received"] == 4, r.stdout)


def with_responder(count, *runs):
    """A responder in the responder's namespace for count echoes while each
    of runs (pingtrace arguments) runs on the sender: (sender results,
    responder stdout, stderr, exit status)."""
    resp = subprocess.Popen(["ip", "netns", "exec", NS_R, PT, "--responder", "-c", str(count),
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    head = ""
    try:
        # at most 30 s for "responder ready" (a line read only once there)
        sel = selectors.DefaultSelector()
        sel.register(resp.stderr, selectors.EVENT_READ)
        end = time.monotonic() + 30
        while "responder ready" not in head and resp.poll() is None:
            if not sel.select(timeout=max(0, end - time.monotonic())):
                head += "timed out: no 'responder ready' from the responder after 30 s\n"
                break
            head += resp.stderr.readline()
        sel.close()
        results = [pingtrace(NS_S, *args) for args in runs]
        try:
            rout, rerr = resp.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            resp.kill()
            rout, rerr = resp.communicate()
            rerr += "timed out: the responder had not ended 30 s after the last echo, killed\n"
    finally:
        if resp.poll() is None:
            resp.kill()
            resp.communicate()
    return results, rout, head + rerr, resp.returncode


def test_responder_delay():
    kind = add_delay(NS_R, DEV_R)
    print(f"delay on the responder's veth ({kind}): outside the sender's local stages, "
          "and in the responder's own report")
    try:
        (r,), rout, rerr, rrc = with_responder(
            4, ["-c", "4", "-i", spacing(kind), "-s", "1000", "-W", "3", "--json", DST])
    finally:
        del_delay(NS_R, DEV_R)
    pkts, s = parse_json(r.stdout)
    slow = delayed(pkts)
    check("4 received", s and s["received"] == 4, r.stdout + r.stderr)
    check("at least 3 packets delayed", len(slow) >= 3, r.stdout)
    check(f"sender: wire_peer holds >= 80% of the delayed RTT ({kind})",
          holds_delay(slow, "wire_peer"), r.stdout)
    check("sender: its local stages stay small (median)",
          others_small(slow, lambda n: n == "wire_peer"), r.stdout)
    check("responder: exits 0 after 4 echoes", rrc == 0, rerr)
    rp, rs = parse_json(rout) if rrc == 0 else ([], None)
    check("responder: one object per echo, from the sender, seq 1..4",
          [(p["from"], p["seq"]) for p in rp] == [(SRC, i) for i in range(1, 5)], rout)
    rslow = [p for p in rp if p["total_us"] >= DELAY_MS * 800]
    check("responder: its qdisc stage holds >= 80% of its time for the delayed echoes",
          len(rslow) >= 3 and sum(p["stages"]["qdisc"] for p in rslow)
          >= 0.8 * sum(p["total_us"] for p in rslow), rout)
    check("responder: summary counts 4 answered", rs and rs["answered"] == 4, rout)
    if kernel_has_kprobes():
        check("responder, with kprobes: recv and icmp_reply are separate, observed stages",
              rp and all(p["stages"].get("recv") is not None and
                         p["stages"].get("icmp_reply") is not None for p in rp), rout)
    else:
        check("responder: icmp_rcv listed as not observable",
              rs and any(u["hook"].startswith("kprobe icmp_rcv") for u in rs["unobserved"]),
              rout)


def test_pid_namespace():
    """In a container's pid namespace getpid() is not the pid the kernel's
    hooks report: pingtrace must still find its own wake-ups (and, with
    kprobes, its own sends), not silently fold them into user_recv."""
    pidns = ["unshare", "--pid", "--fork", "--mount-proc"]
    if run(pidns + ["true"]).returncode:
        print("pid namespace: unshare --pid --fork --mount-proc unavailable here, skipped")
        return
    kind = add_delay(NS_R, DEV_R)
    print(f"in its own pid namespace, a delay on the responder ({kind}): the sender "
          "sleeps for each reply and its wake-up is still stamped")
    try:
        r = run(["ip", "netns", "exec", NS_S, *pidns, PT, "-c", "4", "-i", spacing(kind),
                 "-s", "1000", "-W", "3", "--json", DST])
    finally:
        del_delay(NS_R, DEV_R)
    pkts, s = parse_json(r.stdout) if r.returncode == 0 else ([], None)
    slow = delayed(pkts)
    check("pid namespace: 4 received, at least 3 delayed",
          s and s["received"] == 4 and len(slow) >= 3, r.stdout + r.stderr)
    check("pid namespace: every delayed echo has a wake-up (sched_wakeup matched)",
          slow and all(p["stages"]["wakeup"] > 0 for p in slow), r.stdout)
    check("pid namespace: every stage observed in every packet",
          pkts and all(v is not None for p in pkts for v in p["stages"].values()), r.stdout)
    if kernel_has_kprobes():
        check("pid namespace, with kprobes: user_send is its own stage (raw_sendmsg matched)",
              pkts and all(p["stages"].get("user_send") is not None for p in pkts), r.stdout)


def test_ipv6():
    """The same stages over IPv6 (ICMPv6 echoes, the IPv6 twins of the
    kprobed functions), and a responder answering both families."""
    if not HAVE_V6:
        print("IPv6: cannot add IPv6 addresses here (IPv6 disabled?), skipped")
        return
    print("IPv6, no delay: every stage observed, same names as over IPv4")
    r = pingtrace(NS_S, "-c", "5", "-i", "0.05", "--json", DST6)
    pkts, s = parse_json(r.stdout) if r.returncode == 0 else ([], None)
    check("IPv6: 5 sent, 5 received", s and (s["sent"], s["received"]) == (5, 5),
          r.stdout + r.stderr)
    check("IPv6: the summary names the IPv6 destination", s and s["dest"] == DST6, s)
    names = list(pkts[0]["stages"]) if pkts else []
    check("IPv6: every stage observed in every packet, adding up to the RTT",
          pkts and all(None not in p["stages"].values() and
                       abs(sum(p["stages"].values()) - p["rtt_us"]) <= 0.1 * len(names) + 0.1
                       for p in pkts), r.stdout)
    if kernel_has_kprobes():
        check("IPv6, with kprobes: user_send and ip_send separate (rawv6_sendmsg)",
              "user_send" in names and "ip_send" in names, names)
    else:
        check("IPv6, without kprobes: rawv6_sendmsg listed as not observable",
              any(u["hook"] == "kprobe rawv6_sendmsg" for u in s["unobserved"]) if s else False,
              s)
    r = pingtrace(NS_S, "-4", "-c", "1", DST6)
    check("IPv6: -4 with an IPv6 DEST: exit 1, says so",
          r.returncode == 1 and "cannot resolve" in r.stderr, r.stderr)

    kind = add_delay(NS_R, DEV_R)
    print(f"IPv6, delay on the responder ({kind}): in wire_peer, and in the responder's "
          "report, which answers both families")
    try:
        (r, r4), rout, rerr, rrc = with_responder(
            5, ["-c", "4", "-i", spacing(kind), "-s", "1000", "-W", "3", "--json", DST6],
            ["-c", "1", "-W", "3", "--json", DST])
    finally:
        del_delay(NS_R, DEV_R)
    pkts, s = parse_json(r.stdout) if r.returncode == 0 else ([], None)
    slow = delayed(pkts)
    check("IPv6: at least 3 echoes delayed, wire_peer holds >= 80% of their RTT",
          len(slow) >= 3 and holds_delay(slow, "wire_peer"), r.stdout + r.stderr)
    rp, rs = parse_json(rout) if rrc == 0 else ([], None)
    check("IPv6 responder: the IPv6 echoes from the sender, seq 1..4, then the IPv4 one",
          [(p["from"], p["seq"]) for p in rp] == [(SRC6, i) for i in range(1, 5)] + [(SRC, 1)],
          rout + rerr + r4.stdout)
    rslow = [p for p in rp if p["from"] == SRC6 and p["total_us"] >= DELAY_MS * 800]
    check("IPv6 responder: its qdisc stage holds >= 80% of its time for the delayed echoes",
          len(rslow) >= 3 and sum(p["stages"]["qdisc"] for p in rslow)
          >= 0.8 * sum(p["total_us"] for p in rslow), rout)


def test_loss_and_errors():
    print("lost echoes and bad input")
    r = pingtrace(NS_S, "-c", "2", "-i", "0.1", "-W", "0.3", "--json", "198.18.0.77")
    pkts, s = parse_json(r.stdout)
    check("no host: exit 1, both counted lost",
          r.returncode == 1 and s["lost"] == 2 and [p.get("lost") for p in pkts] == [True, True],
          r.stdout + r.stderr)
    cases = [
        ("no DEST", [], "give a DEST to ping, or --responder", 2),
        ("payload too small", ["-s", "4", DST], "invalid size '4'", 1),
        ("zero count", ["-c", "0", DST], "invalid count '0'", 1),
        ("bad interval", ["-i", "x", DST], "invalid interval 'x'", 1),
        ("unknown host", ["no-such-host.invalid"], "cannot resolve 'no-such-host.invalid'", 1),
        ("responder with DEST", ["--responder", DST], "--responder takes no DEST", 2),
    ]
    for name, args, msg, rc in cases:
        r = pingtrace(NS_S, *args)
        check(f"{name}: exit {rc}, says '{msg}'", r.returncode == rc and msg in r.stderr,
              f"exit {r.returncode}\n{r.stderr}")
    # the unprivileged user may not reach the repository (a clone under
    # /root, mode 0700): it runs a copy from a directory of its own
    d = tempfile.mkdtemp(prefix="pingtrace-nonroot-")
    try:
        os.chmod(d, 0o755)
        pt = shutil.copy(PT, os.path.join(d, "pingtrace"))
        r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", pt, "-c", "1",
                 DST])
    finally:
        shutil.rmtree(d)
    check("not root: exit 1, says so", r.returncode == 1 and "needs root" in r.stderr, r.stderr)


def test_cleanup_on_failure():
    """This script run with a setup that fails, and with a SIGTERM during
    its setup: each time the namespaces and veth it made are gone after."""
    print("a failed setup, a SIGTERM: nothing left behind")
    for inject, rc, why in (("setup-fails", 1, "setup failed on purpose"),
                            ("sigterm", 128 + signal.SIGTERM, "")):
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__)],
                                 env=dict(os.environ, PINGTRACE_TEST_INJECT=inject),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            out = child.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            child.kill()
            out = child.communicate()[0] + "timed out: still running after 60 s, killed\n"
        tag = str(child.pid % 100000)
        check(f"{inject}: the run made its namespaces, then exited {rc}",
              f"setup: ptS{tag}, ptR{tag} and pts{tag} made" in out and child.returncode == rc
              and why in out, f"exit {child.returncode}\n{out}")
        left = leftovers(tag)
        check(f"{inject}: no namespace or link left", left == [], left)
        for name in left:  # what the check found is not left either
            sh("ip", "netns", "del", name, check_rc=False)
            sh("ip", "link", "del", name, check_rc=False)


def main():
    if os.geteuid() != 0:
        print("test_pingtrace: needs root")
        sys.exit(77)
    if not os.access(PT, os.X_OK):
        print(f"test_pingtrace: {PT} missing: run make")
        sys.exit(1)
    progs = lambda: sh("bpftool", "prog", "show").stdout.count(" name pt_")  # noqa: E731
    before = progs()
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        setup()
        test_no_delay()
        test_text_and_threshold()
        test_sender_delay()
        test_responder_delay()
        test_pid_namespace()
        test_ipv6()
        test_loss_and_errors()
    finally:
        teardown()
    # last: the kernel tears namespaces down in the background, which must
    # not weigh on the measurements above (a guest under TCG has one slow CPU)
    if not INJECT:
        test_cleanup_on_failure()
    check("nothing of pingtrace left in the kernel", progs() == before)
    print(f"test_pingtrace: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
