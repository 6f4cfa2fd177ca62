#!/bin/bash
# Nothing is left behind however a run or a compile ends: SIGHUP, SIGQUIT,
# SIGTERM, SIGINT, a closed pipe, SIGKILL (clang dies with its parent; the
# next compile removes the parent's cache/tmp/cc.<pid>.*, the next run its
# tracefs instance), a crash of clang (no reproducer in /tmp). Then
# LEFTOVER_ROUNDS (default 12) runs and compiles killed at random moments by
# random signals, and bpftool prog/map/link, tracefs, /tmp and the cache
# checked. Exit 0: pass, 77: skip (not root, no kernel BTF), other: fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
cli_setup leftovers root btf bpftool
unset COOLBPF_CACHE_MAX
export COOLBPF_CACHE_DIR=$work/cache
TR=/sys/kernel/tracing
[ -d $TR/instances ] || TR=/sys/kernel/debug/tracing
pids=()

# a program with a printk (a tracefs instance), an event map and names of
# its own to look for in bpftool's lists
cat >"$work/lo_prog.bpf.c" <<'EOF'
#include "lbc.h"
struct ev { int pid; };
LBC_PERF_OUTPUT(lo_events, struct ev, 128);
SEC("tracepoint/sched/sched_process_exec")
int lo_exec(void *ctx)
{
	struct ev e = { .pid = bpf_get_current_pid_tgid() >> 32 };
	bpf_printk("lo_exec %d", e.pid);
	bpf_perf_event_output(ctx, &lo_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
EOF
# a source clang takes seconds over (8000 functions: about 2 s here) (a kill lands while it runs)
python3 - "$work/lo_heavy.bpf.c" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('#include "lbc.h"\n')
    for i in range(8000):
        f.write(f"static __attribute__((noinline)) int f{i}(int x) "
                f"{{ return x * {i} + (x >> 3) - {i % 7}; }}\n")
    f.write('SEC("tracepoint/sched/sched_process_exec")\nint lo_heavy(void *ctx)\n{\n\tint x = 0;\n')
    for i in range(8000):
        f.write(f"\tx += f{i}(x);\n")
    f.write('\treturn x & 1;\n}\nchar LICENSE[] SEC("license") = "GPL";\n')
EOF
"$COOLBPF" compile "$work/lo_prog.bpf.c" -o "$work/lo_prog.o" || { echo "FAIL: compile"; exit 1; }
tmp_before=$(ls -A /tmp | sort)

# start_run ARGS...: coolbpf run in the background, ready when tracing
start_run() {
	bg "$work/run.out" "$work/run.err" "$COOLBPF" run "$@"
	pids+=("$BG_PID")
	wait_ready "$BG_PID" "$work/run.err" 'tracing' 60
}
instance_gone() { [ ! -e "$TR/instances/coolbpf.$1" ]; }

echo "run ended by a signal: its tracefs instance goes with it"
for sig in HUP QUIT TERM INT; do
	start_run "$work/lo_prog.o"
	pid=$BG_PID
	check "SIG$sig: the run had its instance" test -d "$TR/instances/coolbpf.$pid"
	kill -$sig "$pid"
	bg_wait "$pid" 20
	rc=$?
	check "SIG$sig: the run ends with 0 (exit $rc)" [ $rc = 0 ]
	check "SIG$sig: instance coolbpf.$pid removed" instance_gone "$pid"
done

echo "run whose reader goes away (SIGPIPE)"
: >"$work/pipe.err"
( "$COOLBPF" run "$work/lo_prog.o" 2>"$work/pipe.err" & echo $! >"$work/pipe.pid"; wait ) | head -c 1 >/dev/null &
pipe_job=$!
wait_for 30 "the piped run to start" test -s "$work/pipe.pid"
pid=$(<"$work/pipe.pid")
pids+=("$pid")
for _ in $(seq 50); do /bin/true; alive "$pid" || break; sleep 0.1; done
wait_for 20 "the run to end when its reader did" bash -c "! kill -0 $pid 2>/dev/null"
check "closed pipe: the run ended" bash -c "! kill -0 $pid 2>/dev/null"
wait "$pipe_job" 2>/dev/null
check "closed pipe: instance coolbpf.$pid removed" instance_gone "$pid"

echo "run killed (SIGKILL): the next run removes what it left"
start_run "$work/lo_prog.o"
pid=$BG_PID
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "SIGKILL: the instance stays (nothing could remove it)" test -d "$TR/instances/coolbpf.$pid"
bounded 60 "$COOLBPF" run -d 1 "$work/lo_prog.o" >/dev/null 2>&1
check "the next run removed coolbpf.$pid" instance_gone "$pid"

echo "compile killed while clang runs"
clang_of() { pgrep -P "$1" -f clang | head -1; }
clang_started() { [ -n "$(clang_of "$pid")" ]; }
tmp_empty() { [ -z "$(ls -A "$COOLBPF_CACHE_DIR/tmp" 2>/dev/null)" ]; }
for sig in KILL TERM HUP; do
	bg "$work/c.out" "$work/c.err" "$COOLBPF" compile --no-cache "$work/lo_heavy.bpf.c" -o "$work/h.o"
	pid=$BG_PID
	wait_for 60 "clang to start under $pid" clang_started
	cpid=$(clang_of "$pid")
	kill -$sig "$pid"
	bg_wait "$pid" 60
	rc=$?
	check "SIG$sig: compile ends with 128+signal (exit $rc)" [ $rc = $((128 + $(kill -l $sig))) ]
	wait_for 10 "clang $cpid to end" bash -c "! kill -0 ${cpid:-0} 2>/dev/null"
	check "SIG$sig: clang ${cpid:-?} did not outlive it" bash -c "[ -n '$cpid' ] && ! kill -0 $cpid 2>/dev/null"
	if [ $sig = KILL ]; then
		check "SIGKILL: its cache/tmp/cc.$pid.* stays until the next compile" \
			bash -c "ls -d '$COOLBPF_CACHE_DIR'/tmp/cc.$pid.* >/dev/null 2>&1"
		bounded 120 "$COOLBPF" compile --no-cache "$work/lo_prog.bpf.c" -o "$work/x.o"
	fi
	check "SIG$sig: cache/tmp is empty" tmp_empty
	check "SIG$sig: no output written" test ! -e "$work/h.o"
done

echo "clang crashes"
printf '#pragma clang __debug crash\n#include "lbc.h"\nint x;\n' >"$work/lo_crash.bpf.c"
bounded 120 "$COOLBPF" compile --no-cache "$work/lo_crash.bpf.c" -o "$work/crash.o" >"$work/c.out" 2>"$work/c.err"
rc=$?
check "a crash of clang fails the compile (exit $rc)" [ $rc = 1 ]
check "it is said: $(grep -F 'crashed' "$work/c.err")" grep -qF "clang crashed on" "$work/c.err"
check "no reproducer in /tmp" bash -c "! ls /tmp/lo_crash-* >/dev/null 2>&1"
check "cache/tmp is empty after the crash" tmp_empty

rounds=${LEFTOVER_ROUNDS:-12}
seed=${LEFTOVER_SEED:-$$}
RANDOM=$seed
echo "$rounds runs and compiles killed at random moments (seed $seed)"
sigs=(HUP QUIT TERM INT KILL)
for ((r = 0; r < rounds; r++)); do
	sig=${sigs[RANDOM % ${#sigs[@]}]}
	delay=$(printf '0.%03d' $((RANDOM % 1000)))
	if ((RANDOM % 2)); then
		what=run
		bg "$work/r.out" "$work/r.err" "$COOLBPF" run "$work/lo_prog.bpf.c"
	else
		what=compile
		bg "$work/r.out" "$work/r.err" "$COOLBPF" compile --no-cache "$work/lo_heavy.bpf.c" -o "$work/h.o"
	fi
	pid=$BG_PID
	pids+=("$pid")
	sleep "$delay"
	for _ in 1 2 3; do /bin/true; done
	kill -$sig "$pid" 2>/dev/null
	bg_wait "$pid" 60 >/dev/null
	echo "  round $r: $what, SIG$sig after ${delay}s: exit $?"
	rm -f "$work/h.o"
done
# what only the next run and compile can tidy (after SIGKILL)
bounded 60 "$COOLBPF" run -d 1 "$work/lo_prog.o" >/dev/null 2>&1
bounded 120 "$COOLBPF" compile --no-cache "$work/lo_prog.bpf.c" -o "$work/x.o" >/dev/null 2>&1

no_progs() { ! bpftool prog show 2>/dev/null | grep -qE 'name (lo_exec|lo_heavy) '; }
wait_for 10 "the kernel to free the programs" no_progs
check "bpftool prog: no program of ours is left" no_progs
check "bpftool map: no map of ours is left" bash -c "! bpftool map show 2>/dev/null | grep -qE 'name lo_events '"
ids=$(bpftool prog show 2>/dev/null | grep -E 'name (lo_exec|lo_heavy) ' | cut -d: -f1)
links=$(bpftool link show 2>/dev/null | grep -cE "prog ($(echo ${ids:-none} | tr ' ' '|'))\$")
check "bpftool link: no link to a program of ours ($links)" [ "$links" = 0 ]
left=
for p in "${pids[@]}"; do instance_gone "$p" || left="$left $p"; done
check "tracefs: no instance of any of ours${left:+ (left:$left)}" [ -z "$left" ]
new=$(comm -13 <(echo "$tmp_before") <(ls -A /tmp | sort) | grep -E '^(lo_|cc\.|coolbpf-[^c])' || true)
check "/tmp: nothing new of ours${new:+: $new}" [ -z "$new" ]
check "cache: tmp/ is empty" tmp_empty
stray=$(find "$COOLBPF_CACHE_DIR" -name '*.tmp.*' 2>/dev/null)
check "cache: no half-written file${stray:+: $stray}" [ -z "$stray" ]
orphans=$(pgrep -f "$work/lo_heavy" || true)
check "no clang of ours still running${orphans:+: $orphans}" [ -z "$orphans" ]

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
