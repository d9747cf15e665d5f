/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One Janus server fed by the service: session, Streaming plugin handle,
 * the mountpoint (created, or taken over when it is already there with the
 * right streams), the feed to its ports, and a check each second that
 * keeps the session alive and notices a Janus that went away.  After a
 * failure it starts over, after 250 ms, then up to 1 s between tries. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "hdmirtc/publish.h"

G_BEGIN_DECLS

typedef struct HdmirtcJanusPublication HdmirtcJanusPublication;

/* url and config are copied; soup is referenced.  Starts at once. */
HdmirtcJanusPublication *hdmirtc_janus_publication_new(HdmirtcWebrtc *w, SoupSession *soup,
                                                       const char *url,
                                                       const HdmirtcPublishConfig *config);
/* NULL-safe; leaves the mountpoint in place. */
void hdmirtc_janus_publication_free(HdmirtcJanusPublication *pub);
/* Adds this publication's status object to the array being built. */
void hdmirtc_janus_publication_add_status(HdmirtcJanusPublication *pub, JsonBuilder *b);

G_END_DECLS
