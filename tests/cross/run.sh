#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/cross/run.sh - hdmirtc for the Raspberry Pi's Debian architectures,
# built and checked on this amd64 machine:
#   - arm64 and armhf cross builds (Debian's crossbuild-essential-*, the
#     multiarch :arm64/:armhf libraries, wolfSSL from scripts/wolfssl.sh)
#     with --werror into build-arm64/ and build-armhf/ (scripts/cross/*.ini);
#   - their unit tests under qemu-user (the cross files' exe_wrapper);
#   - the .deb of each (scripts/package.sh);
#   - the arm64 .deb installed with apt (dependencies from the archive) in a
#     minimal Debian bookworm arm64 root (debootstrap; its programs run
#     through qemu-user-static and binfmt_misc) copied to
#     build-arm64/debian-root, where `hdmirtc --version` and
#     `hdmirtc --probe` run.
# Everything it needs is installed or made here (Debian packages, wolfSSL,
# the root) and kept, so a second run only rebuilds what changed: the
# pristine root and, per set of Depends, a root with the dependencies
# installed are cached in $HDMIRTC_CROSS_CACHE.
# The root is made, and the .deb installed in it, in the background while
# the other builds and tests run.
# Prints TAP ("ok N - ...", "not ok N - ..."); exits 0 only when all pass.
#
# Environment:
#   HDMIRTC_CROSS_CACHE  roots and downloaded packages (default /var/cache/hdmirtc-cross)
#   HDMIRTC_CROSS_KEEP_ROOT=1  leave build-arm64/debian-root as the test left it
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${HDMIRTC_CROSS_CACHE:-/var/cache/hdmirtc-cross}
SUITE=bookworm
ARCHES=(arm64 armhf)
# A root with the dependencies installed is made again after this many days
# (security updates), or at once when the package's Depends change.
DEPS_ROOT_DAYS=7
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
T0=$(date +%s.%N)
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/hdmirtc-cross.XXXXXX")

say() { printf '# [cross %6.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }
triplet() { case $1 in arm64) echo aarch64-linux-gnu ;; armhf) echo arm-linux-gnueabihf ;; esac; }

# ------------------------------------------------------------------ TAP
echo "1..9"
tap_n=0 tap_failed=0
# tap STATUS DESCRIPTION [LOG]: one TAP line; a failure shows the log's end.
# STATUS S is a skip, with the reason in place of the log.
tap() {
	local status=$1 what=$2 log=${3:-}
	tap_n=$((tap_n + 1))
	if [ "$status" = 0 ]; then
		echo "ok $tap_n - $what"
	elif [ "$status" = S ]; then
		echo "ok $tap_n - $what # SKIP $log"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $what"
		[ -n "$log" ] && [ -f "$log" ] && failure_excerpt "$log" | sed 's/^/#   /'
	fi
}
# What failed, then the log's end: meson's summary alone (the end of a
# unit-test log) does not say which test failed or why.
failure_excerpt() {
	grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT|ERROR) |^not ok |Bail out!|ERROR:|assertion failed' "$1" | head -20
	echo "..."
	tail -15 "$1"
}
# check DESCRIPTION LOG COMMAND...: runs the command, one TAP line for it.
check() {
	local what=$1 log=$2; shift 2
	"$@" >"$log" 2>&1
	local rc=$?
	tap $rc "$what" "$log"
	return $rc
}

# ------------------------------------------------------------------ host packages
# Multiarch -dev packages of every library meson.build uses, except two
# that cannot be installed next to the native ones on Debian 12:
# libsoup-3.0-dev and libnice-dev (they pull libsysprof-4-dev ->
# libgtk-4-dev -> gobject-introspection:ARCH, which needs python3:ARCH).
# For those the runtime library is installed here and the -dev package is
# unpacked into .deps/cross-ARCH (prepare_dev_root).  libavcodec-dev and
# libavutil-dev are for the x264 unit test's decoder; libssl-dev for
# libsrtp2, built here as natively (scripts/libsrtp.sh).
arch_packages=(libglib2.0-dev libjson-glib-dev libx264-dev libturbojpeg0-dev libdrm-dev
	libavcodec-dev libavutil-dev libssl-dev libsoup-3.0-0 libnice10 libopus-dev libasound2-dev libspeexdsp-dev)
unpacked_dev_packages=(libsoup-3.0-dev:libsoup-3.0-0 libnice-dev:libnice10)
# The tools first (few, so that the root can be started early), then each
# architecture's cross toolchain and libraries.
tool_packages=(qemu-user-static binfmt-support debootstrap bc
	meson ninja-build pkg-config cmake dpkg-dev gcc device-tree-compiler)
arch_install() {
	local a=$1
	apt_install "crossbuild-essential-$a" "${arch_packages[@]/%/:$a}"
}

missing_packages() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
	done
}

# A mirror that fails one index (seen here: bookworm-security's armhf
# Packages.xz of the wrong size for hours) makes apt-get update exit 100
# though every other list is fresh: go on with what there is, and let
# apt-get install say what it cannot find.
# When an architecture's packages then cannot be installed, its checks are
# skipped with the index's error as the reason (archive_fault).
# apt keeps none of a release's new lists when one of them fails, so the
# other architectures lose that release (bookworm-security) too: update
# once more without the architectures whose index failed.
apt_update() {
	apt-get update -qq 2>"$LOGDIR/apt-update.err" && return 0
	cat "$LOGDIR/apt-update.err"
	local bad a arches=()
	bad=$(grep -o 'binary-[a-z0-9]*/' "$LOGDIR/apt-update.err" | sed 's/^binary-//; s|/$||' | sort -u)
	if [ -z "$bad" ]; then
		echo "apt-get update failed: going on with the lists there are"
		return 0
	fi
	for a in $(dpkg --print-architecture) $(dpkg --print-foreign-architectures); do
		grep -qx "$a" <<<"$bad" || arches+=(-o "APT::Architectures::=$a")
	done
	echo "apt-get update again without" $bad
	apt-get update -qq "${arches[@]}" || echo "apt-get update failed again: going on with the lists there are"
}
archive_fault() {
	grep -m1 -o "binary-$1/.*" "$LOGDIR/apt-update.err" 2>/dev/null |
		sed "s/^/the Debian archive's index /; s/ \[IP:.*//"
}

# apt-get update once, and only when something is missing.
apt_updated=0
apt_install() {
	local missing
	missing=$(missing_packages "$@")
	[ -z "$missing" ] && return 0
	say "installing" $missing
	if [ $apt_updated = 0 ]; then apt_update; apt_updated=1; fi
	# Unsafe I/O (no fsync per file) makes dpkg about a third faster here.
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-unsafe-io $missing >/dev/null
}

install_tools() {
	local a foreign
	foreign=$(dpkg --print-foreign-architectures)
	for a in "${ARCHES[@]}"; do
		grep -qx "$a" <<<"$foreign" || dpkg --add-architecture "$a" || return 1
	done
	apt_install "${tool_packages[@]}" || return 1
	ensure_binfmt
}

# qemu-user-static's binfmt_misc entries have the F flag (the kernel keeps
# the interpreter open), so programs of the root run in a chroot as they are.
ensure_binfmt() {
	[ -e /proc/sys/fs/binfmt_misc/register ] ||
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || return 1
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 || return 1
	grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64
}

# ------------------------------------------------------------------ -dev packages unpacked
# .deps/cross-ARCH/root: the -dev packages above, of the same version as the
# runtime library installed, with their pkg-config files pointing here and
# their lib*.so links at the installed library.  A library that the .pc
# lists only as private (for static linking) is dropped from it.
prepare_dev_root() {
	local a=$1 t dir root want="" entry dev lib v deb so
	t=$(triplet "$a") dir=$REPO/.deps/cross-$a root=$REPO/.deps/cross-$a/root
	for entry in "${unpacked_dev_packages[@]}"; do
		dev=${entry%%:*} lib=${entry#*:}
		v=$(dpkg-query -W -f='${Version}' "$lib:$a") || return 1
		want+="$dev:$a=$v "
	done
	[ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$want" ] && return 0
	rm -rf "$dir" && mkdir -p "$dir/debs" "$root" || return 1
	# shellcheck disable=SC2086
	(cd "$dir/debs" && apt-get download -qq -o APT::Sandbox::User=root $want) || return 1
	for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$root" || return 1; done
	sed -i -e "s|^prefix=/usr\$|prefix=$root/usr|" -e "s|^exec_prefix=/usr\$|exec_prefix=$root/usr|" \
		-e '/^Requires.private:/d' -e '/^Libs.private:/d' "$root/usr/lib/$t/pkgconfig/"*.pc
	for so in "$root/usr/lib/$t/"*.so; do
		ln -sfn "/usr/lib/$t/$(readlink "$so")" "$so"
		[ -e "$so" ] || { echo "$so: $(readlink "$so") is not installed"; return 1; }
	done
	rm -rf "$dir/debs"
	echo "$want" > "$dir/stamp"
}

# ------------------------------------------------------------------ wolfSSL
# shellcheck source=../../scripts/wolfssl.sh
. "$REPO/scripts/wolfssl.sh"
build_wolfssl() {
	local a=$1 cpu args
	case $a in arm64) cpu=aarch64 ;; armhf) cpu=arm ;; esac
	args=("$(triplet "$a")-gcc" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=$cpu)
	wolfssl_is_built "$REPO/.deps/wolfssl-$a" "${args[@]}" && return 0
	echo "building wolfSSL for $a"
	wolfssl_build "$REPO/.deps/wolfssl-$a" "$REPO/.deps/wolfssl-src" "${args[@]}" || return 1
	# Builds made against the old library must relink.
	rm -rf "$REPO/build-$a"
}

# ------------------------------------------------------------------ libsrtp2
# shellcheck source=../../scripts/libsrtp.sh
. "$REPO/scripts/libsrtp.sh"
build_libsrtp() {
	local a=$1 args=(--cross-file "$REPO/scripts/cross/$1.ini")
	libsrtp_is_built "$REPO/.deps/libsrtp-$a" "${args[@]}" && return 0
	echo "building libsrtp2 for $a"
	libsrtp_build "$REPO/.deps/libsrtp-$a" "$REPO/.deps/libsrtp-src" "${args[@]}" || return 1
	rm -rf "$REPO/build-$a"
}

# ------------------------------------------------------------------ meson
meson_build() {
	local a=$1 dir=$REPO/build-$a
	prepare_dev_root "$a" || return 1
	build_wolfssl "$a" || return 1
	build_libsrtp "$a" || return 1
	if [ ! -f "$dir/build.ninja" ]; then
		rm -rf "$dir"
		meson setup "$dir" --cross-file "$REPO/scripts/cross/$a.ini" --prefix=/usr \
			--buildtype=debugoptimized --werror \
			--pkg-config-path="$REPO/.deps/libsrtp-$a/install/lib/pkgconfig:$REPO/.deps/wolfssl-$a/install/lib/pkgconfig:$REPO/.deps/cross-$a/root/usr/lib/$(triplet "$a")/pkgconfig" ||
			return 1
	fi
	ninja -C "$dir"
}

# Tests run under qemu-user, several at a time: allow them more time.
unit_tests() {
	meson test -C "$REPO/build-$1" --suite unit --no-rebuild --print-errorlogs --timeout-multiplier 4
}

# ------------------------------------------------------------------ the arm64 roots
# $CACHE/bookworm-arm64: a minimal (minbase) bookworm arm64 root from the
# mirror this machine uses, with the machine's own apt sources (so that
# dependencies come from the same archive and suites, security updates
# included).  $CACHE/deps-<hash>: the same with the dependencies of a .deb
# whose Depends hash to <hash> installed by apt (and the .deb removed
# again).  Each run copies the latter to build-arm64/debian-root and
# installs the .deb there with apt.
mirror() { awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources; }
ROOT_CACHE=$CACHE/$SUITE-arm64
TEST_ROOT=$REPO/build-arm64/debian-root

# root_mount DIR / root_umount DIR: /proc and the package cache in a root.
root_mount() {
	mkdir -p "$CACHE/archives/partial" &&
		mount -t proc proc "$1/proc" &&
		mount --bind "$CACHE/archives" "$1/var/cache/apt/archives"
}
root_umount() {
	local m
	for m in "$1/proc" "$1/var/cache/apt/archives"; do
		mountpoint -q "$m" 2>/dev/null && umount -l "$m"
	done
	return 0
}

make_root() {
	[ -f "$ROOT_CACHE/.hdmirtc-root" ] && return 0
	local tmp=$ROOT_CACHE.tmp
	root_umount "$tmp"
	rm -rf "$tmp"
	mkdir -p "$CACHE/debootstrap-debs" || return 1
	# The second stage runs the root's own dpkg under qemu: without fsync
	# per file it is faster, and nothing here needs to survive a power cut.
	debootstrap --foreign --variant=minbase --arch=arm64 --cache-dir="$CACHE/debootstrap-debs" \
		"$SUITE" "$tmp" "$(mirror)" || return 1
	mkdir -p "$tmp/etc/dpkg/dpkg.cfg.d" &&
		echo force-unsafe-io > "$tmp/etc/dpkg/dpkg.cfg.d/hdmirtc-test" || return 1
	chroot "$tmp" /debootstrap/debootstrap --second-stage || return 1
	rm -f "$tmp/etc/apt/sources.list"
	cp /etc/apt/sources.list.d/debian.sources "$tmp/etc/apt/sources.list.d/" || return 1
	printf 'APT::Install-Recommends "false";\nDpkg::Use-Pty "false";\n' \
		> "$tmp/etc/apt/apt.conf.d/90hdmirtc-test"
	touch "$tmp/.hdmirtc-root"
	mv "$tmp" "$ROOT_CACHE"
}

# deps_root DEB: the cached root with DEB's dependencies, made if missing or old.
deps_root() {
	local deb=$1 key dir tmp
	key=$(dpkg-deb -f "$deb" Depends | sha256sum | cut -c1-16)
	dir=$CACHE/deps-$key
	if [ -f "$dir/.hdmirtc-deps" ] && [ -z "$(find "$dir/.hdmirtc-deps" -mtime +$DEPS_ROOT_DAYS)" ]; then
		echo "$dir"
		return 0
	fi
	tmp=$dir.tmp
	root_umount "$tmp"
	rm -rf "$tmp" "$dir"
	cp -a "$ROOT_CACHE" "$tmp" || return 1
	root_mount "$tmp" || return 1
	cp "$deb" "$tmp/tmp/" || return 1
	{
		{ chroot "$tmp" apt-get update -qq || echo "apt-get update failed: going on with the lists there are"; } &&
		chroot "$tmp" apt-get install -y -q "/tmp/$(basename "$deb")" &&
		chroot "$tmp" dpkg --purge hdmirtc
	} >&2 || { root_umount "$tmp"; return 1; }
	root_umount "$tmp"
	rm -f "$tmp/tmp/$(basename "$deb")"
	# Only the newest set of dependencies is kept.
	local d
	for d in "$CACHE"/deps-*; do [[ $d == *.tmp ]] || rm -rf "$d"; done
	touch "$tmp/.hdmirtc-deps"
	mv "$tmp" "$dir" && echo "$dir"
}

install_deb() {
	local deb=$1 deps
	deps=$(deps_root "$deb") || return 1
	echo "root with the dependencies of $(basename "$deb"): $deps"
	root_umount "$TEST_ROOT"
	rm -rf "$TEST_ROOT"
	cp -a "$deps" "$TEST_ROOT" && root_mount "$TEST_ROOT" || return 1
	cp "$deb" "$TEST_ROOT/tmp/" || return 1
	# apt checks the Depends against the root and the archive's lists.
	chroot "$TEST_ROOT" apt-get install -y -q "/tmp/$(basename "$deb")" || return 1
	chroot "$TEST_ROOT" dpkg-query -W -f='${Status} ${Version}\n' hdmirtc
	chroot "$TEST_ROOT" sh -c 'ls -l /usr/bin/hdmirtc /usr/lib/systemd/system/hdmirtc.service \
		/lib/udev/rules.d/90-hdmirtc.rules /usr/share/hdmirtc/overlays/*.dtbo'
}

check_version() {
	local want out
	want=$(dpkg-deb -f "$1" Version)
	out=$(chroot "$TEST_ROOT" hdmirtc --version) || { echo "exit status $?: $out"; return 1; }
	echo "$out"
	[ "$out" = "hdmirtc $want" ]
}

# The contract of --probe: a report, exit 0 when streaming would work, not 0
# otherwise; in a root without any HDMI bridge it says "no HDMI bridge".
check_probe() {
	local out rc
	out=$(chroot "$TEST_ROOT" hdmirtc --probe 2>&1); rc=$?
	echo "$out"
	echo "exit status $rc"
	[ $rc -ne 0 ] && grep -q 'no HDMI bridge' <<<"$out"
}

# The background part: the pristine root, then (once the arm64 .deb is
# there, named in $LOGDIR/deb, or "none") its installation and the two
# runs.  Results go to $LOGDIR/root.tap as "STATUS|DESCRIPTION|LOG".
root_job() {
	local out=$LOGDIR/root.tap deb
	local what_install="arm64 .deb installs with apt into a bookworm arm64 root (dependencies from the archive)"
	local what_version="hdmirtc --version in the arm64 root"
	local what_probe="hdmirtc --probe in the arm64 root exits non-zero with \"no HDMI bridge\""
	if ! make_root >"$LOGDIR/root.log" 2>&1; then
		printf '1|%s (debootstrap failed)|%s\n' "$what_install" "$LOGDIR/root.log" > "$out"
		printf '1|%s (no root)|\n1|%s (no root)|\n' "$what_version" "$what_probe" >> "$out"
		return
	fi
	while [ ! -s "$LOGDIR/deb" ]; do sleep 1; done
	deb=$(cat "$LOGDIR/deb")
	if [[ $deb == skip:* ]]; then
		printf 'S|%s|%s\n' "$what_install" "${deb#skip:}" "$what_version" "${deb#skip:}" \
			"$what_probe" "${deb#skip:}" > "$out"
		return
	elif [ "$deb" = none ]; then
		printf '1|%s (no arm64 .deb)|\n1|%s (no .deb)|\n1|%s (no .deb)|\n' \
			"$what_install" "$what_version" "$what_probe" > "$out"
		return
	fi
	if ! install_deb "$deb" >"$LOGDIR/install.log" 2>&1; then
		printf '1|%s|%s\n' "$what_install" "$LOGDIR/install.log" > "$out"
		printf '1|%s (not installed)|\n1|%s (not installed)|\n' "$what_version" "$what_probe" >> "$out"
	else
		printf '0|%s|%s\n' "$what_install" "$LOGDIR/install.log" > "$out"
		check_version "$deb" >"$LOGDIR/version.log" 2>&1
		printf '%s|%s|%s\n' $? "$what_version" "$LOGDIR/version.log" >> "$out"
		check_probe >"$LOGDIR/probe.log" 2>&1
		printf '%s|%s|%s\n' $? "$what_probe" "$LOGDIR/probe.log" >> "$out"
	fi
	root_umount "$TEST_ROOT"
	[ "${HDMIRTC_CROSS_KEEP_ROOT:-0}" = 1 ] || rm -rf "$TEST_ROOT"
}

jobs_to_end=()
cleanup() {
	local pid
	for pid in "${jobs_to_end[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	root_umount "$TEST_ROOT"
	root_umount "$ROOT_CACHE.tmp"
	local d
	for d in "$CACHE"/deps-*.tmp; do [ -d "$d" ] && root_umount "$d"; done
	rm -rf "$LOGDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ run
mkdir -p "$CACHE"
say "tools"
if ! install_tools >"$LOGDIR/tools.log" 2>&1; then
	tail -30 "$LOGDIR/tools.log" | sed 's/^/#   /'
	for what in "arm64 build" "armhf build" "arm64 unit tests" "armhf unit tests" \
		"arm64 .deb" "armhf .deb" ".deb in an arm64 root" "--version there" "--probe there"; do
		tap 1 "$what (set-up failed)"
	done
	exit 1
fi

say "arm64 root in the background (cached in $ROOT_CACHE)"
root_job &
root_pid=$!
jobs_to_end+=("$root_pid")

declare -A built=() skip=()
# build ARCH: its packages, then its build; a TAP line.
build() {
	local a=$1 fault
	say "$a cross toolchain and libraries"
	if ! arch_install "$a" >"$LOGDIR/packages-$a.log" 2>&1; then
		if fault=$(archive_fault "$a") && [ -n "$fault" ]; then
			skip[$a]=$fault
			tap S "$a build" "$fault"
			return 1
		fi
		cp "$LOGDIR/packages-$a.log" "$LOGDIR/build-$a.log"
	else
		say "$a build"
		meson_build "$a" >"$LOGDIR/build-$a.log" 2>&1 && built[$a]=1
	fi
	tap $((${built[$a]:-0} ? 0 : 1)) "$a build (--werror, build-$a)" "$LOGDIR/build-$a.log"
}
# not_built ARCH WHAT: the TAP line of a check that needs ARCH's build.
not_built() {
	if [ -n "${skip[$1]:-}" ]; then tap S "$2" "${skip[$1]}"; else tap 1 "$2 (no build)"; fi
}

build arm64
# The .deb first: the background job installs it while the rest runs.
say "arm64 package"
if [ -n "${built[arm64]:-}" ] &&
	check "arm64 .deb built (scripts/package.sh)" "$LOGDIR/package-arm64.log" "$REPO/scripts/package.sh" arm64; then
	deb=$(tail -1 "$LOGDIR/package-arm64.log")
	echo "# $deb: Depends: $(dpkg-deb -f "$deb" Depends)"
	echo "$deb" > "$LOGDIR/deb"
elif [ -n "${skip[arm64]:-}" ]; then
	not_built arm64 "arm64 .deb built"
	echo "skip:${skip[arm64]}" > "$LOGDIR/deb"
else
	[ -n "${built[arm64]:-}" ] || not_built arm64 "arm64 .deb built"
	echo none > "$LOGDIR/deb"
fi
# Each architecture's unit tests start as soon as it is built (arm64's run
# while armhf's packages are installed).
declare -A test_pid=()
start_unit_tests() {
	[ -n "${built[$1]:-}" ] || return 0
	say "$1 unit tests under qemu-user (in the background)"
	unit_tests "$1" >"$LOGDIR/test-$1.log" 2>&1 &
	test_pid[$1]=$!
	jobs_to_end+=("${test_pid[$1]}")
}
start_unit_tests arm64
build armhf
start_unit_tests armhf

say "waiting for the unit tests"
for a in "${ARCHES[@]}"; do
	if [ -n "${test_pid[$a]:-}" ]; then
		wait "${test_pid[$a]}"
		tap $? "$a unit tests under qemu-user" "$LOGDIR/test-$a.log"
		echo "# $(grep -E '^(Ok|Fail|Skipped|Timeout):' "$LOGDIR/test-$a.log" | tr -s ' \n' ' ')"
	else
		not_built "$a" "$a unit tests under qemu-user"
	fi
done

say "armhf package"
if [ -n "${built[armhf]:-}" ]; then
	check "armhf .deb built (scripts/package.sh)" "$LOGDIR/package-armhf.log" "$REPO/scripts/package.sh" armhf &&
		echo "# $(tail -1 "$LOGDIR/package-armhf.log")"
else
	not_built armhf "armhf .deb built"
fi

say "waiting for the arm64 root"
wait "$root_pid"
if [ -f "$LOGDIR/root.tap" ]; then
	while IFS='|' read -r status what log; do
		tap "$status" "$what" "$log"
		[ "$status" = 0 ] && [ -n "$log" ] && [[ $what == *--* ]] && sed 's/^/#   /' "$log"
	done < "$LOGDIR/root.tap"
else
	tap 1 "arm64 .deb installs into an arm64 root (the background job ended without a result)"
	tap 1 "hdmirtc --version in the arm64 root (no result)"
	tap 1 "hdmirtc --probe in the arm64 root (no result)"
fi
grep -E '^root with the dependencies' "$LOGDIR/install.log" 2>/dev/null | sed 's/^/# /'

say "done: $((tap_n - tap_failed)) of $tap_n passed"
[ $tap_failed -eq 0 ]
