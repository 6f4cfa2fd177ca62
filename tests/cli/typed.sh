#!/bin/bash
# CLI tests of lbc.h's typed fields (lbc_ipv4_t, lbc_port_t, lbc_ksym_t,
# lbc_usym_t, lbc_ns_t, lbc_errno_t, lbc_syscall_t, lbc_dev_t): a program
# fills one of each with what the test knows, on a getppid() of its own,
# text and JSON. Needs root. Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "typed.sh: needs root"; exit 77; }

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}

"$COOLBPF" compile tests/data/typed.bpf.c -o "$T/typed.o" || { echo "cannot compile"; exit 1; }

# traced ARGS... -- PY: a python (/usr/bin/python3: no shell shim before
# it) that runs PY once coolbpf run --set target_pid=ITS_PID ARGS is ready
traced() {
	local args=() py
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	py=$2
	rm -f "$T/go" "$T/up"
	/usr/bin/python3 -c 'import os, sys, time
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[1]): time.sleep(0.01)
'"$py" "$T/go" "$T/up" &
	local gp=$!
	wait_for 20 "python up" test -e "$T/up"
	bg "$T/out" "$T/err" "$COOLBPF" run --set target_pid=$gp "${args[@]}"
	wait_ready "$BG_PID" "$T/err" 'tracing|"attached"' 20 && touch "$T/go"
	bg_wait "$BG_PID" 60
	local rc=$?
	wait $gp
	return $rc
}

echo "typed fields: one of each kind"
start=$(date +%s.%N)
traced --json -d 2 "$T/typed.o" -- 'time.sleep(0.3); os.getppid(); time.sleep(1.5)'
end=$(date +%s.%N)
python3 - "$T/out" "$start" "$end" <<'PY' >"$T/why" 2>&1 && ok "JSON: $(cat "$T/why")" || bad "typed JSON" "$T/why"
import json, sys, datetime, os
evs = [json.loads(l)["event"] for l in open(sys.argv[1]) if '"event"' in l]
assert len(evs) == 1, evs
e = evs[0]
assert e["v4"] == "127.0.0.1", e["v4"]
assert e["v6"] == "::1", e["v6"]
assert e["port"] == 8080, e["port"]
assert e["ksym"] == "schedule+0x0", e["ksym"]
assert e["usym"].endswith("(libc.so.6)") and "getppid" in e["usym"], e["usym"]
t = datetime.datetime.fromisoformat(e["when"]).timestamp()
assert float(sys.argv[2]) <= t <= float(sys.argv[3]), (e["when"], sys.argv[2:])
assert e["err"] == "-ENOENT" and e["ok"] == 0, (e["err"], e["ok"])
assert e["nr"] == "getppid", e["nr"]
loop0 = os.path.exists("/sys/dev/block/7:0")
assert e["dev"] == ("loop0(7:0)" if loop0 else "7:0"), e["dev"]
assert e["plain"] == 0x0100007f, e["plain"]
assert (e["sig"], e["state"], e["nosig"]) == ("SIGKILL", "TCP_ESTABLISHED", 0), e
print("127.0.0.1, ::1, 8080, schedule+0x0, %s, %s, -ENOENT, getppid, %s" % (e["usym"], e["when"], e["dev"]))
PY
traced -d 2 "$T/typed.o" -- 'time.sleep(0.3); os.getppid(); time.sleep(1.5)'
grep -qE '^pid=[0-9]+ v4=127\.0\.0\.1 v6=::1 port=8080 ksym=schedule\+0x0 usym="?getppid\+0x[0-9a-f]+ \(libc\.so\.6\)"? when=[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} err=-ENOENT ok=0 nr=getppid dev=(loop0\()?7:0\)? plain=16777343 sig=SIGKILL state=TCP_ESTABLISHED nosig=0$' "$T/out" &&
	ok "text: the same, bare or quoted as strings are" || bad "typed text" "$T/out"

echo "bpf_printk with its own newline: no empty printk line"
printf '#include "lbc.h"\nconst volatile int target_pid = 0;\nSEC("tp/syscalls/sys_enter_getppid") int p(void *ctx) { if ((int)(bpf_get_current_pid_tgid() >> 32) == target_pid) bpf_printk("hi %%d\\n", 7); return 0; }\nchar L[] SEC("license") = "GPL";\n' >"$T/nl.bpf.c"
traced --json -d 2 "$T/nl.bpf.c" -- 'time.sleep(0.3); os.getppid()'
[ "$(grep -cE '"printk": "[^"]*: hi 7"' "$T/out")" = 1 ] && ! grep -q '"printk": ""' "$T/out" &&
	ok "one {\"printk\": \"...: hi 7\"}, no {\"printk\": \"\"}" || bad "printk newline" "$T/out"

echo "typed.sh: $pass passed, $fail failed"
[ $fail = 0 ]
