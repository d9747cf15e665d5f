/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared between turn-tls-tunnel.c (listener, limits, wolfSSL context)
 * and turn-tls-conn.c (one tunnelled connection); not for other modules.
 * Thread: all of it runs on the tunnel's GMainContext. */
#pragma once

#include "hdmirtc/turn-tls.h"

#include <sys/socket.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

typedef enum {
	CONN_CONNECTING,
	CONN_HANDSHAKING,
	CONN_PUMPING,
} ConnState;

/* Bytes [head, tail) of data wait to be sent on. */
typedef struct {
	guint8 *data;
	gsize head;
	gsize tail;
} Buf;

typedef struct {
	HdmirtcTurnTlsTunnel *tunnel;
	GList link;                     /* in tunnel->conns */
	ConnState state;
	GSource *source;
	int local_fd;                   /* accepted from libnice */
	gpointer local_tag;
	int remote_fd;                  /* to the TURN server; -1 before connect */
	gpointer remote_tag;
	WOLFSSL *ssl;
	Buf up;                         /* libnice -> server, plaintext */
	Buf down;                       /* server -> libnice, plaintext */
	gint64 deadline;                /* monotonic us; -1 = none */
	gboolean up_pending;            /* wolfSSL_write must be retried on up as is */
	gboolean tls_want_write;
	gboolean local_eof;
	gboolean local_failed;
	gboolean remote_done;           /* closed, reset or TLS error: read no more */
	char *verify_error;             /* why our verify callback refused */
	gboolean leaf_checked;          /* our verify callback accepted the leaf */
	char *io_error;                 /* what the socket said during the handshake */
} TunnelConn;

struct HdmirtcTurnTlsTunnel {
	GMainContext *context;
	WOLFSSL_CTX *ssl_ctx;
	int listen_fd;
	guint listen_port;
	GSource *listen_source;
	gpointer listen_tag;
	struct sockaddr_storage server;
	socklen_t server_len;
	char *server_desc;              /* "ip:port" for messages */
	char *server_name;
	guint8 server_name_ip[16];      /* server_name as IP bytes if it is one */
	gsize server_name_ip_len;       /* 0 = server_name is a DNS name */
	gboolean verify;
	guint connect_timeout_ms;
	guint handshake_timeout_ms;
	guint max_connections;
	GQueue conns;
	guint connections;
	guint failures;
	gboolean failing;               /* last connection failed; log recovery */
	char *last_error;
};

/* ---- turn-tls-tunnel.c ---- */

/* A GSource with no checks of its own: the unix fds added to it and its
 * ready time wake it, then func(data) runs.  Attached to ctx; the caller
 * owns the returned ref. */
GSource *hdmirtc_turn_tls_fd_source_new(GMainContext *ctx, GSourceFunc func, gpointer data,
                                        const char *name);

/* Counts a failed connection; takes ownership of msg.  server: the server
 * (or the path to it) failed, not our own connection cap. */
void hdmirtc_turn_tls_record_failure(HdmirtcTurnTlsTunnel *t, char *msg, gboolean server);

/* A TLS session came up; logs the end of a run of server failures. */
void hdmirtc_turn_tls_record_success(HdmirtcTurnTlsTunnel *t);

/* ---- turn-tls-conn.c ---- */

/* wolfSSL callbacks for t->ssl_ctx: I/O on the connection's remote
 * socket (ctx is the TunnelConn) and the cert manager's verify callback. */
int hdmirtc_turn_tls_on_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx);
int hdmirtc_turn_tls_on_send(WOLFSSL *ssl, char *buf, int sz, void *ctx);
int hdmirtc_turn_tls_on_verify(int preverify, WOLFSSL_X509_STORE_CTX *store);

/* Tunnels the accepted loopback socket local_fd (non-blocking; owned from
 * here on) to the server; the connection joins t->conns and frees itself
 * when either side ends. */
void hdmirtc_turn_tls_conn_start(HdmirtcTurnTlsTunnel *t, int local_fd);

/* Closes both sockets and frees c, unlinking it from its tunnel. */
void hdmirtc_turn_tls_conn_destroy(TunnelConn *c);
