/* SPDX-License-Identifier: GPL-3.0-or-later */
/* H.264 level limits (ITU-T H.264 Table A-1) for choosing and checking a
 * level against the picture size, frame rate and bitrate. */
#include "encoder-private.h"

typedef struct {
	guint8 level_idc;
	guint32 max_mbps;               /* macroblocks per second */
	guint32 max_fs;                 /* macroblocks per frame */
	guint32 max_br_kbps;            /* Baseline/Main: 1000 bit units */
} LevelLimits;

static const LevelLimits levels[] = {
	{ 10, 1485, 99, 64 },
	{ 11, 3000, 396, 192 },
	{ 12, 6000, 396, 384 },
	{ 13, 11880, 396, 768 },
	{ 20, 11880, 396, 2000 },
	{ 21, 19800, 792, 4000 },
	{ 22, 20250, 1620, 4000 },
	{ 30, 40500, 1620, 10000 },
	{ 31, 108000, 3600, 14000 },
	{ 32, 216000, 5120, 20000 },
	{ 40, 245760, 8192, 20000 },
	{ 41, 245760, 8192, 50000 },
	{ 42, 522240, 8704, 50000 },
	{ 50, 589824, 22080, 135000 },
	{ 51, 983040, 36864, 240000 },
	{ 52, 2073600, 36864, 240000 },
};

static gboolean limits_fit(const LevelLimits *l, guint32 width, guint32 height, guint32 fps,
                           guint32 kbps)
{
	guint64 mbs_w = (width + 15) / 16, mbs_h = (height + 15) / 16;
	guint64 fs = mbs_w * mbs_h;

	/* A.3.1: the frame size limit, and no side longer than sqrt(8 MaxFS). */
	return fs <= l->max_fs && fs * fps <= l->max_mbps &&
	       mbs_w * mbs_w <= 8ull * l->max_fs && mbs_h * mbs_h <= 8ull * l->max_fs &&
	       kbps <= l->max_br_kbps;
}

gboolean hdmirtc_encoder_level_fits(guint8 level_idc, guint32 width, guint32 height, guint32 fps,
                                    guint32 bitrate_kbps)
{
	for (gsize i = 0; i < G_N_ELEMENTS(levels); i++)
		if (levels[i].level_idc == level_idc)
			return limits_fit(&levels[i], width, height, fps, bitrate_kbps);
	return FALSE;
}

guint8 hdmirtc_encoder_level_for(guint32 width, guint32 height, guint32 fps, guint32 bitrate_kbps)
{
	for (gsize i = 0; i < G_N_ELEMENTS(levels); i++)
		if (limits_fit(&levels[i], width, height, fps, bitrate_kbps))
			return levels[i].level_idc;
	return 0;
}

guint32 hdmirtc_encoder_level_max_kbps(guint8 level_idc)
{
	for (gsize i = 0; i < G_N_ELEMENTS(levels); i++)
		if (levels[i].level_idc == level_idc)
			return levels[i].max_br_kbps;
	return 0;
}
