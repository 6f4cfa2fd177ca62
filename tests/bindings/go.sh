#!/bin/bash
# go/ (module coolbpf): go test offline (no proxy, stdlib only), its live
# tests and examples, against the tree's libcoolbpf. Prints "go: N passed,
# N failed"; exit 0 pass, 77 skip (no go, or an ASan build: the Go runtime
# does not take ASan), other: fail.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) build=$BUILD ;; *) build=$PWD/$BUILD ;; esac
if nm "$build/lib/libcoolbpf.a" 2>/dev/null | grep -q __asan_; then
	echo "SKIP: go: $BUILD/lib/libcoolbpf.a is sanitized (the Go runtime does not take ASan)"
	exit 77
fi
command -v go >/dev/null || { echo "SKIP: go: no go toolchain (apt-get install golang-go)"; exit 77; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd go && PKG_CONFIG_PATH="$build/lib/pkgconfig" GOPROXY=off GOFLAGS=-mod=mod \
	GOCACHE="$build/go-cache" GOPATH="$build/gopath" \
	go test -v -count=1 -timeout 300s ./... 2>&1) | tee "$log"
rc=${PIPESTATUS[0]}
echo "go: $(grep -c '^--- PASS' "$log") passed, $(grep -c '^--- FAIL' "$log") failed"
exit "$rc"
