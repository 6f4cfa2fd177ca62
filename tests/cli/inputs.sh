#!/bin/bash
# Every input coolbpf parses is bounded and checked before libbpf sees it:
# a damaged .BTF (libbpf 1.1 crashed on it), --btf /dev/zero, a 1 GB sparse
# --btf, #include "/dev/zero" in a local compile, an object from a device.
# Exit 0: pass, 77: skip (no kernel BTF), other: fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
cli_setup inputs btf
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$PWD/build/test-cache}

# run COOLBPF with args (at most 60 s) under GNU time; sets rc, err, kb
run() {
	bounded 60 /usr/bin/time -f 'maxrss %M' -o "$work/time" "$COOLBPF" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	err=$(<"$work/err")
	kb=$(awk '/^maxrss/ { print $2 }' "$work/time" 2>/dev/null)
	kb=${kb:-0}
}

echo "a damaged .BTF in an object"
obj=tests/fuzz/corpus-object/btf-type-past-last.o
run run -d 1 "$obj"
check "refused, not a crash (exit $rc)" [ $rc = 1 ]
check "says what is damaged: $err" has "$err" "its .BTF is damaged"
check "names the object and the fix" has "$err" "cannot open '$obj': not a valid BPF object"

echo "--btf that is not BTF"
good=tests/fuzz/corpus-object/hello_tp.o
run run -d 1 --btf /dev/zero "$good"
check "--btf /dev/zero: refused (exit $rc): $err" [ $rc = 1 ]
check "--btf /dev/zero: said why" has "$err" "'/dev/zero': not a regular file"
truncate -s 1G "$work/sparse.btf"
run run -d 1 --btf "$work/sparse.btf" "$good"
check "--btf of 1 GB (sparse): refused (exit $rc): $err" [ $rc = 1 ]
check "--btf of 1 GB: said why" has "$err" "larger than BTF can be (256 MiB)"
check "--btf of 1 GB: not read (peak RSS $kb KB)" [ "$kb" -lt 65536 ]
head -c 4096 /dev/urandom >"$work/random.btf"
run run -d 1 --btf "$work/random.btf" "$good"
check "--btf of random bytes: refused (exit $rc)" [ $rc = 1 ]
check "--btf of random bytes: said why: $err" has "$err" "not a valid BTF file"
# a BTF whose header points past its end
python3 - "$work/lying.btf" <<'PY'
import struct, sys
hdr = struct.pack("<HBBIIIII", 0xeB9F, 1, 0, 24, 0, 0x7ffffff0, 0, 1)
open(sys.argv[1], "wb").write(hdr + b"\0")
PY
run run -d 1 --btf "$work/lying.btf" "$good"
check "--btf with a lying header: refused (exit $rc): $err" has "$err" "past the"

echo "objects and sources from devices"
run run -d 1 /dev/zero
check "run /dev/zero: refused (exit $rc): $err" [ $rc = 1 ]
ln -s /dev/zero "$work/zero.o"
run run -d 1 "$work/zero.o"
check "run of an object that is /dev/zero: refused (exit $rc): $err" has "$err" "not a regular file"
run inspect "$work/zero.o"
check "inspect of /dev/zero: refused (exit $rc): $err" has "$err" "not a regular file"

echo "#include \"/dev/zero\" in a local compile"
cat >"$work/inc.bpf.c" <<'C'
#include "lbc.h"
#include "/dev/zero"
SEC("tracepoint/sched/sched_process_exec")
int tp(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
C
start=$(date +%s)
run compile --no-cache "$work/inc.bpf.c" -o "$work/inc.o"
took=$(($(date +%s) - start))
check "the compile ends in $took s" [ "$took" -lt 60 ]
check "refused by coolbpf (exit $rc, not 0 nor a signal): $err" [ $rc = 1 ]
check "names the include and the bound" has "$err" \
	"'$work/inc.bpf.c' includes '/dev/zero': not a regular file (an #include must be a regular file of at most 64 MiB)"
check "no object written" [ ! -e "$work/inc.o" ]
check "without reading it whole (peak RSS $kb KB)" [ "$kb" -lt 262144 ]

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
