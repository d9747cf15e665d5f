#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A camera through libcamera in the VM (issue 17): the kernel's vimc driver
# (drivers/media/test-drivers/vimc, built out of tree by run.sh: a Bayer
# sensor, debayer and scaler subdevices and capture nodes in one media
# graph, the shape of a Pi's camera pipeline) and Debian's libcamera
# 0.0.3, whose vimc pipeline handler and IPA module drive it: Debian's own
# `cam` lists the camera and streams from it; the service streams it to a
# WebRTC viewer through x264, survives its driver unbound and bound again
# mid-stream, and hands its buffers to the M2M stand-in.  TAP on stdout.
. /mnt/host/scripts/lib-service.sh

# libcamera's IPA modules, their proxy and their configuration from the
# share (run.sh copies them), not from /usr.
export LIBCAMERA_IPA_MODULE_PATH=/mnt/host/libcamera/ipa
export LIBCAMERA_IPA_PROXY_PATH=/mnt/host/libcamera/ipa
export LIBCAMERA_IPA_CONFIG_PATH=/mnt/host/libcamera/conf
export LIBCAMERA_LOG_LEVELS=*:ERROR
CAMERA="platform/vimc.0 Sensor B"

vimc_registered() { grep -q '^VIMC MDEV$' /sys/bus/media/devices/media*/model 2>/dev/null; }

# udevd, as on a Pi: libudev lists a device with a node only once udevd
# has seen it, and libcamera hears of cameras coming and going through
# udevd's events (vimc's pipeline handler takes none: the service finds a
# vanished vimc camera by its silence).  Debian's, run as it is, with no
# rules.
mkdir -p /run/udev
"$BIN/systemd-udevd" --daemon --resolve-names=never 2> "$OUT/kt-libcamera-udevd.log"
udevd_settle() { "$BIN/udevadm" settle --timeout=20; }

insmod /mnt/host/modules/vimc.ko
check "vimc: its media device registers" wait_until 10 vimc_registered
udevd_settle

"$BIN/cam" --list > "$OUT/kt-libcamera-list.txt" 2>&1
note "cam --list: $(tr '\n' ' ' < "$OUT/kt-libcamera-list.txt" | cut -c1-300)"
check "libcamera lists the vimc camera ($CAMERA)" grep -q "($CAMERA)" "$OUT/kt-libcamera-list.txt"

# Ten frames through the pipeline handler: each printed with its sequence.
timeout 60 "$BIN/cam" --camera 1 --capture=10 > "$OUT/kt-libcamera-cam.txt" 2>&1
rc=$?
frames=$(grep -c 'seq: ' "$OUT/kt-libcamera-cam.txt")
note "cam --capture: $(grep 'seq: ' "$OUT/kt-libcamera-cam.txt" | tail -1 | cut -c1-200)"
check "libcamera streams from vimc: 10 frames (cam exit $rc, $frames frames)" [ "$rc" = 0 -a "$frames" -ge 10 ]

# The service on the camera, a WebRTC viewer watching; x264 here, so the
# camera's BGR888 buffers are converted to I420 (the one counted copy).
start_service "$OUT/kt-libcamera-service.log" --source libcamera --camera "$CAMERA" \
	--width 640 --height 480 --fps 15 --bitrate 1000
check "service: streams from the camera (source state streaming)" wait_until 60 source_state_is streaming
note "service: $(str_field description); $(grep -m1 'camera platform' "$OUT/kt-libcamera-service.log")"
# vimc's stream is RGB (BGR888): whatever colour space libcamera names,
# the conversion makes it BT.601 YUV of sRGB, and so it is tagged.
check "service: libcamera's colour space logged, the RGB stream sent as sRGB with BT.601's matrix (1/13/6)" \
	grep -q 'camera platform/vimc.0 Sensor B, [0-9]*x[0-9]* BG24, [0-9]* buffers, colour space .* (sent as 1/13/6)$' \
	"$OUT/kt-libcamera-service.log"
mode="$(obj_int timings width)x$(obj_int timings height)"
check "status: signal streaming, the camera's mode ($mode) and id ($(obj_str source device))" \
	sh -c "[ '$(str_field signal)' = streaming ] && [ '$mode' != 0x0 ] && [ '$(obj_str source device)' = '$CAMERA' ]"
"$BIN/whep-load" --url "$URL/whep" --duration 120 --connect-timeout 60 --dump "$OUT/camera-webrtc.h264" \
	> "$OUT/kt-libcamera-whep.out" 2> "$OUT/kt-libcamera-whep.log" &
WL=$!
check "service: a WebRTC viewer streams" wait_until 90 grep -q 'ready streaming=1 failed=0' "$OUT/kt-libcamera-whep.out"
check "service: encoded frames flow" frames_flow 3

# The camera's driver unbound mid-stream (a camera unplugged) and bound
# again: the service waits with the NO SIGNAL picture and comes back.
echo vimc.0 > /sys/bus/platform/drivers/vimc/unbind
check "camera gone: the source waits for it" wait_until 15 source_state_is waiting-device
check "camera gone: status says no-signal, and why ($(str_field signal_reason))" \
	sh -c "[ '$(str_field signal)' = no-signal ] && echo '$(str_field signal_reason)' | grep -q 'camera'"
check "camera gone: frames keep flowing (the NO SIGNAL picture)" frames_flow 2
echo vimc.0 > /sys/bus/platform/drivers/vimc/bind
wait_until 10 vimc_registered && udevd_settle
check "camera back: streaming again" wait_until 30 source_state_is streaming
check "camera back: encoded frames flow" frames_flow 3
rec=$(obj_int source last_recovery_us)
check "camera back: the recovery's time in the status (${rec:-?} us) and the log" \
	sh -c "[ '${rec:--1}' -gt 0 ] && grep -q 'recovered in [0-9]* ms' '$OUT/kt-libcamera-service.log'"
check "the service still runs" alive

whep_load_end $WL
wrc=$?
note "whep-load: $(cut -c1-400 "$OUT/kt-libcamera-whep.out" | tail -1)"
frames=$(grep -o '"totals":{[^}]*' "$OUT/kt-libcamera-whep.out" | grep -o '"frames":[0-9]*' | cut -d: -f2)
check "the viewer stayed connected and got frames throughout (exit $wrc, ${frames:-0} frames)" \
	[ "$wrc" = 0 -a "${frames:-0}" -ge 20 ]
stop_service "libcamera source"

# The same camera into the M2M encoder (the bcm2835-codec stand-in of
# tests/kernel/fakes): the camera's buffers imported as DMA-BUFs, so the
# only copy before sending is the coded frame's own (a raw 672x480 frame
# would be 322560 bytes or more).  672: the encoder reads lines of a
# multiple of 32 bytes, and libcamera does not yet take the stride from
# the service (issue 17's note), so the camera's own stride must be one.
insmod /mnt/host/modules/bcm2835-codec.ko colour_vui=0
start_service "$OUT/kt-libcamera-m2m.log" --source libcamera --camera "$CAMERA" --encoder m2m \
	--width 672 --height 480 --fps 15 --bitrate 1000
check "m2m: streams from the camera" wait_until 60 source_state_is streaming
check "m2m: the encoder is the M2M one ($(obj_str encoder name))" [ "$(obj_str encoder name)" = v4l2-m2m ]
check "m2m: encoded frames flow" frames_flow 3
copied=$(status | grep -o '"bytes_copied_per_frame_before_send":[0-9]*' | cut -d: -f2)
check "m2m: no frame copied between camera and encoder (${copied:-?} bytes a frame before send: the coded frame)" \
	[ "${copied:-999999}" -lt 100000 ] 2>/dev/null
stop_service "libcamera source into m2m"

# 640 asked, 636 given: lines of 1908 bytes, the encoder reads 1920.  The
# frames cannot be imported, so they are converted and copied (counted),
# not refused.
start_service "$OUT/kt-libcamera-m2m-copy.log" --source libcamera --camera "$CAMERA" --encoder m2m \
	--width 640 --height 480 --fps 15 --bitrate 1000
check "m2m, other stride: streams from the camera" wait_until 60 source_state_is streaming
check "m2m, other stride: encoded frames flow" frames_flow 3
copied=$(obj_int source bytes_copied)
check "m2m, other stride: the copy is counted (${copied:-0} bytes converted) and logged" \
	sh -c "[ '${copied:-0}' -gt 0 ] && grep -q 'the encoder reads 1920' '$OUT/kt-libcamera-m2m-copy.log'"
stop_service "libcamera source into m2m, copied"
rmmod bcm2835-codec

check "vimc unloads once nothing holds it" rmmod vimc
"$BIN/udevadm" control --exit
echo "1..$N"
