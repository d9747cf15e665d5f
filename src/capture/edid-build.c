/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The built-in EDID: a base block (EDID 1.3) and a CEA-861 extension
 * naming the modes hdmirtc takes, the best that the CSI-2 link carries as
 * preferred, so that a source never picks a mode the bridge cannot send. */
#include "capture-private.h"

#include <string.h>

/* The default offer, a subset of hdmirtc_video_modes(), best first. */
static const guint8 offered_vics[] = { 16, 31, 34, 4 };

typedef struct {
	const HdmirtcVideoMode *modes[G_N_ELEMENTS(offered_vics)];
	guint n;
} ModeSet;

/* Detailed timing descriptor (EDID 1.3 layout), 16:9 image of 531x299 mm,
 * digital separate sync, both polarities positive. */
static void put_dtd(guint8 *d, const HdmirtcVideoMode *m)
{
	guint pclk = m->pixel_khz / 10;
	guint hfp = m->hfront, hs = m->hsync, vfp = m->vfront, vs = m->vsync;

	memset(d, 0, 18);
	d[0] = pclk & 0xff;
	d[1] = pclk >> 8;
	d[2] = m->width & 0xff;
	d[3] = m->hblank & 0xff;
	d[4] = (guint8)((m->width >> 8) << 4 | (m->hblank >> 8));
	d[5] = m->height & 0xff;
	d[6] = m->vblank & 0xff;
	d[7] = (guint8)((m->height >> 8) << 4 | (m->vblank >> 8));
	d[8] = hfp & 0xff;
	d[9] = hs & 0xff;
	d[10] = (guint8)((vfp & 0xf) << 4 | (vs & 0xf));
	d[11] = (guint8)((hfp >> 8) << 6 | (hs >> 8) << 4 | (vfp >> 4) << 2 | (vs >> 4));
	d[12] = 531 & 0xff;
	d[13] = 299 & 0xff;
	d[14] = (531 >> 8) << 4 | (299 >> 8);
	d[17] = 0x1e;
}

/* Display descriptor: tag 0xfc (name) or 0xfd (range limits). */
static void put_descriptor(guint8 *d, guint8 tag, const guint8 *payload, gsize n)
{
	memset(d, 0, 18);
	d[3] = tag;
	if (payload)
		memcpy(d + 5, payload, MIN(n, 13u));
}

/* Standard timing of a 16:9 mode; only 60 Hz and up can be written. */
static gboolean put_standard_timing(guint8 *t, const HdmirtcVideoMode *m)
{
	if (m->fps < 60)
		return FALSE;
	t[0] = (guint8)(m->width / 8 - 31);
	t[1] = (guint8)(0xc0 | (m->fps - 60));
	return TRUE;
}

static const HdmirtcVideoMode *second_mode(const ModeSet *set)
{
	for (guint i = 1; i < set->n; i++)
		if (set->modes[i]->vic == 4)
			return set->modes[i];
	return set->n > 1 ? set->modes[1] : NULL;
}

static void build_base_block(guint8 *b, const ModeSet *set)
{
	/* 24..75 Hz, 15..80 kHz, 150 MHz max pixel clock, no timing formula. */
	static const guint8 range[13] = { 24, 75, 15, 80, 15, 0x00, 0x0a,
	                                  0x20, 0x20, 0x20, 0x20, 0x20, 0x20 };
	static const guint8 name[13] = { 'h', 'd', 'm', 'i', 'r', 't', 'c', '\n',
	                                 ' ', ' ', ' ', ' ', ' ' };
	/* sRGB primaries and D65 white point, EDID's 10-bit encoding. */
	static const guint8 chroma[10] = { 0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f,
	                                   0x50, 0x54 };
	static const guint8 header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
	const HdmirtcVideoMode *second = second_mode(set);
	guint std = 38;

	memset(b, 0, HDMIRTC_EDID_BLOCK_SIZE);
	memcpy(b, header, sizeof(header));
	/* Manufacturer "HRT": three 5-bit letters, big endian. */
	b[8] = 0x22;
	b[9] = 0x54;
	b[10] = 0x01;                   /* product code 1, little endian */
	b[16] = 1;                      /* week 1 of 2024 */
	b[17] = 2024 - 1990;
	b[18] = 1;                      /* EDID 1.3 */
	b[19] = 3;
	b[20] = 0x80;                   /* digital input */
	b[21] = 53;                     /* 53 x 30 cm */
	b[22] = 30;
	b[23] = 120;                    /* gamma 2.2 */
	b[24] = 0x0a;                   /* RGB + YCbCr 4:4:4, DTD 1 is preferred */
	memcpy(b + 25, chroma, sizeof(chroma));
	b[35] = 0x20;                   /* established 640x480@60 */
	for (guint i = 38; i < 54; i++)
		b[i] = 0x01;            /* unused standard timing */
	for (guint i = 0; i < set->n && std < 54; i++)
		if (put_standard_timing(b + std, set->modes[i]))
			std += 2;
	put_dtd(b + 54, set->modes[0]);
	if (second)
		put_dtd(b + 72, second);
	else
		put_descriptor(b + 72, 0x10, NULL, 0);   /* dummy */
	put_descriptor(b + 90, 0xfc, name, sizeof(name));
	put_descriptor(b + 108, 0xfd, range, sizeof(range));
	b[126] = 1;                     /* one extension */
	b[127] = hdmirtc_edid_checksum(b);
}

/* CEA-861 extension: the modes as VICs (the first native), the sound the
 * bridge passes on (a source sends HDMI audio only to a sink that claims
 * it), and an HDMI vendor block so that sources send HDMI (not DVI)
 * signalling. */
static void build_cea_block(guint8 *b, const ModeSet *set)
{
	/* Audio data block, one short audio descriptor: LPCM, 2 channels,
	 * 32/44.1/48 kHz, 16/20/24 bit (what the TC358743's I2S output
	 * carries; hdmirtc resamples 32 and 44.1 kHz to Opus's 48). */
	static const guint8 adb[] = { (1 << 5) | 3, (1 << 3) | (2 - 1), 0x07, 0x07 };
	/* HDMI VSDB: OUI 00-0C-03, physical address 1.0.0.0 */
	static const guint8 vsdb[] = { (3 << 5) | 5, 0x03, 0x0c, 0x00, 0x10, 0x00 };
	guint n = 4;

	memset(b, 0, HDMIRTC_EDID_BLOCK_SIZE);
	b[0] = 0x02;
	b[1] = 3;
	b[3] = 0x70;                    /* basic audio; YCbCr 4:4:4 and 4:2:2 */
	b[n++] = (guint8)((2 << 5) | set->n);
	for (guint i = 0; i < set->n; i++)
		b[n++] = (guint8)(set->modes[i]->vic | (i == 0 ? 0x80 : 0));
	memcpy(b + n, adb, sizeof(adb));
	n += sizeof(adb);
	memcpy(b + n, vsdb, sizeof(vsdb));
	n += sizeof(vsdb);
	b[2] = (guint8)n;               /* where DTDs would start: none follow */
	b[127] = hdmirtc_edid_checksum(b);
}

static const HdmirtcVideoMode *mode_of_vic(guint8 vic)
{
	guint n;
	const HdmirtcVideoMode *all = hdmirtc_video_modes(&n);

	for (guint i = 0; i < n; i++)
		if (all[i].vic == vic)
			return &all[i];
	g_assert_not_reached();
}

static HdmirtcEdid *build(const HdmirtcCsiLink *link)
{
	guint8 *data = g_malloc(2 * HDMIRTC_EDID_BLOCK_SIZE);
	ModeSet set = { { NULL }, 0 };

	for (guint i = 0; i < G_N_ELEMENTS(offered_vics); i++) {
		const HdmirtcVideoMode *m = mode_of_vic(offered_vics[i]);

		if (!link || hdmirtc_csi_mode_fits(link, m))
			set.modes[set.n++] = m;
	}
	if (set.n == 0)
		set.modes[set.n++] = hdmirtc_csi_best_mode(link);
	build_base_block(data, &set);
	build_cea_block(data + HDMIRTC_EDID_BLOCK_SIZE, &set);
	return hdmirtc_edid_take(data, 2 * HDMIRTC_EDID_BLOCK_SIZE);
}

HdmirtcEdid *hdmirtc_edid_new_default(void)
{
	return build(NULL);
}

HdmirtcEdid *hdmirtc_edid_new_for_link(const HdmirtcCsiLink *link)
{
	return build(link);
}
