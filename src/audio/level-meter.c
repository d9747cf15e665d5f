/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sound's level for the status: the peak of the last whole second of
 * the source's samples, in dBFS. */
#include <math.h>

#include "hdmirtc/audio.h"

/* Gaps every second or so (a card that overruns again and again on a busy
 * machine) leave no whole second: after this much sound the level is set
 * from what there was, rather than stand still. */
#define MAX_MS_WITHOUT_LEVEL 2000

static void set_level(HdmirtcLevelMeter *m, double peak)
{
	m->level_dbfs = peak > 0 ? 20 * log10(peak) : -INFINITY;
	m->peak = m->since_peak = 0;
	m->ms = m->since_ms = 0;
}

void hdmirtc_level_meter_init(HdmirtcLevelMeter *m)
{
	*m = (HdmirtcLevelMeter){ .level_dbfs = -INFINITY };
}

void hdmirtc_level_meter_add(HdmirtcLevelMeter *m, const gint16 *pcm, guint n_samples, guint frame_ms,
                             gboolean discontinuity)
{
	double peak = 0;

	/* Samples missing (a stalled tone thread that jumped ahead, a card's
	 * overrun): the second so far is not a whole one of the source's
	 * sound, which would under-state its level (a click in the gap), so
	 * it starts again and the last whole second's level stands. */
	if (discontinuity) {
		m->peak = 0;
		m->ms = 0;
	}
	for (guint i = 0; i < n_samples; i++)
		peak = MAX(peak, fabs(pcm[i] / 32768.0));
	m->peak = MAX(m->peak, peak);
	m->ms += frame_ms;
	m->since_peak = MAX(m->since_peak, peak);
	m->since_ms += frame_ms;
	if (m->ms >= 1000)
		set_level(m, m->peak);
	else if (m->since_ms >= MAX_MS_WITHOUT_LEVEL)
		set_level(m, m->since_peak);
}
