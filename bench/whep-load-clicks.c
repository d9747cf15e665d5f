/* SPDX-License-Identifier: GPL-3.0-or-later */
/* whep-load --audio: when the sender's sound is the tone (a click at the
 * start of each second of its wall clock, src/audio/tone.c) or clicks fed
 * to its card on the same clock (tests/kernel/aloop-clicks.c), each click
 * is found in the decoded Opus and timed on the sender's clock through its
 * sender reports (NTP <-> RTP).  A click stamped where the second begins
 * is sound stamped on the clock the video's frames are: the difference is
 * the sender's audio/video offset, which a receiver that lip-syncs on the
 * sender reports inherits.  The decoder's output starts with the codec's
 * lookahead (6.5 ms at 48 kHz), which the sender takes off its stamps: a
 * click stamped with the time it entered the encoder comes out here at
 * its second. */
#include "whep-load.h"

#include <opus.h>
#include <stdlib.h>

#include "hdmirtc/rtp.h"

#define RATE 48000
#define CHANNELS 2
#define MAX_FRAME 5760                  /* 120 ms, Opus's longest */
/* Over the -30 dBFS tone, under the -6 dBFS click. */
#define THRESHOLD 6554
/* One click a second: the rest of one is not a new one. */
#define HOLD_SAMPLES (RATE / 2)

struct WhepLoadClicks {
	OpusDecoder *decoder;
	gboolean have_sr;
	guint32 sr_rtp;
	gint64 sr_wall_us;
	gboolean started;
	guint32 next_rtp;               /* where the next packet should start */
	guint32 quiet_until;            /* RTP time */
	gboolean holding;
	GArray *offsets_us;             /* gint64 */
};

WhepLoadClicks *whep_load_clicks_new(void)
{
	WhepLoadClicks *c = g_new0(WhepLoadClicks, 1);
	int err = 0;

	c->decoder = opus_decoder_create(RATE, CHANNELS, &err);
	c->offsets_us = g_array_new(FALSE, FALSE, sizeof(gint64));
	return c;
}

void whep_load_clicks_free(WhepLoadClicks *c)
{
	if (!c)
		return;
	if (c->decoder)
		opus_decoder_destroy(c->decoder);
	g_array_unref(c->offsets_us);
	g_free(c);
}

void whep_load_clicks_sender_report(WhepLoadClicks *c, guint32 rtp_timestamp, guint64 ntp)
{
	c->have_sr = TRUE;
	c->sr_rtp = rtp_timestamp;
	c->sr_wall_us = hdmirtc_ntp_to_wall_us(ntp);
}

/* The sender's wall time of RTP time t, through the last report. */
static gint64 wall_us_of(const WhepLoadClicks *c, guint32 t)
{
	return c->sr_wall_us + (gint64)(gint32)(t - c->sr_rtp) * G_USEC_PER_SEC / RATE;
}

static void found(WhepLoadClicks *c, guint32 t)
{
	gint64 wall = wall_us_of(c, t);
	/* Offsets under half a second either way: nearest second. */
	gint64 second = (wall + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC * G_USEC_PER_SEC;
	gint64 offset = wall - second;

	g_array_append_val(c->offsets_us, offset);
}

void whep_load_clicks_packet(WhepLoadClicks *c, guint32 rtp_timestamp, const guint8 *payload, gsize len)
{
	opus_int16 pcm[MAX_FRAME * CHANNELS];
	int n;

	if (!c->decoder)
		return;
	/* A gap (loss, a pause of the sender) resets the decoder's history. */
	if (c->started && rtp_timestamp != c->next_rtp)
		opus_decoder_ctl(c->decoder, OPUS_RESET_STATE);
	n = opus_decode(c->decoder, payload, (opus_int32)len, pcm, MAX_FRAME, 0);
	if (n <= 0)
		return;
	c->started = TRUE;
	c->next_rtp = rtp_timestamp + (guint32)n;
	for (int i = 0; i < n; i++) {
		guint32 t = rtp_timestamp + (guint32)i;

		if (c->holding && (gint32)(t - c->quiet_until) < 0)
			continue;
		c->holding = FALSE;
		if (abs(pcm[i * CHANNELS]) > THRESHOLD) {
			if (c->have_sr)
				found(c, t);
			c->holding = TRUE;
			c->quiet_until = t + HOLD_SAMPLES;
		}
	}
}

const GArray *whep_load_clicks_get_offsets(const WhepLoadClicks *c)
{
	return c->offsets_us;
}
