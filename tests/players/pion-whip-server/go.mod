// As pion-whep-play's: GOPATH mode (build.sh), this file only lets Go
// resolve the .../v3 imports.
module hdmirtc/pion-whip-server

go 1.19
