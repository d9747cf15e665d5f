/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The web page, compiled in from web/ (see web.gresource.xml.in), and the
 * Janus client janus.html loads, read from Debian's packages as they are
 * installed (libjs-janus-gateway, libjs-webrtc-adapter; the same paths on
 * Raspberry Pi OS). */
#include "http-private.h"

#include "hdmirtc-web.h"

#include <string.h>

#define RESOURCE_PREFIX "/org/hdmirtc/web/"
/* janus.js is ~130 kB; anything much larger is not that file. */
#define MAX_VENDOR_BYTES (4 * 1024 * 1024)

static const struct {
	const char *name;
	const char *path;
} vendor_files[] = {
	{ "vendor/janus.js", "/usr/share/javascript/janus-gateway/janus.js" },
	{ "vendor/adapter.js", "/usr/share/javascript/webrtc-adapter/adapter.js" },
};

/* NULL when name is not a vendor file or it is not installed. */
static GBytes *vendor_file(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(vendor_files); i++) {
		g_autoptr(GMappedFile) map = NULL;

		if (strcmp(name, vendor_files[i].name) != 0)
			continue;
		map = g_mapped_file_new(vendor_files[i].path, FALSE, NULL);
		if (!map || g_mapped_file_get_length(map) > MAX_VENDOR_BYTES)
			return NULL;
		return g_mapped_file_get_bytes(map);
	}
	return NULL;
}

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
		bytes = vendor_file(name);
	if (!bytes)
		return FALSE;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_replace(h, "Content-Type", content_type_for(name));
	soup_message_headers_replace(h, "Cache-Control", "no-cache");
	soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
	soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
	return TRUE;
}
