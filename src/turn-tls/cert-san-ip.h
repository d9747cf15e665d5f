/* SPDX-License-Identifier: GPL-3.0-or-later */
/* subjectAltName iPAddress lookup in an X.509 certificate; for
 * turn-tls-conn.c and its unit test, not for other modules.
 *
 * This wolfSSL build has no WOLFSSL_IP_ALT_NAME, so it drops iPAddress
 * SAN entries and wolfSSL_check_domain_name() cannot match an IP literal. */
#pragma once

#include <glib.h>

/* TRUE if the X.509 certificate der (DER, der_len bytes) has a
 * subjectAltName iPAddress equal to ip (4 or 16 bytes, network order).
 * der is untrusted; any malformed input, NULL or another ip_len gives
 * FALSE.  Pure function: any thread. */
gboolean hdmirtc_cert_has_ip_san(const guint8 *der, gsize der_len, const guint8 *ip, gsize ip_len);
