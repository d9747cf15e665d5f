#!/usr/bin/env bash
# test.sh - run every hdmirtc test suite and end with
# "N passed, N failed[, N skipped]".
#
# Suites: unit tests (meson, build/), the same unit tests under ASan+UBSan
# (build-asan/), real V4L2 drivers in a QEMU VM (tests/kernel), the counter's
# self-test (tests/counting), overlays (tests/dt), cross builds
# (tests/cross), the libFuzzer harnesses over their corpus (tests/fuzz,
# clang + ASan + UBSan in build-fuzz/), browser tests (node --test + Debian's chromium and the
# players of tests/players) against the normal build and, for the
# end-to-end test, against the sanitizer build.  Every case is counted by
# scripts/test-count.py; a table per suite comes before the total.
# Set-up (packages, wolfSSL, npm, both builds) is done first by setup.sh.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/setup.sh" --asan || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
setup_s=$SECONDS

passed=0 failed=0 skipped=0
logdir=$(mktemp -d /tmp/hdmirtc-test.XXXXXX)
suite_lines=()

# Every suite is counted case by case by scripts/test-count.py (its rules:
# a cancelled or timed-out test fails, a skip is a skip, GLib cases one by
# one); tests/counting checks the counter itself.
count() { /usr/bin/python3 "$top/scripts/test-count.py" "$@" 2>>"$logdir/count-details.log"; }

# begin_suite NAME: its heading, and the clock for its line in the table
# (CI's budget is spent by suite: the seconds say where).
begin_suite() { echo "== $1"; suite_t0=$SECONDS; }

# add_counts SUITE "P F S" [EXIT_STATUS]: one suite's counts and seconds,
# shown in the table at the end and added to the totals.  A suite that exited
# non-zero with no failed case counts one failure: it failed somewhere the
# counter does not see.
add_counts() {
	local name=$1 p f s
	read -r p f s <<<"$2"
	[ "${3:-0}" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	suite_lines+=("$(printf '%-12s %5d passed, %d failed, %d skipped  (%d s)' "$name" "$p" "$f" "$s" \
		$((SECONDS - suite_t0)))")
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

# meson's TAP programs: the cases of each, from meson-logs/testlog.json.
run_meson_suite() {
	local name=$1 dir=$2; shift 2
	local log="$logdir/$name.log"
	begin_suite "$name"
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --print-errorlogs "$@" >"$log" 2>&1
	local rc=$?
	grep -E '^ *[0-9]+/[0-9]+ ' "$log"
	if [ ! -f "$dir/meson-logs/testlog.json" ]; then
		echo "failed: $name: meson wrote no test log (exit status $rc)" >> "$logdir/count-details.log"
		tail -20 "$log" | tee "$logdir/$name.excerpt"; add_counts "$name" "0 1 0"; return
	fi
	local c
	c=$(count meson "$dir/meson-logs/testlog.json")
	if [ $rc -ne 0 ]; then
		sed -n '/^=* *[0-9]*\/[0-9]* .*FAIL/,/^===/p' "$log" | tail -60 | tee "$logdir/$name.excerpt"
	fi
	add_counts "$name" "$c" $rc
}

# node --test with the TAP reporter.
run_node_suite() {
	local name=$1; shift
	local log="$logdir/$name.log"
	begin_suite "$name"
	node --test --test-reporter=tap "$@" >"$log" 2>&1
	local rc=$?
	grep -E '^(not )?ok ' "$log" | head -120
	local c
	c=$(count node "$log")
	[ $rc -ne 0 ] && grep -B2 -A30 '^not ok' "$log" | head -120 | tee "$logdir/$name.excerpt"
	add_counts "$name" "$c" $rc
}

# tests/kernel/run.sh: the guest's results.tap, counted like any TAP; its
# own summary line must be there (the VM ran to the end).
run_kernel_suite() {
	local log="$logdir/kernel.log" res="$logdir/vm-share/out/results.tap"
	begin_suite "kernel (QEMU VM: vivid, vicodec, Pi stand-ins)"
	HDMIRTC_VM_BUILD="$top/build" HDMIRTC_VM_SHARE="$logdir/vm-share" tests/kernel/run.sh >"$log" 2>&1
	local rc=$?
	grep -hE '^(ok|not ok) ' "$res" 2>/dev/null
	if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log" || [ ! -f "$res" ]; then
		echo "failed: kernel: tests/kernel/run.sh printed no result line (exit status $rc)" >> "$logdir/count-details.log"
		tail -30 "$log" | tee "$logdir/kernel.excerpt"; add_counts kernel "0 1 0"; return
	fi
	local c
	c=$(count tap "$res")
	[ $rc -ne 0 ] && tail -40 "$log"
	add_counts kernel "$c" $rc
}

# A script that prints TAP ("ok N - ...", "not ok N - ...", "# SKIP" in a
# test line counts as skipped): tests/dt (overlays against the boards'
# trees), tests/cross (arm64/armhf builds, unit tests under qemu-user, the
# .deb in an arm64 root), tests/counting (the counter), tests/fuzz (each
# harness replays its corpus, kept crash inputs included).  A script that exits
# non-zero without a "not ok" line counts one failure.
run_tap_suite() {
	local name=$1; shift
	local log="$logdir/$name.log"
	begin_suite "$name"
	"$@" >"$log" 2>&1
	local rc=$?
	grep -E '^(not )?ok ' "$log"
	local c
	c=$(count tap "$log")
	# The log's end, then what each failed check printed after its line
	# (kept as the excerpt the failures' summary at the end shows).
	[ $rc -ne 0 ] && { tail -15 "$log"; echo "-- what failed:"; grep -A25 '^not ok' "$log" | head -60; } |
		tee "$logdir/$name.excerpt"
	add_counts "$name" "$c" $rc
}

run_meson_suite unit build --suite unit
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_meson_suite unit-asan build-asan --suite unit
run_kernel_suite
for suite in counting dt cross fuzz; do
	[ -x "tests/$suite/run.sh" ] && run_tap_suite "$suite" "tests/$suite/run.sh"
done
run_node_suite browser tests/browser/*.test.mjs
HDMIRTC_BUILD_DIR="$top/build-asan" HDMIRTC_TEST_SANITIZED=1 \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_node_suite browser-asan tests/browser/stream.test.mjs tests/browser/https.test.mjs \
	tests/browser/early-slices.test.mjs

# The failures again at the end, where a reader of the last lines (a CI
# page) sees them: which cases, and the tail of what each suite printed.
if grep -q '^failed: ' "$logdir/count-details.log" 2>/dev/null; then
	echo "== failures"
	grep -h '^failed: ' "$logdir/count-details.log" | sed 's/^/  /' | head -20
	for f in "$logdir"/*.excerpt; do
		[ -s "$f" ] || continue
		echo "-- $(basename "$f" .excerpt), last lines:"
		tail -25 "$f"
	done
fi
echo "logs: $logdir (every failure and skip with its reason: $logdir/count-details.log)"
grep -h '^skipped: ' "$logdir/count-details.log" 2>/dev/null | sed 's/^/  /' | head -40
echo "== per suite (sanitizer runs are their own suites: the same tests again under ASan + UBSan)"
printf '  %s\n' "${suite_lines[@]}"
echo "  set-up (packages, builds) $setup_s s, in all $SECONDS s"
summary="$passed passed, $failed failed"
[ $skipped -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]
