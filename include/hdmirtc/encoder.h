/* SPDX-License-Identifier: GPL-3.0-or-later */
/* H.264 encoders: raw HdmirtcFrame in, Annex-B HdmirtcAccessUnit out.
 * Implementations: x264 (software) and V4L2 M2M (hardware), behind one
 * interface.  Output is always constrained-baseline-compatible for
 * browsers: no B-frames, SPS and PPS in front of every IDR.
 *
 * Threads: new, encode, name, get_profile_level_id and free run on the
 * encoding thread (the media thread).  request_keyframe, set_bitrate and
 * get_stats may be called from any thread; the first two take effect at
 * the next encoded frame. */
#pragma once

#include <glib.h>

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

#define HDMIRTC_ENCODER_ERROR (hdmirtc_encoder_error_quark())
GQuark hdmirtc_encoder_error_quark(void);

typedef enum {
	HDMIRTC_ENCODER_ERROR_INVALID_CONFIG,
	HDMIRTC_ENCODER_ERROR_NOT_SUPPORTED,    /* unknown kind, profile or level */
	HDMIRTC_ENCODER_ERROR_FAILED,           /* the library refused */
} HdmirtcEncoderError;

/* profile_idc and constraint flags as in an SDP profile-level-id
 * (42e01f -> 0x42, 0xe0, 0x1f). */
#define HDMIRTC_H264_PROFILE_BASELINE 66
#define HDMIRTC_H264_PROFILE_MAIN 77
#define HDMIRTC_H264_CONSTRAINT_SET0 0x80
#define HDMIRTC_H264_CONSTRAINT_SET1 0x40
#define HDMIRTC_H264_CONSTRAINT_SET2 0x20

typedef struct {
	guint32 width;                  /* of the input frames; even, >= 16 */
	guint32 height;
	guint32 fps;                    /* 1..240 */
	guint32 bitrate_kbps;           /* target, 50..100000 */
	guint32 keyframe_interval;      /* frames between IDRs, >= 1 */
	guint8 profile_idc;             /* 66 (baseline: constrained is sent) or 77 */
	guint8 constraint_flags;        /* as asked for; see hdmirtc_encoder_get_profile_level_id */
	guint8 level_idc;               /* 10 x level (31 = 3.1); 0 = smallest that fits */
	/* x264 with sliced threads: hand out a picture's top slice as soon as
	 * it is done (HdmirtcEncoderPartFunc); off: whole pictures only. */
	gboolean first_parts;
	/* x264's slice threads (one slice each); 0 = one more than the cores,
	 * at most HDMIRTC_X264_MAX_AUTO_THREADS. */
	guint slice_threads;
} HdmirtcEncoderConfig;

#define HDMIRTC_X264_MAX_AUTO_THREADS 8

typedef struct {
	guint64 frames_in;
	guint64 frames_out;
	guint64 keyframes;
	guint64 bytes_out;
	gint64 last_encode_us;          /* duration of the last encode call */
	gint64 encode_call_max_us;      /* longest the encoding thread spent in one encoder
	                                 * call or output event since it was made ... */
	gint64 reconfigure_max_us;      /* ... apart from calls that (re)built the codec or
	                                 * its queues (first frame, new size or format) */
	guint64 calls;                  /* encoder calls and output events */
	guint64 calls_slept;            /* of them (not rebuilding): the thread slept, waiting */
	guint64 calls_paged_in;         /* ... or slept paging code in from the disk */
	guint64 frames_dropped;         /* not encoded: the encoder had no room (stalled) */
	guint32 bitrate_kbps;           /* currently applied */
	guint slice_threads;            /* x264's slice threads in use; 0 = not x264 */
} HdmirtcEncoderStats;

typedef struct HdmirtcEncoder HdmirtcEncoder;

/* Called on the encoding thread: during hdmirtc_encoder_encode() (x264), or
 * later from the main context that was the thread default when encode was
 * called (M2M: the coded frame comes out while the media thread goes on).
 * au is borrowed: hdmirtc_access_unit_ref() it to keep it. */
typedef void (*HdmirtcEncoderOutputFunc)(HdmirtcEncoder *enc, HdmirtcAccessUnit *au,
                                         gpointer user_data);

/* Called during hdmirtc_encoder_encode(), on one of the encoder's own
 * threads, with a picture's leading NAL units (au->part FIRST) once they
 * are done and the rest is not: x264 with sliced threads finishes its top
 * slice first.  au is borrowed.  Returns TRUE when it sent them on; the
 * picture's output access unit is then its REST.  FALSE: the picture comes
 * out WHOLE as usual. */
typedef gboolean (*HdmirtcEncoderPartFunc)(HdmirtcEncoder *enc, HdmirtcAccessUnit *au,
                                           gpointer user_data);

typedef enum {
	HDMIRTC_ENCODER_X264,           /* software */
	HDMIRTC_ENCODER_M2M,            /* V4L2 memory-to-memory (bcm2835-codec) */
} HdmirtcEncoderKind;

/* An encoder of kind; device is the M2M node (required for M2M, see
 * hdmirtc_encoder_find_m2m()).  The level is chosen (or, if given,
 * checked) against size, rate and bitrate: a level too small fails with
 * NOT_SUPPORTED.  Returns NULL and sets error on failure. */
HdmirtcEncoder *hdmirtc_encoder_new(HdmirtcEncoderKind kind, const char *device,
                                    const HdmirtcEncoderConfig *config, GError **error);
/* NULL-safe.  Access units already handed out stay valid. */
void hdmirtc_encoder_free(HdmirtcEncoder *enc);

/* Encodes one frame (referenced for as long as the encoder reads it).
 * on_au is called zero or one time for it, now or later (see
 * HdmirtcEncoderOutputFunc; the last on_au given is used); the AU carries
 * the frame's seq and capture times and the encode start/end (monotonic).
 * A frame of another size or colour description rebuilds the encoder (and
 * so starts with an IDR).  A hardware encoder never blocks: a frame it has
 * no room for is dropped and counted (frames_dropped), 0 returned.
 * Returns 0, -EINVAL for a frame it cannot take (format, size), -EIO when
 * the encoder failed, -ENODEV when a hardware encoder's device is gone
 * (driver unbound or unloaded): it never comes back to this encoder. */
int hdmirtc_encoder_encode(HdmirtcEncoder *enc, HdmirtcFrame *frame,
                           HdmirtcEncoderOutputFunc on_au, gpointer user_data);

/* Before the first encode: where first parts go (NULL: nowhere, every
 * picture comes out whole).  Encoders that hand out whole pictures only
 * (M2M) never call it. */
void hdmirtc_encoder_set_part_func(HdmirtcEncoder *enc, HdmirtcEncoderPartFunc func,
                                   gpointer user_data);

/* The bytesperline frames of drm_fourcc at width x height must have for
 * this encoder to take them as they are (an M2M encoder imports the
 * capture buffers: bcm2835-codec wants UYVY lines in multiples of 64
 * bytes), 0 for no constraint.  Encoding thread. */
guint32 hdmirtc_encoder_input_bytesperline(HdmirtcEncoder *enc, guint32 drm_fourcc, guint32 width,
                                           guint32 height);
/* Any thread: the next frame is an IDR with SPS and PPS. */
void hdmirtc_encoder_request_keyframe(HdmirtcEncoder *enc);
/* Any thread: new target bitrate from the next frame (clamped to
 * 50..100000 kbps). */
void hdmirtc_encoder_set_bitrate(HdmirtcEncoder *enc, guint32 kbps);
/* Any thread. */
void hdmirtc_encoder_get_stats(HdmirtcEncoder *enc, HdmirtcEncoderStats *out);

/* "x264", ...; static string. */
const char *hdmirtc_encoder_name(HdmirtcEncoder *enc);
/* The profile-level-id the stream's SPS carries, as 0xPPCCLL (x264
 * baseline: 0x42c01f-style, constrained baseline). */
guint32 hdmirtc_encoder_get_profile_level_id(HdmirtcEncoder *enc);

/* Smallest H.264 level_idc (10 x level; 9 is not used) whose frame size,
 * macroblock rate and bitrate limits fit, or 0 if none does. */
guint8 hdmirtc_encoder_level_for(guint32 width, guint32 height, guint32 fps, guint32 bitrate_kbps);
/* TRUE if level_idc's limits hold width x height at fps and bitrate. */
gboolean hdmirtc_encoder_level_fits(guint8 level_idc, guint32 width, guint32 height, guint32 fps,
                                 guint32 bitrate_kbps);

/* ------------------------------------------------------------------ V4L2 M2M */
/* A V4L2 memory-to-memory stateful encoder (bcm2835-codec on the Pi 4).
 * Frames with a DMA-BUF are queued on its OUTPUT queue by import
 * (V4L2_MEMORY_DMABUF): no CPU copy of the picture; each frame stays
 * referenced until the driver returns its buffer, several in flight.  The
 * device's fd is a source on the encoding thread's main context: coded
 * frames are taken when the driver has them, never waited for.  Each
 * coded frame is copied out of its CAPTURE buffer (counted in
 * bytes_copied), which goes back to the driver at once: viewers keep
 * access units for retransmission far longer than the driver has buffers.
 * Freeing with frames in flight drains with V4L2_ENC_CMD_STOP. */
typedef struct {
	/* Encoder node (hdmirtc_encoder_find_m2m()); required. */
	const char *device;
	/* V4L2 fourcc of the coded format: 0 = V4L2_PIX_FMT_H264.  Tests use
	 * V4L2_PIX_FMT_FWHT (vicodec) to prove the stateful sequence; the
	 * access units are then not H.264. */
	guint32 coded_fourcc;
	guint n_output_buffers;         /* 0 = 4 */
	guint n_capture_buffers;        /* 0 = 4 (each goes back at once) */
} HdmirtcM2mConfig;

/* Like hdmirtc_encoder_new() for an M2M encoder (config checked the same
 * way).  Queues are set up at the first frame, from its format: UYVY,
 * YUV420, NV12 or BGR888 frames with a DMA-BUF are imported, whose
 * bytesperline must be what the encoder asks for (see
 * hdmirtc_encoder_input_bytesperline(); a frame that differs is refused
 * with -EINVAL and a warning naming both); I420 frames without one (the NO
 * SIGNAL picture) are copied into the encoder's own buffers, counted in
 * bytes_copied.  NOT_SUPPORTED when the device is not such an encoder. */
HdmirtcEncoder *hdmirtc_encoder_new_m2m(const HdmirtcEncoderConfig *config,
                                        const HdmirtcM2mConfig *m2m, GError **error);
/* Finds an M2M node offering coded_fourcc (0 = H.264) on its CAPTURE
 * queue; path gets "/dev/videoN".  FALSE if none. */
gboolean hdmirtc_encoder_find_m2m(guint32 coded_fourcc, char *path, gsize size);

/* TRUE if an M2M encoder can take frames of drm_fourcc (imported or
 * copied): UYVY, RGB24, I420, NV12. */
gboolean hdmirtc_encoder_m2m_takes(guint32 drm_fourcc);

/* For `hdmirtc --probe`: the M2M encoder's driver, input formats, the
 * bytesperline it wants for drm_fourcc at width x height, and its main
 * controls' ranges, as indented lines.  g_free. */
char *hdmirtc_encoder_describe_m2m(const char *device, guint32 drm_fourcc, guint32 width,
                                   guint32 height);

G_END_DECLS
