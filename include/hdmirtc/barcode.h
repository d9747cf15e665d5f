/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A machine-readable barcode in the luma plane of a picture, carrying a frame
 * counter and the frame's capture times, so that tests and benchmarks can
 * measure latency from the decoded picture.  It is built to survive H.264 at
 * 1-5 Mbit/s: each bit is one flat 16x16 macroblock, black or white.
 *
 * Exact layout (web/barcode.js implements the same reader; keep in sync):
 *
 *   - A block is 16x16 luma pixels.  Block (col, row) covers the pixels
 *     x in [16*col, 16*col + 16), y in [16*row, 16*row + 16).
 *   - bits_per_row = floor(width / 16).  Bit i lives in block
 *     (i % bits_per_row, i / bits_per_row): row-major from the top-left
 *     corner (1280 px wide: 80 bits per block row).
 *   - A 0 bit is painted Y=16 (black), a 1 bit Y=235 (white).
 *   - 192 bits, every field most significant bit first:
 *       bits   0..15   sync pattern 0xA5C3
 *       bits  16..47   counter (unsigned 32 bit)
 *       bits  48..111  monotonic capture time, microseconds (CLOCK_MONOTONIC,
 *                      64-bit two's complement)
 *       bits 112..175  wall-clock capture time, microseconds since the Unix
 *                      epoch (64-bit two's complement)
 *       bits 176..191  CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no
 *                      reflection, no final xor) over the 20 bytes
 *                      counter | mono | wall, each big-endian
 *   - Blocks after bit 191 in the last block row are painted black.
 *   - The barcode occupies ceil(192 / bits_per_row) block rows, i.e.
 *     hdmirtc_barcode_rows(width) pixel rows.
 *   - Reading a bit: the sum of the 4x4 luma samples at block-relative
 *     x, y in [6, 10); the bit is 1 when the sum is > 2008 (mean above
 *     mid-grey 125.5), else 0.  A picture holds a barcode when the sync
 *     pattern and the CRC both match.
 *
 * Only luma is painted; the picture's chroma under the barcode should be
 * neutral (128) for it to look black and white.  All functions are pure
 * (no state) and may be called from any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HDMIRTC_BARCODE_BLOCK 16
#define HDMIRTC_BARCODE_BITS 192
#define HDMIRTC_BARCODE_SYNC 0xA5C3u
#define HDMIRTC_BARCODE_MIN_WIDTH 320
#define HDMIRTC_BARCODE_BLACK 16
#define HDMIRTC_BARCODE_WHITE 235

typedef struct {
	guint32 counter;
	gint64 mono_us;         /* CLOCK_MONOTONIC (g_get_monotonic_time) */
	gint64 wall_us;         /* g_get_real_time */
} HdmirtcBarcode;

/* Pixel rows the barcode occupies at the top of a picture this wide, or 0
 * if width < HDMIRTC_BARCODE_MIN_WIDTH. */
guint hdmirtc_barcode_rows(guint width);

/* Paints the barcode into the top hdmirtc_barcode_rows(width) rows of the
 * luma plane y.  Returns FALSE (and paints nothing) unless width >= 320,
 * width is a multiple of 16, stride >= width and height is at least the
 * barcode rows. */
gboolean hdmirtc_barcode_paint(guint8 *y, guint stride, guint width, guint height,
                               const HdmirtcBarcode *code);

/* Reads a barcode from the luma plane y into *out.  Returns FALSE (out is
 * left untouched) when the geometry is too small, the sync pattern is
 * missing or the checksum does not match.  width need not be a multiple
 * of 16: only whole blocks are read. */
gboolean hdmirtc_barcode_read(const guint8 *y, guint stride, guint width, guint height,
                              HdmirtcBarcode *out);

/* CRC-16/CCITT-FALSE, exposed for tests. */
guint16 hdmirtc_barcode_crc16(const guint8 *data, gsize len);

G_END_DECLS
