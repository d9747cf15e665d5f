/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Offer/answer for WHEP: pick the H.264 payload type and, beside it, an
 * Opus one, then answer as a send-only sender (RFC 3264, RFC 8829 JSEP,
 * RFC 8843 BUNDLE).  hdmirtc retransmits on the main SSRC and takes no rtx
 * or FEC, so each accepted section names exactly one payload type. */
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

/* Why a section's transport cannot carry the session, or NULL. */
const char *hdmirtc_sdp_transport_problem(const HdmirtcSdpMedia *m)
{
	if (!m->ice_ufrag || !m->ice_pwd)
		return "no a=ice-ufrag and a=ice-pwd";
	if (!m->has_sha256_fingerprint)
		return "no sha-256 a=fingerprint";
	if (m->setup == HDMIRTC_SDP_SETUP_NONE)
		return "no a=setup";
	if (m->setup == HDMIRTC_SDP_SETUP_HOLDCONN)
		return "a=setup:holdconn: no DTLS connection wanted";
	if (!m->rtcp_mux)
		return "no a=rtcp-mux: hdmirtc sends RTP and RTCP on one port";
	return NULL;
}

static gboolean check_transport(const HdmirtcSdpMedia *m, GError **error)
{
	const char *why = hdmirtc_sdp_transport_problem(m);

	if (why)
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_INVALID, "line %u: video m= section: %s",
		            m->line, why);
	return why == NULL;
}

/* Why a section cannot be answered at all (hdmirtc only sends), or NULL if
 * it can. */
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

#define EXT_BIT(x) (1u << (x))
#define VIDEO_EXTS (EXT_BIT(HDMIRTC_SDP_EXT_COUNT) - 1)
/* Playout-delay is a video extension, and hdmirtc writes transport-wide
 * sequence numbers on video only: answering it for audio would promise
 * them there too. */
#define AUDIO_EXTS (EXT_BIT(HDMIRTC_SDP_EXT_MID) | EXT_BIT(HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME))

/* The offered ids (0: not offered) and directions of the extensions in
 * wanted (EXT_BIT mask) that hdmirtc can send on section m. */
void hdmirtc_sdp_fill_extensions(const HdmirtcSdpMedia *m, guint wanted, guint ids[HDMIRTC_SDP_EXT_COUNT],
                                 HdmirtcSdpDirection dirs[HDMIRTC_SDP_EXT_COUNT])
{
	for (guint i = 0; i < m->extmaps->len; i++) {
		const HdmirtcSdpExtmap *e = &g_array_index(m->extmaps, HdmirtcSdpExtmap, i);

		/* sendonly/inactive in the offer: the browser will not receive it */
		if (e->direction == HDMIRTC_SDP_DIRECTION_SENDONLY ||
		    e->direction == HDMIRTC_SDP_DIRECTION_INACTIVE)
			continue;
		for (guint x = 0; x < HDMIRTC_SDP_EXT_COUNT; x++) {
			if ((wanted & EXT_BIT(x)) && ids[x] == 0 && strcmp(e->uri, ext_uris[x]) == 0) {
				ids[x] = e->id;
				dirs[x] = e->direction;
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
		hdmirtc_sdp_fill_extensions(m, VIDEO_EXTS, choice->ext_id, choice->ext_direction);
		return TRUE;
	}
	return fail_choice(any_video, last, reason, all_port0, error);
}

const char *const *hdmirtc_sdp_bundle_group_of(const HdmirtcSdpOffer *offer, const char *mid)
{
	for (guint g = 0; mid && g < offer->bundle_groups->len; g++) {
		const char *const *mids = offer->bundle_groups->pdata[g];

		if (g_strv_contains(mids, mid))
			return mids;
	}
	return NULL;
}

/* The first opus/48000/2 payload type of a section (RFC 7587 7: the
 * rtpmap always says 2 channels, whatever is sent). */
static const HdmirtcSdpPayload *find_opus(const HdmirtcSdpMedia *m)
{
	for (guint i = 0; i < m->payloads->len; i++) {
		const HdmirtcSdpPayload *pl = &g_array_index(m->payloads, HdmirtcSdpPayload, i);

		if (pl->encoding && g_ascii_strcasecmp(pl->encoding, "opus") == 0 &&
		    pl->clock_rate == 48000 && pl->channels == 2)
			return pl;
	}
	return NULL;
}

/* Why audio section m cannot carry Opus beside the video section, or NULL
 * with *opus set.  *stage says how many checks m passed, so that among
 * several sections the closest miss is reported. */
static const char *audio_problem(const HdmirtcSdpOffer *offer, const HdmirtcSdpMedia *video,
                                 const HdmirtcSdpMedia *m, const HdmirtcSdpPayload **opus, guint *stage)
{
	const char *const *group = hdmirtc_sdp_bundle_group_of(offer, video->mid);
	const char *why;

	*stage = 0;
	if ((why = unusable_reason(m)))
		return why;
	*stage = 1;
	/* One transport per viewer: audio must share the video's. */
	if (!group || !m->mid || !g_strv_contains(group, m->mid))
		return "audio is not bundled with video";
	*stage = 2;
	if ((why = hdmirtc_sdp_transport_problem(m)))
		return why;
	*stage = 3;
	*opus = find_opus(m);
	return *opus ? NULL : "no opus/48000/2 offered";
}

gboolean hdmirtc_sdp_offer_choose_opus(const HdmirtcSdpOffer *offer, const HdmirtcSdpVideoChoice *video,
                                       HdmirtcSdpAudioChoice *choice, const char **why_not)
{
	const char *reason = "no audio section";
	int best_stage = -1;

	g_return_val_if_fail(offer && video && video->media && choice, FALSE);
	memset(choice, 0, sizeof(*choice));
	for (guint i = 0; i < offer->media->len; i++) {
		const HdmirtcSdpMedia *m = offer->media->pdata[i];
		const HdmirtcSdpPayload *opus = NULL;
		const char *why;
		guint stage;

		if (m->type != HDMIRTC_SDP_MEDIA_AUDIO)
			continue;
		why = audio_problem(offer, video->media, m, &opus, &stage);
		if (!why) {
			choice->media_index = i;
			choice->media = m;
			choice->payload_type = opus->pt;
			hdmirtc_sdp_fill_extensions(m, AUDIO_EXTS, choice->ext_id, choice->ext_direction);
			reason = NULL;
			break;
		}
		if ((int)stage > best_stage) {
			best_stage = (int)stage;
			reason = why;
		}
	}
	if (why_not)
		*why_not = reason;
	return reason == NULL;
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

const char *hdmirtc_sdp_candidate_value(const char *c)
{
	return g_str_has_prefix(c, "a=") ? c + 2 : c;
}

static gboolean candidate_param_valid(const char *c)
{
	const char *v = hdmirtc_sdp_candidate_value(c);

	if (!g_str_has_prefix(v, "candidate:") || strlen(v) > HDMIRTC_SDP_MAX_LINE)
		return FALSE;
	for (; *v; v++)
		if ((guchar)*v < 0x20 || (guchar)*v == 0x7f)
			return FALSE;
	return TRUE;
}

/* Both tracks are in one RTP session (BUNDLE): each needs its own SSRC,
 * and its own msid track in the shared stream. */
static const char *audio_params_problem(const HdmirtcSdpLocalParams *p)
{
	if (p->audio_ssrc == p->ssrc)
		return "audio_ssrc must differ from ssrc";
	if (!p->audio_track_id || !hdmirtc_sdp_token_valid(p->audio_track_id, 1, 64))
		return "audio_track_id must be 1..64 token characters";
	if (strcmp(p->audio_track_id, p->track_id) == 0)
		return "audio_track_id must differ from track_id";
	return NULL;
}

const char *hdmirtc_sdp_local_params_problem(const HdmirtcSdpLocalParams *p)
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
	return p->audio_ssrc ? audio_params_problem(p) : NULL;
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

/* What every accepted section of one answer shares. */
typedef struct {
	const HdmirtcSdpLocalParams *p;
	const char *setup;                      /* "active" or "passive", for the one DTLS session */
	const HdmirtcSdpMedia *tagged;          /* the section that carries the candidates */
} AnswerCommon;

/* What differs between the accepted video and audio sections, besides the
 * codec lines. */
typedef struct {
	const HdmirtcSdpMedia *media;
	guint payload_type;
	const guint *ext_id;                    /* [HDMIRTC_SDP_EXT_COUNT] */
	const HdmirtcSdpDirection *ext_direction;
	guint32 ssrc;
	const char *track_id;
} AcceptedSection;

static void append_extensions(GString *s, const AcceptedSection *a, gboolean transport_cc)
{
	for (guint x = 0; x < HDMIRTC_SDP_EXT_COUNT; x++) {
		if (!a->ext_id[x] || (x == HDMIRTC_SDP_EXT_TRANSPORT_CC && !transport_cc))
			continue;
		/* An extension offered recvonly is answered sendonly (RFC 8285 6). */
		g_string_append_printf(s, "a=extmap:%u%s %s\r\n", a->ext_id[x],
		                       a->ext_direction[x] == HDMIRTC_SDP_DIRECTION_RECVONLY ? "/sendonly" : "",
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

/* From the m= line to the codec lines.  Every accepted section repeats the
 * transport lines: aiortc refuses a bundled section without them. */
static void append_head(GString *s, const AcceptedSection *a, const AnswerCommon *c)
{
	const HdmirtcSdpMedia *m = a->media;
	const HdmirtcSdpLocalParams *p = c->p;

	g_string_append_printf(s, "m=%s 9 %s %u\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto, a->payload_type);
	g_string_append_printf(s, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n",
	                       p->ice_ufrag, p->ice_pwd);
	g_string_append_printf(s, "a=fingerprint:%s\r\na=setup:%s\r\n", p->fingerprint, c->setup);
	if (m->mid)
		g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
	append_extensions(s, a, p->transport_cc);
	/* One msid stream for both tracks: browsers play the tracks of one
	 * stream in sync. */
	g_string_append_printf(s, "a=sendonly\r\na=msid:%s %s\r\na=rtcp-mux\r\n", p->stream_id, a->track_id);
	if (m->rtcp_rsize)
		g_string_append(s, "a=rtcp-rsize\r\n");
}

/* After the codec lines.  The candidates go only into the answerer-tagged
 * section (RFC 8843 7.3.1, RFC 8829 5.3.1): the others share its transport. */
static void append_tail(GString *s, const AcceptedSection *a, const AnswerCommon *c)
{
	const HdmirtcSdpLocalParams *p = c->p;

	g_string_append_printf(s, "a=ssrc:%u cname:%s\r\na=ssrc:%u msid:%s %s\r\n",
	                       a->ssrc, p->cname, a->ssrc, p->stream_id, a->track_id);
	if (a->media != c->tagged)
		return;
	for (guint i = 0; p->candidates && p->candidates[i]; i++)
		g_string_append_printf(s, "a=%s\r\n", hdmirtc_sdp_candidate_value(p->candidates[i]));
	if (p->gathering_complete)
		g_string_append(s, "a=end-of-candidates\r\n");
}

static void append_video(GString *s, const HdmirtcSdpVideoChoice *v, const AnswerCommon *c)
{
	const AcceptedSection a = { v->media, v->payload_type, v->ext_id, v->ext_direction,
	                            c->p->ssrc, c->p->track_id };

	append_head(s, &a, c);
	append_codec(s, v, c->p->transport_cc);
	append_tail(s, &a, c);
}

/* RFC 7587 7: sprop-stereo says the stream may be stereo; Chromium also
 * wants stereo=1 before it decodes in stereo.  minptime 10 and in-band FEC
 * are what hdmirtc's encoder does at most and always. */
static void append_audio(GString *s, const HdmirtcSdpAudioChoice *au, const AnswerCommon *c)
{
	const AcceptedSection a = { au->media, au->payload_type, au->ext_id, au->ext_direction,
	                            c->p->audio_ssrc, c->p->audio_track_id };
	guint pt = au->payload_type;

	append_head(s, &a, c);
	g_string_append_printf(s, "a=rtpmap:%u opus/48000/2\r\n"
	                       "a=fmtp:%u minptime=10;useinbandfec=1;sprop-stereo=1;stereo=1\r\n", pt, pt);
	append_tail(s, &a, c);
}

/* The accepted sections in the order of the BUNDLE group that holds the
 * video, so the first is the answerer-tagged one (RFC 8843 7.3.1: the
 * offerer-tagged one if accepted); just the video when audio is NULL or the
 * video is in no group.  Returns how many (1 or 2). */
static guint bundle_order(const HdmirtcSdpOffer *offer, const HdmirtcSdpVideoChoice *v,
                          const HdmirtcSdpAudioChoice *a, const HdmirtcSdpMedia *out[2])
{
	const char *const *group = hdmirtc_sdp_bundle_group_of(offer, v->media->mid);
	guint n = 0;

	out[0] = v->media;
	if (!a || !group)
		return 1;
	/* the group holds the video's mid, and choose_opus took the audio from it */
	for (guint i = 0; group[i] && n < 2; i++) {
		const HdmirtcSdpMedia *m = g_strcmp0(group[i], v->media->mid) == 0 ? v->media :
		                           g_strcmp0(group[i], a->media->mid) == 0 ? a->media : NULL;

		if (m && (n == 0 || out[0] != m))     /* a mid may be listed twice */
			out[n++] = m;
	}
	return n;
}

const char *hdmirtc_sdp_answer_tagged_mid(const HdmirtcSdpOffer *offer, const HdmirtcSdpVideoChoice *video,
                                          const HdmirtcSdpAudioChoice *audio)
{
	const HdmirtcSdpMedia *order[2];

	g_return_val_if_fail(offer && video && video->media, NULL);
	g_return_val_if_fail(!audio || audio->media, NULL);
	bundle_order(offer, video, audio, order);
	return order[0]->mid;
}

static void append_bundle(GString *s, const HdmirtcSdpOffer *offer, const HdmirtcSdpVideoChoice *v,
                          const HdmirtcSdpAudioChoice *a)
{
	const HdmirtcSdpMedia *order[2];
	guint n = bundle_order(offer, v, a, order);

	if (!hdmirtc_sdp_bundle_group_of(offer, v->media->mid))
		return;
	g_string_append(s, "a=group:BUNDLE");
	for (guint i = 0; i < n; i++)
		g_string_append_printf(s, " %s", order[i]->mid);
	g_string_append(s, "\r\n");
}

static gboolean params_valid(const HdmirtcSdpLocalParams *params, GError **error)
{
	const char *problem = hdmirtc_sdp_local_params_problem(params);

	if (problem)
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_PARAMS, "answer parameters: %s", problem);
	return problem == NULL;
}

char *hdmirtc_sdp_answer_build(const HdmirtcSdpOffer *offer, const HdmirtcSdpLocalParams *params,
                               GError **error)
{
	HdmirtcSdpVideoChoice video;
	HdmirtcSdpAudioChoice audio;
	const HdmirtcSdpAudioChoice *a = NULL;
	const HdmirtcSdpMedia *order[2];
	AnswerCommon common = { .p = params };
	GString *s;

	g_return_val_if_fail(offer && params, NULL);
	if (!params_valid(params, error) || !hdmirtc_sdp_offer_choose_h264(offer, &video, error))
		return NULL;
	if (params->audio_ssrc && hdmirtc_sdp_offer_choose_opus(offer, &video, &audio, NULL))
		a = &audio;
	bundle_order(offer, &video, a, order);
	common.tagged = order[0];
	common.setup = hdmirtc_sdp_dtls_is_server(video.media->setup, params->prefer_dtls_server) ?
	               "passive" : "active";
	s = g_string_sized_new(4096);
	g_string_append_printf(s, "v=0\r\no=- %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN IP4 0.0.0.0\r\n"
	                       "s=-\r\nt=0 0\r\n", params->session_id, params->session_version);
	append_bundle(s, offer, &video, a);
	g_string_append_printf(s, "a=msid-semantic: WMS %s\r\n", params->stream_id);
	for (guint i = 0; i < offer->media->len; i++) {
		if (i == video.media_index)
			append_video(s, &video, &common);
		else if (a && i == a->media_index)
			append_audio(s, a, &common);
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
	g_string_append_printf(s, "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\n", p->audio ? "audio" : "video",
	                       p->payload_type);
	if (p->mid)
		g_string_append_printf(s, "a=mid:%s\r\n", p->mid);
	for (guint i = 0; p->candidates && p->candidates[i]; i++)
		g_string_append_printf(s, "a=%s\r\n", hdmirtc_sdp_candidate_value(p->candidates[i]));
	if (p->gathering_complete)
		g_string_append(s, "a=end-of-candidates\r\n");
	return g_string_free(s, FALSE);
}
