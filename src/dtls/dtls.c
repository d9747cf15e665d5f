/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One DTLS 1.2 handshake per viewer with wolfSSL over caller-moved
 * datagrams, ending in SRTP keys (RFC 5764).  wolfSSL never sees a socket:
 * its receive callback reads the one datagram being fed in, its send
 * callback hands records to the owner (ICE).  Retransmission runs on a
 * GSource using wolfSSL's own back-off (1 s doubling). */
#include "dtls-private.h"
#include "hdmirtc/gsource.h"

#include <errno.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/sha256.h>

#define DEFAULT_MTU 1200
#define MIN_MTU 256
/* Give up after 1+2+4+8+16 s without progress; ICE consent or the viewer's
 * own timeout usually ends a dead session earlier. */
#define TIMEOUT_MAX_S 32
/* The DTLS 1.2 suites offered and taken, in one place.  A suite's
 * signature algorithm is that of the *server's* certificate: as server the
 * service signs with its ECDSA key (the ECDSA suites); as client (the
 * usual case: it answers a=setup:active) it must also offer ECDHE-RSA, for
 * peers whose certificate is RSA (GStreamer's webrtcbin by default,
 * OpenSSL-based players, a browser given an RSA certificate): without them
 * such a peer finds no shared cipher and sends alert 40.  All are ECDHE
 * with AEAD (what browsers, OpenSSL, Go and NSS offer first for DTLS 1.2);
 * AES-128-GCM first, as browsers prefer it; CHACHA20-POLY1305 for peers
 * without AES instructions. */
#define CIPHER_LIST "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define RECORD_HEADER_LEN 13
#define MAX_KEYING_MATERIAL (2 * (HDMIRTC_SRTP_MASTER_KEY_LEN + HDMIRTC_SRTP_MAX_SALT_LEN))

struct HdmirtcDtls {
	HdmirtcDtlsRole role;
	HdmirtcDtlsState state;
	HdmirtcDtlsCallbacks cb;
	gpointer user_data;
	GMainContext *context;
	GSource *timer;
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl;
	guint8 remote_digest[HDMIRTC_DTLS_FINGERPRINT_LEN];
	gboolean remote_verified;       /* verify callback matched the leaf */
	GError *verify_error;           /* why the verify callback refused */
	const guint8 *rx;               /* datagram being fed; NULL when consumed */
	gsize rx_len;
	guint64 sent;                   /* datagrams handed to cb.send */
	GPtrArray *last_flight;         /* server: GBytes of the flight that finished */
	gboolean capture;               /* server: copy what we send into last_flight */
	HdmirtcDtlsHelloDefrag hello;   /* server: a fragmented ClientHello so far */
	guint64 malformed;
	guint depth;                    /* nesting of public entry points */
	gboolean free_pending;          /* _free() called from a callback */
};

const char *hdmirtc_dtls_state_to_string(HdmirtcDtlsState state)
{
	switch (state) {
	case HDMIRTC_DTLS_STATE_NEW: return "new";
	case HDMIRTC_DTLS_STATE_HANDSHAKING: return "handshaking";
	case HDMIRTC_DTLS_STATE_CONNECTED: return "connected";
	case HDMIRTC_DTLS_STATE_FAILED: return "failed";
	case HDMIRTC_DTLS_STATE_CLOSED: return "closed";
	}
	return "invalid";
}

/* ---- wolfSSL I/O and verification callbacks ---- */

static int on_wolfssl_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	HdmirtcDtls *dtls = ctx;
	gsize n;

	if (dtls->rx == NULL || sz <= 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	/* A datagram larger than wolfSSL's buffer is truncated, as recvfrom()
	 * would; the damaged record then fails its check and is dropped. */
	n = MIN(dtls->rx_len, (gsize)sz);
	memcpy(buf, dtls->rx, n);
	dtls->rx = NULL;
	dtls->rx_len = 0;
	return (int)n;
}

static int on_wolfssl_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	HdmirtcDtls *dtls = ctx;
	int ret;

	if (sz <= 0)
		return 0;
	dtls->sent++;
	if (dtls->free_pending)
		return sz;
	if (dtls->capture)
		g_ptr_array_add(dtls->last_flight, g_bytes_new(buf, (gsize)sz));
	ret = dtls->cb.send((const guint8 *)buf, (gsize)sz, dtls->user_data);
	if (ret < 0)
		g_debug("DTLS: send of %d bytes failed (%s); retransmission will repair", sz,
		        g_strerror(-ret));
	/* Always report success: a failed send is a lost datagram, which the
	 * retransmission timer handles like any other loss. */
	return sz;
}

/* WebRTC certificates are self-signed, so chain validation always fails;
 * identity comes from the SDP fingerprint instead (RFC 8122, 8827). */
static int on_wolfssl_verify(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	HdmirtcDtls *dtls = store->userCtx;
	guint8 digest[HDMIRTC_DTLS_FINGERPRINT_LEN];
	char got[3 * HDMIRTC_DTLS_FINGERPRINT_LEN], want[3 * HDMIRTC_DTLS_FINGERPRINT_LEN];

	if (dtls == NULL || store->certs == NULL || store->totalCerts < 1 ||
	    store->certs[0].buffer == NULL)
		return 0;
	if (wc_Sha256Hash(store->certs[0].buffer, store->certs[0].length, digest) != 0)
		return 0;
	if (memcmp(digest, dtls->remote_digest, sizeof(digest)) == 0) {
		dtls->remote_verified = TRUE;
		return 1;
	}
	dtls->remote_verified = FALSE;
	if (dtls->verify_error == NULL) {
		hdmirtc_dtls_format_digest(digest, got);
		hdmirtc_dtls_format_digest(dtls->remote_digest, want);
		dtls->verify_error = g_error_new(HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_FINGERPRINT,
		                                 "peer certificate fingerprint sha-256 %s does not "
		                                 "match the SDP a=fingerprint sha-256 %s", got, want);
	}
	return 0;
}

/* ---- state, timer, re-entrancy ---- */

static void dtls_destroy(HdmirtcDtls *dtls);

static void dtls_enter(HdmirtcDtls *dtls)
{
	dtls->depth++;
}

/* Returns TRUE when a callback freed the session; do not touch it then. */
static gboolean dtls_leave(HdmirtcDtls *dtls)
{
	if (--dtls->depth == 0 && dtls->free_pending) {
		dtls_destroy(dtls);
		return TRUE;
	}
	return FALSE;
}

static void timer_cancel(HdmirtcDtls *dtls)
{
	hdmirtc_source_clear(&dtls->timer);
}

static void set_state(HdmirtcDtls *dtls, HdmirtcDtlsState state)
{
	if (dtls->state == state)
		return;
	g_debug("DTLS %s: %s -> %s", dtls->role == HDMIRTC_DTLS_ROLE_CLIENT ? "client" : "server",
	        hdmirtc_dtls_state_to_string(dtls->state), hdmirtc_dtls_state_to_string(state));
	dtls->state = state;
	if (state != HDMIRTC_DTLS_STATE_HANDSHAKING)
		timer_cancel(dtls);
}

/* Terminal transition; takes ownership of reason. */
static void finish(HdmirtcDtls *dtls, HdmirtcDtlsState state, GError *reason)
{
	set_state(dtls, state);
	if (state == HDMIRTC_DTLS_STATE_FAILED)
		g_message("DTLS handshake failed: %s", reason->message);
	if (dtls->cb.closed && !dtls->free_pending)
		dtls->cb.closed(dtls, state, reason, dtls->user_data);
	g_error_free(reason);
}

static void fail(HdmirtcDtls *dtls, HdmirtcDtlsError code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void fail(HdmirtcDtls *dtls, HdmirtcDtlsError code, const char *fmt, ...)
{
	va_list ap;
	GError *reason;

	va_start(ap, fmt);
	reason = g_error_new_valist(HDMIRTC_DTLS_ERROR, code, fmt, ap);
	va_end(ap);
	finish(dtls, HDMIRTC_DTLS_STATE_FAILED, reason);
}

static void fail_from_wolfssl(HdmirtcDtls *dtls, int err)
{
	WOLFSSL_ALERT_HISTORY alerts;
	char text[80];

	if (dtls->verify_error) {
		GError *reason = dtls->verify_error;

		dtls->verify_error = NULL;
		finish(dtls, HDMIRTC_DTLS_STATE_FAILED, reason);
		return;
	}
	wolfSSL_ERR_error_string_n((unsigned long)err, text, sizeof(text));
	memset(&alerts, 0, sizeof(alerts));
	wolfSSL_get_alert_history(dtls->ssl, &alerts);
	if (err == FATAL_ERROR && alerts.last_rx.level == alert_fatal)
		fail(dtls, HDMIRTC_DTLS_ERROR_HANDSHAKE, "peer sent fatal alert %d (%s)",
		     alerts.last_rx.code, text);
	else
		fail(dtls, HDMIRTC_DTLS_ERROR_HANDSHAKE, "wolfSSL error %d: %s", err, text);
}

static gboolean on_retransmit_timer(gpointer user_data);

static void timer_arm(HdmirtcDtls *dtls)
{
	int secs = wolfSSL_dtls_get_current_timeout(dtls->ssl);

	timer_cancel(dtls);
	if (dtls->free_pending)
		return;
	dtls->timer = g_timeout_source_new((guint)MAX(secs, 1) * 1000);
	g_source_set_name(dtls->timer, "hdmirtc DTLS retransmit");
	g_source_set_callback(dtls->timer, on_retransmit_timer, dtls, NULL);
	g_source_attach(dtls->timer, dtls->context);
}

static gboolean on_retransmit_timer(gpointer user_data)
{
	HdmirtcDtls *dtls = user_data;

	g_source_unref(dtls->timer);
	dtls->timer = NULL;
	dtls_enter(dtls);
	if (dtls->state == HDMIRTC_DTLS_STATE_HANDSHAKING) {
		if (wolfSSL_dtls_got_timeout(dtls->ssl) == WOLFSSL_SUCCESS) {
			g_debug("DTLS: retransmitted flight, next timeout %d s",
			        wolfSSL_dtls_get_current_timeout(dtls->ssl));
			timer_arm(dtls);
		} else {
			fail(dtls, HDMIRTC_DTLS_ERROR_TIMEOUT,
			     "no DTLS answer from the peer after retransmitting for %d s",
			     2 * TIMEOUT_MAX_S - 1);
		}
	}
	dtls_leave(dtls);
	return G_SOURCE_REMOVE;
}

/* ---- handshake ---- */

static gboolean export_keys(HdmirtcDtls *dtls, HdmirtcSrtpKeys *keys)
{
	const WOLFSSL_SRTP_PROTECTION_PROFILE *profile = wolfSSL_get_selected_srtp_profile(dtls->ssl);
	guint8 km[MAX_KEYING_MATERIAL];
	size_t km_len = sizeof(km);
	guint k, s;

	if (profile == NULL)
		return FALSE;
	memset(keys, 0, sizeof(*keys));
	keys->profile = (HdmirtcSrtpProfile)profile->id;
	if (keys->profile == HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80)
		keys->salt_len = 14;
	else if (keys->profile == HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM)
		keys->salt_len = 12;
	else
		return FALSE;
	k = keys->key_len = HDMIRTC_SRTP_MASTER_KEY_LEN;
	s = keys->salt_len;
	if (wolfSSL_export_dtls_srtp_keying_material(dtls->ssl, km, &km_len) != WOLFSSL_SUCCESS ||
	    km_len != 2 * (k + s))
		return FALSE;
	/* RFC 5764 4.2: client key | server key | client salt | server salt */
	memcpy(keys->client_key, km, k);
	memcpy(keys->server_key, km + k, k);
	memcpy(keys->client_salt, km + 2 * k, s);
	memcpy(keys->server_salt, km + 2 * k + s, s);
	explicit_bzero(km, sizeof(km));
	return TRUE;
}

static void handshake_done(HdmirtcDtls *dtls)
{
	HdmirtcSrtpKeys keys;

	if (!dtls->remote_verified) {
		fail(dtls, HDMIRTC_DTLS_ERROR_FINGERPRINT,
		     "peer completed the handshake without a certificate matching a=fingerprint");
		return;
	}
	if (!export_keys(dtls, &keys)) {
		fail(dtls, HDMIRTC_DTLS_ERROR_NO_SRTP,
		     "peer did not negotiate an SRTP profile we offered (use_srtp)");
		return;
	}
	set_state(dtls, HDMIRTC_DTLS_STATE_CONNECTED);
	hdmirtc_dtls_hello_defrag_clear(&dtls->hello);   /* a stray fragment held is of no use now */
	g_debug("DTLS connected, %s, SRTP %s", wolfSSL_get_cipher_name(dtls->ssl),
	        hdmirtc_srtp_profile_to_string(keys.profile));
	if (dtls->cb.connected && !dtls->free_pending)
		dtls->cb.connected(dtls, &keys, dtls->user_data);
	explicit_bzero(&keys, sizeof(keys));
}

static void drive_handshake(HdmirtcDtls *dtls)
{
	guint64 sent_before = dtls->sent;
	int ret, err;

	if (dtls->role == HDMIRTC_DTLS_ROLE_CLIENT) {
		ret = wolfSSL_connect(dtls->ssl);
	} else {
		g_ptr_array_set_size(dtls->last_flight, 0);
		dtls->capture = TRUE;
		ret = wolfSSL_accept(dtls->ssl);
		dtls->capture = FALSE;
	}
	if (ret == WOLFSSL_SUCCESS) {
		handshake_done(dtls);
		return;
	}
	err = wolfSSL_get_error(dtls->ssl, ret);
	if (err != WOLFSSL_ERROR_WANT_READ && err != WOLFSSL_ERROR_WANT_WRITE) {
		fail_from_wolfssl(dtls, err);
		return;
	}
	/* (Re)start the timer when we sent a flight; a stray datagram that
	 * made us send nothing must not postpone a pending retransmission. */
	if (dtls->sent > 0 && (dtls->sent != sent_before || dtls->timer == NULL))
		timer_arm(dtls);
}

/* wolfSSL 5.5 drops every plaintext record once its handshake is done, so
 * a server never answers a client that retransmits its last flight because
 * our ChangeCipherSpec/Finished got lost (RFC 6347 4.2.4).  We resend that
 * flight ourselves when an epoch-0 handshake record shows up.  The bytes
 * are identical; the client never saw them, so its replay window lets them
 * in. */
static gboolean resend_last_flight(HdmirtcDtls *dtls, const guint8 *data)
{
	if (dtls->role != HDMIRTC_DTLS_ROLE_SERVER || dtls->last_flight->len == 0 ||
	    data[0] != 22 || data[3] != 0 || data[4] != 0)
		return FALSE;
	for (guint i = 0; i < dtls->last_flight->len && !dtls->free_pending; i++) {
		gsize n;
		const guint8 *d = g_bytes_get_data(dtls->last_flight->pdata[i], &n);

		dtls->cb.send(d, n, dtls->user_data);
	}
	g_debug("DTLS server: peer repeated its last flight, resent ours");
	return TRUE;
}

/* After the handshake: consume records.  Application data (SCTP for data
 * channels) is not used by this service and is discarded. */
static void read_records(HdmirtcDtls *dtls)
{
	guint8 scratch[1500];

	for (;;) {
		int ret = wolfSSL_read(dtls->ssl, scratch, sizeof(scratch));
		int err;

		if (ret > 0)
			continue;
		err = wolfSSL_get_error(dtls->ssl, ret);
		if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
			return;
		if (err == WOLFSSL_ERROR_ZERO_RETURN) {
			finish(dtls, HDMIRTC_DTLS_STATE_CLOSED,
			       g_error_new_literal(HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CLOSED,
			                           "peer sent close_notify"));
		} else {
			fail_from_wolfssl(dtls, err);
		}
		return;
	}
}

/* RFC 6347 4.1: a datagram carries whole records, each a 13-byte header
 * (type, version, epoch, sequence, length) and its fragment. */
static gboolean datagram_is_wellformed(const guint8 *data, gsize len)
{
	gsize off = 0;

	if (len < RECORD_HEADER_LEN)
		return FALSE;
	while (off < len) {
		gsize rec_len;

		if (len - off < RECORD_HEADER_LEN)
			return FALSE;
		if (data[off] < 20 || data[off] > 25 || data[off + 1] != 0xfe ||
		    (data[off + 2] != 0xff && data[off + 2] != 0xfd))
			return FALSE;
		rec_len = (gsize)data[off + 11] << 8 | data[off + 12];
		if (rec_len > len - off - RECORD_HEADER_LEN)
			return FALSE;
		off += RECORD_HEADER_LEN + rec_len;
	}
	return TRUE;
}

/* ---- setup ---- */

static char *profiles_to_string(const HdmirtcSrtpProfile *profiles, GError **error)
{
	static const HdmirtcSrtpProfile defaults[] = {
		HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80,
		HDMIRTC_SRTP_PROFILE_NONE,
	};
	GString *s = g_string_new(NULL);
	guint n = 0;

	for (const HdmirtcSrtpProfile *p = profiles ? profiles : defaults; *p; p++, n++) {
		if (*p != HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM &&
		    *p != HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80)
			break;
		g_string_append_printf(s, "%sSRTP_%s", s->len ? ":" : "",
		                       hdmirtc_srtp_profile_to_string(*p));
	}
	/* wolfSSL 5.5's use_srtp writer mis-encodes more than two profiles. */
	if (n == 0 || n > 2 || (profiles && profiles[n] != HDMIRTC_SRTP_PROFILE_NONE)) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CRYPTO,
		            "SRTP profiles: give one or two of AEAD_AES_128_GCM, AES128_CM_SHA1_80");
		return g_string_free(s, TRUE);
	}
	return g_string_free(s, FALSE);
}

static gboolean setup_ctx(HdmirtcDtls *dtls, const HdmirtcDtlsCert *cert)
{
	WOLFSSL_CTX *ctx;

	ctx = wolfSSL_CTX_new(dtls->role == HDMIRTC_DTLS_ROLE_CLIENT ? wolfDTLSv1_2_client_method()
	                                                             : wolfDTLSv1_2_server_method());
	if (ctx == NULL)
		return FALSE;
	dtls->ctx = ctx;
	if (wolfSSL_CTX_use_certificate_buffer(ctx, cert->cert_der, (long)cert->cert_der_len,
	                                       WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_use_PrivateKey_buffer(ctx, cert->key_der, (long)cert->key_der_len,
	                                      WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_cipher_list(ctx, CIPHER_LIST) != WOLFSSL_SUCCESS)
		return FALSE;
	wolfSSL_CTX_SetIORecv(ctx, on_wolfssl_recv);
	wolfSSL_CTX_SetIOSend(ctx, on_wolfssl_send);
	/* Server: also request the client's certificate, WebRTC is mutual. */
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	                       on_wolfssl_verify);
	/* Every viewer is a fresh handshake; keep no master secrets around. */
	wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
	wolfSSL_CTX_set_group_messages(ctx);
	return TRUE;
}

static gboolean setup_ssl(HdmirtcDtls *dtls, guint mtu, const char *profiles)
{
	WOLFSSL *ssl = wolfSSL_new(dtls->ctx);

	if (ssl == NULL)
		return FALSE;
	dtls->ssl = ssl;
	wolfSSL_SetIOReadCtx(ssl, dtls);
	wolfSSL_SetIOWriteCtx(ssl, dtls);
	wolfSSL_SetCertCbCtx(ssl, dtls);
	wolfSSL_dtls_set_using_nonblock(ssl, 1);
	/* RFC 5746's renegotiation_info, the empty one of a first handshake:
	 * OpenSSL 3 clients refuse a server without it, and servers that send
	 * it unasked (Pion) are refused by a client that did not offer it.
	 * Renegotiation itself stays impossible (HAVE_SECURE_RENEGOTIATION is
	 * not defined, see scripts/wolfssl.sh). */
	return wolfSSL_dtls_set_mtu(ssl, (word16)mtu) == WOLFSSL_SUCCESS &&
	       wolfSSL_dtls_set_timeout_max(ssl, TIMEOUT_MAX_S) == WOLFSSL_SUCCESS &&
	       wolfSSL_set_tlsext_use_srtp(ssl, profiles) == WOLFSSL_SUCCESS &&
	       wolfSSL_UseSecureRenegotiation(ssl) == WOLFSSL_SUCCESS;
}

HdmirtcDtls *hdmirtc_dtls_new(const HdmirtcDtlsCert *cert, const HdmirtcDtlsConfig *config,
                              const HdmirtcDtlsCallbacks *callbacks, gpointer user_data,
                              GError **error)
{
	HdmirtcDtls *dtls;
	g_autofree char *profiles = NULL;
	guint mtu;

	g_return_val_if_fail(cert != NULL && config != NULL, NULL);
	g_return_val_if_fail(callbacks != NULL && callbacks->send != NULL, NULL);
	hdmirtc_dtls_library_init();
	mtu = config->mtu ? config->mtu : DEFAULT_MTU;
	if (mtu < MIN_MTU || mtu > 1500) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CRYPTO,
		            "DTLS MTU %u out of range %d..1500", mtu, MIN_MTU);
		return NULL;
	}
	profiles = profiles_to_string(config->srtp_profiles, error);
	if (profiles == NULL)
		return NULL;
	dtls = g_new0(HdmirtcDtls, 1);
	dtls->role = config->role;
	dtls->cb = *callbacks;
	dtls->user_data = user_data;
	dtls->context = g_main_context_ref_thread_default();
	dtls->last_flight = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	if (!hdmirtc_dtls_fingerprint_parse(config->remote_fingerprint, dtls->remote_digest, error))
		goto fail;
	if (!setup_ctx(dtls, cert) || !setup_ssl(dtls, mtu, profiles)) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CRYPTO,
		            "cannot set up the wolfSSL DTLS context");
		goto fail;
	}
	return dtls;
fail:
	dtls_destroy(dtls);
	return NULL;
}

static void dtls_destroy(HdmirtcDtls *dtls)
{
	timer_cancel(dtls);
	if (dtls->ssl)
		wolfSSL_free(dtls->ssl);
	if (dtls->ctx)
		wolfSSL_CTX_free(dtls->ctx);
	g_clear_error(&dtls->verify_error);
	hdmirtc_dtls_hello_defrag_clear(&dtls->hello);
	g_ptr_array_unref(dtls->last_flight);
	g_main_context_unref(dtls->context);
	g_free(dtls);
}

void hdmirtc_dtls_free(HdmirtcDtls *dtls)
{
	if (dtls == NULL)
		return;
	if (dtls->depth > 0) {
		/* Called from one of our callbacks: finish the call first. */
		dtls->free_pending = TRUE;
		timer_cancel(dtls);
		return;
	}
	dtls_destroy(dtls);
}

/* ---- public calls ---- */

gboolean hdmirtc_dtls_start(HdmirtcDtls *dtls, GError **error)
{
	g_return_val_if_fail(dtls != NULL, FALSE);
	if (dtls->state != HDMIRTC_DTLS_STATE_NEW) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_STATE,
		            "DTLS session already started (%s)",
		            hdmirtc_dtls_state_to_string(dtls->state));
		return FALSE;
	}
	dtls_enter(dtls);
	set_state(dtls, HDMIRTC_DTLS_STATE_HANDSHAKING);
	drive_handshake(dtls);
	dtls_leave(dtls);
	return TRUE;
}

int hdmirtc_dtls_handle_datagram(HdmirtcDtls *dtls, const guint8 *data, gsize len)
{
	if (dtls == NULL || data == NULL || len == 0)
		return -EINVAL;
	if (dtls->state == HDMIRTC_DTLS_STATE_FAILED || dtls->state == HDMIRTC_DTLS_STATE_CLOSED ||
	    (dtls->state == HDMIRTC_DTLS_STATE_NEW && dtls->role == HDMIRTC_DTLS_ROLE_CLIENT))
		return -ENOTCONN;
	if (!datagram_is_wellformed(data, len)) {
		if (dtls->malformed++ == 0)
			g_message("DTLS: ignoring malformed datagram of %" G_GSIZE_FORMAT
			          " bytes (first byte %u)", len, data[0]);
		return -EBADMSG;
	}
	g_autoptr(GBytes) whole_hello = NULL;
	if (dtls->role == HDMIRTC_DTLS_ROLE_SERVER && dtls->state != HDMIRTC_DTLS_STATE_CONNECTED) {
		switch (hdmirtc_dtls_hello_defrag_push(&dtls->hello, data, len, &whole_hello)) {
		case HDMIRTC_DTLS_DEFRAG_PASS:
			break;
		case HDMIRTC_DTLS_DEFRAG_HELD:
			return 0;
		case HDMIRTC_DTLS_DEFRAG_COMPLETE:
			g_debug("DTLS server: reassembled a fragmented ClientHello");
			data = g_bytes_get_data(whole_hello, &len);
			break;
		}
	}
	dtls_enter(dtls);
	if (dtls->state == HDMIRTC_DTLS_STATE_NEW)
		set_state(dtls, HDMIRTC_DTLS_STATE_HANDSHAKING);
	dtls->rx = data;
	dtls->rx_len = len;
	if (dtls->state == HDMIRTC_DTLS_STATE_HANDSHAKING)
		drive_handshake(dtls);
	else if (!resend_last_flight(dtls, data))
		read_records(dtls);
	dtls->rx = NULL;
	dtls->rx_len = 0;
	dtls_leave(dtls);
	return 0;
}

void hdmirtc_dtls_close(HdmirtcDtls *dtls)
{
	if (dtls == NULL || dtls->state == HDMIRTC_DTLS_STATE_FAILED ||
	    dtls->state == HDMIRTC_DTLS_STATE_CLOSED)
		return;
	dtls_enter(dtls);
	if (dtls->state == HDMIRTC_DTLS_STATE_CONNECTED)
		wolfSSL_shutdown(dtls->ssl);   /* one close_notify; we do not wait for the reply */
	set_state(dtls, HDMIRTC_DTLS_STATE_CLOSED);
	dtls_leave(dtls);
}

HdmirtcDtlsState hdmirtc_dtls_get_state(const HdmirtcDtls *dtls)
{
	return dtls->state;
}

HdmirtcDtlsRole hdmirtc_dtls_get_role(const HdmirtcDtls *dtls)
{
	return dtls->role;
}

const char *hdmirtc_dtls_role_to_string(HdmirtcDtlsRole role)
{
	return role == HDMIRTC_DTLS_ROLE_SERVER ? "server" : "client";
}

const char *hdmirtc_dtls_get_cipher(const HdmirtcDtls *dtls)
{
	return dtls->state == HDMIRTC_DTLS_STATE_CONNECTED ? wolfSSL_get_cipher_name(dtls->ssl) : NULL;
}

guint64 hdmirtc_dtls_get_malformed_count(const HdmirtcDtls *dtls)
{
	return dtls->malformed;
}
