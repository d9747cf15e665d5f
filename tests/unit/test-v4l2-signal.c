/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parts of the V4L2 source that need no device: signal mapping, the
 * NO SIGNAL picture, and the errors without a bridge.  The device paths are
 * tested against real drivers in tests/kernel/. */
#include "hdmirtc/capture.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <string.h>

/* src/capture/no-signal.c (private to the module). */
void hdmirtc_no_signal_paint(HdmirtcFrame *frame, const char *title, const char *reason);

static void test_signal_from_errno(void)
{
	g_assert_cmpint(hdmirtc_capture_signal_from_errno(0), ==, HDMIRTC_CAPTURE_SIGNAL_STREAMING);
	g_assert_cmpint(hdmirtc_capture_signal_from_errno(-ENOLINK), ==, HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL);
	g_assert_cmpint(hdmirtc_capture_signal_from_errno(ENOLINK), ==, HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL);
	g_assert_cmpint(hdmirtc_capture_signal_from_errno(-ENOLCK), ==, HDMIRTC_CAPTURE_SIGNAL_NO_SYNC);
	g_assert_cmpint(hdmirtc_capture_signal_from_errno(-ERANGE), ==, HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE);
	g_assert_cmpint(hdmirtc_capture_signal_from_errno(-EIO), ==, HDMIRTC_CAPTURE_SIGNAL_NO_SYNC);
	for (int s = HDMIRTC_CAPTURE_SIGNAL_NONE; s <= HDMIRTC_CAPTURE_SIGNAL_STREAMING; s++) {
		g_assert_cmpstr(hdmirtc_capture_signal_to_string(s), !=, "unknown");
		g_assert_cmpuint(strlen(hdmirtc_capture_signal_to_reason(s)), >, 5);
	}
	g_assert_cmpstr(hdmirtc_capture_signal_to_string(HDMIRTC_CAPTURE_SIGNAL_NO_SYNC), ==, "no-sync");
}

static HdmirtcFrame *new_i420(guint w, guint h)
{
	HdmirtcFrame *f = g_new0(HdmirtcFrame, 1);
	guint8 *mem = g_malloc(w * h * 3 / 2);

	hdmirtc_frame_init(f, NULL, NULL);
	f->width = w;
	f->height = h;
	f->fourcc = DRM_FORMAT_YUV420;
	f->n_planes = 3;
	f->data[0] = mem;
	f->data[1] = mem + w * h;
	f->data[2] = mem + w * h + w * h / 4;
	f->stride[0] = w;
	f->stride[1] = f->stride[2] = w / 2;
	memset(mem, 0x5a, w * h * 3 / 2);
	return f;
}

static void free_i420(HdmirtcFrame *f)
{
	g_free(f->data[0]);
	g_free(f);
}

static guint count_bright(const HdmirtcFrame *f, guint y0, guint y1)
{
	guint n = 0;

	for (guint y = y0; y < y1; y++)
		for (guint x = 0; x < f->width; x++)
			n += f->data[0][y * f->stride[0] + x] > 128;
	return n;
}

static void test_no_signal_picture(void)
{
	static const guint sizes[][2] = { { 1280, 720 }, { 640, 360 }, { 64, 32 } };

	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		HdmirtcFrame *f = new_i420(sizes[i][0], sizes[i][1]);
		guint h = f->height, top, bottom;

		hdmirtc_no_signal_paint(f, "NO SIGNAL", hdmirtc_capture_signal_to_reason(
		                        HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL));
		/* text in the middle, nothing in the top and bottom fifth */
		top = count_bright(f, 0, h / 5);
		bottom = count_bright(f, h - h / 5, h);
		g_assert_cmpuint(top, ==, 0);
		g_assert_cmpuint(bottom, ==, 0);
		g_assert_cmpuint(count_bright(f, h / 5, h - h / 5), >, f->width / 8);
		/* neutral chroma everywhere: grey and white only */
		for (guint p = 1; p < 3; p++)
			for (guint k = 0; k < f->width / 2 * h / 2; k++)
				g_assert_cmpuint(f->data[p][k], ==, 128);
		free_i420(f);
	}
}

/* Two reasons give two different pictures. */
static void test_no_signal_reason_shown(void)
{
	HdmirtcFrame *a = new_i420(640, 360), *b = new_i420(640, 360);

	hdmirtc_no_signal_paint(a, "NO SIGNAL", "Is the computer on?");
	hdmirtc_no_signal_paint(b, "NO SIGNAL", "Out of range: 4096x2160");
	g_assert_cmpint(memcmp(a->data[0], b->data[0], 640 * 180), ==, 0);   /* same title */
	g_assert_cmpint(memcmp(a->data[0], b->data[0], 640 * 360), !=, 0);   /* other reason */
	free_i420(a);
	free_i420(b);
}

static void test_no_device(void)
{
	HdmirtcCaptureConfig cfg = { 1280, 720, 30 };
	HdmirtcV4l2Config v = { .device = "/nonexistent/video0" };
	HdmirtcCaptureSignalInfo info;
	g_autoptr(GError) error = NULL;
	HdmirtcCapture *cap = hdmirtc_capture_new_v4l2(&cfg, &v, &error);

	g_assert_null(cap);
	g_assert_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE);
	g_assert_nonnull(strstr(error->message, "/nonexistent/video0"));
	g_clear_error(&error);
	/* /dev/null is no V4L2 device */
	v.device = "/dev/null";
	g_assert_null(hdmirtc_capture_new_v4l2(&cfg, &v, &error));
	g_assert_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE);
	g_clear_error(&error);
	/* a test pattern has no HDMI signal info */
	cap = hdmirtc_capture_new_test_pattern(&cfg, &error);
	g_assert_no_error(error);
	hdmirtc_capture_get_signal_info(cap, &info);
	g_assert_cmpint(info.signal, ==, HDMIRTC_CAPTURE_SIGNAL_NONE);
	g_assert_cmpint(info.last_recovery_us, ==, -1);
	hdmirtc_capture_free(cap);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/v4l2-signal/from-errno", test_signal_from_errno);
	g_test_add_func("/v4l2-signal/no-signal-picture", test_no_signal_picture);
	g_test_add_func("/v4l2-signal/no-signal-reason", test_no_signal_reason_shown);
	g_test_add_func("/v4l2-signal/no-device", test_no_device);
	return g_test_run();
}
