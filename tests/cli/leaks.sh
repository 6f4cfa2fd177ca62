#!/bin/bash
# No leak on the run and compile paths, their error paths included: with an
# ASan build (make test-asan) under LeakSanitizer, otherwise under valgrind
# --leak-check=full. compile cold and warm, run -d 1 of a source and of an
# object with events decoded, and refusals (a damaged object, a source
# clang rejects). Exit 0: pass, 77: skip (not root, no kernel BTF, neither
# an ASan build nor valgrind), other: fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
cli_setup leaks root btf
export COOLBPF_CACHE_DIR=$work/cache

# the checker: LeakSanitizer in an ASan build, else valgrind; a leak or a
# memory error is said on stderr (ASan exits 99 too)
if nm "$COOLBPF" 2>/dev/null | grep -q __asan_init; then
	how="LeakSanitizer (ASan build)"
	# on stderr here, whatever log_path run-all gave
	checker=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:exitcode=99:log_path=stderr")
	marker="ERROR: LeakSanitizer|ERROR: AddressSanitizer|runtime error:"
elif command -v valgrind >/dev/null; then
	how="valgrind --leak-check=full"
	# no --error-exitcode: valgrind takes libbpf's bpf() attributes for
	# uninitialised bytes (a partial union); what is ours is looked for
	checker=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect)
	marker="definitely lost|indirectly lost|Invalid (read|write|free)|Mismatched free"
else
	echo "skip: neither an ASan build ($COOLBPF) nor valgrind (apt-get install valgrind)"
	exit 77
fi
echo "leaks checked by $how"

# leakcheck WHAT WANT_RC ARGS...: coolbpf ARGS under the checker (at most
# 300 s) exits WANT_RC and reports nothing
leakcheck() {
	local what=$1 want=$2 rc
	shift 2
	bounded 300 "${checker[@]}" "$COOLBPF" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$what: exit $rc, not $want" "$work/err"
	elif grep -qE "$marker" "$work/err"; then
		bad "$what: the checker reports" "$work/err"
	else
		ok "$what (exit $rc, nothing reported)"
	fi
}

echo "compile"
leakcheck "compile, cold" 0 compile --no-cache examples/execsnoop.bpf.c -o "$work/es.o"
leakcheck "compile, into the cache" 0 compile examples/execsnoop.bpf.c -o "$work/es.o"
leakcheck "compile, from the cache" 0 compile examples/execsnoop.bpf.c -o "$work/es2.o"
printf '#include "lbc.h"\nint broken(void) { return nope; }\n' >"$work/bad.bpf.c"
leakcheck "compile of a source clang rejects" 1 compile --no-cache "$work/bad.bpf.c" -o "$work/bad.o"

echo "run"
# events while it runs: execs (bounded loop, ended with the test)
(for _ in $(seq 60); do /bin/true; sleep 0.2; done) &
leakcheck "run -d 1 of a source, events decoded" 0 run -d 1 examples/execsnoop.bpf.c
check "the run saw events" grep -q true "$work/out"
leakcheck "run -d 1 of an object" 0 run -d 1 "$work/es2.o"
leakcheck "run of a damaged object, refused" 1 run -d 1 tests/fuzz/corpus-object/btf-type-past-last.o
leakcheck "inspect of an object" 0 inspect "$work/es2.o"

echo "$((pass + passes)) passed, $((fail + fails)) failed"
[ $((fail + fails)) = 0 ]
