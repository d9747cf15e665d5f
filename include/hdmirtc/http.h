/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTTP side of hdmirtc (libsoup 3): WHEP signalling (POST/PATCH/DELETE/
 * OPTIONS on /whep), /api/status, /api/keyframe and the static web page,
 * which is compiled into the binary as a GResource.
 *
 * This module knows nothing about WebRTC: it parses and checks HTTP, then
 * calls the handler table given by the caller and turns the result into a
 * response.  A handler that fails sets a GError; its domain and code select
 * the HTTP status (hdmirtc_http_status_for_error()) and its message becomes
 * the one-line reason in the text/plain body, e.g.
 * "422 Unprocessable Content: offer has no H.264 with packetization-mode=1".
 *
 * Threads: the server is created, served and freed on one thread; every
 * handler is called on the thread-default GMainContext of the thread that
 * called hdmirtc_http_server_new() (the network thread), one request at a
 * time, and must not block. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HDMIRTC_HTTP_ERROR (hdmirtc_http_error_quark())
GQuark hdmirtc_http_error_quark(void);

/* Handlers fail with one of these to choose the HTTP status; an error of any
 * other domain is answered with 500. */
typedef enum {
	HDMIRTC_HTTP_ERROR_BAD_REQUEST,         /* 400: malformed SDP / sdpfrag */
	HDMIRTC_HTTP_ERROR_NOT_FOUND,           /* 404: no such session */
	/* 422: nothing in the offer we can send.  Not 406: WHEP
	 * (draft-ietf-wish-whep-03 4.2.2) gives 406 the meaning "here is a
	 * counter-offer" (an SDP body and a Location), which we never make. */
	HDMIRTC_HTTP_ERROR_UNPROCESSABLE,
	HDMIRTC_HTTP_ERROR_CONFLICT,            /* 409 */
	HDMIRTC_HTTP_ERROR_PRECONDITION_FAILED, /* 412: If-Match does not match */
	HDMIRTC_HTTP_ERROR_PRECONDITION_REQUIRED, /* 428: a PATCH without If-Match */
	HDMIRTC_HTTP_ERROR_PAYLOAD_TOO_LARGE,   /* 413 */
	HDMIRTC_HTTP_ERROR_UNSUPPORTED_MEDIA,   /* 415 */
	HDMIRTC_HTTP_ERROR_TOO_MANY,            /* 503 with Retry-After: viewer limit reached */
	HDMIRTC_HTTP_ERROR_INTERNAL,            /* 500 */
	HDMIRTC_HTTP_ERROR_INVALID_CONFIG,      /* hdmirtc_http_server_new() only */
} HdmirtcHttpError;

/* Request bodies larger than this are refused with 413 while they arrive,
 * before they are buffered. */
#define HDMIRTC_HTTP_MAX_BODY (64 * 1024)

/* Session ids (from whep_create, and in /whep/<id>) are 1..this many
 * characters of [A-Za-z0-9._~-]. */
#define HDMIRTC_HTTP_MAX_SESSION_ID 128

/* The callbacks into the rest of the service.  All are called on the
 * server's context (see above).  Strings passed in are borrowed and
 * NUL-terminated (bodies are also given with their length and contain no
 * NUL byte); strings returned are newly allocated and freed by the server
 * with g_free().  A NULL function pointer makes its route answer 501. */
/* One POST or PATCH /whep waiting for its answer.  The HTTP message stays
 * open (paused) until the handler finishes the request, so the answer can
 * wait for ICE candidate gathering (STUN, TURN) without blocking the main
 * loop. */
typedef struct HdmirtcWhepRequest HdmirtcWhepRequest;

typedef struct {
	/* POST /whep.  offer: the SDP text, valid during the call only.  The
	 * handler must finish the request exactly once, during the call or
	 * later on the same thread, with hdmirtc_whep_request_return() or
	 * hdmirtc_whep_request_fail(). */
	void (*whep_create)(HdmirtcWhepRequest *request, const char *offer, gsize len,
	                    gpointer user_data);
	/* PATCH /whep/<id>: trickled candidates or an ICE restart.  if_match:
	 * NULL without an If-Match header, else its strong entity tags without
	 * quotes, or "*" (NULL-terminated; weak and malformed members left out,
	 * since If-Match compares strongly, so it may be empty).  The handler finishes
	 * the request exactly once with hdmirtc_whep_request_return_fragment()
	 * or hdmirtc_whep_request_fail(). */
	void (*whep_patch)(HdmirtcWhepRequest *request, const char *session_id,
	                   const char *const *if_match, const char *body, gsize len, gpointer user_data);
	/* DELETE /whep/<id>. */
	gboolean (*whep_delete)(const char *session_id, gpointer user_data, GError **error);
	/* GET or HEAD /whep/<id>: TRUE if the session exists (answered 204,
	 * WHEP gives sessions no representation), FALSE for 404. */
	gboolean (*whep_exists)(const char *session_id, gpointer user_data);
	/* GET /api/status: a JsonNode (transfer full); NULL answers 500. */
	JsonNode *(*status)(gpointer user_data);
	/* POST /api/keyframe: ask the encoder for an IDR. */
	gboolean (*keyframe)(gpointer user_data, GError **error);
	/* GET /api/edid: a JsonNode (transfer full); NULL answers 500. */
	JsonNode *(*edid_get)(gpointer user_data);
	/* PUT /api/edid with the raw EDID bytes (the server has decoded a hex
	 * text body).  FALSE + error (answered 400 for a bad EDID). */
	gboolean (*edid_put)(const guint8 *edid, gsize size, gpointer user_data, GError **error);
	/* DELETE /api/edid: back to the configured EDID (an upload is
	 * forgotten).  FALSE + error answers its status. */
	gboolean (*edid_delete)(gpointer user_data, GError **error);
	/* GET /api/display/snapshot: the handler calls done exactly once, on
	 * the server's thread, during the call or later, with a PPM picture
	 * or an error (answered as its status).  May be NULL (501). */
	void (*display_snapshot)(void (*done)(GBytes *picture, const GError *error, gpointer done_data),
	                         gpointer done_data, gpointer user_data);
	/* The number of GET /stream.mjpeg viewers changed (JPEG pictures are
	 * worth making only while it is above 0).  May be NULL. */
	void (*mjpeg_viewers_changed)(guint n_viewers, gpointer user_data);
} HdmirtcHttpHandlers;

/* Plain data, copied by hdmirtc_http_server_new(). */
typedef struct {
	const char *address;            /* IP literal; "::" = every address (v6 and v4),
	                                 * "0.0.0.0" = every v4 address; NULL = "127.0.0.1" */
	guint port;                     /* 0 = an ephemeral port (tests) */
	const char *token;              /* bearer token; NULL or "" = no authentication */
	const char *cors_origin;        /* Access-Control-Allow-Origin; NULL or "" = no CORS headers */
	const char *const *ice_servers; /* NULL-terminated Link header values sent with
	                                 * every 201 and with an OPTIONS /whep that is not
	                                 * a CORS preflight (see
	                                 * hdmirtc_http_format_ice_server_link()); NULL = none */
	guint retry_after_s;            /* Retry-After of 503 answers; 0 = 5 */
	/* WHEP sessions one client address may hold (POST /whep answers 429
	 * past it); 0 = no such limit.  Also sizes the per-address caps on
	 * open connections and on the POST /whep rate. */
	guint max_sessions_per_address;
	/* HTTPS: the certificate with its private key (not copied: a
	 * reference is taken); NULL = plain HTTP.  A plain-HTTP request on
	 * the same port is answered with a redirect to https. */
	GTlsCertificate *tls_certificate;
	/* Listen on this Unix socket (created; a stale one replaced) instead
	 * of address:port, for a reverse proxy on the same host; NULL or "" =
	 * TCP. */
	const char *unix_socket;
	/* A reverse proxy is in front: on a connection from loopback or the
	 * Unix socket, the client is the last address of X-Forwarded-For, and
	 * connections are not capped per address (every one is the proxy's). */
	gboolean trust_forwarded;
} HdmirtcHttpConfig;

typedef struct HdmirtcHttpServer HdmirtcHttpServer;

/* The HTTP status answered for a handler's error (see HdmirtcHttpError);
 * 500 for NULL or any other domain. */
guint hdmirtc_http_status_for_error(const GError *error);

/* Sends one JPEG picture to every MJPEG viewer; a viewer still receiving
 * the previous one skips this one.  Server's thread. */
void hdmirtc_http_server_push_jpeg(HdmirtcHttpServer *self, GBytes *jpeg);
guint hdmirtc_http_server_get_mjpeg_viewers(const HdmirtcHttpServer *self);
/* The "http_limits" member of /api/status: client addresses tracked,
 * connections refused or timed out, 429 answers. */
void hdmirtc_http_server_add_status(HdmirtcHttpServer *self, JsonBuilder *b);
/* Replaces the Link header values of 201 and OPTIONS answers (as
 * HdmirtcHttpConfig.ice_servers; time-limited TURN credentials change).
 * FALSE (INVALID_CONFIG) and nothing changed for a value with a control
 * character. */
gboolean hdmirtc_http_server_set_ice_servers(HdmirtcHttpServer *self, const char *const *links,
                                             GError **error);
/* Replaces the bearer token and the CORS origin (as HdmirtcHttpConfig's)
 * for the requests from now on.  FALSE (INVALID_CONFIG) and nothing
 * changed for a value with a control character. */
gboolean hdmirtc_http_server_set_access(HdmirtcHttpServer *self, const char *token,
                                        const char *cors_origin, GError **error);

/* The status JSON in Prometheus text format (what GET /metrics serves):
 * numbers and booleans become samples named hdmirtc_<json path>, strings
 * "_info" samples with a value label, array elements get an id (or index)
 * label.  Transfer full. */
char *hdmirtc_http_metrics_from_status(JsonNode *status);

/* Answers 201 with the SDP answer; session_id: 1..HDMIRTC_HTTP_MAX_SESSION_ID
 * of [A-Za-z0-9._~-]; etag: NULL = none (quotes are added).  If the client
 * has gone, or the server was freed, or the id or ETag is unusable, the
 * server calls whep_delete for the session instead (and answers 500 in the
 * last case).  Frees request. */
void hdmirtc_whep_request_return(HdmirtcWhepRequest *request, const char *answer,
                                 const char *session_id, const char *etag);
/* Answers a PATCH: 204 when fragment is NULL (candidates taken), else 200
 * with the application/trickle-ice-sdpfrag fragment of an ICE restart and
 * its new ETag (NULL = none).  Frees request. */
void hdmirtc_whep_request_return_fragment(HdmirtcWhepRequest *request, const char *fragment,
                                          const char *etag);
/* Answers the error (see HdmirtcHttpError).  Takes error; frees request. */
void hdmirtc_whep_request_fail(HdmirtcWhepRequest *request, GError *error);
/* TRUE once the HTTP client disconnected or the server was freed: the
 * handler may stop working on it (it must still finish it). */
gboolean hdmirtc_whep_request_is_abandoned(const HdmirtcWhepRequest *request);
/* The address the request reached this host on: the local address of its
 * connection (IPv4-mapped ones as IPv4), a path the client is known to
 * reach; behind a reverse proxy, the by= of the proxy's Forwarded header
 * when the proxy sends one.  NULL when unknown (a Unix socket).  Owned by
 * the request. */
const char *hdmirtc_whep_request_get_arrival_address(HdmirtcWhepRequest *request);

/* A Link header value for one STUN/TURN server, as WHEP (RFC 9725 4.6)
 * expects: <url>; rel="ice-server"[; username="u"; credential="c";
 * credential-type="password"].  username and credential may be NULL (both
 * are needed for the parameters to be added).  Returns a new string, or
 * NULL if url does not start with stun:, stuns:, turn: or turns:, or if any
 * argument holds a control character or url holds one of <>" or a space
 * (they would break the header). */
char *hdmirtc_http_format_ice_server_link(const char *url, const char *username,
                                          const char *credential);

/* Creates the server and starts listening on cfg->address:cfg->port; from
 * now on requests are served on the calling thread's thread-default main
 * context.  handlers is copied; user_data is passed to every handler and
 * must outlive the server.  Fails with HDMIRTC_HTTP_ERROR_INVALID_CONFIG
 * (address is not an IP literal, bad token or ice server value) or with
 * libsoup's / GIO's error when it cannot listen (prefixed with the
 * address). */
HdmirtcHttpServer *hdmirtc_http_server_new(const HdmirtcHttpConfig *cfg,
                                           const HdmirtcHttpHandlers *handlers,
                                           gpointer user_data, GError **error);

/* For tests and fuzzing: the same server, configured the same way
 * (cfg->address and cfg->port are checked but never listened on), that
 * serves only the connections handed to it with
 * hdmirtc_http_server_accept_stream(). */
HdmirtcHttpServer *hdmirtc_http_server_new_unbound(const HdmirtcHttpConfig *cfg,
                                                   const HdmirtcHttpHandlers *handlers,
                                                   gpointer user_data, GError **error);
/* Serves stream (a client's connection: any GIOStream whose streams are
 * pollable, e.g. a GSimpleIOStream over memory streams) as if it had been
 * accepted on a listening socket; the server closes it when the
 * connection ends (after the first request: see http-server.c).  A WHEP
 * request waiting for its answer cannot see such a client leave before
 * the server closes the stream. */
void hdmirtc_http_server_accept_stream(HdmirtcHttpServer *self, GIOStream *stream);

/* The port listened on (the chosen one when cfg->port was 0). */
guint hdmirtc_http_server_get_port(const HdmirtcHttpServer *self);

/* URLs of the web page for the user to open (https:// with a TLS
 * certificate): one per non-loopback local address listened on (IPv6
 * link-local addresses are left out: browsers cannot open them), then the
 * loopback one when it is listened on; none on a Unix socket.  Returns a
 * new NULL-terminated vector (g_strfreev), never NULL. */
char **hdmirtc_http_server_get_urls(const HdmirtcHttpServer *self);

/* The addresses of this host's interfaces that are up, as text: of the
 * families asked for, neither loopback nor link-local (what a browser on
 * another machine may use).  g_strfreev; never NULL. */
char **hdmirtc_http_host_addresses(gboolean v4, gboolean v6);

/* Stops listening, drops open connections and frees.  NULL-safe. */
void hdmirtc_http_server_free(HdmirtcHttpServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcHttpServer, hdmirtc_http_server_free)

G_END_DECLS
