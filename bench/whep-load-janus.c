/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One whep-load viewer's signalling with Janus's Streaming plugin over the
 * HTTP (REST) transport (see whep-load.h): create -> attach -> watch, a
 * long poll always outstanding, the offer handed to the session, the
 * answer sent with "start", trickle "completed", destroy at the end. */
#include "whep-load.h"

#include <string.h>

#define STREAMING_PLUGIN "janus.plugin.streaming"
/* Janus's default session_timeout is 60 s. */
#define KEEPALIVE_S 20

typedef struct Request Request;
/* messages is NULL when error is set. */
typedef void (*ReplyFunc)(WhepLoadJanus *j, GPtrArray *messages, const GError *error);

struct Request {
	WhepLoadJanus *j;               /* NULL once the owner is freed */
	SoupMessage *msg;
	GCancellable *cancel;
	ReplyFunc func;
};

struct WhepLoadJanus {
	SoupSession *http;              /* not owned */
	char *base_url;                 /* without a trailing slash */
	char *session_url;              /* BASE/SID, once created */
	char *handle_url;               /* BASE/SID/HID, once attached */
	gint64 mountpoint;
	guint index;
	guint transactions;
	WhepLoadJanusCallbacks callbacks;
	gpointer user_data;
	GPtrArray *pending;             /* Request *, in flight */
	Request *poll;                  /* the long poll in flight, or NULL */
	Request *create;                /* the create in flight, or NULL */
	Request *keepalive;             /* the keepalive in flight, or NULL */
	guint keepalive_id;
	gboolean offered;
	gboolean failed;
	gboolean closing;
	WhepLoadJanusDoneFunc done;
	gpointer done_data;
	guint done_id;
};

static void fail(WhepLoadJanus *j, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void fail(WhepLoadJanus *j, const char *fmt, ...)
{
	g_autofree char *why = NULL;
	va_list ap;

	if (j->failed || j->closing)
		return;
	j->failed = TRUE;
	va_start(ap, fmt);
	why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	j->callbacks.failed(j, why, j->user_data);
}

static void request_free(Request *r)
{
	g_object_unref(r->msg);
	g_object_unref(r->cancel);
	g_free(r);
}

/* The body's messages, or NULL and error for a transport failure, an
 * HTTP error or a body that is not Janus's JSON. */
static GPtrArray *reply_messages(SoupMessage *msg, GBytes *body, GError **error)
{
	gsize len = 0;
	const char *text = body ? g_bytes_get_data(body, &len) : NULL;

	if (soup_message_get_status(msg) != SOUP_STATUS_OK) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "HTTP %u %s", soup_message_get_status(msg),
			    soup_message_get_reason_phrase(msg) ? soup_message_get_reason_phrase(msg) : "");
		return NULL;
	}
	return whep_load_janus_messages_parse(text ? text : "", len, error);
}

static void on_request_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Request *r = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
	g_autoptr(GPtrArray) messages = NULL;
	WhepLoadJanus *j = r->j;

	if (!j || g_cancellable_is_cancelled(r->cancel)) {
		request_free(r);
		return;
	}
	g_ptr_array_remove_fast(j->pending, r);
	if (j->poll == r)
		j->poll = NULL;
	if (j->create == r)
		j->create = NULL;
	if (j->keepalive == r)
		j->keepalive = NULL;
	if (body)
		messages = reply_messages(r->msg, body, &error);
	r->func(j, messages, messages ? NULL : error);
	request_free(r);
}

/* POST with a JSON body, or GET without. */
static Request *send_request(WhepLoadJanus *j, const char *url, const WhepLoadJanusRequest *request, ReplyFunc func)
{
	Request *r = g_new0(Request, 1);
	g_autofree char *transaction = g_strdup_printf("wl%u-%u", j->index, ++j->transactions);
	WhepLoadJanusRequest with_transaction;

	r->j = j;
	r->func = func;
	r->cancel = g_cancellable_new();
	r->msg = soup_message_new(request ? SOUP_METHOD_POST : SOUP_METHOD_GET, url);
	if (request) {
		g_autoptr(GBytes) body = NULL;
		char *text;

		with_transaction = *request;
		with_transaction.transaction = transaction;
		/* NULL only for a body that is not a JSON object: ours are. */
		text = whep_load_janus_request_build(&with_transaction);
		body = text ? g_bytes_new_take(text, strlen(text)) : g_bytes_new_static("", 0);
		/* Not taken: the message holds its own reference. */
		soup_message_set_request_body_from_bytes(r->msg, "application/json", body);
	}
	g_ptr_array_add(j->pending, r);
	soup_session_send_and_read_async(j->http, r->msg, G_PRIORITY_DEFAULT, r->cancel, on_request_done, r);
	return r;
}

/* The reply's first message when it is the expected one, else NULL after
 * failing with why. */
static const WhepLoadJanusMessage *expect(WhepLoadJanus *j, const char *what, GPtrArray *messages,
                                          const GError *error, const char *janus)
{
	const WhepLoadJanusMessage *m = messages && messages->len ? g_ptr_array_index(messages, 0) : NULL;

	if (error)
		fail(j, "%s: %s", what, error->message);
	else if (!m)
		fail(j, "%s: empty reply", what);
	else if (m->kind == WHEP_LOAD_JANUS_ERROR || m->kind == WHEP_LOAD_JANUS_ENDED)
		fail(j, "%s: %s", what, m->text);
	else if (strcmp(m->janus, janus) != 0)
		fail(j, "%s: \"%s\" instead of \"%s\"", what, m->janus, janus);
	else
		return m;
	return NULL;
}

/* ---- the long poll ---- */

static void start_poll(WhepLoadJanus *j);

static void handle_event(WhepLoadJanus *j, const WhepLoadJanusMessage *m)
{
	if (m->kind == WHEP_LOAD_JANUS_ERROR || m->kind == WHEP_LOAD_JANUS_ENDED) {
		fail(j, "%s", m->text);
	} else if (m->kind == WHEP_LOAD_JANUS_OFFER && j->offered) {
		/* Janus renegotiating (an ICE restart, say) would need a new
		 * answer, and a new DTLS session: not done here. */
		fail(j, "Janus offered again (renegotiation is not supported)");
	} else if (m->kind == WHEP_LOAD_JANUS_OFFER && !j->failed) {
		j->offered = TRUE;
		j->callbacks.offer(j, m->text, j->user_data);
	}
}

/* Janus holds the GET up to ~30 s and then says keepalive; each GET also
 * counts as the session's keepalive (janus_http.c), which should be
 * enough (but see on_keepalive_timer).  After a failed poll there is
 * none: no busy loop against a dead server. */
static void on_polled(WhepLoadJanus *j, GPtrArray *messages, const GError *error)
{
	if (j->closing)
		return;
	if (error) {
		fail(j, "long poll: %s", error->message);
		return;
	}
	for (guint i = 0; i < messages->len && !j->closing; i++) {
		const WhepLoadJanusMessage *m = g_ptr_array_index(messages, i);

		g_debug("session %u: Janus says %s", j->index, m->janus);
		handle_event(j, m);
	}
	if (!j->closing)
		start_poll(j);
}

static void start_poll(WhepLoadJanus *j)
{
	g_autofree char *url = g_strconcat(j->session_url, "?maxev=1", NULL);

	j->poll = send_request(j, url, NULL, on_polled);
}

/* ---- keepalive ---- */

static void on_keepalive_acked(WhepLoadJanus *j, GPtrArray *messages, const GError *error)
{
	if (!j->closing)
		expect(j, "keepalive", messages, error, "ack");
}

/* The long poll should be enough, but a loaded Janus 1.1.2 (its poll
 * timer and libmicrohttpd share one thread) was seen holding a poll 69 s
 * instead of 30, and then ending the session at its 60 s timeout. */
static gboolean on_keepalive_timer(gpointer user_data)
{
	WhepLoadJanus *j = user_data;

	if (!j->keepalive)
		j->keepalive = send_request(j, j->session_url, &(WhepLoadJanusRequest){ .verb = "keepalive" },
					    on_keepalive_acked);
	return G_SOURCE_CONTINUE;
}

/* ---- create -> attach -> watch ---- */

static void on_watch_acked(WhepLoadJanus *j, GPtrArray *messages, const GError *error)
{
	/* The offer (or the plugin's error) comes on the long poll. */
	if (!j->closing)
		expect(j, "watch", messages, error, "ack");
}

static void on_attached(WhepLoadJanus *j, GPtrArray *messages, const GError *error)
{
	const WhepLoadJanusMessage *m;
	g_autofree char *body = NULL;

	if (j->closing || !(m = expect(j, "attach", messages, error, "success")))
		return;
	if (m->id <= 0) {
		fail(j, "attach: no handle id");
		return;
	}
	j->handle_url = g_strdup_printf("%s/%" G_GINT64_FORMAT, j->session_url, m->id);
	body = g_strdup_printf("{\"request\":\"watch\",\"id\":%" G_GINT64_FORMAT "}", j->mountpoint);
	start_poll(j);
	send_request(j, j->handle_url, &(WhepLoadJanusRequest){ .verb = "message", .body = body }, on_watch_acked);
}

static void send_destroy(WhepLoadJanus *j);

static void on_created(WhepLoadJanus *j, GPtrArray *messages, const GError *error)
{
	const WhepLoadJanusMessage *m = NULL;

	/* While closing: only the id matters, to destroy what was made. */
	if (j->closing) {
		m = messages && messages->len ? g_ptr_array_index(messages, 0) : NULL;
		if (m && m->kind == WHEP_LOAD_JANUS_SUCCESS && m->id > 0)
			j->session_url = g_strdup_printf("%s/%" G_GINT64_FORMAT, j->base_url, m->id);
		send_destroy(j);
		return;
	}
	if (!(m = expect(j, "create", messages, error, "success")))
		return;
	if (m->id <= 0) {
		fail(j, "create: no session id");
		return;
	}
	j->session_url = g_strdup_printf("%s/%" G_GINT64_FORMAT, j->base_url, m->id);
	j->keepalive_id = g_timeout_add_seconds(KEEPALIVE_S, on_keepalive_timer, j);
	send_request(j, j->session_url, &(WhepLoadJanusRequest){ .verb = "attach", .plugin = STREAMING_PLUGIN },
		     on_attached);
}

void whep_load_janus_start(WhepLoadJanus *j)
{
	j->create = send_request(j, j->base_url, &(WhepLoadJanusRequest){ .verb = "create" }, on_created);
}

/* ---- the answer ---- */

static void on_trickled(WhepLoadJanus *j, GPtrArray *messages, const GError *error)
{
	if (!j->closing)
		expect(j, "trickle", messages, error, "ack");
}

/* Janus queues a trickle that comes before the answer, but there is no
 * need to race it. */
static void on_started(WhepLoadJanus *j, GPtrArray *messages, const GError *error)
{
	if (j->closing || !expect(j, "start", messages, error, "ack"))
		return;
	send_request(j, j->handle_url, &(WhepLoadJanusRequest){ .verb = "trickle", .candidate_completed = TRUE },
		     on_trickled);
}

void whep_load_janus_answer(WhepLoadJanus *j, const char *sdp)
{
	if (j->closing || !j->handle_url)
		return;
	send_request(j, j->handle_url,
		     &(WhepLoadJanusRequest){ .verb = "message", .body = "{\"request\":\"start\"}",
					       .jsep_type = "answer", .jsep_sdp = sdp },
		     on_started);
}

/* ---- life cycle ---- */

static void finish(WhepLoadJanus *j, gboolean ok)
{
	WhepLoadJanusDoneFunc done = j->done;

	j->done = NULL;
	if (done)
		done(j, ok, j->done_data);
}

static gboolean on_done_idle(gpointer user_data)
{
	WhepLoadJanus *j = user_data;

	j->done_id = 0;
	finish(j, TRUE);
	return G_SOURCE_REMOVE;
}

static void on_destroyed(WhepLoadJanus *j, GPtrArray *messages, const GError *error)
{
	const WhepLoadJanusMessage *m = messages && messages->len ? g_ptr_array_index(messages, 0) : NULL;
	gboolean ok = m && strcmp(m->janus, "success") == 0;

	if (!ok)
		g_printerr("whep-load: session %u: Janus destroy: %s\n", j->index,
			   error ? error->message : m && m->text ? m->text : m ? m->janus : "empty reply");
	finish(j, ok);
}

/* Nothing made (create failed, or never sent): nothing to destroy. */
static void send_destroy(WhepLoadJanus *j)
{
	if (!j->session_url) {
		j->done_id = g_idle_add(on_done_idle, j);
		return;
	}
	send_request(j, j->session_url, &(WhepLoadJanusRequest){ .verb = "destroy" }, on_destroyed);
}

static void cancel_request(Request *r)
{
	r->j = NULL;
	g_cancellable_cancel(r->cancel);
}

static void forget_request(WhepLoadJanus *j, Request **r)
{
	if (!*r)
		return;
	g_ptr_array_remove_fast(j->pending, *r);
	cancel_request(*r);
	*r = NULL;
}

static void clear_source(guint *id)
{
	if (*id)
		g_source_remove(*id);
	*id = 0;
}

void whep_load_janus_destroy(WhepLoadJanus *j, WhepLoadJanusDoneFunc done, gpointer user_data)
{
	if (j->closing)
		return;
	j->closing = TRUE;
	j->done = done;
	j->done_data = user_data;
	clear_source(&j->keepalive_id);
	/* A cancelled request's callback only frees it (on_request_done). */
	forget_request(j, &j->poll);
	forget_request(j, &j->keepalive);
	/* The create's reply is awaited: destroying what it made (on_created). */
	if (!j->create)
		send_destroy(j);
}

WhepLoadJanus *whep_load_janus_new(SoupSession *http, const char *base_url, gint64 mountpoint, guint index,
                                   const WhepLoadJanusCallbacks *callbacks, gpointer user_data)
{
	WhepLoadJanus *j = g_new0(WhepLoadJanus, 1);
	gsize len = strlen(base_url);

	while (len > 0 && base_url[len - 1] == '/')
		len--;
	j->http = http;
	j->base_url = g_strndup(base_url, len);
	j->mountpoint = mountpoint;
	j->index = index;
	j->callbacks = *callbacks;
	j->user_data = user_data;
	j->pending = g_ptr_array_new();
	return j;
}

void whep_load_janus_free(WhepLoadJanus *j)
{
	if (!j)
		return;
	for (guint i = 0; i < j->pending->len; i++)
		cancel_request(g_ptr_array_index(j->pending, i));
	g_ptr_array_unref(j->pending);
	clear_source(&j->done_id);
	clear_source(&j->keepalive_id);
	g_free(j->base_url);
	g_free(j->session_url);
	g_free(j->handle_url);
	g_free(j);
}
