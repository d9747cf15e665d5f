/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "peer-private.h"

static void add_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

void hdmirtc_peer_add_status(HdmirtcPeer *peer, JsonBuilder *b)
{
	static const char *const states[] = { "connecting", "streaming", "closed" };
	const HdmirtcPeerStats *s = &peer->stats;
	g_autofree char *pair = hdmirtc_ice_transport_describe_pair(peer->ice);
	HdmirtcRtpHistoryStats hs;

	hdmirtc_rtp_history_get_stats(peer->history, &hs);
	json_builder_begin_object(b);
	add_string(b, "id", peer->id);
	add_string(b, "state", states[peer->state]);
	add_int(b, "age_ms", (g_get_monotonic_time() - peer->created_us) / 1000);
	add_string(b, "ice_pair", pair);
	add_string(b, "dtls", hdmirtc_dtls_state_to_string(hdmirtc_dtls_get_state(peer->dtls)));
	add_string(b, "srtp", peer->srtp ?
		   hdmirtc_srtp_profile_to_string(hdmirtc_srtp_session_get_profile(peer->srtp)) : NULL);
	add_int(b, "payload_type", peer->payload_type);
	json_builder_set_member_name(b, "extensions");
	json_builder_begin_object(b);
	add_int(b, "mid", peer->mid_ext_id);
	add_int(b, "abs_capture_time", peer->abs_capture_time_ext_id);
	add_int(b, "playout_delay", peer->playout_delay_ext_id);
	json_builder_end_object(b);
	add_int(b, "ssrc", peer->ssrc);
	add_int(b, "frames_sent", (gint64)s->frames_sent);
	add_int(b, "frames_skipped", (gint64)s->frames_skipped);
	add_int(b, "frames_dropped", (gint64)s->frames_dropped);
	add_int(b, "packets_sent", (gint64)s->packets_sent);
	add_int(b, "payload_bytes_sent", (gint64)s->payload_bytes_sent);
	add_int(b, "bytes_copied", (gint64)s->bytes_copied);
	add_int(b, "nack_seqs", (gint64)s->nack_seqs);
	add_int(b, "retransmitted", (gint64)s->retransmitted);
	add_int(b, "retransmit_missed", (gint64)hs.missed);
	add_int(b, "pli", (gint64)s->pli);
	add_int(b, "fir", (gint64)s->fir);
	add_int(b, "rtcp_received", (gint64)s->rtcp_received);
	add_int(b, "rtcp_bad", (gint64)s->rtcp_bad);
	add_int(b, "rtt_us", (gint64)s->rtt_us);
	add_int(b, "fraction_lost", s->fraction_lost);
	add_int(b, "cumulative_lost", s->cumulative_lost);
	add_int(b, "remb_bps", (gint64)s->remb_bps);
	add_int(b, "capture_to_last_send_us", s->last_frame_capture_to_last_send_us);
	json_builder_end_object(b);
}
