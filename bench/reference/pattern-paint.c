/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libpattern-paint: hdmirtc's own test pattern painter (with its barcode),
 * for the reference pipeline of the benchmark (bench/reference/whep-gst.py
 * loads it with ctypes).  The reference paints each frame straight into
 * the GstBuffer it then pushes into its appsrc, in its own process, as the
 * service paints into the buffer it hands its encoder: stamped, then
 * painted (src/capture/test-pattern.c), no copy, no other process.
 * Through a pipe from another process a 1.4 MB frame took 1.3 ms to reach
 * the reference's encoder, through shared memory and a copy 1.0 ms; the
 * service's own source takes about 0.15 ms (issue 13). */
#include <drm_fourcc.h>
#include <string.h>

#include "capture-private.h"
#include "hdmirtc/barcode.h"

/* What ctypes calls. */
#define EXPORT __attribute__((visibility("default")))

EXPORT gpointer hdmirtc_ref_painter_new(guint width, guint height);
EXPORT void hdmirtc_ref_painter_free(gpointer painter);
EXPORT void hdmirtc_ref_paint(gpointer painter, guint8 *dst, guint64 seq, gint64 *mono_us,
                              gint64 *wall_us);

gpointer hdmirtc_ref_painter_new(guint width, guint height)
{
	HdmirtcPatternPainter *p;

	if (width < 16 || height < 16 || width % 16 || height % 2)
		return NULL;
	p = g_new(HdmirtcPatternPainter, 1);
	hdmirtc_pattern_painter_init(p, width, height);
	return p;
}

void hdmirtc_ref_painter_free(gpointer painter)
{
	if (!painter)
		return;
	hdmirtc_pattern_painter_clear(painter);
	g_free(painter);
}

/* Frame seq into dst (I420, planes packed one after the other), stamped
 * first as the service's test pattern stamps its frames: *mono_us on
 * CLOCK_MONOTONIC, *wall_us the wall clock the barcode carries. */
void hdmirtc_ref_paint(gpointer painter, guint8 *dst, guint64 seq, gint64 *mono_us, gint64 *wall_us)
{
	HdmirtcPatternPainter *p = painter;
	gsize luma = (gsize)p->width * p->height;
	HdmirtcFrame f = {
		.width = p->width, .height = p->height, .fourcc = DRM_FORMAT_YUV420, .n_planes = 3,
		.data = { dst, dst + luma, dst + luma + luma / 4 },
		.stride = { p->width, p->width / 2, p->width / 2 },
		.dmabuf_fd = -1, .seq = seq, .colour = HDMIRTC_COLOUR_BT601_LIMITED,
	};
	HdmirtcBarcode code;

	f.capture_mono_us = g_get_monotonic_time();
	f.capture_wall_us = g_get_real_time();
	code.counter = (guint32)seq;
	code.mono_us = f.capture_mono_us;
	code.wall_us = f.capture_wall_us;
	hdmirtc_pattern_paint(p, &f, &code);
	*mono_us = f.capture_mono_us;
	*wall_us = f.capture_wall_us;
}
