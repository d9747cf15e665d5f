# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by kt-*.sh scripts that have the host's Chromium watch the
# service (tests/kernel/host-viewer.mjs, started by run.sh): requests and
# answers are files in the share's out/.  Needs lib-service.sh.
[ -f /mnt/host/hostfwd.env ] && . /mnt/host/hostfwd.env

# TRUE when the host runs a viewer that can play (chromium is there).
viewer_available() {
	[ -n "${VIEWER_UDP_PORTS:-}" ] && [ -e /sys/class/net/eth0 ] && [ -s "$OUT/viewer-ready" ] &&
		! grep -q '"skip":"' "$OUT/viewer-ready"
}
# Why not, for a skip line.
viewer_why_not() {
	if [ -z "${VIEWER_UDP_PORTS:-}" ] || [ ! -e /sys/class/net/eth0 ]; then echo "the VM has no forwarded link"
	elif [ ! -s "$OUT/viewer-ready" ]; then echo "no host viewer runs"
	else grep -o '"skip":"[^"]*' "$OUT/viewer-ready" | cut -d'"' -f4; fi
}
# The service's options that let the viewer in: the forwarded UDP ports,
# announced as 127.0.0.1 (the host's end of the forwards); no ICE-TCP (no
# TCP port is forwarded).  Its interfaces (INTERFACES for start_service)
# must have eth0, and lo for the viewers in the guest (whep-load uses
# loopback candidates only); of the two 127.0.0.1 candidates the host's
# Chromium gets, the one with eth0's port reaches the service.
viewer_service_args() {
	viewer_available && echo "--public-address 127.0.0.1 --udp-ports $VIEWER_UDP_PORTS --no-ice-tcp"
}
# viewer_ask REQUEST ANSWER SECONDS: asks, prints the answer (JSON) or an
# error when none came in time.
viewer_ask() {
	: > "$OUT/viewer-$1"
	if wait_until "$3" [ -s "$OUT/viewer-$2.json" ]; then cat "$OUT/viewer-$2.json"
	else echo "{\"error\":\"the host viewer gave no answer to $1 within $3 s\"}"; fi
}
# A number, string or boolean of an answer: viewer_field JSON KEY.
viewer_field() { echo "$1" | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }
# within VALUE LIMIT: TRUE when the (decimal) VALUE is in [-LIMIT, LIMIT].
within() { awk -v v="$1" -v lim="$2" 'BEGIN { exit !(v != "" && v >= -lim && v <= lim) }'; }
