/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pure parts of whep-load that --audio added: the offer (unchanged
 * without it), the audio checks of the answer, against answers built by
 * hdmirtc's own answer builder, and the Opus timestamp steps; and those of
 * --janus: Janus's offer (a real one), the answer to it, Janus's JSON
 * messages and requests. */
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
	HdmirtcSdpLocalParams p = {
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

/* ---- Janus (the Streaming plugin's viewer flow) ---- */

/* A real offer from Janus 1.1.2 (Debian 12) for a Streaming mountpoint fed
 * by hdmirtc (--janus): H.264 with rtx, Opus, the fingerprint at session
 * level, the same candidate in both sections, c= on 127.0.0.1 (no
 * general.interface set) while the candidate is on the enforced interface. */
static const char janus_offer[] =
	"v=0\r\n"
	"o=- 1796565719145090 1 IN IP4 127.0.0.1\r\n"
	"s=Mountpoint 7\r\n"
	"t=0 0\r\n"
	"a=group:BUNDLE v a\r\n"
	"a=ice-options:trickle\r\n"
	"a=fingerprint:sha-256 AB:7B:7B:F9:F4:02:E1:40:1B:48:C8:BF:9A:27:29:A1:FB:37:40:78:D6:A4:58:7D:7B:C9:0C:E7:08:18:94:ED\r\n"
	"a=extmap-allow-mixed\r\n"
	"a=msid-semantic: WMS *\r\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"a=sendonly\r\n"
	"a=mid:v\r\n"
	"a=rtcp-mux\r\n"
	"a=ice-ufrag:OigC\r\n"
	"a=ice-pwd:aNGtsBDcHqnASE2/Lv8wCP\r\n"
	"a=ice-options:trickle\r\n"
	"a=setup:actpass\r\n"
	"a=rtpmap:96 H264/90000\r\n"
	"a=rtcp-fb:96 ccm fir\r\n"
	"a=rtcp-fb:96 nack\r\n"
	"a=rtcp-fb:96 nack pli\r\n"
	"a=rtcp-fb:96 goog-remb\r\n"
	"a=rtcp-fb:96 transport-cc\r\n"
	"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n"
	"a=rtpmap:97 rtx/90000\r\n"
	"a=fmtp:97 apt=96\r\n"
	"a=ssrc-group:FID 1875176341 3020032194\r\n"
	"a=msid:janus janusv\r\n"
	"a=ssrc:1875176341 cname:janus\r\n"
	"a=ssrc:3020032194 cname:janus\r\n"
	"a=candidate:1 1 udp 2015363327 10.99.0.1 40188 typ host\r\n"
	"a=end-of-candidates\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"a=sendonly\r\n"
	"a=mid:a\r\n"
	"a=rtcp-mux\r\n"
	"a=ice-ufrag:OigC\r\n"
	"a=ice-pwd:aNGtsBDcHqnASE2/Lv8wCP\r\n"
	"a=ice-options:trickle\r\n"
	"a=setup:actpass\r\n"
	"a=rtpmap:111 opus/48000/2\r\n"
	"a=rtcp-fb:111 transport-cc\r\n"
	"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=fmtp:111 stereo=1;sprop-stereo=1\r\n"
	"a=msid:janus janusa\r\n"
	"a=ssrc:2219933534 cname:janus\r\n"
	"a=candidate:1 1 udp 2015363327 10.99.0.1 40188 typ host\r\n"
	"a=end-of-candidates\r\n";

#define JANUS_CANDIDATE "a=candidate:1 1 udp 2015363327 10.99.0.1 40188 typ host"

static void parse_janus_good(const char *text, WhepLoadJanusOffer *o)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(whep_load_janus_offer_parse(text, strlen(text), o, &error));
	g_assert_no_error(error);
}

static void test_janus_offer(void)
{
	WhepLoadJanusOffer o;

	parse_janus_good(janus_offer, &o);
	g_assert_cmpuint(o.video_index, ==, 0);
	g_assert_cmpint(o.audio_index, ==, 1);
	g_assert_cmpuint(o.payload_type, ==, 96);
	g_assert_cmpuint(o.audio_payload_type, ==, 111);
	/* the first a=ssrc line: the media SSRC, not rtx's */
	g_assert_cmpuint(o.video_ssrc, ==, 1875176341u);
	g_assert_cmpuint(o.audio_ssrc, ==, 2219933534u);
	g_assert_cmpstr(o.ice_ufrag, ==, "OigC");
	g_assert_cmpstr(o.ice_pwd, ==, "aNGtsBDcHqnASE2/Lv8wCP");
	g_assert_cmpstr(o.fingerprint, ==, "sha-256 AB:7B:7B:F9:F4:02:E1:40:1B:48:C8:BF:9A:27:29:A1:"
					   "FB:37:40:78:D6:A4:58:7D:7B:C9:0C:E7:08:18:94:ED");
	/* one transport: the video's candidates only, not twice */
	g_assert_cmpuint(o.candidates->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(o.candidates, 0), ==, JANUS_CANDIDATE);
	whep_load_janus_offer_clear(&o);
	whep_load_janus_offer_clear(&o);        /* twice is fine */
}

/* A mountpoint without sound: video only, no error. */
static void test_janus_offer_video_only(void)
{
	const char *audio = strstr(janus_offer, "m=audio");
	g_autofree char *text = g_strndup(janus_offer, (gsize)(audio - janus_offer));
	g_autoptr(GString) edited = g_string_new(text);
	WhepLoadJanusOffer o;

	g_string_replace(edited, "a=group:BUNDLE v a", "a=group:BUNDLE v", 0);
	parse_janus_good(edited->str, &o);
	g_assert_cmpint(o.audio_index, ==, -1);
	g_assert_cmpuint(o.audio_ssrc, ==, 0);
	whep_load_janus_offer_clear(&o);
}

/* Janus's offer with one edit (every occurrence) must be refused with why. */
static void assert_janus_refused(const char *from, const char *to, const char *why)
{
	g_autoptr(GString) edited = g_string_new(janus_offer);
	g_autoptr(GError) error = NULL;
	WhepLoadJanusOffer o;

	g_assert_cmpuint(g_string_replace(edited, from, to, 0), >, 0);
	if (whep_load_janus_offer_parse(edited->str, edited->len, &o, &error))
		g_error("%s -> %s: taken", from, to);
	g_assert_nonnull(error);
	if (!strstr(error->message, why))
		g_error("%s -> %s: \"%s\" does not say \"%s\"", from, to, error->message, why);
	g_assert_null(o.sdp);
	g_assert_null(o.candidates);
}

static void test_janus_offer_refused(void)
{
	assert_janus_refused("packetization-mode=1", "packetization-mode=0", "no sendonly H.264");
	assert_janus_refused("a=sendonly\r\na=mid:v", "a=recvonly\r\na=mid:v", "no sendonly H.264");
	assert_janus_refused("a=setup:actpass", "a=setup:passive", "a=setup");
	assert_janus_refused("a=rtcp-mux\r\na=ice-ufrag:OigC\r\na=ice-pwd:aNGtsBDcHqnASE2/Lv8wCP\r\na=ice-options:trickle\r\n"
			     "a=setup:actpass\r\na=rtpmap:96",
			     "a=ice-ufrag:OigC\r\na=ice-pwd:aNGtsBDcHqnASE2/Lv8wCP\r\na=ice-options:trickle\r\n"
			     "a=setup:actpass\r\na=rtpmap:96", "no rtcp-mux on video");
	assert_janus_refused("a=group:BUNDLE v a", "a=group:BUNDLE v", "BUNDLE");
	assert_janus_refused("111", "96", "share a payload type");
	assert_janus_refused(JANUS_CANDIDATE "\r\n", "", "no candidate");
	assert_janus_refused("a=fingerprint:sha-256", "a=fingerprint:sha-1", "fingerprint");
	/* not SDP at all: the parser's error */
	assert_janus_refused("v=0", "x=0", "");
}

static const char *const local_candidates[] = {
	"a=candidate:1 1 UDP 2015363327 10.99.0.1 45000 typ host", NULL,
};

static WhepLoadOfferParams janus_answer_params(gboolean audio)
{
	WhepLoadOfferParams p = offer_params(audio);

	p.candidates = local_candidates;
	return p;
}

static const char janus_answer_head[] =
	"v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
static const char janus_answer_video[] =
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
	"a=candidate:1 1 UDP 2015363327 10.99.0.1 45000 typ host\r\n"
	"a=ice-ufrag:ufrg\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
	"a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:"
	"0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
	"a=setup:passive\r\na=mid:v\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
	"a=recvonly\r\na=rtcp-mux\r\na=rtpmap:96 H264/90000\r\n"
	"a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n"
	"a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\na=end-of-candidates\r\n";

static gboolean in_group(const HdmirtcSdpOffer *sdp, const char *mid)
{
	return sdp->bundle_groups->len == 1 &&
	       g_strv_contains(g_ptr_array_index(sdp->bundle_groups, 0), mid);
}

static void test_janus_answer(void)
{
	WhepLoadOfferParams p = janus_answer_params(TRUE);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcSdpOffer) parsed = NULL;
	g_autofree char *expected = NULL, *answer = NULL;
	WhepLoadJanusOffer o;
	const HdmirtcSdpMedia *v, *a;

	parse_janus_good(janus_offer, &o);
	answer = whep_load_janus_answer_build(&o, &p);
	expected = g_strconcat(janus_answer_head, "a=group:BUNDLE v a\r\na=msid-semantic: WMS\r\n", janus_answer_video,
			       "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
			       "a=ice-ufrag:ufrg\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
			       "a=fingerprint:sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:"
			       "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9\r\n"
			       "a=setup:passive\r\na=mid:a\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
			       "a=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
			       "a=fmtp:111 stereo=1;sprop-stereo=1\r\n", NULL);
	g_assert_cmpstr(answer, ==, expected);
	/* and it is well-formed SDP, BUNDLEd as offered */
	parsed = hdmirtc_sdp_offer_parse(answer, strlen(answer), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(parsed->media->len, ==, 2);
	v = g_ptr_array_index(parsed->media, 0);
	a = g_ptr_array_index(parsed->media, 1);
	g_assert_cmpuint(v->setup, ==, HDMIRTC_SDP_SETUP_PASSIVE);
	g_assert_cmpuint(v->direction, ==, HDMIRTC_SDP_DIRECTION_RECVONLY);
	g_assert_cmpuint(a->direction, ==, HDMIRTC_SDP_DIRECTION_RECVONLY);
	g_assert_cmpuint(v->payloads->len, ==, 1);
	g_assert_true(in_group(parsed, "v") && in_group(parsed, "a"));
	g_assert_cmpuint(a->candidates->len, ==, 0);
	whep_load_janus_offer_clear(&o);
}

/* Without --audio the Opus section is rejected and left out of the group. */
static void test_janus_answer_without_audio(void)
{
	WhepLoadOfferParams p = janus_answer_params(FALSE);
	g_autofree char *expected = NULL, *answer = NULL;
	WhepLoadJanusOffer o;

	parse_janus_good(janus_offer, &o);
	answer = whep_load_janus_answer_build(&o, &p);
	expected = g_strconcat(janus_answer_head, "a=group:BUNDLE v\r\na=msid-semantic: WMS\r\n", janus_answer_video,
			       "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n", NULL);
	g_assert_cmpstr(answer, ==, expected);
	whep_load_janus_offer_clear(&o);
}

/* --dtls-client: a=setup:active, and nothing else moves. */
static void test_janus_answer_active(void)
{
	WhepLoadOfferParams p = janus_answer_params(FALSE);
	g_autofree char *answer = NULL;
	WhepLoadJanusOffer o;

	p.dtls_client = TRUE;
	parse_janus_good(janus_offer, &o);
	answer = whep_load_janus_answer_build(&o, &p);
	g_assert_nonnull(strstr(answer, "a=setup:active\r\n"));
	g_assert_null(strstr(answer, "a=setup:passive"));
	whep_load_janus_offer_clear(&o);
}

static GPtrArray *parse_messages(const char *body)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *m = whep_load_janus_messages_parse(body, strlen(body), &error);

	g_assert_no_error(error);
	g_assert_nonnull(m);
	return m;
}

static const WhepLoadJanusMessage *message(GPtrArray *m, guint i)
{
	return g_ptr_array_index(m, i);
}

static void test_janus_messages(void)
{
	/* the long poll that brought the offer above (maxev=1: an array) */
	g_autofree char *sdp_json = g_strescape(janus_offer, NULL);
	g_autofree char *poll = g_strdup_printf(
		"[{\"janus\":\"event\",\"session_id\":3124059151370294,\"transaction\":\"a3\","
		"\"sender\":1878801227637036,\"plugindata\":{\"plugin\":\"janus.plugin.streaming\","
		"\"data\":{\"streaming\":\"event\",\"result\":{\"status\":\"preparing\"}}},"
		"\"jsep\":{\"type\":\"offer\",\"sdp\":\"%s\"}}]", sdp_json);
	g_autoptr(GPtrArray) offer = parse_messages(poll);
	g_autoptr(GPtrArray) create = parse_messages(
		"{\"janus\":\"success\",\"transaction\":\"a1\",\"data\":{\"id\":3124059151370294}}");
	g_autoptr(GPtrArray) misc = parse_messages(
		"[{\"janus\":\"keepalive\"},{\"janus\":\"ack\",\"session_id\":1,\"transaction\":\"a3\"},"
		"{\"janus\":\"webrtcup\",\"session_id\":1,\"sender\":2},"
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"streaming\":\"event\",\"result\":{\"status\":\"started\"}}}},"
		"{\"janus\":\"event\",\"plugindata\":{\"data\":{\"error_code\":455,\"error\":\"No such mountpoint/stream 8\"}}},"
		"{\"janus\":\"error\",\"error\":{\"code\":458,\"reason\":\"No such session 5\"}},"
		"{\"janus\":\"hangup\",\"reason\":\"DTLS alert\"},{\"janus\":\"detached\"},{\"janus\":\"timeout\"}]");
	static const WhepLoadJanusKind kinds[] = {
		WHEP_LOAD_JANUS_OTHER, WHEP_LOAD_JANUS_OTHER, WHEP_LOAD_JANUS_OTHER, WHEP_LOAD_JANUS_OTHER,
		WHEP_LOAD_JANUS_ERROR, WHEP_LOAD_JANUS_ERROR, WHEP_LOAD_JANUS_ENDED, WHEP_LOAD_JANUS_ENDED,
		WHEP_LOAD_JANUS_ENDED,
	};

	g_assert_cmpuint(offer->len, ==, 1);
	g_assert_cmpuint(message(offer, 0)->kind, ==, WHEP_LOAD_JANUS_OFFER);
	g_assert_cmpstr(message(offer, 0)->text, ==, janus_offer);
	g_assert_cmpuint(message(create, 0)->kind, ==, WHEP_LOAD_JANUS_SUCCESS);
	g_assert_cmpint(message(create, 0)->id, ==, 3124059151370294);
	g_assert_cmpuint(misc->len, ==, G_N_ELEMENTS(kinds));
	for (guint i = 0; i < misc->len; i++)
		g_assert_cmpuint(message(misc, i)->kind, ==, kinds[i]);
	g_assert_cmpstr(message(misc, 0)->janus, ==, "keepalive");
	g_assert_cmpstr(message(misc, 4)->text, ==, "plugin error 455: No such mountpoint/stream 8");
	g_assert_cmpstr(message(misc, 5)->text, ==, "Janus error 458: No such session 5");
	g_assert_cmpstr(message(misc, 6)->text, ==, "Janus: hangup: DTLS alert");
	g_assert_cmpstr(message(misc, 7)->text, ==, "Janus: detached");
}

static void assert_messages_refused(const char *body)
{
	g_autoptr(GError) error = NULL;

	g_assert_null(whep_load_janus_messages_parse(body, strlen(body), &error));
	g_assert_nonnull(error);
}

static void test_janus_messages_refused(void)
{
	assert_messages_refused("");
	assert_messages_refused("<html>");
	assert_messages_refused("42");
	assert_messages_refused("[{\"janus\":\"ack\"}, 3]");
}

static void test_janus_requests(void)
{
	const WhepLoadJanusRequest watch = {
		.verb = "message", .transaction = "w1-3", .body = "{\"request\":\"watch\",\"id\":7}",
	};
	const WhepLoadJanusRequest start = {
		.verb = "message", .transaction = "w1-4", .body = "{\"request\":\"start\"}",
		.jsep_type = "answer", .jsep_sdp = "v=0\r\n",
	};
	const WhepLoadJanusRequest attach = {
		.verb = "attach", .transaction = "w1-2", .plugin = "janus.plugin.streaming",
	};
	const WhepLoadJanusRequest trickle = { .verb = "trickle", .transaction = "w1-5", .candidate_completed = TRUE };
	const WhepLoadJanusRequest bad = { .verb = "message", .transaction = "x", .body = "[1]" };
	g_autofree char *w = whep_load_janus_request_build(&watch);
	g_autofree char *s = whep_load_janus_request_build(&start);
	g_autofree char *a = whep_load_janus_request_build(&attach);
	g_autofree char *t = whep_load_janus_request_build(&trickle);

	g_assert_cmpstr(w, ==, "{\"janus\":\"message\",\"transaction\":\"w1-3\",\"body\":{\"request\":\"watch\",\"id\":7}}");
	g_assert_cmpstr(s, ==, "{\"janus\":\"message\",\"transaction\":\"w1-4\",\"body\":{\"request\":\"start\"},"
			       "\"jsep\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}}");
	g_assert_cmpstr(a, ==, "{\"janus\":\"attach\",\"transaction\":\"w1-2\",\"plugin\":\"janus.plugin.streaming\"}");
	g_assert_cmpstr(t, ==, "{\"janus\":\"trickle\",\"transaction\":\"w1-5\",\"candidate\":{\"completed\":true}}");
	g_assert_null(whep_load_janus_request_build(&bad));
}

static void test_url_host_is_ip(void)
{
	g_assert_true(whep_load_url_host_is_ip("http://10.99.0.1:8088/janus"));
	g_assert_true(whep_load_url_host_is_ip("http://[::1]:8088/janus"));
	g_assert_false(whep_load_url_host_is_ip("http://localhost:8088/janus"));
	g_assert_false(whep_load_url_host_is_ip("https://10.99.0.1:8089/janus"));
	g_assert_false(whep_load_url_host_is_ip("10.99.0.1:8088"));
}

/* The only places whep-load talks to: loopback, and with --peer-address a
 * private address (a namespace the bench made), never a public one. */
static void test_url_is_allowed(void)
{
	g_assert_true(whep_load_url_is_allowed("http://127.0.0.1:8080/whep", NULL));
	g_assert_true(whep_load_url_is_allowed("http://[::1]:8080/whep", NULL));
	g_assert_false(whep_load_url_is_allowed("http://10.77.1.2:8080/whep", NULL));
	g_assert_true(whep_load_url_is_allowed("http://10.77.1.2:8080/whep", "10.77.1.2"));
	g_assert_true(whep_load_url_is_allowed("http://[fd77:1::2]:8080/whep", "fd77:1:0::2"));
	g_assert_false(whep_load_url_is_allowed("http://10.77.1.3:8080/whep", "10.77.1.2"));
	g_assert_false(whep_load_url_is_allowed("http://8.8.8.8:80/whep", "8.8.8.8"));
	g_assert_false(whep_load_url_is_allowed("http://localhost:8080/whep", "10.77.1.2"));
	g_assert_false(whep_load_url_is_allowed("https://10.77.1.2:8080/whep", "10.77.1.2"));
	g_assert_true(whep_load_ip_is_private("172.16.0.1"));
	g_assert_true(whep_load_ip_is_private("192.168.1.1"));
	g_assert_true(whep_load_ip_is_private("fc00::1"));
	g_assert_false(whep_load_ip_is_private("172.32.0.1"));
	g_assert_false(whep_load_ip_is_private("203.0.113.2"));
	g_assert_false(whep_load_ip_is_private("2001:db8::1"));
	g_assert_false(whep_load_ip_is_private("127.0.0.1"));
	g_assert_false(whep_load_ip_is_private(NULL));
	g_assert_false(whep_load_ip_is_peer("8.8.8.8", "8.8.8.8"));
	g_assert_true(whep_load_ip_is_peer("10.77.1.2", "10.77.1.2"));
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
	g_test_add_func("/whep-load/janus/offer", test_janus_offer);
	g_test_add_func("/whep-load/janus/offer-video-only", test_janus_offer_video_only);
	g_test_add_func("/whep-load/janus/offer-refused", test_janus_offer_refused);
	g_test_add_func("/whep-load/janus/answer", test_janus_answer);
	g_test_add_func("/whep-load/janus/answer-without-audio", test_janus_answer_without_audio);
	g_test_add_func("/whep-load/janus/answer-active", test_janus_answer_active);
	g_test_add_func("/whep-load/janus/messages", test_janus_messages);
	g_test_add_func("/whep-load/janus/messages-refused", test_janus_messages_refused);
	g_test_add_func("/whep-load/janus/requests", test_janus_requests);
	g_test_add_func("/whep-load/url-host-is-ip", test_url_host_is_ip);
	g_test_add_func("/whep-load/url-is-allowed", test_url_is_allowed);
	return g_test_run();
}
