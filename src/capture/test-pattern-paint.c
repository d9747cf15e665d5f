/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Content of the test pattern.  From the top: the barcode, colour bars,
 * then a scrolling luma ramp with a moving box and, in the right quarter, a
 * noise area (1/8 of the picture) so that x264 has to spend its bitrate.
 * Everything is rows of memset/memcpy; the noise is 8 bytes per PRNG step. */
#include "capture-private.h"

#include <string.h>

#define RAMP_PERIOD 512
#define RAMP_STEP 4             /* pixels the ramp scrolls per frame */
#define BOX_STEP 8              /* pixels the box moves per frame */
#define NEUTRAL 128

/* 100% colour bars, BT.601 limited range: white, yellow, cyan, green,
 * magenta, red, blue, black. */
static const guint8 bar_colours[8][3] = {
	{ 235, 128, 128 }, { 210, 16, 146 }, { 170, 166, 16 }, { 145, 54, 34 },
	{ 106, 202, 222 }, { 81, 90, 240 }, { 41, 240, 110 }, { 16, 128, 128 },
};
static const guint8 box_colour[3] = { 81, 90, 240 };

static void init_bar_rows(HdmirtcPatternPainter *p)
{
	for (int plane = 0; plane < 3; plane++) {
		guint w = plane ? p->width / 2 : p->width;
		guint bar = w / 8;

		p->bar_row[plane] = g_malloc(w);
		for (guint i = 0; i < 8; i++)
			memset(p->bar_row[plane] + i * bar, bar_colours[i][plane], bar);
	}
}

static void init_ramp(HdmirtcPatternPainter *p)
{
	guint n = p->width + RAMP_PERIOD;

	p->ramp = g_malloc(n);
	for (guint i = 0; i < n; i++) {
		guint v = i % RAMP_PERIOD;
		guint t = v < RAMP_PERIOD / 2 ? v : RAMP_PERIOD - 1 - v;

		p->ramp[i] = (guint8)(16 + t * 219 / (RAMP_PERIOD / 2 - 1));
	}
}

void hdmirtc_pattern_painter_init(HdmirtcPatternPainter *p, guint width, guint height)
{
	guint lower;

	memset(p, 0, sizeof(*p));
	p->width = width;
	p->height = height;
	p->barcode_rows = hdmirtc_barcode_rows(width);
	/* Split what is below the barcode in two, keeping chroma rows whole. */
	p->bars_end = (p->barcode_rows + (height - p->barcode_rows) / 2) & ~1u;
	p->noise_x = width - width / 4;
	lower = height - p->bars_end;
	p->box_size = MIN(lower / 2, p->noise_x / 4) & ~1u;
	p->prng = 0x9E3779B97F4A7C15ull;
	init_bar_rows(p);
	init_ramp(p);
}

void hdmirtc_pattern_painter_clear(HdmirtcPatternPainter *p)
{
	for (int i = 0; i < 3; i++)
		g_clear_pointer(&p->bar_row[i], g_free);
	g_clear_pointer(&p->ramp, g_free);
}

static inline guint64 xorshift64(guint64 *s)
{
	guint64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Low-amplitude noise (112..143): enough to make x264 spend 1-5 Mbit/s,
 * not so much that it starves the rest of the picture (full-range noise
 * left 720p at 1 Mbit/s grey). */
static void paint_noise_row(HdmirtcPatternPainter *p, guint8 *dst, guint n)
{
	for (guint x = 0; x < n; x += 8) {
		guint64 r = (xorshift64(&p->prng) & 0x1F1F1F1F1F1F1F1Full) + 0x7070707070707070ull;

		memcpy(dst + x, &r, MIN(8u, n - x));
	}
}

static void paint_planes_rows(HdmirtcFrame *f, guint from, guint to, const guint8 *const rows[3],
                              guint8 fill_chroma)
{
	for (guint y = from; rows[0] && y < to; y++)
		memcpy(f->data[0] + (gsize)y * f->stride[0], rows[0], f->width);
	for (guint y = from / 2; y < to / 2; y++) {
		for (int c = 1; c < 3; c++) {
			guint8 *dst = f->data[c] + (gsize)y * f->stride[c];

			if (rows[c])
				memcpy(dst, rows[c], f->width / 2);
			else
				memset(dst, fill_chroma, f->width / 2);
		}
	}
}

static void paint_lower(HdmirtcPatternPainter *p, HdmirtcFrame *f, guint32 counter)
{
	const guint8 *ramp = p->ramp + (counter * RAMP_STEP) % RAMP_PERIOD;
	guint span = p->noise_x - p->box_size;
	guint box_x = (counter * BOX_STEP) % (span + 1) & ~1u;
	guint box_y = (p->bars_end + (p->height - p->bars_end - p->box_size) / 2) & ~1u;

	for (guint y = p->bars_end; y < p->height; y++) {
		guint8 *row = f->data[0] + (gsize)y * f->stride[0];

		memcpy(row, ramp, p->noise_x);
		if (y >= box_y && y < box_y + p->box_size)
			memset(row + box_x, box_colour[0], p->box_size);
		paint_noise_row(p, row + p->noise_x, p->width - p->noise_x);
	}
	for (guint y = p->bars_end / 2; y < p->height / 2; y++) {
		for (int c = 1; c < 3; c++) {
			guint8 *row = f->data[c] + (gsize)y * f->stride[c];

			memset(row, NEUTRAL, p->width / 2);
			if (y >= box_y / 2 && y < (box_y + p->box_size) / 2)
				memset(row + box_x / 2, box_colour[c], p->box_size / 2);
		}
	}
}

void hdmirtc_pattern_paint(HdmirtcPatternPainter *p, HdmirtcFrame *f, const HdmirtcBarcode *code)
{
	const guint8 *const bars[3] = { p->bar_row[0], p->bar_row[1], p->bar_row[2] };
	const guint8 *const neutral[3] = { NULL, NULL, NULL };

	g_return_if_fail(f->width == p->width && f->height == p->height);
	/* The barcode paints every luma pixel of its rows; chroma is neutral
	 * so that it stays black and white. */
	paint_planes_rows(f, 0, p->barcode_rows, neutral, NEUTRAL);
	hdmirtc_barcode_paint(f->data[0], f->stride[0], f->width, f->height, code);
	paint_planes_rows(f, p->barcode_rows, p->bars_end, bars, NEUTRAL);
	paint_lower(p, f, code->counter);
}
