/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Responses: precise one-line errors, the error-to-status mapping, CORS. */
#include "http-private.h"

#include <string.h>

G_DEFINE_QUARK(hdmirtc-http-error-quark, hdmirtc_http_error)

guint hdmirtc_http_status_for_error(const GError *error)
{
	static const guint status[] = {
		[HDMIRTC_HTTP_ERROR_BAD_REQUEST] = SOUP_STATUS_BAD_REQUEST,
		[HDMIRTC_HTTP_ERROR_NOT_FOUND] = SOUP_STATUS_NOT_FOUND,
		[HDMIRTC_HTTP_ERROR_UNPROCESSABLE] = SOUP_STATUS_UNPROCESSABLE_ENTITY,
		[HDMIRTC_HTTP_ERROR_CONFLICT] = SOUP_STATUS_CONFLICT,
		[HDMIRTC_HTTP_ERROR_PRECONDITION_FAILED] = SOUP_STATUS_PRECONDITION_FAILED,
		[HDMIRTC_HTTP_ERROR_PRECONDITION_REQUIRED] = HDMIRTC_HTTP_STATUS_PRECONDITION_REQUIRED,
		[HDMIRTC_HTTP_ERROR_PAYLOAD_TOO_LARGE] = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
		[HDMIRTC_HTTP_ERROR_UNSUPPORTED_MEDIA] = SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
		[HDMIRTC_HTTP_ERROR_TOO_MANY] = SOUP_STATUS_SERVICE_UNAVAILABLE,
		[HDMIRTC_HTTP_ERROR_INTERNAL] = SOUP_STATUS_INTERNAL_SERVER_ERROR,
		[HDMIRTC_HTTP_ERROR_INVALID_CONFIG] = SOUP_STATUS_INTERNAL_SERVER_ERROR,
	};

	if (!error || error->domain != HDMIRTC_HTTP_ERROR || error->code < 0 ||
	    (gsize)error->code >= G_N_ELEMENTS(status))
		return SOUP_STATUS_INTERNAL_SERVER_ERROR;
	return status[error->code];
}

/* libsoup 3.2 has no phrase for 428 and 429 (RFC 6585) and names 422 by its old
 * WebDAV name; RFC 9110 15.5.21 calls it Unprocessable Content. */
static const char *status_phrase(guint status)
{
	switch (status) {
	case SOUP_STATUS_UNPROCESSABLE_ENTITY: return "Unprocessable Content";
	case HDMIRTC_HTTP_STATUS_PRECONDITION_REQUIRED: return "Precondition Required";
	case HDMIRTC_HTTP_STATUS_TOO_MANY_REQUESTS: return "Too Many Requests";
	default: return soup_status_get_phrase(status);
	}
}

void hdmirtc_http_reply(SoupServerMessage *msg, guint status, const char *content_type,
                        const char *body, gsize len)
{
	soup_server_message_set_status(msg, status, status_phrase(status));
	if (body)
		soup_server_message_set_response(msg, content_type, SOUP_MEMORY_COPY, body, len);
	else
		soup_message_headers_set_content_length(
			soup_server_message_get_response_headers(msg), 0);
}

static const char *msg_path(SoupServerMessage *msg)
{
	return g_uri_get_path(soup_server_message_get_uri(msg));
}

/* A reason comes from a handler or from the request (a path, a header):
 * keep it on one line and printable so it cannot split the log line or
 * the body. */
static char *one_line(const char *text)
{
	char *line = g_utf8_make_valid(text ? text : "", -1);

	for (char *p = line; *p; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return line;
}

static void reply_error_text(HdmirtcHttpServer *self, SoupServerMessage *msg, guint status,
                             const char *reason)
{
	g_autofree char *line = one_line(reason);
	g_autofree char *body = g_strdup_printf("%u %s: %s\n", status, status_phrase(status), line);
	g_autofree char *path = one_line(msg_path(msg));
	const char *method = soup_server_message_get_method(msg);

	g_object_set_data(G_OBJECT(msg), "hdmirtc-http-logged", GINT_TO_POINTER(1));
	/* 500 is our bug or a failure inside the service; the rest (503 too:
	 * the viewer limit) are what clients and configuration cause. */
	if (status == SOUP_STATUS_INTERNAL_SERVER_ERROR)
		g_warning("%s %s -> %u: %s", method, path, status, line);
	else
		g_message("%s %s -> %u: %s", method, path, status, line);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
	                             "Cache-Control", "no-store");
	hdmirtc_http_reply(msg, status, "text/plain; charset=utf-8", body, strlen(body));
}

void hdmirtc_http_reply_error(HdmirtcHttpServer *self, SoupServerMessage *msg, guint status,
                              const char *fmt, ...)
{
	g_autofree char *reason = NULL;
	va_list args;

	va_start(args, fmt);
	reason = g_strdup_vprintf(fmt, args);
	va_end(args);
	reply_error_text(self, msg, status, reason);
}

void hdmirtc_http_reply_gerror(HdmirtcHttpServer *self, SoupServerMessage *msg,
                               const GError *error)
{
	guint status = hdmirtc_http_status_for_error(error);

	if (status == SOUP_STATUS_SERVICE_UNAVAILABLE) {
		g_autofree char *after = g_strdup_printf("%u", self->retry_after_s);

		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
		                             "Retry-After", after);
	}
	reply_error_text(self, msg, status, error ? error->message : "handler failed without a reason");
}

void hdmirtc_http_reply_bad_method(HdmirtcHttpServer *self, SoupServerMessage *msg,
                                   const char *allow)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", allow);
	hdmirtc_http_reply_error(self, msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
	                         "%s is not allowed here; allowed: %s",
	                         soup_server_message_get_method(msg), allow);
}

void hdmirtc_http_add_cors(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);

	if (!self->cors_origin)
		return;
	soup_message_headers_replace(h, "Access-Control-Allow-Origin", self->cors_origin);
	soup_message_headers_replace(h, "Access-Control-Expose-Headers",
	                             HDMIRTC_HTTP_EXPOSE_HEADERS);
	/* A fixed origin other than "*" makes the answer depend on it. */
	if (strcmp(self->cors_origin, "*") != 0)
		soup_message_headers_append(h, "Vary", "Origin");
}

gboolean hdmirtc_http_content_type_is(SoupServerMessage *msg, const char *type)
{
	const char *got = soup_message_headers_get_content_type(
		soup_server_message_get_request_headers(msg), NULL);

	return got && g_ascii_strcasecmp(got, type) == 0;
}

gboolean hdmirtc_http_session_id_valid(const char *id)
{
	gsize n = 0;

	if (!id)
		return FALSE;
	for (const char *p = id; *p; p++, n++) {
		if (n >= HDMIRTC_HTTP_MAX_SESSION_ID)
			return FALSE;
		if (!g_ascii_isalnum(*p) && !strchr("._~-", *p))
			return FALSE;
	}
	return n > 0;
}

GBytes *hdmirtc_http_take_bytes(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	GBytes *bytes = soup_message_body_flatten(soup_server_message_get_request_body(msg));

	if (g_bytes_get_size(bytes) == 0) {
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_BAD_REQUEST, "the request body is empty");
		g_bytes_unref(bytes);
		return NULL;
	}
	return bytes;
}

gboolean hdmirtc_http_take_body(HdmirtcHttpServer *self, SoupServerMessage *msg, char **out,
                                gsize *len)
{
	g_autoptr(GBytes) bytes = hdmirtc_http_take_bytes(self, msg);
	gsize size = 0;
	const char *data = bytes ? g_bytes_get_data(bytes, &size) : NULL;

	if (!bytes)
		return FALSE;
	if (memchr(data, '\0', size)) {
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_BAD_REQUEST,
		                         "the request body contains a NUL byte");
		return FALSE;
	}
	*out = g_strndup(data, size);
	*len = size;
	return TRUE;
}

gboolean hdmirtc_http_require_handler(HdmirtcHttpServer *self, SoupServerMessage *msg,
                                      gboolean present)
{
	if (present)
		return TRUE;
	hdmirtc_http_reply_error(self, msg, SOUP_STATUS_NOT_IMPLEMENTED,
	                         "this service does not implement %s %s",
	                         soup_server_message_get_method(msg),
	                         msg_path(msg));
	return FALSE;
}

void hdmirtc_http_log_unanswered(SoupServerMessage *msg)
{
	guint status = soup_server_message_get_status(msg);
	const char *method = soup_server_message_get_method(msg);
	GUri *uri = soup_server_message_get_uri(msg);
	g_autofree char *path = NULL;

	if (status < 400 || g_object_get_data(G_OBJECT(msg), "hdmirtc-http-logged"))
		return;
	path = one_line(uri ? g_uri_get_path(uri) : "?");
	g_message("%s %s -> %u: the request could not be parsed as HTTP", method ? method : "?",
	          path, status);
}
