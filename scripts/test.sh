#!/usr/bin/env bash
# test.sh - run every hdmirtc test suite and end with "N passed, N failed".
#
# Suites: unit tests (meson, build/), the same unit tests under ASan+UBSan
# (build-asan/), real V4L2 drivers in a QEMU VM (tests/kernel), browser tests (node --test + Debian's chromium) against the
# normal build and, for the end-to-end test, against the sanitizer build.
# Set-up (packages, wolfSSL, npm, both builds) is done first by setup.sh.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/setup.sh" --asan || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 skipped=0
logdir=$(mktemp -d /tmp/hdmirtc-test.XXXXXX)

add_counts() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3)); }

# meson test summary lines: "Ok: N", "Fail: N", "Skipped: N", ...
run_meson_suite() {
	local name=$1 dir=$2; shift 2
	local log="$logdir/$name.log"
	echo "== $name"
	meson test -C "$dir" --print-errorlogs "$@" >"$log" 2>&1
	local rc=$?
	grep -E '^ *[0-9]+/[0-9]+ ' "$log"
	local ok fail skip
	ok=$(awk '/^Ok:/{print $2}' "$log"); fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/{s+=$NF} END{print s+0}' "$log")
	skip=$(awk '/^Skipped:/{print $2}' "$log")
	if [ -z "$ok" ]; then
		tail -20 "$log"; add_counts 0 1 0; return
	fi
	[ $rc -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
	[ "$fail" -gt 0 ] && sed -n '/^=* *[0-9]*\/[0-9]* .*FAIL/,/^===/p' "$log" | tail -60
	add_counts "$ok" "$fail" "${skip:-0}"
}

# node --test TAP summary lines: "# pass N", "# fail N", "# skipped N".
run_node_suite() {
	local name=$1; shift
	local log="$logdir/$name.log"
	echo "== $name"
	node --test --test-reporter=tap "$@" >"$log" 2>&1
	local rc=$?
	grep -E '^(not )?ok |^# Subtest|^    # ' "$log" | grep -vE '^# Subtest' | grep -E '^(not )?ok|#' | head -80
	local p f s
	p=$(awk '/^# pass /{print $3}' "$log"); f=$(awk '/^# fail /{print $3}' "$log")
	s=$(awk '/^# (skipped|todo) /{n += $3} END {print n + 0}' "$log")
	if [ -z "$p" ]; then
		tail -30 "$log"; add_counts 0 1 0; return
	fi
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
	[ "$f" -gt 0 ] && grep -B2 -A30 '^not ok' "$log" | head -120
	add_counts "$p" "$f" "${s:-0}"
}

# tests/kernel/run.sh prints one "N passed, M failed" line of its own.
run_kernel_suite() {
	local log="$logdir/kernel.log"
	echo "== kernel (QEMU VM: vivid, vicodec)"
	HDMIRTC_VM_BUILD="$top/build" HDMIRTC_VM_SHARE="$logdir/vm-share" tests/kernel/run.sh >"$log" 2>&1
	local rc=$?
	grep -hE '^(ok|not ok) ' "$logdir"/vm-share/out/results.tap 2>/dev/null
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		tail -30 "$log"; add_counts 0 1 0; return
	fi
	local p f
	p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
	[ "$f" -gt 0 ] && tail -40 "$log"
	add_counts "$p" "$f" 0
}

# A script that prints TAP ("ok N - ...", "not ok N - ...", "# SKIP" in a
# test line counts as skipped): tests/dt (overlays against the boards'
# trees), tests/cross (arm64/armhf builds, unit tests under qemu-user, the
# .deb in an arm64 root).  A script that exits non-zero without a "not ok"
# line counts one failure.
run_tap_suite() {
	local name=$1; shift
	local log="$logdir/$name.log"
	echo "== $name"
	"$@" >"$log" 2>&1
	local rc=$?
	grep -E '^(not )?ok ' "$log"
	local p f s
	s=$(grep -cE '^ok .*# *SKIP' "$log")
	p=$(( $(grep -cE '^ok ' "$log") - s ))
	f=$(grep -cE '^not ok ' "$log")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		tail -30 "$log"; f=1
	elif [ "$f" -gt 0 ]; then
		tail -30 "$log"
	fi
	add_counts "$p" "$f" "$s"
}

run_meson_suite unit build --suite unit
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_meson_suite unit-asan build-asan --suite unit
run_kernel_suite
for suite in dt cross; do
	[ -x "tests/$suite/run.sh" ] && run_tap_suite "$suite" "tests/$suite/run.sh"
done
run_node_suite browser tests/browser/*.test.mjs
HDMIRTC_BUILD_DIR="$top/build-asan" HDMIRTC_TEST_SANITIZED=1 \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_node_suite browser-asan tests/browser/stream.test.mjs

echo "logs: $logdir"
summary="$passed passed, $failed failed"
[ $skipped -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]
