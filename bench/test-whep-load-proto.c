/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pure parts of whep-load that --audio added: the offer (unchanged
 * without it), the audio checks of the answer, against answers built by
 * hdmirtc's own answer builder, and the Opus timestamp steps. */
#include "whep-load.h"

#include <string.h>

#include "hdmirtc/sdp.h"

#define VIDEO_SSRC 0x11111111u
#define AUDIO_SSRC 0x22222222u

static const char *const candidates[] = {
	"a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host", NULL,
};

static WhepLoadOfferParams offer_params(gboolean audio)
{
	WhepLoadOfferParams p = {
		.ice_ufrag = "ufrg", .ice_pwd = "abcdefghijklmnopqrstuvwx", .candidates = candidates,
		.fingerprint = "sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:"
			       "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9",
		.session_id = 42, .audio = audio,
	};

	return p;
}

/* What whep-load sent before --audio existed: the bench's figures stay
 * comparable only while this does not move. */
static void test_offer_without_audio_unchanged(void)
{
	WhepLoadOfferParams p = offer_params(FALSE);
	g_autofree char *offer = whep_load_offer_build(&p);

	g_assert_cmpstr(offer, ==,
		"v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
		"m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 127.0.0.1\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
		"a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host\r\n"
		"a=ice-ufrag:ufrg\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
		"a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:"
		"0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
		"a=setup:actpass\r\na=mid:0\r\n"
		"a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time\r\n"
		"a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
		"a=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:102 H264/90000\r\n"
		"a=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\n"
		"a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
		"a=end-of-candidates\r\n");
}

/* hdmirtc's answer to whep-load's offer; audio_ssrc 0 = sound off. */
static char *answer_to(gboolean audio, guint32 audio_ssrc)
{
	WhepLoadOfferParams op = offer_params(audio);
	g_autofree char *offer = whep_load_offer_build(&op);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcSdpOffer) parsed = hdmirtc_sdp_offer_parse(offer, strlen(offer), &error);
	const char *const answer_candidates[] = { "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host", NULL };
	HdmirtcSdpAnswerParams p = {
		.session_id = 7, .session_version = 2, .ice_ufrag = "hdmi", .ice_pwd = "0123456789abcdefghijklmn",
		.fingerprint = op.fingerprint, .candidates = answer_candidates, .gathering_complete = TRUE,
		.ssrc = VIDEO_SSRC, .cname = "cname", .stream_id = "hdmirtc", .track_id = "video0",
		.audio_ssrc = audio_ssrc, .audio_track_id = "audio0",
	};
	char *answer;

	g_assert_no_error(error);
	answer = hdmirtc_sdp_answer_build(parsed, &p, &error);
	g_assert_no_error(error);
	return answer;
}

/* An answer whep-load must take. */
static void parse_good(const char *text, gboolean audio, WhepLoadAnswer *a)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(whep_load_answer_parse(text, strlen(text), audio, a, &error));
	g_assert_no_error(error);
}

static void test_answer_accepts_audio(void)
{
	g_autofree char *text = answer_to(TRUE, AUDIO_SSRC);
	WhepLoadAnswer a;

	parse_good(text, TRUE, &a);
	g_assert_true(a.audio_accepted);
	g_assert_cmpuint(a.audio_payload_type, ==, WHEP_LOAD_AUDIO_PT);
	g_assert_cmphex(a.audio_ssrc, ==, AUDIO_SSRC);
	g_assert_cmpuint(a.payload_type, ==, WHEP_LOAD_PT);
	g_assert_cmpuint(a.candidates->len, ==, 1);
	whep_load_answer_clear(&a);
}

/* A service with sound off rejects the section: no error. */
static void test_answer_rejects_audio(void)
{
	g_autofree char *text = answer_to(TRUE, 0);
	WhepLoadAnswer a;

	g_assert_nonnull(strstr(text, "m=audio 0 "));
	parse_good(text, TRUE, &a);
	g_assert_false(a.audio_accepted);
	whep_load_answer_clear(&a);
}

/* The answer with one edit must be refused with why. */
static void assert_refused(const char *from, const char *to, const char *why)
{
	g_autofree char *text = answer_to(TRUE, AUDIO_SSRC);
	g_autoptr(GString) edited = g_string_new(text);
	g_autoptr(GError) error = NULL;
	WhepLoadAnswer a;

	g_assert_cmpuint(g_string_replace(edited, from, to, 0), >, 0);
	g_assert_false(whep_load_answer_parse(edited->str, edited->len, TRUE, &a, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, why));
	whep_load_answer_clear(&a);
}

static void test_answer_audio_checks(void)
{
	g_autofree char *ssrc = g_strdup_printf("a=ssrc:%u ", AUDIO_SSRC);
	g_autofree char *video_ssrc = g_strdup_printf("a=ssrc:%u ", VIDEO_SSRC);

	assert_refused("opus/48000/2", "opus/48000/1", "not opus/48000/2");
	assert_refused("a=group:BUNDLE 0 1", "a=group:BUNDLE 0", "BUNDLE");
	assert_refused(ssrc, "a=x-ssrc:1 ", "no a=ssrc");
	assert_refused(ssrc, video_ssrc, "share an SSRC");
	assert_refused("a=mid:1\r\n", "a=mid:1\r\na=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
		       "audio extensions");
}

/* Without --audio nothing about audio is looked at. */
static void test_answer_without_audio(void)
{
	g_autofree char *text = answer_to(FALSE, AUDIO_SSRC);
	WhepLoadAnswer a;

	g_assert_null(strstr(text, "m=audio"));
	parse_good(text, FALSE, &a);
	g_assert_false(a.audio_accepted);
	whep_load_answer_clear(&a);
}

static void test_section_ssrc(void)
{
	static const char sdp[] = "v=0\r\na=ssrc:9 x\r\nm=video 9 X 1\r\na=ssrc:4294967295 cname:a\r\n"
				  "a=ssrc:5 cname:b\r\nm=audio 9 X 2\r\na=mid:1\r\nm=audio 9 X 3\r\na=ssrc:77";

	g_assert_cmpuint(whep_load_sdp_section_ssrc(sdp, strlen(sdp), 0), ==, 4294967295u);
	g_assert_cmpuint(whep_load_sdp_section_ssrc(sdp, strlen(sdp), 1), ==, 0);
	g_assert_cmpuint(whep_load_sdp_section_ssrc(sdp, strlen(sdp), 2), ==, 77);
	g_assert_cmpuint(whep_load_sdp_section_ssrc(sdp, strlen(sdp), 3), ==, 0);
	/* len bounds the text: the last line cut short */
	g_assert_cmpuint(whep_load_sdp_section_ssrc(sdp, strlen(sdp) - 1, 2), ==, 7);
}

static void test_audio_steps(void)
{
	g_assert_true(whep_load_audio_step_regular(10, 1000, 11, 1960));
	/* across both wraps */
	g_assert_true(whep_load_audio_step_regular(0xffff, 0xfffffe00u, 0, 0xfffffe00u + 960));
	/* one packet lost: two steps */
	g_assert_true(whep_load_audio_step_regular(10, 1000, 12, 2920));
	g_assert_false(whep_load_audio_step_regular(10, 1000, 11, 1000 + 480));
	/* a resync of the service's clock */
	g_assert_false(whep_load_audio_step_regular(10, 1000, 11, 1000 + 960 * 6));
	g_assert_false(whep_load_audio_step_regular(10, 1000, 10, 1000));
	g_assert_false(whep_load_audio_step_regular(10, 1000, 9, 40));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/whep-load/offer/without-audio-unchanged", test_offer_without_audio_unchanged);
	g_test_add_func("/whep-load/answer/accepts-audio", test_answer_accepts_audio);
	g_test_add_func("/whep-load/answer/rejects-audio", test_answer_rejects_audio);
	g_test_add_func("/whep-load/answer/audio-checks", test_answer_audio_checks);
	g_test_add_func("/whep-load/answer/without-audio", test_answer_without_audio);
	g_test_add_func("/whep-load/sdp-section-ssrc", test_section_ssrc);
	g_test_add_func("/whep-load/audio-steps", test_audio_steps);
	return g_test_run();
}
