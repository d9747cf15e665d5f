/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The M2M encoder node: found by capability (never a fixed /dev/video11),
 * formats in the order of the kernel's stateful encoder interface
 * (Documentation/userspace-api/media/v4l/dev-encoder.rst), controls. */
#include "m2m-private.h"

#include <dirent.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static gboolean offers_coded(int fd, guint32 cap_type, guint32 coded)
{
	struct v4l2_fmtdesc d = { .type = cap_type };

	for (d.index = 0; d.index < 64; d.index++) {
		if (hdmirtc_v4l2_ioctl(fd, VIDIOC_ENUM_FMT, &d) < 0)
			return FALSE;
		if (d.pixelformat == coded)
			return TRUE;
	}
	return FALSE;
}

/* TRUE if fd is an M2M node with coded on CAPTURE; sets the queue types. */
static gboolean probe(int fd, guint32 coded, HdmirtcM2mDevice *dev)
{
	struct v4l2_capability cap = { 0 };
	guint32 caps;

	if (hdmirtc_v4l2_ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0)
		return FALSE;
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_STREAMING))
		return FALSE;
	if (caps & V4L2_CAP_VIDEO_M2M_MPLANE) {
		dev->mplane = TRUE;
		dev->out_type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
		dev->cap_type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	} else if (caps & V4L2_CAP_VIDEO_M2M) {
		dev->mplane = FALSE;
		dev->out_type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
		dev->cap_type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	} else {
		return FALSE;
	}
	return offers_coded(fd, dev->cap_type, coded);
}

gboolean hdmirtc_encoder_find_m2m(guint32 coded_fourcc, char *path, gsize size)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	HdmirtcM2mDevice dev;
	DIR *d = opendir("/dev");
	struct dirent *de;
	gboolean found = FALSE;

	if (!coded_fourcc)
		coded_fourcc = V4L2_PIX_FMT_H264;
	while (d && (de = readdir(d)))
		if (g_str_has_prefix(de->d_name, "video"))
			g_ptr_array_add(names, g_strdup_printf("/dev/%s", de->d_name));
	if (d)
		closedir(d);
	for (guint i = 0; i < names->len && !found; i++) {
		int fd = open(names->pdata[i], O_RDWR | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0)
			continue;
		found = probe(fd, coded_fourcc, &dev);
		if (found)
			g_strlcpy(path, names->pdata[i], size);
		close(fd);
	}
	return found;
}

gboolean hdmirtc_m2m_device_open(HdmirtcM2mDevice *dev, const char *path, guint32 coded,
                                 GError **error)
{
	memset(dev, 0, sizeof(*dev));
	g_strlcpy(dev->path, path, sizeof(dev->path));
	dev->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (dev->fd < 0 || !probe(dev->fd, coded, dev)) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_NOT_SUPPORTED,
		            "%s: not an M2M encoder of %.4s%s%s", path, (const char *)&coded,
		            dev->fd < 0 ? ": " : "", dev->fd < 0 ? g_strerror(errno) : "");
		hdmirtc_m2m_device_close(dev);
		return FALSE;
	}
	return TRUE;
}

void hdmirtc_m2m_device_close(HdmirtcM2mDevice *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

guint32 hdmirtc_m2m_try_bytesperline(HdmirtcM2mDevice *dev, guint32 raw, guint32 width,
                                     guint32 height)
{
	struct v4l2_format f = { .type = dev->out_type };

	if (dev->mplane) {
		f.fmt.pix_mp.width = width;
		f.fmt.pix_mp.height = height;
		f.fmt.pix_mp.pixelformat = raw;
		f.fmt.pix_mp.num_planes = 1;
	} else {
		f.fmt.pix.width = width;
		f.fmt.pix.height = height;
		f.fmt.pix.pixelformat = raw;
	}
	if (hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_TRY_FMT, &f) < 0)
		return 0;
	if (dev->mplane)
		return f.fmt.pix_mp.pixelformat == raw ? f.fmt.pix_mp.plane_fmt[0].bytesperline : 0;
	return f.fmt.pix.pixelformat == raw ? f.fmt.pix.bytesperline : 0;
}

guint32 hdmirtc_m2m_v4l2_fourcc(guint32 drm_fourcc)
{
	switch (drm_fourcc) {
	case DRM_FORMAT_UYVY: return V4L2_PIX_FMT_UYVY;
	case DRM_FORMAT_YUV420: return V4L2_PIX_FMT_YUV420;
	case DRM_FORMAT_NV12: return V4L2_PIX_FMT_NV12;
	case DRM_FORMAT_BGR888: return V4L2_PIX_FMT_RGB24;
	default: return 0;
	}
}

gboolean hdmirtc_encoder_m2m_takes(guint32 drm_fourcc)
{
	return hdmirtc_m2m_v4l2_fourcc(drm_fourcc) != 0;
}

/* Coded buffers: room for an IDR of a busy picture (an encoder that falls
 * back to PCM macroblocks writes 1.5 bytes per pixel). */
static guint32 coded_sizeimage(guint32 width, guint32 height)
{
	return width * height * 3 / 2 + 64 * 1024;
}

gboolean hdmirtc_m2m_set_formats(HdmirtcM2mDevice *dev, guint32 coded, guint32 raw, guint32 width,
                                 guint32 height, guint32 bytesperline, const HdmirtcColour *colour,
                                 HdmirtcV4l2PlaneFormat *out, GError **error)
{
	HdmirtcV4l2PlaneFormat cf = { coded, width, height, 0, coded_sizeimage(width, height),
	                              0, 0, 0, 0 };
	int r = hdmirtc_v4l2_set_plane_format(dev->fd, dev->cap_type, &cf);

	*out = (HdmirtcV4l2PlaneFormat){ raw, width, height, bytesperline, 0, 0, 0, 0, 0 };
	hdmirtc_colour_to_v4l2(colour, &out->colorspace, &out->ycbcr_enc, &out->quantization,
	                       &out->xfer_func);
	if (r == 0)
		r = hdmirtc_v4l2_set_plane_format(dev->fd, dev->out_type, out);
	if (r < 0) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_FAILED,
		            "%s: formats %.4s -> %.4s %ux%u refused: %s", dev->path,
		            (const char *)&raw, (const char *)&coded, width, height, g_strerror(-r));
		return FALSE;
	}
	return TRUE;
}

static int set_ctrl(HdmirtcM2mDevice *dev, guint32 id, gint32 value, const char *name)
{
	struct v4l2_ext_control c = { .id = id, .value = value };
	struct v4l2_ext_controls cs = { .which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &c };
	int r = hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_S_EXT_CTRLS, &cs);

	if (r < 0)
		g_debug("%s: control %s = %d: %s", dev->path, name, value, g_strerror(-r));
	return r;
}

static gint32 v4l2_level(guint8 level_idc)
{
	static const guint8 idc[] = { 10, 9, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51 };

	/* V4L2_MPEG_VIDEO_H264_LEVEL_1_0 .. _5_1 follow this order (1b = 9). */
	for (guint i = 0; i < G_N_ELEMENTS(idc); i++)
		if (idc[i] == level_idc)
			return (gint32)i;
	return V4L2_MPEG_VIDEO_H264_LEVEL_4_0;
}

void hdmirtc_m2m_apply_controls(HdmirtcM2mDevice *dev, const HdmirtcEncoderConfig *c)
{
	struct v4l2_streamparm parm = { .type = dev->out_type };
	int failed = 0;

	failed += set_ctrl(dev, V4L2_CID_MPEG_VIDEO_BITRATE_MODE, V4L2_MPEG_VIDEO_BITRATE_MODE_CBR,
	                   "bitrate mode") < 0;
	failed += hdmirtc_m2m_set_bitrate(dev, c->bitrate_kbps) < 0;
	failed += set_ctrl(dev, V4L2_CID_MPEG_VIDEO_GOP_SIZE, (gint32)c->keyframe_interval, "GOP") < 0;
	failed += set_ctrl(dev, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, (gint32)c->keyframe_interval,
	                   "I period") < 0;
	failed += set_ctrl(dev, V4L2_CID_MPEG_VIDEO_B_FRAMES, 0, "B-frames") < 0;
	failed += set_ctrl(dev, V4L2_CID_MPEG_VIDEO_H264_PROFILE,
	                   c->profile_idc == HDMIRTC_H264_PROFILE_MAIN ?
	                   V4L2_MPEG_VIDEO_H264_PROFILE_MAIN :
	                   V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE, "profile") < 0;
	failed += set_ctrl(dev, V4L2_CID_MPEG_VIDEO_H264_LEVEL, v4l2_level(c->level_idc), "level") < 0;
	/* SPS/PPS in front of every IDR, so a viewer can join at any one. */
	failed += set_ctrl(dev, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, 1, "repeat seq header") < 0;
	failed += set_ctrl(dev, V4L2_CID_MPEG_VIDEO_HEADER_MODE,
	                   V4L2_MPEG_VIDEO_HEADER_MODE_JOINED_WITH_1ST_FRAME, "header mode") < 0;
	parm.parm.output.timeperframe.numerator = 1;
	parm.parm.output.timeperframe.denominator = c->fps;
	failed += hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_S_PARM, &parm) < 0;
	if (failed)
		g_message("%s: %d encoder control(s) not supported by the driver", dev->path, failed);
}

int hdmirtc_m2m_set_bitrate(HdmirtcM2mDevice *dev, guint32 kbps)
{
	return set_ctrl(dev, V4L2_CID_MPEG_VIDEO_BITRATE, (gint32)(kbps * 1000), "bitrate");
}

int hdmirtc_m2m_force_keyframe(HdmirtcM2mDevice *dev)
{
	return set_ctrl(dev, V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 0, "force key frame");
}

static void describe_control(GString *out, int fd, guint32 id)
{
	struct v4l2_query_ext_ctrl q = { .id = id };

	if (hdmirtc_v4l2_ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0)
		g_string_append_printf(out, "    control %s: %lld..%lld, default %lld\n", q.name,
		                       (long long)q.minimum, (long long)q.maximum,
		                       (long long)q.default_value);
}

char *hdmirtc_encoder_describe_m2m(const char *device, guint32 drm_fourcc, guint32 width,
                                   guint32 height)
{
	static const guint32 controls[] = { V4L2_CID_MPEG_VIDEO_BITRATE, V4L2_CID_MPEG_VIDEO_H264_PROFILE,
	                                    V4L2_CID_MPEG_VIDEO_H264_LEVEL, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD,
	                                    V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER };
	GString *out = g_string_new(NULL);
	struct v4l2_capability cap = { 0 };
	struct v4l2_fmtdesc d;
	HdmirtcM2mDevice dev;
	guint32 raw = hdmirtc_m2m_v4l2_fourcc(drm_fourcc);
	guint32 bpl;

	if (!hdmirtc_m2m_device_open(&dev, device, V4L2_PIX_FMT_H264, NULL)) {
		g_string_append_printf(out, "    %s: not an M2M H.264 encoder\n", device);
		return g_string_free(out, FALSE);
	}
	(void)hdmirtc_v4l2_ioctl(dev.fd, VIDIOC_QUERYCAP, &cap);
	g_string_append_printf(out, "    driver %s, card \"%s\", %s\n    input formats:", cap.driver,
	                       cap.card, dev.mplane ? "multi-planar" : "single-planar");
	memset(&d, 0, sizeof(d));
	d.type = dev.out_type;
	for (d.index = 0; d.index < 64 && hdmirtc_v4l2_ioctl(dev.fd, VIDIOC_ENUM_FMT, &d) == 0; d.index++)
		g_string_append_printf(out, " %.4s", (const char *)&d.pixelformat);
	bpl = raw ? hdmirtc_m2m_try_bytesperline(&dev, raw, width, height) : 0;
	g_string_append_printf(out, "\n    %.4s %ux%u: bytesperline %u (the capture buffers are "
	                       "allocated with it)\n", (const char *)&raw, width, height, bpl);
	for (guint i = 0; i < G_N_ELEMENTS(controls); i++)
		describe_control(out, dev.fd, controls[i]);
	hdmirtc_m2m_device_close(&dev);
	return g_string_free(out, FALSE);
}
