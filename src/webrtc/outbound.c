/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Outbound sessions (include/hdmirtc/webrtc.h): a peer in the offerer's
 * role, fed by the hub like a viewer.  The offer waits for the candidates
 * as a WHEP answer does: WHIP can trickle later ones only by PATCH, which
 * not every server takes. */
#include "hub-private.h"
#include "hdmirtc/gsource.h"

struct HdmirtcWebrtcOutbound {
	HdmirtcWebrtc *w;
	HdmirtcPeer *peer;
	HdmirtcWebrtcOutboundCallbacks callbacks;
	gpointer user_data;
	GSource *gather_timeout;
	gboolean offered;
	gboolean restarting;            /* gathering for an ICE restart */
};

static void stop_gather_timeout(HdmirtcWebrtcOutbound *o)
{
	hdmirtc_source_clear(&o->gather_timeout);
}

/* Once per offer or ICE restart: with the candidates gathered so far. */
static void offer(HdmirtcWebrtcOutbound *o)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *sdp = NULL;
	gboolean restart = o->restarting;

	/* Gathering may finish inside hdmirtc_peer_new_offerer(): the idle
	 * set up after it offers then. */
	if ((o->offered && !restart) || !o->peer)
		return;
	o->offered = TRUE;
	o->restarting = FALSE;
	stop_gather_timeout(o);
	sdp = restart ? hdmirtc_peer_build_restart_fragment(o->peer, &error) :
			hdmirtc_peer_build_offer(o->peer, &error);
	if (!sdp) {
		/* Local parameters the SDP module refuses: a bug, told as a
		 * closed session so that the owner starts over. */
		o->callbacks.closed(o, error->message, o->user_data);
		return;
	}
	if (restart)
		o->callbacks.restart_ready(o, sdp, o->user_data);
	else
		o->callbacks.offer_ready(o, sdp, o->user_data);
}

static gboolean on_gather_timeout(gpointer user_data)
{
	HdmirtcWebrtcOutbound *o = user_data;

	if (!hdmirtc_peer_is_gathering_done(o->peer))
		g_message("outbound %s: offering before ICE gathering finished (STUN/TURN slow or unreachable)",
			  hdmirtc_peer_get_id(o->peer));
	g_clear_pointer(&o->gather_timeout, g_source_unref);
	offer(o);
	return G_SOURCE_REMOVE;
}

/* Offers at once when the candidates are all known, else when they are or
 * the wait for STUN/TURN ends; from the main loop, never inside the
 * caller's call. */
static void wait_for_gathering(HdmirtcWebrtcOutbound *o)
{
	HdmirtcWebrtc *w = o->w;

	stop_gather_timeout(o);
	o->gather_timeout = hdmirtc_peer_is_gathering_done(o->peer) ? g_idle_source_new() :
		g_timeout_source_new(hdmirtc_negotiation_gather_wait_ms(w));
	g_source_set_callback(o->gather_timeout, on_gather_timeout, o, NULL);
	g_source_attach(o->gather_timeout, w->ctx);
}

static void on_gathering_done(HdmirtcPeer *peer, gpointer user_data)
{
	offer(user_data);
}

static void on_request_keyframe(HdmirtcPeer *peer, const char *reason, gboolean joining, gpointer user_data)
{
	HdmirtcWebrtcOutbound *o = user_data;

	hdmirtc_hub_on_peer_request_keyframe(peer, reason, joining, o->w);
}

static void on_streaming(HdmirtcPeer *peer, gpointer user_data)
{
	HdmirtcWebrtcOutbound *o = user_data;

	g_message("outbound %s: streaming", hdmirtc_peer_get_id(peer));
	hdmirtc_hub_count_listeners(o->w);
	if (o->callbacks.streaming)
		o->callbacks.streaming(o, o->user_data);
}

static void on_closed(HdmirtcPeer *peer, const char *reason, gpointer user_data)
{
	HdmirtcWebrtcOutbound *o = user_data;

	stop_gather_timeout(o);
	hdmirtc_hub_count_listeners(o->w);
	o->callbacks.closed(o, reason, o->user_data);
}

static const HdmirtcPeerCallbacks peer_callbacks = {
	.request_keyframe = on_request_keyframe,
	.gathering_done = on_gathering_done,
	.streaming = on_streaming,
	.closed = on_closed,
};

HdmirtcWebrtcOutbound *hdmirtc_webrtc_add_outbound(HdmirtcWebrtc *w, guint consent_timeout_ms,
                                                   const HdmirtcWebrtcOutboundCallbacks *callbacks,
                                                   gpointer user_data, GError **error)
{
	HdmirtcWebrtcOutbound *o = g_new0(HdmirtcWebrtcOutbound, 1);
	HdmirtcPeerConfig config = { .cert = w->cert, .ice = &w->ice, .consent_timeout_ms = consent_timeout_ms };

	o->w = w;
	o->callbacks = *callbacks;
	o->user_data = user_data;
	o->peer = hdmirtc_peer_new_offerer(w->ctx, &config, w->audio, &peer_callbacks, o, error);
	if (!o->peer) {
		g_free(o);
		return NULL;
	}
	g_ptr_array_add(w->outbounds, o);
	wait_for_gathering(o);
	return o;
}

gboolean hdmirtc_webrtc_outbound_set_answer(HdmirtcWebrtcOutbound *o, const char *answer, gsize len,
                                            GError **error)
{
	if (!hdmirtc_peer_take_answer(o->peer, answer, len, error))
		return FALSE;
	g_message("outbound %s: answered", hdmirtc_peer_get_id(o->peer));
	return TRUE;
}

gboolean hdmirtc_webrtc_outbound_restart_ice(HdmirtcWebrtcOutbound *o, GError **error)
{
	if (!hdmirtc_peer_restart_ice_as_offerer(o->peer, &o->w->ice, error))
		return FALSE;
	o->restarting = TRUE;
	wait_for_gathering(o);
	return TRUE;
}

gboolean hdmirtc_webrtc_outbound_set_restart_answer(HdmirtcWebrtcOutbound *o, const char *fragment, gsize len,
                                                    GError **error)
{
	return hdmirtc_peer_take_restart_answer(o->peer, fragment, len, error);
}

guint hdmirtc_webrtc_outbound_get_silence_ms(HdmirtcWebrtcOutbound *o)
{
	return (guint)(hdmirtc_peer_get_silence_us(o->peer) / 1000);
}

void hdmirtc_outbound_free(HdmirtcWebrtcOutbound *o)
{
	stop_gather_timeout(o);
	hdmirtc_peer_free(o->peer);
	g_free(o);
}

void hdmirtc_webrtc_remove_outbound(HdmirtcWebrtc *w, HdmirtcWebrtcOutbound *o)
{
	if (o && g_ptr_array_remove(w->outbounds, o))
		hdmirtc_hub_count_listeners(w);
}

HdmirtcPeer *hdmirtc_outbound_get_peer(HdmirtcWebrtcOutbound *o)
{
	return o->peer;
}

void hdmirtc_webrtc_outbound_add_status(HdmirtcWebrtcOutbound *o, JsonBuilder *b)
{
	hdmirtc_peer_add_status(o->peer, b);
}
