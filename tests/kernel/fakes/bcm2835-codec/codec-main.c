// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stand-in for the Raspberry Pi 4 stateful H.264 encoder node of
 * bcm2835-codec (/dev/video11) for VMs without a VideoCore: the same V4L2
 * behaviour, with a VPU replaced by a lossless H.264 writer in the kernel.
 *
 * Written from the reading of the real driver, not copied from it:
 * raspberrypi/linux drivers/staging/vc04_services/bcm2835-codec/
 * bcm2835-v4l2-codec.c, blob of commit 00d3b7dc (rpi-6.6.y era, after
 * "Disable HEADER_ON_OPEN for video encode", PR #6253 of July 2024), and
 * the MMAL firmware behaviour described by its maintainers in
 * raspberrypi/firmware issues #1612 and #1885.
 *
 * Reproduced (ENCODE role only):
 *  - A platform device "bcm2835-codec" whose probe registers one media
 *    device (model and driver "bcm2835-codec", serial "0000", bus_info
 *    "platform:bcm2835-codec", hw revision 1) and the encoder video node
 *    at number encode_video_nr (default 11, the next free one when taken),
 *    named "bcm2835-codec-encode"; the m2m media entities
 *    "bcm2835-codec-encode-source/-proc/-sink", function PROC_VIDEO_ENCODER.
 *  - QUERYCAP: driver "bcm2835-codec", card "bcm2835-codec-encode",
 *    bus_info "platform:bcm2835-codec", device caps VIDEO_M2M_MPLANE |
 *    STREAMING (multi-planar API only; single-planar types get EINVAL).
 *    DECODER_CMD and TRY_DECODER_CMD are disabled (ENOTTY).
 *  - Formats.  CAPTURE: H264 (COMPRESSED).  OUTPUT, one plane each:
 *    YU12 YV12 (bytesperline aligned to 64), NV12 NV21 (32), RGBP (2 bytes
 *    per pixel, 32), YUYV UYVY YVYU VYUY (2 bytes per pixel, 64), NC12
 *    (column height in lines = height * 3 / 2, aligned to 32), RGB3 BGR3
 *    (3 bytes per pixel, 32), BGR4 AB24 (4 bytes per pixel, 64).  A larger
 *    bytesperline given by the application is kept (rounded up to the
 *    alignment).  The height is not aligned for the encoder (only the
 *    decoder and the JPEG encoder align it to 16).  sizeimage of raw
 *    formats = bytesperline * height * 3 / 2 (4:2:0) or * 1 (others),
 *    NC12 = ALIGN(width, 128) * bytesperline; always the driver's.  H264:
 *    bytesperline 0, sizeimage 512 KiB up to 1280x720 pixels, 768 KiB
 *    above, or the application's value when it is larger.  Sizes are
 *    clamped to 32x32 .. 1920x1920 (raw) and to 1920x1920 (H264);
 *    ENUM_FRAMESIZES: stepwise 32x32 .. 1920x1920, step 2.  Unknown
 *    fourccs fall back to the first of the list.  Defaults after open:
 *    OUTPUT YU12 32x32 (bytesperline 64, sizeimage 3072), CAPTURE H264
 *    32x32 (sizeimage 524288), colorspace REC709.  One set of colorimetry
 *    fields is shared by both queues: each S_FMT stores the format's
 *    colorspace, xfer_func, ycbcr_enc and quantization (TRY/S_FMT on
 *    OUTPUT replace colorspace 0 with the current one) and G_FMT returns
 *    them on both queues.  S_FMT on a queue with buffers: EBUSY.  G_FMT
 *    width is the crop width.
 *  - Selection (OUTPUT only, CAPTURE EINVAL): CROP_DEFAULT and CROP_BOUNDS
 *    are (0, 0, bytesperline, height) (bytesperline as the width, as the
 *    driver does), CROP is the crop rectangle; S_SELECTION takes CROP only,
 *    from (0, 0), shrunk to the current size.  S_FMT sets the crop to the
 *    format's size (its height as the application asked it, before
 *    clamping) unless a crop was selected.  G_PIXELASPECT: not supported.
 *  - S_PARM/G_PARM on OUTPUT_MPLANE only (EINVAL otherwise, and for a zero
 *    numerator or denominator), capability TIMEPERFRAME, default 1/30.
 *  - Controls, ranges and defaults of the driver: video_bitrate_mode
 *    (VBR default, CBR), video_bitrate 25000..25000000 step 25000 default
 *    10000000, sequence_header_mode (separate buffer, joined with 1st frame
 *    default), repeat_sequence_header 0..1 default 0, h264_i_frame_period
 *    0..2^31-1 default 60 (writing it also sets video_gop_size),
 *    h264_level 1.0..5.1 default 4.0, h264_profile Baseline, Constrained
 *    Baseline, Main, High (Extended skipped) default High, h264_minimum_qp
 *    0..51 default 20, h264_maximum_qp 0..51 default 51, force_key_frame
 *    (button), video_b_frames 0..0, video_gop_size 0..2^31-1 default 60.
 *    Values are handed to the "VPU" when the first REQBUFS/CREATE_BUFS
 *    creates the component, by a control handler setup that runs every
 *    control again (so h264_i_frame_period overwrites video_gop_size
 *    then); force_key_frame before that is lost.
 *  - Events: EOS (2 deep), SOURCE_CHANGE (never raised by the encoder),
 *    control events.
 *  - vb2: both queues MMAP and DMABUF, TIMESTAMP_COPY, one mutex for the
 *    whole device.  queue_setup asks for at least one buffer; a plane
 *    smaller than the queue's sizeimage is refused (EINVAL at QBUF; a
 *    DMA-BUF plane length larger than the DMA-BUF is EFAULT from vb2).
 *    STREAMOFF hands queued buffers back in the QUEUED state.
 *  - Encoding: the CAPTURE timestamp is the OUTPUT one truncated to
 *    microseconds (MMAL keeps microseconds); KEYFRAME on IDR buffers, no
 *    PFRAME flag; sequence numbers are not set (0), field NONE.  The first
 *    frame after STREAMON of OUTPUT (and after an EOS, or a crop change) is
 *    an IDR preceded by SPS and PPS (in a buffer of their own before it,
 *    timestamp 0, when sequence_header_mode is "separate buffer": MMAL's
 *    unknown time, 2^63 us, is 0 once the driver multiplies it by 1000;
 *    uStreamer matches CAPTURE to OUTPUT by timestamp for that reason);
 *    later IDRs carry SPS and PPS when repeat_sequence_header is 1.  IDR
 *    every video_gop_size frames (0: only the first, 1: all) and on
 *    force_key_frame.  SPS timing info from the frame rate (the driver
 *    enables MMAL_PARAMETER_VIDEO_ENCODE_SPS_TIMING): num_units_in_tick =
 *    timeperframe numerator, time_scale = 2 x its denominator, fixed frame
 *    rate; the rest of the VUI (signal type, bitstream restriction with no
 *    reordering) is this stand-in's choice.  A frame larger than
 *    the CAPTURE buffer continues in the next buffers (same timestamp and
 *    flags), as MINIMISE_FRAGMENTATION does "unless the frame is bigger
 *    than the whole buffer".
 *  - ENCODER_CMD: STOP and START accepted with any flags, others EINVAL.
 *    STOP once the OUTPUT queue streams: after the frames queued before it,
 *    the next CAPTURE buffer comes back empty with V4L2_BUF_FLAG_LAST (then
 *    DQBUF gives EPIPE until CAPTURE is streamed off) and V4L2_EVENT_EOS is
 *    queued; START does nothing.  The stream after it starts with an IDR.
 *  - An OUTPUT buffer queued with V4L2_BUF_FLAG_LAST is encoded and ends the
 *    stream as STOP does (MMAL EOS flag).
 *
 * The "VPU" of this stand-in: each OUTPUT frame is converted to 4:2:0
 * (codec-convert.c: exact rules for 4:2:2 and RGB input there) and written
 * by codec-h264.c as lossless H.264 (I_PCM, exactly predicted Intra_16x16,
 * P_Skip against the previous picture; CAVLC, frame cropping, VUI), so a
 * decoder gives back the input samples.  profile_idc and level_idc follow
 * the controls (Baseline 66, Constrained Baseline 66 with
 * constraint_set0/1, Main 77, High 100; the tools used are in all of them).
 * The VUI colour description comes from the OUTPUT format: primaries and
 * transfer from colorspace/xfer_func, matrix from ycbcr_enc, full range
 * from quantization (defaults mapped as V4L2_MAP_*_DEFAULT do); colorspace
 * DEFAULT on YUV input writes no colour description.  RGB input is
 * converted with the matrix of ycbcr_enc (BT.601 unless 709) at full range
 * unless quantization is LIM_RANGE, and the VUI says so.  On the hardware
 * the driver passes none of these fields to the firmware (the colour
 * description is the firmware's own choice); module parameter
 * colour_vui=0 leaves it out as well.  headers_on_enable=1 sends the
 * first SPS/PPS of a stream in a buffer of their own with timestamp 0
 * whatever sequence_header_mode says, as kernels before PR #6253 (July
 * 2024) did when the firmware emitted headers on port enable.
 *
 * Test fault stall_ms (writable at run time in /sys/module/bcm2835_codec/
 * parameters): every frame is held that long before it is encoded, as a
 * VPU that stops answering for a while.  What userspace sees is the
 * driver's: OUTPUT and CAPTURE buffers stay with the driver, DQBUF gives
 * EAGAIN, poll() stays quiet, QBUF still takes buffers.  The driver itself
 * ends each m2m job at once ("it does not need the scheduling aspects, so
 * will always take the buffers, pass them to the VPU, and then signal the
 * job as complete") and its stop_streaming waits for the VPU to hand the
 * buffers back; here the job lasts until the frame is done, so a
 * STREAMOFF waits in v4l2_m2m_cancel_job() instead: either way, stopping
 * a stalled encoder blocks the caller.
 *
 * Left out: the VPU and MMAL/VCHIQ (buffers are never handed to a
 * firmware, so no "buffer size mismatch" checks against the firmware's
 * minimums), the other nodes of the driver (decode video10, isp video12,
 * image_fx video18, encode_image video31) and its other CAPTURE encodings
 * (the firmware may list MJPG and others; the order of the OUTPUT list is
 * the driver's table order, on hardware it is the firmware's), real rate
 * control (bitrate, bitrate mode, QP limits and B-frames are accepted and
 * reported but the lossless output ignores them, so frames are much larger
 * than the VPU's), interlaced field handling, mirror, and the dma-contig
 * allocator: both queues use vmalloc memory (the VM has no CMA), so a
 * DMA-BUF need not be physically contiguous here while the Pi needs it to
 * be.  The encoded size is the OUTPUT crop size (the firmware also gets
 * the CAPTURE format's width and height).
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <media/media-device.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/v4l2-mem2mem.h>
#include <media/videobuf2-vmalloc.h>

#include "codec-convert.h"
#include "codec-h264.h"

static int encode_video_nr = 11;
module_param(encode_video_nr, int, 0644);
MODULE_PARM_DESC(encode_video_nr, "encoder video device number");

static unsigned int debug;
module_param(debug, uint, 0644);
MODULE_PARM_DESC(debug, "activates debug info (0-3)");

static bool colour_vui = true;
module_param(colour_vui, bool, 0644);
MODULE_PARM_DESC(colour_vui,
		 "write the OUTPUT format's colorimetry in the VUI (the real driver does not pass it on)");

static bool headers_on_enable;
module_param(headers_on_enable, bool, 0644);
MODULE_PARM_DESC(headers_on_enable,
		 "SPS/PPS in a buffer of their own (timestamp 0) at the start of a stream whatever sequence_header_mode says, as kernels before raspberrypi/linux PR #6253");

static unsigned int stall_ms;
module_param(stall_ms, uint, 0644);
MODULE_PARM_DESC(stall_ms,
		 "test fault: each frame stays this long in the VPU (a firmware that stops answering); read while waiting, so writing 0 ends a stall");

#define MEM2MEM_NAME	"bcm2835-codec"
#define ROLE_NAME	"encode"
#define MIN_W		32
#define MIN_H		32
#define MAX_W		1920
#define MAX_H		1920
#define DEFAULT_WIDTH	32
#define DEFAULT_HEIGHT	32
#define DEF_COMP_BUF_SIZE_GREATER_720P	(768 << 10)
#define DEF_COMP_BUF_SIZE_720P_OR_LESS	(512 << 10)

struct codec_fmt {
	u32 fourcc;
	u8 depth;		/* bits per pixel in the first plane */
	u8 bytesperline_align;	/* of the encoder role */
	u8 size_multiplier_x2;
	u32 flags;
	const char *description;	/* when the V4L2 core has none */
};

/* OUTPUT: the driver's table order (on hardware, the firmware's order). */
static const struct codec_fmt output_formats[] = {
	{ V4L2_PIX_FMT_YUV420, 8, 64, 3 },
	{ V4L2_PIX_FMT_YVU420, 8, 64, 3 },
	{ V4L2_PIX_FMT_NV12, 8, 32, 3 },
	{ V4L2_PIX_FMT_NV21, 8, 32, 3 },
	{ V4L2_PIX_FMT_RGB565, 16, 32, 2 },
	{ V4L2_PIX_FMT_YUYV, 16, 64, 2 },
	{ V4L2_PIX_FMT_UYVY, 16, 64, 2 },
	{ V4L2_PIX_FMT_YVYU, 16, 64, 2 },
	{ V4L2_PIX_FMT_VYUY, 16, 64, 2 },
	{ V4L2_PIX_FMT_NV12_COL128, 8, 32, 3, 0, "Y/CbCr 4:2:0 (128b cols)" },
	{ V4L2_PIX_FMT_RGB24, 24, 32, 2 },
	{ V4L2_PIX_FMT_BGR24, 24, 32, 2 },
	{ V4L2_PIX_FMT_BGR32, 32, 64, 2 },
	{ V4L2_PIX_FMT_RGBA32, 32, 64, 2 },
};

static const struct codec_fmt capture_formats[] = {
	{ V4L2_PIX_FMT_H264, 0, 0, 0, V4L2_FMT_FLAG_COMPRESSED },
};

enum { V4L2_M2M_SRC = 0, V4L2_M2M_DST = 1 };

struct codec_q_data {
	unsigned int bytesperline;
	unsigned int height;
	unsigned int crop_width;
	unsigned int crop_height;
	bool selection_set;
	enum v4l2_field field;
	unsigned int sizeimage;
	const struct codec_fmt *fmt;
};

struct codec_dev {
	struct platform_device *pdev;
	struct media_device mdev;
	struct v4l2_device v4l2_dev;
	struct video_device vfd;
	struct mutex dev_mutex;		/* the device, its queues and ioctls */
	struct v4l2_m2m_dev *m2m_dev;
};

enum codec_job {
	JOB_NONE,
	JOB_FRAME,	/* encode the next OUTPUT buffer */
	JOB_PIECE,	/* the next piece of the current frame */
	JOB_EOS,	/* an empty LAST buffer */
};

/* A part of the access unit that goes into CAPTURE buffers of its own. */
struct codec_piece {
	size_t offset;
	size_t len;
	bool keyframe;
	u64 timestamp;
};

struct codec_ctx {
	struct v4l2_fh fh;
	struct codec_dev *dev;

	struct v4l2_ctrl_handler hdl;
	struct v4l2_ctrl *gop_size;
	struct v4l2_ctrl *profile;
	struct v4l2_ctrl *level;
	struct v4l2_ctrl *repeat_headers;
	struct v4l2_ctrl *header_mode;

	bool component;		/* created at the first queue_setup */

	enum v4l2_colorspace colorspace;
	enum v4l2_ycbcr_encoding ycbcr_enc;
	enum v4l2_xfer_func xfer_func;
	enum v4l2_quantization quant;

	struct codec_q_data q_data[2];
	s32 bitrate;
	unsigned int framerate_num;
	unsigned int framerate_denom;

	/* the stand-in's VPU: state under lock, work below only in work */
	spinlock_t lock;
	enum codec_job job;
	bool force_idr;
	bool eos_pending;
	unsigned int drain_count;	/* frames to encode before the EOS */
	bool pieces_pending;
	bool restart;			/* next frame: IDR with headers */
	struct work_struct work;

	struct h264_picture pic[2];
	void *pic_mem[2];
	unsigned int cur;		/* pic[cur] is encoded, pic[!cur] is its reference */
	bool ref_valid;
	u8 *mb_kind;
	u8 *bits;
	size_t bits_cap;
	unsigned int coded_width;	/* of the last SPS */
	unsigned int coded_height;
	unsigned int frame_num;
	unsigned int idr_pic_id;
	unsigned int frames_since_idr;
	struct codec_piece pieces[2];
	unsigned int n_pieces;
	unsigned int piece;
	size_t piece_offset;
	bool last_after_pieces;
};

static inline struct codec_ctx *file2ctx(struct file *file)
{
	return container_of(file->private_data, struct codec_ctx, fh);
}

static const struct codec_fmt *format_list(bool capture, unsigned int *n)
{
	if (capture) {
		*n = ARRAY_SIZE(capture_formats);
		return capture_formats;
	}
	*n = ARRAY_SIZE(output_formats);
	return output_formats;
}

static const struct codec_fmt *find_format(u32 fourcc, bool capture)
{
	unsigned int n, i;
	const struct codec_fmt *list = format_list(capture, &n);

	for (i = 0; i < n; i++)
		if (list[i].fourcc == fourcc)
			return &list[i];
	return NULL;
}

static bool fmt_compressed(const struct codec_fmt *fmt)
{
	return fmt->flags & V4L2_FMT_FLAG_COMPRESSED;
}

static struct codec_q_data *get_q_data(struct codec_ctx *ctx,
				       enum v4l2_buf_type type)
{
	switch (type) {
	case V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE:
		return &ctx->q_data[V4L2_M2M_SRC];
	case V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE:
		return &ctx->q_data[V4L2_M2M_DST];
	default:
		v4l2_err(&ctx->dev->v4l2_dev, "%s: Invalid queue type %u\n",
			 __func__, type);
		return NULL;
	}
}

static unsigned int get_sizeimage(unsigned int bpl, unsigned int width,
				  unsigned int height,
				  const struct codec_fmt *fmt)
{
	if (fmt_compressed(fmt))
		return width * height > 1280 * 720 ?
		       DEF_COMP_BUF_SIZE_GREATER_720P :
		       DEF_COMP_BUF_SIZE_720P_OR_LESS;
	if (fmt->fourcc == V4L2_PIX_FMT_NV12_COL128)
		return ALIGN(width, 128) * bpl;
	return (bpl * height * fmt->size_multiplier_x2) >> 1;
}

static unsigned int get_bytesperline(unsigned int width, unsigned int height,
				     const struct codec_fmt *fmt)
{
	if (fmt_compressed(fmt))
		return 0;
	if (fmt->fourcc == V4L2_PIX_FMT_NV12_COL128)
		return ALIGN((height * 3) >> 1, fmt->bytesperline_align);
	return ALIGN((width * fmt->depth) >> 3, fmt->bytesperline_align);
}

/* ------------------------------------------------------------ the "VPU" */

static void free_workspace(struct codec_ctx *ctx)
{
	vfree(ctx->pic_mem[0]);
	vfree(ctx->pic_mem[1]);
	vfree(ctx->mb_kind);
	vfree(ctx->bits);
	ctx->pic_mem[0] = NULL;
	ctx->pic_mem[1] = NULL;
	ctx->mb_kind = NULL;
	ctx->bits = NULL;
	ctx->pic[0].mb_w = 0;
	ctx->ref_valid = false;
}

/* Pictures, macroblock map and bitstream buffer for a w x h encode. */
static int alloc_workspace(struct codec_ctx *ctx, unsigned int w, unsigned int h)
{
	unsigned int mb_w = DIV_ROUND_UP(w, 16), mb_h = DIV_ROUND_UP(h, 16);
	size_t luma = (size_t)mb_w * mb_h * 256, chroma = luma / 4;
	int i;

	if (ctx->pic[0].mb_w == mb_w && ctx->pic[0].mb_h == mb_h && ctx->bits)
		return 0;
	free_workspace(ctx);
	for (i = 0; i < 2; i++) {
		ctx->pic_mem[i] = vzalloc(luma + 2 * chroma);
		if (!ctx->pic_mem[i])
			goto nomem;
		ctx->pic[i].y = ctx->pic_mem[i];
		ctx->pic[i].u = ctx->pic[i].y + luma;
		ctx->pic[i].v = ctx->pic[i].u + chroma;
		ctx->pic[i].mb_w = mb_w;
		ctx->pic[i].mb_h = mb_h;
	}
	ctx->mb_kind = vzalloc((size_t)mb_w * mb_h);
	ctx->bits_cap = 2 * h264_max_access_unit(mb_w, mb_h);
	ctx->bits = vmalloc(ctx->bits_cap);
	if (!ctx->mb_kind || !ctx->bits)
		goto nomem;
	return 0;
nomem:
	free_workspace(ctx);
	return -ENOMEM;
}

/* The visible size of the encode: the OUTPUT crop within the buffer. */
static void encode_size(struct codec_q_data *q, unsigned int *w, unsigned int *h)
{
	unsigned int max_w = q->fmt->fourcc == V4L2_PIX_FMT_NV12_COL128 ?
			     MAX_W : (q->bytesperline << 3) / q->fmt->depth;

	*w = clamp(q->crop_width, 1U, max_w);
	*h = clamp(q->crop_height, 1U, q->height);
}

static u8 h264_level_idc(s32 level, bool *cs3, bool high)
{
	static const u8 idc[] = {
		10, 11, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51,
	};

	*cs3 = false;
	if (level == V4L2_MPEG_VIDEO_H264_LEVEL_1B) {
		if (high)
			return 9;
		*cs3 = true;
	}
	if (level < 0 || level >= ARRAY_SIZE(idc))
		return 40;
	return idc[level];
}

/* H.264 Table E-3/E-4/E-5 values for the shared colorimetry fields. */
static void colour_description(struct codec_ctx *ctx, bool rgb_input,
			       struct h264_seq_params *sp, bool *bt709,
			       bool *full)
{
	enum v4l2_colorspace cs = ctx->colorspace;
	enum v4l2_ycbcr_encoding enc = ctx->ycbcr_enc;
	enum v4l2_xfer_func xfer = ctx->xfer_func;
	enum v4l2_quantization q = ctx->quant;

	if (enc == V4L2_YCBCR_ENC_DEFAULT)
		enc = V4L2_MAP_YCBCR_ENC_DEFAULT(cs);
	*bt709 = enc == V4L2_YCBCR_ENC_709 || enc == V4L2_YCBCR_ENC_XV709;
	if (rgb_input)
		*full = q != V4L2_QUANTIZATION_LIM_RANGE;
	else if (q == V4L2_QUANTIZATION_DEFAULT)
		*full = V4L2_MAP_QUANTIZATION_DEFAULT(false, cs, enc) ==
			V4L2_QUANTIZATION_FULL_RANGE;
	else
		*full = q == V4L2_QUANTIZATION_FULL_RANGE;
	sp->signal_type = false;
	sp->colour_description = false;
	if (!colour_vui)
		return;
	sp->signal_type = true;
	sp->full_range = *full;
	if (cs == V4L2_COLORSPACE_DEFAULT && !rgb_input)
		return;
	if (cs == V4L2_COLORSPACE_DEFAULT)
		cs = V4L2_COLORSPACE_SRGB;
	if (xfer == V4L2_XFER_FUNC_DEFAULT)
		xfer = V4L2_MAP_XFER_FUNC_DEFAULT(cs);
	sp->colour_description = true;
	switch (cs) {
	case V4L2_COLORSPACE_SMPTE170M:
		sp->colour_primaries = 6;
		break;
	case V4L2_COLORSPACE_470_SYSTEM_M:
		sp->colour_primaries = 4;
		break;
	case V4L2_COLORSPACE_470_SYSTEM_BG:
		sp->colour_primaries = 5;
		break;
	case V4L2_COLORSPACE_SMPTE240M:
		sp->colour_primaries = 7;
		break;
	case V4L2_COLORSPACE_BT2020:
		sp->colour_primaries = 9;
		break;
	case V4L2_COLORSPACE_DCI_P3:
		sp->colour_primaries = 11;
		break;
	case V4L2_COLORSPACE_REC709:
	case V4L2_COLORSPACE_SRGB:
	case V4L2_COLORSPACE_JPEG:
		sp->colour_primaries = 1;
		break;
	default:
		sp->colour_primaries = 2;	/* unspecified */
		break;
	}
	switch (xfer) {
	case V4L2_XFER_FUNC_709:
		sp->transfer_characteristics =
			cs == V4L2_COLORSPACE_SMPTE170M ||
			cs == V4L2_COLORSPACE_470_SYSTEM_M ||
			cs == V4L2_COLORSPACE_470_SYSTEM_BG ? 6 : 1;
		break;
	case V4L2_XFER_FUNC_SRGB:
		sp->transfer_characteristics = 13;
		break;
	case V4L2_XFER_FUNC_SMPTE240M:
		sp->transfer_characteristics = 7;
		break;
	case V4L2_XFER_FUNC_NONE:
		sp->transfer_characteristics = 8;
		break;
	case V4L2_XFER_FUNC_SMPTE2084:
		sp->transfer_characteristics = 16;
		break;
	default:
		sp->transfer_characteristics = 2;
		break;
	}
	switch (enc) {
	case V4L2_YCBCR_ENC_709:
	case V4L2_YCBCR_ENC_XV709:
		sp->matrix_coefficients = 1;
		break;
	case V4L2_YCBCR_ENC_BT2020:
		sp->matrix_coefficients = 9;
		break;
	case V4L2_YCBCR_ENC_BT2020_CONST_LUM:
		sp->matrix_coefficients = 10;
		break;
	case V4L2_YCBCR_ENC_SMPTE240M:
		sp->matrix_coefficients = 7;
		break;
	default:
		sp->matrix_coefficients = 6;	/* BT.601 */
		break;
	}
}

static void seq_params(struct codec_ctx *ctx, unsigned int w, unsigned int h,
		       struct h264_seq_params *sp)
{
	s32 profile = v4l2_ctrl_g_ctrl(ctx->profile);
	bool cs3;

	memset(sp, 0, sizeof(*sp));
	switch (profile) {
	case V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE:
		sp->profile_idc = 66;
		break;
	case V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE:
		sp->profile_idc = 66;
		sp->constraint_flags = 0xc0;	/* constraint_set0 and set1 */
		break;
	case V4L2_MPEG_VIDEO_H264_PROFILE_MAIN:
		sp->profile_idc = 77;
		break;
	default:
		sp->profile_idc = 100;
		break;
	}
	sp->level_idc = h264_level_idc(v4l2_ctrl_g_ctrl(ctx->level), &cs3,
				       sp->profile_idc == 100);
	if (cs3)
		sp->constraint_flags |= 0x10;
	sp->mb_w = DIV_ROUND_UP(w, 16);
	sp->mb_h = DIV_ROUND_UP(h, 16);
	sp->width = w;
	sp->height = h;
	sp->num_units_in_tick = READ_ONCE(ctx->framerate_denom);
	sp->time_scale = 2 * READ_ONCE(ctx->framerate_num);
}

/* Encodes src into ctx->bits and sets up the pieces; 0 or -errno. */
static int encode_frame(struct codec_ctx *ctx, struct vb2_v4l2_buffer *src)
{
	struct codec_q_data *q = &ctx->q_data[V4L2_M2M_SRC];
	struct codec_raw_frame in = { };
	struct h264_seq_params sp;
	struct h264_slice_params slp = { };
	struct h264_slice_stats stats;
	unsigned int w, h, gop;
	bool headers, separate, force, restart;
	size_t pos = 0, n;
	u64 ts;
	int ret;

	encode_size(q, &w, &h);
	ret = alloc_workspace(ctx, w, h);
	if (ret)
		return ret;
	if (ctx->pic[0].mb_w != DIV_ROUND_UP(w, 16) ||
	    ctx->pic[0].mb_h != DIV_ROUND_UP(h, 16))
		return -EINVAL;

	in.fourcc = q->fmt->fourcc;
	in.data = vb2_plane_vaddr(&src->vb2_buf, 0);
	in.size = vb2_plane_size(&src->vb2_buf, 0);
	in.bytesperline = q->bytesperline;
	in.height = q->height;
	in.width = w;
	in.visible_height = h;
	seq_params(ctx, w, h, &sp);
	colour_description(ctx, codec_fourcc_is_rgb(in.fourcc), &sp,
			   &in.rgb_bt709, &in.rgb_full_range);
	if (!in.data)
		return -EFAULT;
	ret = codec_convert_frame(&in, &ctx->pic[ctx->cur]);
	if (ret)
		return ret;

	spin_lock_irq(&ctx->lock);
	force = ctx->force_idr;
	ctx->force_idr = false;
	restart = ctx->restart;
	ctx->restart = false;
	spin_unlock_irq(&ctx->lock);
	/* a crop selected while streaming: a new sequence */
	if (w != ctx->coded_width || h != ctx->coded_height)
		restart = true;
	ctx->coded_width = w;
	ctx->coded_height = h;

	gop = v4l2_ctrl_g_ctrl(ctx->gop_size);
	if (restart || !ctx->ref_valid)
		ctx->frame_num = 0;
	slp.idr = restart || !ctx->ref_valid || force || gop == 1 ||
		  (gop && ctx->frames_since_idr >= gop);
	if (slp.idr) {
		ctx->frame_num = 0;
		ctx->frames_since_idr = 0;
		slp.idr_pic_id = ctx->idr_pic_id++;
	}
	slp.frame_num = ctx->frame_num;
	separate = headers_on_enable ||
		   v4l2_ctrl_g_ctrl(ctx->header_mode) ==
		   V4L2_MPEG_VIDEO_HEADER_MODE_SEPARATE;
	headers = restart || (slp.idr && v4l2_ctrl_g_ctrl(ctx->repeat_headers));

	ctx->n_pieces = 0;
	if (headers) {
		n = h264_write_sps(ctx->bits, ctx->bits_cap, &sp);
		if (n)
			n += h264_write_pps(ctx->bits + n, ctx->bits_cap - n);
		if (!n)
			return -ENOSPC;
		pos = n;
		if (restart && separate) {
			/* MMAL_TIME_UNKNOWN, in ns by the driver: 0 */
			ctx->pieces[0] = (struct codec_piece){ 0, pos, false, 0 };
			ctx->n_pieces = 1;
		}
	}
	n = h264_write_slice(ctx->bits + pos, ctx->bits_cap - pos, &sp, &slp,
			     &ctx->pic[ctx->cur],
			     ctx->ref_valid && !slp.idr ? &ctx->pic[!ctx->cur] : NULL,
			     ctx->mb_kind, &stats);
	if (!n)
		return -ENOSPC;
	/* vb2 keeps nanoseconds, MMAL microseconds */
	ts = div_u64(src->vb2_buf.timestamp, 1000) * 1000;
	if (ctx->n_pieces)
		ctx->pieces[1] = (struct codec_piece){ pos, n, slp.idr, ts };
	else
		ctx->pieces[0] = (struct codec_piece){ 0, pos + n, slp.idr, ts };
	ctx->n_pieces++;
	ctx->piece = 0;
	ctx->piece_offset = 0;

	v4l2_dbg(2, debug, &ctx->dev->v4l2_dev,
		 "%s frame %u: %zu bytes, %u I_PCM, %u Intra16x16, %u skipped\n",
		 slp.idr ? "IDR" : "P", slp.frame_num, pos + n, stats.pcm,
		 stats.intra16, stats.skip);
	ctx->cur = !ctx->cur;
	ctx->ref_valid = true;
	ctx->frame_num = (ctx->frame_num + 1) & ((1 << H264_LOG2_MAX_FRAME_NUM) - 1);
	ctx->frames_since_idr++;
	return 0;
}

/* Fills the next CAPTURE buffer with (the rest of) the current piece. */
static void emit_piece(struct codec_ctx *ctx)
{
	struct vb2_v4l2_buffer *dst = v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx);
	struct codec_piece *p = &ctx->pieces[ctx->piece];
	size_t room, n;
	void *vaddr;

	if (!dst)
		return;
	room = vb2_plane_size(&dst->vb2_buf, 0);
	vaddr = vb2_plane_vaddr(&dst->vb2_buf, 0);
	n = min(room, p->len - ctx->piece_offset);
	dst->vb2_buf.timestamp = p->timestamp;
	dst->field = V4L2_FIELD_NONE;
	if (!vaddr) {
		vb2_set_plane_payload(&dst->vb2_buf, 0, 0);
		v4l2_m2m_buf_done(dst, VB2_BUF_STATE_ERROR);
		ctx->piece = ctx->n_pieces;
		return;
	}
	memcpy(vaddr, ctx->bits + p->offset + ctx->piece_offset, n);
	vb2_set_plane_payload(&dst->vb2_buf, 0, n);
	if (p->keyframe)
		dst->flags |= V4L2_BUF_FLAG_KEYFRAME;
	ctx->piece_offset += n;
	if (ctx->piece_offset == p->len) {
		ctx->piece++;
		ctx->piece_offset = 0;
	}
	v4l2_m2m_buf_done(dst, VB2_BUF_STATE_DONE);
}

static void emit_eos(struct codec_ctx *ctx)
{
	static const struct v4l2_event ev = { .type = V4L2_EVENT_EOS };
	struct vb2_v4l2_buffer *dst = v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx);

	if (!dst)
		return;
	dst->vb2_buf.timestamp = 0;
	dst->field = V4L2_FIELD_NONE;
	dst->flags |= V4L2_BUF_FLAG_LAST;
	vb2_set_plane_payload(&dst->vb2_buf, 0, 0);
	v4l2_dbg(1, debug, &ctx->dev->v4l2_dev, "Sending EOS event\n");
	v4l2_event_queue_fh(&ctx->fh, &ev);
	v4l2_m2m_buf_done(dst, VB2_BUF_STATE_DONE);
}

static void stall(void)
{
	unsigned int waited;

	for (waited = 0; waited < READ_ONCE(stall_ms); waited += 10)
		msleep(10);
}

static void codec_work(struct work_struct *work)
{
	struct codec_ctx *ctx = container_of(work, struct codec_ctx, work);
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;
	struct vb2_v4l2_buffer *src;
	bool last;
	int ret;

	switch (ctx->job) {
	case JOB_FRAME:
		stall();
		src = v4l2_m2m_src_buf_remove(m2m_ctx);
		if (!src)
			break;
		last = src->flags & V4L2_BUF_FLAG_LAST;
		ret = encode_frame(ctx, src);
		if (ret) {
			v4l2_err(&ctx->dev->v4l2_dev, "%s: frame not encoded: %d\n",
				 __func__, ret);
			v4l2_m2m_buf_done(src, VB2_BUF_STATE_ERROR);
			break;
		}
		v4l2_m2m_buf_done(src, VB2_BUF_STATE_DONE);
		ctx->last_after_pieces = last;
		emit_piece(ctx);
		break;
	case JOB_PIECE:
		emit_piece(ctx);
		break;
	case JOB_EOS:
		emit_eos(ctx);
		spin_lock_irq(&ctx->lock);
		ctx->eos_pending = false;
		ctx->restart = true;
		spin_unlock_irq(&ctx->lock);
		break;
	case JOB_NONE:
		break;
	}

	spin_lock_irq(&ctx->lock);
	ctx->pieces_pending = ctx->piece < ctx->n_pieces;
	if (!ctx->pieces_pending && ctx->last_after_pieces) {
		/* an OUTPUT buffer flagged LAST: EOS right after it */
		ctx->last_after_pieces = false;
		ctx->eos_pending = true;
		ctx->drain_count = 0;
	}
	spin_unlock_irq(&ctx->lock);
	v4l2_m2m_job_finish(ctx->dev->m2m_dev, m2m_ctx);
}

/* ------------------------------------------------------------ mem2mem */

static int job_ready(void *priv)
{
	struct codec_ctx *ctx = priv;
	unsigned long flags;
	int ready;

	if (!v4l2_m2m_num_dst_bufs_ready(ctx->fh.m2m_ctx))
		return 0;
	spin_lock_irqsave(&ctx->lock, flags);
	ready = ctx->pieces_pending || (ctx->eos_pending && !ctx->drain_count) ||
		v4l2_m2m_num_src_bufs_ready(ctx->fh.m2m_ctx);
	spin_unlock_irqrestore(&ctx->lock, flags);
	return ready;
}

static void job_abort(void *priv)
{
	struct codec_ctx *ctx = priv;

	v4l2_dbg(1, debug, &ctx->dev->v4l2_dev, "%s\n", __func__);
}

static void device_run(void *priv)
{
	struct codec_ctx *ctx = priv;
	unsigned long flags;

	spin_lock_irqsave(&ctx->lock, flags);
	if (ctx->pieces_pending) {
		ctx->job = JOB_PIECE;
	} else if (ctx->eos_pending && !ctx->drain_count) {
		ctx->job = JOB_EOS;
	} else if (v4l2_m2m_num_src_bufs_ready(ctx->fh.m2m_ctx)) {
		ctx->job = JOB_FRAME;
		if (ctx->eos_pending)
			ctx->drain_count--;
	} else {
		ctx->job = JOB_NONE;
	}
	spin_unlock_irqrestore(&ctx->lock, flags);
	queue_work(system_unbound_wq, &ctx->work);
}

static const struct v4l2_m2m_ops m2m_ops = {
	.device_run = device_run,
	.job_ready = job_ready,
	.job_abort = job_abort,
};

/* ------------------------------------------------------------ ioctls */

static int vidioc_querycap(struct file *file, void *priv,
			   struct v4l2_capability *cap)
{
	struct codec_dev *dev = video_drvdata(file);

	strscpy(cap->driver, MEM2MEM_NAME, sizeof(cap->driver));
	strscpy(cap->card, dev->vfd.name, sizeof(cap->card));
	snprintf(cap->bus_info, sizeof(cap->bus_info), "platform:%s",
		 MEM2MEM_NAME);
	return 0;
}

static int enum_fmt(struct v4l2_fmtdesc *f, bool capture)
{
	unsigned int n;
	const struct codec_fmt *list = format_list(capture, &n);

	if (f->index >= n)
		return -EINVAL;
	f->pixelformat = list[f->index].fourcc;
	f->flags = list[f->index].flags;
	if (list[f->index].description)
		strscpy(f->description, list[f->index].description,
			sizeof(f->description));
	return 0;
}

static int vidioc_enum_fmt_vid_cap(struct file *file, void *priv,
				   struct v4l2_fmtdesc *f)
{
	return enum_fmt(f, true);
}

static int vidioc_enum_fmt_vid_out(struct file *file, void *priv,
				   struct v4l2_fmtdesc *f)
{
	return enum_fmt(f, false);
}

static int vidioc_g_fmt(struct codec_ctx *ctx, struct v4l2_format *f)
{
	struct codec_q_data *q_data = get_q_data(ctx, f->type);
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;

	if (!q_data)
		return -EINVAL;
	pix->width = q_data->crop_width;
	pix->height = q_data->height;
	pix->pixelformat = q_data->fmt->fourcc;
	pix->field = q_data->field;
	pix->colorspace = ctx->colorspace;
	pix->plane_fmt[0].sizeimage = q_data->sizeimage;
	pix->plane_fmt[0].bytesperline = q_data->bytesperline;
	pix->num_planes = 1;
	pix->ycbcr_enc = ctx->ycbcr_enc;
	pix->quantization = ctx->quant;
	pix->xfer_func = ctx->xfer_func;
	memset(pix->plane_fmt[0].reserved, 0, sizeof(pix->plane_fmt[0].reserved));
	return 0;
}

static int vidioc_g_fmt_vid_out(struct file *file, void *priv,
				struct v4l2_format *f)
{
	return vidioc_g_fmt(file2ctx(file), f);
}

static int vidioc_g_fmt_vid_cap(struct file *file, void *priv,
				struct v4l2_format *f)
{
	return vidioc_g_fmt(file2ctx(file), f);
}

static int vidioc_try_fmt(struct codec_ctx *ctx, struct v4l2_format *f,
			  const struct codec_fmt *fmt)
{
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;
	unsigned int sizeimage, min_bytesperline;

	if (pix->width > MAX_W)
		pix->width = MAX_W;
	if (pix->height > MAX_H)
		pix->height = MAX_H;
	if (!fmt_compressed(fmt)) {
		if (pix->width < MIN_W)
			pix->width = MIN_W;
		if (pix->height < MIN_H)
			pix->height = MIN_H;
	}
	pix->num_planes = 1;
	min_bytesperline = get_bytesperline(pix->width, pix->height, fmt);
	if (pix->plane_fmt[0].bytesperline < min_bytesperline)
		pix->plane_fmt[0].bytesperline = min_bytesperline;
	if (fmt_compressed(fmt))
		pix->plane_fmt[0].bytesperline = 0;
	else
		pix->plane_fmt[0].bytesperline =
			ALIGN(pix->plane_fmt[0].bytesperline,
			      fmt->bytesperline_align);
	sizeimage = get_sizeimage(pix->plane_fmt[0].bytesperline, pix->width,
				  pix->height, fmt);
	/* compressed formats may ask for a larger buffer */
	if (!fmt_compressed(fmt) || pix->plane_fmt[0].sizeimage < sizeimage)
		pix->plane_fmt[0].sizeimage = sizeimage;
	memset(pix->plane_fmt[0].reserved, 0, sizeof(pix->plane_fmt[0].reserved));
	pix->field = V4L2_FIELD_NONE;
	return 0;
}

static int vidioc_try_fmt_vid_cap(struct file *file, void *priv,
				  struct v4l2_format *f)
{
	const struct codec_fmt *fmt = find_format(f->fmt.pix_mp.pixelformat, true);

	if (!fmt) {
		fmt = &capture_formats[0];
		f->fmt.pix_mp.pixelformat = fmt->fourcc;
	}
	return vidioc_try_fmt(file2ctx(file), f, fmt);
}

static int vidioc_try_fmt_vid_out(struct file *file, void *priv,
				  struct v4l2_format *f)
{
	struct codec_ctx *ctx = file2ctx(file);
	const struct codec_fmt *fmt = find_format(f->fmt.pix_mp.pixelformat, false);

	if (!fmt) {
		fmt = &output_formats[0];
		f->fmt.pix_mp.pixelformat = fmt->fourcc;
	}
	if (!f->fmt.pix_mp.colorspace)
		f->fmt.pix_mp.colorspace = ctx->colorspace;
	return vidioc_try_fmt(ctx, f, fmt);
}

static int vidioc_s_fmt(struct codec_ctx *ctx, struct v4l2_format *f,
			unsigned int requested_height)
{
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;
	bool capture = f->type == V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	struct codec_q_data *q_data;
	struct vb2_queue *vq;

	v4l2_dbg(1, debug, &ctx->dev->v4l2_dev,
		 "Setting format for type %d, wxh: %dx%d, fmt: %08x, size %u\n",
		 f->type, pix->width, pix->height, pix->pixelformat,
		 pix->plane_fmt[0].sizeimage);
	vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx, f->type);
	q_data = get_q_data(ctx, f->type);
	if (!vq || !q_data)
		return -EINVAL;
	if (vb2_is_busy(vq)) {
		v4l2_err(&ctx->dev->v4l2_dev, "%s queue busy\n", __func__);
		return -EBUSY;
	}
	q_data->fmt = find_format(pix->pixelformat, capture);
	q_data->crop_width = pix->width;
	q_data->height = pix->height;
	if (!q_data->selection_set || fmt_compressed(q_data->fmt))
		q_data->crop_height = requested_height;
	/* one set of colorimetry for both queues, as vicodec */
	ctx->colorspace = pix->colorspace;
	ctx->xfer_func = pix->xfer_func;
	ctx->ycbcr_enc = pix->ycbcr_enc;
	ctx->quant = pix->quantization;
	q_data->field = pix->field;
	q_data->bytesperline = pix->plane_fmt[0].bytesperline;
	q_data->sizeimage = pix->plane_fmt[0].sizeimage;
	return 0;
}

static int vidioc_s_fmt_vid_cap(struct file *file, void *priv,
				struct v4l2_format *f)
{
	unsigned int height = f->fmt.pix_mp.height;
	int ret = vidioc_try_fmt_vid_cap(file, priv, f);

	if (ret)
		return ret;
	return vidioc_s_fmt(file2ctx(file), f, height);
}

static int vidioc_s_fmt_vid_out(struct file *file, void *priv,
				struct v4l2_format *f)
{
	unsigned int height = f->fmt.pix_mp.height;
	int ret = vidioc_try_fmt_vid_out(file, priv, f);

	if (ret)
		return ret;
	return vidioc_s_fmt(file2ctx(file), f, height);
}

static int vidioc_g_selection(struct file *file, void *priv,
			      struct v4l2_selection *s)
{
	struct codec_ctx *ctx = file2ctx(file);
	struct codec_q_data *q_data;

	/* the core has turned the MPLANE types into the plain ones */
	if (s->type != V4L2_BUF_TYPE_VIDEO_OUTPUT)
		return -EINVAL;
	q_data = &ctx->q_data[V4L2_M2M_SRC];
	switch (s->target) {
	case V4L2_SEL_TGT_CROP_DEFAULT:
	case V4L2_SEL_TGT_CROP_BOUNDS:
		s->r.top = 0;
		s->r.left = 0;
		s->r.width = q_data->bytesperline;
		s->r.height = q_data->height;
		break;
	case V4L2_SEL_TGT_CROP:
		s->r.top = 0;
		s->r.left = 0;
		s->r.width = q_data->crop_width;
		s->r.height = q_data->crop_height;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int vidioc_s_selection(struct file *file, void *priv,
			      struct v4l2_selection *s)
{
	struct codec_ctx *ctx = file2ctx(file);
	struct codec_q_data *q_data;

	if (s->type != V4L2_BUF_TYPE_VIDEO_OUTPUT)
		return -EINVAL;
	q_data = &ctx->q_data[V4L2_M2M_SRC];
	v4l2_dbg(1, debug, &ctx->dev->v4l2_dev,
		 "%s: ctx %p, type %d, target %d, rect x/y %d/%d, w/h %ux%u\n",
		 __func__, ctx, s->type, s->target, s->r.left, s->r.top,
		 s->r.width, s->r.height);
	if (s->target != V4L2_SEL_TGT_CROP)
		return -EINVAL;
	/* only a crop from (0, 0) */
	s->r.top = 0;
	s->r.left = 0;
	s->r.width = min(s->r.width, q_data->crop_width);
	s->r.height = min(s->r.height, q_data->height);
	q_data->crop_width = s->r.width;
	q_data->crop_height = s->r.height;
	q_data->selection_set = true;
	return 0;
}

static int vidioc_s_parm(struct file *file, void *priv,
			 struct v4l2_streamparm *parm)
{
	struct codec_ctx *ctx = file2ctx(file);

	if (parm->type != V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE)
		return -EINVAL;
	if (!parm->parm.output.timeperframe.denominator ||
	    !parm->parm.output.timeperframe.numerator)
		return -EINVAL;
	WRITE_ONCE(ctx->framerate_num, parm->parm.output.timeperframe.denominator);
	WRITE_ONCE(ctx->framerate_denom, parm->parm.output.timeperframe.numerator);
	parm->parm.output.capability = V4L2_CAP_TIMEPERFRAME;
	return 0;
}

static int vidioc_g_parm(struct file *file, void *priv,
			 struct v4l2_streamparm *parm)
{
	struct codec_ctx *ctx = file2ctx(file);

	if (parm->type != V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE)
		return -EINVAL;
	parm->parm.output.capability = V4L2_CAP_TIMEPERFRAME;
	parm->parm.output.timeperframe.denominator = ctx->framerate_num;
	parm->parm.output.timeperframe.numerator = ctx->framerate_denom;
	return 0;
}

static int vidioc_g_pixelaspect(struct file *file, void *fh, int type,
				struct v4l2_fract *f)
{
	/* the driver answers only for its decoder */
	return -ENOIOCTLCMD;
}

static int vidioc_subscribe_evt(struct v4l2_fh *fh,
				const struct v4l2_event_subscription *sub)
{
	switch (sub->type) {
	case V4L2_EVENT_EOS:
		return v4l2_event_subscribe(fh, sub, 2, NULL);
	case V4L2_EVENT_SOURCE_CHANGE:
		return v4l2_src_change_event_subscribe(fh, sub);
	default:
		return v4l2_ctrl_subscribe_event(fh, sub);
	}
}

static int vidioc_try_encoder_cmd(struct file *file, void *priv,
				  struct v4l2_encoder_cmd *cmd)
{
	switch (cmd->cmd) {
	case V4L2_ENC_CMD_STOP:
	case V4L2_ENC_CMD_START:
		return 0;
	default:
		return -EINVAL;
	}
}

static int vidioc_encoder_cmd(struct file *file, void *priv,
			      struct v4l2_encoder_cmd *cmd)
{
	struct codec_ctx *ctx = file2ctx(file);
	struct vb2_queue *src_vq;
	unsigned long flags;
	int ret;

	v4l2_dbg(2, debug, &ctx->dev->v4l2_dev, "%s, cmd %u", __func__, cmd->cmd);
	ret = vidioc_try_encoder_cmd(file, priv, cmd);
	if (ret)
		return ret;
	if (cmd->cmd != V4L2_ENC_CMD_STOP || !ctx->component)
		return 0;
	/* the EOS goes to the input port; a disabled port refuses it */
	src_vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
	if (!vb2_is_streaming(src_vq)) {
		v4l2_err(&ctx->dev->v4l2_dev, "%s: EOS buffer submit failed\n",
			 __func__);
		return 0;
	}
	spin_lock_irqsave(&ctx->lock, flags);
	if (ctx->eos_pending)
		v4l2_err(&ctx->dev->v4l2_dev, "EOS buffers already in use\n");
	ctx->eos_pending = true;
	ctx->drain_count = v4l2_m2m_num_src_bufs_ready(ctx->fh.m2m_ctx);
	spin_unlock_irqrestore(&ctx->lock, flags);
	v4l2_m2m_try_schedule(ctx->fh.m2m_ctx);
	return 0;
}

static int vidioc_enum_framesizes(struct file *file, void *fh,
				  struct v4l2_frmsizeenum *fsize)
{
	if (!find_format(fsize->pixel_format, true) &&
	    !find_format(fsize->pixel_format, false))
		return -EINVAL;
	if (fsize->index)
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fsize->stepwise.min_width = MIN_W;
	fsize->stepwise.max_width = MAX_W;
	fsize->stepwise.step_width = 2;
	fsize->stepwise.min_height = MIN_H;
	fsize->stepwise.max_height = MAX_H;
	fsize->stepwise.step_height = 2;
	return 0;
}

static const struct v4l2_ioctl_ops codec_ioctl_ops = {
	.vidioc_querycap = vidioc_querycap,

	.vidioc_enum_fmt_vid_cap = vidioc_enum_fmt_vid_cap,
	.vidioc_g_fmt_vid_cap_mplane = vidioc_g_fmt_vid_cap,
	.vidioc_try_fmt_vid_cap_mplane = vidioc_try_fmt_vid_cap,
	.vidioc_s_fmt_vid_cap_mplane = vidioc_s_fmt_vid_cap,

	.vidioc_enum_fmt_vid_out = vidioc_enum_fmt_vid_out,
	.vidioc_g_fmt_vid_out_mplane = vidioc_g_fmt_vid_out,
	.vidioc_try_fmt_vid_out_mplane = vidioc_try_fmt_vid_out,
	.vidioc_s_fmt_vid_out_mplane = vidioc_s_fmt_vid_out,

	.vidioc_reqbufs = v4l2_m2m_ioctl_reqbufs,
	.vidioc_querybuf = v4l2_m2m_ioctl_querybuf,
	.vidioc_qbuf = v4l2_m2m_ioctl_qbuf,
	.vidioc_dqbuf = v4l2_m2m_ioctl_dqbuf,
	.vidioc_prepare_buf = v4l2_m2m_ioctl_prepare_buf,
	.vidioc_create_bufs = v4l2_m2m_ioctl_create_bufs,
	.vidioc_expbuf = v4l2_m2m_ioctl_expbuf,

	.vidioc_streamon = v4l2_m2m_ioctl_streamon,
	.vidioc_streamoff = v4l2_m2m_ioctl_streamoff,

	.vidioc_g_selection = vidioc_g_selection,
	.vidioc_s_selection = vidioc_s_selection,

	.vidioc_g_parm = vidioc_g_parm,
	.vidioc_s_parm = vidioc_s_parm,

	.vidioc_g_pixelaspect = vidioc_g_pixelaspect,

	.vidioc_subscribe_event = vidioc_subscribe_evt,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,

	.vidioc_encoder_cmd = vidioc_encoder_cmd,
	.vidioc_try_encoder_cmd = vidioc_try_encoder_cmd,
	.vidioc_enum_framesizes = vidioc_enum_framesizes,
};

/* ------------------------------------------------------------ controls */

static int codec_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct codec_ctx *ctx = container_of(ctrl->handler, struct codec_ctx, hdl);
	unsigned long flags;

	if (ctrl->flags & V4L2_CTRL_FLAG_READ_ONLY)
		return 0;
	switch (ctrl->id) {
	case V4L2_CID_MPEG_VIDEO_BITRATE:
		ctx->bitrate = ctrl->val;
		break;
	case V4L2_CID_MPEG_VIDEO_H264_I_PERIOD:
		/* the driver keeps both, and H264_I_PERIOD updates GOP_SIZE */
		__v4l2_ctrl_s_ctrl(ctx->gop_size, ctrl->val);
		break;
	case V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME:
		if (!ctx->component)
			break;
		spin_lock_irqsave(&ctx->lock, flags);
		ctx->force_idr = true;
		spin_unlock_irqrestore(&ctx->lock, flags);
		break;
	case V4L2_CID_MPEG_VIDEO_BITRATE_MODE:
	case V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER:
	case V4L2_CID_MPEG_VIDEO_HEADER_MODE:
	case V4L2_CID_MPEG_VIDEO_GOP_SIZE:
	case V4L2_CID_MPEG_VIDEO_H264_PROFILE:
	case V4L2_CID_MPEG_VIDEO_H264_LEVEL:
	case V4L2_CID_MPEG_VIDEO_H264_MIN_QP:
	case V4L2_CID_MPEG_VIDEO_H264_MAX_QP:
	case V4L2_CID_MPEG_VIDEO_B_FRAMES:
		break;	/* read by the encoder for each frame */
	default:
		v4l2_err(&ctx->dev->v4l2_dev, "Invalid control %08x\n", ctrl->id);
		return -EINVAL;
	}
	return 0;
}

static const struct v4l2_ctrl_ops codec_ctrl_ops = {
	.s_ctrl = codec_s_ctrl,
};

static int add_controls(struct codec_ctx *ctx)
{
	struct v4l2_ctrl_handler *hdl = &ctx->hdl;
	const struct v4l2_ctrl_ops *ops = &codec_ctrl_ops;

	v4l2_ctrl_handler_init(hdl, 13);
	v4l2_ctrl_new_std_menu(hdl, ops, V4L2_CID_MPEG_VIDEO_BITRATE_MODE,
			       V4L2_MPEG_VIDEO_BITRATE_MODE_CBR, 0,
			       V4L2_MPEG_VIDEO_BITRATE_MODE_VBR);
	v4l2_ctrl_new_std(hdl, ops, V4L2_CID_MPEG_VIDEO_BITRATE,
			  25 * 1000, 25 * 1000 * 1000, 25 * 1000, 10 * 1000 * 1000);
	ctx->header_mode =
		v4l2_ctrl_new_std_menu(hdl, ops, V4L2_CID_MPEG_VIDEO_HEADER_MODE,
				       V4L2_MPEG_VIDEO_HEADER_MODE_JOINED_WITH_1ST_FRAME,
				       0, V4L2_MPEG_VIDEO_HEADER_MODE_JOINED_WITH_1ST_FRAME);
	ctx->repeat_headers =
		v4l2_ctrl_new_std(hdl, ops, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER,
				  0, 1, 1, 0);
	v4l2_ctrl_new_std(hdl, ops, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD,
			  0, 0x7fffffff, 1, 60);
	ctx->level = v4l2_ctrl_new_std_menu(hdl, ops, V4L2_CID_MPEG_VIDEO_H264_LEVEL,
					    V4L2_MPEG_VIDEO_H264_LEVEL_5_1, 0,
					    V4L2_MPEG_VIDEO_H264_LEVEL_4_0);
	ctx->profile =
		v4l2_ctrl_new_std_menu(hdl, ops, V4L2_CID_MPEG_VIDEO_H264_PROFILE,
				       V4L2_MPEG_VIDEO_H264_PROFILE_HIGH,
				       ~(BIT(V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE) |
					 BIT(V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE) |
					 BIT(V4L2_MPEG_VIDEO_H264_PROFILE_MAIN) |
					 BIT(V4L2_MPEG_VIDEO_H264_PROFILE_HIGH)),
				       V4L2_MPEG_VIDEO_H264_PROFILE_HIGH);
	v4l2_ctrl_new_std(hdl, ops, V4L2_CID_MPEG_VIDEO_H264_MIN_QP, 0, 51, 1, 20);
	v4l2_ctrl_new_std(hdl, ops, V4L2_CID_MPEG_VIDEO_H264_MAX_QP, 0, 51, 1, 51);
	v4l2_ctrl_new_std(hdl, ops, V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 0, 0, 0, 0);
	v4l2_ctrl_new_std(hdl, ops, V4L2_CID_MPEG_VIDEO_B_FRAMES, 0, 0, 1, 0);
	ctx->gop_size = v4l2_ctrl_new_std(hdl, ops, V4L2_CID_MPEG_VIDEO_GOP_SIZE,
					  0, 0x7fffffff, 1, 60);
	if (hdl->error)
		return hdl->error;
	ctx->fh.ctrl_handler = hdl;
	v4l2_ctrl_handler_setup(hdl);
	return 0;
}

/* ------------------------------------------------------------ vb2 */

static int codec_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
			     unsigned int *nplanes, unsigned int sizes[],
			     struct device *alloc_devs[])
{
	struct codec_ctx *ctx = vb2_get_drv_priv(vq);
	struct codec_q_data *q_data = get_q_data(ctx, vq->type);
	unsigned int size;

	if (!q_data)
		return -EINVAL;
	if (!ctx->component) {
		/* the component takes every control value once more */
		ctx->component = true;
		v4l2_ctrl_handler_setup(&ctx->hdl);
	}
	size = q_data->sizeimage;
	if (*nplanes)
		return sizes[0] < size ? -EINVAL : 0;
	*nplanes = 1;
	sizes[0] = size;
	if (*nbuffers < 1)
		*nbuffers = 1;
	return 0;
}

static int codec_buf_prepare(struct vb2_buffer *vb)
{
	struct codec_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct vb2_v4l2_buffer *vbuf = to_vb2_v4l2_buffer(vb);
	struct codec_q_data *q_data = get_q_data(ctx, vb->vb2_queue->type);

	if (!q_data)
		return -EINVAL;
	if (V4L2_TYPE_IS_OUTPUT(vb->vb2_queue->type) &&
	    vbuf->field == V4L2_FIELD_ANY)
		vbuf->field = V4L2_FIELD_NONE;
	if (vb2_plane_size(vb, 0) < q_data->sizeimage) {
		v4l2_dbg(1, debug, &ctx->dev->v4l2_dev,
			 "%s data will not fit into plane (%lu < %lu)\n", __func__,
			 vb2_plane_size(vb, 0), (long)q_data->sizeimage);
		return -EINVAL;
	}
	if (!V4L2_TYPE_IS_OUTPUT(vb->vb2_queue->type))
		vb2_set_plane_payload(vb, 0, q_data->sizeimage);
	return 0;
}

static void codec_buf_queue(struct vb2_buffer *vb)
{
	struct vb2_v4l2_buffer *vbuf = to_vb2_v4l2_buffer(vb);
	struct codec_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_m2m_buf_queue(ctx->fh.m2m_ctx, vbuf);
}

static void return_buffers(struct codec_ctx *ctx, struct vb2_queue *q)
{
	struct vb2_v4l2_buffer *vbuf;

	for (;;) {
		if (V4L2_TYPE_IS_OUTPUT(q->type))
			vbuf = v4l2_m2m_src_buf_remove(ctx->fh.m2m_ctx);
		else
			vbuf = v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx);
		if (!vbuf)
			break;
		v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_QUEUED);
	}
}

static int codec_start_streaming(struct vb2_queue *q, unsigned int count)
{
	struct codec_ctx *ctx = vb2_get_drv_priv(q);
	unsigned int w, h;
	int ret;

	v4l2_dbg(1, debug, &ctx->dev->v4l2_dev, "%s: type: %d count %d\n",
		 __func__, q->type, count);
	if (!V4L2_TYPE_IS_OUTPUT(q->type))
		return 0;
	encode_size(&ctx->q_data[V4L2_M2M_SRC], &w, &h);
	ret = alloc_workspace(ctx, w, h);
	if (ret) {
		return_buffers(ctx, q);
		return ret;
	}
	spin_lock_irq(&ctx->lock);
	ctx->eos_pending = false;
	ctx->drain_count = 0;
	ctx->restart = true;
	spin_unlock_irq(&ctx->lock);
	ctx->last_after_pieces = false;
	ctx->ref_valid = false;
	return 0;
}

static void codec_stop_streaming(struct vb2_queue *q)
{
	struct codec_ctx *ctx = vb2_get_drv_priv(q);

	v4l2_dbg(1, debug, &ctx->dev->v4l2_dev, "%s: type: %d - return buffers\n",
		 __func__, q->type);
	return_buffers(ctx, q);
	spin_lock_irq(&ctx->lock);
	if (V4L2_TYPE_IS_OUTPUT(q->type)) {
		ctx->eos_pending = false;
		ctx->drain_count = 0;
		ctx->last_after_pieces = false;
	} else {
		ctx->n_pieces = 0;
		ctx->piece = 0;
		ctx->pieces_pending = false;
	}
	spin_unlock_irq(&ctx->lock);
}

static const struct vb2_ops codec_qops = {
	.queue_setup = codec_queue_setup,
	.buf_prepare = codec_buf_prepare,
	.buf_queue = codec_buf_queue,
	.start_streaming = codec_start_streaming,
	.stop_streaming = codec_stop_streaming,
	.wait_prepare = vb2_ops_wait_prepare,
	.wait_finish = vb2_ops_wait_finish,
};

static int queue_init(void *priv, struct vb2_queue *src_vq,
		      struct vb2_queue *dst_vq)
{
	struct codec_ctx *ctx = priv;
	int ret;

	src_vq->type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	src_vq->io_modes = VB2_MMAP | VB2_DMABUF;
	src_vq->drv_priv = ctx;
	src_vq->buf_struct_size = sizeof(struct v4l2_m2m_buffer);
	src_vq->ops = &codec_qops;
	src_vq->mem_ops = &vb2_vmalloc_memops;
	src_vq->dev = &ctx->dev->pdev->dev;
	src_vq->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	src_vq->lock = &ctx->dev->dev_mutex;
	ret = vb2_queue_init(src_vq);
	if (ret)
		return ret;

	dst_vq->type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	dst_vq->io_modes = VB2_MMAP | VB2_DMABUF;
	dst_vq->drv_priv = ctx;
	dst_vq->buf_struct_size = sizeof(struct v4l2_m2m_buffer);
	dst_vq->ops = &codec_qops;
	dst_vq->mem_ops = &vb2_vmalloc_memops;
	dst_vq->dev = &ctx->dev->pdev->dev;
	dst_vq->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	dst_vq->lock = &ctx->dev->dev_mutex;
	return vb2_queue_init(dst_vq);
}

/* ------------------------------------------------------------ file */

static void init_q_data(struct codec_q_data *q, const struct codec_fmt *fmt)
{
	q->fmt = fmt;
	q->crop_width = DEFAULT_WIDTH;
	q->crop_height = DEFAULT_HEIGHT;
	q->height = DEFAULT_HEIGHT;
	q->bytesperline = get_bytesperline(DEFAULT_WIDTH, DEFAULT_HEIGHT, fmt);
	q->sizeimage = get_sizeimage(q->bytesperline, DEFAULT_WIDTH,
				     DEFAULT_HEIGHT, fmt);
	q->field = V4L2_FIELD_NONE;
}

static int codec_open(struct file *file)
{
	struct codec_dev *dev = video_drvdata(file);
	struct codec_ctx *ctx;
	int rc;

	if (mutex_lock_interruptible(&dev->dev_mutex))
		return -ERESTARTSYS;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx) {
		rc = -ENOMEM;
		goto unlock;
	}
	ctx->dev = dev;
	spin_lock_init(&ctx->lock);
	INIT_WORK(&ctx->work, codec_work);
	init_q_data(&ctx->q_data[V4L2_M2M_SRC], &output_formats[0]);
	init_q_data(&ctx->q_data[V4L2_M2M_DST], &capture_formats[0]);
	ctx->colorspace = V4L2_COLORSPACE_REC709;
	ctx->bitrate = 10 * 1000 * 1000;
	ctx->framerate_num = 30;
	ctx->framerate_denom = 1;
	ctx->restart = true;

	v4l2_fh_init(&ctx->fh, video_devdata(file));
	file->private_data = &ctx->fh;
	rc = add_controls(ctx);
	if (rc)
		goto free_ctrls;
	ctx->fh.m2m_ctx = v4l2_m2m_ctx_init(dev->m2m_dev, ctx, &queue_init);
	if (IS_ERR(ctx->fh.m2m_ctx)) {
		rc = PTR_ERR(ctx->fh.m2m_ctx);
		goto free_ctrls;
	}
	/* jobs for an EOS or the rest of a frame need no OUTPUT buffer */
	v4l2_m2m_set_src_buffered(ctx->fh.m2m_ctx, true);
	v4l2_fh_add(&ctx->fh);
	mutex_unlock(&dev->dev_mutex);
	return 0;

free_ctrls:
	v4l2_ctrl_handler_free(&ctx->hdl);
	v4l2_fh_exit(&ctx->fh);
	kfree(ctx);
unlock:
	mutex_unlock(&dev->dev_mutex);
	return rc;
}

static int codec_release(struct file *file)
{
	struct codec_dev *dev = video_drvdata(file);
	struct codec_ctx *ctx = file2ctx(file);

	v4l2_fh_del(&ctx->fh);
	mutex_lock(&dev->dev_mutex);
	v4l2_m2m_ctx_release(ctx->fh.m2m_ctx);
	mutex_unlock(&dev->dev_mutex);
	cancel_work_sync(&ctx->work);
	v4l2_ctrl_handler_free(&ctx->hdl);
	v4l2_fh_exit(&ctx->fh);
	free_workspace(ctx);
	kfree(ctx);
	return 0;
}

static const struct v4l2_file_operations codec_fops = {
	.owner = THIS_MODULE,
	.open = codec_open,
	.release = codec_release,
	.poll = v4l2_m2m_fop_poll,
	.unlocked_ioctl = video_ioctl2,
	.mmap = v4l2_m2m_fop_mmap,
};

static const struct video_device codec_videodev = {
	.name = MEM2MEM_NAME,
	.vfl_dir = VFL_DIR_M2M,
	.fops = &codec_fops,
	.ioctl_ops = &codec_ioctl_ops,
	.minor = -1,
	.release = video_device_release_empty,
};

/* ------------------------------------------------------------ device */

/* The last reference to the device goes with the last open file, which
 * may be after the driver was unbound (a process still holding the
 * encoder): the device and its m2m core live until then.  This is the
 * mainline pattern of vicodec (vicodec_v4l2_dev_release); a device
 * allocated with devm_ would be freed under the open file at unbind. */
static void codec_v4l2_dev_release(struct v4l2_device *v4l2_dev)
{
	struct codec_dev *dev = container_of(v4l2_dev, struct codec_dev, v4l2_dev);

	v4l2_device_unregister(&dev->v4l2_dev);
	v4l2_m2m_release(dev->m2m_dev);
	media_device_cleanup(&dev->mdev);
	kfree(dev);
}

static int codec_probe(struct platform_device *pdev)
{
	struct codec_dev *dev;
	struct media_device *mdev;
	struct video_device *vfd;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->pdev = pdev;
	mutex_init(&dev->dev_mutex);

	mdev = &dev->mdev;
	mdev->dev = &pdev->dev;
	strscpy(mdev->model, MEM2MEM_NAME, sizeof(mdev->model));
	strscpy(mdev->serial, "0000", sizeof(mdev->serial));
	snprintf(mdev->bus_info, sizeof(mdev->bus_info), "platform:%s",
		 pdev->name);
	mdev->hw_revision = 1;
	media_device_init(mdev);

	ret = v4l2_device_register(&pdev->dev, &dev->v4l2_dev);
	if (ret)
		goto cleanup_mdev;
	dev->v4l2_dev.release = codec_v4l2_dev_release;
	dev->v4l2_dev.mdev = mdev;

	dev->vfd = codec_videodev;
	vfd = &dev->vfd;
	vfd->lock = &dev->dev_mutex;
	vfd->v4l2_dev = &dev->v4l2_dev;
	vfd->device_caps = V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING;
	v4l2_disable_ioctl(vfd, VIDIOC_DECODER_CMD);
	v4l2_disable_ioctl(vfd, VIDIOC_TRY_DECODER_CMD);
	video_set_drvdata(vfd, dev);

	dev->m2m_dev = v4l2_m2m_init(&m2m_ops);
	if (IS_ERR(dev->m2m_dev)) {
		v4l2_err(&dev->v4l2_dev, "Failed to init mem2mem device\n");
		ret = PTR_ERR(dev->m2m_dev);
		goto unreg_v4l2;
	}
	ret = video_register_device(vfd, VFL_TYPE_VIDEO, encode_video_nr);
	if (ret) {
		v4l2_err(&dev->v4l2_dev, "Failed to register video device\n");
		goto release_m2m;
	}
	snprintf(vfd->name, sizeof(vfd->name), "%s-%s", MEM2MEM_NAME, ROLE_NAME);
	v4l2_info(&dev->v4l2_dev, "Device registered as /dev/video%d\n", vfd->num);

	ret = v4l2_m2m_register_media_controller(dev->m2m_dev, vfd,
						 MEDIA_ENT_F_PROC_VIDEO_ENCODER);
	if (ret)
		goto unreg_video;
	ret = media_device_register(mdev);
	if (ret)
		goto unreg_mc;
	platform_set_drvdata(pdev, dev);
	v4l2_info(&dev->v4l2_dev, "Loaded V4L2 %s\n", ROLE_NAME);
	return 0;

unreg_mc:
	v4l2_m2m_unregister_media_controller(dev->m2m_dev);
unreg_video:
	video_unregister_device(vfd);
release_m2m:
	v4l2_m2m_release(dev->m2m_dev);
unreg_v4l2:
	v4l2_device_unregister(&dev->v4l2_dev);
cleanup_mdev:
	media_device_cleanup(mdev);
	kfree(dev);
	return ret;
}

static void codec_remove(struct platform_device *pdev)
{
	struct codec_dev *dev = platform_get_drvdata(pdev);

	v4l2_info(&dev->v4l2_dev, "Removing " MEM2MEM_NAME ", %s\n", ROLE_NAME);
	media_device_unregister(&dev->mdev);
	v4l2_m2m_unregister_media_controller(dev->m2m_dev);
	video_unregister_device(&dev->vfd);
	/* The rest in codec_v4l2_dev_release, with the last open file. */
	v4l2_device_put(&dev->v4l2_dev);
}

static struct platform_driver codec_driver = {
	.probe = codec_probe,
	.remove = codec_remove,
	.driver = {
		.name = MEM2MEM_NAME,
	},
};

static struct platform_device *codec_pdev;

static int __init codec_init(void)
{
	int ret = platform_driver_register(&codec_driver);

	if (ret)
		return ret;
	codec_pdev = platform_device_register_simple(MEM2MEM_NAME, -1, NULL, 0);
	if (IS_ERR(codec_pdev)) {
		platform_driver_unregister(&codec_driver);
		return PTR_ERR(codec_pdev);
	}
	return 0;
}

static void __exit codec_exit(void)
{
	platform_device_unregister(codec_pdev);
	platform_driver_unregister(&codec_driver);
}

module_init(codec_init);
module_exit(codec_exit);

MODULE_DESCRIPTION("Stand-in for the BCM2835 codec V4L2 driver's H.264 encoder");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.0.1");
MODULE_ALIAS("platform:bcm2835-codec");
