/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HDMI source's sound for the VM tests: plays the synthetic tone (a
 * click on each second of the wall clock, src/audio/tone.c, the clock the
 * test pattern's barcode carries) into snd-aloop's playback side, so that
 * the service captures it from the other side as it would the TC358743's
 * I2S card.  Each period is written with the wall time at which its first
 * frame reaches the capture side: now plus what the card still holds.
 *
 *   aloop-clicks DEVICE RATE SECONDS      e.g. hw:CARD=Loopback,DEV=0 44100 20 */
#include <alsa/asoundlib.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "hdmirtc/audio.h"

#define CHANNELS 2

static snd_pcm_t *open_playback(const char *device, unsigned int rate, snd_pcm_uframes_t *period)
{
	snd_pcm_t *pcm;
	snd_pcm_hw_params_t *hw;
	snd_pcm_uframes_t buffer = rate / 25;   /* 40 ms */
	int err;

	*period = rate / 100;
	if ((err = snd_pcm_open(&pcm, device, SND_PCM_STREAM_PLAYBACK, 0)) < 0) {
		fprintf(stderr, "%s: %s\n", device, snd_strerror(err));
		return NULL;
	}
	snd_pcm_hw_params_alloca(&hw);
	if ((err = snd_pcm_hw_params_any(pcm, hw)) < 0 ||
	    (err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
	    (err = snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE)) < 0 ||
	    (err = snd_pcm_hw_params_set_channels(pcm, hw, CHANNELS)) < 0 ||
	    (err = snd_pcm_hw_params_set_rate(pcm, hw, rate, 0)) < 0 ||
	    (err = snd_pcm_hw_params_set_period_size_near(pcm, hw, period, NULL)) < 0 ||
	    (err = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer)) < 0 ||
	    (err = snd_pcm_hw_params(pcm, hw)) < 0) {
		fprintf(stderr, "%s at %u Hz: %s\n", device, rate, snd_strerror(err));
		snd_pcm_close(pcm);
		return NULL;
	}
	return pcm;
}

int main(int argc, char **argv)
{
	snd_pcm_uframes_t period;
	snd_pcm_t *pcm;
	unsigned int rate;
	gint64 end;
	gint16 *buf;

	if (argc != 4) {
		fprintf(stderr, "usage: %s DEVICE RATE SECONDS\n", argv[0]);
		return 2;
	}
	rate = (unsigned int)atoi(argv[2]);
	pcm = open_playback(argv[1], rate, &period);
	if (!pcm)
		return 1;
	buf = g_new(gint16, period * CHANNELS);
	end = g_get_monotonic_time() + (gint64)atoi(argv[3]) * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		snd_pcm_sframes_t delay = 0, n;

		if (snd_pcm_delay(pcm, &delay) < 0 || delay < 0)
			delay = 0;
		hdmirtc_tone_fill(g_get_real_time() + (gint64)delay * G_USEC_PER_SEC / rate, rate, CHANNELS, buf,
				  (guint)period);
		n = snd_pcm_writei(pcm, buf, period);
		if (n < 0) {
			/* An underrun (the guest stalled), or EIO: ALSA's write gave
			 * up waiting for room (snd-aloop's timer under TCG, seen
			 * once in ~20 runs), which snd_pcm_recover() does not
			 * take; the stream is started over then, as an HDMI
			 * source goes on playing.  Said, for the test's log. */
			gboolean recovered = snd_pcm_recover(pcm, (int)n, 1) == 0;
			int err = 0;

			if (!recovered && ((err = snd_pcm_drop(pcm)) < 0 || (err = snd_pcm_prepare(pcm)) < 0)) {
				fprintf(stderr, "write: %s at %" G_GINT64_FORMAT " us: %s\n", snd_strerror((int)n),
					g_get_real_time(), snd_strerror(err));
				break;
			}
			fprintf(stderr, "write: %s at %" G_GINT64_FORMAT " us, %s\n", snd_strerror((int)n),
				g_get_real_time(), recovered ? "recovered" : "started over");
		}
	}
	snd_pcm_drain(pcm);
	snd_pcm_close(pcm);
	g_free(buf);
	return 0;
}
