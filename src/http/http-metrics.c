/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /metrics: the status JSON flattened into Prometheus' text format
 * (version 0.0.4), so both can never disagree.  Numbers and booleans
 * become samples named after their JSON path; strings become "_info"
 * samples with the text as a label; array elements are told apart by
 * their "id" member (viewers) or their index. */
#include "http-private.h"

#include <string.h>

typedef struct {
	GHashTable *families;           /* name -> GString of sample lines */
	GPtrArray *order;               /* names in first-seen order */
} Metrics;

static void append_name(GString *name, const char *part)
{
	if (name->len)
		g_string_append_c(name, '_');
	for (const char *p = part; *p; p++)
		g_string_append_c(name, g_ascii_isalnum(*p) ? *p : '_');
}

static void append_label_value(GString *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			g_string_append_c(out, '\\');
		if (*p == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *p);
	}
}

static void add_sample(Metrics *m, const char *name, const char *labels, const char *value)
{
	GString *lines = g_hash_table_lookup(m->families, name);

	if (!lines) {
		lines = g_string_new(NULL);
		g_hash_table_insert(m->families, g_strdup(name), lines);
		g_ptr_array_add(m->order, g_strdup(name));
	}
	g_string_append_printf(lines, "%s%s%s%s %s\n", name, *labels ? "{" : "", labels,
			       *labels ? "}" : "", value);
}

static void add_node(Metrics *m, GString *name, const char *labels, JsonNode *node);

static void add_object(Metrics *m, GString *name, const char *labels, JsonObject *obj)
{
	g_autoptr(GList) members = json_object_get_members(obj);

	for (GList *l = members; l; l = l->next) {
		gsize len = name->len;

		append_name(name, l->data);
		add_node(m, name, labels, json_object_get_member(obj, l->data));
		g_string_truncate(name, len);
	}
}

static void add_array(Metrics *m, GString *name, const char *labels, JsonArray *array)
{
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *item = json_array_get_element(array, i);
		JsonObject *obj = JSON_NODE_HOLDS_OBJECT(item) ? json_node_get_object(item) : NULL;
		const char *id = obj ? json_object_get_string_member_with_default(obj, "id", NULL) : NULL;
		GString *l = g_string_new(labels);

		if (l->len)
			g_string_append_c(l, ',');
		if (id) {
			g_string_append(l, "id=\"");
			append_label_value(l, id);
			g_string_append_c(l, '"');
		} else {
			g_string_append_printf(l, "index=\"%u\"", i);
		}
		add_node(m, name, l->str, item);
		g_string_free(l, TRUE);
	}
}

static void add_value(Metrics *m, GString *name, const char *labels, JsonNode *node)
{
	GType type = json_node_get_value_type(node);
	char number[G_ASCII_DTOSTR_BUF_SIZE];

	if (type == G_TYPE_INT64) {
		g_snprintf(number, sizeof(number), "%" G_GINT64_FORMAT, json_node_get_int(node));
	} else if (type == G_TYPE_DOUBLE) {
		g_ascii_dtostr(number, sizeof(number), json_node_get_double(node));
	} else if (type == G_TYPE_BOOLEAN) {
		g_strlcpy(number, json_node_get_boolean(node) ? "1" : "0", sizeof(number));
	} else if (type == G_TYPE_STRING) {
		g_autoptr(GString) l = g_string_new(labels);
		gsize len = name->len;

		g_string_append_printf(l, "%svalue=\"", l->len ? "," : "");
		append_label_value(l, json_node_get_string(node));
		g_string_append_c(l, '"');
		g_string_append(name, "_info");
		add_sample(m, name->str, l->str, "1");
		g_string_truncate(name, len);
		return;
	} else {
		return;
	}
	add_sample(m, name->str, labels, number);
}

static void add_node(Metrics *m, GString *name, const char *labels, JsonNode *node)
{
	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_OBJECT:
		add_object(m, name, labels, json_node_get_object(node));
		break;
	case JSON_NODE_ARRAY:
		add_array(m, name, labels, json_node_get_array(node));
		break;
	case JSON_NODE_VALUE:
		add_value(m, name, labels, node);
		break;
	case JSON_NODE_NULL:
		break;
	}
}

static void free_string(gpointer s)
{
	g_string_free(s, TRUE);
}

char *hdmirtc_http_metrics_from_status(JsonNode *status)
{
	Metrics m = {
		.families = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						  free_string),
		.order = g_ptr_array_new_with_free_func(g_free),
	};
	g_autoptr(GString) name = g_string_new("hdmirtc");
	GString *out = g_string_new(NULL);

	add_node(&m, name, "", status);
	for (guint i = 0; i < m.order->len; i++) {
		const char *family = m.order->pdata[i];

		g_string_append_printf(out, "# TYPE %s untyped\n%s", family,
				       ((GString *)g_hash_table_lookup(m.families, family))->str);
	}
	g_hash_table_unref(m.families);
	g_ptr_array_unref(m.order);
	return g_string_free(out, FALSE);
}

void hdmirtc_http_metrics(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	const char *method = soup_server_message_get_method(msg);

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		hdmirtc_http_reply_bad_method(self, msg, "GET, HEAD");
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
	text = hdmirtc_http_metrics_from_status(node);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
	                             "Cache-Control", "no-store");
	hdmirtc_http_reply(msg, SOUP_STATUS_OK, "text/plain; version=0.0.4", text, strlen(text));
}
