#!/bin/sh
# Builds the Go program in tests/players/NAME (with the other .go files
# given, relative to tests/players: sources shared between programs)
# against Debian's Pion (golang-github-pion-webrtc.v3-dev under
# /usr/share/gocode), offline, in GOPATH mode, and prints the binary's path
# on stdout.  The binary is kept in a cache directory under a name made
# from a hash of the sources, the Go version and Pion's version: a second
# run with nothing changed builds nothing, and the programs share Go's
# build cache: Pion is compiled once for all of them.  Compiler errors go to stderr
# and the exit status is non-zero.
#
#   pion-build.sh NAME [SHARED.go ...]
set -eu
top=$(cd "$(dirname "$0")" && pwd)
name=$1
shift
src=$top/$name
shared=""
for f in "$@"; do shared="$shared $top/$f"; done
root=${HDMIRTC_PLAYER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hdmirtc-players}
cache=$root/$name
pion=$(dpkg-query -W -f '${Version}' golang-github-pion-webrtc.v3-dev 2>/dev/null || echo unknown)
# shellcheck disable=SC2086 # $shared is a list of paths without spaces
hash=$( (cat "$src"/*.go $shared "$src"/go.mod "$0"; go version; echo "$pion") | sha256sum | cut -c1-16)
bin=$cache/bin/$name-$hash
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
# GOPATH mode only resolves .../v3 imports for packages inside a GOPATH
# tree (and one with a go.mod): the sources are copied into one.
pkg=$cache/gopath/src/$name
rm -rf "$pkg"
mkdir -p "$pkg" "$cache/bin"
# shellcheck disable=SC2086
cp "$src"/*.go $shared "$src"/go.mod "$pkg"/
cd "$pkg"
tmp=$bin.$$
GOPATH=$cache/gopath:/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off GOCACHE=$root/go-build \
	CGO_ENABLED=0 go build -ldflags "-X 'main.pionVersion=$pion'" -o "$tmp" . >&2
mv "$tmp" "$bin"
# Older builds are of no use any more.
find "$cache/bin" -name "$name-*" ! -name "$name-$hash" -delete
echo "$bin"
