/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The TURN TLS tunnel against a wolfSSL server on 127.0.0.1 that
 * upper-cases what it reads (so each direction is checked), running on its
 * own threads; the tunnel and the test's loopback clients share one
 * GMainContext iterated here.  Also the SAN IP parser on real, truncated
 * and garbage certificates. */
#include "hdmirtc/turn-tls.h"
#include "src/turn-tls/cert-san-ip.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#define FIXTURE(name) FIXTURES_DIR "/turn-tls/" name
#define CA_FILE FIXTURE("ca.pem")
#define OTHER_CA_FILE FIXTURE("other-ca.pem")
#define WAIT_MS 20000

/* ---- the TLS server: acceptor thread + one blocking thread per client ---- */

typedef struct {
	int listen_fd;
	guint port;
	WOLFSSL_CTX *ctx;               /* NULL: TCP only, never accept()s */
	GThread *acceptor;
	GMutex lock;
	GPtrArray *workers;             /* GThread * */
	char *version;                  /* of the last handshake */
	char *sni;                      /* host name the last client asked for, NULL = none */
	gint handshakes;                /* atomic */
} TlsServer;

typedef struct {
	TlsServer *server;
	int fd;
} ServerConn;

static void server_echo(WOLFSSL *ssl)
{
	char buf[16384];
	int n;

	while ((n = wolfSSL_read(ssl, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n; i++)
			buf[i] = g_ascii_toupper(buf[i]);
		if (wolfSSL_write(ssl, buf, n) != n)
			break;
	}
}

static gpointer server_conn_thread(gpointer data)
{
	ServerConn *sc = data;
	TlsServer *s = sc->server;
	WOLFSSL *ssl = wolfSSL_new(s->ctx);
	struct timeval tv = { .tv_sec = 30 };

	/* A stuck test must fail on its own timeout, not hang this thread. */
	setsockopt(sc->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	g_assert_nonnull(ssl);
	wolfSSL_set_fd(ssl, sc->fd);
	/* Only to read the client's SNI: any name (or none) is served. */
	wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, "turn.test", 9);
	wolfSSL_SNI_SetOptions(ssl, WOLFSSL_SNI_HOST_NAME,
	                       WOLFSSL_SNI_CONTINUE_ON_MISMATCH | WOLFSSL_SNI_ANSWER_ON_MISMATCH);
	if (wolfSSL_accept(ssl) == WOLFSSL_SUCCESS) {
		void *name = NULL;
		word16 len = wolfSSL_SNI_GetRequest(ssl, WOLFSSL_SNI_HOST_NAME, &name);

		g_mutex_lock(&s->lock);
		g_free(s->version);
		s->version = g_strdup(wolfSSL_get_version(ssl));
		g_free(s->sni);
		s->sni = len ? g_strndup(name, len) : NULL;
		g_mutex_unlock(&s->lock);
		g_atomic_int_inc(&s->handshakes);
		server_echo(ssl);
		wolfSSL_shutdown(ssl);
	}
	wolfSSL_free(ssl);
	close(sc->fd);
	g_free(sc);
	return NULL;
}

static gpointer server_accept_thread(gpointer data)
{
	TlsServer *s = data;
	int fd;

	/* server_stop() shuts the listening socket down, which ends accept(). */
	while ((fd = accept(s->listen_fd, NULL, NULL)) >= 0) {
		ServerConn *sc = g_new0(ServerConn, 1);

		sc->server = s;
		sc->fd = fd;
		g_mutex_lock(&s->lock);
		g_ptr_array_add(s->workers, g_thread_new("tls-server-conn", server_conn_thread, sc));
		g_mutex_unlock(&s->lock);
	}
	return NULL;
}

static int listen_loopback(guint *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	g_assert_cmpint(listen(fd, 64), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&addr, &len), ==, 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

/* tls: FALSE = a socket that completes TCP handshakes (in the kernel)
 * but never reads; tls12_only: a TLS 1.2 server instead of 1.2/1.3. */
static TlsServer *server_start(gboolean tls, gboolean tls12_only)
{
	TlsServer *s = g_new0(TlsServer, 1);

	g_mutex_init(&s->lock);
	s->workers = g_ptr_array_new();
	s->listen_fd = listen_loopback(&s->port);
	if (!tls)
		return s;
	s->ctx = wolfSSL_CTX_new(tls12_only ? wolfTLSv1_2_server_method() : wolfSSLv23_server_method());
	g_assert_nonnull(s->ctx);
	g_assert_cmpint(wolfSSL_CTX_use_certificate_file(s->ctx, FIXTURE("server.pem"), WOLFSSL_FILETYPE_PEM),
	                ==, WOLFSSL_SUCCESS);
	g_assert_cmpint(wolfSSL_CTX_use_PrivateKey_file(s->ctx, FIXTURE("server-key.pem"), WOLFSSL_FILETYPE_PEM),
	                ==, WOLFSSL_SUCCESS);
	s->acceptor = g_thread_new("tls-server", server_accept_thread, s);
	return s;
}

static void server_stop(TlsServer *s)
{
	shutdown(s->listen_fd, SHUT_RDWR);
	if (s->acceptor != NULL)
		g_thread_join(s->acceptor);
	/* Workers end when the tunnel closes their connection. */
	for (guint i = 0; i < s->workers->len; i++)
		g_thread_join(s->workers->pdata[i]);
	g_ptr_array_free(s->workers, TRUE);
	close(s->listen_fd);
	if (s->ctx != NULL)
		wolfSSL_CTX_free(s->ctx);
	g_mutex_clear(&s->lock);
	g_free(s->version);
	g_free(s->sni);
	g_free(s);
}

/* A port nothing listens on: bound once, then closed. */
static guint closed_port(void)
{
	guint port;
	int fd = listen_loopback(&port);

	close(fd);
	return port;
}

/* ---- loopback clients (libnice's part), on the test's context ---- */

typedef struct {
	int fd;
	GSource *source;
	gpointer tag;
	guint8 *tx;
	gsize tx_len;
	gsize tx_off;
	GByteArray *rx;
	gboolean paused;                /* not reading: the peer must stop too */
	gboolean closed;                /* EOF or reset seen */
} Client;

static gboolean client_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	return callback(user_data);
}

static GSourceFuncs client_source_funcs = {
	.dispatch = client_source_dispatch,
};

static void client_send(Client *cl)
{
	ssize_t n;

	if (cl->tx_off == cl->tx_len)
		return;
	n = send(cl->fd, cl->tx + cl->tx_off, MIN(cl->tx_len - cl->tx_off, 8192), MSG_NOSIGNAL);
	if (n > 0)
		cl->tx_off += (gsize)n;
	else if (n < 0 && errno != EAGAIN)
		cl->closed = TRUE;
}

static void client_receive(Client *cl)
{
	guint8 buf[16384];
	ssize_t n;

	while (!cl->closed) {
		n = recv(cl->fd, buf, sizeof(buf), 0);
		if (n > 0)
			g_byte_array_append(cl->rx, buf, (guint)n);
		else if (n == 0 || errno != EAGAIN)
			cl->closed = TRUE;
		else
			break;
	}
}

static gboolean on_client_ready(gpointer data)
{
	Client *cl = data;

	client_send(cl);
	if (!cl->paused)
		client_receive(cl);
	if (cl->closed) {
		g_source_destroy(cl->source);
		return G_SOURCE_REMOVE;
	}
	g_source_modify_unix_fd(cl->source, cl->tag, (cl->paused ? 0 : G_IO_IN) |
	                        (cl->tx_off < cl->tx_len ? G_IO_OUT : 0));
	return G_SOURCE_CONTINUE;
}

/* Connects to the tunnel and sends tx (copied) as the peer reads it. */
static Client *client_new(GMainContext *ctx, guint port, const guint8 *tx, gsize tx_len)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                            .sin_port = htons((guint16)port) };
	Client *cl = g_new0(Client, 1);

	cl->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(cl->fd, >=, 0);
	g_assert_cmpint(connect(cl->fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	g_assert_cmpint(fcntl(cl->fd, F_SETFL, O_NONBLOCK), ==, 0);
	cl->tx = g_memdup2(tx, tx_len);
	cl->tx_len = tx_len;
	cl->rx = g_byte_array_new();
	cl->source = g_source_new(&client_source_funcs, sizeof(GSource));
	g_source_set_callback(cl->source, on_client_ready, cl, NULL);
	cl->tag = g_source_add_unix_fd(cl->source, cl->fd, G_IO_IN | (tx_len ? G_IO_OUT : 0));
	g_source_attach(cl->source, ctx);
	return cl;
}

static void client_free(Client *cl)
{
	g_source_destroy(cl->source);
	g_source_unref(cl->source);
	close(cl->fd);
	g_free(cl->tx);
	g_byte_array_unref(cl->rx);
	g_free(cl);
}

static guint8 *make_payload(gsize len, guint32 seed)
{
	guint8 *p = g_malloc(len);
	GRand *rand = g_rand_new_with_seed(seed);

	for (gsize i = 0; i < len; i++)
		p[i] = (guint8)g_rand_int_range(rand, 0, 256);
	g_rand_free(rand);
	return p;
}

static void assert_echoed(const Client *cl)
{
	g_assert_cmpuint(cl->rx->len, ==, cl->tx_len);
	for (gsize i = 0; i < cl->tx_len; i++) {
		if (cl->rx->data[i] != (guint8)g_ascii_toupper((char)cl->tx[i]))
			g_error("byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " differs", i, cl->tx_len);
	}
}

/* ---- waiting on the context ---- */

typedef gboolean (*Condition)(gpointer data);

static gboolean on_tick(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* Iterates ctx until cond holds; FALSE after timeout_ms. */
static gboolean wait_for(GMainContext *ctx, Condition cond, gpointer data, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	GSource *tick = g_timeout_source_new(20);
	gboolean ok;

	g_source_set_callback(tick, on_tick, NULL, NULL);
	g_source_attach(tick, ctx);
	while (!(ok = cond(data)) && g_get_monotonic_time() < end)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(tick);
	g_source_unref(tick);
	return ok;
}

typedef struct {
	Client **clients;
	guint n;
	HdmirtcTurnTlsTunnel *tunnel;
} Group;

static gboolean all_echoed(gpointer data)
{
	Group *g = data;

	for (guint i = 0; i < g->n; i++)
		if (g->clients[i]->rx->len < g->clients[i]->tx_len && !g->clients[i]->closed)
			return FALSE;
	return TRUE;
}

static gboolean all_closed(gpointer data)
{
	Group *g = data;

	for (guint i = 0; i < g->n; i++)
		if (!g->clients[i]->closed)
			return FALSE;
	return TRUE;
}

static gboolean tunnel_idle(gpointer data)
{
	return hdmirtc_turn_tls_tunnel_get_active(data) == 0;
}

static gboolean tunnel_busy(gpointer data)
{
	return hdmirtc_turn_tls_tunnel_get_active(data) > 0;
}

static HdmirtcTurnTlsTunnel *tunnel_new(GMainContext *ctx, guint port, const char *name,
                                        const char *ca, gboolean verify)
{
	g_autoptr(GError) error = NULL;
	HdmirtcTurnTlsTunnel *t;

	if (!verify)
		g_test_expect_message("hdmirtc-turn-tls", G_LOG_LEVEL_WARNING, "*verification is OFF*");
	t = hdmirtc_turn_tls_tunnel_new(ctx, "127.0.0.1", port, name, ca, verify, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(t);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_port(t), >, 0);
	g_assert_null(hdmirtc_turn_tls_tunnel_get_last_error(t));
	return t;
}

/* Sends len bytes through each of n clients at once, checks every byte
 * came back upper-cased and in order, then closes the clients and checks
 * the tunnel closes its side too. */
static void run_echo(GMainContext *ctx, HdmirtcTurnTlsTunnel *t, guint n, gsize len)
{
	Client *clients[32];
	Group g = { clients, n, t };

	g_assert_cmpuint(n, <=, G_N_ELEMENTS(clients));
	for (guint i = 0; i < n; i++) {
		g_autofree guint8 *payload = make_payload(len, 1000 + i);

		clients[i] = client_new(ctx, hdmirtc_turn_tls_tunnel_get_port(t), payload, len);
	}
	g_assert_true(wait_for(ctx, all_echoed, &g, WAIT_MS));
	for (guint i = 0; i < n; i++) {
		g_assert_false(clients[i]->closed);
		assert_echoed(clients[i]);
		client_free(clients[i]);
	}
	g_assert_true(wait_for(ctx, tunnel_idle, t, WAIT_MS));
}

/* ---- 1. round trip ---- */

typedef struct {
	const char *name;
	gboolean tls12_only;
	const char *version;
} RoundTrip;

static void test_round_trip(gconstpointer data)
{
	const RoundTrip *rt = data;
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(TRUE, rt->tls12_only);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, rt->name, CA_FILE, TRUE);

	run_echo(ctx, t, 1, 300 * 1024);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_connections(t), ==, 1);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_failures(t), ==, 0);
	g_assert_null(hdmirtc_turn_tls_tunnel_get_last_error(t));
	hdmirtc_turn_tls_tunnel_free(t);
	g_assert_cmpstr(s->version, ==, rt->version);
	/* RFC 6066 3: a host name is sent as SNI, an IP literal is not. */
	if (rt->name && !g_hostname_is_ip_address(rt->name))
		g_assert_cmpstr(s->sni, ==, rt->name);
	else
		g_assert_null(s->sni);
	server_stop(s);
	g_main_context_unref(ctx);
}

/* ---- 2-5. failures close the loopback side ---- */

/* One client connects, sends a TURN-sized request and must see the tunnel
 * hang up without a byte coming back; one failure with reason *expect*. */
static void expect_failure(GMainContext *ctx, HdmirtcTurnTlsTunnel *t, const char *expect)
{
	static const guint8 request[20] = { 0x00, 0x03 };
	Client *cl = client_new(ctx, hdmirtc_turn_tls_tunnel_get_port(t), request, sizeof(request));
	Group g = { &cl, 1, t };
	guint before = hdmirtc_turn_tls_tunnel_get_failures(t);
	const char *reason;

	g_assert_true(wait_for(ctx, all_closed, &g, WAIT_MS));
	g_assert_cmpuint(cl->rx->len, ==, 0);
	g_assert_true(wait_for(ctx, tunnel_idle, t, WAIT_MS));
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_failures(t), ==, before + 1);
	reason = hdmirtc_turn_tls_tunnel_get_last_error(t);
	g_assert_nonnull(reason);
	if (!g_pattern_match_simple(expect, reason))
		g_error("last error \"%s\" does not match \"%s\"", reason, expect);
	client_free(cl);
}

static void test_wrong_name(void)
{
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(TRUE, FALSE);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, "other.test", CA_FILE, TRUE);
	HdmirtcTurnTlsTunnel *t_ip = tunnel_new(ctx, s->port, "127.0.0.2", CA_FILE, TRUE);
	HdmirtcTurnTlsTunnel *t_v6 = tunnel_new(ctx, s->port, "::1", CA_FILE, TRUE);

	expect_failure(ctx, t, "certificate verify failed for other.test: *");
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_failures(t), ==, 1);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_connections(t), ==, 1);
	expect_failure(ctx, t_ip, "certificate verify failed for 127.0.0.2: no subjectAltName IP*");
	expect_failure(ctx, t_v6, "certificate verify failed for ::1: no subjectAltName IP*");
	hdmirtc_turn_tls_tunnel_free(t);
	hdmirtc_turn_tls_tunnel_free(t_ip);
	hdmirtc_turn_tls_tunnel_free(t_v6);
	g_assert_cmpint(g_atomic_int_get(&s->handshakes), ==, 0);
	server_stop(s);
	g_main_context_unref(ctx);
}

static void test_untrusted(void)
{
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(TRUE, FALSE);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, "turn.test", OTHER_CA_FILE, TRUE);

	expect_failure(ctx, t, "certificate verify failed for turn.test: *");
	/* Same again: counted again, reason kept. */
	expect_failure(ctx, t, "certificate verify failed for turn.test: *");
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_failures(t), ==, 2);
	hdmirtc_turn_tls_tunnel_free(t);

	/* The system store does not know the test CA either. */
	t = tunnel_new(ctx, s->port, "turn.test", NULL, TRUE);
	expect_failure(ctx, t, "certificate verify failed for turn.test: *");
	hdmirtc_turn_tls_tunnel_free(t);

	/* Explicit opt-out: no chain and no name check. */
	t = tunnel_new(ctx, s->port, "wrong.name", OTHER_CA_FILE, FALSE);
	run_echo(ctx, t, 1, 40 * 1024);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_failures(t), ==, 0);
	hdmirtc_turn_tls_tunnel_free(t);
	server_stop(s);
	g_main_context_unref(ctx);
}

static void test_refused(void)
{
	GMainContext *ctx = g_main_context_new();
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, closed_port(), "turn.test", CA_FILE, TRUE);
	gint64 start = g_get_monotonic_time();

	expect_failure(ctx, t, "connect failed: *refused*");
	g_assert_cmpint(g_get_monotonic_time() - start, <, 3 * G_USEC_PER_SEC);
	hdmirtc_turn_tls_tunnel_free(t);
	g_main_context_unref(ctx);
}

static void test_handshake_timeout(void)
{
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(FALSE, FALSE);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, "turn.test", CA_FILE, TRUE);
	Client *cl;
	gint64 start;

	hdmirtc_turn_tls_tunnel_set_limits(t, 0, 300, 0);
	/* libnice giving up first is not the server's failure. */
	cl = client_new(ctx, hdmirtc_turn_tls_tunnel_get_port(t), NULL, 0);
	g_assert_true(wait_for(ctx, tunnel_busy, t, WAIT_MS));
	client_free(cl);
	g_assert_true(wait_for(ctx, tunnel_idle, t, WAIT_MS));
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_failures(t), ==, 0);

	start = g_get_monotonic_time();
	expect_failure(ctx, t, "TLS handshake timed out after 300 ms");
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 250 * 1000);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
	hdmirtc_turn_tls_tunnel_free(t);
	server_stop(s);
	g_main_context_unref(ctx);
}

/* A listener whose accept queue is full drops SYNs, so connect() to it
 * stays pending: a black hole that never leaves loopback. */
static void test_connect_timeout(void)
{
	GMainContext *ctx = g_main_context_new();
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int hole = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	HdmirtcTurnTlsTunnel *t;
	gint64 start;

	g_assert_cmpint(bind(hole, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	g_assert_cmpint(listen(hole, 0), ==, 0);
	g_assert_cmpint(getsockname(hole, (struct sockaddr *)&addr, &len), ==, 0);
	g_assert_cmpint(connect(filler, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	t = tunnel_new(ctx, ntohs(addr.sin_port), "turn.test", CA_FILE, TRUE);
	hdmirtc_turn_tls_tunnel_set_limits(t, 300, 0, 0);
	start = g_get_monotonic_time();
	expect_failure(ctx, t, "connect timed out after 300 ms");
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 250 * 1000);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
	hdmirtc_turn_tls_tunnel_free(t);
	close(filler);
	close(hole);
	g_main_context_unref(ctx);
}

/* A server that answers TCP but closes at once (not TLS at all). */
static gpointer slam_thread(gpointer data)
{
	TlsServer *s = data;
	int fd = accept(s->listen_fd, NULL, NULL);

	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_server_hangs_up(void)
{
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(FALSE, FALSE);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, "turn.test", CA_FILE, TRUE);

	s->acceptor = g_thread_new("slam", slam_thread, s);
	expect_failure(ctx, t, "TLS handshake failed: *");
	hdmirtc_turn_tls_tunnel_free(t);
	server_stop(s);
	g_main_context_unref(ctx);
}

/* ---- 6. many connections, the cap, free while open ---- */

static void test_many(void)
{
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(TRUE, FALSE);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, "turn.test", CA_FILE, TRUE);

	run_echo(ctx, t, 20, 48 * 1024);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_connections(t), ==, 20);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_failures(t), ==, 0);
	g_assert_cmpint(g_atomic_int_get(&s->handshakes), ==, 20);
	hdmirtc_turn_tls_tunnel_free(t);
	server_stop(s);
	g_main_context_unref(ctx);
}

static void test_limit(void)
{
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(TRUE, FALSE);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, "turn.test", CA_FILE, TRUE);
	static const guint8 hello[] = "hello";
	Client *cl[3];
	Group first = { cl, 2, t }, third = { cl + 2, 1, t };

	hdmirtc_turn_tls_tunnel_set_limits(t, 0, 0, 2);
	for (guint i = 0; i < 3; i++)
		cl[i] = client_new(ctx, hdmirtc_turn_tls_tunnel_get_port(t), hello, sizeof(hello));
	g_assert_true(wait_for(ctx, all_echoed, &first, WAIT_MS));
	g_assert_true(wait_for(ctx, all_closed, &third, WAIT_MS));
	assert_echoed(cl[0]);
	assert_echoed(cl[1]);
	g_assert_cmpuint(cl[2]->rx->len, ==, 0);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_connections(t), ==, 3);
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_failures(t), ==, 1);
	g_assert_true(g_str_has_prefix(hdmirtc_turn_tls_tunnel_get_last_error(t), "refused a connection"));
	for (guint i = 0; i < 3; i++)
		client_free(cl[i]);
	hdmirtc_turn_tls_tunnel_free(t);
	server_stop(s);
	g_main_context_unref(ctx);
}

static gboolean never(gpointer data)
{
	return FALSE;
}

/* A client that stops reading: the server's replies back up into the
 * tunnel, which must stop reading the server and so, through the server,
 * stop taking the client's bytes; buffers stay bounded and nothing is
 * lost once the client reads again. */
static void test_back_pressure(void)
{
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(TRUE, FALSE);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, "turn.test", CA_FILE, TRUE);
	gsize len = 48 * 1024 * 1024, stalled;
	guint8 *payload = g_malloc(len);
	Client *cl;
	Group g = { &cl, 1, t };

	for (gsize i = 0; i < len; i++)
		payload[i] = (guint8)(i % 251);
	cl = client_new(ctx, hdmirtc_turn_tls_tunnel_get_port(t), payload, len);
	g_free(payload);
	/* Fixed small client buffers (no autotuning) keep the kernel's share
	 * of what the client can push well below len. */
	setsockopt(cl->fd, SOL_SOCKET, SO_SNDBUF, &(int){ 65536 }, sizeof(int));
	setsockopt(cl->fd, SOL_SOCKET, SO_RCVBUF, &(int){ 65536 }, sizeof(int));
	cl->paused = TRUE;
	g_source_modify_unix_fd(cl->source, cl->tag, G_IO_OUT);
	wait_for(ctx, never, NULL, 1500);
	stalled = cl->tx_off;
	g_test_message("paused client got %" G_GSIZE_FORMAT " bytes in", stalled);
	g_assert_cmpuint(stalled, <, len);
	g_assert_cmpuint(cl->rx->len, ==, 0);
	cl->paused = FALSE;
	g_source_modify_unix_fd(cl->source, cl->tag, G_IO_IN | G_IO_OUT);
	g_assert_true(wait_for(ctx, all_echoed, &g, 60000));
	g_assert_false(cl->closed);
	assert_echoed(cl);
	client_free(cl);
	g_assert_true(wait_for(ctx, tunnel_idle, t, WAIT_MS));
	hdmirtc_turn_tls_tunnel_free(t);
	server_stop(s);
	g_main_context_unref(ctx);
}

/* Frees the tunnel with sessions up (and one still connecting): every
 * loopback client sees its connection end; ASan checks nothing leaks. */
static void test_free_while_open(void)
{
	GMainContext *ctx = g_main_context_new();
	TlsServer *s = server_start(TRUE, FALSE);
	TlsServer *silent = server_start(FALSE, FALSE);
	HdmirtcTurnTlsTunnel *t = tunnel_new(ctx, s->port, "turn.test", CA_FILE, TRUE);
	HdmirtcTurnTlsTunnel *t_silent = tunnel_new(ctx, silent->port, "turn.test", CA_FILE, TRUE);
	static const guint8 ping[] = "ping";
	Client *cl[6];
	Group up = { cl, 5, t }, all = { cl, 6, t };

	for (guint i = 0; i < 5; i++)
		cl[i] = client_new(ctx, hdmirtc_turn_tls_tunnel_get_port(t), ping, sizeof(ping));
	cl[5] = client_new(ctx, hdmirtc_turn_tls_tunnel_get_port(t_silent), ping, sizeof(ping));
	g_assert_true(wait_for(ctx, all_echoed, &up, WAIT_MS));
	g_assert_true(wait_for(ctx, tunnel_busy, t_silent, WAIT_MS));
	g_assert_cmpuint(hdmirtc_turn_tls_tunnel_get_active(t), ==, 5);
	hdmirtc_turn_tls_tunnel_free(t);
	hdmirtc_turn_tls_tunnel_free(t_silent);
	g_assert_true(wait_for(ctx, all_closed, &all, WAIT_MS));
	for (guint i = 0; i < 6; i++) {
		if (i < 5)
			assert_echoed(cl[i]);
		client_free(cl[i]);
	}
	/* Nothing of the tunnel may run any more. */
	while (g_main_context_iteration(ctx, FALSE))
		;
	server_stop(s);
	server_stop(silent);
	g_main_context_unref(ctx);
}

/* ---- setup errors ---- */

static void test_bad_args(void)
{
	GMainContext *ctx = g_main_context_new();
	GError *error = NULL;

	g_assert_null(hdmirtc_turn_tls_tunnel_new(ctx, "turn.test", 5349, NULL, CA_FILE, TRUE, &error));
	g_assert_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_ADDRESS);
	g_clear_error(&error);
	g_assert_null(hdmirtc_turn_tls_tunnel_new(ctx, "127.0.0.1", 0, NULL, CA_FILE, TRUE, &error));
	g_assert_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_ADDRESS);
	g_clear_error(&error);
	g_assert_null(hdmirtc_turn_tls_tunnel_new(ctx, "127.0.0.1", 70000, NULL, CA_FILE, TRUE, &error));
	g_assert_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_ADDRESS);
	g_clear_error(&error);
	g_assert_null(hdmirtc_turn_tls_tunnel_new(ctx, "127.0.0.1", 5349, NULL, FIXTURE("missing.pem"),
	                                          TRUE, &error));
	g_assert_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_CA);
	g_clear_error(&error);
	g_assert_null(hdmirtc_turn_tls_tunnel_new(ctx, "127.0.0.1", 5349, NULL, FIXTURE("README.md"),
	                                          TRUE, &error));
	g_assert_error(error, HDMIRTC_TURN_TLS_TUNNEL_ERROR, HDMIRTC_TURN_TLS_TUNNEL_ERROR_CA);
	g_clear_error(&error);
	hdmirtc_turn_tls_tunnel_free(NULL);
	g_main_context_unref(ctx);
}

/* ---- the SAN IP parser ---- */

static GBytes *load_der(const char *path)
{
	g_autofree char *pem = NULL;
	const char *begin, *end;
	g_autofree char *b64 = NULL;
	gsize len;
	guchar *der;

	g_assert_true(g_file_get_contents(path, &pem, NULL, NULL));
	begin = strstr(pem, "-----BEGIN CERTIFICATE-----");
	end = strstr(pem, "-----END CERTIFICATE-----");
	g_assert_nonnull(begin);
	g_assert_nonnull(end);
	begin += strlen("-----BEGIN CERTIFICATE-----");
	b64 = g_strndup(begin, (gsize)(end - begin));
	der = g_base64_decode(b64, &len);
	g_assert_cmpuint(len, >, 100);
	return g_bytes_new_take(der, len);
}

static void test_cert_has_ip(void)
{
	static const guint8 v4[4] = { 127, 0, 0, 1 }, v4_other[4] = { 127, 0, 0, 2 };
	static const guint8 v6[16] = { [15] = 1 };
	g_autoptr(GBytes) server = load_der(FIXTURE("server.pem"));
	g_autoptr(GBytes) ca = load_der(CA_FILE);
	gsize len;
	const guint8 *der = g_bytes_get_data(server, &len);
	g_autofree guint8 *copy = g_memdup2(der, len);
	GRand *rand = g_rand_new_with_seed(7);

	g_assert_true(hdmirtc_cert_has_ip_san(der, len, v4, 4));
	g_assert_false(hdmirtc_cert_has_ip_san(der, len, v4_other, 4));
	g_assert_false(hdmirtc_cert_has_ip_san(der, len, v6, 16));
	g_assert_false(hdmirtc_cert_has_ip_san(der, len, v4, 3));
	g_assert_false(hdmirtc_cert_has_ip_san(NULL, 0, v4, 4));
	/* The CA has no subjectAltName at all. */
	g_assert_false(hdmirtc_cert_has_ip_san(g_bytes_get_data(ca, NULL), g_bytes_get_size(ca),
	                                       v4, 4));
	/* Every truncation breaks the outer length. */
	for (gsize cut = 0; cut < len; cut++)
		g_assert_false(hdmirtc_cert_has_ip_san(der, cut, v4, 4));
	/* Corrupted bytes must never read outside the buffer (ASan). */
	for (guint round = 0; round < 2000; round++) {
		gsize at = (gsize)g_rand_int_range(rand, 0, (gint32)len);

		memcpy(copy, der, len);
		copy[at] = (guint8)g_rand_int_range(rand, 0, 256);
		(void)hdmirtc_cert_has_ip_san(copy, len, v4, 4);
	}
	for (guint round = 0; round < 200; round++) {
		for (gsize i = 0; i < len; i++)
			copy[i] = (guint8)g_rand_int_range(rand, 0, 256);
		copy[0] = 0x30;
		g_assert_false(hdmirtc_cert_has_ip_san(copy, len, v4, 4));
	}
	g_rand_free(rand);
}

static const RoundTrip rt_ip = { "127.0.0.1", FALSE, "TLSv1.3" };
static const RoundTrip rt_dns = { "turn.test", FALSE, "TLSv1.3" };
static const RoundTrip rt_tls12 = { "turn.test", TRUE, "TLSv1.2" };
static const RoundTrip rt_default_name = { NULL, FALSE, "TLSv1.3" };

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* The server threads write with wolfSSL's own send(); a closed
	 * tunnel must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	wolfSSL_Init();
	g_test_add_func("/turn-tls-tunnel/cert-has-ip", test_cert_has_ip);
	g_test_add_func("/turn-tls-tunnel/bad-args", test_bad_args);
	g_test_add_data_func("/turn-tls-tunnel/round-trip/ip-san", &rt_ip, test_round_trip);
	g_test_add_data_func("/turn-tls-tunnel/round-trip/dns-san", &rt_dns, test_round_trip);
	g_test_add_data_func("/turn-tls-tunnel/round-trip/tls12", &rt_tls12, test_round_trip);
	g_test_add_data_func("/turn-tls-tunnel/round-trip/name-defaults-to-ip", &rt_default_name,
	                     test_round_trip);
	g_test_add_func("/turn-tls-tunnel/wrong-name", test_wrong_name);
	g_test_add_func("/turn-tls-tunnel/untrusted", test_untrusted);
	g_test_add_func("/turn-tls-tunnel/refused", test_refused);
	g_test_add_func("/turn-tls-tunnel/connect-timeout", test_connect_timeout);
	g_test_add_func("/turn-tls-tunnel/handshake-timeout", test_handshake_timeout);
	g_test_add_func("/turn-tls-tunnel/server-hangs-up", test_server_hangs_up);
	g_test_add_func("/turn-tls-tunnel/many", test_many);
	g_test_add_func("/turn-tls-tunnel/limit", test_limit);
	g_test_add_func("/turn-tls-tunnel/free-while-open", test_free_while_open);
	g_test_add_func("/turn-tls-tunnel/back-pressure", test_back_pressure);
	return g_test_run();
}
