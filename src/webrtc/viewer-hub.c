/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The set of viewers behind include/hdmirtc/webrtc.h: WHEP resource
 * life cycle, fan-out of each packetized access unit, keyframe requests
 * (rate limited, since every viewer's PLI would otherwise cost an IDR). */
#include "hdmirtc/webrtc.h"

#include "hdmirtc/dtls.h"
#include "hdmirtc/rtp.h"
#include "hdmirtc/sdp.h"
#include "frame-timings.h"
#include "peer.h"
#include "relay-tunnels.h"

G_DEFINE_QUARK(hdmirtc-webrtc-error-quark, hdmirtc_webrtc_error)

/* How long an answer waits for server-reflexive (STUN) candidates: WHEP
 * has no way to send candidates found later.  A TURN allocation over TCP
 * or TLS takes more round trips, so relays get longer. */
#define ANSWER_GATHER_TIMEOUT_MS 1500
#define ANSWER_GATHER_TIMEOUT_RELAY_MS 3000

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

struct HdmirtcWebrtc {
	GMainContext *ctx;
	guint max_viewers;
	HdmirtcDtlsCert *cert;
	HdmirtcIceConfig ice;
	GStrv local_addresses;
	GStrv public_addresses;
	char *stun_host;
	GArray *relays;                 /* HdmirtcWebrtcRelay, strings owned; TLS ones
	                                 * already turned into TCP to their tunnel */
	HdmirtcRelayTunnels *tunnels;
	GHashTable *peers;              /* id -> HdmirtcPeer*, owned */
	GPtrArray *pending_answers;     /* PendingAnswer*, owned */
	HdmirtcH264Packetizer *packetizer;
	guint reap_source;

	HdmirtcKeyframeRequestFunc request_keyframe;
	gpointer user_data;
	gint64 keyframe_min_interval_us;
	gint64 last_keyframe_request_us;
	guint pending_keyframe_source;  /* a request held back by the rate limit */
	guint64 keyframe_requests;
	guint64 keyframe_requests_sent;
	guint64 packetize_errors;
	HdmirtcFrameTimings timings;
};

static void finish_answer_closed(PendingAnswer *p, const char *why);

/* ---- Keyframes ---------------------------------------------------------- */

static void send_keyframe_request(HdmirtcWebrtc *w)
{
	w->last_keyframe_request_us = g_get_monotonic_time();
	w->keyframe_requests_sent++;
	w->request_keyframe(w->user_data);
}

static gboolean on_pending_keyframe(gpointer user_data)
{
	HdmirtcWebrtc *w = user_data;

	w->pending_keyframe_source = 0;
	send_keyframe_request(w);
	return G_SOURCE_REMOVE;
}

static void on_peer_request_keyframe(HdmirtcPeer *peer, const char *reason, gpointer user_data)
{
	HdmirtcWebrtc *w = user_data;
	gint64 wait_us = w->last_keyframe_request_us + w->keyframe_min_interval_us - g_get_monotonic_time();

	g_debug("viewer %s asks for a keyframe: %s", hdmirtc_peer_get_id(peer), reason);
	w->keyframe_requests++;
	if (w->last_keyframe_request_us == 0 || wait_us <= 0) {
		send_keyframe_request(w);
		return;
	}
	if (w->pending_keyframe_source)
		return;
	GSource *timer = g_timeout_source_new((guint)(wait_us / 1000) + 1);
	g_source_set_callback(timer, on_pending_keyframe, w, NULL);
	w->pending_keyframe_source = g_source_attach(timer, w->ctx);
	g_source_unref(timer);
}

/* ---- Viewers ------------------------------------------------------------ */

static gboolean reap_closed_peers(gpointer user_data)
{
	HdmirtcWebrtc *w = user_data;
	GHashTableIter it;
	gpointer value;

	w->reap_source = 0;
	for (guint i = w->pending_answers->len; i > 0; i--) {
		PendingAnswer *p = w->pending_answers->pdata[i - 1];
		if (hdmirtc_peer_get_state(p->peer) == HDMIRTC_PEER_STATE_CLOSED)
			finish_answer_closed(p, "the connection failed");
	}
	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		if (hdmirtc_peer_get_state(value) == HDMIRTC_PEER_STATE_CLOSED)
			g_hash_table_iter_remove(&it);
	}
	return G_SOURCE_REMOVE;
}

/* Peers close from inside their own callbacks: free them from an idle. */
static void on_peer_closed(HdmirtcPeer *peer, const char *reason, gpointer user_data)
{
	HdmirtcWebrtc *w = user_data;

	if (w->reap_source)
		return;
	GSource *idle = g_idle_source_new();
	g_source_set_callback(idle, reap_closed_peers, w, NULL);
	w->reap_source = g_source_attach(idle, w->ctx);
	g_source_unref(idle);
}

/* ---- Answers ------------------------------------------------------------ */

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
	if (p->timeout) {
		g_source_destroy(p->timeout);
		g_source_unref(p->timeout);
	}
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

/* Answers at once when the candidates are all known, else when they are
 * or the timeout comes. */
static void wait_for_gathering(HdmirtcWebrtc *w, PendingAnswer *p)
{
	g_ptr_array_add(w->pending_answers, p);
	if (hdmirtc_peer_is_gathering_done(p->peer)) {
		finish_answer(p, NULL);
		return;
	}
	p->timeout = g_timeout_source_new(w->relays->len ? ANSWER_GATHER_TIMEOUT_RELAY_MS :
					  ANSWER_GATHER_TIMEOUT_MS);
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
	.request_keyframe = on_peer_request_keyframe,
	.gathering_done = on_peer_gathering_done,
	.closed = on_peer_closed,
};

static HdmirtcPeer *create_peer(HdmirtcWebrtc *w, const HdmirtcSdpOffer *offer, GError **error)
{
	HdmirtcSdpVideoChoice choice;
	HdmirtcPeerConfig config = { .cert = w->cert, .ice = &w->ice };
	g_autoptr(GError) local = NULL;
	HdmirtcPeer *peer;

	if (g_hash_table_size(w->peers) >= w->max_viewers) {
		g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_TOO_MANY_VIEWERS,
			    "the viewer limit (%u) is reached", w->max_viewers);
		return NULL;
	}
	if (!hdmirtc_sdp_offer_choose_h264(offer, &choice, error))
		return NULL;
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
                               HdmirtcViewerAnsweredFunc answered, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	HdmirtcSdpOffer *offer = hdmirtc_sdp_offer_parse(offer_text, len, &error);
	HdmirtcPeer *peer = offer ? create_peer(w, offer, &error) : NULL;

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

static gboolean check_if_match(HdmirtcPeer *peer, const char *if_match, GError **error)
{
	if (!if_match || g_str_equal(if_match, "*") || g_str_equal(if_match, hdmirtc_peer_get_etag(peer)))
		return TRUE;
	g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_PRECONDITION,
		    "If-Match '%s' does not match the session's ETag", if_match);
	return FALSE;
}

static gboolean check_fragment_mid(HdmirtcPeer *peer, const HdmirtcSdpFrag *frag, GError **error)
{
	for (guint i = 0; i < frag->media->len; i++) {
		HdmirtcSdpFragMedia *m = frag->media->pdata[i];

		if (m->mid && !g_str_equal(m->mid, hdmirtc_peer_get_mid(peer))) {
			g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_BAD_FRAGMENT,
				    "fragment names mid '%s'; this session streams mid '%s'", m->mid,
				    hdmirtc_peer_get_mid(peer));
			return FALSE;
		}
	}
	return TRUE;
}

static void add_fragment_candidates(HdmirtcIceTransport *ice, const HdmirtcSdpFrag *frag)
{
	for (guint i = 0; i < frag->media->len; i++) {
		HdmirtcSdpFragMedia *m = frag->media->pdata[i];

		for (guint c = 0; c < m->candidates->len; c++)
			hdmirtc_ice_transport_add_remote_candidate(ice, m->candidates->pdata[c]);
		if (m->end_of_candidates)
			hdmirtc_ice_transport_remote_gathering_done(ice);
	}
}

/* The fragment's ICE credentials (session level, else the first media
 * level ones); FALSE when it has none. */
static gboolean fragment_credentials(const HdmirtcSdpFrag *frag, const char **ufrag, const char **pwd)
{
	*ufrag = frag->ice_ufrag;
	*pwd = frag->ice_pwd;
	for (guint i = 0; !*ufrag && i < frag->media->len; i++) {
		HdmirtcSdpFragMedia *m = frag->media->pdata[i];

		*ufrag = m->ice_ufrag;
		*pwd = m->ice_pwd;
	}
	return *ufrag != NULL;
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
	add_fragment_candidates(hdmirtc_peer_get_ice(peer), frag);
	p = g_new0(PendingAnswer, 1);
	*p = (PendingAnswer){ .w = w, .peer = peer, .patched = patched, .user_data = user_data };
	wait_for_gathering(w, p);
	return TRUE;
}

/* RFC 8840 4.4: a fragment with an ice-ufrag other than the current one
 * is an ICE restart; without one, or with the current one, it trickles. */
static gboolean patch_viewer(HdmirtcWebrtc *w, const char *id, const char *if_match,
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
	if (fragment_credentials(frag, &ufrag, &pwd)) {
		const char *current = hdmirtc_ice_transport_get_remote_ufrag(ice);

		if (!current || !g_str_equal(current, ufrag))
			return restart_viewer(w, peer, frag, ufrag, pwd, patched, user_data, error);
	}
	add_fragment_candidates(ice, frag);
	patched(NULL, NULL, NULL, user_data);
	return TRUE;
}

void hdmirtc_webrtc_patch_viewer(HdmirtcWebrtc *w, const char *id, const char *if_match,
                                 const char *fragment, gsize len,
                                 HdmirtcViewerPatchedFunc patched, gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (!patch_viewer(w, id, if_match, fragment, len, patched, user_data, &error))
		patched(NULL, NULL, error, user_data);
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
	g_message("viewer %s left (DELETE), %u viewers", id, g_hash_table_size(w->peers));
	return TRUE;
}

guint hdmirtc_webrtc_get_n_viewers(HdmirtcWebrtc *w)
{
	return g_hash_table_size(w->peers);
}

void hdmirtc_webrtc_set_stun_server(HdmirtcWebrtc *w, const char *ip, guint port)
{
	g_free(w->stun_host);
	w->stun_host = g_strdup(ip);
	w->ice.stun_host = w->stun_host;
	w->ice.stun_port = port;
}

static void clear_relay(gpointer p)
{
	HdmirtcWebrtcRelay *r = p;

	g_free((char *)r->ip);
	g_free((char *)r->username);
	g_free((char *)r->password);
	g_free((char *)r->server_name);
}

/* What libnice gets for relay: itself, or for TLS, TURN over TCP to the
 * local end of a TLS tunnel.  FALSE when the tunnel cannot be made. */
static gboolean relay_for_agents(HdmirtcWebrtc *w, const HdmirtcWebrtcRelay *relay,
                                 HdmirtcWebrtcRelay *out)
{
	g_autoptr(GError) error = NULL;
	guint port = relay->port;
	const char *ip = relay->ip;

	if (relay->transport == HDMIRTC_WEBRTC_RELAY_TLS) {
		port = hdmirtc_relay_tunnels_get_port(w->tunnels, relay, &error);
		if (!port) {
			g_warning("TURN over TLS to %s:%u: %s", relay->ip, relay->port, error->message);
			return FALSE;
		}
		ip = "127.0.0.1";
	}
	*out = (HdmirtcWebrtcRelay){
		.transport = relay->transport == HDMIRTC_WEBRTC_RELAY_TLS ? HDMIRTC_WEBRTC_RELAY_TCP
									: relay->transport,
		.ip = g_strdup(ip),
		.port = port,
		.username = g_strdup(relay->username),
		.password = g_strdup(relay->password),
		.server_name = g_strdup(relay->server_name),
	};
	return TRUE;
}

void hdmirtc_webrtc_set_relays(HdmirtcWebrtc *w, const HdmirtcWebrtcRelay *relays, guint n)
{
	g_array_set_size(w->relays, 0);
	for (guint i = 0; i < n; i++) {
		HdmirtcWebrtcRelay r;

		if (relay_for_agents(w, &relays[i], &r))
			g_array_append_val(w->relays, r);
	}
	w->ice.relays = (const HdmirtcWebrtcRelay *)(gpointer)w->relays->data;
	w->ice.n_relays = w->relays->len;
}

void hdmirtc_webrtc_set_local_addresses(HdmirtcWebrtc *w, const char *const *addresses)
{
	g_strfreev(w->local_addresses);
	w->local_addresses = g_strdupv((char **)addresses);
	w->ice.local_addresses = (const char *const *)w->local_addresses;
}

/* ---- Media -------------------------------------------------------------- */

void hdmirtc_webrtc_send_access_unit(HdmirtcWebrtc *w, HdmirtcAccessUnit *au)
{
	g_autoptr(GError) error = NULL;
	GHashTableIter it;
	gpointer value;

	if (g_hash_table_size(w->peers) == 0)
		return;
	HdmirtcRtpPacketList *list = hdmirtc_h264_packetizer_packetize(
		w->packetizer, au, HDMIRTC_RTP_DEFAULT_MAX_PAYLOAD, &error);
	if (!list) {
		if (w->packetize_errors++ == 0)
			g_warning("cannot packetize frame %" G_GUINT64_FORMAT ": %s", au->seq, error->message);
		return;
	}
	gint64 first_send_us = 0;
	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		gint64 sent_us = hdmirtc_peer_send_frame(value, list);
		if (sent_us && !first_send_us)
			first_send_us = sent_us;
	}
	if (first_send_us)
		hdmirtc_frame_timings_add(&w->timings, au, first_send_us, g_get_monotonic_time());
	hdmirtc_rtp_packet_list_unref(list);
}

void hdmirtc_webrtc_add_status(HdmirtcWebrtc *w, JsonBuilder *b)
{
	GHashTableIter it;
	gpointer value;

	json_builder_set_member_name(b, "viewers");
	json_builder_begin_array(b);
	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		if (hdmirtc_peer_get_state(value) != HDMIRTC_PEER_STATE_CLOSED)
			hdmirtc_peer_add_status(value, b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "keyframe_requests");
	json_builder_add_int_value(b, (gint64)w->keyframe_requests);
	hdmirtc_relay_tunnels_add_status(w->tunnels, b);
	json_builder_set_member_name(b, "keyframe_requests_sent");
	json_builder_add_int_value(b, (gint64)w->keyframe_requests_sent);
	hdmirtc_frame_timings_add_status(&w->timings, b);
}

/* ---- Life cycle --------------------------------------------------------- */

static void copy_ice_config(HdmirtcWebrtc *w, const HdmirtcWebrtcConfig *config)
{
	w->stun_host = g_strdup(config->stun_host);
	w->local_addresses = g_strdupv((char **)config->local_addresses);
	w->public_addresses = g_strdupv((char **)config->public_addresses);
	w->tunnels = hdmirtc_relay_tunnels_new(w->ctx, config->turn_tls_ca, config->turn_tls_verify);
	w->relays = g_array_new(FALSE, TRUE, sizeof(HdmirtcWebrtcRelay));
	g_array_set_clear_func(w->relays, clear_relay);
	w->ice = (HdmirtcIceConfig){
		.stun_host = w->stun_host,
		.stun_port = config->stun_port,
		.port_min = config->udp_port_min,
		.port_max = config->udp_port_max,
		.local_addresses = (const char *const *)w->local_addresses,
		.ipv6 = config->ipv6,
		.public_addresses = (const char *const *)w->public_addresses,
	};
}

HdmirtcWebrtc *hdmirtc_webrtc_new(GMainContext *ctx, const HdmirtcWebrtcConfig *config,
                                  HdmirtcKeyframeRequestFunc request_keyframe, gpointer user_data,
                                  GError **error)
{
	HdmirtcWebrtc *w = g_new0(HdmirtcWebrtc, 1);

	w->ctx = g_main_context_ref(ctx);
	w->max_viewers = config->max_viewers;
	w->request_keyframe = request_keyframe;
	w->user_data = user_data;
	w->keyframe_min_interval_us = (gint64)config->keyframe_min_interval_ms * 1000;
	w->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)hdmirtc_peer_free);
	w->pending_answers = g_ptr_array_new();
	w->packetizer = hdmirtc_h264_packetizer_new();
	copy_ice_config(w, config);
	w->cert = hdmirtc_dtls_cert_load_or_create(config->certificate_path, error);
	if (!w->cert) {
		hdmirtc_webrtc_free(w);
		return NULL;
	}
	return w;
}

static void remove_source(GMainContext *ctx, guint id)
{
	GSource *source = id ? g_main_context_find_source_by_id(ctx, id) : NULL;

	if (source)
		g_source_destroy(source);
}

void hdmirtc_webrtc_free(HdmirtcWebrtc *w)
{
	if (!w)
		return;
	while (w->pending_answers->len)
		finish_answer_closed(w->pending_answers->pdata[0], "the service is stopping");
	g_ptr_array_unref(w->pending_answers);
	g_hash_table_destroy(w->peers);
	remove_source(w->ctx, w->reap_source);
	remove_source(w->ctx, w->pending_keyframe_source);
	hdmirtc_h264_packetizer_free(w->packetizer);
	hdmirtc_dtls_cert_free(w->cert);
	g_strfreev(w->local_addresses);
	g_strfreev(w->public_addresses);
	g_array_unref(w->relays);
	hdmirtc_relay_tunnels_free(w->tunnels);
	g_free(w->stun_host);
	g_main_context_unref(w->ctx);
	g_free(w);
}
