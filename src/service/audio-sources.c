/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audio thread of each source.
 *
 * No sound from the source: a card that still runs gives silence, and
 * silence is encoded and sent like anything else (Opus makes it a few
 * bytes); a card that gives nothing (its clock stopped, the device gone)
 * makes no packets, and the next one after the gap carries the RTP marker
 * bit and a timestamp that moved on by the time missed.  The session
 * never notices more than that, and video is never held up: it has its
 * own thread. */
#include <errno.h>
#include <time.h>

#include "audio-pipeline-private.h"

/* A tone thread that wakes this many frames late (a suspended VM, a
 * stalled machine) starts over at the present instead of catching up in a
 * burst. */
#define MAX_FRAMES_BEHIND 5
/* A card that gives nothing for this long has lost its clock (no HDMI
 * audio on a bridge). */
#define READ_TIMEOUT_MS 200
#define REOPEN_DELAY_MS 1000

static gboolean stopping(HdmirtcAudioPipeline *p)
{
	return g_atomic_int_get(&p->stop) != 0;
}

static void sleep_until(gint64 mono_us)
{
	struct timespec ts = { .tv_sec = mono_us / G_USEC_PER_SEC,
	                       .tv_nsec = (mono_us % G_USEC_PER_SEC) * 1000 };

	/* g_get_monotonic_time() is CLOCK_MONOTONIC. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Waits ms, or less when the pipeline stops. */
static void pause_ms(HdmirtcAudioPipeline *p, guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (!stopping(p) && g_get_monotonic_time() < end)
		sleep_until(MIN(end, g_get_monotonic_time() + 50000));
}

/* ---- Tone --------------------------------------------------------------- */

/* The tone repeats every second: one second of it, made once, is copied
 * from instead of computing two sines a sample (a third of the thread's
 * CPU).  The same samples as hdmirtc_tone_fill() gives for any time. */
static void copy_tone(const gint16 *second, gint64 wall_us, gint16 *pcm, guint n)
{
	guint i = (guint)((guint64)(wall_us % G_USEC_PER_SEC) * HDMIRTC_AUDIO_RATE / G_USEC_PER_SEC);

	for (guint k = 0; k < n; k++, i = (i + 1) % HDMIRTC_AUDIO_RATE)
		for (guint c = 0; c < HDMIRTC_AUDIO_CHANNELS; c++)
			pcm[k * HDMIRTC_AUDIO_CHANNELS + c] = second[i];
}

/* The tone, one frame at a time, each written once its last sample's time
 * has come, as a capture device would hand it over. */
gpointer hdmirtc_audio_tone_thread(gpointer data)
{
	HdmirtcAudioPipeline *p = data;
	g_autofree gint16 *pcm = g_new(gint16, p->frame_size * HDMIRTC_AUDIO_CHANNELS);
	g_autofree gint16 *second = g_new(gint16, HDMIRTC_AUDIO_RATE);
	gint64 frame_us = p->frame_ms * 1000;
	/* The same instant on both clocks. */
	gint64 start_wall_us = g_get_real_time(), start_mono_us = g_get_monotonic_time();
	guint64 k = 0;
	gboolean discontinuity = TRUE;

	hdmirtc_tone_fill(0, HDMIRTC_AUDIO_RATE, 1, second, HDMIRTC_AUDIO_RATE);
	hdmirtc_audio_pipeline_set_state(p, "capturing", NULL);
	while (!stopping(p)) {
		gint64 first_us = (gint64)k * frame_us;

		sleep_until(start_mono_us + first_us + frame_us);
		if (g_get_monotonic_time() - (start_mono_us + first_us) > MAX_FRAMES_BEHIND * frame_us) {
			k = (guint64)((g_get_monotonic_time() - start_mono_us) / frame_us);
			discontinuity = TRUE;
			hdmirtc_audio_pipeline_count(p, &p->resyncs);
			continue;
		}
		copy_tone(second, start_wall_us + first_us, pcm, p->frame_size);
		hdmirtc_audio_pipeline_encode(p, pcm, k * p->frame_size, start_mono_us + first_us,
					      start_wall_us + first_us, discontinuity);
		discontinuity = FALSE;
		k++;
	}
	return NULL;
}

/* ---- ALSA ---------------------------------------------------------------- */

static void encode_frame(const HdmirtcAudioFrame *frame, gpointer user_data)
{
	HdmirtcAudioPipeline *p = user_data;
	/* Capture times are the card's, on the monotonic clock; the wall
	 * clock's reading of the same instant goes into abs-capture-time. */
	gint64 wall_us = frame->capture_mono_us + (g_get_real_time() - g_get_monotonic_time());

	hdmirtc_audio_pipeline_encode(p, frame->pcm, frame->sample_pos, frame->capture_mono_us, wall_us,
				      frame->discontinuity);
}

/* The rate the bridge says the HDMI source sends, 0 when it cannot tell. */
static guint source_rate(HdmirtcAudioPipeline *p)
{
	return p->source_rate ? p->source_rate(p->source_rate_data) : 0;
}

static HdmirtcAlsaCapture *open_card(HdmirtcAudioPipeline *p)
{
	g_autoptr(GError) error = NULL;
	guint hint = source_rate(p);
	HdmirtcAlsaCapture *c = hdmirtc_alsa_capture_open(p->device, hint ? hint : HDMIRTC_AUDIO_RATE, &error);

	if (!c) {
		hdmirtc_audio_pipeline_set_state(p, "waiting-device", error->message);
		return NULL;
	}
	g_mutex_lock(&p->lock);
	p->rate = hdmirtc_alsa_capture_get_rate(c);
	g_mutex_unlock(&p->lock);
	g_message("audio: %s open at %u Hz", p->device, hdmirtc_alsa_capture_get_rate(c));
	return c;
}

gpointer hdmirtc_audio_alsa_thread(gpointer data)
{
	HdmirtcAudioPipeline *p = data;
	g_autoptr(HdmirtcAudioFramer) framer = hdmirtc_audio_framer_new(p->frame_size);
	g_autoptr(HdmirtcAlsaCapture) card = NULL;
	/* 100 ms at the highest rate a card may give */
	guint max_frames = 19200;
	g_autofree gint16 *pcm = g_new(gint16, max_frames * HDMIRTC_AUDIO_CHANNELS);
	gboolean gap = TRUE;
	gint64 rate_checked_us = 0;

	while (!stopping(p)) {
		g_autoptr(GError) error = NULL;
		gint64 newest_us = 0;
		gssize n;

		if (!card && !(card = open_card(p))) {
			pause_ms(p, REOPEN_DELAY_MS);
			continue;
		}
		if (g_get_monotonic_time() - rate_checked_us > G_USEC_PER_SEC) {
			guint hint = source_rate(p);

			rate_checked_us = g_get_monotonic_time();
			if (hint && hint != hdmirtc_alsa_capture_get_rate(card)) {
				g_message("audio: the HDMI source sends %u Hz now: opening %s again", hint, p->device);
				hdmirtc_audio_pipeline_count(p, &p->restarts);
				g_clear_pointer(&card, hdmirtc_alsa_capture_close);
				gap = TRUE;
				continue;
			}
		}
		n = hdmirtc_alsa_capture_read(card, pcm, max_frames, READ_TIMEOUT_MS, &newest_us, &error);
		if (n > 0) {
			hdmirtc_audio_pipeline_set_state(p, "capturing", NULL);
			hdmirtc_audio_framer_push(framer, pcm, (guint)n, hdmirtc_alsa_capture_get_rate(card),
						  newest_us, gap, encode_frame, p);
			gap = FALSE;
			continue;
		}
		gap = TRUE;
		if (n == 0) {
			hdmirtc_audio_pipeline_set_state(p, "no-data", "the card gives no samples (no clock?)");
		} else if (g_error_matches(error, HDMIRTC_AUDIO_CAPTURE_ERROR, HDMIRTC_AUDIO_CAPTURE_ERROR_OVERRUN)) {
			hdmirtc_audio_pipeline_count(p, &p->overruns);
		} else {
			/* A new rate or format, or the device gone: open it again. */
			hdmirtc_audio_pipeline_set_state(p, "waiting-device", error->message);
			hdmirtc_audio_pipeline_count(p, &p->restarts);
			g_clear_pointer(&card, hdmirtc_alsa_capture_close);
			if (g_error_matches(error, HDMIRTC_AUDIO_CAPTURE_ERROR, HDMIRTC_AUDIO_CAPTURE_ERROR_GONE))
				pause_ms(p, REOPEN_DELAY_MS);
		}
	}
	return NULL;
}
