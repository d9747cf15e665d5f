/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/v4l2.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>

int hdmirtc_v4l2_ioctl(int fd, unsigned long request, void *arg)
{
	int r;

	do
		r = ioctl(fd, request, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int hdmirtc_v4l2_set_plane_format(int fd, guint32 type, HdmirtcV4l2PlaneFormat *fmt)
{
	struct v4l2_format f = { .type = type };
	gboolean mplane = V4L2_TYPE_IS_MULTIPLANAR(type);
	int r;

	if (mplane) {
		f.fmt.pix_mp = (struct v4l2_pix_format_mplane){
			.width = fmt->width, .height = fmt->height, .pixelformat = fmt->fourcc,
			.field = V4L2_FIELD_NONE, .num_planes = 1, .colorspace = fmt->colorspace,
			.ycbcr_enc = (guint8)fmt->ycbcr_enc, .quantization = (guint8)fmt->quantization,
			.xfer_func = (guint8)fmt->xfer_func,
		};
		f.fmt.pix_mp.plane_fmt[0].bytesperline = fmt->bytesperline;
		f.fmt.pix_mp.plane_fmt[0].sizeimage = fmt->sizeimage;
	} else {
		f.fmt.pix = (struct v4l2_pix_format){
			.width = fmt->width, .height = fmt->height, .pixelformat = fmt->fourcc,
			.field = V4L2_FIELD_NONE, .bytesperline = fmt->bytesperline,
			.sizeimage = fmt->sizeimage, .colorspace = fmt->colorspace,
			.ycbcr_enc = fmt->ycbcr_enc, .quantization = fmt->quantization,
			.xfer_func = fmt->xfer_func,
		};
	}
	r = hdmirtc_v4l2_ioctl(fd, VIDIOC_S_FMT, &f);
	if (r < 0)
		return r;
	if (mplane ? f.fmt.pix_mp.pixelformat != fmt->fourcc || f.fmt.pix_mp.num_planes != 1
		   : f.fmt.pix.pixelformat != fmt->fourcc)
		return -EINVAL;
	if (mplane)
		*fmt = (HdmirtcV4l2PlaneFormat){
			f.fmt.pix_mp.pixelformat, f.fmt.pix_mp.width, f.fmt.pix_mp.height,
			f.fmt.pix_mp.plane_fmt[0].bytesperline, f.fmt.pix_mp.plane_fmt[0].sizeimage,
			f.fmt.pix_mp.colorspace, f.fmt.pix_mp.ycbcr_enc, f.fmt.pix_mp.quantization,
			f.fmt.pix_mp.xfer_func,
		};
	else
		*fmt = (HdmirtcV4l2PlaneFormat){
			f.fmt.pix.pixelformat, f.fmt.pix.width, f.fmt.pix.height, f.fmt.pix.bytesperline,
			f.fmt.pix.sizeimage, f.fmt.pix.colorspace, f.fmt.pix.ycbcr_enc,
			f.fmt.pix.quantization, f.fmt.pix.xfer_func,
		};
	return 0;
}

static guint8 matrix_of(guint32 ycbcr_enc)
{
	switch (ycbcr_enc) {
	case V4L2_YCBCR_ENC_601: case V4L2_YCBCR_ENC_XV601: return 6;
	case V4L2_YCBCR_ENC_709: case V4L2_YCBCR_ENC_XV709: return 1;
	case V4L2_YCBCR_ENC_BT2020: return 9;
	case V4L2_YCBCR_ENC_SMPTE240M: return 7;
	default: return 2;
	}
}

static guint8 transfer_of(guint32 xfer_func)
{
	switch (xfer_func) {
	case V4L2_XFER_FUNC_709: return 1;
	case V4L2_XFER_FUNC_SRGB: return 13;
	case V4L2_XFER_FUNC_SMPTE240M: return 7;
	case V4L2_XFER_FUNC_NONE: return 8;
	case V4L2_XFER_FUNC_SMPTE2084: return 16;
	default: return 2;
	}
}

static guint8 primaries_of(guint32 colorspace)
{
	switch (colorspace) {
	case V4L2_COLORSPACE_SMPTE170M: return 6;
	case V4L2_COLORSPACE_REC709: case V4L2_COLORSPACE_SRGB: case V4L2_COLORSPACE_OPRGB: return 1;
	case V4L2_COLORSPACE_470_SYSTEM_BG: return 5;
	case V4L2_COLORSPACE_470_SYSTEM_M: return 4;
	case V4L2_COLORSPACE_SMPTE240M: return 7;
	case V4L2_COLORSPACE_BT2020: return 9;
	default: return 2;
	}
}

HdmirtcColour hdmirtc_colour_from_v4l2(guint32 colorspace, guint32 ycbcr_enc, guint32 quantization,
                                       guint32 xfer_func)
{
	HdmirtcColour c;

	if (ycbcr_enc == V4L2_YCBCR_ENC_DEFAULT)
		ycbcr_enc = V4L2_MAP_YCBCR_ENC_DEFAULT(colorspace);
	if (xfer_func == V4L2_XFER_FUNC_DEFAULT)
		xfer_func = V4L2_MAP_XFER_FUNC_DEFAULT(colorspace);
	if (quantization == V4L2_QUANTIZATION_DEFAULT)
		quantization = V4L2_MAP_QUANTIZATION_DEFAULT(FALSE, colorspace, ycbcr_enc);
	c.primaries = primaries_of(colorspace);
	c.transfer = transfer_of(xfer_func);
	/* SMPTE 170M's transfer is BT.709's function under its own code
	 * point: named so, a 601 picture is tagged 6/6/6 as the NO SIGNAL
	 * picture is, and the encoder is not rebuilt between them. */
	if (c.primaries == 6 && c.transfer == 1)
		c.transfer = 6;
	c.matrix = matrix_of(ycbcr_enc);
	c.full_range = quantization == V4L2_QUANTIZATION_FULL_RANGE;
	return c;
}

void hdmirtc_colour_to_v4l2(const HdmirtcColour *c, guint32 *colorspace, guint32 *ycbcr_enc,
                            guint32 *quantization, guint32 *xfer_func)
{
	*colorspace = c->primaries == 6 ? V4L2_COLORSPACE_SMPTE170M :
	              c->primaries == 5 ? V4L2_COLORSPACE_470_SYSTEM_BG :
	              c->primaries == 1 ? (c->transfer == 13 ? V4L2_COLORSPACE_SRGB :
	                                   V4L2_COLORSPACE_REC709) :
	              V4L2_COLORSPACE_DEFAULT;
	*ycbcr_enc = c->matrix == 6 || c->matrix == 5 ? V4L2_YCBCR_ENC_601 :
	             c->matrix == 1 ? V4L2_YCBCR_ENC_709 : V4L2_YCBCR_ENC_DEFAULT;
	*xfer_func = c->transfer == 13 ? V4L2_XFER_FUNC_SRGB :
	             c->transfer == 1 || c->transfer == 6 ? V4L2_XFER_FUNC_709 : V4L2_XFER_FUNC_DEFAULT;
	*quantization = c->primaries == 0 ? V4L2_QUANTIZATION_DEFAULT :
	                c->full_range ? V4L2_QUANTIZATION_FULL_RANGE : V4L2_QUANTIZATION_LIM_RANGE;
}
