// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * H.264 writer of the bcm2835-codec stand-in (ITU-T H.264, clauses 7 and 9).
 *
 * Every picture is one slice coded with CAVLC and no deblocking
 * (disable_deblocking_filter_idc 1), made of three macroblock kinds, all
 * lossless, so the decoded picture is exactly the encoder's input:
 *  - P_Skip (P slices): the macroblock equals the one at the same place in
 *    the previous picture.  Every motion vector of the stream is zero, so
 *    the predicted vector of a skipped macroblock is zero too (8.4.1.1).
 *  - Intra_16x16 with no residual: one of the vertical, horizontal or DC
 *    luma predictions and one of the DC, horizontal or vertical chroma
 *    predictions (8.3.3, 8.3.4) reproduce the macroblock exactly.  Only
 *    the Intra16x16DCLevel block is coded, with no coefficient.
 *  - I_PCM otherwise (mb_type 25 in I slices, 30 in P slices).
 * SPS: pic_order_cnt_type 2, one reference frame, frame cropping for sizes
 * that are not whole macroblocks, VUI with the video signal type, timing
 * and bitstream restriction (no reordering).  PPS: CAVLC, deblocking
 * control present.
 */
#include "codec-h264.h"

#include <linux/string.h>

enum mb_kind {
	MB_SKIP,
	MB_INTRA16,
	MB_PCM,
};

/* RBSP writer that inserts emulation prevention bytes as it goes. */
struct bitwriter {
	u8 *buf;
	size_t cap;
	size_t pos;
	u64 acc;
	unsigned int nbits;
	unsigned int zeros;
	bool overflow;
};

static void bw_raw(struct bitwriter *bw, u8 b)
{
	if (bw->pos < bw->cap)
		bw->buf[bw->pos++] = b;
	else
		bw->overflow = true;
}

static void bw_byte(struct bitwriter *bw, u8 b)
{
	if (bw->zeros >= 2 && b <= 3) {
		bw_raw(bw, 3);
		bw->zeros = 0;
	}
	bw_raw(bw, b);
	bw->zeros = b ? 0 : bw->zeros + 1;
}

static void bw_bits(struct bitwriter *bw, u32 value, unsigned int n)
{
	u64 mask = n >= 32 ? 0xffffffffULL : (1ULL << n) - 1;

	bw->acc = (bw->acc << n) | (value & mask);
	bw->nbits += n;
	while (bw->nbits >= 8) {
		bw->nbits -= 8;
		bw_byte(bw, (u8)(bw->acc >> bw->nbits));
	}
}

static unsigned int bit_length(u32 x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

static void bw_ue(struct bitwriter *bw, u32 value)
{
	u32 x = value + 1;
	unsigned int len = bit_length(x);

	bw_bits(bw, 0, len - 1);
	bw_bits(bw, x, len);
}

static void bw_se(struct bitwriter *bw, int value)
{
	bw_ue(bw, value > 0 ? 2 * (u32)value - 1 : 2 * (u32)(-value));
}

static void bw_align_zero(struct bitwriter *bw)
{
	if (bw->nbits)
		bw_bits(bw, 0, 8 - bw->nbits);
}

static void bw_trailing(struct bitwriter *bw)
{
	bw_bits(bw, 1, 1);
	bw_align_zero(bw);
}

static void bw_init(struct bitwriter *bw, u8 *buf, size_t cap)
{
	memset(bw, 0, sizeof(*bw));
	bw->buf = buf;
	bw->cap = cap;
}

static void bw_nal_start(struct bitwriter *bw, u8 header)
{
	bw_raw(bw, 0);
	bw_raw(bw, 0);
	bw_raw(bw, 0);
	bw_raw(bw, 1);
	bw->zeros = 0;
	bw->acc = 0;
	bw->nbits = 0;
	bw_raw(bw, header);
}

static size_t bw_done(struct bitwriter *bw)
{
	return bw->overflow ? 0 : bw->pos;
}

size_t h264_max_access_unit(unsigned int mb_w, unsigned int mb_h)
{
	/*
	 * An I_PCM macroblock: 384 samples, at worst half again for
	 * emulation prevention, plus mb_type, skip run and alignment.
	 */
	return (size_t)mb_w * mb_h * 600 + 1024;
}

static bool profile_has_chroma_format(unsigned int profile_idc)
{
	switch (profile_idc) {
	case 100: case 110: case 122: case 244: case 44: case 83:
	case 86: case 118: case 128: case 138: case 139: case 134: case 135:
		return true;
	default:
		return false;
	}
}

static void write_vui(struct bitwriter *bw, const struct h264_seq_params *sp)
{
	bw_bits(bw, 0, 1);			/* aspect_ratio_info_present_flag */
	bw_bits(bw, 0, 1);			/* overscan_info_present_flag */
	bw_bits(bw, sp->signal_type, 1);
	if (sp->signal_type) {
		bw_bits(bw, 5, 3);		/* video_format: unspecified */
		bw_bits(bw, sp->full_range, 1);
		bw_bits(bw, sp->colour_description, 1);
		if (sp->colour_description) {
			bw_bits(bw, sp->colour_primaries, 8);
			bw_bits(bw, sp->transfer_characteristics, 8);
			bw_bits(bw, sp->matrix_coefficients, 8);
		}
	}
	bw_bits(bw, 0, 1);			/* chroma_loc_info_present_flag */
	if (sp->num_units_in_tick && sp->time_scale) {
		bw_bits(bw, 1, 1);		/* timing_info_present_flag */
		bw_bits(bw, sp->num_units_in_tick, 32);
		bw_bits(bw, sp->time_scale, 32);
		bw_bits(bw, 1, 1);		/* fixed_frame_rate_flag */
	} else {
		bw_bits(bw, 0, 1);
	}
	bw_bits(bw, 0, 1);			/* nal_hrd_parameters_present_flag */
	bw_bits(bw, 0, 1);			/* vcl_hrd_parameters_present_flag */
	bw_bits(bw, 0, 1);			/* pic_struct_present_flag */
	bw_bits(bw, 1, 1);			/* bitstream_restriction_flag */
	bw_bits(bw, 1, 1);			/* motion_vectors_over_pic_boundaries */
	bw_ue(bw, 0);				/* max_bytes_per_pic_denom */
	bw_ue(bw, 0);				/* max_bits_per_mb_denom */
	bw_ue(bw, 1);				/* log2_max_mv_length_horizontal */
	bw_ue(bw, 1);				/* log2_max_mv_length_vertical */
	bw_ue(bw, 0);				/* max_num_reorder_frames */
	bw_ue(bw, 1);				/* max_dec_frame_buffering */
}

size_t h264_write_sps(u8 *buf, size_t cap, const struct h264_seq_params *sp)
{
	unsigned int crop_right = (sp->mb_w * 16 - sp->width) / 2;
	unsigned int crop_bottom = (sp->mb_h * 16 - sp->height) / 2;
	struct bitwriter bw;

	bw_init(&bw, buf, cap);
	bw_nal_start(&bw, 0x67);		/* nal_ref_idc 3, SPS */
	bw_bits(&bw, sp->profile_idc, 8);
	bw_bits(&bw, sp->constraint_flags, 8);
	bw_bits(&bw, sp->level_idc, 8);
	bw_ue(&bw, 0);				/* seq_parameter_set_id */
	if (profile_has_chroma_format(sp->profile_idc)) {
		bw_ue(&bw, 1);			/* chroma_format_idc 4:2:0 */
		bw_ue(&bw, 0);			/* bit_depth_luma_minus8 */
		bw_ue(&bw, 0);			/* bit_depth_chroma_minus8 */
		bw_bits(&bw, 0, 1);		/* qpprime_y_zero_transform_bypass */
		bw_bits(&bw, 0, 1);		/* seq_scaling_matrix_present_flag */
	}
	bw_ue(&bw, H264_LOG2_MAX_FRAME_NUM - 4);
	bw_ue(&bw, 2);				/* pic_order_cnt_type */
	bw_ue(&bw, 1);				/* max_num_ref_frames */
	bw_bits(&bw, 0, 1);			/* gaps_in_frame_num_allowed */
	bw_ue(&bw, sp->mb_w - 1);
	bw_ue(&bw, sp->mb_h - 1);
	bw_bits(&bw, 1, 1);			/* frame_mbs_only_flag */
	bw_bits(&bw, 1, 1);			/* direct_8x8_inference_flag */
	if (crop_right || crop_bottom) {
		bw_bits(&bw, 1, 1);		/* frame_cropping_flag */
		bw_ue(&bw, 0);
		bw_ue(&bw, crop_right);
		bw_ue(&bw, 0);
		bw_ue(&bw, crop_bottom);
	} else {
		bw_bits(&bw, 0, 1);
	}
	bw_bits(&bw, 1, 1);			/* vui_parameters_present_flag */
	write_vui(&bw, sp);
	bw_trailing(&bw);
	return bw_done(&bw);
}

size_t h264_write_pps(u8 *buf, size_t cap)
{
	struct bitwriter bw;

	bw_init(&bw, buf, cap);
	bw_nal_start(&bw, 0x68);		/* nal_ref_idc 3, PPS */
	bw_ue(&bw, 0);				/* pic_parameter_set_id */
	bw_ue(&bw, 0);				/* seq_parameter_set_id */
	bw_bits(&bw, 0, 1);			/* entropy_coding_mode_flag: CAVLC */
	bw_bits(&bw, 0, 1);			/* bottom_field_pic_order_in_frame */
	bw_ue(&bw, 0);				/* num_slice_groups_minus1 */
	bw_ue(&bw, 0);				/* num_ref_idx_l0_default_minus1 */
	bw_ue(&bw, 0);				/* num_ref_idx_l1_default_minus1 */
	bw_bits(&bw, 0, 1);			/* weighted_pred_flag */
	bw_bits(&bw, 0, 2);			/* weighted_bipred_idc */
	bw_se(&bw, 0);				/* pic_init_qp_minus26 */
	bw_se(&bw, 0);				/* pic_init_qs_minus26 */
	bw_se(&bw, 0);				/* chroma_qp_index_offset */
	bw_bits(&bw, 1, 1);			/* deblocking_filter_control_present */
	bw_bits(&bw, 0, 1);			/* constrained_intra_pred_flag */
	bw_bits(&bw, 0, 1);			/* redundant_pic_cnt_present_flag */
	bw_trailing(&bw);
	return bw_done(&bw);
}

/* ------------------------------------------------------------ decisions */

static bool mb_equal(const struct h264_picture *a, const struct h264_picture *b,
		     unsigned int mbx, unsigned int mby)
{
	unsigned int ys = a->mb_w * 16, cs = a->mb_w * 8, i;
	size_t off;

	for (i = 0; i < 16; i++) {
		off = (size_t)(mby * 16 + i) * ys + mbx * 16;
		if (memcmp(a->y + off, b->y + off, 16))
			return false;
	}
	for (i = 0; i < 8; i++) {
		off = (size_t)(mby * 8 + i) * cs + mbx * 8;
		if (memcmp(a->u + off, b->u + off, 8) ||
		    memcmp(a->v + off, b->v + off, 8))
			return false;
	}
	return true;
}

/*
 * Does an n x n block at (x0, y0) of a plane of the given stride equal the
 * intra prediction mode (0 vertical, 1 horizontal, 2 DC) from its
 * neighbours?  For DC, dc is the predicted value.
 */
static bool block_is_vertical(const u8 *p, unsigned int stride, unsigned int x0,
			      unsigned int y0, unsigned int n)
{
	const u8 *top = p + (size_t)(y0 - 1) * stride + x0;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (memcmp(p + (size_t)(y0 + i) * stride + x0, top, n))
			return false;
	return true;
}

static bool block_is_horizontal(const u8 *p, unsigned int stride,
				unsigned int x0, unsigned int y0,
				unsigned int w, unsigned int h)
{
	unsigned int i, j;

	for (i = 0; i < h; i++) {
		const u8 *row = p + (size_t)(y0 + i) * stride + x0;

		for (j = 0; j < w; j++)
			if (row[j] != row[-1])
				return false;
	}
	return true;
}

static bool block_is_flat(const u8 *p, unsigned int stride, unsigned int x0,
			  unsigned int y0, unsigned int w, unsigned int h, u8 dc)
{
	unsigned int i, j;

	for (i = 0; i < h; i++) {
		const u8 *row = p + (size_t)(y0 + i) * stride + x0;

		for (j = 0; j < w; j++)
			if (row[j] != dc)
				return false;
	}
	return true;
}

static unsigned int sum_top(const u8 *p, unsigned int stride, unsigned int x0,
			    unsigned int y0, unsigned int n)
{
	const u8 *top = p + (size_t)(y0 - 1) * stride + x0;
	unsigned int i, s = 0;

	for (i = 0; i < n; i++)
		s += top[i];
	return s;
}

static unsigned int sum_left(const u8 *p, unsigned int stride, unsigned int x0,
			     unsigned int y0, unsigned int n)
{
	unsigned int i, s = 0;

	for (i = 0; i < n; i++)
		s += p[(size_t)(y0 + i) * stride + x0 - 1];
	return s;
}

/* Intra_16x16 luma mode (0..2) that predicts the macroblock exactly, or -1. */
static int luma_mode(const struct h264_picture *pic, unsigned int mbx,
		     unsigned int mby)
{
	unsigned int stride = pic->mb_w * 16, x0 = mbx * 16, y0 = mby * 16;
	bool top = mby > 0, left = mbx > 0;
	unsigned int dc;

	if (top && block_is_vertical(pic->y, stride, x0, y0, 16))
		return 0;
	if (left && block_is_horizontal(pic->y, stride, x0, y0, 16, 16))
		return 1;
	if (top && left)
		dc = (sum_top(pic->y, stride, x0, y0, 16) +
		      sum_left(pic->y, stride, x0, y0, 16) + 16) >> 5;
	else if (left)
		dc = (sum_left(pic->y, stride, x0, y0, 16) + 8) >> 4;
	else if (top)
		dc = (sum_top(pic->y, stride, x0, y0, 16) + 8) >> 4;
	else
		dc = 128;
	if (block_is_flat(pic->y, stride, x0, y0, 16, 16, dc))
		return 2;
	return -1;
}

/* Chroma DC prediction of one 8x8 block, 4x4 by 4x4 (8.3.4.1-3). */
static bool chroma_is_dc(const u8 *p, unsigned int stride, unsigned int x0,
			 unsigned int y0, bool top, bool left)
{
	unsigned int bx, by, dc;

	for (by = 0; by < 8; by += 4) {
		for (bx = 0; bx < 8; bx += 4) {
			unsigned int x = x0 + bx, y = y0 + by;
			bool both_rule = (bx == 0 && by == 0) || (bx && by);

			if (both_rule && top && left)
				dc = (sum_top(p, stride, x, y0, 4) +
				      sum_left(p, stride, x0, y, 4) + 4) >> 3;
			else if (both_rule && left)
				dc = (sum_left(p, stride, x0, y, 4) + 2) >> 2;
			else if (both_rule && top)
				dc = (sum_top(p, stride, x, y0, 4) + 2) >> 2;
			else if (bx && top)	/* top row, right block */
				dc = (sum_top(p, stride, x, y0, 4) + 2) >> 2;
			else if (bx && left)
				dc = (sum_left(p, stride, x0, y, 4) + 2) >> 2;
			else if (by && left)	/* left column, lower block */
				dc = (sum_left(p, stride, x0, y, 4) + 2) >> 2;
			else if (by && top)
				dc = (sum_top(p, stride, x, y0, 4) + 2) >> 2;
			else
				dc = 128;
			if (!block_is_flat(p, stride, x, y, 4, 4, dc))
				return false;
		}
	}
	return true;
}

/* intra_chroma_pred_mode (0 DC, 1 horizontal, 2 vertical) exact for Cb and Cr, or -1. */
static int chroma_mode(const struct h264_picture *pic, unsigned int mbx,
		       unsigned int mby)
{
	unsigned int stride = pic->mb_w * 8, x0 = mbx * 8, y0 = mby * 8;
	bool top = mby > 0, left = mbx > 0;

	if (chroma_is_dc(pic->u, stride, x0, y0, top, left) &&
	    chroma_is_dc(pic->v, stride, x0, y0, top, left))
		return 0;
	if (left && block_is_horizontal(pic->u, stride, x0, y0, 8, 8) &&
	    block_is_horizontal(pic->v, stride, x0, y0, 8, 8))
		return 1;
	if (top && block_is_vertical(pic->u, stride, x0, y0, 8) &&
	    block_is_vertical(pic->v, stride, x0, y0, 8))
		return 2;
	return -1;
}

/*
 * coeff_token of an empty Intra16x16DCLevel block (9.2.1): nC from the
 * left and upper macroblocks, where an I_PCM neighbour counts 16
 * coefficients and the others none.
 */
static void write_empty_dc(struct bitwriter *bw, const u8 *mb_kind,
			   unsigned int mb_w, unsigned int mbx, unsigned int mby)
{
	unsigned int idx = mby * mb_w + mbx, na = 0, nb = 0, nc;
	bool a = mbx > 0, b = mby > 0;

	if (a)
		na = mb_kind[idx - 1] == MB_PCM ? 16 : 0;
	if (b)
		nb = mb_kind[idx - mb_w] == MB_PCM ? 16 : 0;
	if (a && b)
		nc = (na + nb + 1) >> 1;
	else
		nc = a ? na : nb;
	/* TrailingOnes 0, TotalCoeff 0 (table 9-5) */
	if (nc < 2)
		bw_bits(bw, 1, 1);
	else if (nc < 4)
		bw_bits(bw, 3, 2);
	else if (nc < 8)
		bw_bits(bw, 15, 4);
	else
		bw_bits(bw, 3, 6);
}

static void write_pcm(struct bitwriter *bw, const struct h264_picture *pic,
		      unsigned int mbx, unsigned int mby)
{
	unsigned int ys = pic->mb_w * 16, cs = pic->mb_w * 8, i, j;
	const u8 *p;

	bw_align_zero(bw);			/* pcm_alignment_zero_bit */
	for (i = 0; i < 16; i++) {
		p = pic->y + (size_t)(mby * 16 + i) * ys + mbx * 16;
		for (j = 0; j < 16; j++)
			bw_byte(bw, p[j]);
	}
	for (i = 0; i < 8; i++) {
		p = pic->u + (size_t)(mby * 8 + i) * cs + mbx * 8;
		for (j = 0; j < 8; j++)
			bw_byte(bw, p[j]);
	}
	for (i = 0; i < 8; i++) {
		p = pic->v + (size_t)(mby * 8 + i) * cs + mbx * 8;
		for (j = 0; j < 8; j++)
			bw_byte(bw, p[j]);
	}
}

size_t h264_write_slice(u8 *buf, size_t cap, const struct h264_seq_params *sp,
			const struct h264_slice_params *slp,
			const struct h264_picture *cur,
			const struct h264_picture *ref, u8 *mb_kind,
			struct h264_slice_stats *stats)
{
	unsigned int mb_offset = slp->idr ? 0 : 5, skip_run = 0, mbx, mby;
	bool p_slice = !slp->idr && ref;
	struct bitwriter bw;

	memset(stats, 0, sizeof(*stats));
	bw_init(&bw, buf, cap);
	if (slp->idr)
		bw_nal_start(&bw, 0x65);	/* nal_ref_idc 3, IDR slice */
	else
		bw_nal_start(&bw, 0x41);	/* nal_ref_idc 2, non-IDR slice */
	bw_ue(&bw, 0);				/* first_mb_in_slice */
	bw_ue(&bw, slp->idr ? 7 : 5);		/* slice_type: all I / all P */
	bw_ue(&bw, 0);				/* pic_parameter_set_id */
	bw_bits(&bw, slp->frame_num & ((1 << H264_LOG2_MAX_FRAME_NUM) - 1),
		H264_LOG2_MAX_FRAME_NUM);
	if (slp->idr)
		bw_ue(&bw, slp->idr_pic_id & 0xffff);
	if (!slp->idr) {
		bw_bits(&bw, 0, 1);		/* num_ref_idx_active_override_flag */
		bw_bits(&bw, 0, 1);		/* ref_pic_list_modification_flag_l0 */
	}
	if (slp->idr) {
		bw_bits(&bw, 0, 1);		/* no_output_of_prior_pics_flag */
		bw_bits(&bw, 0, 1);		/* long_term_reference_flag */
	} else {
		bw_bits(&bw, 0, 1);		/* adaptive_ref_pic_marking_mode */
	}
	bw_se(&bw, 0);				/* slice_qp_delta */
	bw_ue(&bw, 1);				/* disable_deblocking_filter_idc */

	for (mby = 0; mby < cur->mb_h; mby++) {
		for (mbx = 0; mbx < cur->mb_w; mbx++) {
			unsigned int idx = mby * cur->mb_w + mbx;
			int lm = -1, cm = -1;

			if (p_slice && mb_equal(cur, ref, mbx, mby)) {
				mb_kind[idx] = MB_SKIP;
				skip_run++;
				stats->skip++;
				continue;
			}
			if (!slp->idr) {
				bw_ue(&bw, skip_run);	/* mb_skip_run */
				skip_run = 0;
			}
			lm = luma_mode(cur, mbx, mby);
			if (lm >= 0)
				cm = chroma_mode(cur, mbx, mby);
			if (lm >= 0 && cm >= 0) {
				/* I_16x16_<lm>_0_0 */
				bw_ue(&bw, mb_offset + 1 + lm);
				bw_ue(&bw, cm);		/* intra_chroma_pred_mode */
				bw_se(&bw, 0);		/* mb_qp_delta */
				write_empty_dc(&bw, mb_kind, cur->mb_w, mbx, mby);
				mb_kind[idx] = MB_INTRA16;
				stats->intra16++;
			} else {
				bw_ue(&bw, mb_offset + 25);	/* I_PCM */
				write_pcm(&bw, cur, mbx, mby);
				mb_kind[idx] = MB_PCM;
				stats->pcm++;
			}
			if (bw.overflow)
				return 0;
		}
	}
	if (skip_run)
		bw_ue(&bw, skip_run);
	bw_trailing(&bw);
	return bw_done(&bw);
}
