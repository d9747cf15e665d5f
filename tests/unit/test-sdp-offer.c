/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The service as offerer (WHIP): the offer hdmirtc_sdp_offer_build() writes,
 * read back with the parser, and the reading of answers: a real one from
 * aiortc (fixtures/README-sdp.md) and edits of it that a server could send
 * and the service must refuse or take without sound. */
#include <string.h>

#include "hdmirtc/sdp.h"

#define FP "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
#define CAND_HOST "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"

static const char *const candidates[] = { CAND_HOST, NULL };

static HdmirtcSdpLocalParams offer_params(gboolean audio)
{
	HdmirtcSdpLocalParams p = {
		.session_id = 12345,
		.session_version = 1,
		.ice_ufrag = "hdmi",
		.ice_pwd = "abcdefghijklmnopqrstuvwx",
		.fingerprint = FP,
		.candidates = candidates,
		.gathering_complete = TRUE,
		.ssrc = 1111,
		.cname = "hdmirtc-cname",
		.stream_id = "hdmirtc",
		.track_id = "video",
		.audio_ssrc = audio ? 2222 : 0,
		.audio_track_id = "audio",
	};
	return p;
}

static HdmirtcSdpOffer *parse(const char *text)
{
	g_autoptr(GError) error = NULL;
	HdmirtcSdpOffer *sdp = hdmirtc_sdp_offer_parse(text, strlen(text), &error);

	g_assert_no_error(error);
	return sdp;
}

static void test_offer_video_audio(void)
{
	HdmirtcSdpLocalParams p = offer_params(TRUE);
	g_autoptr(GError) error = NULL;
	g_autofree char *text = hdmirtc_sdp_offer_build(&p, &error);
	g_autoptr(HdmirtcSdpOffer) sdp = NULL;

	g_assert_no_error(error);
	g_test_message("%s", text);
	sdp = parse(text);
	g_assert_cmpuint(sdp->bundle_groups->len, ==, 1);
	g_assert_cmpstrv(sdp->bundle_groups->pdata[0], ((const char *const[]){ "0", "1", NULL }));
	g_assert_cmpuint(sdp->media->len, ==, 2);

	const HdmirtcSdpMedia *v = sdp->media->pdata[0], *a = sdp->media->pdata[1];
	g_assert_cmpint(v->type, ==, HDMIRTC_SDP_MEDIA_VIDEO);
	g_assert_cmpstr(v->mid, ==, "0");
	g_assert_cmpint(v->direction, ==, HDMIRTC_SDP_DIRECTION_SENDONLY);
	g_assert_cmpint(v->setup, ==, HDMIRTC_SDP_SETUP_ACTPASS);
	g_assert_true(v->rtcp_mux && v->rtcp_rsize && v->has_sha256_fingerprint);
	g_assert_cmpstr(v->ice_ufrag, ==, "hdmi");
	const HdmirtcSdpPayload *h264 = hdmirtc_sdp_media_find_payload(v, HDMIRTC_SDP_OFFER_VIDEO_PT);
	g_assert_nonnull(h264);
	g_assert_cmpstr(h264->encoding, ==, "H264");
	g_assert_cmpuint(h264->packetization_mode, ==, 1);
	g_assert_cmpstr(h264->profile_level_id, ==, "42e01f");
	g_assert_cmpuint(h264->feedback, ==, HDMIRTC_SDP_FB_NACK | HDMIRTC_SDP_FB_NACK_PLI | HDMIRTC_SDP_FB_CCM_FIR);
	g_assert_cmpuint(v->candidates->len, ==, 1);
	g_assert_true(v->end_of_candidates);
	g_assert_nonnull(strstr(text, "a=ssrc:1111 cname:hdmirtc-cname\r\n"));

	g_assert_cmpint(a->type, ==, HDMIRTC_SDP_MEDIA_AUDIO);
	g_assert_cmpstr(a->mid, ==, "1");
	g_assert_cmpint(a->direction, ==, HDMIRTC_SDP_DIRECTION_SENDONLY);
	const HdmirtcSdpPayload *opus = hdmirtc_sdp_media_find_payload(a, HDMIRTC_SDP_OFFER_AUDIO_PT);
	g_assert_nonnull(opus);
	g_assert_cmpstr(opus->encoding, ==, "opus");
	g_assert_cmpuint(opus->clock_rate, ==, 48000);
	g_assert_cmpuint(opus->channels, ==, 2);
	/* BUNDLE: the candidates once, in the first section. */
	g_assert_cmpuint(a->candidates->len, ==, 0);
	g_assert_nonnull(strstr(text, "a=ssrc:2222 cname:hdmirtc-cname\r\n"));
	for (guint i = 0; i < 2; i++) {
		const HdmirtcSdpMedia *m = sdp->media->pdata[i];
		guint ids[HDMIRTC_SDP_EXT_COUNT] = { 0 };

		for (guint e = 0; e < m->extmaps->len; e++) {
			const HdmirtcSdpExtmap *x = &g_array_index(m->extmaps, HdmirtcSdpExtmap, e);

			for (guint k = 0; k < HDMIRTC_SDP_EXT_COUNT; k++)
				if (strcmp(x->uri, hdmirtc_sdp_ext_uri(k)) == 0)
					ids[k] = x->id;
		}
		g_assert_cmpuint(ids[HDMIRTC_SDP_EXT_MID], ==, 1);
		g_assert_cmpuint(ids[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME], ==, 2);
	}
}

static void test_offer_video_only(void)
{
	HdmirtcSdpLocalParams p = offer_params(FALSE);
	g_autofree char *text = hdmirtc_sdp_offer_build(&p, NULL);
	g_autoptr(HdmirtcSdpOffer) sdp = parse(text);

	g_assert_cmpuint(sdp->media->len, ==, 1);
	g_assert_cmpstrv(sdp->bundle_groups->pdata[0], ((const char *const[]){ "0", NULL }));
	g_assert_null(strstr(text, "m=audio"));
}

static void test_offer_bad_params(void)
{
	HdmirtcSdpLocalParams p = offer_params(TRUE);
	g_autoptr(GError) error = NULL;

	p.ice_pwd = "short";
	g_assert_null(hdmirtc_sdp_offer_build(&p, &error));
	g_assert_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_PARAMS);
	g_assert_nonnull(strstr(error->message, "ice_pwd"));
}

static char *load_answer(void)
{
	g_autofree char *path = g_build_filename(FIXTURES_DIR, "aiortc-1.4.0-whip-answer.sdp", NULL);
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	g_file_get_contents(path, &text, NULL, &error);
	g_assert_no_error(error);
	return text;
}

/* The fixture with every occurrence of from replaced by to. */
static char *edited_answer(const char *from, const char *to)
{
	g_autofree char *text = load_answer();
	g_auto(GStrv) parts = g_strsplit(text, from, -1);

	g_assert_cmpuint(g_strv_length(parts), >, 1);
	return g_strjoinv(to, parts);
}

static void test_answer_aiortc(void)
{
	g_autofree char *text = load_answer();
	g_autoptr(HdmirtcSdpOffer) sdp = parse(text);
	HdmirtcSdpVideoChoice video;
	HdmirtcSdpAudioChoice audio;
	gboolean has_audio;
	const char *why = "unset";
	g_autoptr(GError) error = NULL;

	g_assert_true(hdmirtc_sdp_answer_read(sdp, &video, &audio, &has_audio, &why, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(video.payload_type, ==, 96);
	g_assert_cmpuint(video.media_index, ==, 0);
	/* What aiortc will send: NACK and PLI, never FIR. */
	g_assert_cmpuint(video.feedback, ==, HDMIRTC_SDP_FB_NACK | HDMIRTC_SDP_FB_NACK_PLI);
	g_assert_cmpuint(video.ext_id[HDMIRTC_SDP_EXT_MID], ==, 1);
	g_assert_cmpuint(video.ext_id[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME], ==, 0);
	/* aiortc answers active: the service is the DTLS server. */
	g_assert_cmpint(video.media->setup, ==, HDMIRTC_SDP_SETUP_ACTIVE);
	g_assert_true(hdmirtc_sdp_dtls_is_server(video.media->setup, FALSE));
	g_assert_true(has_audio);
	g_assert_null(why);
	g_assert_cmpuint(audio.payload_type, ==, 111);
	g_assert_cmpuint(audio.media_index, ==, 1);
}

static void expect_refused(const char *from, const char *to, int code, const char *words)
{
	g_autofree char *text = edited_answer(from, to);
	g_autoptr(HdmirtcSdpOffer) sdp = parse(text);
	HdmirtcSdpVideoChoice video;
	HdmirtcSdpAudioChoice audio;
	gboolean has_audio = TRUE;
	g_autoptr(GError) error = NULL;

	g_test_message("%s -> %s", from, to);
	g_assert_false(hdmirtc_sdp_answer_read(sdp, &video, &audio, &has_audio, NULL, &error));
	g_assert_error(error, HDMIRTC_SDP_ERROR, code);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, words));
}

static void test_answer_refused(void)
{
	expect_refused("a=setup:active", "a=setup:actpass", HDMIRTC_SDP_ERROR_INVALID, "actpass in an answer");
	expect_refused("m=video 51521", "m=video 0", HDMIRTC_SDP_ERROR_INVALID, "rejected");
	expect_refused("a=mid:0", "a=mid:v", HDMIRTC_SDP_ERROR_NO_VIDEO, "no section with mid 0");
	expect_refused("UDP/TLS/RTP/SAVPF 96", "UDP/TLS/RTP/SAVPF 97", HDMIRTC_SDP_ERROR_NO_CODEC,
		       "payload type is not in the answer");
	expect_refused("a=rtcp-mux\r\n", "", HDMIRTC_SDP_ERROR_INVALID, "rtcp-mux");
	expect_refused("a=fingerprint:sha-256", "a=fingerprint:sha-999", HDMIRTC_SDP_ERROR_INVALID,
		       "fingerprint");
	expect_refused("m=video 51521 UDP/TLS/RTP/SAVPF", "m=video 51521 RTP/AVP", HDMIRTC_SDP_ERROR_INVALID,
		       "rejected");
}

/* The answer keeps the video and turns the sound down: the session goes on
 * without it, and why is told. */
static void expect_no_audio(const char *from, const char *to, const char *why_expected)
{
	g_autofree char *text = edited_answer(from, to);
	g_autoptr(HdmirtcSdpOffer) sdp = parse(text);
	HdmirtcSdpVideoChoice video;
	HdmirtcSdpAudioChoice audio;
	gboolean has_audio = TRUE;
	const char *why = NULL;
	g_autoptr(GError) error = NULL;

	g_test_message("%s -> %s", from, to);
	g_assert_true(hdmirtc_sdp_answer_read(sdp, &video, &audio, &has_audio, &why, &error));
	g_assert_no_error(error);
	g_assert_false(has_audio);
	g_assert_cmpstr(why, ==, why_expected);
}

static void test_answer_without_audio(void)
{
	expect_no_audio("m=audio 51521", "m=audio 0", "rejected (port 0, or not recvonly/sendrecv UDP/TLS/RTP/SAVPF)");
	expect_no_audio("UDP/TLS/RTP/SAVPF 111", "UDP/TLS/RTP/SAVPF 0", "the offered payload type is not in the answer");
	expect_no_audio("a=group:BUNDLE 0 1", "a=group:BUNDLE 0", "audio is not bundled with video");
	expect_no_audio("a=mid:1", "a=mid:2", "the answer has no audio section");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sdp-offer/offer/video-audio", test_offer_video_audio);
	g_test_add_func("/sdp-offer/offer/video-only", test_offer_video_only);
	g_test_add_func("/sdp-offer/offer/bad-params", test_offer_bad_params);
	g_test_add_func("/sdp-offer/answer/aiortc", test_answer_aiortc);
	g_test_add_func("/sdp-offer/answer/refused", test_answer_refused);
	g_test_add_func("/sdp-offer/answer/without-audio", test_answer_without_audio);
	return g_test_run();
}
