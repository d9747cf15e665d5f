#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# package.sh - a Debian package of hdmirtc made with dpkg-deb from what
# `meson install` puts under DESTDIR: /usr/bin/hdmirtc, the systemd unit and
# its static-network drop-in, the udev rule, the compiled device-tree
# overlays (/usr/share/hdmirtc/overlays/*.dtbo) and the copyright file.  The
# web page is compiled into the binary (GResource), so there are no web
# files.  Depends comes from dpkg-shlibdeps, the version from meson.build.
#
# Usage: scripts/package.sh [ARCH [BUILD_DIR [OUT_DIR]]]
#   ARCH       arm64 (default), armhf, or the machine's own (amd64)
#   BUILD_DIR  a meson build configured with --prefix=/usr for ARCH (default
#              build-ARCH, which tests/cross/run.sh makes with scripts/cross/ARCH.ini)
#   OUT_DIR    where the .deb goes (default BUILD_DIR)
# Prints the path of the .deb.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:-arm64}
build=${2:-$top/build-$arch}
out=${3:-$build}
native=$(dpkg --print-architecture)

log() { printf 'package: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$arch" = "$native" ]; then
	wolfssl_install=$top/.deps/wolfssl/install
	libsrtp_install=$top/.deps/libsrtp/install
else
	wolfssl_install=$top/.deps/wolfssl-$arch/install
	libsrtp_install=$top/.deps/libsrtp-$arch/install
fi

[ -f "$build/build.ninja" ] || die "$build is not a meson build: tests/cross/run.sh makes build-arm64 and build-armhf"
ninja -C "$build" >/dev/null

# One call to python for everything meson knows about the build.
read -r version prefix < <(cd "$build" && meson introspect --projectinfo --buildoptions . |
	python3 -c '
import json, sys
d = json.load(sys.stdin)
opts = {o["name"]: o["value"] for o in d["buildoptions"]}
print(d["projectinfo"]["version"], opts["prefix"])')
[ "$prefix" = /usr ] || die "$build has prefix $prefix; a package needs --prefix=/usr (meson configure $build --prefix=/usr)"

stage=$(mktemp -d "${TMPDIR:-/tmp}/hdmirtc-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
mkdir -p "$root/DEBIAN"
umask 022

meson install -C "$build" --no-rebuild --destdir "$root" --strip --quiet >/dev/null
[ -x "$root/usr/bin/hdmirtc" ] || die "meson install put no usr/bin/hdmirtc under DESTDIR"
case $arch in
arm64) machine=AArch64 ;; armhf) machine=ARM ;; amd64) machine=X86-64 ;; *) machine= ;;
esac
readelf -h "$root/usr/bin/hdmirtc" | grep -q "Machine: .*$machine\$" ||
	die "usr/bin/hdmirtc is not an $arch program: $(readelf -h "$root/usr/bin/hdmirtc" | grep Machine:)"

# Copyright: ours, and wolfSSL's (linked statically).
doc=$root/usr/share/doc/hdmirtc
mkdir -p "$doc"
cat > "$doc/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hdmirtc
Comment: /usr/bin/hdmirtc links wolfSSL statically (built with DTLS-SRTP
 from Debian's wolfssl source package, see Built-Using); every other
 library is a shared one from its own package (Depends).

Files: *
Copyright: the hdmirtc authors
License: GPL-3+

Files: wolfSSL, linked into /usr/bin/hdmirtc
Copyright: 2006-2022 wolfSSL Inc.
License: GPL-2+

License: GPL-3+
 This program is free software: you can redistribute it and/or modify
 it under the terms of the GNU General Public License as published by
 the Free Software Foundation, either version 3 of the License, or
 (at your option) any later version.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 3 can be found in "/usr/share/common-licenses/GPL-3".

License: GPL-2+
 This program is free software; you can redistribute it and/or modify
 it under the terms of the GNU General Public License as published by
 the Free Software Foundation; either version 2 of the License, or
 (at your option) any later version.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 2 can be found in "/usr/share/common-licenses/GPL-2".
EOF

# Depends: dpkg-shlibdeps reads the ELF NEEDED entries and maps each
# library to its package and minimal version (shlibs/symbols files of the
# installed :ARCH packages); it wants a debian/control to work in.
mkdir -p "$stage/src/debian"
printf 'Source: hdmirtc\n\nPackage: hdmirtc\nArchitecture: any\n' > "$stage/src/debian/control"
shlibs=$(cd "$stage/src" && DEB_HOST_ARCH=$arch dpkg-shlibdeps -O "$root/usr/bin/hdmirtc" 2>"$stage/shlibdeps.err") ||
	{ cat "$stage/shlibdeps.err" >&2; die "dpkg-shlibdeps failed"; }
depends=${shlibs#shlibs:Depends=}
[ -n "$depends" ] && [ "$depends" != "$shlibs" ] || die "dpkg-shlibdeps gave no Depends: $shlibs"
# HTTPS goes through GIO's TLS backend, a module GLib loads at run time
# (no NEEDED entry for dpkg-shlibdeps to see).
depends="$depends, glib-networking"

# Static libraries from Debian's source packages (libsrtp2 only where the
# build found ours: otherwise Debian's shared one is in Depends).
built_using=
if [ -s "$wolfssl_install/debian-version" ]; then
	built_using="wolfssl (= $(cat "$wolfssl_install/debian-version"))"
fi
if [ -s "$libsrtp_install/debian-version" ] &&
	! readelf -d "$root/usr/bin/hdmirtc" | grep -q 'NEEDED.*libsrtp2'; then
	built_using="${built_using:+$built_using, }libsrtp2 (= $(cat "$libsrtp_install/debian-version"))"
fi

# Maintainer scripts: systemd and udev learn about the new unit and rule; a
# bridge that is already there starts the service through the rule.
cat > "$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
	fi
	if [ -d /run/udev ] && command -v udevadm >/dev/null; then
		udevadm control --reload-rules || true
		udevadm trigger --subsystem-match=video4linux --action=add || true
	fi
fi
EOF
cat > "$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl stop hdmirtc.service >/dev/null 2>&1 || true
fi
EOF
cat > "$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
	fi
	if [ "$1" = purge ]; then
		rm -rf /var/lib/hdmirtc /var/lib/private/hdmirtc
	fi
fi
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

if [ -d "$root/etc" ]; then
	(cd "$root" && find etc -type f | sed 's|^|/|') > "$root/DEBIAN/conffiles"
fi
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z |
	xargs -0 md5sum | sed 's|  \./|  |') > "$root/DEBIAN/md5sums"

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
{
	echo "Package: hdmirtc"
	echo "Version: $version"
	echo "Architecture: $arch"
	echo "Maintainer: hdmirtc developers <hdmirtc@localhost>"
	echo "Installed-Size: $installed_size"
	echo "Depends: $depends"
	# The page through Janus (janus.html) loads these as installed.
	echo "Suggests: janus, libjs-janus-gateway, libjs-webrtc-adapter"
	[ -z "$built_using" ] || echo "Built-Using: $built_using"
	echo "Section: video"
	echo "Priority: optional"
	echo "Description: HDMI input of a Raspberry Pi IP-KVM to browsers over WebRTC"
	echo " hdmirtc streams the HDMI input of a TC358743 HDMI-to-CSI-2 bridge as"
	echo " H.264 over WebRTC (WHEP), with capture, encoder, RTP, ICE, DTLS-SRTP"
	echo " and signalling in one process, and serves a player page and MJPEG."
	echo " Included: the systemd unit, the udev rule that starts it when the"
	echo " bridge appears, and the bridge's device-tree overlays for the Pi 4,"
	echo " CM4 and Pi 5 (/usr/share/hdmirtc/overlays)."
} > "$root/DEBIAN/control"

mkdir -p "$out"
deb=$out/hdmirtc_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
