#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the whole benchmark suite and writes bench/results/<UTC date>-<commit>.json
# (+ .png) and bench/results/latest.md.  Loopback only, STUN always off.
#   bench/run.sh            (uses ../build; BUILD_DIR=... to use another build)
#   bench/run.sh --quick    (a two-minute smoke run, written as latest-quick.md)
#   bench/run.sh --long     (the memory run for 10 minutes instead of 2)
#   bench/run.sh --only kernel  (recovery times in the QEMU VM only: latest-kernel.md)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# Packages, wolfSSL, npm and the build, plus the reference pipeline's
# GStreamer and gnuplot (HDMIRTC_BENCH_NO_SETUP=1 skips this).
if [ -z "${HDMIRTC_BENCH_NO_SETUP:-}" ] && [ -z "${BUILD_DIR:-}" ]; then
	"$root/scripts/setup.sh" --bench
fi
BUILD_DIR=$(cd "${BUILD_DIR:-$root/build}" && pwd)

only_kernel=0
for a in "$@"; do case $a in kernel|--only=kernel) only_kernel=1 ;; esac; done
if [ $only_kernel = 0 ] && [ ! -d "$root/tests/browser/node_modules/playwright-core" ]; then
	echo "bench: tests/browser/node_modules is missing: run scripts/setup.sh first" >&2
	exit 1
fi
if ! ninja -C "$BUILD_DIR" src/hdmirtc bench/whep-load bench/pattern-pipe >/dev/null; then
	echo "bench: could not build src/hdmirtc, bench/whep-load and bench/pattern-pipe in $BUILD_DIR" >&2
	echo "       (bench/meson.build is wired by subdir('bench') in the top-level meson.build)" >&2
	exit 1
fi
export HDMIRTC_BUILD_DIR="$BUILD_DIR"
# The helpers of tests/browser start the service with --no-stun --interfaces lo
# --http-address 127.0.0.1 and chromium with loopback-only flags.
# The reference pipeline (GStreamer) and the plot (gnuplot) are optional:
# run.mjs skips them with a note when they are missing.
exec node "$here/run.mjs" "$@"
