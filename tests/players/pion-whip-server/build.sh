#!/bin/sh
# Builds pion-whip-server with pion-whep-play's Annex B writer and
# interceptors (../pion-build.sh says how) and prints its path.
exec "$(dirname "$0")/../pion-build.sh" pion-whip-server pion-whep-play/annexb.go pion-whep-play/interceptors.go
