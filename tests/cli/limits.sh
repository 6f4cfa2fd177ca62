#!/bin/bash
# A kernel limit hit on attach is named with what to do, once, with no
# empty lines: 200 programs on one tracepoint (the kernel runs 64 there),
# too few file descriptors (ulimit -n). Exit 0: pass, 77: skip (not root,
# no kernel BTF), other: fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$PWD/build/test-cache}
unset COOLBPF_SERVER COOLBPF_BTF_DIR

[ -x "$COOLBPF" ] || { echo "FAIL: no binary at $COOLBPF"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "skip: no /sys/kernel/btf/vmlinux"; exit 77; }

work=$(mktemp -d /tmp/coolbpf-cli-limits.XXXXXX)
at_exit 'rm -rf "$work"'

# many N FILE: N programs on sched_process_exec
many() {
	{
		echo '#include "lbc.h"'
		for ((i = 0; i < $1; i++)); do
			printf 'SEC("tracepoint/sched/sched_process_exec")\nint p%d(void *ctx) { return %d; }\n' $i $i
		done
		echo 'char LICENSE[] SEC("license") = "GPL";'
	} >"$2"
}
many 200 "$work/many.bpf.c"
bounded 120 "$COOLBPF" compile "$work/many.bpf.c" -o "$work/many.o" || { echo "FAIL: compile"; exit 1; }

echo "200 programs on one tracepoint"
bounded 120 "$COOLBPF" run -d 1 "$work/many.o" >"$work/out" 2>"$work/err"
rc=$?
check "the run fails (exit $rc)" [ $rc = 1 ]
check "64 attached, as the kernel allows ($(grep -c '^coolbpf: attached' "$work/err"))" \
	[ "$(grep -c '^coolbpf: attached' "$work/err")" = 64 ]
check "the limit is named once ($(grep -c BPF_TRACE_MAX_PROGS "$work/err"))" \
	[ "$(grep -c BPF_TRACE_MAX_PROGS "$work/err")" = 1 ]
check "with what to do" grep -qF "attach fewer there" "$work/err"
check "the rest are one line" grep -qF "not attached either: 135 more programs, for the same reason" "$work/err"
check "no empty line, no line without a reason" bash -c "! grep -qE '^\$|: *\$' '$work/err'"
check "at most 70 lines in all ($(wc -l <"$work/err"))" [ "$(wc -l <"$work/err")" -le 70 ]
bounded 120 "$COOLBPF" run --json -d 1 "$work/many.o" >"$work/out" 2>"$work/err"
check "--json: the error object names the limit" bash -c "tail -1 '$work/err' | grep -q '\"error\": .*BPF_TRACE_MAX_PROGS'"
check "nothing stays attached" bash -c "! bpftool prog show 2>/dev/null | grep -qE 'name p(0|63|64) '"

echo "too few file descriptors"
many 60 "$work/sixty.bpf.c"
bounded 120 "$COOLBPF" compile "$work/sixty.bpf.c" -o "$work/sixty.o" || { echo "FAIL: compile"; exit 1; }
(ulimit -n 90 && exec "$COOLBPF" run -d 1 "$work/sixty.o") >"$work/out" 2>"$work/err"
rc=$?
check "the run fails (exit $rc): $(grep -m1 RLIMIT_NOFILE "$work/err")" [ $rc = 1 ]
check "the limit is named once, with the fix" \
	[ "$(grep -c 'RLIMIT_NOFILE); raise it (ulimit -n' "$work/err")" = 1 ]
check "no empty line" bash -c "! grep -qE '^\$|: *\$' '$work/err'"
# 200 programs: the descriptors run out while loading them
(ulimit -n 90 && exec "$COOLBPF" run -d 1 "$work/many.o") >"$work/out" 2>"$work/err"
rc=$?
check "at load: the run fails (exit $rc)" [ $rc = 1 ]
check "at load: the limit is named once, with the fix: $(head -c 300 "$work/err")" \
	[ "$(grep -c 'RLIMIT_NOFILE); raise it (ulimit -n' "$work/err")" = 1 ]

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
