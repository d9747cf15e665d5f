# shellcheck shell=bash
# scripts/deb-source.sh - a Debian source package, fetched once and unpacked
# afresh.  Sourced by scripts/wolfssl.sh and scripts/libsrtp.sh, which build
# libraries Debian ships without what hdmirtc needs.

# deb-src entries (a copy of the machine's own debian.sources) for apt-get source.
deb_source_enable() {
	local list=/etc/apt/sources.list.d/hdmirtc-deb-src.sources
	[ -f "$list" ] && return 0
	sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$list"
	# An index of another architecture that fails to download must not stop
	# this: apt-get source then says whether the source lists are there.
	apt-get update -qq || echo "apt-get update failed: going on with the lists there are" >&2
}

# deb_source_unpack SRC PACKAGE: PACKAGE's source in SRC (downloaded unless
# a .dsc is there), unpacked with Debian's patches into SRC/unpacked.tmp,
# which the caller patches further and renames.
deb_source_unpack() {
	local src=$1 package=$2
	if ! ls "$src"/*.dsc >/dev/null 2>&1; then
		deb_source_enable
		rm -rf "$src"
		mkdir -p "$src"
		(cd "$src" && apt-get source -qq --download-only "$package" >/dev/null 2>&1)
	fi
	rm -rf "$src/unpacked" "$src/unpacked.tmp"
	(cd "$src" && dpkg-source -x ./*.dsc unpacked.tmp >/dev/null 2>&1)
}
