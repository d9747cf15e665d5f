/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HDMI audio (issue 16), the parts that need no device: the synthetic
 * source that gives the embedded default its sound, and the Opus encoder.
 *
 * The synthetic signal is a function of the wall clock, like the test
 * pattern's barcode (barcode.h carries the capture's wall time): a quiet
 * 440 Hz tone with a click in the first milliseconds of every second, so
 * a receiver can time a click against the frame whose barcode names the
 * same second (the audio/video offset). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What WebRTC's Opus is (RFC 7587): 48 kHz, two channels. */
#define HDMIRTC_AUDIO_RATE 48000
#define HDMIRTC_AUDIO_CHANNELS 2

/* The click: its length, and the tone under it. */
#define HDMIRTC_TONE_CLICK_MS 5
#define HDMIRTC_TONE_HZ 440
#define HDMIRTC_TONE_CLICK_HZ 2000

/* Writes n_frames interleaved frames (channels samples each) of the
 * synthetic signal at rate, the first one being the sample of wall-clock
 * time wall_us (microseconds since the Unix epoch, g_get_real_time()).
 * Consecutive calls with consecutive times join without a seam. */
void hdmirtc_tone_fill(gint64 wall_us, guint rate, guint channels, gint16 *pcm, guint n_frames);

/* The level the status shows: the peak of the last whole second of
 * samples (-INFINITY before the first).  A discontinuity (samples lost
 * before this frame) starts the second again; when gaps come so often that
 * 2 s of samples pass without a whole second, their peak is shown. */
typedef struct {
	double peak;            /* of the second so far, 0..1 */
	guint ms;               /* of the second so far */
	double since_peak;      /* of all samples since the level was last set */
	guint since_ms;
	double level_dbfs;
} HdmirtcLevelMeter;

void hdmirtc_level_meter_init(HdmirtcLevelMeter *m);
/* n_samples interleaved samples, one frame of frame_ms. */
void hdmirtc_level_meter_add(HdmirtcLevelMeter *m, const gint16 *pcm, guint n_samples, guint frame_ms,
                             gboolean discontinuity);

typedef struct HdmirtcOpusEncoder HdmirtcOpusEncoder;

/* 48 kHz, channels 1 or 2, frame_ms 10 or 20 (in-band FEC needs at least
 * 10), bitrate 6000..510000 bit/s.  In-band FEC on (each packet also
 * carries the frame before it, for 10 % loss); constrained VBR.  NULL +
 * error on a bad setting. */
HdmirtcOpusEncoder *hdmirtc_opus_encoder_new(guint channels, guint frame_ms, guint bitrate,
                                             GError **error);
/* NULL-safe. */
void hdmirtc_opus_encoder_free(HdmirtcOpusEncoder *enc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcOpusEncoder, hdmirtc_opus_encoder_free)

/* Frames (samples per channel) one encode() takes. */
guint hdmirtc_opus_encoder_get_frame_size(HdmirtcOpusEncoder *enc);
/* The encoder's delay in frames (samples per channel): a decoded sample
 * comes out this many samples later than it went in. */
guint hdmirtc_opus_encoder_get_lookahead(HdmirtcOpusEncoder *enc);
/* Encodes one frame of interleaved pcm (get_frame_size() frames) into out;
 * the packet's size, or -1 + error. */
gssize hdmirtc_opus_encoder_encode(HdmirtcOpusEncoder *enc, const gint16 *pcm, guint8 *out,
                                   gsize out_size, GError **error);

/* One encoded Opus frame on its way from the audio thread to the viewers
 * (each writes its own RTP header around the same bytes).  Times are those
 * of its first sample; sample_pos counts 48 kHz samples since the source
 * started, so consecutive packets differ by exactly their n_samples unless
 * the source had a gap (then discontinuity is set: the RTP marker bit of
 * RFC 7587 / RFC 3551 4.1 tells the receiver a talkspurt begins). */
typedef struct {
	const guint8 *data;
	gsize len;
	guint64 sample_pos;
	guint n_samples;
	gint64 capture_mono_us;
	gint64 capture_wall_us;
	gboolean discontinuity;
} HdmirtcAudioPacket;

G_END_DECLS
