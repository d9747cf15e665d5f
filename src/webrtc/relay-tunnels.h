/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The TLS tunnels of the hub's turns: relays, one per server (name, IP,
 * port), made on first use and kept for the hub's life: viewers' relay
 * allocations live in their TCP connections through it.  Network thread. */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/webrtc.h"

G_BEGIN_DECLS

typedef struct HdmirtcRelayTunnels HdmirtcRelayTunnels;

/* ca_file: PEM, NULL or "" = the system's store. */
HdmirtcRelayTunnels *hdmirtc_relay_tunnels_new(GMainContext *ctx, const char *ca_file, gboolean verify);
/* NULL-safe; closes every tunnelled connection. */
void hdmirtc_relay_tunnels_free(HdmirtcRelayTunnels *tunnels);
/* The 127.0.0.1 port that reaches relay (a TLS one) over TLS; 0 and error
 * when the tunnel cannot be made (bad CA file, no port). */
guint hdmirtc_relay_tunnels_get_port(HdmirtcRelayTunnels *tunnels, const HdmirtcWebrtcRelay *relay,
                                     GError **error);
/* Adds a "turn_tls_tunnels" array member (server, port, connections,
 * failures, active, last_error). */
void hdmirtc_relay_tunnels_add_status(HdmirtcRelayTunnels *tunnels, JsonBuilder *b);

G_END_DECLS
