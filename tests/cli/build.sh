#!/bin/bash
# CLI tests of `coolbpf build`: one-file tools. A tool built from
# examples/execsnoop and examples/opensnoop runs from a copy in another
# directory with no compiler on its PATH, an empty HOME and a cache
# directory that does not exist, traces real events, takes run's options
# (--set, --json, -d, -T), says its own name and parameters in --help,
# carries the min BTF of several kernels, and refuses to run when the
# program built into it is damaged. Needs root. Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
BUILD=${BUILD:-build}
COOLBPF=${COOLBPF:-$PWD/$BUILD/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "build.sh: needs root"; exit 77; }

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}
mkdir -p "$T/bin" "$T/home" "$T/elsewhere/deep"
# the host a tool is shipped to: no clang, no coolbpf, no cache, no HOME
target_env=(env -i PATH="$T/bin" HOME="$T/home" COOLBPF_CACHE_DIR="$T/nocache")
our_progs() { bpftool prog show 2>/dev/null | grep -cE "name (handle_exec|enter_openat|exit_openat)\b"; }

echo "coolbpf build: FILE.bpf.c -> one executable"
bounded 300 "$COOLBPF" build examples/execsnoop.bpf.c -o "$T/execsnoop" 2>"$T/err"
rc=$?
[ $rc = 0 ] && [ -x "$T/execsnoop" ] && ok "built examples/execsnoop.bpf.c" || bad "build: exit $rc" "$T/err"
ldd "$T/execsnoop" >"$T/ldd" 2>&1
grep -qE 'libcoolbpf|libbpf|libelf|libz\.|libjansson|libmicrohttpd' "$T/ldd" &&
	bad "ldd: libcoolbpf or its libraries are linked dynamically" "$T/ldd" ||
	ok "ldd: no libcoolbpf, libbpf, libelf, libz, libjansson, libmicrohttpd (static)"
cp "$T/execsnoop" "$T/elsewhere/deep/renamed"
! grep -q clang <(ls "$T/bin") && ok "the tool's PATH has no clang" || bad "clang on PATH"

echo "the tool, copied elsewhere, on a host with no compiler, HOME or cache"
bg "$T/out" "$T/err" env -C "$T/elsewhere" "${target_env[@]}" deep/renamed --json -T -d 3
pid=$BG_PID
# its events: a program exec'd once the tool is attached
wait_ready "$pid" "$T/err" '"attached": true' 60 && for _ in 1 2 3; do /bin/true; done
bg_wait "$pid" 60
rc=$?
python3 - "$T/out" <<'PY' 2>"$T/why" && ok "real exec events, with -T's time (exit $rc)" || bad "events (exit $rc)" "$T/why"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if '"event"' in l]
mine = [e for e in evs if e["event"]["comm"] == "true" and e["event"]["filename"].endswith("/true")]
assert len(mine) >= 3, f"{len(mine)} exec events of true in {len(evs)}"
assert all("time" in e for e in mine), mine[0]
PY
[ ! -e "$T/nocache" ] && [ -z "$(ls -A "$T/home")" ] && ok "no cache made, HOME untouched" ||
	bad "the tool wrote a cache or in HOME"
[ "$(our_progs)" = 0 ] && ok "nothing left in the kernel" || bad "programs left"

echo "a parameter: opensnoop --set target_pid"
bounded 300 "$COOLBPF" build examples/opensnoop.bpf.c -o "$T/opensnoop" 2>"$T/err" &&
	ok "built examples/opensnoop.bpf.c" || bad "build opensnoop" "$T/err"
"${target_env[@]}" "$T/opensnoop" --help >"$T/help" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '^Usage: opensnoop ' "$T/help" && grep -qE '^  target_pid +pid_t +default 0$' "$T/help" &&
	grep -qE '^  failed_only +bool +default false$' "$T/help" && grep -q "^  $(uname -r) " "$T/help" &&
	! grep -qE -- '^ +-D|--server' "$T/help" &&
	ok "--help: the tool's name, its parameters with defaults, its kernel; no compile options" ||
	bad "--help (exit $rc)" "$T/help"
# two processes open a file after 1.5 s; the tool traces only the first
opener() {
	/usr/bin/python3 -c 'import sys, time
time.sleep(1.5)
for _ in range(3): open("/etc/hostname").close()' &
}
opener
target=$!
opener
other=$!
bg "$T/out" "$T/err" "${target_env[@]}" "$T/opensnoop" --json -d 3 --set target_pid=$target
bg_wait "$BG_PID" 60
rc=$?
wait "$target" "$other"
python3 - "$T/out" "$target" <<'PY' 2>"$T/why" && ok "--set target_pid: only the target's opens (exit $rc)" || bad "filter (exit $rc)" "$T/why"
import json, sys
evs = [json.loads(l)["event"] for l in open(sys.argv[1]) if '"event"' in l]
assert {e["pid"] for e in evs} == {int(sys.argv[2])}, {e["pid"] for e in evs}
assert sum(e["fname"] == "/etc/hostname" for e in evs) >= 3, evs
PY

echo "a tool takes run's options, not the compile's"
expect2() { # name pattern args...
	local name=$1 pat=$2
	shift 2
	bounded 60 "${target_env[@]}" "$T/opensnoop" "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ $rc = 2 ] && grep -qF -- "$pat" "$T/err" && ok "$name (exit 2)" || bad "$name: exit $rc" "$T/err"
}
expect2 "an unknown parameter names the valid ones" "settable: target_pid (pid_t), failed_only (bool)" --set nope=1 -d 1
expect2 "-D points to --set" "-D is a compile option, and opensnoop is compiled already: set its parameters with --set" -D X=1
expect2 "no FILE argument" "opensnoop runs the program built into it: no FILE ('x.bpf.c')" x.bpf.c
expect2 "bad -d" "invalid duration 'soon'" -d soon

echo "several kernels' BTF in one tool"
mkdir -p "$T/archive/$(uname -m)"
cp /sys/kernel/btf/vmlinux "$T/archive/$(uname -m)/9.9.9-other.btf"
bounded 300 "$COOLBPF" build --btf-dir "$T/archive" --kernel 9.9.9-other --kernel "$(uname -r)" \
	examples/execsnoop.bpf.c -o "$T/multi" 2>"$T/err" && ok "built for two kernels" || bad "build --kernel x2" "$T/err"
"$T/multi" --help >"$T/help" 2>&1
grep -q '^  9.9.9-other ' "$T/help" && grep -q "^  $(uname -r) " "$T/help" &&
	ok "--help lists both kernels" || bad "kernels in --help" "$T/help"
bg "$T/out" "$T/err" "${target_env[@]}" "$T/multi" -v -d 1
bg_wait "$BG_PID" 60
rc=$?
grep -qx "coolbpf: BTF for CO-RE: artifact $(uname -r)" "$T/err" && [ $rc = 0 ] &&
	ok "the run picks this kernel's carried BTF (uname -r)" || bad "BTF choice (exit $rc)" "$T/err"

echo "a damaged tool says so and runs nothing"
sz=$(stat -c %s "$T/execsnoop")
cp "$T/execsnoop" "$T/flipped"
# a byte of the object (just before its name and the 104-byte trailer)
off=$((sz - 104 - 9 - 200))
printf '\x5a' | dd of="$T/flipped" bs=1 seek=$off conv=notrunc status=none
bounded 60 "$T/flipped" -d 1 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qF "the program built into this executable is damaged: its SHA-256 is not the one recorded" "$T/err" &&
	grep -qF "build the tool again with 'coolbpf build'" "$T/err" && ok "a changed byte: exit 1, says rebuild" ||
	bad "flipped byte: exit $rc" "$T/err"
# 100 bytes cut out of the middle of the object
python3 - "$T/execsnoop" "$T/cut" "$off" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
o = int(sys.argv[3]) - 1000
open(sys.argv[2], "wb").write(d[:o] + d[o + 100:])
PY
chmod +x "$T/cut"
bounded 60 "$T/cut" -d 1 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qF "the trailer does not describe this file (truncated, or bytes added)" "$T/err" &&
	ok "bytes cut out: exit 1, says so" || bad "cut: exit $rc" "$T/err"
[ "$(our_progs)" = 0 ] && ok "nothing loaded" || bad "programs left"

echo "coolbpf build: bad input"
bounded 60 "$COOLBPF" build --runner "$T/none" examples/execsnoop.bpf.c -o "$T/x" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qF "cannot read the runner '$T/none'" "$T/err" && [ ! -e "$T/x" ] &&
	ok "a missing runner: exit 1, named" || bad "missing runner: exit $rc" "$T/err"
bounded 60 "$COOLBPF" build --runner /etc/hostname examples/execsnoop.bpf.c -o "$T/x" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qF "the runner '/etc/hostname' is not an executable (ELF)" "$T/err" &&
	ok "a runner that is no ELF: exit 1" || bad "non-ELF runner: exit $rc" "$T/err"
printf 'int x(void) { return y; }\n' >"$T/broken.bpf.c"
bounded 60 "$COOLBPF" build "$T/broken.bpf.c" -o "$T/x" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q "undeclared identifier 'y'" "$T/err" && [ ! -e "$T/x" ] &&
	ok "a compile error: clang's words, exit 1, nothing written" || bad "broken source: exit $rc" "$T/err"
bounded 60 "$COOLBPF" build >"$T/out" 2>"$T/err"
[ $? = 2 ] && grep -qF "missing FILE.bpf.c" "$T/err" && ok "no source: exit 2" || bad "no source" "$T/err"
# a tool as the runner: its program is replaced, not stacked
mkdir "$T/re"
bounded 300 "$COOLBPF" build --runner "$T/execsnoop" examples/opensnoop.bpf.c -o "$T/re/opensnoop" 2>"$T/err"
"$T/re/opensnoop" --help 2>&1 | grep -q '^Usage: opensnoop ' &&
	[ "$(stat -c %s "$T/re/opensnoop")" = "$(stat -c %s "$T/opensnoop")" ] &&
	ok "a tool given as --runner: its program replaced, same size as from the runner" ||
	bad "tool as runner" "$T/err"

echo "build.sh: $pass passed, $fail failed"
[ $fail = 0 ]
