# shellcheck shell=bash
# scripts/wolfssl.sh - wolfSSL with DTLS-SRTP, built from Debian's source
# package.  Sourced (not run) by scripts/setup.sh for the native build
# (.deps/wolfssl) and by tests/cross/run.sh for arm64 and armhf
# (.deps/wolfssl-<arch>): one flag list for every build.
#
# Debian's libwolfssl-dev lacks wolfSSL_CTX_set_tlsext_use_srtp, so build the
# same version from Debian's source package with DTLS-SRTP switched on.

wolfssl_flags=(
	-DBUILD_SHARED_LIBS=OFF -DWOLFSSL_DTLS=yes -DWOLFSSL_CERTGEN=yes -DWOLFSSL_KEYGEN=yes
	-DWOLFSSL_EXAMPLES=no -DWOLFSSL_CRYPT_TESTS=no
	# SNI: TURN servers behind a TLS front end pick the service by name.
	-DWOLFSSL_SNI=yes
	# 5.5.4's CMake compiles src/dtls.c (DoClientHelloStateless, used by
	# internal.c) only with DTLS 1.3 CID; without it nothing links.
	-DBUILD_DTLS_COMMON=yes
	"-DCMAKE_C_FLAGS=-DWOLFSSL_SRTP -DHAVE_KEYING_MATERIAL -DHAVE_EXTENDED_MASTER -DWOLFSSL_DTLS_MTU -fPIC -O2"
)

# deb-src entries (a copy of the machine's own debian.sources) for apt-get source.
wolfssl_enable_deb_src() {
	local list=/etc/apt/sources.list.d/hdmirtc-deb-src.sources
	[ -f "$list" ] && return 0
	sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$list"
	apt-get update -qq
}

# What the stamp of a build holds: the flags, then the build's own arguments
# (none for the native build, the cross toolchain for the others).
wolfssl_stamp_text() {
	echo "${wolfssl_flags[*]}${*:+ $*}"
}

# wolfssl_is_built DIR [CMAKE_ARGS...]: DIR/install holds a build made with
# these flags and arguments.
wolfssl_is_built() {
	local stamp="$1/install/.built-with-srtp"; shift
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(wolfssl_stamp_text "$@")" ]
}

# wolfssl_build DIR SRC [CMAKE_ARGS...]: Debian's source package, fetched and
# unpacked into SRC/unpacked unless there already, built with wolfssl_flags
# and CMAKE_ARGS in DIR/build and installed into DIR/install (static library
# in lib/, pkg-config file in lib/pkgconfig).  DIR is made anew.
wolfssl_build() {
	local dir=$1 src=$2; shift 2
	rm -rf "$dir"
	if [ ! -d "$src/unpacked" ]; then
		wolfssl_enable_deb_src
		rm -rf "$src"
		mkdir -p "$src"
		(cd "$src" && apt-get source -qq --download-only wolfssl >/dev/null 2>&1 &&
			dpkg-source -x ./*.dsc unpacked.tmp >/dev/null 2>&1 && mv unpacked.tmp unpacked)
	fi
	cmake -S "$src/unpacked" -B "$dir/build" -G Ninja \
		-DCMAKE_INSTALL_PREFIX="$dir/install" -DCMAKE_INSTALL_LIBDIR=lib \
		"${wolfssl_flags[@]}" "$@" >/dev/null
	cmake --build "$dir/build" >/dev/null
	cmake --install "$dir/build" >/dev/null
	wolfssl_stamp_text "$@" > "$dir/install/.built-with-srtp"
}
