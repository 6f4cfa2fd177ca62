#!/bin/bash
# CLI tests of `coolbpf run --metrics ADDR:PORT`: a real process makes a
# known number of syscalls, curl scrapes /metrics, Prometheus' own parser
# (python3-prometheus-client) reads the exposition, promtool lints it.
# Needs root, curl, python3. Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "metrics.sh: needs root"; exit 77; }
command -v curl >/dev/null || { echo "metrics.sh: needs curl"; exit 77; }
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
	{ echo "metrics.sh: needs python3-prometheus-client"; exit 77; }

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}

bounded 120 "$COOLBPF" compile tests/data/metrics.bpf.c -o "$T/metrics.o" >"$T/err" 2>&1 ||
	{ bad "compile tests/data/metrics.bpf.c" "$T/err"; echo "metrics.sh: $pass passed, $fail failed"; exit 1; }

# a process called coolbpf-mtest: 7 getppid(), 5 writes of 100 bytes and
# one of 3000 to fd 9, and no other write
cat >"$T/probe.py" <<'PY'
import ctypes, os
ctypes.CDLL(None).prctl(15, b"coolbpf-mtest", 0, 0, 0)
os.dup2(os.open("/dev/null", os.O_WRONLY), 9)
for _ in range(7):
    os.getppid()
for _ in range(5):
    os.write(9, b"x" * 100)
os.write(9, b"y" * 3000)
PY

echo "coolbpf run --metrics"
bg "$T/out" "$T/err" "$COOLBPF" run -d 30 --metrics 127.0.0.1:0 "$T/metrics.o"
srv=$BG_PID
wait_ready "$srv" "$T/err" 'tracing' 20
port=$(sed -n 's|^coolbpf: metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$T/err")
[ -n "$port" ] && ok "serving, the port said on stderr ($port)" || bad "no metrics line" "$T/err"
url=http://127.0.0.1:${port:-1}/metrics
curl -sS -m 10 -o "$T/before" "$url" 2>"$T/curl" && ! grep -q coolbpf-mtest "$T/before" &&
	ok "scraped before the probe: nothing of it" || bad "first scrape" "$T/curl"
/usr/bin/python3 "$T/probe.py" >/dev/null 2>&1 &
ppid=$! pfd=9
wait $ppid
curl -sS -m 10 -D "$T/headers" -o "$T/scrape" "$url" 2>"$T/curl" || bad "scrape" "$T/curl"
grep -qi '^content-type: text/plain; version=0.0.4' "$T/headers" &&
	ok "Content-Type: text/plain; version=0.0.4" || bad "content type" "$T/headers"
/usr/bin/python3 - "$T/scrape" "$ppid" "$pfd" <<'PY' && ok "Prometheus' parser: counters with key labels, the histogram, the exact counts" || bad "exposition" "$T/scrape"
import sys
from prometheus_client.parser import text_string_to_metric_families
text, pid, fd = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
fams = {f.name: f for f in text_string_to_metric_families(text)}
calls = fams["metrics_calls"]
assert calls.type == "counter", calls.type
got = {(s.labels["comm"], s.labels["kind"]): s.value for s in calls.samples
       if s.labels["pid"] == pid}
assert got == {("coolbpf-mtest", "KIND_GETPPID"): 7, ("coolbpf-mtest", "KIND_WRITE"): 6}, got
io = {(f, s.labels["key"]): s.value for f in ("metrics_io_calls", "metrics_io_bytes")
      for s in fams[f].samples}
assert io[("metrics_io_calls", fd)] == 6 and io[("metrics_io_bytes", fd)] == 3500, io
h = fams["metrics_wsize"]
assert h.type == "histogram", h.type
b = {s.labels["le"]: s.value for s in h.samples if s.name == "metrics_wsize_bucket"}
assert b["63"] == 0 and b["127"] == 5 and b["2047"] == 5 and b["4095"] == 6, b
assert b["+Inf"] == 6 and "8191" not in b, b
one = {s.name: s.value for s in h.samples if s.name != "metrics_wsize_bucket"}
assert one["metrics_wsize_count"] == 6, one
assert one["metrics_wsize_sum"] == 5 * 95.5 + 3071.5, one
PY
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/scrape" >"$T/lint" 2>&1 && ok "promtool check metrics: clean" ||
		bad "promtool check metrics" "$T/lint"
else
	echo "  skip: no promtool (Debian's prometheus package)"
fi
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port:-1}/other")
[ "$code" = 404 ] && ok "another path: 404" || bad "another path: $code"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "$url")
[ "$code" = 405 ] && ok "POST: 405" || bad "POST: $code"
bounded 60 "$COOLBPF" run -d 1 --metrics "127.0.0.1:${port:-1}" "$T/metrics.o" >"$T/out2" 2>"$T/err2"
rc=$?
[ $rc = 1 ] && grep -q "cannot serve metrics on '127.0.0.1:$port'" "$T/err2" &&
	ok "port taken: exit 1, said" || bad "port taken (exit $rc)" "$T/err2"
grep -q libmicrohttpd "/proc/$srv/maps" && ok "serving: libmicrohttpd loaded (dlopen)" ||
	bad "serving without libmicrohttpd mapped?" "/proc/$srv/maps"
kill -INT "$srv"
bg_wait "$srv" 20
rc=$?
[ $rc = 0 ] && grep -q 'KIND_GETPPID => 7' "$T/out" && ok "SIGINT: exit 0, maps printed as ever" ||
	bad "end of the serving run (exit $rc)" "$T/out"
bounded 60 "$COOLBPF" run --metrics nonsense "$T/metrics.o" >"$T/out2" 2>"$T/err2"
rc=$?
[ $rc = 2 ] && grep -q "give ADDR:PORT" "$T/err2" && ok "--metrics without a port: exit 2" ||
	bad "bad --metrics (exit $rc)" "$T/err2"

# libmicrohttpd (and the GnuTLS it links) is loaded by --metrics alone
bg "$T/out3" "$T/err3" "$COOLBPF" run -d 30 "$T/metrics.o"
plain=$BG_PID
wait_ready "$plain" "$T/err3" 'tracing' 20
grep -qE 'libmicrohttpd|libgnutls' "/proc/$plain/maps" &&
	bad "a run without --metrics maps libmicrohttpd or libgnutls" "/proc/$plain/maps" ||
	ok "a run without --metrics maps neither libmicrohttpd nor libgnutls"
kill -INT "$plain"
bg_wait "$plain" 20
# --metrics where libmicrohttpd cannot be loaded: hidden by /dev/null bound
# over it in a mount namespace of its own
mhd=$(readlink -f /usr/lib/x86_64-linux-gnu/libmicrohttpd.so.12)
bounded 60 unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' _ "$mhd" \
	"$COOLBPF" run -d 1 --metrics 127.0.0.1:0 "$T/metrics.o" >"$T/out4" 2>"$T/err4"
rc=$?
[ $rc = 1 ] && grep -qE "^coolbpf: --metrics needs libmicrohttpd \(Debian: apt install libmicrohttpd12\): .*libmicrohttpd\.so\.12" "$T/err4" &&
	ok "--metrics, libmicrohttpd unloadable: exit 1, named with the fix" ||
	bad "--metrics, libmicrohttpd unloadable (exit $rc)" "$T/err4"

echo "metrics.sh: $pass passed, $fail failed"
[ $fail = 0 ]
