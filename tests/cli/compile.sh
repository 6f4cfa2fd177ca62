#!/bin/bash
# coolbpf compile: output, cache, diagnostics and error messages.
# Exit 0: pass, 77: skip (no kernel BTF), other: fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
cli_setup compile btf
export COOLBPF_CACHE_DIR=${COOLBPF_CACHE_DIR:-$PWD/build/test-cache}

cat >"$work/hello.bpf.c" <<'EOF'
#include "lbc.h"
#include "hello.h"
struct ev { int pid; char comm[16]; };
LBC_PERF_OUTPUT(e_out, struct ev, 128);
SEC("tracepoint/sched/sched_process_exec")
int tp(void *ctx)
{
	struct ev e = {};
	struct task_struct *t = (void *)bpf_get_current_task();
	e.pid = BPF_CORE_READ(t, tgid) + HELLO_BIAS;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	bpf_perf_event_output(ctx, &e_out, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
EOF
echo '#define HELLO_BIAS 0' >"$work/hello.h"

# --- success: silent, object in the current directory, with .lbc.minbtf
(cd "$work" && bounded 120 "$COOLBPF" compile hello.bpf.c >out 2>err)
rc=$?
check "compile succeeds (exit $rc)" [ $rc = 0 ]
check "success prints nothing on stdout" [ ! -s "$work/out" ]
check "success prints nothing on stderr: $(cat "$work/err")" [ ! -s "$work/err" ]
check "default output hello.bpf.o in the current directory" [ -s "$work/hello.bpf.o" ]
sections=$(llvm-readelf -S "$work/hello.bpf.o" 2>&1)
check "artifact has .lbc.minbtf" has "$sections" ".lbc.minbtf"
check "artifact has .lbc.target" has "$sections" ".lbc.target"
check "artifact keeps .BTF and .BTF.ext" has "$sections" ".BTF.ext"
# DWARF sections stay (indices, symbols) but hold nothing
dwarf=$(llvm-readelf -SW "$work/hello.bpf.o" | sed 's/^ *\[ *[0-9]*\] //' |
	awk '/^\.(rel\.)?debug_/ && $5 != "000000" { print $1 }')
check "artifact has no DWARF: ${dwarf:-none}" [ -z "$dwarf" ]

# --- second compile: served from the cache, same bytes
run compile -v "$work/hello.bpf.c" -o "$work/again.o"
check "second compile succeeds (exit $rc)" [ $rc = 0 ]
check "second compile is a cache hit: $err" has "$err" "served from the cache"
check "cached object is identical" cmp -s "$work/hello.bpf.o" "$work/again.o"

# --- an included header changes: not a hit
echo '#define HELLO_BIAS 1' >"$work/hello.h"
run compile -v "$work/hello.bpf.c" -o "$work/bias.o"
check "edited header recompiles (exit $rc): $err" bash -c "[ $rc = 0 ] && ! grep -qF 'from the cache' <<<\"\$1\"" _ "$err"
check "edited header gives another object" bash -c "! cmp -s '$work/hello.bpf.o' '$work/bias.o'"

# --- -D and --no-cache
run compile -v -D EXTRA=1 --no-cache "$work/hello.bpf.c" -o "$work/d.o"
check "--no-cache compiles (exit $rc): $err" bash -c "[ $rc = 0 ] && ! grep -qF 'from the cache' <<<\"\$1\"" _ "$err"

# --- the artifact loads (libbpf skips the .lbc.* sections)
if [ "$(id -u)" = 0 ] && command -v bpftool >/dev/null; then
	grep -q ' /sys/fs/bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	pin=/sys/fs/bpf/coolbpf_cli_compile_$$
	at_exit 'rm -rf "$pin"'
	check "artifact loads with bpftool prog loadall" \
		bash -c 'timeout 60 bpftool prog loadall "$1" "$2" 2>/dev/null' _ "$work/hello.bpf.o" "$pin"
	rm -rf "$pin"
fi

# --- syntax error: exit 1, clang's diagnostic with file:line
printf '#include "lbc.h"\nint f(void)\n{\n\treturn nope;\n}\n' >"$work/bad.bpf.c"
run compile "$work/bad.bpf.c" -o "$work/bad.o"
check "syntax error exits 1 (got $rc)" [ $rc = 1 ]
check "diagnostic names file:line:col: $err" has "$err" "$work/bad.bpf.c:4:9: error: use of undeclared identifier 'nope'"
check "no object written on failure" [ ! -e "$work/bad.o" ]

# --- missing file
run compile "$work/missing.bpf.c"
check "missing file exits 1 (got $rc)" [ $rc = 1 ]
check "missing file message: $err" has "$err" "cannot open '$work/missing.bpf.c': No such file or directory"

# --- bad -D
run compile -D 9lives "$work/hello.bpf.c" -o "$work/x.o"
check "bad -D exits 1 (got $rc)" [ $rc = 1 ]
check "bad -D message: $err" has "$err" "bad define '9lives'"

# --- --kernel without BTF
run compile --kernel 4.19.0-nobtf "$work/hello.bpf.c" -o "$work/x.o"
check "--kernel without BTF exits 1 (got $rc)" [ $rc = 1 ]
check "--kernel without BTF names the fix: $err" has "$err" "no BTF for kernel 4.19.0-nobtf: COOLBPF_BTF_DIR is not set"
COOLBPF_BTF_DIR=$work/archive run compile --kernel 4.19.0-nobtf "$work/hello.bpf.c" -o "$work/x.o"
check "--kernel with an archive names the file looked for: $err" has "$err" "$work/archive/$(uname -m)/4.19.0-nobtf.btf"

# --- --kernel with an archive entry works
mkdir -p "$work/archive/$(uname -m)"
cp /sys/kernel/btf/vmlinux "$work/archive/$(uname -m)/4.19.0-fake.btf"
COOLBPF_BTF_DIR=$work/archive run compile --kernel 4.19.0-fake "$work/hello.bpf.c" -o "$work/k.o"
check "--kernel with archive BTF compiles (exit $rc): $err" [ $rc = 0 ]
check "artifact names its target kernel" grep -qaF "4.19.0-fake" "$work/k.o"

# --- clang missing
PATH=$work/empty run compile "$work/hello.bpf.c" -o "$work/x.o"
check "no clang exits 1 (got $rc)" [ $rc = 1 ]
check "no clang says what to do: $err" has "$err" "clang not found: install clang (scripts/bootstrap) or compile on a server with --server URL"

# --- --server with nothing listening: an error, never a local fallback
run compile --server http://127.0.0.1:1 "$work/hello.bpf.c" -o "$work/x.o"
check "--server exits 1 (got $rc)" [ $rc = 1 ]
check "--server message: $err" has "$err" "Couldn't connect to server; to compile locally, unset COOLBPF_SERVER or drop --server"
check "--server did not compile locally" [ ! -e "$work/x.o" ]

# --- --server without libcurl (loaded on first use): named, with the fix.
# libcurl hidden by /dev/null bound over it in a mount namespace of its own
curl=$(readlink -f /usr/lib/x86_64-linux-gnu/libcurl.so.4)
bounded 60 unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' _ "$curl" \
	"$COOLBPF" compile --server http://127.0.0.1:1 "$work/hello.bpf.c" -o "$work/x.o" \
	>"$work/out" 2>"$work/err"
rc=$? err=$(<"$work/err")
check "--server, libcurl unloadable: exit 1 (got $rc)" [ $rc = 1 ]
check "--server, libcurl unloadable: named, with why and the fix: $err" \
	bash -c 'grep -qE "remote compile needs libcurl \(/[^ ]*libcurl\.so\.4: file too short\): install libcurl4; to compile locally" <<<"$1"' _ "$err"
check "--server, libcurl unloadable: nothing compiled" [ ! -e "$work/x.o" ]

# --- usage
run compile
check "no FILE is a usage error (got $rc)" [ $rc = 2 ]
run compile --help
check "--help exits 0 and shows EXAMPLES" bash -c "[ $rc = 0 ] && grep -qF EXAMPLES <<<\"\$1\"" _ "$out"

echo "compile.sh: $passes passed, $fails failed"
[ $fails = 0 ]
