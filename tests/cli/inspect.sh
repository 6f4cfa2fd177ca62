#!/bin/bash
# CLI tests of `coolbpf inspect` on an object and on a source: programs
# (section, hook, target, fallback), maps (type, key/value types, how run
# prints them), event fields, parameters with types and defaults, carried
# kernels. Loads nothing into the kernel. Exit 0 pass, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}

echo "coolbpf inspect: what an object holds"
cat >"$T/pair.bpf.c" <<'SRC'
#include "lbc.h"
const volatile int target_pid = 42;
SEC("kprobe/do_nanosleep") int k(void *ctx) { return target_pid; }
SEC("fentry/do_nanosleep") int f(void *ctx) { return 0; }
SEC("tp_btf/sched_switch") int s(void *ctx) { return 0; }
char L[] SEC("license") = "GPL";
SRC
"$COOLBPF" compile tests/data/params.bpf.c -o "$T/params.o" || bad "compile params"
"$COOLBPF" inspect --json "$T/params.o" >"$T/out" 2>"$T/err"
python3 - "$T/out" <<'PY' >"$T/why" 2>&1 && ok "--json on an object: programs, maps, event fields, parameters with defaults, kernels" || bad "inspect --json" "$T/why"
import json, sys, os
d = json.load(open(sys.argv[1]))
assert d["programs"] == [{"name": "on_getppid", "section": "tp/syscalls/sys_enter_getppid",
    "hook": "tracepoint", "target": "syscalls/sys_enter_getppid", "fallback": None}], d["programs"]
m = {x["name"]: x for x in d["maps"]}
assert m["events"]["type"] == "ringbuf" and m["events"]["value"] == "struct ev", m["events"]
assert m["events"]["printed_as"].startswith("events"), m["events"]
f = {x["name"]: x["type"] for x in m["events"]["fields"]}
assert f["comm"] == "char[16]" and f["mode"] == "enum mode" and f["big"] == "u64", f
p = {x["name"]: x for x in d["parameters"]}
assert p["target_pid"] == {"name": "target_pid", "type": "int", "section": ".rodata", "settable": True, "default": -1}, p["target_pid"]
assert p["comm"]["default"] == "any" and p["mode"]["default"] == "MODE_ALL", p
assert p["counter"]["section"] == ".data" and p["zero"]["section"] == ".bss", p
assert p["pair"]["settable"] is False and p["pair"]["default"] == {"a": 0, "b": 0}, p["pair"]
assert d["kernels"][0]["release"] == os.uname().release, d["kernels"]
PY
"$COOLBPF" inspect "$T/pair.bpf.c" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] && grep -qE '^  k +kprobe/do_nanosleep +kprobe do_nanosleep  fallback: f$' "$T/out" &&
	grep -qE '^  s +tp_btf/sched_switch +tp_btf sched_switch  fallback: raw_tp$' "$T/out" &&
	grep -qE '^  target_pid +int +\.rodata +default 42$' "$T/out" &&
	grep -q "min BTF for 1 kernel" "$T/out" &&
	ok "text on a source: the kprobe/fentry pair's fallbacks, a lone tp_btf's, the parameter" ||
	bad "inspect text (exit $rc)" "$T/out"
"$COOLBPF" inspect examples/runqlat.bpf.c >"$T/out" 2>"$T/err"
grep -qE '^  runq_usecs +array +key u32, value lbc_hist2_t: log2 histogram$' "$T/out" &&
	ok "a histogram map says it prints as one" || bad "hist map line" "$T/out"

echo "inspect.sh: $pass passed, $fail failed"
[ $fail = 0 ]
