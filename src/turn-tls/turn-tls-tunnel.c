/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loopback TCP -> TLS tunnel for libnice's TURN-over-TCP to "turns:"
 * servers (see turn-tls-tunnel.h): the 127.0.0.1 listener, the limits and
 * failure counts, and the shared wolfSSL client context.  Each accepted
 * connection is handed to turn-tls-conn.c. */
#include "turn-tls-private.h"
#include "hdmirtc/gsource.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "hdmirtc/dtls.h"

#define ACCEPT_BATCH 16
/* After EMFILE and the like, accept() would fail again at once. */
#define ACCEPT_PAUSE_MS 100
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

G_DEFINE_QUARK(hdmirtc-turn-tls-tunnel-error-quark, hdmirtc_turn_tls_tunnel_error)

/* ---- the GSource type of the listener and of each connection ---- */

static gboolean fd_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	return callback != NULL ? callback(user_data) : G_SOURCE_REMOVE;
}

static GSourceFuncs fd_source_funcs = {
	.dispatch = fd_source_dispatch,
};

GSource *hdmirtc_turn_tls_fd_source_new(GMainContext *ctx, GSourceFunc func, gpointer data,
                                        const char *name)
{
	GSource *source = g_source_new(&fd_source_funcs, sizeof(GSource));

	g_source_set_callback(source, func, data, NULL);
	g_source_set_name(source, name);
	g_source_attach(source, ctx);
	return source;
}

/* ---- failure counts ---- */

/* Takes ownership of msg.  A reason repeated by every viewer is logged
 * once; the next success logs the end of the condition.  server: the
 * server (or the path to it) failed, not our own connection cap. */
void hdmirtc_turn_tls_record_failure(HdmirtcTurnTlsTunnel *t, char *msg, gboolean server)
{
	t->failures++;
	if (g_strcmp0(msg, t->last_error) != 0 || (server && !t->failing))
		g_message("TURN TLS tunnel to %s: %s", t->server_desc, msg);
	else
		g_debug("TURN TLS tunnel to %s: %s", t->server_desc, msg);
	g_free(t->last_error);
	t->last_error = msg;
	t->failing |= server;
}

void hdmirtc_turn_tls_record_success(HdmirtcTurnTlsTunnel *t)
{
	if (t->failing)
		g_message("TURN TLS tunnel to %s: TLS connections succeed again", t->server_desc);
	t->failing = FALSE;
}

/* ---- listener ---- */

static void listener_pause(HdmirtcTurnTlsTunnel *t, int err)
{
	g_message("TURN TLS tunnel to %s: accept: %s; pausing %d ms", t->server_desc,
	          g_strerror(err), ACCEPT_PAUSE_MS);
	g_source_modify_unix_fd(t->listen_source, t->listen_tag, 0);
	g_source_set_ready_time(t->listen_source, g_get_monotonic_time() + ACCEPT_PAUSE_MS * 1000);
}

static void listener_accept_one(HdmirtcTurnTlsTunnel *t, int fd)
{
	t->connections++;
	if (g_queue_get_length(&t->conns) >= t->max_connections) {
		close(fd);
		hdmirtc_turn_tls_record_failure(t, g_strdup_printf("refused a connection: %u tunnelled "
		                                                   "connections already open",
		                                                   t->max_connections), FALSE);
		return;
	}
	hdmirtc_turn_tls_conn_start(t, fd);
}

static gboolean on_listener_ready(gpointer data)
{
	HdmirtcTurnTlsTunnel *t = data;
	gint64 resume = g_source_get_ready_time(t->listen_source);

	if (resume >= 0) {
		if (g_source_get_time(t->listen_source) < resume)
			return G_SOURCE_CONTINUE;
		g_source_set_ready_time(t->listen_source, -1);
		g_source_modify_unix_fd(t->listen_source, t->listen_tag, G_IO_IN);
	}
	for (guint i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(t->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			listener_accept_one(t, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			listener_pause(t, errno);
		break;
	}
	return G_SOURCE_CONTINUE;
}

/* Only 127.0.0.1: any local process can reach the TURN server through the
 * tunnel, but it could connect to the server directly just as well, and
 * allocating still needs the TURN credentials, which only libnice has. */
static gboolean listener_open(HdmirtcTurnTlsTunnel *t, GError **error)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);

	t->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (t->listen_fd < 0 ||
	    bind(t->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(t->listen_fd, 64) < 0 ||
	    getsockname(t->listen_fd, (struct sockaddr *)&addr, &len) < 0) {
		g_set_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_LISTEN,
		            "TURN TLS tunnel: cannot listen on 127.0.0.1: %s", g_strerror(errno));
		return FALSE;
	}
	t->listen_port = ntohs(addr.sin_port);
	t->listen_source = hdmirtc_turn_tls_fd_source_new(t->context, on_listener_ready, t,
	                                                  "hdmirtc TURN TLS listener");
	t->listen_tag = g_source_add_unix_fd(t->listen_source, t->listen_fd, G_IO_IN);
	return TRUE;
}

/* ---- setup ---- */

static gboolean load_cas(WOLFSSL_CTX *ctx, const char *ca_file, GError **error)
{
	const char *what = ca_file;
	int ret;

	/* Debian's bundle is one file; wolfSSL's system loader would parse
	 * every file of /etc/ssl/certs, the bundle included, instead. */
	if (ca_file == NULL && g_file_test(SYSTEM_CA_BUNDLE, G_FILE_TEST_EXISTS))
		what = SYSTEM_CA_BUNDLE;
	if (what != NULL) {
		ret = wolfSSL_CTX_load_verify_locations(ctx, what, NULL);
	} else {
#ifdef WOLFSSL_SYS_CA_CERTS
		what = "the system CA store";
		ret = wolfSSL_CTX_load_system_CA_certs(ctx);
#else
		what = SYSTEM_CA_BUNDLE;
		ret = WOLFSSL_BAD_FILE;
#endif
	}
	if (ret != WOLFSSL_SUCCESS) {
		char text[WOLFSSL_MAX_ERROR_SZ];

		g_set_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_CA,
		            "TURN TLS tunnel: cannot load trusted CAs from %s: %s", what,
		            wolfSSL_ERR_error_string((unsigned long)ret, text));
		return FALSE;
	}
	return TRUE;
}

static gboolean ssl_ctx_open(HdmirtcTurnTlsTunnel *t, const char *ca_file, GError **error)
{
	hdmirtc_dtls_library_init();
	/* The v23 method negotiates the highest version both support (TLS 1.3
	 * in this build); 1.0/1.1 are refused. */
	t->ssl_ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	if (t->ssl_ctx == NULL || wolfSSL_CTX_SetMinVersion(t->ssl_ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
		g_set_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_TLS,
		            "TURN TLS tunnel: cannot create the wolfSSL client context");
		return FALSE;
	}
	wolfSSL_CTX_SetIORecv(t->ssl_ctx, hdmirtc_turn_tls_on_recv);
	wolfSSL_CTX_SetIOSend(t->ssl_ctx, hdmirtc_turn_tls_on_send);
	if (!t->verify) {
		wolfSSL_CTX_set_verify(t->ssl_ctx, WOLFSSL_VERIFY_NONE, NULL);
		return TRUE;
	}
	if (!load_cas(t->ssl_ctx, ca_file, error))
		return FALSE;
	wolfSSL_CTX_set_verify(t->ssl_ctx, WOLFSSL_VERIFY_PEER, NULL);
	wolfSSL_CertManagerSetVerify(wolfSSL_CTX_GetCertManager(t->ssl_ctx),
	                             hdmirtc_turn_tls_on_verify);
	return TRUE;
}

static gboolean parse_server(HdmirtcTurnTlsTunnel *t, const char *server_ip, guint port,
                             const char *server_name, GError **error)
{
	g_autoptr(GInetAddress) ip = server_ip ? g_inet_address_new_from_string(server_ip) : NULL;
	g_autoptr(GInetAddress) name_ip = NULL;
	g_autoptr(GSocketAddress) sa = NULL;

	if (ip == NULL || port == 0 || port > 65535) {
		g_set_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_ADDRESS,
		            "TURN TLS tunnel: server must be an IP literal and a port 1-65535, not %s:%u",
		            server_ip ? server_ip : "(null)", port);
		return FALSE;
	}
	sa = g_inet_socket_address_new(ip, (guint16)port);
	t->server_len = (socklen_t)g_socket_address_get_native_size(sa);
	if (!g_socket_address_to_native(sa, &t->server, sizeof(t->server), error))
		return FALSE;
	t->server_desc = g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6
		? g_strdup_printf("[%s]:%u", server_ip, port) : g_strdup_printf("%s:%u", server_ip, port);
	t->server_name = g_strdup(server_name && *server_name ? server_name : server_ip);
	name_ip = g_inet_address_new_from_string(t->server_name);
	if (name_ip != NULL) {
		t->server_name_ip_len = g_inet_address_get_native_size(name_ip);
		memcpy(t->server_name_ip, g_inet_address_to_bytes(name_ip), t->server_name_ip_len);
	}
	return TRUE;
}

/* ---- public API ---- */

HdmirtcTurnTlsTunnel *hdmirtc_turn_tls_tunnel_new(GMainContext *ctx, const char *server_ip, guint port,
                                                  const char *server_name, const char *ca_file,
                                                  gboolean verify, GError **error)
{
	HdmirtcTurnTlsTunnel *t = g_new0(HdmirtcTurnTlsTunnel, 1);

	t->context = g_main_context_ref(ctx ? ctx : g_main_context_default());
	t->listen_fd = -1;
	t->verify = verify;
	t->connect_timeout_ms = HDMIRTC_TURN_TLS_TUNNEL_CONNECT_TIMEOUT_MS;
	t->handshake_timeout_ms = HDMIRTC_TURN_TLS_TUNNEL_HANDSHAKE_TIMEOUT_MS;
	t->max_connections = HDMIRTC_TURN_TLS_TUNNEL_MAX_CONNECTIONS;
	if (!parse_server(t, server_ip, port, server_name, error) ||
	    !ssl_ctx_open(t, ca_file, error) || !listener_open(t, error)) {
		hdmirtc_turn_tls_tunnel_free(t);
		return NULL;
	}
	if (!verify)
		g_warning("TURN TLS tunnel to %s: certificate verification is OFF; anyone on the "
		          "path can impersonate the TURN server", t->server_desc);
	g_debug("TURN TLS tunnel: 127.0.0.1:%u -> %s (%s)", t->listen_port, t->server_desc,
	        t->server_name);
	return t;
}

guint hdmirtc_turn_tls_tunnel_get_port(HdmirtcTurnTlsTunnel *t)
{
	g_return_val_if_fail(t != NULL, 0);
	return t->listen_port;
}

guint hdmirtc_turn_tls_tunnel_get_connections(HdmirtcTurnTlsTunnel *t)
{
	g_return_val_if_fail(t != NULL, 0);
	return t->connections;
}

guint hdmirtc_turn_tls_tunnel_get_failures(HdmirtcTurnTlsTunnel *t)
{
	g_return_val_if_fail(t != NULL, 0);
	return t->failures;
}

guint hdmirtc_turn_tls_tunnel_get_active(HdmirtcTurnTlsTunnel *t)
{
	g_return_val_if_fail(t != NULL, 0);
	return g_queue_get_length(&t->conns);
}

const char *hdmirtc_turn_tls_tunnel_get_last_error(HdmirtcTurnTlsTunnel *t)
{
	g_return_val_if_fail(t != NULL, NULL);
	return t->last_error;
}

void hdmirtc_turn_tls_tunnel_set_limits(HdmirtcTurnTlsTunnel *t, guint connect_timeout_ms,
                                        guint handshake_timeout_ms, guint max_connections)
{
	g_return_if_fail(t != NULL);
	if (connect_timeout_ms > 0)
		t->connect_timeout_ms = connect_timeout_ms;
	if (handshake_timeout_ms > 0)
		t->handshake_timeout_ms = handshake_timeout_ms;
	if (max_connections > 0)
		t->max_connections = max_connections;
}

void hdmirtc_turn_tls_tunnel_free(HdmirtcTurnTlsTunnel *t)
{
	if (t == NULL)
		return;
	while (t->conns.head != NULL)
		hdmirtc_turn_tls_conn_destroy(t->conns.head->data);
	hdmirtc_source_clear(&t->listen_source);
	if (t->listen_fd >= 0)
		close(t->listen_fd);
	if (t->ssl_ctx != NULL)
		wolfSSL_CTX_free(t->ssl_ctx);
	g_main_context_unref(t->context);
	g_free(t->server_desc);
	g_free(t->server_name);
	g_free(t->last_error);
	g_free(t);
}
