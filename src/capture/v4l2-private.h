/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals of the V4L2 HDMI bridge source, shared by its files:
 * v4l2-device.c (ioctls on the video node and the bridge's subdev),
 * v4l2-buffers.c (MMAP buffers exported as DMA-BUF, frames, requeue),
 * v4l2-source.c (the HdmirtcCapture and its signal state machine),
 * media-controller.c (finding the bridge), no-signal.c (the picture). */
#pragma once

#include <linux/v4l2-mediabus.h>
#include <linux/videodev2.h>

#include "capture-private.h"
#include "hdmirtc/v4l2.h"

/* 0 or -errno; retries EINTR. */

/* A CSI-2 receiver subdevice between the bridge and the video node
 * (rp1-cfe's "csi2"); its pads must carry the bridge's format. */
typedef struct {
	int fd;
	char path[64];
	char name[64];
	guint32 sink_pad;
	guint32 source_pad;
} HdmirtcV4l2Receiver;

typedef struct {
	int fd;                         /* video capture node */
	int ctrl_fd;                    /* EDID / DV timings / controls: subdev or fd */
	guint32 buf_type;               /* V4L2_BUF_TYPE_VIDEO_CAPTURE(_MPLANE) */
	gboolean mplane;
	char path[64];
	char ctrl_path[64];
	guint32 subdev_pad;             /* bridge source pad (subdev mode) */
	/* The bridge's subdevice is read-only (unicam without the media
	 * controller): its setters answer EPERM, and the video node forwards
	 * EDID, DV timings and formats to the bridge instead. */
	gboolean subdev_read_only;
	/* A CSI-2 bridge found in a media graph (read-only or not): its
	 * lanes limit what streams. */
	gboolean csi_bridge;
	guint n_receivers;
	HdmirtcV4l2Receiver receivers[HDMIRTC_MEDIA_MAX_HOPS];
} HdmirtcV4l2Device;

typedef struct {
	guint32 v4l2_fourcc;
	guint32 drm_fourcc;
	guint32 width;
	guint32 height;
	guint32 bytesperline;
	guint32 sizeimage;
	guint32 mbus_code;              /* bridge pad format, 0 without a subdev */
	HdmirtcColour colour;           /* what the bridge says it sends */
} HdmirtcV4l2Format;

/* Opens path, checks it is a streaming video capture node, and, with a
 * bridge found in a media graph, the bridge's subdev (controls), the
 * receivers on the path (pad formats), with the links set up.  A read-only
 * bridge subdev is not used for setters.  NO_DEVICE on failure. */
gboolean hdmirtc_v4l2_device_open(HdmirtcV4l2Device *dev, const char *path,
                                  const HdmirtcBridgeInfo *bridge, GError **error);
void hdmirtc_v4l2_device_close(HdmirtcV4l2Device *dev);
/* Subscribes V4L2_EVENT_SOURCE_CHANGE on the control node (and the video
 * node when they differ).  0 or -errno. */
int hdmirtc_v4l2_subscribe_events(HdmirtcV4l2Device *dev);
gboolean hdmirtc_v4l2_set_edid(HdmirtcV4l2Device *dev, const HdmirtcEdid *edid, GError **error);
/* 0 or -errno (ENOLINK, ENOLCK, ERANGE, ...). */
int hdmirtc_v4l2_query_timings(HdmirtcV4l2Device *dev, struct v4l2_dv_timings *t);
int hdmirtc_v4l2_apply_timings(HdmirtcV4l2Device *dev, struct v4l2_dv_timings *t);
/* 1, 0, or -errno when the control does not exist. */
int hdmirtc_v4l2_power_present(HdmirtcV4l2Device *dev);
/* The TC358743's own controls for the HDMI audio it passes on over I2S
 * (drivers/media/i2c/tc358743.c: TC358743_CID_AUDIO_SAMPLING_RATE, 0
 * when unknown, and TC358743_CID_AUDIO_PRESENT).  Bridges without them
 * (vivid) give 0 and FALSE. */
void hdmirtc_v4l2_hdmi_audio(HdmirtcV4l2Device *dev, guint32 *rate, gboolean *present);
/* Sets width x height in drm_fourcc (0 = UYVY, then RGB24) on every pad
 * of the path (the bridge's, then each receiver's sink and source) and on
 * the video node, with the bytesperline stride() asks for (NULL or 0 =
 * the minimum rounded up to align).  out says what the driver chose and
 * what the bridge sends. */
gboolean hdmirtc_v4l2_set_format(HdmirtcV4l2Device *dev, guint32 drm_fourcc, guint32 width,
                                 guint32 height, guint32 align, HdmirtcCaptureStrideFunc stride,
                                 gpointer stride_data, HdmirtcV4l2Format *out, GError **error);
/* Media-bus code of a DRM fourcc on the CSI-2 link, 0 if none. */
guint32 hdmirtc_v4l2_mbus_code(guint32 drm_fourcc);
/* TRUE for a subdev node registered read-only (setters answer EPERM). */
gboolean hdmirtc_v4l2_subdev_read_only(int fd);
/* "UYVY8_1X16" for the media-bus codes hdmirtc meets, NULL otherwise. */
const char *hdmirtc_mbus_code_name(guint32 code);
/* Appends "UYVY8_1X16 1920x1080 field 1 colorspace 8 ..." */
void hdmirtc_describe_mbus(GString *out, const struct v4l2_mbus_framefmt *f);
/* /dev/<prefix>* sorted so that video2 comes before video10. */
GPtrArray *hdmirtc_v4l2_list_dev(const char *prefix);
guint32 hdmirtc_v4l2_refresh_mhz(const struct v4l2_dv_timings *t);

/* A generation of V4L2 buffers: one REQBUFS..REQBUFS(0) cycle.  Frames
 * hold a reference, so mappings and DMA-BUF fds outlive a restart until the
 * last frame of the old generation is unreffed. */
typedef struct HdmirtcV4l2Buffers HdmirtcV4l2Buffers;

/* VIDIOC_CREATE_BUFS sized for the height rounded up to 16 (what
 * bcm2835-codec and vicodec need to import the DMA-BUF), or REQBUFS when
 * the driver lacks CREATE_BUFS.  Requeueing happens on ctx.  */
HdmirtcV4l2Buffers *hdmirtc_v4l2_buffers_new(HdmirtcV4l2Device *dev, const HdmirtcV4l2Format *fmt,
                                             guint count, GMainContext *ctx, GError **error);
/* QBUF every buffer and STREAMON.  0 or -errno. */
int hdmirtc_v4l2_buffers_start(HdmirtcV4l2Buffers *bufs);
/* STREAMOFF, REQBUFS(0) (buffers still lent out are orphaned by vb2 and
 * live on in their frames), drops the owner reference.  NULL-safe. */
void hdmirtc_v4l2_buffers_stop(HdmirtcV4l2Buffers *bufs);
/* DQBUF one buffer as a frame with one reference (dmabuf_fd, data, seq
 * from the driver's sequence, capture times from its timestamp).  -EAGAIN
 * when none is ready, other -errno on failure. */
int hdmirtc_v4l2_buffers_dequeue(HdmirtcV4l2Buffers *bufs, HdmirtcFrame **frame);
guint hdmirtc_v4l2_buffers_count(HdmirtcV4l2Buffers *bufs);

/* Paints an I420 frame: dark background, title large, reason below. */
void hdmirtc_no_signal_paint(HdmirtcFrame *frame, const char *title, const char *reason);
