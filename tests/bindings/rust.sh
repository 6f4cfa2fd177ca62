#!/bin/bash
# rust/ (crate coolbpf): cargo test offline on Debian's crates, its live
# tests loading tests/bindings/ programs, its examples run. Prints
# "rust: N passed, N failed"; exit 0 pass, 77 skip (no cargo, or an ASan
# build's libcoolbpf.a, which the crate links as is), other: fail.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) build=$BUILD ;; *) build=$PWD/$BUILD ;; esac
if nm "$build/lib/libcoolbpf.a" 2>/dev/null | grep -q __asan_; then
	echo "SKIP: rust: $BUILD/lib/libcoolbpf.a is sanitized (the crate links it as is)"
	exit 77
fi
cargo=$(command -v cargo)
for c in "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" /root/.cargo/bin/cargo /usr/local/bin/cargo; do
	[ -n "$cargo" ] && break
	[ -x "$c" ] && cargo=$c
done
[ -n "$cargo" ] || { echo "SKIP: rust: no cargo (rustup's, or Debian's: apt-get install cargo)"; exit 77; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd rust && CARGO_TARGET_DIR="$build/rust" COOLBPF_LIB_DIR="$build/lib" \
	"$cargo" test --offline 2>&1) | tee "$log"
rc=${PIPESTATUS[0]}
sum() { grep -hoE "^test result: .* [0-9]+ $1" "$log" | grep -oE "[0-9]+ $1" | awk '{ s += $1 } END { print s + 0 }'; }
echo "rust: $(sum passed) passed, $(sum failed) failed"
exit "$rc"
