/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audio pipeline's insides, shared by audio-pipeline.c (the encoder,
 * the hand-off to the network thread, status) and audio-sources.c (the
 * threads that read each kind of source). */
#pragma once

#include "audio-pipeline.h"
#include "hdmirtc/audio-capture.h"

struct HdmirtcAudioPipeline {
	char *source;                   /* "tone" or "alsa" */
	char *device;                   /* ALSA device */
	guint frame_ms;
	guint frame_size;               /* samples per channel */
	HdmirtcOpusEncoder *encoder;    /* audio thread */
	gint64 lookahead_us;            /* the encoder's delay */
	GThread *thread;
	gint stop;                      /* atomic */
	gint listeners;                 /* atomic: viewers that take the sound */
	gboolean skipped;               /* audio thread: frames went unencoded since the last packet */
	gint64 cpu_since_mono_us;       /* audio thread: the last CPU reading */
	gint64 cpu_since_us;
	HdmirtcAudioSourceRateFunc source_rate;
	gpointer source_rate_data;

	GMainContext *output_ctx;
	GMutex *output_lock;            /* network-lock.h; NULL: always through output_ctx */
	HdmirtcAudioPacketFunc on_packet;
	gpointer user_data;
	GMutex lock;                    /* guards what follows */
	GQueue waiting;                 /* packets for the network thread */
	GSource *wakeup;                /* attached while something waits */
	const char *state;              /* static: "capturing", "waiting-device", "no-data" */
	char *error;                    /* why not capturing, or NULL */
	guint rate;                     /* the source's */
	guint64 packets;
	guint64 bytes;
	guint64 dropped;
	guint64 direct;                 /* delivered on the audio thread, holding output_lock */
	guint64 encode_errors;
	guint64 resyncs;                /* the tone's clock jumped (a stalled thread) */
	guint64 overruns;               /* the card's buffer overflowed: samples lost */
	guint64 restarts;               /* the card was opened again */
	HdmirtcLevelMeter level;
	gint64 cpu_us;                  /* the thread's CPU time so far */
	double cpu_percent;             /* of one core, over the last second */
};

/* audio-pipeline.c, audio thread: encodes one frame (frame_size 48 kHz
 * stereo frames) and hands the packet over. */
void hdmirtc_audio_pipeline_encode(HdmirtcAudioPipeline *p, const gint16 *pcm, guint64 sample_pos,
                                   gint64 capture_mono_us, gint64 capture_wall_us, gboolean discontinuity);
/* Sets the state (and error, NULL for none) the status shows; logs changes. */
void hdmirtc_audio_pipeline_set_state(HdmirtcAudioPipeline *p, const char *state, const char *error);
/* Adds one to a counter under the lock. */
void hdmirtc_audio_pipeline_count(HdmirtcAudioPipeline *p, guint64 *counter);

/* audio-sources.c: the thread functions. */
gpointer hdmirtc_audio_tone_thread(gpointer data);
gpointer hdmirtc_audio_alsa_thread(gpointer data);
