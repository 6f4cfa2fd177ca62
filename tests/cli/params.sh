#!/bin/bash
# CLI tests of `coolbpf run --set NAME=VALUE` (run-time parameters of a
# compiled object or a source), -D on an object, and the periodic output of
# -i/--clear and the timestamps of -T. Loads real programs whose events
# echo what the kernel got. Needs root. Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "params.sh: needs root"; exit 77; }

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}
# expect_usage NAME PATTERN -- ARGS...: exit 2 and PATTERN on stderr
expect_usage() {
	local name=$1 pat=$2
	shift 3
	bounded 60 "$COOLBPF" "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc != 2 ]; then
		bad "$name: exit $rc, expected 2" "$T/err"
	elif ! grep -qF -- "$pat" "$T/err"; then
		bad "$name: stderr lacks '$pat'" "$T/err"
	else
		ok "$name (exit 2)"
	fi
}
our_progs() { bpftool prog show 2>/dev/null | grep -cE "name on_getppid\b"; }

"$COOLBPF" compile tests/data/params.bpf.c -o "$T/params.o" || { echo "cannot compile"; exit 1; }

# getppid_after SECONDS: a process that calls getppid() 3 times after
# SECONDS, its pid in GP_PID
getppid_after() {
	python3 -c 'import os, sys, time
time.sleep(float(sys.argv[1]))
for _ in range(3): os.getppid()' "$1" &
	GP_PID=$!
}

# run_params ARGS...: coolbpf run ARGS for 3 s while a process of pid
# GP_PID calls getppid(); the events it got in $T/out
run_params() {
	getppid_after 1.5
	bg "$T/out" "$T/err" "$COOLBPF" run --json -d 3 "$@"
	bg_wait "$BG_PID" 60
	local rc=$?
	wait "$GP_PID"
	return $rc
}

# events_of PID EXPECTED_JSON: every event of PID carries EXPECTED's fields
check_events() {
	python3 - "$T/out" "$1" "$2" <<'PY'
import json, sys
evs = [json.loads(l)["event"] for l in open(sys.argv[1]) if '"event"' in l]
mine = [e for e in evs if e["pid"] == int(sys.argv[2])]
assert len(mine) >= 3, f"{len(mine)} events of pid {sys.argv[2]} in {len(evs)}"
want = json.loads(sys.argv[3])
for e in mine:
    for k, v in want.items():
        assert e[k] == v, f"{k}: {e[k]!r}, wanted {v!r}"
PY
}

echo "coolbpf run --set: every kind of global, before load"
run_params --set small=0xff --set verbose=true --set mode=MODE_PID --set comm=hello \
	--set big=18446744073709551615 --set counter=-9 --set zero=077 --set target_pid=-42 "$T/params.o"
rc=$?
[ $rc = 0 ] || bad "run with --set: exit $rc" "$T/err"
check_events "$GP_PID" '{"target_pid": -42, "small": 255, "verbose": true, "mode": "MODE_PID",
	"comm": "hello", "big": 18446744073709551615, "counter": -9, "zero": 63}' 2>"$T/why" &&
	ok "rodata ints (hex, negative, u64 max), bool, enum by name, char[16]; .data; .bss (octal)" ||
	bad "values the kernel got" "$T/why"
run_params "$T/params.o"
check_events "$GP_PID" '{"target_pid": -1, "small": 7, "verbose": false, "mode": "MODE_ALL",
	"comm": "any", "big": 16, "counter": 3, "zero": 0}' 2>"$T/why" &&
	ok "without --set: the compiled defaults" || bad "defaults" "$T/why"

echo "coolbpf run --set: a pid filter on a compiled object"
getppid_after 1.5
bg "$T/out" "$T/err" "$COOLBPF" run --json -d 3 --set target_pid=$GP_PID "$T/params.o"
target=$GP_PID
getppid_after 1.5 # another process, filtered out
other=$GP_PID
bg_wait "$BG_PID" 60
wait "$target" "$other"
python3 - "$T/out" "$target" "$other" <<'PY' 2>"$T/why" && ok "only the target's events" || bad "filter" "$T/why"
import json, sys
pids = [json.loads(l)["event"]["pid"] for l in open(sys.argv[1]) if '"event"' in l]
assert pids.count(int(sys.argv[2])) >= 3, pids
assert set(pids) == {int(sys.argv[2])}, pids
PY
run_params --set comm=src --set mode=6 tests/data/params.bpf.c
check_events "$GP_PID" '{"comm": "src", "mode": "MODE_NONE"}' 2>"$T/why" &&
	ok "on a source too; an enum by number" || bad "--set on a source" "$T/why"

echo "coolbpf run --set: errors name the variable, its type, the valid names; nothing loaded"
settable="settable: target_pid (int), small (unsigned char), verbose (bool), mode (enum mode), comm (char[16]), big (u64), counter (int), zero (u32)"
expect_usage "unknown name" "cannot set nope: '$T/params.o' has no global variable 'nope'; $settable" -- run --set nope=1 "$T/params.o"
expect_usage "out of range" "cannot set small (unsigned char, in .rodata): 256 is out of range [0, 255]" -- run --set small=256 "$T/params.o"
expect_usage "negative for unsigned" "cannot set zero (u32, in .bss): -1 is out of range [0, 4294967295] (the type is unsigned)" -- run --set zero=-1 "$T/params.o"
expect_usage "int range" "2147483648 is out of range [-2147483648, 2147483647]" -- run --set target_pid=2147483648 "$T/params.o"
expect_usage "not a number" "cannot set target_pid (int, in .rodata): '12x' is not an integer" -- run --set target_pid=12x "$T/params.o"
expect_usage "unknown enumerator" "cannot set mode (enum mode, in .rodata): 'MODE_X' is not one of its enumerators: MODE_ALL, MODE_PID, MODE_NONE" -- run --set mode=MODE_X "$T/params.o"
expect_usage "bad bool" "cannot set verbose (bool, in .rodata): 'maybe' is not a bool" -- run --set verbose=maybe "$T/params.o"
expect_usage "string too long" "'0123456789abcdef' is 16 bytes: the array holds 15 and a NUL" -- run --set comm=0123456789abcdef "$T/params.o"
expect_usage "not settable" "cannot set pair: 'pair' is a struct pair, which cannot be set from the command line; $settable" -- run --set pair=1 "$T/params.o"
expect_usage "no =" "--set takes NAME=VALUE, not 'small'" -- run --set small "$T/params.o"
expect_usage "--set =V: no name" "--set takes NAME=VALUE, not '=3'" -- run --set =3 "$T/params.o"
expect_usage "--map-size without =" "--map-size takes MAP=ENTRIES, not 'counts'" -- run --map-size counts "$T/params.o"
expect_usage "--event-type without =" "--event-type takes MAP=TYPE (e.g. events='struct event'), not 'events'" -- run --event-type events "$T/params.o"
many=()
for i in $(seq 65); do many+=(--set "small=$i"); done
expect_usage "65 --set: the limit named" "too many --set options (at most 64)" -- run "${many[@]}" "$T/params.o"
many=()
for i in $(seq 65); do many+=(-D "N$i"); done
expect_usage "65 -D: the limit named" "too many -D options (at most 64)" -- compile "${many[@]}" tests/data/params.bpf.c -o "$T/many.o"
echo "coolbpf run --perf-pages: a count of pages, a power of two"
expect_usage "--perf-pages 3" "invalid --perf-pages '3': expected a power of two" -- run --perf-pages 3 "$T/params.o"
expect_usage "--perf-pages 4K (bytes, not pages)" "invalid --perf-pages '4K': expected a count from 1 to 1048576, a power of two (a plain number: no K, M, G)" -- run --perf-pages 4K "$T/params.o"
expect_usage "--perf-pages 0" "invalid --perf-pages '0': expected a count from 1 to 1048576" -- run --perf-pages 0 "$T/params.o"
expect_usage "--perf-pages -8" "invalid --perf-pages '-8': expected a count" -- run --perf-pages -8 "$T/params.o"
expect_usage "--perf-pages past the bound" "invalid --perf-pages '2097152': expected a count from 1 to 1048576" -- run --perf-pages 2097152 "$T/params.o"
bounded 60 "$COOLBPF" run --json --set nope=1 "$T/params.o" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && python3 -c 'import json,sys; e=json.loads(open(sys.argv[1]).read()); assert "nope" in e["error"]' "$T/err" &&
	ok "--json: the error is JSON, exit 2" || bad "--json error (exit $rc)" "$T/err"
expect_usage "-D on an object points to --set" "-D TARGET_PID=1 defines a macro for a compile, and '$T/params.o' is compiled already: set its globals with --set NAME=VALUE ($settable)" -- run -D TARGET_PID=1 "$T/params.o"
echo "coolbpf run -i: the maps every interval, with a time"
"$COOLBPF" compile tests/data/counts.bpf.c -o "$T/counts.o" || bad "compile counts.bpf.c"
# bursts_run ARGS...: a process that, once coolbpf run ARGS is ready, calls
# getppid() 10 times 0.5 s in and 10 times 1.5 s in; the run traces it
bursts_run() {
	rm -f "$T/go" "$T/up"
	/usr/bin/python3 -c 'import os, sys, time
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[1]): time.sleep(0.01)
time.sleep(0.5)
for _ in range(10): os.getppid()
time.sleep(1.0)
for _ in range(10): os.getppid()' "$T/go" "$T/up" &
	local gp=$!
	# its start-up is over before the tracing starts
	wait_for 20 "python up" test -e "$T/up"
	bg "$T/out" "$T/err" "$COOLBPF" run --set target_pid=$gp "$@" "$T/counts.o"
	wait_ready "$BG_PID" "$T/err" 'tracing|"attached"' 20 && touch "$T/go"
	bg_wait "$BG_PID" 60
	local rc=$?
	wait $gp
	return $rc
}
# intervals CLEAR: the JSON lines of $T/out, as intervals of the two maps
intervals() {
	python3 - "$T/out" "$1" <<'PY'
import json, sys, datetime
objs = [json.loads(l) for l in open(sys.argv[1])]
objs = [o for o in objs if "event" not in o]
clear = sys.argv[2] == "clear"
times = sorted({o["time"] for o in objs})
assert all("time" in o for o in objs), "an object without time"
for t in times:
    datetime.datetime.fromisoformat(t)
assert len(times) >= 3, f"{len(times)} intervals: {times}"
calls = [sum(e["value"] for o in objs if o["time"] == t and o["map"] == "calls" for e in o["entries"]) for t in times]
hist = [sum(b["count"] for o in objs if o["time"] == t and o["map"] == "sizes" for b in o["hist"]) for t in times]
if clear:
    assert sum(calls) == 20 and max(calls) <= 10 and calls.count(10) == 2, calls
    assert hist == calls, (hist, calls)
else:
    assert calls == sorted(calls) and calls[-1] == 20 and 10 in calls, calls
    assert hist == calls, (hist, calls)
print(calls)
PY
}
bursts_run --json -i 1 -d 3.2
rc=$?
[ $rc = 0 ] || bad "-i run: exit $rc" "$T/err"
intervals keep >"$T/why" 2>&1 && ok "--json -i 1: every object has \"time\"; counts grow $(cat "$T/why")" ||
	bad "-i without --clear" "$T/why"
bursts_run --json -i 1 --clear -d 3.2
intervals clear >"$T/why" 2>&1 && ok "--clear: each interval counts its own burst $(cat "$T/why"), hash and histogram" ||
	bad "-i --clear" "$T/why"
bursts_run -i 0.5 -d 2.2
n=$(grep -cE '^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]$' "$T/out")
last=$(awk '/^calls:/ { getline; v = $3 } END { print v }' "$T/out")
[ "$n" -ge 4 ] && [ "$last" = 20 ] && ok "text -i 0.5: $n time headers, the last interval printed on exit" ||
	bad "text -i ($n headers, last count '$last')" "$T/out"
expect_usage "--clear needs -i" "--clear empties the maps after each -i print: give -i SECONDS" -- run --clear "$T/counts.o"
expect_usage "bad interval" "invalid interval '0': expected seconds from 0.01" -- run -i 0 "$T/counts.o"

echo "coolbpf run -T and fractional -d"
start=$(date +%s.%N)
bursts_run -T -d 2.5
end=$(date +%s.%N)
python3 - "$T/out" "$start" "$end" <<'PY' >"$T/why" 2>&1 && ok "-T: each text event starts with its wall-clock time" || bad "-T text" "$T/why"
import re, sys, datetime
lines = [l for l in open(sys.argv[1]) if "pid=" in l]
assert len(lines) == 20, len(lines)
s, e = (datetime.datetime.fromtimestamp(float(x)) for x in sys.argv[2:4])
for l in lines:
    m = re.match(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) pid=\d+ n=\d+$", l)
    assert m, l
    t = s.replace(hour=int(m[1]), minute=int(m[2]), second=int(m[3]), microsecond=int(m[4]) * 1000)
    assert s - datetime.timedelta(seconds=1) <= t <= e, (l, s, e)
PY
bursts_run --json -T -d 2.5
python3 - "$T/out" <<'PY' >"$T/why" 2>&1 && ok "-T --json: events carry \"time\", 1 s apart between the bursts" || bad "-T json" "$T/why"
import json, sys, datetime
evs = [json.loads(l) for l in open(sys.argv[1]) if '"event"' in l]
assert len(evs) == 20, len(evs)
ts = [datetime.datetime.fromisoformat(e["time"]) for e in evs]
gap = (ts[10] - ts[9]).total_seconds()
assert 0.8 < gap < 1.5, gap
assert list(evs[0]) == ["time", "map", "event"], list(evs[0])
PY
t0=$(date +%s%N)
bounded 30 "$COOLBPF" run -d 0.3 "$T/counts.o" >"$T/out" 2>"$T/err"
rc=$? t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ $rc = 0 ] && [ $ms -lt 3000 ] && ok "-d 0.3 ends after ${ms} ms (load included)" || bad "-d 0.3: exit $rc, ${ms} ms" "$T/err"
[ "$(our_progs)" = 0 ] && ok "nothing of ours in the kernel" || bad "programs left"

echo "params.sh: $pass passed, $fail failed"
[ $fail = 0 ]
