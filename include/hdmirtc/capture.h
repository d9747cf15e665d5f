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

/* ------------------------------------------------------------------ EDID */
/* The EDID the bridge's HDMI receiver shows to the source.  Immutable once
 * made; any thread. */
#define HDMIRTC_EDID_BLOCK_SIZE 128
#define HDMIRTC_EDID_MAX_BLOCKS 8       /* TC358743 holds up to 8 blocks */

typedef struct HdmirtcEdid HdmirtcEdid;

typedef struct {
	char manufacturer[4];           /* three letters, NUL-terminated */
	guint16 product;
	char name[14];                  /* monitor name descriptor, "" if none */
	guint n_blocks;
	guint32 preferred_width;        /* first detailed timing, 0 if none */
	guint32 preferred_height;
	guint32 preferred_refresh_mhz;
} HdmirtcEdidInfo;

/* The built-in EDID: base block + CEA-861 extension advertising
 * 1920x1080@60 (preferred), 1920x1080@50, 1920x1080@30 and 1280x720@60,
 * HDMI vendor block, no audio.  Never fails. */
HdmirtcEdid *hdmirtc_edid_new_default(void);
/* Copies data after checking it (see hdmirtc_edid_validate).  NULL +
 * INVALID_CONFIG error naming the problem on bad data. */
HdmirtcEdid *hdmirtc_edid_new_from_data(const guint8 *data, gsize size, GError **error);
/* A raw binary EDID file (as written by `v4l2-ctl --get-edid format=raw`
 * or read from /sys/class/drm/.../edid).  Errors name the file. */
HdmirtcEdid *hdmirtc_edid_new_from_file(const char *path, GError **error);
/* NULL-safe. */
void hdmirtc_edid_free(HdmirtcEdid *edid);
/* Checks: non-empty, size a multiple of 128 and at most
 * HDMIRTC_EDID_MAX_BLOCKS blocks, the 8-byte header, every block's
 * checksum, and the base block's extension count.  origin names the data
 * in the message (NULL = "data"). */
gboolean hdmirtc_edid_validate(const guint8 *data, gsize size, const char *origin,
                               GError **error);
/* Borrowed; valid while edid lives. */
const guint8 *hdmirtc_edid_get_data(const HdmirtcEdid *edid, gsize *size);
const HdmirtcEdidInfo *hdmirtc_edid_get_info(const HdmirtcEdid *edid);
/* e.g. "HRT 0001 "hdmirtc", 2 block(s), preferred 1920x1080@60.00"; g_free. */
char *hdmirtc_edid_describe(const HdmirtcEdid *edid);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcEdid, hdmirtc_edid_free)

/* ------------------------------------------------------------------ HDMI signal */
/* Why an HDMI source is (not) streaming; from QUERY_DV_TIMINGS errors and
 * V4L2_CID_DV_RX_POWER_PRESENT. */
typedef enum {
	HDMIRTC_CAPTURE_SIGNAL_NONE,            /* not an HDMI source / not started */
	HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL,       /* no cable, source off (ENOLINK / no +5V) */
	HDMIRTC_CAPTURE_SIGNAL_NO_SYNC,         /* signal but the receiver cannot lock (ENOLCK) */
	HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE,    /* timings outside what we or the bridge take (ERANGE) */
	HDMIRTC_CAPTURE_SIGNAL_STREAMING,
} HdmirtcCaptureSignal;

const char *hdmirtc_capture_signal_to_string(HdmirtcCaptureSignal signal);
/* A one-line reason for viewers, e.g. "No signal: is the computer on and
 * the cable plugged in?".  Static string. */
const char *hdmirtc_capture_signal_to_reason(HdmirtcCaptureSignal signal);
/* From VIDIOC_QUERY_DV_TIMINGS's result: 0 -> STREAMING, ENOLINK ->
 * NO_SIGNAL, ENOLCK -> NO_SYNC, ERANGE -> OUT_OF_RANGE, anything else ->
 * NO_SYNC. */
HdmirtcCaptureSignal hdmirtc_capture_signal_from_errno(int err);

typedef struct {
	HdmirtcCaptureSignal signal;
	guint32 width;                  /* current DV timings, 0 without signal */
	guint32 height;
	guint32 refresh_mhz;
	guint32 fourcc;                 /* DRM fourcc of the V4L2 buffers */
	guint64 signal_changes;         /* SOURCE_CHANGE events + detected changes */
	guint64 restarts;               /* stop / reallocate / restart cycles */
	gint64 last_recovery_us;        /* signal back -> first frame, -1 if none yet */
	guint64 bytes_copied;           /* CPU copies of frame payload (I420 conversion) */
	char device[64];                /* capture video node */
	char subdev[64];                /* node with EDID/DV controls ("" = the video node) */
} HdmirtcCaptureSignalInfo;

/* Any thread.  Sources without HDMI fill signal = NONE and zeros. */
void hdmirtc_capture_get_signal_info(HdmirtcCapture *cap, HdmirtcCaptureSignalInfo *out);

/* Any thread: loads a copy of edid into the HDMI receiver, on the
 * capture's context (the source announces a hotplug to the computer).
 * FALSE for sources without an HDMI receiver (the test pattern). */
gboolean hdmirtc_capture_set_edid(HdmirtcCapture *cap, const HdmirtcEdid *edid);

/* ------------------------------------------------------------------ V4L2 HDMI bridge */
typedef struct {
	/* Capture video node; NULL or "" = find the TC358743 (or any
	 * MEDIA_ENT_F_VID_IF_BRIDGE entity) through the media controller. */
	const char *device;
	/* EDID to load; NULL = hdmirtc_edid_new_default().  Copied. */
	const HdmirtcEdid *edid;
	/* DRM fourcc to ask for; 0 = UYVY (DRM_FORMAT_UYVY), else RGB24
	 * (DRM_FORMAT_BGR888).  DRM_FORMAT_YUV420 is for test drivers. */
	guint32 fourcc;
	/* Deliver I420 for CPU encoders (x264): frames whose buffers are not
	 * I420 are converted into pool frames (a CPU copy, counted in
	 * bytes_copied; dmabuf_fd is then -1). */
	gboolean convert_to_i420;
	guint n_buffers;                /* V4L2 buffers, 0 = 4 */
	guint32 bytesperline_align;     /* 0 = 32 (what bcm2835-codec needs) */
} HdmirtcV4l2Config;

/* A V4L2 HDMI capture.  Opening checks only that the device exists and is a
 * video capture node: the signal is looked at on start, and a missing
 * signal is a state (NO_SIGNAL with a generated picture at 1 fps), not an
 * error.  cfg->fps caps the "NO SIGNAL" picture size (cfg->width x height).
 * Frames: V4L2 buffers exported as DMA-BUF (dmabuf_fd, owned by the
 * capture; dup() to keep it), data mapped read-only, capture time from the
 * buffer timestamp; the buffer is requeued at the last unref (on the
 * capture's context).  Errors: NO_DEVICE (no bridge found / cannot open),
 * INVALID_CONFIG. */
HdmirtcCapture *hdmirtc_capture_new_v4l2(const HdmirtcCaptureConfig *cfg,
                                         const HdmirtcV4l2Config *v4l2, GError **error);

/* Media controller search result: the bridge and its video node. */
typedef struct {
	char media_device[64];          /* /dev/mediaN */
	char driver[32];
	char bridge_entity[64];         /* e.g. "tc358743 10-000f" */
	char video_node[64];            /* capture /dev/videoN linked from the bridge */
	char subdev_node[64];           /* /dev/v4l-subdevN of the bridge, "" if none */
} HdmirtcBridgeInfo;

/* Looks through /dev/media* for an entity with function
 * MEDIA_ENT_F_VID_IF_BRIDGE or a name starting with "tc358743", and the
 * video capture node its source pad leads to.  If none, takes the first
 * video capture node whose current input is HDMI/DV-capable only when
 * allow_dv_fallback (e.g. vivid, legacy unicam without a media graph).
 * FALSE + NO_DEVICE when nothing fits. */
gboolean hdmirtc_capture_find_bridge(gboolean allow_dv_fallback, HdmirtcBridgeInfo *out,
                                     GError **error);

G_END_DECLS
