#!/bin/bash
# go/ (module coolbpf): go test offline (no proxy, stdlib only), its live
# tests and examples, against the tree's libcoolbpf. Prints "go: N passed,
# N failed"; exit 0 pass, 77 skip (no go), other: fail. An ASan build's
# library (make test-asan) is tested with go -asan, its examples built so too
# (its pkg-config file links the sanitizer runtimes).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
case $BUILD in /*) build=$BUILD ;; *) build=$PWD/$BUILD ;; esac
goflags=-mod=mod
nm "$build/lib/libcoolbpf.a" 2>/dev/null | grep -q __asan_ && goflags="$goflags -asan"
command -v go >/dev/null || { echo "SKIP: go: no go toolchain (apt-get install golang-go)"; exit 77; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd go && PKG_CONFIG_PATH="$build/lib/pkgconfig" GOPROXY=off GOFLAGS="$goflags" \
	GOCACHE="$build/go-cache" GOPATH="$build/gopath" \
	go test -v -count=1 -timeout 300s ./... 2>&1) | tee "$log"
rc=${PIPESTATUS[0]}
echo "go: $(grep -c '^--- PASS' "$log") passed, $(grep -c '^--- FAIL' "$log") failed"
exit "$rc"
