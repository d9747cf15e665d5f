/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Janus's HTTP API: one JSON request, one JSON reply (janus-api.h). */
#include "janus-api.h"

#include <string.h>

G_DEFINE_QUARK(hdmirtc-janus-error-quark, hdmirtc_janus_error)

/* Janus answers small objects; a reply past this is not Janus. */
#define MAX_REPLY_BYTES (256 * 1024)

typedef struct {
	SoupMessage *msg;
	HdmirtcJanusReplyFunc func;
	gpointer user_data;
	gboolean plugin_message;
} Call;

JsonObject *hdmirtc_janus_get_object(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

JsonArray *hdmirtc_janus_get_array(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

guint64 hdmirtc_janus_get_id(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;

	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return 0;
	return json_node_get_int(n) > 0 ? (guint64)json_node_get_int(n) : 0;
}

static char *request_text(const char *verb, const char *plugin, JsonObject *body)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	char transaction[17];

	/* Only matched against the reply; no need to be unguessable. */
	g_snprintf(transaction, sizeof(transaction), "%08x%08x", g_random_int(), g_random_int());
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "janus");
	json_builder_add_string_value(b, verb);
	json_builder_set_member_name(b, "transaction");
	json_builder_add_string_value(b, transaction);
	if (plugin) {
		json_builder_set_member_name(b, "plugin");
		json_builder_add_string_value(b, plugin);
	}
	if (body) {
		JsonNode *n = json_node_new(JSON_NODE_OBJECT);

		json_node_set_object(n, body);
		json_builder_set_member_name(b, "body");
		json_builder_add_value(b, n);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}

/* The reply's object, or NULL and error for anything that is not a
 * successful Janus reply. */
static JsonNode *parse_reply(SoupMessage *msg, GBytes *bytes, GError **error)
{
	guint status = soup_message_get_status(msg);
	gsize len = bytes ? g_bytes_get_size(bytes) : 0;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o;

	if (status != SOUP_STATUS_OK) {
		g_set_error(error, HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY, "HTTP %u %s", status,
			    soup_message_get_reason_phrase(msg) ? soup_message_get_reason_phrase(msg) : "");
		return NULL;
	}
	if (len > MAX_REPLY_BYTES ||
	    !json_parser_load_from_data(parser, g_bytes_get_data(bytes, NULL), (gssize)len, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_set_error(error, HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY, "the reply is not a JSON object");
		return NULL;
	}
	o = json_node_get_object(json_parser_get_root(parser));
	const char *verb = json_object_get_string_member_with_default(o, "janus", "");
	if (strcmp(verb, "error") == 0) {
		JsonObject *e = hdmirtc_janus_get_object(o, "error");

		g_set_error(error, HDMIRTC_JANUS_ERROR,
			    e ? (int)json_object_get_int_member_with_default(e, "code", HDMIRTC_JANUS_BAD_REPLY) :
				HDMIRTC_JANUS_BAD_REPLY,
			    "%s", e ? json_object_get_string_member_with_default(e, "reason", "error") : "error");
		return NULL;
	}
	if (strcmp(verb, "success") != 0) {
		g_set_error(error, HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY, "unexpected reply \"%s\"", verb);
		return NULL;
	}
	return json_node_copy(json_parser_get_root(parser));
}

/* plugindata.data of a plugin's synchronous reply, or NULL and error. */
static JsonObject *plugin_data(JsonObject *reply, GError **error)
{
	JsonObject *pd = hdmirtc_janus_get_object(reply, "plugindata");
	JsonObject *data = hdmirtc_janus_get_object(pd, "data");

	if (!data) {
		g_set_error(error, HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY, "the reply has no plugin data");
		return NULL;
	}
	if (json_object_has_member(data, "error_code")) {
		g_set_error(error, HDMIRTC_JANUS_ERROR,
			    (int)json_object_get_int_member_with_default(data, "error_code", HDMIRTC_JANUS_BAD_REPLY),
			    "%s", json_object_get_string_member_with_default(data, "error", "plugin error"));
		return NULL;
	}
	return data;
}

static void on_reply(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
	g_autoptr(JsonNode) root = NULL;
	JsonObject *data = NULL;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		goto out;
	if (bytes)
		root = parse_reply(call->msg, bytes, &error);
	if (root && call->plugin_message)
		data = plugin_data(json_node_get_object(root), &error);
	call->func(error ? NULL : json_node_get_object(root), data, soup_message_get_remote_address(call->msg),
		   error, call->user_data);
out:
	g_object_unref(call->msg);
	g_free(call);
}

void hdmirtc_janus_post(SoupSession *soup, const char *url, const char *verb, const char *plugin,
                        JsonObject *body, GCancellable *cancellable, HdmirtcJanusReplyFunc func,
                        gpointer user_data)
{
	g_autofree char *text = request_text(verb, plugin, body);
	Call *call = g_new0(Call, 1);

	call->func = func;
	call->user_data = user_data;
	call->plugin_message = body != NULL;
	call->msg = soup_message_new(SOUP_METHOD_POST, url);
	if (!call->msg) {
		g_autoptr(GError) error = g_error_new(HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY,
						      "\"%s\" is not an HTTP URL", url);
		func(NULL, NULL, NULL, error, user_data);
		g_free(call);
		return;
	}
	gsize len = strlen(text);
	g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&text), len);
	soup_message_set_request_body_from_bytes(call->msg, "application/json", bytes);
	soup_session_send_and_read_async(soup, call->msg, G_PRIORITY_DEFAULT, cancellable, on_reply, call);
}
