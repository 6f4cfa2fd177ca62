#!/bin/bash
# Every command's --help and its man page say the same options, --help and
# --version exit 0, and every usage error exits 2 (coolbpf(1), coolbpfd(8),
# pingtrace(8)). Exit 0: pass, other: fail.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
COOLBPF=${COOLBPF:-$PWD/$BUILD/bin/coolbpf}
COOLBPFD=$PWD/$BUILD/bin/coolbpfd
PINGTRACE=$PWD/$BUILD/bin/pingtrace
fails=0 passes=0

ok() { echo "ok: $1"; passes=$((passes + 1)); }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }
# the --long options a help text lists (argp: "--name" or "--name=ARG")
opts_of() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u | grep -vxE -- '--(help|usage|version)'; }
# the --long options a man page names (\-\-name)
man_opts() { grep -oE -- '\\-\\-[a-z][a-z0-9\\-]*' "$1" | sed 's/\\//g' | sort -u; }

check_page() { # man-page, its commands ("cmd args", ...), then -- and commands it may also cite
	local page=$1 own="" cited="" o in_page
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		own+=$($1 --help 2>&1)$'\n'
		shift
	done
	[ "${1:-}" = -- ] && shift
	for c in "$@"; do
		cited+=$($c --help 2>&1)$'\n'
	done
	in_page=$(man_opts "$page")
	for o in $(opts_of <<<"$own"); do
		grep -qxF -- "$o" <<<"$in_page" && ok "$page documents $o" ||
			bad "$page lacks $o, which its command's --help lists"
	done
	for o in $(grep -vxE -- '--(help|version)' <<<"$in_page"); do
		grep -qF -- "$o" <<<"$own$cited" && ok "$o of $page is in a --help" ||
			bad "$page names $o, which no --help knows"
	done
}

check_page man/coolbpf.1 "$COOLBPF run" "$COOLBPF compile" "$COOLBPF btf gen" "$COOLBPF btf crawl" \
	"$COOLBPF btf extract" "$COOLBPF inspect" "$COOLBPF build"
check_page man/coolbpfd.8 "$COOLBPFD" -- "$COOLBPF compile"
check_page man/pingtrace.8 "$PINGTRACE"

exits() { # expected status, description, command...
	local want=$1 what=$2 rc
	shift 2
	"$@" >/dev/null 2>&1 </dev/null
	rc=$?
	[ "$rc" = "$want" ] && ok "$what: exit $want" || bad "$what: exit $rc, not $want"
}
for v in run compile "btf gen" "btf min" "btf archive add" "btf archive list" \
	"btf archive get" "btf fetch-debian"; do
	# shellcheck disable=SC2086
	exits 0 "coolbpf $v --help" "$COOLBPF" $v --help
	# shellcheck disable=SC2086
	exits 2 "coolbpf $v --no-such-option" "$COOLBPF" $v --no-such-option
done
exits 0 "coolbpf --help" "$COOLBPF" --help
exits 0 "coolbpf --version" "$COOLBPF" --version
exits 2 "coolbpf without a verb" "$COOLBPF"
exits 2 "coolbpf no-such-verb" "$COOLBPF" no-such-verb
exits 2 "coolbpf btf no-such-command" "$COOLBPF" btf no-such-command
exits 2 "coolbpf run without a program" "$COOLBPF" run
exits 2 "coolbpf run -d with a bad number" "$COOLBPF" run -d x examples/hello_tp.bpf.c
exits 2 "coolbpf compile without a source" "$COOLBPF" compile
exits 2 "coolbpf compile with two sources" "$COOLBPF" compile a.bpf.c b.bpf.c
for b in "$COOLBPFD" "$PINGTRACE"; do
	exits 0 "$(basename "$b") --help" "$b" --help
	exits 0 "$(basename "$b") --version" "$b" --version
	exits 2 "$(basename "$b") --no-such-option" "$b" --no-such-option
done
exits 2 "coolbpfd with a bad --workers" "$COOLBPFD" --workers 0
exits 2 "pingtrace without a destination" "$PINGTRACE"

echo "help.sh: $passes passed, $fails failed"
[ "$fails" = 0 ]
