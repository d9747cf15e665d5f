// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Raw frame -> 4:2:0 conversion of the bcm2835-codec stand-in.
 *
 * Layouts, as the driver sizes them (sizeimage = bytesperline * height *
 * 3 / 2 for the 4:2:0 formats, bytesperline * height for the others):
 *  YU12/YV12  Y plane, then the U (V) and V (U) planes of stride
 *             bytesperline / 2 and height / 2 rows.
 *  NV12/NV21  Y plane, then one CbCr (CrCb) plane of stride bytesperline.
 *  NC12       128-byte wide columns; bytesperline is the column height in
 *             lines: luma lines 0..height-1, CbCr lines from line height.
 *  YUYV UYVY YVYU VYUY  packed 4:2:2.
 *  RGB3 BGR3 BGR4 AB24 RGBP  packed RGB (RGBP: RGB565 little endian).
 *
 * Exact rules, so that a test can predict every decoded sample:
 *  - 4:2:0 input is copied.
 *  - 4:2:2 input: Y copied; Cb/Cr of chroma row r = (row 2r + row 2r+1 + 1)
 *    / 2 of the source chroma.
 *  - RGB: Y per pixel, Cb/Cr from the mean of the 2x2 pixels
 *    ((sum + 2) / 4 per component), with 8-bit fixed point matrices:
 *      BT.601 full     Y = (77R + 150G + 29B + 128) >> 8
 *                      Cb = ((-43R - 85G + 128B + 128) >> 8) + 128
 *                      Cr = ((128R - 107G - 21B + 128) >> 8) + 128
 *      BT.601 limited  Y = ((66R + 129G + 25B + 128) >> 8) + 16
 *                      Cb = ((-38R - 74G + 112B + 128) >> 8) + 128
 *                      Cr = ((112R - 94G - 18B + 128) >> 8) + 128
 *      BT.709 full     Y = (54R + 183G + 19B + 128) >> 8
 *                      Cb = ((-29R - 99G + 128B + 128) >> 8) + 128
 *                      Cr = ((128R - 116G - 12B + 128) >> 8) + 128
 *      BT.709 limited  Y = ((47R + 157G + 16B + 128) >> 8) + 16
 *                      Cb = ((-26R - 87G + 113B + 128) >> 8) + 128
 *                      Cr = ((112R - 102G - 10B + 128) >> 8) + 128
 *    (arithmetic shifts, results clamped to 0..255).
 *  - Padding to whole macroblocks repeats the last visible column and row
 *    (of luma and of chroma).
 */
#include "codec-convert.h"

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/videodev2.h>

enum layout {
	LAYOUT_I420,
	LAYOUT_NV12,
	LAYOUT_COL128,
	LAYOUT_PACKED422,
	LAYOUT_RGB,
	LAYOUT_RGB565,
};

struct raw_layout {
	u32 fourcc;
	enum layout layout;
	bool swap_uv;		/* YV12, NV21 */
	u8 bpp;			/* bytes per pixel for packed formats */
	u8 y0, y1, cb, cr;	/* packed 4:2:2 byte offsets in 4 bytes */
	u8 r, g, b;		/* packed RGB byte offsets */
};

#define PACKED422(f, a, b, u, v) { .fourcc = f, .layout = LAYOUT_PACKED422, \
		.bpp = 2, .y0 = a, .y1 = b, .cb = u, .cr = v }
#define PACKED_RGB(f, n, rr, gg, bb) { .fourcc = f, .layout = LAYOUT_RGB, \
		.bpp = n, .r = rr, .g = gg, .b = bb }

static const struct raw_layout layouts[] = {
	{ .fourcc = V4L2_PIX_FMT_YUV420, .layout = LAYOUT_I420 },
	{ .fourcc = V4L2_PIX_FMT_YVU420, .layout = LAYOUT_I420, .swap_uv = true },
	{ .fourcc = V4L2_PIX_FMT_NV12, .layout = LAYOUT_NV12 },
	{ .fourcc = V4L2_PIX_FMT_NV21, .layout = LAYOUT_NV12, .swap_uv = true },
	{ .fourcc = V4L2_PIX_FMT_NV12_COL128, .layout = LAYOUT_COL128 },
	PACKED422(V4L2_PIX_FMT_YUYV, 0, 2, 1, 3),
	PACKED422(V4L2_PIX_FMT_UYVY, 1, 3, 0, 2),
	PACKED422(V4L2_PIX_FMT_YVYU, 0, 2, 3, 1),
	PACKED422(V4L2_PIX_FMT_VYUY, 1, 3, 2, 0),
	PACKED_RGB(V4L2_PIX_FMT_RGB24, 3, 0, 1, 2),
	PACKED_RGB(V4L2_PIX_FMT_BGR24, 3, 2, 1, 0),
	PACKED_RGB(V4L2_PIX_FMT_BGR32, 4, 2, 1, 0),
	PACKED_RGB(V4L2_PIX_FMT_RGBA32, 4, 0, 1, 2),
	{ .fourcc = V4L2_PIX_FMT_RGB565, .layout = LAYOUT_RGB565, .bpp = 2 },
};

static const struct raw_layout *find_layout(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].fourcc == fourcc)
			return &layouts[i];
	return NULL;
}

bool codec_fourcc_is_rgb(u32 fourcc)
{
	const struct raw_layout *l = find_layout(fourcc);

	return l && (l->layout == LAYOUT_RGB || l->layout == LAYOUT_RGB565);
}

size_t codec_raw_frame_bytes(u32 fourcc, unsigned int bytesperline,
			     unsigned int height, unsigned int width)
{
	const struct raw_layout *l = find_layout(fourcc);
	size_t bpl = bytesperline;

	if (!l)
		return 0;
	switch (l->layout) {
	case LAYOUT_I420:
		return bpl * height + 2 * (bpl / 2) * (height / 2);
	case LAYOUT_NV12:
		return bpl * height + bpl * (height / 2);
	case LAYOUT_COL128:
		return (size_t)((width + 127) / 128) * 128 * bpl;
	default:
		return bpl * height;
	}
}

static u8 clamp_u8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

struct rgb_matrix {
	int yr, yg, yb, yoff;
	int ur, ug, ub;
	int vr, vg, vb;
};

static const struct rgb_matrix matrices[2][2] = {
	/* BT.601: limited, full */
	{ { 66, 129, 25, 16, -38, -74, 112, 112, -94, -18 },
	  { 77, 150, 29, 0, -43, -85, 128, 128, -107, -21 } },
	/* BT.709: limited, full */
	{ { 47, 157, 16, 16, -26, -87, 113, 112, -102, -10 },
	  { 54, 183, 19, 0, -29, -99, 128, 128, -116, -12 } },
};

static void read_rgb(const struct raw_layout *l, const u8 *px, int *r, int *g,
		     int *b)
{
	if (l->layout == LAYOUT_RGB565) {
		unsigned int v = px[0] | px[1] << 8;
		unsigned int r5 = v >> 11, g6 = (v >> 5) & 0x3f, b5 = v & 0x1f;

		*r = r5 << 3 | r5 >> 2;
		*g = g6 << 2 | g6 >> 4;
		*b = b5 << 3 | b5 >> 2;
	} else {
		*r = px[l->r];
		*g = px[l->g];
		*b = px[l->b];
	}
}

static unsigned int min_u(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

/* Pointer to the first byte of luma/packed row y. */
static const u8 *row_ptr(const struct codec_raw_frame *in, unsigned int y)
{
	return in->data + (size_t)y * in->bytesperline;
}

static u8 col128_byte(const struct codec_raw_frame *in, unsigned int x,
		      unsigned int line)
{
	size_t col = x / 128;

	return in->data[col * 128 * in->bytesperline + (size_t)line * 128 +
			x % 128];
}

static void convert_luma(const struct codec_raw_frame *in,
			 const struct raw_layout *l, struct h264_picture *pic)
{
	const struct rgb_matrix *m = &matrices[in->rgb_bt709][in->rgb_full_range];
	unsigned int stride = pic->mb_w * 16, w = in->width, x, y;

	for (y = 0; y < pic->mb_h * 16; y++) {
		unsigned int sy = min_u(y, in->visible_height - 1);
		const u8 *row = row_ptr(in, sy);
		u8 *d = pic->y + (size_t)y * stride;

		switch (l->layout) {
		case LAYOUT_I420:
		case LAYOUT_NV12:
			memcpy(d, row, w);
			break;
		case LAYOUT_COL128:
			for (x = 0; x < w; x++)
				d[x] = col128_byte(in, x, sy);
			break;
		case LAYOUT_PACKED422:
			for (x = 0; x < w; x++)
				d[x] = row[(x / 2) * 4 + (x & 1 ? l->y1 : l->y0)];
			break;
		case LAYOUT_RGB:
		case LAYOUT_RGB565:
			for (x = 0; x < w; x++) {
				int r, g, b;

				read_rgb(l, row + (size_t)x * l->bpp, &r, &g, &b);
				d[x] = clamp_u8(((m->yr * r + m->yg * g + m->yb * b +
						  128) >> 8) + m->yoff);
			}
			break;
		}
		for (x = w; x < stride; x++)
			d[x] = d[w - 1];
	}
}

/* Cb and Cr of chroma sample (cx, cy) of the visible picture. */
static void chroma_sample(const struct codec_raw_frame *in,
			  const struct raw_layout *l, unsigned int cx,
			  unsigned int cy, u8 *cb, u8 *cr)
{
	const struct rgb_matrix *m = &matrices[in->rgb_bt709][in->rgb_full_range];
	unsigned int h = in->visible_height, w = in->width;
	unsigned int y0 = min_u(2 * cy, h - 1), y1 = min_u(2 * cy + 1, h - 1);
	unsigned int crow = min_u(cy, in->height / 2 ? in->height / 2 - 1 : 0);
	const u8 *p, *q;
	size_t base;

	switch (l->layout) {
	case LAYOUT_I420: {
		size_t ysize = (size_t)in->bytesperline * in->height;
		size_t cstride = in->bytesperline / 2;
		size_t csize = cstride * (in->height / 2);
		const u8 *u = in->data + ysize + (l->swap_uv ? csize : 0);
		const u8 *v = in->data + ysize + (l->swap_uv ? 0 : csize);

		*cb = u[crow * cstride + cx];
		*cr = v[crow * cstride + cx];
		break;
	}
	case LAYOUT_NV12:
		p = in->data + (size_t)in->bytesperline * in->height +
		    crow * (size_t)in->bytesperline + 2 * cx;
		*cb = p[l->swap_uv];
		*cr = p[!l->swap_uv];
		break;
	case LAYOUT_COL128:
		*cb = col128_byte(in, 2 * cx, in->height + cy);
		*cr = col128_byte(in, 2 * cx + 1, in->height + cy);
		break;
	case LAYOUT_PACKED422:
		base = (size_t)cx * 4;
		p = row_ptr(in, y0) + base;
		q = row_ptr(in, y1) + base;
		*cb = (p[l->cb] + q[l->cb] + 1) >> 1;
		*cr = (p[l->cr] + q[l->cr] + 1) >> 1;
		break;
	case LAYOUT_RGB:
	case LAYOUT_RGB565: {
		unsigned int x0 = min_u(2 * cx, w - 1), x1 = min_u(2 * cx + 1, w - 1);
		int r = 0, g = 0, b = 0, rr, gg, bb;

		read_rgb(l, row_ptr(in, y0) + (size_t)x0 * l->bpp, &rr, &gg, &bb);
		r += rr, g += gg, b += bb;
		read_rgb(l, row_ptr(in, y0) + (size_t)x1 * l->bpp, &rr, &gg, &bb);
		r += rr, g += gg, b += bb;
		read_rgb(l, row_ptr(in, y1) + (size_t)x0 * l->bpp, &rr, &gg, &bb);
		r += rr, g += gg, b += bb;
		read_rgb(l, row_ptr(in, y1) + (size_t)x1 * l->bpp, &rr, &gg, &bb);
		r = (r + rr + 2) >> 2;
		g = (g + gg + 2) >> 2;
		b = (b + bb + 2) >> 2;
		*cb = clamp_u8(((m->ur * r + m->ug * g + m->ub * b + 128) >> 8) + 128);
		*cr = clamp_u8(((m->vr * r + m->vg * g + m->vb * b + 128) >> 8) + 128);
		break;
	}
	}
}

static void convert_chroma(const struct codec_raw_frame *in,
			   const struct raw_layout *l, struct h264_picture *pic)
{
	unsigned int stride = pic->mb_w * 8, cw = (in->width + 1) / 2;
	unsigned int ch = (in->visible_height + 1) / 2, x, y;

	for (y = 0; y < pic->mb_h * 8; y++) {
		u8 *u = pic->u + (size_t)y * stride;
		u8 *v = pic->v + (size_t)y * stride;

		if (y >= ch) {
			memcpy(u, u - stride, stride);
			memcpy(v, v - stride, stride);
			continue;
		}
		for (x = 0; x < cw; x++)
			chroma_sample(in, l, x, y, &u[x], &v[x]);
		for (x = cw; x < stride; x++) {
			u[x] = u[cw - 1];
			v[x] = v[cw - 1];
		}
	}
}

int codec_convert_frame(const struct codec_raw_frame *in,
			struct h264_picture *pic)
{
	const struct raw_layout *l = find_layout(in->fourcc);
	size_t need;

	if (!l || !in->width || !in->visible_height ||
	    in->width > pic->mb_w * 16 || in->visible_height > pic->mb_h * 16 ||
	    in->visible_height > in->height)
		return -EINVAL;
	need = codec_raw_frame_bytes(in->fourcc, in->bytesperline, in->height,
				     in->width);
	if (in->size < need)
		return -EINVAL;
	/* the visible width must fit in a line of the layout */
	switch (l->layout) {
	case LAYOUT_COL128:
		if (in->bytesperline < in->height + (in->height + 1) / 2)
			return -EINVAL;
		break;
	case LAYOUT_PACKED422:
		if ((size_t)((in->width + 1) / 2) * 4 > in->bytesperline)
			return -EINVAL;
		break;
	case LAYOUT_RGB:
	case LAYOUT_RGB565:
		if ((size_t)in->width * l->bpp > in->bytesperline)
			return -EINVAL;
		break;
	default:
		if (in->width > in->bytesperline)
			return -EINVAL;
		break;
	}
	convert_luma(in, l, pic);
	convert_chroma(in, l, pic);
	return 0;
}
