/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Listening and accepting, done here rather than by libsoup so that one
 * port serves both HTTPS and the plain-HTTP request of someone who typed
 * http:// (answered with a redirect by the router): the first byte a
 * client sends tells them apart, a TLS record of type handshake (22)
 * against an HTTP method's first letter.  Each connection is then handed
 * to the SoupServer as a stream, wrapped in a GTlsServerConnection when it
 * speaks TLS.
 *
 * libsoup gives a message no socket for a connection handed over as a
 * stream; the limits (http-limits.c) need it to shut a connection down,
 * so each connection's remote address object, which the message returns,
 * carries its socket.
 *
 * Server's main context. */
#include "http-private.h"
#include "hdmirtc/gsource.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gunixsocketaddress.h>

/* The kernel takes at most net.core.somaxconn (4096 by default since
 * Linux 5.4). */
#define LISTEN_BACKLOG 4096
/* Connections accepted per wake-up of the listening socket. */
#define ACCEPT_BATCH 64
#define SOCKET_KEY "hdmirtc-http-socket"
/* TLS record content type of a ClientHello (RFC 8446 5.1). */
#define TLS_HANDSHAKE_RECORD 22
/* A client that connects and says nothing is shut down after this long,
 * as one that never finishes its request (http-limits.c). */
#define FIRST_BYTE_TIMEOUT_S 10

typedef struct {
	HdmirtcHttpServer *server;
	GSocket *socket;
	GSource *source;
} Listener;

/* A connection whose first byte has not arrived yet. */
typedef struct {
	HdmirtcHttpServer *server;
	GSocketConnection *conn;
	GSource *readable;
	GSource *timeout;
	char *address;          /* counted in the limits while waiting */
} Waiting;

void hdmirtc_http_waiting_free(gpointer data)
{
	Waiting *w = data;

	hdmirtc_source_clear(&w->readable);
	hdmirtc_source_clear(&w->timeout);
	hdmirtc_http_limits_connection_end(w->server->limits, w->address);
	g_free(w->address);
	g_clear_object(&w->conn);
	g_free(w);
}

void hdmirtc_http_listener_free(gpointer data)
{
	Listener *l = data;

	hdmirtc_source_clear(&l->source);
	g_socket_close(l->socket, NULL);
	g_object_unref(l->socket);
	g_free(l);
}

GSocket *hdmirtc_http_listen_socket_of(SoupServerMessage *msg)
{
	GSocketAddress *remote = soup_server_message_get_remote_address(msg);

	return remote ? g_object_get_data(G_OBJECT(remote), SOCKET_KEY) : NULL;
}

/* The address the message will give: a new object per connection, so it
 * can carry the socket. */
static GSocketAddress *remote_address_of(GSocket *socket)
{
	GSocketAddress *remote = g_socket_get_remote_address(socket, NULL);

	if (!remote)   /* a peer gone already: any address will do */
		remote = g_unix_socket_address_new("");
	g_object_set_data_full(G_OBJECT(remote), SOCKET_KEY, g_object_ref(socket), g_object_unref);
	return remote;
}

static void hand_over(HdmirtcHttpServer *self, GSocketConnection *conn, gboolean tls)
{
	GSocket *socket = g_socket_connection_get_socket(conn);
	g_autoptr(GSocketAddress) local = g_socket_get_local_address(socket, NULL);
	g_autoptr(GSocketAddress) remote = remote_address_of(socket);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	if (!local)
		local = g_object_ref(remote);
	if (tls) {
		stream = g_tls_server_connection_new(G_IO_STREAM(conn), self->tls_certificate, &error);
		if (!stream) {
			g_message("HTTPS: cannot start TLS: %s", error->message);
			g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
			return;
		}
		/* Browsers close HTTPS connections without close_notify. */
		g_object_set(stream, "require-close-notify", FALSE, NULL);
	} else {
		stream = G_IO_STREAM(g_object_ref(conn));
	}
	soup_server_accept_iostream(self->soup, stream, local, remote, NULL);
}

static gboolean on_first_byte(GSocket *socket, GIOCondition cond, gpointer data)
{
	Waiting *w = data;
	guint8 first = 0;
	ssize_t n;

	do
		n = recv(g_socket_get_fd(socket), &first, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return G_SOURCE_CONTINUE;
	/* n == 0 (the client left) or an error: libsoup reads the end and
	 * closes as for any connection; a plain hand-over does it cheaply. */
	hand_over(w->server, w->conn, n == 1 && first == TLS_HANDSHAKE_RECORD);
	g_ptr_array_remove_fast(w->server->waiting, w);
	return G_SOURCE_REMOVE;
}

static gboolean on_first_byte_timeout(gpointer data)
{
	Waiting *w = data;

	hdmirtc_http_limits_count_timeout(w->server->limits, w->address);
	g_io_stream_close(G_IO_STREAM(w->conn), NULL, NULL);
	g_ptr_array_remove_fast(w->server->waiting, w);
	return G_SOURCE_REMOVE;
}

/* Waits for the first byte before deciding between TLS and plain HTTP;
 * counted in the limits meanwhile, so that a client cannot hold more
 * silent connections than it may hold connections. */
static void wait_for_first_byte(HdmirtcHttpServer *self, GSocket *socket)
{
	g_autoptr(GSocketAddress) peer = g_socket_get_remote_address(socket, NULL);
	g_autofree char *address = hdmirtc_http_ip_of(peer);
	Waiting *w;

	if (!hdmirtc_http_limits_connection_begin(self->limits, address, self->trust_forwarded)) {
		hdmirtc_http_limits_connection_end(self->limits, address);
		g_socket_close(socket, NULL);
		return;
	}
	w = g_new0(Waiting, 1);
	w->server = self;
	w->address = g_steal_pointer(&address);
	w->conn = g_socket_connection_factory_create_connection(socket);
	w->readable = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(w->readable, G_SOURCE_FUNC(on_first_byte), w, NULL);
	g_source_attach(w->readable, g_main_context_get_thread_default());
	w->timeout = g_timeout_source_new_seconds(FIRST_BYTE_TIMEOUT_S);
	g_source_set_callback(w->timeout, on_first_byte_timeout, w, NULL);
	g_source_attach(w->timeout, g_main_context_get_thread_default());
	g_ptr_array_add(self->waiting, w);
}

/* FALSE when nothing more is waiting. */
static gboolean accept_one(HdmirtcHttpServer *self, GSocket *listening)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) socket = g_socket_accept(listening, NULL, &error);

	if (!socket) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			g_message("HTTP: accept: %s", error->message);
		return FALSE;
	}
	if (g_socket_get_family(socket) != G_SOCKET_FAMILY_UNIX)
		g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
	if (self->tls_certificate) {
		wait_for_first_byte(self, socket);
	} else {
		g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(socket);

		hand_over(self, conn, FALSE);
	}
	return TRUE;
}

/* A burst of connections (one client's, past its cap: shut at once) is
 * taken off the queue in batches, not one a main-loop turn: a full queue
 * makes the kernel drop handshakes, and those it then answers with SYN
 * cookies and drops again leave clients thinking they are connected to a
 * server that never heard of them.  The batch is bounded so the rest of
 * the loop (frames to viewers) runs in between. */
static gboolean on_incoming(GSocket *listening, GIOCondition cond, gpointer data)
{
	Listener *l = data;

	for (guint i = 0; i < ACCEPT_BATCH && accept_one(l->server, listening); i++)
		;
	return G_SOURCE_CONTINUE;
}

static gboolean add_listener(HdmirtcHttpServer *self, GSocketAddress *address, GError **error)
{
	GSocketFamily family = g_socket_address_get_family(address);
	g_autoptr(GSocket) socket = g_socket_new(family, G_SOCKET_TYPE_STREAM,
	                                         family == G_SOCKET_FAMILY_UNIX ? G_SOCKET_PROTOCOL_DEFAULT
	                                                                        : G_SOCKET_PROTOCOL_TCP,
	                                         error);
	Listener *l;

	if (!socket)
		return FALSE;
	/* "::" and "0.0.0.0" get a socket each, as libsoup's listen_all. */
	if (family == G_SOCKET_FAMILY_IPV6)
		g_socket_set_option(socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
	/* GLib's default backlog of 10 would fill with one client's burst of
	 * connections (shut at once past its cap) and leave everyone else's
	 * SYNs waiting for a retransmission (1000 at once overflowed 512). */
	g_socket_set_listen_backlog(socket, LISTEN_BACKLOG);
	/* on_incoming accepts until the queue is empty: WOULD_BLOCK, not a wait. */
	g_socket_set_blocking(socket, FALSE);
	if (!g_socket_bind(socket, address, family != G_SOCKET_FAMILY_UNIX, error) ||
	    !g_socket_listen(socket, error))
		return FALSE;
	l = g_new0(Listener, 1);
	l->server = self;
	l->socket = g_steal_pointer(&socket);
	l->source = g_socket_create_source(l->socket, G_IO_IN, NULL);
	g_source_set_callback(l->source, G_SOURCE_FUNC(on_incoming), l, NULL);
	g_source_attach(l->source, g_main_context_get_thread_default());
	g_ptr_array_add(self->listeners, l);
	return TRUE;
}

static guint bound_port(HdmirtcHttpServer *self)
{
	Listener *l = self->listeners->pdata[self->listeners->len - 1];
	g_autoptr(GSocketAddress) local = g_socket_get_local_address(l->socket, NULL);

	return G_IS_INET_SOCKET_ADDRESS(local) ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)) : 0;
}

static gboolean listen_tcp(HdmirtcHttpServer *self, GError **error)
{
	g_autoptr(GSocketAddress) sa = NULL;
	g_autoptr(GError) v6_error = NULL;

	if (!g_inet_address_get_is_any(self->inet) ||
	    g_inet_address_get_family(self->inet) == G_SOCKET_FAMILY_IPV4) {
		sa = g_inet_socket_address_new(self->inet, self->port);
		return add_listener(self, sa, error);
	}
	/* "::": IPv4 first, so that port 0 picks the port both share. */
	{
		g_autoptr(GInetAddress) any4 = g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
		g_autoptr(GSocketAddress) sa4 = g_inet_socket_address_new(any4, self->port);

		if (!add_listener(self, sa4, error))
			return FALSE;
		self->port = bound_port(self);
	}
	sa = g_inet_socket_address_new(self->inet, self->port);
	/* A kernel without IPv6 still serves IPv4. */
	if (!add_listener(self, sa, &v6_error))
		g_message("HTTP: IPv4 only: %s", v6_error->message);
	return TRUE;
}

gboolean hdmirtc_http_listen_start(HdmirtcHttpServer *self, GError **error)
{
	gboolean ok;

	if (self->unix_socket) {
		g_autoptr(GSocketAddress) sa = g_unix_socket_address_new(self->unix_socket);

		/* A socket file left by an earlier run would make bind fail. */
		if (g_file_test(self->unix_socket, G_FILE_TEST_EXISTS) && !g_file_test(self->unix_socket, G_FILE_TEST_IS_REGULAR))
			(void)unlink(self->unix_socket);
		ok = add_listener(self, sa, error);
		if (!ok)
			g_prefix_error(error, "cannot listen on %s: ", self->unix_socket);
		return ok;
	}
	ok = listen_tcp(self, error);
	if (!ok) {
		g_prefix_error(error, "cannot listen on %s port %u: ", self->address, self->port);
		return FALSE;
	}
	self->port = bound_port(self);
	return TRUE;
}

void hdmirtc_http_listen_stop(HdmirtcHttpServer *self)
{
	if (self->listeners)
		g_ptr_array_set_size(self->listeners, 0);
	if (self->waiting)
		g_ptr_array_set_size(self->waiting, 0);
	if (self->unix_socket)
		(void)unlink(self->unix_socket);
}
