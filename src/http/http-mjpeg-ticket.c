/* SPDX-License-Identifier: GPL-3.0-or-later */
/* MJPEG tickets: POST /api/mjpeg-ticket (with the token) makes one, good
 * for starting one MJPEG stream within a minute and nothing else; the
 * page puts it in the <img>'s URL, where the token must never go
 * (http-auth.c). */
#include "http-private.h"

#include <string.h>

#include "hdmirtc/json-members.h"
#include "hdmirtc/random.h"

#define TICKET_LIFETIME_S 60
#define TICKET_BYTES 24
/* Enough for every page a KVM has open; past it the oldest goes. */
#define MAX_TICKETS 64

static void drop_expired(HdmirtcHttpServer *self)
{
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer expiry;

	g_hash_table_iter_init(&it, self->tickets);
	while (g_hash_table_iter_next(&it, NULL, &expiry)) {
		if (*(gint64 *)expiry <= now)
			g_hash_table_iter_remove(&it);
	}
}

static void drop_oldest(HdmirtcHttpServer *self)
{
	GHashTableIter it;
	gpointer key, expiry, oldest = NULL;
	gint64 oldest_expiry = G_MAXINT64;

	g_hash_table_iter_init(&it, self->tickets);
	while (g_hash_table_iter_next(&it, &key, &expiry)) {
		if (*(gint64 *)expiry < oldest_expiry) {
			oldest_expiry = *(gint64 *)expiry;
			oldest = key;
		}
	}
	if (oldest)
		g_hash_table_remove(self->tickets, oldest);
}

void hdmirtc_http_api_mjpeg_ticket(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	g_autofree char *ticket = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *body = NULL;
	gint64 *expiry;

	if (strcmp(soup_server_message_get_method(msg), "POST") != 0) {
		hdmirtc_http_reply_bad_method(self, msg, "OPTIONS, POST");
		return;
	}
	if (!self->tickets)
		self->tickets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	drop_expired(self);
	if (g_hash_table_size(self->tickets) >= MAX_TICKETS)
		drop_oldest(self);
	/* base64url: a query parameter takes it unescaped. */
	ticket = hdmirtc_random_base64url(TICKET_BYTES);
	expiry = g_new(gint64, 1);
	*expiry = g_get_monotonic_time() + TICKET_LIFETIME_S * G_USEC_PER_SEC;
	g_hash_table_insert(self->tickets, g_strdup(ticket), expiry);
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "ticket", ticket);
	hdmirtc_json_add_int(b, "expires_in_s", TICKET_LIFETIME_S);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	body = json_to_string(root, FALSE);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control", "no-store");
	hdmirtc_http_reply(msg, SOUP_STATUS_CREATED, "application/json", body, strlen(body));
}

gboolean hdmirtc_http_ticket_take(HdmirtcHttpServer *self, const char *ticket)
{
	gint64 *expiry;
	gboolean ok;

	if (!self->tickets)
		return FALSE;
	expiry = g_hash_table_lookup(self->tickets, ticket);
	ok = expiry && *expiry > g_get_monotonic_time();
	if (expiry)
		g_hash_table_remove(self->tickets, ticket);
	return ok;
}

void hdmirtc_http_tickets_free(HdmirtcHttpServer *self)
{
	g_clear_pointer(&self->tickets, g_hash_table_unref);
}
