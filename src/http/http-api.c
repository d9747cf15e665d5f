/* SPDX-License-Identifier: GPL-3.0-or-later */
/* /api/status, /api/keyframe and /api/edid. */
#include "http-private.h"

#include <string.h>

static gboolean method_is(SoupServerMessage *msg, const char *method)
{
	return strcmp(soup_server_message_get_method(msg), method) == 0;
}

static void reply_json(HdmirtcHttpServer *self, SoupServerMessage *msg, JsonNode *node)
{
	g_autofree char *json = NULL;

	if (!node) {
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
		                         "the status is not available");
		return;
	}
	json = json_to_string(node, FALSE);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
	                             "Cache-Control", "no-store");
	hdmirtc_http_reply(msg, SOUP_STATUS_OK, "application/json", json, strlen(json));
	json_node_unref(node);
}

void hdmirtc_http_api_status(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	if (!method_is(msg, "GET") && !method_is(msg, "HEAD")) {
		hdmirtc_http_reply_bad_method(self, msg, "GET, HEAD, OPTIONS");
		return;
	}
	if (hdmirtc_http_require_handler(self, msg, self->handlers.status != NULL))
		reply_json(self, msg, self->handlers.status(self->user_data));
}

/* Hex text as edid-decode and the kernel print it: whitespace ignored. */
static GByteArray *decode_hex(const char *text, gsize len)
{
	GByteArray *out = g_byte_array_new();
	int high = -1;

	for (gsize i = 0; i < len; i++) {
		int v = g_ascii_xdigit_value(text[i]);

		if (g_ascii_isspace(text[i]))
			continue;
		if (v < 0) {
			g_byte_array_unref(out);
			return NULL;
		}
		if (high < 0) {
			high = v;
		} else {
			guint8 byte = (guint8)(high << 4 | v);
			g_byte_array_append(out, &byte, 1);
			high = -1;
		}
	}
	if (high >= 0) {
		g_byte_array_unref(out);
		return NULL;
	}
	return out;
}

static void put_edid(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GByteArray) edid = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	const char *data;
	gboolean hex = hdmirtc_http_content_type_is(msg, "text/plain");

	if (!hex && !hdmirtc_http_content_type_is(msg, "application/octet-stream")) {
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
		                         "send the EDID as application/octet-stream (bytes) or text/plain (hex)");
		return;
	}
	if (!(body = hdmirtc_http_take_bytes(self, msg)))
		return;
	data = g_bytes_get_data(body, &len);
	edid = hex ? decode_hex(data, len) : g_byte_array_append(g_byte_array_new(), (const guint8 *)data, len);
	if (!edid) {
		hdmirtc_http_reply_error(self, msg, SOUP_STATUS_BAD_REQUEST,
		                         "the EDID text is not hexadecimal bytes");
		return;
	}
	if (!self->handlers.edid_put(edid->data, edid->len, self->user_data, &error)) {
		hdmirtc_http_reply_gerror(self, msg, error);
		return;
	}
	hdmirtc_http_reply(msg, SOUP_STATUS_NO_CONTENT, NULL, NULL, 0);
}

static void delete_edid(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	g_autoptr(GError) error = NULL;

	if (!self->handlers.edid_delete(self->user_data, &error))
		hdmirtc_http_reply_gerror(self, msg, error);
	else
		hdmirtc_http_reply(msg, SOUP_STATUS_NO_CONTENT, NULL, NULL, 0);
}

void hdmirtc_http_api_edid(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	if (method_is(msg, "GET") || method_is(msg, "HEAD")) {
		if (hdmirtc_http_require_handler(self, msg, self->handlers.edid_get != NULL))
			reply_json(self, msg, self->handlers.edid_get(self->user_data));
	} else if (method_is(msg, "PUT")) {
		if (hdmirtc_http_require_handler(self, msg, self->handlers.edid_put != NULL))
			put_edid(self, msg);
	} else if (method_is(msg, "DELETE")) {
		if (hdmirtc_http_require_handler(self, msg, self->handlers.edid_delete != NULL))
			delete_edid(self, msg);
	} else {
		hdmirtc_http_reply_bad_method(self, msg, "GET, HEAD, PUT, DELETE, OPTIONS");
	}
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
