/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NTP timestamps (RFC 5905 era 0) for RTCP SR and abs-capture-time, and the
 * 90 kHz RTP clock. */
#include "hdmirtc/rtp.h"

/* Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
#define NTP_UNIX_OFFSET G_GUINT64_CONSTANT(2208988800)
#define US_PER_S G_GUINT64_CONSTANT(1000000)

guint64 hdmirtc_ntp_from_wall_us(gint64 wall_us)
{
	guint64 us = wall_us > 0 ? (guint64)wall_us : 0;
	guint64 secs = us / US_PER_S + NTP_UNIX_OFFSET;
	/* < 1e6 << 32 fits in 64 bits; rounding stays below 2^32. */
	guint64 frac = (((us % US_PER_S) << 32) + US_PER_S / 2) / US_PER_S;

	return secs << 32 | frac;
}

guint32 hdmirtc_ntp_to_compact(guint64 ntp)
{
	return (guint32)(ntp >> 16);
}

guint32 hdmirtc_ntp_compact_from_wall_us(gint64 wall_us)
{
	return hdmirtc_ntp_to_compact(hdmirtc_ntp_from_wall_us(wall_us));
}

gint64 hdmirtc_ntp_to_wall_us(guint64 ntp)
{
	gint64 secs = (gint64)(ntp >> 32) - (gint64)NTP_UNIX_OFFSET;
	guint64 frac_us = ((ntp & 0xffffffffu) * US_PER_S + (G_GUINT64_CONSTANT(1) << 31)) >> 32;

	return secs * (gint64)US_PER_S + (gint64)frac_us;
}

guint32 hdmirtc_rtp_timestamp_90khz(gint64 time_us, guint32 offset)
{
	/* Split to avoid overflow of time_us * 9 for large times. */
	gint64 secs = time_us / 1000000;
	gint64 rem = time_us % 1000000;

	return offset + (guint32)((guint64)secs * 90000u + (guint64)(rem * 9 / 100));
}
