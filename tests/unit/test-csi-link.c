/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the TC358743's CSI-2 link carries, and reading the lanes from the
 * device tree the way a Pi shows it in sysfs. */
#include "hdmirtc/capture.h"
#include "hdmirtc/v4l2.h"
#include "../../src/capture/capture-private.h"

#include <glib/gstdio.h>
#include <linux/videodev2.h>
#include <string.h>

static const HdmirtcCsiLink two_lanes = { .lanes = 2, .link_frequency_hz = 486000000 };
/* RGB24 asked of the bridge: 24 bits a pixel on the lanes. */
static const HdmirtcCsiLink two_lanes_rgb = { .lanes = 2, .link_frequency_hz = 486000000, .bits_per_pixel = 24 };

/* tc358743_num_csi_lanes_needed(): ceil(w * h * fps * bpp / lane rate). */
static void test_lanes_needed(void)
{
	g_assert_cmpuint(hdmirtc_csi_lane_mbps(&two_lanes), ==, 972);
	g_assert_cmpuint(hdmirtc_csi_lanes_needed(&two_lanes, 1920, 1080, 60), ==, 3);
	g_assert_cmpuint(hdmirtc_csi_lanes_needed(&two_lanes, 1920, 1080, 50), ==, 2);
	g_assert_cmpuint(hdmirtc_csi_lanes_needed(&two_lanes, 1920, 1080, 30), ==, 2);
	g_assert_cmpuint(hdmirtc_csi_lanes_needed(&two_lanes, 1280, 720, 60), ==, 1);
	g_assert_cmpuint(hdmirtc_csi_lanes_needed(&two_lanes_rgb, 1920, 1080, 60), ==, 4);
	g_assert_cmpuint(hdmirtc_csi_lanes_needed(&two_lanes_rgb, 1920, 1080, 30), ==, 2);
	g_assert_cmpuint(hdmirtc_csi_best_mode(&two_lanes_rgb)->fps, ==, 30);
	g_assert_cmpuint(hdmirtc_csi_best_mode(&two_lanes)->fps, ==, 50);
	g_assert_cmpuint(hdmirtc_csi_best_mode(&(HdmirtcCsiLink){ 4, 486000000 })->fps, ==, 60);
	g_assert_cmpuint(hdmirtc_csi_best_mode(&(HdmirtcCsiLink){ 0, 486000000 })->fps, ==, 60);
}

static void test_advice(void)
{
	g_autofree char *known = hdmirtc_csi_advice(&two_lanes, 1920, 1080, 60);
	g_autofree char *unknown = hdmirtc_csi_advice(&(HdmirtcCsiLink){ 0, 486000000 }, 1920, 1080,
	                                              60);

	g_assert_cmpstr(known, ==, "1920x1080@60 needs 3 CSI-2 lanes at 972 Mbit/s and this board "
	                "has 2: set the computer to 1920x1080@50 or lower");
	g_assert_nonnull(strstr(unknown, "needs 3 CSI-2 lanes"));
	g_assert_nonnull(strstr(unknown, "1920x1080@50 or lower"));
}

static void write_cells(const char *path, const guint8 *data, gsize n)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_file_set_contents(path, (const char *)data, (gssize)n, &error));
	g_assert_no_error(error);
}

/* A sysfs tree as a Pi 4 with the 2-lane overlay shows it:
 * /sys/class/video4linux/v4l-subdev2/device/of_node ->
 * /sys/firmware/devicetree/base/soc/i2c0mux/i2c@1/tc358743@f, whose
 * port/endpoint holds data-lanes = <1 2> and link-frequencies = /bits/ 64
 * <486000000>, big endian as the device tree stores them. */
static void test_device_tree(void)
{
	static const guint8 lanes[] = { 0, 0, 0, 1, 0, 0, 0, 2 };
	static const guint8 freq[] = { 0, 0, 0, 0, 0x1c, 0xf7, 0xc5, 0x80 };
	g_autofree char *root = g_dir_make_tmp("csi-link-XXXXXX", NULL);
	g_autofree char *node = g_build_filename(root, "firmware/devicetree/base/soc/i2c0mux/i2c@1/"
	                                         "tc358743@f", NULL);
	g_autofree char *ep = g_build_filename(node, "port/endpoint", NULL);
	g_autofree char *dev = g_build_filename(root, "class/video4linux/v4l-subdev2/device", NULL);
	g_autofree char *link = g_build_filename(dev, "of_node", NULL);
	g_autofree char *f1 = g_build_filename(ep, "data-lanes", NULL);
	g_autofree char *f2 = g_build_filename(ep, "link-frequencies", NULL);
	HdmirtcCsiLink out = { 0 };
	HdmirtcCsiLink configured = { .lanes = 4 };
	g_autofree char *rm_tree = NULL;

	g_assert_cmpint(g_mkdir_with_parents(ep, 0755), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(dev, 0755), ==, 0);
	g_assert_cmpint(symlink(node, link), ==, 0);
	write_cells(f1, lanes, sizeof(lanes));
	write_cells(f2, freq, sizeof(freq));
	hdmirtc_csi_link_read_dt(root, "/dev/v4l-subdev2", &out);
	g_assert_cmpuint(out.lanes, ==, 2);
	g_assert_cmpstr(out.lanes_from, ==, "device tree");
	g_assert_cmpuint(out.link_frequency_hz, ==, 486000000);
	/* the configuration wins; a missing node leaves everything unknown */
	hdmirtc_csi_link_read_dt(root, "/dev/v4l-subdev2", &configured);
	g_assert_cmpuint(configured.lanes, ==, 4);
	memset(&out, 0, sizeof(out));
	hdmirtc_csi_link_read_dt(root, "/dev/v4l-subdev7", &out);
	g_assert_cmpuint(out.lanes, ==, 0);
	g_assert_cmpuint(out.link_frequency_hz, ==, 0);
	/* a truncated property is not read */
	write_cells(f1, lanes, 5);
	memset(&out, 0, sizeof(out));
	hdmirtc_csi_link_read_dt(root, "/dev/v4l-subdev2", &out);
	g_assert_cmpuint(out.lanes, ==, 0);
	g_assert_cmpuint(out.link_frequency_hz, ==, 486000000);
	rm_tree = g_strdup_printf("rm -rf '%s'", root);
	g_assert_cmpint(system(rm_tree), ==, 0);
}

/* The TC358743 reports UYVY as SMPTE170M (the other fields as the caller
 * left them, DEFAULT): BT.601 studio range.  sRGB with defaults: BT.709
 * primaries, sRGB transfer, BT.601 matrix, studio range for YCbCr. */
static void test_colour(void)
{
	HdmirtcColour c = hdmirtc_colour_from_v4l2(V4L2_COLORSPACE_SRGB, V4L2_YCBCR_ENC_DEFAULT,
	                                           V4L2_QUANTIZATION_DEFAULT, V4L2_XFER_FUNC_DEFAULT);
	HdmirtcColour smpte = hdmirtc_colour_from_v4l2(V4L2_COLORSPACE_SMPTE170M, 0, 0, 0);
	guint32 cs, enc, q, xfer;

	g_assert_cmpuint(c.primaries, ==, 1);
	g_assert_cmpuint(c.transfer, ==, 13);
	g_assert_cmpuint(c.matrix, ==, 6);
	g_assert_false(c.full_range);
	g_assert_cmpuint(smpte.primaries, ==, 6);
	g_assert_cmpuint(smpte.matrix, ==, 6);
	/* named as SMPTE 170M (the BT.709 function): the same as the NO SIGNAL
	 * picture, so the encoder is not rebuilt between them */
	g_assert_cmpuint(smpte.transfer, ==, 6);
	hdmirtc_colour_to_v4l2(&c, &cs, &enc, &q, &xfer);
	g_assert_cmpuint(cs, ==, V4L2_COLORSPACE_SRGB);
	g_assert_cmpuint(enc, ==, V4L2_YCBCR_ENC_601);
	g_assert_cmpuint(q, ==, V4L2_QUANTIZATION_LIM_RANGE);
	g_assert_cmpuint(xfer, ==, V4L2_XFER_FUNC_SRGB);
	hdmirtc_colour_to_v4l2(&HDMIRTC_COLOUR_BT601_LIMITED, &cs, &enc, &q, &xfer);
	g_assert_cmpuint(cs, ==, V4L2_COLORSPACE_SMPTE170M);
	g_assert_cmpuint(enc, ==, V4L2_YCBCR_ENC_601);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/csi-link/lanes-needed", test_lanes_needed);
	g_test_add_func("/csi-link/advice", test_advice);
	g_test_add_func("/csi-link/device-tree", test_device_tree);
	g_test_add_func("/csi-link/colour", test_colour);
	return g_test_run();
}
