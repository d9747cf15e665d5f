/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals shared by the files of src/http/.  Everything runs on the
 * server's main context. */
#pragma once

#include <libsoup/soup.h>

#include "hdmirtc/http.h"

typedef struct HdmirtcHttpLimits HdmirtcHttpLimits;

struct HdmirtcHttpServer {
	SoupServer *soup;
	HdmirtcHttpHandlers handlers;
	gpointer user_data;
	char *address;          /* as configured (normalized IP literal) */
	GInetAddress *inet;     /* parsed address */
	char *token;            /* NULL = no authentication */
	char *cors_origin;      /* NULL = no CORS headers */
	char **ice_links;       /* never NULL */
	guint retry_after_s;
	guint port;
	GPtrArray *pending_whep;  /* HdmirtcWhepRequest*, not owned */
	GPtrArray *pending_snapshots; /* http-snapshot.c's waits, not owned */
	HdmirtcHttpLimits *limits;
	GPtrArray *mjpeg_viewers; /* HdmirtcMjpegViewer*, owned */
	GTlsCertificate *tls_certificate; /* NULL = plain HTTP */
	char *unix_socket;        /* NULL = TCP */
	gboolean trust_forwarded;
	GPtrArray *listeners;     /* http-listen.c's, owned */
	GPtrArray *waiting;       /* connections before their first byte, owned */
	GHashTable *tickets;      /* MJPEG ticket -> expiry (monotonic us), http-auth.c */
};

typedef struct HdmirtcMjpegViewer HdmirtcMjpegViewer;

#define HDMIRTC_HTTP_ALLOW_HEADERS "Content-Type, Authorization, If-Match"
/* RFC 6585 3; not in libsoup 3.2's SoupStatus. */
#define HDMIRTC_HTTP_STATUS_PRECONDITION_REQUIRED 428
#define HDMIRTC_HTTP_STATUS_TOO_MANY_REQUESTS 429
#define HDMIRTC_HTTP_EXPOSE_HEADERS "Location, ETag, Link, Retry-After"

/* http-reply.c */

/* Answers status with a text/plain body of one line, "<status> <phrase>:
 * <reason>", and logs method, path and reason once. */
void hdmirtc_http_reply_error(HdmirtcHttpServer *self, SoupServerMessage *msg, guint status,
                              const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Same for a handler's error, with Retry-After on 503. */
void hdmirtc_http_reply_gerror(HdmirtcHttpServer *self, SoupServerMessage *msg,
                               const GError *error);
/* Logs an error status that libsoup set by itself (a request it could not
 * parse), which hdmirtc_http_reply_error() did not log. */
void hdmirtc_http_log_unanswered(SoupServerMessage *msg);
/* Answers 405 with Allow. */
void hdmirtc_http_reply_bad_method(HdmirtcHttpServer *self, SoupServerMessage *msg,
                                   const char *allow);
/* Sets status and a body of content_type (body copied; NULL = empty). */
void hdmirtc_http_reply(SoupServerMessage *msg, guint status, const char *content_type,
                        const char *body, gsize len);
void hdmirtc_http_add_cors(HdmirtcHttpServer *self, SoupServerMessage *msg);
/* TRUE if the request's media type (parameters ignored) is type. */
/* Answers 501 and returns FALSE unless present (the handler is set). */
gboolean hdmirtc_http_require_handler(HdmirtcHttpServer *self, SoupServerMessage *msg,
                                      gboolean present);
gboolean hdmirtc_http_content_type_is(SoupServerMessage *msg, const char *type);
gboolean hdmirtc_http_session_id_valid(const char *id);
/* Returns a NUL-terminated copy of the request body in *out (length in
 * *len), or answers 400 (empty, NUL byte inside) and returns FALSE. */
gboolean hdmirtc_http_take_body(HdmirtcHttpServer *self, SoupServerMessage *msg, char **out,
                                gsize *len);
/* The request body as bytes (NUL allowed); NULL after answering 400 for
 * an empty one. */
GBytes *hdmirtc_http_take_bytes(HdmirtcHttpServer *self, SoupServerMessage *msg);
/* GET/PUT /api/edid. */
void hdmirtc_http_api_edid(HdmirtcHttpServer *self, SoupServerMessage *msg);

/* http-listen.c: listening sockets and accepted connections. */
/* Listens on self->unix_socket or self->address:self->port (sets the
 * port chosen for port 0). */
gboolean hdmirtc_http_listen_start(HdmirtcHttpServer *self, GError **error);
/* Closes the listening sockets and connections not handed to libsoup. */
void hdmirtc_http_listen_stop(HdmirtcHttpServer *self);
/* Free functions of the server's listeners and waiting arrays. */
void hdmirtc_http_listener_free(gpointer listener);
void hdmirtc_http_waiting_free(gpointer waiting);
/* The socket of the message's connection (libsoup has none for it);
 * NULL for a stream handed over by hdmirtc_http_server_accept_stream(). */
GSocket *hdmirtc_http_listen_socket_of(SoupServerMessage *msg);

/* http-client-address.c */
/* The IP of an address as text; "" for none or a non-IP one (Unix). */
char *hdmirtc_http_ip_of(GSocketAddress *address);
/* The IP of the connection's peer; "" for none (a Unix socket, a stream
 * handed over). */
char *hdmirtc_http_peer_address(SoupServerMessage *msg);
/* The client a request counts for (see the file). */
char *hdmirtc_http_client_address(HdmirtcHttpServer *self, SoupServerMessage *msg);
/* The local address the request arrived on (IPv4-mapped ones as IPv4);
 * behind a reverse proxy, the by= of the proxy's Forwarded header, or
 * NULL.  NULL for a Unix socket. */
char *hdmirtc_http_arrival_address(HdmirtcHttpServer *self, SoupServerMessage *msg);

/* http-limits.c: what one client address may take (connections, time to
 * send a request, POST /whep rate, WHEP sessions). */
HdmirtcHttpLimits *hdmirtc_http_limits_new(guint max_sessions_per_address);
void hdmirtc_http_limits_unref(HdmirtcHttpLimits *limits);
/* Every message, from request-started: counts its connection, shuts it
 * down past the cap, and gives it a deadline for the whole request. */
void hdmirtc_http_limits_request_started(HdmirtcHttpServer *self, SoupServerMessage *msg);
/* One connection of address more: FALSE (counted all the same, and as
 * refused) past the cap, unless uncapped.  Each is ended once. */
gboolean hdmirtc_http_limits_connection_begin(HdmirtcHttpLimits *limits, const char *address,
                                              gboolean uncapped);
void hdmirtc_http_limits_connection_end(HdmirtcHttpLimits *limits, const char *address);
/* A connection of address shut down for its slowness. */
void hdmirtc_http_limits_count_timeout(HdmirtcHttpLimits *limits, const char *address);
/* FALSE after answering 429 (with Retry-After). */
gboolean hdmirtc_http_limits_allow_whep_post(HdmirtcHttpServer *self, SoupServerMessage *msg);
/* PATCH and DELETE on a session: FALSE after answering 429. */
gboolean hdmirtc_http_limits_allow_session_request(HdmirtcHttpServer *self, SoupServerMessage *msg);
void hdmirtc_http_limits_session_created(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id);
void hdmirtc_http_limits_add_status(HdmirtcHttpLimits *limits, JsonBuilder *b);

/* http-auth.c */

/* TRUE if the request carries the configured bearer token (or none is
 * configured), or, for GET /stream.mjpeg only, a ticket in its URL;
 * otherwise answers 401 and returns FALSE. */
gboolean hdmirtc_http_check_auth(HdmirtcHttpServer *self, SoupServerMessage *msg);

/* http-mjpeg-ticket.c */

/* POST /api/mjpeg-ticket (authorised already). */
void hdmirtc_http_api_mjpeg_ticket(HdmirtcHttpServer *self, SoupServerMessage *msg);
/* TRUE for a ticket made and not yet expired; it is used up either way. */
gboolean hdmirtc_http_ticket_take(HdmirtcHttpServer *self, const char *ticket);
void hdmirtc_http_tickets_free(HdmirtcHttpServer *self);

/* http-whep.c: id is NULL for /whep. */
void hdmirtc_http_whep_route(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id);
/* Detaches unfinished POST /whep requests from a server being freed. */
void hdmirtc_http_whep_abandon_all(HdmirtcHttpServer *self);
void hdmirtc_http_whep_options(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id);

/* http-api.c */
void hdmirtc_http_api_status(HdmirtcHttpServer *self, SoupServerMessage *msg);
/* GET /stream.mjpeg. */
void hdmirtc_http_mjpeg(HdmirtcHttpServer *self, SoupServerMessage *msg);
void hdmirtc_http_mjpeg_close_all(HdmirtcHttpServer *self);
void hdmirtc_http_metrics(HdmirtcHttpServer *self, SoupServerMessage *msg);
void hdmirtc_http_api_keyframe(HdmirtcHttpServer *self, SoupServerMessage *msg);

/* http-static.c: name is the file name ("index.html", "vendor/janus.js").
 * Returns FALSE (without answering) when the page has no such file or the
 * package that brings it is not installed. */
gboolean hdmirtc_http_static_serve(HdmirtcHttpServer *self, SoupServerMessage *msg,
                                   const char *name);

/* http-urls.c */
char **hdmirtc_http_urls_build(GInetAddress *listen, guint port, const char *scheme);

/* http-snapshot.c */
void hdmirtc_http_api_display_snapshot(HdmirtcHttpServer *self, SoupServerMessage *msg);
/* The server is going: waits still open answer nothing. */
void hdmirtc_http_snapshots_abandon_all(HdmirtcHttpServer *self);
