/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The display's copy path (src/display/to-xrgb.c): every source format it
 * takes lands as the right XRGB8888 pixels, for BT.601 and BT.709 studio
 * range and full range. */
#include "hdmirtc/display.h"

#include <drm_fourcc.h>
#include <string.h>

/* src/display (private to the module). */
gboolean hdmirtc_to_xrgb_supports(guint32 fourcc);
gboolean hdmirtc_to_xrgb(const HdmirtcFrame *f, guint8 *dst, guint32 dst_pitch);

#define W 4
#define H 2
#define PITCH (W * 4 + 8)               /* a padded destination line */

static void no_release(HdmirtcFrame *f, gpointer data)
{
	(void)f;
	(void)data;
}

static HdmirtcFrame frame(guint32 fourcc, HdmirtcColour colour)
{
	HdmirtcFrame f;

	hdmirtc_frame_init(&f, no_release, NULL);
	f.width = W;
	f.height = H;
	f.fourcc = fourcc;
	f.colour = colour;
	return f;
}

static HdmirtcFrame i420(guint8 *y, guint8 *u, guint8 *v, HdmirtcColour colour)
{
	HdmirtcFrame f = frame(DRM_FORMAT_YUV420, colour);

	f.n_planes = 3;
	f.data[0] = y, f.data[1] = u, f.data[2] = v;
	f.stride[0] = W, f.stride[1] = f.stride[2] = W / 2;
	return f;
}

/* Each pixel within 1 of want (0xRRGGBB), the alpha byte set, the
 * padding untouched. */
static void assert_pixels(const guint8 *dst, const guint32 *want)
{
	for (guint y = 0; y < H; y++) {
		const guint32 *row = (const guint32 *)(dst + y * PITCH);

		for (guint x = 0; x < W; x++) {
			guint32 got = row[x], w = want[y * W + x];

			g_assert_cmphex(got >> 24, ==, 0xff);
			for (guint shift = 0; shift < 24; shift += 8)
				g_assert_cmpint(ABS((gint)(got >> shift & 0xff) - (gint)(w >> shift & 0xff)), <=, 1);
		}
		g_assert_cmpuint(dst[y * PITCH + W * 4], ==, 0xee);
	}
}

/* White, black, red, blue (in BT.601 studio range Y U V: 235 128 128,
 * 16 128 128, 82 90 240, 41 240 110). */
static const guint32 colours[W * H] = { 0xffffff, 0x000000, 0xff0000, 0x0000ff,
                                        0xffffff, 0x000000, 0xff0000, 0x0000ff };

static void test_i420_and_nv12(void)
{
	/* Chroma covers 2x2 pixels: neutral chroma under white and black. */
	guint8 y[W * H] = { 235, 16, 235, 16, 16, 235, 16, 235 };
	guint8 u[2] = { 128, 128 }, v[2] = { 128, 128 }, uv[4] = { 128, 128, 128, 128 };
	static const guint32 want[W * H] = { 0xffffff, 0, 0xffffff, 0, 0, 0xffffff, 0, 0xffffff };
	guint8 dst[PITCH * H];
	HdmirtcFrame f = i420(y, u, v, HDMIRTC_COLOUR_BT601_LIMITED);

	memset(dst, 0xee, sizeof(dst));
	g_assert_true(hdmirtc_to_xrgb(&f, dst, PITCH));
	assert_pixels(dst, want);

	f.fourcc = DRM_FORMAT_NV12;
	f.n_planes = 2;
	f.data[1] = uv, f.data[2] = NULL;
	f.stride[1] = W;
	memset(dst, 0xee, sizeof(dst));
	g_assert_true(hdmirtc_to_xrgb(&f, dst, PITCH));
	assert_pixels(dst, want);
}

static void test_packed_yuv(void)
{
	/* Red and blue each fill a two-pixel group; white and black share
	 * neutral chroma. */
	guint8 uyvy[H][W * 2] = { { 128, 235, 128, 16, 90, 82, 240, 82 }, { 128, 235, 128, 16, 240, 41, 110, 41 } };
	static const guint32 want[W * H] = { 0xffffff, 0, 0xff0000, 0xff0000, 0xffffff, 0, 0x0000ff, 0x0000ff };
	guint8 yuyv[H][W * 2], dst[PITCH * H];
	HdmirtcFrame f = frame(DRM_FORMAT_UYVY, HDMIRTC_COLOUR_BT601_LIMITED);

	f.n_planes = 1;
	f.data[0] = &uyvy[0][0];
	f.stride[0] = W * 2;
	memset(dst, 0xee, sizeof(dst));
	g_assert_true(hdmirtc_to_xrgb(&f, dst, PITCH));
	assert_pixels(dst, want);

	for (guint r = 0; r < H; r++)
		for (guint i = 0; i < W * 2; i += 2)
			yuyv[r][i] = uyvy[r][i + 1], yuyv[r][i + 1] = uyvy[r][i];
	f.fourcc = DRM_FORMAT_YUYV;
	f.data[0] = &yuyv[0][0];
	memset(dst, 0xee, sizeof(dst));
	g_assert_true(hdmirtc_to_xrgb(&f, dst, PITCH));
	assert_pixels(dst, want);
}

static void test_matrix_and_range(void)
{
	/* Red in BT.709 studio range is Y 63, U 102, V 240; read as BT.601
	 * it would come out orange-ish (G well above 0). */
	guint8 y[W * H], u[2], v[2];
	static const guint32 red[W * H] = { 0xff0000, 0xff0000, 0xff0000, 0xff0000,
	                                    0xff0000, 0xff0000, 0xff0000, 0xff0000 };
	guint8 dst[PITCH * H];
	HdmirtcFrame f = i420(y, u, v, (HdmirtcColour){ 1, 1, 1, FALSE });

	memset(y, 63, sizeof(y));
	memset(u, 102, sizeof(u));
	memset(v, 240, sizeof(v));
	memset(dst, 0xee, sizeof(dst));
	g_assert_true(hdmirtc_to_xrgb(&f, dst, PITCH));
	assert_pixels(dst, red);

	/* Full range (a JPEG-style camera): Y 255 is white, 0 black. */
	static const guint32 grey[W * H] = { 0xffffff, 0xffffff, 0xffffff, 0xffffff, 0, 0, 0, 0 };

	memset(y, 255, W);
	memset(y + W, 0, W);
	memset(u, 128, sizeof(u));
	memset(v, 128, sizeof(v));
	f.colour = (HdmirtcColour){ 1, 13, 5, TRUE };
	memset(dst, 0xee, sizeof(dst));
	g_assert_true(hdmirtc_to_xrgb(&f, dst, PITCH));
	assert_pixels(dst, grey);
}

static void test_rgb(void)
{
	/* DRM BGR888 is R, G, B in memory; XRGB8888 B, G, R, X. */
	guint8 rgb[H][W * 3], xrgb[H][W * 4], dst[PITCH * H];
	HdmirtcFrame f = frame(DRM_FORMAT_BGR888, (HdmirtcColour){ 0 });

	for (guint i = 0; i < W * H; i++) {
		guint8 *p = &rgb[i / W][i % W * 3], *q = &xrgb[i / W][i % W * 4];

		p[0] = q[2] = (guint8)(colours[i] >> 16);
		p[1] = q[1] = (guint8)(colours[i] >> 8);
		p[2] = q[0] = (guint8)colours[i];
		q[3] = 0xff;
	}
	f.n_planes = 1;
	f.data[0] = &rgb[0][0];
	f.stride[0] = W * 3;
	memset(dst, 0xee, sizeof(dst));
	g_assert_true(hdmirtc_to_xrgb(&f, dst, PITCH));
	assert_pixels(dst, colours);

	f.fourcc = DRM_FORMAT_XRGB8888;
	f.data[0] = &xrgb[0][0];
	f.stride[0] = W * 4;
	memset(dst, 0xee, sizeof(dst));
	g_assert_true(hdmirtc_to_xrgb(&f, dst, PITCH));
	assert_pixels(dst, colours);
}

static void test_refused(void)
{
	guint8 bytes[W * H * 2] = { 0 }, dst[PITCH * H];
	HdmirtcFrame f = frame(DRM_FORMAT_RGB565, (HdmirtcColour){ 0 });

	f.n_planes = 1;
	f.data[0] = bytes;
	f.stride[0] = W * 2;
	memset(dst, 0xee, sizeof(dst));
	g_assert_false(hdmirtc_to_xrgb_supports(DRM_FORMAT_RGB565));
	g_assert_false(hdmirtc_to_xrgb(&f, dst, PITCH));
	g_assert_cmpuint(dst[0], ==, 0xee);
	/* A planar frame without its chroma planes is refused, not read. */
	f.fourcc = DRM_FORMAT_YUV420;
	g_assert_false(hdmirtc_to_xrgb(&f, dst, PITCH));
	g_assert_cmpuint(dst[0], ==, 0xee);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/to-xrgb/i420-and-nv12", test_i420_and_nv12);
	g_test_add_func("/to-xrgb/packed-yuv", test_packed_yuv);
	g_test_add_func("/to-xrgb/matrix-and-range", test_matrix_and_range);
	g_test_add_func("/to-xrgb/rgb", test_rgb);
	g_test_add_func("/to-xrgb/refused", test_refused);
	return g_test_run();
}
