#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# HDMI audio in the VM (issue 16): snd-aloop stands in for the TC358743's
# I2S card (sound/drivers/aloop.c: the capture side runs at the rate its
# playback side was opened with, and with pcm_notify=1 a playback side
# that changes rate stops the capture side, as a bridge's card does when
# the HDMI source changes rate).  aloop-clicks plays the tone with a click
# on each second of the wall clock into it; the service captures, encodes
# and sends it to the host's Chromium (tests/kernel/host-viewer.mjs: it
# hears the clicks and sets them against the frames' barcode clock) and to
# a WebRTC viewer in the guest (whep-load --audio), through the sound's
# loss and return and 48 <-> 44.1 kHz changes, while the video (the test
# pattern) goes on.  TAP on stdout.
. /mnt/host/scripts/lib-service.sh
. /mnt/host/scripts/lib-host-viewer.sh

PLAY=hw:CARD=Loopback,DEV=0
CAPTURE=hw:CARD=Loopback,DEV=1
ip link set lo up

audio_int() { obj_int audio "$1"; }
audio_str() { obj_str audio "$1"; }
# The peak of the last whole second, in dBFS; "null" when silent.
level() { status | sed 's/.*"audio":{//' | grep -o '"level_dbfs":[^,}]*' | head -1 | cut -d: -f2; }
loud() { l=$(level); [ "$l" != null ] && [ "${l%%.*}" -gt -12 ] 2>/dev/null; }
silent() { [ "$(level)" = null ]; }
rate_is() { [ "$(audio_int rate)" = "$1" ]; }
capturing() { [ "$(audio_str state)" = capturing ]; }
packets_grow() {
	p0=$(audio_int packets); sleep 2; p1=$(audio_int packets)
	[ "${p1:-0}" -ge $((${p0:-0} + 50)) ] 2>/dev/null
}
frames_grow() {
	f0=$(obj_int encoder frames); sleep 2; f1=$(obj_int encoder frames)
	[ "${f1:-0}" -ge $((${f0:-0} + 20)) ] 2>/dev/null
}

# The sound plays until the test takes it away (the source's loss).
"$BIN/aloop-clicks" $PLAY 48000 900 2> "$OUT/kt-audio-play1.log" &
FEED=$!
sleep 1
viewer_available && INTERFACES=lo,eth0
# shellcheck disable=SC2046
# 320x240 at 20 fps, 600 kbit/s: x264 under TCG would otherwise take most
# of the guest's two emulated cores (a Pi encodes in hardware), and the
# sound's thread, starved, would send late; and the host's Chromium, on
# the same two host cores as the emulator, slows the whole guest at times
# (at 640x360, frame gaps of 200-300 ms with no event in the service).
start_service "$OUT/kt-audio.log" --source test-pattern --width 320 --height 240 --fps 20 --bitrate 600 \
	--audio alsa --audio-device $CAPTURE $(viewer_service_args)
check "the service captures the card" wait_until 30 capturing
check "at the playback side's rate (48000)" rate_is 48000
check "the clicks are heard (peak over -12 dBFS)" wait_until 10 loud

# A WebRTC viewer in the guest, with sound, for the whole part.  It joins
# first: a joining viewer costs the guest a DTLS handshake and everyone an
# IDR, which under TCG once froze the host's Chromium in the window below
# that should hold only the sound's changes.
"$BIN/whep-load" --url "$URL/whep" --audio --duration 300 --connect-timeout 60 \
	> "$OUT/kt-audio-whep.out" 2> "$OUT/kt-audio-whep.log" &
WL=$!
check "a viewer with sound streams (whep-load --audio)" \
	wait_until 90 grep -q 'ready streaming=1 failed=0' "$OUT/kt-audio-whep.out"

# The host's Chromium: the page, unmuted, hears the clicks; the A/V offset
# is the click's capture -> heard time against the frames' capture ->
# presented time, both on the guest's clock (so the guest's clock being
# off the host's does not count), taken once Chromium's lip sync settled.
if viewer_available; then
	AV=$(viewer_ask open av 300)
	note "host chromium: $AV"
	feed_state="the service's level $(level) dBFS (overruns $(audio_int overruns), restarts $(audio_int restarts)), the feed $(kill -0 $FEED 2>/dev/null && echo running || echo gone) with $(grep -c '^write:' "$OUT/kt-audio-play1.log") write errors (underruns and the like)"
	note "meanwhile: $feed_state ($(head -c 300 "$OUT/kt-audio-play1.log" | tr '\n' ' '))"
	off=$(viewer_field "$AV" offset_ms)
	played() { [ "$(viewer_field "$AV" state)" = playing ] && [ "$(viewer_field "$AV" audio)" = true ] &&
		[ "$(viewer_field "$AV" audioPackets)" -gt 500 ] 2>/dev/null; }
	check "chromium on the host plays the VM's picture and sound ($(viewer_field "$AV" frames) frames, $(viewer_field "$AV" audioPackets) sound packets)" played
	if [ -z "$off" ]; then
		# Seen when the feed died (an EIO it did not take, now started
		# over in aloop-clicks): the page then heard silence until the
		# card's first rate change.  The line says what each side had; a
		# figure that could not be taken is a skip, not a pass.
		ok "chromium: the A/V offset is measured # SKIP no figure: the page counted $(viewer_field "$AV" clicks) clicks ($(viewer_field "$AV" error); playout delay reported: $(viewer_field "$AV" audioPlayoutMs); loudest sample of the last second $(viewer_field "$AV" audioPeak), a click is 0.5; jitter buffer $(viewer_field "$AV" audioJitterBufferMs) ms, samples accelerated away $(viewer_field "$AV" audioAccelerated), decelerated in $(viewer_field "$AV" audioDecelerated); $feed_state)"
	else
		# The bound (issue 16: within 40 ms) is a timing target under TCG
		# emulation, so it is bench's verdict (bench/lib/kernel.mjs): 5.3-24.7
		# ms in five runs, 43.6 and 68.9 ms in two more.  Here: the lip sync
		# settled (the video's delay moved under 5 ms in the measured
		# window, the last one when the offset never came inside
		# Chromium's 30 ms dead band) and the offset is within 250 ms,
		# which a sound stamped on another clock than the picture (a
		# wrong sender report) is not.
		moved=$(viewer_field "$AV" moved_ms)
		synced() { within "$moved" 5 && within "$off" 250; }
		check "chromium: lip sync settled, A/V offset ${off} ms (moved ${moved} ms; audio $(viewer_field "$AV" audio_ms), video $(viewer_field "$AV" video_ms) ms; $(viewer_field "$AV" clicks) clicks; bench judges the 40 ms bound)" \
			synced
	fi
else
	why=$(viewer_why_not)
	ok "chromium on the host plays the VM's picture and sound # SKIP $why"
	ok "chromium: the A/V offset is measured # SKIP $why"
fi

check "audio packets flow" packets_grow
# The window of the sound's changes, on the guest's wall clock (seconds:
# busybox's date has no finer): whep-load logs each frame gap of 200 ms
# or more with when it ended (in microseconds).
W0=$(date +%s)
sleep 6

# Loss: the source stops sending sound; the card goes on with silence.
T_LOSS=$(date +%s)
kill $FEED; wait $FEED
check "sound gone: silence is sent (level null)" wait_until 10 silent
check "sound gone: packets still flow" packets_grow
check "sound gone: video frames flow" frames_grow
viewer_available && SILENT=$(viewer_ask mark-silent silent 30)

# Return at another rate: the card is opened again at 44.1 kHz.
r0=$(audio_int restarts)
T_44=$(date +%s)
"$BIN/aloop-clicks" $PLAY 44100 10 2> "$OUT/kt-audio-play2.log" &
FEED=$!
check "44.1 kHz: the service follows the card's new rate" wait_until 15 rate_is 44100
check "44.1 kHz: opened again ($r0 -> $(audio_int restarts))" [ "$(audio_int restarts)" -gt "${r0:-0}" ]
check "44.1 kHz: the clicks are heard again" wait_until 10 loud
# The level starts its second again at each overrun (src/audio/level-meter.c).
note "44.1 kHz: level $(level) dBFS, overruns $(audio_int overruns) so far"
check "44.1 kHz: packets flow" packets_grow
check "44.1 kHz: video frames flow" frames_grow
wait $FEED
viewer_available && R44=$(viewer_ask mark-r44 r44 30)

T_48=$(date +%s)
"$BIN/aloop-clicks" $PLAY 48000 6 2> "$OUT/kt-audio-play3.log" &
FEED=$!
check "back to 48 kHz" wait_until 15 rate_is 48000
check "48 kHz again: the clicks are heard" wait_until 10 loud
wait $FEED
W1=$(date +%s)

# Chromium watched all along: the same session (no reconnection, no ICE
# restart), the picture went on without a freeze, and it heard the clicks
# again at 44.1 kHz.
if viewer_available; then
	END=$(viewer_ask end end 30)
	note "host chromium at the end: $END"
	f() { viewer_field "$1" "$2"; }
	same_session() { [ "$(f "$END" state)" = playing ] && [ "$(f "$END" pcState)" = connected ] &&
		[ "$(f "$END" connects)" = "$(f "$AV" connects)" ] && [ "$(f "$END" iceRestarts)" = "$(f "$AV" iceRestarts)" ]; }
	check "chromium: the same session through the sound's loss and rate changes (connects $(f "$AV" connects) -> $(f "$END" connects))" \
		same_session
	check "chromium: the picture went on ($(f "$AV" frames) -> $(f "$END" frames) frames)" \
		[ "$(f "$END" frames)" -gt $(($(f "$AV" frames) + 300)) ]
	check "chromium: no freeze meanwhile (freezeCount $(f "$AV" freezes) -> $(f "$END" freezes))" \
		[ "$(f "$END" freezes)" -eq "$(f "$AV" freezes)" ] 2>/dev/null
	check "chromium: the clicks heard again at 44.1 kHz (clicks $(f "$SILENT" clicks) -> $(f "$R44" clicks))" \
		[ "$(f "$R44" clicks)" -ge $(($(f "$SILENT" clicks) + 4)) ]
	along() { [ "$(f "$SILENT" audioPackets)" -gt "$(f "$AV" audioPackets)" ] &&
		[ "$(f "$END" audioPackets)" -gt "$(f "$SILENT" audioPackets)" ]; }
	check "chromium: sound packets all along ($(f "$AV" audioPackets) -> $(f "$SILENT" audioPackets) -> $(f "$END" audioPackets))" \
		along
else
	why=$(viewer_why_not)
	for what in "the same session through the sound's loss and rate changes" "the picture went on" \
		"no freeze meanwhile" "the clicks heard again at 44.1 kHz" "sound packets all along"; do
		ok "chromium: $what # SKIP $why"
	done
fi

whep_load_end $WL
wrc=$?
summary=$(tail -1 "$OUT/kt-audio-whep.out")
note "whep-load: $(echo "$summary" | cut -c1-600)"
check "whep-load: the session lasted, every packet decrypted (exit $wrc)" [ $wrc = 0 ]
# Every gap, placed against the window's events (seconds after its start:
# the sound lost, back at 44.1 kHz, back at 48 kHz, the window's end).
gaps=$(sed -n 's/.*no frame for \([0-9]*\) ms, until \([0-9]*\)$/\1 \2/p' "$OUT/kt-audio-whep.log")
placed=$(echo "$gaps" | awk -v w0="$W0" 'NF == 2 { printf "%d ms at %.1f s; ", $1, $2 / 1e6 - w0 }')
note "whep-load's frame gaps of 200 ms or more: ${placed:-none; }events at $((T_LOSS - W0)) s (sound lost), $((T_44 - W0)) s (44.1 kHz), $((T_48 - W0)) s (48 kHz), $((W1 - W0)) s (end)"
# The check's bound is twice what Chromium counts as a freeze here: under
# TCG the guest alone stalls for 200-320 ms at times, in or out of the
# window and with no event in the service's log, which a browser's jitter
# buffer mostly hides (the host's Chromium is judged above).
in_window=$(echo "$gaps" | awk -v a="$W0" -v b="$W1" '
	NF == 2 && $1 >= 400 && $2 / 1e6 >= a && ($2 / 1e3 - $1) / 1e3 <= b + 1 { n++ } END { print n + 0 }')
check "the picture went on through the sound's changes: no frame gap of 400 ms or more in the guest's viewer ($in_window)" \
	[ "$in_window" = 0 ]
apk=$(echo "$summary" | grep -o '"totals":{[^}]*' | grep -o '"audio_packets":[0-9]*' | cut -d: -f2)
fails=$(echo "$summary" | grep -o '"totals":{[^}]*' | grep -o '"audio_decrypt_failures":[0-9]*' | cut -d: -f2)
check "whep-load: audio packets received ($apk)" [ "${apk:-0}" -gt 1000 ] 2>/dev/null
check "whep-load: no audio decrypt failure ($fails)" [ "${fails:-1}" = 0 ]
# Each click, found in the decoded Opus and timed through the audio's
# sender reports, against the second it was played at (the clock the
# video's frames are stamped with): the sender's A/V offset (the sender
# takes the codec's 6.5 ms lookahead off the sound's stamps).
clicks=$(echo "$summary" | grep -o '"audio_click_offset_us":{[^}]*')
n=$(echo "$clicks" | grep -o '"count":[0-9]*' | cut -d: -f2)
med=$(echo "$clicks" | grep -o '"median":-\{0,1\}[0-9]*' | cut -d: -f2)
note "clicks on the sender's clock: $clicks"
clicks_ok() { [ "${n:-0}" -ge 10 ] 2>/dev/null && [ "${med#-}" -le 40000 ] 2>/dev/null; }
check "the clicks are stamped within 40 ms of their second (median ${med:-?} us over ${n:-0} clicks)" clicks_ok
note "audio: overruns $(audio_int overruns), restarts $(audio_int restarts), dropped $(audio_int dropped)"
stop_service "audio"
