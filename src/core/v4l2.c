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
			.field = V4L2_FIELD_NONE, .num_planes = 1,
		};
		f.fmt.pix_mp.plane_fmt[0].bytesperline = fmt->bytesperline;
		f.fmt.pix_mp.plane_fmt[0].sizeimage = fmt->sizeimage;
	} else {
		f.fmt.pix = (struct v4l2_pix_format){
			.width = fmt->width, .height = fmt->height, .pixelformat = fmt->fourcc,
			.field = V4L2_FIELD_NONE, .bytesperline = fmt->bytesperline,
			.sizeimage = fmt->sizeimage,
		};
	}
	r = hdmirtc_v4l2_ioctl(fd, VIDIOC_S_FMT, &f);
	if (r < 0)
		return r;
	if (mplane ? f.fmt.pix_mp.pixelformat != fmt->fourcc || f.fmt.pix_mp.num_planes != 1
		   : f.fmt.pix.pixelformat != fmt->fourcc)
		return -EINVAL;
	*fmt = mplane ? (HdmirtcV4l2PlaneFormat){ f.fmt.pix_mp.pixelformat, f.fmt.pix_mp.width,
						  f.fmt.pix_mp.height,
						  f.fmt.pix_mp.plane_fmt[0].bytesperline,
						  f.fmt.pix_mp.plane_fmt[0].sizeimage }
		      : (HdmirtcV4l2PlaneFormat){ f.fmt.pix.pixelformat, f.fmt.pix.width,
						  f.fmt.pix.height, f.fmt.pix.bytesperline,
						  f.fmt.pix.sizeimage };
	return 0;
}
