#!/usr/bin/env bash
# setup.sh - install everything hdmirtc needs on Debian 12 and build it.
#
# Idempotent: a second run only checks and rebuilds what changed (seconds).
# Steps: Debian packages; wolfSSL with DTLS-SRTP built from Debian's source
# package (Debian's binary package is built without it) into .deps/; npm
# packages for the browser tests; meson build in build/ (and build-asan/ with
# --asan).  Run as root (apt-get); nothing is installed into /usr except
# Debian packages.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export DEBIAN_FRONTEND=noninteractive

want_asan=0
want_bench=0
for arg in "$@"; do
	case "$arg" in
	--asan) want_asan=1 ;;
	--bench) want_bench=1 ;;
	*) echo "setup.sh: unknown option '$arg' (known: --asan, --bench)" >&2; exit 2 ;;
	esac
done

log() { printf 'setup: %s\n' "$*" >&2; }

apt_packages=(
	build-essential meson ninja-build pkg-config cmake dpkg-dev
	libglib2.0-dev libnice-dev libsoup-3.0-dev libjson-glib-dev
	libssl-dev libx264-dev libturbojpeg0-dev libdrm-dev libavcodec-dev libavutil-dev
	chromium ffmpeg coturn iproute2 nftables procps
	device-tree-compiler udev systemd-container
	qemu-system-x86 busybox-static cpio kmod xz-utils bc dwarves libelf-dev
	clang libclang-rt-14-dev valgrind
	# HTTPS: GIO's TLS backend (GnuTLS) at run time; for the tests, NSS
	# tools to make Chromium's profile trust the service's certificate,
	# and nginx as the reverse proxy in front of it.
	glib-networking curl libnss3-tools nginx
	# HDMI audio: Opus, ALSA capture, the resampler (libspeexdsp).
	libopus-dev libasound2-dev libspeexdsp-dev
	# WHEP players on other WebRTC stacks than Chromium's (tests/players):
	# GStreamer webrtcbin (OpenSSL), aiortc (Python, OpenSSL), Pion (Go).
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
	gstreamer1.0-nice gstreamer1.0-libav gstreamer1.0-tools gir1.2-gstreamer-1.0
	gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0 gir1.2-nice-0.1 python3-gi
	python3-aiortc python3-av python3-numpy golang-go golang-github-pion-webrtc.v3-dev
	# Another browser than Chromium: Debian's Firefox ESR, driven through
	# WebDriver BiDi (tests/browser/firefox.test.mjs).
	firefox-esr
	# Cameras through libcamera (issue 17): the library, its IPA modules,
	# and its cam tool (tests/kernel/kt-libcamera.sh).
	libcamera-dev libcamera-ipa libcamera-tools
	# Janus as the SFU the service feeds (tests/browser/janus.test.mjs runs
	# its own instances in namespaces); janus.js and its adapter for pages.
	janus libjs-janus-gateway libjs-webrtc-adapter
)

# Only bench/run.sh needs these: the rest of the GStreamer reference
# pipeline (python3-gst-1.0: a buffer's memory as a memoryview, to paint
# into it), the plot, and heaptrack for when the memory soak says growth
# (bench/README.md, section 5).
bench_packages=(
	gstreamer1.0-plugins-ugly python3-gst-1.0 gnuplot-nox heaptrack
)

install_apt() {
	local missing=()
	for p in "${apt_packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	# Node may come from elsewhere than Debian (its npm then conflicts with
	# Debian's): install Debian's only when there is none.
	command -v node >/dev/null || missing+=(nodejs)
	command -v npm >/dev/null || missing+=(npm)
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	# One bad index (a foreign architecture's, after tests/cross) must
	# not stop the native install: going on with the lists there are.
	apt-get update -qq || log "apt-get update failed: going on with the lists there are"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# The tests run their own nginx on loopback; the one Debian starts on
	# port 80 when it installs the package is not wanted here.
	if printf '%s\n' "${missing[@]}" | grep -qx nginx && command -v systemctl >/dev/null; then
		systemctl disable --now nginx.service >/dev/null 2>&1 || true
	fi
	# Likewise the root janus.service the package enables and starts (it
	# binds 8088, 8188 and sample mountpoint ports on every interface).
	if printf '%s\n' "${missing[@]}" | grep -qx janus && command -v systemctl >/dev/null; then
		systemctl disable --now janus.service >/dev/null 2>&1 || true
	fi
}

# wolfSSL with DTLS-SRTP from Debian's source package: the flags and the
# build are in scripts/wolfssl.sh (shared with the cross builds of
# tests/cross/run.sh).
# shellcheck source=scripts/wolfssl.sh
. "$top/scripts/wolfssl.sh"
wolfssl_dir="$top/.deps/wolfssl"

# The stamp records the flags: changing them rebuilds.
build_wolfssl() {
	wolfssl_is_built "$wolfssl_dir" cc && return 0
	log "fetching and building wolfSSL with DTLS-SRTP"
	wolfssl_build "$wolfssl_dir" "$wolfssl_dir/src" cc
	# Builds made against the old library must relink.
	rm -rf "$top/build" "$top/build-asan"
}

# libsrtp2 on OpenSSL's crypto (why: scripts/libsrtp.sh).
# shellcheck source=scripts/libsrtp.sh
. "$top/scripts/libsrtp.sh"
libsrtp_dir="$top/.deps/libsrtp"

build_libsrtp() {
	libsrtp_is_built "$libsrtp_dir" && return 0
	log "fetching and building libsrtp2 on OpenSSL"
	libsrtp_build "$libsrtp_dir" "$top/.deps/libsrtp-src"
	rm -rf "$top/build" "$top/build-asan"
}

# Reinstalls when package-lock.json changes.
install_npm() {
	local stamp=tests/browser/node_modules/.hdmirtc-lock.sha256
	local want
	want=$(sha256sum tests/browser/package-lock.json | cut -d' ' -f1)
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
	log "installing npm packages for the browser tests"
	(cd tests/browser && npm ci --silent --no-audit --no-fund >/dev/null)
	echo "$want" > "$stamp"
}

meson_build() {
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" \
			--pkg-config-path="$libsrtp_dir/install/lib/pkgconfig:$wolfssl_dir/install/lib/pkgconfig" \
			--werror "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

[ $want_bench -eq 1 ] && apt_packages+=("${bench_packages[@]}")
install_apt
build_wolfssl
build_libsrtp
install_npm
meson_build build --buildtype=debugoptimized
if [ $want_asan -eq 1 ]; then
	meson_build build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
fi
log "ready: build/src/hdmirtc"
