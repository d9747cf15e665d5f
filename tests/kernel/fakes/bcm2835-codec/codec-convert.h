/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Raw frame -> 4:2:0 conversion of the bcm2835-codec stand-in (the VPU
 * converts on its own on the hardware).  See codec-convert.c.
 */
#ifndef BCM2835_CODEC_CONVERT_H
#define BCM2835_CODEC_CONVERT_H

#include "codec-h264.h"

/* Raspberry Pi fourcc of the 128-byte column NV12 (not in mainline). */
#ifndef V4L2_PIX_FMT_NV12_COL128
#define V4L2_PIX_FMT_NV12_COL128 v4l2_fourcc('N', 'C', '1', '2')
#endif

struct codec_raw_frame {
	u32 fourcc;
	const u8 *data;
	size_t size;			/* bytes mapped at data */
	unsigned int bytesperline;	/* of the OUTPUT format */
	unsigned int height;		/* buffer height of the OUTPUT format */
	unsigned int width;		/* visible width (crop) */
	unsigned int visible_height;	/* visible height (crop) */
	bool rgb_bt709;			/* RGB -> YCbCr: BT.709, else BT.601 */
	bool rgb_full_range;		/* RGB -> YCbCr: full range, else limited */
};

/* Bytes the layout of fourcc needs at bytesperline x height. */
size_t codec_raw_frame_bytes(u32 fourcc, unsigned int bytesperline,
			     unsigned int height, unsigned int width);
bool codec_fourcc_is_rgb(u32 fourcc);
/*
 * Fills pic (whole macroblocks) from the visible part of in, repeating the
 * last column and row into the padding.  -EINVAL if in is too small for
 * its layout or of an unknown format.
 */
int codec_convert_frame(const struct codec_raw_frame *in,
			struct h264_picture *pic);

#endif
