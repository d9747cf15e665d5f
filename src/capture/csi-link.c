/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the bridge's CSI-2 link can carry.  On a 2-lane board at the
 * overlays' 486 MHz (972 Mbit/s per lane) 1920x1080@60 UYVY needs 3 lanes:
 * the tc358743 driver asks for them (get_mbus_config), rp1-cfe and unicam
 * refuse more lanes than their device-tree endpoint grants, and the
 * picture never comes.  So the EDID offers only what fits, and when a
 * source sends more anyway the status says what fits instead. */
#include "capture-private.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <linux/videodev2.h>
#include <string.h>

#include "hdmirtc/v4l2.h"

/* CEA-861 timings (pixel clock, blanking, front porch, sync). */
static const HdmirtcVideoMode modes[] = {
	{ 16, 1920, 1080, 60, 148500, 280, 88, 44, 45, 4, 5 },
	{ 31, 1920, 1080, 50, 148500, 720, 528, 44, 45, 4, 5 },
	{ 34, 1920, 1080, 30, 74250, 280, 88, 44, 45, 4, 5 },
	{ 33, 1920, 1080, 25, 74250, 720, 528, 44, 45, 4, 5 },
	{ 32, 1920, 1080, 24, 74250, 830, 638, 44, 45, 4, 5 },
	{ 4, 1280, 720, 60, 74250, 370, 110, 40, 30, 5, 5 },
	{ 19, 1280, 720, 50, 74250, 700, 440, 40, 30, 5, 5 },
};

#define ASSUMED_LINK_FREQUENCY_HZ 486000000ull
#define UYVY_BITS 16

const HdmirtcVideoMode *hdmirtc_video_modes(guint *n)
{
	*n = G_N_ELEMENTS(modes);
	return modes;
}

guint hdmirtc_csi_lane_mbps(const HdmirtcCsiLink *link)
{
	return (guint)(link->link_frequency_hz * 2 / 1000000);
}

guint hdmirtc_csi_bits_for(guint32 drm_fourcc)
{
	return drm_fourcc == DRM_FORMAT_BGR888 ? 24 : UYVY_BITS;
}

guint hdmirtc_csi_lanes_needed(const HdmirtcCsiLink *link, guint w, guint h, guint fps)
{
	guint64 lane_bps = link->link_frequency_hz * 2;
	guint bits = link->bits_per_pixel ? link->bits_per_pixel : UYVY_BITS;

	if (!lane_bps)
		return 0;
	return (guint)(((guint64)w * h * fps * bits + lane_bps - 1) / lane_bps);
}

gboolean hdmirtc_csi_mode_fits(const HdmirtcCsiLink *link, const HdmirtcVideoMode *mode)
{
	guint need = hdmirtc_csi_lanes_needed(link, mode->width, mode->height, mode->fps);

	return link->lanes == 0 || need == 0 || need <= link->lanes;
}

const HdmirtcVideoMode *hdmirtc_csi_best_mode(const HdmirtcCsiLink *link)
{
	for (guint i = 0; i < G_N_ELEMENTS(modes); i++)
		if (hdmirtc_csi_mode_fits(link, &modes[i]))
			return &modes[i];
	return &modes[G_N_ELEMENTS(modes) - 1];
}

char *hdmirtc_csi_advice(const HdmirtcCsiLink *link, guint w, guint h, guint fps)
{
	guint need = hdmirtc_csi_lanes_needed(link, w, h, fps);
	const HdmirtcVideoMode *best = hdmirtc_csi_best_mode(link);
	HdmirtcCsiLink two = *link;

	if (need == 0)
		return g_strdup_printf("%ux%u@%u is more than the CSI-2 link carries", w, h, fps);
	if (link->lanes)
		return g_strdup_printf("%ux%u@%u needs %u CSI-2 lanes at %u Mbit/s and this board has "
		                       "%u: set the computer to %ux%u@%u or lower", w, h, fps, need,
		                       hdmirtc_csi_lane_mbps(link), link->lanes, best->width,
		                       best->height, best->fps);
	two.lanes = 2;
	best = hdmirtc_csi_best_mode(&two);
	return g_strdup_printf("%ux%u@%u needs %u CSI-2 lanes at %u Mbit/s and the receiver refused "
	                       "it: on a 2-lane board set the computer to %ux%u@%u or lower", w, h,
	                       fps, need, hdmirtc_csi_lane_mbps(link), best->width, best->height,
	                       best->fps);
}

/* Big-endian cells of a device-tree property file. */
static gsize read_cells(const char *path, guint cell_bytes, guint64 *first)
{
	g_autofree char *data = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &data, &len, NULL) || len < cell_bytes || len % cell_bytes)
		return 0;
	*first = 0;
	for (guint i = 0; i < cell_bytes; i++)
		*first = *first << 8 | (guint8)data[i];
	return len / cell_bytes;
}

/* The endpoint folder under a device-tree node: port/endpoint,
 * port@0/endpoint@0, ports/port@0/endpoint... */
static char *find_endpoint(const char *node)
{
	static const char *const tries[] = { "port/endpoint", "port@0/endpoint", "port/endpoint@0",
	                                     "ports/port@0/endpoint", "port@0/endpoint@0" };

	for (guint i = 0; i < G_N_ELEMENTS(tries); i++) {
		char *p = g_build_filename(node, tries[i], NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			return p;
		g_free(p);
	}
	return NULL;
}

void hdmirtc_csi_link_read_dt(const char *sysfs_root, const char *subdev, HdmirtcCsiLink *out)
{
	g_autofree char *node = NULL, *ep = NULL, *lanes = NULL, *freqs = NULL;
	guint64 first;
	gsize n;

	if (!subdev || !*subdev)
		return;
	node = g_strdup_printf("%s/class/video4linux/%s/device/of_node", sysfs_root,
	                       strrchr(subdev, '/') ? strrchr(subdev, '/') + 1 : subdev);
	ep = find_endpoint(node);
	if (!ep)
		return;
	lanes = g_build_filename(ep, "data-lanes", NULL);
	freqs = g_build_filename(ep, "link-frequencies", NULL);
	n = read_cells(lanes, 4, &first);
	if (n && !out->lanes) {
		out->lanes = (guint)n;
		g_strlcpy(out->lanes_from, "device tree", sizeof(out->lanes_from));
	}
	if (read_cells(freqs, 8, &first) && !out->link_frequency_hz) {
		out->link_frequency_hz = first;
		g_strlcpy(out->frequency_from, "device tree", sizeof(out->frequency_from));
	}
}

/* V4L2_CID_LINK_FREQ is an integer menu: the value is the menu item. */
static guint64 link_freq_control(int fd)
{
	struct v4l2_queryctrl q = { .id = V4L2_CID_LINK_FREQ };
	struct v4l2_control c = { .id = V4L2_CID_LINK_FREQ };
	struct v4l2_querymenu m = { .id = V4L2_CID_LINK_FREQ };

	if (fd < 0 || hdmirtc_v4l2_ioctl(fd, VIDIOC_QUERYCTRL, &q) < 0 ||
	    q.type != V4L2_CTRL_TYPE_INTEGER_MENU || hdmirtc_v4l2_ioctl(fd, VIDIOC_G_CTRL, &c) < 0)
		return 0;
	m.index = (guint32)c.value;
	if (hdmirtc_v4l2_ioctl(fd, VIDIOC_QUERYMENU, &m) < 0 || m.value <= 0)
		return 0;
	return (guint64)m.value;
}

void hdmirtc_csi_link_read(const char *subdev, int ctrl_fd, guint config_lanes, HdmirtcCsiLink *out)
{
	memset(out, 0, sizeof(*out));
	if (config_lanes) {
		out->lanes = config_lanes;
		g_strlcpy(out->lanes_from, "configuration", sizeof(out->lanes_from));
	}
	out->link_frequency_hz = link_freq_control(ctrl_fd);
	if (out->link_frequency_hz)
		g_strlcpy(out->frequency_from, "V4L2_CID_LINK_FREQ", sizeof(out->frequency_from));
	hdmirtc_csi_link_read_dt("/sys", subdev, out);
	if (!out->link_frequency_hz) {
		out->link_frequency_hz = ASSUMED_LINK_FREQUENCY_HZ;
		g_strlcpy(out->frequency_from, "assumed", sizeof(out->frequency_from));
	}
}
