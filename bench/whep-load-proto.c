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
static void append_transport(GString *s, const WhepLoadOfferParams *p)
{
	g_string_append_printf(s,
		"a=ice-ufrag:%s\r\n"
		"a=ice-pwd:%s\r\n"
		"a=fingerprint:%s\r\n"
		"a=setup:%s\r\n",
		p->ice_ufrag, p->ice_pwd, p->fingerprint, p->dtls_client ? "active" : "actpass");
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

gboolean whep_load_url_is_loopback(const char *url)
{
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	const char *host;

	if (!uri || g_strcmp0(g_uri_get_scheme(uri), "http") != 0)
		return FALSE;
	host = g_uri_get_host(uri);
	return g_strcmp0(host, "127.0.0.1") == 0 || g_strcmp0(host, "::1") == 0;
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
