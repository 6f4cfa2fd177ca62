#!/bin/bash
# The object cache trusts nothing it reads back: damaged, truncated and
# swapped entries are reported, removed and compiled again (never run); a
# cache directory that is not the user's is refused; COOLBPF_CACHE_MAX
# bounds it. Exit 0: pass, 77: skip (no kernel BTF or not root), other: fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
# root: a directory of another user, bpf()
cli_setup cache btf root
unset COOLBPF_CACHE_MAX
export COOLBPF_CACHE_DIR=$work/cache

# prog NAME COMM: a program printing NAME for each exec
prog() {
	cat >"$work/$1.bpf.c" <<EOF
#include "lbc.h"
struct ev { int pid; char tag[8]; };
LBC_PERF_OUTPUT(e_out, struct ev, 128);
SEC("tracepoint/sched/sched_process_exec")
int tp(void *ctx)
{
	struct ev e = { .tag = "$1" };
	e.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_perf_event_output(ctx, &e_out, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
EOF
}
prog alpha
prog beta

# the entry's object of the last compile -v (its key from the cache's list)
entry_of() { # SRC -> path of its .o in the cache
	local before after
	before=$(find "$COOLBPF_CACHE_DIR/objects" -name '*.o' 2>/dev/null | sort)
	run compile "$work/$1.bpf.c" -o "$work/$1.o"
	after=$(find "$COOLBPF_CACHE_DIR/objects" -name '*.o' | sort)
	comm -13 <(echo "$before") <(echo "$after")
}
a=$(entry_of alpha)
b=$(entry_of beta)
check "two entries in the cache ($a, $b)" test -f "$a" -a -f "$b"
check "each entry has its record" [ -f "${a%.o}.sum" ]

# damage ENTRY: compile alpha again; it must say so, compile, and give alpha
expect_repaired() { # what
	run compile -v "$work/alpha.bpf.c" -o "$work/again.o"
	check "$1: compile succeeds (exit $rc)" [ $rc = 0 ]
	check "$1: reported as bad and removed: $err" has "$err" "is bad"
	check "$1: the path is named" has "$err" "$a"
	check "$1: compiled again, not served from the cache" bash -c "! grep -qF 'served from the cache' <<<\"\$1\"" _ "$err"
	check "$1: the object is alpha's own" cmp -s "$work/alpha.o" "$work/again.o"
	run compile -v "$work/alpha.bpf.c" -o "$work/again.o"
	check "$1: then a hit again" has "$err" "served from the cache"
}

truncate -s 100 "$a"
expect_repaired "truncated entry"

# one byte inside the instructions of the program flipped
off=$(llvm-readelf -SW "$a" | awk '{ for (i = 1; i < NF; i++) if ($i == "tracepoint/sched/sched_process_exec") print $(i + 3) }')
off=$((16#${off:-0}))
check "the program's section found (offset $off)" test "$off" -gt 0
printf '\x42' | dd of="$a" bs=1 seek=$((off + 1)) conv=notrunc status=none
check "a byte of the program flipped" bash -c "! cmp -s '$a' '$work/alpha.o'"
expect_repaired "flipped byte"

cp "$b" "$a"
expect_repaired "another valid object swapped in"
cp "$b" "$a"
cp "${b%.o}.sum" "${a%.o}.sum"
expect_repaired "another object with its record swapped in"

echo "coolbpf run never runs a bad entry"
printf '\x42' | dd of="$a" bs=1 seek=$((off + 1)) conv=notrunc status=none
bg "$work/run.out" "$work/run.err" "$COOLBPF" run -d 3 "$work/alpha.bpf.c"
pid=$BG_PID
wait_ready "$pid" "$work/run.err" 'tracing' 60
for _ in 1 2 3 4 5; do /bin/true; sleep 0.1; done
bg_wait "$pid" 20
check "run: the bad entry is reported" grep -qF "is bad" "$work/run.err"
check "run: the events are alpha's" grep -qF "alpha" "$work/run.out"

echo "a cache directory that is not the user's"
planted=$work/planted
mkdir -p "$planted"
chmod 755 "$work"
# what a neighbour left for root: a valid cache, their own
COOLBPF_CACHE_DIR=$planted run compile "$work/beta.bpf.c" -o "$work/p.o"
chown -R nobody "$planted"
COOLBPF_CACHE_DIR=$planted run compile "$work/beta.bpf.c" -o "$work/p.o"
check "owned by nobody: refused (exit $rc)" [ $rc = 1 ]
check "owned by nobody: the path and owner are named: $err" has "$err" "'$planted': it belongs to uid $(id -u nobody)"
check "owned by nobody: the fix is given" has "$err" "chown -R 0 $planted"
COOLBPF_CACHE_DIR=$planted run run -d 1 "$work/beta.bpf.c"
check "owned by nobody: run refuses it too (exit $rc)" [ $rc = 1 ]
check "owned by nobody: nothing was loaded" bash -c "! grep -q 'attached' <<<\"\$1\"" _ "$err"
chown -R root "$planted"
chmod 777 "$planted"
COOLBPF_CACHE_DIR=$planted run compile "$work/beta.bpf.c" -o "$work/p.o"
check "world-writable: refused (exit $rc)" [ $rc = 1 ]
check "world-writable: said so: $err" has "$err" "writable by everyone (mode 0777)"
chmod 755 "$planted"
chmod 775 "$work"
COOLBPF_CACHE_DIR=$planted run compile "$work/beta.bpf.c" -o "$work/p.o"
check "group-writable parent: refused (exit $rc)" [ $rc = 1 ]
check "group-writable parent: the parent is named: $err" has "$err" "'$work' on its path: it is writable by its group"
chmod 755 "$work"
COOLBPF_CACHE_DIR=$planted run compile "$work/beta.bpf.c" -o "$work/p.o"
check "fixed: accepted (exit $rc): $err" [ $rc = 0 ]
# /tmp (sticky, world-writable) above a cache of one's own is fine
check "a cache under /tmp (sticky) is accepted" [ "${work#/tmp/}" != "$work" ]

echo "COOLBPF_CACHE_MAX"
COOLBPF_CACHE_MAX=lots run compile "$work/beta.bpf.c" -o "$work/p.o"
check "bad COOLBPF_CACHE_MAX: usage error (exit $rc)" [ $rc = 2 ]
check "bad COOLBPF_CACHE_MAX: said how: $err" has "$err" "COOLBPF_CACHE_MAX 'lots'"
small=$work/small
for n in one two three four five six; do
	prog "$n"
	COOLBPF_CACHE_DIR=$small COOLBPF_CACHE_MAX=48K run compile "$work/$n.bpf.c" -o "$work/$n.o"
	[ $rc = 0 ] || break
	sleep 0.05
done
check "six compiles into a 48K cache (exit $rc)" [ $rc = 0 ]
# what eviction counts: the entries' files as the disk holds them
size=$(find "$small/objects" -type f -printf '%b\n' | awk '{ s += $1 * 512 } END { print s }')
entries=$(find "$small/objects" -name '*.o' | wc -l)
check "the entries stay under 48K ($size bytes, $entries of 6 entries)" test "$size" -le $((48 * 1024)) -a "$entries" -lt 6
COOLBPF_CACHE_DIR=$small COOLBPF_CACHE_MAX=48K run compile -v "$work/six.bpf.c" -o "$work/x.o"
check "the newest is kept: $err" has "$err" "served from the cache"
COOLBPF_CACHE_DIR=$small COOLBPF_CACHE_MAX=48K run compile -v "$work/one.bpf.c" -o "$work/x.o"
check "the least recently used went: $err" bash -c "! grep -qF 'served from the cache' <<<\"\$1\"" _ "$err"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
