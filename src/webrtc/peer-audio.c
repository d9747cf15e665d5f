/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The viewer's Opus track (RFC 7587): one RTP packet per encoded frame on
 * its own SSRC in the same SRTP session and BUNDLE transport as the video,
 * no retransmission (Opus's in-band FEC covers a lost packet), and a sender
 * report on the same wall clock as the video's so that the browser plays
 * the two in sync. */
#include <string.h>

#include "hdmirtc/json-members.h"
#include "hdmirtc/rtcp.h"
#include "peer-private.h"

#define OPUS_CLOCK_RATE 48000

static guint8 one_byte_ext_id(guint id)
{
	return id <= HDMIRTC_RTP_EXT_MAX_ID ? (guint8)id : 0;
}

void hdmirtc_peer_audio_init(HdmirtcPeer *peer, const HdmirtcPeerConfig *config)
{
	const HdmirtcSdpAudioChoice *choice = config->audio;
	PeerAudio *a = &peer->audio;

	a->why_not = config->audio_why_not;
	if (!choice)
		return;
	a->on = TRUE;
	a->tagged = config->audio_tagged;
	a->mid = g_strdup(choice->media->mid ? choice->media->mid : "");
	a->payload_type = choice->payload_type;
	a->mid_ext_id = strlen(a->mid) <= HDMIRTC_RTP_MID_MAX_LEN ?
		one_byte_ext_id(choice->ext_id[HDMIRTC_SDP_EXT_MID]) : 0;
	a->abs_capture_time_ext_id = one_byte_ext_id(choice->ext_id[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME]);
	/* An offerer has named it already. */
	if (!a->ssrc)
		a->ssrc = g_random_int() | 1;
	if (a->ssrc == peer->ssrc)
		a->ssrc ^= 2;
	a->ts_offset = g_random_int();
	a->next_seq = g_random_int_range(0, 0x8000);
}

void hdmirtc_peer_audio_clear(HdmirtcPeer *peer)
{
	g_clear_pointer(&peer->audio.mid, g_free);
}

/* The 48 kHz RTP clock at monotonic time t, extrapolated from the newest
 * packet (audio is captured continuously, so this is where the next sample
 * will be). */
static guint32 rtp_timestamp_at(const PeerAudio *a, gint64 t)
{
	gint64 since = t - a->last_capture_mono_us;

	return a->ts_offset + (guint32)a->last_sample_pos +
	       (guint32)(since * OPUS_CLOCK_RATE / G_USEC_PER_SEC);
}

void hdmirtc_peer_send_audio(HdmirtcPeer *peer, const HdmirtcAudioPacket *pkt)
{
	PeerAudio *a = &peer->audio;
	HdmirtcRtpHeader hdr = {
		.payload_type = a->payload_type,
		.seq = a->next_seq,
		.timestamp = a->ts_offset + (guint32)pkt->sample_pos,
		.ssrc = a->ssrc,
		.mid_id = a->mid_ext_id,
		.abs_capture_time_id = a->abs_capture_time_ext_id,
		.abs_capture_ntp = hdmirtc_ntp_from_wall_us(pkt->capture_wall_us),
	};
	gssize hlen;
	gsize n;

	if (peer->state != HDMIRTC_PEER_STATE_STREAMING || !a->on)
		return;
	g_strlcpy(hdr.mid, a->mid, sizeof(hdr.mid));
	/* The first packet a viewer gets starts a talkspurt too. */
	hlen = hdmirtc_rtp_header_write(&hdr, pkt->discontinuity || a->packets_sent == 0, peer->buf,
					sizeof(peer->buf));
	if (hlen < 0 || (gsize)hlen + pkt->len + HDMIRTC_SRTP_MAX_OVERHEAD > sizeof(peer->buf)) {
		a->send_errors++;
		return;
	}
	memcpy(peer->buf + hlen, pkt->data, pkt->len);
	n = (gsize)hlen + pkt->len;
	a->next_seq++;
	a->last_capture_mono_us = pkt->capture_mono_us;
	a->last_sample_pos = pkt->sample_pos;
	if (hdmirtc_srtp_session_protect_rtp(peer->srtp, peer->buf, &n, sizeof(peer->buf)) < 0 ||
	    hdmirtc_ice_transport_send(peer->ice, peer->buf, n) <= 0) {
		a->send_errors++;
		return;
	}
	a->packets_sent++;
	a->payload_bytes_sent += pkt->len;
}

void hdmirtc_peer_audio_send_sr(HdmirtcPeer *peer, guint64 ntp, gint64 now_mono_us)
{
	const PeerAudio *a = &peer->audio;
	guint8 rtcp[256];
	HdmirtcRtcpSenderInfo info = {
		.ssrc = a->ssrc,
		.ntp = ntp,
		.rtp_timestamp = rtp_timestamp_at(a, now_mono_us),
		.packet_count = (guint32)a->packets_sent,
		.octet_count = (guint32)a->payload_bytes_sent,
	};
	gssize len;
	gsize n;

	/* Before the first packet the RTP clock has no anchor yet. */
	if (!a->on || a->packets_sent == 0)
		return;
	len = hdmirtc_rtcp_build_sr_sdes(&info, peer->cname, rtcp, sizeof(rtcp) - HDMIRTC_SRTP_MAX_OVERHEAD);
	n = len > 0 ? (gsize)len : 0;
	if (n && hdmirtc_srtp_session_protect_rtcp(peer->srtp, rtcp, &n, sizeof(rtcp)) == 0)
		hdmirtc_ice_transport_send(peer->ice, rtcp, n);
}

void hdmirtc_peer_audio_add_status(HdmirtcPeer *peer, JsonBuilder *b)
{
	const PeerAudio *a = &peer->audio;

	json_builder_set_member_name(b, "audio");
	json_builder_begin_object(b);
	hdmirtc_json_add_bool(b, "on", a->on);
	if (a->on) {
		hdmirtc_json_add_string(b, "mid", a->mid);
		hdmirtc_json_add_int(b, "payload_type", a->payload_type);
		hdmirtc_json_add_int(b, "ssrc", a->ssrc);
		json_builder_set_member_name(b, "extensions");
		json_builder_begin_object(b);
		hdmirtc_json_add_int(b, "mid", a->mid_ext_id);
		hdmirtc_json_add_int(b, "abs_capture_time", a->abs_capture_time_ext_id);
		json_builder_end_object(b);
		hdmirtc_json_add_int(b, "packets_sent", (gint64)a->packets_sent);
		hdmirtc_json_add_int(b, "payload_bytes_sent", (gint64)a->payload_bytes_sent);
		hdmirtc_json_add_int(b, "send_errors", (gint64)a->send_errors);
	} else {
		hdmirtc_json_add_string(b, "why_not", a->why_not);
	}
	json_builder_end_object(b);
}
