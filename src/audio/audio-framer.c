/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Any rate in, Opus's 48 kHz frames out, each with the capture time of its
 * first sample (see audio-capture.h). */
#include "hdmirtc/audio-capture.h"

#include <math.h>
#include <speex/speex_resampler.h>
#include <string.h>

/* libspeexdsp's quality 5: its "desktop" default; transparent for a KVM's
 * beeps and speech, ~1.3 ms of delay at 44.1 kHz. */
#define RESAMPLER_QUALITY 5

struct HdmirtcAudioFramer {
	guint frame_size;
	guint rate;                     /* of the input; 0 before the first push */
	SpeexResamplerState *resampler; /* NULL at 48 kHz */
	guint latency;                  /* the resampler's, in output samples */
	GArray *fifo;                   /* gint16, 48 kHz stereo not framed yet */
	GArray *resampled;              /* gint16, scratch */
	gboolean started;
	gboolean gap;                   /* the next frame comes after lost samples */
	guint64 next_pos;               /* sample_pos of the next frame */
	gint64 next_mono_us;            /* ... and where it would start without a gap */
};

HdmirtcAudioFramer *hdmirtc_audio_framer_new(guint frame_size)
{
	HdmirtcAudioFramer *f = g_new0(HdmirtcAudioFramer, 1);

	f->frame_size = frame_size;
	f->fifo = g_array_new(FALSE, FALSE, sizeof(gint16));
	f->resampled = g_array_new(FALSE, FALSE, sizeof(gint16));
	f->gap = TRUE;
	return f;
}

void hdmirtc_audio_framer_free(HdmirtcAudioFramer *f)
{
	if (!f)
		return;
	if (f->resampler)
		speex_resampler_destroy(f->resampler);
	g_array_unref(f->fifo);
	g_array_unref(f->resampled);
	g_free(f);
}

/* FALSE when no resampler takes this rate: the input is dropped. */
static gboolean set_rate(HdmirtcAudioFramer *f, guint rate)
{
	int err = 0;

	if (f->resampler)
		speex_resampler_destroy(f->resampler);
	f->resampler = NULL;
	f->latency = 0;
	f->rate = rate;
	if (rate != HDMIRTC_AUDIO_RATE) {
		f->resampler = speex_resampler_init(HDMIRTC_AUDIO_CHANNELS, rate, HDMIRTC_AUDIO_RATE,
						    RESAMPLER_QUALITY, &err);
		/* The filter's first output is its own delay line: not sound. */
		if (f->resampler) {
			speex_resampler_skip_zeros(f->resampler);
			f->latency = (guint)speex_resampler_get_output_latency(f->resampler);
		}
	}
	return rate == HDMIRTC_AUDIO_RATE || f->resampler;
}

/* pcm as 48 kHz samples appended to the FIFO. */
static void append(HdmirtcAudioFramer *f, const gint16 *pcm, guint n)
{
	if (!f->resampler) {
		g_array_append_vals(f->fifo, pcm, n * HDMIRTC_AUDIO_CHANNELS);
		return;
	}
	while (n > 0) {
		spx_uint32_t in_len = n;
		spx_uint32_t out_len = (spx_uint32_t)((guint64)n * HDMIRTC_AUDIO_RATE / f->rate + 16);

		g_array_set_size(f->resampled, out_len * HDMIRTC_AUDIO_CHANNELS);
		speex_resampler_process_interleaved_int(f->resampler, pcm, &in_len,
							(gint16 *)(gpointer)f->resampled->data, &out_len);
		g_array_append_vals(f->fifo, f->resampled->data, out_len * HDMIRTC_AUDIO_CHANNELS);
		pcm += in_len * HDMIRTC_AUDIO_CHANNELS;
		n -= in_len;
		if (in_len == 0 && out_len == 0)
			break;
	}
}

static gint64 samples_to_us(gint64 n)
{
	return n * G_USEC_PER_SEC / HDMIRTC_AUDIO_RATE;
}

void hdmirtc_audio_framer_push(HdmirtcAudioFramer *f, const gint16 *pcm, guint n, guint rate,
                               gint64 newest_mono_us, gboolean discontinuity,
                               HdmirtcAudioFrameFunc on_frame, gpointer user_data)
{
	guint frame_values = f->frame_size * HDMIRTC_AUDIO_CHANNELS;
	gint64 head_us;

	if (rate != f->rate || discontinuity) {
		/* What waited belongs before the gap (or to the old rate). */
		g_array_set_size(f->fifo, 0);
		f->gap = TRUE;
		if (!set_rate(f, rate))
			f->rate = 0;
	}
	if (!f->rate)
		return;
	append(f, pcm, n);
	if (f->fifo->len < frame_values)
		return;
	/* The newest sample in the FIFO lags the newest captured by the
	 * resampler's delay; the oldest is the FIFO's length before it. */
	head_us = newest_mono_us - samples_to_us(f->latency + f->fifo->len / HDMIRTC_AUDIO_CHANNELS - 1);
	if (f->gap && f->started) {
		/* RTP time runs on through the gap, at 48 kHz. */
		gint64 missed = (head_us - f->next_mono_us) * HDMIRTC_AUDIO_RATE / G_USEC_PER_SEC;

		f->next_pos += (guint64)MAX(missed, 0);
	}
	while (f->fifo->len >= frame_values) {
		HdmirtcAudioFrame frame = {
			.pcm = (const gint16 *)(gconstpointer)f->fifo->data,
			.sample_pos = f->next_pos,
			.capture_mono_us = head_us,
			.discontinuity = f->gap,
		};

		on_frame(&frame, user_data);
		g_array_remove_range(f->fifo, 0, frame_values);
		f->started = TRUE;
		f->gap = FALSE;
		f->next_pos += f->frame_size;
		head_us += samples_to_us(f->frame_size);
		f->next_mono_us = head_us;
	}
}
