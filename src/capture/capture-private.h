/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals shared by the capture sources: the base object every source
 * embeds, its function table, and the I420 frame pool. */
#pragma once

#include <stdatomic.h>

#include "hdmirtc/barcode.h"
#include "hdmirtc/capture.h"

/* One per kind of source.  All methods run on the capture's context. */
typedef struct {
	const char *name;
	/* Begin producing frames on cap->context; call
	 * hdmirtc_capture_deliver() for each. */
	gboolean (*start)(HdmirtcCapture *cap, GError **error);
	void (*stop)(HdmirtcCapture *cap);
	/* Loads a new EDID into the receiver (the source takes edid).  NULL
	 * for sources without one. */
	void (*set_edid)(HdmirtcCapture *cap, HdmirtcEdid *edid);
	/* Whether to deliver I420 for a CPU encoder; NULL for sources that
	 * always do. */
	void (*set_convert_to_i420)(HdmirtcCapture *cap, gboolean on);
	/* Any thread: the signal, mode and device (see capture.h); NULL for
	 * sources without one (all zero then). */
	void (*get_signal_info)(HdmirtcCapture *cap, HdmirtcCaptureSignalInfo *out);
	/* Capture context: the frames' consumer changed (another encoder);
	 * NULL when nothing depends on it. */
	void (*reconfigure)(HdmirtcCapture *cap);
	/* Frees the source, including the embedded base (after
	 * hdmirtc_capture_clear()). */
	void (*destroy)(HdmirtcCapture *cap);
} HdmirtcCaptureImpl;

struct HdmirtcCapture {
	const HdmirtcCaptureImpl *impl;
	HdmirtcCaptureConfig config;
	char *description;
	GMainContext *context;          /* owned ref while started, else NULL */
	HdmirtcCaptureFrameFunc on_frame;
	gpointer user_data;
	HdmirtcCaptureFrameFunc tap;    /* set before start */
	gpointer tap_data;
	/* Written on the capture's context, read from any thread. */
	atomic_int state;
	atomic_uint_fast64_t frames_produced;
	atomic_uint_fast64_t frames_skipped;
	atomic_uint_fast64_t frames_no_buffer;
	atomic_uint buffers_allocated;
};

/* description is taken over (g_free'd by clear). */
void hdmirtc_capture_init(HdmirtcCapture *cap, const HdmirtcCaptureImpl *impl,
                          const HdmirtcCaptureConfig *cfg, char *description);
void hdmirtc_capture_clear(HdmirtcCapture *cap);
/* Logs old -> new and stores the state. */
void hdmirtc_capture_set_state(HdmirtcCapture *cap, HdmirtcCaptureState state);
/* Hands frame (the producer's reference) to on_frame and the tap, counts
 * it and drops the producer's reference. */
void hdmirtc_capture_deliver(HdmirtcCapture *cap, HdmirtcFrame *frame);
/* The same for a frame converted for the encoder: the tap gets raw, the
 * source's own buffer (which a display may scan out as it is), on_frame
 * gets conv.  Both references are the caller's and are dropped; conv may
 * be NULL (no buffer for the copy). */
void hdmirtc_capture_deliver_converted(HdmirtcCapture *cap, HdmirtcFrame *raw, HdmirtcFrame *conv);
/* The source's buffers are about to go (a restart, a new size, the device
 * gone): the tap is asked to give back every frame it holds, so that the
 * memory is free for the next buffers. */
void hdmirtc_capture_flush_tap(HdmirtcCapture *cap);

/* A fixed-maximum pool of I420 frames.  Buffers are allocated lazily up to
 * max_buffers and come back through the frame's release function on its last
 * unref, on whatever thread that happens (a mutex guards the free list).
 * Every frame out holds a pool reference, so the pool outlives its owner
 * until the last frame comes home. */
typedef struct HdmirtcFramePool HdmirtcFramePool;

HdmirtcFramePool *hdmirtc_frame_pool_new_i420(guint width, guint height, guint max_buffers);
/* A frame with one reference, or NULL when every buffer is in use. */
HdmirtcFrame *hdmirtc_frame_pool_acquire(HdmirtcFramePool *pool);
guint hdmirtc_frame_pool_allocated(HdmirtcFramePool *pool);
/* Drops the owner's reference.  NULL-safe. */
void hdmirtc_frame_pool_unref(HdmirtcFramePool *pool);
/* *pool if it makes width x height frames, else a new pool in its place
 * (the old one lives on until its frames come home). */
HdmirtcFramePool *hdmirtc_frame_pool_sized_i420(HdmirtcFramePool **pool, guint width, guint height,
                                                guint max_buffers);

/* The I420 pool a V4L2 or camera source keeps for the NO SIGNAL picture
 * and its conversions: frames in flight at once. */
#define HDMIRTC_I420_POOL_BUFFERS 3

/* no-signal.c: the NO SIGNAL picture (title over reason) at the
 * configured size, from *pool (made or resized here), numbered from
 * *next_seq and delivered; counted in frames_no_buffer when the pool has
 * none free. */
void hdmirtc_capture_deliver_no_signal(HdmirtcCapture *cap, HdmirtcFramePool **pool, guint64 *next_seq,
                                       const char *title, const char *reason);

/* convert-i420.c: UYVY, YUYV, BGR888 (V4L2's RGB24) or XRGB8888 -> I420 for CPU
 * encoders, into a frame of *pool (made or resized here to in's size,
 * rounded down to even); NULL when the pool has none free.  Timestamps
 * and colour come along; bytes_copied counts the copy. */
gboolean hdmirtc_convert_to_i420_supports(guint32 fourcc);
HdmirtcFrame *hdmirtc_convert_to_i420(HdmirtcFramePool **pool, const HdmirtcFrame *in);

/* Paints the test pattern's content; state kept between frames so that
 * things move.  Painting is rows of memset/memcpy (a few ms at 1080p). */
typedef struct {
	guint width;
	guint height;
	guint barcode_rows;
	guint bars_end;                 /* colour bars in [barcode_rows, bars_end) */
	guint noise_x;                  /* noise in x >= noise_x, y >= bars_end */
	guint box_size;
	guint8 *bar_row[3];             /* one row per plane (Y, U, V) */
	guint8 *ramp;                   /* luma ramp, width + RAMP_PERIOD */
	guint64 prng;
} HdmirtcPatternPainter;

void hdmirtc_pattern_painter_init(HdmirtcPatternPainter *p, guint width, guint height);
void hdmirtc_pattern_painter_clear(HdmirtcPatternPainter *p);
/* frame must be I420 of the painter's size; code goes into the barcode. */
void hdmirtc_pattern_paint(HdmirtcPatternPainter *p, HdmirtcFrame *frame,
                           const HdmirtcBarcode *code);

/* hdmirtc_csi_link_read()'s device-tree part with another sysfs root, for
 * tests: fills what out does not have yet. */
void hdmirtc_csi_link_read_dt(const char *sysfs_root, const char *subdev, HdmirtcCsiLink *out);

/* EDID internals shared by edid.c (checks, parsing) and edid-build.c. */
guint8 hdmirtc_edid_checksum(const guint8 *block);
/* Takes data (g_malloc'ed, already valid) and parses its summary. */
HdmirtcEdid *hdmirtc_edid_take(guint8 *data, gsize size);
