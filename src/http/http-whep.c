/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WHEP signalling (RFC 9725 for WHIP, draft-ietf-wish-whep for WHEP):
 * POST /whep creates a session, PATCH /whep/<id> trickles ICE or restarts
 * it, DELETE /whep/<id> ends it.  Handlers answer synchronously. */
#include "http-private.h"

#include <string.h>

#define SDP_TYPE "application/sdp"
#define SDPFRAG_TYPE "application/trickle-ice-sdpfrag"

/* An opaque entity tag goes between quotes: refuse what would break them
 * or the header. */
static char *quote_etag(const char *etag)
{
	for (const char *p = etag; *p; p++) {
		if ((guchar)*p <= 0x20 || (guchar)*p >= 0x7f || *p == '"')
			return NULL;
	}
	return g_strdup_printf("\"%s\"", etag);
}

/* See whep_patch in http.h for what the handler gets. */
static char *parse_if_match(const char *header)
{
	g_autofree char *value = NULL;
	gsize len;

	if (!header)
		return NULL;
	value = g_strstrip(g_strdup(header));
	len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"' &&
	    !memchr(value + 1, '"', len - 2)) {
		value[len - 1] = '\0';
		return g_strdup(value + 1);
	}
	return g_steal_pointer(&value);
}

/* The handler made a session we cannot hand out: undo it. */
static void drop_session(HdmirtcHttpServer *self, const char *id)
{
	g_autoptr(GError) error = NULL;

	if (!id || !self->handlers.whep_delete)
		return;
	if (!self->handlers.whep_delete(id, self->user_data, &error))
		g_message("could not drop session %s: %s", id, error ? error->message : "?");
}

static void reply_created(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *answer,
                          const char *id, const char *quoted_etag)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	g_autofree char *location = g_strconcat("/whep/", id, NULL);

	soup_message_headers_replace(h, "Location", location);
	if (quoted_etag)
		soup_message_headers_replace(h, "ETag", quoted_etag);
	for (char **link = self->ice_links; *link; link++)
		soup_message_headers_append(h, "Link", *link);
	soup_message_headers_replace(h, "Cache-Control", "no-store");
	hdmirtc_http_reply(msg, SOUP_STATUS_CREATED, SDP_TYPE, answer, strlen(answer));
	g_debug("POST /whep -> 201: session %s", id);
}

static void whep_post(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	g_autofree char *offer = NULL, *answer = NULL, *id = NULL, *etag = NULL;
	g_autofree char *quoted = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	if (!hdmirtc_http_content_type_is(msg, SDP_TYPE)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
		                             "Accept-Post", SDP_TYPE);
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
		                         "an offer must be sent as Content-Type: " SDP_TYPE);
		return;
	}
	if (!hdmirtc_http_take_body(self, msg, &offer, &len))
		return;
	answer = self->handlers.whep_create(offer, len, &id, &etag, self->user_data, &error);
	if (!answer) {
		hdmirtc_http_reply_gerror(self, msg, error);
		return;
	}
	if (etag)
		quoted = quote_etag(etag);
	if (!hdmirtc_http_session_id_valid(id) || (etag && !quoted)) {
		drop_session(self, id);
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
		                         "the session got an unusable id or ETag");
		return;
	}
	reply_created(self, msg, answer, id, quoted);
}

static void whep_patch(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	g_autofree char *body = NULL, *response = NULL, *etag = NULL, *if_match = NULL;
	g_autofree char *quoted = NULL;
	g_autoptr(GError) error = NULL;
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	gsize len = 0;

	if (!hdmirtc_http_content_type_is(msg, SDPFRAG_TYPE)) {
		soup_message_headers_replace(h, "Accept-Patch", SDPFRAG_TYPE);
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
		                         "ICE candidates must be sent as Content-Type: " SDPFRAG_TYPE);
		return;
	}
	if (!hdmirtc_http_take_body(self, msg, &body, &len))
		return;
	if_match = parse_if_match(soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "If-Match"));
	if (!self->handlers.whep_patch(id, if_match, body, len, &response, &etag,
	                               self->user_data, &error)) {
		hdmirtc_http_reply_gerror(self, msg, error);
		return;
	}
	if (!response) {
		hdmirtc_http_reply(msg, SOUP_STATUS_NO_CONTENT, NULL, NULL, 0);
		return;
	}
	if (etag && !(quoted = quote_etag(etag))) {
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
		                         "the ICE restart got an unusable ETag");
		return;
	}
	if (quoted)
		soup_message_headers_replace(h, "ETag", quoted);
	soup_message_headers_replace(h, "Cache-Control", "no-store");
	hdmirtc_http_reply(msg, SOUP_STATUS_OK, SDPFRAG_TYPE, response, strlen(response));
}

static void whep_delete(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	g_autoptr(GError) error = NULL;

	if (!self->handlers.whep_delete(id, self->user_data, &error)) {
		hdmirtc_http_reply_gerror(self, msg, error);
		return;
	}
	g_debug("DELETE /whep/%s -> 200", id);
	hdmirtc_http_reply(msg, SOUP_STATUS_OK, NULL, NULL, 0);
}

void hdmirtc_http_whep_options(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	const char *methods = id ? "OPTIONS, PATCH, DELETE" : "OPTIONS, POST";

	soup_message_headers_replace(h, "Allow", methods);
	soup_message_headers_replace(h, "Access-Control-Allow-Methods", methods);
	soup_message_headers_replace(h, "Access-Control-Allow-Headers", HDMIRTC_HTTP_ALLOW_HEADERS);
	soup_message_headers_replace(h, "Access-Control-Max-Age", "600");
	if (id)
		soup_message_headers_replace(h, "Accept-Patch", SDPFRAG_TYPE);
	else
		soup_message_headers_replace(h, "Accept-Post", SDP_TYPE);
	hdmirtc_http_reply(msg, SOUP_STATUS_NO_CONTENT, NULL, NULL, 0);
}

void hdmirtc_http_whep_route(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	const char *method = soup_server_message_get_method(msg);
	const HdmirtcHttpHandlers *h = &self->handlers;

	if (!id && strcmp(method, "POST") == 0) {
		if (hdmirtc_http_require_handler(self, msg, h->whep_create != NULL))
			whep_post(self, msg);
	} else if (id && strcmp(method, "PATCH") == 0) {
		if (hdmirtc_http_require_handler(self, msg, h->whep_patch != NULL))
			whep_patch(self, msg, id);
	} else if (id && strcmp(method, "DELETE") == 0) {
		if (hdmirtc_http_require_handler(self, msg, h->whep_delete != NULL))
			whep_delete(self, msg, id);
	} else {
		hdmirtc_http_reply_bad_method(self, msg, id ? "OPTIONS, PATCH, DELETE" : "OPTIONS, POST");
	}
}
