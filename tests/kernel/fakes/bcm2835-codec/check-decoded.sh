#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Host side of tests/kernel/kt-codec.c: the bcm2835-codec stand-in encodes
# losslessly, so decoding each OUT/kt-codec-NAME.h264 with ffmpeg must give
# back exactly the 4:2:0 pictures the test wrote to OUT/kt-codec-NAME.yuv
# (computed from the input frames).  One TAP line per stream on stdout;
# with --append they also go to OUT/results.tap (as run.sh's host_checks).
#
# Usage: check-decoded.sh OUT [--append]
set -u
out=${1:?usage: $0 OUT [--append]}
append=${2:-}
command -v ffmpeg > /dev/null || { echo "ok - host: kt-codec exact decode # SKIP no ffmpeg"; exit 0; }
status=0
for yuv in "$out"/kt-codec-*.yuv; do
	[ -e "$yuv" ] || continue
	name=$(basename "$yuv" .yuv)
	h264=${yuv%.yuv}.h264
	dec=$(mktemp)
	# native pixel format (yuv420p or yuvj420p: the same bytes), every
	# frame once, in decoding order
	if ffmpeg -nostdin -v error -i "$h264" -f rawvideo -fps_mode passthrough -y "$dec" 2> "$dec.log" &&
	   cmp -s "$dec" "$yuv"; then
		line="ok - host: $name decodes to exactly its input ($(stat -c %s "$yuv") bytes of 4:2:0)"
	else
		line="not ok - host: $name does not decode to its input: $(cmp "$dec" "$yuv" 2>&1 | head -1)$(head -1 "$dec.log")"
		status=1
	fi
	rm -f "$dec" "$dec.log"
	echo "$line"
	[ "$append" = --append ] && echo "$line" >> "$out/results.tap"
done
exit $status
