/* SPDX-License-Identifier: GPL-3.0-or-later */
/* /api/status and /api/keyframe. */
#include "http-private.h"

#include <string.h>

static gboolean method_is(SoupServerMessage *msg, const char *method)
{
	return strcmp(soup_server_message_get_method(msg), method) == 0;
}

void hdmirtc_http_api_status(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *json = NULL;

	if (!method_is(msg, "GET") && !method_is(msg, "HEAD")) {
		hdmirtc_http_reply_bad_method(self, msg, "GET, HEAD, OPTIONS");
		return;
	}
	if (!hdmirtc_http_require_handler(self, msg, self->handlers.status != NULL))
		return;
	node = self->handlers.status(self->user_data);
	if (!node) {
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
		                         "the status is not available");
		return;
	}
	json = json_to_string(node, FALSE);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
	                             "Cache-Control", "no-store");
	hdmirtc_http_reply(msg, SOUP_STATUS_OK, "application/json", json, strlen(json));
}

void hdmirtc_http_api_keyframe(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	g_autoptr(GError) error = NULL;

	if (!method_is(msg, "POST")) {
		hdmirtc_http_reply_bad_method(self, msg, "OPTIONS, POST");
		return;
	}
	if (!hdmirtc_http_require_handler(self, msg, self->handlers.keyframe != NULL))
		return;
	if (!self->handlers.keyframe(self->user_data, &error)) {
		hdmirtc_http_reply_gerror(self, msg, error);
		return;
	}
	g_debug("POST /api/keyframe -> 204");
	hdmirtc_http_reply(msg, SOUP_STATUS_NO_CONTENT, NULL, NULL, 0);
}
