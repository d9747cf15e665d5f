/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the capture source and the M2M encoder both need from the V4L2
 * API: ioctl() that survives signals, and one-plane formats set the same
 * way on single- and multi-planar queues.  Any thread. */
#pragma once

#include <glib.h>

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

/* ioctl() again after EINTR; 0 or -errno. */
int hdmirtc_v4l2_ioctl(int fd, unsigned long request, void *arg);

/* A one-plane format as VIDIOC_S_FMT takes and gives it. */
typedef struct {
	guint32 fourcc;                 /* V4L2 pixel format */
	guint32 width;
	guint32 height;
	guint32 bytesperline;           /* 0 = the driver's choice */
	guint32 sizeimage;              /* 0 = the driver's choice */
	/* V4L2_COLORSPACE_* etc.; 0 = DEFAULT (the driver's choice) */
	guint32 colorspace;
	guint32 ycbcr_enc;
	guint32 quantization;
	guint32 xfer_func;
} HdmirtcV4l2PlaneFormat;

/* VIDIOC_S_FMT on queue type (V4L2_BUF_TYPE_*, single- or multi-planar);
 * *fmt is what is asked and becomes what the driver chose.  0, -errno, or
 * -EINVAL when the driver picked another pixel format or more planes. */
int hdmirtc_v4l2_set_plane_format(int fd, guint32 type, HdmirtcV4l2PlaneFormat *fmt);

/* A V4L2 format's colorimetry (V4L2_COLORSPACE_*, _YCBCR_ENC_*,
 * _QUANTIZATION_*, _XFER_FUNC_*; DEFAULT values resolved as the V4L2
 * spec says for a YCbCr format) in H.273 code points, and back. */
HdmirtcColour hdmirtc_colour_from_v4l2(guint32 colorspace, guint32 ycbcr_enc, guint32 quantization,
                                       guint32 xfer_func);
void hdmirtc_colour_to_v4l2(const HdmirtcColour *c, guint32 *colorspace, guint32 *ycbcr_enc,
                            guint32 *quantization, guint32 *xfer_func);

G_END_DECLS
