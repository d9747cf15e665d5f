#!/usr/bin/env bash
# tests/counting/run.sh - the counter of scripts/test.sh (scripts/test-count.py)
# against real runs with known outcomes: node --test on node-cases.mjs (a
# pass, a skip, a todo, a failure, a timeout, subtests) and meson test on
# meson-project (GLib cases that pass, skip, fail, crash, hang, a program
# that exits 77), and plain TAP.  Prints TAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d /tmp/hdmirtc-counting.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0

check() {  # check NAME WANT GOT
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1: $3"
	else
		echo "not ok $n - $1: want '$2', got '$3'"
		sed 's/^/# /' "$tmp/details" 2>/dev/null
	fi
}
count() { /usr/bin/python3 "$top/scripts/test-count.py" "$@" 2>"$tmp/details"; }

# node: 3 passes (top-level, the subtest parent, the inner one), 2 failures
# (the assertion and the timeout, which node reports as cancelled), 3 skips
# (skip, todo, inner skip).
node --test --test-reporter=tap "$here/node-cases.mjs" >"$tmp/node.tap" 2>&1
check "node: a timed-out test is a failure, skip and todo are skips" "3 2 3" "$(count node "$tmp/node.tap")"
# The old counter took "# fail" alone: the timeout is only in "# cancelled".
check "node: the timeout is reported as cancelled, not in '# fail'" "fail 1, cancelled 1" \
	"$(awk '/^# fail /{f=$3} /^# cancelled /{c=$3} END{printf "fail %s, cancelled %s", f, c}' "$tmp/node.tap")"

# meson: mixed 2 pass + 1 skip + 1 fail; crash 1 pass + 1 failure for the
# program; hang 1 pass + 1 failure (timeout); exit77 1 skip.
meson setup "$tmp/build" "$here/meson-project" >"$tmp/meson-setup.log" 2>&1 &&
	ninja -C "$tmp/build" >"$tmp/ninja.log" 2>&1 ||
	{ echo "not ok $((n + 1)) - meson: the cases build"; sed 's/^/# /' "$tmp/meson-setup.log" "$tmp/ninja.log"; exit 1; }
meson test -C "$tmp/build" >"$tmp/meson-test.log" 2>&1
check "meson: GLib cases one by one; a crash and a timeout fail their program; exit 77 skips" \
	"4 3 2" "$(count meson "$tmp/build/meson-logs/testlog.json")"

# plain TAP (tests/dt, tests/cross, the kernel VM): SKIP and TODO are skips.
printf 'ok 1 - a\nnot ok 2 - b\nok 3 - c # SKIP no tool\nok 4 - d # skip lower case\nnot ok 5 - e # TODO later\n# ok 6 - a comment\n' >"$tmp/plain.tap"
check "tap: ok, not ok, SKIP in either case and TODO" "1 1 3" "$(count tap "$tmp/plain.tap")"
