/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Video sources.  A capture delivers refcounted raw frames on the
 * GMainContext it was started on (the media thread's).  Sources: a synthetic
 * test pattern now; the V4L2 HDMI bridge and libcamera behind the same
 * interface later.
 *
 * Threads: every function except hdmirtc_capture_get_status() must be
 * called on the thread that owns the context given to
 * hdmirtc_capture_start() (or before start).  get_status() and
 * describe() may be called from any thread.  Frames may be unreffed on
 * any thread. */
#pragma once

#include <glib.h>

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

#define HDMIRTC_CAPTURE_ERROR (hdmirtc_capture_error_quark())
GQuark hdmirtc_capture_error_quark(void);

/* Causes, after uStreamer's list (src/libs/errors.h). */
typedef enum {
	HDMIRTC_CAPTURE_ERROR_NO_DEVICE,
	HDMIRTC_CAPTURE_ERROR_NO_CABLE,
	HDMIRTC_CAPTURE_ERROR_NO_SIGNAL,
	HDMIRTC_CAPTURE_ERROR_NO_SYNC,
	HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
	HDMIRTC_CAPTURE_ERROR_BUSY,             /* already started */
	HDMIRTC_CAPTURE_ERROR_FAILED,
} HdmirtcCaptureError;

typedef enum {
	HDMIRTC_CAPTURE_STATE_CLOSED,
	HDMIRTC_CAPTURE_STATE_WAITING_DEVICE,
	HDMIRTC_CAPTURE_STATE_NO_SIGNAL,
	HDMIRTC_CAPTURE_STATE_STREAMING,
	HDMIRTC_CAPTURE_STATE_ERROR,
} HdmirtcCaptureState;

typedef struct {
	guint32 width;
	guint32 height;
	guint32 fps;            /* frames per second, 1..240 */
} HdmirtcCaptureConfig;

typedef struct {
	HdmirtcCaptureState state;
	guint64 frames_produced;        /* delivered to on_frame */
	guint64 frames_skipped;         /* frame slots missed because we were late */
	guint64 frames_no_buffer;       /* slots dropped: every buffer still referenced */
	guint buffers_allocated;        /* pool size so far (grows lazily to a fixed max) */
} HdmirtcCaptureStatus;

typedef struct HdmirtcCapture HdmirtcCapture;

/* Called on the capture's context for each new frame.  frame is borrowed:
 * take a reference (hdmirtc_frame_ref) to keep it past the call.  Frames
 * come from a small pool; keeping all of them makes the source drop
 * frames. */
typedef void (*HdmirtcCaptureFrameFunc)(HdmirtcCapture *cap, HdmirtcFrame *frame,
                                        gpointer user_data);

const char *hdmirtc_capture_state_to_string(HdmirtcCaptureState state);

/* A synthetic source: I420 (DRM_FORMAT_YUV420) frames with colour bars, a
 * moving box, a moving gradient, a noise area, and the barcode of
 * hdmirtc/barcode.h at the top carrying seq and the capture times.
 * width must be a multiple of 16 and >= 320, height even and at least the
 * barcode rows + 64.  seq is the frame slot since start, so skipped and
 * dropped frames show as gaps.  Returns NULL and sets error
 * (INVALID_CONFIG) on a bad config.  Free with hdmirtc_capture_free(). */
HdmirtcCapture *hdmirtc_capture_new_test_pattern(const HdmirtcCaptureConfig *cfg,
                                                 GError **error);

/* Starts delivering frames on ctx (NULL = the global default context) at
 * the configured rate; the timer is scheduled from the start time, so it
 * does not drift, and late slots are skipped and counted.  Fails with BUSY
 * if already started. */
gboolean hdmirtc_capture_start(HdmirtcCapture *cap, GMainContext *ctx,
                               HdmirtcCaptureFrameFunc on_frame, gpointer user_data,
                               GError **error);
/* Stops delivery; frames still referenced stay valid.  NULL-safe; no-op
 * when not started. */
void hdmirtc_capture_stop(HdmirtcCapture *cap);
/* Stops and frees.  NULL-safe.  Frames still referenced stay valid until
 * their last unref. */
void hdmirtc_capture_free(HdmirtcCapture *cap);

/* e.g. "test pattern 1280x720@30"; owned by cap. */
const char *hdmirtc_capture_describe(HdmirtcCapture *cap);
void hdmirtc_capture_get_status(HdmirtcCapture *cap, HdmirtcCaptureStatus *out);
HdmirtcCaptureState hdmirtc_capture_get_state(HdmirtcCapture *cap);

G_END_DECLS
