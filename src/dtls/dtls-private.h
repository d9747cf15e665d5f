/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared between dtls-cert.c and dtls.c; not for other modules. */
#pragma once

#include "hdmirtc/dtls.h"

struct HdmirtcDtlsCert {
	guint8 *key_der;        /* SEC1 ECPrivateKey, wiped on free */
	gsize key_der_len;
	guint8 *cert_der;       /* X.509 */
	gsize cert_der_len;
	guint8 digest[HDMIRTC_DTLS_FINGERPRINT_LEN];
	char *fingerprint;      /* "sha-256 AB:..." */
};


/* Writes "AB:CD:...:EF" (3 * HDMIRTC_DTLS_FINGERPRINT_LEN bytes with NUL)
 * into out. */
void hdmirtc_dtls_format_digest(const guint8 digest[HDMIRTC_DTLS_FINGERPRINT_LEN],
                                char out[3 * HDMIRTC_DTLS_FINGERPRINT_LEN]);

/* dtls-hello-defrag.c: a fragmented ClientHello reassembled for wolfSSL's
 * server, which drops fragmented ones (the why is there). */
typedef struct {
	guint8 *body;           /* the ClientHello body, length bytes; NULL = none held */
	guint8 *seen;           /* one flag per body byte */
	guint32 length;
	guint16 message_seq;
	guint64 record_seq;     /* highest record sequence number of its fragments */
	guint8 version[2];      /* record-layer version of the first fragment */
} HdmirtcDtlsHelloDefrag;

typedef enum {
	HDMIRTC_DTLS_DEFRAG_PASS,       /* not (only) ClientHello fragments: give the datagram to wolfSSL */
	HDMIRTC_DTLS_DEFRAG_HELD,       /* fragments kept, nothing to give yet */
	HDMIRTC_DTLS_DEFRAG_COMPLETE,   /* *record: the whole ClientHello as one record */
} HdmirtcDtlsDefragResult;

HdmirtcDtlsDefragResult hdmirtc_dtls_hello_defrag_push(HdmirtcDtlsHelloDefrag *d, const guint8 *data,
                                                       gsize len, GBytes **record);
/* Frees what is held; d may be reused. */
void hdmirtc_dtls_hello_defrag_clear(HdmirtcDtlsHelloDefrag *d);
