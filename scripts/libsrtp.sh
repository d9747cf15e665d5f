# shellcheck shell=bash
# scripts/libsrtp.sh - libsrtp2 on OpenSSL's crypto, built from Debian's
# source package.  Sourced (not run) by scripts/setup.sh.
#
# Debian's libsrtp2 does its AES and HMAC-SHA1 through NSS, one PKCS#11
# call chain per packet: protecting a 1200-byte packet with
# AES_CM_128_HMAC_SHA1_80 (the profile Chromium picks) takes 6.2 us on the
# development machine, 1.6 us through OpenSSL's libcrypto (AES-NI, SHA
# extensions; NEON code on a Pi).  Each viewer protects every packet of
# every frame itself, so this is most of the cost of a viewer.  The
# library goes in statically; its pkg-config file requires openssl, which
# brings libcrypto in.

# shellcheck source=scripts/deb-source.sh
. "$(dirname "${BASH_SOURCE[0]}")/deb-source.sh"

libsrtp_flags=(-Dcrypto-library=openssl -Ddefault_library=static -Dtests=disabled -Ddoc=disabled
	-Db_staticpic=true --buildtype=release)

# libsrtp_is_built DIR [MESON_ARGS...]: DIR/install holds a build with these arguments.
libsrtp_is_built() {
	local stamp="$1/install/.built-with"; shift
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "${libsrtp_flags[*]} $*" ]
}

# libsrtp_build DIR SRC [MESON_ARGS...]: Debian's source package (fetched
# into SRC unless there), built in DIR/build and installed into DIR/install
# (static library in lib/, pkg-config file in lib/pkgconfig, the Debian
# version in debian-version for a package's Built-Using).  DIR is made anew.
libsrtp_build() {
	local dir src=$2
	dir=$(realpath -m "$1"); shift 2
	rm -rf "$dir"
	deb_source_unpack "$src" libsrtp2 || return 1
	mv "$src/unpacked.tmp" "$src/unpacked"
	if ! { meson setup "$dir/build" "$src/unpacked" --prefix="$dir/install" --libdir=lib \
		"${libsrtp_flags[@]}" "$@" && ninja -C "$dir/build" install; } > "$dir.log" 2>&1; then
		tail -20 "$dir.log" >&2
		return 1
	fi
	dpkg-parsechangelog -l "$src/unpacked/debian/changelog" -SVersion > "$dir/install/debian-version"
	echo "${libsrtp_flags[*]} $*" > "$dir/install/.built-with"
}
