/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Publications: the one encoded stream handed to SFUs that fan it out to
 * many viewers, so that the service's cost stays that of one viewer per
 * SFU.  Two kinds: Janus, where the service creates a Streaming plugin
 * mountpoint through Janus's HTTP API and feeds it plain RTP (a feed of
 * webrtc.h), checks every second that it is still there, and creates it
 * again when Janus comes back from a restart; and any WHIP server (RFC
 * 9725), to which the service offers a WebRTC session (an outbound session
 * of webrtc.h) and offers a new one when it ends.
 *
 * Thread: the network thread's main context (the thread-default one when
 * hdmirtc_publisher_new() is called). */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/webrtc.h"

G_BEGIN_DECLS

typedef struct {
	/* Janus HTTP API base URLs (http://HOST:8088/janus), one publication
	 * each; NULL or empty = none. */
	const char *const *janus_urls;
	guint mountpoint;               /* the mountpoint id made on each Janus */
	const char *admin_key;          /* the Streaming plugin's admin_key; NULL/"" = none */
	const char *secret;             /* the mountpoint's secret; NULL/"" = none */
	gboolean audio;                 /* the stream has sound: the mountpoint gets it too */
	/* Janus's API as browsers reach it, told to the page in the status;
	 * NULL/"" = none. */
	const char *viewer_url;
	/* WHIP endpoint URLs, one publication each; NULL or empty = none. */
	const char *const *whip_urls;
	/* Their bearer tokens: none, one for all, or one each (the
	 * configuration checked the count). */
	const char *const *whip_tokens;
} HdmirtcPublishConfig;

typedef struct HdmirtcPublisher HdmirtcPublisher;

/* Starts every publication; w must outlive the publisher.  The URLs are
 * the configuration's, already checked there (config-validate.c).
 * Returns NULL when there is nothing to publish nor a viewer URL. */
HdmirtcPublisher *hdmirtc_publisher_new(HdmirtcWebrtc *w, const HdmirtcPublishConfig *config);
/* NULL-safe.  Mountpoints stay on their servers: viewers there keep
 * their session and play again when the service is back. */
void hdmirtc_publisher_free(HdmirtcPublisher *p);

/* Adds the "publications" array member to an object being built (NULL-safe:
 * an empty array), and with a viewer URL a "janus_viewer" object (url,
 * mountpoint) for the page. */
void hdmirtc_publisher_add_status(HdmirtcPublisher *p, JsonBuilder *b);

G_END_DECLS
