/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A loopback TCP -> TLS tunnel so libnice can use "turns:" TURN servers.
 *
 * libnice 0.1.21 has no TLS client (NICE_RELAY_TYPE_TURN_TLS is Google's
 * pseudo-SSL), but TURN over TLS is TURN over TCP inside TLS (RFC 8656
 * section 3.1), so libnice is given NICE_RELAY_TYPE_TURN_TCP to
 * 127.0.0.1:hdmirtc_turn_tls_tunnel_get_port() and every connection it
 * opens there is joined to a new wolfSSL client connection to the real
 * server.  Bytes are copied both ways unparsed until either side closes.
 *
 * Thread: everything runs on the GMainContext given to _new() (the network
 * thread's); call every function on the thread that runs that context.
 * Nothing here blocks it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Errors of hdmirtc_turn_tls_tunnel_new(); failures of individual
 * tunnelled connections are counted instead (get_failures/get_last_error). */
#define HDMIRTC_TURN_TLS_TUNNEL_ERROR (hdmirtc_turn_tls_tunnel_error_quark())
GQuark hdmirtc_turn_tls_tunnel_error_quark(void);

typedef enum {
	HDMIRTC_TURN_TLS_TUNNEL_ERROR_ADDRESS,  /* server_ip not an IP literal, port 0 or > 65535 */
	HDMIRTC_TURN_TLS_TUNNEL_ERROR_CA,       /* CA file (or system store) unreadable */
	HDMIRTC_TURN_TLS_TUNNEL_ERROR_TLS,      /* wolfSSL context setup */
	HDMIRTC_TURN_TLS_TUNNEL_ERROR_LISTEN,   /* loopback socket, bind or listen */
} HdmirtcTurnTlsTunnelError;

/* Defaults; see hdmirtc_turn_tls_tunnel_set_limits(). */
#define HDMIRTC_TURN_TLS_TUNNEL_CONNECT_TIMEOUT_MS 5000
#define HDMIRTC_TURN_TLS_TUNNEL_HANDSHAKE_TIMEOUT_MS 10000
#define HDMIRTC_TURN_TLS_TUNNEL_MAX_CONNECTIONS 256

typedef struct HdmirtcTurnTlsTunnel HdmirtcTurnTlsTunnel;

/* Starts listening on 127.0.0.1 on an ephemeral port; sources are attached
 * to ctx (a ref is kept).
 *
 * server_ip: IP literal (v4 or v6) to connect to; port: its TLS port.
 * server_name: the host of the TURN URL; the certificate must carry it as a
 *   subjectAltName DNS name (wildcards as wolfSSL matches them) or, for an
 *   IP literal, as a SAN IP address.  NULL = server_ip.  It is sent as SNI
 *   when it is a name and wolfSSL was built with SNI (HAVE_SNI).
 * ca_file: PEM file of trusted CAs; NULL = the system store
 *   (/etc/ssl/certs/ca-certificates.crt, else wolfSSL's system CA dirs).
 * verify: FALSE skips every certificate check (self-signed lab servers);
 *   logged as a warning here.  ca_file and server_name are then unused.
 * Returns NULL with error set on failure. */
HdmirtcTurnTlsTunnel *hdmirtc_turn_tls_tunnel_new(GMainContext *ctx, const char *server_ip, guint port,
                                                  const char *server_name, const char *ca_file,
                                                  gboolean verify, GError **error);

/* The loopback TCP port to give libnice (host order). */
guint hdmirtc_turn_tls_tunnel_get_port(HdmirtcTurnTlsTunnel *t);

/* Loopback connections accepted so far, including refused ones. */
guint hdmirtc_turn_tls_tunnel_get_connections(HdmirtcTurnTlsTunnel *t);

/* Connections that ended before the TLS session was up: connect error or
 * timeout, handshake error or timeout, certificate rejected, over the
 * connection limit.  Not counted: libnice closing first. */
guint hdmirtc_turn_tls_tunnel_get_failures(HdmirtcTurnTlsTunnel *t);

/* Tunnelled connections open right now. */
guint hdmirtc_turn_tls_tunnel_get_active(HdmirtcTurnTlsTunnel *t);

/* Why the last failure happened, e.g. "certificate verify failed for
 * turn.example.com: ..."; NULL if none.  Owned by the tunnel, valid until
 * the next failure or _free(). */
const char *hdmirtc_turn_tls_tunnel_get_last_error(HdmirtcTurnTlsTunnel *t);

/* Closes the listener and every tunnelled connection (libnice sees its TCP
 * connections end); no source of the tunnel runs afterwards.  NULL-safe. */
void hdmirtc_turn_tls_tunnel_free(HdmirtcTurnTlsTunnel *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcTurnTlsTunnel, hdmirtc_turn_tls_tunnel_free)

/* Mainly for tests: timeouts for new connections and the cap on
 * simultaneous connections; 0 keeps a value unchanged. */
void hdmirtc_turn_tls_tunnel_set_limits(HdmirtcTurnTlsTunnel *t, guint connect_timeout_ms,
                                        guint handshake_timeout_ms, guint max_connections);

G_END_DECLS
