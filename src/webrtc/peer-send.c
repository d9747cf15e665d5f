/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One viewer's copy of a frame: each packet written into a batch slot
 * (the one copy of its payload for this viewer), protected in place,
 * then the batch handed to the ICE transport in one call (sendmmsg and
 * UDP GSO on a plain UDP pair).  Packets are batched in runs of up to
 * HDMIRTC_PEER_BATCH_PACKETS, so the scratch space stays small and
 * shared, whatever the size of a keyframe. */
#include <errno.h>

#include "peer-private.h"

struct HdmirtcPeerBatch {
	GOutputVector vec[HDMIRTC_PEER_BATCH_PACKETS];
	guint8 slot[HDMIRTC_PEER_BATCH_PACKETS][PEER_MAX_DATAGRAM];
};

G_STATIC_ASSERT(HDMIRTC_PEER_BATCH_PACKETS <= HDMIRTC_ICE_BATCH_MAX);

HdmirtcPeerBatch *hdmirtc_peer_batch_new(void)
{
	return g_new(HdmirtcPeerBatch, 1);
}

void hdmirtc_peer_batch_free(HdmirtcPeerBatch *batch)
{
	g_free(batch);
}

static void fill_header(HdmirtcPeer *peer, HdmirtcRtpHeader *hdr, const HdmirtcAccessUnit *au)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->payload_type = peer->payload_type;
	hdr->ssrc = peer->ssrc;
	hdr->timestamp = hdmirtc_rtp_timestamp_90khz(au->capture_mono_us, peer->ts_offset);
	hdr->mid_id = peer->mid_ext_id;
	g_strlcpy(hdr->mid, peer->mid, sizeof(hdr->mid));
	hdr->playout_delay_id = peer->playout_delay_ext_id;
	hdr->abs_capture_ntp = hdmirtc_ntp_from_wall_us(au->capture_wall_us);
}

/* The header of packet index of the frame, whose first packet has
 * sequence number seq0. */
static void set_packet_header(HdmirtcPeer *peer, HdmirtcRtpHeader *hdr, guint index, guint16 seq0)
{
	/* Capture time on the first packet of each frame is enough for the
	 * receiver (abs-capture-time spec). */
	hdr->abs_capture_time_id = index == 0 ? peer->abs_capture_time_ext_id : 0;
	hdr->seq = (guint16)(seq0 + index);
}

/* Ends the frame early: the viewer gets no more of it and waits for an IDR
 * rather than decoding a broken picture. */
static void drop_rest_of_frame(HdmirtcPeer *peer, int err)
{
	peer->stats.frames_dropped++;
	if (err != -EAGAIN)
		peer->stats.send_errors++;
	if (!peer->waiting_keyframe) {
		peer->waiting_keyframe = TRUE;
		peer->keyframe_request = err == -EAGAIN ? "send buffer full" : "send error";
	}
}

/* Writes and protects packets first.. of list into the batch, as many as
 * fit.  Returns how many are ready; *err is the error of the packet after
 * them, 0 when the run simply ended. */
static guint fill_batch(HdmirtcPeer *peer, HdmirtcRtpPacketList *list, guint first, guint n,
                        guint16 seq0, HdmirtcRtpHeader *hdr, HdmirtcPeerBatch *batch, int *err)
{
	guint k;

	*err = 0;
	for (k = 0; k < HDMIRTC_PEER_BATCH_PACKETS && first + k < n; k++) {
		guint8 *slot = batch->slot[k];

		set_packet_header(peer, hdr, first + k, seq0);
		gssize len = hdmirtc_rtp_packet_list_write(list, first + k, hdr, slot,
							   PEER_MAX_DATAGRAM - HDMIRTC_SRTP_MAX_OVERHEAD);
		if (len < 0) {
			*err = (int)len;
			break;
		}
		peer->stats.bytes_copied += hdmirtc_rtp_packet_list_get_payload_size(list, first + k);
		gsize plen = (gsize)len;
		*err = hdmirtc_srtp_session_protect_rtp(peer->srtp, slot, &plen, PEER_MAX_DATAGRAM);
		if (*err < 0)
			break;
		batch->vec[k] = (GOutputVector){ .buffer = slot, .size = plen };
	}
	return k;
}

/* Keeps packet index for NACKs, as sent at now. */
static void keep_for_retransmission(HdmirtcPeer *peer, HdmirtcRtpPacketList *list, guint index,
                                    guint16 seq0, HdmirtcRtpHeader *hdr, gint64 now)
{
	set_packet_header(peer, hdr, index, seq0);
	hdmirtc_rtp_history_add(peer->history, list, index, hdr, now);
}

static void account_sent(HdmirtcPeer *peer, HdmirtcRtpPacketList *list, guint first, guint count,
                         guint16 seq0, HdmirtcRtpHeader *hdr, gint64 now)
{
	for (guint i = first; i < first + count; i++) {
		keep_for_retransmission(peer, list, i, seq0, hdr, now);
		peer->stats.packets_sent++;
		peer->stats.payload_bytes_sent += hdmirtc_rtp_packet_list_get_payload_size(list, i);
	}
}

/* Sends the whole frame; FALSE when it stopped early (dropped).  A packet
 * that could not be written, protected or sent still takes its sequence
 * number (the viewer sees one gap, as a lost packet), and is kept for
 * retransmission when it was ready to go; the packets after it are never
 * numbered, so the next frame follows on. */
static gboolean send_all(HdmirtcPeer *peer, HdmirtcRtpPacketList *list, HdmirtcPeerBatch *batch,
                         gint64 *first_send_us)
{
	guint n = hdmirtc_rtp_packet_list_get_n_packets(list);
	guint16 seq0 = peer->next_seq;
	HdmirtcRtpHeader hdr;

	fill_header(peer, &hdr, hdmirtc_rtp_packet_list_get_access_unit(list));
	for (guint first = 0; first < n;) {
		int err;
		guint ready = fill_batch(peer, list, first, n, seq0, &hdr, batch, &err);
		gint64 now = g_get_monotonic_time();
		int sent = ready ? hdmirtc_ice_transport_send_batch(peer->ice, batch->vec, ready) : 0;
		guint ok = sent > 0 ? (guint)sent : 0;

		account_sent(peer, list, first, ok, seq0, &hdr, now);
		if (ok && first == 0)
			*first_send_us = now;
		if (ok < ready) {
			/* The socket took only part of the batch. */
			keep_for_retransmission(peer, list, first + ok, seq0, &hdr, now);
			err = sent < 0 ? sent : -EAGAIN;
		}
		first += ok;
		if (err < 0) {
			peer->next_seq = (guint16)(seq0 + first + 1);
			drop_rest_of_frame(peer, err);
			return FALSE;
		}
	}
	peer->next_seq = (guint16)(seq0 + n);
	return TRUE;
}

gboolean hdmirtc_peer_prepare_send_off_thread(HdmirtcPeer *peer)
{
	return peer->state == HDMIRTC_PEER_STATE_STREAMING &&
	       hdmirtc_ice_transport_prepare_direct_send(peer->ice);
}

void hdmirtc_peer_end_frame(HdmirtcPeer *peer)
{
	const char *reason = peer->keyframe_request;

	if (!reason)
		return;
	peer->keyframe_request = NULL;
	peer->callbacks.request_keyframe(peer, reason, FALSE, peer->user_data);
}

gint64 hdmirtc_peer_send_frame(HdmirtcPeer *peer, HdmirtcRtpPacketList *list,
                               HdmirtcPeerBatch *batch)
{
	HdmirtcAccessUnit *au = hdmirtc_rtp_packet_list_get_access_unit(list);
	gint64 first_send_us = 0;
	gboolean cut;

	if (peer->state != HDMIRTC_PEER_STATE_STREAMING)
		return 0;
	if (!hdmirtc_picture_parts_admit(&peer->parts, au, &cut))
		return 0;
	if (cut && !peer->waiting_keyframe) {
		peer->waiting_keyframe = TRUE;
		peer->keyframe_request = "a picture was cut short";
	}
	if (peer->waiting_keyframe && !hdmirtc_rtp_packet_list_is_keyframe(list)) {
		peer->stats.frames_skipped++;
		return 0;
	}
	peer->waiting_keyframe = FALSE;
	if (!send_all(peer, list, batch, &first_send_us))
		return first_send_us;
	hdmirtc_picture_parts_sent(&peer->parts, au);
	if (au->part == HDMIRTC_AU_FIRST)
		return first_send_us;
	peer->stats.frames_sent++;
	peer->stats.last_frame_capture_to_last_send_us = g_get_monotonic_time() - au->capture_mono_us;
	return first_send_us;
}
