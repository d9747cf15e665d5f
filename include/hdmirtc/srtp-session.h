/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SRTP/SRTCP protection for one viewer (libsrtp2), keyed from DTLS-SRTP
 * (RFC 5764).  The keys come from HdmirtcDtls (dtls.h) but this module does
 * not depend on it: tests and benchmarks can fill HdmirtcSrtpKeys by hand.
 *
 * Thread: a session is used by one thread at a time (the network thread);
 * different sessions may be used on different threads.  libsrtp2 is
 * initialised once per process on first use. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HDMIRTC_SRTP_ERROR (hdmirtc_srtp_error_quark())
GQuark hdmirtc_srtp_error_quark(void);

typedef enum {
	HDMIRTC_SRTP_ERROR_INIT,          /* libsrtp2 could not be initialised */
	HDMIRTC_SRTP_ERROR_BAD_KEYS,      /* unknown profile or key/salt length */
	HDMIRTC_SRTP_ERROR_CREATE,        /* srtp_create() refused the policy */
} HdmirtcSrtpError;

/* SRTP protection profiles, valued as in the DTLS use_srtp extension
 * (RFC 5764 section 4.1.2, RFC 7714 section 14.2). */
typedef enum {
	HDMIRTC_SRTP_PROFILE_NONE = 0,
	HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001,
	HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,
} HdmirtcSrtpProfile;

#define HDMIRTC_SRTP_MASTER_KEY_LEN 16
#define HDMIRTC_SRTP_MAX_SALT_LEN 14
/* Largest number of bytes protect_rtp/protect_rtcp append to a packet
 * (SRTCP with AES-GCM: 4-byte E+index, 16-byte tag). */
#define HDMIRTC_SRTP_MAX_OVERHEAD 20

/* Master keys and salts of both directions, as exported from DTLS.  The
 * "client" keys protect what the DTLS client sends. */
typedef struct {
	HdmirtcSrtpProfile profile;
	guint key_len;      /* HDMIRTC_SRTP_MASTER_KEY_LEN */
	guint salt_len;     /* 14 for AES128_CM_SHA1_80, 12 for AEAD_AES_128_GCM */
	guint8 client_key[HDMIRTC_SRTP_MASTER_KEY_LEN];
	guint8 client_salt[HDMIRTC_SRTP_MAX_SALT_LEN];
	guint8 server_key[HDMIRTC_SRTP_MASTER_KEY_LEN];
	guint8 server_salt[HDMIRTC_SRTP_MAX_SALT_LEN];
} HdmirtcSrtpKeys;

typedef struct HdmirtcSrtpSession HdmirtcSrtpSession;

/* "AES128_CM_SHA1_80", "AEAD_AES_128_GCM" or "NONE"; static string. */
const char *hdmirtc_srtp_profile_to_string(HdmirtcSrtpProfile profile);

/* Creates the outbound and inbound contexts.  When is_dtls_client is TRUE
 * our packets use the client write key and the peer's the server write key,
 * and the other way round otherwise.  Outbound accepts any SSRC and allows
 * sending the same sequence number again (NACK retransmissions); inbound
 * accepts any SSRC with libsrtp2's default replay window.  keys is copied
 * (the caller may wipe it afterwards).  Returns NULL with error set. */
HdmirtcSrtpSession *hdmirtc_srtp_session_new(const HdmirtcSrtpKeys *keys, gboolean is_dtls_client,
                                             GError **error);
/* NULL-safe; wipes the key material. */
void hdmirtc_srtp_session_free(HdmirtcSrtpSession *session);

HdmirtcSrtpProfile hdmirtc_srtp_session_get_profile(const HdmirtcSrtpSession *session);

/* Per-packet calls: in place, no allocation except the first packet of a new
 * SSRC (libsrtp2 clones its stream template).  *len is the packet length on
 * entry and the new length on return; capacity is the size of buf, which
 * must leave room for the trailer (at most HDMIRTC_SRTP_MAX_OVERHEAD).
 * Return 0 or a negative errno:
 *   -EINVAL   packet too short or malformed, or len/capacity nonsensical
 *   -ENOBUFS  capacity too small for the trailer
 *   -EBADMSG  authentication failed (unprotect)
 *   -EALREADY replayed or too old (unprotect)
 *   -EIO      any other libsrtp2 failure
 * On failure buf and *len are unspecified for protect and untouched in
 * meaning for unprotect (drop the packet). */
int hdmirtc_srtp_session_protect_rtp(HdmirtcSrtpSession *session, guint8 *buf, gsize *len,
                                     gsize capacity);
int hdmirtc_srtp_session_protect_rtcp(HdmirtcSrtpSession *session, guint8 *buf, gsize *len,
                                      gsize capacity);
int hdmirtc_srtp_session_unprotect_rtp(HdmirtcSrtpSession *session, guint8 *buf, gsize *len);
int hdmirtc_srtp_session_unprotect_rtcp(HdmirtcSrtpSession *session, guint8 *buf, gsize *len);

G_END_DECLS
