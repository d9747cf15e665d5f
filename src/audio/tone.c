/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/audio.h"

#include <math.h>

/* -30 dBFS for the tone (audible, not loud), -6 dBFS for the click. */
#define TONE_AMPLITUDE 1036.0
#define CLICK_AMPLITUDE 16422.0

void hdmirtc_tone_fill(gint64 wall_us, guint rate, guint channels, gint16 *pcm, guint n_frames)
{
	/* The sample's place within its second of the wall clock (wall_us
	 * times rate would overflow 64 bits; only the place matters). */
	guint64 index = (guint64)(wall_us % G_USEC_PER_SEC) * rate / G_USEC_PER_SEC;
	guint click_frames = rate * HDMIRTC_TONE_CLICK_MS / 1000;

	for (guint i = 0; i < n_frames; i++, index++) {
		/* Whole cycles per second: the phase starts over each second
		 * without a jump, so only the index within it matters. */
		guint in_second = (guint)(index % rate);
		double t = (double)in_second / rate;
		double v = TONE_AMPLITUDE * sin(2 * G_PI * HDMIRTC_TONE_HZ * t);

		if (in_second < click_frames)
			v += CLICK_AMPLITUDE * sin(2 * G_PI * HDMIRTC_TONE_CLICK_HZ * t);
		for (guint c = 0; c < channels; c++)
			pcm[i * channels + c] = (gint16)lrint(v);
	}
}
