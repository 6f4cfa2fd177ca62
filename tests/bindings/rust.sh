#!/bin/bash
# rust/ (crate coolbpf): cargo test offline on Debian's crates, its live
# tests loading tests/bindings/ programs, its examples run. Prints
# "rust: N passed, N failed"; exit 0 pass, 77 skip (no cargo), other: fail.
# An ASan build's libcoolbpf.a (make test-asan) is linked with the sanitizer
# runtimes (build.rs sees it), and the tests run under them, leaks checked.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) build=$BUILD ;; *) build=$PWD/$BUILD ;; esac
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
