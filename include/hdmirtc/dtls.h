/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DTLS 1.2 for WebRTC (RFC 5763/5764/8827) with wolfSSL: the service's
 * persistent self-signed certificate, and one handshake per viewer that runs
 * over datagrams the caller moves (no socket here) and ends with SRTP keys.
 *
 * Thread: a session lives on the thread whose thread-default GMainContext
 * was current at hdmirtc_dtls_new() (the network thread); call every
 * function there.  The retransmission timer is attached to that context.
 * A certificate is immutable after creation and may be shared by all
 * sessions and threads. */
#pragma once

#include <glib.h>

#include "hdmirtc/srtp-session.h"

G_BEGIN_DECLS

#define HDMIRTC_DTLS_ERROR (hdmirtc_dtls_error_quark())
GQuark hdmirtc_dtls_error_quark(void);

typedef enum {
	HDMIRTC_DTLS_ERROR_CERT_FILE,     /* certificate file unreadable, corrupt or not writable */
	HDMIRTC_DTLS_ERROR_CRYPTO,        /* key/certificate generation or TLS setup failed */
	HDMIRTC_DTLS_ERROR_FINGERPRINT,   /* SDP fingerprint malformed, or peer cert does not match it */
	HDMIRTC_DTLS_ERROR_HANDSHAKE,     /* protocol error or fatal alert */
	HDMIRTC_DTLS_ERROR_NO_SRTP,       /* peer negotiated no SRTP profile we offered */
	HDMIRTC_DTLS_ERROR_TIMEOUT,       /* no answer after all retransmissions */
	HDMIRTC_DTLS_ERROR_CLOSED,        /* peer sent close_notify */
	HDMIRTC_DTLS_ERROR_STATE,         /* call not valid in the current state */
} HdmirtcDtlsError;

#define HDMIRTC_DTLS_FINGERPRINT_LEN 32   /* sha-256 */

/* ---- certificate ---- */

typedef struct HdmirtcDtlsCert HdmirtcDtlsCert;

/* Loads the PEM file at path (an EC P-256 private key followed by its
 * certificate), or, when the file does not exist, creates a new ECDSA P-256
 * key and self-signed certificate (CN=hdmirtc, valid from a year ago to ten
 * years ahead, random serial) and writes it there with mode 0600, creating
 * the parent directory (0700) if needed.  A file that exists but cannot be
 * read or parsed is an HDMIRTC_DTLS_ERROR_CERT_FILE error naming the file;
 * it is never overwritten.  Returns NULL with error set on failure. */
HdmirtcDtlsCert *hdmirtc_dtls_cert_load_or_create(const char *path, GError **error);
/* Creates the HTTPS server's first key and certificate at path, as
 * hdmirtc_dtls_cert_load_or_create() does for DTLS, with the host's names
 * in subjectAltName (dns_names and ip_addresses: NULL-terminated, either
 * may be NULL), which browsers match the address bar against.  TRUE also
 * when another process created path meanwhile.  The file is then read by
 * the TLS stack that serves HTTPS. */
gboolean hdmirtc_dtls_cert_create_for_host(const char *path, const char *const *dns_names,
                                           const char *const *ip_addresses, GError **error);
/* A fresh key and certificate that live only in memory (tests, or when no
 * state directory is writable). */
HdmirtcDtlsCert *hdmirtc_dtls_cert_new_ephemeral(GError **error);
/* NULL-safe; wipes the private key.  Sessions created from the certificate
 * keep their own copy, so it may be freed before them. */
void hdmirtc_dtls_cert_free(HdmirtcDtlsCert *cert);
/* SDP a=fingerprint value: "sha-256 AB:CD:...:EF" (95 hex digits and
 * colons).  Owned by cert. */
const char *hdmirtc_dtls_cert_fingerprint(const HdmirtcDtlsCert *cert);

/* Parses an SDP a=fingerprint value ("sha-256 ab:cd:..."; hash name and
 * hex are case-insensitive).  Only sha-256 is accepted, which every browser
 * sends.  Returns FALSE with HDMIRTC_DTLS_ERROR_FINGERPRINT on anything
 * else. */
gboolean hdmirtc_dtls_fingerprint_parse(const char *value,
                                        guint8 digest[HDMIRTC_DTLS_FINGERPRINT_LEN],
                                        GError **error);

/* ---- session ---- */

typedef enum {
	HDMIRTC_DTLS_ROLE_CLIENT,   /* we answered a=setup:active (the normal case) */
	HDMIRTC_DTLS_ROLE_SERVER,   /* a=setup:passive */
} HdmirtcDtlsRole;

typedef enum {
	HDMIRTC_DTLS_STATE_NEW,
	HDMIRTC_DTLS_STATE_HANDSHAKING,
	HDMIRTC_DTLS_STATE_CONNECTED,
	HDMIRTC_DTLS_STATE_FAILED,
	HDMIRTC_DTLS_STATE_CLOSED,
} HdmirtcDtlsState;

typedef struct HdmirtcDtls HdmirtcDtls;

typedef struct {
	/* Required.  Sends one datagram (one or more whole DTLS records) to the
	 * peer.  Returns bytes sent or a negative errno; a failure counts as a
	 * lost datagram, which the retransmission timer repairs. */
	int (*send)(const guint8 *buf, gsize len, gpointer user_data);
	/* The handshake finished and the peer's certificate matched the SDP
	 * fingerprint.  keys is valid during the call only. */
	void (*connected)(HdmirtcDtls *dtls, const HdmirtcSrtpKeys *keys, gpointer user_data);
	/* The session ended: state FAILED (handshake error, fingerprint
	 * mismatch, timeout, fatal alert) or CLOSED (peer's close_notify).
	 * Called at most once; reason is valid during the call only.  Not
	 * called for hdmirtc_dtls_close() or _free(). */
	void (*closed)(HdmirtcDtls *dtls, HdmirtcDtlsState state, const GError *reason,
	               gpointer user_data);
} HdmirtcDtlsCallbacks;

typedef struct {
	HdmirtcDtlsRole role;
	/* Required: the peer's a=fingerprint value from SDP. */
	const char *remote_fingerprint;
	/* Largest datagram we send; 0 = 1200 (fits any path WebRTC uses). */
	guint mtu;
	/* Profiles to offer (client) or accept (server), terminated by
	 * HDMIRTC_SRTP_PROFILE_NONE; NULL = AEAD_AES_128_GCM and
	 * AES128_CM_SHA1_80.  wolfSSL offers them in ascending id order and, as
	 * a server, picks the client's first acceptable one. */
	const HdmirtcSrtpProfile *srtp_profiles;
} HdmirtcDtlsConfig;

/* cert and config are copied.  Callbacks may call hdmirtc_dtls_free() on
 * the session that calls them; the object goes away when the callback's
 * caller returns.  Returns NULL with error set (bad fingerprint, wolfSSL
 * setup failure). */
HdmirtcDtls *hdmirtc_dtls_new(const HdmirtcDtlsCert *cert, const HdmirtcDtlsConfig *config,
                              const HdmirtcDtlsCallbacks *callbacks, gpointer user_data,
                              GError **error);
/* NULL-safe.  Sends nothing (call hdmirtc_dtls_close() first for a polite
 * close_notify); no callback is called after it returns. */
void hdmirtc_dtls_free(HdmirtcDtls *dtls);

/* NEW -> HANDSHAKING.  The client sends its ClientHello now; the server
 * waits for one.  A server also starts by itself on its first datagram. */
gboolean hdmirtc_dtls_start(HdmirtcDtls *dtls, GError **error);

/* Feeds one received datagram (first byte 20..63 per RFC 7983).  Returns 0
 * when it was processed (wolfSSL silently drops records it cannot
 * authenticate), -EBADMSG when it is not a sequence of well-formed DTLS
 * records (ignored, counted), -ENOTCONN when the session is NEW (client),
 * FAILED or CLOSED, -EINVAL for NULL or empty input.  State changes and
 * callbacks happen inside this call. */
int hdmirtc_dtls_handle_datagram(HdmirtcDtls *dtls, const guint8 *data, gsize len);

/* Sends close_notify when CONNECTED and moves to CLOSED without calling
 * the closed callback.  No-op in FAILED/CLOSED. */
void hdmirtc_dtls_close(HdmirtcDtls *dtls);

HdmirtcDtlsState hdmirtc_dtls_get_state(const HdmirtcDtls *dtls);
HdmirtcDtlsRole hdmirtc_dtls_get_role(const HdmirtcDtls *dtls);
/* "client" or "server". */
const char *hdmirtc_dtls_role_to_string(HdmirtcDtlsRole role);
/* The negotiated cipher suite (OpenSSL-style name, e.g.
 * "ECDHE-RSA-AES128-GCM-SHA256") once CONNECTED; NULL before.  Owned by
 * the library. */
const char *hdmirtc_dtls_get_cipher(const HdmirtcDtls *dtls);
/* Datagrams rejected by hdmirtc_dtls_handle_datagram() as malformed. */
guint64 hdmirtc_dtls_get_malformed_count(const HdmirtcDtls *dtls);
const char *hdmirtc_dtls_state_to_string(HdmirtcDtlsState state);

/* wolfSSL_Init() once per process (the DTLS sessions and the TURN-TLS
 * tunnel share the library); safe from any thread. */
void hdmirtc_dtls_library_init(void);

G_END_DECLS
