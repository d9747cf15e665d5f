/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bearer token check: the Authorization header (RFC 6750 2.1).  The one
 * request a page cannot put a header on, the <img> showing the MJPEG
 * stream, carries a ticket in its URL instead (access_token, 2.3;
 * http-mjpeg-ticket.c), so a URL that ends up in a history, a proxy's log
 * or a screenshot gives nobody the token. */
#include "http-private.h"

#include <string.h>

#define DIGEST_LEN 32

static void sha256(const char *text, gsize len, guint8 out[DIGEST_LEN])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	gsize out_len = DIGEST_LEN;

	g_checksum_update(sum, (const guchar *)text, len);
	g_checksum_get_digest(sum, out, &out_len);
}

/* Comparing digests of both strings takes the same time whatever the
 * length or content of the guess, so it leaks neither. */
static gboolean token_equal(const char *expected, const char *got, gsize got_len)
{
	guint8 a[DIGEST_LEN], b[DIGEST_LEN];
	guint8 diff = 0;

	sha256(expected, strlen(expected), a);
	sha256(got, got_len, b);
	for (gsize i = 0; i < DIGEST_LEN; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* Returns the token of "Bearer <token>" (scheme case-insensitive), or NULL. */
static const char *bearer_token(const char *header, gsize *len)
{
	const char *p;

	if (!header || g_ascii_strncasecmp(header, "Bearer", 6) != 0 || header[6] != ' ')
		return NULL;
	for (p = header + 7; *p == ' '; p++)
		;
	*len = strlen(p);
	while (*len > 0 && (p[*len - 1] == ' ' || p[*len - 1] == '\t'))
		(*len)--;
	return *len > 0 ? p : NULL;
}

static void reply_unauthorized(HdmirtcHttpServer *self, SoupServerMessage *msg,
                               const char *challenge, const char *reason)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
	                             "WWW-Authenticate", challenge);
	hdmirtc_http_reply_error(self, msg, SOUP_STATUS_UNAUTHORIZED, "%s", reason);
}

static char *query_token(SoupServerMessage *msg)
{
	const char *query = g_uri_get_query(soup_server_message_get_uri(msg));
	g_autoptr(GHashTable) params = query ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
	const char *value = params ? g_hash_table_lookup(params, "access_token") : NULL;

	return value ? g_strdup(value) : NULL;
}

gboolean hdmirtc_http_check_auth(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	const char *header;
	const char *token;
	gsize len = 0;

	if (!self->token)
		return TRUE;
	header = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
	                                      "Authorization");
	g_autofree char *from_query = header ? NULL : query_token(msg);
	if (from_query) {
		const char *path = g_uri_get_path(soup_server_message_get_uri(msg));

		if (strcmp(path, "/stream.mjpeg") != 0) {
			reply_unauthorized(self, msg, "Bearer realm=\"hdmirtc\", error=\"invalid_request\"",
			                   "a token in the URL is taken only by /stream.mjpeg, and only a "
			                   "ticket from POST /api/mjpeg-ticket: send Authorization: Bearer <token>");
			return FALSE;
		}
		if (hdmirtc_http_ticket_take(self, from_query))
			return TRUE;
		reply_unauthorized(self, msg, "Bearer realm=\"hdmirtc\", error=\"invalid_token\"",
		                   "the access_token is no ticket, or an expired or used one "
		                   "(POST /api/mjpeg-ticket makes one)");
		return FALSE;
	}
	if (!header) {
		reply_unauthorized(self, msg, "Bearer realm=\"hdmirtc\"",
		                   "this request needs an Authorization: Bearer <token> header");
		return FALSE;
	}
	token = bearer_token(header, &len);
	if (!token) {
		reply_unauthorized(self, msg, "Bearer realm=\"hdmirtc\", error=\"invalid_request\"",
		                   "the Authorization header is not of the form Bearer <token>");
		return FALSE;
	}
	if (!token_equal(self->token, token, len)) {
		reply_unauthorized(self, msg, "Bearer realm=\"hdmirtc\", error=\"invalid_token\"",
		                   "the bearer token is wrong");
		return FALSE;
	}
	return TRUE;
}
