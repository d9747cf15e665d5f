/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One WHIP endpoint (RFC 9725) published to: the service offers a WebRTC
 * session (an outbound session of webrtc.h), POSTs the offer, takes the
 * answer and the session's resource URL, and streams.  When the session
 * ends (ICE or DTLS failed, the server silent for 5 s, a refused POST) it
 * DELETEs the resource and starts over after 250 ms, doubling up to 4 s
 * between tries until a session streams again. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hdmirtc/webrtc.h"

G_BEGIN_DECLS

typedef struct HdmirtcWhipPublication HdmirtcWhipPublication;

/* url and token (NULL = no Authorization header) are copied; soup is
 * referenced.  Starts at once. */
HdmirtcWhipPublication *hdmirtc_whip_publication_new(HdmirtcWebrtc *w, SoupSession *soup, const char *url,
                                                     const char *token);
/* NULL-safe; ends the session and DELETEs its resource (waiting at most
 * the session's request timeout). */
void hdmirtc_whip_publication_free(HdmirtcWhipPublication *pub);
/* Adds this publication's status object to the array being built. */
void hdmirtc_whip_publication_add_status(HdmirtcWhipPublication *pub, JsonBuilder *b);

G_END_DECLS
