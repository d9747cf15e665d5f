/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writing the colour description into an encoder's SPS.  bcm2835-codec
 * passes none of the V4L2 colour fields to the VPU firmware, so its SPS
 * says whatever the firmware likes; a browser then guesses BT.709 for the
 * TC358743's BT.601 studio-range picture.  The SPS is small: it is parsed
 * up to the VUI's video signal type (H.264 7.3.2.1.1 and E.1.1), which is
 * written anew, and the rest is copied bit for bit. */
#include "encoder-private.h"

#include <string.h>

typedef struct {
	const guint8 *d;
	gsize bits;
	gsize pos;
	gboolean overrun;
} BitReader;

typedef struct {
	GByteArray *out;
	guint8 cur;
	guint n;
} BitWriter;

static guint32 get_bits(BitReader *r, guint n)
{
	guint32 v = 0;

	for (guint i = 0; i < n; i++, r->pos++) {
		if (r->pos >= r->bits) {
			r->overrun = TRUE;
			return 0;
		}
		v = v << 1 | ((r->d[r->pos / 8] >> (7 - r->pos % 8)) & 1);
	}
	return v;
}

static guint32 get_ue(BitReader *r)
{
	guint zeros = 0;

	while (!r->overrun && get_bits(r, 1) == 0 && zeros < 32)
		zeros++;
	if (zeros >= 32) {
		r->overrun = TRUE;
		return 0;
	}
	return (1u << zeros) - 1 + get_bits(r, zeros);
}

static void put_bits(BitWriter *w, guint32 v, guint n)
{
	while (n--) {
		w->cur = (guint8)(w->cur << 1 | ((v >> n) & 1));
		if (++w->n == 8) {
			g_byte_array_append(w->out, &w->cur, 1);
			w->cur = 0;
			w->n = 0;
		}
	}
}

static void put_ue(BitWriter *w, guint32 v)
{
	guint len = g_bit_storage(v + 1);

	put_bits(w, 0, len - 1);
	put_bits(w, v + 1, len);
}

/* Copies the reader's bits [from, to) to w. */
static void copy_bits(BitWriter *w, BitReader *r, gsize from, gsize to)
{
	BitReader c = { r->d, to, from, FALSE };

	while (c.pos < to)
		put_bits(w, get_bits(&c, 1), 1);
}

/* NAL payload (after the header byte) without emulation prevention. */
static GByteArray *unescape(const guint8 *d, gsize len)
{
	GByteArray *rbsp = g_byte_array_sized_new((guint)len);
	guint zeros = 0;

	for (gsize i = 0; i < len; i++) {
		if (zeros >= 2 && d[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = d[i] == 0 ? zeros + 1 : 0;
		g_byte_array_append(rbsp, &d[i], 1);
	}
	return rbsp;
}

static void append_escaped(GByteArray *out, const guint8 *d, gsize len)
{
	guint zeros = 0;
	static const guint8 three = 3;

	for (gsize i = 0; i < len; i++) {
		if (zeros >= 2 && d[i] <= 3) {
			g_byte_array_append(out, &three, 1);
			zeros = 0;
		}
		zeros = d[i] == 0 ? zeros + 1 : 0;
		g_byte_array_append(out, &d[i], 1);
	}
}

static gboolean high_profile(guint profile)
{
	static const guint8 high[] = { 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135 };

	return memchr(high, (int)profile, sizeof(high)) != NULL;
}

/* Reads up to vui_parameters_present_flag; FALSE for what is not handled
 * (scaling matrices). */
static gboolean skip_to_vui(BitReader *r, guint *profile, guint32 *max_refs)
{
	*profile = get_bits(r, 8);
	get_bits(r, 16);                /* constraint flags, level_idc */
	get_ue(r);                      /* seq_parameter_set_id */
	if (high_profile(*profile)) {
		if (get_ue(r) == 3)     /* chroma_format_idc */
			get_bits(r, 1);
		get_ue(r);
		get_ue(r);
		get_bits(r, 1);
		if (get_bits(r, 1))     /* seq_scaling_matrix_present_flag */
			return FALSE;
	}
	get_ue(r);                      /* log2_max_frame_num_minus4 */
	switch (get_ue(r)) {            /* pic_order_cnt_type */
	case 0:
		get_ue(r);
		break;
	case 1: {
		guint32 n;

		get_bits(r, 1);
		get_ue(r);              /* offsets are se(v): same length as ue(v) */
		get_ue(r);
		n = get_ue(r);
		for (guint32 i = 0; i < n && !r->overrun; i++)
			get_ue(r);
		break;
	}
	default:
		break;
	}
	*max_refs = get_ue(r);
	get_bits(r, 1);
	get_ue(r);
	get_ue(r);
	if (!get_bits(r, 1))            /* frame_mbs_only_flag */
		get_bits(r, 1);
	get_bits(r, 1);
	if (get_bits(r, 1))             /* frame_cropping_flag */
		for (int i = 0; i < 4; i++)
			get_ue(r);
	return !r->overrun;
}

static void put_signal_type(BitWriter *w, const HdmirtcColour *c)
{
	put_bits(w, 1, 1);              /* video_signal_type_present_flag */
	put_bits(w, 5, 3);              /* video_format: unspecified */
	put_bits(w, c->full_range, 1);
	put_bits(w, 1, 1);              /* colour_description_present_flag */
	put_bits(w, c->primaries, 8);
	put_bits(w, c->transfer, 8);
	put_bits(w, c->matrix, 8);
}

/* The position of the rbsp_stop_one_bit. */
static gsize stop_bit(const GByteArray *rbsp)
{
	for (gsize i = rbsp->len; i > 0; i--)
		if (rbsp->data[i - 1])
			return (i - 1) * 8 + 7 - (gsize)__builtin_ctz(rbsp->data[i - 1]);
	return 0;
}

/* A VUI of our own when the SPS has none: the signal type, and for
 * Baseline (no B-frames) that no frame waits for reordering, so a decoder
 * shows each frame at once. */
static void put_new_vui(BitWriter *w, const HdmirtcColour *c, guint profile, guint32 max_refs)
{
	put_bits(w, 0, 2);              /* aspect ratio, overscan */
	put_signal_type(w, c);
	put_bits(w, 0, 5);              /* chroma loc, timing, nal/vcl hrd, pic_struct */
	put_bits(w, profile == 66, 1);  /* bitstream_restriction_flag */
	if (profile == 66) {
		put_bits(w, 1, 1);      /* motion_vectors_over_pic_boundaries_flag */
		put_ue(w, 2);           /* max_bytes_per_pic_denom */
		put_ue(w, 1);           /* max_bits_per_mb_denom */
		put_ue(w, 16);          /* log2_max_mv_length_horizontal */
		put_ue(w, 16);          /* log2_max_mv_length_vertical */
		put_ue(w, 0);           /* max_num_reorder_frames */
		put_ue(w, MAX(max_refs, 1u));   /* max_dec_frame_buffering */
	}
}

GBytes *hdmirtc_h264_sps_with_colour(const guint8 *nal, gsize len, const HdmirtcColour *c)
{
	g_autoptr(GByteArray) rbsp = NULL, body = g_byte_array_new(), out = g_byte_array_new();
	BitReader r;
	BitWriter w = { body, 0, 0 };
	guint profile;
	guint32 max_refs;
	gsize vui_at, end;

	if (len < 4 || (nal[0] & 0x1f) != 7 || !c->primaries)
		return NULL;
	rbsp = unescape(nal + 1, len - 1);
	end = stop_bit(rbsp);
	r = (BitReader){ rbsp->data, end, 0, FALSE };
	if (!skip_to_vui(&r, &profile, &max_refs))
		return NULL;
	vui_at = r.pos;
	copy_bits(&w, &r, 0, vui_at);
	put_bits(&w, 1, 1);             /* vui_parameters_present_flag */
	if (!get_bits(&r, 1)) {
		put_new_vui(&w, c, profile, max_refs);
	} else {
		gsize from = r.pos;

		if (get_bits(&r, 1) && get_bits(&r, 8) == 255)  /* aspect_ratio_idc: Extended_SAR */
			get_bits(&r, 32);
		if (get_bits(&r, 1))
			get_bits(&r, 1);
		copy_bits(&w, &r, from, r.pos);
		if (get_bits(&r, 1)) {          /* the old signal type goes */
			guint32 format_range = get_bits(&r, 4);

			if (get_bits(&r, 1)) {
				guint32 colour = get_bits(&r, 24);

				if (colour == ((guint32)c->primaries << 16 | (guint32)c->transfer << 8 |
				               c->matrix) && (format_range & 1) == (guint32)c->full_range)
					return NULL;    /* already right */
			}
		}
		put_signal_type(&w, c);
		copy_bits(&w, &r, r.pos, end);
	}
	if (r.overrun)
		return NULL;
	put_bits(&w, 1, 1);             /* rbsp_stop_one_bit */
	if (w.n)
		put_bits(&w, 0, 8 - w.n);
	g_byte_array_append(out, nal, 1);
	append_escaped(out, body->data, body->len);
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}
