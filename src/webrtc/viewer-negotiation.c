/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WHEP negotiation (RFC 9725): an offer becomes a peer and, once its ICE
 * candidates are gathered (or a timeout says enough), an answer; a PATCH
 * fragment trickles candidates or restarts ICE (RFC 8840); DELETE ends the
 * resource. */
#include "hub-private.h"
#include "hdmirtc/gsource.h"

/* A POST waiting for its answer (offer and answered set) or a PATCH
 * waiting for the candidates of its ICE restart (patched set). */
typedef struct {
	HdmirtcWebrtc *w;
	HdmirtcPeer *peer;              /* owned by w->peers */
	HdmirtcSdpOffer *offer;
	HdmirtcViewerAnsweredFunc answered;
	HdmirtcViewerPatchedFunc patched;
	gpointer user_data;
	GSource *timeout;
} PendingAnswer;

static PendingAnswer *find_pending(HdmirtcWebrtc *w, HdmirtcPeer *peer)
{
	for (guint i = 0; i < w->pending_answers->len; i++) {
		PendingAnswer *p = w->pending_answers->pdata[i];
		if (p->peer == peer)
			return p;
	}
	return NULL;
}

static void pending_answer_free(PendingAnswer *p)
{
	hdmirtc_source_clear(&p->timeout);
	hdmirtc_sdp_offer_free(p->offer);
	g_free(p);
}

/* A restart's answer fragment, or error (the viewer keeps its old path). */
static void finish_restart(PendingAnswer *p, const GError *error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *fragment = NULL;

	if (!error && !(fragment = hdmirtc_peer_build_restart_fragment(p->peer, &local)))
		error = local;
	if (error)
		p->patched(NULL, NULL, error, p->user_data);
	else
		p->patched(fragment, hdmirtc_peer_get_etag(p->peer), NULL, p->user_data);
}

/* Calls back with the answer, or with error (then the peer is dropped). */
static void finish_answer(PendingAnswer *p, const GError *error)
{
	HdmirtcWebrtc *w = p->w;
	g_autoptr(GError) local = NULL;
	g_autofree char *answer = NULL;
	g_autofree char *id = g_strdup(hdmirtc_peer_get_id(p->peer));

	g_ptr_array_remove_fast(w->pending_answers, p);
	if (p->patched) {
		finish_restart(p, error);
	} else {
		if (!error && !(answer = hdmirtc_peer_build_answer(p->peer, p->offer, &local)))
			error = local;
		if (error) {
			p->answered(NULL, NULL, NULL, error, p->user_data);
			g_hash_table_remove(w->peers, id);
		} else {
			g_message("viewer %s answered (%u viewers)", id, g_hash_table_size(w->peers));
			p->answered(answer, id, hdmirtc_peer_get_etag(p->peer), NULL, p->user_data);
		}
	}
	pending_answer_free(p);
}

static void finish_answer_closed(PendingAnswer *p, const char *why)
{
	g_autoptr(GError) error = g_error_new(HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_CLOSED,
					      "the viewer session ended before its answer: %s", why);

	finish_answer(p, error);
}

static gboolean on_answer_timeout(gpointer user_data)
{
	PendingAnswer *p = user_data;

	g_message("viewer %s: answering before ICE gathering finished (STUN slow or unreachable)",
		  hdmirtc_peer_get_id(p->peer));
	finish_answer(p, NULL);
	return G_SOURCE_REMOVE;
}

guint hdmirtc_negotiation_gather_wait_ms(const HdmirtcWebrtc *w)
{
	return w->relays->len ? 3000 : 1500;
}

/* Answers at once when the candidates are all known, else when they are
 * or the timeout comes. */
static void wait_for_gathering(HdmirtcWebrtc *w, PendingAnswer *p)
{
	g_ptr_array_add(w->pending_answers, p);
	if (hdmirtc_peer_is_gathering_done(p->peer)) {
		finish_answer(p, NULL);
		return;
	}
	p->timeout = g_timeout_source_new(hdmirtc_negotiation_gather_wait_ms(w));
	g_source_set_callback(p->timeout, on_answer_timeout, p, NULL);
	g_source_attach(p->timeout, w->ctx);
}

static void on_peer_gathering_done(HdmirtcPeer *peer, gpointer user_data)
{
	PendingAnswer *p = find_pending(user_data, peer);

	if (p)
		finish_answer(p, NULL);
}

static const HdmirtcPeerCallbacks peer_callbacks = {
	.request_keyframe = hdmirtc_hub_on_peer_request_keyframe,
	.gathering_done = on_peer_gathering_done,
	.streaming = hdmirtc_hub_on_peer_streaming,
	.closed = hdmirtc_hub_on_peer_closed,
};

static HdmirtcPeer *create_peer(HdmirtcWebrtc *w, const HdmirtcSdpOffer *offer,
                                const char *arrival_address, GError **error)
{
	HdmirtcSdpVideoChoice choice;
	HdmirtcSdpAudioChoice audio;
	HdmirtcPeerConfig config = { .cert = w->cert, .ice = &w->ice,
	                             .prefer_dtls_server = w->prefer_dtls_server,
	                             .arrival_address = arrival_address };
	g_autoptr(GError) local = NULL;
	HdmirtcPeer *peer;

	if (g_hash_table_size(w->peers) >= w->max_viewers) {
		g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_TOO_MANY_VIEWERS,
			    "the viewer limit (%u) is reached", w->max_viewers);
		return NULL;
	}
	if (!hdmirtc_sdp_offer_choose_h264(offer, &choice, error))
		return NULL;
	config.audio_why_not = "the service has no audio";
	if (w->audio && hdmirtc_sdp_offer_choose_opus(offer, &choice, &audio, &config.audio_why_not)) {
		const char *tagged = hdmirtc_sdp_answer_tagged_mid(offer, &choice, &audio);

		config.audio = &audio;
		config.audio_tagged = tagged && audio.media->mid && g_str_equal(tagged, audio.media->mid);
	}
	peer = hdmirtc_peer_new(w->ctx, &config, &choice, &peer_callbacks, w, &local);
	if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) && w->ice.port_max) {
		g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_NETWORK,
			    "no free UDP port in udp-ports %u-%u for this viewer (each viewer takes "
			    "one per address it gathers on): widen the range or lower max-viewers",
			    w->ice.port_min, w->ice.port_max);
		return NULL;
	}
	if (local) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (peer)
		g_message("viewer %s joins: H.264 pt %u profile-level-id %s", hdmirtc_peer_get_id(peer),
			  choice.payload_type, choice.profile_level_id);
	return peer;
}

void hdmirtc_webrtc_add_viewer(HdmirtcWebrtc *w, const char *offer_text, gsize len,
                               const char *arrival_address,
                               HdmirtcViewerAnsweredFunc answered, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	HdmirtcSdpOffer *offer = hdmirtc_sdp_offer_parse(offer_text, len, &error);
	HdmirtcPeer *peer = offer ? create_peer(w, offer, arrival_address, &error) : NULL;

	if (!peer) {
		hdmirtc_sdp_offer_free(offer);
		answered(NULL, NULL, NULL, error, user_data);
		return;
	}
	g_hash_table_insert(w->peers, g_strdup(hdmirtc_peer_get_id(peer)), peer);

	PendingAnswer *p = g_new0(PendingAnswer, 1);
	*p = (PendingAnswer){ .w = w, .peer = peer, .offer = offer, .answered = answered,
			      .user_data = user_data };
	wait_for_gathering(w, p);
}

static HdmirtcPeer *find_peer(HdmirtcWebrtc *w, const char *id, GError **error)
{
	HdmirtcPeer *peer = g_hash_table_lookup(w->peers, id);

	if (!peer || hdmirtc_peer_get_state(peer) == HDMIRTC_PEER_STATE_CLOSED) {
		g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_NOT_FOUND,
			    "no viewer session '%s'", id);
		return NULL;
	}
	return peer;
}

/* WHEP (draft-ietf-wish-whep-03 4.4.1, RFC 9725 4.3.1): a PATCH names the
 * ICE session it is for; without If-Match it is answered 428 (RFC 6585 3),
 * with another session's ETag 412.  "*" is what an ICE restart sends. */
static gboolean check_if_match(HdmirtcPeer *peer, const char *const *if_match, GError **error)
{
	if (!if_match) {
		g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_PRECONDITION_REQUIRED,
			    "a PATCH needs If-Match: the session's ETag, or \"*\" for an ICE restart");
		return FALSE;
	}
	/* RFC 9110 13.1.1: any member of the list may match. */
	for (const char *const *tag = if_match; *tag; tag++) {
		if (g_str_equal(*tag, "*") || g_str_equal(*tag, hdmirtc_peer_get_etag(peer)))
			return TRUE;
	}
	g_autofree char *list = g_strjoinv(", ", (char **)if_match);
	g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_PRECONDITION,
		    "If-Match (%s) does not name the session's ETag", *if_match ? list : "no strong tag");
	return FALSE;
}

static gboolean check_fragment_mid(HdmirtcPeer *peer, const HdmirtcSdpFrag *frag, GError **error)
{
	for (guint i = 0; i < frag->media->len; i++) {
		HdmirtcSdpFragMedia *m = frag->media->pdata[i];

		if (m->mid && !hdmirtc_peer_has_mid(peer, m->mid)) {
			g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_BAD_FRAGMENT,
				    "fragment names mid '%s'; this session streams mid '%s'", m->mid,
				    hdmirtc_peer_get_mid(peer));
			return FALSE;
		}
	}
	return TRUE;
}

static void add_fragment_candidates(HdmirtcPeer *peer, const HdmirtcSdpFrag *frag)
{
	gboolean ended;

	hdmirtc_peer_add_fragment_candidates(peer, frag, &ended);
	if (ended)
		hdmirtc_ice_transport_remote_gathering_done(hdmirtc_peer_get_ice(peer));
}

static gboolean restart_viewer(HdmirtcWebrtc *w, HdmirtcPeer *peer, const HdmirtcSdpFrag *frag,
                               const char *ufrag, const char *pwd,
                               HdmirtcViewerPatchedFunc patched, gpointer user_data, GError **error)
{
	PendingAnswer *p = find_pending(w, peer);

	if (p && !p->patched) {
		g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_PRECONDITION,
			    "the session is not answered yet");
		return FALSE;
	}
	if (p)
		finish_answer_closed(p, "replaced by a newer ICE restart");
	if (!hdmirtc_peer_restart_ice(peer, &w->ice, ufrag, pwd, error))
		return FALSE;
	add_fragment_candidates(peer, frag);
	p = g_new0(PendingAnswer, 1);
	*p = (PendingAnswer){ .w = w, .peer = peer, .patched = patched, .user_data = user_data };
	wait_for_gathering(w, p);
	return TRUE;
}

/* RFC 8840 4.4: a fragment with an ice-ufrag other than the current one
 * is an ICE restart; without one, or with the current one, it trickles. */
static gboolean patch_viewer(HdmirtcWebrtc *w, const char *id, const char *const *if_match,
                             const char *fragment, gsize len, HdmirtcViewerPatchedFunc patched,
                             gpointer user_data, GError **error)
{
	HdmirtcPeer *peer = find_peer(w, id, error);
	const char *ufrag, *pwd;

	if (!peer || !check_if_match(peer, if_match, error))
		return FALSE;
	g_autoptr(HdmirtcSdpFrag) frag = hdmirtc_sdp_frag_parse(fragment, len, error);
	if (!frag || !check_fragment_mid(peer, frag, error))
		return FALSE;
	HdmirtcIceTransport *ice = hdmirtc_peer_get_ice(peer);
	if (hdmirtc_sdp_frag_get_credentials(frag, &ufrag, &pwd)) {
		const char *current = hdmirtc_ice_transport_get_remote_ufrag(ice);

		if (!current || !g_str_equal(current, ufrag))
			return restart_viewer(w, peer, frag, ufrag, pwd, patched, user_data, error);
	}
	add_fragment_candidates(peer, frag);
	patched(NULL, NULL, NULL, user_data);
	return TRUE;
}

void hdmirtc_webrtc_patch_viewer(HdmirtcWebrtc *w, const char *id, const char *const *if_match,
                                 const char *fragment, gsize len,
                                 HdmirtcViewerPatchedFunc patched, gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (!patch_viewer(w, id, if_match, fragment, len, patched, user_data, &error))
		patched(NULL, NULL, error, user_data);
}

gboolean hdmirtc_webrtc_has_viewer(HdmirtcWebrtc *w, const char *id)
{
	return find_peer(w, id, NULL) != NULL;
}

gboolean hdmirtc_webrtc_remove_viewer(HdmirtcWebrtc *w, const char *id, GError **error)
{
	HdmirtcPeer *peer = find_peer(w, id, error);
	PendingAnswer *p = peer ? find_pending(w, peer) : NULL;

	/* A failed answer drops the peer itself; a failed restart does not. */
	gboolean answered = !p || p->patched;

	if (!peer)
		return FALSE;
	if (p)
		finish_answer_closed(p, "DELETE");
	if (answered)
		g_hash_table_remove(w->peers, id);
	hdmirtc_hub_count_listeners(w);
	g_message("viewer %s left (DELETE), %u viewers", id, g_hash_table_size(w->peers));
	return TRUE;
}

void hdmirtc_negotiation_end_closed(HdmirtcWebrtc *w)
{
	for (guint i = w->pending_answers->len; i > 0; i--) {
		PendingAnswer *p = w->pending_answers->pdata[i - 1];

		if (hdmirtc_peer_get_state(p->peer) == HDMIRTC_PEER_STATE_CLOSED)
			finish_answer_closed(p, "the connection failed");
	}
}

void hdmirtc_negotiation_end_all(HdmirtcWebrtc *w, const char *why)
{
	while (w->pending_answers->len)
		finish_answer_closed(w->pending_answers->pdata[0], why);
}
