/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the Raspberry Pi capture stand-ins share (see pi-board.c for the
 * module set as a whole).
 *
 * The real chain has no such interface: the TC358743 puts CSI-2 packets on
 * the wire and the receiver's DMA writes them to memory.  Here the bridge
 * stand-in answers one private v4l2_subdev core "command" telling whether
 * it is transmitting and in which format and frame rate, and the receivers
 * paint the picture the HDMI source would have sent with pifake_paint(),
 * which pi-fake-board.ko exports.
 */
#ifndef PI_FAKE_H
#define PI_FAKE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* tc358743-fake: is video leaving the bridge, and what video. */
struct pifake_link_state {
	bool transmitting;	/* s_stream(1), signal locked, timings as set */
	u32 code;		/* MEDIA_BUS_FMT_* on the CSI-2 link */
	u32 width;
	u32 height;
	u64 frame_ns;		/* one frame of the configured timings */
	u64 active_ns;		/* frame start to frame end (active lines) */
};

#define PIFAKE_CMD_LINK_STATE	_IOR('P', 1, struct pifake_link_state)

/* Memory layouts the receivers write. */
enum pifake_layout {
	PIFAKE_UYVY,		/* U Y V Y, limited range */
	PIFAKE_RGB24,		/* 3 bytes a pixel, full range; R = G = B */
};

struct pifake_image {
	u8 *base;
	u32 width;
	u32 height;
	u32 bytesperline;
	enum pifake_layout layout;
};

/*
 * What one capture buffer already holds, so that a frame repaints only the
 * barcode and the moving box.  Zero it when the buffer is (re)allocated.
 */
struct pifake_paint_cache {
	u8 *base;
	u32 width;
	u32 height;
	u32 bytesperline;
	enum pifake_layout layout;
	bool valid;
	u32 box_x;
	u8 *row;		/* one background row: black with the bars */
	size_t row_size;
};

/*
 * Paints the test picture of frame `sequence` whose first line arrived at
 * CLOCK_MONOTONIC mono_ns and CLOCK_REALTIME wall_ns (layout in pi-board.c).
 */
void pifake_paint(struct pifake_paint_cache *cache,
		  const struct pifake_image *img, u32 sequence,
		  u64 mono_ns, u64 wall_ns);
void pifake_paint_cache_release(struct pifake_paint_cache *cache);

/* The interval between frame starts, after the board's max_fps cap. */
u64 pifake_frame_interval(u64 frame_ns);

#endif /* PI_FAKE_H */
