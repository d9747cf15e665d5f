// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rp1-cfe-fake.ko - stand-in for the Raspberry Pi 5 RP1 Camera Front End
 * driver (rp1-cfe), for the QEMU VM of tests/kernel.
 *
 * Read: raspberrypi/linux drivers/media/platform/raspberrypi/rp1_cfe/cfe.c
 * (01e3122f; it already calls the 6.13 v4l2_get_link_freq(pad, ...), the
 * 6.12 branch passes the control handler: same behaviour here), csi2.c,
 * pisp_fe.c, cfe_fmts.h (see rp1-cfe-subdevs.c).
 *
 * Reproduced (userspace sees the 6.12 media, V4L2 and vb2 core):
 *  - A platform driver "rp1-cfe" bound to the board's "1f00128000.csi" or
 *    "1f00110000.csi"; media device model "rp1-cfe", bus_info
 *    "platform:<device>"; debugfs "rp1-cfe:<device>/format".
 *  - Probe order, hence entity order in MEDIA_IOC_G_TOPOLOGY: "csi2"
 *    (MEDIA_ENT_F_VID_IF_BRIDGE, 4 sinks + 4 sources) and "pisp-fe"
 *    (MEDIA_ENT_F_PROC_VIDEO_SCALER) are registered in probe, before the
 *    media device; then a v4l2-async notifier waits for the remote port
 *    parent of the receiver's endpoint (the bridge).  When "tc358743
 *    <bus>-000f" binds, complete() registers the video nodes in enum order
 *    rp1-cfe-csi2_ch0, rp1-cfe-embedded, rp1-cfe-csi2_ch2, rp1-cfe-csi2_ch3,
 *    rp1-cfe-fe_image0, rp1-cfe-fe_image1, rp1-cfe-fe_stats,
 *    rp1-cfe-fe_config, creates the links as cfe_link_node_pads (bridge
 *    source pad -> csi2:0 IMMUTABLE | ENABLED; csi2:4+i -> node i flags 0;
 *    csi2:4+i -> pisp-fe:0 flags 0 for the image-capable channels; pisp-fe
 *    pads <-> FE nodes flags 0), then registers the subdev nodes
 *    (read-write).  Unbinding the bridge unregisters the nodes and links.
 *  - The endpoint: CSI-2 D-PHY, data lanes in order or -EINVAL
 *    ("data lanes reordering not supported"), max lanes = endpoint lanes.
 *  - Node caps as node_desc, plus V4L2_CAP_STREAMING | V4L2_CAP_IO_MC;
 *    querycap driver/card "rp1-cfe"; formats: try_fmt defaults to
 *    SBGGR10P, width aligned to 4 in 16..16384, bytesperline =
 *    ALIGN(width * depth / 8, 16) unless a larger one is asked (then
 *    aligned to 16), sizeimage = height * bytesperline, field NONE; S_FMT
 *    -EBUSY while buffers exist; FE nodes use the 16-bit remap; meta
 *    formats as the driver; REQBUFS/CREATE_BUFS may switch the queue type
 *    between video and meta capture; ENUM_FRAMESIZES stepwise.
 *  - vb2_dma_contig, MMAP and DMABUF (EXPBUF), single-planar, at least 3
 *    buffers (queue_setup), min_queued_buffers 1, timestamps
 *    V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC.
 *  - link_notify (POST_LINK_CH) tracks which video nodes have an enabled
 *    link and which csi2 channel feeds the FE.
 *  - start_streaming: -EINVAL while the node's link is disabled ("%s node
 *    link is not enabled."), -EINVAL when the FE is linked but fe_config
 *    is not; media_pipeline_start (its errors as they come: -EPIPE from
 *    the csi2 link validation on a pad mismatch, -EINVAL from
 *    cfe_video_link_validate when the node's size or fourcc does not
 *    match csi2's source pad, -ENOLINK for an unconnected MUST_CONNECT
 *    pad); waits until every node with an enabled link streams; then
 *    get_mbus_config on the bridge and -EINVAL when it asks for more data
 *    lanes than the endpoint has ("Device has requested %u data lanes,
 *    which is >%u configured in DT"); the link rate walk that finds no
 *    LINK_FREQ/PIXEL_RATE on the tc358743 ("Unable to determine sensor
 *    link rate, using 999 Mbps"); s_stream(1) on the bridge.
 *  - Frames: a buffer per streaming channel whose csi2 sink format has the
 *    bridge's CSI-2 data type, taken as the driver's jobs take them (only
 *    when every enabled node has one queued); at frame start cur = next,
 *    sequence = frame starts since STREAMON - 1 (frames without a buffer
 *    still count), timestamp ktime_get_ns() shared by the nodes, a
 *    V4L2_EVENT_FRAME_SYNC on image nodes; at frame end the buffer is done.
 *  - The inverted test in cfe_notify: a SOURCE_CHANGE from the bridge is
 *    queued only on video nodes that are NOT registered, i.e. never; it
 *    reaches userspace only on the bridge's subdev node.
 * Left out: registers, interrupts, the D-PHY, runtime PM and clocks, CSI-2
 * compression and the PiSP front end itself (the FE nodes exist, with
 * placeholder buffer sizes, but refuse to stream with -EINVAL).
 * Frames come from a kernel thread at the bridge's frame rate (capped by
 * pi-fake-board's test-only max_fps): frame start, the picture of
 * pi-board.c painted, frame end after the active lines' time.
 *
 * Fault injection (not a behaviour of the real driver): the parameter
 * fault_no_bridge_link=1 leaves out the bridge -> csi2 link, the state of
 * a receiver whose link creation failed, for the tests of what
 * `hdmirtc --probe` says about a bridge with no data path.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <media/v4l2-common.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-event.h>
#include <media/v4l2-fwnode.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-dma-contig.h>

#include "rp1-cfe.h"

static bool fault_no_bridge_link;
module_param(fault_no_bridge_link, bool, 0444);
MODULE_PARM_DESC(fault_no_bridge_link, "test fault: do not create the bridge -> csi2 link");

#define cfe_dbg(fmt, arg...) dev_dbg(&cfe->pdev->dev, fmt, ##arg)
#define cfe_info(fmt, arg...) dev_info(&cfe->pdev->dev, fmt, ##arg)
#define cfe_err(fmt, arg...) dev_err(&cfe->pdev->dev, fmt, ##arg)

struct node_description {
	const char *name;
	unsigned int caps;
	unsigned int pad_flags;
	unsigned int link_pad;
};

static const struct node_description node_desc[NUM_NODES] = {
	[CSI2_CH0] = { "csi2_ch0", V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_META_CAPTURE,
		       MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT,
		       CSI2_NUM_CHANNELS + 0 },
	[CSI2_CH1] = { "embedded", V4L2_CAP_META_CAPTURE,
		       MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT,
		       CSI2_NUM_CHANNELS + 1 },
	[CSI2_CH2] = { "csi2_ch2", V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_META_CAPTURE,
		       MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT,
		       CSI2_NUM_CHANNELS + 2 },
	[CSI2_CH3] = { "csi2_ch3", V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_META_CAPTURE,
		       MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT,
		       CSI2_NUM_CHANNELS + 3 },
	[FE_OUT0] = { "fe_image0", V4L2_CAP_VIDEO_CAPTURE,
		      MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT,
		      FE_OUTPUT0_PAD },
	[FE_OUT1] = { "fe_image1", V4L2_CAP_VIDEO_CAPTURE,
		      MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT,
		      FE_OUTPUT1_PAD },
	[FE_STATS] = { "fe_stats", V4L2_CAP_META_CAPTURE,
		       MEDIA_PAD_FL_SINK | MEDIA_PAD_FL_MUST_CONNECT,
		       FE_STATS_PAD },
	[FE_CONFIG] = { "fe_config", V4L2_CAP_META_OUTPUT,
			MEDIA_PAD_FL_SOURCE | MEDIA_PAD_FL_MUST_CONNECT,
			FE_CONFIG_PAD },
};

#define is_fe_node(node)	((node)->id >= FE_OUT0)
#define is_csi2_node(node)	(!is_fe_node(node))
#define node_supports_image_output(node) \
	(!!(node_desc[(node)->id].caps & V4L2_CAP_VIDEO_CAPTURE))
#define node_supports_meta_output(node) \
	(!!(node_desc[(node)->id].caps & V4L2_CAP_META_CAPTURE))
#define node_supports_meta_input(node) \
	(!!(node_desc[(node)->id].caps & V4L2_CAP_META_OUTPUT))
#define node_supports_image(node)	node_supports_image_output(node)
#define node_supports_meta(node) \
	(node_supports_meta_output(node) || node_supports_meta_input(node))
#define is_image_output_node(node) \
	((node)->buffer_queue.type == V4L2_BUF_TYPE_VIDEO_CAPTURE)
#define is_image_node(node)	is_image_output_node(node)
#define is_meta_output_node(node) \
	((node)->buffer_queue.type == V4L2_BUF_TYPE_META_CAPTURE)
#define is_meta_input_node(node) \
	((node)->buffer_queue.type == V4L2_BUF_TYPE_META_OUTPUT)
#define is_meta_node(node) \
	(is_meta_output_node(node) || is_meta_input_node(node))

static inline struct cfe_buffer *to_cfe_buffer(struct vb2_buffer *vb)
{
	return container_of(vb, struct cfe_buffer, vb.vb2_buf);
}

static inline struct cfe_device *to_cfe_device(struct v4l2_device *v4l2_dev)
{
	return container_of(v4l2_dev, struct cfe_device, v4l2_dev);
}

static inline bool is_fe_enabled(struct cfe_device *cfe)
{
	return cfe->fe_csi2_channel != -1;
}

/* ---------------------------------------------------------- node state */

static bool check_state(struct cfe_device *cfe, unsigned long state,
			unsigned int node_id)
{
	unsigned long bit;

	for_each_set_bit(bit, &state, sizeof(state))
		if (!test_bit(bit + node_id * NUM_STATES, cfe->node_flags))
			return false;
	return true;
}

static void set_state(struct cfe_device *cfe, unsigned long state,
		      unsigned int node_id)
{
	unsigned long bit;

	for_each_set_bit(bit, &state, sizeof(state))
		set_bit(bit + node_id * NUM_STATES, cfe->node_flags);
}

static void clear_state(struct cfe_device *cfe, unsigned long state,
			unsigned int node_id)
{
	unsigned long bit;

	for_each_set_bit(bit, &state, sizeof(state))
		clear_bit(bit + node_id * NUM_STATES, cfe->node_flags);
}

static bool test_any_node(struct cfe_device *cfe, unsigned long cond)
{
	unsigned int i;

	for (i = 0; i < NUM_NODES; i++)
		if (check_state(cfe, cond, i))
			return true;
	return false;
}

static bool test_all_nodes(struct cfe_device *cfe, unsigned long precond,
			   unsigned long cond)
{
	unsigned int i;

	for (i = 0; i < NUM_NODES; i++)
		if (check_state(cfe, precond, i) && !check_state(cfe, cond, i))
			return false;
	return true;
}

static int format_show(struct seq_file *s, void *data)
{
	struct cfe_device *cfe = s->private;
	unsigned int i;

	for (i = 0; i < NUM_NODES; i++) {
		struct cfe_node *node = &cfe->node[i];
		unsigned long sb, state = 0;

		for (sb = 0; sb < NUM_STATES; sb++)
			if (check_state(cfe, BIT(sb), i))
				state |= BIT(sb);
		seq_printf(s, "\nNode %u (%s) state: 0x%lx\n", i,
			   node_desc[i].name, state);
		if (node_supports_image(node))
			seq_printf(s, "format: %p4cc 0x%x\nresolution: %ux%u\nbpl: %u\nsize: %u\n",
				   &node->vid_fmt.fmt.pix.pixelformat,
				   node->vid_fmt.fmt.pix.pixelformat,
				   node->vid_fmt.fmt.pix.width,
				   node->vid_fmt.fmt.pix.height,
				   node->vid_fmt.fmt.pix.bytesperline,
				   node->vid_fmt.fmt.pix.sizeimage);
		if (node_supports_meta(node))
			seq_printf(s, "format: %p4cc 0x%x\nsize: %u\n",
				   &node->meta_fmt.fmt.meta.dataformat,
				   node->meta_fmt.fmt.meta.dataformat,
				   node->meta_fmt.fmt.meta.buffersize);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(format);

/* ------------------------------------------------------------- formats */

static void cfe_calc_format_size_bpl(const struct cfe_fmt *fmt,
				     struct v4l2_format *f)
{
	unsigned int min_bytesperline;

	v4l_bound_align_image(&f->fmt.pix.width, MIN_WIDTH, MAX_WIDTH, 2,
			      &f->fmt.pix.height, MIN_HEIGHT, MAX_HEIGHT, 0, 0);
	min_bytesperline = ALIGN((f->fmt.pix.width * fmt->depth) >> 3,
				 BPL_ALIGNMENT);
	if (f->fmt.pix.bytesperline > min_bytesperline &&
	    f->fmt.pix.bytesperline <= MAX_BYTESPERLINE)
		f->fmt.pix.bytesperline = ALIGN(f->fmt.pix.bytesperline,
						BPL_ALIGNMENT);
	else
		f->fmt.pix.bytesperline = min_bytesperline;
	f->fmt.pix.sizeimage = f->fmt.pix.height * f->fmt.pix.bytesperline;
}

/* -------------------------------------------------------- jobs, frames */

static void cfe_schedule_next_csi2_job(struct cfe_device *cfe)
{
	unsigned int i;

	for (i = 0; i < CSI2_NUM_CHANNELS; i++) {
		struct cfe_node *node = &cfe->node[i];
		struct cfe_buffer *buf;

		if (!check_state(cfe, NODE_STREAMING, i) ||
		    list_empty(&node->dma_queue))
			continue;
		buf = list_first_entry(&node->dma_queue, struct cfe_buffer,
				       list);
		node->next_frm = buf;
		list_del(&buf->list);
	}
}

static bool cfe_check_job_ready(struct cfe_device *cfe)
{
	unsigned int i;

	for (i = 0; i < NUM_NODES; i++)
		if (check_state(cfe, NODE_ENABLED, i) &&
		    list_empty(&cfe->node[i].dma_queue))
			return false;
	return true;
}

static void cfe_prepare_next_job(struct cfe_device *cfe)
{
	cfe->job_queued = true;
	cfe_schedule_next_csi2_job(cfe);
	cfe->job_ready = cfe_check_job_ready(cfe);
}

static void cfe_process_buffer_complete(struct cfe_node *node,
					enum vb2_buffer_state state)
{
	node->cur_frm->vb.sequence = node->fs_count - 1;
	vb2_buffer_done(&node->cur_frm->vb.vb2_buf, state);
}

static void cfe_sof(struct cfe_node *node, u64 ts)
{
	struct cfe_device *cfe = node->cfe;
	struct v4l2_event event = { .type = V4L2_EVENT_FRAME_SYNC };
	bool matching_fs = true;
	unsigned int i;

	if (WARN(node->cur_frm, "[%s] Orphaned frame at seq %u\n",
		 node_desc[node->id].name, node->fs_count))
		cfe_process_buffer_complete(node, VB2_BUF_STATE_ERROR);
	node->cur_frm = node->next_frm;
	node->next_frm = NULL;
	node->fs_count++;
	node->ts = ts;
	for (i = 0; i < NUM_NODES; i++) {
		if (!check_state(cfe, NODE_STREAMING, i) || i == node->id)
			continue;
		if (cfe->node[i].fs_count >= node->fs_count)
			node->ts = cfe->node[i].ts;
		if (cfe->node[i].fs_count != node->fs_count)
			matching_fs = false;
	}
	if (matching_fs)
		cfe->job_queued = false;
	if (node->cur_frm)
		node->cur_frm->vb.vb2_buf.timestamp = node->ts;
	set_state(cfe, FS_INT, node->id);
	clear_state(cfe, FE_INT, node->id);
	if (is_image_output_node(node)) {
		event.u.frame_sync.frame_sequence = node->fs_count - 1;
		v4l2_event_queue(&node->video_dev, &event);
	}
	node->frame_open = true;
}

static void cfe_eof(struct cfe_node *node)
{
	if (node->cur_frm)
		cfe_process_buffer_complete(node, VB2_BUF_STATE_DONE);
	node->cur_frm = NULL;
	set_state(node->cfe, FE_INT, node->id);
	clear_state(node->cfe, FS_INT, node->id);
	node->frame_open = false;
}

/* Does CSI-2 channel i take the bridge's packets (VC 0, same data type)? */
static bool channel_receives(struct cfe_device *cfe, unsigned int i,
			     const struct pifake_link_state *ls)
{
	const struct cfe_fmt *link = find_format_by_code(ls->code), *chan;
	struct v4l2_subdev_state *state;
	u32 code;

	state = v4l2_subdev_lock_and_get_active_state(&cfe->csi2.sd);
	code = v4l2_subdev_state_get_format(state, i)->code;
	v4l2_subdev_unlock_state(state);
	chan = find_format_by_code(code);
	return link && chan && chan->csi_dt && chan->csi_dt == link->csi_dt;
}

static void paint_node(struct cfe_node *node,
		       const struct pifake_link_state *ls, u64 mono, u64 wall)
{
	struct cfe_buffer *buf = node->cur_frm;
	struct v4l2_pix_format *pix = &node->vid_fmt.fmt.pix;
	struct pifake_image img = {
		.layout = ls->code == MEDIA_BUS_FMT_UYVY8_1X16 ?
			  PIFAKE_UYVY : PIFAKE_RGB24,
		.bytesperline = pix->bytesperline,
	};
	unsigned int px = img.layout == PIFAKE_UYVY ? 2 : 3;

	img.base = vb2_plane_vaddr(&buf->vb.vb2_buf, 0);
	img.width = min3(ls->width, pix->width, pix->bytesperline / px);
	img.height = min(ls->height, pix->height);
	if (img.base && is_image_node(node))
		pifake_paint(&buf->paint, &img, node->fs_count - 1, mono, wall);
}

/* Frame start on every receiving channel. */
static void cfe_frame_start(struct cfe_device *cfe,
			    const struct pifake_link_state *ls)
{
	struct cfe_node *fs_nodes[CSI2_NUM_CHANNELS];
	unsigned int i, n = 0;
	unsigned long flags;
	u64 mono, wall;
	bool receives[CSI2_NUM_CHANNELS];

	for (i = 0; i < CSI2_NUM_CHANNELS; i++)
		receives[i] = channel_receives(cfe, i, ls);

	mutex_lock(&cfe->paint_lock);
	spin_lock_irqsave(&cfe->state_lock, flags);
	mono = ktime_get_ns();
	wall = ktime_get_real_ns();
	for (i = 0; i < CSI2_NUM_CHANNELS; i++) {
		struct cfe_node *node = &cfe->node[i];

		if (!check_state(cfe, NODE_STREAMING, i) || !receives[i])
			continue;
		cfe_sof(node, mono);
		if (node->cur_frm)
			fs_nodes[n++] = node;
		if (!cfe->job_queued && cfe->job_ready)
			cfe_prepare_next_job(cfe);
	}
	spin_unlock_irqrestore(&cfe->state_lock, flags);

	/*
	 * The driver owns cur_frm until frame end; paint_lock keeps
	 * stop_streaming from handing it back meanwhile.
	 */
	for (i = 0; i < n; i++)
		paint_node(fs_nodes[i], ls, fs_nodes[i]->ts, wall);
	mutex_unlock(&cfe->paint_lock);
}

static void cfe_frame_end(struct cfe_device *cfe)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&cfe->state_lock, flags);
	for (i = 0; i < CSI2_NUM_CHANNELS; i++) {
		struct cfe_node *node = &cfe->node[i];

		if (check_state(cfe, NODE_STREAMING, i) && node->frame_open)
			cfe_eof(node);
		if (!cfe->job_queued && cfe->job_ready)
			cfe_prepare_next_job(cfe);
	}
	spin_unlock_irqrestore(&cfe->state_lock, flags);
}

static void sleep_until(ktime_t t)
{
	set_current_state(TASK_INTERRUPTIBLE);
	if (!kthread_should_stop())
		schedule_hrtimeout_range(&t, 200 * NSEC_PER_USEC,
					 HRTIMER_MODE_ABS);
	__set_current_state(TASK_RUNNING);
}

static int cfe_frame_thread(void *data)
{
	struct cfe_device *cfe = data;
	ktime_t next = ktime_get();

	while (!kthread_should_stop()) {
		struct pifake_link_state ls = { };
		ktime_t now = ktime_get();
		u64 interval;

		if (v4l2_subdev_call(cfe->sensor, core, command,
				     PIFAKE_CMD_LINK_STATE, &ls) ||
		    !ls.transmitting || !ls.frame_ns) {
			/* nothing on the wire: no FS, no FE */
			next = ktime_add_ms(now, 20);
			sleep_until(next);
			continue;
		}
		interval = pifake_frame_interval(ls.frame_ns);
		if (ktime_before(next, ktime_sub_ns(now, interval)))
			next = now;	/* resync after a pause */
		sleep_until(next);
		if (kthread_should_stop())
			break;
		cfe_frame_start(cfe, &ls);
		sleep_until(ktime_add_ns(next, min(ls.active_ns, interval)));
		cfe_frame_end(cfe);
		next = ktime_add_ns(next, interval);
	}
	return 0;
}

/* ----------------------------------------------------------- streaming */

static void cfe_start_channel(struct cfe_node *node)
{
	struct cfe_device *cfe = node->cfe;
	unsigned long flags;

	/* csi2_start_channel: registers only; data comes from the thread */
	spin_lock_irqsave(&cfe->state_lock, flags);
	if (cfe->job_ready && test_all_nodes(cfe, NODE_ENABLED, NODE_STREAMING))
		cfe_prepare_next_job(cfe);
	spin_unlock_irqrestore(&cfe->state_lock, flags);
}

static void cfe_return_buffers(struct cfe_node *node,
			       enum vb2_buffer_state state)
{
	struct cfe_device *cfe = node->cfe;
	struct cfe_buffer *buf, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&cfe->state_lock, flags);
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
	node->frame_open = false;
	spin_unlock_irqrestore(&cfe->state_lock, flags);
}

static int cfe_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
			   unsigned int *nplanes, unsigned int sizes[],
			   struct device *alloc_devs[])
{
	struct cfe_node *node = vb2_get_drv_priv(vq);
	struct cfe_device *cfe = node->cfe;
	unsigned int size = is_image_node(node) ?
			    node->vid_fmt.fmt.pix.sizeimage :
			    node->meta_fmt.fmt.meta.buffersize;

	if (vb2_get_num_buffers(vq) + *nbuffers < 3)
		*nbuffers = 3 - vb2_get_num_buffers(vq);
	if (*nplanes) {
		if (sizes[0] < size) {
			cfe_err("sizes[0] %i < size %u\n", sizes[0], size);
			return -EINVAL;
		}
		size = sizes[0];
	}
	*nplanes = 1;
	sizes[0] = size;
	return 0;
}

static int cfe_buffer_prepare(struct vb2_buffer *vb)
{
	struct cfe_node *node = vb2_get_drv_priv(vb->vb2_queue);
	struct cfe_device *cfe = node->cfe;
	unsigned long size = is_image_node(node) ?
			     node->vid_fmt.fmt.pix.sizeimage :
			     node->meta_fmt.fmt.meta.buffersize;

	if (vb2_plane_size(vb, 0) < size) {
		cfe_err("data will not fit into plane (%lu < %lu)\n",
			vb2_plane_size(vb, 0), size);
		return -EINVAL;
	}
	vb2_set_plane_payload(vb, 0, size);
	return 0;
}

static void cfe_buffer_queue(struct vb2_buffer *vb)
{
	struct cfe_node *node = vb2_get_drv_priv(vb->vb2_queue);
	struct cfe_device *cfe = node->cfe;
	struct cfe_buffer *buf = to_cfe_buffer(vb);
	unsigned long flags;

	spin_lock_irqsave(&cfe->state_lock, flags);
	list_add_tail(&buf->list, &node->dma_queue);
	if (!cfe->job_ready)
		cfe->job_ready = cfe_check_job_ready(cfe);
	if (!cfe->job_queued && cfe->job_ready &&
	    test_all_nodes(cfe, NODE_ENABLED, NODE_STREAMING))
		cfe_prepare_next_job(cfe);
	spin_unlock_irqrestore(&cfe->state_lock, flags);
}

static void cfe_buffer_cleanup(struct vb2_buffer *vb)
{
	pifake_paint_cache_release(&to_cfe_buffer(vb)->paint);
}

/* Walk up from csi2 for a sensor or a LINK_FREQ/PIXEL_RATE control. */
static u64 sensor_link_rate(struct cfe_device *cfe)
{
	struct v4l2_mbus_framefmt *source_fmt;
	struct v4l2_subdev_state *state;
	struct media_entity *entity;
	struct v4l2_subdev *subdev = NULL;
	const struct cfe_fmt *fmt;
	struct media_pad *pad;
	s64 link_freq;

	state = v4l2_subdev_lock_and_get_active_state(&cfe->csi2.sd);
	source_fmt = v4l2_subdev_state_get_format(state, 0);
	fmt = find_format_by_code(source_fmt->code);
	v4l2_subdev_unlock_state(state);

	entity = &cfe->csi2.sd.entity;
	while (1) {
		pad = &entity->pads[0];
		if (!(pad->flags & MEDIA_PAD_FL_SINK))
			goto err;
		pad = media_pad_remote_pad_first(pad);
		if (!pad || !is_media_entity_v4l2_subdev(pad->entity))
			goto err;
		entity = pad->entity;
		subdev = media_entity_to_v4l2_subdev(entity);
		if (entity->function == MEDIA_ENT_F_CAM_SENSOR ||
		    v4l2_ctrl_find(subdev->ctrl_handler, V4L2_CID_LINK_FREQ) ||
		    v4l2_ctrl_find(subdev->ctrl_handler, V4L2_CID_PIXEL_RATE))
			break;
	}
	if (!fmt || !subdev)
		goto err;
	link_freq = v4l2_get_link_freq(subdev->ctrl_handler, fmt->depth,
				       cfe->csi2.active_lanes * 2);
	if (link_freq < 0)
		goto err;
	link_freq *= 2;	/* DDR */
	cfe_info("Using a link rate of %lld Mbps\n", link_freq / 1000000);
	return link_freq;
err:
	cfe_err("Unable to determine sensor link rate, using 999 Mbps\n");
	return 999 * 1000000UL;
}

/* Out of the frame source's sight before its buffers are handed back. */
static void cfe_stop_node(struct cfe_node *node)
{
	struct cfe_device *cfe = node->cfe;
	unsigned long flags;

	mutex_lock(&cfe->paint_lock);
	spin_lock_irqsave(&cfe->state_lock, flags);
	cfe->job_ready = false;
	clear_state(cfe, NODE_STREAMING, node->id);
	spin_unlock_irqrestore(&cfe->state_lock, flags);
	mutex_unlock(&cfe->paint_lock);
}

static int cfe_start_streaming(struct vb2_queue *vq, unsigned int count)
{
	struct v4l2_mbus_config mbus_config = { 0 };
	struct cfe_node *node = vb2_get_drv_priv(vq);
	struct cfe_device *cfe = node->cfe;
	int ret;

	if (!check_state(cfe, NODE_ENABLED, node->id)) {
		cfe_err("%s node link is not enabled.\n",
			node_desc[node->id].name);
		ret = -EINVAL;
		goto err_streaming;
	}
	if (is_fe_enabled(cfe) &&
	    !check_state(cfe, NODE_ENABLED, cfe->node[FE_CONFIG].id)) {
		cfe_err("FE enabled, but FE_CONFIG node is not\n");
		ret = -EINVAL;
		goto err_streaming;
	}
	if (is_fe_node(node)) {
		cfe_err("%s: the PiSP front end is not emulated\n",
			node_desc[node->id].name);
		ret = -EINVAL;
		goto err_streaming;
	}

	ret = media_pipeline_start(&node->pad, &cfe->pipe);
	if (ret < 0) {
		cfe_err("Failed to start media pipeline: %d\n", ret);
		goto err_streaming;
	}

	clear_state(cfe, FS_INT | FE_INT, node->id);
	set_state(cfe, NODE_STREAMING, node->id);
	node->fs_count = 0;
	cfe_start_channel(node);

	if (!test_all_nodes(cfe, NODE_ENABLED, NODE_STREAMING)) {
		cfe_dbg("Not all nodes are set to streaming yet!\n");
		return 0;
	}

	ret = v4l2_subdev_call(cfe->sensor, pad, get_mbus_config, 0,
			       &mbus_config);
	if (ret < 0 && ret != -ENOIOCTLCMD) {
		cfe_err("g_mbus_config failed\n");
		goto err_disable_cfe;
	}
	cfe->csi2.active_lanes = mbus_config.bus.mipi_csi2.num_data_lanes;
	if (!cfe->csi2.active_lanes)
		cfe->csi2.active_lanes = cfe->csi2.max_lanes;
	if (cfe->csi2.active_lanes > cfe->csi2.max_lanes) {
		cfe_err("Device has requested %u data lanes, which is >%u configured in DT\n",
			cfe->csi2.active_lanes, cfe->csi2.max_lanes);
		ret = -EINVAL;
		goto err_disable_cfe;
	}
	cfe_dbg("Configuring CSI-2 block - %u data lanes\n",
		cfe->csi2.active_lanes);
	cfe->csi2.dphy_rate = div_u64(sensor_link_rate(cfe), 1000000);

	ret = v4l2_subdev_call(cfe->sensor, video, s_stream, 1);
	if (ret < 0) {
		cfe_err("stream on failed in subdev\n");
		goto err_disable_cfe;
	}
	if (!cfe->thread) {
		cfe->thread = kthread_run(cfe_frame_thread, cfe, "rp1-cfe-fake");
		if (IS_ERR(cfe->thread)) {
			ret = PTR_ERR(cfe->thread);
			cfe->thread = NULL;
			v4l2_subdev_call(cfe->sensor, video, s_stream, 0);
			goto err_disable_cfe;
		}
	}
	return 0;

err_disable_cfe:
	media_pipeline_stop(&node->pad);
err_streaming:
	cfe_stop_node(node);
	cfe_return_buffers(node, VB2_BUF_STATE_QUEUED);
	return ret;
}

static void cfe_stop_streaming(struct vb2_queue *vq)
{
	struct cfe_node *node = vb2_get_drv_priv(vq);
	struct cfe_device *cfe = node->cfe;

	cfe_stop_node(node);

	if (!test_any_node(cfe, NODE_STREAMING)) {
		if (cfe->thread) {
			kthread_stop(cfe->thread);
			cfe->thread = NULL;
		}
		if (v4l2_subdev_call(cfe->sensor, video, s_stream, 0) < 0)
			cfe_err("stream off failed in subdev\n");
	}
	media_pipeline_stop(&node->pad);
	cfe_return_buffers(node, VB2_BUF_STATE_ERROR);
}

static const struct vb2_ops cfe_video_qops = {
	.queue_setup = cfe_queue_setup,
	.buf_prepare = cfe_buffer_prepare,
	.buf_queue = cfe_buffer_queue,
	.buf_cleanup = cfe_buffer_cleanup,
	.start_streaming = cfe_start_streaming,
	.stop_streaming = cfe_stop_streaming,
};

/* ------------------------------------------------------------- ioctls */

static int cfe_querycap(struct file *file, void *priv,
			struct v4l2_capability *cap)
{
	struct cfe_node *node = video_drvdata(file);

	strscpy(cap->driver, CFE_MODULE_NAME, sizeof(cap->driver));
	strscpy(cap->card, CFE_MODULE_NAME, sizeof(cap->card));
	snprintf(cap->bus_info, sizeof(cap->bus_info), "platform:%s",
		 dev_name(&node->cfe->pdev->dev));
	cap->capabilities |= V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_META_CAPTURE |
			     V4L2_CAP_META_OUTPUT;
	return 0;
}

static int cfe_enum_fmt_vid_cap(struct file *file, void *priv,
				struct v4l2_fmtdesc *f)
{
	struct cfe_node *node = video_drvdata(file);
	const struct cfe_fmt *fmt;
	unsigned int i, j;

	if (!node_supports_image_output(node))
		return -EINVAL;
	for (i = 0, j = 0; (fmt = cfe_format(i)); i++) {
		if (f->mbus_code && fmt->code != f->mbus_code)
			continue;
		if (fmt->flags & (CFE_FORMAT_FLAG_META_OUT |
				  CFE_FORMAT_FLAG_META_CAP))
			continue;
		if (is_fe_node(node) && !(fmt->flags & CFE_FORMAT_FLAG_FE_OUT))
			continue;
		if (j == f->index) {
			f->pixelformat = fmt->fourcc;
			f->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
			return 0;
		}
		j++;
	}
	return -EINVAL;
}

static int cfe_g_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct cfe_node *node = video_drvdata(file);

	if (!node_supports_image(node))
		return -EINVAL;
	*f = node->vid_fmt;
	return 0;
}

static int try_fmt_vid_cap(struct cfe_node *node, struct v4l2_format *f)
{
	const struct cfe_fmt *fmt;

	if (!node_supports_image_output(node))
		return -EINVAL;
	/* Default to a format that works for both CSI2 and FE. */
	fmt = find_format_by_pix(f->fmt.pix.pixelformat);
	if (!fmt)
		fmt = find_format_by_code(MEDIA_BUS_FMT_SBGGR10_1X10);
	f->fmt.pix.pixelformat = fmt->fourcc;
	if (is_fe_node(node) && fmt->remap16) {
		f->fmt.pix.pixelformat = fmt->remap16;
		fmt = find_format_by_pix(f->fmt.pix.pixelformat);
	}
	f->fmt.pix.field = V4L2_FIELD_NONE;
	cfe_calc_format_size_bpl(fmt, f);
	return 0;
}

static int cfe_s_fmt_vid_cap(struct file *file, void *priv,
			     struct v4l2_format *f)
{
	struct cfe_node *node = video_drvdata(file);
	int ret;

	if (vb2_is_busy(&node->buffer_queue))
		return -EBUSY;
	ret = try_fmt_vid_cap(node, f);
	if (ret)
		return ret;
	node->vid_fmt = *f;
	return 0;
}

static int cfe_try_fmt_vid_cap(struct file *file, void *priv,
			       struct v4l2_format *f)
{
	return try_fmt_vid_cap(video_drvdata(file), f);
}

static int cfe_enum_fmt_meta(struct file *file, void *priv,
			     struct v4l2_fmtdesc *f)
{
	struct cfe_node *node = video_drvdata(file);

	if (!node_supports_meta(node) || f->index != 0)
		return -EINVAL;
	switch (node->id) {
	case CSI2_CH0 ... CSI2_CH3:
		f->pixelformat = V4L2_META_FMT_SENSOR_DATA;
		return 0;
	case FE_STATS:
		f->pixelformat = V4L2_META_FMT_RPI_FE_STATS;
		return 0;
	case FE_CONFIG:
		f->pixelformat = V4L2_META_FMT_RPI_FE_CFG;
		return 0;
	}
	return -EINVAL;
}

static int try_fmt_meta(struct cfe_node *node, struct v4l2_format *f)
{
	if (!node_supports_meta(node))
		return -EINVAL;
	switch (node->id) {
	case CSI2_CH0 ... CSI2_CH3:
		f->fmt.meta.dataformat = V4L2_META_FMT_SENSOR_DATA;
		if (!f->fmt.meta.buffersize)
			f->fmt.meta.buffersize = DEFAULT_EMBEDDED_SIZE;
		f->fmt.meta.buffersize = min_t(u32, f->fmt.meta.buffersize,
					       MAX_BUFFER_SIZE);
		f->fmt.meta.buffersize = ALIGN(f->fmt.meta.buffersize,
					       BPL_ALIGNMENT);
		return 0;
	case FE_STATS:
		f->fmt.meta.dataformat = V4L2_META_FMT_RPI_FE_STATS;
		f->fmt.meta.buffersize = FE_STATS_SIZE;
		return 0;
	case FE_CONFIG:
		f->fmt.meta.dataformat = V4L2_META_FMT_RPI_FE_CFG;
		f->fmt.meta.buffersize = FE_CONFIG_SIZE;
		return 0;
	}
	return -EINVAL;
}

static int cfe_g_fmt_meta(struct file *file, void *priv, struct v4l2_format *f)
{
	struct cfe_node *node = video_drvdata(file);

	if (!node_supports_meta(node))
		return -EINVAL;
	*f = node->meta_fmt;
	return 0;
}

static int cfe_s_fmt_meta(struct file *file, void *priv, struct v4l2_format *f)
{
	struct cfe_node *node = video_drvdata(file);
	int ret;

	if (vb2_is_busy(&node->buffer_queue))
		return -EBUSY;
	ret = try_fmt_meta(node, f);
	if (ret)
		return ret;
	node->meta_fmt = *f;
	return 0;
}

static int cfe_try_fmt_meta(struct file *file, void *priv,
			    struct v4l2_format *f)
{
	return try_fmt_meta(video_drvdata(file), f);
}

static int cfe_enum_framesizes(struct file *file, void *priv,
			       struct v4l2_frmsizeenum *fsize)
{
	if (fsize->index > 0 || !find_format_by_pix(fsize->pixel_format))
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fsize->stepwise.min_width = MIN_WIDTH;
	fsize->stepwise.max_width = MAX_WIDTH;
	fsize->stepwise.step_width = 2;
	fsize->stepwise.min_height = MIN_HEIGHT;
	fsize->stepwise.max_height = MAX_HEIGHT;
	fsize->stepwise.step_height = 1;
	return 0;
}

static int cfe_vb2_ioctl_reqbufs(struct file *file, void *priv,
				 struct v4l2_requestbuffers *p)
{
	struct video_device *vdev = video_devdata(file);
	int ret;

	if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE &&
	    p->type != V4L2_BUF_TYPE_META_CAPTURE &&
	    p->type != V4L2_BUF_TYPE_META_OUTPUT)
		return -EINVAL;
	ret = vb2_queue_change_type(vdev->queue, p->type);
	if (ret)
		return ret;
	return vb2_ioctl_reqbufs(file, priv, p);
}

static int cfe_vb2_ioctl_create_bufs(struct file *file, void *priv,
				     struct v4l2_create_buffers *p)
{
	struct video_device *vdev = video_devdata(file);
	int ret;

	if (p->format.type != V4L2_BUF_TYPE_VIDEO_CAPTURE &&
	    p->format.type != V4L2_BUF_TYPE_META_CAPTURE &&
	    p->format.type != V4L2_BUF_TYPE_META_OUTPUT)
		return -EINVAL;
	ret = vb2_queue_change_type(vdev->queue, p->format.type);
	if (ret)
		return ret;
	return vb2_ioctl_create_bufs(file, priv, p);
}

static int cfe_subscribe_event(struct v4l2_fh *fh,
			       const struct v4l2_event_subscription *sub)
{
	struct cfe_node *node = video_get_drvdata(fh->vdev);

	switch (sub->type) {
	case V4L2_EVENT_FRAME_SYNC:
		if (!node_supports_image_output(node))
			break;
		return v4l2_event_subscribe(fh, sub, 2, NULL);
	case V4L2_EVENT_SOURCE_CHANGE:
		if (!node_supports_image_output(node) &&
		    !node_supports_meta_output(node))
			break;
		return v4l2_event_subscribe(fh, sub, 4, NULL);
	}
	return v4l2_ctrl_subscribe_event(fh, sub);
}

static const struct v4l2_ioctl_ops cfe_ioctl_ops = {
	.vidioc_querycap = cfe_querycap,
	.vidioc_enum_fmt_vid_cap = cfe_enum_fmt_vid_cap,
	.vidioc_g_fmt_vid_cap = cfe_g_fmt,
	.vidioc_s_fmt_vid_cap = cfe_s_fmt_vid_cap,
	.vidioc_try_fmt_vid_cap = cfe_try_fmt_vid_cap,
	.vidioc_enum_fmt_meta_cap = cfe_enum_fmt_meta,
	.vidioc_g_fmt_meta_cap = cfe_g_fmt_meta,
	.vidioc_s_fmt_meta_cap = cfe_s_fmt_meta,
	.vidioc_try_fmt_meta_cap = cfe_try_fmt_meta,
	.vidioc_enum_fmt_meta_out = cfe_enum_fmt_meta,
	.vidioc_g_fmt_meta_out = cfe_g_fmt_meta,
	.vidioc_s_fmt_meta_out = cfe_s_fmt_meta,
	.vidioc_try_fmt_meta_out = cfe_try_fmt_meta,
	.vidioc_enum_framesizes = cfe_enum_framesizes,
	.vidioc_reqbufs = cfe_vb2_ioctl_reqbufs,
	.vidioc_create_bufs = cfe_vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,
	.vidioc_subscribe_event = cfe_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

/*
 * As the driver: the test is inverted, so registered nodes are skipped
 * and a bridge's SOURCE_CHANGE reaches no video node.  (A node that was
 * never registered is skipped too: the driver would walk an
 * uninitialised list there.)
 */
static void cfe_notify(struct v4l2_subdev *sd, unsigned int notification,
		       void *arg)
{
	struct cfe_device *cfe = to_cfe_device(sd->v4l2_dev);
	unsigned int i;

	if (notification != V4L2_DEVICE_NOTIFY_EVENT)
		return;
	for (i = 0; i < NUM_NODES; i++) {
		struct cfe_node *node = &cfe->node[i];

		if (check_state(cfe, NODE_REGISTERED, i))
			continue;
		if (!node->video_dev.v4l2_dev)
			continue;
		v4l2_event_queue(&node->video_dev, arg);
	}
}

static const struct v4l2_file_operations cfe_fops = {
	.owner = THIS_MODULE,
	.open = v4l2_fh_open,
	.release = vb2_fop_release,
	.poll = vb2_fop_poll,
	.unlocked_ioctl = video_ioctl2,
	.mmap = vb2_fop_mmap,
};

/* ------------------------------------------------------ link validation */

static int cfe_video_link_validate(struct cfe_node *node,
				   struct v4l2_mbus_framefmt *remote_fmt)
{
	struct cfe_device *cfe = node->cfe;

	if (!remote_fmt)
		return -EINVAL;
	if (is_image_output_node(node)) {
		struct v4l2_pix_format *pix_fmt = &node->vid_fmt.fmt.pix;
		const struct cfe_fmt *fmt;

		if (remote_fmt->width != pix_fmt->width ||
		    remote_fmt->height != pix_fmt->height) {
			cfe_err("Wrong width or height %ux%u (remote pad set to %ux%u)\n",
				pix_fmt->width, pix_fmt->height,
				remote_fmt->width, remote_fmt->height);
			return -EINVAL;
		}
		fmt = find_format_by_code(remote_fmt->code);
		if (!fmt) {
			cfe_err("Format not found. %08x %p4cc\n",
				remote_fmt->code, &pix_fmt->pixelformat);
			return -EINVAL;
		}
		if (fmt->fourcc != pix_fmt->pixelformat &&
		    fmt->remap16 != pix_fmt->pixelformat) {
			if ((pix_fmt->pixelformat == V4L2_PIX_FMT_BGR24 &&
			     remote_fmt->code == MEDIA_BUS_FMT_BGR888_1X24) ||
			    (pix_fmt->pixelformat == V4L2_PIX_FMT_RGB24 &&
			     remote_fmt->code == MEDIA_BUS_FMT_RGB888_1X24)) {
				dev_warn_once(&cfe->pdev->dev,
					      "Incorrect pixel format %p4cc for 0x%04x. Fix your application to use %p4cc.\n",
					      &pix_fmt->pixelformat,
					      remote_fmt->code, &fmt->fourcc);
			} else {
				cfe_err("Format mismatch! Code %u fourcc %p4cc\n",
					remote_fmt->code, &pix_fmt->pixelformat);
				return -EINVAL;
			}
		}
	} else if (is_csi2_node(node) && is_meta_output_node(node)) {
		struct v4l2_meta_format *meta_fmt = &node->meta_fmt.fmt.meta;
		const struct cfe_fmt *fmt = find_format_by_code(remote_fmt->code);
		u32 remote_size;

		if (!fmt || fmt->fourcc != meta_fmt->dataformat) {
			cfe_err("Metadata format mismatch!\n");
			return -EINVAL;
		}
		remote_size = DIV_ROUND_UP(remote_fmt->width *
					   remote_fmt->height * fmt->depth, 8);
		if (remote_fmt->code != MEDIA_BUS_FMT_SENSOR_DATA) {
			cfe_err("Bad metadata mbus format\n");
			return -EINVAL;
		}
		if (remote_size > meta_fmt->buffersize) {
			cfe_err("Metadata buffer too small: %u < %u\n",
				meta_fmt->buffersize, remote_size);
			return -EINVAL;
		}
	}
	return 0;
}

static int cfe_link_validate_common(struct media_link *link,
				    struct media_entity *video_entity,
				    struct media_pad *remote)
{
	struct video_device *vd = container_of(video_entity,
					       struct video_device, entity);
	struct cfe_node *node = container_of(vd, struct cfe_node, video_dev);
	struct cfe_device *cfe = node->cfe;
	struct v4l2_subdev_state *state;
	struct v4l2_subdev *sd;
	int ret;

	if (!media_entity_remote_source_pad_unique(link->sink->entity)) {
		cfe_err("video node %s pad not connected\n", vd->name);
		return -ENOTCONN;
	}
	sd = media_entity_to_v4l2_subdev(remote->entity);
	state = v4l2_subdev_lock_and_get_active_state(sd);
	ret = cfe_video_link_validate(node,
			v4l2_subdev_state_get_format(state, remote->index));
	v4l2_subdev_unlock_state(state);
	return ret;
}

static int cfe_video_link_validate_capture(struct media_link *link)
{
	return cfe_link_validate_common(link, link->sink->entity, link->source);
}

static int cfe_video_link_validate_output(struct media_link *link)
{
	return cfe_link_validate_common(link, link->source->entity, link->sink);
}

static const struct media_entity_operations cfe_media_entity_ops_output = {
	.link_validate = cfe_video_link_validate_output,
};

static const struct media_entity_operations cfe_media_entity_ops_capture = {
	.link_validate = cfe_video_link_validate_capture,
};

static int cfe_video_link_notify(struct media_link *link, u32 flags,
				 unsigned int notification)
{
	struct media_device *mdev = link->graph_obj.mdev;
	struct cfe_device *cfe = container_of(mdev, struct cfe_device, mdev);
	unsigned long lock_flags;
	unsigned int i;

	if (notification != MEDIA_DEV_NOTIFY_POST_LINK_CH)
		return 0;

	spin_lock_irqsave(&cfe->state_lock, lock_flags);
	for (i = 0; i < NUM_NODES; i++) {
		if (link->sink->entity != &cfe->node[i].video_dev.entity &&
		    link->source->entity != &cfe->node[i].video_dev.entity)
			continue;
		if (link->flags & MEDIA_LNK_FL_ENABLED)
			set_state(cfe, NODE_ENABLED, i);
		else
			clear_state(cfe, NODE_ENABLED, i);
		break;
	}
	spin_unlock_irqrestore(&cfe->state_lock, lock_flags);

	if (link->source->entity != &cfe->csi2.sd.entity ||
	    link->sink->entity != &cfe->fe.sd.entity ||
	    link->sink->index != 0)
		return 0;
	cfe->fe_csi2_channel = -1;
	if (link->flags & MEDIA_LNK_FL_ENABLED) {
		for (i = CSI2_CH0; i <= CSI2_CH3; i++)
			if (link->source->index == node_desc[i].link_pad)
				cfe->fe_csi2_channel = i;
	}
	return 0;
}

static const struct media_device_ops cfe_media_device_ops = {
	.link_notify = cfe_video_link_notify,
};

/* ------------------------------------------------------- registration */

static void cfe_release(struct kref *kref)
{
	struct cfe_device *cfe = container_of(kref, struct cfe_device, kref);

	media_device_cleanup(&cfe->mdev);
	mutex_destroy(&cfe->paint_lock);
	kfree(cfe);
}

static void cfe_put(struct cfe_device *cfe)
{
	kref_put(&cfe->kref, cfe_release);
}

static void cfe_node_release(struct video_device *vdev)
{
	struct cfe_node *node = video_get_drvdata(vdev);

	cfe_put(node->cfe);
}

static int cfe_register_node(struct cfe_device *cfe, int id)
{
	struct cfe_node *node = &cfe->node[id];
	struct video_device *vdev;
	struct vb2_queue *q;
	int ret;

	memset(&node->video_dev, 0, sizeof(node->video_dev));
	node->cfe = cfe;
	node->id = id;

	if (node_supports_image(node)) {
		const struct cfe_fmt *fmt =
			find_format_by_code(cfe_default_format.code);

		node->vid_fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		node->vid_fmt.fmt.pix.pixelformat = fmt->fourcc;
		v4l2_fill_pix_format(&node->vid_fmt.fmt.pix,
				     &cfe_default_format);
		ret = try_fmt_vid_cap(node, &node->vid_fmt);
		if (ret)
			return ret;
	}
	if (node_supports_meta(node)) {
		node->meta_fmt.type = node_supports_meta_output(node) ?
				      V4L2_BUF_TYPE_META_CAPTURE :
				      V4L2_BUF_TYPE_META_OUTPUT;
		ret = try_fmt_meta(node, &node->meta_fmt);
		if (ret)
			return ret;
	}

	mutex_init(&node->lock);
	q = &node->buffer_queue;
	q->type = node_supports_image(node) ? node->vid_fmt.type :
					      node->meta_fmt.type;
	q->io_modes = VB2_MMAP | VB2_DMABUF;
	q->drv_priv = node;
	q->ops = &cfe_video_qops;
	q->mem_ops = &vb2_dma_contig_memops;
	q->buf_struct_size = sizeof(struct cfe_buffer);
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	q->lock = &node->lock;
	q->min_queued_buffers = 1;
	q->dev = &cfe->pdev->dev;
	ret = vb2_queue_init(q);
	if (ret) {
		cfe_err("vb2_queue_init() failed\n");
		return ret;
	}
	INIT_LIST_HEAD(&node->dma_queue);

	vdev = &node->video_dev;
	vdev->release = cfe_node_release;
	vdev->fops = &cfe_fops;
	vdev->ioctl_ops = &cfe_ioctl_ops;
	vdev->v4l2_dev = &cfe->v4l2_dev;
	if (node_supports_image_output(node) || node_supports_meta_output(node)) {
		vdev->entity.ops = &cfe_media_entity_ops_capture;
		vdev->vfl_dir = VFL_DIR_RX;
	} else {
		vdev->entity.ops = &cfe_media_entity_ops_output;
		vdev->vfl_dir = VFL_DIR_TX;
	}
	vdev->queue = q;
	vdev->lock = &node->lock;
	vdev->device_caps = node_desc[id].caps | V4L2_CAP_STREAMING |
			    V4L2_CAP_IO_MC;
	snprintf(vdev->name, sizeof(vdev->name), "%s-%s", CFE_MODULE_NAME,
		 node_desc[id].name);
	video_set_drvdata(vdev, node);
	if (node->id == FE_OUT0)
		vdev->entity.flags |= MEDIA_ENT_FL_DEFAULT;
	node->pad.flags = node_desc[id].pad_flags;
	media_entity_pads_init(&vdev->entity, 1, &node->pad);
	if (!node_supports_image(node)) {
		v4l2_disable_ioctl(vdev, VIDIOC_ENUM_FRAMEINTERVALS);
		v4l2_disable_ioctl(vdev, VIDIOC_ENUM_FRAMESIZES);
	}

	ret = video_register_device(vdev, VFL_TYPE_VIDEO, -1);
	if (ret) {
		cfe_err("Unable to register video device %s\n", vdev->name);
		return ret;
	}
	cfe_info("Registered [%s] node id %d successfully as /dev/video%u\n",
		 vdev->name, id, vdev->num);
	kref_get(&cfe->kref);
	set_state(cfe, NODE_REGISTERED, id);
	return 0;
}

static void cfe_unregister_nodes(struct cfe_device *cfe)
{
	unsigned int i;

	for (i = 0; i < NUM_NODES; i++) {
		struct cfe_node *node = &cfe->node[i];

		if (check_state(cfe, NODE_REGISTERED, i)) {
			clear_state(cfe, NODE_REGISTERED, i);
			video_unregister_device(&node->video_dev);
			vb2_queue_release(&node->buffer_queue);
		}
	}
}

static int cfe_link_node_pads(struct cfe_device *cfe)
{
	unsigned int i, source_pad = 0;
	int ret;

	for (i = 0; i < CSI2_NUM_CHANNELS; i++) {
		struct cfe_node *node = &cfe->node[i];

		if (!check_state(cfe, NODE_REGISTERED, i))
			continue;
		/* Find the sensor's next source pad */
		while (source_pad < cfe->sensor->entity.num_pads &&
		       !(cfe->sensor->entity.pads[source_pad].flags &
			 MEDIA_PAD_FL_SOURCE))
			source_pad++;
		if (source_pad < cfe->sensor->entity.num_pads && !fault_no_bridge_link) {
			ret = media_create_pad_link(&cfe->sensor->entity,
						    source_pad,
						    &cfe->csi2.sd.entity, i,
						    MEDIA_LNK_FL_IMMUTABLE |
						    MEDIA_LNK_FL_ENABLED);
			if (ret)
				return ret;
			source_pad++;
		}
		ret = media_create_pad_link(&cfe->csi2.sd.entity,
					    node_desc[i].link_pad,
					    &node->video_dev.entity, 0, 0);
		if (ret)
			return ret;
		if (node_supports_image(node)) {
			ret = media_create_pad_link(&cfe->csi2.sd.entity,
						    node_desc[i].link_pad,
						    &cfe->fe.sd.entity,
						    FE_STREAM_PAD, 0);
			if (ret)
				return ret;
		}
	}
	for (; i < NUM_NODES; i++) {
		struct cfe_node *node = &cfe->node[i];

		if (node_desc[i].pad_flags & MEDIA_PAD_FL_SINK)
			ret = media_create_pad_link(&cfe->fe.sd.entity,
						    node_desc[i].link_pad,
						    &node->video_dev.entity, 0,
						    0);
		else
			ret = media_create_pad_link(&node->video_dev.entity, 0,
						    &cfe->fe.sd.entity,
						    node_desc[i].link_pad, 0);
		if (ret)
			return ret;
	}
	return 0;
}

static int cfe_async_bound(struct v4l2_async_notifier *notifier,
			   struct v4l2_subdev *subdev,
			   struct v4l2_async_connection *asd)
{
	struct cfe_device *cfe = to_cfe_device(notifier->v4l2_dev);

	if (cfe->sensor) {
		cfe_info("Rejecting subdev %s (Already set!!)", subdev->name);
		return 0;
	}
	cfe->sensor = subdev;
	cfe_info("Using sensor %s for capture\n", subdev->name);
	return 0;
}

static void cfe_async_unbind(struct v4l2_async_notifier *notifier,
			     struct v4l2_subdev *subdev,
			     struct v4l2_async_connection *asd)
{
	struct cfe_device *cfe = to_cfe_device(notifier->v4l2_dev);

	if (cfe->sensor != subdev)
		return;
	cfe_unregister_nodes(cfe);
	media_entity_remove_links(&cfe->csi2.sd.entity);
	media_entity_remove_links(&cfe->fe.sd.entity);
	cfe->sensor = NULL;
}

static int cfe_async_complete(struct v4l2_async_notifier *notifier)
{
	struct cfe_device *cfe = to_cfe_device(notifier->v4l2_dev);
	unsigned int i;
	int ret;

	cfe->v4l2_dev.notify = cfe_notify;
	for (i = 0; i < NUM_NODES; i++) {
		ret = cfe_register_node(cfe, i);
		if (ret) {
			cfe_err("Unable to register video node %u.\n", i);
			goto unregister;
		}
	}
	ret = cfe_link_node_pads(cfe);
	if (ret) {
		cfe_err("Unable to link node pads.\n");
		goto unregister;
	}
	ret = v4l2_device_register_subdev_nodes(&cfe->v4l2_dev);
	if (ret) {
		cfe_err("Unable to register subdev nodes.\n");
		goto unregister;
	}
	return 0;

unregister:
	cfe_unregister_nodes(cfe);
	return ret;
}

static const struct v4l2_async_notifier_operations cfe_async_ops = {
	.bound = cfe_async_bound,
	.unbind = cfe_async_unbind,
	.complete = cfe_async_complete,
};

static int cfe_connect_subdevs(struct cfe_device *cfe)
{
	struct v4l2_fwnode_endpoint ep = { .bus_type = V4L2_MBUS_CSI2_DPHY };
	struct fwnode_handle *ep_node, *sensor_node = NULL;
	unsigned int lane;
	int ret = -EINVAL;

	ep_node = fwnode_graph_get_next_endpoint(dev_fwnode(&cfe->pdev->dev),
						 NULL);
	if (!ep_node) {
		cfe_err("can't get next endpoint\n");
		return -EINVAL;
	}
	sensor_node = fwnode_graph_get_remote_port_parent(ep_node);
	if (!sensor_node) {
		cfe_err("can't get remote parent\n");
		goto cleanup_exit;
	}
	cfe_info("found subdevice %pfw\n", sensor_node);

	ret = v4l2_fwnode_endpoint_parse(ep_node, &ep);
	if (ret || ep.bus_type != V4L2_MBUS_CSI2_DPHY) {
		cfe_err("endpoint node type != CSI2\n");
		ret = -EINVAL;
		goto cleanup_exit;
	}
	cfe->csi2.multipacket_line =
		fwnode_property_present(ep_node, "multipacket-line");
	for (lane = 0; lane < ep.bus.mipi_csi2.num_data_lanes; lane++) {
		if (ep.bus.mipi_csi2.data_lanes[lane] != lane + 1) {
			cfe_err("subdevice %pfw: data lanes reordering not supported\n",
				sensor_node);
			ret = -EINVAL;
			goto cleanup_exit;
		}
	}
	cfe->csi2.max_lanes = ep.bus.mipi_csi2.num_data_lanes;
	cfe->csi2.bus_flags = ep.bus.mipi_csi2.flags;
	cfe_dbg("subdevice %pfw: %u data lanes, flags=0x%08x, multipacket_line=%u\n",
		sensor_node, cfe->csi2.max_lanes, cfe->csi2.bus_flags,
		cfe->csi2.multipacket_line);

	v4l2_async_nf_init(&cfe->notifier, &cfe->v4l2_dev);
	cfe->notifier.ops = &cfe_async_ops;
	cfe->asd = v4l2_async_nf_add_fwnode(&cfe->notifier, sensor_node,
					    struct v4l2_async_connection);
	if (IS_ERR(cfe->asd)) {
		ret = PTR_ERR(cfe->asd);
		cfe_err("Error adding subdevice: %d\n", ret);
		goto cleanup_exit;
	}
	ret = v4l2_async_nf_register(&cfe->notifier);
	if (ret) {
		cfe_err("Error registering async notifier: %d\n", ret);
		v4l2_async_nf_cleanup(&cfe->notifier);
		ret = -EINVAL;
	}
cleanup_exit:
	fwnode_handle_put(sensor_node);
	fwnode_handle_put(ep_node);
	return ret;
}

static int cfe_probe(struct platform_device *pdev)
{
	struct cfe_device *cfe;
	char debugfs_name[32];
	int ret;

	cfe = kzalloc(sizeof(*cfe), GFP_KERNEL);
	if (!cfe)
		return -ENOMEM;
	platform_set_drvdata(pdev, cfe);
	kref_init(&cfe->kref);
	cfe->pdev = pdev;
	cfe->fe_csi2_channel = -1;
	spin_lock_init(&cfe->state_lock);
	mutex_init(&cfe->paint_lock);

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret) {
		dev_err(&pdev->dev, "DMA enable failed\n");
		goto err_cfe_put;
	}

	cfe->mdev.dev = &pdev->dev;
	cfe->mdev.ops = &cfe_media_device_ops;
	strscpy(cfe->mdev.model, CFE_MODULE_NAME, sizeof(cfe->mdev.model));
	strscpy(cfe->mdev.serial, "", sizeof(cfe->mdev.serial));
	snprintf(cfe->mdev.bus_info, sizeof(cfe->mdev.bus_info), "platform:%s",
		 dev_name(&pdev->dev));
	media_device_init(&cfe->mdev);
	cfe->v4l2_dev.mdev = &cfe->mdev;
	ret = v4l2_device_register(&pdev->dev, &cfe->v4l2_dev);
	if (ret) {
		cfe_err("Unable to register v4l2 device.\n");
		goto err_cfe_put;
	}

	snprintf(debugfs_name, sizeof(debugfs_name), "rp1-cfe:%s",
		 dev_name(&pdev->dev));
	cfe->debugfs = debugfs_create_dir(debugfs_name, NULL);
	debugfs_create_file("format", 0444, cfe->debugfs, cfe, &format_fops);

	cfe->csi2.v4l2_dev = &cfe->v4l2_dev;
	ret = csi2_init(&cfe->csi2);
	if (ret) {
		cfe_err("Failed to init csi2 (%d)\n", ret);
		goto err_debugfs;
	}
	cfe->fe.v4l2_dev = &cfe->v4l2_dev;
	ret = pisp_fe_init(&cfe->fe);
	if (ret) {
		cfe_err("Failed to init pisp fe (%d)\n", ret);
		goto err_csi2_uninit;
	}
	cfe->mdev.hw_revision = cfe->fe.hw_revision;
	ret = media_device_register(&cfe->mdev);
	if (ret < 0) {
		cfe_err("Unable to register media-controller device.\n");
		goto err_pisp_fe_uninit;
	}
	ret = cfe_connect_subdevs(cfe);
	if (ret) {
		cfe_err("Failed to connect subdevs\n");
		goto err_media_unregister;
	}
	return 0;

err_media_unregister:
	media_device_unregister(&cfe->mdev);
err_pisp_fe_uninit:
	pisp_fe_uninit(&cfe->fe);
err_csi2_uninit:
	csi2_uninit(&cfe->csi2);
err_debugfs:
	debugfs_remove(cfe->debugfs);
	v4l2_device_unregister(&cfe->v4l2_dev);
err_cfe_put:
	cfe_put(cfe);
	return ret;
}

static void cfe_remove(struct platform_device *pdev)
{
	struct cfe_device *cfe = platform_get_drvdata(pdev);

	debugfs_remove(cfe->debugfs);
	v4l2_async_nf_unregister(&cfe->notifier);
	v4l2_async_nf_cleanup(&cfe->notifier);
	media_device_unregister(&cfe->mdev);
	cfe_unregister_nodes(cfe);
	pisp_fe_uninit(&cfe->fe);
	csi2_uninit(&cfe->csi2);
	v4l2_device_unregister(&cfe->v4l2_dev);
	cfe_put(cfe);
}

static const struct platform_device_id cfe_ids[] = {
	{ "1f00110000.csi" },	/* RP1 csi0, CAM0 */
	{ "1f00128000.csi" },	/* RP1 csi1, CAM1 */
	{ }
};
MODULE_DEVICE_TABLE(platform, cfe_ids);

static struct platform_driver cfe_driver = {
	.probe = cfe_probe,
	.remove = cfe_remove,
	.id_table = cfe_ids,
	.driver = {
		.name = CFE_MODULE_NAME,
	},
};

module_platform_driver(cfe_driver);

MODULE_DESCRIPTION("RP1 Camera Front End stand-in for tests");
MODULE_LICENSE("GPL");
