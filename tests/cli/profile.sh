#!/bin/bash
# CLI tests of `coolbpf run` as a profiler: SEC("perf_event") attached on
# every CPU (--freq, --period, --event), stack-count maps printed merged,
# symbolized, sorted (--top, --folded, --json), user frames of a process
# in another mount namespace and of one that is gone.
# Needs root and a C compiler. Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "profile.sh: needs root"; exit 77; }
command -v cc >/dev/null || { echo "profile.sh: needs cc"; exit 77; }

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}

# a process busy in one named function: -g, no inlining, frame pointers
cat >"$T/busy.c" <<'C'
#include <stdlib.h>
#include <time.h>
volatile unsigned long sink;
__attribute__((noinline)) void coolbpf_test_spin(double secs)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 100000; i++)
			sink += i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
}
int main(int argc, char **argv)
{
	coolbpf_test_spin(argc > 1 ? atof(argv[1]) : 5);
	return 0;
}
C
cc -g -O1 -fno-inline -fno-omit-frame-pointer -o "$T/busy" "$T/busy.c" ||
	{ echo "profile.sh: cannot build the busy program"; exit 1; }
# compile once, so that every run below starts sampling at once
bounded 120 "$COOLBPF" compile examples/profile.bpf.c -o "$T/profile.o" >"$T/err" 2>&1 ||
	{ bad "compile examples/profile.bpf.c" "$T/err"; echo "profile.sh: $pass passed, $fail failed"; exit 1; }

# profile SECONDS BUSY_SECONDS [BUSY] -- ARGS...: BUSY (default $T/busy) runs
# for BUSY_SECONDS while coolbpf samples for SECONDS; stdout in $T/out
profile() {
	local secs=$1 busy_secs=$2 busy=$T/busy
	shift 2
	if [ "$1" != -- ]; then busy=$1; shift; fi
	shift
	"$busy" "$busy_secs" &
	local bpid=$!
	bounded 60 "$COOLBPF" run -d "$secs" "$@" "$T/profile.o" >"$T/out" 2>"$T/err"
	local rc=$?
	wait "$bpid"
	return $rc
}

echo "coolbpf run: a CPU profile"
profile 3 4 -- --top 5
rc=$?
[ $rc = 0 ] && ok "profile exits 0" || bad "profile exit $rc" "$T/err"
grep -q 'attached on_sample: perf_event cpu-clock at 99 Hz on every CPU' "$T/err" &&
	ok "SEC(\"perf_event\") attached: 99 Hz cpu-clock on every CPU" || bad "attach report" "$T/err"
python3 - "$T/out" <<'PY' && ok "the busy process's stack names its function, most counted first" || bad "text profile" "$T/out"
import re, sys
text = open(sys.argv[1]).read()
head, *groups = re.split(r"\n(?=  \d+  )", text.strip())
m = re.match(r"samples: (\d+) stacks, \d+ samples(, the most counted:)?$", head)
assert m, head
# a quiet host may have fewer than 5 stacks: then all, and no "most counted"
assert len(groups) == min(5, int(m[1])) and bool(m[2]) == (int(m[1]) > 5), (head, len(groups))
counts = [int(g.split()[0]) for g in groups]
assert counts == sorted(counts, reverse=True), counts
busy = [g for g in groups if re.match(r"  \d+  busy \(pid \d+\)\n", g)]
assert busy, "no group of busy"
frames = busy[0].splitlines()[1:]
assert "    coolbpf_test_spin (busy)" in frames and "    main (busy)" in frames, frames
assert frames.index("    coolbpf_test_spin (busy)") < frames.index("    main (busy)"), frames
# 3 s at 99 Hz is at most ~300 samples of one CPU; a loaded host gives fewer
assert int(busy[0].split()[0]) >= 30, busy[0]
PY

profile 2 3 -- --folded
python3 - "$T/out" <<'PY' && ok "--folded: 'comm;outer;...;inner count', the function in it" || bad "--folded" "$T/out"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no output"
for l in lines:
    assert re.fullmatch(r"[^ ]+ \d+", l), l
busy = [l for l in lines if l.startswith("busy;")]
assert any(re.fullmatch(r"busy;(.*;)?main;coolbpf_test_spin(;.*)? \d+", l) for l in busy), busy
counts = [int(l.rsplit(" ", 1)[1]) for l in lines]
assert counts == sorted(counts, reverse=True)
stacks = [l.rsplit(" ", 1)[0] for l in lines]
assert len(stacks) == len(set(stacks)), "folded lines not merged"
PY

profile 2 3 -- --json --top 3
python3 - "$T/out" <<'PY' && ok "--json: {map, samples, stacks: [{count, key, frames}]}" || bad "--json profile" "$T/out"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
st = [o for o in objs if o.get("map") == "samples"]
assert len(st) == 1 and not [o for o in objs if o.get("map") == "stacks"], objs
s = st[0]
assert 1 <= len(s["stacks"]) <= 3 and s["samples"] >= sum(x["count"] for x in s["stacks"])
busy = [x for x in s["stacks"] if x["key"]["comm"] == "busy"]
assert busy and isinstance(busy[0]["key"]["pid"], int), s["stacks"]
assert "coolbpf_test_spin (busy)" in busy[0]["frames"], busy[0]
PY

profile 2 3 -- --freq 500 --top 1
grep -q 'cpu-clock at 500 Hz on every CPU' "$T/err" && ok "--freq 500 in the attach report" || bad "--freq report" "$T/err"
n=$(awk '/^  [0-9]+  busy /{print $1; exit}' "$T/out")
# more than 2 s at 99 Hz could give on one CPU (198)
[ "${n:-0}" -gt 250 ] && ok "--freq 500 samples faster ($n samples of busy in 2 s)" || bad "--freq 500: ${n:-no} samples" "$T/out"

profile 2 3 -- --event task-clock --period 2000000 --top 1
grep -q 'task-clock every 2000000 events on every CPU' "$T/err" && grep -q '  busy (pid' "$T/out" &&
	ok "--event task-clock --period N" || bad "--event task-clock --period" "$T/err"

bounded 60 "$COOLBPF" run -d 1 --event cycles "$T/profile.o" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 0 ]; then
	grep -q 'cycles at 99 Hz' "$T/err" && grep -q 'samples: ' "$T/out" &&
		ok "--event cycles: hardware counters here, sampled" || bad "--event cycles" "$T/err"
else
	grep -q "this machine has no 'cycles' perf event" "$T/err" &&
		ok "--event cycles: no hardware counters, said so (exit $rc)" || bad "--event cycles error" "$T/err"
fi
bounded 60 "$COOLBPF" run --event nosuch "$T/profile.o" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "unknown perf event 'nosuch': known are cpu-clock" "$T/err" &&
	ok "unknown --event: exit 2, the names listed" || bad "unknown --event (exit $rc)" "$T/err"
bounded 60 "$COOLBPF" run --json --folded "$T/profile.o" >"$T/out" 2>"$T/err"
[ $? = 2 ] && ok "--json --folded: usage error" || bad "--json --folded" "$T/err"

echo "coolbpf run: user frames of other mount namespaces, and of the dead"
mkdir -p "$T/mnt"
cat >"$T/ns.sh" <<SH
mount -t tmpfs none "$T/mnt" && cp "$T/busy" "$T/mnt/busyns" && exec "$T/mnt/busyns" "\$1"
SH
# the "busy program" enters a mount namespace of its own first
cat >"$T/busyns" <<SH
#!/bin/sh
exec unshare --mount --propagation private sh "$T/ns.sh" "\$1"
SH
chmod +x "$T/busyns"
profile 3 4 "$T/busyns" -- --top 10
[ ! -e "$T/mnt/busyns" ] && grep -q '^    coolbpf_test_spin (busyns)$' "$T/out" &&
	ok "a binary only its mount namespace sees: symbolized" || bad "other mount namespace" "$T/out"
cp "$T/busy" "$T/busydead"
profile 3 1 "$T/busydead" -- --top 20
python3 - "$T/out" <<'PY' && ok "a process gone before the print: [unknown] + address" || bad "dead process" "$T/out"
import re, sys
groups = re.split(r"\n(?=  \d+  )", open(sys.argv[1]).read().strip())[1:]
dead = [g for g in groups if re.match(r"  \d+  busydead \(pid \d+\)\n", g)]
assert dead, "no group of busydead"
frames = [f.strip() for g in dead for f in g.splitlines()[1:]]
assert not [f for f in frames if "coolbpf_test_spin" in f], frames
assert [f for f in frames if re.fullmatch(r"\[unknown\] 0x[0-9a-f]+", f)], frames
PY
bpftool prog show 2>/dev/null | grep -q "name on_sample" && bad "on_sample left in the kernel" ||
	ok "nothing left in the kernel"

echo "profile.sh: $pass passed, $fail failed"
[ $fail = 0 ]
