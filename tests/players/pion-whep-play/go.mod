// Not for module mode (no internet for modules here): build.sh builds in
// GOPATH mode against Debian's /usr/share/gocode.  This file is still
// needed: in GOPATH mode Go resolves an import such as
// github.com/pion/webrtc/v3 (whose directory has no v3 element) only for
// code inside a tree that has a go.mod.
module hdmirtc/pion-whep-play

go 1.19
