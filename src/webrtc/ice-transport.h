/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One viewer's ICE transport: a libnice agent with one stream and one
 * component (BUNDLE + rtcp-mux), full ICE in the controlled role (the
 * service answers, WHEP) or the controlling one (it offers, WHIP).
 * Consent (RFC 7675) is the peer's job (peer.c): libnice 0.1.21's own
 * consent freshness gives up after one lost check, which drops viewers
 * on a link with 10% loss.
 * Everything runs on the GMainContext given at creation (the network
 * thread); callbacks are called there. */
#pragma once

#include <gio/gio.h>

#include "hdmirtc/webrtc.h"

G_BEGIN_DECLS

typedef enum {
	HDMIRTC_ICE_STATE_NEW,
	HDMIRTC_ICE_STATE_CHECKING,
	HDMIRTC_ICE_STATE_CONNECTED,
	HDMIRTC_ICE_STATE_FAILED,   /* checks failed */
} HdmirtcIceState;

typedef struct {
	const char *stun_host;          /* NULL or "" = no STUN */
	guint stun_port;
	guint port_min;                 /* UDP range for host candidates */
	guint port_max;
	/* Addresses to gather on (IP literals); NULL or empty = all
	 * non-loopback interfaces, as libnice picks them. */
	const char *const *local_addresses;
	/* The address the viewer's WHEP POST arrived on (a path it is known to
	 * reach, e.g. a VPN interface the automatic choice leaves out): one
	 * more host candidate address when local_addresses is a list without
	 * it, of a family in use and not link-local.  NULL = none. */
	const char *arrival_address;
	gboolean ipv6;
	/* Passive TCP host candidates too (RFC 6544), in the same port range,
	 * and the viewer's TCP candidates taken. */
	gboolean ice_tcp;
	/* Extra host candidates (1:1 NAT) with the real ones' ports; NULL = none. */
	const char *const *public_addresses;
	const HdmirtcWebrtcRelay *relays;   /* TURN servers, n_relays of them */
	guint n_relays;
	gboolean controlling;           /* RFC 8445 6.1.1: the offerer's role */
} HdmirtcIceConfig;

typedef struct HdmirtcIceTransport HdmirtcIceTransport;

typedef struct {
	void (*state_changed)(HdmirtcIceTransport *ice, HdmirtcIceState state, gpointer user_data);
	/* Local candidate gathering finished (at once without STUN/TURN). */
	void (*gathering_done)(HdmirtcIceTransport *ice, gpointer user_data);
	/* An ICE restart connected: media now goes on the new path. */
	void (*restarted)(HdmirtcIceTransport *ice, gpointer user_data);
	/* One received datagram that is not STUN (DTLS, SRTP or SRTCP). */
	void (*received)(HdmirtcIceTransport *ice, const guint8 *data, gsize len, gpointer user_data);
} HdmirtcIceCallbacks;

HdmirtcIceTransport *hdmirtc_ice_transport_new(GMainContext *ctx, const HdmirtcIceConfig *config,
                                               const HdmirtcIceCallbacks *callbacks,
                                               gpointer user_data, GError **error);
/* NULL-safe; no callback is called after this returns. */
void hdmirtc_ice_transport_free(HdmirtcIceTransport *ice);

/* ICE restart (RFC 8445 9, the viewer sent new credentials): gathers on a
 * new agent with config (the addresses of now) while the current one goes
 * on sending; once the new one connects it takes over and restarted is
 * called; if it fails, the state becomes FAILED.  From this call on, the
 * credential, candidate and gathering functions below are about the new
 * agent.  A restart during a restart replaces the unfinished one.  An
 * offerer restarts with NULL remote credentials and sets them once the
 * other side answers. */
gboolean hdmirtc_ice_transport_restart(HdmirtcIceTransport *ice, const HdmirtcIceConfig *config,
                                       const char *remote_ufrag, const char *remote_pwd,
                                       GError **error);
gboolean hdmirtc_ice_transport_is_restarting(HdmirtcIceTransport *ice);
/* Restarts that connected. */
guint hdmirtc_ice_transport_get_restarts(HdmirtcIceTransport *ice);

/* Owned by the transport. */
const char *hdmirtc_ice_transport_get_ufrag(HdmirtcIceTransport *ice);
const char *hdmirtc_ice_transport_get_pwd(HdmirtcIceTransport *ice);
/* The viewer's ufrag, NULL before set_remote_credentials. */
const char *hdmirtc_ice_transport_get_remote_ufrag(HdmirtcIceTransport *ice);
/* "candidate:..." lines (no "a=" prefix) gathered so far, followed by one
 * host candidate per public address and real host candidate of its
 * family; transfer full. */
GPtrArray *hdmirtc_ice_transport_get_local_candidates(HdmirtcIceTransport *ice);
gboolean hdmirtc_ice_transport_is_gathering_done(HdmirtcIceTransport *ice);
/* TRUE when config->arrival_address was gathered on as an address of its
 * own (of the newest agent). */
gboolean hdmirtc_ice_transport_has_arrival_candidate(HdmirtcIceTransport *ice);

gboolean hdmirtc_ice_transport_set_remote_credentials(HdmirtcIceTransport *ice, const char *ufrag,
                                                      const char *pwd, GError **error);
/* Accepts "candidate:..." or "a=candidate:...".  Returns FALSE for lines it
 * cannot use (TCP without ice_tcp, unresolved mDNS names, garbage): such
 * candidates are skipped, since the browser also finds us through
 * peer-reflexive checks. */
gboolean hdmirtc_ice_transport_add_remote_candidate(HdmirtcIceTransport *ice, const char *line);
void hdmirtc_ice_transport_remote_gathering_done(HdmirtcIceTransport *ice);

/* Sends one datagram on the selected pair.  Returns bytes sent or a
 * negative errno (-EAGAIN when the socket is full, -ENOTCONN before ICE
 * connected). */
int hdmirtc_ice_transport_send(HdmirtcIceTransport *ice, const guint8 *data, gsize len);

/* Most datagrams hdmirtc_ice_transport_send_batch() takes at once. */
#define HDMIRTC_ICE_BATCH_MAX 64

/* Sends pkts[0..n-1] (n <= HDMIRTC_ICE_BATCH_MAX, each one datagram) on
 * the selected pair, in order, in as few system calls as the pair allows:
 * a plain UDP pair gets them straight on its socket with sendmmsg and UDP
 * GSO (udp-batch.h); a relayed or TCP pair through libnice, all in one
 * call.  Returns how many were sent counting from the first (a full
 * socket stops the run), or a negative errno when none was: -EAGAIN
 * (socket full), -ENOTCONN (ICE not connected), -EIO. */
int hdmirtc_ice_transport_send_batch(HdmirtcIceTransport *ice, const GOutputVector *pkts, guint n);
/* Network thread: TRUE when the next batches go straight to the selected
 * pair's own socket (no libnice call).  Until the network thread next
 * touches the transport, send_batch() may then be called from another
 * thread (send-workers.h). */
gboolean hdmirtc_ice_transport_prepare_direct_send(HdmirtcIceTransport *ice);
/* FALSE: batches always go through libnice (tests, comparisons). */
void hdmirtc_ice_transport_set_direct_send(HdmirtcIceTransport *ice, gboolean allow);
/* How the last batch went: "udp-gso", "udp-sendmmsg", "libnice",
 * "pending" (connected, nothing sent yet) or "none" (not connected);
 * static string. */
const char *hdmirtc_ice_transport_get_send_path(HdmirtcIceTransport *ice);

/* "host udp 127.0.0.1:10002 -> prflx udp 127.0.0.1:53211", or NULL before
 * a pair is selected; transfer full. */
char *hdmirtc_ice_transport_describe_pair(HdmirtcIceTransport *ice);
const char *hdmirtc_ice_state_to_string(HdmirtcIceState state);

G_END_DECLS
