/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hub behind include/hdmirtc/webrtc.h, shared by its two files:
 * viewer-hub.c (fan-out, keyframe requests, network settings, status,
 * life cycle), viewer-negotiation.c (WHEP: offers, answers, trickle and
 * ICE-restart fragments, DELETE) and outbound.c (sessions the service
 * offers, WHIP). */
#pragma once

#include "hdmirtc/webrtc.h"

#include "hdmirtc/dtls.h"
#include "hdmirtc/rtp.h"
#include "hdmirtc/sdp.h"
#include "frame-timings.h"
#include "peer.h"
#include "relay-tunnels.h"
#include "rtp-feed.h"
#include "send-workers.h"

struct HdmirtcWebrtc {
	GMainContext *ctx;
	guint max_viewers;
	HdmirtcSendPriority *send_priority;
	HdmirtcDtlsCert *cert;
	gboolean prefer_dtls_server;
	gboolean audio;                 /* HdmirtcWebrtcConfig.audio */
	HdmirtcListenersFunc listeners_changed;
	gpointer listeners_data;
	guint listeners;                /* viewers streaming with sound, as last told */
	HdmirtcIceConfig ice;
	GStrv local_addresses;
	GStrv public_addresses;
	char *stun_host;
	GArray *relays;                 /* HdmirtcWebrtcRelay, strings owned; TLS ones
	                                 * already turned into TCP to their tunnel */
	HdmirtcRelayTunnels *tunnels;
	GHashTable *peers;              /* id -> HdmirtcPeer*, owned */
	GPtrArray *feeds;               /* HdmirtcWebrtcFeed*, owned */
	GPtrArray *outbounds;           /* HdmirtcWebrtcOutbound*, owned */
	GPtrArray *pending_answers;     /* PendingAnswer*, owned */
	HdmirtcH264Packetizer *packetizer;
	HdmirtcPeerBatch *batch;        /* scratch space of hdmirtc_peer_send_frame() */
	HdmirtcSendWorkers *send_workers;
	GArray *send_items;             /* SendItem: one frame's viewers for the workers */
	guint64 frames_spread;          /* frames whose viewers the workers shared */
	/* Pictures sent in two parts (HdmirtcAuPart): when the open one's
	 * first part was first sent. */
	guint64 frames_started_early;
	guint64 early_seq;
	gint64 early_first_send_us;
	guint reap_source;

	HdmirtcKeyframeRequestFunc request_keyframe;
	gpointer user_data;
	gint64 keyframe_min_interval_us;
	gint64 last_keyframe_request_us;
	guint pending_keyframe_source;  /* a request held back by the rate limit */
	gboolean keyframe_in_flight;    /* asked for, no IDR seen since */
	guint64 keyframe_requests;
	guint64 keyframe_requests_sent;
	guint64 packetize_errors;
	HdmirtcFrameTimings timings;
};


/* viewer-hub.c: what a peer tells the hub. */
void hdmirtc_hub_on_peer_request_keyframe(HdmirtcPeer *peer, const char *reason, gboolean joining,
                                          gpointer user_data);
void hdmirtc_hub_on_peer_closed(HdmirtcPeer *peer, const char *reason, gpointer user_data);
void hdmirtc_hub_on_peer_streaming(HdmirtcPeer *peer, gpointer user_data);
/* Recounts the viewers streaming with sound; tells the service on a change. */
void hdmirtc_hub_count_listeners(HdmirtcWebrtc *w);

/* outbound.c */
void hdmirtc_outbound_free(HdmirtcWebrtcOutbound *o);
HdmirtcPeer *hdmirtc_outbound_get_peer(HdmirtcWebrtcOutbound *o);

/* viewer-negotiation.c: how long an SDP (a WHEP answer, a WHIP offer)
 * waits for server-reflexive and relayed candidates, since neither can
 * count on sending later ones; a TURN allocation over TCP or TLS takes
 * more round trips, so relays get longer. */
guint hdmirtc_negotiation_gather_wait_ms(const HdmirtcWebrtc *w);
/* Answers still waiting.  Ends those of closed
 * peers (their POST or PATCH gets an error). */
void hdmirtc_negotiation_end_closed(HdmirtcWebrtc *w);
/* Ends every waiting answer with why (the hub is going away). */
void hdmirtc_negotiation_end_all(HdmirtcWebrtc *w, const char *why);
