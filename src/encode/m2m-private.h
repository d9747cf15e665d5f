/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals of the V4L2 M2M encoder: m2m-device.c (finding the node,
 * formats, controls) and m2m.c (queues, encode, drain). */
#pragma once

#include <linux/videodev2.h>

#include "encoder-private.h"
#include "hdmirtc/v4l2.h"

typedef struct {
	int fd;
	gboolean mplane;
	guint32 out_type;               /* raw frames in */
	guint32 cap_type;               /* coded data out */
	char path[64];
} HdmirtcM2mDevice;

/* 0 or -errno; retries EINTR. */
gboolean hdmirtc_m2m_device_open(HdmirtcM2mDevice *dev, const char *path, guint32 coded,
                                 GError **error);
void hdmirtc_m2m_device_close(HdmirtcM2mDevice *dev);
/* V4L2 fourcc of a DRM fourcc frame, 0 if the encoder path cannot take it. */
guint32 hdmirtc_m2m_v4l2_fourcc(guint32 drm_fourcc);
/* CAPTURE (coded) then OUTPUT (raw) format, as the stateful encoder
 * interface orders it, the colour description on OUTPUT (the encoder
 * writes it into the SPS).  *out gets what the driver chose for OUTPUT. */
gboolean hdmirtc_m2m_set_formats(HdmirtcM2mDevice *dev, guint32 coded, guint32 raw, guint32 width,
                                 guint32 height, guint32 bytesperline, const HdmirtcColour *colour,
                                 HdmirtcV4l2PlaneFormat *out, GError **error);
/* VIDIOC_TRY_FMT on OUTPUT: the bytesperline the driver wants for raw at
 * width x height, 0 if it refuses. */
guint32 hdmirtc_m2m_try_bytesperline(HdmirtcM2mDevice *dev, guint32 raw, guint32 width,
                                     guint32 height);
/* Bitrate, GOP, profile/level, REPEAT_SEQ_HEADER, no B-frames, frame
 * rate.  Controls the driver lacks are logged, not fatal (vicodec has
 * none of the H.264 ones). */
void hdmirtc_m2m_apply_controls(HdmirtcM2mDevice *dev, const HdmirtcEncoderConfig *c);
int hdmirtc_m2m_set_bitrate(HdmirtcM2mDevice *dev, guint32 kbps);
int hdmirtc_m2m_force_keyframe(HdmirtcM2mDevice *dev);
