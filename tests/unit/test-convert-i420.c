/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The I420 conversion a capture source does for x264 (convert-i420.c):
 * the packed 4:2:2 orders (UYVY from the HDMI bridge, YUYV from webcams)
 * and RGB (vimc's BGR888) land in the right planes. */
#include "hdmirtc/capture.h"

#include <drm_fourcc.h>
#include <string.h>

/* src/capture (private to the module). */
typedef struct HdmirtcFramePool HdmirtcFramePool;
void hdmirtc_frame_pool_unref(HdmirtcFramePool *pool);
gboolean hdmirtc_convert_to_i420_supports(guint32 fourcc);
HdmirtcFrame *hdmirtc_convert_to_i420(HdmirtcFramePool **pool, const HdmirtcFrame *in);

#define W 4
#define H 2

static void no_release(HdmirtcFrame *f, gpointer data)
{
	(void)f;
	(void)data;
}

/* A W x H packed frame over bytes; converted, its planes are checked. */
static HdmirtcFrame *convert(guint32 fourcc, guint8 *bytes, guint bpp, HdmirtcFramePool **pool)
{
	HdmirtcFrame in;
	HdmirtcFrame *out;

	hdmirtc_frame_init(&in, no_release, NULL);
	in.width = W;
	in.height = H;
	in.fourcc = fourcc;
	in.n_planes = 1;
	in.data[0] = bytes;
	in.stride[0] = W * bpp;
	in.capture_mono_us = 1234;
	in.colour = HDMIRTC_COLOUR_BT601_LIMITED;
	out = hdmirtc_convert_to_i420(pool, &in);
	g_assert_nonnull(out);
	g_assert_cmpuint(out->fourcc, ==, DRM_FORMAT_YUV420);
	g_assert_cmpint(out->capture_mono_us, ==, 1234);
	g_assert_cmpuint(out->bytes_copied, ==, W * H * 3 / 2);
	return out;
}

static void assert_planes(const HdmirtcFrame *f, const guint8 *y, const guint8 *u, const guint8 *v)
{
	for (guint r = 0; r < H; r++)
		g_assert_cmpmem(f->data[0] + r * f->stride[0], W, y + r * W, W);
	g_assert_cmpmem(f->data[1], W / 2, u, W / 2);
	g_assert_cmpmem(f->data[2], W / 2, v, W / 2);
}

static void test_packed_422(void)
{
	HdmirtcFramePool *pool = NULL;
	/* Y 10 11 12 13 / 20 21 22 23, U 100 101, V 200 201 (from row 0). */
	guint8 uyvy[] = { 100, 10, 200, 11, 101, 12, 201, 13, 150, 20, 250, 21, 151, 22, 251, 23 };
	guint8 yuyv[] = { 10, 100, 11, 200, 12, 101, 13, 201, 20, 150, 21, 250, 22, 151, 23, 251 };
	static const guint8 y[] = { 10, 11, 12, 13, 20, 21, 22, 23 }, u[] = { 100, 101 }, v[] = { 200, 201 };
	HdmirtcFrame *f;

	g_assert_true(hdmirtc_convert_to_i420_supports(DRM_FORMAT_UYVY));
	g_assert_true(hdmirtc_convert_to_i420_supports(DRM_FORMAT_YUYV));
	f = convert(DRM_FORMAT_UYVY, uyvy, 2, &pool);
	assert_planes(f, y, u, v);
	g_assert_cmpuint(f->colour.matrix, ==, 6);
	hdmirtc_frame_unref(f);
	f = convert(DRM_FORMAT_YUYV, yuyv, 2, &pool);
	assert_planes(f, y, u, v);
	hdmirtc_frame_unref(f);
	hdmirtc_frame_pool_unref(pool);
}

static void test_rgb(void)
{
	HdmirtcFramePool *pool = NULL;
	/* DRM BGR888 is R, G, B in memory: white, black, red, blue; the
	 * second row the same. */
	guint8 rgb[2][W * 3] = {
		{ 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255 },
		{ 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255 },
	};
	/* BT.601 studio range: white 235, black 16, red 82 (U 90 V 240),
	 * blue 41 (U 240 V 110); chroma from the even columns. */
	static const guint8 y[] = { 235, 16, 82, 41, 235, 16, 82, 41 }, u[] = { 128, 90 }, v[] = { 128, 240 };
	/* The same pixels as XRGB8888 (B, G, R, X in memory), vivid's XR24
	 * that vkms can scan out. */
	guint8 xrgb[2][W * 4] = {
		{ 255, 255, 255, 0, 0, 0, 0, 9, 0, 0, 255, 9, 255, 0, 0, 0 },
		{ 255, 255, 255, 0, 0, 0, 0, 9, 0, 0, 255, 9, 255, 0, 0, 0 },
	};
	HdmirtcFrame *f;

	g_assert_true(hdmirtc_convert_to_i420_supports(DRM_FORMAT_BGR888));
	g_assert_true(hdmirtc_convert_to_i420_supports(DRM_FORMAT_XRGB8888));
	g_assert_false(hdmirtc_convert_to_i420_supports(DRM_FORMAT_RGB565));
	f = convert(DRM_FORMAT_BGR888, &rgb[0][0], 3, &pool);
	assert_planes(f, y, u, v);
	g_assert_cmpuint(f->colour.matrix, ==, 6);
	g_assert_false(f->colour.full_range);
	hdmirtc_frame_unref(f);
	f = convert(DRM_FORMAT_XRGB8888, &xrgb[0][0], 4, &pool);
	assert_planes(f, y, u, v);
	g_assert_cmpuint(f->colour.matrix, ==, 6);
	hdmirtc_frame_unref(f);
	hdmirtc_frame_pool_unref(pool);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/convert-i420/packed-422", test_packed_422);
	g_test_add_func("/convert-i420/rgb", test_rgb);
	return g_test_run();
}
