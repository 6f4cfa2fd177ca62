#!/bin/bash
# coolbpf on programs written for libbpf, not for coolbpf (as bcc's
# libbpf-tools are): tests/data/libbpf-style/*.bpf.c name no event type,
# keep histograms in `struct hist { slots[] }`, results in .bss, leave map
# sizes to user space and name tracepoints this kernel may lack.
# Needs root (loads real programs). Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "libbpf_style.sh: needs root"; exit 77; }
D=tests/data/libbpf-style

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=$T/cache

# traced ARGS...: coolbpf run ARGS in the background; once it traces, exec
# /bin/true; wait for it (every caller gives -d)
traced() {
	bg "$T/out" "$T/err" "$COOLBPF" run "$@"
	wait_ready "$BG_PID" "$T/err" 'tracing|"attached"' 30
	/bin/true
	bg_wait "$BG_PID" 60
}

echo "event types found from the calls that write them"
traced -d 2 $D/events.bpf.c
grep -qE '^events: pid=[0-9]+ ppid=[0-9]+ uid=0 comm=true$' "$T/out" &&
	ok "perf output of a stack struct (sizeof(e)) decoded" || bad "events: not decoded" "$T/out"
grep -qE '^rb: ts=[0-9]+ pid=[0-9]+ comm=true$' "$T/out" &&
	ok "ring buffer record (bpf_ringbuf_reserve(sizeof(*r))) decoded" || bad "rb: not decoded" "$T/out"
grep -qE '^bigs: pid=[0-9]+ comm=true pad=""$' "$T/out" &&
	ok "perf output of a per-CPU heap's value decoded" || bad "bigs: not decoded" "$T/out"
traced --json -d 2 $D/events.bpf.c
python3 - "$T/out" <<'PY' && ok "JSON event fields by name" || bad "JSON events" "$T/out"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
e = [x for x in evs if x.get("map") == "events" and x["event"].get("comm") == "true"]
assert e and isinstance(e[0]["event"]["ppid"], int), evs[:3]
PY

bounded 120 "$COOLBPF" compile $D/events.bpf.c -o "$T/events.o" 2>"$T/err" &&
	traced -d 2 "$T/events.o" && grep -qE '^events: pid=[0-9]+ ppid=[0-9]+ uid=0 comm=true$' "$T/out" &&
	ok "the compiled artifact carries the types (its DWARF emptied)" || bad "artifact run" "$T/out"

# built elsewhere: plain clang -g, a full vmlinux.h, no coolbpf
if bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$T/vmlinux.h" 2>"$T/err" &&
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$T" -c $D/events.bpf.c -o "$T/third.o" 2>"$T/err"; then
	traced -d 2 "$T/third.o"
	grep -qE '^events: pid=[0-9]+ ppid=[0-9]+ uid=0 comm=true$' "$T/out" &&
		grep -qE '^rb: ts=[0-9]+ pid=[0-9]+ comm=true$' "$T/out" &&
		ok "a third-party .o: types from its DWARF at run" || bad "third-party .o" "$T/out"
else
	bad "cannot build the third-party object" "$T/err"
fi

echo "ambiguity: the candidates and how to name one"
traced -d 1 $D/twins.bpf.c
grep -qF "map 'events': its 28-byte events may be 'struct event' or 'struct twin': name one with --event-type events=TYPE" "$T/err" &&
	ok "two same-sized structs: both named, and --event-type" || bad "ambiguity message" "$T/err"
grep -qE '^events: ' "$T/out" && bad "guessed a type" "$T/out" || ok "no guess: not decoded"
traced -d 2 --event-type 'events=struct twin' $D/twins.bpf.c
grep -qE '^a=[0-9]+ b=0 c=0 d=true$' "$T/out" && ok "--event-type events='struct twin' decodes" ||
	bad "--event-type" "$T/out"
traced -d 1 --event-type 'events=struct nosuch' $D/twins.bpf.c
grep -qF "events=struct nosuch: the object's DWARF has no type 'struct nosuch'" "$T/err" &&
	ok "--event-type naming no type says so" || bad "--event-type nosuch" "$T/err"
bounded 30 "$COOLBPF" run --event-type events $D/twins.bpf.c >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -qF "give MAP=TYPE" "$T/err" && ok "--event-type without '=': usage error (exit 2)" ||
	bad "--event-type usage (exit $rc)" "$T/err"

echo "histograms by shape, .bss results, scratch maps left out"
# slept ARGS...: coolbpf run ARGS; once it traces, five sleeps of 10 ms
slept() {
	bg "$T/out" "$T/err" "$COOLBPF" run "$@"
	wait_ready "$BG_PID" "$T/err" 'tracing|"attached"' 30
	for i in 1 2 3 4 5; do sleep 0.01; done
	bg_wait "$BG_PID" 60
}
slept -d 2 $D/hist.bpf.c
grep -qE '^  [0-9]+ comm=sleep$' "$T/out" && grep -qE '^     usecs +: count +distribution$' "$T/out" &&
	ok "struct hist { slots[] } per key: a log2 histogram each, unit from the map name" ||
	bad "keyed histogram" "$T/out"
grep -qE '^  sleeps => ([5-9]|[1-9][0-9]+)$' "$T/out" && ok ".bss result printed at exit" ||
	bad ".bss sleeps" "$T/out"
grep -qE '^  total$' "$T/out" && ok ".bss struct hist printed as a histogram" || bad ".bss hist" "$T/out"
grep -qE '^(start|heap):' "$T/out" && bad "scratch maps dumped" "$T/out" ||
	ok "deleted-from hash and one-element per-CPU heap left out"
slept -v -d 2 $D/hist.bpf.c
grep -qE '^start:' "$T/out" && grep -qE '^heap:' "$T/out" && ok "-v prints them" || bad "-v scratch" "$T/out"
slept --json --unit msecs -d 2 $D/hist.bpf.c
python3 - "$T/out" <<'PY' && ok "JSON: {map, key, hist} per key" || bad "JSON keyed hist" "$T/out"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
h = [r for r in rows if r.get("map") == "hists_usecs"]
assert h and isinstance(h[0]["key"], int) and sum(b["count"] for x in h for b in x["hist"]) >= 5, rows
PY

echo "--cflags and COOLBPF_CFLAGS reach clang, and the cache key"
printf '#include "lbc.h"\n#ifndef FROM_CFLAGS\n#error no FROM_CFLAGS\n#endif\nSEC("tp/sched/sched_process_exec") int x(void *c) { return 0; }\nchar L[] SEC("license") = "GPL";\n' >"$T/cf.bpf.c"
bounded 120 "$COOLBPF" compile --cflags '-mcpu=v3 -DFROM_CFLAGS=1' "$T/cf.bpf.c" -o "$T/cf.o" 2>"$T/err" &&
	ok "--cflags '-mcpu=v3 -DFROM_CFLAGS=1' compiles" || bad "--cflags" "$T/err"
bounded 120 "$COOLBPF" compile "$T/cf.bpf.c" -o "$T/cf.o" 2>"$T/err" && bad "served without the flags" "$T/err" ||
	{ grep -qF "no FROM_CFLAGS" "$T/err" && ok "without them: a new compile, which fails (flags in the key)" ||
		bad "no-flags compile message" "$T/err"; }
COOLBPF_CFLAGS=-DFROM_CFLAGS bounded 120 "$COOLBPF" compile "$T/cf.bpf.c" -o "$T/cf.o" 2>"$T/err" &&
	ok "COOLBPF_CFLAGS reaches clang" || bad "COOLBPF_CFLAGS" "$T/err"

echo "libbpf_style.sh: $pass passed, $fail failed"
[ $fail = 0 ]
