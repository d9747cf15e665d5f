/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/json-members.h"
#include "peer-private.h"


void hdmirtc_peer_add_status(HdmirtcPeer *peer, JsonBuilder *b)
{
	static const char *const states[] = { "connecting", "streaming", "closed" };
	const HdmirtcPeerStats *s = &peer->stats;
	g_autofree char *pair = hdmirtc_ice_transport_describe_pair(peer->ice);
	HdmirtcRtpHistoryStats hs;

	hdmirtc_rtp_history_get_stats(peer->history, &hs);
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "id", peer->id);
	hdmirtc_json_add_string(b, "state", states[peer->state]);
	hdmirtc_json_add_int(b, "age_ms", (g_get_monotonic_time() - peer->created_us) / 1000);
	hdmirtc_json_add_string(b, "ice_pair", pair);
	/* Where the WHEP POST came in, and whether that address was gathered
	 * on for this viewer only (it is not among the network's addresses). */
	hdmirtc_json_add_string(b, "arrival_address", peer->arrival_address);
	hdmirtc_json_add_bool(b, "arrival_candidate", hdmirtc_ice_transport_has_arrival_candidate(peer->ice));
	hdmirtc_json_add_string(b, "send_path", hdmirtc_ice_transport_get_send_path(peer->ice));
	hdmirtc_json_add_int(b, "ice_restarts", hdmirtc_ice_transport_get_restarts(peer->ice));
	hdmirtc_json_add_bool(b, "ice_restarting", hdmirtc_ice_transport_is_restarting(peer->ice));
	/* An offerer has no DTLS before the answer names the roles. */
	hdmirtc_json_add_string(b, "dtls", peer->dtls ? hdmirtc_dtls_state_to_string(hdmirtc_dtls_get_state(peer->dtls)) :
				"new");
	hdmirtc_json_add_string(b, "dtls_role", peer->dtls ?
				hdmirtc_dtls_role_to_string(hdmirtc_dtls_get_role(peer->dtls)) : NULL);
	hdmirtc_json_add_string(b, "dtls_cipher", peer->dtls ? hdmirtc_dtls_get_cipher(peer->dtls) : NULL);
	hdmirtc_json_add_string(b, "srtp", peer->srtp ?
		   hdmirtc_srtp_profile_to_string(hdmirtc_srtp_session_get_profile(peer->srtp)) : NULL);
	hdmirtc_json_add_int(b, "payload_type", peer->payload_type);
	json_builder_set_member_name(b, "extensions");
	json_builder_begin_object(b);
	hdmirtc_json_add_int(b, "mid", peer->mid_ext_id);
	hdmirtc_json_add_int(b, "abs_capture_time", peer->abs_capture_time_ext_id);
	hdmirtc_json_add_int(b, "playout_delay", peer->playout_delay_ext_id);
	json_builder_end_object(b);
	hdmirtc_json_add_int(b, "ssrc", peer->ssrc);
	hdmirtc_json_add_int(b, "frames_sent", (gint64)s->frames_sent);
	hdmirtc_json_add_int(b, "frames_skipped", (gint64)s->frames_skipped);
	hdmirtc_json_add_int(b, "frames_dropped", (gint64)s->frames_dropped);
	hdmirtc_json_add_int(b, "packets_sent", (gint64)s->packets_sent);
	hdmirtc_json_add_int(b, "payload_bytes_sent", (gint64)s->payload_bytes_sent);
	hdmirtc_json_add_int(b, "bytes_copied", (gint64)s->bytes_copied);
	hdmirtc_json_add_int(b, "nack_seqs", (gint64)s->nack_seqs);
	hdmirtc_json_add_int(b, "retransmitted", (gint64)s->retransmitted);
	hdmirtc_json_add_int(b, "retransmitted_twice", (gint64)s->retransmitted_twice);
	hdmirtc_json_add_int(b, "retransmit_missed", (gint64)hs.missed);
	hdmirtc_json_add_int(b, "pli", (gint64)s->pli);
	hdmirtc_json_add_int(b, "fir", (gint64)s->fir);
	hdmirtc_json_add_int(b, "rtcp_received", (gint64)s->rtcp_received);
	hdmirtc_json_add_int(b, "rtcp_bad", (gint64)s->rtcp_bad);
	hdmirtc_json_add_int(b, "rtt_us", (gint64)s->rtt_us);
	hdmirtc_json_add_int(b, "fraction_lost", s->fraction_lost);
	hdmirtc_json_add_int(b, "cumulative_lost", s->cumulative_lost);
	hdmirtc_json_add_int(b, "remb_bps", (gint64)s->remb_bps);
	hdmirtc_json_add_int(b, "bitrate_kbps", (gint64)s->bitrate_kbps);
	hdmirtc_json_add_int(b, "nacked_permille", (gint64)s->nacked_permille);
	hdmirtc_json_add_int(b, "capture_to_last_send_us", s->last_frame_capture_to_last_send_us);
	hdmirtc_peer_audio_add_status(peer, b);
	json_builder_end_object(b);
}
