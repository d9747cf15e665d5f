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
 * the encoder; only the packets cross to the network thread: sent from the
 * audio thread while the network thread sleeps (holding its lock, as the
 * media thread does with frames), else through a short queue that a
 * network thread falling behind loses the oldest of, never delaying the
 * newest. */
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
	/* The network thread's lock (network-lock.h): packets then go out
	 * from the audio thread whenever it can be had at once.  NULL = none. */
	GMutex *output_lock;
} HdmirtcAudioPipelineConfig;

/* On output_ctx, or on the audio thread holding output_lock: the packet
 * is borrowed for the call. */
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

/* Any thread: how many viewers take the sound.  With none, frames are
 * not encoded (the level is still measured); the first packet after that
 * carries the RTP marker bit, its timestamp where the clock says. */
void hdmirtc_audio_pipeline_set_listeners(HdmirtcAudioPipeline *p, guint listeners);

/* Adds the "audio" member (source, state, rate, level, packets). */
void hdmirtc_audio_pipeline_add_status(HdmirtcAudioPipeline *p, JsonBuilder *b);

G_END_DECLS
