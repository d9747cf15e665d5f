/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pure parts of whep-load: the offer it sends, the answer checks, RTP
 * parsing after SRTP, RFC 7983 demultiplexing and the receiver report. */
#include "whep-load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hdmirtc/sdp.h"

/* One DTLS transport for both sections (BUNDLE): the same ICE credentials,
 * fingerprint and role in each, as browsers write them. */
static void append_transport_setup(GString *s, const WhepLoadOfferParams *p, const char *setup)
{
	g_string_append_printf(s,
		"a=ice-ufrag:%s\r\n"
		"a=ice-pwd:%s\r\n"
		"a=fingerprint:%s\r\n"
		"a=setup:%s\r\n",
		p->ice_ufrag, p->ice_pwd, p->fingerprint, setup);
}

static void append_transport(GString *s, const WhepLoadOfferParams *p)
{
	append_transport_setup(s, p, p->dtls_client ? "active" : "actpass");
}

/* The Opus section as chromium offers it (RFC 7587), less the codecs and
 * extensions hdmirtc never sends.  The mid extension has the video's id:
 * one id per URI in a BUNDLE group (RFC 8843 9.2).  The candidates stay in
 * the video section, which tags the group. */
static void append_audio(GString *s, const WhepLoadOfferParams *p)
{
	g_string_append_printf(s,
		"m=audio 9 UDP/TLS/RTP/SAVPF %d\r\n"
		"c=IN IP4 127.0.0.1\r\n"
		"a=rtcp:9 IN IP4 0.0.0.0\r\n", WHEP_LOAD_AUDIO_PT);
	append_transport(s, p);
	g_string_append_printf(s,
		"a=mid:1\r\n"
		"a=extmap:%d %s\r\n"
		"a=recvonly\r\n"
		"a=rtcp-mux\r\n"
		"a=rtcp-rsize\r\n"
		"a=rtpmap:%d opus/48000/2\r\n"
		"a=fmtp:%d minptime=10;useinbandfec=1\r\n",
		WHEP_LOAD_EXT_MID, hdmirtc_sdp_ext_uri(HDMIRTC_SDP_EXT_MID), WHEP_LOAD_AUDIO_PT, WHEP_LOAD_AUDIO_PT);
}

char *whep_load_offer_build(const WhepLoadOfferParams *p)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s,
		"v=0\r\n"
		"o=- %" G_GUINT64_FORMAT " 2 IN IP4 127.0.0.1\r\n"
		"s=-\r\n"
		"t=0 0\r\n"
		"a=group:BUNDLE 0%s\r\n"
		"a=msid-semantic: WMS\r\n"
		"m=video 9 UDP/TLS/RTP/SAVPF %d\r\n"
		"c=IN IP4 127.0.0.1\r\n"
		"a=rtcp:9 IN IP4 0.0.0.0\r\n", p->session_id, p->audio ? " 1" : "", WHEP_LOAD_PT);
	for (const char *const *c = p->candidates; c && *c; c++)
		g_string_append_printf(s, "%s\r\n", *c);
	append_transport(s, p);
	g_string_append_printf(s,
		"a=mid:0\r\n"
		"a=extmap:%d %s\r\n"
		"a=extmap:%d %s\r\n"
		"a=recvonly\r\n"
		"a=rtcp-mux\r\n"
		"a=rtcp-rsize\r\n"
		"a=rtpmap:%d H264/90000\r\n"
		"a=rtcp-fb:%d nack\r\n"
		"a=rtcp-fb:%d nack pli\r\n"
		"a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
		"a=end-of-candidates\r\n",
		WHEP_LOAD_EXT_ABS_CAPTURE_TIME, hdmirtc_sdp_ext_uri(HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME),
		WHEP_LOAD_EXT_MID, hdmirtc_sdp_ext_uri(HDMIRTC_SDP_EXT_MID),
		WHEP_LOAD_PT, WHEP_LOAD_PT, WHEP_LOAD_PT, WHEP_LOAD_PT);
	if (p->audio)
		append_audio(s, p);
	return g_string_free(s, FALSE);
}

static char *fingerprint_to_string(const guint8 *digest)
{
	GString *s = g_string_new("sha-256 ");

	for (guint i = 0; i < HDMIRTC_DTLS_FINGERPRINT_LEN; i++)
		g_string_append_printf(s, i ? ":%02X" : "%02X", digest[i]);
	return g_string_free(s, FALSE);
}

static const HdmirtcSdpMedia *find_video(const HdmirtcSdpOffer *sdp, guint *index, GError **error)
{
	for (guint i = 0; i < sdp->media->len; i++) {
		const HdmirtcSdpMedia *m = g_ptr_array_index(sdp->media, i);

		if (m->type == HDMIRTC_SDP_MEDIA_VIDEO && m->port != 0) {
			*index = i;
			return m;
		}
	}
	g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_NO_VIDEO, "answer: no accepted video section");
	return NULL;
}

static const char *first_encoding(const HdmirtcSdpMedia *m)
{
	const char *e = g_array_index(m->payloads, HdmirtcSdpPayload, 0).encoding;

	return e ? e : "";
}

static gboolean check_video(const HdmirtcSdpMedia *m, GError **error)
{
	const char *why = NULL;

	if (!m->ice_ufrag || !m->ice_pwd)
		why = "no ICE credentials";
	else if (!m->has_sha256_fingerprint)
		why = "no sha-256 fingerprint";
	else if (m->setup != HDMIRTC_SDP_SETUP_ACTIVE && m->setup != HDMIRTC_SDP_SETUP_PASSIVE)
		why = "a=setup is neither active nor passive";
	else if (!m->rtcp_mux)
		why = "no rtcp-mux";
	else if (m->payloads->len != 1)
		why = "not exactly one payload type";
	else if (g_ascii_strcasecmp(first_encoding(m), "H264") != 0)
		why = "payload type is not H264";
	if (why)
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_INVALID, "answer: %s", why);
	return why == NULL;
}

guint32 whep_load_sdp_section_ssrc(const char *text, gsize len, guint index)
{
	const char *p = text, *end = text + len;
	gint section = -1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		gsize n = (gsize)((nl ? nl : end) - p);

		if (n >= 2 && p[0] == 'm' && p[1] == '=')
			section++;
		else if (section == (gint)index && n > 7 && strncmp(p, "a=ssrc:", 7) == 0) {
			char digits[11] = { 0 };
			guint64 v;

			memcpy(digits, p + 7, MIN(n - 7, sizeof(digits) - 1));
			v = g_ascii_strtoull(digits, NULL, 10);
			return v <= G_MAXUINT32 ? (guint32)v : 0;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static gboolean in_one_bundle(const HdmirtcSdpOffer *sdp, const char *a, const char *b)
{
	for (guint i = 0; a && b && i < sdp->bundle_groups->len; i++) {
		const char *const *group = g_ptr_array_index(sdp->bundle_groups, i);

		if (g_strv_contains(group, a) && g_strv_contains(group, b))
			return TRUE;
	}
	return FALSE;
}

/* hdmirtc answers only these two on audio (no playout-delay, no
 * transport-wide sequence numbers there). */
static gboolean audio_extensions_allowed(const HdmirtcSdpMedia *m)
{
	for (guint i = 0; i < m->extmaps->len; i++) {
		const char *uri = g_array_index(m->extmaps, HdmirtcSdpExtmap, i).uri;

		if (strcmp(uri, hdmirtc_sdp_ext_uri(HDMIRTC_SDP_EXT_MID)) != 0 &&
		    strcmp(uri, hdmirtc_sdp_ext_uri(HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME)) != 0)
			return FALSE;
	}
	return TRUE;
}

/* Why an accepted audio section is not what hdmirtc promises, or NULL. */
static const char *audio_problem(const HdmirtcSdpOffer *sdp, const HdmirtcSdpMedia *video,
                                 const HdmirtcSdpMedia *m)
{
	const HdmirtcSdpPayload *pl;

	if (!in_one_bundle(sdp, video->mid, m->mid))
		return "audio is not in the video's BUNDLE group";
	if (!m->rtcp_mux)
		return "no rtcp-mux on audio";
	if (m->direction != HDMIRTC_SDP_DIRECTION_SENDONLY)
		return "audio is not sendonly";
	if (m->payloads->len != 1)
		return "not exactly one audio payload type";
	pl = &g_array_index(m->payloads, HdmirtcSdpPayload, 0);
	if (g_ascii_strcasecmp(first_encoding(m), "opus") != 0 || pl->clock_rate != 48000 || pl->channels != 2)
		return "audio payload type is not opus/48000/2";
	/* Packets are told apart by payload type (whep-load-session.c). */
	if (pl->pt == g_array_index(video->payloads, HdmirtcSdpPayload, 0).pt)
		return "audio and video share a payload type";
	if (!audio_extensions_allowed(m))
		return "audio extensions other than mid and abs-capture-time";
	return NULL;
}

/* The index of the first accepted audio section, or the number of
 * sections when there is none. */
static guint find_audio(const HdmirtcSdpOffer *sdp)
{
	guint i;

	for (i = 0; i < sdp->media->len; i++) {
		const HdmirtcSdpMedia *m = g_ptr_array_index(sdp->media, i);

		if (m->type == HDMIRTC_SDP_MEDIA_AUDIO && m->port != 0)
			break;
	}
	return i;
}

/* A service with sound off rejects the audio section (port 0): no error,
 * answer->audio_accepted stays FALSE. */
static gboolean take_audio(const char *text, gsize len, const HdmirtcSdpOffer *sdp, guint video_index,
                           WhepLoadAnswer *answer, GError **error)
{
	guint i = find_audio(sdp);
	const HdmirtcSdpMedia *m;
	const char *why;

	if (i == sdp->media->len)
		return TRUE;
	m = g_ptr_array_index(sdp->media, i);
	why = audio_problem(sdp, g_ptr_array_index(sdp->media, video_index), m);
	if (!why) {
		answer->audio_accepted = TRUE;
		answer->audio_payload_type = g_array_index(m->payloads, HdmirtcSdpPayload, 0).pt;
		answer->audio_ssrc = whep_load_sdp_section_ssrc(text, len, i);
		if (answer->audio_ssrc == 0)
			why = "no a=ssrc in the audio section";
		else if (answer->audio_ssrc == whep_load_sdp_section_ssrc(text, len, video_index))
			why = "audio and video share an SSRC";
	}
	if (why)
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_INVALID, "answer: %s", why);
	return why == NULL;
}

gboolean whep_load_answer_parse(const char *text, gsize len, gboolean audio, WhepLoadAnswer *answer,
                                GError **error)
{
	g_autoptr(HdmirtcSdpOffer) sdp = hdmirtc_sdp_offer_parse(text, len, error);
	const HdmirtcSdpMedia *m;
	guint video_index = 0;

	memset(answer, 0, sizeof(*answer));
	if (!sdp)
		return FALSE;
	m = find_video(sdp, &video_index, error);
	if (!m || !check_video(m, error) || (audio && !take_audio(text, len, sdp, video_index, answer, error)))
		return FALSE;
	answer->ice_ufrag = g_strdup(m->ice_ufrag);
	answer->ice_pwd = g_strdup(m->ice_pwd);
	answer->fingerprint = fingerprint_to_string(m->fingerprint_sha256);
	answer->payload_type = g_array_index(m->payloads, HdmirtcSdpPayload, 0).pt;
	answer->setup_passive = m->setup == HDMIRTC_SDP_SETUP_PASSIVE;
	answer->candidates = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < m->candidates->len; i++)
		g_ptr_array_add(answer->candidates,
				g_strconcat("a=", (const char *)g_ptr_array_index(m->candidates, i), NULL));
	return TRUE;
}

void whep_load_answer_clear(WhepLoadAnswer *answer)
{
	g_clear_pointer(&answer->ice_ufrag, g_free);
	g_clear_pointer(&answer->ice_pwd, g_free);
	g_clear_pointer(&answer->fingerprint, g_free);
	g_clear_pointer(&answer->candidates, g_ptr_array_unref);
}

/* ---- Janus's Streaming plugin ---- */

static gboolean janus_fail(GError **error, const char *why)
{
	g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_INVALID, "Janus offer: %s", why);
	return FALSE;
}

/* Accepted or bundle-only: a section Janus means to send on. */
static gboolean section_offered(const HdmirtcSdpMedia *m)
{
	return (m->port != 0 || m->bundle_only) && m->is_rtp && strcmp(m->proto, "UDP/TLS/RTP/SAVPF") == 0 &&
	       (m->direction == HDMIRTC_SDP_DIRECTION_SENDONLY || m->direction == HDMIRTC_SDP_DIRECTION_SENDRECV);
}

static const HdmirtcSdpPayload *find_h264(const HdmirtcSdpMedia *m)
{
	for (guint i = 0; i < m->payloads->len; i++) {
		const HdmirtcSdpPayload *pl = &g_array_index(m->payloads, HdmirtcSdpPayload, i);

		if (pl->encoding && g_ascii_strcasecmp(pl->encoding, "H264") == 0 && pl->clock_rate == 90000 &&
		    pl->packetization_mode == 1)
			return pl;
	}
	return NULL;
}

static const HdmirtcSdpPayload *find_opus(const HdmirtcSdpMedia *m)
{
	for (guint i = 0; i < m->payloads->len; i++) {
		const HdmirtcSdpPayload *pl = &g_array_index(m->payloads, HdmirtcSdpPayload, i);

		if (pl->encoding && g_ascii_strcasecmp(pl->encoding, "opus") == 0 && pl->clock_rate == 48000 &&
		    pl->channels == 2)
			return pl;
	}
	return NULL;
}

/* The first offered section of that type with that codec, or -1. */
static gint find_section(const HdmirtcSdpOffer *sdp, HdmirtcSdpMediaType type)
{
	for (guint i = 0; i < sdp->media->len; i++) {
		const HdmirtcSdpMedia *m = g_ptr_array_index(sdp->media, i);

		if (m->type == type && section_offered(m) &&
		    (type == HDMIRTC_SDP_MEDIA_VIDEO ? find_h264(m) != NULL : find_opus(m) != NULL))
			return (gint)i;
	}
	return -1;
}

/* Why the video section's transport is not one whep-load can answer. */
static const char *janus_transport_problem(const HdmirtcSdpMedia *m)
{
	if (!m->ice_ufrag || !m->ice_pwd)
		return "no ICE credentials";
	if (!m->has_sha256_fingerprint)
		return "no sha-256 fingerprint";
	/* Answered passive (or active with --dtls-client): either works
	 * only against actpass; an active offerer forces passive. */
	if (m->setup != HDMIRTC_SDP_SETUP_ACTPASS && m->setup != HDMIRTC_SDP_SETUP_ACTIVE)
		return "a=setup is neither actpass nor active";
	if (!m->rtcp_mux)
		return "no rtcp-mux on video";
	return NULL;
}

static const char *janus_audio_problem(const HdmirtcSdpOffer *sdp, const HdmirtcSdpMedia *video,
                                       const HdmirtcSdpMedia *audio)
{
	/* One ICE/DTLS transport per session: audio must share it. */
	if (!in_one_bundle(sdp, video->mid, audio->mid))
		return "audio is not in the video's BUNDLE group";
	if (!audio->rtcp_mux)
		return "no rtcp-mux on audio";
	/* Packets are told apart by payload type (whep-load-session.c). */
	if (find_opus(audio)->pt == find_h264(video)->pt)
		return "audio and video share a payload type";
	return NULL;
}

/* Janus writes its (identical) candidates into every section. */
static void take_candidates(const HdmirtcSdpOffer *sdp, WhepLoadJanusOffer *offer)
{
	const HdmirtcSdpMedia *m = g_ptr_array_index(sdp->media, offer->video_index);

	if (m->candidates->len == 0 && offer->audio_index >= 0)
		m = g_ptr_array_index(sdp->media, offer->audio_index);
	offer->candidates = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < m->candidates->len; i++)
		g_ptr_array_add(offer->candidates,
				g_strconcat("a=", (const char *)g_ptr_array_index(m->candidates, i), NULL));
}

gboolean whep_load_janus_offer_parse(const char *text, gsize len, WhepLoadJanusOffer *offer, GError **error)
{
	const HdmirtcSdpMedia *video, *audio = NULL;
	const char *why;
	gint v;

	memset(offer, 0, sizeof(*offer));
	offer->audio_index = -1;
	offer->sdp = hdmirtc_sdp_offer_parse(text, len, error);
	if (!offer->sdp)
		return FALSE;
	v = find_section(offer->sdp, HDMIRTC_SDP_MEDIA_VIDEO);
	if (v < 0) {
		whep_load_janus_offer_clear(offer);
		return janus_fail(error, "no sendonly H.264 section with packetization-mode=1");
	}
	offer->video_index = (guint)v;
	offer->audio_index = find_section(offer->sdp, HDMIRTC_SDP_MEDIA_AUDIO);
	video = g_ptr_array_index(offer->sdp->media, offer->video_index);
	if (offer->audio_index >= 0)
		audio = g_ptr_array_index(offer->sdp->media, offer->audio_index);
	why = janus_transport_problem(video);
	if (!why && audio)
		why = janus_audio_problem(offer->sdp, video, audio);
	if (why) {
		whep_load_janus_offer_clear(offer);
		return janus_fail(error, why);
	}
	take_candidates(offer->sdp, offer);
	if (offer->candidates->len == 0) {
		whep_load_janus_offer_clear(offer);
		return janus_fail(error, "no candidate (nat.full_trickle is not supported)");
	}
	offer->ice_ufrag = g_strdup(video->ice_ufrag);
	offer->ice_pwd = g_strdup(video->ice_pwd);
	offer->fingerprint = fingerprint_to_string(video->fingerprint_sha256);
	offer->payload_type = find_h264(video)->pt;
	offer->video_ssrc = whep_load_sdp_section_ssrc(text, len, offer->video_index);
	if (audio) {
		offer->audio_payload_type = find_opus(audio)->pt;
		offer->audio_ssrc = whep_load_sdp_section_ssrc(text, len, (guint)offer->audio_index);
	}
	return TRUE;
}

void whep_load_janus_offer_clear(WhepLoadJanusOffer *offer)
{
	g_clear_pointer(&offer->sdp, hdmirtc_sdp_offer_free);
	g_clear_pointer(&offer->ice_ufrag, g_free);
	g_clear_pointer(&offer->ice_pwd, g_free);
	g_clear_pointer(&offer->fingerprint, g_free);
	g_clear_pointer(&offer->candidates, g_ptr_array_unref);
}

/* The offered id of an extension in a section, 0 when not offered. */
static guint offered_ext_id(const HdmirtcSdpMedia *m, HdmirtcSdpExt ext)
{
	for (guint i = 0; i < m->extmaps->len; i++) {
		const HdmirtcSdpExtmap *e = &g_array_index(m->extmaps, HdmirtcSdpExtmap, i);

		if (strcmp(e->uri, hdmirtc_sdp_ext_uri(ext)) == 0)
			return e->id;
	}
	return 0;
}

/* A section the answer does not take: its m= line with port 0 (RFC 3264
 * 6), formats as offered. */
static void append_rejected(GString *s, const HdmirtcSdpMedia *m)
{
	g_string_append_printf(s, "m=%s 0 %s", m->media, m->proto);
	for (guint i = 0; i < m->formats->len; i++)
		g_string_append_printf(s, " %s", (const char *)g_ptr_array_index(m->formats, i));
	g_string_append(s, "\r\nc=IN IP4 0.0.0.0\r\n");
	if (m->mid)
		g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
}

/* Only the feedback whep-load could use (it sends none but receiver
 * reports today); no transport-cc, goog-remb or rtx: fewer bytes from
 * Janus per viewer, as a plain viewer would cost. */
static void append_feedback(GString *s, const HdmirtcSdpPayload *pl)
{
	if (pl->feedback & HDMIRTC_SDP_FB_NACK)
		g_string_append_printf(s, "a=rtcp-fb:%u nack\r\n", pl->pt);
	if (pl->feedback & HDMIRTC_SDP_FB_NACK_PLI)
		g_string_append_printf(s, "a=rtcp-fb:%u nack pli\r\n", pl->pt);
	if (pl->feedback & HDMIRTC_SDP_FB_CCM_FIR)
		g_string_append_printf(s, "a=rtcp-fb:%u ccm fir\r\n", pl->pt);
}

/* One accepted section; the first one in offer order carries the
 * candidates (Janus reads a bundle's candidates there). */
static void append_accepted(GString *s, const HdmirtcSdpMedia *m, const HdmirtcSdpPayload *pl,
                            const WhepLoadOfferParams *p, gboolean with_candidates)
{
	guint mid_ext = offered_ext_id(m, HDMIRTC_SDP_EXT_MID);

	g_string_append_printf(s,
		"m=%s 9 UDP/TLS/RTP/SAVPF %u\r\n"
		"c=IN IP4 0.0.0.0\r\n"
		"a=rtcp:9 IN IP4 0.0.0.0\r\n", m->media, pl->pt);
	for (const char *const *c = p->candidates; with_candidates && c && *c; c++)
		g_string_append_printf(s, "%s\r\n", *c);
	append_transport_setup(s, p, p->dtls_client ? "active" : "passive");
	if (m->mid)
		g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
	if (mid_ext)
		g_string_append_printf(s, "a=extmap:%u %s\r\n", mid_ext, hdmirtc_sdp_ext_uri(HDMIRTC_SDP_EXT_MID));
	g_string_append_printf(s, "a=recvonly\r\na=rtcp-mux\r\na=rtpmap:%u %s/%u", pl->pt, pl->encoding,
			       pl->clock_rate);
	if (pl->channels)
		g_string_append_printf(s, "/%u", pl->channels);
	g_string_append(s, "\r\n");
	append_feedback(s, pl);
	if (pl->fmtp)
		g_string_append_printf(s, "a=fmtp:%u %s\r\n", pl->pt, pl->fmtp);
	if (with_candidates)
		g_string_append(s, "a=end-of-candidates\r\n");
}

/* a=group:BUNDLE of the accepted mids, in the order of the offer's group
 * (RFC 8843 7.3.1); nothing when the video has no group. */
static void append_bundle(GString *s, const WhepLoadJanusOffer *offer, gboolean audio)
{
	const HdmirtcSdpMedia *video = g_ptr_array_index(offer->sdp->media, offer->video_index);
	const char *audio_mid = audio ? ((const HdmirtcSdpMedia *)g_ptr_array_index(offer->sdp->media,
											  (guint)offer->audio_index))->mid
				      : NULL;

	for (guint i = 0; video->mid && i < offer->sdp->bundle_groups->len; i++) {
		const char *const *group = g_ptr_array_index(offer->sdp->bundle_groups, i);

		if (!g_strv_contains(group, video->mid))
			continue;
		g_string_append(s, "a=group:BUNDLE");
		for (const char *const *mid = group; *mid; mid++)
			if (strcmp(*mid, video->mid) == 0 || g_strcmp0(*mid, audio_mid) == 0)
				g_string_append_printf(s, " %s", *mid);
		g_string_append(s, "\r\n");
		return;
	}
}

char *whep_load_janus_answer_build(const WhepLoadJanusOffer *offer, const WhepLoadOfferParams *p)
{
	GString *s = g_string_new(NULL);
	gboolean audio = p->audio && offer->audio_index >= 0, candidates_written = FALSE;

	g_string_append_printf(s,
		"v=0\r\n"
		"o=- %" G_GUINT64_FORMAT " 2 IN IP4 127.0.0.1\r\n"
		"s=-\r\n"
		"t=0 0\r\n", p->session_id);
	append_bundle(s, offer, audio);
	g_string_append(s, "a=msid-semantic: WMS\r\n");
	for (guint i = 0; i < offer->sdp->media->len; i++) {
		const HdmirtcSdpMedia *m = g_ptr_array_index(offer->sdp->media, i);
		const HdmirtcSdpPayload *pl = NULL;

		if (i == offer->video_index)
			pl = find_h264(m);
		else if (audio && (gint)i == offer->audio_index)
			pl = find_opus(m);
		if (!pl) {
			append_rejected(s, m);
			continue;
		}
		append_accepted(s, m, pl, p, !candidates_written);
		candidates_written = TRUE;
	}
	return g_string_free(s, FALSE);
}

static JsonObject *member_object(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *member_string(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ?
		json_node_get_string(n) : NULL;
}

static gint64 member_int(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n)
											      : 0;
}

/* An asynchronous plugin request's outcome comes as an event: an error
 * (e.g. 455 no such mountpoint after "watch"), or the offer. */
static void classify_event(JsonObject *o, WhepLoadJanusMessage *msg)
{
	JsonObject *data = member_object(member_object(o, "plugindata"), "data");
	JsonObject *jsep = member_object(o, "jsep");

	if (data && json_object_has_member(data, "error_code")) {
		msg->kind = WHEP_LOAD_JANUS_ERROR;
		msg->text = g_strdup_printf("plugin error %" G_GINT64_FORMAT ": %s", member_int(data, "error_code"),
					    member_string(data, "error") ? member_string(data, "error") : "?");
	} else if (jsep && g_strcmp0(member_string(jsep, "type"), "offer") == 0 && member_string(jsep, "sdp")) {
		msg->kind = WHEP_LOAD_JANUS_OFFER;
		msg->text = g_strdup(member_string(jsep, "sdp"));
	}
}

static WhepLoadJanusMessage *message_from(JsonObject *o)
{
	WhepLoadJanusMessage *msg = g_new0(WhepLoadJanusMessage, 1);
	const char *janus = member_string(o, "janus");
	JsonObject *error = member_object(o, "error");

	msg->janus = g_strdup(janus ? janus : "");
	if (strcmp(msg->janus, "success") == 0) {
		JsonObject *data = member_object(member_object(o, "plugindata"), "data");

		msg->kind = WHEP_LOAD_JANUS_SUCCESS;
		msg->id = member_int(member_object(o, "data"), "id");
		if (data && json_object_has_member(data, "error_code"))
			classify_event(o, msg);
	} else if (strcmp(msg->janus, "error") == 0) {
		msg->kind = WHEP_LOAD_JANUS_ERROR;
		msg->text = g_strdup_printf("Janus error %" G_GINT64_FORMAT ": %s", member_int(error, "code"),
					    member_string(error, "reason") ? member_string(error, "reason") : "?");
	} else if (strcmp(msg->janus, "event") == 0) {
		classify_event(o, msg);
	} else if (strcmp(msg->janus, "hangup") == 0 || strcmp(msg->janus, "detached") == 0 ||
		   strcmp(msg->janus, "timeout") == 0) {
		msg->kind = WHEP_LOAD_JANUS_ENDED;
		msg->text = g_strdup_printf("Janus: %s%s%s", msg->janus, member_string(o, "reason") ? ": " : "",
					    member_string(o, "reason") ? member_string(o, "reason") : "");
	}
	return msg;
}

static void message_free(gpointer p)
{
	WhepLoadJanusMessage *msg = p;

	g_free(msg->janus);
	g_free(msg->text);
	g_free(msg);
}

GPtrArray *whep_load_janus_messages_parse(const char *body, gsize len, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(message_free);
	JsonNode *root;

	if (!json_parser_load_from_data(parser, body, (gssize)len, error))
		return NULL;
	root = json_parser_get_root(parser);
	if (root && JSON_NODE_HOLDS_OBJECT(root)) {
		g_ptr_array_add(out, message_from(json_node_get_object(root)));
		return g_steal_pointer(&out);
	}
	for (guint i = 0; root && JSON_NODE_HOLDS_ARRAY(root) && i < json_array_get_length(json_node_get_array(root));
	     i++) {
		JsonNode *n = json_array_get_element(json_node_get_array(root), i);

		if (!JSON_NODE_HOLDS_OBJECT(n))
			break;
		g_ptr_array_add(out, message_from(json_node_get_object(n)));
	}
	if (!root || !JSON_NODE_HOLDS_ARRAY(root) || out->len != json_array_get_length(json_node_get_array(root))) {
		g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
			    "not a JSON object or an array of objects");
		return NULL;
	}
	return g_steal_pointer(&out);
}

char *whep_load_janus_request_build(const WhepLoadJanusRequest *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	JsonNode *body = NULL;

	if (r->body) {
		body = json_from_string(r->body, NULL);
		if (!body || !JSON_NODE_HOLDS_OBJECT(body)) {
			g_clear_pointer(&body, json_node_unref);
			return NULL;
		}
	}
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "janus", r->verb);
	hdmirtc_json_add_string(b, "transaction", r->transaction);
	if (r->plugin)
		hdmirtc_json_add_string(b, "plugin", r->plugin);
	if (body) {
		json_builder_set_member_name(b, "body");
		json_builder_add_value(b, body);        /* takes it */
	}
	if (r->jsep_type) {
		json_builder_set_member_name(b, "jsep");
		json_builder_begin_object(b);
		hdmirtc_json_add_string(b, "type", r->jsep_type);
		hdmirtc_json_add_string(b, "sdp", r->jsep_sdp);
		json_builder_end_object(b);
	}
	if (r->candidate_completed) {
		json_builder_set_member_name(b, "candidate");
		json_builder_begin_object(b);
		hdmirtc_json_add_bool(b, "completed", TRUE);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

gboolean whep_load_url_host_is_ip(const char *url)
{
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);

	return uri && g_strcmp0(g_uri_get_scheme(uri), "http") == 0 && g_uri_get_host(uri) &&
	       g_hostname_is_ip_address(g_uri_get_host(uri));
}

static guint64 read_be64(const guint8 *p)
{
	guint64 v = 0;

	for (guint i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* RFC 8285 one-byte elements; two-byte (0x100x) blocks are skipped. */
static void parse_extensions(const guint8 *p, gsize len, guint8 abs_id, WhepLoadRtpInfo *info)
{
	gsize i = 0;

	while (i < len) {
		guint8 id = p[i] >> 4, elen = (p[i] & 0x0f) + 1;

		if (p[i] == 0) {        /* padding byte */
			i++;
			continue;
		}
		if (id == 15 || i + 1 + elen > len)
			return;
		if (abs_id && id == abs_id && (elen == 8 || elen == 16)) {
			info->has_abs_capture = TRUE;
			info->abs_capture_ntp = read_be64(p + i + 1);
		}
		i += 1 + elen;
	}
}

int whep_load_rtp_parse(const guint8 *buf, gsize len, guint8 abs_id, WhepLoadRtpInfo *info)
{
	gsize hdr = 12, pad = 0;

	memset(info, 0, sizeof(*info));
	if (len < 12 || (buf[0] >> 6) != 2)
		return -EINVAL;
	hdr += 4 * (buf[0] & 0x0f);
	if (buf[0] & 0x10) {
		gsize ext_len;

		if (len < hdr + 4)
			return -EINVAL;
		ext_len = 4 * (((gsize)buf[hdr + 2] << 8) | buf[hdr + 3]);
		if (len < hdr + 4 + ext_len)
			return -EINVAL;
		if (buf[hdr] == 0xbe && buf[hdr + 1] == 0xde)
			parse_extensions(buf + hdr + 4, ext_len, abs_id, info);
		hdr += 4 + ext_len;
	}
	if (buf[0] & 0x20) {
		if (len <= hdr || buf[len - 1] == 0 || buf[len - 1] > len - hdr)
			return -EINVAL;
		pad = buf[len - 1];
	}
	if (len < hdr + pad)
		return -EINVAL;
	info->marker = buf[1] >> 7;
	info->payload_type = buf[1] & 0x7f;
	info->seq = (guint16)((buf[2] << 8) | buf[3]);
	info->timestamp = ((guint32)buf[4] << 24) | ((guint32)buf[5] << 16) | ((guint32)buf[6] << 8) | buf[7];
	info->ssrc = ((guint32)buf[8] << 24) | ((guint32)buf[9] << 16) | ((guint32)buf[10] << 8) | buf[11];
	info->payload_offset = hdr;
	info->payload_len = len - hdr - pad;
	return 0;
}

gboolean whep_load_audio_step_regular(guint16 prev_seq, guint32 prev_ts, guint16 seq, guint32 ts)
{
	guint16 packets = (guint16)(seq - prev_seq);

	/* 0 or "backwards" (RFC 3550's half range): reordered or repeated */
	if (packets == 0 || packets >= 0x8000)
		return FALSE;
	return (guint32)(ts - prev_ts) == (guint32)packets * WHEP_LOAD_AUDIO_TS_STEP;
}

static const guint8 start_code[4] = { 0, 0, 0, 1 };

/* STAP-A: 16-bit sizes, each followed by a NAL unit; checked whole first
 * so that a bad one appends nothing. */
static int depacketize_stap_a(const guint8 *p, gsize len, GByteArray *out)
{
	gsize off = 1;

	while (off < len) {
		gsize n;

		if (len - off < 2)
			return -EINVAL;
		n = ((gsize)p[off] << 8) | p[off + 1];
		if (n == 0 || n > len - off - 2)
			return -EINVAL;
		off += 2 + n;
	}
	for (off = 1; off < len;) {
		gsize n = ((gsize)p[off] << 8) | p[off + 1];

		g_byte_array_append(out, start_code, sizeof(start_code));
		g_byte_array_append(out, p + off + 2, (guint)n);
		off += 2 + n;
	}
	return len > 1 ? 0 : -EINVAL;
}

int whep_load_h264_depacketize(const guint8 *payload, gsize len, GByteArray *out)
{
	guint8 type;

	if (len < 1 || (payload[0] & 0x80))
		return -EINVAL;
	type = payload[0] & 0x1f;
	if (type >= 1 && type <= 23) {
		g_byte_array_append(out, start_code, sizeof(start_code));
		g_byte_array_append(out, payload, (guint)len);
		return 0;
	}
	if (type == 24)
		return depacketize_stap_a(payload, len, out);
	if (type == 28 && len > 2) {
		if (payload[1] & 0x80) {        /* start: rebuild the NAL header */
			guint8 nal = (payload[0] & 0xe0) | (payload[1] & 0x1f);

			g_byte_array_append(out, start_code, sizeof(start_code));
			g_byte_array_append(out, &nal, 1);
		}
		g_byte_array_append(out, payload + 2, (guint)(len - 2));
		return 0;
	}
	return -EINVAL;
}

WhepLoadPacketKind whep_load_classify(const guint8 *buf, gsize len)
{
	if (len == 0)
		return WHEP_LOAD_PACKET_OTHER;
	if (buf[0] >= 20 && buf[0] <= 63)
		return WHEP_LOAD_PACKET_DTLS;
	if (buf[0] >= 128 && buf[0] <= 191 && len >= 2) {
		/* RFC 5761: RTCP packet types 192..223 (64..95 with the marker bit masked). */
		guint8 pt = buf[1] & 0x7f;

		return pt >= 64 && pt <= 95 ? WHEP_LOAD_PACKET_RTCP : WHEP_LOAD_PACKET_RTP;
	}
	return WHEP_LOAD_PACKET_OTHER;
}

static void write_be32(guint8 *p, guint32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

gssize whep_load_rr_build(const WhepLoadReceiverReport *rr, guint8 *buf, gsize size)
{
	if (size < WHEP_LOAD_RR_SIZE)
		return -ENOSPC;
	buf[0] = 0x81;          /* V=2, one report block */
	buf[1] = 201;
	buf[2] = 0;
	buf[3] = WHEP_LOAD_RR_SIZE / 4 - 1;
	write_be32(buf + 4, rr->sender_ssrc);
	write_be32(buf + 8, rr->media_ssrc);
	write_be32(buf + 12, ((guint32)rr->fraction_lost << 24) | (rr->cumulative_lost & 0xffffff));
	write_be32(buf + 16, rr->ext_highest_seq);
	write_be32(buf + 20, 0);        /* jitter: not computed */
	write_be32(buf + 24, rr->lsr);
	write_be32(buf + 28, rr->dlsr);
	return WHEP_LOAD_RR_SIZE;
}

gboolean whep_load_ip_is_private(const char *ip)
{
	g_autoptr(GInetAddress) a = ip ? g_inet_address_new_from_string(ip) : NULL;

	if (!a)
		return FALSE;
	if (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6)
		return (g_inet_address_to_bytes(a)[0] & 0xfe) == 0xfc;   /* fc00::/7 */
	/* GLib's "site-local" for IPv4 is RFC 1918's three blocks. */
	return g_inet_address_get_is_site_local(a);
}

static gboolean same_ip(const char *a, const char *b)
{
	g_autoptr(GInetAddress) x = a ? g_inet_address_new_from_string(a) : NULL;
	g_autoptr(GInetAddress) y = b ? g_inet_address_new_from_string(b) : NULL;

	return x && y && g_inet_address_equal(x, y);
}

gboolean whep_load_ip_is_peer(const char *ip, const char *peer_address)
{
	return whep_load_ip_is_private(peer_address) && same_ip(ip, peer_address);
}

gboolean whep_load_url_is_allowed(const char *url, const char *peer_address)
{
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	const char *host;

	if (!uri || g_strcmp0(g_uri_get_scheme(uri), "http") != 0)
		return FALSE;
	host = g_uri_get_host(uri);
	return g_strcmp0(host, "127.0.0.1") == 0 || g_strcmp0(host, "::1") == 0 ||
	       whep_load_ip_is_peer(host, peer_address);
}

static int compare_gint64(const void *a, const void *b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return (x > y) - (x < y);
}

void whep_load_json_percentiles(JsonBuilder *b, const char *name, GArray *samples)
{
	guint n = samples->len;
	gint64 *v = (gint64 *)(void *)samples->data;

	json_builder_set_member_name(b, name);
	if (n == 0) {
		json_builder_add_null_value(b);
		return;
	}
	qsort(v, n, sizeof(*v), compare_gint64);
	json_builder_begin_object(b);
	hdmirtc_json_add_int(b, "count", n);
	hdmirtc_json_add_int(b, "median", v[n / 2]);
	hdmirtc_json_add_int(b, "p95", v[MIN(n - 1, n * 95 / 100)]);
	hdmirtc_json_add_int(b, "max", v[n - 1]);
	json_builder_end_object(b);
}
