/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hdmirtc/config.h"

/* The bearer token the HTTP server asks for: the configured one; none
 * (NULL, no error) with open-access; else the one kept in token-file,
 * made on first start (32 random bytes, base64url) and written there
 * atomically with mode 0600; with no token-file, a new one for this run.
 * NULL + error when the file cannot be read or written, or holds no
 * usable token. */
char *hdmirtc_access_token_resolve(const HdmirtcConfig *c, GError **error);
