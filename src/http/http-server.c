/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The server object: configuration, listening, the body size limit and the
 * routing of each request. */
#include "http-private.h"

#include <string.h>

#include "hdmirtc-build.h"

/* The files src/http/meson.build compiles in: the page's routes. */
static const char *const page_files[] = {
	"index.html", "player.js", "whep.js", "barcode.js", "audio-clicks.js", "click-worklet.js", "style.css",
	"janus.html", "janus-view.js", "vendor/janus.js", "vendor/adapter.js",
};

static gboolean has_control_char(const char *text)
{
	for (const char *p = text; *p; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return TRUE;
	}
	return FALSE;
}

/* ---- body size limit ---- */

/* After a 413, this much more of the body is read and dropped so that the
 * client, still sending, gets to read the answer: closing a socket with
 * unread data makes the kernel reset the connection, and the client may
 * lose the answer with it.  Past this the client is ignoring us: close. */
#define DISCARD_MAX (1024 * 1024)
#define DISCARDED_KEY "hdmirtc-http-discarded"

static void reject_too_large(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *how)
{
	SoupMessageBody *body = soup_server_message_get_request_body(msg);

	/* With accumulation off, libsoup drops each chunk as it arrives. */
	soup_message_body_set_accumulate(body, FALSE);
	soup_message_body_truncate(body);
	g_object_set_data(G_OBJECT(msg), DISCARDED_KEY, GUINT_TO_POINTER(1));
	hdmirtc_http_add_cors(self, msg);
	hdmirtc_http_reply_error(self, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
	                         "the request body %s more than %u bytes", how,
	                         (guint)HDMIRTC_HTTP_MAX_BODY);
}

/* Runs after libsoup's own got-headers handler, before the body is read. */
static void on_msg_got_headers(SoupServerMessage *msg, gpointer user_data)
{
	SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);

	if (soup_server_message_get_status(msg) != 0)
		return;
	if (soup_message_headers_get_encoding(h) == SOUP_ENCODING_CONTENT_LENGTH &&
	    soup_message_headers_get_content_length(h) > HDMIRTC_HTTP_MAX_BODY)
		reject_too_large(user_data, msg, "would be");
}

static void count_discarded(SoupServerMessage *msg, gsize len)
{
	guint total = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(msg), DISCARDED_KEY));
	GIOStream *stream;

	total = total + len > DISCARD_MAX ? DISCARD_MAX + 1 : total + (guint)len;
	g_object_set_data(G_OBJECT(msg), DISCARDED_KEY, GUINT_TO_POINTER(total));
	if (total <= DISCARD_MAX)
		return;
	g_message("%s %s: still sending after 413, closing the connection",
	          soup_server_message_get_method(msg),
	          g_uri_get_path(soup_server_message_get_uri(msg)));
	/* libsoup stops its I/O on a stolen connection (as for a WebSocket
	 * upgrade); closing it drops the client. */
	stream = soup_server_message_steal_connection(msg);
	if (stream) {
		g_io_stream_close(stream, NULL, NULL);
		g_object_unref(stream);
	}
}

/* Chunked bodies have no length up front: count while they arrive. */
static void on_msg_got_chunk(SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	SoupMessageBody *body = soup_server_message_get_request_body(msg);

	if (g_object_get_data(G_OBJECT(msg), DISCARDED_KEY))
		count_discarded(msg, g_bytes_get_size(chunk));
	else if (soup_server_message_get_status(msg) == 0 && body->length > HDMIRTC_HTTP_MAX_BODY)
		reject_too_large(user_data, msg, "is");
}

static void on_msg_wrote_headers(SoupServerMessage *msg, gpointer user_data)
{
	hdmirtc_http_log_unanswered(msg);
}

static void on_request_started(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	/* libsoup 3.2 (Debian 12) never notices a client closing an idle
	 * kept-alive connection: each one left a socket in CLOSE-WAIT and its
	 * descriptor (found by the bench's memory soak; fixed upstream in 3.3).
	 * A KVM page makes a handful of requests: close after each. */
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection", "close");
	hdmirtc_http_limits_request_started(user_data, msg);
	g_signal_connect(msg, "got-headers", G_CALLBACK(on_msg_got_headers), user_data);
	g_signal_connect(msg, "got-chunk", G_CALLBACK(on_msg_got_chunk), user_data);
	/* Requests libsoup could not parse never reach a handler or the
	 * server's request-finished signal: log them here. */
	g_signal_connect(msg, "wrote-headers", G_CALLBACK(on_msg_wrote_headers), NULL);
}

/* ---- routing ---- */

static const char *page_file_for(const char *path)
{
	if (strcmp(path, "/") == 0)
		return "index.html";
	for (gsize i = 0; i < G_N_ELEMENTS(page_files); i++) {
		if (path[0] == '/' && strcmp(path + 1, page_files[i]) == 0)
			return page_files[i];
	}
	return NULL;
}

static void reply_not_found(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *path)
{
	hdmirtc_http_reply_error(self, msg, SOUP_STATUS_NOT_FOUND, "nothing at %.200s", path);
}

static void serve_page(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *path,
                       const char *file)
{
	const char *method = soup_server_message_get_method(msg);

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		hdmirtc_http_reply_bad_method(self, msg, "GET, HEAD");
	else if (!hdmirtc_http_static_serve(self, msg, file))
		reply_not_found(self, msg, path);
}

/* A CORS preflight for the API routes other than WHEP's. */
static void api_options(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *methods)
{
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);

	soup_message_headers_replace(h, "Allow", methods);
	soup_message_headers_replace(h, "Access-Control-Allow-Methods", methods);
	soup_message_headers_replace(h, "Access-Control-Allow-Headers", HDMIRTC_HTTP_ALLOW_HEADERS);
	soup_message_headers_replace(h, "Access-Control-Max-Age", "600");
	hdmirtc_http_reply(msg, SOUP_STATUS_NO_CONTENT, NULL, NULL, 0);
}

/* Preflights carry no credentials (Fetch spec), so OPTIONS needs none
 * here; WHEP's asks for it when it is no preflight (http-whep.c). */
static void serve_api(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *path)
{
	gboolean options = strcmp(soup_server_message_get_method(msg), "OPTIONS") == 0;
	const char *id = NULL;

	hdmirtc_http_add_cors(self, msg);
	if (g_str_has_prefix(path, "/whep/")) {
		id = path + strlen("/whep/");
		if (!hdmirtc_http_session_id_valid(id)) {
			hdmirtc_http_reply_error(self, msg, SOUP_STATUS_NOT_FOUND,
			                         "no WHEP session %.200s", id);
			return;
		}
	}
	if (options && (id || strcmp(path, "/whep") == 0))
		hdmirtc_http_whep_options(self, msg, id);
	else if (options)
		api_options(self, msg, strcmp(path, "/api/keyframe") == 0 ||
		                       strcmp(path, "/api/mjpeg-ticket") == 0 ? "OPTIONS, POST" :
		                       strcmp(path, "/api/edid") == 0 ? "GET, HEAD, PUT, DELETE, OPTIONS" :
		                       strcmp(path, "/api/display/snapshot") == 0 ? "GET, OPTIONS" :
		                       "GET, HEAD, OPTIONS");
	else if (!hdmirtc_http_check_auth(self, msg))
		return;
	else if (strcmp(path, "/api/status") == 0)
		hdmirtc_http_api_status(self, msg);
	else if (strcmp(path, "/api/keyframe") == 0)
		hdmirtc_http_api_keyframe(self, msg);
	else if (strcmp(path, "/metrics") == 0)
		hdmirtc_http_metrics(self, msg);
	else if (strcmp(path, "/api/edid") == 0)
		hdmirtc_http_api_edid(self, msg);
	else if (strcmp(path, "/api/mjpeg-ticket") == 0)
		hdmirtc_http_api_mjpeg_ticket(self, msg);
	else if (strcmp(path, "/api/display/snapshot") == 0)
		hdmirtc_http_api_display_snapshot(self, msg);
	else if (strcmp(path, "/stream.mjpeg") == 0)
		hdmirtc_http_mjpeg(self, msg);
	else
		hdmirtc_http_whep_route(self, msg, id);
}

static gboolean is_api_path(const char *path)
{
	return strcmp(path, "/whep") == 0 || g_str_has_prefix(path, "/whep/") ||
	       strcmp(path, "/api/status") == 0 || strcmp(path, "/api/keyframe") == 0 ||
	       strcmp(path, "/metrics") == 0 || strcmp(path, "/stream.mjpeg") == 0 ||
	       strcmp(path, "/api/edid") == 0 || strcmp(path, "/api/mjpeg-ticket") == 0 ||
	       strcmp(path, "/api/display/snapshot") == 0;
}

/* A plain-HTTP request on the HTTPS port: the same URL in https (308
 * keeps the method and body).  Nothing else is served in clear, so a
 * token sent by mistake has crossed the network once, but is not
 * answered. */
static void redirect_to_https(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	GUri *uri = soup_server_message_get_uri(msg);
	g_autoptr(GUri) https = g_uri_build(G_URI_FLAGS_ENCODED, "https", NULL, g_uri_get_host(uri),
	                                    g_uri_get_port(uri), g_uri_get_path(uri),
	                                    g_uri_get_query(uri), NULL);
	g_autofree char *location = g_uri_to_string(https);

	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Location", location);
	hdmirtc_http_reply_error(self, msg, SOUP_STATUS_PERMANENT_REDIRECT,
	                         "this server speaks HTTPS only: %s", location);
}

static void on_request(SoupServer *soup, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user_data)
{
	HdmirtcHttpServer *self = user_data;
	const char *file = page_file_for(path);

	if (self->tls_certificate && strcmp(g_uri_get_scheme(soup_server_message_get_uri(msg)), "https") != 0)
		redirect_to_https(self, msg);
	else if (file)
		serve_page(self, msg, path, file);
	else if (is_api_path(path))
		serve_api(self, msg, path);
	else
		reply_not_found(self, msg, path);
}

/* ---- setup ---- */

static gboolean copy_config(HdmirtcHttpServer *self, const HdmirtcHttpConfig *cfg,
                            GError **error)
{
	const char *address = cfg->address ? cfg->address : "127.0.0.1";

	self->inet = g_inet_address_new_from_string(address);
	if (!self->inet) {
		g_set_error(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_INVALID_CONFIG,
		            "HTTP address \"%s\" is not an IP address", address);
		return FALSE;
	}
	self->address = g_inet_address_to_string(self->inet);
	if (cfg->port > 65535) {
		g_set_error(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_INVALID_CONFIG,
		            "HTTP port %u is out of range (0..65535)", cfg->port);
		return FALSE;
	}
	self->port = cfg->port;
	if (cfg->token && *cfg->token)
		self->token = g_strdup(cfg->token);
	if (cfg->cors_origin && *cfg->cors_origin)
		self->cors_origin = g_strdup(cfg->cors_origin);
	self->ice_links = g_strdupv((char **)(cfg->ice_servers ? cfg->ice_servers
	                                                       : (const char *const[]){ NULL }));
	self->retry_after_s = cfg->retry_after_s ? cfg->retry_after_s : 5;
	self->limits = hdmirtc_http_limits_new(cfg->max_sessions_per_address);
	self->tls_certificate = cfg->tls_certificate ? g_object_ref(cfg->tls_certificate) : NULL;
	self->unix_socket = cfg->unix_socket && *cfg->unix_socket ? g_strdup(cfg->unix_socket) : NULL;
	self->trust_forwarded = cfg->trust_forwarded;
	return TRUE;
}

static gboolean links_valid(const char *const *links)
{
	for (const char *const *link = links; link && *link; link++) {
		if (has_control_char(*link) || !**link)
			return FALSE;
	}
	return TRUE;
}

gboolean hdmirtc_http_server_set_ice_servers(HdmirtcHttpServer *self, const char *const *links,
                                             GError **error)
{
	if (!links_valid(links)) {
		g_set_error(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_INVALID_CONFIG,
		            "an ICE server Link value is empty or contains a control character");
		return FALSE;
	}
	g_strfreev(self->ice_links);
	self->ice_links = g_strdupv((char **)(links ? links : (const char *const[]){ NULL }));
	return TRUE;
}

gboolean hdmirtc_http_server_set_access(HdmirtcHttpServer *self, const char *token,
                                        const char *cors_origin, GError **error)
{
	if ((token && has_control_char(token)) || (cors_origin && has_control_char(cors_origin))) {
		g_set_error(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_INVALID_CONFIG,
		            "the token or the CORS origin contains a control character");
		return FALSE;
	}
	g_free(self->token);
	self->token = token && *token ? g_strdup(token) : NULL;
	g_free(self->cors_origin);
	self->cors_origin = cors_origin && *cors_origin ? g_strdup(cors_origin) : NULL;
	return TRUE;
}

/* Header values come from the configuration: refuse what would split a
 * header in two. */
static gboolean check_header_values(HdmirtcHttpServer *self, GError **error)
{
	const char *bad = NULL;

	if (self->token && has_control_char(self->token))
		bad = "the token";
	else if (self->cors_origin && has_control_char(self->cors_origin))
		bad = "the CORS origin";
	else if (!links_valid((const char *const *)self->ice_links))
		bad = "an ICE server Link value";
	if (!bad)
		return TRUE;
	g_set_error(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_INVALID_CONFIG,
	            "%s is empty or contains a control character", bad);
	return FALSE;
}

/* Everything but listening. */
static HdmirtcHttpServer *server_create(const HdmirtcHttpConfig *cfg,
                                        const HdmirtcHttpHandlers *handlers,
                                        gpointer user_data, GError **error)
{
	g_autoptr(HdmirtcHttpServer) self = g_new0(HdmirtcHttpServer, 1);

	self->handlers = *handlers;
	self->pending_whep = g_ptr_array_new();
	self->pending_snapshots = g_ptr_array_new();
	self->mjpeg_viewers = g_ptr_array_new();
	self->listeners = g_ptr_array_new_with_free_func(hdmirtc_http_listener_free);
	self->waiting = g_ptr_array_new_with_free_func(hdmirtc_http_waiting_free);
	self->user_data = user_data;
	if (!copy_config(self, cfg, error) || !check_header_values(self, error))
		return NULL;
	self->soup = soup_server_new("server-header", "hdmirtc/" HDMIRTC_VERSION, NULL);
	g_signal_connect(self->soup, "request-started", G_CALLBACK(on_request_started), self);
	soup_server_add_handler(self->soup, NULL, on_request, self, NULL);
	return g_steal_pointer(&self);
}

HdmirtcHttpServer *hdmirtc_http_server_new(const HdmirtcHttpConfig *cfg,
                                           const HdmirtcHttpHandlers *handlers,
                                           gpointer user_data, GError **error)
{
	g_autoptr(HdmirtcHttpServer) self = NULL;

	g_return_val_if_fail(cfg && handlers, NULL);
	self = server_create(cfg, handlers, user_data, error);
	if (!self || !hdmirtc_http_listen_start(self, error))
		return NULL;
	if (self->unix_socket)
		g_info("HTTP server listening on %s%s", self->unix_socket,
		       self->token ? " (bearer token required)" : "");
	else
		g_info("HTTP%s server listening on %s port %u%s", self->tls_certificate ? "S" : "",
		       self->address, self->port, self->token ? " (bearer token required)" : "");
	return g_steal_pointer(&self);
}

HdmirtcHttpServer *hdmirtc_http_server_new_unbound(const HdmirtcHttpConfig *cfg,
                                                   const HdmirtcHttpHandlers *handlers,
                                                   gpointer user_data, GError **error)
{
	g_return_val_if_fail(cfg && handlers, NULL);
	return server_create(cfg, handlers, user_data, error);
}

void hdmirtc_http_server_accept_stream(HdmirtcHttpServer *self, GIOStream *stream)
{
	/* libsoup wants both ends' addresses; nothing here reads them. */
	g_autoptr(GSocketAddress) local = g_inet_socket_address_new(self->inet, self->port);
	g_autoptr(GSocketAddress) remote = g_inet_socket_address_new(self->inet, 0);

	/* Never fails in libsoup 3.2 (it returns TRUE unconditionally). */
	soup_server_accept_iostream(self->soup, stream, local, remote, NULL);
}

void hdmirtc_http_server_add_status(HdmirtcHttpServer *self, JsonBuilder *b)
{
	hdmirtc_http_limits_add_status(self->limits, b);
}

guint hdmirtc_http_server_get_port(const HdmirtcHttpServer *self)
{
	return self->port;
}

char **hdmirtc_http_server_get_urls(const HdmirtcHttpServer *self)
{
	if (self->unix_socket)
		return g_new0(char *, 1);
	return hdmirtc_http_urls_build(self->inet, self->port, self->tls_certificate ? "https" : "http");
}

void hdmirtc_http_server_free(HdmirtcHttpServer *self)
{
	if (!self)
		return;
	if (self->pending_whep)
		hdmirtc_http_whep_abandon_all(self);
	if (self->pending_snapshots) {
		hdmirtc_http_snapshots_abandon_all(self);
		g_ptr_array_unref(self->pending_snapshots);
	}
	if (self->mjpeg_viewers) {
		hdmirtc_http_mjpeg_close_all(self);
		g_ptr_array_unref(self->mjpeg_viewers);
	}
	if (self->listeners)
		hdmirtc_http_listen_stop(self);
	if (self->soup) {
		soup_server_disconnect(self->soup);
		g_signal_handlers_disconnect_by_data(self->soup, self);
		g_object_unref(self->soup);
	}
	g_clear_object(&self->inet);
	g_clear_object(&self->tls_certificate);
	g_free(self->unix_socket);
	if (self->listeners)
		g_ptr_array_unref(self->listeners);
	if (self->waiting)
		g_ptr_array_unref(self->waiting);
	hdmirtc_http_tickets_free(self);
	g_free(self->address);
	g_free(self->token);
	g_free(self->cors_origin);
	g_strfreev(self->ice_links);
	if (self->pending_whep)
		g_ptr_array_unref(self->pending_whep);
	hdmirtc_http_limits_unref(self->limits);
	g_free(self);
}
