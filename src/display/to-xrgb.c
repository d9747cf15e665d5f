/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Frames the screen's plane cannot take as they are (the test pattern's
 * I420, NO SIGNAL, a camera's NV12 on a plane without YUV), made XRGB8888,
 * the one format every display controller scans out. */
#include "display-private.h"

#include <drm_fourcc.h>

gboolean hdmirtc_to_xrgb_supports(guint32 fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_YUV420:
	case DRM_FORMAT_NV12:
	case DRM_FORMAT_UYVY:
	case DRM_FORMAT_YUYV:
	case DRM_FORMAT_BGR888:
	case DRM_FORMAT_XRGB8888:
		return TRUE;
	default:
		return FALSE;
	}
}

/* YCbCr -> RGB in 16.16 fixed point, from the frame's matrix and range. */
typedef struct {
	gint y_off, ky, rv, gu, gv, bu;
} Coeffs;

static Coeffs coeffs_for(const HdmirtcColour *c)
{
	/* Kr, Kb of BT.709 (matrix 1) or BT.601 (anything else: 5, 6 or
	 * unknown, what the test pattern and the TC358743 send). */
	double kr = c->matrix == 1 ? 0.2126 : 0.299, kb = c->matrix == 1 ? 0.0722 : 0.114;
	double kg = 1.0 - kr - kb;
	double ys = c->full_range ? 1.0 : 255.0 / 219.0, cs = c->full_range ? 1.0 : 255.0 / 224.0;
	const double one = 65536.0;

	return (Coeffs){
		.y_off = c->full_range ? 0 : 16,
		.ky = (gint)(ys * one + 0.5),
		.rv = (gint)(2.0 * (1.0 - kr) * cs * one + 0.5),
		.gu = (gint)(2.0 * (1.0 - kb) * kb / kg * cs * one + 0.5),
		.gv = (gint)(2.0 * (1.0 - kr) * kr / kg * cs * one + 0.5),
		.bu = (gint)(2.0 * (1.0 - kb) * cs * one + 0.5),
	};
}

static inline guint8 clamp8(gint v)
{
	return (guint8)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static inline guint32 yuv_pixel(const Coeffs *k, gint y, gint u, gint v)
{
	gint l = (y - k->y_off) * k->ky + 32768;

	u -= 128;
	v -= 128;
	return 0xff000000u | (guint32)clamp8((l + k->rv * v) >> 16) << 16 |
	       (guint32)clamp8((l - k->gu * u - k->gv * v) >> 16) << 8 | clamp8((l + k->bu * u) >> 16);
}

static void row_planar(const HdmirtcFrame *f, const Coeffs *k, guint y, guint32 *out)
{
	const guint8 *ys = f->data[0] + (gsize)y * f->stride[0];
	const guint8 *c = f->data[1] + (gsize)(y / 2) * f->stride[1];

	if (f->fourcc == DRM_FORMAT_NV12) {
		for (guint x = 0; x < f->width; x++)
			out[x] = yuv_pixel(k, ys[x], c[x & ~1u], c[(x & ~1u) + 1]);
		return;
	}
	const guint8 *v = f->data[2] + (gsize)(y / 2) * f->stride[2];

	for (guint x = 0; x < f->width; x++)
		out[x] = yuv_pixel(k, ys[x], c[x / 2], v[x / 2]);
}

static void row_packed(const HdmirtcFrame *f, const Coeffs *k, guint y, guint32 *out)
{
	const guint8 *p = f->data[0] + (gsize)y * f->stride[0];

	switch (f->fourcc) {
	case DRM_FORMAT_UYVY:
	case DRM_FORMAT_YUYV: {
		/* Byte offsets of Y0 U Y1 V in the two-pixel group. */
		const guint *o = f->fourcc == DRM_FORMAT_UYVY ? (const guint[]){ 1, 0, 3, 2 } :
		                                                (const guint[]){ 0, 1, 2, 3 };

		for (guint x = 0; x + 1 < f->width; x += 2, p += 4) {
			out[x] = yuv_pixel(k, p[o[0]], p[o[1]], p[o[3]]);
			out[x + 1] = yuv_pixel(k, p[o[2]], p[o[1]], p[o[3]]);
		}
		break;
	}
	case DRM_FORMAT_BGR888:         /* R, G, B in memory */
		for (guint x = 0; x < f->width; x++, p += 3)
			out[x] = 0xff000000u | (guint32)p[0] << 16 | (guint32)p[1] << 8 | p[2];
		break;
	default:                        /* XRGB8888: already what is wanted */
		memcpy(out, p, (gsize)f->width * 4);
		break;
	}
}

gboolean hdmirtc_to_xrgb(const HdmirtcFrame *f, guint8 *dst, guint32 dst_pitch)
{
	gboolean planar = f->fourcc == DRM_FORMAT_YUV420 || f->fourcc == DRM_FORMAT_NV12;
	Coeffs k = coeffs_for(&f->colour);

	if (!hdmirtc_to_xrgb_supports(f->fourcc) || !f->data[0] || (planar && !f->data[1]) ||
	    (f->fourcc == DRM_FORMAT_YUV420 && !f->data[2]))
		return FALSE;
	for (guint y = 0; y < f->height; y++) {
		guint32 *out = (guint32 *)(dst + (gsize)y * dst_pitch);

		if (planar)
			row_planar(f, &k, y, out);
		else
			row_packed(f, &k, y, out);
	}
	return TRUE;
}
