/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDP offer parsing, H.264 choice, answer building and trickle-ICE fragments,
 * against offers captured from Chromium and Firefox (fixtures/README-sdp.md)
 * and against broken ones. */
#include "hdmirtc/sdp.h"

#include <string.h>

#define FP_LOCAL "sha-256 0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9"
#define CAND_HOST "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"
#define CAND_SRFLX "a=candidate:2 1 udp 1694498815 198.51.100.7 40000 typ srflx raddr 127.0.0.1 rport 40000"

static const char *const local_candidates[] = { CAND_HOST, CAND_SRFLX, NULL };

static HdmirtcSdpLocalParams default_params(void)
{
	HdmirtcSdpLocalParams p = {
		.session_id = 4611686018427387903u,
		.session_version = 2,
		.ice_ufrag = "hdmi",
		.ice_pwd = "abcdefghijklmnopqrstuvwx",
		.fingerprint = FP_LOCAL,
		.candidates = local_candidates,
		.gathering_complete = TRUE,
		.ssrc = 3735928559u,
		.cname = "hdmirtc-cname",
		.stream_id = "hdmirtc",
		.track_id = "video0",
	};
	return p;
}

#define AUDIO_SSRC 305419896u

/* The same with audio on. */
static HdmirtcSdpLocalParams audio_params(void)
{
	HdmirtcSdpLocalParams p = default_params();

	p.audio_ssrc = AUDIO_SSRC;
	p.audio_track_id = "audio0";
	return p;
}

static char *load(const char *name, gsize *len)
{
	g_autofree char *path = g_build_filename(FIXTURES_DIR, name, NULL);
	char *text = NULL;
	g_autoptr(GError) error = NULL;

	g_file_get_contents(path, &text, len, &error);
	g_assert_no_error(error);
	return text;
}

static HdmirtcSdpOffer *parse_text(const char *text)
{
	g_autoptr(GError) error = NULL;
	HdmirtcSdpOffer *offer = hdmirtc_sdp_offer_parse(text, strlen(text), &error);

	g_assert_no_error(error);
	g_assert_nonnull(offer);
	return offer;
}

static HdmirtcSdpOffer *parse_fixture(const char *name)
{
	gsize len;
	g_autofree char *text = load(name, &len);

	return parse_text(text);
}

/* Replaces the first occurrence of from by to; the test fails if absent. */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);

	g_assert_nonnull(at);
	return g_strdup_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static char *edit_fixture(const char *name, const char *from, const char *to)
{
	gsize len;
	g_autofree char *text = load(name, &len);

	return edit(text, from, to);
}

/* Parses text and checks the error code and that the message mentions want. */
static void expect_parse_error(const char *text, gsize len, int code, const char *want)
{
	g_autoptr(GError) error = NULL;
	HdmirtcSdpOffer *offer = hdmirtc_sdp_offer_parse(text, len, &error);

	g_assert_null(offer);
	g_assert_error(error, HDMIRTC_SDP_ERROR, code);
	if (want && !strstr(error->message, want))
		g_error("error \"%s\" does not mention \"%s\"", error->message, want);
}

static void expect_choice_error(const char *text, int code, const char *want)
{
	g_autoptr(HdmirtcSdpOffer) offer = parse_text(text);
	HdmirtcSdpLocalParams params = default_params();
	HdmirtcSdpVideoChoice choice;
	g_autoptr(GError) error = NULL;
	g_autofree char *answer = NULL;

	g_assert_false(hdmirtc_sdp_offer_choose_h264(offer, &choice, &error));
	g_assert_error(error, HDMIRTC_SDP_ERROR, code);
	if (want && !strstr(error->message, want))
		g_error("error \"%s\" does not mention \"%s\"", error->message, want);
	g_clear_error(&error);
	answer = hdmirtc_sdp_answer_build(offer, &params, &error);
	g_assert_null(answer);
	g_assert_error(error, HDMIRTC_SDP_ERROR, code);
}

/* ---- parsing real offers ---- */

/* RFC 4588's rtx-time beside apt, in either order (GStreamer's webrtcbin
 * and others send it): parsed, apt kept. */
static void test_parse_rtx_time(void)
{
	static const char *const fmtps[] = { "apt=96;rtx-time=3000", "rtx-time=3000; apt=96" };

	for (guint i = 0; i < G_N_ELEMENTS(fmtps); i++) {
		g_autofree char *to = g_strdup_printf("a=fmtp:97 %s", fmtps[i]);
		g_autofree char *text = edit_fixture("chromium-recvonly-video.sdp", "a=fmtp:97 apt=96", to);
		g_autoptr(GError) error = NULL;
		HdmirtcSdpOffer *offer = hdmirtc_sdp_offer_parse(text, strlen(text), &error);
		const HdmirtcSdpPayload *pl;

		g_assert_no_error(error);
		pl = hdmirtc_sdp_media_find_payload(offer->media->pdata[0], 97);
		g_assert_nonnull(pl);
		g_assert_cmpint(pl->apt, ==, 96);
		hdmirtc_sdp_offer_free(offer);
	}
}

static void test_parse_chromium(void)
{
	g_autoptr(HdmirtcSdpOffer) offer = parse_fixture("chromium-recvonly-video-audio.sdp");
	const HdmirtcSdpMedia *v, *a;
	const HdmirtcSdpPayload *pl;
	gsize len;
	g_autofree char *text = load("chromium-recvonly-video-audio.sdp", &len);
	const char *fp = strstr(text, "a=fingerprint:sha-256 ") + strlen("a=fingerprint:sha-256 ");
	guint8 first = (guint8)(g_ascii_xdigit_value(fp[0]) << 4 | g_ascii_xdigit_value(fp[1]));
	guint8 last = (guint8)(g_ascii_xdigit_value(fp[93]) << 4 | g_ascii_xdigit_value(fp[94]));

	g_assert_cmpuint(offer->media->len, ==, 2);
	g_assert_cmpuint(offer->bundle_groups->len, ==, 1);
	g_assert_cmpstrv(offer->bundle_groups->pdata[0], ((const char *const[]){ "0", "1", NULL }));
	v = offer->media->pdata[0];
	a = offer->media->pdata[1];
	g_assert_cmpint(v->type, ==, HDMIRTC_SDP_MEDIA_VIDEO);
	g_assert_cmpint(a->type, ==, HDMIRTC_SDP_MEDIA_AUDIO);
	g_assert_cmpstr(v->mid, ==, "0");
	g_assert_cmpstr(a->mid, ==, "1");
	g_assert_cmpstr(v->proto, ==, "UDP/TLS/RTP/SAVPF");
	g_assert_true(v->is_rtp);
	g_assert_cmpuint(v->port, !=, 0);
	g_assert_cmpint(v->direction, ==, HDMIRTC_SDP_DIRECTION_RECVONLY);
	g_assert_cmpint(v->setup, ==, HDMIRTC_SDP_SETUP_ACTPASS);
	g_assert_true(v->rtcp_mux && v->rtcp_rsize);
	g_assert_cmpstr(v->ice_options, ==, "trickle");
	g_assert_nonnull(strstr(text, v->ice_ufrag));
	g_assert_nonnull(strstr(text, v->ice_pwd));
	g_assert_true(v->has_sha256_fingerprint);
	g_assert_cmpuint(v->fingerprint_sha256[0], ==, first);
	g_assert_cmpuint(v->fingerprint_sha256[31], ==, last);
	g_assert_cmpuint(v->payloads->len, ==, v->formats->len);
	g_assert_cmpuint(v->candidates->len, ==, 2);
	g_assert_true(g_str_has_prefix(v->candidates->pdata[0], "candidate:"));
	g_assert_nonnull(strstr(v->candidates->pdata[0], " typ host"));

	pl = hdmirtc_sdp_media_find_payload(v, 108);
	g_assert_nonnull(pl);
	g_assert_cmpstr(pl->encoding, ==, "H264");
	g_assert_cmpuint(pl->clock_rate, ==, 90000);
	g_assert_cmpstr(pl->profile_level_id, ==, "42e01f");
	g_assert_cmpuint(pl->packetization_mode, ==, 1);
	g_assert_true(pl->level_asymmetry_allowed);
	g_assert_cmpuint(pl->feedback, ==, HDMIRTC_SDP_FB_NACK | HDMIRTC_SDP_FB_NACK_PLI | HDMIRTC_SDP_FB_CCM_FIR |
	                 HDMIRTC_SDP_FB_GOOG_REMB | HDMIRTC_SDP_FB_TRANSPORT_CC);
	pl = hdmirtc_sdp_media_find_payload(v, 109);
	g_assert_cmpstr(pl->encoding, ==, "rtx");
	g_assert_cmpint(pl->apt, ==, 108);
	pl = hdmirtc_sdp_media_find_payload(v, 114);
	g_assert_cmpuint(pl->packetization_mode, ==, 0);
	g_assert_null(hdmirtc_sdp_media_find_payload(v, 111));

	pl = hdmirtc_sdp_media_find_payload(a, 111);
	g_assert_cmpstr(pl->encoding, ==, "opus");
	g_assert_cmpuint(pl->clock_rate, ==, 48000);
	g_assert_cmpuint(pl->channels, ==, 2);
	g_assert_cmpuint(v->extmaps->len, ==, 11);
	g_assert_cmpuint(g_array_index(v->extmaps, HdmirtcSdpExtmap, 8).id, ==, 9);
	g_assert_cmpstr(g_array_index(v->extmaps, HdmirtcSdpExtmap, 8).uri, ==, hdmirtc_sdp_ext_uri(HDMIRTC_SDP_EXT_MID));
}

static void test_parse_firefox(void)
{
	g_autoptr(HdmirtcSdpOffer) offer = parse_fixture("edited-firefox-recvonly-video-audio.sdp");
	const HdmirtcSdpMedia *v = offer->media->pdata[0];
	const HdmirtcSdpPayload *pl;
	const HdmirtcSdpExtmap *e;

	/* Session-level a=fingerprint and a=sendrecv, media-level override. */
	g_assert_true(v->has_sha256_fingerprint);
	g_assert_cmpint(v->direction, ==, HDMIRTC_SDP_DIRECTION_RECVONLY);
	g_assert_true(v->end_of_candidates);
	g_assert_cmpuint(v->candidates->len, ==, 8);       /* RTP and RTCP components */
	/* fmtp comes before rtpmap in Firefox's offers */
	pl = hdmirtc_sdp_media_find_payload(v, 126);
	g_assert_cmpstr(pl->encoding, ==, "H264");
	g_assert_cmpstr(pl->profile_level_id, ==, "42e01f");
	g_assert_cmpuint(pl->packetization_mode, ==, 1);
	pl = hdmirtc_sdp_media_find_payload(v, 97);
	g_assert_cmpuint(pl->packetization_mode, ==, 0);
	pl = hdmirtc_sdp_media_find_payload(v, 127);
	g_assert_cmpint(pl->apt, ==, 126);
	e = &g_array_index(v->extmaps, HdmirtcSdpExtmap, 3);
	g_assert_cmpuint(e->id, ==, 6);
	g_assert_true(e->has_direction);
	g_assert_cmpint(e->direction, ==, HDMIRTC_SDP_DIRECTION_RECVONLY);
}

static void test_parse_lf_only(void)
{
	gsize len;
	g_autofree char *crlf = load("chromium-recvonly-video.sdp", &len);
	g_auto(GStrv) lines = g_strsplit(crlf, "\r\n", -1);
	g_autofree char *lf = g_strjoinv("\n", lines);
	g_autoptr(HdmirtcSdpOffer) a = parse_text(crlf);
	g_autoptr(HdmirtcSdpOffer) b = parse_text(lf);
	HdmirtcSdpVideoChoice ca, cb;

	g_assert_null(strchr(lf, '\r'));
	g_assert_true(hdmirtc_sdp_offer_choose_h264(a, &ca, NULL));
	g_assert_true(hdmirtc_sdp_offer_choose_h264(b, &cb, NULL));
	g_assert_cmpuint(ca.payload_type, ==, cb.payload_type);
	g_assert_cmpstr(((HdmirtcSdpMedia *)b->media->pdata[0])->ice_pwd, ==,
	                ((HdmirtcSdpMedia *)a->media->pdata[0])->ice_pwd);
}

/* An empty BUNDLE group (regression: read past the field list) and a
 * trailing space parse; a mid outside every group is answered unbundled. */
static void test_parse_bundle_variants(void)
{
	static const struct {
		const char *group;
		guint n_mids;
		gboolean bundled;
	} cases[] = {
		{ "a=group:BUNDLE", 0, FALSE },
		{ "a=group:BUNDLE ", 0, FALSE },
		{ "a=group:BUNDLE 0 ", 1, TRUE },
		{ "a=group:BUNDLE 7 0", 2, TRUE },
		{ "a=group:LS 0", 0, FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = edit_fixture("chromium-recvonly-video.sdp", "a=group:BUNDLE 0", cases[i].group);
		g_autoptr(HdmirtcSdpOffer) offer = parse_text(text);
		HdmirtcSdpLocalParams params = default_params();
		g_autofree char *answer = hdmirtc_sdp_answer_build(offer, &params, NULL);

		g_test_message("group \"%s\"", cases[i].group);
		if (cases[i].n_mids || strstr(cases[i].group, "BUNDLE")) {
			g_assert_cmpuint(offer->bundle_groups->len, ==, 1);
			g_assert_cmpuint(g_strv_length(offer->bundle_groups->pdata[0]), ==, cases[i].n_mids);
		} else {
			g_assert_cmpuint(offer->bundle_groups->len, ==, 0);
		}
		g_assert_nonnull(answer);
		g_assert_cmpint(strstr(answer, "\r\na=group:BUNDLE 0\r\n") != NULL, ==, cases[i].bundled);
	}
}

/* ---- answers to real offers, line by line ---- */

typedef struct {
	const char *fixture;
	guint pt;
	const char *mid;
	guint n_media;
} AnswerCase;

static const AnswerCase answer_cases[] = {
	{ "chromium-recvonly-video.sdp", 108, "0", 1 },
	{ "chromium-recvonly-video-audio.sdp", 108, "0", 2 },
	{ "chromium-sendrecv-video.sdp", 108, "0", 1 },
	{ "chromium-recvonly-video-abs-capture-time.sdp", 108, "0", 1 },
	{ "edited-firefox-recvonly-video.sdp", 126, "0", 1 },
	{ "edited-firefox-recvonly-video-audio.sdp", 126, "0", 2 },
	{ "edited-firefox-sendrecv-video.sdp", 126, "0", 1 },
	{ "gstreamer-webrtcbin-recvonly-video.sdp", 96, "video0", 1 },
	{ "aiortc-recvonly-video.sdp", 101, "0", 1 },
	{ "pion-recvonly-video.sdp", 102, "0", 1 },
};

static guint count_prefix(char **lines, const char *prefix)
{
	guint n = 0;

	for (guint i = 0; lines[i]; i++)
		n += g_str_has_prefix(lines[i], prefix);
	return n;
}

static gboolean has_line(char **lines, const char *line)
{
	return g_strv_contains((const char *const *)lines, line);
}

/* The lines of m= section idx (from its m= line to the next), NULL-terminated. */
static char **section_lines(char **lines, guint idx)
{
	GPtrArray *out = g_ptr_array_new();
	int m = -1;

	for (guint i = 0; lines[i]; i++) {
		if (g_str_has_prefix(lines[i], "m="))
			m++;
		if (m == (int)idx)
			g_ptr_array_add(out, g_strdup(lines[i]));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static void check_feedback_line(char **sec, const HdmirtcSdpPayload *offered, guint bit, const char *name)
{
	g_autofree char *line = g_strdup_printf("a=rtcp-fb:%u %s", offered->pt, name);

	g_assert_cmpint(has_line(sec, line), ==, (offered->feedback & bit) != 0);
}

#define EXT(x) (1u << (x))
#define VIDEO_EXTS_ANSWERED (EXT(HDMIRTC_SDP_EXT_MID) | EXT(HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME) | \
                             EXT(HDMIRTC_SDP_EXT_PLAYOUT_DELAY))
#define AUDIO_EXTS_ANSWERED (EXT(HDMIRTC_SDP_EXT_MID) | EXT(HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME))

/* Whether e is one of the extensions in wanted (EXT() bits) that the
 * browser will receive. */
static gboolean extension_answered(const HdmirtcSdpExtmap *e, guint wanted)
{
	if (e->direction == HDMIRTC_SDP_DIRECTION_SENDONLY || e->direction == HDMIRTC_SDP_DIRECTION_INACTIVE)
		return FALSE;
	for (guint x = 0; x < HDMIRTC_SDP_EXT_COUNT; x++)
		if ((wanted & EXT(x)) && strcmp(e->uri, hdmirtc_sdp_ext_uri((HdmirtcSdpExt)x)) == 0)
			return TRUE;
	return FALSE;
}

/* Exactly the offered extensions of wanted are answered, with their ids,
 * recvonly ones as sendonly. */
static void check_extensions(char **sec, const HdmirtcSdpMedia *om, guint wanted)
{
	guint expected = 0;

	for (guint i = 0; i < om->extmaps->len; i++) {
		const HdmirtcSdpExtmap *e = &g_array_index(om->extmaps, HdmirtcSdpExtmap, i);
		g_autofree char *line = NULL;

		if (!extension_answered(e, wanted))
			continue;
		line = g_strdup_printf("a=extmap:%u%s %s", e->id,
		                       e->direction == HDMIRTC_SDP_DIRECTION_RECVONLY ? "/sendonly" : "", e->uri);
		g_assert_true(has_line(sec, line));
		expected++;
	}
	g_assert_cmpuint(count_prefix(sec, "a=extmap:"), ==, expected);
}

static void check_accepted(char **sec, const HdmirtcSdpMedia *om, const AnswerCase *c)
{
	const HdmirtcSdpPayload *offered = hdmirtc_sdp_media_find_payload(om, c->pt);
	HdmirtcSdpLocalParams p = default_params();
	g_autofree char *mline = g_strdup_printf("m=video 9 UDP/TLS/RTP/SAVPF %u", c->pt);
	g_autofree char *rtpmap = g_strdup_printf("a=rtpmap:%u H264/90000", c->pt);
	g_autofree char *fmtp = g_strdup_printf("a=fmtp:%u level-asymmetry-allowed=1;packetization-mode=1;"
	                                        "profile-level-id=%s", c->pt, offered->profile_level_id);
	g_autofree char *ufrag = g_strdup_printf("a=ice-ufrag:%s", p.ice_ufrag);
	g_autofree char *pwd = g_strdup_printf("a=ice-pwd:%s", p.ice_pwd);
	g_autofree char *mid = g_strdup_printf("a=mid:%s", c->mid);
	g_autofree char *cname = g_strdup_printf("a=ssrc:%u cname:%s", p.ssrc, p.cname);
	g_autofree char *msid = g_strdup_printf("a=ssrc:%u msid:%s %s", p.ssrc, p.stream_id, p.track_id);

	g_assert_cmpstr(sec[0], ==, mline);
	g_assert_true(has_line(sec, "c=IN IP4 0.0.0.0"));
	g_assert_cmpuint(count_prefix(sec, "a=rtpmap:"), ==, 1);
	g_assert_true(has_line(sec, rtpmap));
	g_assert_cmpuint(count_prefix(sec, "a=fmtp:"), ==, 1);
	g_assert_true(has_line(sec, fmtp));
	g_assert_cmpuint(count_prefix(sec, "a=setup:"), ==, 1);
	g_assert_true(has_line(sec, "a=setup:active"));
	g_assert_true(has_line(sec, "a=sendonly"));
	g_assert_false(has_line(sec, "a=recvonly") || has_line(sec, "a=sendrecv") || has_line(sec, "a=inactive"));
	g_assert_true(has_line(sec, "a=rtcp-mux"));
	g_assert_cmpint(has_line(sec, "a=rtcp-rsize"), ==, om->rtcp_rsize);
	g_assert_true(has_line(sec, ufrag) && has_line(sec, pwd) && has_line(sec, mid));
	g_assert_true(has_line(sec, "a=fingerprint:" FP_LOCAL));
	g_assert_true(has_line(sec, "a=ice-options:trickle"));
	g_assert_true(has_line(sec, "a=msid:hdmirtc video0"));
	g_assert_true(has_line(sec, cname) && has_line(sec, msid));
	g_assert_true(has_line(sec, "a=" CAND_HOST) && has_line(sec, CAND_SRFLX));
	g_assert_true(has_line(sec, "a=end-of-candidates"));
	for (guint i = 0; sec[i]; i++)
		g_assert_null(strstr(sec[i], "transport-cc"));
	check_feedback_line(sec, offered, HDMIRTC_SDP_FB_NACK, "nack");
	check_feedback_line(sec, offered, HDMIRTC_SDP_FB_NACK_PLI, "nack pli");
	check_feedback_line(sec, offered, HDMIRTC_SDP_FB_CCM_FIR, "ccm fir");
	check_feedback_line(sec, offered, HDMIRTC_SDP_FB_GOOG_REMB, "goog-remb");
	g_assert_cmpuint(count_prefix(sec, "a=rtcp-fb:"), <=, 4);
	check_extensions(sec, om, VIDEO_EXTS_ANSWERED);
}

static void check_rejected(char **sec, const HdmirtcSdpMedia *om)
{
	g_autofree char *prefix = g_strdup_printf("m=%s 0 %s ", om->media, om->proto);

	g_assert_true(g_str_has_prefix(sec[0], prefix));
	g_assert_true(has_line(sec, "c=IN IP4 0.0.0.0"));
	if (om->mid) {
		g_autofree char *mid = g_strdup_printf("a=mid:%s", om->mid);
		g_assert_true(has_line(sec, mid));
	}
	/* nothing else: no codecs, no transport for a rejected section */
	g_assert_cmpuint(g_strv_length(sec), ==, om->mid ? 3 : 2);
}

/* The answer's lines, without the empty string after the last CRLF. */
static char **answer_lines(const char *answer)
{
	char **lines = g_strsplit(answer, "\r\n", -1);
	guint n = g_strv_length(lines);

	g_assert_true(g_str_has_suffix(answer, "\r\n"));
	g_assert_cmpstr(lines[n - 1], ==, "");
	g_free(lines[n - 1]);
	lines[n - 1] = NULL;
	for (guint i = 0; lines[i]; i++)
		g_assert_null(strchr(lines[i], '\n'));
	return lines;
}

static void test_answer_real(gconstpointer data)
{
	const AnswerCase *c = data;
	g_autoptr(HdmirtcSdpOffer) offer = parse_fixture(c->fixture);
	HdmirtcSdpLocalParams params = default_params();
	g_autoptr(GError) error = NULL;
	g_autofree char *answer = hdmirtc_sdp_answer_build(offer, &params, &error);
	g_auto(GStrv) lines = NULL;
	g_autofree char *bundle = g_strdup_printf("a=group:BUNDLE %s", c->mid);
	g_autoptr(HdmirtcSdpOffer) reparsed = NULL;

	g_assert_no_error(error);
	lines = answer_lines(answer);
	g_assert_cmpstr(lines[0], ==, "v=0");
	g_assert_cmpstr(lines[1], ==, "o=- 4611686018427387903 2 IN IP4 0.0.0.0");
	g_assert_true(has_line(lines, bundle));
	g_assert_cmpuint(count_prefix(lines, "a=group:"), ==, 1);
	g_assert_cmpuint(count_prefix(lines, "m="), ==, c->n_media);
	g_assert_cmpuint(offer->media->len, ==, c->n_media);
	for (guint i = 0; i < offer->media->len; i++) {
		const HdmirtcSdpMedia *om = offer->media->pdata[i];
		g_auto(GStrv) sec = section_lines(lines, i);

		if (om->type == HDMIRTC_SDP_MEDIA_VIDEO && i == 0)
			check_accepted(sec, om, c);
		else
			check_rejected(sec, om);
	}
	/* The answer is SDP our own parser takes, with the same sections. */
	reparsed = parse_text(answer);
	g_assert_cmpuint(reparsed->media->len, ==, c->n_media);
	g_assert_cmpuint(((HdmirtcSdpMedia *)reparsed->media->pdata[0])->payloads->len, ==, 1);
	g_assert_cmpint(((HdmirtcSdpMedia *)reparsed->media->pdata[0])->setup, ==, HDMIRTC_SDP_SETUP_ACTIVE);
}

static void test_answer_abs_capture_time(void)
{
	g_autoptr(HdmirtcSdpOffer) offer = parse_fixture("chromium-recvonly-video-abs-capture-time.sdp");
	HdmirtcSdpVideoChoice c;
	HdmirtcSdpLocalParams params = default_params();
	g_autofree char *answer = NULL;

	g_assert_true(hdmirtc_sdp_offer_choose_h264(offer, &c, NULL));
	g_assert_cmpuint(c.ext_id[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME], ==, 13);
	g_assert_cmpuint(c.ext_id[HDMIRTC_SDP_EXT_PLAYOUT_DELAY], ==, 5);
	g_assert_cmpuint(c.ext_id[HDMIRTC_SDP_EXT_MID], ==, 9);
	g_assert_cmpuint(c.ext_id[HDMIRTC_SDP_EXT_TRANSPORT_CC], ==, 4);
	answer = hdmirtc_sdp_answer_build(offer, &params, NULL);
	g_assert_nonnull(strstr(answer, "\r\na=extmap:13 http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time\r\n"));
	g_assert_null(strstr(answer, "transport-wide-cc"));
}

/* RFC 8842: to actpass and passive the service answers active (it is the
 * DTLS client); to an offerer that must be the client (active), passive. */
static void test_answer_setup(void)
{
	/* dtls-role = server changes only the answer to actpass. */
	static const struct {
		const char *offered;
		gboolean prefer_server;
		const char *answered;
	} cases[] = {
		{ "a=setup:actpass", FALSE, "a=setup:active" },
		{ "a=setup:passive", FALSE, "a=setup:active" },
		{ "a=setup:active", FALSE, "a=setup:passive" },
		{ "a=setup:actpass", TRUE, "a=setup:passive" },
		{ "a=setup:passive", TRUE, "a=setup:active" },
		{ "a=setup:active", TRUE, "a=setup:passive" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = edit_fixture("chromium-recvonly-video.sdp", "a=setup:actpass",
		                                     cases[i].offered);
		g_autoptr(HdmirtcSdpOffer) offer = parse_text(text);
		HdmirtcSdpLocalParams params = default_params();
		g_autoptr(GError) error = NULL;
		g_autofree char *answer = NULL;
		g_autofree char *line = g_strdup_printf("\r\n%s\r\n", cases[i].answered);

		params.prefer_dtls_server = cases[i].prefer_server;
		answer = hdmirtc_sdp_answer_build(offer, &params, &error);
		g_assert_no_error(error);
		if (!strstr(answer, line))
			g_error("offer %s, prefer server %d: answer lacks %s", cases[i].offered,
			        cases[i].prefer_server, cases[i].answered);
		g_assert_cmpint(hdmirtc_sdp_dtls_is_server(((const HdmirtcSdpMedia *)g_ptr_array_index(offer->media, 0))->setup,
		                                           cases[i].prefer_server), ==,
		                strstr(line, "passive") != NULL);
	}
}

/* Pion writes "a=rtcp-fb:102 nack " (trailing space): still NACK. */
static void test_parse_pion_feedback(void)
{
	g_autoptr(HdmirtcSdpOffer) offer = parse_fixture("pion-recvonly-video.sdp");
	const HdmirtcSdpMedia *m = g_ptr_array_index(offer->media, 0);
	const HdmirtcSdpPayload *pl = hdmirtc_sdp_media_find_payload(m, 102);

	g_assert_nonnull(pl);
	g_assert_cmpuint(pl->feedback, ==, HDMIRTC_SDP_FB_NACK | HDMIRTC_SDP_FB_NACK_PLI | HDMIRTC_SDP_FB_CCM_FIR);
}

static void test_answer_transport_cc(void)
{
	g_autoptr(HdmirtcSdpOffer) offer = parse_fixture("edited-firefox-recvonly-video.sdp");
	HdmirtcSdpLocalParams params = default_params();
	g_autofree char *answer = NULL;

	params.transport_cc = TRUE;
	params.candidates = NULL;
	params.gathering_complete = FALSE;
	answer = hdmirtc_sdp_answer_build(offer, &params, NULL);
	g_assert_nonnull(strstr(answer, "\r\na=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"));
	g_assert_nonnull(strstr(answer, "\r\na=rtcp-fb:126 transport-cc\r\n"));
	/* Firefox offers playout-delay recvonly: answered sendonly */
	g_assert_nonnull(strstr(answer, "\r\na=extmap:6/sendonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"));
	/* trickle: no candidates yet, gathering not complete */
	g_assert_null(strstr(answer, "a=candidate"));
	g_assert_null(strstr(answer, "a=end-of-candidates"));
}

/* ---- offers we must refuse ---- */

typedef struct {
	const char *fixture;
	int code;
	const char *want;
} RefuseCase;

static const RefuseCase refuse_cases[] = {
	{ "chromium-recvonly-audio.sdp", HDMIRTC_SDP_ERROR_NO_VIDEO, "no video" },
	{ "chromium-recvonly-video-no-h264.sdp", HDMIRTC_SDP_ERROR_NO_CODEC, "VP8, VP9, AV1" },
	{ "chromium-recvonly-video-h264-mode0.sdp", HDMIRTC_SDP_ERROR_NO_CODEC, "H264 42e01f mode 0" },
	{ "chromium-recvonly-video-h264-f4.sdp", HDMIRTC_SDP_ERROR_NO_CODEC, "H264 f4001f mode 1" },
	{ "edited-chromium-high-only.sdp", HDMIRTC_SDP_ERROR_NO_CODEC, "H264 64001f mode 1" },
	{ "firefox-recvonly-video-no-openh264.sdp", HDMIRTC_SDP_ERROR_NO_CODEC, "line 10: " },
};

static void test_refuse(gconstpointer data)
{
	const RefuseCase *c = data;
	gsize len;
	g_autofree char *text = load(c->fixture, &len);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcSdpOffer) offer = hdmirtc_sdp_offer_parse(text, len, &error);

	g_assert_no_error(error);
	g_assert_nonnull(offer);
	expect_choice_error(text, c->code, c->want);
}

/* An H264 payload without a=fmtp (GStreamer webrtcbin's recvonly offer):
 * the 406 says what the line means and what would have worked. */
static void test_refuse_h264_without_fmtp(void)
{
	g_autofree char *text = edit_fixture("chromium-recvonly-video-h264-mode0.sdp",
	                                     "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;"
	                                     "profile-level-id=42001f\r\n", "");

	expect_choice_error(text, HDMIRTC_SDP_ERROR_NO_CODEC,
	                    "H264 payload 104 has no a=fmtp, which means packetization-mode=0 (RFC 6184): "
	                    "add \"a=fmtp:104 packetization-mode=1;profile-level-id=42e01f\"");
}

static const RefuseCase malformed_cases[] = {
	{ "malformed-missing-v.sdp", HDMIRTC_SDP_ERROR_PARSE, "line 1: the first line must be v=0" },
	{ "malformed-bad-fingerprint.sdp", HDMIRTC_SDP_ERROR_PARSE, "line 16: a=fingerprint value" },
	{ "malformed-truncated.sdp", HDMIRTC_SDP_ERROR_PARSE, "truncated" },
	{ "malformed-garbage.sdp", HDMIRTC_SDP_ERROR_PARSE, "line 2: NUL byte" },
};

static void test_malformed(gconstpointer data)
{
	const RefuseCase *c = data;
	gsize len;
	g_autofree char *text = load(c->fixture, &len);

	expect_parse_error(text, len, c->code, c->want);
	g_assert_cmpuint(hdmirtc_sdp_error_http_status(NULL), ==, 400);
}

static void test_refuse_edited(void)
{
	static const struct {
		const char *from, *to;
		int code;
		const char *want;
	} cases[] = {
		{ "a=recvonly", "a=sendonly", HDMIRTC_SDP_ERROR_INVALID, "sendonly" },
		{ "a=recvonly", "a=inactive", HDMIRTC_SDP_ERROR_INVALID, "inactive" },
		{ "a=rtcp-mux\r\n", "", HDMIRTC_SDP_ERROR_INVALID, "rtcp-mux" },
		{ "a=ice-ufrag:", "a=x-ice-ufrag:", HDMIRTC_SDP_ERROR_INVALID, "ice-ufrag" },
		{ "a=ice-pwd:", "a=x-ice-pwd:", HDMIRTC_SDP_ERROR_INVALID, "ice-pwd" },
		{ "a=fingerprint:", "a=x-fingerprint:", HDMIRTC_SDP_ERROR_INVALID, "fingerprint" },
		{ "a=fingerprint:sha-256 ", "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:00:11:22:33:44:55:66:77:88:99\r\na=x:",
		  HDMIRTC_SDP_ERROR_INVALID, "sha-256" },
		{ "a=setup:actpass", "a=setup:holdconn", HDMIRTC_SDP_ERROR_INVALID, "holdconn" },
		{ "a=setup:actpass\r\n", "", HDMIRTC_SDP_ERROR_INVALID, "a=setup" },
		{ "UDP/TLS/RTP/SAVPF", "RTP/AVP", HDMIRTC_SDP_ERROR_INVALID, "UDP/TLS/RTP/SAVPF" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = edit_fixture("chromium-recvonly-video.sdp", cases[i].from, cases[i].to);
		g_test_message("edit %u: %s -> %s", i, cases[i].from, cases[i].to);
		if (cases[i].code == HDMIRTC_SDP_ERROR_PARSE)
			expect_parse_error(text, strlen(text), cases[i].code, cases[i].want);
		else
			expect_choice_error(text, cases[i].code, cases[i].want);
	}
}

static void test_refuse_port0(void)
{
	gsize len;
	g_autofree char *text = load("chromium-recvonly-video.sdp", &len);
	const char *m = strstr(text, "m=video ");
	g_autofree char *port = g_strndup(m, (gsize)(strchr(m + 8, ' ') - m));
	g_autofree char *edited = edit(text, port, "m=video 0");

	expect_choice_error(edited, HDMIRTC_SDP_ERROR_NO_VIDEO, "port 0");
}

/* ---- syntax errors built from a real offer ---- */

static void test_parse_limits(void)
{
	gsize len;
	g_autofree char *text = load("chromium-recvonly-video.sdp", &len);
	g_autofree char *big = g_malloc(HDMIRTC_SDP_MAX_SIZE + 1);
	g_autofree char *pad = g_strnfill(HDMIRTC_SDP_MAX_LINE, 'x');
	g_autofree char *padline = g_strdup_printf("s=-\r\na=x-pad:%s", pad);
	g_autofree char *longline = edit(text, "s=-", padline);
	g_autofree char *withnul = g_memdup2(text, len);
	g_autoptr(GError) error = NULL;

	/* exactly at the limit: too large is judged before content */
	memset(big, 'x', HDMIRTC_SDP_MAX_SIZE + 1);
	g_assert_null(hdmirtc_sdp_offer_parse(big, HDMIRTC_SDP_MAX_SIZE + 1, &error));
	g_assert_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_TOO_LARGE);
	g_assert_cmpuint(hdmirtc_sdp_error_http_status(error), ==, 413);
	g_clear_error(&error);
	expect_parse_error(big, HDMIRTC_SDP_MAX_SIZE, HDMIRTC_SDP_ERROR_PARSE, "line 1: ");

	expect_parse_error(longline, strlen(longline), HDMIRTC_SDP_ERROR_PARSE, "line 4: line longer than 4096");
	withnul[strstr(text, "a=mid:0") - text + 3] = '\0';
	expect_parse_error(withnul, len, HDMIRTC_SDP_ERROR_PARSE, "NUL byte");
	expect_parse_error("", 0, HDMIRTC_SDP_ERROR_PARSE, "empty");
	expect_parse_error(text, len - 1, HDMIRTC_SDP_ERROR_PARSE, "truncated");
}

static void test_parse_errors(void)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ "o=- ", "o=-  ", "line 2: o= line: empty field" },
		{ "o=-", "x=-", "line 2: unknown line type" },
		{ "s=-\r\n", "", "no s= line" },
		{ "t=0 0\r\n", "", "no t= line" },
		{ "t=0 0", "t=0", "line 4: t= line needs" },
		{ "s=-", "hello", "line 3: not an \"x=value\" line" },
		{ "s=-", "s=-\r\n\r\ns=-", "line 4: empty line" },
		{ "s=-", "s=caf\xc3", "line 3: not valid UTF-8" },
		{ "s=-", "s=a\rb", "line 3: control character 0x0d" },
		{ "s=-", "s=a\x01", "control character 0x01" },
		{ "UDP/TLS/RTP/SAVPF 96", "UDP/TLS/RTP/SAVPF 196", "is not 0..127" },
		{ "UDP/TLS/RTP/SAVPF 96 97", "UDP/TLS/RTP/SAVPF 96 96", "listed twice" },
		{ "a=mid:0", "a=mid:0\r\na=mid:1", "second a=mid" },
		{ "a=mid:0", "a=mid:has space", "a=mid must be" },
		{ "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP8", "a=rtpmap needs" },
		{ "a=rtpmap:97 rtx/90000", "a=rtpmap:97 rtx/90000\r\na=rtpmap:97 rtx/90000", "second a=rtpmap" },
		{ "profile-level-id=42e01f", "profile-level-id=42e01", "a=fmtp:108: bad profile-level-id" },
		{ "packetization-mode=1;profile-level-id=42e01f", "packetization-mode=3;profile-level-id=42e01f",
		  "bad packetization-mode" },
		{ "apt=96", "apt=x", "a=fmtp:97: bad apt" },
		{ "apt=96", "apt=96;rtx-time=soon", "a=fmtp:97: bad rtx-time" },
		{ "a=ice-ufrag:", "a=ice-ufrag:a!", "a=ice-ufrag must be" },
		{ "a=ice-pwd:", "a=ice-pwd:short\r\na=x:", "a=ice-pwd must be" },
		{ "a=setup:actpass", "a=setup:maybe", "a=setup:maybe is not" },
		{ "a=recvonly", "a=recvonly\r\na=sendrecv", "second direction" },
		{ "a=rtcp-mux", "a=rtcp-mux:1", "takes no value" },
		{ "a=extmap:4 ", "a=extmap:15 ", "a=extmap id" },
		{ "a=extmap:5 ", "a=extmap:4 ", "a=extmap id 4 used twice" },
		{ "a=extmap:4 ", "a=extmap:4/sideways ", "bad direction" },
		{ "typ host", "type host", "lacks \"typ" },
		{ "a=candidate:", "a=candidate:x! ", "bad candidate foundation" },
		{ "a=group:BUNDLE 0", "a=rtcp-mux", "a=rtcp-mux before any m= line" },
		{ "a=mid:0", "a=group:BUNDLE 0", "session-level" },
		{ "a=group:BUNDLE 0", "a=group:BUNDLE 0  1", "a=group:BUNDLE: bad mid" },
	};
	gsize len;
	g_autofree char *text = load("chromium-recvonly-video.sdp", &len);

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *edited = edit(text, cases[i].from, cases[i].to);
		g_test_message("edit %u: %s", i, cases[i].want);
		expect_parse_error(edited, strlen(edited), HDMIRTC_SDP_ERROR_PARSE, cases[i].want);
	}
}

/* Every prefix of a real offer either parses (ends at a line end) or fails
 * cleanly; one-byte corruptions never crash (run under ASan/UBSan). */
static void test_parse_prefixes_and_flips(void)
{
	gsize len;
	g_autofree char *text = load("edited-firefox-recvonly-video-audio.sdp", &len);
	g_autofree char *copy = g_memdup2(text, len);
	GRand *rand = g_rand_new_with_seed(3264);
	HdmirtcSdpLocalParams params = default_params(), audio = audio_params();

	for (gsize n = 1; n < len; n++) {
		HdmirtcSdpOffer *offer = hdmirtc_sdp_offer_parse(text, n, NULL);
		if (text[n - 1] != '\n')
			g_assert_null(offer);
		hdmirtc_sdp_offer_free(offer);
	}
	for (guint i = 0; i < 3000; i++) {
		gsize at = (gsize)g_rand_int_range(rand, 0, (gint32)len);
		HdmirtcSdpOffer *offer;

		copy[at] = (char)g_rand_int_range(rand, 0, 256);
		offer = hdmirtc_sdp_offer_parse(copy, len, NULL);
		if (offer) {
			g_free(hdmirtc_sdp_answer_build(offer, &params, NULL));
			g_free(hdmirtc_sdp_answer_build(offer, &audio, NULL));
		}
		hdmirtc_sdp_offer_free(offer);
		copy[at] = text[at];
	}
	g_rand_free(rand);
}

/* ---- codec preference ---- */

static char *h264_offer(const char *const *plids, const char *const *modes)
{
	GString *s = g_string_new("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE v\r\n"
	                          "m=video 9 UDP/TLS/RTP/SAVPF");
	guint n = g_strv_length((char **)plids);

	for (guint i = 0; i < n; i++)
		g_string_append_printf(s, " %u", 100 + i);
	g_string_append(s, "\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\na=recvonly\r\na=rtcp-mux\r\na=setup:actpass\r\n"
	                   "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
	                   "a=fingerprint:" FP_LOCAL);
	g_string_append(s, "\r\n");
	for (guint i = 0; i < n; i++)
		g_string_append_printf(s, "a=rtpmap:%u H264/90000\r\na=fmtp:%u profile-level-id=%s;packetization-mode=%s\r\n",
		                       100 + i, 100 + i, plids[i], modes ? modes[i] : "1");
	return g_string_free(s, FALSE);
}

static void test_choose_preference(void)
{
	static const struct {
		const char *plids[6];
		guint want_pt;          /* 0: NO_CODEC */
	} cases[] = {
		{ { "4d001f", "42001f", "42e01f", "42e034", NULL }, 102 },
		{ { "4d001f", "42001f", "42E01F", NULL }, 102 },                /* hex case */
		{ { "4d001f", "42001f", "42c01f", "42e034", NULL }, 102 },      /* first CB in order */
		{ { "4d001f", "42001f", "42e028", NULL }, 102 },
		{ { "4d0032", "420028", NULL }, 101 },
		{ { "640c1f", "4d001f", NULL }, 101 },
		{ { "640c1f", "f4001f", "6e001f", "7a001f", NULL }, 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = h264_offer(cases[i].plids, NULL);
		g_autoptr(HdmirtcSdpOffer) offer = parse_text(text);
		HdmirtcSdpVideoChoice c;
		g_autoptr(GError) error = NULL;
		gboolean ok = hdmirtc_sdp_offer_choose_h264(offer, &c, &error);

		g_test_message("case %u", i);
		if (!cases[i].want_pt) {
			g_assert_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_NO_CODEC);
			continue;
		}
		g_assert_true(ok);
		g_assert_cmpuint(c.payload_type, ==, cases[i].want_pt);
		{
			g_autofree char *want = g_ascii_strdown(cases[i].plids[c.payload_type - 100], -1);
			g_assert_cmpstr(c.profile_level_id, ==, want);
		}
	}
}

static void test_choose_mode0_and_bundle_only(void)
{
	static const char *const plids[] = { "42e01f", "42e01f", NULL };
	static const char *const modes[] = { "0", "1", NULL };
	g_autofree char *text = h264_offer(plids, modes);
	g_autofree char *bo = edit(text, "m=video 9", "m=video 0");
	g_autofree char *bo2 = edit(bo, "a=mid:v", "a=mid:v\r\na=bundle-only");
	g_autoptr(HdmirtcSdpOffer) offer = parse_text(bo2);
	HdmirtcSdpVideoChoice c;
	HdmirtcSdpLocalParams params = default_params();
	g_autofree char *answer = NULL;

	g_assert_true(hdmirtc_sdp_offer_choose_h264(offer, &c, NULL));
	g_assert_cmpuint(c.payload_type, ==, 101);
	g_assert_cmpuint(c.feedback, ==, 0);
	answer = hdmirtc_sdp_answer_build(offer, &params, NULL);
	g_assert_nonnull(strstr(answer, "\r\nm=video 9 UDP/TLS/RTP/SAVPF 101\r\n"));
	g_assert_null(strstr(answer, "a=rtcp-fb"));
	g_assert_null(strstr(answer, "a=rtcp-rsize"));
	g_assert_null(strstr(answer, "bundle-only"));
}

/* Two video sections and a data channel: the first video is sendonly (the
 * browser would send), so the second is accepted, the rest rejected. */
static void test_answer_second_video(void)
{
	gsize len;
	g_autofree char *text = load("chromium-recvonly-video.sdp", &len);
	const char *m = strstr(text, "m=video");
	g_autofree char *sec = g_strdup(m);
	g_autofree char *first = edit(sec, "a=recvonly", "a=sendonly");
	g_autofree char *second = edit(sec, "a=mid:0", "a=mid:v2");
	g_autofree char *both = g_strdup_printf("%.*s%s%s", (int)(m - text), text, first, second);
	g_autofree char *bundled = edit(both, "a=group:BUNDLE 0", "a=group:BUNDLE 0 v2 dc");
	g_autofree char *full = g_strconcat(bundled, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	                                    "c=IN IP4 0.0.0.0\r\na=mid:dc\r\na=sctp-port:5000\r\n", NULL);
	g_autoptr(HdmirtcSdpOffer) offer = parse_text(full);
	HdmirtcSdpLocalParams params = default_params();
	g_autofree char *answer = hdmirtc_sdp_answer_build(offer, &params, NULL);
	g_auto(GStrv) lines = g_strsplit(answer, "\r\n", -1);
	g_auto(GStrv) s0 = section_lines(lines, 0);
	g_auto(GStrv) s1 = section_lines(lines, 1);
	g_auto(GStrv) s2 = section_lines(lines, 2);

	g_assert_cmpuint(offer->media->len, ==, 3);
	g_assert_true(has_line(lines, "a=group:BUNDLE v2"));
	g_assert_true(g_str_has_prefix(s0[0], "m=video 0 UDP/TLS/RTP/SAVPF 96 97 "));
	g_assert_true(has_line(s0, "a=mid:0"));
	g_assert_cmpstr(s1[0], ==, "m=video 9 UDP/TLS/RTP/SAVPF 108");
	g_assert_true(has_line(s1, "a=mid:v2"));
	g_assert_cmpstr(s2[0], ==, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel");
	g_assert_true(has_line(s2, "a=mid:dc"));
	g_assert_cmpuint(count_prefix(lines, "a=rtpmap:"), ==, 1);
}

static void test_answer_params(void)
{
	g_autoptr(HdmirtcSdpOffer) offer = parse_fixture("chromium-recvonly-video.sdp");
	static const char *const bad_cands[] = { "candidate:1 1 udp 1 127.0.0.1 1 typ host\r\na=evil", NULL };
	static const char *const not_cand[] = { "a=ice-lite", NULL };

	for (guint i = 0; i < 12; i++) {
		HdmirtcSdpLocalParams p = i < 8 ? default_params() : audio_params();
		g_autoptr(GError) error = NULL;
		char *answer;

		switch (i) {
		case 0: p.fingerprint = "sha-1 00:11"; break;
		case 1: p.fingerprint = "sha-256 00:11"; break;
		case 2: p.ice_ufrag = "a b"; break;
		case 3: p.ice_pwd = "short"; break;
		case 4: p.candidates = bad_cands; break;
		case 5: p.candidates = not_cand; break;
		case 6: p.cname = "two words"; break;
		case 7: p.session_id = G_MAXUINT64; break;
		case 8: p.audio_track_id = NULL; break;
		case 9: p.audio_track_id = "a b"; break;
		case 10: p.audio_track_id = p.track_id; break;        /* one stream, two tracks */
		case 11: p.audio_ssrc = p.ssrc; break;                /* one RTP session */
		}
		answer = hdmirtc_sdp_answer_build(offer, &p, &error);
		g_assert_null(answer);
		g_assert_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_PARAMS);
		g_assert_cmpuint(hdmirtc_sdp_error_http_status(error), ==, 500);
	}
	/* without audio its track id is not looked at */
	{
		HdmirtcSdpLocalParams p = default_params();
		g_autofree char *answer = NULL;

		p.audio_track_id = "a b";
		answer = hdmirtc_sdp_answer_build(offer, &p, NULL);
		g_assert_nonnull(answer);
	}
}

static void test_http_status(void)
{
	static const struct {
		int code;
		guint status;
	} map[] = {
		{ HDMIRTC_SDP_ERROR_PARSE, 400 }, { HDMIRTC_SDP_ERROR_INVALID, 400 },
		{ HDMIRTC_SDP_ERROR_TOO_LARGE, 413 }, { HDMIRTC_SDP_ERROR_NO_VIDEO, 406 },
		{ HDMIRTC_SDP_ERROR_NO_CODEC, 406 }, { HDMIRTC_SDP_ERROR_PARAMS, 500 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
		g_autoptr(GError) e = g_error_new_literal(HDMIRTC_SDP_ERROR, map[i].code, "x");
		g_assert_cmpuint(hdmirtc_sdp_error_http_status(e), ==, map[i].status);
	}
}

/* ---- audio: Opus beside the video (RFC 7587) ---- */

/* Like edit, but from the first audio section on. */
static char *edit_audio(const char *text, const char *from, const char *to)
{
	const char *m = strstr(text, "m=audio ");
	g_autofree char *tail = NULL;

	g_assert_nonnull(m);
	tail = edit(m, from, to);
	return g_strdup_printf("%.*s%s", (int)(m - text), text, tail);
}

/* An offer answered with audio on, and what _choose_opus said of it. */
typedef struct {
	HdmirtcSdpOffer *offer;
	HdmirtcSdpVideoChoice video;
	HdmirtcSdpAudioChoice audio;
	gboolean has_audio;
	const char *why_not;
	char *answer;
	char **lines;
} AudioAnswer;

static void audio_answer_clear(AudioAnswer *r)
{
	hdmirtc_sdp_offer_free(r->offer);
	g_free(r->answer);
	g_strfreev(r->lines);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AudioAnswer, audio_answer_clear)

static void answer_audio(AudioAnswer *r, const char *text, const HdmirtcSdpLocalParams *params)
{
	g_autoptr(GError) error = NULL;

	r->offer = parse_text(text);
	g_assert_true(hdmirtc_sdp_offer_choose_h264(r->offer, &r->video, NULL));
	r->why_not = "not set";
	r->has_audio = hdmirtc_sdp_offer_choose_opus(r->offer, &r->video, &r->audio, &r->why_not);
	g_assert_true(r->has_audio == (r->why_not == NULL));
	g_assert_true(r->has_audio == (r->audio.media != NULL));
	r->answer = hdmirtc_sdp_answer_build(r->offer, params, &error);
	g_assert_no_error(error);
	r->lines = answer_lines(r->answer);
}

static const HdmirtcSdpMedia *offered(const AudioAnswer *r, guint i)
{
	return r->offer->media->pdata[i];
}

static void check_candidates(char **sec, gboolean tagged)
{
	g_assert_cmpuint(count_prefix(sec, "a=candidate:"), ==, tagged ? 2 : 0);
	g_assert_cmpint(has_line(sec, "a=" CAND_HOST), ==, tagged);
	g_assert_cmpint(has_line(sec, "a=end-of-candidates"), ==, tagged);
}

/* The accepted audio section: the video's transport lines and stream, one
 * Opus payload type, only the MID and abs-capture-time extensions. */
static void check_audio_accepted(char **sec, const HdmirtcSdpMedia *om, guint pt, gboolean tagged)
{
	HdmirtcSdpLocalParams p = audio_params();
	g_autofree char *mline = g_strdup_printf("m=audio 9 UDP/TLS/RTP/SAVPF %u", pt);
	g_autofree char *rtpmap = g_strdup_printf("a=rtpmap:%u opus/48000/2", pt);
	g_autofree char *fmtp = g_strdup_printf("a=fmtp:%u minptime=10;useinbandfec=1;sprop-stereo=1;stereo=1", pt);
	g_autofree char *ufrag = g_strdup_printf("a=ice-ufrag:%s", p.ice_ufrag);
	g_autofree char *pwd = g_strdup_printf("a=ice-pwd:%s", p.ice_pwd);
	g_autofree char *mid = g_strdup_printf("a=mid:%s", om->mid);
	g_autofree char *msid = g_strdup_printf("a=msid:%s %s", p.stream_id, p.audio_track_id);
	g_autofree char *ssrc_cname = g_strdup_printf("a=ssrc:%u cname:%s", p.audio_ssrc, p.cname);
	g_autofree char *ssrc_msid = g_strdup_printf("a=ssrc:%u msid:%s %s", p.audio_ssrc, p.stream_id,
	                                             p.audio_track_id);

	g_assert_cmpstr(sec[0], ==, mline);
	g_assert_true(has_line(sec, "c=IN IP4 0.0.0.0"));
	g_assert_true(has_line(sec, ufrag) && has_line(sec, pwd) && has_line(sec, "a=ice-options:trickle"));
	g_assert_true(has_line(sec, "a=fingerprint:" FP_LOCAL));
	g_assert_cmpuint(count_prefix(sec, "a=setup:"), ==, 1);
	g_assert_true(has_line(sec, "a=setup:active"));
	g_assert_true(has_line(sec, mid));
	g_assert_true(has_line(sec, "a=sendonly"));
	g_assert_false(has_line(sec, "a=recvonly") || has_line(sec, "a=sendrecv") || has_line(sec, "a=inactive"));
	g_assert_true(has_line(sec, msid));     /* the video's stream: played in sync */
	g_assert_true(has_line(sec, "a=rtcp-mux"));
	g_assert_cmpint(has_line(sec, "a=rtcp-rsize"), ==, om->rtcp_rsize);
	g_assert_cmpuint(count_prefix(sec, "a=rtpmap:"), ==, 1);
	g_assert_true(has_line(sec, rtpmap));
	g_assert_cmpuint(count_prefix(sec, "a=fmtp:"), ==, 1);
	g_assert_true(has_line(sec, fmtp));
	g_assert_cmpuint(count_prefix(sec, "a=rtcp-fb:"), ==, 0);
	g_assert_true(has_line(sec, ssrc_cname) && has_line(sec, ssrc_msid));
	g_assert_cmpuint(count_prefix(sec, "a=ssrc:"), ==, 2);
	check_candidates(sec, tagged);
	check_extensions(sec, om, AUDIO_EXTS_ANSWERED);
	for (guint i = 0; sec[i]; i++)
		g_assert_true(!strstr(sec[i], "transport-cc") && !strstr(sec[i], "transport-wide-cc") &&
		              !strstr(sec[i], "playout-delay"));
}

typedef struct {
	const char *fixture;
	guint video_pt;
	guint audio_pt;
	guint mid_ext_id;       /* the offered audio MID extension */
} AudioCase;

static const AudioCase audio_cases[] = {
	{ "chromium-recvonly-video-audio.sdp", 108, 111, 9 },
	{ "edited-firefox-recvonly-video-audio.sdp", 126, 109, 3 },
};

/* Real video + audio offers: both sections accepted and BUNDLEd, the
 * candidates in the video section only. */
static void test_audio_real(gconstpointer data)
{
	const AudioCase *c = data;
	const AnswerCase video_case = { c->fixture, c->video_pt, "0", 2 };
	HdmirtcSdpLocalParams params = audio_params();
	gsize len;
	g_autofree char *text = load(c->fixture, &len);
	g_auto(AudioAnswer) r = { 0 };
	g_auto(GStrv) s0 = NULL, s1 = NULL;
	g_autoptr(HdmirtcSdpOffer) back = NULL;
	const HdmirtcSdpMedia *ba;
	const HdmirtcSdpPayload *pl;

	answer_audio(&r, text, &params);
	g_assert_true(r.has_audio);
	g_assert_cmpuint(r.audio.media_index, ==, 1);
	g_assert_true(r.audio.media == offered(&r, 1));
	g_assert_cmpuint(r.audio.payload_type, ==, c->audio_pt);
	g_assert_cmpuint(r.audio.ext_id[HDMIRTC_SDP_EXT_MID], ==, c->mid_ext_id);
	/* both offer transport-wide-cc on audio too */
	g_assert_cmpuint(r.audio.ext_id[HDMIRTC_SDP_EXT_TRANSPORT_CC], ==, 0);
	g_assert_cmpuint(r.video.ext_id[HDMIRTC_SDP_EXT_TRANSPORT_CC], !=, 0);
	g_assert_cmpstr(hdmirtc_sdp_answer_tagged_mid(r.offer, &r.video, &r.audio), ==, "0");

	g_assert_true(has_line(r.lines, "a=group:BUNDLE 0 1"));
	g_assert_cmpuint(count_prefix(r.lines, "a=group:"), ==, 1);
	g_assert_true(has_line(r.lines, "a=msid-semantic: WMS hdmirtc"));
	g_assert_cmpuint(count_prefix(r.lines, "m="), ==, 2);
	g_assert_cmpuint(count_prefix(r.lines, "a=candidate:"), ==, 2);
	s0 = section_lines(r.lines, 0);
	s1 = section_lines(r.lines, 1);
	check_accepted(s0, offered(&r, 0), &video_case);
	check_audio_accepted(s1, offered(&r, 1), c->audio_pt, FALSE);

	/* Our own parser reads it back as two send-only BUNDLEd sections. */
	back = parse_text(r.answer);
	g_assert_cmpuint(back->media->len, ==, 2);
	g_assert_cmpstrv(back->bundle_groups->pdata[0], ((const char *const[]){ "0", "1", NULL }));
	ba = back->media->pdata[1];
	g_assert_cmpint(ba->type, ==, HDMIRTC_SDP_MEDIA_AUDIO);
	g_assert_cmpuint(ba->port, ==, 9);
	g_assert_cmpstr(ba->mid, ==, "1");
	g_assert_cmpint(ba->direction, ==, HDMIRTC_SDP_DIRECTION_SENDONLY);
	g_assert_cmpint(ba->setup, ==, HDMIRTC_SDP_SETUP_ACTIVE);
	g_assert_cmpstr(ba->ice_ufrag, ==, params.ice_ufrag);
	g_assert_true(ba->rtcp_mux);
	g_assert_cmpuint(ba->candidates->len, ==, 0);
	g_assert_cmpuint(((HdmirtcSdpMedia *)back->media->pdata[0])->candidates->len, ==, 2);
	g_assert_cmpuint(ba->payloads->len, ==, 1);
	pl = hdmirtc_sdp_media_find_payload(ba, c->audio_pt);
	g_assert_cmpstr(pl->encoding, ==, "opus");
	g_assert_cmpuint(pl->clock_rate, ==, 48000);
	g_assert_cmpuint(pl->channels, ==, 2);
	g_assert_nonnull(strstr(pl->fmtp, "useinbandfec=1"));
}

/* With audio_ssrc 0, or without an audio section, the answer is the one
 * hdmirtc gave before it had audio, byte for byte (fixtures answer-*.sdp). */
static void test_audio_off(void)
{
	static const struct {
		const char *offer, *golden;
		gboolean transport_cc_and_dtls_server;
	} cases[] = {
		{ "chromium-recvonly-video-audio.sdp", "answer-chromium-recvonly-video-audio.sdp", FALSE },
		{ "edited-firefox-recvonly-video-audio.sdp", "answer-edited-firefox-recvonly-video-audio.sdp", TRUE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(HdmirtcSdpOffer) offer = parse_fixture(cases[i].offer);
		HdmirtcSdpLocalParams off = default_params(), unused = audio_params();
		gsize len;
		g_autofree char *golden = load(cases[i].golden, &len);
		g_autofree char *a = NULL, *b = NULL;

		off.transport_cc = unused.transport_cc = cases[i].transport_cc_and_dtls_server;
		off.prefer_dtls_server = unused.prefer_dtls_server = cases[i].transport_cc_and_dtls_server;
		unused.audio_ssrc = 0;
		a = hdmirtc_sdp_answer_build(offer, &off, NULL);
		b = hdmirtc_sdp_answer_build(offer, &unused, NULL);
		g_assert_cmpstr(a, ==, golden);
		g_assert_cmpstr(b, ==, golden);
		g_assert_nonnull(strstr(a, "\r\nm=audio 0 UDP/TLS/RTP/SAVPF "));
	}
	for (guint i = 0; i < G_N_ELEMENTS(answer_cases); i++) {
		g_autoptr(HdmirtcSdpOffer) offer = parse_fixture(answer_cases[i].fixture);
		HdmirtcSdpLocalParams off = default_params(), on = audio_params();
		g_autofree char *a = NULL, *b = NULL;

		if (answer_cases[i].n_media != 1)
			continue;
		a = hdmirtc_sdp_answer_build(offer, &off, NULL);
		b = hdmirtc_sdp_answer_build(offer, &on, NULL);
		g_assert_nonnull(a);
		g_assert_cmpstr(a, ==, b);
	}
}

typedef struct {
	const char *from, *to;
} Edit;

/* Applies up to two edits (from NULL: none) to the audio part of a fixture. */
static char *edit_audio_fixture(const char *fixture, const Edit *edits, guint n)
{
	gsize len;
	char *text = load(fixture, &len);

	for (guint i = 0; i < n && edits[i].from; i++) {
		char *next = edit_audio(text, edits[i].from, edits[i].to);

		g_free(text);
		text = next;
	}
	return text;
}

/* Edited offers whose audio is still taken. */
static void test_audio_accepted_edits(void)
{
	static const struct {
		const char *fixture;
		Edit edits[2];
		guint pt;
	} cases[] = {
		/* sendrecv: hdmirtc answers sendonly all the same */
		{ "chromium-recvonly-video-audio.sdp", { { "a=recvonly", "a=sendrecv" } }, 111 },
		{ "edited-firefox-recvonly-video-audio.sdp", { { "a=recvonly", "a=sendrecv" } }, 109 },
		/* the encoding name in any case */
		{ "chromium-recvonly-video-audio.sdp", { { "a=rtpmap:111 opus/", "a=rtpmap:111 OPUS/" } }, 111 },
		/* Opus not first */
		{ "edited-firefox-recvonly-video-audio.sdp", { { "SAVPF 109 9 0 8 101", "SAVPF 0 8 109" } }, 109 },
		/* bundle-only: port 0 is not a rejection */
		{ "chromium-recvonly-video-audio.sdp",
		  { { "m=audio 57835 ", "m=audio 0 " }, { "a=mid:1\r\n", "a=mid:1\r\na=bundle-only\r\n" } }, 111 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = edit_audio_fixture(cases[i].fixture, cases[i].edits, 2);
		HdmirtcSdpLocalParams params = audio_params();
		g_auto(AudioAnswer) r = { 0 };
		g_auto(GStrv) s1 = NULL;

		g_test_message("case %u: %s -> %s", i, cases[i].edits[0].from, cases[i].edits[0].to);
		answer_audio(&r, text, &params);
		g_assert_true(r.has_audio);
		s1 = section_lines(r.lines, 1);
		check_audio_accepted(s1, offered(&r, 1), cases[i].pt, FALSE);
		g_assert_true(has_line(r.lines, "a=group:BUNDLE 0 1"));
	}
}

/* Offers whose audio hdmirtc cannot take: the audio section is rejected,
 * the video answered as if the service had no audio. */
static void test_audio_refused(void)
{
	static const struct {
		const char *fixture;
		Edit edits[2];
		gboolean session;       /* the edits are before the first m= line */
		const char *want;
	} cases[] = {
		{ "chromium-recvonly-video-audio.sdp", { { "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 foo/48000/2" } },
		  FALSE, "no opus/48000/2" },
		{ "chromium-recvonly-video-audio.sdp", { { "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/48000" } },
		  FALSE, "no opus/48000/2" },
		{ "chromium-recvonly-video-audio.sdp", { { "SAVPF 111 63 9 0 8 13 110 126", "SAVPF 0 8" } },
		  FALSE, "no opus/48000/2" },
		{ "edited-firefox-recvonly-video-audio.sdp", { { "SAVPF 109 9 0 8 101", "SAVPF 0" } },
		  FALSE, "no opus/48000/2" },
		{ "chromium-recvonly-video-audio.sdp", { { "a=recvonly", "a=sendonly" } }, FALSE, "sendonly or inactive" },
		{ "chromium-recvonly-video-audio.sdp", { { "a=recvonly", "a=inactive" } }, FALSE, "sendonly or inactive" },
		{ "edited-firefox-recvonly-video-audio.sdp", { { "a=recvonly", "a=inactive" } }, FALSE, "inactive" },
		{ "chromium-recvonly-video-audio.sdp", { { "m=audio 57835 ", "m=audio 0 " } }, FALSE, "port 0" },
		{ "chromium-recvonly-video-audio.sdp", { { "UDP/TLS/RTP/SAVPF", "RTP/AVP" } }, FALSE, "UDP/TLS/RTP/SAVPF" },
		{ "chromium-recvonly-video-audio.sdp", { { "a=rtcp-mux\r\n", "" } }, FALSE, "rtcp-mux" },
		{ "chromium-recvonly-video-audio.sdp", { { "a=setup:actpass\r\n", "" } }, FALSE, "a=setup" },
		{ "chromium-recvonly-video-audio.sdp", { { "a=group:BUNDLE 0 1", "a=group:BUNDLE 0" } },
		  TRUE, "audio is not bundled with video" },
		{ "chromium-recvonly-video-audio.sdp", { { "a=group:BUNDLE 0 1", "a=group:BUNDLE 0\r\na=group:BUNDLE 1" } },
		  TRUE, "audio is not bundled with video" },
		{ "chromium-recvonly-video-audio.sdp", { { "a=group:BUNDLE 0 1\r\n", "" } },
		  TRUE, "audio is not bundled with video" },
		{ "edited-firefox-recvonly-video-audio.sdp", { { "a=group:BUNDLE 0 1\r\n", "" } },
		  TRUE, "audio is not bundled with video" },
		{ "chromium-recvonly-video.sdp", { { NULL } }, FALSE, "no audio section" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const Edit *e = cases[i].edits;
		g_autofree char *text = cases[i].session ? edit_fixture(cases[i].fixture, e->from, e->to) :
		                                           edit_audio_fixture(cases[i].fixture, e, 2);
		HdmirtcSdpLocalParams on = audio_params(), off = default_params();
		AnswerCase video_case = { cases[i].fixture, 0, "0", 0 };
		g_auto(AudioAnswer) r = { 0 };
		g_autofree char *without = NULL;
		g_auto(GStrv) s0 = NULL;
		g_autoptr(HdmirtcSdpOffer) back = NULL;
		gboolean bundled;

		g_test_message("case %u: %s", i, cases[i].want);
		answer_audio(&r, text, &on);
		g_assert_false(r.has_audio);
		g_assert_nonnull(r.why_not);
		if (!strstr(r.why_not, cases[i].want))
			g_error("why_not \"%s\" does not mention \"%s\"", r.why_not, cases[i].want);
		g_assert_cmpstr(hdmirtc_sdp_answer_tagged_mid(r.offer, &r.video, NULL), ==, "0");
		/* the same answer as to a service without audio */
		without = hdmirtc_sdp_answer_build(r.offer, &off, NULL);
		g_assert_cmpstr(r.answer, ==, without);
		bundled = strstr(text, "a=group:BUNDLE 0") != NULL;
		g_assert_cmpint(has_line(r.lines, "a=group:BUNDLE 0"), ==, bundled);
		g_assert_cmpuint(count_prefix(r.lines, "a=group:"), ==, bundled);
		s0 = section_lines(r.lines, 0);
		video_case.pt = r.video.payload_type;
		check_accepted(s0, offered(&r, 0), &video_case);
		for (guint m = 1; m < r.offer->media->len; m++) {
			g_auto(GStrv) sec = section_lines(r.lines, m);
			check_rejected(sec, offered(&r, m));
		}
		back = parse_text(r.answer);
		g_assert_cmpuint(back->media->len, ==, r.offer->media->len);
	}
}

/* The video and audio sections of the Chromium offer, in either order, and
 * its BUNDLE group as given. */
static char *reordered_offer(gboolean audio_first, const char *group)
{
	gsize len;
	g_autofree char *text = load("chromium-recvonly-video-audio.sdp", &len);
	const char *v = strstr(text, "m=video "), *a = strstr(text, "m=audio ");
	g_autofree char *head = g_strndup(text, (gsize)(v - text));
	g_autofree char *video = g_strndup(v, (gsize)(a - v));
	g_autofree char *grouped = NULL;

	grouped = edit(head, "a=group:BUNDLE 0 1", group);
	return audio_first ? g_strconcat(grouped, a, video, NULL) : g_strconcat(grouped, video, a, NULL);
}

/* The candidates go into the section whose mid the BUNDLE group lists
 * first (RFC 8843: the offerer-tagged one); browsers list them in m= line
 * order, so audio first in the offer carries them. */
static void test_audio_first(void)
{
	static const struct {
		gboolean audio_first;
		const char *group;
		gboolean audio_tagged;
		const char *answer_group;       /* NULL: group */
	} cases[] = {
		{ TRUE, "a=group:BUNDLE 1 0", TRUE, NULL },
		{ FALSE, "a=group:BUNDLE 1 0", TRUE, NULL },
		{ TRUE, "a=group:BUNDLE 0 1", FALSE, NULL },
		{ FALSE, "a=group:BUNDLE 0 0 1", FALSE, "a=group:BUNDLE 0 1" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = reordered_offer(cases[i].audio_first, cases[i].group);
		HdmirtcSdpLocalParams params = audio_params();
		g_auto(AudioAnswer) r = { 0 };
		guint ai = cases[i].audio_first ? 0 : 1;
		g_auto(GStrv) sa = NULL, sv = NULL;
		g_autofree char *vline = NULL;
		const char *tagged;

		g_test_message("case %u: audio first %d, %s", i, cases[i].audio_first, cases[i].group);
		answer_audio(&r, text, &params);
		g_assert_true(r.has_audio);
		g_assert_cmpuint(r.audio.media_index, ==, ai);
		g_assert_cmpuint(r.video.media_index, ==, 1 - ai);
		g_assert_true(has_line(r.lines, cases[i].answer_group ? cases[i].answer_group : cases[i].group));
		sa = section_lines(r.lines, ai);
		sv = section_lines(r.lines, 1 - ai);
		check_audio_accepted(sa, offered(&r, ai), 111, cases[i].audio_tagged);
		vline = g_strdup_printf("m=video 9 UDP/TLS/RTP/SAVPF %u", r.video.payload_type);
		g_assert_cmpstr(sv[0], ==, vline);
		g_assert_true(has_line(sv, "a=mid:0") && has_line(sv, "a=ice-ufrag:hdmi"));
		check_candidates(sv, !cases[i].audio_tagged);
		tagged = hdmirtc_sdp_answer_tagged_mid(r.offer, &r.video, &r.audio);
		g_assert_cmpstr(tagged, ==, cases[i].audio_tagged ? "1" : "0");
	}
}

/* The ICE restart answer names the tagged section, audio or video. */
static void test_audio_restart_fragment(void)
{
	g_autofree char *text = reordered_offer(TRUE, "a=group:BUNDLE 1 0");
	HdmirtcSdpLocalParams params = audio_params();
	g_auto(AudioAnswer) r = { 0 };
	HdmirtcSdpRestartParams p = { .ice_ufrag = "abcd", .ice_pwd = "0123456789abcdefghijkl" };
	g_autofree char *frag_text = NULL;
	g_autoptr(HdmirtcSdpFrag) frag = NULL;

	answer_audio(&r, text, &params);
	p.mid = hdmirtc_sdp_answer_tagged_mid(r.offer, &r.video, &r.audio);
	p.audio = g_strcmp0(p.mid, r.audio.media->mid) == 0;
	p.payload_type = r.audio.payload_type;
	frag_text = hdmirtc_sdp_restart_fragment_build(&p, NULL);
	g_assert_nonnull(strstr(frag_text, "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\n"));
	frag = hdmirtc_sdp_frag_parse(frag_text, strlen(frag_text), NULL);
	g_assert_cmpstr(((HdmirtcSdpFragMedia *)frag->media->pdata[0])->mid, ==, "1");
}

/* hdmirtc streams video: audio alone is still no session. */
static void test_audio_only(void)
{
	g_autoptr(HdmirtcSdpOffer) offer = parse_fixture("chromium-recvonly-audio.sdp");
	HdmirtcSdpLocalParams params = audio_params();
	g_autoptr(GError) error = NULL;
	char *answer = hdmirtc_sdp_answer_build(offer, &params, &error);

	g_assert_null(answer);
	g_assert_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_NO_VIDEO);
}

/* Offered on audio, transport-wide-cc and playout-delay are never answered
 * there (no transport-wide sequence numbers on audio), even when the video
 * takes them; abs-capture-time and the MID are, with their directions. */
static void test_audio_extensions(void)
{
	static const Edit edits[] = {
		{ "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid",
		  "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
		  "a=extmap:13/recvonly http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time\r\n"
		  "a=extmap:9/sendrecv urn:ietf:params:rtp-hdrext:sdes:mid" },
	};
	static const char *const fixtures[] = { "chromium-recvonly-video-audio.sdp",
	                                        "edited-firefox-recvonly-video-audio.sdp" };

	for (guint i = 0; i < G_N_ELEMENTS(fixtures); i++) {
		/* Firefox offers transport-wide-cc on audio as it is */
		g_autofree char *text = edit_audio_fixture(fixtures[i], edits, i == 0 ? 1 : 0);
		HdmirtcSdpLocalParams params = audio_params();
		g_auto(AudioAnswer) r = { 0 };
		g_auto(GStrv) sv = NULL, sa = NULL;

		g_test_message("%s", fixtures[i]);
		params.transport_cc = TRUE;
		answer_audio(&r, text, &params);
		g_assert_true(r.has_audio);
		g_assert_cmpuint(r.audio.ext_id[HDMIRTC_SDP_EXT_TRANSPORT_CC], ==, 0);
		g_assert_cmpuint(r.audio.ext_id[HDMIRTC_SDP_EXT_PLAYOUT_DELAY], ==, 0);
		sv = section_lines(r.lines, 0);
		sa = section_lines(r.lines, 1);
		/* the video does take them */
		check_extensions(sv, offered(&r, 0), VIDEO_EXTS_ANSWERED | EXT(HDMIRTC_SDP_EXT_TRANSPORT_CC));
		g_assert_cmpuint(count_prefix(sv, "a=extmap:"), ==, 3);
		check_audio_accepted(sa, offered(&r, 1), r.audio.payload_type, FALSE);
		if (i == 0) {
			g_assert_cmpuint(r.audio.ext_id[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME], ==, 13);
			g_assert_true(has_line(sa, "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid"));
			g_assert_true(has_line(sa, "a=extmap:13/sendonly "
			                           "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"));
			g_assert_cmpuint(count_prefix(sa, "a=extmap:"), ==, 2);
		}
	}
}

/* "foo" renames Opus in an audio section; anything else replaces its
 * a=recvonly. */
static char *edit_audio_section(const char *section, const char *how)
{
	return strcmp(how, "foo") == 0 ? edit(section, "opus/", "foo/") : edit(section, "a=recvonly", how);
}

/* The Chromium offer with its audio section twice (mids 1 and a2, both in
 * the BUNDLE group), edited as edit_audio_section says. */
static char *two_audio_offer(const char *first, const char *second)
{
	gsize len;
	g_autofree char *text = load("chromium-recvonly-video-audio.sdp", &len);
	const char *a = strstr(text, "m=audio ");
	g_autofree char *head = g_strndup(text, (gsize)(a - text));
	g_autofree char *grouped = edit(head, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 a2");
	g_autofree char *renamed = edit(a, "a=mid:1", "a=mid:a2");
	g_autofree char *s1 = edit_audio_section(a, first);
	g_autofree char *s2 = edit_audio_section(renamed, second);

	return g_strconcat(grouped, s1, s2, NULL);
}

/* Of several audio sections the first usable one is taken; when none is,
 * why_not tells about the one that came closest, wherever it is. */
static void test_audio_several(void)
{
	static const struct {
		const char *first, *second;
		gboolean taken;
		const char *want;               /* the accepted mid, or why_not */
	} cases[] = {
		{ "a=sendonly", "a=recvonly", TRUE, "a2" },
		{ "a=recvonly", "a=recvonly", TRUE, "1" },
		{ "a=sendonly", "foo", FALSE, "no opus/48000/2" },
		{ "foo", "a=sendonly", FALSE, "no opus/48000/2" },
		{ "a=sendonly", "a=inactive", FALSE, "sendonly or inactive" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = two_audio_offer(cases[i].first, cases[i].second);
		HdmirtcSdpLocalParams params = audio_params();
		g_auto(AudioAnswer) r = { 0 };

		g_test_message("case %u: %s, %s", i, cases[i].first, cases[i].second);
		answer_audio(&r, text, &params);
		g_assert_cmpuint(r.offer->media->len, ==, 3);
		g_assert_cmpint(r.has_audio, ==, cases[i].taken);
		if (r.has_audio) {
			g_autofree char *group = g_strdup_printf("a=group:BUNDLE 0 %s", cases[i].want);
			g_auto(GStrv) taken = section_lines(r.lines, r.audio.media_index);
			g_auto(GStrv) other = section_lines(r.lines, r.audio.media_index == 1 ? 2 : 1);

			g_assert_cmpstr(r.audio.media->mid, ==, cases[i].want);
			g_assert_true(has_line(r.lines, group));
			check_audio_accepted(taken, r.audio.media, 111, FALSE);
			check_rejected(other, offered(&r, r.audio.media_index == 1 ? 2 : 1));
		} else {
			g_assert_nonnull(strstr(r.why_not, cases[i].want));
			g_assert_true(has_line(r.lines, "a=group:BUNDLE 0"));
		}
	}
}

/* ---- trickle-ICE fragments ---- */

static void test_frag(void)
{
	const char *text = "a=ice-options:trickle\r\n"
	                   "a=group:BUNDLE 0\r\n"
	                   "m=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
	                   "a=mid:0\r\n"
	                   "a=ice-ufrag:BsXN\r\n"
	                   "a=ice-pwd:VOpl4QMmJZxFxlVv+ptpRxwa\r\n"
	                   "a=candidate:2714032421 1 udp 2113937151 192.0.2.2 56992 typ host generation 0 network-cost 999\r\n"
	                   "a=candidate:1 1 udp 2122187007 0d3f1b1c-aaaa-4bbb-8ccc-111122223333.local 50001 typ host\r\n"
	                   "a=end-of-candidates\r\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcSdpFrag) frag = hdmirtc_sdp_frag_parse(text, strlen(text), &error);
	const HdmirtcSdpFragMedia *m;

	g_assert_no_error(error);
	g_assert_cmpstr(frag->ice_options, ==, "trickle");
	g_assert_null(frag->ice_ufrag);
	g_assert_cmpuint(frag->media->len, ==, 1);
	m = frag->media->pdata[0];
	g_assert_cmpstr(m->mid, ==, "0");
	g_assert_cmpuint(m->mline_index, ==, 0);
	g_assert_cmpuint(m->line, ==, 3);
	g_assert_cmpstr(m->ice_ufrag, ==, "BsXN");
	g_assert_cmpstr(m->ice_pwd, ==, "VOpl4QMmJZxFxlVv+ptpRxwa");
	g_assert_cmpuint(m->candidates->len, ==, 2);
	g_assert_cmpstr(m->candidates->pdata[0], ==,
	                "candidate:2714032421 1 udp 2113937151 192.0.2.2 56992 typ host generation 0 network-cost 999");
	g_assert_true(m->end_of_candidates);
}

static void test_frag_session_credentials(void)
{
	/* ICE restart style: credentials at session level, LF line ends */
	const char *text = "a=ice-ufrag:da0ac13c\na=ice-pwd:d5361178e3b862c3459ea683823e84e3\n"
	                   "m=audio 9 RTP/AVP 0\na=mid:1\n"
	                   "m=video 9 RTP/AVP 0\na=mid:0\na=candidate:0 1 UDP 2122187007 192.0.2.2 35451 typ host\n";
	g_autoptr(HdmirtcSdpFrag) frag = hdmirtc_sdp_frag_parse(text, strlen(text), NULL);
	const HdmirtcSdpFragMedia *m;

	g_assert_nonnull(frag);
	g_assert_cmpstr(frag->ice_ufrag, ==, "da0ac13c");
	g_assert_cmpuint(frag->media->len, ==, 2);
	m = frag->media->pdata[1];
	g_assert_cmpstr(m->mid, ==, "0");
	g_assert_cmpuint(m->mline_index, ==, 1);
	g_assert_cmpstr(m->ice_pwd, ==, "d5361178e3b862c3459ea683823e84e3");
	g_assert_cmpuint(m->candidates->len, ==, 1);
	g_assert_false(m->end_of_candidates);
}

static void test_frag_errors(void)
{
	static const struct {
		const char *text;
		int code;
		const char *want;
	} cases[] = {
		{ "v=0\r\nm=video 9 RTP/AVP 0\r\n", HDMIRTC_SDP_ERROR_PARSE, "line 1: \"v=\" line is not allowed" },
		{ "a=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n", HDMIRTC_SDP_ERROR_PARSE, "line 1: a=candidate before any m=" },
		{ "a=ice-ufrag:abcd\r\n", HDMIRTC_SDP_ERROR_INVALID, "a=ice-ufrag without a=ice-pwd" },
		{ "m=video 9 RTP/AVP 0\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n", HDMIRTC_SDP_ERROR_INVALID,
		  "line 1: a=ice-pwd without a=ice-ufrag" },
		{ "m=video 9 RTP/AVP 0\r\na=candidate:1 1 udp 1 192.0.2.1 1 host\r\n", HDMIRTC_SDP_ERROR_PARSE, "line 2: " },
		{ "m=video 9 RTP/AVP 0\r\na=candidate:1 1 udp 99999999999 192.0.2.1 1 typ host\r\n", HDMIRTC_SDP_ERROR_PARSE,
		  "bad candidate priority" },
		{ "m=video 9 RTP/AVP 0\r\na=candidate:1 1 udp 1 192.0.2.1 70000 typ host\r\n", HDMIRTC_SDP_ERROR_PARSE,
		  "bad candidate port" },
		{ "m=video 9 RTP/AVP 0\r\na=mid:0\r\nm=video 9 RTP/AVP 0\r\na=mid:0\r\n", HDMIRTC_SDP_ERROR_PARSE,
		  "line 4: a=mid:0 used twice" },
		{ "m=video 9 RTP/AVP 0\r\na=candidate:1 1 udp 1 192.0.2.1 1 ty", HDMIRTC_SDP_ERROR_PARSE, "truncated" },
		{ "m=video 9 RTP/AVP 0\r\na=mid:0\r\n\r\na=end-of-candidates\r\n", HDMIRTC_SDP_ERROR_PARSE, "line 3: empty" },
		{ "garbage\r\n", HDMIRTC_SDP_ERROR_PARSE, "line 1: not an" },
		{ "", HDMIRTC_SDP_ERROR_PARSE, "empty" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		HdmirtcSdpFrag *frag = hdmirtc_sdp_frag_parse(cases[i].text, strlen(cases[i].text), &error);

		g_test_message("frag case %u", i);
		g_assert_null(frag);
		g_assert_error(error, HDMIRTC_SDP_ERROR, cases[i].code);
		if (!strstr(error->message, cases[i].want))
			g_error("error \"%s\" does not mention \"%s\"", error->message, cases[i].want);
	}
	{
		const char nul[] = "m=video 9 RTP/AVP 0\r\na=mid:0\0\r\n";
		g_autoptr(GError) error = NULL;
		g_assert_null(hdmirtc_sdp_frag_parse(nul, sizeof(nul) - 1, &error));
		g_assert_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_PARSE);
		g_assert_nonnull(strstr(error->message, "line 2: NUL"));
	}
}

static void add_cases(const char *prefix, const void *cases, gsize n, gsize size, gsize name_offset,
                      GTestDataFunc func)
{
	for (gsize i = 0; i < n; i++) {
		const char *item = (const char *)cases + i * size;
		const char *fixture = *(const char *const *)(item + name_offset);
		g_autofree char *path = g_strdup_printf("%s/%s", prefix, fixture);
		g_test_add_data_func(path, item, func);
	}
}

/* The restart answer parses back as a fragment with the new credentials
 * and candidates; bad parameters are refused. */
static void test_restart_fragment(void)
{
	const char *cands[] = { "candidate:1 1 udp 2130706431 10.77.3.2 40000 typ host",
				"a=candidate:2 1 udp 1694498815 203.0.113.1 40001 typ srflx raddr 10.77.3.2 rport 40000",
				NULL };
	HdmirtcSdpRestartParams p = {
		.ice_ufrag = "abcd", .ice_pwd = "0123456789abcdefghijkl", .mid = "0",
		.payload_type = 102, .candidates = cands, .gathering_complete = TRUE,
	};
	g_autoptr(GError) error = NULL;
	g_autofree char *text = hdmirtc_sdp_restart_fragment_build(&p, &error);

	g_assert_no_error(error);
	g_assert_nonnull(strstr(text, "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:0\r\n"));
	g_autoptr(HdmirtcSdpFrag) frag = hdmirtc_sdp_frag_parse(text, strlen(text), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(frag->ice_ufrag, ==, "abcd");
	g_assert_cmpstr(frag->ice_pwd, ==, "0123456789abcdefghijkl");
	g_assert_cmpuint(frag->media->len, ==, 1);
	HdmirtcSdpFragMedia *m = frag->media->pdata[0];
	g_assert_cmpstr(m->mid, ==, "0");
	g_assert_cmpuint(m->candidates->len, ==, 2);
	g_assert_true(g_str_has_prefix(m->candidates->pdata[1], "candidate:2 1 udp"));
	g_assert_true(m->end_of_candidates);

	const HdmirtcSdpRestartParams bad[] = {
		{ .ice_ufrag = "abc", .ice_pwd = "0123456789abcdefghijkl" },
		{ .ice_ufrag = "abcd", .ice_pwd = "short" },
		{ .ice_ufrag = "abcd", .ice_pwd = "0123456789abcdefghijkl", .mid = "a b" },
		{ .ice_ufrag = "abcd", .ice_pwd = "0123456789abcdefghijkl",
		  .candidates = (const char *[]){ "candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=x", NULL } },
	};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) e = NULL;
		g_autofree char *t = hdmirtc_sdp_restart_fragment_build(&bad[i], &e);
		g_assert_null(t);
		g_assert_error(e, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_PARAMS);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sdp/parse/chromium", test_parse_chromium);
	g_test_add_func("/sdp/parse/rtx-time", test_parse_rtx_time);
	g_test_add_func("/sdp/answer/setup", test_answer_setup);
	g_test_add_func("/sdp/parse/pion-feedback", test_parse_pion_feedback);
	g_test_add_func("/sdp/refuse/h264-without-fmtp", test_refuse_h264_without_fmtp);
	g_test_add_func("/sdp/parse/firefox", test_parse_firefox);
	g_test_add_func("/sdp/parse/lf-only", test_parse_lf_only);
	g_test_add_func("/sdp/parse/bundle-variants", test_parse_bundle_variants);
	g_test_add_func("/sdp/parse/limits", test_parse_limits);
	g_test_add_func("/sdp/parse/errors", test_parse_errors);
	g_test_add_func("/sdp/parse/prefixes-and-flips", test_parse_prefixes_and_flips);
	add_cases("/sdp/parse/malformed", malformed_cases, G_N_ELEMENTS(malformed_cases), sizeof(RefuseCase),
	          G_STRUCT_OFFSET(RefuseCase, fixture), test_malformed);
	add_cases("/sdp/answer/real", answer_cases, G_N_ELEMENTS(answer_cases), sizeof(AnswerCase),
	          G_STRUCT_OFFSET(AnswerCase, fixture), test_answer_real);
	add_cases("/sdp/choose/refuse", refuse_cases, G_N_ELEMENTS(refuse_cases), sizeof(RefuseCase),
	          G_STRUCT_OFFSET(RefuseCase, fixture), test_refuse);
	g_test_add_func("/sdp/choose/refuse-edited", test_refuse_edited);
	g_test_add_func("/sdp/choose/refuse-port0", test_refuse_port0);
	g_test_add_func("/sdp/choose/preference", test_choose_preference);
	g_test_add_func("/sdp/choose/mode0-and-bundle-only", test_choose_mode0_and_bundle_only);
	g_test_add_func("/sdp/answer/abs-capture-time", test_answer_abs_capture_time);
	g_test_add_func("/sdp/answer/transport-cc", test_answer_transport_cc);
	g_test_add_func("/sdp/answer/second-video", test_answer_second_video);
	g_test_add_func("/sdp/answer/params", test_answer_params);
	g_test_add_func("/sdp/error/http-status", test_http_status);
	add_cases("/sdp/audio/real", audio_cases, G_N_ELEMENTS(audio_cases), sizeof(AudioCase),
	          G_STRUCT_OFFSET(AudioCase, fixture), test_audio_real);
	g_test_add_func("/sdp/audio/off", test_audio_off);
	g_test_add_func("/sdp/audio/accepted-edits", test_audio_accepted_edits);
	g_test_add_func("/sdp/audio/refused", test_audio_refused);
	g_test_add_func("/sdp/audio/first", test_audio_first);
	g_test_add_func("/sdp/audio/restart-fragment", test_audio_restart_fragment);
	g_test_add_func("/sdp/audio/only", test_audio_only);
	g_test_add_func("/sdp/audio/extensions", test_audio_extensions);
	g_test_add_func("/sdp/audio/several", test_audio_several);
	g_test_add_func("/sdp/frag/media-credentials", test_frag);
	g_test_add_func("/sdp/frag/session-credentials", test_frag_session_credentials);
	g_test_add_func("/sdp/frag/errors", test_frag_errors);
	g_test_add_func("/sdp/frag/restart-answer", test_restart_fragment);
	return g_test_run();
}
