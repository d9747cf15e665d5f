/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The web page, compiled in from web/ (see web.gresource.xml.in). */
#include "http-private.h"

#include "hdmirtc-web.h"

#define RESOURCE_PREFIX "/org/hdmirtc/web/"

static const char *content_type_for(const char *name)
{
	if (g_str_has_suffix(name, ".html"))
		return "text/html; charset=utf-8";
	if (g_str_has_suffix(name, ".js"))
		return "text/javascript; charset=utf-8";
	if (g_str_has_suffix(name, ".css"))
		return "text/css; charset=utf-8";
	return "application/octet-stream";
}

gboolean hdmirtc_http_static_serve(HdmirtcHttpServer *self, SoupServerMessage *msg,
                                   const char *name)
{
	g_autofree char *path = g_strconcat(RESOURCE_PREFIX, name, NULL);
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	g_autoptr(GBytes) bytes = NULL;

	/* Referencing the resource directly (rather than relying on its
	 * constructor) keeps it from being dropped by the static link. */
	bytes = g_resource_lookup_data(hdmirtc_web_get_resource(), path,
	                               G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
	if (!bytes)
		return FALSE;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_replace(h, "Content-Type", content_type_for(name));
	soup_message_headers_replace(h, "Cache-Control", "no-cache");
	soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
	soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
	return TRUE;
}
