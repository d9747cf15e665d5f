/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "peer-private.h"
#include "hdmirtc/gsource.h"

#include "hdmirtc/random.h"

#include <errno.h>
#include <string.h>

#define HISTORY_PACKETS 2048            /* ~1.5 s at 5 Mbit/s */
/* RFC 7675's consent timeout; browsers send RTCP every second or so. */
#define CONSENT_TIMEOUT_US (30 * G_USEC_PER_SEC)
#define CONNECT_TIMEOUT_US (30 * G_USEC_PER_SEC)

static void peer_set_state(HdmirtcPeer *peer, HdmirtcPeerState state)
{
	static const char *const names[] = { "connecting", "streaming", "closed" };

	if (peer->state == state)
		return;
	g_message("viewer %s: %s -> %s", peer->id, names[peer->state], names[state]);
	peer->state = state;
}

void hdmirtc_peer_close(HdmirtcPeer *peer, const char *reason)
{
	if (peer->state == HDMIRTC_PEER_STATE_CLOSED)
		return;
	g_message("viewer %s closed: %s", peer->id, reason);
	hdmirtc_peer_stop_media(peer);
	peer_set_state(peer, HDMIRTC_PEER_STATE_CLOSED);
	peer->callbacks.closed(peer, reason, peer->user_data);
}

/* ---- DTLS --------------------------------------------------------------- */

static int on_dtls_send(const guint8 *buf, gsize len, gpointer user_data)
{
	HdmirtcPeer *peer = user_data;

	return hdmirtc_ice_transport_send(peer->ice, buf, len);
}

static void on_dtls_connected(HdmirtcDtls *dtls, const HdmirtcSrtpKeys *keys, gpointer user_data)
{
	HdmirtcPeer *peer = user_data;
	g_autoptr(GError) error = NULL;

	/* Our SRTP keys are those of our DTLS role (RFC 5764 4.2). */
	peer->srtp = hdmirtc_srtp_session_new(keys, hdmirtc_dtls_get_role(dtls) == HDMIRTC_DTLS_ROLE_CLIENT, &error);
	if (!peer->srtp) {
		hdmirtc_peer_close(peer, error->message);
		return;
	}
	g_message("viewer %s: DTLS done, SRTP %s", peer->id,
		  hdmirtc_srtp_profile_to_string(keys->profile));
	peer->streaming_since_us = peer->last_rx_us = g_get_monotonic_time();
	peer_set_state(peer, HDMIRTC_PEER_STATE_STREAMING);
	hdmirtc_peer_start_media(peer);
	if (peer->callbacks.streaming)
		peer->callbacks.streaming(peer, peer->user_data);
}

static void on_dtls_closed(HdmirtcDtls *dtls, HdmirtcDtlsState state, const GError *reason,
                           gpointer user_data)
{
	HdmirtcPeer *peer = user_data;
	g_autofree char *why = g_strdup_printf("DTLS %s: %s", hdmirtc_dtls_state_to_string(state),
					       reason ? reason->message : "no reason");

	hdmirtc_peer_close(peer, why);
}

static gboolean start_dtls(HdmirtcPeer *peer, const HdmirtcDtlsCert *cert, GError **error)
{
	static const HdmirtcDtlsCallbacks callbacks = {
		.send = on_dtls_send,
		.connected = on_dtls_connected,
		.closed = on_dtls_closed,
	};
	HdmirtcDtlsConfig config = {
		.role = peer->dtls_server ? HDMIRTC_DTLS_ROLE_SERVER : HDMIRTC_DTLS_ROLE_CLIENT,
		.remote_fingerprint = peer->remote_fingerprint,
	};

	peer->dtls = hdmirtc_dtls_new(cert, &config, &callbacks, peer, error);
	return peer->dtls != NULL;
}

/* ---- ICE ---------------------------------------------------------------- */

static void on_ice_state_changed(HdmirtcIceTransport *ice, HdmirtcIceState state, gpointer user_data)
{
	HdmirtcPeer *peer = user_data;
	g_autoptr(GError) error = NULL;

	if (state == HDMIRTC_ICE_STATE_FAILED) {
		hdmirtc_peer_close(peer, "ICE checks failed");
		return;
	}
	if (state != HDMIRTC_ICE_STATE_CONNECTED)
		return;
	g_autofree char *pair = hdmirtc_ice_transport_describe_pair(ice);
	g_message("viewer %s: ICE connected %s", peer->id, pair ? pair : "");
	if (hdmirtc_dtls_get_state(peer->dtls) == HDMIRTC_DTLS_STATE_NEW &&
	    !hdmirtc_dtls_start(peer->dtls, &error))
		hdmirtc_peer_close(peer, error->message);
}

/* RFC 7983: the first byte tells DTLS (20..63) from RTP/RTCP (128..191);
 * STUN never gets here (libnice takes it). */
static void on_ice_received(HdmirtcIceTransport *ice, const guint8 *data, gsize len, gpointer user_data)
{
	HdmirtcPeer *peer = user_data;

	if (peer->state == HDMIRTC_PEER_STATE_CLOSED || !peer->dtls)
		return;
	if (data[0] >= 20 && data[0] <= 63)
		hdmirtc_dtls_handle_datagram(peer->dtls, data, len);
	else if (data[0] >= 128 && data[0] <= 191 && len <= sizeof(peer->rx_buf)) {
		memcpy(peer->rx_buf, data, len);
		hdmirtc_peer_handle_rtp_rtcp(peer, peer->rx_buf, len);
	}
}

static void on_ice_restarted(HdmirtcIceTransport *ice, gpointer user_data)
{
	HdmirtcPeer *peer = user_data;
	g_autofree char *pair = hdmirtc_ice_transport_describe_pair(ice);

	g_message("viewer %s: ICE restart connected %s", peer->id, pair ? pair : "");
	/* Whatever was sent while the old path was dead is lost. */
	if (peer->state == HDMIRTC_PEER_STATE_STREAMING)
		peer->callbacks.request_keyframe(peer, "ICE restart", FALSE, peer->user_data);
}

static void on_ice_gathering_done(HdmirtcIceTransport *ice, gpointer user_data)
{
	HdmirtcPeer *peer = user_data;

	if (peer->callbacks.gathering_done)
		peer->callbacks.gathering_done(peer, peer->user_data);
}

static gboolean create_ice(HdmirtcPeer *peer, const HdmirtcPeerConfig *config, gboolean controlling,
                           GError **error)
{
	static const HdmirtcIceCallbacks callbacks = {
		.state_changed = on_ice_state_changed,
		.gathering_done = on_ice_gathering_done,
		.restarted = on_ice_restarted,
		.received = on_ice_received,
	};

	HdmirtcIceConfig ice = *config->ice;

	ice.arrival_address = peer->arrival_address;
	ice.controlling = controlling;
	peer->ice = hdmirtc_ice_transport_new(peer->ctx, &ice, &callbacks, peer, error);
	return peer->ice != NULL;
}

/* The other side's credentials and candidates: the checks start. */
static gboolean start_ice(HdmirtcPeer *peer, const HdmirtcSdpMedia *media, GError **error)
{
	if (!hdmirtc_ice_transport_set_remote_credentials(peer->ice, media->ice_ufrag, media->ice_pwd,
							   error))
		return FALSE;
	for (guint i = 0; i < media->candidates->len; i++)
		hdmirtc_ice_transport_add_remote_candidate(peer->ice, media->candidates->pdata[i]);
	if (media->end_of_candidates)
		hdmirtc_ice_transport_remote_gathering_done(peer->ice);
	return TRUE;
}

/* ---- Liveness ---------------------------------------------------------- */

/* Consent freshness the way RFC 7675 means it: the viewer still wants the
 * stream while authenticated packets (SRTCP) keep coming from it; 30 s of
 * silence, and it is gone.  A viewer that never connects goes too. */
static gboolean on_liveness_timer(gpointer user_data)
{
	HdmirtcPeer *peer = user_data;
	gint64 now = g_get_monotonic_time();

	if (peer->state == HDMIRTC_PEER_STATE_CONNECTING && now - peer->created_us > CONNECT_TIMEOUT_US)
		hdmirtc_peer_close(peer, "could not connect within 30 s (ICE or DTLS)");
	else if (peer->state == HDMIRTC_PEER_STATE_STREAMING && now - peer->last_rx_us > peer->consent_timeout_us) {
		g_autofree char *why = g_strdup_printf("ICE consent lost: nothing from the %s for %u s (it is gone)",
						       peer->offerer ? "server" : "viewer",
						       (guint)(peer->consent_timeout_us / G_USEC_PER_SEC));
		hdmirtc_peer_close(peer, why);
	}
	return G_SOURCE_CONTINUE;
}

static void start_liveness_timer(HdmirtcPeer *peer)
{
	GSource *timer = g_timeout_source_new_seconds(1);

	g_source_set_callback(timer, on_liveness_timer, peer, NULL);
	peer->liveness_timer = g_source_attach(timer, peer->ctx);
	g_source_unref(timer);
}

/* ---- Creation ----------------------------------------------------------- */

static char *format_fingerprint(const guint8 digest[32])
{
	GString *s = g_string_new("sha-256 ");

	for (guint i = 0; i < 32; i++)
		g_string_append_printf(s, i ? ":%02X" : "%02X", digest[i]);
	return g_string_free(s, FALSE);
}

static void take_choice(HdmirtcPeer *peer, const HdmirtcSdpVideoChoice *choice, gboolean prefer_dtls_server)
{
	peer->mid = g_strdup(choice->media->mid ? choice->media->mid : "");
	peer->payload_type = choice->payload_type;
	peer->feedback = choice->feedback;
	/* One-byte header extensions carry ids 1..14 only. */
	peer->mid_ext_id = choice->ext_id[HDMIRTC_SDP_EXT_MID] <= 14 ? choice->ext_id[HDMIRTC_SDP_EXT_MID] : 0;
	peer->abs_capture_time_ext_id = choice->ext_id[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME] <= 14 ?
		choice->ext_id[HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME] : 0;
	peer->playout_delay_ext_id = choice->ext_id[HDMIRTC_SDP_EXT_PLAYOUT_DELAY] <= 14 ?
		choice->ext_id[HDMIRTC_SDP_EXT_PLAYOUT_DELAY] : 0;
	if (strlen(peer->mid) > HDMIRTC_RTP_MID_MAX_LEN)
		peer->mid_ext_id = 0;
	peer->remote_fingerprint = format_fingerprint(choice->media->fingerprint_sha256);
	peer->dtls_server = hdmirtc_sdp_dtls_is_server(choice->media->setup, prefer_dtls_server);
}

/* What the service says of itself in this peer's SDP (offer or answer);
 * borrows stream_id and candidates (NULL-terminated by this call). */
static HdmirtcSdpLocalParams local_params(HdmirtcPeer *peer, const char *stream_id, GPtrArray *candidates)
{
	g_ptr_array_add(candidates, NULL);
	return (HdmirtcSdpLocalParams){
		.session_id = g_random_int() & 0x7fffffff,
		.session_version = 1,
		.ice_ufrag = hdmirtc_ice_transport_get_ufrag(peer->ice),
		.ice_pwd = hdmirtc_ice_transport_get_pwd(peer->ice),
		.fingerprint = hdmirtc_dtls_cert_fingerprint(peer->cert),
		.candidates = (const char *const *)candidates->pdata,
		.gathering_complete = hdmirtc_ice_transport_is_gathering_done(peer->ice),
		.ssrc = peer->ssrc,
		.cname = peer->cname,
		.stream_id = stream_id,
		.track_id = "video",
		.audio_ssrc = peer->audio.on || peer->offerer ? peer->audio.ssrc : 0,
		.audio_track_id = "audio",
		/* The role already taken: an answer says the same. */
		.prefer_dtls_server = peer->dtls_server,
	};
}

char *hdmirtc_peer_build_answer(HdmirtcPeer *peer, const HdmirtcSdpOffer *offer, GError **error)
{
	g_autoptr(GPtrArray) candidates = hdmirtc_ice_transport_get_local_candidates(peer->ice);
	g_autofree char *stream_id = g_strdup_printf("hdmirtc-%s", peer->id);
	HdmirtcSdpLocalParams params = local_params(peer, stream_id, candidates);

	return hdmirtc_sdp_answer_build(offer, &params, error);
}

gboolean hdmirtc_peer_restart_ice(HdmirtcPeer *peer, const HdmirtcIceConfig *config,
                                  const char *ufrag, const char *pwd, GError **error)
{
	HdmirtcIceConfig ice = *config;

	ice.arrival_address = peer->arrival_address;
	if (!hdmirtc_ice_transport_restart(peer->ice, &ice, ufrag, pwd, error))
		return FALSE;
	g_free(peer->etag);
	peer->etag = hdmirtc_random_hex(8);
	g_message("viewer %s: ICE restart (ufrag %s)", peer->id, ufrag);
	return TRUE;
}

char *hdmirtc_peer_build_restart_fragment(HdmirtcPeer *peer, GError **error)
{
	g_autoptr(GPtrArray) candidates = hdmirtc_ice_transport_get_local_candidates(peer->ice);
	HdmirtcSdpRestartParams params = {
		.ice_ufrag = hdmirtc_ice_transport_get_ufrag(peer->ice),
		.ice_pwd = hdmirtc_ice_transport_get_pwd(peer->ice),
		.mid = peer->audio.tagged ? peer->audio.mid : peer->mid,
		.audio = peer->audio.tagged,
		.payload_type = peer->audio.tagged ? peer->audio.payload_type : peer->payload_type,
		.gathering_complete = hdmirtc_ice_transport_is_gathering_done(peer->ice),
	};

	if (!params.mid[0])
		params.mid = NULL;
	g_ptr_array_add(candidates, NULL);
	params.candidates = (const char *const *)candidates->pdata;
	return hdmirtc_sdp_restart_fragment_build(&params, error);
}

static HdmirtcPeer *peer_alloc(GMainContext *ctx, const HdmirtcPeerConfig *config,
                               const HdmirtcPeerCallbacks *callbacks, gpointer user_data)
{
	HdmirtcPeer *peer = g_new0(HdmirtcPeer, 1);

	peer->id = hdmirtc_random_hex(12);
	peer->etag = hdmirtc_random_hex(8);
	peer->ctx = g_main_context_ref(ctx);
	peer->callbacks = *callbacks;
	peer->user_data = user_data;
	peer->created_us = g_get_monotonic_time();
	peer->cert = config->cert;
	peer->arrival_address = g_strdup(config->arrival_address);
	peer->ssrc = g_random_int() | 1;
	peer->ts_offset = g_random_int();
	peer->next_seq = g_random_int_range(0, 0x8000);
	g_snprintf(peer->cname, sizeof(peer->cname), "hdmirtc-%08x", g_random_int());
	peer->history = hdmirtc_rtp_history_new(HISTORY_PACKETS);
	peer->consent_timeout_us = config->consent_timeout_ms ? (gint64)config->consent_timeout_ms * 1000 :
				   CONSENT_TIMEOUT_US;
	return peer;
}

HdmirtcPeer *hdmirtc_peer_new(GMainContext *ctx, const HdmirtcPeerConfig *config,
                              const HdmirtcSdpVideoChoice *choice,
                              const HdmirtcPeerCallbacks *callbacks, gpointer user_data,
                              GError **error)
{
	HdmirtcPeer *peer = peer_alloc(ctx, config, callbacks, user_data);

	take_choice(peer, choice, config->prefer_dtls_server);
	hdmirtc_peer_audio_init(peer, config);
	if (!start_dtls(peer, config->cert, error) || !create_ice(peer, config, FALSE, error) ||
	    !start_ice(peer, choice->media, error)) {
		hdmirtc_peer_free(peer);
		return NULL;
	}
	start_liveness_timer(peer);
	return peer;
}

HdmirtcPeer *hdmirtc_peer_new_offerer(GMainContext *ctx, const HdmirtcPeerConfig *config, gboolean audio,
                                      const HdmirtcPeerCallbacks *callbacks, gpointer user_data,
                                      GError **error)
{
	HdmirtcPeer *peer = peer_alloc(ctx, config, callbacks, user_data);

	peer->offerer = TRUE;
	/* The offer names the sound's SSRC before the answer says whether
	 * it is taken. */
	if (audio && (peer->audio.ssrc = g_random_int() | 1) == peer->ssrc)
		peer->audio.ssrc ^= 2;
	if (!create_ice(peer, config, TRUE, error)) {
		hdmirtc_peer_free(peer);
		return NULL;
	}
	start_liveness_timer(peer);
	return peer;
}

char *hdmirtc_peer_build_offer(HdmirtcPeer *peer, GError **error)
{
	g_autoptr(GPtrArray) candidates = hdmirtc_ice_transport_get_local_candidates(peer->ice);
	g_autofree char *stream_id = g_strdup_printf("hdmirtc-%s", peer->id);
	HdmirtcSdpLocalParams params = local_params(peer, stream_id, candidates);

	return hdmirtc_sdp_offer_build(&params, error);
}

gboolean hdmirtc_peer_take_answer(HdmirtcPeer *peer, const char *text, gsize len, GError **error)
{
	g_autoptr(HdmirtcSdpOffer) answer = hdmirtc_sdp_offer_parse(text, len, error);
	HdmirtcSdpVideoChoice video;
	HdmirtcSdpAudioChoice audio;
	gboolean has_audio;
	HdmirtcPeerConfig config = { .audio_why_not = "the service has no audio" };

	g_return_val_if_fail(peer->offerer && !peer->dtls, FALSE);
	if (!answer || !hdmirtc_sdp_answer_read(answer, &video, &audio, &has_audio,
						peer->audio.ssrc ? &config.audio_why_not : NULL, error))
		return FALSE;
	/* The answer's a=setup is the other side's role: active makes the
	 * service the DTLS server. */
	take_choice(peer, &video, FALSE);
	if (has_audio && peer->audio.ssrc)
		config.audio = &audio;
	hdmirtc_peer_audio_init(peer, &config);
	peer->answer_candidates = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < video.media->candidates->len; i++)
		g_ptr_array_add(peer->answer_candidates, g_strdup(video.media->candidates->pdata[i]));
	return start_dtls(peer, peer->cert, error) && start_ice(peer, video.media, error);
}

gboolean hdmirtc_peer_restart_ice_as_offerer(HdmirtcPeer *peer, const HdmirtcIceConfig *config,
                                             GError **error)
{
	HdmirtcIceConfig ice = *config;

	if (!peer->offerer || !peer->answer_candidates || peer->state == HDMIRTC_PEER_STATE_CLOSED) {
		g_set_error(error, HDMIRTC_WEBRTC_ERROR, HDMIRTC_WEBRTC_ERROR_CLOSED,
			    "no answered session to restart");
		return FALSE;
	}
	ice.controlling = TRUE;
	if (!hdmirtc_ice_transport_restart(peer->ice, &ice, NULL, NULL, error))
		return FALSE;
	g_message("viewer %s: ICE restart offered (ufrag %s)", peer->id, hdmirtc_ice_transport_get_ufrag(peer->ice));
	return TRUE;
}

guint hdmirtc_peer_add_fragment_candidates(HdmirtcPeer *peer, const HdmirtcSdpFrag *frag, gboolean *ended)
{
	guint added = 0;

	*ended = FALSE;
	for (guint i = 0; i < frag->media->len; i++) {
		HdmirtcSdpFragMedia *m = frag->media->pdata[i];

		for (guint c = 0; c < m->candidates->len; c++)
			added += hdmirtc_ice_transport_add_remote_candidate(peer->ice, m->candidates->pdata[c]);
		*ended = *ended || m->end_of_candidates;
	}
	return added;
}

gboolean hdmirtc_peer_take_restart_answer(HdmirtcPeer *peer, const char *text, gsize len, GError **error)
{
	g_autoptr(HdmirtcSdpFrag) frag = hdmirtc_sdp_frag_parse(text, len, error);
	const char *ufrag = NULL, *pwd = NULL;
	guint added;
	gboolean done;

	if (!frag)
		return FALSE;
	if (!hdmirtc_sdp_frag_get_credentials(frag, &ufrag, &pwd)) {
		g_set_error(error, HDMIRTC_SDP_ERROR, HDMIRTC_SDP_ERROR_INVALID,
			    "the ICE restart's answer has no a=ice-ufrag and a=ice-pwd");
		return FALSE;
	}
	if (!hdmirtc_ice_transport_set_remote_credentials(peer->ice, ufrag, pwd, error))
		return FALSE;
	added = hdmirtc_peer_add_fragment_candidates(peer, frag, &done);
	/* A server that restarts in place (Janus) keeps its candidates and
	 * names none: the new agent gets those of the first answer. */
	for (guint i = 0; added == 0 && i < peer->answer_candidates->len; i++)
		hdmirtc_ice_transport_add_remote_candidate(peer->ice, peer->answer_candidates->pdata[i]);
	if (done || added == 0)
		hdmirtc_ice_transport_remote_gathering_done(peer->ice);
	return TRUE;
}

gint64 hdmirtc_peer_get_silence_us(HdmirtcPeer *peer)
{
	return peer->state == HDMIRTC_PEER_STATE_STREAMING ? g_get_monotonic_time() - peer->last_rx_us : 0;
}

void hdmirtc_peer_free(HdmirtcPeer *peer)
{
	if (!peer)
		return;
	hdmirtc_peer_stop_media(peer);
	hdmirtc_source_clear_id(peer->ctx, &peer->liveness_timer);
	hdmirtc_dtls_free(peer->dtls);
	hdmirtc_ice_transport_free(peer->ice);
	hdmirtc_srtp_session_free(peer->srtp);
	hdmirtc_rtp_history_free(peer->history);
	if (peer->answer_candidates)
		g_ptr_array_unref(peer->answer_candidates);
	g_main_context_unref(peer->ctx);
	g_free(peer->remote_fingerprint);
	g_free(peer->arrival_address);
	g_free(peer->mid);
	hdmirtc_peer_audio_clear(peer);
	g_free(peer->etag);
	g_free(peer->id);
	g_free(peer);
}

gboolean hdmirtc_peer_is_gathering_done(HdmirtcPeer *peer)
{
	return hdmirtc_ice_transport_is_gathering_done(peer->ice);
}

const char *hdmirtc_peer_get_id(HdmirtcPeer *peer)
{
	return peer->id;
}

const char *hdmirtc_peer_get_etag(HdmirtcPeer *peer)
{
	return peer->etag;
}

HdmirtcPeerState hdmirtc_peer_get_state(HdmirtcPeer *peer)
{
	return peer->state;
}

HdmirtcIceTransport *hdmirtc_peer_get_ice(HdmirtcPeer *peer)
{
	return peer->ice;
}

gboolean hdmirtc_peer_is_listening(HdmirtcPeer *peer)
{
	return peer->state == HDMIRTC_PEER_STATE_STREAMING && peer->audio.on;
}

gboolean hdmirtc_peer_has_mid(HdmirtcPeer *peer, const char *mid)
{
	return g_str_equal(mid, peer->mid) || (peer->audio.on && g_str_equal(mid, peer->audio.mid));
}

const char *hdmirtc_peer_get_mid(HdmirtcPeer *peer)
{
	return peer->mid;
}
