/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The synthetic audio source (a tone, a click at each second of the wall
 * clock), the Opus encoder, checked through libopus's own decoder, and the
 * framer that turns a sound card's blocks at its rate into 48 kHz frames
 * with capture times. */
#include <math.h>
#include <opus.h>
#include <stdlib.h>
#include <string.h>

#include "hdmirtc/audio-capture.h"
#include "hdmirtc/audio.h"

#define RATE HDMIRTC_AUDIO_RATE
/* Louder than the tone ever is, quieter than the click always is. */
#define CLICK_THRESHOLD 4000

/* The first frame from `from` whose first channel is over the threshold. */
static gint first_loud(const gint16 *pcm, guint channels, guint n_frames, guint from)
{
	for (guint i = from; i < n_frames; i++) {
		if (abs(pcm[i * channels]) > CLICK_THRESHOLD)
			return (gint)i;
	}
	return -1;
}

/* Filled in 10 ms pieces or all at once: the same samples. */
static void test_tone_continuous(void)
{
	const gint64 t0 = 1733400000123456;     /* not on a sample boundary */
	g_autofree gint16 *whole = g_new(gint16, RATE * 2);
	g_autofree gint16 *pieces = g_new(gint16, RATE * 2);

	hdmirtc_tone_fill(t0, RATE, 2, whole, RATE);
	for (guint k = 0; k < 100; k++)
		hdmirtc_tone_fill(t0 + k * 10000, RATE, 2, pieces + k * 480 * 2, 480);
	g_assert_cmpmem(whole, RATE * 2 * sizeof(gint16), pieces, RATE * 2 * sizeof(gint16));
	for (guint i = 0; i < RATE; i++)
		g_assert_cmpint(whole[2 * i], ==, whole[2 * i + 1]);
}

/* The click starts on the second and lasts HDMIRTC_TONE_CLICK_MS. */
static void test_tone_click_on_the_second(void)
{
	gint16 pcm[960 * 1];
	gint at;

	/* 5.990 s: the second starts 10 ms (480 frames) in. */
	hdmirtc_tone_fill(5990000, RATE, 1, pcm, 960);
	at = first_loud(pcm, 1, 960, 0);
	g_assert_cmpint(at, >=, 480);
	g_assert_cmpint(at, <=, 482);
	for (guint i = 0; i < 480; i++)
		g_assert_cmpint(abs(pcm[i]), <, 1100);
	g_assert_cmpint(first_loud(pcm, 1, 960, 480 + RATE * HDMIRTC_TONE_CLICK_MS / 1000 + 1), ==, -1);
}

static void test_opus_bad_settings(void)
{
	static const guint bad[][3] = { { 3, 20, 64000 }, { 2, 15, 64000 }, { 2, 5, 64000 },
	                                { 0, 20, 64000 }, { 2, 20, 1000 }, { 2, 20, 600000 } };

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;

		g_assert_null(hdmirtc_opus_encoder_new(bad[i][0], bad[i][1], bad[i][2], &error));
		g_assert_nonnull(error);
		g_assert_nonnull(strstr(error->message, "want 1-2 channels"));
	}
}

static gint peak(const gint16 *pcm, guint n)
{
	gint m = 0;

	for (guint i = 0; i < n; i++)
		m = MAX(m, abs(pcm[i]));
	return m;
}

/* 2 s through the encoder and libopus's decoder: the click comes out where
 * it went in, delayed by exactly the encoder's lookahead (within a
 * millisecond).  The packet holding a click lost: the next one's FEC
 * brings the click back, where concealment alone cannot. */
static void test_opus_click_timing(gconstpointer data)
{
	guint frame_ms = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcOpusEncoder) enc = hdmirtc_opus_encoder_new(2, frame_ms, 64000, &error);
	guint fs, n_frames = 2 * RATE, n_packets;
	g_autofree gint16 *in = g_new(gint16, n_frames * 2);
	g_autofree gint16 *out = g_new0(gint16, n_frames * 2);
	g_autofree guint8 *packets = NULL;
	g_autofree gssize *lens = NULL;
	g_autofree OpusDecoder *lost = NULL;
	OpusDecoder *dec;
	int err, dec_size = opus_decoder_get_size(2);
	guint recovered = 0;

	g_assert_no_error(error);
	fs = hdmirtc_opus_encoder_get_frame_size(enc);
	g_assert_cmpuint(fs, ==, RATE / 1000 * frame_ms);
	n_packets = n_frames / fs;
	packets = g_malloc(n_packets * 1500);
	lens = g_new(gssize, n_packets);
	/* 10.5 s: the clicks of 11 s and 12 s are 24000 and 72000 frames in. */
	hdmirtc_tone_fill(10500000, RATE, 2, in, n_frames);
	for (guint p = 0; p < n_packets; p++) {
		lens[p] = hdmirtc_opus_encoder_encode(enc, in + p * fs * 2, packets + p * 1500, 1500, &error);
		g_assert_no_error(error);
		g_assert_cmpint(lens[p], >, 0);
	}
	dec = opus_decoder_create(RATE, 2, &err);
	lost = g_malloc(dec_size);
	for (guint p = 0; p < n_packets; p++) {
		gint16 *frame = out + p * fs * 2;

		if (p + 1 < n_packets && (p * fs == 24000 || p * fs == 72000)) {
			gint16 fec[960 * 2], plc[960 * 2];

			/* The decoder as it was when this packet went missing
			 * (libopus states hold no pointers: a copy is a state). */
			memcpy(lost, dec, dec_size);
			g_assert_cmpint(opus_decode(lost, packets + (p + 1) * 1500, (opus_int32)lens[p + 1], fec,
			                            (int)fs, 1), ==, (int)fs);
			memcpy(lost, dec, dec_size);
			g_assert_cmpint(opus_decode(lost, NULL, 0, plc, (int)fs, 0), ==, (int)fs);
			g_test_message("packet %u lost: FEC peak %d, concealment peak %d", p, peak(fec, fs * 2),
			               peak(plc, fs * 2));
			g_assert_cmpint(peak(plc, fs * 2), <, CLICK_THRESHOLD);
			recovered += peak(fec, fs * 2) > CLICK_THRESHOLD;
		}
		g_assert_cmpint(opus_decode(dec, packets + p * 1500, (opus_int32)lens[p], frame, (int)fs, 0), ==,
		                (int)fs);
	}
	opus_decoder_destroy(dec);
	gint at = first_loud(out, 2, n_frames, 12000);
	gint want = 24000 + (gint)hdmirtc_opus_encoder_get_lookahead(enc);
	g_test_message("%u ms frames: click decoded at frame %d, expected %d (lookahead %u)", frame_ms, at,
		       want, hdmirtc_opus_encoder_get_lookahead(enc));
	g_assert_cmpint(at, >=, want - RATE / 1000);
	g_assert_cmpint(at, <=, want + RATE / 1000);
	g_assert_cmpuint(recovered, ==, 2);
}

/* ---- Framer ---------------------------------------------------------------- */

/* A sound card in the test: the tone at its rate, read in 10 ms blocks,
 * each sample's capture time its wall time (mono == wall here). */
typedef struct {
	GArray *frames;                 /* HdmirtcAudioFrame, pcm copied into pcm */
	GArray *pcm;                    /* gint16, every frame's samples in order */
} Collected;

static void collect(const HdmirtcAudioFrame *frame, gpointer user_data)
{
	Collected *c = user_data;

	g_array_append_vals(c->frames, frame, 1);
	g_array_append_vals(c->pcm, frame->pcm, 960 * 2);
}

/* Pushes seconds of the tone at rate, starting at sample index first of a
 * card whose sample 0 was captured at t0_us. */
static void feed(HdmirtcAudioFramer *f, guint rate, gint64 t0_us, guint64 first, guint n_blocks,
                 gboolean gap_before, Collected *c)
{
	guint block = rate / 100;
	g_autofree gint16 *pcm = g_new(gint16, block * 2);

	for (guint k = 0; k < n_blocks; k++) {
		guint64 i0 = first + (guint64)k * block;
		gint64 start_us = t0_us + (gint64)(i0 * G_USEC_PER_SEC / rate);
		gint64 newest_us = t0_us + (gint64)((i0 + block - 1) * G_USEC_PER_SEC / rate);

		hdmirtc_tone_fill(start_us, rate, 2, pcm, block);
		hdmirtc_audio_framer_push(f, pcm, block, rate, newest_us, gap_before && k == 0, collect, c);
	}
}

static Collected *collected_new(void)
{
	Collected *c = g_new0(Collected, 1);

	c->frames = g_array_new(FALSE, FALSE, sizeof(HdmirtcAudioFrame));
	c->pcm = g_array_new(FALSE, FALSE, sizeof(gint16));
	return c;
}

static void collected_free(Collected *c)
{
	g_array_unref(c->frames);
	g_array_unref(c->pcm);
	g_free(c);
}

#define FRAME(c, i) g_array_index((c)->frames, HdmirtcAudioFrame, i)

/* Frames follow on: positions 960 apart, times 20 ms apart and each the
 * capture time of its first sample (to within the card's read jitter:
 * here none, so 0.1 ms). */
static void assert_continuous(Collected *c, guint from, guint to, gint64 t0_us, guint64 pos0)
{
	for (guint i = from; i < to; i++) {
		HdmirtcAudioFrame *fr = &FRAME(c, i);

		g_assert_cmpuint(fr->sample_pos, ==, pos0 + (guint64)(i - from) * 960);
		g_assert_cmpint(llabs(fr->capture_mono_us - (t0_us + (gint64)(i - from) * 20000)), <=, 100);
		g_assert_cmpint(fr->discontinuity, ==, i == from);
	}
}

/* At the card's rate, in its block sizes: 48 kHz frames, the click where
 * the second begins. */
static void test_framer_rates(gconstpointer data)
{
	guint rate = GPOINTER_TO_UINT(data);
	g_autoptr(HdmirtcAudioFramer) f = hdmirtc_audio_framer_new(960);
	Collected *c = collected_new();
	const gint64 t0 = 5900000;      /* the click comes 100 ms in */
	gint at;

	feed(f, rate, t0, 0, 50, FALSE, c);
	/* 0.5 s in; the resampler keeps its delay back */
	g_assert_cmpuint(c->frames->len, >=, 24);
	g_assert_cmpuint(c->frames->len, <=, 25);
	assert_continuous(c, 0, c->frames->len, t0, 0);
	at = first_loud((const gint16 *)(gpointer)c->pcm->data, 2, c->pcm->len / 2, 0);
	g_assert_cmpint(at, >=, 0);
	/* 100 ms after the first sample, to 0.2 ms (10 samples) */
	g_assert_cmpint(abs(at - 4800), <=, 10);
	collected_free(c);
}

/* Samples lost: the frame after the gap says so, and its position jumps
 * by the time missed (RTP time runs on). */
static void test_framer_gap(void)
{
	g_autoptr(HdmirtcAudioFramer) f = hdmirtc_audio_framer_new(960);
	Collected *c = collected_new();
	guint before;

	feed(f, 44100, 0, 0, 100, FALSE, c);
	before = c->frames->len;
	/* 200 ms (20 blocks) never read */
	feed(f, 44100, 0, 441 * 120, 50, TRUE, c);
	g_assert_cmpuint(c->frames->len, >, before);
	HdmirtcAudioFrame *after = &FRAME(c, before);
	g_assert_true(after->discontinuity);
	/* where the clock says it is, to the microsecond rounding of the
	 * times (3 samples: 62 us) */
	g_assert_cmpint(llabs((gint64)after->sample_pos - after->capture_mono_us * 48 / 1000), <=, 3);
	g_assert_cmpint(llabs(after->capture_mono_us - 1200000), <=, 100);
	assert_continuous(c, before, c->frames->len, after->capture_mono_us, after->sample_pos);
	collected_free(c);
}

/* The source changes rate (HDMI 44.1 kHz -> 48 kHz): a new start in the
 * same time line. */
static void test_framer_rate_change(void)
{
	g_autoptr(HdmirtcAudioFramer) f = hdmirtc_audio_framer_new(960);
	Collected *c = collected_new();
	guint before;

	feed(f, 44100, 0, 0, 50, FALSE, c);
	before = c->frames->len;
	feed(f, 48000, 500000, 0, 50, FALSE, c);
	HdmirtcAudioFrame *after = &FRAME(c, before);
	g_assert_true(after->discontinuity);
	g_assert_cmpint(llabs(after->capture_mono_us - 500000), <=, 100);
	g_assert_cmpint(llabs((gint64)after->sample_pos - 24000), <=, 3);
	assert_continuous(c, before, c->frames->len, after->capture_mono_us, after->sample_pos);
	collected_free(c);
}
/* One 20 ms stereo frame of the tone starting at wall_us into the meter. */
static void meter_tone(HdmirtcLevelMeter *m, gint64 wall_us, gboolean discontinuity)
{
	gint16 pcm[960 * 2];

	hdmirtc_tone_fill(wall_us, RATE, 2, pcm, 960);
	hdmirtc_level_meter_add(m, pcm, G_N_ELEMENTS(pcm), 20, discontinuity);
}

/* The level is a whole second's peak: the click's, never the tone's alone
 * because the tone thread jumped over a click (CI: -30 dBFS in the status
 * after a resync); a quiet second does read quiet. */
static void test_level_meter(void)
{
	HdmirtcLevelMeter m;
	gint16 silence[960 * 2] = { 0 };
	gint64 t = 10500000;

	hdmirtc_level_meter_init(&m);
	g_assert_true(isinf(m.level_dbfs) && m.level_dbfs < 0);
	for (guint k = 0; k < 50; k++, t += 20000)
		meter_tone(&m, t, k == 0);
	g_assert_cmpfloat(m.level_dbfs, >, -10);
	g_assert_cmpfloat(m.level_dbfs, <, 0);
	/* 0.8 s more, then 0.8 s skipped (the click at 13.0 s among them). */
	for (guint k = 0; k < 40; k++, t += 20000)
		meter_tone(&m, t, FALSE);
	t += 800000;
	for (guint k = 0; k < 45; k++, t += 20000) {
		meter_tone(&m, t, k == 0);
		g_assert_cmpfloat(m.level_dbfs, >, -10);
	}
	/* The second from the jump on is whole with the click at 14.0 s. */
	for (guint k = 0; k < 5; k++, t += 20000)
		meter_tone(&m, t, FALSE);
	g_assert_cmpfloat(m.level_dbfs, >, -10);
	for (guint k = 0; k < 50; k++)
		hdmirtc_level_meter_add(&m, silence, G_N_ELEMENTS(silence), 20, FALSE);
	g_assert_true(isinf(m.level_dbfs) && m.level_dbfs < 0);

	/* A gap every half second (a card that overruns again and again): no
	 * whole second, yet after 2 s of sound the level is the clicks', not
	 * the silence before. */
	for (guint k = 0; k < 99; k++, t += 20000) {
		meter_tone(&m, t, k % 25 == 0);
		g_assert_true(isinf(m.level_dbfs));
	}
	meter_tone(&m, t, FALSE);
	g_assert_cmpfloat(m.level_dbfs, >, -10);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/audio/tone/continuous", test_tone_continuous);
	g_test_add_func("/audio/tone/click-on-the-second", test_tone_click_on_the_second);
	g_test_add_func("/audio/opus/bad-settings", test_opus_bad_settings);
	g_test_add_data_func("/audio/opus/click-timing-20ms", GUINT_TO_POINTER(20), test_opus_click_timing);
	g_test_add_data_func("/audio/opus/click-timing-10ms", GUINT_TO_POINTER(10), test_opus_click_timing);
	g_test_add_data_func("/audio/framer/48000", GUINT_TO_POINTER(48000), test_framer_rates);
	g_test_add_data_func("/audio/framer/44100", GUINT_TO_POINTER(44100), test_framer_rates);
	g_test_add_data_func("/audio/framer/32000", GUINT_TO_POINTER(32000), test_framer_rates);
	g_test_add_func("/audio/framer/gap", test_framer_gap);
	g_test_add_func("/audio/framer/rate-change", test_framer_rate_change);
	g_test_add_func("/audio/level-meter", test_level_meter);
	return g_test_run();
}
