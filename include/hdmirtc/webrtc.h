/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The viewers: one WebRTC peer (ICE + DTLS + SRTP + RTP/RTCP) per browser,
 * all fed from one packetized stream.  Each encoded access unit is
 * packetized once and written to every connected viewer with its own
 * header and encryption.
 *
 * Thread: everything here runs on the network thread's GMainContext (the
 * one given to hdmirtc_webrtc_new()), or on another thread while the
 * network thread is known to be outside it (the service's media thread,
 * holding the network lock: src/service/network-lock.h); never on two
 * threads at once. */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/audio.h"
#include "hdmirtc/frame.h"

G_BEGIN_DECLS

#define HDMIRTC_WEBRTC_ERROR (hdmirtc_webrtc_error_quark())
GQuark hdmirtc_webrtc_error_quark(void);

typedef enum {
	HDMIRTC_WEBRTC_ERROR_TOO_MANY_VIEWERS,  /* max_viewers reached */
	HDMIRTC_WEBRTC_ERROR_NOT_FOUND,         /* no viewer with that id */
	HDMIRTC_WEBRTC_ERROR_PRECONDITION,      /* If-Match does not match the viewer's ETag */
	HDMIRTC_WEBRTC_ERROR_PRECONDITION_REQUIRED, /* a PATCH without If-Match */
	HDMIRTC_WEBRTC_ERROR_BAD_FRAGMENT,      /* PATCH body for another session or mid */
	HDMIRTC_WEBRTC_ERROR_NETWORK,           /* no candidate could be gathered */
	HDMIRTC_WEBRTC_ERROR_CERTIFICATE,       /* the DTLS certificate file */
	HDMIRTC_WEBRTC_ERROR_CLOSED,            /* the viewer or the service went away first */
} HdmirtcWebrtcError;

/* A TURN server the viewers' ICE agents allocate a relay on. */
typedef enum {
	HDMIRTC_WEBRTC_RELAY_UDP,
	HDMIRTC_WEBRTC_RELAY_TCP,
	HDMIRTC_WEBRTC_RELAY_TLS,
} HdmirtcWebrtcRelayTransport;

typedef struct {
	HdmirtcWebrtcRelayTransport transport;
	const char *ip;                 /* IP literal */
	guint port;
	const char *username;
	const char *password;
	/* TLS: the name (or IP literal) the server's certificate must carry;
	 * NULL = ip. */
	const char *server_name;
} HdmirtcWebrtcRelay;

typedef struct {
	guint max_viewers;
	const char *certificate_path;   /* created if missing */
	gboolean prefer_dtls_server;    /* answer a=setup:passive to actpass */
	guint keyframe_min_interval_ms; /* rate limit of PLI/FIR-requested IDRs */
	/* ICE */
	const char *stun_host;          /* IP literal, NULL or "" = no STUN */
	guint stun_port;
	guint udp_port_min;
	guint udp_port_max;
	const char *const *local_addresses;  /* NULL/empty = all non-loopback */
	gboolean ipv6;
	gboolean ice_tcp;               /* passive TCP host candidates too (RFC 6544) */
	/* Announced as extra host candidates with the ports of the real host
	 * candidates of the same family (static 1:1 NAT); NULL = none. */
	const char *const *public_addresses;
	/* TURN over TLS: trusted CAs (PEM file, NULL or "" = the system's
	 * store) and whether certificates are checked at all. */
	const char *turn_tls_ca;
	gboolean turn_tls_verify;
	/* The service sends sound: answers accept an Opus audio section
	 * bundled with the video (FALSE: every audio section is rejected). */
	gboolean audio;
	/* SCHED_RR priority of a frame's fan-out, 0 = normal scheduling
	 * (src/webrtc/send-priority.h). */
	guint send_priority;
} HdmirtcWebrtcConfig;

/* How many viewers stream with sound changed (the sound need not be
 * encoded for nobody); called where the hub runs. */
typedef void (*HdmirtcListenersFunc)(guint listeners, gpointer user_data);

typedef struct HdmirtcWebrtc HdmirtcWebrtc;

/* Asks the encoder for an IDR (called where the hub runs, see above;
 * already rate limited). */
typedef void (*HdmirtcKeyframeRequestFunc)(gpointer user_data);

HdmirtcWebrtc *hdmirtc_webrtc_new(GMainContext *ctx, const HdmirtcWebrtcConfig *config,
                                  HdmirtcKeyframeRequestFunc request_keyframe, gpointer user_data,
                                  GError **error);
/* NULL-safe: closes every viewer. */
void hdmirtc_webrtc_free(HdmirtcWebrtc *w);

/* Gets the SDP answer, or error (HDMIRTC_SDP_ERROR for a bad or unusable
 * offer, or HDMIRTC_WEBRTC_ERROR); every argument is borrowed. */
typedef void (*HdmirtcViewerAnsweredFunc)(const char *answer, const char *id, const char *etag,
                                          const GError *error, gpointer user_data);

/* WHEP POST: parses the offer and creates a viewer.  answered is called
 * exactly once: at once for a bad offer, else when the viewer's ICE
 * candidates are gathered (at most about a second and a half with STUN),
 * or with HDMIRTC_WEBRTC_ERROR_CLOSED if the viewer is removed or the hub
 * freed before.  arrival_address: the local address the POST came in on
 * (NULL = unknown), also gathered on for this viewer when the local
 * addresses leave it out (a VPN interface, a second LAN): the viewer is
 * known to reach it. */
void hdmirtc_webrtc_add_viewer(HdmirtcWebrtc *w, const char *offer, gsize len,
                               const char *arrival_address,
                               HdmirtcViewerAnsweredFunc answered, gpointer user_data);
/* Gets the PATCH result: fragment NULL = candidates taken (204), else the
 * answer fragment of an ICE restart with the session's new ETag; or error.
 * Every argument is borrowed. */
typedef void (*HdmirtcViewerPatchedFunc)(const char *fragment, const char *etag,
                                         const GError *error, gpointer user_data);

/* WHEP PATCH (application/trickle-ice-sdpfrag): trickled remote
 * candidates, or, when the fragment carries a new ice-ufrag, an ICE
 * restart gathering on the addresses set now (the viewer's media goes on
 * over the old path until the new one connects).  patched is called
 * exactly once: at once for candidates or an error, else when the new
 * candidates are gathered (or with HDMIRTC_WEBRTC_ERROR_CLOSED). */
/* if_match: as HdmirtcHttpHandlers.whep_patch gets it (NULL = no header:
 * 428; no tag that is "*" or the session's ETag: 412). */
void hdmirtc_webrtc_patch_viewer(HdmirtcWebrtc *w, const char *id, const char *const *if_match,
                                 const char *fragment, gsize len,
                                 HdmirtcViewerPatchedFunc patched, gpointer user_data);
/* WHEP DELETE. */
gboolean hdmirtc_webrtc_remove_viewer(HdmirtcWebrtc *w, const char *id, GError **error);
/* TRUE while the viewer's WHEP session exists (WHEP GET). */
gboolean hdmirtc_webrtc_has_viewer(HdmirtcWebrtc *w, const char *id);
guint hdmirtc_webrtc_get_n_viewers(HdmirtcWebrtc *w);

/* Sets the STUN server used by viewers that join from now on (after an
 * asynchronous name lookup); NULL or "" turns STUN off. */
void hdmirtc_webrtc_set_stun_server(HdmirtcWebrtc *w, const char *ip, guint port);
/* Sets the TURN servers of viewers that join from now on (copied); the
 * answer then also waits for their relay candidates.  libnice has no TLS
 * client: a TLS relay is reached through a tunnel on 127.0.0.1 (kept for
 * the hub's life) that libnice's TURN over TCP connects to. */
void hdmirtc_webrtc_set_relays(HdmirtcWebrtc *w, const HdmirtcWebrtcRelay *relays, guint n);
/* Sets the addresses viewers that join from now on gather on (copied);
 * NULL or empty = every non-loopback address (libnice's choice). */
void hdmirtc_webrtc_set_local_addresses(HdmirtcWebrtc *w, const char *const *addresses);

/* Sends one encoded access unit to every connected viewer. */
void hdmirtc_webrtc_send_access_unit(HdmirtcWebrtc *w, HdmirtcAccessUnit *au);

/* Set before the first viewer: told each time the number of viewers that
 * stream with sound changes. */
void hdmirtc_webrtc_set_listeners_func(HdmirtcWebrtc *w, HdmirtcListenersFunc func, gpointer user_data);
/* Sends one Opus packet to every connected viewer with an audio track. */
void hdmirtc_webrtc_send_audio(HdmirtcWebrtc *w, const HdmirtcAudioPacket *pkt);

/* ---- Feeds ---------------------------------------------------------------
 * The stream as plain RTP (no ICE, DTLS or SRTP) to fixed UDP ports, beside
 * the viewers: for an SFU on the same machine or a trusted link that fans
 * it out (a Janus Streaming mountpoint, src/publish).  Each frame and Opus
 * packet goes to every feed as to every viewer: packetized once, one copy
 * per feed.  Created and freed where the hub runs. */
typedef struct HdmirtcWebrtcFeed HdmirtcWebrtcFeed;

typedef struct {
	const char *address;            /* IP literal the ports are on */
	guint video_port;
	guint video_pt;
	/* Where sender reports go and where keyframe requests (PLI, FIR)
	 * come from; 0 = none. */
	guint video_rtcp_port;
	guint audio_port;               /* 0 = no sound */
	guint audio_pt;
} HdmirtcWebrtcFeedTarget;

/* Starts a feed; it asks for a keyframe and sends from the next one on.
 * NULL + error for a bad target or when no socket can be made. */
HdmirtcWebrtcFeed *hdmirtc_webrtc_add_feed(HdmirtcWebrtc *w, const HdmirtcWebrtcFeedTarget *target,
                                           GError **error);
/* NULL-safe; ends the feed with an RTCP BYE. */
void hdmirtc_webrtc_remove_feed(HdmirtcWebrtc *w, HdmirtcWebrtcFeed *feed);
/* Adds the feed's counters (frames_sent, packets_sent, keyframe_requests,
 * ...) to an object being built. */
void hdmirtc_webrtc_feed_add_status(HdmirtcWebrtcFeed *feed, JsonBuilder *b);

/* ---- Outbound sessions ---------------------------------------------------
 * A WebRTC session the service offers (WHIP, RFC 9725: src/publish): the
 * stream to an ingest server as to a viewer (the same packetized frames,
 * NACK, PLI/FIR, sender reports, Opus when the answer takes it), with the
 * service offering, controlling ICE and taking its DTLS role from the
 * answer.  Created and freed where the hub runs. */
typedef struct HdmirtcWebrtcOutbound HdmirtcWebrtcOutbound;

typedef struct {
	/* The offer, once the candidates are gathered (or the wait for
	 * STUN/TURN is over): POST it. */
	void (*offer_ready)(HdmirtcWebrtcOutbound *o, const char *offer, gpointer user_data);
	/* DTLS done: media flows.  NULL = not wanted. */
	void (*streaming)(HdmirtcWebrtcOutbound *o, gpointer user_data);
	/* Over: ICE or DTLS failed, or the server went silent for
	 * consent_timeout_ms.  Remove it, but not inside this call. */
	void (*closed)(HdmirtcWebrtcOutbound *o, const char *reason, gpointer user_data);
	/* The ICE restart's fragment (application/trickle-ice-sdpfrag, RFC
	 * 8840) with the new credentials and candidates: PATCH it. */
	void (*restart_ready)(HdmirtcWebrtcOutbound *o, const char *fragment, gpointer user_data);
} HdmirtcWebrtcOutboundCallbacks;

/* Starts gathering for a new session; offer_ready follows.  A server that
 * sends no RTCP for consent_timeout_ms while streaming is taken as gone. */
HdmirtcWebrtcOutbound *hdmirtc_webrtc_add_outbound(HdmirtcWebrtc *w, guint consent_timeout_ms,
                                                   const HdmirtcWebrtcOutboundCallbacks *callbacks,
                                                   gpointer user_data, GError **error);
/* The server's answer to the offer; HDMIRTC_SDP_ERROR when it cannot be
 * used (then remove the session). */
gboolean hdmirtc_webrtc_outbound_set_answer(HdmirtcWebrtcOutbound *o, const char *answer, gsize len,
                                            GError **error);
/* ICE restart of an answered session (the path broke, or the addresses
 * changed): gathers anew with the hub's network settings of now, then
 * restart_ready; media goes on on the old path until the new one connects.
 * FALSE before the answer or when no agent can be made. */
gboolean hdmirtc_webrtc_outbound_restart_ice(HdmirtcWebrtcOutbound *o, GError **error);
/* The server's answer to the restart fragment (its new credentials, and
 * candidates if it has new ones). */
gboolean hdmirtc_webrtc_outbound_set_restart_answer(HdmirtcWebrtcOutbound *o, const char *fragment, gsize len,
                                                    GError **error);
/* Milliseconds since the server last sent an authenticated packet (RTCP),
 * 0 while not streaming. */
guint hdmirtc_webrtc_outbound_get_silence_ms(HdmirtcWebrtcOutbound *o);
/* NULL-safe. */
void hdmirtc_webrtc_remove_outbound(HdmirtcWebrtc *w, HdmirtcWebrtcOutbound *o);
/* Adds the session's status object (state, ice_pair, packets_sent,
 * nack_seqs, pli, rtt_us, audio, ... as a viewer's) to the member or array
 * being built. */
void hdmirtc_webrtc_outbound_add_status(HdmirtcWebrtcOutbound *o, JsonBuilder *b);

/* Adds "viewers" (array) and "keyframe_requests" members to an object
 * being built. */
void hdmirtc_webrtc_add_status(HdmirtcWebrtc *w, JsonBuilder *b);

G_END_DECLS
