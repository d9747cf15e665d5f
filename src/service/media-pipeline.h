/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The media thread: capture -> encoder, on a GMainContext of its own so a
 * DTLS handshake or an HTTP request never delays a frame.  Each encoded
 * access unit is handed to the network thread's context. */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/capture.h"
#include "hdmirtc/display.h"
#include "hdmirtc/encoder.h"
#include "media-handoff.h"

G_BEGIN_DECLS

typedef struct HdmirtcMediaPipeline HdmirtcMediaPipeline;

typedef struct {
	const char *source;             /* "auto" | "test-pattern" | "v4l2" | "libcamera" */
	const char *device;             /* V4L2 capture node; NULL/"" = find the bridge */
	const char *camera;             /* libcamera's camera id; NULL/"" = the first */
	const char *edid;               /* EDID file; NULL/"" = built-in */
	guint csi_lanes;                /* CSI-2 lanes of the board, 0 = device tree */
	guint32 capture_fourcc;         /* DRM fourcc asked of a V4L2 source; 0 = its usual choice */
	HdmirtcCaptureConfig capture;
	const char *encoder;            /* "auto" | "x264" | "m2m" */
	HdmirtcEncoderConfig encode;
	GMutex *output_lock;            /* the network thread's (network-lock.h), or NULL */
	const char *display;            /* DRM connector of a local screen, "auto"; NULL/"" = none */
} HdmirtcMediaPipelineConfig;

/* Opens the source and the encoder and starts the media thread.  output is
 * called on output_ctx (the network thread) with every access unit, borrowed
 * (ref it to keep it), through the bounded hand-off; or, with an output
 * lock, on the media thread whenever it gets that lock at once. */
HdmirtcMediaPipeline *hdmirtc_media_pipeline_new(const HdmirtcMediaPipelineConfig *config,
                                                 GMainContext *output_ctx,
                                                 HdmirtcHandoffAuFunc output, gpointer user_data,
                                                 GError **error);
/* Stops the thread and frees everything; no output call after it returns.
 * NULL-safe.  Call from the thread that made the pipeline. */
void hdmirtc_media_pipeline_free(HdmirtcMediaPipeline *p);

/* Any thread: while on, every captured frame is also made into a JPEG
 * picture handed to jpeg_output on the output context (borrowed). */
void hdmirtc_media_pipeline_set_jpeg(HdmirtcMediaPipeline *p, gboolean on,
                                     HdmirtcHandoffJpegFunc jpeg_output, gpointer user_data);

/* Network thread: validates an EDID and loads it into the HDMI receiver
 * (the old one stays on error). */
gboolean hdmirtc_media_pipeline_set_edid(HdmirtcMediaPipeline *p, const guint8 *data, gsize size,
                                         GError **error);
/* The current EDID: summary fields and "hex" (transfer full). */
JsonNode *hdmirtc_media_pipeline_get_edid(HdmirtcMediaPipeline *p);

/* Any thread: the sample rate of the HDMI audio the bridge reports
 * (TC358743), 0 when there is none or the source cannot tell. */
guint hdmirtc_media_pipeline_get_hdmi_audio_rate(HdmirtcMediaPipeline *p);
/* Any thread: the next encoded frame is an IDR with SPS and PPS. */
void hdmirtc_media_pipeline_request_keyframe(HdmirtcMediaPipeline *p);
/* Any thread: the target bitrate from the next frame on, for the encoder
 * in use and any that replaces it. */
void hdmirtc_media_pipeline_set_bitrate(HdmirtcMediaPipeline *p, guint32 kbps);
/* Source, encoder and screen figures for /api/status (network thread). */
void hdmirtc_media_pipeline_add_status(HdmirtcMediaPipeline *p, JsonBuilder *b);
/* The local screen, NULL when there is none (for its snapshots: any
 * thread, while the pipeline lives). */
HdmirtcDisplay *hdmirtc_media_pipeline_get_display(HdmirtcMediaPipeline *p);

G_END_DECLS
