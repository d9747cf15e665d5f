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
