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
[ $rc = 2 ] && grep -qF "takes MAP=TYPE" "$T/err" && ok "--event-type without '=': usage error (exit 2)" ||
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

echo "maps sized by user space: coolbpf's sizes, said with -v, --map-size"
slept -v -d 2 $D/sized.bpf.c
grep -qF "map 'stackmap': the program leaves its size to user space; coolbpf gives it 1024 entries of 1016 bytes (--map-size stackmap=N to change)" "$T/err" &&
	grep -qF "map 'counts': the program leaves its size to user space; coolbpf gives it 10240 entries of 8 bytes" "$T/err" &&
	ok "stack map 1024 x 127 frames, hash 10240, said with -v" || bad "default sizes" "$T/err"
grep -qE '^  [0-9]+ => ([5-9]|[1-9][0-9]+)$' "$T/out" && grep -qE '^  stack [0-9]+:$' "$T/out" &&
	ok "it loads and counts by stack" || bad "sized program's output" "$T/out"
slept -v --map-size counts=7 -d 1 $D/sized.bpf.c
grep -qF "map 'counts': 7 entries (--map-size)" "$T/err" && ok "--map-size counts=7" ||
	bad "--map-size" "$T/err"
for bad_size in nosuch=3 counts=0 counts=-1 counts; do
	bounded 60 "$COOLBPF" run --map-size $bad_size -d 1 $D/sized.bpf.c >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 2 ] && grep -qE "map-size.*($bad_size|MAP=ENTRIES)" "$T/err" &&
		ok "--map-size $bad_size: usage error naming it" || bad "--map-size $bad_size (exit $rc)" "$T/err"
done

echo "a tracepoint this kernel lacks: left out when others attach"
slept -d 2 $D/optional.bpf.c
rc=$?
[ "$rc" = 0 ] && grep -qF "not attached: missing (tracepoint/syscalls/sys_enter_no_such_call): tracepoint 'syscalls:sys_enter_no_such_call' does not exist" "$T/err" &&
	[ "$(grep -c 'not attached' "$T/err")" = 1 ] && ok "one warning line, exit 0" ||
	bad "missing tracepoint left out (exit $rc)" "$T/err"
grep -qE '^  calls => ([5-9]|[1-9][0-9]+)$' "$T/out" && ok "the program that attached counts" ||
	bad "present program's count" "$T/out"
bounded 60 "$COOLBPF" run --strict -d 1 $D/optional.bpf.c >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qF "sys_enter_no_such_call' does not exist" "$T/err" && ok "--strict: fails" ||
	bad "--strict (exit $rc)" "$T/err"
bounded 60 "$COOLBPF" run -DLONE -d 1 $D/optional.bpf.c >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qF "nothing attached" "$T/err" && ok "nothing attached: exit 1" ||
	bad "all missing (exit $rc)" "$T/err"

bounded 60 "$COOLBPF" run -d 1 $D/fentry_missing.bpf.c >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] && grep -qF "not attached: gone (fentry/no_such_kernel_function): left out: no function 'no_such_kernel_function' in this kernel" "$T/err" &&
	ok "an fentry whose function is missing: left out, said as such" || bad "fentry missing (exit $rc)" "$T/err"
grep -qF "not attached: gone_tp (tp_btf/no_such_tracepoint): left out: no tracepoint 'no_such_tracepoint' in this kernel (its BTF has no btf_trace_no_such_tracepoint)" "$T/err" &&
	ok "a tp_btf whose tracepoint is missing: left out, said as such" || bad "tp_btf missing" "$T/err"
bounded 60 "$COOLBPF" run --strict -d 1 $D/fentry_missing.bpf.c >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -qF "no function 'no_such_kernel_function' in this kernel (fentry attaches to functions its BTF lists)" "$T/err" &&
	! grep -q "No such process" "$T/err" && ok "--strict: the function is not in this kernel (not ESRCH)" ||
	bad "fentry missing --strict (exit $rc)" "$T/err"

echo "newer libbpf's macros, the multiarch include dir; a bare uretprobe"
bounded 120 "$COOLBPF" compile $D/compat.bpf.c -o "$T/compat.o" 2>"$T/err" &&
	ok "BPF_URETPROBE, bpf_ksym_exists, <asm/errno.h> compile" || bad "compat compile" "$T/err"
bounded 60 "$COOLBPF" run -d 0.5 "$T/compat.o" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] && grep -qF "ret (uretprobe): loaded, not attached: section 'uretprobe' has no target: name one with SEC(\"uretprobe/BINARY:FUNCTION\")" "$T/err" &&
	ok "a bare uretprobe: loaded, not attached, how to name a target (as usdt)" ||
	bad "bare uretprobe (exit $rc)" "$T/err"

traced -d 2 $D/kfunc.bpf.c
grep -qE '^  comm => [^ ]+$' "$T/out" &&
	ok "a kfunc named in the program (bpf_task_from_pid): declared by the slim vmlinux.h, called" ||
	bad "kfunc program" "$T/err"
echo "what the types say: an __int128 address beside a family, argv in a char array"
traced -d 2 $D/netev.bpf.c
grep -qE '^saddr=127\.0\.0\.1 family=2 comm=true junk=ok args="true one two"$' "$T/out" &&
	ok "saddr as an address (not 0xdeadbeef...100007f), NUL-separated args with spaces, plain strings kept" ||
	bad "netev decode" "$T/out"
traced --json -d 2 $D/netev.bpf.c
python3 - "$T/out" <<'PY' && ok "JSON: the address and args as strings" || bad "JSON netev" "$T/out"
import json, sys
e = [json.loads(l)["event"] for l in open(sys.argv[1]) if '"event"' in l]
assert e and e[0]["saddr"] == "127.0.0.1" and e[0]["args"] == "true one two" and e[0]["junk"] == "ok", e
PY
echo "libbpf_style.sh: $pass passed, $fail failed"
[ $fail = 0 ]
