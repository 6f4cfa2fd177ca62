#!/bin/bash
# coolbpf btf: gen, min, archive add/list/get, and loading from the archive
# on a kernel whose /sys/kernel/btf is hidden (a private mount namespace).
# Exit 0: pass, 77: skip (no kernel BTF), other: fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$PWD/build/test-cache}
unset COOLBPF_SERVER COOLBPF_BTF_DIR

[ -x "$COOLBPF" ] || { echo "FAIL: no binary at $COOLBPF"; exit 1; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "skip: no /sys/kernel/btf/vmlinux"; exit 77; }

work=$(mktemp -d /tmp/coolbpf-cli-btf.XXXXXX)
at_exit 'rm -rf "$work"'
rel=$(uname -r) arch=$(uname -m)

run() { # at most 120 s; sets rc, out, err
	bounded 120 "$COOLBPF" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	out=$(<"$work/out")
	err=$(<"$work/err")
}
has() { grep -qF -- "$2" <<<"$1"; }

# --- gen: pahole turns DWARF into BTF
printf 'struct coolbpf_gen_probe { int a; long b; char c[3]; };\nstruct coolbpf_gen_probe g;\n' >"$work/g.c"
gcc -g -c "$work/g.c" -o "$work/g.o"
run btf gen --vmlinux "$work/g.o" -o "$work/g.btf"
check "gen exits 0" [ "$rc" = 0 ]
check "gen output holds the DWARF struct" \
	has "$(bpftool btf dump file "$work/g.btf" 2>&1)" "STRUCT 'coolbpf_gen_probe' size=24 vlen=3"
run btf gen --vmlinux "$work/nope" -o "$work/x.btf"
check "gen of a missing file names it" has "$err" "cannot read '$work/nope'"

# --- archive add/list/get: gzip on disk, byte-identical back
run btf archive add /sys/kernel/btf/vmlinux --release "$rel" --dir "$work/ar"
check "archive add exits 0" [ "$rc" = 0 ]
entry=$work/ar/$arch/$rel.btf.gz
check "entry is <dir>/<arch>/<release>.btf.gz" gzip -t "$entry"
check "entry is compressed" [ "$(stat -c %s "$entry")" -lt "$(wc -c </sys/kernel/btf/vmlinux)" ]
run btf archive list --dir "$work/ar"
check "list names arch and release" has "$out" "$arch $rel "
COOLBPF_BTF_DIR=$work/ar run btf archive get "$rel" -o "$work/back.btf"
check "get (root from COOLBPF_BTF_DIR) returns the same bytes" cmp -s "$work/back.btf" /sys/kernel/btf/vmlinux
run btf archive get 0.0-none --dir "$work/ar"
check "get of a missing release names the file" has "$err" "$work/ar/$arch/0.0-none.btf.gz"
run btf archive add "$work/g.c" --release bad --dir "$work/ar"
check "add refuses a non-BTF file" has "$err" "not a valid BTF file"

# --- min: only what the object's relocations use, from the archive entry
run compile examples/execsnoop.bpf.c -o "$work/ex.o"
run btf min "$work/ex.o" --btf "$entry" -o "$work/min.btf"
check "min from a .btf.gz exits 0" [ "$rc" = 0 ]
check "min is far smaller than the full BTF" [ "$(stat -c %s "$work/min.btf")" -lt 20000 ]
check "min keeps task_struct" has "$(bpftool btf dump file "$work/min.btf" 2>&1)" "STRUCT 'task_struct'"
run btf min "$work/ex.o" --kernel "$rel" --dir "$work/ar" -o "$work/min2.btf"
check "min --kernel takes the archive entry" cmp -s "$work/min.btf" "$work/min2.btf"

# --- compile for another kernel through the archive
cp "$entry" "$work/ar/$arch/9.9.9-other.btf.gz"
COOLBPF_BTF_DIR=$work/ar run compile --kernel 9.9.9-other examples/execsnoop.bpf.c -o "$work/other.o"
check "compile --kernel reads a compressed archive entry" [ "$rc" = 0 ]
COOLBPF_BTF_DIR=$work/ar run compile --kernel 0.0-none examples/execsnoop.bpf.c -o "$work/x.o"
check "compile for a kernel not archived names the file" has "$err" "$work/ar/$arch/0.0-none.btf.gz"

# --- load without /sys/kernel/btf: the archive, or an error naming the file
llvm-objcopy --remove-section=.lbc.minbtf "$work/ex.o" "$work/ex-nomin.o"
nobtf() { # env... -- coolbpf args: run with /sys/kernel/btf hidden (at most 120 s)
	bounded 120 unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' \
		sh env "$@" >"$work/out" 2>"$work/err"
	rc=$?
	out=$(<"$work/out")
	err=$(<"$work/err")
}
nobtf COOLBPF_BTF_DIR="$work/ar" "$COOLBPF" run -v -d 1 "$work/ex-nomin.o"
check "no kernel BTF: loads from the archive" [ "$rc" = 0 ]
check "no kernel BTF: says the archive entry served" has "$err" "BTF for CO-RE: archive $entry"
nobtf COOLBPF_BTF_DIR="$work/empty" "$COOLBPF" run -d 1 "$work/ex-nomin.o"
check "no kernel BTF, none archived: fails" [ "$rc" != 0 ]
check "no kernel BTF, none archived: names the file looked for" \
	has "$err" "the archive has no '$work/empty/$arch/$rel.btf.gz'"
run run --btf "$entry" -d 1 "$work/ex.o"
check "run --btf takes a .btf.gz" [ "$rc" = 0 ]

# --- run --btf reaches the compile: a min BTF (no sk_buff, not even the
# kernel's __u64) cannot compile a program that names sk_buff's members;
# before, the compile took the kernel's BTF and only the load failed
cat >"$work/skb.bpf.c" <<'EOF2'
#include "lbc.h"
SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct sk_buff *skb = (void *)0;
	bpf_printk("%u", BPF_CORE_READ(skb, len));
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
EOF2
run run --btf "$work/min.btf" -d 1 "$work/skb.bpf.c"
check "run --btf FILE compiles against FILE: fails without the type (exit $rc)" [ "$rc" = 1 ]
check "run --btf FILE compiles against FILE: the compile fails, not the load" \
	bash -c 'grep -q "compile" <<<"$1" && ! grep -q "verifier" <<<"$1"' _ "$err"
run compile -o "$work/skb.o" "$work/skb.bpf.c"
check "the same program compiles against the kernel's BTF" [ "$rc" = 0 ]

echo "btf.sh: $passes passed, $fails failed"
[ "$fails" = 0 ]
