#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# fuzz.sh - the libFuzzer harnesses of tests/fuzz (one per parser that takes
# bytes from outside), built with clang, ASan and UBSan in build-fuzz/.
#
#   scripts/fuzz.sh [--seconds S | --runs N] [--keep] [NAME...]
#       fuzzes each harness (all when no NAME) for S seconds (default 60) or
#       N executions, one after the other, starting from its corpus in
#       tests/fuzz/corpus/NAME plus what earlier runs found in
#       .fuzz-work/NAME/corpus; a crash input is written to
#       .fuzz-work/NAME/ (crash-*, leak-*, timeout-*, oom-*).  Ends with a
#       table of executions and crashes per harness; exits 1 on any crash.
#       --keep merges new coverage into tests/fuzz/corpus/NAME (-merge=1
#       -use_counters=0: only inputs that reach a new edge).
#   scripts/fuzz.sh --check [NAME...]
#       for scripts/test.sh, as TAP: each harness replays its whole corpus
#       (every kept crash input included) and then runs a fixed number of
#       new inputs from a fixed seed; ok when nothing crashed, leaked or
#       hung.
#
# Environment: HDMIRTC_FUZZ_BUILD (default build-fuzz), HDMIRTC_FUZZ_CHECK_RUNS
# (new inputs per harness in --check, default 3000).
# Set-up (clang, wolfSSL, libsrtp2) is scripts/setup.sh's; it is run first
# when .deps/ is missing.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${HDMIRTC_FUZZ_BUILD:-$top/build-fuzz}
corpus_top=$top/tests/fuzz/corpus
work_top=$top/.fuzz-work
check_runs=${HDMIRTC_FUZZ_CHECK_RUNS:-3000}

die() { echo "fuzz.sh: $*" >&2; exit 2; }

mode=fuzz seconds=60 runs="" keep=0 names=()
while [ $# -gt 0 ]; do
	case $1 in
	--check) mode=check ;;
	--seconds) seconds=${2:?}; runs=""; shift ;;
	--runs) runs=${2:?}; shift ;;
	--keep) keep=1 ;;
	-h | --help) sed -n '3,25p' "$0"; exit 0 ;;
	-*) die "unknown option '$1'" ;;
	*) names+=("$1") ;;
	esac
	shift
done

# UBSan findings are crashes here; leaks are found by libFuzzer's own
# LeakSanitizer pass; a GLib critical (a broken precondition) aborts too.
# GLib's slice allocator would hide heap errors.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
export G_SLICE=always-malloc G_DEBUG=gc-friendly,fatal-criticals

configure() {
	[ -d "$top/.deps/wolfssl/install" ] && [ -d "$top/.deps/libsrtp/install" ] ||
		"$top/scripts/setup.sh" >&2 || die "scripts/setup.sh failed"
	command -v clang >/dev/null || die "clang not found (scripts/setup.sh installs it)"
	if [ ! -f "$build/build.ninja" ]; then
		# No libcamera: its C++ would be built by g++ beside clang's C.
		CC=clang meson setup "$build" -Dfuzz=true -Dlibcamera=disabled --buildtype=debugoptimized --werror \
			-Db_sanitize=address,undefined -Db_lundef=false \
			--pkg-config-path="$top/.deps/libsrtp/install/lib/pkgconfig:$top/.deps/wolfssl/install/lib/pkgconfig" \
			>"$build.setup.log" 2>&1 || { cat "$build.setup.log" >&2; die "meson setup $build failed"; }
		rm -f "$build.setup.log"
	fi
	# Only the harnesses (and the modules they link), not the whole tree.
	local targets=("${names[@]/#/tests/fuzz/fuzz-}") t
	# meson.build picks up a new harness only when configured again.
	for t in "${targets[@]}"; do
		[ -f "$top/$t.c" ] || die "no harness $t.c"
		ninja -C "$build" -t query "$t" >/dev/null 2>&1 && continue
		meson setup --reconfigure "$build" >/dev/null || die "meson setup --reconfigure $build failed"
		break
	done
	ninja -C "$build" "${targets[@]}" >/dev/null ||
		{ ninja -C "$build" "${targets[@]}" 2>&1 | grep -v '^\[' | tail -40 >&2; die "build failed"; }
}

# The harnesses that exist: tests/fuzz/fuzz-NAME.c built into build-fuzz.
all_names() {
	local f
	for f in "$top"/tests/fuzz/fuzz-*.c; do
		f=${f##*/fuzz-}
		echo "${f%.c}"
	done
}

# Executions libFuzzer reports at the end (-print_final_stats=1).
executions() { awk '/^stat::number_of_executed_units:/ {n = $2} END {print n + 0}' "$1"; }

# harness NAME: the built program, or empty.
harness() { [ -x "$build/tests/fuzz/fuzz-$1" ] && echo "$build/tests/fuzz/fuzz-$1"; }

# Flags common to both modes: a unit that takes 10 s is a hang; inputs
# larger than the largest a peer could send in one message are not tried.
# -timeout is wall-clock time per input: 25 s as OSS-Fuzz uses.  At 10 s an
# hour-long run niced beside a build was once starved past it on an input
# that takes 2 ms (fuzz-annexb, 2026-12-06).
common_flags=(-timeout=25 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1)

check_mode() {
	local n=0 failed=0 name exe tmp log
	tmp=$(mktemp -d /tmp/hdmirtc-fuzz.XXXXXX)
	trap 'rm -rf "$tmp"' RETURN
	for name in "${names[@]}"; do
		n=$((n + 1))
		exe=$(harness "$name")
		if [ -z "$exe" ]; then
			echo "not ok $n - fuzz-$name: not built"
			failed=$((failed + 1))
			continue
		fi
		mkdir -p "$tmp/$name/new"
		log=$tmp/$name/log
		# New inputs go to the first directory (a scratch one), never
		# into the repository's corpus.
		if "$exe" "${common_flags[@]}" -seed=1 -runs="$check_runs" \
			-artifact_prefix="$tmp/$name/" "$tmp/$name/new" "$corpus_top/$name" >"$log" 2>&1; then
			echo "ok $n - fuzz-$name: corpus of $(find "$corpus_top/$name" -type f | wc -l) inputs replayed, $(executions "$log") executions in all, nothing crashed"
		else
			echo "not ok $n - fuzz-$name: crashed, leaked or hung"
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -10 | sed 's/^/#   /'
			tail -20 "$log" | sed 's/^/#   /'
			failed=$((failed + 1))
		fi
	done
	echo "1..$n"
	[ $failed -eq 0 ]
}

fuzz_mode() {
	local name exe work log rc status=0 total lines=()
	for name in "${names[@]}"; do
		exe=$(harness "$name") || die "fuzz-$name is not built"
		work=$work_top/$name
		mkdir -p "$work/corpus" "$corpus_top/$name"
		log=$work/last.log
		local limit=(-max_total_time="$seconds")
		[ -n "$runs" ] && limit=(-runs="$runs")
		echo "== fuzz-$name (${runs:+$runs runs}${runs:-$seconds s}; log $log)"
		"$exe" "${common_flags[@]}" "${limit[@]}" -artifact_prefix="$work/" \
			"$work/corpus" "$corpus_top/$name" >"$log" 2>&1
		rc=$?
		total=$(executions "$log")
		if [ $rc -eq 0 ]; then
			lines+=("$(printf '%-12s %12s executions, 0 crashes' "$name" "$total")")
		else
			status=1
			lines+=("$(printf '%-12s %12s executions, CRASHED: %s' "$name" "$total" \
				"$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //')")")
			grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5
		fi
		if [ $keep -eq 1 ]; then
			# Edges only (not hit counts): every edge kept in far fewer files.
			"$exe" -merge=1 -use_counters=0 "$corpus_top/$name" "$work/corpus" >"$work/merge.log" 2>&1 ||
				{ tail -5 "$work/merge.log"; die "merging into $corpus_top/$name failed"; }
		fi
	done
	printf '%s\n' "${lines[@]}"
	return $status
}

[ ${#names[@]} -eq 0 ] && mapfile -t names < <(all_names)
[ ${#names[@]} -gt 0 ] || die "no harness in tests/fuzz"
configure
if [ $mode = check ]; then check_mode; else fuzz_mode; fi
