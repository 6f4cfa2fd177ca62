#!/bin/bash
# CLI tests of `coolbpf run`'s event loss: a one-page ring buffer written
# with bpf_ringbuf_reserve directly, and a perf event array, both flooded
# (tests/data/loss.bpf.c): every record is either printed or counted lost,
# exactly, and events sent a second after either flood still arrive; a
# one-page perf buffer loses and says so exactly; a queue too small for a
# reader that stalls drops, reported apart from the kernel's loss.
# Needs root. Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "events.sh: needs root"; exit 77; }
command -v cc >/dev/null || { echo "events.sh: needs cc"; exit 77; }

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}

# burst MAGIC N: N getpgid(MAGIC) calls as fast as one core makes them
cat >"$T/burst.c" <<'C'
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	long m = strtol(argv[1], NULL, 0), n = strtol(argv[2], NULL, 0);

	for (long i = 0; i < n; i++)
		syscall(SYS_getpgid, m);
	return argc < 3;
}
C
cc -O2 -o "$T/burst" "$T/burst.c" || { echo "events.sh: cannot build burst"; exit 1; }

# flood MAGIC N [RUN OPTIONS]: coolbpf run --json, N events, 1 s, 10
# more 50 ms apart, 1.5 s, SIGINT
flood() {
	local magic=$1 n=$2
	shift 2
	bg "$T/out" "$T/err" "$COOLBPF" run --json "$@" tests/data/loss.bpf.c
	wait_ready "$BG_PID" "$T/err" '"attached": true' 30 || return 1
	"$T/burst" "$magic" "$n"
	sleep 1
	# 10 more, apart: the one-page ring holds 7 of the 512-byte records,
	# so 10 in one burst may lose some honestly; a stuck buffer loses all
	for i in 1 2 3 4 5 6 7 8 9 10; do
		"$T/burst" "$magic" 1
		sleep 0.05
	done
	sleep 1.5
	kill -INT "$BG_PID"
	bg_wait "$BG_PID" 60
}

# check_counts MAP N WANT: printed + lost + dropped == N + 10; WANT has
# lossy: lost > 0, a lost line while running; dropped: the same for the
# queue's drops; after: the last 10 arrived
check_counts() {
	python3 - "$T/out" "$1" "$2" "$3" <<'PY'
import json, sys
path, name, n, want = sys.argv[1], sys.argv[2], int(sys.argv[3]) + 10, sys.argv[4]
seqs, final, running = [], {"lost": 0, "dropped": 0}, {"lost": 0, "dropped": 0}
for line in open(path):
    o = json.loads(line)
    if o.get("map") != name:
        continue
    if "event" in o:
        seqs.append(o["event"]["seq"])
    for k in ("lost", "dropped"):
        if k in o:
            if o.get("exit"):
                final[k] = o[k]
            else:
                running[k] += 1
lost, dropped = final["lost"], final["dropped"]
assert len(seqs) == len(set(seqs)), "a record printed twice"
assert len(seqs) + lost + dropped == n, \
    f"{len(seqs)} printed + {lost} lost + {dropped} dropped != {n} sent"
if "lossy" in want:
    assert lost > 0 and running["lost"] > 0, f"no loss reported while running ({lost})"
if "dropped" in want:
    assert dropped > 0 and running["dropped"] > 0, f"no drop reported while running ({dropped})"
if "after" in want:
    late = [s for s in seqs if s >= n - 10]
    assert len(late) == 10, f"only {len(late)} of the 10 events after the flood arrived"
print(f"  {len(seqs)} printed + {lost} lost + {dropped} dropped = {n}")
PY
}

echo "coolbpf run: a one-page ring buffer flooded (bpf_ringbuf_reserve direct)"
flood 0x7c0011c0 100000
check "ring buffer: printed + lost == sent, loss reported while running, later events arrive" \
	check_counts small 100000 lossy,after

echo "coolbpf run: a perf event array flooded, then 10 events a second later"
flood 0x7c0011c1 200000
check "perf: printed + lost == sent; the events after the flood arrived" \
	check_counts pev 200000 after

echo "coolbpf run: a one-page perf buffer flooded"
flood 0x7c0011c1 200000 --perf-pages 1
check "perf, 1 page a CPU: printed + lost == sent, loss reported while running" \
	check_counts pev 200000 lossy,after

# a reader that stalls 3 s: run blocks writing, the drain thread goes on
# into a 4 KiB queue (15 perf records) and must drop, and say so
echo "coolbpf run --queue-size 4K: the output's reader stalls"
mkfifo "$T/fifo"
{
	exec 3<"$T/fifo"
	sleep 3
	cat <&3 >"$T/out"
} &
READER=$!
bg "$T/fifo" "$T/err" "$COOLBPF" run --json --queue-size 4K tests/data/loss.bpf.c
if wait_ready "$BG_PID" "$T/err" '"attached": true' 30; then
	"$T/burst" 0x7c0011c1 20000
	sleep 4
	"$T/burst" 0x7c0011c1 10
	sleep 1.5
	kill -INT "$BG_PID"
	bg_wait "$BG_PID" 60
fi
bg_wait "$READER" 30
check "queue overflow: printed + lost + dropped == sent, drops reported apart" \
	check_counts pev 20000 dropped

echo "events.sh: $passes passed, $fails failed"
[ "$fails" = 0 ]
