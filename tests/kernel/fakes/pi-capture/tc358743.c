// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tc358743-fake.ko - stand-in for the Toshiba TC358743 HDMI to CSI-2 bridge
 * driver (drivers/media/i2c/tc358743.c), for the QEMU VM of tests/kernel.
 *
 * Read: drivers/media/i2c/tc358743.c of Linux 6.12.118 (Debian's
 * linux-source-6.12, the VM's own kernel; it carries the Raspberry Pi
 * changes that went upstream: FIFO level 374, the CHIPID check, the
 * colorspace of the format being set) and raspberrypi/linux (f666b1ef,
 * 0006d8a2) for the Pi-only 972 Mbps (486 MHz) D-PHY timing table.
 *
 * Reproduced (userspace sees the 6.12 V4L2 core around these callbacks):
 *  - An I2C driver named "tc358743" (id table "tc358743"), so the subdev
 *    and entity are "tc358743 <bus>-000f" (v4l2_i2c_subdev_init); probe
 *    fails with -EIO without I2C_FUNC_SMBUS_BYTE_DATA and with -ENODEV
 *    unless the CHIPID register (0x0000) reads chip id 0x00 over I2C.
 *  - The endpoint parsed as tc358743_probe_of does, from the firmware
 *    node (a software node here): v4l2_fwnode_endpoint_alloc_parse, CSI-2
 *    D-PHY with data lanes and a link frequency or -EINVAL, at most 4
 *    lanes; bps per lane = 2 x link-frequencies[0], 62.5 Mbps..1 Gbps or
 *    -EINVAL; PLL: refclk / pll_prd * pll_fbd with the overlay's 27 MHz
 *    refclk (pll_prd 4); timing tables for 594 and 972 Mbps, anything else
 *    warns "untested bps per lane".
 *  - Entity MEDIA_ENT_F_VID_IF_BRIDGE, one source pad; V4L2_SUBDEV_FL_HAS_
 *    DEVNODE | HAS_EVENTS; v4l2_async_register_subdev last in probe.
 *  - Controls: V4L2_CID_DV_RX_POWER_PRESENT (read-only, follows +5V),
 *    TC358743_CID_AUDIO_SAMPLING_RATE and TC358743_CID_AUDIO_PRESENT
 *    (read-only).  No V4L2_CID_LINK_FREQ or PIXEL_RATE: the driver has none.
 *  - Formats: enum_mbus_code RGB888_1X24 then UYVY8_1X16; get_fmt gives the
 *    configured timings' size, field NONE, the code and colorspace SRGB
 *    (RGB888) or SMPTE170M (UYVY) and sets nothing else (ycbcr_enc,
 *    quantization, xfer_func stay as the caller passed them; the chip is
 *    programmed for 601 limited-range YCbCr, RGB full range); set_fmt keeps
 *    the size, takes the code when it is one of the two (else keeps the
 *    current one), TRY stores nothing, ACTIVE stops the stream and
 *    recomputes the lanes.  Default RGB888_1X24 at 640x480p59.94.
 *  - EDID on pad 0 only: up to 8 blocks (-E2BIG, blocks set to 8),
 *    start_block 0 (-EINVAL), CEC physical address validated, 0 blocks
 *    clears; get: blocks=0 asks the count, -ENODATA without EDID, -EINVAL
 *    past the end, clipped otherwise.  Written to and read from the chip's
 *    EDID RAM over I2C.  Hotplug goes high 100 ms after an EDID is written
 *    with +5V present, low when the EDID is cleared or +5V goes.
 *  - DV timings (pad ops in 6.12): s_dv_timings (no change -> 0, outside
 *    tc358743_timings_cap -> -ERANGE, else set, stop the stream,
 *    recompute lanes), g, enum and cap (pad 0), query: -ENOLINK without
 *    TMDS, -ENOLCK without sync, -ERANGE outside the cap, else the measured
 *    timings as the chip reports them (active size, hsync/vsync = total
 *    blanking, porches 0, pixelclock = total size x whole frames a second).
 *  - get_mbus_config: CSI-2 D-PHY, flags 0, num_data_lanes = lanes in use,
 *    which set_csi computes as DIV_ROUND_UP(width * height * fps * bpp,
 *    bps per lane) (bpp 16 UYVY, 24 RGB; u32 arithmetic as the driver),
 *    not clamped to the endpoint: refusing a mode that needs more lanes
 *    than the endpoint grants is the receiver's job at stream start.
 *  - Interrupts: the Pi overlay wires no IRQ, so the driver polls every
 *    1000 ms (POLL_INTERVAL_MS); a change is handled at the next poll:
 *    sync change and DE change (only with signal) run format_change
 *    (stop the stream unless the new timings match the configured ones,
 *    then V4L2_EVENT_SOURCE_CHANGE with V4L2_EVENT_SRC_CH_RESOLUTION through
 *    v4l2_subdev_notify_event when the subdev node exists); +5V loss
 *    disables the EDID/hotplug, zeroes the configured timings and updates
 *    the controls; +5V arrival re-enables hotplug if an EDID is loaded.
 *  - g_input_status: V4L2_IN_ST_NO_SIGNAL / NO_SYNC; s_stream; log_status.
 * Left out: the register-level programming of the HDMI PHY, PLL, CSI-2
 * transmitter, audio and InfoFrames (the state is kept in this driver), CEC
 * (CONFIG_VIDEO_TC358743_CEC is off on the Pi), HDCP, the reset GPIO and
 * the refclk clock lookup (no clock framework user; 27 MHz assumed),
 * interlaced input.
 * Added for the stand-ins only: core op "command" PIFAKE_CMD_LINK_STATE,
 * through which the receivers learn whether video leaves the bridge.
 *
 * Control interface, /sys/kernel/debug/hdmirtc-fake-tc358743/ (a second
 * bridge gets hdmirtc-fake-tc358743-<bus>-000f/); each write changes what
 * the chip's status registers report at once (QUERY_DV_TIMINGS, controls
 * after the poll) and raises the interrupt the change would raise:
 *   signal   ok        +5V, TMDS and sync, timings of "timings"
 *            nolink    cable out: no +5V, no TMDS (-ENOLINK)
 *            nosignal  +5V but no TMDS, source asleep (-ENOLINK)
 *            nolock    +5V and TMDS, no sync (-ENOLCK)
 *            range     locked to 3840x2160p30, outside the cap (-ERANGE)
 *   timings  WIDTHxHEIGHT@HZ (or WIDTHxHEIGHTpHZ): the first progressive
 *            entry of v4l2_dv_timings_presets with that size and rate
 *            rounded to whole Hz (1920x1080@60, 1280x720@50, ...)
 *   audio    none, or a rate the chip reports (32000 44100 48000 ...)
 *   hpd      (read) 0/1, the hotplug line
 *   status   (read) a summary: signal, source and configured timings,
 *            format, lanes in use, streaming, EDID blocks
 * Module parameters: initial_signal (ok), initial_timings (1920x1080@60),
 * poll_interval_ms (1000, as the driver without an IRQ; lower it to make
 * tests quicker).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/i2c.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/v4l2-dv-timings.h>
#include <linux/videodev2.h>
#include <linux/workqueue.h>
#include <media/i2c/tc358743.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-dv-timings.h>
#include <media/v4l2-event.h>
#include <media/v4l2-fwnode.h>
#include <media/v4l2-subdev.h>

#include "pi-fake.h"

static char *initial_signal = "ok";
module_param(initial_signal, charp, 0444);
MODULE_PARM_DESC(initial_signal, "ok, nolink, nosignal, nolock or range");

static char *initial_timings = "1920x1080@60";
module_param(initial_timings, charp, 0444);
MODULE_PARM_DESC(initial_timings, "what the HDMI source sends, WIDTHxHEIGHT@HZ");

static unsigned int poll_interval_ms = 1000;
module_param(poll_interval_ms, uint, 0644);
MODULE_PARM_DESC(poll_interval_ms, "interrupt poll period (driver: 1000)");

#define EDID_NUM_BLOCKS_MAX	8
#define EDID_BLOCK_SIZE		128
#define REFCLK_HZ		27000000U

/* Register addresses (TC358743XBG functional specification). */
#define REG_CHIPID		0x0000
#define REG_EDID_LEN1		0x85ca
#define REG_EDID_LEN2		0x85cb
#define REG_EDID_RAM		0x8c00

/* Interrupt causes the poll handles. */
#define INT_SYNC_CHG		BIT(0)
#define INT_DE_CHG		BIT(1)
#define INT_AUDIO		BIT(2)
#define INT_DDC			BIT(3)

enum signal { SIG_OK, SIG_NOLINK, SIG_NOSIGNAL, SIG_NOLOCK, SIG_RANGE };

static const char *const signal_names[] = {
	[SIG_OK] = "ok", [SIG_NOLINK] = "nolink", [SIG_NOSIGNAL] = "nosignal",
	[SIG_NOLOCK] = "nolock", [SIG_RANGE] = "range",
};

static const struct v4l2_dv_timings_cap tc358743_timings_cap = {
	.type = V4L2_DV_BT_656_1120,
	/* pixel clock from the datasheet; sizes as the driver's */
	V4L2_INIT_BT_TIMINGS(640, 1920, 350, 1200, 13000000, 165000000,
			     V4L2_DV_BT_STD_CEA861 | V4L2_DV_BT_STD_DMT |
			     V4L2_DV_BT_STD_GTF | V4L2_DV_BT_STD_CVT,
			     V4L2_DV_BT_CAP_PROGRESSIVE |
			     V4L2_DV_BT_CAP_REDUCED_BLANKING |
			     V4L2_DV_BT_CAP_CUSTOM)
};

struct tc_state {
	struct v4l2_subdev sd;
	struct media_pad pad;
	struct v4l2_ctrl_handler hdl;
	struct i2c_client *client;
	struct v4l2_mbus_config_mipi_csi2 bus;
	u32 pll_prd;
	u32 pll_fbd;
	/* serialises the ops, the poll and the debugfs files */
	struct mutex lock;

	struct v4l2_ctrl *detect_tx_5v_ctrl;
	struct v4l2_ctrl *audio_sampling_rate_ctrl;
	struct v4l2_ctrl *audio_present_ctrl;

	struct delayed_work hotplug_work;
	struct delayed_work poll_work;
	bool hpd;		/* written without the lock by hotplug_work */

	u8 edid_blocks_written;
	struct v4l2_dv_timings timings;	/* configured */
	u32 mbus_fmt_code;
	u8 csi_lanes_in_use;
	bool stream_enabled;		/* video unmuted, VBUFEN set */

	/* The HDMI side: what the status registers say. */
	enum signal signal;
	struct v4l2_dv_timings source;	/* the mode the source sends */
	u32 audio_rate;
	unsigned int pending;		/* INT_* not yet handled */

	struct dentry *debugfs;
};

static inline struct tc_state *to_state(struct v4l2_subdev *sd)
{
	return container_of(sd, struct tc_state, sd);
}

/* --------------------------------------------------------------- I2C */

static int i2c_rd(struct tc_state *st, u16 reg, u8 *values, u16 n)
{
	u8 buf[2] = { reg >> 8, reg & 0xff };
	struct i2c_msg msgs[] = {
		{ .addr = st->client->addr, .len = 2, .buf = buf },
		{ .addr = st->client->addr, .flags = I2C_M_RD, .len = n,
		  .buf = values },
	};
	int err = i2c_transfer(st->client->adapter, msgs, ARRAY_SIZE(msgs));

	if (err != ARRAY_SIZE(msgs)) {
		v4l2_err(&st->sd, "%s: reading register 0x%x from 0x%x failed: %d\n",
			 __func__, reg, st->client->addr, err);
		return -EIO;
	}
	return 0;
}

static void i2c_wr(struct tc_state *st, u16 reg, const u8 *values, u16 n)
{
	u8 data[EDID_BLOCK_SIZE + 2];
	struct i2c_msg msg = { .addr = st->client->addr, .buf = data };
	int err;

	n = min_t(u16, n, EDID_BLOCK_SIZE);
	data[0] = reg >> 8;
	data[1] = reg & 0xff;
	memcpy(data + 2, values, n);
	msg.len = n + 2;
	err = i2c_transfer(st->client->adapter, &msg, 1);
	if (err != 1)
		v4l2_err(&st->sd, "%s: writing register 0x%x from 0x%x failed: %d\n",
			 __func__, reg, st->client->addr, err);
}

/* ------------------------------------------------- status and timings */

static bool tx_5v_power_present(struct tc_state *st)
{
	return st->signal != SIG_NOLINK;
}

static bool no_signal(struct tc_state *st)
{
	return st->signal == SIG_NOLINK || st->signal == SIG_NOSIGNAL;
}

static bool no_sync(struct tc_state *st)
{
	return no_signal(st) || st->signal == SIG_NOLOCK;
}

static unsigned int fps(const struct v4l2_bt_timings *t)
{
	if (!V4L2_DV_BT_FRAME_HEIGHT(t) || !V4L2_DV_BT_FRAME_WIDTH(t))
		return 0;
	return DIV_ROUND_CLOSEST((unsigned int)t->pixelclock,
				 V4L2_DV_BT_FRAME_HEIGHT(t) *
				 V4L2_DV_BT_FRAME_WIDTH(t));
}

/*
 * What the chip measures: the active size, the total size, and the frame
 * interval in units of 0.1 ms (FV_CNT), from which the driver rebuilds
 * timings with all blanking in hsync/vsync.
 */
static int get_detected_timings(struct tc_state *st,
				struct v4l2_dv_timings *timings)
{
	static const struct v4l2_dv_timings uhd = V4L2_DV_BT_CEA_3840X2160P30;
	const struct v4l2_bt_timings *src = st->signal == SIG_RANGE ?
					    &uhd.bt : &st->source.bt;
	struct v4l2_bt_timings *bt = &timings->bt;
	u32 frame_width = V4L2_DV_BT_FRAME_WIDTH(src);
	u32 frame_height = V4L2_DV_BT_FRAME_HEIGHT(src);
	u32 frame_interval, rate;

	memset(timings, 0, sizeof(*timings));
	if (no_signal(st))
		return -ENOLINK;
	if (no_sync(st))
		return -ENOLCK;

	frame_interval = src->pixelclock ?
		div64_u64(10000ULL * frame_width * frame_height +
			  src->pixelclock / 2, src->pixelclock) : 0;
	rate = frame_interval ? DIV_ROUND_CLOSEST(10000, frame_interval) : 0;

	timings->type = V4L2_DV_BT_656_1120;
	bt->interlaced = V4L2_DV_PROGRESSIVE;
	bt->width = src->width;
	bt->height = src->height;
	bt->vsync = frame_height - src->height;
	bt->hsync = frame_width - src->width;
	bt->pixelclock = (u64)frame_width * frame_height * rate;
	return 0;
}

static unsigned int num_csi_lanes_needed(struct tc_state *st)
{
	struct v4l2_bt_timings *bt = &st->timings.bt;
	u32 bits_pr_pixel =
		st->mbus_fmt_code == MEDIA_BUS_FMT_UYVY8_1X16 ? 16 : 24;
	u32 bps = bt->width * bt->height * fps(bt) * bits_pr_pixel;
	u32 bps_pr_lane = (REFCLK_HZ / st->pll_prd) * st->pll_fbd;

	return DIV_ROUND_UP(bps, bps_pr_lane);
}

static void set_csi(struct tc_state *st)
{
	st->csi_lanes_in_use = num_csi_lanes_needed(st);
}

static void enable_stream(struct tc_state *st, bool enable)
{
	st->stream_enabled = enable;
}

/* ------------------------------------------------------------- controls */

static int s_ctrl_detect_tx_5v(struct tc_state *st)
{
	return v4l2_ctrl_s_ctrl(st->detect_tx_5v_ctrl, tx_5v_power_present(st));
}

static int update_controls(struct tc_state *st)
{
	int ret = 0;

	ret |= s_ctrl_detect_tx_5v(st);
	/* FS_SET is not cleared when the cable goes: 0 without signal */
	ret |= v4l2_ctrl_s_ctrl(st->audio_sampling_rate_ctrl,
				no_signal(st) ? 0 : st->audio_rate);
	ret |= v4l2_ctrl_s_ctrl(st->audio_present_ctrl,
				!no_signal(st) && st->audio_rate);
	return ret;
}

/* --------------------------------------------------------- hotplug/EDID */

static void hotplug_work(struct work_struct *work)
{
	struct tc_state *st = container_of(to_delayed_work(work),
					   struct tc_state, hotplug_work);

	WRITE_ONCE(st->hpd, true);
}

static void disable_edid(struct tc_state *st)
{
	cancel_delayed_work_sync(&st->hotplug_work);
	WRITE_ONCE(st->hpd, false);
}

static void enable_edid(struct tc_state *st)
{
	if (st->edid_blocks_written == 0) {
		s_ctrl_detect_tx_5v(st);
		return;
	}
	/* Hotplug after 100 ms; DDC access to the EDID comes with it. */
	schedule_delayed_work(&st->hotplug_work, HZ / 10);
	s_ctrl_detect_tx_5v(st);
}

/* ------------------------------------------------------------ interrupts */

/* Returns whether a SOURCE_CHANGE is due (sent without the lock). */
static bool format_change(struct tc_state *st)
{
	struct v4l2_dv_timings timings;

	if (get_detected_timings(st, &timings))
		enable_stream(st, false);
	else if (!v4l2_match_dv_timings(&st->timings, &timings, 0, false))
		enable_stream(st, false);
	return st->sd.devnode;
}

static void poll_work(struct work_struct *work)
{
	struct tc_state *st = container_of(to_delayed_work(work),
					   struct tc_state, poll_work);
	static const struct v4l2_event ev_fmt = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
		.u.src_change.changes = V4L2_EVENT_SRC_CH_RESOLUTION,
	};
	unsigned int pending, events = 0;

	mutex_lock(&st->lock);
	pending = st->pending;
	st->pending = 0;
	/* in the order of tc358743_isr: MISC, CBIT, CLK, SYS */
	if ((pending & INT_SYNC_CHG) && format_change(st))
		events++;
	if (pending & INT_AUDIO)
		update_controls(st);
	if ((pending & INT_DE_CHG) && !no_signal(st) && !no_sync(st) &&
	    format_change(st))
		events++;
	if (pending & INT_DDC) {
		if (tx_5v_power_present(st)) {
			enable_edid(st);
		} else {
			disable_edid(st);
			memset(&st->timings, 0, sizeof(st->timings));
			update_controls(st);
		}
	}
	mutex_unlock(&st->lock);

	while (events--)
		v4l2_subdev_notify_event(&st->sd, &ev_fmt);

	schedule_delayed_work(&st->poll_work,
			      msecs_to_jiffies(max(poll_interval_ms, 10U)));
}

/* ------------------------------------------------------------ core ops */

static int tc_log_status(struct v4l2_subdev *sd)
{
	struct tc_state *st = to_state(sd);
	struct v4l2_dv_timings timings;

	mutex_lock(&st->lock);
	v4l2_info(sd, "-----Chip status-----\n");
	v4l2_info(sd, "Cable detected (+5V power): %s\n",
		  tx_5v_power_present(st) ? "yes" : "no");
	v4l2_info(sd, "Hotplug enabled: %s\n", READ_ONCE(st->hpd) ? "yes" : "no");
	v4l2_info(sd, "-----Signal status-----\n");
	v4l2_info(sd, "TMDS signal detected: %s\n", no_signal(st) ? "no" : "yes");
	v4l2_info(sd, "Stable sync signal: %s\n", no_sync(st) ? "no" : "yes");
	if (get_detected_timings(st, &timings))
		v4l2_info(sd, "No video detected\n");
	else
		v4l2_print_dv_timings(sd->name, "Detected format: ", &timings,
				      true);
	v4l2_print_dv_timings(sd->name, "Configured format: ", &st->timings,
			      true);
	v4l2_info(sd, "-----CSI-TX status-----\n");
	v4l2_info(sd, "Lanes needed: %d\n", num_csi_lanes_needed(st));
	v4l2_info(sd, "Lanes in use: %d\n", st->csi_lanes_in_use);
	v4l2_info(sd, "Color space: %s\n",
		  st->mbus_fmt_code == MEDIA_BUS_FMT_UYVY8_1X16 ?
		  "YCbCr 422 16-bit" : "RGB 888 24-bit");
	mutex_unlock(&st->lock);
	return 0;
}

static int tc_subscribe_event(struct v4l2_subdev *sd, struct v4l2_fh *fh,
			      struct v4l2_event_subscription *sub)
{
	switch (sub->type) {
	case V4L2_EVENT_SOURCE_CHANGE:
		return v4l2_src_change_event_subdev_subscribe(sd, fh, sub);
	case V4L2_EVENT_CTRL:
		return v4l2_ctrl_subdev_subscribe_event(sd, fh, sub);
	default:
		return -EINVAL;
	}
}

static long tc_command(struct v4l2_subdev *sd, unsigned int cmd, void *arg)
{
	struct tc_state *st = to_state(sd);
	struct pifake_link_state *ls = arg;
	struct v4l2_bt_timings *bt = &st->timings.bt;
	struct v4l2_dv_timings det;
	u64 total;

	if (cmd != PIFAKE_CMD_LINK_STATE)
		return -ENOIOCTLCMD;
	mutex_lock(&st->lock);
	memset(ls, 0, sizeof(*ls));
	ls->transmitting = st->stream_enabled &&
			   !get_detected_timings(st, &det) &&
			   v4l2_match_dv_timings(&st->timings, &det, 0, false);
	ls->code = st->mbus_fmt_code;
	ls->width = bt->width;
	ls->height = bt->height;
	total = (u64)V4L2_DV_BT_FRAME_WIDTH(bt) * V4L2_DV_BT_FRAME_HEIGHT(bt);
	if (bt->pixelclock && V4L2_DV_BT_FRAME_HEIGHT(bt)) {
		ls->frame_ns = div64_u64(total * NSEC_PER_SEC, bt->pixelclock);
		ls->active_ns = div_u64(ls->frame_ns * bt->height,
					V4L2_DV_BT_FRAME_HEIGHT(bt));
	}
	mutex_unlock(&st->lock);
	return 0;
}

/* ------------------------------------------------------------ video ops */

static int tc_g_input_status(struct v4l2_subdev *sd, u32 *status)
{
	struct tc_state *st = to_state(sd);

	mutex_lock(&st->lock);
	*status = (no_signal(st) ? V4L2_IN_ST_NO_SIGNAL : 0) |
		  (no_sync(st) ? V4L2_IN_ST_NO_SYNC : 0);
	mutex_unlock(&st->lock);
	return 0;
}

static int tc_s_stream(struct v4l2_subdev *sd, int enable)
{
	struct tc_state *st = to_state(sd);

	mutex_lock(&st->lock);
	enable_stream(st, enable);
	if (!enable)
		set_csi(st);	/* all lanes to LP-11 */
	mutex_unlock(&st->lock);
	return 0;
}

/* -------------------------------------------------- DV timings (pad ops) */

static int tc_s_dv_timings(struct v4l2_subdev *sd, unsigned int pad,
			   struct v4l2_dv_timings *timings)
{
	struct tc_state *st = to_state(sd);
	int ret = 0;

	if (pad != 0 || !timings)
		return -EINVAL;
	mutex_lock(&st->lock);
	if (v4l2_match_dv_timings(&st->timings, timings, 0, false))
		goto out;
	if (!v4l2_valid_dv_timings(timings, &tc358743_timings_cap, NULL,
				   NULL)) {
		ret = -ERANGE;
		goto out;
	}
	st->timings = *timings;
	enable_stream(st, false);
	set_csi(st);
out:
	mutex_unlock(&st->lock);
	return ret;
}

static int tc_g_dv_timings(struct v4l2_subdev *sd, unsigned int pad,
			   struct v4l2_dv_timings *timings)
{
	struct tc_state *st = to_state(sd);

	if (pad != 0)
		return -EINVAL;
	mutex_lock(&st->lock);
	*timings = st->timings;
	mutex_unlock(&st->lock);
	return 0;
}

static int tc_enum_dv_timings(struct v4l2_subdev *sd,
			      struct v4l2_enum_dv_timings *timings)
{
	if (timings->pad != 0)
		return -EINVAL;
	return v4l2_enum_dv_timings_cap(timings, &tc358743_timings_cap, NULL,
					NULL);
}

static int tc_query_dv_timings(struct v4l2_subdev *sd, unsigned int pad,
			       struct v4l2_dv_timings *timings)
{
	struct tc_state *st = to_state(sd);
	int ret;

	if (pad != 0)
		return -EINVAL;
	mutex_lock(&st->lock);
	ret = get_detected_timings(st, timings);
	mutex_unlock(&st->lock);
	if (ret)
		return ret;
	if (!v4l2_valid_dv_timings(timings, &tc358743_timings_cap, NULL, NULL))
		return -ERANGE;
	return 0;
}

static int tc_dv_timings_cap(struct v4l2_subdev *sd,
			     struct v4l2_dv_timings_cap *cap)
{
	if (cap->pad != 0)
		return -EINVAL;
	*cap = tc358743_timings_cap;
	return 0;
}

static int tc_get_mbus_config(struct v4l2_subdev *sd, unsigned int pad,
			      struct v4l2_mbus_config *cfg)
{
	struct tc_state *st = to_state(sd);

	cfg->type = V4L2_MBUS_CSI2_DPHY;
	/* Support for non-continuous CSI-2 clock is missing in the driver */
	cfg->bus.mipi_csi2.flags = 0;
	mutex_lock(&st->lock);
	cfg->bus.mipi_csi2.num_data_lanes = st->csi_lanes_in_use;
	mutex_unlock(&st->lock);
	return 0;
}

/* ------------------------------------------------------------ formats */

static int tc_enum_mbus_code(struct v4l2_subdev *sd,
			     struct v4l2_subdev_state *sd_state,
			     struct v4l2_subdev_mbus_code_enum *code)
{
	switch (code->index) {
	case 0:
		code->code = MEDIA_BUS_FMT_RGB888_1X24;
		break;
	case 1:
		code->code = MEDIA_BUS_FMT_UYVY8_1X16;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static u32 g_colorspace(u32 code)
{
	switch (code) {
	case MEDIA_BUS_FMT_RGB888_1X24:
		return V4L2_COLORSPACE_SRGB;
	case MEDIA_BUS_FMT_UYVY8_1X16:
		return V4L2_COLORSPACE_SMPTE170M;
	default:
		return 0;
	}
}

static void fill_fmt(struct tc_state *st, struct v4l2_subdev_format *format)
{
	format->format.code = st->mbus_fmt_code;
	format->format.width = st->timings.bt.width;
	format->format.height = st->timings.bt.height;
	format->format.field = V4L2_FIELD_NONE;
	format->format.colorspace = g_colorspace(format->format.code);
}

static int tc_get_fmt(struct v4l2_subdev *sd,
		      struct v4l2_subdev_state *sd_state,
		      struct v4l2_subdev_format *format)
{
	struct tc_state *st = to_state(sd);

	if (format->pad != 0)
		return -EINVAL;
	mutex_lock(&st->lock);
	fill_fmt(st, format);
	mutex_unlock(&st->lock);
	return 0;
}

static int tc_set_fmt(struct v4l2_subdev *sd,
		      struct v4l2_subdev_state *sd_state,
		      struct v4l2_subdev_format *format)
{
	struct tc_state *st = to_state(sd);
	u32 code = format->format.code;	/* is overwritten by get_fmt */

	if (format->pad != 0)
		return -EINVAL;
	mutex_lock(&st->lock);
	fill_fmt(st, format);
	if (code == MEDIA_BUS_FMT_RGB888_1X24 ||
	    code == MEDIA_BUS_FMT_UYVY8_1X16)
		format->format.code = code;
	format->format.colorspace = g_colorspace(format->format.code);
	if (format->which != V4L2_SUBDEV_FORMAT_TRY) {
		st->mbus_fmt_code = format->format.code;
		enable_stream(st, false);
		set_csi(st);
	}
	mutex_unlock(&st->lock);
	return 0;
}

static int tc_g_edid(struct v4l2_subdev *sd, struct v4l2_subdev_edid *edid)
{
	struct tc_state *st = to_state(sd);
	int ret = 0;

	memset(edid->reserved, 0, sizeof(edid->reserved));
	if (edid->pad != 0)
		return -EINVAL;
	mutex_lock(&st->lock);
	if (edid->start_block == 0 && edid->blocks == 0) {
		edid->blocks = st->edid_blocks_written;
		goto out;
	}
	if (st->edid_blocks_written == 0) {
		ret = -ENODATA;
		goto out;
	}
	if (edid->start_block >= st->edid_blocks_written || edid->blocks == 0) {
		ret = -EINVAL;
		goto out;
	}
	if (edid->start_block + edid->blocks > st->edid_blocks_written)
		edid->blocks = st->edid_blocks_written - edid->start_block;
	i2c_rd(st, REG_EDID_RAM + edid->start_block * EDID_BLOCK_SIZE,
	       edid->edid, edid->blocks * EDID_BLOCK_SIZE);
out:
	mutex_unlock(&st->lock);
	return ret;
}

static int tc_s_edid(struct v4l2_subdev *sd, struct v4l2_subdev_edid *edid)
{
	struct tc_state *st = to_state(sd);
	u16 edid_len = edid->blocks * EDID_BLOCK_SIZE;
	u8 len[2];
	u16 pa;
	int err, i;

	memset(edid->reserved, 0, sizeof(edid->reserved));
	if (edid->pad != 0 || edid->start_block != 0)
		return -EINVAL;
	if (edid->blocks > EDID_NUM_BLOCKS_MAX) {
		edid->blocks = EDID_NUM_BLOCKS_MAX;
		return -E2BIG;
	}
	pa = v4l2_get_edid_phys_addr(edid->edid, edid->blocks * 128, NULL);
	err = v4l2_phys_addr_validate(pa, &pa, NULL);
	if (err)
		return err;

	mutex_lock(&st->lock);
	disable_edid(st);
	len[0] = edid_len & 0xff;
	i2c_wr(st, REG_EDID_LEN1, &len[0], 1);
	len[1] = edid_len >> 8;
	i2c_wr(st, REG_EDID_LEN2, &len[1], 1);
	st->edid_blocks_written = 0;
	for (i = 0; i < edid_len; i += EDID_BLOCK_SIZE)
		i2c_wr(st, REG_EDID_RAM + i, edid->edid + i, EDID_BLOCK_SIZE);
	st->edid_blocks_written = edid->blocks;
	if (edid->blocks && tx_5v_power_present(st))
		enable_edid(st);
	mutex_unlock(&st->lock);
	return 0;
}

static const struct v4l2_subdev_core_ops tc_core_ops = {
	.log_status = tc_log_status,
	.command = tc_command,
	.subscribe_event = tc_subscribe_event,
	.unsubscribe_event = v4l2_event_subdev_unsubscribe,
};

static const struct v4l2_subdev_video_ops tc_video_ops = {
	.g_input_status = tc_g_input_status,
	.s_stream = tc_s_stream,
};

static const struct v4l2_subdev_pad_ops tc_pad_ops = {
	.enum_mbus_code = tc_enum_mbus_code,
	.set_fmt = tc_set_fmt,
	.get_fmt = tc_get_fmt,
	.get_edid = tc_g_edid,
	.set_edid = tc_s_edid,
	.s_dv_timings = tc_s_dv_timings,
	.g_dv_timings = tc_g_dv_timings,
	.query_dv_timings = tc_query_dv_timings,
	.enum_dv_timings = tc_enum_dv_timings,
	.dv_timings_cap = tc_dv_timings_cap,
	.get_mbus_config = tc_get_mbus_config,
};

static const struct v4l2_subdev_ops tc_ops = {
	.core = &tc_core_ops,
	.video = &tc_video_ops,
	.pad = &tc_pad_ops,
};

static const struct v4l2_ctrl_config ctrl_audio_sampling_rate = {
	.id = TC358743_CID_AUDIO_SAMPLING_RATE,
	.name = "Audio sampling rate",
	.type = V4L2_CTRL_TYPE_INTEGER,
	.min = 0,
	.max = 768000,
	.step = 1,
	.def = 0,
	.flags = V4L2_CTRL_FLAG_READ_ONLY,
};

static const struct v4l2_ctrl_config ctrl_audio_present = {
	.id = TC358743_CID_AUDIO_PRESENT,
	.name = "Audio present",
	.type = V4L2_CTRL_TYPE_BOOLEAN,
	.min = 0,
	.max = 1,
	.step = 1,
	.def = 0,
	.flags = V4L2_CTRL_FLAG_READ_ONLY,
};

/* ------------------------------------------------------------- debugfs */

static bool parse_timings(const char *s, struct v4l2_dv_timings *out)
{
	unsigned int w, h, hz, i;
	char sep;

	if (sscanf(s, "%ux%u%c%u", &w, &h, &sep, &hz) != 4 ||
	    (sep != '@' && sep != 'p'))
		return false;
	for (i = 0; v4l2_dv_timings_presets[i].bt.width; i++) {
		const struct v4l2_bt_timings *bt = &v4l2_dv_timings_presets[i].bt;

		if (bt->width == w && bt->height == h && !bt->interlaced &&
		    fps(bt) == hz) {
			*out = v4l2_dv_timings_presets[i];
			return true;
		}
	}
	return false;
}

static void print_timings(struct seq_file *s, const char *what,
			  const struct v4l2_bt_timings *bt)
{
	seq_printf(s, "%s %ux%u@%u pixelclock %llu total %ux%u\n", what,
		   bt->width, bt->height, fps(bt), bt->pixelclock,
		   V4L2_DV_BT_FRAME_WIDTH(bt), V4L2_DV_BT_FRAME_HEIGHT(bt));
}

static ssize_t read_word(char *buf, size_t size, const char __user *ubuf,
			 size_t count)
{
	if (count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	strim(buf);
	return count;
}

/* A change of what the chip sees, and the interrupts it raises. */
static void hdmi_change(struct tc_state *st, enum signal sig,
			const struct v4l2_dv_timings *source)
{
	bool had_5v = tx_5v_power_present(st);
	bool had_tmds = !no_signal(st), had_sync = !no_sync(st);
	struct v4l2_dv_timings before, after;

	get_detected_timings(st, &before);
	st->signal = sig;
	st->source = *source;
	get_detected_timings(st, &after);

	if (tx_5v_power_present(st) != had_5v)
		st->pending |= INT_DDC;
	if (!no_signal(st) != had_tmds || !no_sync(st) != had_sync)
		st->pending |= INT_SYNC_CHG;
	else if (had_sync && !v4l2_match_dv_timings(&before, &after, 0, false))
		st->pending |= INT_DE_CHG;
}

static ssize_t signal_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct tc_state *st = file_inode(file)->i_private;
	char buf[16];
	ssize_t ret = read_word(buf, sizeof(buf), ubuf, count);
	int i;

	if (ret < 0)
		return ret;
	i = match_string(signal_names, ARRAY_SIZE(signal_names), buf);
	if (i < 0)
		return -EINVAL;
	mutex_lock(&st->lock);
	hdmi_change(st, i, &st->source);
	mutex_unlock(&st->lock);
	return count;
}

static int signal_show(struct seq_file *s, void *unused)
{
	struct tc_state *st = s->private;

	mutex_lock(&st->lock);
	seq_printf(s, "%s\n", signal_names[st->signal]);
	mutex_unlock(&st->lock);
	return 0;
}

static ssize_t timings_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct tc_state *st = file_inode(file)->i_private;
	struct v4l2_dv_timings t;
	char buf[32];
	ssize_t ret = read_word(buf, sizeof(buf), ubuf, count);

	if (ret < 0)
		return ret;
	if (!parse_timings(buf, &t))
		return -EINVAL;
	mutex_lock(&st->lock);
	hdmi_change(st, st->signal, &t);
	mutex_unlock(&st->lock);
	return count;
}

static int timings_show(struct seq_file *s, void *unused)
{
	struct tc_state *st = s->private;

	mutex_lock(&st->lock);
	print_timings(s, "source", &st->source.bt);
	mutex_unlock(&st->lock);
	return 0;
}

static ssize_t audio_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	static const u32 rates[] = { 32000, 44100, 48000, 88200, 96000,
				     176400, 192000 };
	struct tc_state *st = file_inode(file)->i_private;
	char buf[16];
	ssize_t ret = read_word(buf, sizeof(buf), ubuf, count);
	u32 rate = 0;
	int i;

	if (ret < 0)
		return ret;
	if (strcmp(buf, "none")) {
		if (kstrtou32(buf, 10, &rate))
			return -EINVAL;
		for (i = 0; i < ARRAY_SIZE(rates) && rates[i] != rate; i++)
			;
		if (i == ARRAY_SIZE(rates))
			return -EINVAL;
	}
	mutex_lock(&st->lock);
	st->audio_rate = rate;
	st->pending |= INT_AUDIO;
	mutex_unlock(&st->lock);
	return count;
}

static int audio_show(struct seq_file *s, void *unused)
{
	struct tc_state *st = s->private;

	mutex_lock(&st->lock);
	if (st->audio_rate)
		seq_printf(s, "%u\n", st->audio_rate);
	else
		seq_puts(s, "none\n");
	mutex_unlock(&st->lock);
	return 0;
}

static int hpd_show(struct seq_file *s, void *unused)
{
	struct tc_state *st = s->private;

	seq_printf(s, "%d\n", READ_ONCE(st->hpd));
	return 0;
}

static int status_show(struct seq_file *s, void *unused)
{
	struct tc_state *st = s->private;

	mutex_lock(&st->lock);
	seq_printf(s, "signal %s\n", signal_names[st->signal]);
	print_timings(s, "source", &st->source.bt);
	print_timings(s, "configured", &st->timings.bt);
	seq_printf(s, "format %s\n",
		   st->mbus_fmt_code == MEDIA_BUS_FMT_UYVY8_1X16 ?
		   "UYVY8_1X16" : "RGB888_1X24");
	seq_printf(s, "lanes %u (endpoint %u)\n", st->csi_lanes_in_use,
		   st->bus.num_data_lanes);
	seq_printf(s, "streaming %d\n", st->stream_enabled);
	seq_printf(s, "edid_blocks %u\nhpd %d\n", st->edid_blocks_written,
		   READ_ONCE(st->hpd));
	mutex_unlock(&st->lock);
	return 0;
}

static int signal_open(struct inode *inode, struct file *file)
{
	return single_open(file, signal_show, inode->i_private);
}

static int timings_open(struct inode *inode, struct file *file)
{
	return single_open(file, timings_show, inode->i_private);
}

static int audio_open(struct inode *inode, struct file *file)
{
	return single_open(file, audio_show, inode->i_private);
}

#define RW_FOPS(name) \
	static const struct file_operations name##_fops = { \
		.owner = THIS_MODULE, .open = name##_open, .read = seq_read, \
		.write = name##_write, .llseek = seq_lseek, \
		.release = single_release, }

RW_FOPS(signal);
RW_FOPS(timings);
RW_FOPS(audio);
DEFINE_SHOW_ATTRIBUTE(hpd);
DEFINE_SHOW_ATTRIBUTE(status);

static void create_debugfs(struct tc_state *st)
{
	struct dentry *taken;
	char name[64];

	strscpy(name, "hdmirtc-fake-tc358743", sizeof(name));
	taken = debugfs_lookup(name, NULL);
	if (taken) {
		/* an earlier bridge has it */
		dput(taken);
		snprintf(name, sizeof(name), "hdmirtc-fake-tc358743-%d-%04x",
			 i2c_adapter_id(st->client->adapter), st->client->addr);
	}
	st->debugfs = debugfs_create_dir(name, NULL);
	debugfs_create_file("signal", 0644, st->debugfs, st, &signal_fops);
	debugfs_create_file("timings", 0644, st->debugfs, st, &timings_fops);
	debugfs_create_file("audio", 0644, st->debugfs, st, &audio_fops);
	debugfs_create_file("hpd", 0444, st->debugfs, st, &hpd_fops);
	debugfs_create_file("status", 0444, st->debugfs, st, &status_fops);
}

/* -------------------------------------------------------- probe/remove */

static int probe_fwnode(struct tc_state *st)
{
	struct device *dev = &st->client->dev;
	struct v4l2_fwnode_endpoint endpoint = { .bus_type = 0 };
	struct fwnode_handle *ep;
	u32 bps_pr_lane;
	int ret;

	ep = fwnode_graph_get_next_endpoint(dev_fwnode(dev), NULL);
	if (!ep) {
		dev_err(dev, "missing endpoint node\n");
		return -EINVAL;
	}
	ret = v4l2_fwnode_endpoint_alloc_parse(ep, &endpoint);
	if (ret) {
		dev_err(dev, "failed to parse endpoint\n");
		goto put_node;
	}
	if (endpoint.bus_type != V4L2_MBUS_CSI2_DPHY ||
	    endpoint.bus.mipi_csi2.num_data_lanes == 0 ||
	    endpoint.nr_of_link_frequencies == 0) {
		dev_err(dev, "missing CSI-2 properties in endpoint\n");
		ret = -EINVAL;
		goto free_endpoint;
	}
	if (endpoint.bus.mipi_csi2.num_data_lanes > 4) {
		dev_err(dev, "invalid number of lanes\n");
		ret = -EINVAL;
		goto free_endpoint;
	}
	st->bus = endpoint.bus.mipi_csi2;

	/* The PLL input (refclk / pll_prd) must be 6..40 MHz. */
	st->pll_prd = REFCLK_HZ / 6000000;
	bps_pr_lane = 2 * endpoint.link_frequencies[0];
	if (bps_pr_lane < 62500000U || bps_pr_lane > 1000000000U) {
		dev_err(dev, "unsupported bps per lane: %u bps\n", bps_pr_lane);
		ret = -EINVAL;
		goto free_endpoint;
	}
	st->pll_fbd = bps_pr_lane / REFCLK_HZ * st->pll_prd;
	/* D-PHY timings exist for 594 and 972 Mbps (Raspberry Pi tree) */
	if (bps_pr_lane != 594000000U && bps_pr_lane != 972000000U)
		dev_warn(dev, "untested bps per lane: %u bps\n", bps_pr_lane);
	ret = 0;
free_endpoint:
	v4l2_fwnode_endpoint_free(&endpoint);
put_node:
	fwnode_handle_put(ep);
	return ret;
}

static int init_controls(struct tc_state *st)
{
	v4l2_ctrl_handler_init(&st->hdl, 3);
	st->detect_tx_5v_ctrl = v4l2_ctrl_new_std(&st->hdl, NULL,
			V4L2_CID_DV_RX_POWER_PRESENT, 0, 1, 0, 0);
	st->audio_sampling_rate_ctrl =
		v4l2_ctrl_new_custom(&st->hdl, &ctrl_audio_sampling_rate, NULL);
	st->audio_present_ctrl =
		v4l2_ctrl_new_custom(&st->hdl, &ctrl_audio_present, NULL);
	st->sd.ctrl_handler = &st->hdl;
	return st->hdl.error;
}

static int tc_probe(struct i2c_client *client)
{
	static const struct v4l2_dv_timings default_timing =
		V4L2_DV_BT_CEA_640X480P59_94;
	struct v4l2_dv_timings t = default_timing;
	struct tc_state *st;
	struct v4l2_subdev *sd;
	int i, err;
	u8 chipid[2];

	if (!i2c_check_functionality(client->adapter, I2C_FUNC_SMBUS_BYTE_DATA))
		return -EIO;

	st = devm_kzalloc(&client->dev, sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->client = client;
	err = probe_fwnode(st);
	if (err)
		return err;

	sd = &st->sd;
	v4l2_i2c_subdev_init(sd, client, &tc_ops);
	sd->flags |= V4L2_SUBDEV_FL_HAS_DEVNODE | V4L2_SUBDEV_FL_HAS_EVENTS;

	if (i2c_rd(st, REG_CHIPID, chipid, 2) || chipid[1] != 0) {
		v4l2_info(sd, "not a TC358743 on address 0x%x\n",
			  client->addr << 1);
		return -ENODEV;
	}

	mutex_init(&st->lock);
	INIT_DELAYED_WORK(&st->hotplug_work, hotplug_work);
	INIT_DELAYED_WORK(&st->poll_work, poll_work);

	i = match_string(signal_names, ARRAY_SIZE(signal_names), initial_signal);
	st->signal = i < 0 ? SIG_OK : i;
	if (!parse_timings(initial_timings, &st->source))
		parse_timings("1920x1080@60", &st->source);

	err = init_controls(st);
	if (err)
		goto err_hdl;
	if (update_controls(st)) {
		err = -ENODEV;
		goto err_hdl;
	}

	st->pad.flags = MEDIA_PAD_FL_SOURCE;
	sd->entity.function = MEDIA_ENT_F_VID_IF_BRIDGE;
	err = media_entity_pads_init(&sd->entity, 1, &st->pad);
	if (err < 0)
		goto err_hdl;

	st->mbus_fmt_code = MEDIA_BUS_FMT_RGB888_1X24;
	sd->dev = &client->dev;

	tc_s_dv_timings(sd, 0, &t);
	/* a source already locked raises SYNC_CHG once the PHY is up */
	if (!no_sync(st))
		st->pending |= INT_SYNC_CHG;
	schedule_delayed_work(&st->poll_work,
			      msecs_to_jiffies(max(poll_interval_ms, 10U)));

	err = v4l2_ctrl_handler_setup(sd->ctrl_handler);
	if (err)
		goto err_work;
	create_debugfs(st);
	err = v4l2_async_register_subdev(sd);
	if (err < 0)
		goto err_debugfs;

	v4l2_info(sd, "%s found @ 0x%x (%s)\n", client->name,
		  client->addr << 1, client->adapter->name);
	return 0;

err_debugfs:
	debugfs_remove_recursive(st->debugfs);
err_work:
	cancel_delayed_work_sync(&st->poll_work);
	cancel_delayed_work_sync(&st->hotplug_work);
	media_entity_cleanup(&sd->entity);
err_hdl:
	v4l2_ctrl_handler_free(&st->hdl);
	mutex_destroy(&st->lock);
	return err;
}

static void tc_remove(struct i2c_client *client)
{
	struct v4l2_subdev *sd = i2c_get_clientdata(client);
	struct tc_state *st = to_state(sd);

	debugfs_remove_recursive(st->debugfs);
	cancel_delayed_work_sync(&st->poll_work);
	cancel_delayed_work_sync(&st->hotplug_work);
	v4l2_async_unregister_subdev(sd);
	v4l2_device_unregister_subdev(sd);
	media_entity_cleanup(&sd->entity);
	v4l2_ctrl_handler_free(&st->hdl);
	mutex_destroy(&st->lock);
}

static const struct i2c_device_id tc_id[] = {
	{ "tc358743" },
	{ }
};
MODULE_DEVICE_TABLE(i2c, tc_id);

static struct i2c_driver tc_driver = {
	.driver = {
		.name = "tc358743",
	},
	.probe = tc_probe,
	.remove = tc_remove,
	.id_table = tc_id,
};

module_i2c_driver(tc_driver);

MODULE_DESCRIPTION("Toshiba TC358743 HDMI to CSI-2 bridge stand-in for tests");
MODULE_LICENSE("GPL");
