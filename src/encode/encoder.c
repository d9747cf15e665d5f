/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The implementation-independent half of an encoder: config checks, level
 * choice, staged changes (keyframe, bitrate, size) applied at a frame
 * boundary, and counters. */
#include "encoder-private.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#define MAX_SIDE 8192
#define MAX_FPS 240

G_DEFINE_QUARK(hdmirtc-encoder-error-quark, hdmirtc_encoder_error)

static gboolean check_size(guint32 w, guint32 h)
{
	return w >= 16 && h >= 16 && w <= MAX_SIDE && h <= MAX_SIDE && w % 2 == 0 && h % 2 == 0;
}

static gboolean check_config(const HdmirtcEncoderConfig *c, GError **error)
{
	const char *what = NULL;

	if (!check_size(c->width, c->height))
		what = "size must be even and in 16..8192";
	else if (c->fps < 1 || c->fps > MAX_FPS)
		what = "fps must be in 1..240";
	else if (c->bitrate_kbps < HDMIRTC_ENCODER_MIN_KBPS || c->bitrate_kbps > HDMIRTC_ENCODER_MAX_KBPS)
		what = "bitrate must be in 50..100000 kbps";
	else if (c->keyframe_interval < 1)
		what = "keyframe interval must be >= 1";
	if (what) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_INVALID_CONFIG,
		            "encoder %ux%u@%u %u kbps: %s", c->width, c->height, c->fps,
		            c->bitrate_kbps, what);
		return FALSE;
	}
	if (c->profile_idc != HDMIRTC_H264_PROFILE_BASELINE &&
	    c->profile_idc != HDMIRTC_H264_PROFILE_MAIN) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_NOT_SUPPORTED,
		            "encoder: profile_idc %u not supported (66 or 77)", c->profile_idc);
		return FALSE;
	}
	return TRUE;
}

/* 0 if no level fits, else the level to use. */
static guint8 pick_level(guint8 requested, guint32 w, guint32 h, guint32 fps, guint32 kbps)
{
	if (requested == 0)
		return hdmirtc_encoder_level_for(w, h, fps, kbps);
	return hdmirtc_encoder_level_fits(requested, w, h, fps, kbps) ? requested : 0;
}

HdmirtcEncoder *hdmirtc_encoder_new(HdmirtcEncoderKind kind, const char *device,
                                    const HdmirtcEncoderConfig *config, GError **error)
{
	HdmirtcEncoderConfig c;
	HdmirtcEncoder *enc;

	g_return_val_if_fail(config != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!check_config(config, error))
		return NULL;
	c = *config;
	c.level_idc = pick_level(config->level_idc, c.width, c.height, c.fps, c.bitrate_kbps);
	if (c.level_idc == 0) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_NOT_SUPPORTED,
		            "encoder: %ux%u@%u at %u kbps does not fit level_idc %u",
		            c.width, c.height, c.fps, c.bitrate_kbps, config->level_idc);
		return NULL;
	}
	if (kind == HDMIRTC_ENCODER_M2M)
		return hdmirtc_encoder_new_m2m(config, &(HdmirtcM2mConfig){ .device = device }, error);
	enc = hdmirtc_encoder_x264_alloc(&c);
	enc->requested_level = config->level_idc;
	atomic_store(&enc->bitrate_kbps, c.bitrate_kbps);
	if (!enc->impl->open(enc, error)) {
		enc->impl->destroy(enc);
		return NULL;
	}
	g_info("%s: %ux%u@%u %u kbps, profile-level-id %06x", enc->impl->name, c.width, c.height,
	       c.fps, c.bitrate_kbps, enc->profile_level_id);
	return enc;
}

void hdmirtc_encoder_free(HdmirtcEncoder *enc)
{
	if (!enc)
		return;
	enc->impl->close(enc);
	g_clear_pointer(&enc->sps_seen, g_bytes_unref);
	g_clear_pointer(&enc->sps_fixed, g_bytes_unref);
	enc->impl->destroy(enc);
}

/* A new input size or colour: rebuild (same rate and bitrate; level
 * re-chosen if it was not fixed). */
static int rebuild(HdmirtcEncoder *enc, guint32 w, guint32 h, const HdmirtcColour *colour)
{
	HdmirtcEncoderConfig *c = &enc->config;
	guint8 level = pick_level(enc->requested_level, w, h, c->fps, c->bitrate_kbps);
	GError *error = NULL;

	if (!check_size(w, h) || level == 0) {
		g_warning("%s: cannot take %ux%u frames (level %u)", enc->impl->name, w, h,
		          enc->requested_level);
		return -EINVAL;
	}
	enc->reconfigured = TRUE;
	g_message("%s: input %ux%u colour %u/%u/%u%s -> %ux%u colour %u/%u/%u%s, rebuilding",
	          enc->impl->name, c->width, c->height, enc->colour.primaries, enc->colour.transfer,
	          enc->colour.matrix, enc->colour.full_range ? " full" : "", w, h, colour->primaries,
	          colour->transfer, colour->matrix, colour->full_range ? " full" : "");
	enc->impl->close(enc);
	c->width = w;
	c->height = h;
	enc->colour = *colour;
	c->level_idc = level;
	if (!enc->impl->open(enc, &error)) {
		g_warning("%s", error->message);
		g_error_free(error);
		return -EIO;
	}
	return 0;
}

/* A refused bitrate keeps the old one: the frame is still encoded. */
static void apply_bitrate(HdmirtcEncoder *enc, guint32 kbps)
{
	guint32 max = hdmirtc_encoder_level_max_kbps(enc->config.level_idc);
	guint32 old = enc->config.bitrate_kbps;

	/* The SPS promised a level: stay inside its MaxBR. */
	if (max && kbps > max)
		kbps = max;
	if (kbps == old)
		return;
	enc->config.bitrate_kbps = kbps;
	if (enc->impl->apply_bitrate(enc) < 0) {
		enc->config.bitrate_kbps = old;
		return;
	}
	atomic_store(&enc->bitrate_kbps, kbps);
}

gboolean hdmirtc_encoder_frame_is_cpu_i420(HdmirtcEncoder *enc, const HdmirtcFrame *f)
{
	return f->fourcc == DRM_FORMAT_YUV420 && f->n_planes == 3 && f->data[0] && f->data[1] &&
	       f->data[2] && f->stride[0] >= f->width && f->stride[1] >= (f->width + 1) / 2 &&
	       f->stride[2] >= (f->width + 1) / 2;
}

/* The SPS NAL unit of an access unit (after its start code), or NULL. */
static const guint8 *find_sps(const HdmirtcAccessUnit *au, gsize *len)
{
	const guint8 *d = au->data, *end = au->data + au->size, *sps = NULL;

	for (const guint8 *p = d; p + 3 < end; p++) {
		if (p[0] || p[1] || p[2] != 1)
			continue;
		if (sps) {
			*len = (gsize)(p - sps) - (p > d && p[-1] == 0);
			return sps;
		}
		if ((p[3] & 0x1f) == 7)
			sps = p + 3;
	}
	if (sps)
		*len = (gsize)(end - sps);
	return sps;
}

/* Encoders that do not write the frames' colour description (bcm2835-codec
 * gives the VPU none of the V4L2 colour fields) get their SPS replaced on
 * the way out; the picture data is not touched. */
static void fix_colour(HdmirtcEncoder *enc, HdmirtcAccessUnit *au)
{
	gsize len = 0, seen_len = 0;
	const guint8 *sps = au->keyframe && enc->colour.primaries ? find_sps(au, &len) : NULL;
	const guint8 *seen = enc->sps_seen ? g_bytes_get_data(enc->sps_seen, &seen_len) : NULL;

	if (!sps)
		return;
	if (!seen || seen_len != len || memcmp(seen, sps, len) != 0) {
		g_clear_pointer(&enc->sps_seen, g_bytes_unref);
		g_clear_pointer(&enc->sps_fixed, g_bytes_unref);
		enc->sps_seen = g_bytes_new(sps, len);
		enc->sps_fixed = hdmirtc_h264_sps_with_colour(sps, len, &enc->colour);
		if (enc->sps_fixed)
			g_message("%s: its SPS lacks the colour description (%u/%u/%u%s): sending one "
			          "that has it", enc->impl->name, enc->colour.primaries,
			          enc->colour.transfer, enc->colour.matrix,
			          enc->colour.full_range ? " full range" : " studio range");
	}
	if (enc->sps_fixed)
		au->sps_override = g_bytes_ref(enc->sps_fixed);
}

static void deliver(HdmirtcEncoder *enc, HdmirtcAccessUnit *au, gint64 start, gint64 end)
{
	fix_colour(enc, au);
	au->width = enc->config.width;
	au->height = enc->config.height;
	au->encode_start_us = start;
	au->encode_end_us = end;
	atomic_fetch_add_explicit(&enc->frames_out, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&enc->bytes_out, au->size, memory_order_relaxed);
	if (au->keyframe)
		atomic_fetch_add_explicit(&enc->keyframes, 1, memory_order_relaxed);
	if (enc->output)
		enc->output(enc, au, enc->output_data);
	hdmirtc_access_unit_unref(au);
}

/* The encoding thread waits inside encode() meanwhile: nothing else
 * touches enc. */
gboolean hdmirtc_encoder_offer_part(HdmirtcEncoder *enc, HdmirtcAccessUnit *au)
{
	if (!enc->part_func)
		return FALSE;
	fix_colour(enc, au);
	au->width = enc->config.width;
	au->height = enc->config.height;
	return enc->part_func(enc, au, enc->part_data);
}

void hdmirtc_encoder_set_part_func(HdmirtcEncoder *enc, HdmirtcEncoderPartFunc func,
                                   gpointer user_data)
{
	g_return_if_fail(enc != NULL);
	enc->part_func = func;
	enc->part_data = user_data;
}

void hdmirtc_encoder_emit(HdmirtcEncoder *enc, HdmirtcAccessUnit *au)
{
	deliver(enc, au, au->encode_start_us, g_get_monotonic_time());
}

void hdmirtc_encoder_call_begin(HdmirtcEncoderCall *call)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) == 0) {
		call->voluntary_switches = ru.ru_nvcsw;
		call->major_faults = ru.ru_majflt;
	}
	call->start_us = g_get_monotonic_time();
}

void hdmirtc_encoder_call_end(HdmirtcEncoder *enc, const HdmirtcEncoderCall *call)
{
	gint64 us = g_get_monotonic_time() - call->start_us;
	atomic_int_fast64_t *max = enc->reconfigured ? &enc->reconfigure_max_us :
	                           &enc->encode_call_max_us;
	struct rusage ru;

	if (us > atomic_load_explicit(max, memory_order_relaxed))
		atomic_store_explicit(max, us, memory_order_relaxed);
	atomic_fetch_add_explicit(&enc->calls, 1, memory_order_relaxed);
	if (!enc->reconfigured && getrusage(RUSAGE_THREAD, &ru) == 0 &&
	    ru.ru_nvcsw != call->voluntary_switches)
		atomic_fetch_add_explicit(ru.ru_majflt != call->major_faults ? &enc->calls_paged_in :
		                          &enc->calls_slept, 1, memory_order_relaxed);
	enc->reconfigured = FALSE;
}

static gboolean busy(HdmirtcEncoder *enc)
{
	return enc->impl->busy && enc->impl->busy(enc);
}

static int encode(HdmirtcEncoder *enc, HdmirtcFrame *frame)
{
	HdmirtcAccessUnit *au = NULL;
	guint32 kbps;
	gint64 start, end;
	int r;

	if (frame->width != enc->config.width || frame->height != enc->config.height ||
	    memcmp(&frame->colour, &enc->colour, sizeof(frame->colour)) != 0) {
		/* Frames still inside a hardware encoder would be lost, and
		 * stopping it would wait for them: try again next frame. */
		if (busy(enc)) {
			atomic_fetch_add_explicit(&enc->frames_dropped, 1, memory_order_relaxed);
			return 0;
		}
		r = rebuild(enc, frame->width, frame->height, &frame->colour);
		if (r < 0)
			return r;
	}
	kbps = atomic_exchange(&enc->pending_bitrate, 0);
	if (kbps)
		apply_bitrate(enc, kbps);
	atomic_fetch_add_explicit(&enc->frames_in, 1, memory_order_relaxed);
	start = g_get_monotonic_time();
	r = enc->impl->encode(enc, frame, atomic_exchange(&enc->keyframe_requested, FALSE), &au);
	end = g_get_monotonic_time();
	atomic_store_explicit(&enc->last_encode_us, end - start, memory_order_relaxed);
	if (r < 0)
		return r;
	/* An implementation that knows better when the picture was done (x264
	 * after sending its first part) says so. */
	if (au)
		deliver(enc, au, start, au->encode_end_us ? au->encode_end_us : end);
	return 0;
}

int hdmirtc_encoder_encode(HdmirtcEncoder *enc, HdmirtcFrame *frame,
                           HdmirtcEncoderOutputFunc on_au, gpointer user_data)
{
	HdmirtcEncoderCall call;
	int r;

	if (!enc || !frame || !enc->impl->accepts(enc, frame))
		return -EINVAL;
	hdmirtc_encoder_call_begin(&call);
	enc->output = on_au;
	enc->output_data = user_data;
	r = encode(enc, frame);
	hdmirtc_encoder_call_end(enc, &call);
	return r;
}

guint32 hdmirtc_encoder_input_bytesperline(HdmirtcEncoder *enc, guint32 drm_fourcc, guint32 width,
                                           guint32 height)
{
	g_return_val_if_fail(enc != NULL, 0);
	return enc->impl->input_bytesperline ?
	       enc->impl->input_bytesperline(enc, drm_fourcc, width, height) : 0;
}

void hdmirtc_encoder_request_keyframe(HdmirtcEncoder *enc)
{
	g_return_if_fail(enc != NULL);
	atomic_store(&enc->keyframe_requested, TRUE);
}

void hdmirtc_encoder_set_bitrate(HdmirtcEncoder *enc, guint32 kbps)
{
	g_return_if_fail(enc != NULL);
	atomic_store(&enc->pending_bitrate,
	             CLAMP(kbps, HDMIRTC_ENCODER_MIN_KBPS, HDMIRTC_ENCODER_MAX_KBPS));
}

void hdmirtc_encoder_get_stats(HdmirtcEncoder *enc, HdmirtcEncoderStats *out)
{
	g_return_if_fail(enc != NULL && out != NULL);
	out->frames_in = atomic_load_explicit(&enc->frames_in, memory_order_relaxed);
	out->frames_out = atomic_load_explicit(&enc->frames_out, memory_order_relaxed);
	out->keyframes = atomic_load_explicit(&enc->keyframes, memory_order_relaxed);
	out->bytes_out = atomic_load_explicit(&enc->bytes_out, memory_order_relaxed);
	out->last_encode_us = atomic_load_explicit(&enc->last_encode_us, memory_order_relaxed);
	out->encode_call_max_us = atomic_load_explicit(&enc->encode_call_max_us, memory_order_relaxed);
	out->reconfigure_max_us = atomic_load_explicit(&enc->reconfigure_max_us, memory_order_relaxed);
	out->calls = atomic_load_explicit(&enc->calls, memory_order_relaxed);
	out->calls_slept = atomic_load_explicit(&enc->calls_slept, memory_order_relaxed);
	out->calls_paged_in = atomic_load_explicit(&enc->calls_paged_in, memory_order_relaxed);
	out->frames_dropped = atomic_load_explicit(&enc->frames_dropped, memory_order_relaxed);
	out->bitrate_kbps = atomic_load(&enc->bitrate_kbps);
	out->slice_threads = atomic_load_explicit(&enc->slice_threads, memory_order_relaxed);
}

const char *hdmirtc_encoder_name(HdmirtcEncoder *enc)
{
	g_return_val_if_fail(enc != NULL, NULL);
	return enc->impl->name;
}

guint32 hdmirtc_encoder_get_profile_level_id(HdmirtcEncoder *enc)
{
	g_return_val_if_fail(enc != NULL, 0);
	return enc->profile_level_id;
}
