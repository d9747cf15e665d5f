/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audio thread (issue 16): takes PCM from the sound source in Opus
 * frames, encodes each, and hands the packets to the network context,
 * where the viewers send them.
 *
 * Sources (audio-sources.c): the synthetic tone (src/audio/tone.c), paced
 * by the monotonic clock and written from the wall clock, so its click on
 * each second lines up with the test pattern's barcode; or an ALSA card
 * (the bridge's I2S card), at its own rate, resampled to 48 kHz, opened
 * again when it goes away or changes rate.  The thread owns the source and
 * the encoder; only the packets cross to the network thread, through a short
 * queue (audio is 50-100 packets a second, so one wake-up each is cheap,
 * and a network thread that falls behind loses the oldest, never delays
 * the newest). */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/audio.h"

G_BEGIN_DECLS

typedef struct HdmirtcAudioPipeline HdmirtcAudioPipeline;

/* Any thread: the rate the HDMI source sends at, as the bridge reports
 * it; 0 = it cannot tell (the card's own rate is taken then). */
typedef guint (*HdmirtcAudioSourceRateFunc)(gpointer user_data);

typedef struct {
	const char *source;             /* "tone" or "alsa" */
	const char *device;             /* ALSA device, for "alsa" */
	guint frame_ms;                 /* 10 or 20 */
	guint bitrate_kbps;
	/* For "alsa": asked every second; the card is opened again at a new
	 * rate (a card clocked by the bridge takes any rate, so only the
	 * bridge knows the right one).  NULL = none. */
	HdmirtcAudioSourceRateFunc source_rate;
	gpointer source_rate_data;
} HdmirtcAudioPipelineConfig;

/* On output_ctx: the packet is borrowed for the call. */
typedef void (*HdmirtcAudioPacketFunc)(const HdmirtcAudioPacket *pkt, gpointer user_data);

/* Starts the thread; NULL + error for a bad configuration or an encoder
 * that will not open. */
HdmirtcAudioPipeline *hdmirtc_audio_pipeline_new(const HdmirtcAudioPipelineConfig *config,
                                                 GMainContext *output_ctx,
                                                 HdmirtcAudioPacketFunc on_packet, gpointer user_data,
                                                 GError **error);
/* From the thread that iterates output_ctx: stops the thread; packets
 * still waiting are dropped, on_packet is not called again.  NULL-safe. */
void hdmirtc_audio_pipeline_free(HdmirtcAudioPipeline *p);

/* Adds the "audio" member (source, state, rate, level, packets). */
void hdmirtc_audio_pipeline_add_status(HdmirtcAudioPipeline *p, JsonBuilder *b);

G_END_DECLS
