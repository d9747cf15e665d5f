/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What one client address may take from the server, so that one
 * misbehaving client (or many connections from one machine) cannot keep
 * the others out:
 *   - connections being read or answered at once: beyond the cap a new one
 *     is shut down at once (before a byte of it is read);
 *   - time to send a whole request (headers and body) once the connection
 *     is there: then it is shut down (half-open and slowloris clients);
 *   - sessions made (201 to POST /whep): a token bucket, 429 with
 *     Retry-After when it is empty;
 *   - PATCH and DELETE on sessions: a bucket of its own, larger (each
 *     session trickles a few candidates), against floods of them;
 *   - WHEP sessions held: 429 past max_sessions_per_address, so that
 *     max-viewers is never filled from one address.
 * Connections count by the peer's address; sessions and offers by the
 * client's (http-client-address.c: behind a trusted reverse proxy, the one
 * it forwards for; IPv6 by /64).  Behind such a proxy every connection
 * comes from it, and it keeps its own limits: connections are not capped.
 * Each message holds a reference to the limits (not the server), so a
 * message finalised after the server is freed still finds its counters.
 * Server's main context. */
#include "http-private.h"
#include "hdmirtc/gsource.h"

#define REQUEST_TIMEOUT_S 10
#define MSG_KEY "hdmirtc-http-limit"
/* Sessions assumed when none is configured, to size the other limits. */
#define SIZING_SESSIONS 8
/* A page, its player and an MJPEG stream take a handful of connections;
 * each WHEP session can hold two while its POST or PATCH waits for ICE. */
#define BASE_CONNECTIONS 16
/* Offers: a page retrying, a test suite or a bench opening many viewers
 * passes; a flood is held to a few a second. */
#define POST_BURST_MIN 20.0
#define POST_RATE_MIN 2.0
#define SESSION_REQUEST_BURST_MIN 100.0
#define SESSION_REQUEST_RATE_MIN 20.0

typedef struct {
	char *address;
	guint connections;              /* messages alive */
	double tokens;                  /* POST /whep */
	gint64 refilled_us;
	double session_tokens;          /* PATCH, DELETE /whep/<id> */
	gint64 session_refilled_us;
	GPtrArray *sessions;            /* char *, ids this address was given */
	guint offers;                   /* POST /whep let through, not answered yet */
	guint shut;                     /* connections shut down (cap or timeout) */
} Client;

struct HdmirtcHttpLimits {
	gatomicrefcount ref;
	GHashTable *clients;            /* address -> Client * */
	guint max_sessions;             /* 0 = none */
	guint max_connections;
	double post_burst;
	double post_rate;               /* offers a second, sustained */
	double session_burst;
	double session_rate;
	guint64 refused;                /* connections shut down, in all */
	guint64 timed_out;
	guint64 too_many;               /* 429 answers */
};

typedef struct {
	HdmirtcHttpLimits *limits;
	char *address;                  /* the peer's */
	GSource *deadline;
	SoupServerMessage *msg;         /* not a reference: this lives in its qdata */
	char *offer_address;            /* a POST /whep counted in this client's offers */
} MsgLimit;

static void client_free(gpointer data)
{
	Client *c = data;

	g_free(c->address);
	g_ptr_array_unref(c->sessions);
	g_free(c);
}

HdmirtcHttpLimits *hdmirtc_http_limits_new(guint max_sessions_per_address)
{
	HdmirtcHttpLimits *l = g_new0(HdmirtcHttpLimits, 1);
	guint sizing = max_sessions_per_address ? max_sessions_per_address : SIZING_SESSIONS;

	g_atomic_ref_count_init(&l->ref);
	l->clients = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, client_free);
	l->max_sessions = max_sessions_per_address;
	l->max_connections = BASE_CONNECTIONS + 2 * sizing;
	l->post_burst = MAX(POST_BURST_MIN, 4.0 * sizing);
	l->post_rate = MAX(POST_RATE_MIN, sizing / 2.0);
	l->session_burst = MAX(SESSION_REQUEST_BURST_MIN, 12.0 * sizing);
	l->session_rate = MAX(SESSION_REQUEST_RATE_MIN, 2.5 * sizing);
	return l;
}

static HdmirtcHttpLimits *limits_ref(HdmirtcHttpLimits *l)
{
	g_atomic_ref_count_inc(&l->ref);
	return l;
}

void hdmirtc_http_limits_unref(HdmirtcHttpLimits *l)
{
	if (l && g_atomic_ref_count_dec(&l->ref)) {
		g_hash_table_unref(l->clients);
		g_free(l);
	}
}

static Client *client_get(HdmirtcHttpLimits *l, const char *address)
{
	Client *c = g_hash_table_lookup(l->clients, address);

	if (!c) {
		c = g_new0(Client, 1);
		c->address = g_strdup(address);
		c->tokens = l->post_burst;
		c->refilled_us = g_get_monotonic_time();
		c->session_tokens = l->session_burst;
		c->session_refilled_us = c->refilled_us;
		c->sessions = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(l->clients, c->address, c);
	}
	return c;
}

static void refill_bucket(double *tokens, gint64 *refilled_us, double burst, double rate)
{
	gint64 now = g_get_monotonic_time();

	*tokens = MIN(burst, *tokens + rate * (double)(now - *refilled_us) / G_USEC_PER_SEC);
	*refilled_us = now;
}

static void refill(HdmirtcHttpLimits *l, Client *c)
{
	refill_bucket(&c->tokens, &c->refilled_us, l->post_burst, l->post_rate);
	refill_bucket(&c->session_tokens, &c->session_refilled_us, l->session_burst, l->session_rate);
}

/* Forgotten once it holds nothing and owes nothing. */
static void client_maybe_drop(HdmirtcHttpLimits *l, Client *c)
{
	refill(l, c);
	if (c->connections == 0 && c->offers == 0 && c->sessions->len == 0 && c->tokens >= l->post_burst &&
	    c->session_tokens >= l->session_burst)
		g_hash_table_remove(l->clients, c->address);
}

/* Stops the connection from our side: the client reads the end of it, and
 * libsoup, reading end of stream, closes it and drops the message. */
static void shut_down(SoupServerMessage *msg)
{
	GSocket *socket = hdmirtc_http_listen_socket_of(msg);

	if (socket && !g_socket_is_closed(socket))
		(void)g_socket_shutdown(socket, TRUE, TRUE, NULL);
}

gboolean hdmirtc_http_limits_connection_begin(HdmirtcHttpLimits *l, const char *address,
                                              gboolean uncapped)
{
	Client *c = client_get(l, address);

	c->connections++;
	if (uncapped || c->connections <= l->max_connections)
		return TRUE;
	if (c->shut++ == 0)
		g_message("HTTP: %s has %u connections open: closing new ones", address, l->max_connections);
	l->refused++;
	return FALSE;
}

void hdmirtc_http_limits_connection_end(HdmirtcHttpLimits *l, const char *address)
{
	Client *c = g_hash_table_lookup(l->clients, address);

	if (c) {
		c->connections--;
		client_maybe_drop(l, c);
	}
}

void hdmirtc_http_limits_count_timeout(HdmirtcHttpLimits *l, const char *address)
{
	Client *c = g_hash_table_lookup(l->clients, address);

	if (c && c->shut++ == 0)
		g_message("HTTP: %s sent no whole request within %u s: closing its connection "
		          "(later ones from it are counted in the status)", address, REQUEST_TIMEOUT_S);
	l->timed_out++;
}

static void msg_limit_free(gpointer data)
{
	MsgLimit *m = data;

	hdmirtc_source_clear(&m->deadline);
	if (m->offer_address) {
		Client *c = g_hash_table_lookup(m->limits->clients, m->offer_address);

		if (c) {
			c->offers--;
			client_maybe_drop(m->limits, c);
		}
		g_free(m->offer_address);
	}
	hdmirtc_http_limits_connection_end(m->limits, m->address);
	hdmirtc_http_limits_unref(m->limits);
	g_free(m->address);
	g_free(m);
}

static gboolean on_deadline(gpointer data)
{
	MsgLimit *m = data;

	hdmirtc_http_limits_count_timeout(m->limits, m->address);
	g_clear_pointer(&m->deadline, g_source_unref);
	shut_down(m->msg);
	return G_SOURCE_REMOVE;
}

static void on_got_body(SoupServerMessage *msg, gpointer user_data)
{
	MsgLimit *m = g_object_get_data(G_OBJECT(msg), MSG_KEY);

	if (m)
		hdmirtc_source_clear(&m->deadline);
}

void hdmirtc_http_limits_request_started(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	HdmirtcHttpLimits *l = self->limits;
	MsgLimit *m = g_new0(MsgLimit, 1);

	m->limits = limits_ref(l);
	m->address = hdmirtc_http_peer_address(msg);
	m->msg = msg;
	g_object_set_data_full(G_OBJECT(msg), MSG_KEY, m, msg_limit_free);
	if (!hdmirtc_http_limits_connection_begin(l, m->address, self->trust_forwarded)) {
		shut_down(msg);
		return;
	}
	m->deadline = g_timeout_source_new_seconds(REQUEST_TIMEOUT_S);
	g_source_set_callback(m->deadline, on_deadline, m, NULL);
	g_source_attach(m->deadline, g_main_context_get_thread_default());
	g_signal_connect(msg, "got-body", G_CALLBACK(on_got_body), NULL);
}

/* The sessions an address was given that still exist. */
static guint live_sessions(HdmirtcHttpServer *self, Client *c)
{
	for (guint i = c->sessions->len; i-- > 0;) {
		if (!self->handlers.whep_exists || !self->handlers.whep_exists(c->sessions->pdata[i], self->user_data))
			g_ptr_array_remove_index_fast(c->sessions, i);
	}
	return c->sessions->len;
}

static void too_many(HdmirtcHttpServer *self, SoupServerMessage *msg, guint retry_s, char *reason)
{
	g_autofree char *after = g_strdup_printf("%u", retry_s);

	self->limits->too_many++;
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After", after);
	hdmirtc_http_reply_error(self, msg, HDMIRTC_HTTP_STATUS_TOO_MANY_REQUESTS, "%s", reason);
	g_free(reason);
}

gboolean hdmirtc_http_limits_allow_whep_post(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	HdmirtcHttpLimits *l = self->limits;
	MsgLimit *m = g_object_get_data(G_OBJECT(msg), MSG_KEY);
	g_autofree char *address = hdmirtc_http_client_address(self, msg);
	Client *c = client_get(l, address);

	/* Offers still being answered count too: sessions appear only with
	 * their 201, and a burst of offers would all pass before. */
	if (l->max_sessions && live_sessions(self, c) + c->offers >= l->max_sessions) {
		too_many(self, msg, self->retry_after_s,
		         g_strdup_printf("this address holds %u WHEP sessions already: DELETE one first",
		                         l->max_sessions));
		return FALSE;
	}
	refill(l, c);
	if (c->tokens < 1.0) {
		too_many(self, msg, (guint)((1.0 - c->tokens) / l->post_rate) + 1,
		         g_strdup_printf("more than %u WHEP offers from this address in a row: wait a little",
		                         (guint)l->post_burst));
		return FALSE;
	}
	/* The token is taken with the 201: an offer refused costs nothing
	 * but its parse, and those in flight are bounded above. */
	if (m && !m->offer_address) {
		m->offer_address = g_strdup(address);
		c->offers++;
	}
	return TRUE;
}

gboolean hdmirtc_http_limits_allow_session_request(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	HdmirtcHttpLimits *l = self->limits;
	g_autofree char *address = hdmirtc_http_client_address(self, msg);
	Client *c = client_get(l, address);

	refill(l, c);
	if (c->session_tokens < 1.0) {
		too_many(self, msg, (guint)((1.0 - c->session_tokens) / l->session_rate) + 1,
		         g_strdup_printf("more than %u PATCH or DELETE requests from this address in a row: "
		                         "wait a little", (guint)l->session_burst));
		return FALSE;
	}
	c->session_tokens -= 1.0;
	return TRUE;
}

void hdmirtc_http_limits_session_created(HdmirtcHttpServer *self, SoupServerMessage *msg, const char *id)
{
	g_autofree char *address = hdmirtc_http_client_address(self, msg);
	Client *c = client_get(self->limits, address);

	g_ptr_array_add(c->sessions, g_strdup(id));
	refill(self->limits, c);
	c->tokens = MAX(0.0, c->tokens - 1.0);
}

void hdmirtc_http_limits_add_status(HdmirtcHttpLimits *l, JsonBuilder *b)
{
	json_builder_set_member_name(b, "http_limits");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "clients");
	json_builder_add_int_value(b, g_hash_table_size(l->clients));
	json_builder_set_member_name(b, "connections_refused");
	json_builder_add_int_value(b, (gint64)l->refused);
	json_builder_set_member_name(b, "requests_timed_out");
	json_builder_add_int_value(b, (gint64)l->timed_out);
	json_builder_set_member_name(b, "answered_429");
	json_builder_add_int_value(b, (gint64)l->too_many);
	json_builder_end_object(b);
}
