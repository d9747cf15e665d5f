# shellcheck shell=bash
# scripts/wolfssl.sh - wolfSSL with DTLS-SRTP, built from Debian's source
# package.  Sourced (not run) by scripts/setup.sh for the native build
# (.deps/wolfssl) and by tests/cross/run.sh for arm64 and armhf
# (.deps/wolfssl-<arch>): one flag list for every build.
#
# Debian's libwolfssl-dev lacks wolfSSL_CTX_set_tlsext_use_srtp, so build the
# same version from Debian's source package with DTLS-SRTP switched on.

# shellcheck source=scripts/deb-source.sh
. "$(dirname "${BASH_SOURCE[0]}")/deb-source.sh"

wolfssl_flags=(
	-DBUILD_SHARED_LIBS=OFF -DWOLFSSL_DTLS=yes -DWOLFSSL_CERTGEN=yes -DWOLFSSL_KEYGEN=yes
	-DWOLFSSL_EXAMPLES=no -DWOLFSSL_CRYPT_TESTS=no
	# SNI: TURN servers behind a TLS front end pick the service by name.
	-DWOLFSSL_SNI=yes
	# 5.5.4's CMake compiles src/dtls.c (DoClientHelloStateless, used by
	# internal.c) only with DTLS 1.3 CID; without it nothing links.
	-DBUILD_DTLS_COMMON=yes
)
# Defines in CMAKE_C_FLAGS also go into the installed wolfssl/options.h,
# which is what programs using the library see.
# HAVE_SERVER_RENEGOTIATION_INFO: a server's ServerHello answers the
# client's empty-renegotiation SCSV with renegotiation_info (RFC 5746);
# OpenSSL 3 clients (aiortc, webrtcbin as DTLS client) refuse a server
# without it (alert 40).  wolfSSL's autoconf build turns it on by default,
# its CMake build does not.
# WOLFSSL_ALT_NAMES: the HTTPS certificate made on first start names the
# host (subjectAltName), which browsers match the address bar against.
wolfssl_cflags=(-DWOLFSSL_SRTP -DHAVE_KEYING_MATERIAL -DHAVE_EXTENDED_MASTER -DWOLFSSL_DTLS_MTU
	-DHAVE_SERVER_RENEGOTIATION_INFO -DWOLFSSL_ALT_NAMES -fPIC -O2)

# wolfssl_configure CC [CMAKE_ARGS...]: sets wolfssl_cmake_args, the CMake
# arguments of a build with the C compiler CC.
# HAVE___UINT128_T: 5.5.4's CMake finds the type (config.h, used only while
# building the library) and then sizes its big-integer digits (sp_int, in
# ecc_key, DecodedCert, ...) by it, but does not write it to options.h:
# programs saw smaller structures than the library (ecc_key: 4184 bytes
# against 4200 on amd64, 3160 against 3176 on arm64), so wc_ecc_init()
# cleared 16 bytes past a caller's ecc_key on the stack (on arm64: the
# caller's saved return address, a crash).  Where the compiler has the
# type, it is named in CMAKE_C_FLAGS so that options.h has it too.
wolfssl_configure() {
	local cc=$1; shift
	local cflags=("${wolfssl_cflags[@]}")
	if printf 'unsigned __int128 x;\n' | "$cc" -x c -c -o /dev/null - 2>/dev/null; then
		cflags+=(-DHAVE___UINT128_T)
	fi
	wolfssl_cmake_args=("${wolfssl_flags[@]}" "-DCMAKE_C_COMPILER=$cc" "-DCMAKE_C_FLAGS=${cflags[*]}" "$@")
}

# Our changes to the source, each with its why at the top
# (scripts/wolfssl-patches/*.patch, applied in name order with patch -p1).
wolfssl_patch_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/wolfssl-patches

# What a build is made of: the CMake arguments and the patches (the stamp
# records it: a change to either rebuilds).
wolfssl_recipe() {
	printf '%s patches:%s' "${wolfssl_cmake_args[*]}" \
		"$(cat "$wolfssl_patch_dir"/*.patch | sha256sum | cut -c1-16)"
}

# wolfssl_is_built DIR CC [CMAKE_ARGS...]: DIR/install holds a build made
# with these arguments and patches.
wolfssl_is_built() {
	local stamp="$1/install/.built-with-srtp"; shift
	wolfssl_configure "$@"
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(wolfssl_recipe)" ]
}

# wolfssl_build DIR SRC CC [CMAKE_ARGS...]: Debian's source package, fetched
# and unpacked into SRC/unpacked unless there already, built with the C
# compiler CC, wolfssl_flags and CMAKE_ARGS in DIR/build and installed into
# DIR/install (static library in lib/, pkg-config file in lib/pkgconfig, the
# Debian version of the source in debian-version for a package's
# Built-Using).  DIR is made anew.
wolfssl_build() {
	local dir=$1 src=$2; shift 2
	wolfssl_configure "$@"
	rm -rf "$dir"
	# Unpacked afresh every time: the patches go onto a clean tree.
	deb_source_unpack "$src" wolfssl || return 1
	local p
	for p in "$wolfssl_patch_dir"/*.patch; do
		patch -s -p1 -d "$src/unpacked.tmp" < "$p" || { echo "wolfSSL: $p does not apply" >&2; return 1; }
	done
	mv "$src/unpacked.tmp" "$src/unpacked"
	cmake -S "$src/unpacked" -B "$dir/build" -G Ninja \
		-DCMAKE_INSTALL_PREFIX="$dir/install" -DCMAKE_INSTALL_LIBDIR=lib \
		"${wolfssl_cmake_args[@]}" >/dev/null
	cmake --build "$dir/build" >/dev/null
	cmake --install "$dir/build" >/dev/null
	dpkg-parsechangelog -l "$src/unpacked/debian/changelog" -SVersion > "$dir/install/debian-version"
	wolfssl_recipe > "$dir/install/.built-with-srtp"
}
