/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by sdp-parse.c and sdp-answer.c.  Pure functions, any thread. */
#pragma once

#include "hdmirtc/sdp.h"

G_BEGIN_DECLS

#define SDP_FINGERPRINT_MAX_BYTES 64    /* sha-512 */

/* TRUE if s has min..max ice-chars (RFC 8839: ALPHA / DIGIT / "+" / "/"). */
gboolean hdmirtc_sdp_ice_chars_valid(const char *s, gsize min, gsize max);

/* TRUE if s has min..max token chars (RFC 8866 token-char: printable ASCII
 * except space and a few separators). */
gboolean hdmirtc_sdp_token_valid(const char *s, gsize min, gsize max);

/* Parses "<hash-func> XX:XX:..." (RFC 8122).  Stores the algorithm in
 * lowercase into alg (alg_size bytes) and the bytes into out.  For a known
 * algorithm the byte count must match it.  Sets a message (no line number)
 * into *why on failure. */
gboolean hdmirtc_sdp_fingerprint_parse(const char *value, char *alg, gsize alg_size,
                                       guint8 out[SDP_FINGERPRINT_MAX_BYTES], gsize *n_bytes,
                                       const char **why);

G_END_DECLS
