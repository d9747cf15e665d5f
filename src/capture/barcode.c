/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Frame-counter barcode; the layout is documented in hdmirtc/barcode.h. */
#include "hdmirtc/barcode.h"

#include <string.h>

#define BARCODE_BYTES (HDMIRTC_BARCODE_BITS / 8)
#define PAYLOAD_OFFSET 2        /* after the sync word */
#define PAYLOAD_BYTES 20        /* counter, mono, wall */
#define SAMPLE_FROM 6           /* 4x4 samples at the block centre */
#define SAMPLE_SIZE 4
/* 16 samples whose mean is above (16 + 235) / 2 = 125.5. */
#define SAMPLE_THRESHOLD 2008

guint16 hdmirtc_barcode_crc16(const guint8 *data, gsize len)
{
	guint16 crc = 0xFFFF;

	for (gsize i = 0; i < len; i++) {
		crc ^= (guint16)(data[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (guint16)((crc << 1) ^ 0x1021) : (guint16)(crc << 1);
	}
	return crc;
}

static void put_be(guint8 *p, guint64 v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		p[i] = v & 0xFF;
		v >>= 8;
	}
}

static guint64 get_be(const guint8 *p, int bytes)
{
	guint64 v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

static void pack(guint8 buf[BARCODE_BYTES], const HdmirtcBarcode *code)
{
	put_be(buf, HDMIRTC_BARCODE_SYNC, 2);
	put_be(buf + 2, code->counter, 4);
	put_be(buf + 6, (guint64)code->mono_us, 8);
	put_be(buf + 14, (guint64)code->wall_us, 8);
	put_be(buf + 22, hdmirtc_barcode_crc16(buf + PAYLOAD_OFFSET, PAYLOAD_BYTES), 2);
}

static guint bits_per_row(guint width)
{
	return width / HDMIRTC_BARCODE_BLOCK;
}

guint hdmirtc_barcode_rows(guint width)
{
	guint bpr = bits_per_row(width);

	if (width < HDMIRTC_BARCODE_MIN_WIDTH)
		return 0;
	return (HDMIRTC_BARCODE_BITS + bpr - 1) / bpr * HDMIRTC_BARCODE_BLOCK;
}

static gboolean bit_at(const guint8 buf[BARCODE_BYTES], guint i)
{
	if (i >= HDMIRTC_BARCODE_BITS)
		return FALSE;
	return (buf[i / 8] >> (7 - i % 8)) & 1;
}

/* Paints the first pixel line of each block row with one memset per block,
 * then copies it to the other 15 lines: no per-pixel work. */
gboolean hdmirtc_barcode_paint(guint8 *y, guint stride, guint width, guint height,
                               const HdmirtcBarcode *code)
{
	guint8 buf[BARCODE_BYTES];
	guint rows = hdmirtc_barcode_rows(width);
	guint bpr = bits_per_row(width);

	if (!y || !code || rows == 0 || width % HDMIRTC_BARCODE_BLOCK || stride < width ||
	    height < rows)
		return FALSE;
	pack(buf, code);
	for (guint r = 0; r < rows / HDMIRTC_BARCODE_BLOCK; r++) {
		guint8 *line = y + (gsize)r * HDMIRTC_BARCODE_BLOCK * stride;

		for (guint c = 0; c < bpr; c++)
			memset(line + c * HDMIRTC_BARCODE_BLOCK,
			       bit_at(buf, r * bpr + c) ? HDMIRTC_BARCODE_WHITE : HDMIRTC_BARCODE_BLACK,
			       HDMIRTC_BARCODE_BLOCK);
		for (guint l = 1; l < HDMIRTC_BARCODE_BLOCK; l++)
			memcpy(line + (gsize)l * stride, line, width);
	}
	return TRUE;
}

static gboolean sample_bit(const guint8 *y, guint stride, guint bpr, guint i)
{
	guint x0 = (i % bpr) * HDMIRTC_BARCODE_BLOCK + SAMPLE_FROM;
	guint y0 = (i / bpr) * HDMIRTC_BARCODE_BLOCK + SAMPLE_FROM;
	guint sum = 0;

	for (guint dy = 0; dy < SAMPLE_SIZE; dy++) {
		const guint8 *p = y + (gsize)(y0 + dy) * stride + x0;

		for (guint dx = 0; dx < SAMPLE_SIZE; dx++)
			sum += p[dx];
	}
	return sum > SAMPLE_THRESHOLD;
}

gboolean hdmirtc_barcode_read(const guint8 *y, guint stride, guint width, guint height,
                              HdmirtcBarcode *out)
{
	guint8 buf[BARCODE_BYTES] = { 0 };
	guint rows = hdmirtc_barcode_rows(width);
	guint bpr = bits_per_row(width);

	if (!y || !out || rows == 0 || stride < width || height < rows)
		return FALSE;
	for (guint i = 0; i < HDMIRTC_BARCODE_BITS; i++) {
		if (sample_bit(y, stride, bpr, i))
			buf[i / 8] |= (guint8)(0x80 >> (i % 8));
		/* Give up early on pictures without a barcode. */
		if (i == 15 && get_be(buf, 2) != HDMIRTC_BARCODE_SYNC)
			return FALSE;
	}
	if (get_be(buf + 22, 2) != hdmirtc_barcode_crc16(buf + PAYLOAD_OFFSET, PAYLOAD_BYTES))
		return FALSE;
	out->counter = (guint32)get_be(buf + 2, 4);
	out->mono_us = (gint64)get_be(buf + 6, 8);
	out->wall_us = (gint64)get_be(buf + 14, 8);
	return TRUE;
}
