/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The peer's media: retransmission, RTCP in, SR out (frames go out in
 * peer-send.c). */
#include <errno.h>

#include "hdmirtc/rtcp.h"
#include "hdmirtc/gsource.h"
#include "peer-private.h"

#define SR_INTERVAL_MS 1000

static void request_keyframe(HdmirtcPeer *peer, const char *reason)
{
	peer->callbacks.request_keyframe(peer, reason, FALSE, peer->user_data);
}

/* ---- RTCP in ------------------------------------------------------------ */

/* On a lossy path a lost retransmission costs one more round trip, and
 * then the frame is late enough to count as a freeze.  While the viewer
 * asks for more than this share of the packets again (NACKed per sent,
 * per mille, over the last second), each retransmission goes out twice;
 * the copy it does not need the viewer drops as an SRTP replay.  (RR
 * fraction lost cannot tell: it counts what retransmissions repaired as
 * received.) */
#define DUPLICATE_RTX_NACKED_PERMILLE 30

static void retransmit(HdmirtcPeer *peer, guint16 seq)
{
	gssize len = hdmirtc_rtp_history_retransmit(peer->history, seq, g_get_monotonic_time(),
						    peer->buf,
						    sizeof(peer->buf) - HDMIRTC_SRTP_MAX_OVERHEAD);
	gsize n = len > 0 ? (gsize)len : 0;

	if (len <= 0 || hdmirtc_srtp_session_protect_rtp(peer->srtp, peer->buf, &n, sizeof(peer->buf)) < 0)
		return;
	if (hdmirtc_ice_transport_send(peer->ice, peer->buf, n) > 0)
		peer->stats.retransmitted++;
	if (peer->stats.nacked_permille >= DUPLICATE_RTX_NACKED_PERMILLE &&
	    hdmirtc_ice_transport_send(peer->ice, peer->buf, n) > 0)
		peer->stats.retransmitted_twice++;
}

static void handle_fir(HdmirtcPeer *peer, guint8 seq_nr)
{
	/* A repeated FIR (same sequence number) is a retransmission of the
	 * same request (RFC 5104 4.3.1.1). */
	if (peer->have_fir_seq && peer->last_fir_seq == seq_nr)
		return;
	peer->have_fir_seq = TRUE;
	peer->last_fir_seq = seq_nr;
	peer->stats.fir++;
	request_keyframe(peer, "FIR");
}

static void on_rtcp_event(const HdmirtcRtcpEvent *ev, gpointer user_data)
{
	HdmirtcPeer *peer = user_data;

	if (ev->type != HDMIRTC_RTCP_EVENT_REMB && ev->media_ssrc != peer->ssrc &&
	    ev->type != HDMIRTC_RTCP_EVENT_BYE && ev->type != HDMIRTC_RTCP_EVENT_SENDER_REPORT)
		return;
	peer->remote_ssrc = ev->sender_ssrc;
	switch (ev->type) {
	case HDMIRTC_RTCP_EVENT_REPORT_BLOCK:
		peer->stats.fraction_lost = ev->report.fraction_lost;
		peer->stats.cumulative_lost = ev->report.cumulative_lost;
		peer->stats.jitter = ev->report.jitter;
		if (ev->report.lsr)
			peer->stats.rtt_us = hdmirtc_rtcp_rtt_us(
				hdmirtc_ntp_compact_from_wall_us(g_get_real_time()),
				ev->report.lsr, ev->report.dlsr);
		break;
	case HDMIRTC_RTCP_EVENT_NACK:
		for (guint i = 0; i < ev->nack.n_seqs; i++) {
			peer->stats.nack_seqs++;
			retransmit(peer, ev->nack.seqs[i]);
		}
		break;
	case HDMIRTC_RTCP_EVENT_PLI:
		peer->stats.pli++;
		request_keyframe(peer, "PLI");
		break;
	case HDMIRTC_RTCP_EVENT_FIR:
		handle_fir(peer, ev->fir.seq_nr);
		break;
	case HDMIRTC_RTCP_EVENT_REMB:
		peer->stats.remb_bps = ev->remb.bitrate_bps;
		break;
	case HDMIRTC_RTCP_EVENT_BYE:
		if (ev->media_ssrc == ev->sender_ssrc)
			hdmirtc_peer_close(peer, "the viewer sent RTCP BYE");
		break;
	default:
		break;
	}
}

void hdmirtc_peer_handle_rtp_rtcp(HdmirtcPeer *peer, guint8 *data, gsize len)
{
	/* RTCP packet types 192..223 sit where RTP has marker + PT 64..95,
	 * which WebRTC never uses for media (RFC 5761). */
	if (len < 2 || data[1] < 192 || data[1] > 223 || !peer->srtp)
		return;
	if (hdmirtc_srtp_session_unprotect_rtcp(peer->srtp, data, &len) < 0) {
		peer->stats.rtcp_bad++;
		return;
	}
	peer->last_rx_us = g_get_monotonic_time();
	int ret = hdmirtc_rtcp_parse(data, len, on_rtcp_event, peer, NULL);
	if (ret != HDMIRTC_RTCP_PARSE_OK) {
		if (peer->stats.rtcp_bad++ == 0)
			g_message("viewer %s: bad RTCP: %s", peer->id, hdmirtc_rtcp_parse_error_to_string(ret));
		return;
	}
	peer->stats.rtcp_received++;
}

/* ---- SR out ------------------------------------------------------------- */

/* The send rate and the share of packets NACKed over the last interval. */
static void update_rates(HdmirtcPeer *peer)
{
	gint64 now = g_get_monotonic_time();
	HdmirtcPeerStats *st = &peer->stats;
	guint64 packets = st->packets_sent - peer->rate_packets;

	if (peer->rate_since_us && now > peer->rate_since_us)
		st->bitrate_kbps = (st->payload_bytes_sent - peer->rate_bytes) * 8 * 1000 /
				   (guint64)(now - peer->rate_since_us);
	st->nacked_permille = packets ? (st->nack_seqs - peer->rate_nacks) * 1000 / packets : 0;
	peer->rate_since_us = now;
	peer->rate_bytes = st->payload_bytes_sent;
	peer->rate_packets = st->packets_sent;
	peer->rate_nacks = st->nack_seqs;
}

static gboolean on_sr_timer(gpointer user_data)
{
	HdmirtcPeer *peer = user_data;
	guint8 rtcp[256];
	gint64 now = g_get_monotonic_time();
	HdmirtcRtcpSenderInfo info = {
		.ssrc = peer->ssrc,
		.ntp = hdmirtc_ntp_from_wall_us(g_get_real_time()),
		.rtp_timestamp = hdmirtc_rtp_timestamp_90khz(now, peer->ts_offset),
		.packet_count = (guint32)peer->stats.packets_sent,
		.octet_count = (guint32)peer->stats.payload_bytes_sent,
	};
	gssize len;

	update_rates(peer);
	len = hdmirtc_rtcp_build_sr_sdes(&info, peer->cname, rtcp,
					 sizeof(rtcp) - HDMIRTC_SRTP_MAX_OVERHEAD);
	if (len > 0) {
		gsize n = len;
		if (hdmirtc_srtp_session_protect_rtcp(peer->srtp, rtcp, &n, sizeof(rtcp)) == 0)
			hdmirtc_ice_transport_send(peer->ice, rtcp, n);
	}
	/* The same instant on both clocks: what lip sync is made of. */
	hdmirtc_peer_audio_send_sr(peer, info.ntp, now);
	return G_SOURCE_CONTINUE;
}

void hdmirtc_peer_start_media(HdmirtcPeer *peer)
{
	GSource *timer = g_timeout_source_new(SR_INTERVAL_MS);

	peer->waiting_keyframe = TRUE;
	g_source_set_callback(timer, on_sr_timer, peer, NULL);
	peer->sr_timer = g_source_attach(timer, peer->ctx);
	g_source_unref(timer);
	peer->callbacks.request_keyframe(peer, "new viewer", TRUE, peer->user_data);
}

void hdmirtc_peer_stop_media(HdmirtcPeer *peer)
{
	hdmirtc_source_clear_id(peer->ctx, &peer->sr_timer);
}
