/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unpredictable bytes from the kernel (getrandom(2)), for what an outsider
 * must not guess: WHEP session ids and ETags (a session URL is all it takes
 * to DELETE someone's viewer; WHEP section 5 asks for a cryptographically
 * secure generator) and STUN transaction ids (RFC 8489 6).  GLib's
 * g_random_* is a Mersenne Twister: its output can be predicted from a few
 * values seen. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Fills buf; aborts if the kernel gives none (it blocks only before the
 * entropy pool is initialised at boot). */
void hdmirtc_random_bytes(void *buf, gsize len);

/* 2 * bytes lowercase hex digits, newly allocated. */
char *hdmirtc_random_hex(guint bytes);

/* bytes in base64url without padding (RFC 4648 5): letters, digits, - and
 * _, safe in a URL and a bearer token; newly allocated.  Also secrets:
 * the access token and MJPEG tickets. */
char *hdmirtc_random_base64url(guint bytes);

G_END_DECLS
