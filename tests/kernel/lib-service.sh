# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by the kt-*.sh scripts that run the hdmirtc binary in the VM:
# TAP output, the status over HTTP (busybox nc: the static busybox's wget
# crashes), waiting, and starting/stopping the service.
BIN=/mnt/host/bin
OUT=/mnt/host/out
PORT=8080
URL=http://127.0.0.1:$PORT
N=0
SVC=

ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); echo "not ok $N - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
note() { echo "# $*"; }

status() {
	printf 'GET /api/status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' | nc -w 5 127.0.0.1 $PORT 2>/dev/null |
		sed -n '/^{/p'
}
# First "key":"string" or "key":number in the status (keys are unique
# enough in the source object: signal, signal_reason, description).
str_field() { status | grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
# A number inside an object of the status: obj_int OBJECT KEY.
obj_int() { status | sed "s/.*\"$1\":{//" | grep -o "\"$2\":-\{0,1\}[0-9]*" | head -1 | cut -d: -f2; }
# A string inside an object of the status: obj_str OBJECT KEY.
obj_str() { status | sed "s/.*\"$1\":{//" | grep -o "\"$2\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }

# wait_until SECONDS COMMAND...: TRUE once COMMAND succeeds.
wait_until() {
	t=$(($1 * 4)); shift
	while [ $t -gt 0 ]; do
		"$@" && return 0
		sleep 0.25
		t=$((t - 1))
	done
	return 1
}
signal_is() { [ "$(str_field signal)" = "$1" ]; }
source_state_is() { [ "$(obj_str source state)" = "$1" ]; }
frames_flow() {      # SECONDS: the encoder's output count grows
	f0=$(obj_int encoder frames); sleep "$1"; f1=$(obj_int encoder frames)
	[ "${f1:-0}" -gt "${f0:-0}" ] 2>/dev/null
}

# whep_load_end PID: a viewer started with --duration as a cap, ended once
# its part is over (SIGTERM: it closes and prints its summary, as at the
# end of its duration); its exit status.  Waiting out a generous cap
# instead had cost the suite a minute and a half.
whep_load_end() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}
alive() { [ -n "$SVC" ] && kill -0 "$SVC" 2>/dev/null; }

# The service logs into a pipe, as under systemd (journald), not straight
# into the 9p share: a write there sleeps until the host has it, and the
# media thread's checks count every sleep.
start_service() {
	log=$1; shift
	rm -f /tmp/hdmirtc-log.fifo; mkfifo /tmp/hdmirtc-log.fifo
	cat /tmp/hdmirtc-log.fifo > "$log" &
	"$BIN/hdmirtc" --config '' --no-stun --http-address 0.0.0.0 --http-port $PORT \
		--udp-ports 20000-20001 --certificate /tmp/x.pem --edid-store /tmp/edid.bin --interfaces "${INTERFACES:-lo}" \
		--no-tls --open-access --tls-certificate /tmp/https.pem --token-file /tmp/http-token \
		"$@" > /tmp/hdmirtc-log.fifo 2>&1 &
	SVC=$!
}

# SIGTERM, then up to 20 s for a clean exit; a hang is a failure (with
# where each thread sleeps), and is killed so that the test goes on.
stop_service() {
	[ -n "$SVC" ] || return 0
	kill -TERM "$SVC" 2>/dev/null
	if ! wait_until 20 sh -c "! kill -0 $SVC 2>/dev/null || grep -q '^State:.Z' /proc/$SVC/status"; then
		for t in /proc/$SVC/task/*; do
			note "hung thread $(cat $t/comm 2>/dev/null): wchan $(cat $t/wchan 2>/dev/null)"
		done
		kill -KILL "$SVC" 2>/dev/null
		wait "$SVC"
		rc=137
		SVC=
		not_ok "$1: the service exits within 20 s of SIGTERM"
		return 1
	fi
	wait "$SVC"
	rc=$?
	SVC=
	check "$1: the service exits 0 on SIGTERM (status $rc)" [ $rc = 0 ]
}
