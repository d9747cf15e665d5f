/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Frames a CPU encoder cannot take as they are, made I420: the one CPU
 * copy of a capture path, counted in the frame. */
#include "capture-private.h"

#include <drm_fourcc.h>

gboolean hdmirtc_convert_to_i420_supports(guint32 fourcc)
{
	return fourcc == DRM_FORMAT_UYVY || fourcc == DRM_FORMAT_YUYV || fourcc == DRM_FORMAT_BGR888;
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
	/* DRM BGR888: R, G, B bytes, to BT.601 studio range (>> rounds
	 * negative chroma down, as the formula means; / would round it up). */
	for (guint x = 0; x < in->width; x++) {
		const guint8 *p = src + x * 3, *q = src2 + x * 3;

		y0[x] = (guint8)(((66 * p[0] + 129 * p[1] + 25 * p[2] + 128) >> 8) + 16);
		y1[x] = (guint8)(((66 * q[0] + 129 * q[1] + 25 * q[2] + 128) >> 8) + 16);
		if (x % 2 == 0) {
			u[x / 2] = (guint8)(((-38 * p[0] - 74 * p[1] + 112 * p[2] + 128) >> 8) + 128);
			v[x / 2] = (guint8)(((112 * p[0] - 94 * p[1] - 18 * p[2] + 128) >> 8) + 128);
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
	out->colour = in->fourcc == DRM_FORMAT_BGR888 ? HDMIRTC_COLOUR_BT601_LIMITED : in->colour;
	out->bytes_copied = (guint64)out->width * out->height * 3 / 2;
	return out;
}
