/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WHEP signalling (RFC 9725 for WHIP, draft-ietf-wish-whep for WHEP):
 * POST /whep creates a session, PATCH /whep/<id> trickles ICE or restarts
 * it, DELETE /whep/<id> ends it, GET and HEAD answer without content.
 * POST and PATCH are answered when the handler finishes their
 * HdmirtcWhepRequest (an answer or a restart waits for candidate
 * gathering); the others synchronously. */
#include "http-private.h"

#include <poll.h>

#include <string.h>

#define SDP_TYPE "application/sdp"
#define SDPFRAG_TYPE "application/trickle-ice-sdpfrag"
#define ENDPOINT_METHODS "GET, HEAD, OPTIONS, POST"
#define SESSION_METHODS "GET, HEAD, OPTIONS, PATCH, DELETE"

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

/* See whep_patch in http.h for what the handler gets: If-Match = "*" /
 * #entity-tag (RFC 9110 13.1.1), one header or several (libsoup joins
 * them with ", "). */
static char **parse_if_match(const char *header)
{
	GPtrArray *tags;
	const char *p = header;

	if (!header)
		return NULL;
	tags = g_ptr_array_new();
	while (*p) {
		gboolean weak = g_str_has_prefix(p, "W/\"");
		const char *open = weak ? p + 2 : p;
		const char *close;

		if (*p == ' ' || *p == '\t' || *p == ',') {
			p++;
		} else if (*p == '*') {
			g_ptr_array_add(tags, g_strdup("*"));
			p++;
		} else if (*open == '"' && (close = strchr(open + 1, '"')) != NULL) {
			/* A tag may hold commas: it ends at its closing quote.  Weak
			 * tags never match in If-Match's strong comparison. */
			if (!weak)
				g_ptr_array_add(tags, g_strndup(open + 1, (gsize)(close - open - 1)));
			p = close + 1;
		} else {
			/* Not a tag: skip the member. */
			const char *comma = strchr(p, ',');
			p = comma ? comma : p + strlen(p);
		}
	}
	g_ptr_array_add(tags, NULL);
	return (char **)g_ptr_array_free(tags, FALSE);
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
	hdmirtc_http_limits_session_created(self, msg, id);
	g_debug("POST /whep -> 201: session %s", id);
}

struct HdmirtcWhepRequest {
	HdmirtcHttpServer *server;      /* NULL once the server is freed */
	SoupServerMessage *msg;         /* reference; NULL once abandoned */
	gboolean disconnected;          /* libsoup dropped the connection */
	char *arrival_address;          /* see hdmirtc_whep_request_get_arrival_address() */
};

static void whep_request_abandon(HdmirtcWhepRequest *req)
{
	if (req->msg)
		g_signal_handlers_disconnect_by_data(req->msg, req);
	g_clear_object(&req->msg);
}

static void whep_request_finish(HdmirtcWhepRequest *req)
{
	if (req->server)
		g_ptr_array_remove_fast(req->server->pending_whep, req);
	if (req->msg) {
		/* A message whose connection is gone has no I/O left to
		 * resume (libsoup would complain). */
		if (!req->disconnected)
			soup_server_message_unpause(req->msg);
		whep_request_abandon(req);
	}
	g_free(req->arrival_address);
	g_free(req);
}

void hdmirtc_http_whep_abandon_all(HdmirtcHttpServer *self)
{
	for (guint i = 0; i < self->pending_whep->len; i++) {
		HdmirtcWhepRequest *req = self->pending_whep->pdata[i];

		whep_request_abandon(req);
		req->server = NULL;
	}
	g_ptr_array_set_size(self->pending_whep, 0);
}

/* libsoup does not watch a paused message's connection, so look for the
 * client's FIN (RDHUP: also behind data not read yet, such as the
 * close_notify alert of a TLS client). */
static gboolean connection_closed(const HdmirtcWhepRequest *req)
{
	GSocket *socket = hdmirtc_http_listen_socket_of(req->msg);
	struct pollfd p;

	if (req->disconnected)
		return TRUE;
	/* A connection handed over as a GIOStream
	 * (hdmirtc_http_server_accept_stream()) has no socket to look at:
	 * only libsoup's disconnected signal tells. */
	if (!socket)
		return FALSE;
	if (g_socket_is_closed(socket))
		return TRUE;
	p = (struct pollfd){ .fd = g_socket_get_fd(socket), .events = POLLIN | POLLRDHUP };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

gboolean hdmirtc_whep_request_is_abandoned(const HdmirtcWhepRequest *req)
{
	return !req->server || !req->msg || connection_closed(req);
}

void hdmirtc_whep_request_return(HdmirtcWhepRequest *req, const char *answer,
                                 const char *session_id, const char *etag)
{
	g_autofree char *quoted = etag ? quote_etag(etag) : NULL;

	if (!req->server) {
		whep_request_finish(req);
		return;
	}
	if (hdmirtc_whep_request_is_abandoned(req)) {
		g_message("POST /whep: the client left before its answer; dropping session %s", session_id);
		drop_session(req->server, session_id);
	} else if (!hdmirtc_http_session_id_valid(session_id) || (etag && !quoted)) {
		drop_session(req->server, session_id);
		hdmirtc_http_reply_error(req->server, req->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
		                         "the session got an unusable id or ETag");
	} else {
		reply_created(req->server, req->msg, answer, session_id, quoted);
	}
	whep_request_finish(req);
}

void hdmirtc_whep_request_return_fragment(HdmirtcWhepRequest *req, const char *fragment,
                                          const char *etag)
{
	g_autofree char *quoted = etag ? quote_etag(etag) : NULL;
	SoupMessageHeaders *h;

	if (hdmirtc_whep_request_is_abandoned(req)) {
		whep_request_finish(req);
		return;
	}
	h = soup_server_message_get_response_headers(req->msg);
	if (!fragment) {
		hdmirtc_http_reply(req->msg, SOUP_STATUS_NO_CONTENT, NULL, NULL, 0);
	} else if (etag && !quoted) {
		hdmirtc_http_reply_error(req->server, req->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
		                         "the ICE restart got an unusable ETag");
	} else {
		if (quoted)
			soup_message_headers_replace(h, "ETag", quoted);
		soup_message_headers_replace(h, "Cache-Control", "no-store");
		hdmirtc_http_reply(req->msg, SOUP_STATUS_OK, SDPFRAG_TYPE, fragment, strlen(fragment));
	}
	whep_request_finish(req);
}

const char *hdmirtc_whep_request_get_arrival_address(HdmirtcWhepRequest *request)
{
	return request->arrival_address;
}

void hdmirtc_whep_request_fail(HdmirtcWhepRequest *req, GError *error)
{
	if (!hdmirtc_whep_request_is_abandoned(req))
		hdmirtc_http_reply_gerror(req->server, req->msg, error);
	g_error_free(error);
	whep_request_finish(req);
}

static void on_whep_msg_disconnected(SoupServerMessage *msg, gpointer user_data)
{
	HdmirtcWhepRequest *req = user_data;

	req->disconnected = TRUE;
}

static HdmirtcWhepRequest *whep_request_new(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	HdmirtcWhepRequest *req = g_new0(HdmirtcWhepRequest, 1);

	req->server = self;
	req->msg = g_object_ref(msg);
	req->arrival_address = hdmirtc_http_arrival_address(self, msg);
	g_signal_connect(msg, "disconnected", G_CALLBACK(on_whep_msg_disconnected), req);
	g_ptr_array_add(self->pending_whep, req);
	soup_server_message_pause(msg);
	return req;
}

static void whep_post(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	g_autofree char *offer = NULL;
	gsize len = 0;

	if (!hdmirtc_http_content_type_is(msg, SDP_TYPE)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
		                             "Accept-Post", SDP_TYPE);
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
		                         "an offer must be sent as Content-Type: " SDP_TYPE);
		return;
	}
	if (!hdmirtc_http_take_body(self, msg, &offer, &len) ||
	    !hdmirtc_http_limits_allow_whep_post(self, msg))
		return;
	self->handlers.whep_create(whep_request_new(self, msg), offer, len, self->user_data);
}

static void whep_patch(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	g_autofree char *body = NULL;
	g_auto(GStrv) if_match = NULL;
	gsize len = 0;

	if (!hdmirtc_http_content_type_is(msg, SDPFRAG_TYPE)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
		                             "Accept-Patch", SDPFRAG_TYPE);
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
		                         "ICE candidates must be sent as Content-Type: " SDPFRAG_TYPE);
		return;
	}
	if (!hdmirtc_http_take_body(self, msg, &body, &len))
		return;
	if_match = parse_if_match(soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "If-Match"));
	self->handlers.whep_patch(whep_request_new(self, msg), id, (const char *const *)if_match, body, len,
	                          self->user_data);
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

/* WHEP (draft-ietf-wish-whep-03 4.1) gives the endpoint and its sessions
 * no representation but wants GET answered 2xx without content.  The
 * endpoint says Content-Type: application/sdp, so that a player can tell
 * a WHEP endpoint from a HEAD (the editor's copy after -03, "WHEP Endpoint
 * URL Discoverability"); a session that is gone is 404. */
static void whep_get(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	if (!id)
		hdmirtc_http_reply(msg, SOUP_STATUS_OK, SDP_TYPE, "", 0);
	else if (self->handlers.whep_exists(id, self->user_data))
		hdmirtc_http_reply(msg, SOUP_STATUS_NO_CONTENT, NULL, NULL, 0);
	else
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_NOT_FOUND, "no WHEP session %s", id);
}

/* A CORS preflight (Fetch) names the method it asks about. */
static gboolean is_preflight(SoupServerMessage *msg)
{
	return soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
	                                    "Access-Control-Request-Method") != NULL;
}

/* Answered 200: WHEP 4.3 speaks of "the 200 OK response to any OPTIONS
 * request". */
void hdmirtc_http_whep_options(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	const char *methods = id ? SESSION_METHODS : ENDPOINT_METHODS;
	gboolean preflight = is_preflight(msg);

	/* Players send the token on every request but preflights (WHEP
	 * 4.8.1); an OPTIONS that hands out TURN credentials must not be
	 * open to anybody. */
	if (!preflight && !hdmirtc_http_check_auth(self, msg))
		return;
	soup_message_headers_replace(h, "Allow", methods);
	soup_message_headers_replace(h, "Access-Control-Allow-Methods", methods);
	soup_message_headers_replace(h, "Access-Control-Allow-Headers", HDMIRTC_HTTP_ALLOW_HEADERS);
	soup_message_headers_replace(h, "Access-Control-Max-Age", "600");
	if (id) {
		soup_message_headers_replace(h, "Accept-Patch", SDPFRAG_TYPE);
	} else {
		soup_message_headers_replace(h, "Accept-Post", SDP_TYPE);
		/* So a client can configure its ICE servers before its offer
		 * (RFC 9725 4.6), but not on preflights, which no page sees
		 * (RFC 9725 4.6 asks for none there). */
		for (char **link = self->ice_links; !preflight && *link; link++)
			soup_message_headers_append(h, "Link", *link);
	}
	hdmirtc_http_reply(msg, SOUP_STATUS_OK, NULL, NULL, 0);
}

void hdmirtc_http_whep_route(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	const char *method = soup_server_message_get_method(msg);
	const HdmirtcHttpHandlers *h = &self->handlers;

	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		if (hdmirtc_http_require_handler(self, msg, !id || h->whep_exists != NULL))
			whep_get(self, msg, id);
	} else if (!id && strcmp(method, "POST") == 0) {
		if (hdmirtc_http_require_handler(self, msg, h->whep_create != NULL))
			whep_post(self, msg);
	} else if (id && strcmp(method, "PATCH") == 0) {
		if (hdmirtc_http_require_handler(self, msg, h->whep_patch != NULL) &&
		    hdmirtc_http_limits_allow_session_request(self, msg))
			whep_patch(self, msg, id);
	} else if (id && strcmp(method, "DELETE") == 0) {
		if (hdmirtc_http_require_handler(self, msg, h->whep_delete != NULL) &&
		    hdmirtc_http_limits_allow_session_request(self, msg))
			whep_delete(self, msg, id);
	} else {
		hdmirtc_http_reply_bad_method(self, msg, id ? SESSION_METHODS : ENDPOINT_METHODS);
	}
}
