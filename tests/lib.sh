# shellcheck shell=bash
# Helpers of the shell tests (bash), sourced as `. tests/lib.sh`: every wait
# is bounded and says so when its bound is hit, background runs can be
# signalled, and what a test starts or sets up is undone when it exits,
# also on a failure or a signal.

# at_exit COMMAND: run COMMAND (eval'd) when the test exits, however it
# exits; the test's background jobs still running are killed first (jobs
# -p: only those not yet waited for, so never a pid reused since)
_at_exit=()
at_exit() { _at_exit+=("$1"); }
_run_at_exit() {
	local p c
	for p in $(jobs -p); do
		alive "$p" && _kill "$p"
	done
	for c in "${_at_exit[@]+"${_at_exit[@]}"}"; do eval "$c"; done
}
trap _run_at_exit EXIT
# the EXIT trap also runs when the runner's timeout sends SIGTERM
trap 'exit 143' TERM
trap 'exit 130' INT

# _kill PID: SIGKILL and reap PID, and remove the tracefs instance a
# coolbpf run makes (instances/coolbpf.PID), which it had no chance to
_kill() {
	local d
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[ -d "$d/instances/coolbpf.$1" ] && rmdir "$d/instances/coolbpf.$1" 2>/dev/null
	done
	return 0
}

# ok WHAT / bad WHAT [FILE]: count a pass or a failure in pass and fail,
# a failure with FILE's first 30 lines (what the command said)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok: $1"; }
bad() {
	fail=$((fail + 1))
	echo "  FAIL: $1"
	if [ -n "${2:-}" ]; then sed 's/^/    | /' "$2" | head -30; fi
	return 0
}

# check WHAT COMMAND...: prints "ok: WHAT" when COMMAND succeeds, else
# "FAIL: WHAT"; counts them in passes and fails
passes=0 fails=0
check() { # description, then a command that must succeed
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
		passes=$((passes + 1))
	else
		echo "FAIL: $what"
		fails=$((fails + 1))
	fi
}

# alive PID: PID runs (a zombie, dead but not yet waited for, does not)
alive() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# bg OUT ERR COMMAND...: start COMMAND in the background, its stdout in OUT
# and stderr in ERR, both emptied here first so that a wait on them never
# sees an earlier run's output. A non-interactive bash starts background
# jobs with SIGINT and SIGQUIT ignored; they are put back to their default,
# so a SIGINT reaches COMMAND as it would from a terminal. Sets BG_PID.
bg() {
	local out=$1 err=$2
	shift 2
	: >"$out"
	: >"$err"
	env --default-signal=INT,QUIT "$@" >>"$out" 2>>"$err" </dev/null &
	# shellcheck disable=SC2034 # read by the callers
	BG_PID=$!
}

# wait_ready PID FILE PATTERN SECONDS: wait until FILE has a line matching
# the extended regex PATTERN; fails (saying why) when PID ends first or
# SECONDS pass
wait_ready() {
	local pid=$1 file=$2 pat=$3 secs=$4 i
	for ((i = 0; i < secs * 10; i++)); do
		grep -qE -- "$pat" "$file" 2>/dev/null && return 0
		if ! alive "$pid"; then
			grep -qE -- "$pat" "$file" 2>/dev/null && return 0
			echo "  not ready: pid $pid ended before '$pat' appeared in $file"
			return 1
		fi
		sleep 0.1
	done
	echo "  timed out: no '$pat' in $file after $secs s"
	return 1
}

# wait_for SECONDS WHAT COMMAND...: run COMMAND every 0.1 s until it
# succeeds; fails saying "timed out ... WHAT" after SECONDS
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@" && return 0
	echo "  timed out: $what, after $secs s"
	return 1
}

# bg_wait PID SECONDS: wait for PID, at most SECONDS; its exit status, or
# 124 (with a message) when it had to be killed
bg_wait() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		echo "  timed out: pid $pid still running after $secs s, killed"
		_kill "$pid"
		return 124
	fi
	wait "$pid"
}

# bounded SECONDS COMMAND...: COMMAND with a time limit; its exit status,
# or 124 (with a message) when it had to be stopped. --foreground keeps it
# in the test's process group, so that the runner's own bound reaches it.
TIMEOUT=$(command -v timeout)
bounded() {
	local secs=$1 rc
	shift
	"$TIMEOUT" --foreground -k 5 "$secs" "$@"
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "  timed out: '$*' still running after $secs s, stopped" >&2
		return 124
	fi
	return $rc
}

# has TEXT STRING: TEXT holds STRING (fixed, anywhere)
has() { grep -qF -- "$2" <<<"$1"; }

# cli_setup NAME NEED...: the start of a tests/cli script. COOLBPF (default
# build/bin/coolbpf) must be there, else exit 1; the caller's compile server
# and BTF directory are not used; each NEED, "root", "btf" (the kernel's
# BTF) or a command, must be met, else a skip (exit 77); work is a fresh
# directory /tmp/coolbpf-cli-NAME.XXXXXX, removed at exit.
cli_setup() {
	local name=$1 n
	shift
	COOLBPF=${COOLBPF:-$PWD/build/bin/coolbpf}
	unset COOLBPF_SERVER COOLBPF_BTF_DIR
	[ -x "$COOLBPF" ] || { echo "FAIL: no binary at $COOLBPF"; exit 1; }
	for n in "$@"; do
		case $n in
		root) [ "$(id -u)" = 0 ] || { echo "skip: $name: needs root"; exit 77; } ;;
		btf) [ -r /sys/kernel/btf/vmlinux ] || { echo "skip: $name: no /sys/kernel/btf/vmlinux"; exit 77; } ;;
		*) command -v "$n" >/dev/null || { echo "skip: $name: no $n"; exit 77; } ;;
		esac
	done
	work=$(mktemp -d "/tmp/coolbpf-cli-$name.XXXXXX")
	at_exit 'rm -rf "$work"'
}

# run ARGS...: coolbpf ARGS, at most 120 s, its output in $work/out and
# $work/err; sets rc, out and err (builtins only: some checks run with an
# empty PATH)
run() {
	bounded 120 "$COOLBPF" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	out=$(<"$work/out")
	err=$(<"$work/err")
}
