#!/bin/bash
# CLI tests of `coolbpf run`: output shapes, exit statuses, every error path
# of the Foundation issue, and that nothing of ours stays in the kernel.
# Needs root (loads real programs). Exit 0 pass, 77 skip, 1 fail.
# Every wait is bounded (tests/lib.sh); SIGNAL_ROUNDS (default 30) sets how
# many times the signal cases repeat.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root"; exit 77; }

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}

# expect_fail NAME PATTERN -- ARGS...: non-zero exit and PATTERN on stderr
expect_fail() {
	local name=$1 pat=$2
	shift 3
	bounded 60 "$COOLBPF" "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc = 0 ]; then
		bad "$name: exit 0, expected failure" "$T/err"
	elif ! grep -qF -- "$pat" "$T/err"; then
		bad "$name: stderr lacks '$pat'" "$T/err"
	else
		ok "$name (exit $rc)"
	fi
}

our_progs() { bpftool prog show 2>/dev/null | grep -cE "name (handle_exec|enter_openat|exit_openat|x|bad)\b"; }
base_progs=$(our_progs)
our_maps() { bpftool map show 2>/dev/null | grep -cE "name events\b"; }
base_maps=$(our_maps)

# run_traced ARGS...: coolbpf run ARGS in the background, exec /bin/true once
# it says it is tracing (or attached, in JSON mode), wait for it to finish
# (at most 60 s: every caller gives -d)
run_traced() {
	bg "$T/out" "$T/err" "$COOLBPF" run "$@"
	wait_ready "$BG_PID" "$T/err" 'tracing|"attached"' 10
	/bin/true
	bg_wait "$BG_PID" 60
}

echo "coolbpf run: events"
run_traced -d 2 examples/execsnoop.bpf.c
rc=$?
[ $rc = 0 ] && ok "text run exits 0 after -d" || bad "text run exit $rc" "$T/err"
grep -qE '^pid=[0-9]+ ppid=[0-9]+ uid=0 comm=true filename=/bin/true$' "$T/out" &&
	ok "text event line decoded" || bad "no decoded exec line for /bin/true" "$T/out"
grep -q 'attached handle_exec: tracepoint sched:sched_process_exec' "$T/err" &&
	ok "attach report" || bad "no attach report" "$T/err"

run_traced --json -d 2 examples/execsnoop.bpf.c
python3 - "$T/out" <<'EOF' && ok "every --json line parses; event shape as contract" || bad "--json shape" "$T/out"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
evs = [json.loads(l) for l in lines]
assert evs, "no output"
e = [x for x in evs if x.get("event", {}).get("filename") == "/bin/true"]
assert e, "no /bin/true event"
ev = e[0]
assert ev["map"] == "events"
assert isinstance(ev["event"]["pid"], int) and ev["event"]["comm"] == "true"
EOF

echo "coolbpf run: histogram and table maps on exit"
bounded 60 "$COOLBPF" run --json -d 1 examples/runqlat.bpf.c >"$T/out" 2>"$T/err"
python3 - "$T/out" <<'EOF' && ok "hist JSON {map, hist:[low,high,count]}" || bad "hist JSON" "$T/out"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
h = [o for o in objs if o.get("map") == "runq_usecs"][0]
assert h["hist"] and all(set(b) == {"low", "high", "count"} for b in h["hist"])
assert sum(b["count"] for b in h["hist"]) > 0
# start is scratch (the program deletes from it): left out without -v
assert not [o for o in objs if o.get("map") == "start"]
EOF
bounded 60 "$COOLBPF" run -d 1 examples/runqlat.bpf.c >"$T/out" 2>"$T/err"
grep -qE '^ +value +: count +distribution$' "$T/out" && grep -qE '\|\*+ *\|$' "$T/out" &&
	ok "text histogram like print_log2_hist" || bad "text histogram" "$T/out"

bounded 60 "$COOLBPF" run -d 1 examples/stackcount.bpf.c >"$T/out" 2>"$T/err"
grep -qE '^    (__)?schedule$' "$T/out" && grep -q '^counts: [0-9]* stacks, ' "$T/out" &&
	! grep -q '^stacks:' "$T/out" && ok "stack counts print as merged, symbolized stacks" ||
	bad "stack map not symbolized" "$T/out"

echo "coolbpf run: pylcc-style program, unchanged"
run_traced --json -d 2 tests/data/pylcc_compat.bpf.c
rc=$?
python3 - "$T/out" <<'EOF' && ok "pylcc program: perf events decoded, every map printed" || bad "pylcc program (exit $rc)" "$T/err"
import json, os, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
ev = [o["event"] for o in objs if o.get("map") == "e_out"]
assert ev and all(set(e) == {"c_pid", "p_pid", "c_comm", "p_comm"} for e in ev), ev[:1]
maps = {o["map"] for o in objs if "hist" in o or "entries" in o}
want = {"pid_cnt", "fork_hist", "fork_hist10", "call_stack", "arr", "lru", "pch", "pca", "lpch"}
assert want <= maps, want - maps
h = [o for o in objs if o.get("map") == "fork_hist"][0]
assert sum(b["count"] for b in h["hist"]) >= len(ev)
EOF

echo "coolbpf run: pinning on request"
pin=/sys/fs/bpf/coolbpf-test-$$
at_exit 'rm -rf "$pin"'
bounded 60 "$COOLBPF" run -d 1 --pin-maps "$pin" examples/opensnoop.bpf.c >"$T/out" 2>"$T/err"
if [ -e "$pin/start" ] && [ -e "$pin/events" ] && bpftool map show pinned "$pin/start" >/dev/null 2>&1; then
	ok "--pin-maps: maps outlive the run under $pin"
else
	bad "--pin-maps" "$T/err"
fi
rm -rf "$pin"

echo "coolbpf run: tracefs and bpffs mounted when missing"
bounded 60 unshare -m --propagation private sh -c '
	umount /sys/kernel/tracing 2>/dev/null; umount /sys/fs/bpf 2>/dev/null
	grep -qE " /sys/kernel/tracing | /sys/fs/bpf " /proc/self/mounts && exit 3
	"$0" run -d 1 examples/hello_tp.bpf.c >/dev/null 2>&1 || exit 4
	grep -q " /sys/kernel/tracing tracefs " /proc/self/mounts || exit 5
	grep -q " /sys/fs/bpf bpf " /proc/self/mounts || exit 6' "$COOLBPF"
rc=$?
[ $rc = 0 ] && ok "mounted tracefs and bpffs in a namespace that had neither" || bad "mount (exit $rc)"

echo "coolbpf run: signals"
# bg puts SIGINT back to its default: a background job of this
# (non-interactive) shell would otherwise ignore it from the start
bg "$T/sleep.out" "$T/sleep.err" sleep 30
is_sleep() { [ "$(cat "/proc/$BG_PID/comm" 2>/dev/null)" = sleep ]; }
wait_for 5 "sleep $BG_PID to start" is_sleep
sigign=$(awk '/^SigIgn:/ { print $2 }' "/proc/$BG_PID/status")
kill -INT "$BG_PID"
bg_wait "$BG_PID" 5
rc=$?
[ $((0x${sigign:-ff} & 2)) = 0 ] && [ $rc = 130 ] &&
	ok "a background run does not ignore SIGINT (SigIgn $sigign, ended by it: exit $rc)" ||
	bad "a background run ignores SIGINT (SigIgn ${sigign:-?}, exit $rc)"

# signal_run SIG NAME PROGRAM: run PROGRAM in the background, send SIG once
# its fresh stderr (T/NAME.err) says it is tracing (printed after its
# handlers are set), wait at most 10 s for it; its exit status
signal_run() {
	bg "$T/$2.out" "$T/$2.err" "$COOLBPF" run "$3"
	if ! wait_ready "$BG_PID" "$T/$2.err" '^coolbpf: tracing' 5; then
		_kill "$BG_PID"
		return 125
	fi
	kill -"$1" "$BG_PID"
	bg_wait "$BG_PID" 10
}
for sig in INT TERM; do
	signal_run $sig "sig$sig" examples/execsnoop.bpf.c
	rc=$?
	[ $rc = 0 ] && ok "SIG$sig exits 0" || bad "SIG$sig exit $rc" "$T/sig$sig.err"
done
# the same many times (the first of these hung one run in three), and a
# SIGINT sent during setup, which must end the run too: exit 0 when the
# handler caught it, 130 when it came before the handler was set. It is
# sent once the process is coolbpf: before its exec, the forked shell
# still ignores SIGINT (a background job) and would drop it.
is_coolbpf() {
	local c j
	for ((j = 0; j < 5000; j++)); do
		{ read -r c <"/proc/$1/comm"; } 2>/dev/null
		[ "$c" = coolbpf ] && return 0
	done
	echo "  timed out: pid $1 not yet coolbpf after 5000 looks (comm '$c')"
	return 1
}
rounds=${SIGNAL_ROUNDS:-30} failed_rounds=0 t0=$SECONDS
bounded 60 "$COOLBPF" compile examples/execsnoop.bpf.c -o "$T/execsnoop.o"
for i in $(seq "$rounds"); do
	for sig in INT TERM; do
		signal_run $sig round "$T/execsnoop.o"
		rc=$?
		[ $rc = 0 ] && continue
		failed_rounds=$((failed_rounds + 1))
		echo "  round $i, SIG$sig: exit $rc"
		sed 's/^/    | /' "$T/round.err" | head -10
	done
	bg "$T/early.out" "$T/early.err" "$COOLBPF" run "$T/execsnoop.o"
	is_coolbpf "$BG_PID"
	kill -INT "$BG_PID"
	bg_wait "$BG_PID" 10
	rc=$?
	if [ $rc != 0 ] && [ $rc != 130 ]; then
		failed_rounds=$((failed_rounds + 1))
		echo "  round $i, SIGINT during setup: exit $rc"
		sed 's/^/    | /' "$T/early.err" | head -10
	fi
	[ $failed_rounds -ge 3 ] && break
done
[ $failed_rounds = 0 ] &&
	ok "$rounds rounds of SIGINT and SIGTERM at readiness, and SIGINT during setup: each ended as it must ($((SECONDS - t0)) s)" ||
	bad "signal rounds: $failed_rounds failed (stopped at round $i of $rounds)"
# a run the tests must kill (a bound hit) leaves no tracefs instance: it
# had no chance to remove its instances/coolbpf.PID, tests/lib.sh does
bg "$T/printk.out" "$T/printk.err" "$COOLBPF" run examples/hello_tp.bpf.c
wait_ready "$BG_PID" "$T/printk.err" '^coolbpf: tracing' 10
inst=/sys/kernel/tracing/instances/coolbpf.$BG_PID
[ -d /sys/kernel/debug/tracing/instances/coolbpf.$BG_PID ] && inst=/sys/kernel/debug/tracing/instances/coolbpf.$BG_PID
had=no
[ -d "$inst" ] && had=yes
_kill "$BG_PID"
[ $had = yes ] && [ ! -e "$inst" ] && ok "a killed bpf_printk run's tracefs instance is removed" ||
	bad "tracefs instance $inst: there while it ran: $had; after the kill: $([ -e "$inst" ] && echo left || echo gone)" "$T/printk.err"
[ "$(our_progs)" = "$base_progs" ] && ok "no program of ours left in the kernel (bpftool)" ||
	bad "programs left behind: $(bpftool prog show | grep -E 'handle_exec|openat')"
if bpftool link show 2>/dev/null | grep -q 'handle_exec'; then bad "link left behind"; else ok "no link left (bpftool)"; fi
# the kernel frees maps from a work queue after the last fd closes
for _ in $(seq 30); do [ "$(our_maps)" = "$base_maps" ] && break; sleep 0.1; done
if [ "$(our_maps)" != "$base_maps" ]; then bad "map left behind"; else ok "no map left (bpftool)"; fi

echo "coolbpf run: bad input"
expect_fail "missing file" "cannot open 'nope.bpf.c': No such file or directory" -- run nope.bpf.c
printf '#include "lbc.h"\nSEC("tp/sched/sched_process_exec") int x(void *ctx) { return y; }\n' >"$T/syn.bpf.c"
expect_fail "syntax error shown as clang prints it" "syn.bpf.c:2:62: error: use of undeclared identifier 'y'" -- run "$T/syn.bpf.c"
printf '#include "lbc.h"\nSEC("foo/bar") int x(void *ctx) { return 0; }\nchar L[] SEC("license") = "GPL";\n' >"$T/sec.bpf.c"
expect_fail "unknown section" "section 'foo/bar', which names no BPF program type" -- run "$T/sec.bpf.c"
printf '#include "lbc.h"\nSEC("tp/sched/no_such_event") int x(void *ctx) { return 0; }\nchar L[] SEC("license") = "GPL";\n' >"$T/tp.bpf.c"
expect_fail "missing tracepoint" "tracepoint 'sched:no_such_event' does not exist" -- run "$T/tp.bpf.c"
printf '#include "lbc.h"\nSEC("tp/sched/sched_process_exec")\nint bad(void *ctx)\n{\n\tint *p = (int *)0x10;\n\treturn *p;\n}\nchar L[] SEC("license") = "GPL";\n' >"$T/verif.bpf.c"
expect_fail "verifier rejection names the source line" "verif.bpf.c:6: return *p;" -- run "$T/verif.bpf.c"
grep -q "error: " "$T/err" && [ "$(wc -l <"$T/err")" -lt 30 ] && ok "verifier summary is short" || bad "verifier summary" "$T/err"
# libbpf closes every fd of a failed object: the report must still name the
# program that failed (the second one here), not a map or the first program
cat >"$T/two.bpf.c" <<'EOF'
#include "lbc.h"
LBC_HASH(h, u32, u64, 16);
SEC("tp/sched/sched_process_exec") int good(void *ctx) { u32 k = 0; bpf_map_lookup_elem(&h, &k); return 0; }
SEC("tp/sched/sched_process_fork")
int bad(void *ctx)
{
	int *p = (int *)0x10;
	return *p;
}
char L[] SEC("license") = "GPL";
EOF
expect_fail "verifier rejection names the failing program among several, with maps" "verifier rejected program 'bad' (tp/sched/sched_process_fork)" -- run "$T/two.bpf.c"
grep -q "two.bpf.c:8: return \*p;" "$T/err" && ! grep -q "map 'h'" "$T/err" && ok "and its source line, no map blamed" || bad "wrong blame" "$T/err"
head -c 3000 /bin/ls >"$T/corrupt.o"
expect_fail "corrupt object" "cannot open '$T/corrupt.o': not a valid BPF object" -- run "$T/corrupt.o"
echo garbage >"$T/bad.btf"
expect_fail "corrupt BTF file" "cannot use BTF '$T/bad.btf': not a valid BTF file" -- run --btf "$T/bad.btf" examples/execsnoop.bpf.c
printf '#include "lbc.h"\nstruct { __uint(type, 250); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 1); } m SEC(".maps");\nSEC("tp/sched/sched_process_exec") int x(void *ctx) { int k = 0; bpf_map_lookup_elem(&m, &k); return 0; }\nchar L[] SEC("license") = "GPL";\n' >"$T/maptype.bpf.c"
expect_fail "unsupported map type" "map 'm' has map type 250" -- run "$T/maptype.bpf.c"
if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
	expect_fail "kprobe on a kernel without kprobes" "this kernel has no kprobe support" -- run examples/hello.bpf.c
	grep -qF 'SEC("tp/sched/' "$T/err" && ok "suggests a tracepoint" || bad "no tracepoint suggestion" "$T/err"
	printf '#include "lbc.h"\nSEC("fentry/do_nanosleep") int BPF_PROG(x) { return 0; }\nchar L[] SEC("license") = "GPL";\n' >"$T/fe.bpf.c"
	bounded 60 "$COOLBPF" run "$T/fe.bpf.c" >"$T/out" 2>"$T/err" && bad "fentry loaded?" ||
		{ grep -qE "fentry|kprobe" "$T/err" && ok "fentry refusal explained" || bad "fentry message" "$T/err"; }
fi
# the unprivileged user may not reach the repository (a clone under /root,
# mode 0700): it runs a copy of the binary and the program from a
# directory of its own
mkdir -p "$T/nobody" && chown 65534:65534 "$T/nobody" && chmod 755 "$T" &&
	cp "$COOLBPF" "$T/coolbpf" && cp examples/execsnoop.bpf.c "$T/" && chmod 644 "$T/execsnoop.bpf.c"
(cd "$T" && bounded 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
	env COOLBPF_CACHE_DIR="$T/nobody" "$T/coolbpf" run execsnoop.bpf.c >"$T/out" 2>"$T/err")
rc=$?
[ $rc != 0 ] && grep -q "needs root" "$T/err" && ok "non-root: clear error (exit $rc)" || bad "non-root" "$T/err"
expect_fail "bad duration" "invalid duration 'x'" -- run -d x examples/execsnoop.bpf.c
[ "$(our_progs)" = "$base_progs" ] && ok "after the failures, nothing left in the kernel" ||
	bad "programs left after failures"

echo "run.sh: $pass passed, $fail failed"
[ $fail = 0 ]
