/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ioctls on the capture node and, in media-controller mode (Pi 4 MC
 * unicam, Pi 5 rp1-cfe), on the bridge's subdev: EDID, DV timings and
 * controls live on the subdev there, on the video node with legacy unicam
 * and test drivers.  The ioctl numbers of VIDIOC_SUBDEV_{G,S}_EDID and
 * ..._DV_TIMINGS equal the video node ones, so one code path serves both. */
#include "v4l2-private.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/media-bus-format.h>
#include <linux/v4l2-subdev.h>
#include <string.h>
#include <unistd.h>

static gboolean no_device(GError **error, const char *path, const char *what, int err)
{
	g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE, "%s: %s%s%s",
	            path, what, err ? ": " : "", err ? g_strerror(err) : "");
	return FALSE;
}

gboolean hdmirtc_v4l2_device_open(HdmirtcV4l2Device *dev, const char *path, const char *subdev,
                                  GError **error)
{
	struct v4l2_capability cap = { 0 };
	guint32 caps;

	memset(dev, 0, sizeof(*dev));
	dev->fd = dev->ctrl_fd = -1;
	g_strlcpy(dev->path, path, sizeof(dev->path));
	dev->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (dev->fd < 0)
		return no_device(error, path, "cannot open", errno);
	if (hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_QUERYCAP, &cap) < 0) {
		hdmirtc_v4l2_device_close(dev);
		return no_device(error, path, "not a V4L2 device", 0);
	}
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_STREAMING) ||
	    !(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE))) {
		hdmirtc_v4l2_device_close(dev);
		return no_device(error, path, "not a streaming video capture node", 0);
	}
	dev->mplane = !(caps & V4L2_CAP_VIDEO_CAPTURE);
	dev->buf_type = dev->mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (subdev && *subdev) {
		dev->ctrl_fd = open(subdev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (dev->ctrl_fd < 0) {
			int err = errno;

			hdmirtc_v4l2_device_close(dev);
			return no_device(error, subdev, "cannot open", err);
		}
		g_strlcpy(dev->ctrl_path, subdev, sizeof(dev->ctrl_path));
	} else {
		dev->ctrl_fd = dev->fd;
		g_strlcpy(dev->ctrl_path, path, sizeof(dev->ctrl_path));
	}
	return TRUE;
}

void hdmirtc_v4l2_device_close(HdmirtcV4l2Device *dev)
{
	if (dev->ctrl_fd >= 0 && dev->ctrl_fd != dev->fd)
		close(dev->ctrl_fd);
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = dev->ctrl_fd = -1;
}

int hdmirtc_v4l2_subscribe_events(HdmirtcV4l2Device *dev)
{
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_SOURCE_CHANGE };
	int r = hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_SUBSCRIBE_EVENT, &sub);

	if (r == 0 && dev->ctrl_fd != dev->fd)
		(void)hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
	return r;
}

gboolean hdmirtc_v4l2_set_edid(HdmirtcV4l2Device *dev, const HdmirtcEdid *edid, GError **error)
{
	struct v4l2_edid e = { 0 };
	gsize size;
	const guint8 *data = hdmirtc_edid_get_data(edid, &size);
	g_autofree guint8 *copy = g_memdup2(data, size);
	int r;

	e.pad = dev->ctrl_fd != dev->fd ? dev->subdev_pad : 0;
	e.blocks = (guint32)(size / HDMIRTC_EDID_BLOCK_SIZE);
	e.edid = copy;
	r = hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_S_EDID, &e);
	if (r < 0) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
		            "%s: VIDIOC_S_EDID (%u blocks) failed: %s%s", dev->ctrl_path,
		            (guint)(size / HDMIRTC_EDID_BLOCK_SIZE), g_strerror(-r),
		            r == -E2BIG ? " (the receiver takes fewer blocks)" : "");
		return FALSE;
	}
	return TRUE;
}

int hdmirtc_v4l2_query_timings(HdmirtcV4l2Device *dev, struct v4l2_dv_timings *t)
{
	memset(t, 0, sizeof(*t));
	return hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_QUERY_DV_TIMINGS, t);
}

int hdmirtc_v4l2_apply_timings(HdmirtcV4l2Device *dev, struct v4l2_dv_timings *t)
{
	int r = hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_S_DV_TIMINGS, t);

	/* In MC mode the video node has no timings of its own: its format
	 * follows from the pad format set later. */
	return r;
}

int hdmirtc_v4l2_power_present(HdmirtcV4l2Device *dev)
{
	struct v4l2_control c = { .id = V4L2_CID_DV_RX_POWER_PRESENT };
	int r = hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_G_CTRL, &c);

	return r < 0 ? r : c.value != 0;
}

guint32 hdmirtc_v4l2_refresh_mhz(const struct v4l2_dv_timings *t)
{
	const struct v4l2_bt_timings *bt = &t->bt;
	guint64 total = (guint64)V4L2_DV_BT_FRAME_WIDTH(bt) * V4L2_DV_BT_FRAME_HEIGHT(bt);

	if (t->type != V4L2_DV_BT_656_1120 || total == 0)
		return 0;
	return (guint32)(bt->pixelclock * 1000 / total);
}

/* Bridge pad format: colorspace must match on every pad of the pipeline
 * or STREAMON fails with EPIPE (Pi 5 rp1-cfe), so it is set explicitly. */
static int set_pad_format(HdmirtcV4l2Device *dev, guint32 code, guint32 w, guint32 h)
{
	struct v4l2_subdev_format f = { .which = V4L2_SUBDEV_FORMAT_ACTIVE, .pad = dev->subdev_pad };

	f.format.width = w;
	f.format.height = h;
	f.format.code = code;
	f.format.field = V4L2_FIELD_NONE;
	f.format.colorspace = V4L2_COLORSPACE_SRGB;
	return hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_SUBDEV_S_FMT, &f);
}

static guint32 v4l2_fourcc_for(guint32 drm)
{
	switch (drm) {
	case DRM_FORMAT_UYVY: return V4L2_PIX_FMT_UYVY;
	case DRM_FORMAT_BGR888: return V4L2_PIX_FMT_RGB24;
	case DRM_FORMAT_YUV420: return V4L2_PIX_FMT_YUV420;
	default: return 0;
	}
}

static int try_format(HdmirtcV4l2Device *dev, guint32 drm, guint32 w, guint32 h, guint32 align,
                      HdmirtcV4l2Format *out)
{
	guint32 pix = v4l2_fourcc_for(drm);
	guint32 bpp = drm == DRM_FORMAT_BGR888 ? 3 : drm == DRM_FORMAT_UYVY ? 2 : 1;
	HdmirtcV4l2PlaneFormat f = { pix, w, h, (w * bpp + align - 1) / align * align, 0 };
	int r = hdmirtc_v4l2_set_plane_format(dev->fd, dev->buf_type, &f);

	if (r < 0)
		return r;
	*out = (HdmirtcV4l2Format){ pix, drm, f.width, f.height, f.bytesperline, f.sizeimage };
	return 0;
}

gboolean hdmirtc_v4l2_set_format(HdmirtcV4l2Device *dev, guint32 drm_fourcc, guint32 width,
                                 guint32 height, guint32 align, HdmirtcV4l2Format *out,
                                 GError **error)
{
	guint32 order[2] = { DRM_FORMAT_UYVY, DRM_FORMAT_BGR888 };
	guint n = drm_fourcc ? 1 : 2;
	int r = -EINVAL;

	if (drm_fourcc)
		order[0] = drm_fourcc;
	for (guint i = 0; i < n; i++) {
		if (!v4l2_fourcc_for(order[i]))
			break;
		if (dev->ctrl_fd != dev->fd)
			(void)set_pad_format(dev, order[i] == DRM_FORMAT_BGR888 ?
			                     MEDIA_BUS_FMT_RGB888_1X24 : MEDIA_BUS_FMT_UYVY8_1X16,
			                     width, height);
		r = try_format(dev, order[i], width, height, MAX(align, 1u), out);
		if (r == 0 && out->width == width && out->height == height)
			return TRUE;
	}
	g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
	            "%s: no usable format for %ux%u (%s)", dev->path, width, height,
	            r < 0 ? g_strerror(-r) : "driver changed the size");
	return FALSE;
}
