/* SPDX-License-Identifier: GPL-3.0-or-later */
/* whep-churn: WHEP viewers that join and leave, over and over, against one
 * hdmirtc service on loopback: P sessions at a time, each made with
 * whep-load's session (ICE, DTLS as server, SRTP), kept until its first
 * whole frame, then closed (close_notify + DELETE) and replaced, until C
 * cycles are done.  The HTTP side is spread over A client addresses
 * (127.0.0.2 .. 127.0.0.<A+1>) as many viewers would be, so that the
 * service's per-address limits see several clients.  A POST the service
 * answers 429 for its offer rate is made again after its Retry-After, as
 * a well-behaved client does: it is counted (throttled), not failed.
 *
 *   whep-churn --url http://127.0.0.1:PORT/whep --cycles 10000 --parallel 8
 *
 * Prints "whep-churn: N cycles, F failed" every 500 cycles and a JSON
 * summary at the end: cycles, failures by reason, connect time
 * percentiles.  Exit status 0 when every cycle streamed, 1 otherwise, 2
 * for bad arguments. */
#include "whep-load.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>

#define MAX_PARALLEL 32
#define MAX_ADDRESSES 32
#define PROGRESS_EVERY 500

typedef struct {
	char *url;
	char *token;
	gint cycles;
	gint parallel;
	gint addresses;
	gint connect_timeout_s;
} Options;

typedef struct {
	Options opt;
	GMainLoop *loop;
	SoupSession *http[MAX_ADDRESSES];
	HdmirtcDtlsCert *cert;
	guint started;                  /* cycles begun (a throttled one made again is the same) */
	guint finished;                 /* sessions closed */
	guint streamed;
	guint failed;
	guint open;                     /* sessions not yet closed */
	guint throttled;                /* POSTs answered 429, made again later */
	GHashTable *failures;           /* reason -> count (GUINT_TO_POINTER) */
	GArray *connect_ms;             /* gint64 */
	gboolean stopping;
	gint64 started_us;
} Churn;

static void start_session(Churn *churn, guint index);

/* A throttled cycle, made again: same index, same client address.  It was
 * counted in started when first made, so it is not a new cycle (counting it
 * again let a run end with more cycles than asked for). */
typedef struct {
	Churn *churn;
	guint index;
} Retry;

static gboolean on_throttle_over(gpointer user_data)
{
	Retry *retry = user_data;
	Churn *churn = retry->churn;

	churn->open--;
	if (!churn->stopping)
		start_session(churn, retry->index);
	else if (churn->open == 0)
		g_main_loop_quit(churn->loop);
	return G_SOURCE_REMOVE;
}

static void on_closed(WhepLoadSession *session, gpointer user_data)
{
	Churn *churn = user_data;
	guint retry_after_s = whep_load_session_get_retry_after_s(session);
	guint index = whep_load_session_get_index(session);

	whep_load_session_free(session);
	if (retry_after_s) {
		Retry *retry = g_new(Retry, 1);

		/* Still open until made again: the loop waits for it. */
		*retry = (Retry){ churn, index };
		g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, retry_after_s, on_throttle_over, retry, g_free);
		return;
	}
	churn->open--;
	churn->finished++;
	if (churn->finished % PROGRESS_EVERY == 0) {
		printf("whep-churn: %u cycles, %u failed\n", churn->finished, churn->failed);
		fflush(stdout);
	}
	if (!churn->stopping && churn->started < (guint)churn->opt.cycles)
		start_session(churn, churn->started++);
	else if (churn->open == 0)
		g_main_loop_quit(churn->loop);
}

static void on_state(WhepLoadSession *session, WhepLoadSessionState state, gpointer user_data)
{
	Churn *churn = user_data;
	const WhepLoadCounters *c = whep_load_session_get_counters(session);

	if (state == WHEP_LOAD_SESSION_STREAMING) {
		churn->streamed++;
		g_array_append_val(churn->connect_ms, c->connect_ms);
	} else if (state == WHEP_LOAD_SESSION_FAILED && whep_load_session_get_retry_after_s(session)) {
		/* Not a cycle: this one is made again (on_closed). */
		churn->throttled++;
	} else if (state == WHEP_LOAD_SESSION_FAILED) {
		const char *why = whep_load_session_get_error(session);
		gpointer n = g_hash_table_lookup(churn->failures, why ? why : "unknown");

		g_hash_table_replace(churn->failures, g_strdup(why ? why : "unknown"),
		                     GUINT_TO_POINTER(GPOINTER_TO_UINT(n) + 1));
		churn->failed++;
	} else {
		return;
	}
	/* Freed in on_closed, after its DELETE: never inside this callback. */
	whep_load_session_close(session, on_closed, churn);
}

static void start_session(Churn *churn, guint index)
{
	static const WhepLoadSessionCallbacks callbacks = { .state_changed = on_state };
	WhepLoadSessionConfig config = {
		.http = churn->http[index % (guint)churn->opt.addresses],
		.whep_url = churn->opt.url,
		.token = churn->opt.token,
		.cert = churn->cert,
		.index = index,
		.connect_timeout_s = (guint)churn->opt.connect_timeout_s,
		.srtp_profile = HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80,
	};

	churn->open++;
	whep_load_session_new(&config, &callbacks, churn);
}

static gboolean on_stop(gpointer user_data)
{
	Churn *churn = user_data;

	churn->stopping = TRUE;
	if (churn->open == 0)
		g_main_loop_quit(churn->loop);
	return G_SOURCE_REMOVE;
}

static gboolean print_summary(Churn *churn)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	GHashTableIter it;
	gpointer why, count;

	json_builder_begin_object(b);
	hdmirtc_json_add_int(b, "cycles", churn->finished);
	hdmirtc_json_add_int(b, "streamed", churn->streamed);
	hdmirtc_json_add_int(b, "failed", churn->failed);
	hdmirtc_json_add_int(b, "throttled", churn->throttled);
	hdmirtc_json_add_int(b, "seconds", (g_get_monotonic_time() - churn->started_us) / G_USEC_PER_SEC);
	json_builder_set_member_name(b, "failures");
	json_builder_begin_object(b);
	g_hash_table_iter_init(&it, churn->failures);
	while (g_hash_table_iter_next(&it, &why, &count))
		hdmirtc_json_add_int(b, why, GPOINTER_TO_UINT(count));
	json_builder_end_object(b);
	whep_load_json_percentiles(b, "connect_ms", churn->connect_ms);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	printf("%s\n", text);
	fflush(stdout);
	return churn->failed == 0 && churn->finished == (guint)churn->opt.cycles;
}

static gboolean parse_options(int argc, char **argv, Options *opt)
{
	GOptionEntry entries[] = {
		{ "url", 'u', 0, G_OPTION_ARG_STRING, &opt->url, "WHEP endpoint (http://127.0.0.1:PORT/whep)", "URL" },
		{ "token", 0, 0, G_OPTION_ARG_STRING, &opt->token, "Bearer token the service asks for", "TOKEN" },
		{ "cycles", 'c', 0, G_OPTION_ARG_INT, &opt->cycles, "Join/leave cycles in all, 1..1000000 (1000)", "N" },
		{ "parallel", 'p', 0, G_OPTION_ARG_INT, &opt->parallel, "Sessions at a time, 1..32 (8)", "N" },
		{ "addresses", 'a', 0, G_OPTION_ARG_INT, &opt->addresses,
		  "Client addresses the HTTP requests come from, 127.0.0.2 onwards, 1..32 (4)", "N" },
		{ "connect-timeout", 't', 0, G_OPTION_ARG_INT, &opt->connect_timeout_s,
		  "Seconds for a session to get its first frame, 1..120 (15)", "S" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- WHEP viewers joining and leaving on loopback");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("whep-churn: %s\n", error->message);
		return FALSE;
	}
	if (!opt->url || !whep_load_url_is_allowed(opt->url, NULL)) {
		g_printerr("whep-churn: --url must be http://127.0.0.1:PORT/... or http://[::1]:PORT/...\n");
		return FALSE;
	}
	if (opt->cycles < 1 || opt->cycles > 1000000 || opt->parallel < 1 || opt->parallel > MAX_PARALLEL ||
	    opt->addresses < 1 || opt->addresses > MAX_ADDRESSES || opt->connect_timeout_s < 1 ||
	    opt->connect_timeout_s > 120) {
		g_printerr("whep-churn: an option is out of range (see --help)\n");
		return FALSE;
	}
	return TRUE;
}

int main(int argc, char **argv)
{
	Churn churn = { .opt = { .cycles = 1000, .parallel = 8, .addresses = 4, .connect_timeout_s = 15 } };
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (!parse_options(argc, argv, &churn.opt))
		return 2;
	churn.cert = hdmirtc_dtls_cert_new_ephemeral(&error);
	if (!churn.cert) {
		g_printerr("whep-churn: %s\n", error->message);
		return 1;
	}
	churn.loop = g_main_loop_new(NULL, FALSE);
	for (gint i = 0; i < churn.opt.addresses; i++) {
		g_autofree char *ip = g_strdup_printf("127.0.0.%d", 2 + i);

		churn.http[i] = whep_load_http_session_new(ip, 2 * MAX_PARALLEL, "hdmirtc-whep-churn");
	}
	churn.failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	churn.connect_ms = g_array_new(FALSE, FALSE, sizeof(gint64));
	churn.started_us = g_get_monotonic_time();
	g_unix_signal_add(SIGINT, on_stop, &churn);
	g_unix_signal_add(SIGTERM, on_stop, &churn);
	for (gint i = 0; i < MIN(churn.opt.parallel, churn.opt.cycles); i++)
		start_session(&churn, churn.started++);
	g_main_loop_run(churn.loop);
	ok = print_summary(&churn);
	for (gint i = 0; i < churn.opt.addresses; i++) {
		soup_session_abort(churn.http[i]);
		g_object_unref(churn.http[i]);
	}
	g_hash_table_unref(churn.failures);
	g_array_unref(churn.connect_ms);
	hdmirtc_dtls_cert_free(churn.cert);
	g_main_loop_unref(churn.loop);
	g_free(churn.opt.url);
	g_free(churn.opt.token);
	return ok ? 0 : 1;
}
