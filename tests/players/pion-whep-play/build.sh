#!/bin/sh
# Builds pion-whep-play (../pion-build.sh says how) and prints its path.
exec "$(dirname "$0")/../pion-build.sh" pion-whep-play
