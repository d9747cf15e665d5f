/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bridge as `hdmirtc --probe` reports it: found how, its subdev
 * writable or not, its CSI-2 link, the signal and the EDID it holds.  Only
 * reads: a probe must not disturb a running service. */
#include "v4l2-private.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/v4l2-subdev.h>
#include <string.h>
#include <unistd.h>

static void read_edid(int fd, guint32 pad, HdmirtcCaptureProbe *out)
{
	guint8 data[HDMIRTC_EDID_MAX_BLOCKS * HDMIRTC_EDID_BLOCK_SIZE];
	struct v4l2_edid e = { .pad = pad, .blocks = HDMIRTC_EDID_MAX_BLOCKS, .edid = data };
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcEdid) edid = NULL;
	g_autofree char *text = NULL;
	int r = hdmirtc_v4l2_ioctl(fd, VIDIOC_G_EDID, &e);

	if (r < 0) {
		g_snprintf(out->edid, sizeof(out->edid), "cannot be read: %s", g_strerror(-r));
		return;
	}
	if (e.blocks == 0) {
		g_strlcpy(out->edid, "none (the source sees no monitor)", sizeof(out->edid));
		return;
	}
	edid = hdmirtc_edid_new_from_data(data, e.blocks * HDMIRTC_EDID_BLOCK_SIZE, &error);
	text = edid ? hdmirtc_edid_describe(edid) : NULL;
	g_strlcpy(out->edid, edid ? text : error->message, sizeof(out->edid));
}

static void read_bus_format(int fd, guint32 pad, HdmirtcCaptureProbe *out)
{
	struct v4l2_subdev_format f = { .which = V4L2_SUBDEV_FORMAT_ACTIVE, .pad = pad };
	g_autoptr(GString) text = g_string_new(NULL);

	if (hdmirtc_v4l2_ioctl(fd, VIDIOC_SUBDEV_G_FMT, &f) < 0)
		return;
	hdmirtc_describe_mbus(text, &f.format);
	g_strlcpy(out->bus_format, text->str, sizeof(out->bus_format));
}

static void read_timings(int fd, HdmirtcCaptureProbe *out)
{
	struct v4l2_dv_timings t = { 0 };
	int r = hdmirtc_v4l2_ioctl(fd, VIDIOC_G_DV_TIMINGS, &t);

	out->dv_timings = r != -ENOTTY && r != -ENODATA;
	memset(&t, 0, sizeof(t));
	r = hdmirtc_v4l2_ioctl(fd, VIDIOC_QUERY_DV_TIMINGS, &t);
	out->timings_errno = -r;
	if (r == 0) {
		out->width = t.bt.width;
		out->height = t.bt.height;
		out->refresh_mhz = hdmirtc_v4l2_refresh_mhz(&t);
	}
}

static gboolean find(const char *device, HdmirtcCaptureProbe *out)
{
	g_autoptr(GError) error = NULL;

	if (!device || !*device) {
		if (hdmirtc_capture_find_bridge(TRUE, &out->bridge, &error))
			return TRUE;
		g_strlcpy(out->error, error->message, sizeof(out->error));
		return FALSE;
	}
	if (!hdmirtc_capture_find_bridge(FALSE, &out->bridge, NULL) ||
	    strcmp(out->bridge.video_node, device) != 0) {
		memset(&out->bridge, 0, sizeof(out->bridge));
		g_strlcpy(out->bridge.video_node, device, sizeof(out->bridge.video_node));
		g_strlcpy(out->bridge.bridge_entity, "configured device", sizeof(out->bridge.bridge_entity));
	}
	return TRUE;
}

void hdmirtc_capture_probe(const char *device, guint csi_lanes, HdmirtcCaptureProbe *out)
{
	int video = -1, subdev = -1, ctrl;

	memset(out, 0, sizeof(*out));
	out->found = find(device, out);
	if (!out->found)
		return;
	video = open(out->bridge.video_node, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (out->bridge.subdev_node[0])
		subdev = open(out->bridge.subdev_node, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	out->subdev_read_only = subdev >= 0 && hdmirtc_v4l2_subdev_read_only(subdev);
	ctrl = subdev >= 0 && !out->subdev_read_only ? subdev : video;
	if (subdev >= 0)
		read_bus_format(subdev, out->bridge.hops[0].source_pad, out);
	if (ctrl >= 0) {
		read_timings(ctrl, out);
		read_edid(ctrl, ctrl == subdev ? out->bridge.hops[0].source_pad : 0, out);
	} else {
		out->timings_errno = ENODEV;
	}
	hdmirtc_csi_link_read(out->bridge.subdev_node, ctrl, csi_lanes, &out->link);
	if (subdev >= 0)
		close(subdev);
	if (video >= 0)
		close(video);
}
