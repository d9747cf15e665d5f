#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The hdmirtc binary on the Raspberry Pi graphs, built from the stand-ins
# of tests/kernel/fakes (pi-capture: tc358743, rp1-cfe, unicam; and
# bcm2835-codec): Pi 5 with 2 and 4 lanes (x264), Pi 4 with the media
# controller and in legacy mode (bcm2835-codec, DMA-BUF import).  On each,
# a WebRTC viewer in the guest records what it gets (the host decodes it:
# tests/kernel/check-picture.c checks the barcode counters advance and the
# bars are not sheared, ffprobe the colour description), signal loss and
# return, a mode the lanes cannot carry, 720x400 and 1360x768 pictures, and
# `hdmirtc --probe`.  Each of the six defects of issue 11 has its check here
# (named "defect N").  TAP on stdout.
. /mnt/host/scripts/lib-service.sh

MOD=/mnt/host/modules
SRC=/sys/kernel/debug/hdmirtc-fake-tc358743
# The VM runs under TCG: the stand-in's frame rate is capped (a test-only
# setting of pi-fake-board, documented there).
FPS_CAP=${KT_PI_FPS:-15}
RECEIVER=
GRAPH=

load_graph() {       # NAME MODEL LANES CAM RECEIVER [board args...]
	GRAPH=$1; model=$2; lanes=$3; cam=$4; RECEIVER=$5; shift 5
	insmod $MOD/pi-fake-board.ko model=$model lanes=$lanes cam=$cam max_fps=$FPS_CAP "$@" &&
		insmod $MOD/$RECEIVER.ko &&
		insmod $MOD/tc358743-fake.ko initial_signal=ok initial_timings=1280x720@60
}

unload_graph() {
	rmmod "$RECEIVER" tc358743-fake pi-fake-board 2>/dev/null ||
		{ rmmod "$RECEIVER"; rmmod tc358743-fake; rmmod pi-fake-board; }
	[ -d $SRC ] && not_ok "$GRAPH: the stand-ins unload"
	return 0
}

# colour_vui=0: like the VPU, which gets none of the V4L2 colour fields,
# the stand-in writes no colour description; the service must add it.
codec_load() { insmod $MOD/bcm2835-codec.ko colour_vui=0; }
codec_unload() { rmmod bcm2835-codec 2>/dev/null; }

src_set() { echo "$2" > "$SRC/$1"; }
encoder_is() { [ "$(obj_str encoder name)" = "$1" ]; }
timings_are() { [ "$(obj_int timings width)x$(obj_int timings height)" = "$1" ]; }

# record NAME SECONDS: a WebRTC viewer, its H.264 to out/pi-NAME.h264.
# A few seconds are plenty: the host's check-picture wants 10 frames with
# the barcode, and the VM's x264 makes 8 (1080p) to 15 (720p) a second.
record() {
	"$BIN/whep-load" --url "$URL/whep" --duration "$2" --connect-timeout 60 \
		--dump "$OUT/pi-$1.h264" > "$OUT/kt-pi-$1-whep.out" 2> "$OUT/kt-pi-$1-whep.log" &
	WL=$!
}
record_done() {      # NAME [end]: end, the viewer's part is over (its duration a cap)
	if [ "${2:-}" = end ]; then whep_load_end $WL; else wait $WL; fi
	wrc=$?
	frames=$(grep -o '"totals":{[^}]*' "$OUT/kt-pi-$1-whep.out" | grep -o '"frames":[0-9]*' | cut -d: -f2)
	check "$1: a WebRTC viewer received ${frames:-0} frames (whep-load exit $wrc)" \
		[ $wrc = 0 -a "${frames:-0}" -ge 10 ]
}

probe() {            # EXPECTED_EXIT LABEL [hdmirtc args]
	want=$1 label=$2; shift 2
	"$BIN/hdmirtc" --config '' --probe "$@" > "$OUT/kt-pi-probe-$label.txt" 2>&1
	prc=$?
	reason=$(grep '^result: ' "$OUT/kt-pi-probe-$label.txt")
	check "probe $label: exit $want ($prc), $reason" [ "$prc" = "$want" ]
}
probe_says() { grep -q "$1" "$OUT/kt-pi-probe-$2.txt"; }

# A picture of WxH@HZ streams and is recorded (the host checks it).
picture() {          # NAME W H HZ
	src_set timings "$2x$3@$4"
	check "$1: status timings become $2x$3" wait_until 40 timings_are "$2x$3"
	check "$1: streaming at $2x$3" wait_until 40 signal_is streaming
	record "$1" 3
	record_done "$1"
}

# Loss and return with a viewer watching: NO SIGNAL reaches it (through the
# hardware encoder too: defect 6b), no restart.
loss_and_return() {  # NAME
	pid=$SVC
	record "$1-loss" 40
	sleep 3
	src_set signal nolink
	check "$1: signal loss: status says no-signal" wait_until 20 signal_is no-signal
	check "$1: signal loss: encoded frames keep flowing, the NO SIGNAL picture (defect 6b)" frames_flow 3
	src_set signal ok
	check "$1: signal return: streaming again" wait_until 30 signal_is streaming
	check "$1: signal return: frames flow" frames_flow 2
	check "$1: same process throughout" [ "$SVC" = "$pid" ] && alive
	record_done "$1-loss" end
	nos=$(grep -c "NO SIGNAL\|no-signal" "$OUT/kt-pi-$1.log")
	note "$1: $nos log lines about the loss"
}

# The VPU stops answering for a while (the stand-in's stall_ms fault):
# the media thread must not wait for it, so signal loss and return are
# still seen and handled; frames the encoder has no room for are dropped
# and counted, and frames flow again when it answers.
encoder_stall() {    # NAME
	stall=/sys/module/bcm2835_codec/parameters/stall_ms
	echo 8000 > $stall
	sleep 2
	src_set signal nolink
	check "$1: encoder stalled: signal loss still seen" wait_until 20 signal_is no-signal
	src_set signal ok
	check "$1: encoder stalled: signal return still seen" wait_until 30 signal_is streaming
	dropped=$(obj_int encoder frames_dropped)
	check "$1: encoder stalled: frames without room are dropped and counted ($dropped)" \
		[ "${dropped:-0}" -gt 0 ]
	check "$1: still running" alive
	echo 0 > $stall
	check "$1: frames flow again when the encoder answers" wait_until 30 frames_flow 2
	calls=$(obj_int encoder calls) slept=$(obj_int encoder calls_slept)
	note "$1: encoder calls and events on the media thread: $calls, longest $(obj_int encoder encode_call_max_us) us" \
		"(TCG: the VM's other threads take the vCPUs), with a queue (re)setup $(obj_int encoder reconfigure_max_us) us;" \
		"$(obj_int encoder calls_paged_in) paged code in from the share the first time it ran"
	# A figure, not a check: besides a wait for the device (none seen
	# in instrumented runs: no encoder ioctl slept), a call also sleeps
	# on a short lock hand-off to the network thread or a page fault.
	note "$1: of them $slept slept (a lock or a page fault; none is a wait for the encoder)"
	grep -q "no coded frame for" "$OUT/kt-pi-$1.log" && grep -q "answers again after" "$OUT/kt-pi-$1.log"
	check "$1: the log says when the encoder stopped and came back" [ $? = 0 ]
}

lanes_refused() {    # NAME: on a 2-lane board, 1080p60 cannot come
	src_set timings 1920x1080@60
	check "$1: 1920x1080@60 on 2 lanes: status out-of-range (defect 5)" wait_until 40 signal_is out-of-range
	reason=$(str_field signal_reason)
	note "$1: reason: $reason"
	case $reason in
	*"needs 3 CSI-2 lanes"*"1920x1080@50"*) ok "$1: the reason says what fits ($reason)" ;;
	*) not_ok "$1: the reason says what fits (got: $reason)" ;;
	esac
	check "$1: still running" alive
	src_set timings 1280x720@60
	check "$1: back to 1280x720: streaming" wait_until 40 signal_is streaming
}

# The HDMI audio the bridge reports (its audio controls, polled every
# second): the rate the service opens the bridge's sound card at.
audio_rate_is() { [ "$(obj_int source audio_rate)" = "$1" ]; }
hdmi_audio() {       # NAME
	src_set audio 44100
	check "$1: the source's HDMI audio rate is in the status (44100)" wait_until 10 audio_rate_is 44100
	check "$1: and present" [ "$(status | grep -o '"audio_present":[a-z]*' | head -1 | cut -d: -f2)" = true ]
	src_set audio none
	check "$1: no HDMI audio: rate 0" wait_until 10 audio_rate_is 0
}

# One graph, the whole way.  ENCODER: x264 or v4l2-m2m.
run_graph() {        # NAME ENCODER [hdmirtc args...]
	name=$1 want_enc=$2; shift 2
	start_service "$OUT/kt-pi-$name.log" --source v4l2 "$@"
	check "$name: the service streams" wait_until 90 signal_is streaming
	enc=$(obj_str encoder name)
	check "$name: encoder $want_enc ($enc)" [ "$enc" = "$want_enc" ]
	subdev=$(obj_str source subdev)
	note "$name: $(str_field description), subdev $subdev, bytesperline $(obj_int source bytesperline)"
	record "$name" 4
	record_done "$name"
	loss_and_return "$name"
	picture "$name-720x400" 720 400 85
	if [ "$want_enc" = v4l2-m2m ]; then
		bpl=$(obj_int source bytesperline)
		check "$name: 720x400 captured with the encoder's stride, 1440 rounded to 64 ($bpl) (defect 6a)" \
			[ "$bpl" = 1472 ]
	fi
	picture "$name-1360x768" 1360 768 60
	src_set timings 1280x720@60
	check "$name: back to 1280x720" wait_until 40 timings_are 1280x720
}

# The capture copies nothing more over 3 s (the encoder imports its buffers).
no_bytes_copied() {  # LABEL
	c0=$(obj_int source bytes_copied)
	sleep 3
	c1=$(obj_int source bytes_copied)
	check "$1, no more bytes copied ($c0 -> $c1)" [ "$c0" = "$c1" ]
}

# Which parts run: all, or those named in HDMIRTC_KT_PI_GRAPHS (run.sh
# puts it in the share), e.g. "pi4-mc pi4-legacy".
GRAPHS=$(cat /mnt/host/kt-pi-graphs 2>/dev/null || echo pi5-2lane pi5-4lane pi4-mc pi4-legacy no-link no-bridge)
want() { case " $GRAPHS " in *" $1 "*) return 0 ;; esac; return 1; }

ip link set lo up
[ -f $MOD/pi-fake-board.ko ] || { not_ok "the pi-capture stand-ins are in the share"; echo "1..$N"; exit 0; }

# ------------------------------------------------------------------ Pi 5, 2 lanes, CAM1
if want pi5-2lane; then
load_graph pi5-2lane pi5 2 1 rp1-cfe-fake
check "pi5-2lane: the bridge binds after rp1-cfe's csi2 (entity registered)" wait_until 20 test -d $SRC
probe 0 pi5-2lane
check "probe pi5-2lane: takes the tc358743, not csi2 (defect 1)" probe_says 'bridge: "tc358743 11-000f"' pi5-2lane
check "probe pi5-2lane: would enable csi2 -> csi2_ch0 (defect 2)" \
	probe_says '"csi2":4 -> "rp1-cfe-csi2_ch0":0 \[disabled: would enable\]' pi5-2lane
check "probe pi5-2lane: the encoder is x264 (no M2M H.264 encoder)" probe_says '^encoder: x264' pi5-2lane
run_graph pi5-2lane x264
hdmi_audio pi5-2lane
check "pi5-2lane: the link csi2 -> csi2_ch0 was enabled by the service (defect 2)" \
	grep -q 'link "csi2":4 -> "rp1-cfe-csi2_ch0":0 enabled' "$OUT/kt-pi-pi5-2lane.log"
lanes_refused pi5-2lane
src_set signal nolink
probe 6 pi5-2lane-nosignal
src_set signal ok
stop_service pi5-2lane
# The probe with the lanes named: the shortage is seen before streaming.
src_set timings 1920x1080@60
sleep 2
probe 5 pi5-2lane-lanes --csi-lanes 2
check "probe pi5-2lane-lanes: one line says what fits" probe_says '^result: lane shortage: .*1920x1080@50' pi5-2lane-lanes
unload_graph
fi

# ------------------------------------------------------------------ Pi 5, 4 lanes, CAM0
if want pi5-4lane; then
load_graph pi5-4lane pi5 4 0 rp1-cfe-fake
check "pi5-4lane: the bridge binds" wait_until 20 test -d $SRC
probe 0 pi5-4lane
check "probe pi5-4lane: the bridge on CAM0's bus" probe_says 'bridge: "tc358743 10-000f"' pi5-4lane
run_graph pi5-4lane x264
# What 2 lanes cannot carry, 4 can; beyond the bridge's range the status
# says so.
src_set timings 1920x1080@60
check "pi5-4lane: 1920x1080@60 streams on 4 lanes" wait_until 40 timings_are 1920x1080
check "pi5-4lane: streaming at 1920x1080" wait_until 40 signal_is streaming
record pi5-4lane-1080p60 4
record_done pi5-4lane-1080p60
src_set signal range
check "pi5-4lane: 3840x2160 is out of the bridge's range" wait_until 40 signal_is out-of-range
note "pi5-4lane: reason: $(str_field signal_reason)"
src_set signal ok
check "pi5-4lane: back in range: streaming" wait_until 40 signal_is streaming
stop_service pi5-4lane
unload_graph
fi

# ------------------------------------------------------------------ Pi 4, media controller
if want pi4-mc; then
load_graph pi4-mc pi4 2 1 unicam-fake media_controller=1
check "pi4-mc: the bridge binds" wait_until 20 test -d $SRC
# Started before the codec's node exists (as udev may do): x264 first,
# then the hardware encoder is picked up (defect 6c).
start_service "$OUT/kt-pi-pi4-mc.log" --source v4l2
check "pi4-mc: the service streams with x264 before the codec is there" wait_until 90 signal_is streaming
check "pi4-mc: encoder x264 at first" [ "$(obj_str encoder name)" = x264 ]
codec_load
check "pi4-mc: the hardware encoder that appeared is used (defect 6c)" wait_until 20 encoder_is v4l2-m2m
check "pi4-mc: streaming through bcm2835-codec" wait_until 40 signal_is streaming
no_bytes_copied "pi4-mc: DMA-BUF import"
# The codec's device goes away under the stream (its driver unbound): x264
# takes over with no restart, the service lets go of the codec (it can be
# unloaded), and the hardware encoder is used again once it is back.
echo bcm2835-codec > /sys/bus/platform/drivers/bcm2835-codec/unbind
check "pi4-mc: codec gone: x264 takes over" wait_until 20 encoder_is x264
check "pi4-mc: codec gone: frames flow" wait_until 30 frames_flow 2
check "pi4-mc: codec gone: the service let go of it (rmmod)" codec_unload
codec_load
check "pi4-mc: codec back: the hardware encoder is used again" wait_until 20 encoder_is v4l2-m2m
check "pi4-mc: codec back: frames flow" wait_until 30 frames_flow 2
check "pi4-mc: codec gone and back: streaming" signal_is streaming
stop_service pi4-mc-hotplug
# The EDID offered fits 2 lanes (defect 5).
start_service "$OUT/kt-pi-pi4-mc.log" --source v4l2 --csi-lanes 2
check "pi4-mc: the service streams" wait_until 90 signal_is streaming
check "pi4-mc: EDID prefers 1920x1080@50 on 2 lanes (defect 5)" \
	[ "$(obj_int edid preferred_refresh_mhz)" = 50000 ]
stop_service pi4-mc
probe 0 pi4-mc --csi-lanes 2
check "probe pi4-mc: the encoder's stride is shown" probe_says 'bytesperline 2560' pi4-mc
run_graph pi4-mc v4l2-m2m
encoder_stall pi4-mc
lanes_refused pi4-mc
stop_service pi4-mc
# capture-format: RGB24 is asked of the whole path (the bridge sends
# RGB888_1X24) and imported by the hardware encoder; XRGB8888, which no
# TC358743 sends, is refused with the reason in the status, x264 chosen
# (no M2M encoder takes it) and the service alive.
start_service "$OUT/kt-pi-pi4-mc-rgb24.log" --source v4l2 --csi-lanes 2 --capture-format rgb24
check "pi4-mc: capture-format rgb24 streams" wait_until 90 signal_is streaming
check "pi4-mc: capture-format rgb24: captured as $(str_field format), into $(obj_str encoder name)" \
	sh -c "[ '$(str_field format)' = BG24 ] && [ '$(obj_str encoder name)' = v4l2-m2m ]"
record pi4-mc-rgb24 4
record_done pi4-mc-rgb24
no_bytes_copied "pi4-mc: capture-format rgb24: DMA-BUF import"
# RGB888 takes 24 bits a pixel on the lanes (tc358743_num_csi_lanes_needed):
# on 2 lanes 1920x1080@50 no longer fits, @30 does.
check "pi4-mc: capture-format rgb24: the EDID prefers 1920x1080@30 on 2 lanes ($(obj_int edid preferred_refresh_mhz))" \
	[ "$(obj_int edid preferred_refresh_mhz)" = 30000 ]
src_set timings 1920x1080@50
check "pi4-mc: capture-format rgb24: 1920x1080@50 is out of range on 2 lanes" wait_until 40 signal_is out-of-range
reason=$(str_field signal_reason)
check "pi4-mc: capture-format rgb24: the reason says what fits ($reason)" \
	sh -c "echo '$reason' | grep -q 'needs 3 CSI-2 lanes.*1920x1080@30 or lower'"
src_set timings 1280x720@60
check "pi4-mc: capture-format rgb24: back to 1280x720: streaming" wait_until 40 signal_is streaming
stop_service pi4-mc-rgb24
probe 0 pi4-mc-rgb24 --csi-lanes 2 --capture-format rgb24
check "probe pi4-mc-rgb24: modes in RGB24, 1920x1080@50 does not fit" \
	probe_says '^modes (RGB24):.* 1920x1080@50 needs 3 lanes (does not fit)' pi4-mc-rgb24
start_service "$OUT/kt-pi-pi4-mc-xrgb.log" --source v4l2 --capture-format xrgb8888
check "pi4-mc: capture-format xrgb8888: out-of-range" wait_until 40 signal_is out-of-range
reason=$(str_field signal_reason)
check "pi4-mc: capture-format xrgb8888: the reason names the format ($reason)" \
	sh -c "echo '$reason' | grep -q 'no usable format (XR24) for 1280x720'"
check "pi4-mc: capture-format xrgb8888: encoder x264 ($(obj_str encoder name))" \
	[ "$(obj_str encoder name)" = x264 ]
check "pi4-mc: capture-format xrgb8888: still running" alive
stop_service pi4-mc-xrgb
unload_graph
fi

# ------------------------------------------------------------------ Pi 4, legacy (stock overlay)
if want pi4-legacy; then
load_graph pi4-legacy pi4 2 1 unicam-fake
# An older Pi kernel's encoder: SPS/PPS in a buffer of their own before
# the first frame (timestamp 0); the service must put them in front of it.
codec_unload
insmod $MOD/bcm2835-codec.ko colour_vui=0 headers_on_enable=1
check "pi4-legacy: the bridge binds" wait_until 20 test -d $SRC
probe 4 pi4-legacy
check "probe pi4-legacy: one line says the subdevice is read-only (defect 4)" \
	probe_says '^result: read-only subdevice' pi4-legacy
run_graph pi4-legacy v4l2-m2m
check "pi4-legacy: EDID and timings went through the video node (defect 4)" \
	grep -q 'is read-only (unicam without the media controller)' "$OUT/kt-pi-pi4-legacy.log"
lanes_refused pi4-legacy
stop_service pi4-legacy
unload_graph
fi

# ------------------------------------------------------------------ a bridge without a link
if want no-link; then
insmod $MOD/pi-fake-board.ko model=pi5 lanes=2 cam=1 && insmod $MOD/rp1-cfe-fake.ko fault_no_bridge_link=1 &&
	insmod $MOD/tc358743-fake.ko
RECEIVER=rp1-cfe-fake GRAPH=no-link
probe 3 no-link
check "probe no-link: one line says the bridge has no data link" probe_says '^result: .*has no data link' no-link
unload_graph
fi

# ------------------------------------------------------------------ no bridge
# rp1-cfe waiting for a bridge that never binds; vivid (an HDMI input the
# probe would take instead) out of the way for the moment.
if want no-bridge; then
rmmod vivid || not_ok "rmmod vivid for the no-bridge probe"
insmod $MOD/pi-fake-board.ko model=pi5 lanes=2 cam=1 && insmod $MOD/rp1-cfe-fake.ko
probe 2 no-bridge
check "probe no-bridge: one line says so" probe_says '^result: no HDMI bridge' no-bridge
rmmod rp1-cfe-fake; rmmod pi-fake-board
insmod /modules/vivid.ko $(cat /modules/vivid.args) || not_ok "vivid loaded again"
fi
codec_unload
echo "1..$N"
