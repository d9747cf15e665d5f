/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A WHIP publication (whip-publication.h), RFC 9725: POST the offer
 * (application/sdp, Authorization: Bearer), 201 Created with the answer and
 * the session's URL in Location, DELETE that URL to end it.  A 307 or 308
 * redirect is followed by the HTTP client; anything else but 201 is a
 * failure to try again later.  ICE restart (RFC 9725 4.4): PATCH of an
 * application/trickle-ice-sdpfrag with If-Match: *, answered 200 with the
 * server's fragment; with a server that cannot (405, 501) the session
 * lives until its silence times out, and then a new one is made. */
#include "whip-publication.h"
#include "hdmirtc/gsource.h"

#include <string.h>

#include "hdmirtc/json-members.h"

#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS 4000
/* Servers send RTCP receiver reports every second or so (aiortc 0.5-1.5 s,
 * Janus 1 s): five seconds without one is a server gone, noticed well
 * before RFC 7675's 30 s. */
#define CONSENT_TIMEOUT_MS 5000
/* Half of that without a report: the path may have broken (an address
 * gone, a NAT rebinding); an ICE restart can save the session, and with
 * it the server's viewers, before it times out. */
#define RESTART_SILENCE_MS 2000
#define CHECK_INTERVAL_MS 500
/* An answer is a few kB; past this it is not an answer. */
#define MAX_ANSWER_BYTES (64 * 1024)

typedef enum {
	PUB_OFFERING,                   /* gathering, then the POST in flight */
	PUB_CONNECTING,                 /* answered: ICE, then DTLS */
	PUB_STREAMING,
	PUB_RETRYING,                   /* waiting to start over */
} PubState;

static const char *const state_names[] = { "offering", "connecting", "streaming", "retrying" };

struct HdmirtcWhipPublication {
	HdmirtcWebrtc *w;
	SoupSession *soup;
	char *url;
	char *token;                    /* NULL = none */
	GCancellable *cancellable;      /* the POST in flight */

	PubState state;
	HdmirtcWebrtcOutbound *session;
	char *resource;                 /* the session's URL (Location), NULL before the answer */
	GSource *timer;                 /* the next try, or the idle that ends a closed session */
	GSource *check;                 /* while streaming: the server's silence */
	gboolean restarting;            /* an ICE restart asked for, not connected yet */
	gboolean no_restarts;           /* the server answered a restart 405 or 501 */
	guint retry_ms;
	guint connects;                 /* sessions that streamed */
	guint ice_restarts;             /* restarts the server answered */
	char *last_error;
};

static void start(HdmirtcWhipPublication *pub);

/* ---- Timers, ending a session, failure ---------------------------------- */

static void cancel_timer(HdmirtcWhipPublication *pub)
{
	hdmirtc_source_clear(&pub->timer);
}

static void set_timer(HdmirtcWhipPublication *pub, GSource *source, GSourceFunc func)
{
	cancel_timer(pub);
	pub->timer = source;
	g_source_set_callback(pub->timer, func, pub, NULL);
	g_source_attach(pub->timer, g_main_context_get_thread_default());
}

static SoupMessage *new_request(HdmirtcWhipPublication *pub, const char *method, const char *url)
{
	SoupMessage *msg = soup_message_new(method, url);

	if (msg && pub->token) {
		g_autofree char *value = g_strdup_printf("Bearer %s", pub->token);

		soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", value);
	}
	return msg;
}

static void on_deleted(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupMessage) msg = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);

	if (error) {
		g_autofree char *url = g_uri_to_string(soup_message_get_uri(msg));

		g_message("WHIP DELETE %s: %s", url, error->message);
	}
}

/* The server frees the session at once instead of when its ICE consent
 * runs out (RFC 9725 4.3: DELETE).  Its answer changes nothing here, so
 * it is not waited for, except when the service stops. */
static void delete_resource(HdmirtcWhipPublication *pub, gboolean wait)
{
	g_autofree char *url = g_steal_pointer(&pub->resource);
	SoupMessage *msg = url ? new_request(pub, SOUP_METHOD_DELETE, url) : NULL;

	if (!msg)
		return;
	if (wait) {
		g_autoptr(GBytes) bytes = soup_session_send_and_read(pub->soup, msg, NULL, NULL);
		g_object_unref(msg);
		return;
	}
	soup_session_send_and_read_async(pub->soup, msg, G_PRIORITY_DEFAULT, NULL, on_deleted, msg);
}

static void stop_check(HdmirtcWhipPublication *pub)
{
	hdmirtc_source_clear(&pub->check);
}

static void end_session(HdmirtcWhipPublication *pub, gboolean wait)
{
	stop_check(pub);
	pub->restarting = pub->no_restarts = FALSE;
	g_cancellable_cancel(pub->cancellable);
	g_clear_object(&pub->cancellable);
	hdmirtc_webrtc_remove_outbound(pub->w, pub->session);
	pub->session = NULL;
	delete_resource(pub, wait);
}

static gboolean on_retry(gpointer user_data)
{
	HdmirtcWhipPublication *pub = user_data;

	g_clear_pointer(&pub->timer, g_source_unref);
	start(pub);
	return G_SOURCE_REMOVE;
}

/* Everything that went wrong ends here: the session ended, and a new one
 * soon.  Logged when the message changes, not at every try. */
static void fail(HdmirtcWhipPublication *pub, const char *message)
{
	if (g_strcmp0(message, pub->last_error) != 0)
		g_warning("WHIP %s: %s; trying again", pub->url, message);
	if (message != pub->last_error) {
		g_free(pub->last_error);
		pub->last_error = g_strdup(message);
	}
	end_session(pub, FALSE);
	pub->state = PUB_RETRYING;
	set_timer(pub, g_timeout_source_new(pub->retry_ms), on_retry);
	pub->retry_ms = MIN(pub->retry_ms * 2, RETRY_MAX_MS);
}

/* ---- The session --------------------------------------------------------- */

/* The answer of a 201, or NULL with *why. */
static char *take_created(HdmirtcWhipPublication *pub, SoupMessage *msg, GBytes *bytes, char **why)
{
	guint status = soup_message_get_status(msg);
	SoupMessageHeaders *headers = soup_message_get_response_headers(msg);
	const char *location = soup_message_headers_get_one(headers, "Location");
	const char *type = soup_message_headers_get_content_type(headers, NULL);
	gsize len = bytes ? g_bytes_get_size(bytes) : 0;
	g_autoptr(GUri) resource = NULL;

	if (status != SOUP_STATUS_CREATED) {
		g_autofree char *body = len && len < 512 ? g_strndup(g_bytes_get_data(bytes, NULL), len) : NULL;

		*why = g_strdup_printf("POST: HTTP %u %s%s%s", status,
				       soup_message_get_reason_phrase(msg) ? soup_message_get_reason_phrase(msg) : "",
				       body ? ": " : "", body ? g_strstrip(body) : "");
		return NULL;
	}
	if (!location || !(resource = g_uri_parse_relative(soup_message_get_uri(msg), location,
							     G_URI_FLAGS_NONE, NULL))) {
		*why = g_strdup("POST: 201 without a usable Location (the session's URL)");
		return NULL;
	}
	if (g_strcmp0(type, "application/sdp") != 0 || len == 0 || len > MAX_ANSWER_BYTES) {
		*why = g_strdup_printf("POST: 201 without an application/sdp answer (%s, %zu bytes)",
				       type ? type : "no Content-Type", len);
		return NULL;
	}
	pub->resource = g_uri_to_string(resource);
	return g_strndup(g_bytes_get_data(bytes, NULL), len);
}

/* Sends msg with body as content_type; done gets msg as its user data.
 * One request at a time: a newer one cancels the older. */
static void send_request(HdmirtcWhipPublication *pub, SoupMessage *msg, const char *content_type,
                         const char *body, GAsyncReadyCallback done)
{
	g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));

	soup_message_set_request_body_from_bytes(msg, content_type, bytes);
	g_object_set_data(G_OBJECT(msg), "hdmirtc-whip", pub);
	g_cancellable_cancel(pub->cancellable);
	g_clear_object(&pub->cancellable);
	pub->cancellable = g_cancellable_new();
	soup_session_send_and_read_async(pub->soup, msg, G_PRIORITY_DEFAULT, pub->cancellable, done, msg);
}

/* The publication a request of send_request() was for, with the reply's
 * body or the error; NULL when it was cancelled (the publication may be
 * gone). */
static HdmirtcWhipPublication *request_done(GObject *source, GAsyncResult *res, SoupMessage *msg,
                                            GBytes **bytes, GError **error)
{
	HdmirtcWhipPublication *pub;

	*bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), res, error);
	if (g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return NULL;
	pub = g_object_get_data(G_OBJECT(msg), "hdmirtc-whip");
	g_clear_object(&pub->cancellable);
	return pub;
}

static void on_posted(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupMessage) msg = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = NULL;
	HdmirtcWhipPublication *pub = request_done(source, res, msg, &bytes, &error);
	g_autofree char *why = NULL;
	g_autofree char *answer = NULL;

	if (!pub)
		return;
	if (error) {
		why = g_strdup_printf("POST: %s", error->message);
	} else if ((answer = take_created(pub, msg, bytes, &why)) &&
		   !hdmirtc_webrtc_outbound_set_answer(pub->session, answer, strlen(answer), &error)) {
		why = g_strdup_printf("the answer: %s", error->message);
	}
	if (why) {
		fail(pub, why);
		return;
	}
	pub->state = PUB_CONNECTING;
}

static void on_offer_ready(HdmirtcWebrtcOutbound *o, const char *offer, gpointer user_data)
{
	HdmirtcWhipPublication *pub = user_data;
	SoupMessage *msg = new_request(pub, SOUP_METHOD_POST, pub->url);

	if (!msg) {
		fail(pub, "the URL is not an HTTP URL");
		return;
	}
	send_request(pub, msg, "application/sdp", offer, on_posted);
}

static void on_patched(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupMessage) msg = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = NULL;
	HdmirtcWhipPublication *pub = request_done(source, res, msg, &bytes, &error);
	g_autofree char *why = NULL;
	guint status;

	if (!pub)
		return;
	status = soup_message_get_status(msg);
	if (!error && (status == SOUP_STATUS_METHOD_NOT_ALLOWED || status == SOUP_STATUS_NOT_IMPLEMENTED)) {
		/* RFC 9725 4.4: a server need not restart ICE.  The session
		 * lives on until its silence times out. */
		g_message("WHIP %s: the server does not restart ICE (HTTP %u)", pub->url, status);
		pub->no_restarts = TRUE;
		return;
	}
	if (error)
		why = g_strdup_printf("ICE restart PATCH: %s", error->message);
	else if (status != SOUP_STATUS_OK)
		why = g_strdup_printf("ICE restart PATCH: HTTP %u %s", status,
				      soup_message_get_reason_phrase(msg) ? soup_message_get_reason_phrase(msg) : "");
	else if (!hdmirtc_webrtc_outbound_set_restart_answer(pub->session, g_bytes_get_data(bytes, NULL),
							      g_bytes_get_size(bytes), &error))
		why = g_strdup_printf("ICE restart's answer: %s", error->message);
	if (why) {
		fail(pub, why);
		return;
	}
	pub->ice_restarts++;
	g_message("WHIP %s: ICE restart answered", pub->url);
}

static void on_restart_ready(HdmirtcWebrtcOutbound *o, const char *fragment, gpointer user_data)
{
	HdmirtcWhipPublication *pub = user_data;
	SoupMessage *msg = new_request(pub, "PATCH", pub->resource);

	if (!msg) {
		fail(pub, "ICE restart: the session has no URL to PATCH");
		return;
	}
	soup_message_headers_replace(soup_message_get_request_headers(msg), "If-Match", "*");
	send_request(pub, msg, "application/trickle-ice-sdpfrag", fragment, on_patched);
}

/* While streaming: a server silent for RESTART_SILENCE_MS gets an ICE
 * restart, once until reports come again. */
static gboolean on_check(gpointer user_data)
{
	HdmirtcWhipPublication *pub = user_data;
	guint silence = hdmirtc_webrtc_outbound_get_silence_ms(pub->session);
	g_autoptr(GError) error = NULL;

	if (silence < RESTART_SILENCE_MS) {
		pub->restarting = FALSE;
		return G_SOURCE_CONTINUE;
	}
	if (pub->restarting || pub->no_restarts)
		return G_SOURCE_CONTINUE;
	g_message("WHIP %s: nothing from the server for %u ms: ICE restart", pub->url, silence);
	pub->restarting = TRUE;
	if (!hdmirtc_webrtc_outbound_restart_ice(pub->session, &error)) {
		g_autofree char *why = g_strdup_printf("ICE restart: %s", error->message);

		g_clear_pointer(&pub->check, g_source_unref);
		fail(pub, why);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void on_streaming(HdmirtcWebrtcOutbound *o, gpointer user_data)
{
	HdmirtcWhipPublication *pub = user_data;

	g_message("WHIP %s: streaming (session %s)", pub->url, pub->resource);
	pub->state = PUB_STREAMING;
	pub->connects++;
	pub->retry_ms = RETRY_FIRST_MS;
	stop_check(pub);
	pub->check = g_timeout_source_new(CHECK_INTERVAL_MS);
	g_source_set_callback(pub->check, on_check, pub, NULL);
	g_source_attach(pub->check, g_main_context_get_thread_default());
}

static gboolean on_session_closed(gpointer user_data)
{
	HdmirtcWhipPublication *pub = user_data;

	g_clear_pointer(&pub->timer, g_source_unref);
	fail(pub, pub->last_error);
	return G_SOURCE_REMOVE;
}

/* The session may not be removed inside its own callback: from an idle,
 * which fails with the reason kept here. */
static void on_closed(HdmirtcWebrtcOutbound *o, const char *reason, gpointer user_data)
{
	HdmirtcWhipPublication *pub = user_data;

	if (pub->state == PUB_STREAMING)
		g_warning("WHIP %s: the session ended: %s", pub->url, reason);
	g_free(pub->last_error);
	pub->last_error = g_strdup_printf("the session ended: %s", reason);
	set_timer(pub, g_idle_source_new(), on_session_closed);
}

static const HdmirtcWebrtcOutboundCallbacks outbound_callbacks = {
	.offer_ready = on_offer_ready,
	.streaming = on_streaming,
	.closed = on_closed,
	.restart_ready = on_restart_ready,
};

static void start(HdmirtcWhipPublication *pub)
{
	g_autoptr(GError) error = NULL;

	pub->state = PUB_OFFERING;
	pub->session = hdmirtc_webrtc_add_outbound(pub->w, CONSENT_TIMEOUT_MS, &outbound_callbacks, pub, &error);
	if (!pub->session) {
		g_autofree char *why = g_strdup_printf("no WebRTC session: %s", error->message);

		fail(pub, why);
	}
}

/* ---- Life cycle and status ---------------------------------------------- */

HdmirtcWhipPublication *hdmirtc_whip_publication_new(HdmirtcWebrtc *w, SoupSession *soup, const char *url,
                                                     const char *token)
{
	HdmirtcWhipPublication *pub = g_new0(HdmirtcWhipPublication, 1);

	pub->w = w;
	pub->soup = g_object_ref(soup);
	pub->url = g_strdup(url);
	pub->token = token && *token ? g_strdup(token) : NULL;
	pub->retry_ms = RETRY_FIRST_MS;
	start(pub);
	return pub;
}

void hdmirtc_whip_publication_free(HdmirtcWhipPublication *pub)
{
	if (!pub)
		return;
	cancel_timer(pub);
	end_session(pub, TRUE);
	g_object_unref(pub->soup);
	g_free(pub->url);
	g_free(pub->token);
	g_free(pub->last_error);
	g_free(pub);
}

void hdmirtc_whip_publication_add_status(HdmirtcWhipPublication *pub, JsonBuilder *b)
{
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "url", pub->url);
	hdmirtc_json_add_string(b, "kind", "whip");
	hdmirtc_json_add_string(b, "state", state_names[pub->state]);
	hdmirtc_json_add_int(b, "connects", pub->connects);
	hdmirtc_json_add_int(b, "ice_restarts", pub->ice_restarts);
	if (pub->resource)
		hdmirtc_json_add_string(b, "resource", pub->resource);
	if (pub->last_error)
		hdmirtc_json_add_string(b, "last_error", pub->last_error);
	if (pub->session) {
		json_builder_set_member_name(b, "session");
		hdmirtc_webrtc_outbound_add_status(pub->session, b);
	}
	json_builder_end_object(b);
}
