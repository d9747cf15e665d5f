/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rp1-cfe-fake: what rp1-cfe.c and rp1-cfe-subdevs.c share (see rp1-cfe.c). */
#ifndef RP1_CFE_FAKE_H
#define RP1_CFE_FAKE_H

#include <linux/kref.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>
#include <media/media-device.h>
#include <media/v4l2-async.h>
#include <media/v4l2-device.h>
#include <media/v4l2-subdev.h>
#include <media/videobuf2-v4l2.h>

#include "pi-fake.h"

#define CFE_MODULE_NAME		"rp1-cfe"
#define CSI2_NUM_CHANNELS	4
#define BPL_ALIGNMENT		16
#define MAX_BYTESPERLINE	0xffffff00
#define MAX_BUFFER_SIZE		0xffffff00
#define MAX_WIDTH		16384
#define MAX_HEIGHT		MAX_WIDTH
#define MIN_WIDTH		16
#define MIN_HEIGHT		16
#define DEFAULT_EMBEDDED_SIZE	16384

/* Raspberry Pi tree values, not in the 6.12 uapi headers. */
#ifndef MEDIA_BUS_FMT_SENSOR_DATA
#define MEDIA_BUS_FMT_SENSOR_DATA	0x7002
#endif
#ifndef V4L2_META_FMT_SENSOR_DATA
#define V4L2_META_FMT_SENSOR_DATA	v4l2_fourcc('S', 'E', 'N', 'S')
#endif
#ifndef V4L2_META_FMT_RPI_FE_CFG
#define V4L2_META_FMT_RPI_FE_CFG	v4l2_fourcc('R', 'P', 'F', 'C')
#endif
#ifndef V4L2_META_FMT_RPI_FE_STATS
#define V4L2_META_FMT_RPI_FE_STATS	v4l2_fourcc('R', 'P', 'F', 'S')
#endif
/* The PiSP FE config and statistics sizes: placeholders (FE not emulated). */
#define FE_CONFIG_SIZE		4096
#define FE_STATS_SIZE		4096

#define CFE_FORMAT_FLAG_META_OUT	BIT(0)
#define CFE_FORMAT_FLAG_META_CAP	BIT(1)
#define CFE_FORMAT_FLAG_FE_OUT		BIT(2)

struct cfe_fmt {
	u32 fourcc;
	u32 code;
	u8 depth;
	u8 csi_dt;
	u32 remap16;		/* the 16-bit unpacked fourcc, or 0 */
	u32 flags;
};

enum node_ids {
	CSI2_CH0, CSI2_CH1, CSI2_CH2, CSI2_CH3,
	FE_OUT0, FE_OUT1, FE_STATS, FE_CONFIG,
	NUM_NODES
};

enum pisp_fe_pads {
	FE_STREAM_PAD, FE_CONFIG_PAD, FE_OUTPUT0_PAD, FE_OUTPUT1_PAD,
	FE_STATS_PAD, FE_NUM_PADS
};

#define NUM_STATES	5
#define NODE_REGISTERED	BIT(0)
#define NODE_ENABLED	BIT(1)
#define NODE_STREAMING	BIT(2)
#define FS_INT		BIT(3)
#define FE_INT		BIT(4)

struct cfe_buffer {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
	struct pifake_paint_cache paint;
};

struct cfe_device;

struct cfe_node {
	unsigned int id;
	struct cfe_buffer *cur_frm;
	struct cfe_buffer *next_frm;
	struct v4l2_format vid_fmt;
	struct v4l2_format meta_fmt;
	struct vb2_queue buffer_queue;
	struct list_head dma_queue;
	struct mutex lock;
	struct video_device video_dev;
	struct cfe_device *cfe;
	struct media_pad pad;
	unsigned int fs_count;
	u64 ts;
	bool frame_open;	/* FS seen, FE not yet (this frame) */
};

struct csi2_device {
	struct v4l2_subdev sd;
	struct media_pad pad[CSI2_NUM_CHANNELS * 2];
	struct v4l2_device *v4l2_dev;
	unsigned int max_lanes;
	unsigned int active_lanes;
	unsigned int dphy_rate;		/* Mbps */
	u32 bus_flags;
	bool multipacket_line;
};

struct pisp_fe_device {
	struct v4l2_subdev sd;
	struct media_pad pad[FE_NUM_PADS];
	struct v4l2_device *v4l2_dev;
	u32 hw_revision;
};

struct cfe_device {
	struct dentry *debugfs;
	struct kref kref;
	struct v4l2_async_connection *asd;
	struct v4l2_device v4l2_dev;
	struct media_device mdev;
	struct media_pipeline pipe;
	/* node state and DMA queues (the driver's IRQ lock) */
	spinlock_t state_lock;
	bool job_ready;
	bool job_queued;
	struct platform_device *pdev;
	struct v4l2_async_notifier notifier;
	struct v4l2_subdev *sensor;
	struct cfe_node node[NUM_NODES];
	DECLARE_BITMAP(node_flags, NUM_STATES * NUM_NODES);
	struct csi2_device csi2;
	struct pisp_fe_device fe;
	int fe_csi2_channel;

	/* the stand-in's frame source: FS/FE instead of interrupts */
	struct task_struct *thread;
	struct mutex paint_lock;	/* painting vs returning buffers */
};

extern const struct v4l2_mbus_framefmt cfe_default_format;
extern const struct v4l2_mbus_framefmt cfe_default_meta_format;

const struct cfe_fmt *find_format_by_code(u32 code);
const struct cfe_fmt *find_format_by_pix(u32 pixelformat);
const struct cfe_fmt *cfe_format(unsigned int index);
u32 cfe_find_16bit_code(u32 code);

int csi2_init(struct csi2_device *csi2);
void csi2_uninit(struct csi2_device *csi2);
int pisp_fe_init(struct pisp_fe_device *fe);
void pisp_fe_uninit(struct pisp_fe_device *fe);

#endif /* RP1_CFE_FAKE_H */
