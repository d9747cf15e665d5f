#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The hdmirtc binary itself in the VM, on vivid's HDMI input: status over
# HTTP (busybox nc: the static busybox's wget crashes), a WebRTC viewer inside the guest (whep-load: ICE,
# DTLS, SRTP on loopback) whose depacketized H.264 the host decodes with
# ffmpeg, signal loss and return while the viewer watches, the capture
# device removed and re-added 20 times under a viewer, and the fallback to
# the test pattern without any HDMI input.  TAP on stdout.
. /mnt/host/scripts/lib-service.sh

# ------------------------------------------------------------------ vivid, v4l2 source
ip link set lo up
"$BIN/vivid-ctl" set "DV Timings Signal Mode" 0
want=$("$BIN/vivid-ctl" timings)
note "vivid $("$BIN/vivid-ctl" node), timings $want"

start_service "$OUT/kt-service-v4l2.log" --source v4l2
check "service on vivid reports signal streaming" wait_until 90 signal_is streaming
desc=$(str_field description)
note "source: $desc; encoder $(status | grep -o '"encoder":{"name":"[^"]*"' | cut -d'"' -f6)"
case $desc in "v4l2 HDMI /dev/video"*) ok "source is the v4l2 HDMI input ($desc)" ;;
	*) not_ok "source is the v4l2 HDMI input (got \"$desc\")" ;; esac
got="$(obj_int timings width)x$(obj_int timings height)"
check "status timings are vivid's ($got = $want)" [ "$got" = "$want" ]

# A WebRTC viewer for the rest of the v4l2 part.
"$BIN/whep-load" --url "$URL/whep" --duration 25 --connect-timeout 60 \
	--dump "$OUT/service-webrtc.h264" > "$OUT/kt-service-whep.out" 2> "$OUT/kt-service-whep.log" &
WL=$!
check "whep-load streams from the service (ICE, DTLS, SRTP in the VM)" \
	wait_until 90 grep -q 'ready streaming=1 failed=0' "$OUT/kt-service-whep.out"

# Signal loss: NO SIGNAL picture, reason in the status, frames keep coming.
"$BIN/vivid-ctl" set "DV Timings Signal Mode" 1
check "signal loss: status says no-signal" wait_until 20 signal_is no-signal
reason=$(str_field signal_reason)
check "signal loss: status gives the reason ($reason)" [ -n "$reason" -a "$reason" != Streaming ]
f0=$(obj_int encoder frames)
sleep 4
f1=$(obj_int encoder frames)
check "signal loss: encoded frames keep flowing ($f0 -> $f1, the NO SIGNAL picture)" \
	[ "${f1:-0}" -ge $((${f0:-0} + 2)) ] 2>/dev/null
check "signal loss: the service is still running" alive

"$BIN/vivid-ctl" set "DV Timings Signal Mode" 0
check "signal return: status says streaming again" wait_until 30 signal_is streaming
rec=$(obj_int source last_recovery_us)
note "recovered in ${rec} us, restarts $(obj_int source restarts)"
check "signal return: recovery time in the status ($rec us)" [ "${rec:--1}" -gt 0 ] 2>/dev/null
f2=$(obj_int encoder frames)
sleep 3
check "signal return: frames flow ($f2 -> $(obj_int encoder frames))" [ "$(obj_int encoder frames)" -gt "${f2:-0}" ] 2>/dev/null
copied=$(status | grep -o '"bytes_copied_per_frame_before_send":[0-9]*' | cut -d: -f2)
note "bytes copied per frame before send: $copied (UYVY -> I420 for x264 + the AU copy)"

whep_load_end $WL
wrc=$?
note "whep-load: $(cut -c1-600 "$OUT/kt-service-whep.out" | tail -1)"
check "whep-load: every packet decrypted, session streamed (exit $wrc)" [ $wrc = 0 ]
frames=$(grep -o '"totals":{[^}]*' "$OUT/kt-service-whep.out" | grep -o '"frames":[0-9]*' | cut -d: -f2)
check "whep-load received frames across loss and return (${frames:-0})" [ "${frames:-0}" -ge 20 ]
check "service still running after the viewer left" alive

# A resolution change through the whole service (capture and encoder start
# again at the new size): vivid's selected timings, then back.
timings_are() { [ "$(obj_int timings width)x$(obj_int timings height)" = "$1" ]; }
case $want in 1280x720) other=1920x1080 ;; *) other=1280x720 ;; esac
"$BIN/vivid-ctl" menu "DV Timings" "${other}p"
"$BIN/vivid-ctl" set "DV Timings Signal Mode" 4
check "resolution change: status timings become $other" wait_until 30 timings_are "$other"
check "resolution change: streaming at the new size" wait_until 30 signal_is streaming
f3=$(obj_int encoder frames)
sleep 3
check "resolution change: frames flow ($f3 -> $(obj_int encoder frames))" \
	[ "$(obj_int encoder frames)" -gt "${f3:-0}" ] 2>/dev/null
# Back: select the old size, and once the service runs at it (it sets
# vivid's current timings to what it found), the current-timings mode.
"$BIN/vivid-ctl" menu "DV Timings" "${want}p"
check "resolution change back: status timings are $want again" wait_until 30 timings_are "$want"
"$BIN/vivid-ctl" set "DV Timings Signal Mode" 0
sleep 1
check "resolution change back: streaming" wait_until 30 signal_is streaming
check "resolution changes: the service is still running" alive

# PUT /api/edid reaches the receiver: vivid's EDID becomes what was sent.
edid_hex() {
	printf 'GET /api/edid HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' | nc -w 5 127.0.0.1 $PORT 2>/dev/null |
		grep -o '"hex":"[0-9a-f]*"' | cut -d'"' -f4
}
# A new product code (bytes 10-11) and block 0's checksum (byte 127) fixed.
with_product_1234() {
	b0=$(echo "$1" | cut -c1-20)3412$(echo "$1" | cut -c25-254)
	sum=0 i=1
	while [ $i -lt 254 ]; do
		sum=$((sum + 0x$(echo "$b0" | cut -c$i-$((i + 1)))))
		i=$((i + 2))
	done
	printf '%s%02x%s' "$b0" $(((256 - sum % 256) % 256)) "$(echo "$1" | cut -c257-)"
}
old_edid=$(edid_hex)
new_edid=$(with_product_1234 "$old_edid")
answer=$(printf 'PUT /api/edid HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s' \
	${#new_edid} "$new_edid" | nc -w 5 127.0.0.1 $PORT 2>/dev/null | head -1 | tr -d '\r')
note "PUT /api/edid: $answer"
check "PUT /api/edid answers 204" sh -c "echo '$answer' | grep -q ' 204 '"
vivid_edid_is_new() { [ "$("$BIN/vivid-ctl" edid)" = "$new_edid" ]; }
check "the new EDID is in vivid's receiver (VIDIOC_G_EDID)" wait_until 10 vivid_edid_is_new
check "the uploaded EDID is kept for the next start" [ "$(od -An -v -tx1 /tmp/edid.bin | tr -d ' \n')" = "$new_edid" ]
check "GET /api/edid shows the new EDID" [ "$(edid_hex)" = "$new_edid" ]
check "the EDID change leaves the service streaming" wait_until 30 signal_is streaming

# Many recoveries in one process (the capture source alone does 100 and
# 20 resolution changes in kt-v4l2; here the whole service, encoder and
# all, must stay up).
CYCLES=${KT_SERVICE_CYCLES:-10}
lost=0
for i in $(seq "$CYCLES"); do
	"$BIN/vivid-ctl" set "DV Timings Signal Mode" 1
	wait_until 20 signal_is no-signal || lost=$((lost + 1))
	"$BIN/vivid-ctl" set "DV Timings Signal Mode" 0
	wait_until 30 signal_is streaming || lost=$((lost + 1))
done
check "$CYCLES signal loss/return cycles: every one seen and recovered" [ $lost = 0 ]
check "$CYCLES signal loss/return cycles: the service is still running" alive
n=$(grep -c "recovered in [0-9]* ms" "$OUT/kt-service-v4l2.log")
check "every recovery is logged with its duration ($n lines)" [ "$n" -ge $((CYCLES + 1)) ]

# The capture device going away mid-stream and coming back (a USB bridge
# pulled and plugged in again, the driver unbound and bound): vivid's
# platform device unbound, so its nodes are unregistered under the open
# descriptors (ioctls answer ENODEV, poll says ERR|HUP), then bound again.
# Once, vivid is unloaded while the device is gone: only possible when the
# service has let go of every descriptor.  A viewer watches throughout.
DEV_CYCLES=${KT_SERVICE_DEVICE_CYCLES:-20}
VIVID_DRV=/sys/bus/platform/drivers/vivid
"$BIN/whep-load" --url "$URL/whep" --duration $((DEV_CYCLES * 3 + 20)) --connect-timeout 60 \
	> "$OUT/kt-service-devgone.out" 2> "$OUT/kt-service-devgone.log" &
WL=$!
wait_until 60 grep -q 'ready streaming=1 failed=0' "$OUT/kt-service-devgone.out" ||
	note "whep-load did not start: $(tail -2 "$OUT/kt-service-devgone.log" | tr '\n' ' ')"
gone=0 back=0 unloaded=no
before=$(grep -c "recovered in [0-9]* ms" "$OUT/kt-service-v4l2.log")
for i in $(seq "$DEV_CYCLES"); do
	echo vivid.0 > $VIVID_DRV/unbind
	wait_until 10 source_state_is waiting-device && gone=$((gone + 1))
	if [ "$i" = 1 ]; then
		reason=$(str_field signal_reason)
		note "device gone: source $(obj_str source state), signal $(str_field signal): $reason"
		check "device gone: the reason says so ($reason)" sh -c "echo '$reason' | grep -q 'is gone'"
		f0=$(obj_int encoder frames)
		sleep 2
		check "device gone: frames keep flowing ($f0 -> $(obj_int encoder frames), the NO SIGNAL picture)" \
			[ "$(obj_int encoder frames)" -ge $((${f0:-0} + 2)) ] 2>/dev/null
		rmmod vivid && unloaded=yes
		check "device gone: the service let go of it (rmmod vivid: $unloaded)" [ $unloaded = yes ]
		insmod /modules/vivid.ko $(cat /modules/vivid.args) || note "vivid could not be loaded again"
	else
		echo vivid.0 > $VIVID_DRV/bind
	fi
	wait_until 10 signal_is streaming && back=$((back + 1))
done
check "$DEV_CYCLES device removals: each one seen (waiting-device $gone times)" [ $gone = "$DEV_CYCLES" ]
check "$DEV_CYCLES device returns: streaming again each time ($back)" [ $back = "$DEV_CYCLES" ]
check "device removals: the service is still running" alive
times=$(grep -o "recovered in [0-9]* ms" "$OUT/kt-service-v4l2.log" | tail -n +$((before + 1)) | cut -d' ' -f3)
count=$(echo "$times" | grep -c .)
slowest=$(echo "$times" | sort -n | tail -1)
note "device returns: time from the node's return to the first frame (ms): $(echo $times)"
# For bench/ (bench/lib/kernel.mjs): one return per line, in microseconds.
for t in $times; do echo $((t * 1000)); done > "$OUT/recovery-device.txt"
check "device returns: every one logged with its time ($count of $DEV_CYCLES)" [ "$count" -ge "$DEV_CYCLES" ]
check "device returns: each streaming again in under 1 s (slowest ${slowest:-?} ms)" \
	[ "${slowest:-99999}" -lt 1000 ] 2>/dev/null
whep_load_end $WL
wrc=$?
note "whep-load: $(cut -c1-400 "$OUT/kt-service-devgone.out" | tail -1)"
check "the viewer stayed connected through the removals (whep-load exit $wrc)" [ $wrc = 0 ]
# At least one frame a second on average: the NO SIGNAL picture's rate
# while the device is gone (the VM's x264 manages a few a second).
frames=$(grep -o '"totals":{[^}]*' "$OUT/kt-service-devgone.out" | grep -o '"frames":[0-9]*' | cut -d: -f2)
ms=$(grep -o '"streaming_ms":[0-9]*' "$OUT/kt-service-devgone.out" | head -1 | cut -d: -f2)
check "the viewer got frames across the removals (${frames:-0} in ${ms:-?} ms)" \
	[ "${frames:-0}" -ge $((${ms:-999999} / 1000)) ] 2>/dev/null
stop_service "v4l2 source"
check "the log records the recovery with its duration" grep -q "recovered in [0-9]* ms" "$OUT/kt-service-v4l2.log"

# ------------------------------------------------------------------ no HDMI input
if rmmod vivid; then
	start_service "$OUT/kt-service-auto.log" --source auto
	check "without vivid: --source auto serves (status answers)" wait_until 60 signal_is none
	desc=$(str_field description)
	case $desc in "test pattern"*) ok "without vivid: the source is the test pattern ($desc)" ;;
		*) not_ok "without vivid: the source is the test pattern (got \"$desc\")" ;; esac
	check "without vivid: status reason says why ($(str_field signal_reason))" \
		[ "$(str_field signal_reason)" = "Not an HDMI input" ]
	check "without vivid: the log says so" grep -q "no HDMI bridge found: using the test pattern" \
		"$OUT/kt-service-auto.log"
	f0=$(obj_int encoder frames)
	sleep 2
	check "without vivid: frames flow ($f0 -> $(obj_int encoder frames))" [ "$(obj_int encoder frames)" -gt "${f0:-0}" ] 2>/dev/null
	stop_service "test pattern"

	# --source v4l2 without an input is a configuration error: exit, and say why.
	start_service "$OUT/kt-service-nodev.log" --source v4l2
	if wait_until 30 sh -c "! kill -0 $SVC 2>/dev/null"; then
		wait "$SVC"; rc=$?; SVC=
		check "without vivid: --source v4l2 exits non-zero (status $rc)" [ $rc != 0 ]
	else
		stop_service "no input"
		not_ok "without vivid: --source v4l2 exits non-zero (still running)"
	fi
	note "$(tail -2 "$OUT/kt-service-nodev.log" | tr '\n' ' ')"
	insmod /modules/vivid.ko $(cat /modules/vivid.args) || note "vivid could not be loaded again"
else
	not_ok "rmmod vivid (still in use?)"
fi
echo "1..$N"
