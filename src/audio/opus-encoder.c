/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/audio.h"

#include <opus.h>

struct HdmirtcOpusEncoder {
	OpusEncoder *opus;
	guint frame_size;
	guint lookahead;
};

static GQuark opus_error_quark(void)
{
	return g_quark_from_static_string("hdmirtc-opus-error-quark");
}

HdmirtcOpusEncoder *hdmirtc_opus_encoder_new(guint channels, guint frame_ms, guint bitrate,
                                             GError **error)
{
	g_autoptr(HdmirtcOpusEncoder) enc = g_new0(HdmirtcOpusEncoder, 1);
	opus_int32 lookahead = 0;
	int err = OPUS_OK;

	if (channels < 1 || channels > 2 || (frame_ms != 10 && frame_ms != 20) || bitrate < 6000 ||
	    bitrate > 510000) {
		g_set_error(error, opus_error_quark(), 0,
			    "Opus: %u channels, %u ms frames, %u bit/s: want 1-2 channels, 10 or 20 ms, "
			    "6000..510000 bit/s", channels, frame_ms, bitrate);
		return NULL;
	}
	enc->frame_size = HDMIRTC_AUDIO_RATE / 1000 * frame_ms;
	/* AUDIO, not RESTRICTED_LOWDELAY: that one is CELT only, and the
	 * in-band FEC lives in SILK's layer. */
	enc->opus = opus_encoder_create(HDMIRTC_AUDIO_RATE, (int)channels, OPUS_APPLICATION_AUDIO, &err);
	if (!enc->opus) {
		g_set_error(error, opus_error_quark(), 0, "Opus: %s", opus_strerror(err));
		return NULL;
	}
	opus_encoder_ctl(enc->opus, OPUS_SET_BITRATE((opus_int32)bitrate));
	/* Complexity 5 of 10: a third of the default's (9) CPU with in-band
	 * FEC on (measured with bench/: 0.65 % of a core here against 1.48 %),
	 * for a KVM's beeps and speech at 64 kbit/s no audible loss, and what
	 * a Pi's cores can spare beside the video. */
	opus_encoder_ctl(enc->opus, OPUS_SET_COMPLEXITY(5));
	opus_encoder_ctl(enc->opus, OPUS_SET_VBR_CONSTRAINT(1));
	/* Below 10 % libopus 1.3 keeps a 64 kbit/s stream in CELT alone,
	 * which has no FEC: at 10 % it goes hybrid and each packet carries
	 * the frame before it (measured: tests/unit/test-audio.c). */
	opus_encoder_ctl(enc->opus, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(enc->opus, OPUS_SET_PACKET_LOSS_PERC(10));
	opus_encoder_ctl(enc->opus, OPUS_GET_LOOKAHEAD(&lookahead));
	enc->lookahead = (guint)MAX(lookahead, 0);
	return g_steal_pointer(&enc);
}

void hdmirtc_opus_encoder_free(HdmirtcOpusEncoder *enc)
{
	if (!enc)
		return;
	if (enc->opus)
		opus_encoder_destroy(enc->opus);
	g_free(enc);
}

guint hdmirtc_opus_encoder_get_frame_size(HdmirtcOpusEncoder *enc)
{
	return enc->frame_size;
}

guint hdmirtc_opus_encoder_get_lookahead(HdmirtcOpusEncoder *enc)
{
	return enc->lookahead;
}

gssize hdmirtc_opus_encoder_encode(HdmirtcOpusEncoder *enc, const gint16 *pcm, guint8 *out,
                                   gsize out_size, GError **error)
{
	opus_int32 n = opus_encode(enc->opus, pcm, (int)enc->frame_size, out,
				   (opus_int32)MIN(out_size, (gsize)G_MAXINT32));

	if (n < 0) {
		g_set_error(error, opus_error_quark(), 0, "Opus: %s", opus_strerror(n));
		return -1;
	}
	return n;
}
