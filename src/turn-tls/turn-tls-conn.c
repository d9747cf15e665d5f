/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One tunnelled connection of the TURN TLS tunnel (see turn-tls-tunnel.h):
 * the loopback socket from libnice, the TCP connect to the server, the
 * wolfSSL handshake and then copying bytes both ways.  One custom GSource
 * per connection watches both sockets (g_source_modify_unix_fd changes the
 * interest) and carries the connect/handshake deadline as its ready time,
 * so a connection is one object with one callback. */
#include "turn-tls-private.h"
#include "hdmirtc/gsource.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "cert-san-ip.h"

/* Per direction.  TURN over TCP carries the relayed media, so a buffer this
 * size is ~0.1 s of a 5 Mbit/s stream: enough to ride out a scheduling
 * hiccup, small enough that 256 connections stay at 32 MiB worst case. */
#define BUF_SIZE (64 * 1024)
/* Bounds one dispatch so a fast stream cannot starve the rest of the loop. */
#define PUMP_ROUNDS 8

/* ---- small helpers ---- */

static gsize buf_len(const Buf *b)
{
	return b->tail - b->head;
}

static void buf_consume(Buf *b, gsize n)
{
	b->head += n;
	if (b->head == b->tail)
		b->head = b->tail = 0;
}

/* Room at the tail; moves the data down first when allowed (not while
 * wolfSSL holds a pointer into it for a retried write). */
static gsize buf_room(Buf *b, gboolean may_move)
{
	if (b->tail == BUF_SIZE && b->head > 0 && may_move) {
		memmove(b->data, b->data + b->head, buf_len(b));
		b->tail -= b->head;
		b->head = 0;
	}
	return BUF_SIZE - b->tail;
}

static gboolean buf_has_room(const Buf *b, gboolean may_move)
{
	return b->tail < BUF_SIZE || (may_move && b->head > 0);
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* TURN carries ICE checks and media; Nagle would add up to 40 ms. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ---- failures and closing ---- */

/* Closing the loopback socket is what tells libnice the relay is gone. */
void hdmirtc_turn_tls_conn_destroy(TunnelConn *c)
{
	g_queue_unlink(&c->tunnel->conns, &c->link);
	hdmirtc_source_clear(&c->source);
	if (c->ssl != NULL) {
		/* Best-effort close_notify; the socket is non-blocking. */
		if (c->state == CONN_PUMPING && !c->remote_done)
			wolfSSL_shutdown(c->ssl);
		wolfSSL_free(c->ssl);
	}
	if (c->remote_fd >= 0)
		close(c->remote_fd);
	close(c->local_fd);
	g_free(c->up.data);
	g_free(c->down.data);
	g_free(c->verify_error);
	g_free(c->io_error);
	g_free(c);
}

/* Both return FALSE ("connection gone") so callers can return them. */
static gboolean conn_close(TunnelConn *c)
{
	hdmirtc_turn_tls_conn_destroy(c);
	return FALSE;
}

static gboolean conn_fail(TunnelConn *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean conn_fail(TunnelConn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hdmirtc_turn_tls_record_failure(c->tunnel, g_strdup_vprintf(fmt, ap), TRUE);
	va_end(ap);
	return conn_close(c);
}

static void conn_set_deadline(TunnelConn *c, guint ms)
{
	c->deadline = g_get_monotonic_time() + (gint64)ms * 1000;
	g_source_set_ready_time(c->source, c->deadline);
}

static void conn_clear_deadline(TunnelConn *c)
{
	c->deadline = -1;
	g_source_set_ready_time(c->source, -1);
}

/* ---- wolfSSL I/O on the remote socket ---- */

static void conn_note_io_error(TunnelConn *c, const char *what)
{
	if (c->io_error == NULL)
		c->io_error = g_strdup(what);
}

int hdmirtc_turn_tls_on_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	TunnelConn *c = ctx;
	ssize_t n = recv(c->remote_fd, buf, (size_t)sz, 0);

	if (n > 0)
		return (int)n;
	if (n == 0) {
		conn_note_io_error(c, "connection closed by the server");
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (errno == EINTR)
		return WOLFSSL_CBIO_ERR_ISR;
	conn_note_io_error(c, g_strerror(errno));
	return errno == ECONNRESET ? WOLFSSL_CBIO_ERR_CONN_RST : WOLFSSL_CBIO_ERR_GENERAL;
}

int hdmirtc_turn_tls_on_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	TunnelConn *c = ctx;
	/* MSG_NOSIGNAL: a server reset must not raise SIGPIPE in the service. */
	ssize_t n = send(c->remote_fd, buf, (size_t)sz, MSG_NOSIGNAL);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	if (errno == EINTR)
		return WOLFSSL_CBIO_ERR_ISR;
	conn_note_io_error(c, g_strerror(errno));
	if (errno == EPIPE)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	return errno == ECONNRESET ? WOLFSSL_CBIO_ERR_CONN_RST : WOLFSSL_CBIO_ERR_GENERAL;
}

/* The cert manager's callback is the only one wolfSSL runs for a good
 * chain too, but it gets the manager, not the connection: the connection
 * in wolfSSL_connect() on this thread is found through this variable. */
static _Thread_local TunnelConn *verifying_conn;

int hdmirtc_turn_tls_on_verify(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	TunnelConn *c = verifying_conn;
	HdmirtcTurnTlsTunnel *t;
	char reason[WOLFSSL_MAX_ERROR_SZ];

	if (c == NULL)
		return preverify;
	t = c->tunnel;
	if (!preverify) {
		if (c->verify_error == NULL)
			c->verify_error = g_strdup(wolfSSL_ERR_error_string((unsigned long)store->error,
			                                                    reason));
		return 0;
	}
	/* Only the leaf names the server; DNS names were checked by wolfSSL. */
	if (store->error_depth != 0)
		return 1;
	if (t->server_name_ip_len == 0 ||
	    (store->certs != NULL && store->totalCerts >= 1 &&
	     hdmirtc_cert_has_ip_san(store->certs[0].buffer, store->certs[0].length,
	                             t->server_name_ip, t->server_name_ip_len))) {
		c->leaf_checked = TRUE;
		return 1;
	}
	if (c->verify_error == NULL)
		c->verify_error = g_strdup("no subjectAltName IP address matches");
	return 0;
}

/* ---- data pump ---- */

static gboolean pump_local_to_up(TunnelConn *c)
{
	gsize room;
	ssize_t n;

	if (c->local_eof || c->local_failed)
		return FALSE;
	room = buf_room(&c->up, !c->up_pending);
	if (room == 0)
		return FALSE;
	n = recv(c->local_fd, c->up.data + c->up.tail, room, 0);
	if (n > 0) {
		c->up.tail += (gsize)n;
		return TRUE;
	}
	if (n == 0)
		c->local_eof = TRUE;
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		c->local_failed = TRUE;
	return n == 0;
}

static void conn_remote_done(TunnelConn *c, int err)
{
	char text[WOLFSSL_MAX_ERROR_SZ];

	if (err == WOLFSSL_ERROR_ZERO_RETURN)
		g_debug("TURN TLS tunnel to %s: server closed the session", c->tunnel->server_desc);
	else
		g_debug("TURN TLS tunnel to %s: session ended: %s", c->tunnel->server_desc,
		        c->io_error ? c->io_error : wolfSSL_ERR_error_string((unsigned long)err, text));
	c->remote_done = TRUE;
	/* A reset socket polls as HUP even with no events asked: stop watching. */
	g_source_remove_unix_fd(c->source, c->remote_tag);
	c->remote_tag = NULL;
}

static gboolean pump_up_to_tls(TunnelConn *c)
{
	int n, err;

	if (c->remote_done || buf_len(&c->up) == 0)
		return FALSE;
	/* A retry after WANT_WRITE passes the same start and at least as many
	 * bytes, as wolfSSL requires; buf_room() does not move them meanwhile. */
	n = wolfSSL_write(c->ssl, c->up.data + c->up.head, (int)buf_len(&c->up));
	if (n > 0) {
		c->up_pending = FALSE;
		buf_consume(&c->up, (gsize)n);
		return TRUE;
	}
	err = wolfSSL_get_error(c->ssl, n);
	if (err == WOLFSSL_ERROR_WANT_WRITE || err == WOLFSSL_ERROR_WANT_READ) {
		c->up_pending = TRUE;
		c->tls_want_write |= err == WOLFSSL_ERROR_WANT_WRITE;
		return FALSE;
	}
	conn_remote_done(c, err);
	return TRUE;
}

static gboolean pump_tls_to_down(TunnelConn *c)
{
	gsize room;
	int n, err;

	if (c->remote_done)
		return FALSE;
	room = buf_room(&c->down, TRUE);
	if (room == 0)
		return FALSE;
	n = wolfSSL_read(c->ssl, c->down.data + c->down.tail, (int)room);
	if (n > 0) {
		c->down.tail += (gsize)n;
		return TRUE;
	}
	err = wolfSSL_get_error(c->ssl, n);
	if (err == WOLFSSL_ERROR_WANT_READ)
		return FALSE;
	if (err == WOLFSSL_ERROR_WANT_WRITE) {
		c->tls_want_write = TRUE;
		return FALSE;
	}
	conn_remote_done(c, err);
	return TRUE;
}

static gboolean pump_down_to_local(TunnelConn *c)
{
	ssize_t n;

	if (c->local_failed || buf_len(&c->down) == 0)
		return FALSE;
	n = send(c->local_fd, c->down.data + c->down.head, buf_len(&c->down), MSG_NOSIGNAL);
	if (n > 0) {
		buf_consume(&c->down, (gsize)n);
		return TRUE;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		c->local_failed = TRUE;
	return FALSE;
}

/* Either side closing ends the tunnel, once what it sent has been passed
 * on.  Returns FALSE if the connection was closed. */
static gboolean conn_pump(TunnelConn *c)
{
	gboolean moved = TRUE;

	c->tls_want_write = FALSE;
	for (guint i = 0; moved && i < PUMP_ROUNDS; i++) {
		moved = pump_local_to_up(c);
		moved |= pump_up_to_tls(c);
		moved |= pump_tls_to_down(c);
		moved |= pump_down_to_local(c);
	}
	if (c->local_failed)
		return conn_close(c);
	if (c->remote_done && buf_len(&c->down) == 0)
		return conn_close(c);
	if (c->local_eof && buf_len(&c->up) == 0)
		return conn_close(c);
	/* Still moving: wolfSSL may hold decrypted records poll cannot see. */
	g_source_set_ready_time(c->source, moved ? 0 : -1);
	return TRUE;
}

/* ---- connect and handshake ---- */

static gboolean conn_pumping(TunnelConn *c)
{
	c->state = CONN_PUMPING;
	conn_clear_deadline(c);
	hdmirtc_turn_tls_record_success(c->tunnel);
	g_debug("TURN TLS tunnel to %s: %s session up", c->tunnel->server_desc,
	        wolfSSL_get_version(c->ssl));
	return conn_pump(c);
}

/* Why wolfSSL refused the server's certificate, in words an operator can
 * act on; NULL if err is not about the certificate. */
static const char *certificate_problem(int err)
{
	switch (err) {
	case ASN_NO_SIGNER_E: return "not issued by a trusted CA";
	case ASN_AFTER_DATE_E: return "expired";
	case ASN_BEFORE_DATE_E: return "not valid yet";
	case ASN_SIG_CONFIRM_E: return "bad signature";
	case DOMAIN_NAME_MISMATCH: return "the name is not in the certificate";
	case IPADDR_MISMATCH: return "the address is not in the certificate";
	case ASN_SIG_OID_E:
	case ASN_SIG_HASH_E:
	case ASN_SIG_KEY_E:
	case ASN_CRIT_EXT_E:
	case ASN_ALT_NAME_E:
	case ASN_NAME_INVALID_E:
	case VERIFY_CERT_ERROR:
	case MAX_CHAIN_ERROR:
	case KEYUSE_SIGNATURE_E:
	case KEYUSE_ENCIPHER_E:
	case EXTKEYUSE_AUTH_E:
	case OCSP_CERT_REVOKED:
	case CRL_CERT_REVOKED:
		return "";
	default:
		return NULL;
	}
}

static gboolean conn_handshake_failed(TunnelConn *c, int err)
{
	HdmirtcTurnTlsTunnel *t = c->tunnel;
	char text[WOLFSSL_MAX_ERROR_SZ];
	const char *problem = certificate_problem(err);

	if (c->verify_error != NULL)
		return conn_fail(c, "certificate verify failed for %s: %s", t->server_name,
		                 c->verify_error);
	if (problem != NULL)
		return conn_fail(c, "certificate verify failed for %s: %s", t->server_name,
		                 *problem ? problem : wolfSSL_ERR_error_string((unsigned long)err, text));
	if (c->io_error != NULL)
		return conn_fail(c, "TLS handshake failed: %s", c->io_error);
	return conn_fail(c, "TLS handshake failed: %s (%d)",
	                 wolfSSL_ERR_error_string((unsigned long)err, text), err);
}

static gboolean conn_handshake(TunnelConn *c)
{
	int ret, err;

	verifying_conn = c;
	ret = wolfSSL_connect(c->ssl);
	verifying_conn = NULL;
	/* Fail closed should a wolfSSL path ever skip the callback for the leaf. */
	if (ret == WOLFSSL_SUCCESS && c->tunnel->verify && !c->leaf_checked)
		return conn_fail(c, "certificate verify failed for %s: the certificate was not checked",
		                 c->tunnel->server_name);
	if (ret == WOLFSSL_SUCCESS)
		return conn_pumping(c);
	err = wolfSSL_get_error(c->ssl, ret);
	if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE) {
		c->tls_want_write = err == WOLFSSL_ERROR_WANT_WRITE;
		return TRUE;
	}
	return conn_handshake_failed(c, err);
}

static gboolean conn_start_tls(TunnelConn *c)
{
	HdmirtcTurnTlsTunnel *t = c->tunnel;

	c->ssl = wolfSSL_new(t->ssl_ctx);
	if (c->ssl == NULL)
		return conn_fail(c, "wolfSSL_new failed");
	wolfSSL_SetIOReadCtx(c->ssl, c);
	wolfSSL_SetIOWriteCtx(c->ssl, c);
	if (t->verify && t->server_name_ip_len == 0 &&
	    wolfSSL_check_domain_name(c->ssl, t->server_name) != WOLFSSL_SUCCESS)
		return conn_fail(c, "wolfSSL_check_domain_name failed");
#ifdef HAVE_SNI
	if (t->server_name_ip_len == 0)
		wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, t->server_name,
		               (unsigned short)strlen(t->server_name));
#endif
	c->state = CONN_HANDSHAKING;
	conn_set_deadline(c, t->handshake_timeout_ms);
	return conn_handshake(c);
}

static gboolean conn_connected(TunnelConn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->remote_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0)
		return conn_fail(c, "connect failed: %s", g_strerror(err));
	return conn_start_tls(c);
}

static gboolean conn_connect(TunnelConn *c)
{
	HdmirtcTurnTlsTunnel *t = c->tunnel;

	c->remote_fd = socket(t->server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                      IPPROTO_TCP);
	if (c->remote_fd < 0)
		return conn_fail(c, "socket: %s", g_strerror(errno));
	set_nodelay(c->remote_fd);
	c->remote_tag = g_source_add_unix_fd(c->source, c->remote_fd, G_IO_OUT);
	if (connect(c->remote_fd, (struct sockaddr *)&t->server, t->server_len) == 0)
		return conn_start_tls(c);
	if (errno != EINPROGRESS)
		return conn_fail(c, "connect failed: %s", g_strerror(errno));
	c->state = CONN_CONNECTING;
	conn_set_deadline(c, t->connect_timeout_ms);
	return TRUE;
}

/* ---- the connection's source ---- */

static void conn_watch(TunnelConn *c)
{
	GIOCondition local = 0, remote = 0;

	if (!c->local_eof && buf_has_room(&c->up, !c->up_pending))
		local |= G_IO_IN;
	if (buf_len(&c->down) > 0)
		local |= G_IO_OUT;
	g_source_modify_unix_fd(c->source, c->local_tag, local);
	if (c->remote_tag == NULL)
		return;
	switch (c->state) {
	case CONN_CONNECTING:
		remote = G_IO_OUT;
		break;
	case CONN_HANDSHAKING:
		remote = c->tls_want_write ? G_IO_OUT : G_IO_IN;
		break;
	case CONN_PUMPING:
		if (buf_has_room(&c->down, TRUE))
			remote |= G_IO_IN;
		if (c->tls_want_write)
			remote |= G_IO_OUT;
		break;
	}
	g_source_modify_unix_fd(c->source, c->remote_tag, remote);
}

/* Before the session is up, what libnice sends is only queued; its close
 * means it gave up, which is not the server's failure. */
static gboolean conn_step_setup(TunnelConn *c)
{
	HdmirtcTurnTlsTunnel *t = c->tunnel;
	GIOCondition remote = g_source_query_unix_fd(c->source, c->remote_tag);
	gboolean due = c->deadline >= 0 && g_source_get_time(c->source) >= c->deadline;

	pump_local_to_up(c);
	if (c->local_eof || c->local_failed)
		return conn_close(c);
	if (c->state == CONN_CONNECTING) {
		if (remote != 0)
			return conn_connected(c);
		if (due)
			return conn_fail(c, "connect timed out after %u ms", t->connect_timeout_ms);
		return TRUE;
	}
	if (due)
		return conn_fail(c, "TLS handshake timed out after %u ms", t->handshake_timeout_ms);
	return remote != 0 ? conn_handshake(c) : TRUE;
}

static gboolean on_conn_ready(gpointer data)
{
	TunnelConn *c = data;
	GIOCondition local = g_source_query_unix_fd(c->source, c->local_tag);
	gboolean alive;

	/* HUP/ERR on the loopback side: libnice reset the connection. */
	if (local & (G_IO_HUP | G_IO_ERR)) {
		conn_close(c);
		return G_SOURCE_CONTINUE;
	}
	if (c->state == CONN_PUMPING) {
		if (c->remote_tag != NULL &&
		    (g_source_query_unix_fd(c->source, c->remote_tag) & (G_IO_HUP | G_IO_ERR)))
			conn_remote_done(c, WOLFSSL_FATAL_ERROR);
		alive = conn_pump(c);
	} else {
		alive = conn_step_setup(c);
	}
	if (alive)
		conn_watch(c);
	/* The source is destroyed with the connection; nothing to return. */
	return G_SOURCE_CONTINUE;
}

void hdmirtc_turn_tls_conn_start(HdmirtcTurnTlsTunnel *t, int local_fd)
{
	TunnelConn *c = g_new0(TunnelConn, 1);

	c->tunnel = t;
	c->local_fd = local_fd;
	c->remote_fd = -1;
	c->deadline = -1;
	c->up.data = g_malloc(BUF_SIZE);
	c->down.data = g_malloc(BUF_SIZE);
	c->link.data = c;
	g_queue_push_tail_link(&t->conns, &c->link);
	c->source = hdmirtc_turn_tls_fd_source_new(t->context, on_conn_ready, c,
	                                           "hdmirtc TURN TLS connection");
	c->local_tag = g_source_add_unix_fd(c->source, local_fd, G_IO_IN);
	set_nodelay(local_fd);
	if (conn_connect(c))
		conn_watch(c);
}
