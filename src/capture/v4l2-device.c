/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ioctls on the capture node, the bridge's subdev and the receivers on the
 * path between them.  Where things live depends on the board:
 *   - media-controller mode (Pi 5 rp1-cfe, Pi 4 unicam with
 *     "brcm,media-controller"): EDID, DV timings and controls on the
 *     bridge's subdev; every pad on the path must carry the bridge's format
 *     or link validation fails at STREAMON (EPIPE);
 *   - unicam in legacy mode (the stock tc358743 overlay): the bridge's
 *     subdev node is registered read-only (setters answer EPERM) and the
 *     video node forwards EDID, DV timings and the format to the bridge;
 *   - test drivers (vivid): everything on the video node.
 * The ioctl numbers of VIDIOC_SUBDEV_{G,S}_EDID and ..._DV_TIMINGS equal
 * the video node ones, so one code path serves both. */
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

gboolean hdmirtc_v4l2_subdev_read_only(int fd)
{
	struct v4l2_subdev_capability cap = { 0 };

	/* Kernels before 5.10 have no QUERYCAP and no read-only nodes. */
	return hdmirtc_v4l2_ioctl(fd, VIDIOC_SUBDEV_QUERYCAP, &cap) == 0 &&
	       (cap.capabilities & V4L2_SUBDEV_CAP_RO_SUBDEV);
}

static gboolean open_video_node(HdmirtcV4l2Device *dev, const char *path, GError **error)
{
	struct v4l2_capability cap = { 0 };
	guint32 caps;

	g_strlcpy(dev->path, path, sizeof(dev->path));
	dev->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (dev->fd < 0)
		return no_device(error, path, "cannot open", errno);
	if (hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_QUERYCAP, &cap) < 0)
		return no_device(error, path, "not a V4L2 device", 0);
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_STREAMING) ||
	    !(caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)))
		return no_device(error, path, "not a streaming video capture node", 0);
	dev->mplane = !(caps & V4L2_CAP_VIDEO_CAPTURE);
	dev->buf_type = dev->mplane ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	dev->ctrl_fd = dev->fd;
	g_strlcpy(dev->ctrl_path, path, sizeof(dev->ctrl_path));
	return TRUE;
}

static gboolean open_bridge_subdev(HdmirtcV4l2Device *dev, const HdmirtcBridgeInfo *bridge,
                                   GError **error)
{
	int fd = open(bridge->subdev_node, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return no_device(error, bridge->subdev_node, "cannot open", errno);
	if (hdmirtc_v4l2_subdev_read_only(fd)) {
		close(fd);
		dev->subdev_read_only = TRUE;
		g_message("%s (%s) is read-only (unicam without the media controller): EDID, "
		          "timings and format go through %s", bridge->subdev_node,
		          bridge->bridge_entity, dev->path);
		return TRUE;
	}
	dev->ctrl_fd = fd;
	g_strlcpy(dev->ctrl_path, bridge->subdev_node, sizeof(dev->ctrl_path));
	dev->subdev_pad = bridge->hops[0].source_pad;
	return TRUE;
}

static gboolean open_receivers(HdmirtcV4l2Device *dev, const HdmirtcBridgeInfo *bridge,
                               GError **error)
{
	for (guint i = 1; i < bridge->n_hops; i++) {
		const HdmirtcMediaHop *h = &bridge->hops[i];
		HdmirtcV4l2Receiver *r = &dev->receivers[dev->n_receivers];

		if (!h->subdev[0])
			return no_device(error, h->name, "receiver on the path has no subdev node", 0);
		r->fd = open(h->subdev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (r->fd < 0)
			return no_device(error, h->subdev, "cannot open", errno);
		g_strlcpy(r->path, h->subdev, sizeof(r->path));
		g_strlcpy(r->name, h->name, sizeof(r->name));
		r->sink_pad = h->sink_pad;
		r->source_pad = h->source_pad;
		dev->n_receivers++;
	}
	return TRUE;
}

gboolean hdmirtc_v4l2_device_open(HdmirtcV4l2Device *dev, const char *path,
                                  const HdmirtcBridgeInfo *bridge, GError **error)
{
	memset(dev, 0, sizeof(*dev));
	dev->fd = dev->ctrl_fd = -1;
	if (!open_video_node(dev, path, error))
		goto fail;
	if (!bridge || !bridge->subdev_node[0])
		return TRUE;
	dev->csi_bridge = TRUE;
	if (!open_bridge_subdev(dev, bridge, error))
		goto fail;
	if (dev->subdev_read_only)
		return TRUE;
	if (!hdmirtc_capture_setup_links(bridge, error) || !open_receivers(dev, bridge, error))
		goto fail;
	return TRUE;
fail:
	hdmirtc_v4l2_device_close(dev);
	return FALSE;
}

void hdmirtc_v4l2_device_close(HdmirtcV4l2Device *dev)
{
	for (guint i = 0; i < dev->n_receivers; i++)
		close(dev->receivers[i].fd);
	dev->n_receivers = 0;
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

	/* The TC358743 keeps its EDID on pad 0, its only pad. */
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
	return hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_S_DV_TIMINGS, t);
}

int hdmirtc_v4l2_power_present(HdmirtcV4l2Device *dev)
{
	struct v4l2_control c = { .id = V4L2_CID_DV_RX_POWER_PRESENT };
	int r = hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_G_CTRL, &c);

	return r < 0 ? r : c.value != 0;
}

/* include/uapi/linux/v4l2-controls.h, include/media/i2c/tc358743.h */
#ifndef V4L2_CID_USER_TC358743_BASE
#define V4L2_CID_USER_TC358743_BASE (V4L2_CID_USER_BASE + 0x1080)
#endif
#define TC358743_CID_AUDIO_SAMPLING_RATE (V4L2_CID_USER_TC358743_BASE + 0)
#define TC358743_CID_AUDIO_PRESENT (V4L2_CID_USER_TC358743_BASE + 1)

void hdmirtc_v4l2_hdmi_audio(HdmirtcV4l2Device *dev, guint32 *rate, gboolean *present)
{
	struct v4l2_control r = { .id = TC358743_CID_AUDIO_SAMPLING_RATE };
	struct v4l2_control p = { .id = TC358743_CID_AUDIO_PRESENT };

	*rate = hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_G_CTRL, &r) < 0 || r.value < 0 ? 0 : (guint32)r.value;
	*present = hdmirtc_v4l2_ioctl(dev->ctrl_fd, VIDIOC_G_CTRL, &p) == 0 && p.value != 0;
}

guint32 hdmirtc_v4l2_refresh_mhz(const struct v4l2_dv_timings *t)
{
	const struct v4l2_bt_timings *bt = &t->bt;
	guint64 total = (guint64)V4L2_DV_BT_FRAME_WIDTH(bt) * V4L2_DV_BT_FRAME_HEIGHT(bt);

	if (t->type != V4L2_DV_BT_656_1120 || total == 0)
		return 0;
	return (guint32)(bt->pixelclock * 1000 / total);
}

guint32 hdmirtc_v4l2_mbus_code(guint32 drm_fourcc)
{
	switch (drm_fourcc) {
	case DRM_FORMAT_UYVY: return MEDIA_BUS_FMT_UYVY8_1X16;
	case DRM_FORMAT_BGR888: return MEDIA_BUS_FMT_RGB888_1X24;
	default: return 0;
	}
}

static int set_pad_format(int fd, guint32 pad, struct v4l2_mbus_framefmt *fmt)
{
	struct v4l2_subdev_format f = { .which = V4L2_SUBDEV_FORMAT_ACTIVE, .pad = pad };
	int r;

	f.format = *fmt;
	r = hdmirtc_v4l2_ioctl(fd, VIDIOC_SUBDEV_S_FMT, &f);
	if (r == 0)
		*fmt = f.format;
	return r;
}

/* The bridge's source pad takes the code; its size follows the DV
 * timings.  What it answers is the format of the stream, and every pad
 * downstream gets exactly that. */
static int set_path_format(HdmirtcV4l2Device *dev, guint32 code, guint32 w, guint32 h,
                           struct v4l2_mbus_framefmt *bridge, char *failed, gsize failed_size)
{
	int r;

	memset(bridge, 0, sizeof(*bridge));
	bridge->code = code;
	bridge->width = w;
	bridge->height = h;
	bridge->field = V4L2_FIELD_NONE;
	r = set_pad_format(dev->ctrl_fd, dev->subdev_pad, bridge);
	if (r < 0 || bridge->code != code || bridge->width != w || bridge->height != h) {
		g_snprintf(failed, failed_size, "%s pad %u", dev->ctrl_path, dev->subdev_pad);
		return r < 0 ? r : -EINVAL;
	}
	for (guint i = 0; i < dev->n_receivers; i++) {
		HdmirtcV4l2Receiver *rx = &dev->receivers[i];
		struct v4l2_mbus_framefmt sink = *bridge, source = *bridge;

		r = set_pad_format(rx->fd, rx->sink_pad, &sink);
		if (r == 0)
			r = set_pad_format(rx->fd, rx->source_pad, &source);
		if (r == 0 && (source.code != code || source.width != w || source.height != h))
			r = -EINVAL;
		if (r < 0) {
			g_snprintf(failed, failed_size, "\"%s\" (%s) pads %u/%u", rx->name, rx->path,
			           rx->sink_pad, rx->source_pad);
			return r;
		}
	}
	return 0;
}

static guint32 v4l2_fourcc_for(guint32 drm)
{
	switch (drm) {
	case DRM_FORMAT_UYVY: return V4L2_PIX_FMT_UYVY;
	case DRM_FORMAT_BGR888: return V4L2_PIX_FMT_RGB24;
	case DRM_FORMAT_YUV420: return V4L2_PIX_FMT_YUV420;
	/* B, G, R, X in memory: what vkms scans out (vivid has it; the
	 * TC358743 does not). */
	case DRM_FORMAT_XRGB8888: return V4L2_PIX_FMT_XBGR32;
	default: return 0;
	}
}

static int try_format(HdmirtcV4l2Device *dev, guint32 drm, guint32 w, guint32 h, guint32 align,
                      guint32 bytesperline, const struct v4l2_mbus_framefmt *bus,
                      HdmirtcV4l2Format *out)
{
	guint32 pix = v4l2_fourcc_for(drm);
	guint32 bpp = drm == DRM_FORMAT_XRGB8888 ? 4 : drm == DRM_FORMAT_BGR888 ? 3 : drm == DRM_FORMAT_UYVY ? 2 : 1;
	HdmirtcV4l2PlaneFormat f = { pix, w, h, bytesperline ? bytesperline :
	                             (w * bpp + align - 1) / align * align, 0, 0, 0, 0, 0 };
	int r;

	if (bus)
		f = (HdmirtcV4l2PlaneFormat){ pix, w, h, f.bytesperline, 0, bus->colorspace,
		                              bus->ycbcr_enc, bus->quantization, bus->xfer_func };
	r = hdmirtc_v4l2_set_plane_format(dev->fd, dev->buf_type, &f);
	if (r < 0)
		return r;
	*out = (HdmirtcV4l2Format){ pix, drm, f.width, f.height, f.bytesperline, f.sizeimage,
	                            bus ? bus->code : 0, { 0 } };
	/* The bridge's pad says what it sends; a video node in front of a
	 * subdev only echoes what it was told. */
	out->colour = bus ? hdmirtc_colour_from_v4l2(bus->colorspace, bus->ycbcr_enc,
	                                             bus->quantization, bus->xfer_func)
	                  : hdmirtc_colour_from_v4l2(f.colorspace, f.ycbcr_enc, f.quantization,
	                                             f.xfer_func);
	return 0;
}

gboolean hdmirtc_v4l2_set_format(HdmirtcV4l2Device *dev, guint32 drm_fourcc, guint32 width,
                                 guint32 height, guint32 align, HdmirtcCaptureStrideFunc stride,
                                 gpointer stride_data, HdmirtcV4l2Format *out, GError **error)
{
	guint32 order[2] = { DRM_FORMAT_UYVY, DRM_FORMAT_BGR888 };
	guint n = drm_fourcc ? 1 : 2;
	gboolean subdev = dev->ctrl_fd != dev->fd;
	struct v4l2_mbus_framefmt bus;
	char failed[160] = "";
	int r = -EINVAL;

	if (drm_fourcc)
		order[0] = drm_fourcc;
	for (guint i = 0; i < n; i++) {
		if (!v4l2_fourcc_for(order[i]))
			break;
		failed[0] = '\0';
		if (subdev) {
			r = set_path_format(dev, hdmirtc_v4l2_mbus_code(order[i]), width, height, &bus,
			                    failed, sizeof(failed));
			if (r < 0)
				continue;
		}
		r = try_format(dev, order[i], width, height, MAX(align, 1u),
		               stride ? stride(order[i], width, height, stride_data) : 0,
		               subdev ? &bus : NULL, out);
		if (r == 0 && out->width == width && out->height == height)
			return TRUE;
		g_strlcpy(failed, dev->path, sizeof(failed));
	}
	g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
	            "no usable format (%.4s%s%.4s) for %ux%u: %s: %s", (const char *)&order[0], n > 1 ? " or " : "",
	            n > 1 ? (const char *)&order[1] : "", width, height, failed[0] ? failed : dev->path,
	            r < 0 ? g_strerror(-r) : "driver changed the size");
	return FALSE;
}
