#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The local screen (issue 17) in the VM: the kernel's vkms (built out of
# tree by run.sh, loaded with its writeback connector) is the monitor.
# What the service puts on it is read back through GET
# /api/display/snapshot (vkms writes the composed screen into a buffer
# the service gives it, in the same atomic commit as the frame):
#   - the test pattern: every snapshot carries the barcode, its counter
#     advancing (I420 in memory: the copy path, counted);
#   - vivid's HDMI input: the service asks vivid for XRGB8888, which vkms's
#     plane scans out, so the screen shows the capture buffers themselves
#     (imported DMA-BUFs, 0 bytes copied) while x264 gets its I420 copy;
#     the picture moves; a resolution change is followed (a new mode);
#     NO SIGNAL is shown; the stream never waits for the screen.
# TAP on stdout.
. /mnt/host/scripts/lib-service.sh

insmod /mnt/host/modules/vkms.ko enable_writeback=1
vkms_up() { [ -e /dev/dri/card0 ]; }
check "vkms: its card registers" wait_until 10 vkms_up

# snapshot NAME: the screen as the service reads it back, into
# $OUT/NAME.http; prints ppm-barcode's line.
snapshot() {
	printf 'GET /api/display/snapshot HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' | timeout 15 nc 127.0.0.1 $PORT \
		> "$OUT/$1.http" 2>/dev/null
	"$BIN/ppm-barcode" "$OUT/$1.http"
}
display_is() { [ "$(obj_str display state)" = "$1" ]; }
counter_of() { echo "$1" | sed -n 's/.* counter \([0-9]*\) .*/\1/p'; }
sum_of() { echo "$1" | sed -n 's/.* sum \([0-9a-f]*\)$/\1/p'; }

# --probe lists the screens and says where the picture would go.
"$BIN/hdmirtc" --config '' --probe --display auto > "$OUT/kt-display-probe.txt" 2>&1
note "probe: $(sed -n '/^screens:/,$p' "$OUT/kt-display-probe.txt" | tr '\n' ' ')"
check "probe: vkms's card, its Virtual-1 connected with its first mode, and its writeback" \
	grep -q '^  /dev/dri/card0 (vkms): Virtual-1 connected, [0-9]*x[0-9]*@[0-9]* first of [0-9]* modes, Writeback-1 (writeback: snapshots)$' \
	"$OUT/kt-display-probe.txt"
check "probe: display auto would be Virtual-1, with snapshots" \
	grep -q '^display: Virtual-1 on /dev/dri/card0, with writeback (snapshots)$' "$OUT/kt-display-probe.txt"

# ------------------------------------------------------------------ the test pattern
start_service "$OUT/kt-display-pattern.log" --source test-pattern --display auto --fps 30
check "test pattern: the screen shows (state showing)" wait_until 30 display_is showing
note "display: $(status | sed 's/.*"display":{//' | cut -d'}' -f1)"
wb=$(status | grep -o '"writeback":[a-z]*' | cut -d: -f2)
check "status: connector Virtual-1 on /dev/dri/card0, writeback $wb" \
	sh -c "[ '$(obj_str display connector)' = Virtual-1 ] && [ '$(obj_str display device)' = /dev/dri/card0 ] &&
		[ '$wb' = true ]"
check "status: the 1280x720 mode of the picture's size, full screen" \
	sh -c "[ '$(obj_str display mode)' = 1280x720@60 ] && [ '$(obj_str display layout)' = 'full screen' ]"
prev=-1 rising=0 read=0
for i in 1 2 3 4; do
	line=$(snapshot pattern-$i)
	note "snapshot $i: $line"
	c=$(counter_of "$line")
	[ -n "$c" ] && read=$((read + 1))
	[ -n "$c" ] && [ "$c" -gt "$prev" ] && rising=$((rising + 1))
	prev=${c:-$prev}
	sleep 0.3
done
check "snapshots: 4 of 4 are 1280x720 with the barcode ($read read)" [ "$read" = 4 ]
check "snapshots: the counter advances from each to the next ($rising of 4)" [ "$rising" = 4 ]
flips=$(obj_int display flips) copied=$(obj_int display copied) zc=$(obj_int display zero_copy)
check "status: flips ($flips), the pattern's I420 copied ($copied), none zero-copy ($zc)" \
	[ "${flips:-0}" -gt 10 -a "${copied:-0}" -gt 10 -a "${zc:-1}" = 0 ]

# The monitor unplugged, then plugged in again: writing sysfs's status file
# forces vkms's connector off, then back to what it detects (drm_sysfs.c
# status_store probes it again, as a hotplug interrupt has vc4 do); the
# service reads that file while it shows.
CONN_STATUS=/sys/class/drm/card0-Virtual-1/status
unplugged() { display_is waiting && obj_str display error | grep -q 'Virtual-1 has no monitor connected'; }
echo off > $CONN_STATUS
wait_until 10 unplugged
check "unplugged ($(cat $CONN_STATUS)): the screen waits, with why ($(obj_str display error))" unplugged
line=$(snapshot unplugged)
check "unplugged: a snapshot answers 404 ($line)" sh -c "echo '$line' | grep -q ' 404 '"
check "unplugged: the stream goes on" frames_flow 2
echo detect > $CONN_STATUS
check "plugged in again: the screen shows ($(cat $CONN_STATUS))" wait_until 15 display_is showing
line=$(snapshot replugged)
check "plugged in again: the snapshot has the barcode ($line)" [ -n "$(counter_of "$line")" ]
stop_service "test pattern"

# ------------------------------------------------------------------ vivid
"$BIN/vivid-ctl" set "DV Timings Signal Mode" 0
"$BIN/vivid-ctl" menu "Horizontal Movement" "Move Right Fast"
want=$("$BIN/vivid-ctl" timings)
start_service "$OUT/kt-display-vivid.log" --source v4l2 --display auto
check "vivid: streaming" wait_until 90 signal_is streaming
check "vivid: the screen shows" wait_until 30 display_is showing
note "display: $(status | sed 's/.*"display":{//' | cut -d'}' -f1)"
check "vivid: captured as XRGB8888 for the screen ($(obj_str display frame_format))" \
	[ "$(obj_str display frame_format)" = XR24 ]
"$BIN/whep-load" --url "$URL/whep" --duration 60 --connect-timeout 60 > "$OUT/kt-display-whep.out" \
	2> "$OUT/kt-display-whep.log" &
WL=$!
check "vivid: a WebRTC viewer streams beside the screen" wait_until 90 grep -q 'ready streaming=1 failed=0' \
	"$OUT/kt-display-whep.out"
sleep 2
a=$(snapshot vivid-1); sleep 0.5; b=$(snapshot vivid-2)
note "snapshots: $a / $b"
check "snapshots: $want pictures that move ($(sum_of "$a") then $(sum_of "$b"))" \
	sh -c "[ '${a%% *}' = '$want' ] && [ '${b%% *}' = '$want' ] && [ -n '$(sum_of "$a")' ] && \
		[ '$(sum_of "$a")' != '$(sum_of "$b")' ]"
zc=$(obj_int display zero_copy) copied=$(obj_int display bytes_copied) imp=$(obj_int display imported_buffers)
check "zero copy: the screen shows the capture buffers ($zc frames, $imp DMA-BUFs imported, $copied bytes copied)" \
	[ "${zc:-0}" -gt 30 -a "${copied:-1}" = 0 -a "${imp:-0}" -ge 2 -a "${imp:-0}" -le 6 ]
check "the stream flows beside the screen" frames_flow 2
mean=$(obj_int display show_us_mean) max=$(obj_int display show_us_max)
check "status: the screen's time a frame on the media thread (mean $mean us, max $max us)" \
	[ "${mean:-0}" -gt 0 -a "${mean:-0}" -le "${max:-0}" ]

# 1920x1080: XRGB8888 buffers of 8.3 MB, which vivid's dma-contig cannot
# have without CMA (Debian's amd64 kernel has none): the service falls
# back to UYVY, which vkms cannot scan out, so the screen copies; back at
# the first size, the capture buffers are on screen again.
case $want in 1280x720) other=1920x1080 ;; *) other=1280x720 ;; esac
mode_is() { [ "$(obj_str display mode)" = "$1@60" ]; }
"$BIN/vivid-ctl" menu "DV Timings" "${other}p"
"$BIN/vivid-ctl" set "DV Timings Signal Mode" 4
check "resolution change: the screen's mode becomes $other" wait_until 30 mode_is "$other"
check "resolution change: streaming at $other" wait_until 30 signal_is streaming
sleep 1
c=$(snapshot vivid-3)
note "snapshot: $c; display: $(status | sed 's/.*"display":{//' | cut -d'}' -f1)"
check "resolution change: the snapshot is $other" [ "${c%% *}" = "$other" ]
check "resolution change: the capture's format now $(obj_str display frame_format) (XRGB8888 buffers refused)" \
	sh -c "grep -q 'no XR24 buffers' '$OUT/kt-display-vivid.log' && [ '$(obj_str display frame_format)' = UYVY ]"
"$BIN/vivid-ctl" menu "DV Timings" "${want}p"
check "resolution change back: the screen's mode is $want again" wait_until 30 mode_is "$want"
"$BIN/vivid-ctl" set "DV Timings Signal Mode" 0
check "resolution change back: streaming" wait_until 30 signal_is streaming
sleep 1
zc=$(obj_int display zero_copy) copied=$(obj_int display bytes_copied)
sleep 2
zc2=$(obj_int display zero_copy) copied2=$(obj_int display bytes_copied)
check "resolution change back: zero copy again ($zc -> $zc2 frames, copied bytes $copied -> $copied2)" \
	[ "${zc2:-0}" -gt "${zc:-0}" -a "${copied2:-1}" = "${copied:-0}" ]

"$BIN/vivid-ctl" set "DV Timings Signal Mode" 1
check "signal loss: status no-signal" wait_until 20 signal_is no-signal
c0=$(obj_int display copied)
sleep 2
c1=$(obj_int display copied)
check "signal loss: the screen shows the NO SIGNAL picture ($c0 -> $c1 copied)" [ "${c1:-0}" -gt "${c0:-0}" ]
"$BIN/vivid-ctl" set "DV Timings Signal Mode" 0
check "signal return: streaming" wait_until 30 signal_is streaming

whep_load_end $WL
wrc=$?
check "whep-load: every packet decrypted, the session streamed (exit $wrc)" [ $wrc = 0 ]
note "display at the end: $(status | sed 's/.*"display":{//' | cut -d'}' -f1)"
note "capture: $(obj_int source frames) frames, $(obj_int source frames_skipped) skipped"
stop_service "vivid"
"$BIN/vivid-ctl" menu "Horizontal Movement" "No Mov"

# ------------------------------------------------------------------ the stream with the screen off and on
# For bench/ (issue 17: the stream's latency and CPU unchanged with the
# screen on), when run.sh was asked for rounds: vivid at 1280x720p30 into
# x264 and one WebRTC viewer, the screen off then on, alternated, both
# captured as XRGB8888 (what vkms scans out: the screen is all that
# differs; with the screen off the service would otherwise take UYVY, and
# x264's conversion would read half the bytes).  Per window the service's
# CPU, its capture -> first packet sent median and its capture -> encoder
# in median (where the screen's work on the media thread would show if
# it came before the encoder: it comes after), and the screen's own time
# a frame (the display's show_us_mean, 0 with it off), one line each in
# $OUT/display-bench.txt: "off|on CPU_PCT SEND_US FORMAT ENCODER_IN_US SHOW_US".
ROUNDS=$(cat /mnt/host/kt-display-rounds 2>/dev/null || echo 0)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SVC/stat"; }
stage_median() { status | sed "s/.*\"$1\":{//" | grep -o '"median":[0-9]*' | head -1 | cut -d: -f2; }
bench_window() {       # off|on
	if [ "$1" = on ]; then
		start_service "$OUT/kt-display-bench.log" --source v4l2 --capture-format xrgb8888 --display auto
	else start_service "$OUT/kt-display-bench.log" --source v4l2 --capture-format xrgb8888; fi
	wait_until 90 signal_is streaming || { not_ok "bench $1: streaming"; stop_service "bench $1"; return; }
	"$BIN/whep-load" --url "$URL/whep" --duration 60 --connect-timeout 60 > /tmp/bench-whep.out 2>&1 &
	wl=$!
	wait_until 90 grep -q 'ready streaming=1' /tmp/bench-whep.out
	sleep 3
	t0=$(cpu_ticks); u0=$(cut -d' ' -f1 /proc/uptime)
	sleep 8
	t1=$(cpu_ticks); u1=$(cut -d' ' -f1 /proc/uptime)
	pct=$(echo "$t0 $t1 $u0 $u1" | awk '{printf "%.1f", ($2 - $1) / ($4 - $3)}')
	send=$(stage_median capture_to_first_send) enc=$(stage_median capture_to_encode_start)
	show=$(obj_int display show_us_mean)
	echo "$1 $pct $send $(str_field format) $enc ${show:-0}" >> "$OUT/display-bench.txt"
	note "bench $1: service ${pct} % of a core, capture -> first send median $send us, -> encoder in $enc us, the screen ${show:-0} us a frame, captured as $(str_field format), screen $(obj_str display state) ($(obj_int display zero_copy) frames zero-copy)"
	whep_load_end $wl
	stop_service "bench $1"
}
if [ "$ROUNDS" -gt 0 ] 2>/dev/null; then
	: > "$OUT/display-bench.txt"
	"$BIN/vivid-ctl" menu "DV Timings" "1280x720p30"
	"$BIN/vivid-ctl" set "DV Timings Signal Mode" 4
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		if [ $((i % 2)) = 0 ]; then bench_window off; bench_window on; else bench_window on; bench_window off; fi
		i=$((i + 1))
	done
	"$BIN/vivid-ctl" set "DV Timings Signal Mode" 0
	check "bench: $((ROUNDS * 2)) windows measured" [ "$(wc -l < "$OUT/display-bench.txt")" = $((ROUNDS * 2)) ]
	check "bench: every window captured as XRGB8888" [ "$(awk '$4 != "XR24"' "$OUT/display-bench.txt" | wc -l)" = 0 ]
fi

# ------------------------------------------------------------------ no such connector
start_service "$OUT/kt-display-absent.log" --source test-pattern --display HDMI-A-1
check "absent connector: the stream runs" wait_until 30 source_state_is streaming
check "absent connector: state waiting, why ($(obj_str display error))" \
	sh -c "[ '$(obj_str display state)' = waiting ] && [ -n '$(obj_str display error)' ]"
line=$(snapshot absent)
check "absent connector: a snapshot answers 404 ($line)" sh -c "echo '$line' | grep -q ' 404 '"
stop_service "absent connector"
rmmod vkms
check "vkms: unloads once the service is gone" sh -c "! grep -q '^vkms ' /proc/modules"
