/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals of the encoder module: the base object every implementation
 * embeds and its function table. */
#pragma once

#include <stdatomic.h>

#include "hdmirtc/encoder.h"

/* One per kind of encoder.  All methods run on the encoding thread. */
typedef struct {
	const char *name;
	/* TRUE when encode() can take this kind of frame (format, CPU planes
	 * or DMA-BUF). */
	gboolean (*accepts)(HdmirtcEncoder *enc, const HdmirtcFrame *frame);
	/* Builds the codec for enc->config (size, rate, level already
	 * checked) and sets enc->profile_level_id. */
	gboolean (*open)(HdmirtcEncoder *enc, GError **error);
	/* Releases the codec; open() may follow (size change). */
	void (*close)(HdmirtcEncoder *enc);
	/* Encodes frame; *out gets an access unit with one reference, or NULL
	 * if the codec holds the picture back or hands it out later with
	 * hdmirtc_encoder_emit().  Fills data, size, keyframe, seq and capture
	 * times; the caller fills the rest.  0 or -errno. */
	int (*encode)(HdmirtcEncoder *enc, HdmirtcFrame *frame, gboolean force_idr,
	              HdmirtcAccessUnit **out);
	/* bytesperline the encoder needs for frames of drm_fourcc at w x h,
	 * 0 for no constraint.  NULL = none. */
	guint32 (*input_bytesperline)(HdmirtcEncoder *enc, guint32 drm_fourcc, guint32 width,
	                              guint32 height);
	/* TRUE while frames given to encode() have not come out: the codec
	 * cannot be rebuilt without waiting for them.  NULL = never. */
	gboolean (*busy)(HdmirtcEncoder *enc);
	/* New target from enc->config.bitrate_kbps.  0 or -errno. */
	int (*apply_bitrate)(HdmirtcEncoder *enc);
	/* Frees the implementation including the embedded base (after
	 * close()). */
	void (*destroy)(HdmirtcEncoder *enc);
} HdmirtcEncoderImpl;

struct HdmirtcEncoder {
	const HdmirtcEncoderImpl *impl;
	/* Current settings: width, height, bitrate and level follow changes;
	 * level_idc is the level in use. */
	HdmirtcEncoderConfig config;
	guint8 requested_level;         /* as configured; 0 = choose */
	HdmirtcColour colour;           /* of the frames, written into the SPS */
	/* The last SPS the encoder wrote and, if it lacked the colour, the
	 * one to send instead (rebuilt only when the encoder's changes). */
	GBytes *sps_seen;
	GBytes *sps_fixed;
	guint32 profile_level_id;
	atomic_uint slice_threads;      /* set by x264 when it opens (again on a resize) */
	/* Where a picture's first part goes; set before encoding, never after. */
	HdmirtcEncoderPartFunc part_func;
	gpointer part_data;
	/* Where access units go: the on_au of the last encode call. */
	HdmirtcEncoderOutputFunc output;
	gpointer output_data;
	/* Set from any thread, consumed at the next frame. */
	atomic_bool keyframe_requested;
	atomic_uint pending_bitrate;    /* 0 = no change */
	/* Written on the encoding thread, read from any. */
	atomic_uint_fast64_t frames_in;
	atomic_uint_fast64_t frames_out;
	atomic_uint_fast64_t keyframes;
	atomic_uint_fast64_t bytes_out;
	atomic_int_fast64_t last_encode_us;
	atomic_int_fast64_t encode_call_max_us;
	atomic_int_fast64_t reconfigure_max_us;
	gboolean reconfigured;          /* set by the implementation or a rebuild during a call */
	atomic_uint_fast64_t calls;
	atomic_uint_fast64_t calls_slept;
	atomic_uint_fast64_t calls_paged_in;
	atomic_uint_fast64_t frames_dropped;
	atomic_uint bitrate_kbps;
};

/* From encode() or a thread of the implementation's while encode() runs:
 * offers a picture's first part (au->part FIRST, capture times set) to the
 * part function.  TRUE when it was taken: the picture's access unit must
 * then be its REST. */
gboolean hdmirtc_encoder_offer_part(HdmirtcEncoder *enc, HdmirtcAccessUnit *au);

/* Encoding thread, outside encode(): hands out au (one reference taken)
 * as encode() would have; au->encode_start_us is the implementation's. */
void hdmirtc_encoder_emit(HdmirtcEncoder *enc, HdmirtcAccessUnit *au);

/* One encoder call or event on the encoding thread, measured: its
 * duration (the longest-call figures; enc->reconfigured says which, and is
 * cleared) and whether the thread slept in it (a voluntary context switch:
 * it waited for something, whatever the machine's speed), told apart from
 * a sleep for a major page fault (code run for the first time, read from
 * the disk). */
typedef struct {
	gint64 start_us;
	long voluntary_switches;
	long major_faults;
} HdmirtcEncoderCall;

void hdmirtc_encoder_call_begin(HdmirtcEncoderCall *call);
void hdmirtc_encoder_call_end(HdmirtcEncoder *enc, const HdmirtcEncoderCall *call);

/* Allocates the x264 implementation with its base filled from config
 * (already validated); the caller opens it. */
HdmirtcEncoder *hdmirtc_encoder_x264_alloc(const HdmirtcEncoderConfig *config);

/* An I420 frame with CPU planes: what software encoders take. */
gboolean hdmirtc_encoder_frame_is_cpu_i420(HdmirtcEncoder *enc, const HdmirtcFrame *frame);

/* sps (header byte first, no start code) with its VUI's video signal type
 * saying colour; NULL when it already does or cannot be parsed. */
GBytes *hdmirtc_h264_sps_with_colour(const guint8 *sps, gsize len, const HdmirtcColour *colour);

/* The level's MaxBR in kbps, 0 for an unknown level. */
guint32 hdmirtc_encoder_level_max_kbps(guint8 level_idc);

#define HDMIRTC_ENCODER_MIN_KBPS 50
#define HDMIRTC_ENCODER_MAX_KBPS 100000
