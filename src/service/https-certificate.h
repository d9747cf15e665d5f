/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hdmirtc/config.h"

/* The HTTPS server's certificate with its key, read by GIO's TLS backend
 * (GnuTLS): tls-certificate, with its key in the same file or in tls-key.
 * A missing tls-certificate (and no tls-key named) is created first:
 * ECDSA P-256, self-signed, naming this host (its name, localhost and its
 * addresses).  NULL + error for a file that cannot be read or used. */
GTlsCertificate *hdmirtc_https_certificate_load(const HdmirtcConfig *c, GError **error);

/* SHA-256 of the certificate (DER), "AB:CD:...", for the log: what a user
 * compares before trusting a self-signed certificate.  Transfer full. */
char *hdmirtc_https_certificate_fingerprint(GTlsCertificate *certificate);
