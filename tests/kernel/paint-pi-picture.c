/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host side self-test of check-picture.c: writes raw I420 frames of the
 * picture tests/kernel/fakes/pi-capture paints (pi-board.c, pifake_paint:
 * the barcode with counter = frame number, luma 16 below it, two 16 px bars
 * of luma 235 at W/4 and 3W/4, a 32x32 box of luma 160 at rows [H/2, H/2+32)
 * and x = (n * 8) % (W - 32)), so that run.sh can encode it with ffmpeg and
 * show that check-picture passes it and refuses it spoiled.
 *
 *   paint-pi-picture W H FRAMES [straight|stride|shear|backwards] > out.yuv
 *
 * straight:  as the stand-in paints it.
 * stride:    painted with a padded line (W + 64 bytes, as a driver aligns
 *            bytesperline) and read back with a line of W bytes, as a
 *            consumer that ignores bytesperline does: everything shears,
 *            the barcode too.
 * shear:     the same wrong stride below the barcode only, the barcode
 *            intact: the bars' check alone must see it.
 * backwards: straight, but the counter steps back once at frame FRAMES/2. */
#include "hdmirtc/barcode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAR_WIDTH 16
#define BOX_SIZE 32
#define BOX_LUMA 160
#define PAD 64

/* One luma plane of the stand-in's picture, lines `stride` bytes apart. */
static void paint(guint8 *y, guint stride, guint w, guint h, guint n, guint32 counter)
{
	guint rows = MIN(hdmirtc_barcode_rows(w), h);
	guint top = MAX(h / 2, rows);
	guint box_x = (n * 8) % (w - BOX_SIZE);
	HdmirtcBarcode code = { .counter = counter, .mono_us = n, .wall_us = n };

	memset(y, HDMIRTC_BARCODE_BLACK, (gsize)stride * h);
	for (guint r = rows; r < h; r++) {
		memset(y + (gsize)r * stride + w / 4, HDMIRTC_BARCODE_WHITE, BAR_WIDTH);
		memset(y + (gsize)r * stride + 3 * w / 4, HDMIRTC_BARCODE_WHITE, BAR_WIDTH);
	}
	for (guint r = top; r < top + BOX_SIZE && r < h; r++)
		memset(y + (gsize)r * stride + box_x, BOX_LUMA, BOX_SIZE);
	hdmirtc_barcode_paint(y, stride, w, h, &code);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 4 ? argv[4] : "straight";
	guint w = argc > 3 ? (guint)atoi(argv[1]) : 0, h = argc > 3 ? (guint)atoi(argv[2]) : 0;
	guint frames = argc > 3 ? (guint)atoi(argv[3]) : 0;
	gboolean stride = !strcmp(mode, "stride"), shear = !strcmp(mode, "shear");
	gboolean backwards = !strcmp(mode, "backwards");
	guint8 *padded, *plane, *chroma;

	if (w < HDMIRTC_BARCODE_MIN_WIDTH || w % 16 || h < 2 * BOX_SIZE || h % 2 || frames < 4 ||
	    !(stride || shear || backwards || !strcmp(mode, "straight"))) {
		fprintf(stderr, "usage: %s W H FRAMES [straight|stride|shear|backwards] "
		        "(W >= %u and a multiple of 16, H even and >= %u, FRAMES >= 4)\n", argv[0],
		        HDMIRTC_BARCODE_MIN_WIDTH, 2 * BOX_SIZE);
		return 2;
	}
	padded = g_malloc((gsize)(w + PAD) * h);
	plane = g_malloc((gsize)w * h);
	chroma = g_malloc((gsize)w * h / 2);
	memset(chroma, 128, (gsize)w * h / 2);
	for (guint n = 0; n < frames; n++) {
		guint32 counter = backwards && n >= frames / 2 ? n - 2 : n;

		if (stride || shear) {
			paint(padded, w + PAD, w, h, n, counter);
			memcpy(plane, padded, (gsize)w * h);
			if (shear)
				hdmirtc_barcode_paint(plane, w, w, h, &(HdmirtcBarcode){ .counter = counter });
		} else {
			paint(plane, w, w, h, n, counter);
		}
		if (fwrite(plane, 1, (gsize)w * h, stdout) != (gsize)w * h ||
		    fwrite(chroma, 1, (gsize)w * h / 2, stdout) != (gsize)w * h / 2) {
			perror("paint-pi-picture: stdout");
			return 1;
		}
	}
	g_free(padded);
	g_free(plane);
	g_free(chroma);
	return 0;
}
