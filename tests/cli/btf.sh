#!/bin/bash
# coolbpf btf: gen, min, archive add/list/get, and loading from the archive
# on a kernel whose /sys/kernel/btf is hidden (a private mount namespace).
# Exit 0: pass, 77: skip (no kernel BTF), other: fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
cli_setup btf btf
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$PWD/build/test-cache}
rel=$(uname -r) arch=$(uname -m)

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

# --- one artifact for several kernels (--kernel repeated, --all-kernels)
printf 'struct task_struct { int pid; int tgid; struct task_struct *real_parent; };\nstruct task_struct t;\n' >"$work/tiny.c"
gcc -g -c "$work/tiny.c" -o "$work/tiny.o"
"$COOLBPF" btf gen --vmlinux "$work/tiny.o" -o "$work/tiny.btf"
"$COOLBPF" btf archive add "$work/tiny.btf" --release 9.9.7-tiny --dir "$work/ar"
COOLBPF_BTF_DIR=$work/ar run compile --kernel 9.9.9-other --kernel "$rel" --kernel 9.9.7-tiny \
	--kernel 9.9.9-other examples/execsnoop.bpf.c -o "$work/multi.o"
check "compile --kernel R1 --kernel R2 --kernel R3 exits 0" [ "$rc" = 0 ]
run inspect --json "$work/multi.o"
kfield() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$out" "$1"; }
check "inspect: three kernels, the repeated one once, the compile target first" \
	[ "$(kfield '[k["release"] for k in d["kernels"]]')" = "['9.9.9-other', '$rel', '9.9.7-tiny']" ]
check "inspect: a kernel with the same min BTF is stored once (shared, adds < 100 bytes)" \
	[ "$(kfield 'd["kernels"][1]["shared"] and d["kernels"][1]["added"] < 100')" = True ]
check "inspect: a kernel whose types differ has a min BTF of its own" \
	[ "$(kfield 'not d["kernels"][2]["shared"] and d["kernels"][2]["btf_size"] != d["kernels"][0]["btf_size"]')" = True ]
check "inspect: the kernels' bytes add up to what the object carries" \
	[ "$(kfield 'sum(k["added"] for k in d["kernels"]) == d["carried_bytes"] and d["distinct_btf"] == 2')" = True ]
run inspect "$work/multi.o"
check "inspect (text) lists each kernel with its size" has "$out" "9.9.7-tiny"
nobtf "$COOLBPF" run -v -d 1 "$work/multi.o"
check "a load picks the carried min BTF of uname -r, not the compile target's" \
	[ "$rc" = 0 ] && has "$err" "BTF for CO-RE: artifact"
COOLBPF_BTF_DIR=$work/ar run compile --kernel 9.9.9-other --kernel 0.0-none examples/execsnoop.bpf.c -o "$work/x.o"
check "a kernel to carry that is not archived: exit 1, names the file" \
	[ "$rc" = 1 ] && has "$err" "$work/ar/$arch/0.0-none.btf.gz"
run compile --server http://127.0.0.1:1 --kernel 9.9.9-other --kernel "$rel" examples/execsnoop.bpf.c -o "$work/x.o"
check "several kernels through a server: refused, says to compile locally" \
	[ "$rc" = 1 ] && has "$err" "more than one --kernel is not supported remotely"
COOLBPF_BTF_DIR=$work/ar run compile --all-kernels examples/execsnoop.bpf.c -o "$work/all.o"
run inspect --json "$work/all.o"
check "compile --all-kernels carries every kernel of the archive" \
	[ "$(kfield 'len(d["kernels"])')" = "$(ls "$work/ar/$arch" | wc -l)" ]
COOLBPF_BTF_DIR=$work/empty run compile --all-kernels examples/execsnoop.bpf.c -o "$work/x.o"
check "--all-kernels without an archive names it" [ "$rc" = 1 ] && has "$err" "$work/empty/$arch"
# an artifact of coolbpf 0.2: one kernel, .lbc.target without the arch
COOLBPF_BTF_DIR=$work/ar run compile --kernel 9.9.9-other examples/execsnoop.bpf.c -o "$work/one.o"
printf '%s\0%064d\0' "$rel" 0 >"$work/old-target"
llvm-objcopy --update-section .lbc.target="$work/old-target" "$work/one.o" "$work/old.o"
run inspect "$work/old.o"
check "inspect reads a 0.2 artifact (one kernel, no arch)" has "$out" "min BTF for 1 kernel"
nobtf "$COOLBPF" run -v -d 1 "$work/old.o"
check "a 0.2 artifact still loads with the min BTF it carries" \
	[ "$rc" = 0 ] && has "$err" "BTF for CO-RE: artifact"
echo "not an object" >"$work/notobj.o"
run inspect "$work/notobj.o"
check "inspect of a non-object: exit 1, says so" [ "$rc" = 1 ] && has "$err" "is not a coolbpf object"
run inspect "$work/g.c"
check "inspect of a source compiles it: no programs, its global not settable" [ "$rc" = 0 ] && has "$out" "(not settable)"

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
