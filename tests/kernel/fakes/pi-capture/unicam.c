// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unicam-fake.ko - stand-in for the Raspberry Pi 4 Unicam CSI-2 receiver
 * driver of the Raspberry Pi kernel (drivers/media/platform/bcm2835/
 * bcm2835-unicam.c; bcm2835-unicam-legacy.ko from rpi-6.12), for the QEMU
 * VM of tests/kernel.
 *
 * Read: that file in 6by9/linux (30b686d4, Dave Stevenson's tree: the
 * downstream driver with its media-controller mode, v4l2_async_connection
 * API) and raspberrypi/linux (620fca0d, 0014a318: older, legacy only).  In
 * 6.12 the DV-timings subdev calls are pad ops; the calls are made so.
 *
 * Reproduced (userspace sees the 6.12 media, V4L2 and vb2 core):
 *  - A platform driver "unicam" bound to the board's "fe801000.csi" or
 *    "fe800000.csi"; media device model "unicam", bus_info
 *    "platform:<device>".
 *  - The mode: media-controller mode when the module parameter
 *    media_controller is set or the firmware node has
 *    "brcm,media-controller" (the overlay's media-controller parameter),
 *    legacy (video-node-centric) mode otherwise.
 *  - Probe: "brcm,num-data-lanes" required ("number of data lanes not
 *    set"); the endpoint: 1, 2 or 4 data lanes, in order; more lanes than
 *    num-data-lanes only logs an error and the endpoint's count wins.  A
 *    v4l2-async notifier waits for the endpoint's remote port parent.
 *  - complete(): one video node per bridge source pad (the tc358743 has
 *    one: "unicam-image" only; "unicam-embedded" needs two), linked from
 *    the bridge's source pad ENABLED | IMMUTABLE in both modes, entity
 *    flag MEDIA_ENT_FL_DEFAULT; subdev nodes registered read-only
 *    (v4l2_device_register_ro_subdev_nodes) in legacy mode, read-write in
 *    media-controller mode.
 *  - Caps: VIDEO_CAPTURE | READWRITE | STREAMING, plus V4L2_CAP_IO_MC in
 *    media-controller mode; vb2_dma_contig, MMAP, DMABUF, read(), at
 *    least 3 buffers, min_queued_buffers 1, monotonic timestamps;
 *    bytesperline ALIGN(width * depth / 8, 32) (max 65504) unless larger
 *    is asked, width aligned to 4 in 16..16376.
 *  - Legacy ioctls forward to the bridge: ENUM_FMT from its mbus codes;
 *    G_FMT re-reads the bridge's format; TRY_FMT/S_FMT go through its
 *    set_fmt (TRY with a subdev state, then ACTIVE; -EBUSY while buffers
 *    exist; UYVY resolves to UYVY8_1X16 because the 2X8 variants need the
 *    bridge to list them); ENUM_INPUT (a camera input with
 *    V4L2_IN_CAP_DV_TIMINGS and g_input_status); G/S_INPUT; G/S_EDID;
 *    S/G/QUERY/ENUM_DV_TIMINGS, DV_TIMINGS_CAP (S_DV_TIMINGS: no change ->
 *    0, -EBUSY while buffers exist, then the format is re-read); the
 *    bridge's controls appear on the video node; STD, PARM, FRAMESIZES,
 *    FRAMEINTERVALS and SELECTION ioctls are disabled because the bridge
 *    lacks the ops.
 *  - Media-controller ioctls: ENUM_FMT from the table (mbus_code filter,
 *    1X16 YUV skipped), TRY/S_FMT validate locally (colorspace masks),
 *    ENUM_FRAMESIZES stepwise; the video node's link_validate returns
 *    -EINVAL when the bridge's width/height or code does not match
 *    ("Wrong width or height ...").
 *  - SOURCE_CHANGE from the bridge is queued on the image node (both
 *    modes); FRAME_SYNC at frame start.
 *  - start_streaming: waits until the open nodes all stream;
 *    media_pipeline_start (both modes); get_mbus_config and -EINVAL when
 *    the bridge asks for more data lanes than the endpoint has ("Device has
 *    requested %u data lanes, which is >%u configured in DT");
 *    s_stream(1).
 *  - Frames as the interrupt handler sees them: frame start timestamps the
 *    buffer being written (ktime_get_ns) or, without one, drops the frame;
 *    the next buffer is programmed at frame start and at the line
 *    interrupts; frame end completes the buffer with the sequence number,
 *    which counts the frames since STREAMON whether or not they had a
 *    buffer.
 * Added: an async unbind (the driver has none) that unregisters the nodes.
 * Left out: registers, interrupts, clocks, runtime PM, the dummy buffer,
 * CCP2, embedded data (no bridge pad for it), the sync GPIO, unpacking and
 * repacking, the 12/14/16-bit and Y10+ rows of the format table.
 * Frames come from a kernel thread at the bridge's frame rate (capped by
 * pi-fake-board's test-only max_fps), painted as pi-board.c describes.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <media/mipi-csi2.h>
#include <media/v4l2-async.h>
#include <media/v4l2-common.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-dv-timings.h>
#include <media/v4l2-event.h>
#include <media/v4l2-fwnode.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-dma-contig.h>

#include "pi-fake.h"

#define UNICAM_MODULE_NAME	"unicam"

static int media_controller;
module_param(media_controller, int, 0644);
MODULE_PARM_DESC(media_controller, "Use media controller API");

#define MAX_ENUM_MBUS_CODE	128
#define BPL_ALIGNMENT		32
#define MAX_BYTESPERLINE	((1 << 16) - BPL_ALIGNMENT)
#define MAX_WIDTH		(MAX_BYTESPERLINE / 4)
#define MAX_HEIGHT		MAX_WIDTH
#define MIN_WIDTH		16
#define MIN_HEIGHT		16
#define UNICAM_EMBEDDED_SIZE	16384

#ifndef MEDIA_BUS_FMT_SENSOR_DATA
#define MEDIA_BUS_FMT_SENSOR_DATA	0x7002
#endif
#ifndef V4L2_META_FMT_SENSOR_DATA
#define V4L2_META_FMT_SENSOR_DATA	v4l2_fourcc('S', 'E', 'N', 'S')
#endif

enum pad_types { IMAGE_PAD, METADATA_PAD, MAX_NODES };

#define MASK_CS_SMPTE170M	BIT(V4L2_COLORSPACE_SMPTE170M)
#define MASK_CS_REC709		BIT(V4L2_COLORSPACE_REC709)
#define MASK_CS_JPEG		BIT(V4L2_COLORSPACE_JPEG)
#define MASK_CS_SRGB		BIT(V4L2_COLORSPACE_SRGB)
#define MASK_CS_RAW		BIT(V4L2_COLORSPACE_RAW)
#define MAX_COLORSPACE		32
#define CS_YUV	(MASK_CS_SMPTE170M | MASK_CS_REC709 | MASK_CS_JPEG)

struct unicam_fmt {
	u32 fourcc;
	u32 repacked_fourcc;
	u32 code;
	u8 depth;
	u8 csi_dt;
	u32 valid_colorspaces;
	u8 check_variants:1;
	u8 mc_skip:1;
	u8 metadata_fmt:1;
};

#define YUV2X8(f, c) { .fourcc = f, .code = c, .depth = 16, \
	.csi_dt = MIPI_CSI2_DT_YUV422_8B, .check_variants = 1, \
	.valid_colorspaces = CS_YUV }
#define YUV1X16(f, c) { .fourcc = f, .code = c, .depth = 16, \
	.csi_dt = MIPI_CSI2_DT_YUV422_8B, .mc_skip = 1, \
	.valid_colorspaces = CS_YUV }
#define RGB(f, c, d, dt) { .fourcc = f, .code = c, .depth = d, \
	.csi_dt = dt, .valid_colorspaces = MASK_CS_SRGB }
#define RAW(f, r, c, d, dt) { .fourcc = f, .repacked_fourcc = r, .code = c, \
	.depth = d, .csi_dt = dt, .valid_colorspaces = MASK_CS_RAW }

static const struct unicam_fmt formats[] = {
	YUV2X8(V4L2_PIX_FMT_YUYV, MEDIA_BUS_FMT_YUYV8_2X8),
	YUV2X8(V4L2_PIX_FMT_UYVY, MEDIA_BUS_FMT_UYVY8_2X8),
	YUV2X8(V4L2_PIX_FMT_YVYU, MEDIA_BUS_FMT_YVYU8_2X8),
	YUV2X8(V4L2_PIX_FMT_VYUY, MEDIA_BUS_FMT_VYUY8_2X8),
	YUV1X16(V4L2_PIX_FMT_YUYV, MEDIA_BUS_FMT_YUYV8_1X16),
	YUV1X16(V4L2_PIX_FMT_UYVY, MEDIA_BUS_FMT_UYVY8_1X16),
	YUV1X16(V4L2_PIX_FMT_YVYU, MEDIA_BUS_FMT_YVYU8_1X16),
	YUV1X16(V4L2_PIX_FMT_VYUY, MEDIA_BUS_FMT_VYUY8_1X16),
	RGB(V4L2_PIX_FMT_RGB565, MEDIA_BUS_FMT_RGB565_2X8_LE, 16,
	    MIPI_CSI2_DT_RGB565),
	RGB(V4L2_PIX_FMT_RGB565X, MEDIA_BUS_FMT_RGB565_2X8_BE, 16,
	    MIPI_CSI2_DT_RGB565),
	RGB(V4L2_PIX_FMT_RGB555, MEDIA_BUS_FMT_RGB555_2X8_PADHI_LE, 16,
	    MIPI_CSI2_DT_RGB555),
	RGB(V4L2_PIX_FMT_RGB555X, MEDIA_BUS_FMT_RGB555_2X8_PADHI_BE, 16,
	    MIPI_CSI2_DT_RGB555),
	RGB(V4L2_PIX_FMT_RGB24, MEDIA_BUS_FMT_RGB888_1X24, 24,
	    MIPI_CSI2_DT_RGB888),
	RGB(V4L2_PIX_FMT_BGR24, MEDIA_BUS_FMT_BGR888_1X24, 24,
	    MIPI_CSI2_DT_RGB888),
	RGB(V4L2_PIX_FMT_RGB32, MEDIA_BUS_FMT_ARGB8888_1X32, 32, 0),
	RAW(V4L2_PIX_FMT_SBGGR8, 0, MEDIA_BUS_FMT_SBGGR8_1X8, 8,
	    MIPI_CSI2_DT_RAW8),
	RAW(V4L2_PIX_FMT_SGBRG8, 0, MEDIA_BUS_FMT_SGBRG8_1X8, 8,
	    MIPI_CSI2_DT_RAW8),
	RAW(V4L2_PIX_FMT_SGRBG8, 0, MEDIA_BUS_FMT_SGRBG8_1X8, 8,
	    MIPI_CSI2_DT_RAW8),
	RAW(V4L2_PIX_FMT_SRGGB8, 0, MEDIA_BUS_FMT_SRGGB8_1X8, 8,
	    MIPI_CSI2_DT_RAW8),
	RAW(V4L2_PIX_FMT_SBGGR10P, V4L2_PIX_FMT_SBGGR10,
	    MEDIA_BUS_FMT_SBGGR10_1X10, 10, MIPI_CSI2_DT_RAW10),
	RAW(V4L2_PIX_FMT_SGBRG10P, V4L2_PIX_FMT_SGBRG10,
	    MEDIA_BUS_FMT_SGBRG10_1X10, 10, MIPI_CSI2_DT_RAW10),
	RAW(V4L2_PIX_FMT_SGRBG10P, V4L2_PIX_FMT_SGRBG10,
	    MEDIA_BUS_FMT_SGRBG10_1X10, 10, MIPI_CSI2_DT_RAW10),
	RAW(V4L2_PIX_FMT_SRGGB10P, V4L2_PIX_FMT_SRGGB10,
	    MEDIA_BUS_FMT_SRGGB10_1X10, 10, MIPI_CSI2_DT_RAW10),
	RAW(V4L2_PIX_FMT_GREY, 0, MEDIA_BUS_FMT_Y8_1X8, 8, MIPI_CSI2_DT_RAW8),
	{ .fourcc = V4L2_META_FMT_SENSOR_DATA, .code = MEDIA_BUS_FMT_SENSOR_DATA,
	  .depth = 8, .metadata_fmt = 1 },
};

struct unicam_buffer {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
	struct pifake_paint_cache paint;
};

struct unicam_device;

struct unicam_node {
	bool registered;
	int open;
	bool streaming;
	unsigned int pad_id;
	unsigned int src_pad_id;
	struct unicam_buffer *cur_frm;
	struct unicam_buffer *next_frm;
	const struct unicam_fmt *fmt;
	struct v4l2_format v_fmt;
	struct v4l2_mbus_framefmt m_fmt;
	struct vb2_queue buffer_queue;
	struct list_head dma_queue;
	spinlock_t dma_queue_lock;	/* the DMA queue, cur_frm, next_frm */
	struct mutex lock;
	struct video_device video_dev;
	struct unicam_device *dev;
	struct media_pad pad;
	unsigned int embedded_lines;
	struct media_pipeline pipe;
};

struct unicam_device {
	struct kref kref;
	struct v4l2_async_connection *asd;
	struct v4l2_device v4l2_dev;
	struct media_device mdev;
	struct platform_device *pdev;
	struct v4l2_async_notifier notifier;
	unsigned int sequence;
	bool frame_started;
	struct v4l2_subdev *sensor;
	struct v4l2_subdev_state *sensor_state;
	enum v4l2_mbus_type bus_type;
	unsigned int bus_flags;
	unsigned int max_data_lanes;
	unsigned int active_data_lanes;
	bool sensor_embedded_data;
	struct unicam_node node[MAX_NODES];
	struct v4l2_ctrl_handler ctrl_handler;
	bool mc_api;

	/* the stand-in's frame source: FS/LC/FE instead of interrupts */
	struct task_struct *thread;
	struct mutex paint_lock;	/* painting vs returning buffers */
};

#define unicam_dbg(dev, fmt, arg...) v4l2_dbg(1, 0, &(dev)->v4l2_dev, fmt, ##arg)
#define unicam_info(dev, fmt, arg...) v4l2_info(&(dev)->v4l2_dev, fmt, ##arg)
#define unicam_err(dev, fmt, arg...) v4l2_err(&(dev)->v4l2_dev, fmt, ##arg)

static inline struct unicam_device *to_unicam_device(struct v4l2_device *v)
{
	return container_of(v, struct unicam_device, v4l2_dev);
}

static inline struct unicam_buffer *to_unicam_buffer(struct vb2_buffer *vb)
{
	return container_of(vb, struct unicam_buffer, vb.vb2_buf);
}

/* ------------------------------------------------------------- formats */

static const struct unicam_fmt *find_format_by_code(u32 code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].code == code)
			return &formats[i];
	return NULL;
}

static int check_mbus_format(struct unicam_device *dev,
			     const struct unicam_fmt *format)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < MAX_ENUM_MBUS_CODE; i++) {
		struct v4l2_subdev_mbus_code_enum mbus_code = {
			.index = i, .pad = IMAGE_PAD,
			.which = V4L2_SUBDEV_FORMAT_ACTIVE,
		};

		ret = v4l2_subdev_call(dev->sensor, pad, enum_mbus_code, NULL,
				       &mbus_code);
		if (!ret && mbus_code.code == format->code)
			return 1;
	}
	return 0;
}

static const struct unicam_fmt *find_format_by_pix(struct unicam_device *dev,
						   u32 pixelformat)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		if (formats[i].fourcc == pixelformat ||
		    formats[i].repacked_fourcc == pixelformat) {
			if (formats[i].check_variants &&
			    !check_mbus_format(dev, &formats[i]))
				continue;
			return &formats[i];
		}
	}
	return NULL;
}

static unsigned int bytes_per_line(u32 width, const struct unicam_fmt *fmt,
				   u32 v4l2_fourcc)
{
	if (v4l2_fourcc == fmt->repacked_fourcc)
		return ALIGN(width << 1, BPL_ALIGNMENT);
	return ALIGN((width * fmt->depth) >> 3, BPL_ALIGNMENT);
}

static int __subdev_get_format(struct unicam_device *dev,
			       struct v4l2_mbus_framefmt *fmt, int pad_id)
{
	struct v4l2_subdev_format sd_fmt = {
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
		.pad = dev->node[pad_id].src_pad_id,
	};
	int ret;

	ret = v4l2_subdev_call(dev->sensor, pad, get_fmt, dev->sensor_state,
			       &sd_fmt);
	if (ret < 0)
		return ret;
	*fmt = sd_fmt.format;
	return 0;
}

static int __subdev_set_format(struct unicam_device *dev,
			       struct v4l2_mbus_framefmt *fmt, int pad_id)
{
	struct v4l2_subdev_format sd_fmt = {
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
		.pad = dev->node[pad_id].src_pad_id,
	};
	int ret;

	sd_fmt.format = *fmt;
	ret = v4l2_subdev_call(dev->sensor, pad, set_fmt, dev->sensor_state,
			       &sd_fmt);
	if (ret < 0)
		return ret;
	*fmt = sd_fmt.format;
	return 0;
}

static void unicam_calc_format_size_bpl(const struct unicam_fmt *fmt,
					struct v4l2_format *f)
{
	unsigned int min_bytesperline;

	v4l_bound_align_image(&f->fmt.pix.width, MIN_WIDTH, MAX_WIDTH, 2,
			      &f->fmt.pix.height, MIN_HEIGHT, MAX_HEIGHT, 0, 0);
	min_bytesperline = bytes_per_line(f->fmt.pix.width, fmt,
					  f->fmt.pix.pixelformat);
	if (f->fmt.pix.bytesperline > min_bytesperline &&
	    f->fmt.pix.bytesperline <= MAX_BYTESPERLINE)
		f->fmt.pix.bytesperline = ALIGN(f->fmt.pix.bytesperline,
						BPL_ALIGNMENT);
	else
		f->fmt.pix.bytesperline = min_bytesperline;
	f->fmt.pix.sizeimage = f->fmt.pix.height * f->fmt.pix.bytesperline;
}

static int unicam_reset_format(struct unicam_node *node)
{
	struct unicam_device *dev = node->dev;
	struct v4l2_mbus_framefmt mbus_fmt = { };
	int ret;

	if (dev->sensor_embedded_data || node->pad_id != METADATA_PAD) {
		ret = __subdev_get_format(dev, &mbus_fmt, node->pad_id);
		if (ret) {
			unicam_err(dev, "Failed to get_format - ret %d\n", ret);
			return ret;
		}
		if (mbus_fmt.code != node->fmt->code) {
			unicam_err(dev, "code mismatch - fmt->code %08x, mbus_fmt.code %08x\n",
				   node->fmt->code, mbus_fmt.code);
			return ret;
		}
	}
	if (node->pad_id == IMAGE_PAD) {
		v4l2_fill_pix_format(&node->v_fmt.fmt.pix, &mbus_fmt);
		node->v_fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		unicam_calc_format_size_bpl(node->fmt, &node->v_fmt);
	} else {
		node->v_fmt.type = V4L2_BUF_TYPE_META_CAPTURE;
		node->v_fmt.fmt.meta.dataformat = V4L2_META_FMT_SENSOR_DATA;
		node->v_fmt.fmt.meta.buffersize = UNICAM_EMBEDDED_SIZE;
		node->embedded_lines = 1;
	}
	node->m_fmt = mbus_fmt;
	return 0;
}

/* ----------------------------------------------------------- frames */

static void unicam_schedule_next_buffer(struct unicam_node *node)
{
	struct unicam_buffer *buf;

	buf = list_first_entry(&node->dma_queue, struct unicam_buffer, list);
	node->next_frm = buf;
	list_del(&buf->list);
}

/* The hardware spins in the dummy buffer: nothing reaches memory. */
static void unicam_schedule_dummy_buffer(struct unicam_node *node)
{
	node->next_frm = NULL;
}

static void unicam_process_buffer_complete(struct unicam_node *node,
					   unsigned int sequence)
{
	node->cur_frm->vb.field = node->m_fmt.field;
	node->cur_frm->vb.sequence = sequence;
	vb2_buffer_done(&node->cur_frm->vb.vb2_buf, VB2_BUF_STATE_DONE);
}

/* Line count interrupt (and frame start): program the next buffer. */
static void unicam_line_int(struct unicam_device *unicam)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(unicam->node); i++) {
		struct unicam_node *node = &unicam->node[i];

		if (!node->streaming)
			continue;
		spin_lock(&node->dma_queue_lock);
		if (!list_empty(&node->dma_queue) && !node->next_frm)
			unicam_schedule_next_buffer(node);
		spin_unlock(&node->dma_queue_lock);
	}
}

static void unicam_frame_start(struct unicam_device *unicam, u64 ts)
{
	struct v4l2_event event = { .type = V4L2_EVENT_FRAME_SYNC };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(unicam->node); i++) {
		struct unicam_node *node = &unicam->node[i];

		if (!node->streaming)
			continue;
		if (node->cur_frm)
			node->cur_frm->vb.vb2_buf.timestamp = ts;
		else
			unicam_dbg(unicam, "ISR: [%d] Dropping frame, buffer not available at FS\n",
				   i);
		if (!node->next_frm || node->next_frm == node->cur_frm) {
			unicam_schedule_dummy_buffer(node);
		} else if (node->cur_frm) {
			/* Repeated FS without FE: cur_frm holds no data. */
			spin_lock(&node->dma_queue_lock);
			list_add_tail(&node->cur_frm->list, &node->dma_queue);
			spin_unlock(&node->dma_queue_lock);
			node->cur_frm = node->next_frm;
			node->next_frm = NULL;
		}
	}
	event.u.frame_sync.frame_sequence = unicam->sequence;
	v4l2_event_queue(&unicam->node[IMAGE_PAD].video_dev, &event);
	unicam->frame_started = true;
	unicam_line_int(unicam);
}

static void unicam_frame_end(struct unicam_device *unicam)
{
	unsigned int sequence = unicam->sequence, i;
	bool inc_seq = unicam->frame_started;

	for (i = 0; i < ARRAY_SIZE(unicam->node); i++) {
		struct unicam_node *node = &unicam->node[i];

		if (!node->streaming)
			continue;
		if (node->cur_frm && node->cur_frm != node->next_frm) {
			if (!node->cur_frm->vb.vb2_buf.timestamp) {
				unicam_dbg(unicam, "ISR: FE without FS, dropping frame\n");
				continue;
			}
			unicam_process_buffer_complete(node, sequence);
			node->cur_frm = node->next_frm;
			node->next_frm = NULL;
			inc_seq = true;
		} else {
			node->cur_frm = node->next_frm;
		}
	}
	if (inc_seq) {
		unicam->sequence++;
		unicam->frame_started = false;
	}
}

static void unicam_paint(struct unicam_device *unicam,
			 const struct pifake_link_state *ls, u64 mono, u64 wall)
{
	struct unicam_node *node = &unicam->node[IMAGE_PAD];
	struct v4l2_pix_format *pix = &node->v_fmt.fmt.pix;
	struct unicam_buffer *buf = node->cur_frm;
	struct pifake_image img = {
		.layout = ls->code == MEDIA_BUS_FMT_UYVY8_1X16 ?
			  PIFAKE_UYVY : PIFAKE_RGB24,
		.bytesperline = pix->bytesperline,
	};
	unsigned int px = img.layout == PIFAKE_UYVY ? 2 : 3;

	if (!node->streaming || !buf)
		return;
	img.base = vb2_plane_vaddr(&buf->vb.vb2_buf, 0);
	img.width = min3(ls->width, pix->width, pix->bytesperline / px);
	img.height = min(ls->height, pix->height);
	if (img.base)
		pifake_paint(&buf->paint, &img, unicam->sequence, mono, wall);
}

static void sleep_until(ktime_t t)
{
	set_current_state(TASK_INTERRUPTIBLE);
	if (!kthread_should_stop())
		schedule_hrtimeout_range(&t, 200 * NSEC_PER_USEC,
					 HRTIMER_MODE_ABS);
	__set_current_state(TASK_RUNNING);
}

static int unicam_frame_thread(void *data)
{
	struct unicam_device *unicam = data;
	ktime_t next = ktime_get();

	while (!kthread_should_stop()) {
		struct pifake_link_state ls = { };
		ktime_t now = ktime_get();
		u64 interval, ts, wall;

		if (v4l2_subdev_call(unicam->sensor, core, command,
				     PIFAKE_CMD_LINK_STATE, &ls) ||
		    !ls.transmitting || !ls.frame_ns) {
			next = ktime_add_ms(now, 20);
			sleep_until(next);
			continue;
		}
		interval = pifake_frame_interval(ls.frame_ns);
		if (ktime_before(next, ktime_sub_ns(now, interval)))
			next = now;
		sleep_until(next);
		if (kthread_should_stop())
			break;

		mutex_lock(&unicam->paint_lock);
		ts = ktime_get_ns();
		wall = ktime_get_real_ns();
		unicam_frame_start(unicam, ts);
		unicam_paint(unicam, &ls, ts, wall);
		mutex_unlock(&unicam->paint_lock);

		sleep_until(ktime_add_ns(next, min(ls.active_ns, interval)));
		mutex_lock(&unicam->paint_lock);
		unicam_line_int(unicam);
		unicam_frame_end(unicam);
		mutex_unlock(&unicam->paint_lock);
		next = ktime_add_ns(next, interval);
	}
	return 0;
}

/* ------------------------------------------------------ legacy ioctls */

static int unicam_querycap(struct file *file, void *priv,
			   struct v4l2_capability *cap)
{
	struct unicam_node *node = video_drvdata(file);

	strscpy(cap->driver, UNICAM_MODULE_NAME, sizeof(cap->driver));
	strscpy(cap->card, UNICAM_MODULE_NAME, sizeof(cap->card));
	snprintf(cap->bus_info, sizeof(cap->bus_info), "platform:%s",
		 dev_name(&node->dev->pdev->dev));
	cap->capabilities |= V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_META_CAPTURE;
	return 0;
}

static int unicam_log_status(struct file *file, void *fh)
{
	struct unicam_node *node = video_drvdata(file);
	struct unicam_device *dev = node->dev;

	v4l2_device_call_all(&dev->v4l2_dev, 0, core, log_status);
	unicam_info(dev, "-----Receiver status-----\n");
	unicam_info(dev, "V4L2 width/height:   %ux%u\n",
		    node->v_fmt.fmt.pix.width, node->v_fmt.fmt.pix.height);
	unicam_info(dev, "Mediabus format:     %08x\n", node->fmt->code);
	unicam_info(dev, "V4L2 format:         %08x\n",
		    node->v_fmt.fmt.pix.pixelformat);
	return 0;
}

static int unicam_enum_fmt_vid_cap(struct file *file, void *priv,
				   struct v4l2_fmtdesc *f)
{
	struct unicam_node *node = video_drvdata(file);
	struct unicam_device *dev = node->dev;
	unsigned int index = 0, i;
	int ret = 0;

	if (node->pad_id != IMAGE_PAD)
		return -EINVAL;
	for (i = 0; !ret && i < MAX_ENUM_MBUS_CODE; i++) {
		struct v4l2_subdev_mbus_code_enum mbus_code = {
			.index = i, .pad = IMAGE_PAD,
			.which = V4L2_SUBDEV_FORMAT_ACTIVE,
		};
		const struct unicam_fmt *fmt;

		ret = v4l2_subdev_call(dev->sensor, pad, enum_mbus_code, NULL,
				       &mbus_code);
		if (ret < 0)
			return -EINVAL;
		fmt = find_format_by_code(mbus_code.code);
		if (!fmt)
			continue;
		if (fmt->fourcc) {
			if (index == f->index) {
				f->pixelformat = fmt->fourcc;
				break;
			}
			index++;
		}
		if (fmt->repacked_fourcc) {
			if (index == f->index) {
				f->pixelformat = fmt->repacked_fourcc;
				break;
			}
			index++;
		}
	}
	return 0;
}

static int unicam_g_fmt_vid_cap(struct file *file, void *priv,
				struct v4l2_format *f)
{
	struct unicam_node *node = video_drvdata(file);
	struct unicam_device *dev = node->dev;
	struct v4l2_mbus_framefmt mbus_fmt = { };
	const struct unicam_fmt *fmt;

	if (node->pad_id != IMAGE_PAD)
		return -EINVAL;
	/* The bridge's code may have changed: re-read it. */
	if (__subdev_get_format(dev, &mbus_fmt, node->pad_id))
		return -EINVAL;
	fmt = find_format_by_code(mbus_fmt.code);
	if (!fmt)
		return -EINVAL;
	if (node->fmt != fmt) {
		if (node->fmt->repacked_fourcc ==
		    node->v_fmt.fmt.pix.pixelformat)
			node->v_fmt.fmt.pix.pixelformat = fmt->repacked_fourcc;
		else
			node->v_fmt.fmt.pix.pixelformat = fmt->fourcc;
		node->fmt = fmt;
	}
	*f = node->v_fmt;
	return 0;
}

static const struct unicam_fmt *
get_first_supported_format(struct unicam_device *dev)
{
	struct v4l2_subdev_mbus_code_enum mbus_code;
	const struct unicam_fmt *fmt;
	unsigned int i;
	int ret = 0;

	for (i = 0; ret != -EINVAL && ret != -ENOIOCTLCMD; ++i) {
		memset(&mbus_code, 0, sizeof(mbus_code));
		mbus_code.index = i;
		mbus_code.pad = IMAGE_PAD;
		mbus_code.which = V4L2_SUBDEV_FORMAT_ACTIVE;
		ret = v4l2_subdev_call(dev->sensor, pad, enum_mbus_code, NULL,
				       &mbus_code);
		if (ret < 0)
			continue;
		fmt = find_format_by_code(mbus_code.code);
		if (fmt)
			return fmt;
	}
	return NULL;
}

static int unicam_try_fmt_vid_cap(struct file *file, void *priv,
				  struct v4l2_format *f)
{
	struct unicam_node *node = video_drvdata(file);
	struct unicam_device *dev = node->dev;
	struct v4l2_subdev_format sd_fmt = {
		.which = V4L2_SUBDEV_FORMAT_TRY,
		.pad = IMAGE_PAD
	};
	struct v4l2_mbus_framefmt *mbus_fmt = &sd_fmt.format;
	const struct unicam_fmt *fmt;
	int ret;

	if (node->pad_id != IMAGE_PAD)
		return -EINVAL;
	fmt = find_format_by_pix(dev, f->fmt.pix.pixelformat);
	if (!fmt) {
		/* Not a Unicam format: take the first, the bridge may differ. */
		fmt = &formats[0];
		f->fmt.pix.pixelformat = fmt->fourcc;
	}
	v4l2_fill_mbus_format(mbus_fmt, &f->fmt.pix, fmt->code);
	/* No support for receiving interlaced video. */
	mbus_fmt->field = V4L2_FIELD_NONE;
	ret = v4l2_subdev_call(dev->sensor, pad, set_fmt, dev->sensor_state,
			       &sd_fmt);
	if (ret && ret != -ENOIOCTLCMD && ret != -ENODEV)
		return ret;
	v4l2_fill_pix_format(&f->fmt.pix, &sd_fmt.format);
	if (mbus_fmt->code != fmt->code) {
		/* The bridge answered with another format. */
		fmt = find_format_by_code(mbus_fmt->code);
		if (!fmt) {
			fmt = get_first_supported_format(dev);
			if (!fmt)
				return -EINVAL;
			mbus_fmt->code = fmt->code;
			ret = v4l2_subdev_call(dev->sensor, pad, set_fmt,
					       dev->sensor_state, &sd_fmt);
			if (ret && ret != -ENOIOCTLCMD && ret != -ENODEV)
				return ret;
			v4l2_fill_pix_format(&f->fmt.pix, &sd_fmt.format);
			if (mbus_fmt->code != fmt->code)
				unicam_err(dev, "Sensor won't accept default format, and Unicam can't support sensor default\n");
		}
		f->fmt.pix.pixelformat = fmt->fourcc ? fmt->fourcc :
					 fmt->repacked_fourcc;
	}
	unicam_calc_format_size_bpl(fmt, f);
	return 0;
}

static int unicam_s_fmt_vid_cap(struct file *file, void *priv,
				struct v4l2_format *f)
{
	struct unicam_node *node = video_drvdata(file);
	struct unicam_device *dev = node->dev;
	struct v4l2_mbus_framefmt mbus_fmt = { };
	const struct unicam_fmt *fmt;
	int ret;

	if (vb2_is_busy(&node->buffer_queue))
		return -EBUSY;
	ret = unicam_try_fmt_vid_cap(file, priv, f);
	if (ret < 0)
		return ret;
	fmt = find_format_by_pix(dev, f->fmt.pix.pixelformat);
	if (!fmt) {
		fmt = get_first_supported_format(dev);
		if (fmt)
			f->fmt.pix.pixelformat = fmt->fourcc;
		return -EINVAL;
	}
	v4l2_fill_mbus_format(&mbus_fmt, &f->fmt.pix, fmt->code);
	ret = __subdev_set_format(dev, &mbus_fmt, node->pad_id);
	if (ret)
		return ret;
	if (mbus_fmt.code != fmt->code)
		return -EINVAL;	/* subdev changed format on us */
	node->fmt = fmt;
	node->v_fmt.fmt.pix.pixelformat = f->fmt.pix.pixelformat;
	node->v_fmt.fmt.pix.bytesperline = f->fmt.pix.bytesperline;
	unicam_reset_format(node);
	*f = node->v_fmt;
	return 0;
}

static int unicam_g_fmt_meta_cap(struct file *file, void *priv,
				 struct v4l2_format *f)
{
	struct unicam_node *node = video_drvdata(file);

	if (node->pad_id != METADATA_PAD)
		return -EINVAL;
	*f = node->v_fmt;
	return 0;
}

static int unicam_enum_input(struct file *file, void *priv,
			     struct v4l2_input *inp)
{
	struct unicam_node *node = video_drvdata(file);
	struct unicam_device *dev = node->dev;
	int ret;

	if (inp->index != 0)
		return -EINVAL;
	inp->type = V4L2_INPUT_TYPE_CAMERA;
	if (v4l2_subdev_has_op(dev->sensor, pad, s_dv_timings)) {
		inp->capabilities = V4L2_IN_CAP_DV_TIMINGS;
		inp->std = 0;
	} else if (v4l2_subdev_has_op(dev->sensor, video, s_std)) {
		inp->capabilities = V4L2_IN_CAP_STD;
		if (v4l2_subdev_call(dev->sensor, video, g_tvnorms, &inp->std) < 0)
			inp->std = V4L2_STD_ALL;
	} else {
		inp->capabilities = 0;
		inp->std = 0;
	}
	if (v4l2_subdev_has_op(dev->sensor, video, g_input_status)) {
		ret = v4l2_subdev_call(dev->sensor, video, g_input_status,
				       &inp->status);
		if (ret < 0)
			return ret;
	}
	snprintf(inp->name, sizeof(inp->name), "Camera 0");
	return 0;
}

static int unicam_g_input(struct file *file, void *priv, unsigned int *i)
{
	*i = 0;
	return 0;
}

static int unicam_s_input(struct file *file, void *priv, unsigned int i)
{
	return i > 0 ? -EINVAL : 0;
}

static int unicam_s_edid(struct file *file, void *priv, struct v4l2_edid *edid)
{
	struct unicam_node *node = video_drvdata(file);

	return v4l2_subdev_call(node->dev->sensor, pad, set_edid, edid);
}

static int unicam_g_edid(struct file *file, void *priv, struct v4l2_edid *edid)
{
	struct unicam_node *node = video_drvdata(file);

	return v4l2_subdev_call(node->dev->sensor, pad, get_edid, edid);
}

static int unicam_g_dv_timings(struct file *file, void *priv,
			       struct v4l2_dv_timings *timings)
{
	struct unicam_node *node = video_drvdata(file);

	return v4l2_subdev_call(node->dev->sensor, pad, g_dv_timings,
				node->src_pad_id, timings);
}

static int unicam_s_dv_timings(struct file *file, void *priv,
			       struct v4l2_dv_timings *timings)
{
	struct unicam_node *node = video_drvdata(file);
	struct unicam_device *dev = node->dev;
	struct v4l2_dv_timings current_timings;
	int ret;

	ret = v4l2_subdev_call(dev->sensor, pad, g_dv_timings,
			       node->src_pad_id, &current_timings);
	if (ret < 0)
		return ret;
	if (v4l2_match_dv_timings(timings, &current_timings, 0, false))
		return 0;
	if (vb2_is_busy(&node->buffer_queue))
		return -EBUSY;
	ret = v4l2_subdev_call(dev->sensor, pad, s_dv_timings,
			       node->src_pad_id, timings);
	/* Force recomputation of bytesperline */
	node->v_fmt.fmt.pix.bytesperline = 0;
	unicam_reset_format(node);
	return ret;
}

static int unicam_query_dv_timings(struct file *file, void *priv,
				   struct v4l2_dv_timings *timings)
{
	struct unicam_node *node = video_drvdata(file);

	return v4l2_subdev_call(node->dev->sensor, pad, query_dv_timings,
				node->src_pad_id, timings);
}

static int unicam_enum_dv_timings(struct file *file, void *priv,
				  struct v4l2_enum_dv_timings *timings)
{
	struct unicam_node *node = video_drvdata(file);
	int ret;

	timings->pad = node->src_pad_id;
	ret = v4l2_subdev_call(node->dev->sensor, pad, enum_dv_timings,
			       timings);
	timings->pad = node->pad_id;
	return ret;
}

static int unicam_dv_timings_cap(struct file *file, void *priv,
				 struct v4l2_dv_timings_cap *cap)
{
	struct unicam_node *node = video_drvdata(file);
	int ret;

	cap->pad = node->src_pad_id;
	ret = v4l2_subdev_call(node->dev->sensor, pad, dv_timings_cap, cap);
	cap->pad = node->pad_id;
	return ret;
}

static int unicam_subscribe_event(struct v4l2_fh *fh,
				  const struct v4l2_event_subscription *sub)
{
	switch (sub->type) {
	case V4L2_EVENT_FRAME_SYNC:
		return v4l2_event_subscribe(fh, sub, 2, NULL);
	case V4L2_EVENT_SOURCE_CHANGE:
		return v4l2_event_subscribe(fh, sub, 4, NULL);
	}
	return v4l2_ctrl_subscribe_event(fh, sub);
}

static void unicam_notify(struct v4l2_subdev *sd, unsigned int notification,
			  void *arg)
{
	struct unicam_device *dev = to_unicam_device(sd->v4l2_dev);

	if (notification == V4L2_DEVICE_NOTIFY_EVENT)
		v4l2_event_queue(&dev->node[IMAGE_PAD].video_dev, arg);
}

static const struct v4l2_ioctl_ops unicam_ioctl_ops = {
	.vidioc_querycap = unicam_querycap,
	.vidioc_enum_fmt_vid_cap = unicam_enum_fmt_vid_cap,
	.vidioc_g_fmt_vid_cap = unicam_g_fmt_vid_cap,
	.vidioc_s_fmt_vid_cap = unicam_s_fmt_vid_cap,
	.vidioc_try_fmt_vid_cap = unicam_try_fmt_vid_cap,
	.vidioc_g_fmt_meta_cap = unicam_g_fmt_meta_cap,
	.vidioc_s_fmt_meta_cap = unicam_g_fmt_meta_cap,
	.vidioc_try_fmt_meta_cap = unicam_g_fmt_meta_cap,
	.vidioc_enum_input = unicam_enum_input,
	.vidioc_g_input = unicam_g_input,
	.vidioc_s_input = unicam_s_input,
	.vidioc_g_edid = unicam_g_edid,
	.vidioc_s_edid = unicam_s_edid,
	.vidioc_s_dv_timings = unicam_s_dv_timings,
	.vidioc_g_dv_timings = unicam_g_dv_timings,
	.vidioc_query_dv_timings = unicam_query_dv_timings,
	.vidioc_enum_dv_timings = unicam_enum_dv_timings,
	.vidioc_dv_timings_cap = unicam_dv_timings_cap,
	.vidioc_reqbufs = vb2_ioctl_reqbufs,
	.vidioc_create_bufs = vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,
	.vidioc_log_status = unicam_log_status,
	.vidioc_subscribe_event = unicam_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

/* ------------------------------------------- media-controller ioctls */

static int unicam_mc_enum_fmt_vid_cap(struct file *file, void *priv,
				      struct v4l2_fmtdesc *f)
{
	unsigned int i, j;

	for (i = 0, j = 0; i < ARRAY_SIZE(formats); i++) {
		if (f->mbus_code && formats[i].code != f->mbus_code)
			continue;
		if (formats[i].mc_skip || formats[i].metadata_fmt)
			continue;
		if (formats[i].fourcc) {
			if (j == f->index) {
				f->pixelformat = formats[i].fourcc;
				f->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
				return 0;
			}
			j++;
		}
		if (formats[i].repacked_fourcc) {
			if (j == f->index) {
				f->pixelformat = formats[i].repacked_fourcc;
				f->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
				return 0;
			}
			j++;
		}
	}
	return -EINVAL;
}

static int unicam_mc_g_fmt_vid_cap(struct file *file, void *priv,
				   struct v4l2_format *f)
{
	struct unicam_node *node = video_drvdata(file);

	if (node->pad_id != IMAGE_PAD)
		return -EINVAL;
	*f = node->v_fmt;
	return 0;
}

static void unicam_mc_try_fmt(struct unicam_node *node, struct v4l2_format *f,
			      const struct unicam_fmt **ret_fmt)
{
	struct v4l2_pix_format *pix = &f->fmt.pix;
	const struct unicam_fmt *fmt;
	bool is_rgb;

	fmt = find_format_by_pix(node->dev, pix->pixelformat);
	if (!fmt) {
		fmt = &formats[0];
		pix->pixelformat = fmt->fourcc;
	}
	unicam_calc_format_size_bpl(fmt, f);
	if (pix->field == V4L2_FIELD_ANY)
		pix->field = V4L2_FIELD_NONE;
	if (ret_fmt)
		*ret_fmt = fmt;
	if (pix->colorspace >= MAX_COLORSPACE ||
	    !(fmt->valid_colorspaces & (1 << pix->colorspace))) {
		pix->colorspace = __ffs(fmt->valid_colorspaces);
		pix->xfer_func = V4L2_MAP_XFER_FUNC_DEFAULT(pix->colorspace);
		pix->ycbcr_enc = V4L2_MAP_YCBCR_ENC_DEFAULT(pix->colorspace);
		is_rgb = pix->colorspace == V4L2_COLORSPACE_SRGB;
		pix->quantization = V4L2_MAP_QUANTIZATION_DEFAULT(is_rgb,
					pix->colorspace, pix->ycbcr_enc);
	}
}

static int unicam_mc_try_fmt_vid_cap(struct file *file, void *priv,
				     struct v4l2_format *f)
{
	unicam_mc_try_fmt(video_drvdata(file), f, NULL);
	return 0;
}

static int unicam_mc_s_fmt_vid_cap(struct file *file, void *priv,
				   struct v4l2_format *f)
{
	struct unicam_node *node = video_drvdata(file);
	const struct unicam_fmt *fmt;

	if (vb2_is_busy(&node->buffer_queue))
		return -EBUSY;
	unicam_mc_try_fmt(node, f, &fmt);
	node->v_fmt = *f;
	node->fmt = fmt;
	return 0;
}

static int unicam_mc_enum_framesizes(struct file *file, void *fh,
				     struct v4l2_frmsizeenum *fsize)
{
	struct unicam_node *node = video_drvdata(file);

	if (fsize->index > 0 ||
	    !find_format_by_pix(node->dev, fsize->pixel_format))
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fsize->stepwise.min_width = MIN_WIDTH;
	fsize->stepwise.max_width = MAX_WIDTH;
	fsize->stepwise.step_width = 1;
	fsize->stepwise.min_height = MIN_HEIGHT;
	fsize->stepwise.max_height = MAX_HEIGHT;
	fsize->stepwise.step_height = 1;
	return 0;
}

static const struct v4l2_ioctl_ops unicam_mc_ioctl_ops = {
	.vidioc_querycap = unicam_querycap,
	.vidioc_enum_fmt_vid_cap = unicam_mc_enum_fmt_vid_cap,
	.vidioc_g_fmt_vid_cap = unicam_mc_g_fmt_vid_cap,
	.vidioc_try_fmt_vid_cap = unicam_mc_try_fmt_vid_cap,
	.vidioc_s_fmt_vid_cap = unicam_mc_s_fmt_vid_cap,
	.vidioc_g_fmt_meta_cap = unicam_g_fmt_meta_cap,
	.vidioc_enum_framesizes = unicam_mc_enum_framesizes,
	.vidioc_reqbufs = vb2_ioctl_reqbufs,
	.vidioc_create_bufs = vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,
	.vidioc_log_status = unicam_log_status,
	.vidioc_subscribe_event = unicam_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

static int unicam_mc_video_link_validate(struct media_link *link)
{
	struct video_device *vd = container_of(link->sink->entity,
					       struct video_device, entity);
	struct unicam_node *node = container_of(vd, struct unicam_node,
						video_dev);
	struct unicam_device *unicam = node->dev;
	struct v4l2_subdev_format source_fmt = {
		.which = V4L2_SUBDEV_FORMAT_ACTIVE,
		.pad = link->source->index,
	};
	struct v4l2_subdev *sd;

	if (!media_entity_remote_source_pad_unique(link->sink->entity))
		return -ENOTCONN;
	if (!is_media_entity_v4l2_subdev(link->source->entity))
		return 0;
	sd = media_entity_to_v4l2_subdev(link->source->entity);
	if (v4l2_subdev_call_state_active(sd, pad, get_fmt, &source_fmt) < 0)
		return 0;

	if (node->pad_id == IMAGE_PAD) {
		struct v4l2_pix_format *pix_fmt = &node->v_fmt.fmt.pix;
		const struct unicam_fmt *fmt;

		if (source_fmt.format.width != pix_fmt->width ||
		    source_fmt.format.height != pix_fmt->height) {
			unicam_err(unicam, "Wrong width or height %ux%u (remote pad set to %ux%u)\n",
				   pix_fmt->width, pix_fmt->height,
				   source_fmt.format.width,
				   source_fmt.format.height);
			return -EINVAL;
		}
		fmt = find_format_by_code(source_fmt.format.code);
		if (!fmt || (fmt->fourcc != pix_fmt->pixelformat &&
			     fmt->repacked_fourcc != pix_fmt->pixelformat))
			return -EINVAL;
	} else {
		struct v4l2_meta_format *meta_fmt = &node->v_fmt.fmt.meta;

		if (source_fmt.format.width != meta_fmt->buffersize ||
		    source_fmt.format.height != 1 ||
		    source_fmt.format.code != MEDIA_BUS_FMT_SENSOR_DATA)
			return -EINVAL;
	}
	return 0;
}

static const struct media_entity_operations unicam_mc_entity_ops = {
	.link_validate = unicam_mc_video_link_validate,
};

/* -------------------------------------------------------- videobuf2 */

static int unicam_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
			      unsigned int *nplanes, unsigned int sizes[],
			      struct device *alloc_devs[])
{
	struct unicam_node *node = vb2_get_drv_priv(vq);
	unsigned int size = node->pad_id == IMAGE_PAD ?
			    node->v_fmt.fmt.pix.sizeimage :
			    node->v_fmt.fmt.meta.buffersize;

	if (vb2_get_num_buffers(vq) + *nbuffers < 3)
		*nbuffers = 3 - vb2_get_num_buffers(vq);
	if (*nplanes) {
		if (sizes[0] < size) {
			unicam_err(node->dev, "sizes[0] %i < size %u\n",
				   sizes[0], size);
			return -EINVAL;
		}
		size = sizes[0];
	}
	*nplanes = 1;
	sizes[0] = size;
	return 0;
}

static int unicam_buffer_prepare(struct vb2_buffer *vb)
{
	struct unicam_node *node = vb2_get_drv_priv(vb->vb2_queue);
	unsigned long size;

	if (WARN_ON(!node->fmt))
		return -EINVAL;
	size = node->pad_id == IMAGE_PAD ? node->v_fmt.fmt.pix.sizeimage :
					   node->v_fmt.fmt.meta.buffersize;
	if (vb2_plane_size(vb, 0) < size) {
		unicam_err(node->dev, "data will not fit into plane (%lu < %lu)\n",
			   vb2_plane_size(vb, 0), size);
		return -EINVAL;
	}
	vb2_set_plane_payload(vb, 0, size);
	return 0;
}

static void unicam_buffer_queue(struct vb2_buffer *vb)
{
	struct unicam_node *node = vb2_get_drv_priv(vb->vb2_queue);
	struct unicam_buffer *buf = to_unicam_buffer(vb);
	unsigned long flags;

	spin_lock_irqsave(&node->dma_queue_lock, flags);
	list_add_tail(&buf->list, &node->dma_queue);
	spin_unlock_irqrestore(&node->dma_queue_lock, flags);
}

static void unicam_buffer_cleanup(struct vb2_buffer *vb)
{
	pifake_paint_cache_release(&to_unicam_buffer(vb)->paint);
}

static void unicam_return_buffers(struct unicam_node *node,
				  enum vb2_buffer_state state)
{
	struct unicam_buffer *buf, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&node->dma_queue_lock, flags);
	list_for_each_entry_safe(buf, tmp, &node->dma_queue, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
	if (node->cur_frm)
		vb2_buffer_done(&node->cur_frm->vb.vb2_buf, state);
	if (node->next_frm && node->cur_frm != node->next_frm)
		vb2_buffer_done(&node->next_frm->vb.vb2_buf, state);
	node->cur_frm = NULL;
	node->next_frm = NULL;
	spin_unlock_irqrestore(&node->dma_queue_lock, flags);
}

/* Out of the frame source's sight before its buffers are handed back. */
static void unicam_stop_node(struct unicam_node *node)
{
	mutex_lock(&node->dev->paint_lock);
	node->streaming = false;
	mutex_unlock(&node->dev->paint_lock);
}

static int unicam_start_streaming(struct vb2_queue *vq, unsigned int count)
{
	struct unicam_node *node = vb2_get_drv_priv(vq);
	struct unicam_device *dev = node->dev;
	unsigned long flags;
	unsigned int i;
	int ret;

	node->streaming = true;
	if (!(dev->node[IMAGE_PAD].open && dev->node[IMAGE_PAD].streaming &&
	      (!dev->node[METADATA_PAD].open ||
	       dev->node[METADATA_PAD].streaming))) {
		/* The metadata node must start before the image node. */
		unicam_dbg(dev, "Not all nodes are streaming yet.");
		return 0;
	}

	dev->sequence = 0;
	ret = media_pipeline_start(dev->node[IMAGE_PAD].video_dev.entity.pads,
				   &dev->node[IMAGE_PAD].pipe);
	if (ret < 0) {
		unicam_err(dev, "Failed to start media pipeline: %d\n", ret);
		goto err_streaming;
	}

	dev->active_data_lanes = dev->max_data_lanes;
	if (dev->bus_type == V4L2_MBUS_CSI2_DPHY) {
		struct v4l2_mbus_config mbus_config = { 0 };

		ret = v4l2_subdev_call(dev->sensor, pad, get_mbus_config, 0,
				       &mbus_config);
		if (ret < 0 && ret != -ENOIOCTLCMD)
			goto error_pipeline;
		dev->active_data_lanes = mbus_config.bus.mipi_csi2.num_data_lanes;
		if (!dev->active_data_lanes)
			dev->active_data_lanes = dev->max_data_lanes;
		if (dev->active_data_lanes > dev->max_data_lanes) {
			unicam_err(dev, "Device has requested %u data lanes, which is >%u configured in DT\n",
				   dev->active_data_lanes, dev->max_data_lanes);
			ret = -EINVAL;
			goto error_pipeline;
		}
	}
	unicam_dbg(dev, "Running with %u data lanes\n", dev->active_data_lanes);

	for (i = 0; i < ARRAY_SIZE(dev->node); i++) {
		struct unicam_buffer *buf;

		if (!dev->node[i].streaming)
			continue;
		spin_lock_irqsave(&dev->node[i].dma_queue_lock, flags);
		buf = list_first_entry_or_null(&dev->node[i].dma_queue,
					       struct unicam_buffer, list);
		dev->node[i].cur_frm = buf;
		dev->node[i].next_frm = buf;
		if (buf)
			list_del(&buf->list);
		spin_unlock_irqrestore(&dev->node[i].dma_queue_lock, flags);
	}
	dev->frame_started = false;

	ret = v4l2_subdev_call(dev->sensor, video, s_stream, 1);
	if (ret < 0) {
		unicam_err(dev, "stream on failed in subdev\n");
		goto error_pipeline;
	}
	dev->thread = kthread_run(unicam_frame_thread, dev, "unicam-fake");
	if (IS_ERR(dev->thread)) {
		ret = PTR_ERR(dev->thread);
		dev->thread = NULL;
		v4l2_subdev_call(dev->sensor, video, s_stream, 0);
		goto error_pipeline;
	}
	return 0;

error_pipeline:
	if (node->pad_id == IMAGE_PAD)
		media_pipeline_stop(dev->node[IMAGE_PAD].video_dev.entity.pads);
err_streaming:
	unicam_stop_node(node);
	unicam_return_buffers(node, VB2_BUF_STATE_QUEUED);
	return ret;
}

static void unicam_stop_streaming(struct vb2_queue *vq)
{
	struct unicam_node *node = vb2_get_drv_priv(vq);
	struct unicam_device *dev = node->dev;

	unicam_stop_node(node);
	if (node->pad_id == IMAGE_PAD) {
		/* Stop the bridge; embedded data cannot go on without image. */
		if (dev->thread) {
			kthread_stop(dev->thread);
			dev->thread = NULL;
		}
		if (v4l2_subdev_call(dev->sensor, video, s_stream, 0) < 0)
			unicam_err(dev, "stream off failed in subdev\n");
		media_pipeline_stop(node->video_dev.entity.pads);
	}
	unicam_return_buffers(node, VB2_BUF_STATE_ERROR);
}

static const struct vb2_ops unicam_video_qops = {
	.queue_setup = unicam_queue_setup,
	.buf_prepare = unicam_buffer_prepare,
	.buf_queue = unicam_buffer_queue,
	.buf_cleanup = unicam_buffer_cleanup,
	.start_streaming = unicam_start_streaming,
	.stop_streaming = unicam_stop_streaming,
};

/* The open count gates streaming; s_power as the driver (none here). */
static int unicam_v4l2_open(struct file *file)
{
	struct unicam_node *node = video_drvdata(file);
	int ret;

	mutex_lock(&node->lock);
	ret = v4l2_fh_open(file);
	if (ret)
		goto unlock;
	node->open++;
	if (!v4l2_fh_is_singular_file(file))
		goto unlock;
	ret = v4l2_subdev_call(node->dev->sensor, core, s_power, 1);
	if (ret < 0 && ret != -ENOIOCTLCMD) {
		v4l2_fh_release(file);
		node->open--;
		goto unlock;
	}
	ret = 0;
unlock:
	mutex_unlock(&node->lock);
	return ret;
}

static int unicam_v4l2_release(struct file *file)
{
	struct unicam_node *node = video_drvdata(file);
	struct v4l2_subdev *sd = node->dev->sensor;
	bool fh_singular;
	int ret;

	mutex_lock(&node->lock);
	fh_singular = v4l2_fh_is_singular_file(file);
	ret = _vb2_fop_release(file, NULL);
	if (fh_singular)
		v4l2_subdev_call(sd, core, s_power, 0);
	node->open--;
	mutex_unlock(&node->lock);
	return ret;
}

static const struct v4l2_file_operations unicam_fops = {
	.owner = THIS_MODULE,
	.open = unicam_v4l2_open,
	.release = unicam_v4l2_release,
	.read = vb2_fop_read,
	.poll = vb2_fop_poll,
	.unlocked_ioctl = video_ioctl2,
	.mmap = vb2_fop_mmap,
};

/* ------------------------------------------------------- registration */

static void unicam_release(struct kref *kref)
{
	struct unicam_device *unicam =
		container_of(kref, struct unicam_device, kref);

	v4l2_ctrl_handler_free(&unicam->ctrl_handler);
	media_device_cleanup(&unicam->mdev);
	if (unicam->sensor_state)
		__v4l2_subdev_state_free(unicam->sensor_state);
	mutex_destroy(&unicam->paint_lock);
	kfree(unicam);
}

static void unicam_put(struct unicam_device *unicam)
{
	kref_put(&unicam->kref, unicam_release);
}

static void unicam_node_release(struct video_device *vdev)
{
	struct unicam_node *node = video_get_drvdata(vdev);

	unicam_put(node->dev);
}

static int unicam_set_default_format(struct unicam_device *unicam,
				     struct unicam_node *node, int pad_id,
				     const struct unicam_fmt **ret_fmt)
{
	struct v4l2_mbus_framefmt mbus_fmt = { };
	const struct unicam_fmt *fmt;
	int ret;

	if (pad_id != IMAGE_PAD) {
		fmt = find_format_by_code(MEDIA_BUS_FMT_SENSOR_DATA);
		node->v_fmt.fmt.meta.dataformat = fmt->fourcc;
		*ret_fmt = fmt;
		return 0;
	}
	ret = __subdev_get_format(unicam, &mbus_fmt, pad_id);
	if (ret) {
		unicam_err(unicam, "Failed to get_format - ret %d\n", ret);
		return ret;
	}
	fmt = find_format_by_code(mbus_fmt.code);
	if (!fmt) {
		fmt = get_first_supported_format(unicam);
		if (fmt) {
			mbus_fmt.code = fmt->code;
			if (__subdev_set_format(unicam, &mbus_fmt, pad_id))
				return -EINVAL;
		}
	}
	if (mbus_fmt.field != V4L2_FIELD_NONE) {
		/* Interlaced not supported - disable it now. */
		mbus_fmt.field = V4L2_FIELD_NONE;
		if (__subdev_set_format(unicam, &mbus_fmt, pad_id))
			return -EINVAL;
	}
	if (fmt)
		node->v_fmt.fmt.pix.pixelformat = fmt->fourcc ? fmt->fourcc :
						  fmt->repacked_fourcc;
	*ret_fmt = fmt;
	return 0;
}

static void unicam_mc_set_default_format(struct unicam_node *node, int pad_id)
{
	if (pad_id == IMAGE_PAD) {
		struct v4l2_pix_format *pix_fmt = &node->v_fmt.fmt.pix;

		pix_fmt->width = 640;
		pix_fmt->height = 480;
		pix_fmt->field = V4L2_FIELD_NONE;
		pix_fmt->colorspace = V4L2_COLORSPACE_SRGB;
		pix_fmt->ycbcr_enc = V4L2_YCBCR_ENC_601;
		pix_fmt->quantization = V4L2_QUANTIZATION_LIM_RANGE;
		pix_fmt->xfer_func = V4L2_XFER_FUNC_SRGB;
		pix_fmt->pixelformat = formats[0].fourcc;
		unicam_calc_format_size_bpl(&formats[0], &node->v_fmt);
		node->v_fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		node->fmt = &formats[0];
	} else {
		const struct unicam_fmt *fmt =
			find_format_by_code(MEDIA_BUS_FMT_SENSOR_DATA);

		node->v_fmt.fmt.meta.dataformat = fmt->fourcc;
		node->fmt = fmt;
		node->v_fmt.fmt.meta.buffersize = UNICAM_EMBEDDED_SIZE;
		node->embedded_lines = 1;
		node->v_fmt.type = V4L2_BUF_TYPE_META_CAPTURE;
	}
}

static void disable_legacy_ioctls(struct unicam_device *unicam,
				  struct unicam_node *node)
{
	struct video_device *vdev = &node->video_dev;
	struct v4l2_subdev *sd = unicam->sensor;
	bool meta = node->pad_id == METADATA_PAD;

	if (meta || !v4l2_subdev_has_op(sd, video, s_std)) {
		v4l2_disable_ioctl(vdev, VIDIOC_S_STD);
		v4l2_disable_ioctl(vdev, VIDIOC_G_STD);
		v4l2_disable_ioctl(vdev, VIDIOC_ENUMSTD);
	}
	if (meta || !v4l2_subdev_has_op(sd, video, querystd))
		v4l2_disable_ioctl(vdev, VIDIOC_QUERYSTD);
	if (meta || !v4l2_subdev_has_op(sd, pad, s_dv_timings)) {
		v4l2_disable_ioctl(vdev, VIDIOC_S_EDID);
		v4l2_disable_ioctl(vdev, VIDIOC_G_EDID);
		v4l2_disable_ioctl(vdev, VIDIOC_DV_TIMINGS_CAP);
		v4l2_disable_ioctl(vdev, VIDIOC_G_DV_TIMINGS);
		v4l2_disable_ioctl(vdev, VIDIOC_S_DV_TIMINGS);
		v4l2_disable_ioctl(vdev, VIDIOC_ENUM_DV_TIMINGS);
		v4l2_disable_ioctl(vdev, VIDIOC_QUERY_DV_TIMINGS);
	}
	/* These the stand-in does not implement: the bridge lacks them. */
	v4l2_disable_ioctl(vdev, VIDIOC_ENUM_FRAMEINTERVALS);
	v4l2_disable_ioctl(vdev, VIDIOC_G_PARM);
	v4l2_disable_ioctl(vdev, VIDIOC_S_PARM);
	v4l2_disable_ioctl(vdev, VIDIOC_ENUM_FRAMESIZES);
	v4l2_disable_ioctl(vdev, VIDIOC_S_SELECTION);
	v4l2_disable_ioctl(vdev, VIDIOC_G_SELECTION);
}

static int register_node(struct unicam_device *unicam, struct unicam_node *node,
			 enum v4l2_buf_type type, int pad_id)
{
	struct video_device *vdev = &node->video_dev;
	struct vb2_queue *q = &node->buffer_queue;
	int ret;

	memset(vdev, 0, sizeof(*vdev));
	node->dev = unicam;
	node->pad_id = pad_id;
	if (!unicam->mc_api) {
		const struct unicam_fmt *fmt;

		ret = unicam_set_default_format(unicam, node, pad_id, &fmt);
		if (ret)
			return ret;
		node->fmt = fmt;
		if (fmt)
			unicam_reset_format(node);
	} else {
		unicam_mc_set_default_format(node, pad_id);
	}

	spin_lock_init(&node->dma_queue_lock);
	mutex_init(&node->lock);

	if (pad_id == IMAGE_PAD) {
		if (!unicam->mc_api) {
			/* The bridge's controls on the video node */
			ret = v4l2_ctrl_add_handler(&unicam->ctrl_handler,
						    unicam->sensor->ctrl_handler,
						    NULL, true);
			if (ret < 0)
				return ret;
		}
		if (!list_empty(&unicam->ctrl_handler.ctrls))
			vdev->ctrl_handler = &unicam->ctrl_handler;
	}

	q->type = type;
	q->io_modes = VB2_MMAP | VB2_DMABUF | VB2_READ;
	q->drv_priv = node;
	q->ops = &unicam_video_qops;
	q->mem_ops = &vb2_dma_contig_memops;
	q->buf_struct_size = sizeof(struct unicam_buffer);
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	q->lock = &node->lock;
	q->min_queued_buffers = 1;
	q->dev = &unicam->pdev->dev;
	ret = vb2_queue_init(q);
	if (ret) {
		unicam_err(unicam, "vb2_queue_init() failed\n");
		return ret;
	}
	INIT_LIST_HEAD(&node->dma_queue);

	vdev->release = unicam_node_release;
	vdev->fops = &unicam_fops;
	vdev->ioctl_ops = unicam->mc_api ? &unicam_mc_ioctl_ops :
					   &unicam_ioctl_ops;
	vdev->v4l2_dev = &unicam->v4l2_dev;
	vdev->vfl_dir = VFL_DIR_RX;
	vdev->queue = q;
	vdev->lock = &node->lock;
	vdev->device_caps = (pad_id == IMAGE_PAD) ? V4L2_CAP_VIDEO_CAPTURE :
						    V4L2_CAP_META_CAPTURE;
	vdev->device_caps |= V4L2_CAP_READWRITE | V4L2_CAP_STREAMING;
	if (unicam->mc_api) {
		vdev->device_caps |= V4L2_CAP_IO_MC;
		vdev->entity.ops = &unicam_mc_entity_ops;
	}
	snprintf(vdev->name, sizeof(vdev->name), "%s-%s", UNICAM_MODULE_NAME,
		 pad_id == IMAGE_PAD ? "image" : "embedded");
	video_set_drvdata(vdev, node);
	if (pad_id == IMAGE_PAD)
		vdev->entity.flags |= MEDIA_ENT_FL_DEFAULT;
	node->pad.flags = MEDIA_PAD_FL_SINK;
	media_entity_pads_init(&vdev->entity, 1, &node->pad);
	if (!unicam->mc_api)
		disable_legacy_ioctls(unicam, node);

	ret = video_register_device(vdev, VFL_TYPE_VIDEO, -1);
	if (ret) {
		unicam_err(unicam, "Unable to register video device %s\n",
			   vdev->name);
		return ret;
	}
	kref_get(&unicam->kref);
	node->registered = true;

	if (pad_id != METADATA_PAD || unicam->sensor_embedded_data) {
		ret = media_create_pad_link(&unicam->sensor->entity,
					    node->src_pad_id,
					    &node->video_dev.entity, 0,
					    MEDIA_LNK_FL_ENABLED |
					    MEDIA_LNK_FL_IMMUTABLE);
		if (ret)
			unicam_err(unicam, "Unable to create pad link for %s\n",
				   vdev->name);
	}
	return ret;
}

static void unregister_nodes(struct unicam_device *unicam)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(unicam->node); i++) {
		struct unicam_node *node = &unicam->node[i];

		if (node->registered) {
			node->registered = false;
			video_unregister_device(&node->video_dev);
		}
	}
}

static int unicam_async_bound(struct v4l2_async_notifier *notifier,
			      struct v4l2_subdev *subdev,
			      struct v4l2_async_connection *asd)
{
	struct unicam_device *unicam = to_unicam_device(notifier->v4l2_dev);

	if (unicam->sensor) {
		unicam_info(unicam, "Rejecting subdev %s (Already set!!)",
			    subdev->name);
		return 0;
	}
	unicam->sensor = subdev;
	return 0;
}

static int unicam_async_complete(struct v4l2_async_notifier *notifier)
{
	static struct lock_class_key key;
	struct unicam_device *unicam = to_unicam_device(notifier->v4l2_dev);
	unsigned int i, source_pads = 0;
	int ret;

	unicam->v4l2_dev.notify = unicam_notify;
	unicam->sensor_state = __v4l2_subdev_state_alloc(unicam->sensor,
							 "unicam:async->lock",
							 &key);
	if (IS_ERR(unicam->sensor_state)) {
		ret = PTR_ERR(unicam->sensor_state);
		unicam->sensor_state = NULL;
		return ret;
	}
	for (i = 0; i < unicam->sensor->entity.num_pads; i++) {
		if (unicam->sensor->entity.pads[i].flags & MEDIA_PAD_FL_SOURCE) {
			if (source_pads < MAX_NODES)
				unicam->node[source_pads].src_pad_id = i;
			source_pads++;
		}
	}
	if (!source_pads) {
		unicam_err(unicam, "No source pads on sensor.\n");
		ret = -ENODEV;
		goto unregister;
	}
	ret = register_node(unicam, &unicam->node[IMAGE_PAD],
			    V4L2_BUF_TYPE_VIDEO_CAPTURE, IMAGE_PAD);
	if (ret) {
		unicam_err(unicam, "Unable to register image video device.\n");
		goto unregister;
	}
	if (source_pads >= 2) {
		unicam->sensor_embedded_data = true;
		ret = register_node(unicam, &unicam->node[METADATA_PAD],
				    V4L2_BUF_TYPE_META_CAPTURE, METADATA_PAD);
		if (ret) {
			unicam_err(unicam, "Unable to register metadata video device.\n");
			goto unregister;
		}
	}
	if (unicam->mc_api)
		ret = v4l2_device_register_subdev_nodes(&unicam->v4l2_dev);
	else
		ret = v4l2_device_register_ro_subdev_nodes(&unicam->v4l2_dev);
	if (ret) {
		unicam_err(unicam, "Unable to register subdev nodes.\n");
		goto unregister;
	}
	return 0;

unregister:
	unregister_nodes(unicam);
	return ret;
}

/*
 * The downstream driver has no unbind: its nodes would keep using a bridge
 * that is gone.  The stand-in unregisters them (rmmod in any order).
 */
static void unicam_async_unbind(struct v4l2_async_notifier *notifier,
				struct v4l2_subdev *subdev,
				struct v4l2_async_connection *asd)
{
	struct unicam_device *unicam = to_unicam_device(notifier->v4l2_dev);

	if (unicam->sensor != subdev)
		return;
	unregister_nodes(unicam);
	v4l2_ctrl_handler_free(&unicam->ctrl_handler);
	v4l2_ctrl_handler_init(&unicam->ctrl_handler, 16);
	if (unicam->sensor_state)
		__v4l2_subdev_state_free(unicam->sensor_state);
	unicam->sensor_state = NULL;
	unicam->sensor = NULL;
}

static const struct v4l2_async_notifier_operations unicam_async_ops = {
	.bound = unicam_async_bound,
	.unbind = unicam_async_unbind,
	.complete = unicam_async_complete,
};

static int unicam_connect_subdevs(struct unicam_device *dev)
{
	struct device *pdev = &dev->pdev->dev;
	struct v4l2_fwnode_endpoint ep = { };
	struct fwnode_handle *ep_node, *sensor_node = NULL;
	unsigned int lane;
	int ret = -EINVAL;

	if (device_property_read_u32(pdev, "brcm,num-data-lanes",
				     &dev->max_data_lanes) < 0) {
		unicam_err(dev, "number of data lanes not set\n");
		return -EINVAL;
	}
	ep_node = fwnode_graph_get_next_endpoint(dev_fwnode(pdev), NULL);
	if (!ep_node)
		return -EINVAL;
	sensor_node = fwnode_graph_get_remote_port_parent(ep_node);
	if (!sensor_node)
		goto cleanup_exit;

	v4l2_fwnode_endpoint_parse(ep_node, &ep);
	dev->bus_type = ep.bus_type;
	switch (ep.bus_type) {
	case V4L2_MBUS_CSI2_DPHY:
		switch (ep.bus.mipi_csi2.num_data_lanes) {
		case 1:
		case 2:
		case 4:
			break;
		default:
			unicam_err(dev, "subdevice %pfw: %u data lanes not supported\n",
				   sensor_node, ep.bus.mipi_csi2.num_data_lanes);
			goto cleanup_exit;
		}
		for (lane = 0; lane < ep.bus.mipi_csi2.num_data_lanes; lane++) {
			if (ep.bus.mipi_csi2.data_lanes[lane] != lane + 1) {
				unicam_err(dev, "subdevice %pfw: data lanes reordering not supported\n",
					   sensor_node);
				goto cleanup_exit;
			}
		}
		if (ep.bus.mipi_csi2.num_data_lanes > dev->max_data_lanes)
			unicam_err(dev, "subdevice requires %u data lanes when %u are supported\n",
				   ep.bus.mipi_csi2.num_data_lanes,
				   dev->max_data_lanes);
		dev->max_data_lanes = ep.bus.mipi_csi2.num_data_lanes;
		dev->bus_flags = ep.bus.mipi_csi2.flags;
		break;
	default:
		unicam_err(dev, "subdevice %pfw: unsupported bus type %u\n",
			   sensor_node, ep.bus_type);
		goto cleanup_exit;
	}

	v4l2_async_nf_init(&dev->notifier, &dev->v4l2_dev);
	dev->notifier.ops = &unicam_async_ops;
	dev->asd = v4l2_async_nf_add_fwnode(&dev->notifier, sensor_node,
					    struct v4l2_async_connection);
	if (IS_ERR(dev->asd)) {
		ret = PTR_ERR(dev->asd);
		unicam_err(dev, "Error adding subdevice: %d\n", ret);
		goto cleanup_exit;
	}
	ret = v4l2_async_nf_register(&dev->notifier);
	if (ret) {
		unicam_err(dev, "Error registering async notifier: %d\n", ret);
		v4l2_async_nf_cleanup(&dev->notifier);
		ret = -EINVAL;
	}
cleanup_exit:
	fwnode_handle_put(sensor_node);
	fwnode_handle_put(ep_node);
	return ret;
}

static int unicam_probe(struct platform_device *pdev)
{
	struct unicam_device *unicam;
	int ret;

	unicam = kzalloc(sizeof(*unicam), GFP_KERNEL);
	if (!unicam)
		return -ENOMEM;
	kref_init(&unicam->kref);
	mutex_init(&unicam->paint_lock);
	unicam->pdev = pdev;

	/* The module parameter, or the firmware node asks for it. */
	unicam->mc_api = media_controller;
	if (device_property_read_bool(&pdev->dev, "brcm,media-controller"))
		unicam->mc_api = true;

	unicam->mdev.dev = &pdev->dev;
	strscpy(unicam->mdev.model, UNICAM_MODULE_NAME,
		sizeof(unicam->mdev.model));
	strscpy(unicam->mdev.serial, "", sizeof(unicam->mdev.serial));
	snprintf(unicam->mdev.bus_info, sizeof(unicam->mdev.bus_info),
		 "platform:%s", dev_name(&pdev->dev));
	unicam->mdev.hw_revision = 0;
	media_device_init(&unicam->mdev);
	unicam->v4l2_dev.mdev = &unicam->mdev;

	ret = v4l2_device_register(&pdev->dev, &unicam->v4l2_dev);
	if (ret) {
		unicam_err(unicam, "Unable to register v4l2 device.\n");
		goto err_unicam_put;
	}
	ret = media_device_register(&unicam->mdev);
	if (ret < 0) {
		unicam_err(unicam, "Unable to register media-controller device.\n");
		goto err_v4l2_unregister;
	}
	ret = v4l2_ctrl_handler_init(&unicam->ctrl_handler, 16);
	if (ret < 0)
		goto err_media_unregister;
	platform_set_drvdata(pdev, unicam);
	ret = unicam_connect_subdevs(unicam);
	if (ret) {
		dev_err(&pdev->dev, "Failed to connect subdevs\n");
		goto err_media_unregister;
	}
	unicam_info(unicam, "%s mode, %u data lanes\n",
		    unicam->mc_api ? "media controller" : "legacy",
		    unicam->max_data_lanes);
	return 0;

err_media_unregister:
	media_device_unregister(&unicam->mdev);
err_v4l2_unregister:
	v4l2_device_unregister(&unicam->v4l2_dev);
err_unicam_put:
	unicam_put(unicam);
	return ret;
}

static void unicam_remove(struct platform_device *pdev)
{
	struct unicam_device *unicam = platform_get_drvdata(pdev);

	v4l2_async_nf_unregister(&unicam->notifier);
	v4l2_async_nf_cleanup(&unicam->notifier);
	v4l2_device_unregister(&unicam->v4l2_dev);
	media_device_unregister(&unicam->mdev);
	unregister_nodes(unicam);
	/* The probe's reference; the video nodes hold theirs. */
	unicam_put(unicam);
}

static const struct platform_device_id unicam_ids[] = {
	{ "fe800000.csi" },	/* BCM2711 csi0, CAM0 */
	{ "fe801000.csi" },	/* BCM2711 csi1, CAM1 */
	{ }
};
MODULE_DEVICE_TABLE(platform, unicam_ids);

static struct platform_driver unicam_driver = {
	.probe = unicam_probe,
	.remove = unicam_remove,
	.id_table = unicam_ids,
	.driver = {
		.name = UNICAM_MODULE_NAME,
	},
};

module_platform_driver(unicam_driver);

MODULE_DESCRIPTION("BCM2711 Unicam stand-in for tests");
MODULE_LICENSE("GPL");
