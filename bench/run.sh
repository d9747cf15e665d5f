#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the whole benchmark suite in about 17 minutes and writes
# bench/results/latest.json (+ .png, .md) and a line in bench/results/history.jsonl.
# Loopback (and, as root, private network namespaces) only, STUN always off.
# A memory soak (a second service, niced) runs in the background for at least
# 10 minutes while latency, CPU, reference, kernel (VM) and loss run in turn.
#   bench/run.sh                  (uses ../build; BUILD_DIR=... to use another build)
#   bench/run.sh --quick          (a ~3-minute smoke run, 60 s soak, written as latest-quick.md)
#   bench/run.sh --no-soak        (without the soak: to see how much it disturbs the timed parts)
#   bench/run.sh --soak-seconds N (a soak of at least N s; --long = 1800)
#   bench/run.sh --only cpu,loss  (some parts only, printed; written with --out DIR)
#   bench/run.sh --only kernel    (recovery times in the QEMU VM only: latest-kernel.md)
#   bench/run.sh --out DIR        (write the results to DIR instead of bench/results)
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
if ! ninja -C "$BUILD_DIR" src/hdmirtc bench/whep-load bench/libpattern-paint.so >/dev/null; then
	echo "bench: could not build src/hdmirtc, bench/whep-load and bench/libpattern-paint.so in $BUILD_DIR" >&2
	echo "       (bench/meson.build is wired by subdir('bench') in the top-level meson.build)" >&2
	exit 1
fi
export HDMIRTC_BUILD_DIR="$BUILD_DIR"
# The helpers of tests/browser start the service with --no-stun --interfaces lo
# --http-address 127.0.0.1 and chromium with loopback-only flags.
# The reference pipeline (GStreamer) and the plot (gnuplot) are optional:
# run.mjs skips them with a note when they are missing.
exec node "$here/run.mjs" "$@"
