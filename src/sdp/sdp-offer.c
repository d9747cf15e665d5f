/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The service as offerer, for WHIP (RFC 9725): one fixed offer of what
 * hdmirtc sends (RFC 8829 5.2: every section sendonly, BUNDLEd, actpass),
 * and the reading of the answer an ingest server gives back (RFC 3264 6:
 * the answerer keeps or rejects each section, and picks among the payload
 * types and extensions offered). */
#include "sdp-private.h"

#include <string.h>

#define VIDEO_MID "0"
#define AUDIO_MID "1"
#define STREAM_TRACK_VIDEO "video"
#define STREAM_TRACK_AUDIO "audio"

/* Extension ids of the offer: what an ingest server can use of ours. */
static const guint offer_ext_ids[HDMIRTC_SDP_EXT_COUNT] = {
	[HDMIRTC_SDP_EXT_MID] = 1,
	[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME] = 2,
};

static void append_section_head(GString *s, const HdmirtcSdpLocalParams *p, const char *media, guint pt,
                                const char *mid, const char *track)
{
	g_string_append_printf(s, "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\n", media, pt);
	g_string_append_printf(s, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ice_ufrag, p->ice_pwd);
	g_string_append_printf(s, "a=fingerprint:%s\r\na=setup:actpass\r\na=mid:%s\r\n", p->fingerprint, mid);
	for (guint x = 0; x < HDMIRTC_SDP_EXT_COUNT; x++)
		if (offer_ext_ids[x])
			g_string_append_printf(s, "a=extmap:%u %s\r\n", offer_ext_ids[x], hdmirtc_sdp_ext_uri(x));
	g_string_append_printf(s, "a=sendonly\r\na=msid:%s %s\r\na=rtcp-mux\r\na=rtcp-rsize\r\n",
	                       p->stream_id, track);
}

static void append_ssrc(GString *s, const HdmirtcSdpLocalParams *p, guint32 ssrc, const char *track)
{
	g_string_append_printf(s, "a=ssrc:%u cname:%s\r\na=ssrc:%u msid:%s %s\r\n", ssrc, p->cname, ssrc,
	                       p->stream_id, track);
}

char *hdmirtc_sdp_offer_build(const HdmirtcSdpLocalParams *p, GError **error)
{
	const char *problem;
	GString *s;
	guint v = HDMIRTC_SDP_OFFER_VIDEO_PT, a = HDMIRTC_SDP_OFFER_AUDIO_PT;

	g_return_val_if_fail(p, NULL);
	if ((problem = hdmirtc_sdp_local_params_problem(p))) {
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_PARAMS, "offer parameters: %s", problem);
		return NULL;
	}
	s = g_string_sized_new(4096);
	g_string_append_printf(s, "v=0\r\no=- %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN IP4 0.0.0.0\r\n"
	                       "s=-\r\nt=0 0\r\n", p->session_id, p->session_version);
	g_string_append(s, p->audio_ssrc ? "a=group:BUNDLE " VIDEO_MID " " AUDIO_MID "\r\n" :
	                                   "a=group:BUNDLE " VIDEO_MID "\r\n");
	g_string_append_printf(s, "a=msid-semantic: WMS %s\r\n", p->stream_id);

	append_section_head(s, p, "video", v, VIDEO_MID, p->track_id);
	/* Constrained baseline 3.1, as browsers offer it: decoders of any
	 * level take the stream (level-asymmetry-allowed). */
	g_string_append_printf(s, "a=rtpmap:%u H264/90000\r\na=rtcp-fb:%u ccm fir\r\na=rtcp-fb:%u nack\r\n"
	                       "a=rtcp-fb:%u nack pli\r\n"
	                       "a=fmtp:%u level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n",
	                       v, v, v, v, v);
	append_ssrc(s, p, p->ssrc, p->track_id);
	/* The first section of the group carries the candidates (RFC 8843
	 * 7.2: the offerer-tagged one). */
	for (guint i = 0; p->candidates && p->candidates[i]; i++)
		g_string_append_printf(s, "a=%s\r\n", hdmirtc_sdp_candidate_value(p->candidates[i]));
	if (p->gathering_complete)
		g_string_append(s, "a=end-of-candidates\r\n");

	if (p->audio_ssrc) {
		append_section_head(s, p, "audio", a, AUDIO_MID, p->audio_track_id);
		g_string_append_printf(s, "a=rtpmap:%u opus/48000/2\r\n"
		                       "a=fmtp:%u minptime=10;useinbandfec=1;sprop-stereo=1;stereo=1\r\n", a, a);
		append_ssrc(s, p, p->audio_ssrc, p->audio_track_id);
	}
	return g_string_free(s, FALSE);
}

/* ---- the answer ---- */

static const HdmirtcSdpMedia *find_section(const HdmirtcSdpOffer *answer, const char *mid, guint *index)
{
	for (guint i = 0; i < answer->media->len; i++) {
		const HdmirtcSdpMedia *m = answer->media->pdata[i];

		if (m->mid && strcmp(m->mid, mid) == 0) {
			*index = i;
			return m;
		}
	}
	return NULL;
}

static gboolean accepted(const HdmirtcSdpMedia *m)
{
	return (m->port != 0 || m->bundle_only) && strcmp(m->proto, "UDP/TLS/RTP/SAVPF") == 0 &&
	       (m->direction == HDMIRTC_SDP_DIRECTION_RECVONLY || m->direction == HDMIRTC_SDP_DIRECTION_SENDRECV);
}

/* Why section m cannot be what the answer accepts of ours, or NULL.  A
 * bundled section other than the tagged one need not repeat the transport
 * (RFC 8843 7.3.1). */
static const char *section_problem(const HdmirtcSdpMedia *m, const char *media, guint pt,
                                   gboolean transport)
{
	const char *why;

	if (strcmp(m->media, media) != 0)
		return "the answer changed the section's media type";
	if (!accepted(m))
		return "rejected (port 0, or not recvonly/sendrecv UDP/TLS/RTP/SAVPF)";
	if (!hdmirtc_sdp_media_find_payload(m, pt))
		return "the offered payload type is not in the answer";
	if (transport && (why = hdmirtc_sdp_transport_problem(m)))
		return why;
	/* RFC 5763 5: the answer takes a side. */
	if (m->setup == HDMIRTC_SDP_SETUP_ACTPASS)
		return "a=setup:actpass in an answer";
	return NULL;
}

static gboolean read_video(const HdmirtcSdpOffer *answer, HdmirtcSdpVideoChoice *video, GError **error)
{
	guint index;
	const HdmirtcSdpMedia *m = find_section(answer, VIDEO_MID, &index);
	const HdmirtcSdpPayload *pl;
	const char *why;

	if (!m) {
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_NO_VIDEO,
		            "the answer has no section with mid " VIDEO_MID " (the video)");
		return FALSE;
	}
	if ((why = section_problem(m, "video", HDMIRTC_SDP_OFFER_VIDEO_PT, TRUE))) {
		g_set_error(error, HDMIRTC_SDP_ERROR,
		            hdmirtc_sdp_media_find_payload(m, HDMIRTC_SDP_OFFER_VIDEO_PT) || !accepted(m) ?
		            HDMIRTC_SDP_ERROR_INVALID : HDMIRTC_SDP_ERROR_NO_CODEC,
		            "line %u: video section: %s", m->line, why);
		return FALSE;
	}
	pl = hdmirtc_sdp_media_find_payload(m, HDMIRTC_SDP_OFFER_VIDEO_PT);
	video->media_index = index;
	video->media = m;
	video->payload_type = HDMIRTC_SDP_OFFER_VIDEO_PT;
	g_strlcpy(video->profile_level_id, "42e01f", sizeof(video->profile_level_id));
	video->feedback = pl->feedback;
	hdmirtc_sdp_fill_extensions(m, (1u << HDMIRTC_SDP_EXT_MID) | (1u << HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME),
	                            video->ext_id, video->ext_direction);
	return TRUE;
}

static const char *read_audio(const HdmirtcSdpOffer *answer, HdmirtcSdpAudioChoice *audio)
{
	guint index;
	const HdmirtcSdpMedia *m = find_section(answer, AUDIO_MID, &index);
	const char *const *group = hdmirtc_sdp_bundle_group_of(answer, VIDEO_MID);
	const char *why;

	if (!m)
		return "the answer has no audio section";
	if ((why = section_problem(m, "audio", HDMIRTC_SDP_OFFER_AUDIO_PT, FALSE)))
		return why;
	if (!group || !g_strv_contains(group, AUDIO_MID))
		return "audio is not bundled with video";
	audio->media_index = index;
	audio->media = m;
	audio->payload_type = HDMIRTC_SDP_OFFER_AUDIO_PT;
	hdmirtc_sdp_fill_extensions(m, (1u << HDMIRTC_SDP_EXT_MID) | (1u << HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME),
	                            audio->ext_id, audio->ext_direction);
	return NULL;
}

gboolean hdmirtc_sdp_answer_read(const HdmirtcSdpOffer *answer, HdmirtcSdpVideoChoice *video,
                                 HdmirtcSdpAudioChoice *audio, gboolean *has_audio,
                                 const char **why_not, GError **error)
{
	const char *why;

	g_return_val_if_fail(answer && video && audio && has_audio, FALSE);
	memset(video, 0, sizeof(*video));
	memset(audio, 0, sizeof(*audio));
	*has_audio = FALSE;
	if (!read_video(answer, video, error))
		return FALSE;
	why = read_audio(answer, audio);
	*has_audio = why == NULL;
	if (why_not)
		*why_not = why;
	return TRUE;
}
