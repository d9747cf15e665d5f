/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Offer/answer for WHEP: pick the H.264 payload type, then answer as a
 * send-only sender (RFC 3264, RFC 8829 JSEP, RFC 8843 BUNDLE).  hdmirtc
 * retransmits on the main SSRC and takes no rtx or FEC, so the answer names
 * exactly one payload type. */
#include "sdp-private.h"

#include <string.h>

static const char *const ext_uris[HDMIRTC_SDP_EXT_COUNT] = {
	[HDMIRTC_SDP_EXT_MID] = "urn:ietf:params:rtp-hdrext:sdes:mid",
	[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME] = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
	[HDMIRTC_SDP_EXT_PLAYOUT_DELAY] = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
	[HDMIRTC_SDP_EXT_TRANSPORT_CC] = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
};

const char *hdmirtc_sdp_ext_uri(HdmirtcSdpExt ext)
{
	g_return_val_if_fail(ext < HDMIRTC_SDP_EXT_COUNT, NULL);
	return ext_uris[ext];
}

/* ---- choosing ---- */

/* Lower is better; -1 for a profile whose decoder may not take the
 * constrained-baseline stream hdmirtc sends, or that we refuse to claim
 * (High and above: a decoder for them decodes CB, but browsers that list
 * only High are rare and answering High invites a High stream later). */
static int profile_rank(const char *plid)
{
	guint profile_idc = (guint)(g_ascii_xdigit_value(plid[0]) << 4 | g_ascii_xdigit_value(plid[1]));
	guint iop = (guint)(g_ascii_xdigit_value(plid[2]) << 4 | g_ascii_xdigit_value(plid[3]));

	if (strcmp(plid, "42e01f") == 0)
		return 0;
	if (profile_idc == 0x42 && (iop & 0x40))
		return 1;       /* constraint_set1: constrained baseline (42e0xx, 42c0xx) */
	if (profile_idc == 0x42)
		return 2;       /* baseline */
	if (profile_idc == 0x4d)
		return 3;       /* main */
	return -1;
}

/* Best H.264 payload type of a section; the offer's order breaks ties. */
static const HdmirtcSdpPayload *pick_payload(const HdmirtcSdpMedia *m)
{
	const HdmirtcSdpPayload *best = NULL;
	int best_rank = G_MAXINT;

	for (guint i = 0; i < m->payloads->len; i++) {
		const HdmirtcSdpPayload *pl = &g_array_index(m->payloads, HdmirtcSdpPayload, i);
		int rank;

		if (!pl->encoding || g_ascii_strcasecmp(pl->encoding, "H264") != 0 ||
		    pl->clock_rate != 90000 || pl->packetization_mode != 1)
			continue;
		rank = profile_rank(pl->profile_level_id);
		if (rank >= 0 && rank < best_rank) {
			best = pl;
			best_rank = rank;
		}
	}
	return best;
}

static gboolean check_transport(const HdmirtcSdpMedia *m, GError **error)
{
	const char *why = NULL;

	if (!m->ice_ufrag || !m->ice_pwd)
		why = "no a=ice-ufrag and a=ice-pwd";
	else if (!m->has_sha256_fingerprint)
		why = "no sha-256 a=fingerprint";
	else if (m->setup == HDMIRTC_SDP_SETUP_NONE)
		why = "no a=setup";
	else if (m->setup == HDMIRTC_SDP_SETUP_HOLDCONN)
		why = "a=setup:holdconn: no DTLS connection wanted";
	else if (!m->rtcp_mux)
		why = "no a=rtcp-mux: hdmirtc sends RTP and RTCP on one port";
	if (why)
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_INVALID, "line %u: video m= section: %s",
		            m->line, why);
	return why == NULL;
}

/* Why a video section cannot be answered at all, or NULL if it can. */
static const char *unusable_reason(const HdmirtcSdpMedia *m)
{
	if (m->port == 0 && !m->bundle_only)
		return "rejected (port 0)";
	if (strcmp(m->proto, "UDP/TLS/RTP/SAVPF") != 0)
		return "protocol is not UDP/TLS/RTP/SAVPF";
	if (m->direction == HDMIRTC_SDP_DIRECTION_SENDONLY || m->direction == HDMIRTC_SDP_DIRECTION_INACTIVE)
		return "direction is sendonly or inactive, but hdmirtc only sends";
	return NULL;
}

static void fill_extensions(const HdmirtcSdpMedia *m, HdmirtcSdpVideoChoice *choice)
{
	for (guint i = 0; i < m->extmaps->len; i++) {
		const HdmirtcSdpExtmap *e = &g_array_index(m->extmaps, HdmirtcSdpExtmap, i);

		/* sendonly/inactive in the offer: the browser will not receive it */
		if (e->direction == HDMIRTC_SDP_DIRECTION_SENDONLY ||
		    e->direction == HDMIRTC_SDP_DIRECTION_INACTIVE)
			continue;
		for (guint x = 0; x < HDMIRTC_SDP_EXT_COUNT; x++) {
			if (choice->ext_id[x] == 0 && strcmp(e->uri, ext_uris[x]) == 0) {
				choice->ext_id[x] = e->id;
				choice->ext_direction[x] = e->direction;
			}
		}
	}
}

/* "VP8, VP9, H264 42e01f mode 0" for the NO_CODEC message. */
static char *describe_codecs(const HdmirtcSdpMedia *m)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < m->payloads->len; i++) {
		const HdmirtcSdpPayload *pl = &g_array_index(m->payloads, HdmirtcSdpPayload, i);
		g_autofree char *item = NULL;

		if (!pl->encoding || g_ascii_strcasecmp(pl->encoding, "rtx") == 0)
			continue;
		if (g_ascii_strcasecmp(pl->encoding, "H264") == 0)
			item = g_strdup_printf("H264 %s mode %u", pl->profile_level_id, pl->packetization_mode);
		else
			item = g_strdup(pl->encoding);
		if (!strstr(s->str, item))
			g_string_append_printf(s, "%s%s", s->len ? ", " : "", item);
	}
	return g_string_free(s, FALSE);
}

/* What would have worked, for an H264 payload without a=fmtp (GStreamer's
 * webrtcbin sends one): RFC 6184 then means packetization-mode 0 and
 * profile-level-id 420010, which browsers do not play. */
static char *fmtp_hint(const HdmirtcSdpMedia *m)
{
	for (guint i = 0; i < m->payloads->len; i++) {
		const HdmirtcSdpPayload *pl = &g_array_index(m->payloads, HdmirtcSdpPayload, i);

		if (pl->encoding && g_ascii_strcasecmp(pl->encoding, "H264") == 0 && !pl->fmtp)
			return g_strdup_printf("; H264 payload %u has no a=fmtp, which means "
			                       "packetization-mode=0 (RFC 6184): add \"a=fmtp:%u "
			                       "packetization-mode=1;profile-level-id=42e01f\"", pl->pt, pl->pt);
	}
	return g_strdup("");
}

static gboolean fail_choice(gboolean any_video, const HdmirtcSdpMedia *last,
                            const char *reason, gboolean all_port0, GError **error)
{
	g_autofree char *codecs = NULL;

	if (!any_video) {
		g_set_error_literal(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_NO_VIDEO,
		                    "the offer has no video m= section");
	} else if (all_port0) {
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_NO_VIDEO,
		            "line %u: every video m= section is rejected (port 0)", last->line);
	} else if (reason) {
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_INVALID, "line %u: video m= section: %s",
		            last->line, reason);
	} else {
		g_autofree char *hint = fmtp_hint(last);

		codecs = describe_codecs(last);
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_NO_CODEC,
		            "line %u: no H.264 with packetization-mode=1 in a constrained baseline, baseline or "
		            "main profile (offered: %s)%s", last->line, *codecs ? codecs : "nothing", hint);
	}
	return FALSE;
}

gboolean hdmirtc_sdp_offer_choose_h264(const HdmirtcSdpOffer *offer, HdmirtcSdpVideoChoice *choice,
                                       GError **error)
{
	const HdmirtcSdpMedia *last = NULL;
	const char *reason = NULL;
	gboolean any_video = FALSE, all_port0 = TRUE, any_usable = FALSE;

	g_return_val_if_fail(offer && choice, FALSE);
	memset(choice, 0, sizeof(*choice));
	for (guint i = 0; i < offer->media->len; i++) {
		const HdmirtcSdpMedia *m = offer->media->pdata[i];
		const HdmirtcSdpPayload *pl;
		const char *why;

		if (m->type != HDMIRTC_SDP_MEDIA_VIDEO)
			continue;
		any_video = TRUE;
		all_port0 = all_port0 && m->port == 0 && !m->bundle_only;
		why = unusable_reason(m);
		if (why) {
			/* Report a usable section's codec problem over another's form. */
			if (!any_usable) {
				reason = why;
				last = m;
			}
			continue;
		}
		if (!check_transport(m, error))
			return FALSE;
		any_usable = TRUE;
		reason = NULL;
		last = m;
		pl = pick_payload(m);
		if (!pl)
			continue;
		choice->media_index = i;
		choice->media = m;
		choice->payload_type = pl->pt;
		memcpy(choice->profile_level_id, pl->profile_level_id, sizeof(choice->profile_level_id));
		choice->feedback = pl->feedback;
		fill_extensions(m, choice);
		return TRUE;
	}
	return fail_choice(any_video, last, reason, all_port0, error);
}

/* ---- answering ---- */

static gboolean printable_no_space(const char *s, gsize min, gsize max)
{
	gsize n = 0;

	for (; s[n]; n++)
		if ((guchar)s[n] <= 0x20 || (guchar)s[n] >= 0x7f)
			return FALSE;
	return n >= min && n <= max;
}

static const char *candidate_value(const char *c)
{
	return g_str_has_prefix(c, "a=") ? c + 2 : c;
}

static gboolean candidate_param_valid(const char *c)
{
	const char *v = candidate_value(c);

	if (!g_str_has_prefix(v, "candidate:") || strlen(v) > HDMIRTC_SDP_MAX_LINE)
		return FALSE;
	for (; *v; v++)
		if ((guchar)*v < 0x20 || (guchar)*v == 0x7f)
			return FALSE;
	return TRUE;
}

static const char *params_problem(const HdmirtcSdpAnswerParams *p)
{
	char alg[16];
	guint8 fp[SDP_FINGERPRINT_MAX_BYTES];
	gsize n;
	const char *why;

	if (p->session_id > G_MAXINT64 || p->session_version > G_MAXINT64)
		return "session id and version must be below 2^63";
	if (!p->ice_ufrag || !hdmirtc_sdp_ice_chars_valid(p->ice_ufrag, 4, 256))
		return "ice_ufrag must be 4..256 ice-chars";
	if (!p->ice_pwd || !hdmirtc_sdp_ice_chars_valid(p->ice_pwd, 22, 256))
		return "ice_pwd must be 22..256 ice-chars";
	if (!p->fingerprint || !hdmirtc_sdp_fingerprint_parse(p->fingerprint, alg, sizeof(alg), fp, &n, &why) ||
	    strcmp(alg, "sha-256") != 0)
		return "fingerprint must be \"sha-256 XX:XX:...\" with 32 bytes";
	if (!p->cname || !printable_no_space(p->cname, 1, 255))
		return "cname must be 1..255 printable characters without spaces";
	if (!p->stream_id || !hdmirtc_sdp_token_valid(p->stream_id, 1, 64) ||
	    !p->track_id || !hdmirtc_sdp_token_valid(p->track_id, 1, 64))
		return "stream_id and track_id must be 1..64 token characters";
	for (guint i = 0; p->candidates && p->candidates[i]; i++)
		if (!candidate_param_valid(p->candidates[i]))
			return "a candidate is not one \"candidate:...\" line";
	return NULL;
}

static gboolean mid_in_bundle(const HdmirtcSdpOffer *offer, const char *mid)
{
	for (guint g = 0; mid && g < offer->bundle_groups->len; g++) {
		char **mids = offer->bundle_groups->pdata[g];
		if (g_strv_contains((const char *const *)mids, mid))
			return TRUE;
	}
	return FALSE;
}

static void append_rejected(GString *s, const HdmirtcSdpMedia *m)
{
	g_string_append_printf(s, "m=%s 0 %s", m->media, m->proto);
	for (guint i = 0; i < m->formats->len; i++)
		g_string_append_printf(s, " %s", (const char *)m->formats->pdata[i]);
	g_string_append(s, "\r\nc=IN IP4 0.0.0.0\r\n");
	if (m->mid)
		g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
}

static void append_extensions(GString *s, const HdmirtcSdpVideoChoice *c, gboolean transport_cc)
{
	for (guint x = 0; x < HDMIRTC_SDP_EXT_COUNT; x++) {
		if (!c->ext_id[x] || (x == HDMIRTC_SDP_EXT_TRANSPORT_CC && !transport_cc))
			continue;
		/* An extension offered recvonly is answered sendonly (RFC 8285 6). */
		g_string_append_printf(s, "a=extmap:%u%s %s\r\n", c->ext_id[x],
		                       c->ext_direction[x] == HDMIRTC_SDP_DIRECTION_RECVONLY ? "/sendonly" : "",
		                       ext_uris[x]);
	}
}

static void append_codec(GString *s, const HdmirtcSdpVideoChoice *c, gboolean transport_cc)
{
	guint pt = c->payload_type;

	g_string_append_printf(s, "a=rtpmap:%u H264/90000\r\n", pt);
	if (c->feedback & HDMIRTC_SDP_FB_GOOG_REMB)
		g_string_append_printf(s, "a=rtcp-fb:%u goog-remb\r\n", pt);
	if (transport_cc && (c->feedback & HDMIRTC_SDP_FB_TRANSPORT_CC))
		g_string_append_printf(s, "a=rtcp-fb:%u transport-cc\r\n", pt);
	if (c->feedback & HDMIRTC_SDP_FB_CCM_FIR)
		g_string_append_printf(s, "a=rtcp-fb:%u ccm fir\r\n", pt);
	if (c->feedback & HDMIRTC_SDP_FB_NACK)
		g_string_append_printf(s, "a=rtcp-fb:%u nack\r\n", pt);
	if (c->feedback & HDMIRTC_SDP_FB_NACK_PLI)
		g_string_append_printf(s, "a=rtcp-fb:%u nack pli\r\n", pt);
	g_string_append_printf(s, "a=fmtp:%u level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%s\r\n",
	                       pt, c->profile_level_id);
}

/* RFC 8842 5.3: to actpass the answerer picks.  Client (active) by default:
 * it sends the first flight as soon as ICE connects, one round trip less
 * than waiting for the player's ClientHello; server for players whose own
 * server role is what works (dtls-role = server). */
gboolean hdmirtc_sdp_dtls_is_server(HdmirtcSdpSetup offered, gboolean prefer_server)
{
	return offered == HDMIRTC_SDP_SETUP_ACTIVE || (offered == HDMIRTC_SDP_SETUP_ACTPASS && prefer_server);
}

static void append_accepted(GString *s, const HdmirtcSdpVideoChoice *c, const HdmirtcSdpAnswerParams *p)
{
	const HdmirtcSdpMedia *m = c->media;

	g_string_append_printf(s, "m=video 9 %s %u\r\nc=IN IP4 0.0.0.0\r\n", m->proto, c->payload_type);
	g_string_append_printf(s, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n",
	                       p->ice_ufrag, p->ice_pwd);
	g_string_append_printf(s, "a=fingerprint:%s\r\na=setup:%s\r\n", p->fingerprint,
	                       hdmirtc_sdp_dtls_is_server(m->setup, p->prefer_dtls_server) ? "passive" : "active");
	if (m->mid)
		g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
	append_extensions(s, c, p->transport_cc);
	g_string_append_printf(s, "a=sendonly\r\na=msid:%s %s\r\na=rtcp-mux\r\n", p->stream_id, p->track_id);
	if (m->rtcp_rsize)
		g_string_append(s, "a=rtcp-rsize\r\n");
	append_codec(s, c, p->transport_cc);
	g_string_append_printf(s, "a=ssrc:%u cname:%s\r\na=ssrc:%u msid:%s %s\r\n",
	                       p->ssrc, p->cname, p->ssrc, p->stream_id, p->track_id);
	for (guint i = 0; p->candidates && p->candidates[i]; i++)
		g_string_append_printf(s, "a=%s\r\n", candidate_value(p->candidates[i]));
	if (p->gathering_complete)
		g_string_append(s, "a=end-of-candidates\r\n");
}

char *hdmirtc_sdp_answer_build(const HdmirtcSdpOffer *offer, const HdmirtcSdpAnswerParams *params,
                               GError **error)
{
	HdmirtcSdpVideoChoice choice;
	const char *problem;
	GString *s;

	g_return_val_if_fail(offer && params, NULL);
	problem = params_problem(params);
	if (problem) {
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_PARAMS, "answer parameters: %s", problem);
		return NULL;
	}
	if (!hdmirtc_sdp_offer_choose_h264(offer, &choice, error))
		return NULL;
	s = g_string_sized_new(2048);
	g_string_append_printf(s, "v=0\r\no=- %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN IP4 0.0.0.0\r\n"
	                       "s=-\r\nt=0 0\r\n", params->session_id, params->session_version);
	if (mid_in_bundle(offer, choice.media->mid))
		g_string_append_printf(s, "a=group:BUNDLE %s\r\n", choice.media->mid);
	g_string_append_printf(s, "a=msid-semantic: WMS %s\r\n", params->stream_id);
	for (guint i = 0; i < offer->media->len; i++) {
		if (i == choice.media_index)
			append_accepted(s, &choice, params);
		else
			append_rejected(s, offer->media->pdata[i]);
	}
	return g_string_free(s, FALSE);
}

char *hdmirtc_sdp_restart_fragment_build(const HdmirtcSdpRestartParams *p, GError **error)
{
	const char *problem = NULL;
	GString *s;

	g_return_val_if_fail(p, NULL);
	if (!p->ice_ufrag || !hdmirtc_sdp_ice_chars_valid(p->ice_ufrag, 4, 256))
		problem = "ice_ufrag must be 4..256 ice-chars";
	else if (!p->ice_pwd || !hdmirtc_sdp_ice_chars_valid(p->ice_pwd, 22, 256))
		problem = "ice_pwd must be 22..256 ice-chars";
	else if (p->mid && !hdmirtc_sdp_token_valid(p->mid, 1, 64))
		problem = "mid must be 1..64 token characters";
	for (guint i = 0; !problem && p->candidates && p->candidates[i]; i++)
		if (!candidate_param_valid(p->candidates[i]))
			problem = "a candidate is not one \"candidate:...\" line";
	if (problem) {
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_PARAMS,
		            "restart fragment parameters: %s", problem);
		return NULL;
	}
	/* RFC 8840 4.4: credentials at session level, then the m= section the
	 * candidates belong to, identified by its mid. */
	s = g_string_sized_new(1024);
	g_string_append_printf(s, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n",
	                       p->ice_ufrag, p->ice_pwd);
	g_string_append_printf(s, "m=video 9 UDP/TLS/RTP/SAVPF %u\r\n", p->payload_type);
	if (p->mid)
		g_string_append_printf(s, "a=mid:%s\r\n", p->mid);
	for (guint i = 0; p->candidates && p->candidates[i]; i++)
		g_string_append_printf(s, "a=%s\r\n", candidate_value(p->candidates[i]));
	if (p->gathering_complete)
		g_string_append(s, "a=end-of-candidates\r\n");
	return g_string_free(s, FALSE);
}
