/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Software H.264 with x264, tuned for latency: ultrafast + zerolatency (no
 * lookahead, no B-frames, sliced threads so a frame comes out of the call
 * that took it in), a VBV of about one frame so that no frame can take
 * much longer than a frame time to send, and SPS/PPS in front of every IDR
 * so that a viewer can join at any keyframe.
 *
 * With first_parts, the NAL units come out one by one through x264's
 * nalu_process as each slice thread finishes, and a top slice done before
 * the others is handed out as the picture's FIRST part
 * (hdmirtc_encoder_offer_part()) while the encoder call still runs. */
#include "encoder-private.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <x264.h>

/* Capture data of frames x264 still holds, by pts: with zerolatency there
 * are none, but it costs nothing to be right if that changes. */
#define PENDING 16
/* NAL units of one picture: parameter sets, SEI, one slice per thread. */
#define MAX_NALS 32

typedef struct {
	guint64 seq;
	gint64 mono_us;
	gint64 wall_us;
	guint64 bytes_copied;           /* copies made to produce the input frame */
} PendingFrame;

/* A picture's NAL units as x264's nalu_process callback gets them, on the
 * calling thread (parameter sets, SEI) and on the slice threads, each
 * written by x264_nal_encode() into a buffer of its own. */
typedef struct {
	GMutex lock;
	const guint8 *data[MAX_NALS];   /* g_malloc'ed, in the order they came */
	gsize len[MAX_NALS];
	guint n;
	guint slices_done;
	guint first_nals;               /* NAL units given out as the FIRST part; 0: none */
	gint64 last_slice_us;           /* when the last slice came */
	gboolean overflow;              /* more than MAX_NALS: not kept */
} PictureNals;

typedef struct {
	HdmirtcEncoder base;
	x264_t *x264;
	x264_param_t param;
	gint64 next_pts;
	PendingFrame pending[PENDING];
	/* Sliced threads: NAL units come through on_nal(), so that the top
	 * slice can go out while the others are being encoded. */
	gboolean by_nal;
	guint slices;                   /* per picture */
	PendingFrame *current;          /* the frame in the encode call */
	gint64 encode_start_us;
	PictureNals nals;
} X264Encoder;

static X264Encoder *from_base(HdmirtcEncoder *enc)
{
	return (X264Encoder *)((char *)enc - G_STRUCT_OFFSET(X264Encoder, base));
}

static void on_x264_log(void *priv, int level, const char *fmt, va_list args)
{
	g_autofree char *msg = g_strdup_vprintf(fmt, args);

	g_strchomp(msg);
	/* Logged for every starved frame at low bitrates: not news. */
	if (g_str_has_prefix(msg, "VBV underflow"))
		level = X264_LOG_DEBUG;
	if (level <= X264_LOG_ERROR)
		g_warning("x264: %s", msg);
	else if (level == X264_LOG_WARNING)
		g_message("x264: %s", msg);
	else
		g_debug("x264: %s", msg);
}

/* A VBV of 1.5 frames: no frame takes much more than a frame time to send
 * at the target rate.  With exactly one frame, IDRs at 720p/1 Mbit/s or
 * 1080p/2 Mbit/s were starved to a flat grey picture (measured with the
 * test pattern's barcode); 1.5 kept every barcode readable. */
static void set_rate(x264_param_t *p, guint32 kbps, guint32 fps)
{
	p->rc.i_rc_method = X264_RC_ABR;
	p->rc.i_bitrate = (int)kbps;
	p->rc.i_vbv_max_bitrate = (int)kbps;
	p->rc.i_vbv_buffer_size = (int)MAX(1u, kbps * 3 / (2 * fps));
}

/* The SPS says what the numbers mean (H.273 code points, as in the
 * frames): without it a browser guesses, and BT.601 studio-range UYVY
 * from the TC358743 shown as BT.709 has slightly wrong colours. */
static void set_colour(x264_param_t *p, const HdmirtcColour *c)
{
	if (!c->primaries)
		return;
	p->vui.i_colorprim = c->primaries;
	p->vui.i_transfer = c->transfer;
	p->vui.i_colmatrix = c->matrix;
	p->vui.b_fullrange = c->full_range;
}

static gboolean is_slice(const x264_nal_t *nal)
{
	return nal->i_type == NAL_SLICE || nal->i_type == NAL_SLICE_IDR;
}

static HdmirtcAccessUnit *join_nals(const guint8 *const *data, const gsize *len, guint n)
{
	gsize size = 0, at = 0;
	guint8 *buf;

	for (guint i = 0; i < n; i++)
		size += len[i];
	buf = g_malloc(MAX(size, 1));
	for (guint i = 0; i < n; i++) {
		memcpy(buf + at, data[i], len[i]);
		at += len[i];
	}
	return hdmirtc_access_unit_new_take(buf, size);
}

static void set_capture(HdmirtcAccessUnit *au, const PendingFrame *pf)
{
	au->seq = pf->seq;
	au->capture_mono_us = pf->mono_us;
	au->capture_wall_us = pf->wall_us;
	au->bytes_copied += pf->bytes_copied;   /* e.g. the source's I420 conversion */
}

/* The picture so far, when its top slice is done before the others: offered
 * as its FIRST part.  No lock held: the other slice threads go on. */
static void offer_first_part(X264Encoder *x, guint n, gboolean idr)
{
	HdmirtcAccessUnit *au = join_nals(x->nals.data, x->nals.len, n);
	gboolean taken;

	set_capture(au, x->current);
	au->keyframe = idr;
	au->part = HDMIRTC_AU_FIRST;
	au->encode_start_us = x->encode_start_us;
	au->encode_end_us = g_get_monotonic_time();
	taken = hdmirtc_encoder_offer_part(&x->base, au);
	hdmirtc_access_unit_unref(au);
	if (taken) {
		g_mutex_lock(&x->nals.lock);
		x->nals.first_nals = n;
		g_mutex_unlock(&x->nals.lock);
	}
}

/* x264's nalu_process: each NAL unit of a picture as soon as it is done, on
 * whichever thread made it (re-entrant).  x264 leaves the escaping and the
 * start code to this callback. */
static void on_nal(x264_t *h, x264_nal_t *nal, void *opaque)
{
	X264Encoder *x = opaque;
	PictureNals *pn = &x->nals;
	guint8 *dst = g_malloc((gsize)nal->i_payload * 3 / 2 + 5 + 64);
	guint n = 0;
	gboolean first = FALSE;

	x264_nal_encode(h, dst, nal);
	g_mutex_lock(&pn->lock);
	if (pn->n == MAX_NALS) {
		pn->overflow = TRUE;
		g_free(dst);
	} else {
		pn->data[pn->n] = dst;
		pn->len[pn->n++] = (gsize)nal->i_payload;
	}
	if (is_slice(nal)) {
		/* In stream order the top slice follows what came before it (the
		 * calling thread writes the headers before the slices start);
		 * one finished before the others can go now. */
		first = nal->i_first_mb == 0 && pn->slices_done == 0 && x->slices > 1 && !pn->overflow;
		pn->slices_done++;
		pn->last_slice_us = g_get_monotonic_time();
		n = pn->n;
	}
	g_mutex_unlock(&pn->lock);
	if (first)
		offer_first_part(x, n, nal->i_type == NAL_SLICE_IDR);
}

static void forget_nals(PictureNals *pn)
{
	for (guint i = 0; i < pn->n; i++)
		g_free((gpointer)pn->data[i]);
	pn->n = pn->slices_done = pn->first_nals = 0;
	pn->last_slice_us = 0;
	pn->overflow = FALSE;
}

/* The picture's access unit from what on_nal() kept: after a FIRST part
 * that was taken, the rest of it.  x264 hands out the NAL units in stream
 * order; the ones given out first must be at its front. */
static HdmirtcAccessUnit *picture_from_nals(X264Encoder *x, const x264_nal_t *nals, int n_nals)
{
	PictureNals *pn = &x->nals;
	const guint8 *data[MAX_NALS];
	gsize len[MAX_NALS];
	guint skip = pn->first_nals;
	HdmirtcAccessUnit *au;

	if (pn->overflow || (guint)n_nals > MAX_NALS || skip > (guint)n_nals) {
		g_warning("x264: %d NAL units in a picture: not sent", n_nals);
		return NULL;
	}
	for (guint i = 0; i < skip; i++) {
		if (nals[i].p_payload != pn->data[i]) {
			g_warning("x264: the picture's first part was not the front of its stream");
			return NULL;
		}
	}
	for (int i = 0; i < n_nals; i++) {
		data[i] = nals[i].p_payload;
		len[i] = (gsize)nals[i].i_payload;
	}
	au = join_nals(data + skip, len + skip, (guint)n_nals - skip);
	au->part = skip ? HDMIRTC_AU_REST : HDMIRTC_AU_WHOLE;
	/* Both parts were copied once, from the same buffers. */
	for (guint i = 0; i < skip; i++)
		au->bytes_copied += len[i];
	return au;
}

static void set_params(x264_param_t *p, const HdmirtcEncoderConfig *c)
{
	p->i_width = (int)c->width;
	p->i_height = (int)c->height;
	p->i_csp = X264_CSP_I420;
	p->i_fps_num = c->fps;
	p->i_fps_den = 1;
	p->i_timebase_num = 1;
	p->i_timebase_den = c->fps;
	p->b_vfr_input = 0;
	/* Slices keep the zero frame delay.  One more slice than cores: their
	 * work is not even (a picture's top half is often lighter: its slice
	 * was done 1.4-1.6 ms before the other of two at 720p and 1080p), and
	 * the core that finishes first takes up the slice left waiting.  The
	 * test pattern at 1080p on 2 cores, capture -> encoder out, medians of
	 * 12-20 s windows: 3 slices 5.1-6.2 ms, 4 alike, 2 slices 6.2-7.0 ms
	 * (8 runs each, alternated); CPU alike. */
	p->i_threads = (int)(c->slice_threads ? c->slice_threads :
	                     MIN((guint)g_get_num_processors() + 1, HDMIRTC_X264_MAX_AUTO_THREADS));
	p->b_sliced_threads = 1;
	p->i_bframe = 0;
	p->i_keyint_max = (int)c->keyframe_interval;
	p->b_intra_refresh = 0;
	p->b_repeat_headers = 1;
	p->b_annexb = 1;
	p->b_aud = 0;
	/* Early P-skip decides on a decimated residual: at high QP a flat
	 * 16x16 block that changed (a barcode bit, a line of text on the KVM
	 * screen) is skipped and stays stale.  Full analysis costs a little
	 * CPU and keeps it. */
	p->analyse.b_fast_pskip = 0;
	p->i_level_idc = c->level_idc;
	p->i_log_level = X264_LOG_WARNING;
	p->pf_log = on_x264_log;
	set_rate(p, c->bitrate_kbps, c->fps);
}

/* profile-level-id from the SPS x264 will send: the three bytes after the
 * NAL header. */
static gboolean read_profile_level_id(X264Encoder *x, GError **error)
{
	x264_nal_t *nals;
	int n;

	if (x264_encoder_headers(x->x264, &nals, &n) < 0)
		n = 0;
	for (int i = 0; i < n; i++) {
		if (nals[i].i_type == NAL_SPS && nals[i].i_payload >= 8) {
			/* Annex-B: 4-byte start code, NAL header, then the bytes. */
			const guint8 *p = nals[i].p_payload + 5;

			x->base.profile_level_id = (guint32)p[0] << 16 | (guint32)p[1] << 8 | p[2];
			return TRUE;
		}
	}
	g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_FAILED,
	            "x264: no SPS in the stream headers");
	return FALSE;
}

/* With sliced threads, the encoder is opened again with on_nal(): x264's
 * encoder_headers() cannot run with a nalu_process (it reads the picture
 * it has not got yet), so the first one, without, read the SPS. */
static gboolean open_by_nal(X264Encoder *x, GError **error)
{
	x264_param_t used;

	x264_encoder_parameters(x->x264, &used);
	x->slices = (guint)MAX(used.i_slice_count, 1);
	atomic_store_explicit(&x->base.slice_threads, (guint)MAX(used.i_threads, 1), memory_order_relaxed);
	x->by_nal = x->base.config.first_parts && used.b_sliced_threads && used.i_threads > 1;
	if (!x->by_nal)
		return TRUE;
	x264_encoder_close(x->x264);
	x->param.nalu_process = on_nal;
	x->x264 = x264_encoder_open(&x->param);
	x->param.nalu_process = NULL;
	if (!x->x264) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_FAILED,
		            "x264: encoder_open (by NAL unit) failed for %ux%u@%u",
		            x->base.config.width, x->base.config.height, x->base.config.fps);
		return FALSE;
	}
	return TRUE;
}

static gboolean x264_impl_open(HdmirtcEncoder *enc, GError **error)
{
	X264Encoder *x = from_base(enc);
	const char *profile = enc->config.profile_idc == HDMIRTC_H264_PROFILE_MAIN ? "main" : "baseline";

	if (x264_param_default_preset(&x->param, "ultrafast", "zerolatency") < 0) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_FAILED,
		            "x264: preset ultrafast/zerolatency refused");
		return FALSE;
	}
	set_params(&x->param, &enc->config);
	set_colour(&x->param, &enc->colour);
	if (x264_param_apply_profile(&x->param, profile) < 0) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_FAILED,
		            "x264: profile %s refused", profile);
		return FALSE;
	}
	x->x264 = x264_encoder_open(&x->param);
	if (!x->x264) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_FAILED,
		            "x264: encoder_open failed for %ux%u@%u", enc->config.width,
		            enc->config.height, enc->config.fps);
		return FALSE;
	}
	x->next_pts = 0;
	if (!read_profile_level_id(x, error)) {
		g_clear_pointer(&x->x264, x264_encoder_close);
		return FALSE;
	}
	return open_by_nal(x, error);
}

static void x264_impl_close(HdmirtcEncoder *enc)
{
	g_clear_pointer(&from_base(enc)->x264, x264_encoder_close);
}

static void fill_picture(x264_picture_t *pic, const HdmirtcFrame *frame, gint64 pts,
                         gboolean force_idr, X264Encoder *x)
{
	x264_picture_init(pic);
	pic->opaque = x;                /* on_nal()'s */
	pic->img.i_csp = X264_CSP_I420;
	pic->img.i_plane = 3;
	for (int i = 0; i < 3; i++) {
		pic->img.plane[i] = frame->data[i];
		pic->img.i_stride[i] = (int)frame->stride[i];
	}
	pic->i_pts = pts;
	pic->i_type = force_idr ? X264_TYPE_IDR : X264_TYPE_AUTO;
}

static int x264_impl_encode(HdmirtcEncoder *enc, HdmirtcFrame *frame, gboolean force_idr,
                            HdmirtcAccessUnit **out)
{
	X264Encoder *x = from_base(enc);
	x264_picture_t in, pic_out;
	x264_nal_t *nals;
	int n_nals, size;
	PendingFrame *pf;
	HdmirtcAccessUnit *au;

	*out = NULL;
	if (!x->x264)
		return -EIO;
	fill_picture(&in, frame, x->next_pts, force_idr, x);
	x->current = &x->pending[x->next_pts % PENDING];
	*x->current = (PendingFrame){ frame->seq, frame->capture_mono_us, frame->capture_wall_us,
	                              frame->bytes_copied };
	x->next_pts++;
	x->encode_start_us = g_get_monotonic_time();
	size = x264_encoder_encode(x->x264, &nals, &n_nals, &in, &pic_out);
	if (size <= 0 || n_nals == 0) {
		forget_nals(&x->nals);
		return size < 0 ? -EIO : 0;
	}
	/* x264 reuses its NAL buffers on the next call: the one copy. */
	if (x->by_nal) {
		au = picture_from_nals(x, nals, n_nals);
		/* x264's return waited for the first part's sending: the picture
		 * was done with its last slice. */
		if (au && au->part == HDMIRTC_AU_REST)
			au->encode_end_us = x->nals.last_slice_us;
		forget_nals(&x->nals);
		if (!au)
			return -EIO;
	} else {
		au = hdmirtc_access_unit_new_copy(nals[0].p_payload, (gsize)size);
	}
	pf = &x->pending[pic_out.i_pts % PENDING];
	au->keyframe = pic_out.b_keyframe;
	set_capture(au, pf);
	*out = au;
	return 0;
}

static int x264_impl_apply_bitrate(HdmirtcEncoder *enc)
{
	X264Encoder *x = from_base(enc);

	if (!x->x264)
		return -EIO;
	x264_encoder_parameters(x->x264, &x->param);
	set_rate(&x->param, enc->config.bitrate_kbps, enc->config.fps);
	if (x264_encoder_reconfig(x->x264, &x->param) < 0) {
		g_warning("x264: bitrate %u kbps refused", enc->config.bitrate_kbps);
		return -EINVAL;
	}
	g_info("x264: bitrate now %u kbps", enc->config.bitrate_kbps);
	return 0;
}

static void x264_impl_destroy(HdmirtcEncoder *enc)
{
	X264Encoder *x = from_base(enc);

	g_mutex_clear(&x->nals.lock);
	g_free(x);
}

static const HdmirtcEncoderImpl x264_impl = {
	.name = "x264",
	.accepts = hdmirtc_encoder_frame_is_cpu_i420,
	.open = x264_impl_open,
	.close = x264_impl_close,
	.encode = x264_impl_encode,
	.apply_bitrate = x264_impl_apply_bitrate,
	.destroy = x264_impl_destroy,
};

HdmirtcEncoder *hdmirtc_encoder_x264_alloc(const HdmirtcEncoderConfig *config)
{
	X264Encoder *x = g_new0(X264Encoder, 1);

	x->base.impl = &x264_impl;
	x->base.config = *config;
	g_mutex_init(&x->nals.lock);
	return &x->base;
}
