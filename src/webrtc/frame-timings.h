/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Per-stage latency of the last frames on the server: capture -> encoder
 * in -> encoder out -> network thread -> first packet sent -> last packet
 * sent (to the last viewer), and per frame the sending after the encoder
 * (encoder out -> last packet sent).  For /api/status and the benchmarks.
 * Network thread. */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

#define HDMIRTC_FRAME_TIMINGS_WINDOW 512

typedef enum {
	HDMIRTC_STAGE_ENCODE_START,     /* capture -> encoder took the frame */
	HDMIRTC_STAGE_ENCODE_END,       /* capture -> encoder output */
	HDMIRTC_STAGE_NETWORK,          /* capture -> the network thread took it */
	HDMIRTC_STAGE_FIRST_SEND,       /* capture -> first packet handed to the socket */
	HDMIRTC_STAGE_LAST_SEND,        /* capture -> last packet of the frame sent */
	HDMIRTC_STAGE_COUNT
} HdmirtcStage;

typedef struct {
	gint64 us[HDMIRTC_STAGE_COUNT][HDMIRTC_FRAME_TIMINGS_WINDOW];
	guint viewers[HDMIRTC_FRAME_TIMINGS_WINDOW];      /* how many the frame went to */
	guint next;
	guint filled;
	guint64 frames;
	guint64 bytes_copied_before_send;   /* CPU copies from capture to packetizer */
} HdmirtcFrameTimings;

/* taken_us (the network thread took the frame), first_send_us and
 * last_send_us are monotonic times; the frame went to n_viewers. */
void hdmirtc_frame_timings_add(HdmirtcFrameTimings *t, const HdmirtcAccessUnit *au, gint64 taken_us,
                               gint64 first_send_us, gint64 last_send_us, guint n_viewers);
/* Adds "latency_us": {stage: {median, p95, p99, max}}, the same for
 * "encode_end_to_last_send_us", "frame_viewers": {min, max} (so that a
 * reader knows whether the window holds frames sent to other numbers of
 * viewers), frames counted and copies per frame. */
void hdmirtc_frame_timings_add_status(const HdmirtcFrameTimings *t, JsonBuilder *b);

G_END_DECLS
