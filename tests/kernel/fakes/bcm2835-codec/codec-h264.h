/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * H.264 writer of the bcm2835-codec stand-in: lossless pictures made of
 * I_PCM, exactly predicted Intra_16x16 and P_Skip macroblocks (CAVLC, one
 * slice per picture).  See codec-h264.c.
 */
#ifndef BCM2835_CODEC_H264_H
#define BCM2835_CODEC_H264_H

#include <linux/types.h>

/* frame_num is written in this many bits (log2_max_frame_num). */
#define H264_LOG2_MAX_FRAME_NUM	8

/*
 * A 4:2:0 picture whose size is a whole number of macroblocks: luma stride
 * mb_w * 16, chroma strides mb_w * 8.
 */
struct h264_picture {
	u8 *y;
	u8 *u;
	u8 *v;
	unsigned int mb_w;
	unsigned int mb_h;
};

struct h264_seq_params {
	unsigned int profile_idc;
	unsigned int constraint_flags;	/* constraint_set0..5 as one byte */
	unsigned int level_idc;
	unsigned int mb_w;
	unsigned int mb_h;
	unsigned int width;		/* visible size: frame cropping */
	unsigned int height;
	/* VUI */
	bool signal_type;		/* video_signal_type_present_flag */
	bool full_range;
	bool colour_description;
	u8 colour_primaries;
	u8 transfer_characteristics;
	u8 matrix_coefficients;
	u32 num_units_in_tick;		/* 0: no timing info */
	u32 time_scale;
};

struct h264_slice_params {
	bool idr;
	unsigned int frame_num;
	unsigned int idr_pic_id;
};

/* What a picture was made of. */
struct h264_slice_stats {
	unsigned int pcm;
	unsigned int intra16;
	unsigned int skip;
};

/* Room for one access unit (SPS, PPS and the slice) of mb_w x mb_h. */
size_t h264_max_access_unit(unsigned int mb_w, unsigned int mb_h);

/*
 * Each writes one NAL unit with its 4-byte start code at buf and returns
 * its size, or 0 when cap is too small.
 */
size_t h264_write_sps(u8 *buf, size_t cap, const struct h264_seq_params *sp);
size_t h264_write_pps(u8 *buf, size_t cap);
/*
 * The slice of cur; ref is the previous picture (NULL for an IDR).
 * mb_kind is scratch of mb_w * mb_h bytes.
 */
size_t h264_write_slice(u8 *buf, size_t cap, const struct h264_seq_params *sp,
			const struct h264_slice_params *slp,
			const struct h264_picture *cur,
			const struct h264_picture *ref, u8 *mb_kind,
			struct h264_slice_stats *stats);

#endif
