#!/bin/bash
# tests/run-all itself, on runners made up for it (a build directory of fake
# cmocka binaries): what passes, what fails, what is skipped, and that a
# runner over its time limit is killed with what it started.
# Exit 0 pass, 1 fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
B=$(mktemp -d)
at_exit 'rm -rf "$B"'
mkdir -p "$B/tests"
fake() { # name, then the body of its script
	printf '#!/bin/sh\n%s\n' "$2" >"$B/tests/test_unit_$1"
	chmod +x "$B/tests/test_unit_$1"
}
# runs BUILD=$B tests/run-all unit, at most 120 s; sets rc and out
run_all() {
	out=$(BUILD=$B bounded 120 tests/run-all unit 2>&1)
	rc=$?
}
has() { grep -qxF -- "$2" <<<"$1"; }

echo "run-all: the runners that pass"
fake a_cmocka 'echo "[==========] 3 test(s) run."; echo "[  PASSED  ] 3 test(s)."'
fake b_plain 'echo "b: 2 passed, 0 failed"'
fake c_skip 'echo "needs something"; exit 77'
run_all
check "exit 0 when every runner passes or skips (got $rc)" [ $rc = 0 ]
check "the total counts their cases and the skip" has "$out" "total: 5 passed, 0 failed, 1 skipped"

echo "run-all: the runners that fail, however they fail"
fake d_nosummary 'echo "all fine, says nothing else"'
fake e_crash 'echo "[  PASSED  ] 4 test(s)."; kill -SEGV $$'
fake f_exit0_failed 'echo "f: 1 passed, 2 failed"'
fake g_cmocka_failed 'echo "[  PASSED  ] 1 test(s)."; echo "[  FAILED  ] 2 test(s), listed below:"; exit 2'
fake h_hang "sleep 600 & echo \$! >'$B/child'; sleep 600"
COOLBPF_TEST_TIMEOUT=3 run_all
check "exit 1 (got $rc)" [ $rc = 1 ]
for n in d_nosummary e_crash f_exit0_failed g_cmocka_failed h_hang; do
	check "$n is listed as failed" has "$out" "FAILED: test_unit_$n"
done
check "exit 0 without a summary line is a failure, saying so" \
	has "$out" "--- FAIL: test_unit_d_nosummary exited 0 without a summary line (N passed, N failed)"
check "a crash after a summary of passes is a failure" has "$out" "--- FAIL: test_unit_e_crash exited 139"
check "exit 0 with a summary counting failures is a failure" \
	has "$out" "--- FAIL: test_unit_f_exit0_failed exited 0, but its summary counts 2 failed"
check "a runner over its time limit is killed and fails, saying so" \
	has "$out" "run-all: TIMEOUT: test_unit_h_hang still running after 3 s, killed (exit 124)"
child=$(cat "$B/child" 2>/dev/null)
gone() { [ -n "$child" ] && ! alive "$child"; }
check "what the killed runner started is killed too" wait_for 5 "pid ${child:-?} to end" gone
# 5 + 4 + 1 + 1 passed; 1 + 1 + 2 + 2 + 1 failed
check "the total: every runner's cases, one failure for those that count none" \
	has "$out" "total: 11 passed, 7 failed, 1 skipped"

echo "run-all: usage"
out=$(tests/run-all --help 2>&1)
rc=$?
check "--help exits 0" [ $rc = 0 ]
for w in unit integration cli tools python server vm COOLBPF_VM_KERNELS FUZZ_SECONDS COOLBPF_TEST_TIMEOUT; do
	check "--help names $w" grep -qw -- "$w" <<<"$out"
done
out=$(BUILD=$B tests/run-all unit nosuch 2>&1)
rc=$?
check "an unknown suite exits 2 before running any (got $rc)" [ $rc = 2 ] && ! grep -q "===" <<<"$out"
check "and names it" grep -qF "unknown suite 'nosuch'" <<<"$out"

echo "run-all.sh: $passes passed, $fails failed"
[ $fails = 0 ]
