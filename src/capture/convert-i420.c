/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Frames a CPU encoder cannot take as they are, made I420: the one CPU
 * copy of a capture path, counted in the frame. */
#include "capture-private.h"

#include <drm_fourcc.h>

gboolean hdmirtc_convert_to_i420_supports(guint32 fourcc)
{
	return fourcc == DRM_FORMAT_UYVY || fourcc == DRM_FORMAT_YUYV || fourcc == DRM_FORMAT_BGR888 ||
	       fourcc == DRM_FORMAT_XRGB8888;
}

/* Byte offsets of R, G, B in a pixel, and the pixel's size. */
static void rgb_layout(guint32 fourcc, guint *r, guint *g, guint *b, guint *bpp)
{
	if (fourcc == DRM_FORMAT_XRGB8888) {    /* B, G, R, X in memory */
		*r = 2, *g = 1, *b = 0, *bpp = 4;
	} else {                                /* DRM BGR888: R, G, B */
		*r = 0, *g = 1, *b = 2, *bpp = 3;
	}
}

/* Chroma is taken from even rows (no vertical filter: text on a KVM screen
 * stays sharp enough and it is half the reads). */
static void convert_row_pair(const HdmirtcFrame *in, HdmirtcFrame *out, guint y)
{
	const guint8 *src = in->data[0] + (gsize)y * in->stride[0];
	const guint8 *src2 = in->data[0] + (gsize)MIN(y + 1, in->height - 1) * in->stride[0];
	guint8 *y0 = out->data[0] + (gsize)y * out->stride[0];
	guint8 *y1 = out->data[0] + (gsize)MIN(y + 1, out->height - 1) * out->stride[0];
	guint8 *u = out->data[1] + (gsize)(y / 2) * out->stride[1];
	guint8 *v = out->data[2] + (gsize)(y / 2) * out->stride[2];

	if (in->fourcc == DRM_FORMAT_UYVY || in->fourcc == DRM_FORMAT_YUYV) {
		/* Byte offsets of Y0 U Y1 V in the two-pixel group. */
		const guint *o = in->fourcc == DRM_FORMAT_UYVY ? (const guint[]){ 1, 0, 3, 2 } :
							       (const guint[]){ 0, 1, 2, 3 };

		for (guint x = 0; x + 1 < in->width; x += 2) {
			const guint8 *p = src + x * 2, *q = src2 + x * 2;

			y0[x] = p[o[0]];
			u[x / 2] = p[o[1]];
			y0[x + 1] = p[o[2]];
			v[x / 2] = p[o[3]];
			y1[x] = q[o[0]];
			y1[x + 1] = q[o[2]];
		}
		return;
	}
	/* RGB to BT.601 studio range (>> rounds negative chroma down, as the
	 * formula means; / would round it up). */
	guint r, g, b, bpp;

	rgb_layout(in->fourcc, &r, &g, &b, &bpp);
	for (guint x = 0; x < in->width; x++) {
		const guint8 *p = src + x * bpp, *q = src2 + x * bpp;

		y0[x] = (guint8)(((66 * p[r] + 129 * p[g] + 25 * p[b] + 128) >> 8) + 16);
		y1[x] = (guint8)(((66 * q[r] + 129 * q[g] + 25 * q[b] + 128) >> 8) + 16);
		if (x % 2 == 0) {
			u[x / 2] = (guint8)(((-38 * p[r] - 74 * p[g] + 112 * p[b] + 128) >> 8) + 128);
			v[x / 2] = (guint8)(((112 * p[r] - 94 * p[g] - 18 * p[b] + 128) >> 8) + 128);
		}
	}
}

HdmirtcFrame *hdmirtc_convert_to_i420(HdmirtcFramePool **pool, const HdmirtcFrame *in)
{
	HdmirtcFrame *out = hdmirtc_frame_pool_acquire(hdmirtc_frame_pool_sized_i420(pool, in->width & ~1u,
	                                                                             in->height & ~1u,
	                                                                             HDMIRTC_I420_POOL_BUFFERS));

	if (!out)
		return NULL;
	for (guint y = 0; y + 1 < in->height; y += 2)
		convert_row_pair(in, out, y);
	out->capture_mono_us = in->capture_mono_us;
	out->capture_wall_us = in->capture_wall_us;
	/* RGB is converted with BT.601 studio-range coefficients. */
	out->colour = in->fourcc == DRM_FORMAT_BGR888 || in->fourcc == DRM_FORMAT_XRGB8888 ?
	              HDMIRTC_COLOUR_BT601_LIMITED : in->colour;
	out->bytes_copied = (guint64)out->width * out->height * 3 / 2;
	return out;
}
