#!/bin/bash
# CLI tests of `coolbpf run --columns`: text events as aligned columns under
# one header line per event type, widths from the fields' types (BCC-like),
# with -T's TIME column; on real exec and open events. Needs root.
# Exit 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
[ "$(id -u)" = 0 ] || { echo "columns.sh: needs root"; exit 77; }

T=$(mktemp -d)
at_exit 'rm -rf "$T"'
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$T/cache}

# traced ARGS... -- COMMAND...: coolbpf run ARGS for 3 s, COMMAND run 3
# times once it is attached; stdout in $T/out
traced() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	bg "$T/out" "$T/err" "$COOLBPF" run -d 3 "${args[@]}"
	local pid=$BG_PID
	wait_ready "$pid" "$T/err" 'tracing' 60 && for _ in 1 2 3; do "$@"; done
	bg_wait "$pid" 60
}

# aligned HEADER-PATTERN VALUES-PYTHON: the header is the first line and
# the only one matching its pattern; every line has a value in each column
# the header starts (a space before it, none inside it but in the last);
# the lines the python expression picks have the values it says
aligned() {
	python3 - "$T/out" "$1" "$2" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
head = [l for l in lines if re.match(sys.argv[2], l)]
assert len(head) == 1 and lines[0] == head[0], f"headers: {head}, first line {lines[:1]}"
starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
names = lines[0].split()
rows = []
for l in lines[1:]:
    cells = []
    for i, s in enumerate(starts):
        assert s == 0 or l[s - 1] == " ", f"no space before column {names[i]}: {l!r}"
        end = starts[i + 1] if i + 1 < len(starts) else len(l)
        cell = l[s:end].rstrip()
        assert cell and (i + 1 == len(starts) or " " not in cell), f"{names[i]}: {cell!r} in {l!r}"
        cells.append(cell)
    rows.append(dict(zip(names, cells)))
want = eval(sys.argv[3])
assert want(rows), rows[:5]
PY
}

echo "coolbpf run --columns: execsnoop, one header, aligned"
traced --columns examples/execsnoop.bpf.c -- /bin/true
rc=$?
aligned '^PID +PPID +UID +COMM +FILENAME$' \
	'lambda rows: sum(r["COMM"] == "true" and r["FILENAME"].endswith("/true") for r in rows) >= 3' 2>"$T/why" &&
	[ $rc = 0 ] && ok "header PID PPID UID COMM FILENAME once, every exec in its columns (exit $rc)" ||
	bad "execsnoop columns (exit $rc)" "$T/why"
# the widths are the types': u32 as 7, char[16] as 16 (BCC's comm)
head -1 "$T/out" | grep -qx 'PID     PPID    UID     COMM            FILENAME' &&
	ok "widths from the types: u32 7, char[16] 16, the last column unpadded" || bad "header widths" "$T/out"

echo "--columns -T: a TIME column; opensnoop's typed and signed fields"
traced --columns -T examples/opensnoop.bpf.c -- sh -c 'cat /etc/hostname /nonexistent-columns >/dev/null 2>&1'
aligned '^TIME +PID +UID +RET +FLAGS +COMM +FNAME$' \
	'lambda rows: any(r["COMM"] == "cat" and r["FNAME"] == "/nonexistent-columns" and r["RET"] == "-2" and
	                  re.match(r"^\d\d:\d\d:\d\d\.\d\d\d$", r["TIME"]) for r in rows)' 2>"$T/why" &&
	ok "TIME first, a failed open's -2 in RET, the path last" || bad "opensnoop columns" "$T/why"

echo "--columns: tcpconnect's typed fields (lbc_ipv4_t, lbc_port_t)"
connect() { # a loopback connect; its ports in $T/ports
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); p = s.getsockname()[1]
c = socket.create_connection(("127.0.0.1", p)); open(sys.argv[1], "w").write(f"{c.getsockname()[1]} {p}")' "$T/ports"
}
ip link set lo up 2>/dev/null
traced --columns examples/tcpconnect.bpf.c -- connect
read -r sport dport <"$T/ports"
aligned '^PID +COMM +SPORT +DPORT +SADDR +DADDR +ESTABLISHED$' \
	"lambda rows: any(r['COMM'] == 'python3' and r['SADDR'] == r['DADDR'] == '127.0.0.1' and
	                  r['SPORT'] == '$sport' and r['DPORT'] == '$dport' and r['ESTABLISHED'] == '1' for r in rows)" 2>"$T/why" &&
	ok "127.0.0.1:$sport -> 127.0.0.1:$dport, in host order, in its columns" || bad "tcpconnect columns" "$T/why"

echo "--columns: what it refuses"
bounded 60 "$COOLBPF" run --columns --json examples/execsnoop.bpf.c >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -qF -- "--columns lays out text: leave out --json" "$T/err" &&
	ok "--columns --json: exit 2, says why" || bad "--columns --json: exit $rc" "$T/err"

echo "columns.sh: $pass passed, $fail failed"
[ $fail = 0 ]
