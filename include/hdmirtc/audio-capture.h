/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HDMI audio from a sound card (issue 16): ALSA capture, and the framer
 * that turns what a card gives (its rate, its block sizes) into Opus's
 * 48 kHz frames with a capture time each.
 *
 * On a Pi the TC358743 hands the HDMI audio over I2S and the card runs at
 * the rate the HDMI source sends (32, 44.1 or 48 kHz); in the VM tests
 * snd-aloop stands in for it (its capture side takes the rate its
 * playback side was opened with).  Capture times come from the card:
 * when a block is read, its newest sample is as old as the frames still
 * in the card's buffer, so the times follow the card's clock (which
 * drifts against the system's by up to ~100 ppm) and not a count of
 * samples. */
#pragma once

#include <glib.h>

#include "hdmirtc/audio.h"

G_BEGIN_DECLS

#define HDMIRTC_AUDIO_CAPTURE_ERROR (hdmirtc_audio_capture_error_quark())
GQuark hdmirtc_audio_capture_error_quark(void);

typedef enum {
	HDMIRTC_AUDIO_CAPTURE_ERROR_OPEN,       /* no such device, busy, no usable format */
	HDMIRTC_AUDIO_CAPTURE_ERROR_OVERRUN,    /* samples were lost; the stream goes on */
	HDMIRTC_AUDIO_CAPTURE_ERROR_RESTART,    /* the card's format or rate changed: open it again */
	HDMIRTC_AUDIO_CAPTURE_ERROR_GONE,       /* the device went away */
} HdmirtcAudioCaptureError;

typedef struct HdmirtcAlsaCapture HdmirtcAlsaCapture;

/* Opens an ALSA capture device ("hw:CARD=Loopback,DEV=1", "default"...)
 * for interleaved 16-bit stereo at the rate nearest rate_hint the device
 * allows, in 10 ms periods. */
HdmirtcAlsaCapture *hdmirtc_alsa_capture_open(const char *device, guint rate_hint, GError **error);
/* NULL-safe. */
void hdmirtc_alsa_capture_close(HdmirtcAlsaCapture *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcAlsaCapture, hdmirtc_alsa_capture_close)
guint hdmirtc_alsa_capture_get_rate(HdmirtcAlsaCapture *c);

/* Reads at most max_frames stereo frames into pcm, waiting at most
 * timeout_ms for the first.  Returns the frames read (0: none came in
 * time) and the monotonic time (g_get_monotonic_time()) its newest one
 * was captured, or -1 and an error (OVERRUN: read again, the gap is
 * lost; RESTART, GONE: close and open again). */
gssize hdmirtc_alsa_capture_read(HdmirtcAlsaCapture *c, gint16 *pcm, guint max_frames, guint timeout_ms,
                                 gint64 *newest_mono_us, GError **error);

/* The ALSA card whose name or id contains what, as "hw:CARD=<id>" (the
 * TC358743's I2S card: its codec is named after the bridge), or NULL. */
char *hdmirtc_alsa_find_card(const char *what);

/* ---- Framer --------------------------------------------------------------- */

typedef struct HdmirtcAudioFramer HdmirtcAudioFramer;

/* One frame for the encoder: frame_size 48 kHz stereo frames. */
typedef struct {
	const gint16 *pcm;
	guint64 sample_pos;             /* as in HdmirtcAudioPacket */
	gint64 capture_mono_us;         /* of its first sample */
	gboolean discontinuity;
} HdmirtcAudioFrame;

typedef void (*HdmirtcAudioFrameFunc)(const HdmirtcAudioFrame *frame, gpointer user_data);

/* Frames of frame_size (48 kHz) samples per channel, stereo. */
HdmirtcAudioFramer *hdmirtc_audio_framer_new(guint frame_size);
/* NULL-safe. */
void hdmirtc_audio_framer_free(HdmirtcAudioFramer *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcAudioFramer, hdmirtc_audio_framer_free)

/* Takes n stereo frames at rate (any rate libspeexdsp resamples; a new
 * rate starts over), the newest captured at newest_mono_us, and calls
 * on_frame for each whole 48 kHz frame they complete.  discontinuity:
 * samples were lost before these (or they are the first after a gap):
 * what waited is dropped, and sample_pos jumps by the time missed, so that
 * RTP timestamps keep to the clock. */
void hdmirtc_audio_framer_push(HdmirtcAudioFramer *f, const gint16 *pcm, guint n, guint rate,
                               gint64 newest_mono_us, gboolean discontinuity,
                               HdmirtcAudioFrameFunc on_frame, gpointer user_data);

G_END_DECLS
