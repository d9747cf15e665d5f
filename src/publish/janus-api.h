/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Janus's HTTP (REST) API, the part a publication needs: POST a request to
 * the server, a session or a plugin handle, and get the reply as JSON with
 * every failure turned into one GError: the connection (G_IO_ERROR), the
 * HTTP status, the body, a core error ("janus": "error") or a plugin's
 * error (plugindata.data.error_code), the last two in HDMIRTC_JANUS_ERROR
 * with Janus's own code.  Janus's codes: janus/apierror.h, and the
 * Streaming plugin's JANUS_STREAMING_ERROR_* (janus_streaming.c). */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define HDMIRTC_JANUS_ERROR (hdmirtc_janus_error_quark())
GQuark hdmirtc_janus_error_quark(void);

/* The codes used here; any other comes through as it is. */
enum {
	HDMIRTC_JANUS_BAD_REPLY = 1,            /* not Janus's JSON, or an HTTP error */
	HDMIRTC_JANUS_SESSION_NOT_FOUND = 458,
	HDMIRTC_JANUS_HANDLE_NOT_FOUND = 459,
	HDMIRTC_JANUS_NO_SUCH_MOUNTPOINT = 455,
	HDMIRTC_JANUS_MOUNTPOINT_EXISTS = 456,
};

/* reply: the whole reply object on success, NULL with error set.  For a
 * plugin message, data is plugindata.data (else NULL).  remote: the
 * address the server answered from (NULL when unknown).  All borrowed. */
typedef void (*HdmirtcJanusReplyFunc)(JsonObject *reply, JsonObject *data, GSocketAddress *remote,
                                      const GError *error, gpointer user_data);

/* POSTs {"janus": verb, "transaction": ...} to url, with a "plugin"
 * member when plugin is non-NULL (attach), and with body non-NULL (a
 * plugin message) the body member too.  body is borrowed.  func is called exactly once, from the thread-default main
 * context, unless cancellable is cancelled first (then never). */
void hdmirtc_janus_post(SoupSession *soup, const char *url, const char *verb, const char *plugin,
                        JsonObject *body, GCancellable *cancellable, HdmirtcJanusReplyFunc func,
                        gpointer user_data);

/* Member name of o as an object or an array; NULL when o is NULL or the
 * member is missing or of another type. */
JsonObject *hdmirtc_janus_get_object(JsonObject *o, const char *name);
JsonArray *hdmirtc_janus_get_array(JsonObject *o, const char *name);
/* The integer member name of o (a Janus id), 0 when missing or not one. */
guint64 hdmirtc_janus_get_id(JsonObject *o, const char *name);

G_END_DECLS
