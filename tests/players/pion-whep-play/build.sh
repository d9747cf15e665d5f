#!/bin/sh
# Builds pion-whep-play against Debian's Pion (golang-github-pion-webrtc.v3-dev
# under /usr/share/gocode) offline, in GOPATH mode, and prints the binary's
# path on stdout.  The binary is kept in a cache directory under a name made
# from a hash of the sources, the Go version and Pion's version: a second
# run with nothing changed builds nothing.  Compiler errors go to stderr
# and the exit status is non-zero.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
cache=${HDMIRTC_PLAYER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hdmirtc-players}/pion-whep-play
pion=$(dpkg-query -W -f '${Version}' golang-github-pion-webrtc.v3-dev 2>/dev/null || echo unknown)
hash=$( (cat "$src"/*.go "$src"/go.mod "$src"/build.sh; go version; echo "$pion") | sha256sum | cut -c1-16)
bin=$cache/bin/pion-whep-play-$hash
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
# GOPATH mode only resolves .../v3 imports for packages inside a GOPATH
# tree (and one with a go.mod): the sources are copied into one.
pkg=$cache/gopath/src/pion-whep-play
rm -rf "$pkg"
mkdir -p "$pkg" "$cache/bin"
cp "$src"/*.go "$src"/go.mod "$pkg"/
cd "$pkg"
tmp=$bin.$$
GOPATH=$cache/gopath:/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off GOCACHE=$cache/go-build \
	CGO_ENABLED=0 go build -ldflags "-X 'main.pionVersion=$pion'" -o "$tmp" . >&2
mv "$tmp" "$bin"
# Older builds are of no use any more.
find "$cache/bin" -name 'pion-whep-play-*' ! -name "pion-whep-play-$hash" -delete
echo "$bin"
