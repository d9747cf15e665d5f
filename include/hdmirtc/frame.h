/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Raw video frames and encoded access units: the two things that travel the
 * data path.  Both are refcounted; the producer creates them with one
 * reference, every consumer that keeps one past its callback takes its own
 * reference, and the last unref calls the producer's release function
 * (which typically requeues a V4L2 buffer or returns the memory to a pool).
 * Refcounting is atomic: a frame may be released on another thread than the
 * one that made it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HDMIRTC_FRAME_MAX_PLANES 3

/* What the numbers of a picture mean: the code points of ITU-T H.273, as
 * an H.264 SPS's VUI colour description carries them.  primaries == 0
 * means unknown (nothing is written then). */
typedef struct {
	guint8 primaries;               /* 1 BT.709/sRGB, 5 BT.470BG, 6 SMPTE 170M */
	guint8 transfer;                /* 1 BT.709, 6 SMPTE 170M, 13 sRGB */
	guint8 matrix;                  /* 1 BT.709, 5/6 BT.601, 0 identity (RGB) */
	gboolean full_range;
} HdmirtcColour;

/* Studio-range BT.601 (SMPTE 170M), what the test pattern paints and the
 * TC358743 sends as UYVY (its driver selects 601 limited range). */
#define HDMIRTC_COLOUR_BT601_LIMITED ((HdmirtcColour){ 6, 6, 6, FALSE })

typedef struct HdmirtcFrame HdmirtcFrame;
typedef void (*HdmirtcFrameReleaseFunc)(HdmirtcFrame *frame, gpointer user_data);

struct HdmirtcFrame {
	gatomicrefcount ref;
	guint32 width;
	guint32 height;
	guint32 fourcc;                 /* DRM_FORMAT_* from drm_fourcc.h */
	guint n_planes;
	guint8 *data[HDMIRTC_FRAME_MAX_PLANES];   /* CPU view, NULL if none */
	guint32 stride[HDMIRTC_FRAME_MAX_PLANES];
	int dmabuf_fd;                  /* -1 if the frame has no DMA-BUF; owned by the producer */
	guint64 seq;                    /* producer's frame counter, from 0 */
	gint64 capture_mono_us;         /* CLOCK_MONOTONIC (g_get_monotonic_time) */
	gint64 capture_wall_us;         /* wall clock (g_get_real_time) */
	HdmirtcFrameReleaseFunc release;
	gpointer release_data;
	/* CPU copies of frame payload made to produce this frame (e.g. a
	 * format conversion); an encoder adds it to its access unit's
	 * bytes_copied.  0 for frames straight from the driver or painted. */
	guint64 bytes_copied;
	HdmirtcColour colour;           /* all 0 = unknown */
};

/* Sets ref to 1, dmabuf_fd to -1 and bytes_copied to 0; the caller fills
 * in the rest. */
void hdmirtc_frame_init(HdmirtcFrame *frame, HdmirtcFrameReleaseFunc release, gpointer release_data);
HdmirtcFrame *hdmirtc_frame_ref(HdmirtcFrame *frame);
/* NULL-safe.  The last unref calls frame->release. */
void hdmirtc_frame_unref(HdmirtcFrame *frame);

typedef struct HdmirtcAccessUnit HdmirtcAccessUnit;
typedef void (*HdmirtcAccessUnitReleaseFunc)(HdmirtcAccessUnit *au, gpointer user_data);

/* How much of its picture an access unit holds.  An encoder that finishes
 * a picture's first slices before the others (x264's sliced threads) can
 * hand those out at once, so that they are on the wire while the rest is
 * still being encoded; the rest then follows as its own access unit with
 * the same seq and capture times. */
typedef enum {
	HDMIRTC_AU_WHOLE,               /* the whole picture */
	HDMIRTC_AU_FIRST,               /* its leading NAL units; the rest follows */
	HDMIRTC_AU_REST,                /* the NAL units after a FIRST part's */
} HdmirtcAuPart;

/* One encoded picture in Annex-B byte-stream form (start codes included);
 * a keyframe carries SPS and PPS in front of its IDR slice(s). */
struct HdmirtcAccessUnit {
	gatomicrefcount ref;
	const guint8 *data;
	gsize size;
	gboolean keyframe;
	guint32 width;
	guint32 height;
	guint64 seq;                    /* frame counter of the source frame */
	gint64 capture_mono_us;         /* copied from the source frame */
	gint64 capture_wall_us;
	gint64 encode_start_us;         /* monotonic, for per-stage latency */
	gint64 encode_end_us;
	guint64 bytes_copied;           /* CPU copies of frame payload so far */
	HdmirtcAuPart part;
	/* An SPS NAL unit (header byte first, no start code) to send instead
	 * of the one in data, e.g. with the colour description the encoder
	 * left out; NULL = none.  Unreffed with the access unit. */
	GBytes *sps_override;
	HdmirtcAccessUnitReleaseFunc release;
	gpointer release_data;
};

void hdmirtc_access_unit_init(HdmirtcAccessUnit *au, HdmirtcAccessUnitReleaseFunc release,
                              gpointer release_data);
/* Makes an access unit that owns a g_malloc'ed copy of data (counted in
 * bytes_copied).  For encoders whose output buffer is reused on the next
 * call (x264). */
HdmirtcAccessUnit *hdmirtc_access_unit_new_copy(const guint8 *data, gsize size);
/* The same for data already g_malloc'ed by the caller (taken over; counted
 * in bytes_copied as the copy it was made by). */
HdmirtcAccessUnit *hdmirtc_access_unit_new_take(guint8 *data, gsize size);
HdmirtcAccessUnit *hdmirtc_access_unit_ref(HdmirtcAccessUnit *au);
/* NULL-safe. */
void hdmirtc_access_unit_unref(HdmirtcAccessUnit *au);

G_END_DECLS
