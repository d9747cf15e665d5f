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
	HDMIRTC_CAPTURE_ERROR_NO_PATH,          /* a bridge, but no data link to a capture node */
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
/* Before start: tap is called on the capture's context with every frame
 * as the source has it, not converted for the encoder (the local display
 * shows these: a DMA-BUF it can scan out where the encoder gets a copy),
 * after on_frame had what the encoder takes, so that the tap never delays
 * the encoder.  frame is borrowed.
 * frame NULL: the source's buffers are about to go (a restart, a new
 * size): give back every frame kept, and forget their buffers. */
void hdmirtc_capture_set_tap(HdmirtcCapture *cap, HdmirtcCaptureFrameFunc tap, gpointer user_data);
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
	/* A CEA-861 extension claims basic audio: without it an HDMI source
	 * sends no sound. */
	gboolean audio;
} HdmirtcEdidInfo;

/* ------------------------------------------------------------------ CSI-2 link */
/* A video mode the EDID may offer: CEA-861 timings by VIC. */
typedef struct {
	guint8 vic;
	guint16 width;
	guint16 height;
	guint8 fps;
	guint32 pixel_khz;
	guint16 hblank, hfront, hsync;
	guint16 vblank, vfront, vsync;
} HdmirtcVideoMode;

/* What the bridge's CSI-2 link carries.  The TC358743 sends UYVY at 16
 * bits per pixel (RGB888 at 24) over lanes of 2 x link frequency bits per
 * second each, and a mode needs ceil(w * h * fps * bits / lane rate) lanes
 * (tc358743_num_csi_lanes_needed); more than the device tree grants and
 * the receiver refuses to stream (EINVAL at STREAMON). */
typedef struct {
	guint lanes;                    /* granted by the device tree, 0 = unknown */
	guint64 link_frequency_hz;      /* 0 = unknown */
	char lanes_from[48];            /* "device tree", "configuration", "" */
	char frequency_from[48];        /* "V4L2_CID_LINK_FREQ", "device tree", "assumed" */
	guint bits_per_pixel;           /* of the format asked for: hdmirtc_csi_bits_for(); 0 = 16 */
} HdmirtcCsiLink;

/* Modes hdmirtc offers, best first: 1920x1080@60/50/30/25/24, 1280x720@60/50. */
const HdmirtcVideoMode *hdmirtc_video_modes(guint *n);
/* Lane rate in Mbit/s, 0 when the frequency is unknown. */
guint hdmirtc_csi_lane_mbps(const HdmirtcCsiLink *link);
/* Bits per pixel on the link for frames of drm_fourcc: 24 for RGB24
 * (RGB888_1X24), 16 for UYVY and anything the bridge does not send. */
guint hdmirtc_csi_bits_for(guint32 drm_fourcc);
/* Lanes w x h at fps needs in the link's format; 0 if the rate is unknown. */
guint hdmirtc_csi_lanes_needed(const HdmirtcCsiLink *link, guint w, guint h, guint fps);
/* Does mode fit in the link's format?  TRUE when the lanes or the rate are
 * unknown. */
gboolean hdmirtc_csi_mode_fits(const HdmirtcCsiLink *link, const HdmirtcVideoMode *mode);
/* The best built-in mode that fits (never NULL: 720p fits one lane). */
const HdmirtcVideoMode *hdmirtc_csi_best_mode(const HdmirtcCsiLink *link);
/* One line for a viewer: e.g. "1920x1080@60 needs 3 CSI-2 lanes at 972
 * Mbit/s and this board has 2: set the computer to 1920x1080@50 or
 * lower".  g_free. */
char *hdmirtc_csi_advice(const HdmirtcCsiLink *link, guint w, guint h, guint fps);
/* The lanes and link frequency of the bridge whose subdev node is subdev
 * ("" for none) and whose controls are on ctrl_fd: lanes from
 * config_lanes if non-zero, else the bridge's device-tree endpoint
 * (data-lanes, link-frequencies: /sys/class/video4linux/<node>/device/
 * of_node/port/endpoint); frequency from V4L2_CID_LINK_FREQ, the device
 * tree, or else the 486 MHz of hdmirtc's and the Raspberry Pi kernel's
 * tc358743 overlays ("assumed"). */
void hdmirtc_csi_link_read(const char *subdev, int ctrl_fd, guint config_lanes, HdmirtcCsiLink *out);

/* The built-in EDID: base block + CEA-861 extension advertising
 * 1920x1080@60 (preferred), 1920x1080@50, 1920x1080@30 and 1280x720@60,
 * basic audio with stereo LPCM at 32/44.1/48 kHz, HDMI vendor block.
 * Never fails. */
HdmirtcEdid *hdmirtc_edid_new_default(void);
/* The built-in EDID cut to what link carries: only modes that fit, the
 * best of them preferred (2 lanes at 972 Mbit/s: 1920x1080@50).  The
 * default when the lanes are unknown. */
HdmirtcEdid *hdmirtc_edid_new_for_link(const HdmirtcCsiLink *link);
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
	/* One line for viewers: why there is no picture and what to do
	 * (hdmirtc_capture_signal_to_reason() or something more precise,
	 * e.g. what the CSI-2 lanes carry). */
	char reason[192];
	HdmirtcCsiLink link;
	guint32 bytesperline;           /* of the capture buffers, 0 when not streaming */
	/* The HDMI audio the bridge passes on (TC358743: its I2S card), read
	 * every second: the source's sample rate (0 = none or unknown). */
	guint32 audio_rate;
	gboolean audio_present;
} HdmirtcCaptureSignalInfo;

/* Any thread.  Sources without HDMI fill signal = NONE and zeros. */
void hdmirtc_capture_get_signal_info(HdmirtcCapture *cap, HdmirtcCaptureSignalInfo *out);

/* Any thread: loads a copy of edid into the HDMI receiver, on the
 * capture's context (the source announces a hotplug to the computer).
 * FALSE for sources without an HDMI receiver (the test pattern). */
gboolean hdmirtc_capture_set_edid(HdmirtcCapture *cap, const HdmirtcEdid *edid);

/* ------------------------------------------------------------------ V4L2 HDMI bridge */
/* The bytesperline a consumer of the frames needs for drm_fourcc at
 * width x height (the M2M encoder imports the capture buffers as they are:
 * bcm2835-codec rounds a UYVY line up to 64 bytes), 0 for no constraint.
 * Called on the capture's context before buffers are allocated. */
typedef guint32 (*HdmirtcCaptureStrideFunc)(guint32 drm_fourcc, guint32 width, guint32 height,
                                            gpointer user_data);

typedef struct {
	/* Capture video node; NULL or "" = find the TC358743 (or any
	 * MEDIA_ENT_F_VID_IF_BRIDGE entity) through the media controller. */
	const char *device;
	/* EDID to load; NULL = hdmirtc_edid_new_for_link() of the link found.
	 * Copied. */
	const HdmirtcEdid *edid;
	/* CSI-2 data lanes of the board, 0 = read the device tree. */
	guint csi_lanes;
	HdmirtcCaptureStrideFunc stride_func;   /* NULL = none */
	gpointer stride_data;
	/* DRM fourcc to ask for; 0 = UYVY (DRM_FORMAT_UYVY), else RGB24
	 * (DRM_FORMAT_BGR888).  DRM_FORMAT_YUV420 is for test drivers. */
	guint32 fourcc;
	/* With fourcc 0: tried first, where the device has it (the local
	 * display's plane format, so that it scans the buffers out as they
	 * are: UYVY, BGR888 or XRGB8888); 0 = none. */
	guint32 prefer_fourcc;
	/* Deliver I420 for CPU encoders (x264): frames whose buffers are not
	 * I420 are converted into pool frames (a CPU copy, counted in
	 * bytes_copied; dmabuf_fd is then -1). */
	gboolean convert_to_i420;
	guint n_buffers;                /* V4L2 buffers, 0 = HDMIRTC_V4L2_DEFAULT_BUFFERS */
	guint32 bytesperline_align;     /* 0 = 32 (what bcm2835-codec needs) */
} HdmirtcV4l2Config;

/* The V4L2 buffers a source takes unless told otherwise. */
#define HDMIRTC_V4L2_DEFAULT_BUFFERS 4

/* ------------------------------------------------------------------ libcamera */
typedef struct {
	const char *camera_id;          /* as libcamera names it; NULL or "": the first camera */
	gboolean convert_to_i420;       /* for a CPU encoder: I420 in memory */
	/* The encoder's line length for the camera's format (as for V4L2):
	 * a camera whose own lines differ cannot be imported, so its frames
	 * are converted to I420 and copied by the encoder (counted, logged). */
	HdmirtcCaptureStrideFunc stride_func;   /* NULL = none */
	gpointer stride_data;
} HdmirtcLibcameraConfig;

/* A camera through libcamera (a camera module behind a Pi's ISP, a USB
 * webcam, vimc): one video stream of about cfg's size and rate in the
 * first of I420, NV12, UYVY, YUYV, BGR888 the camera offers, its buffers
 * delivered as they are (DMA-BUF and mapped) or converted to I420.  A
 * camera that is not there at start or goes away is waited for (state
 * waiting-device, the NO SIGNAL picture) and opened again when it is
 * back.  Only a bad cfg fails here; start fails on a camera that cannot
 * give a usable stream. */
HdmirtcCapture *hdmirtc_capture_new_libcamera(const HdmirtcCaptureConfig *cfg,
                                              const HdmirtcLibcameraConfig *lc, GError **error);

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

/* ------------------------------------------------------------------ media graph */
#define HDMIRTC_MEDIA_MAX_HOPS 4
#define HDMIRTC_MEDIA_MAX_LINKS 16

/* An entity on the data path from the bridge to the capture node. */
typedef struct {
	guint32 entity;                 /* media entity id */
	char name[64];
	guint32 function;               /* MEDIA_ENT_F_* */
	guint32 sink_pad;               /* pad index where the data enters (not for the bridge) */
	guint32 source_pad;             /* pad index where it leaves */
	char subdev[64];                /* /dev/v4l-subdevN, "" if none */
} HdmirtcMediaHop;

/* A data link, as MEDIA_IOC_SETUP_LINK names it. */
typedef struct {
	guint32 source_entity;
	guint32 source_pad;             /* pad index */
	guint32 sink_entity;
	guint32 sink_pad;
	guint32 flags;                  /* MEDIA_LNK_FL_* as found */
	char description[128];          /* '"csi2":4 -> "rp1-cfe-csi2_ch0":0' */
} HdmirtcMediaLink;

/* A copy of the EDID the HDMI receiver holds (hdmirtc_edid_free), NULL
 * for sources without one.  Any thread. */
HdmirtcEdid *hdmirtc_capture_dup_edid(HdmirtcCapture *cap);
/* Capture context: stop, ask for formats and strides again, restart (the
 * consumer of the frames changed).  No-op for sources without buffers. */
void hdmirtc_capture_reconfigure(HdmirtcCapture *cap);

/* Any thread: start or stop converting frames to I420 in memory (for a
 * CPU encoder; see HdmirtcV4l2Config.convert_to_i420).  No-op for the
 * test pattern (I420 already). */
void hdmirtc_capture_set_convert_to_i420(HdmirtcCapture *cap, gboolean on);

/* Media controller search result: the bridge, the path its data takes to
 * a capture node, and what must change for that path to stream. */
typedef struct {
	char media_device[64];          /* /dev/mediaN, "" for a node found without a graph */
	char driver[32];                /* of the media device: "rp1-cfe", "unicam", ... */
	char model[32];
	char bridge_entity[64];         /* e.g. "tc358743 10-000f" */
	char bridge_reason[160];        /* why this entity was taken as the bridge */
	char video_node[64];            /* capture /dev/videoN at the end of the path */
	char video_entity[64];          /* its entity name, e.g. "rp1-cfe-csi2_ch0" */
	char subdev_node[64];           /* /dev/v4l-subdevN of the bridge, "" if none */
	guint n_hops;                   /* hops[0] is the bridge; the last one links to the video node */
	HdmirtcMediaHop hops[HDMIRTC_MEDIA_MAX_HOPS];
	guint n_links;                  /* the path: hops[i] -> hops[i+1], then -> video node */
	HdmirtcMediaLink links[HDMIRTC_MEDIA_MAX_HOPS];
	/* Enabled, mutable links leaving a path entity's source pads to
	 * somewhere else (left by libcamera, say): they keep rp1-cfe from
	 * starting the bridge, so they are disabled. */
	guint n_conflicts;
	HdmirtcMediaLink conflicts[HDMIRTC_MEDIA_MAX_LINKS];
} HdmirtcBridgeInfo;

/* Looks through /dev/media* for the HDMI bridge: an entity named after its
 * driver ("tc358743 <bus>-<addr>"), or else a video-interface bridge or
 * DV decoder with no sink pad (a receiver such as rp1-cfe's "csi2" has
 * sink pads and is never taken), and the shortest data path from its
 * source pad to a video capture node, whatever the links' state.  If none,
 * takes the first video capture node whose current input is DV-capable
 * only when allow_dv_fallback (vivid, a board without a media graph).
 * FALSE + NO_DEVICE when nothing fits, NO_PATH when a bridge has no data
 * path to a capture node. */
gboolean hdmirtc_capture_find_bridge(gboolean allow_dv_fallback, HdmirtcBridgeInfo *out,
                                     GError **error);

/* Enables every link of info's path that is not enabled and disables its
 * conflicts (MEDIA_IOC_SETUP_LINK).  Errors name the link.  Nothing to do
 * for a node found without a graph. */
gboolean hdmirtc_capture_setup_links(const HdmirtcBridgeInfo *info, GError **error);

/* ------------------------------------------------------------------ probe */
/* What `hdmirtc --probe` learns about the bridge without streaming. */
typedef struct {
	gboolean found;
	char error[256];                /* why no bridge was found */
	HdmirtcBridgeInfo bridge;
	gboolean subdev_read_only;      /* unicam legacy mode */
	gboolean dv_timings;            /* the control node takes DV timings */
	HdmirtcCsiLink link;
	int timings_errno;              /* of VIDIOC_QUERY_DV_TIMINGS: 0 or a positive errno */
	guint32 width;                  /* the timings found */
	guint32 height;
	guint32 refresh_mhz;
	char bus_format[192];           /* the bridge's source pad, active */
	char edid[160];                 /* what the receiver holds, "" if it cannot be read */
} HdmirtcCaptureProbe;

/* Looks at the bridge (device: the capture node the configuration names,
 * or NULL to search) without changing anything: no link, format or EDID is
 * set.  Never fails: out->found says whether there is a bridge. */
void hdmirtc_capture_probe(const char *device, guint csi_lanes, HdmirtcCaptureProbe *out);
/* Every media device's entities, pads (active formats) and data links,
 * as indented text.  g_free. */
char *hdmirtc_capture_describe_media(void);

G_END_DECLS
