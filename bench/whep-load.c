/* SPDX-License-Identifier: GPL-3.0-or-later */
/* whep-load: opens N WebRTC sessions to an hdmirtc service on loopback and
 * counts what each receives (see whep-load.h).
 *
 *   whep-load --url http://127.0.0.1:PORT/whep --viewers 4 --duration 20
 *   whep-load --janus http://10.99.0.1:8088/janus --mountpoint 7 \
 *             --local-address 10.99.0.1 --sessions 100 --audio
 *   ip netns exec NS whep-load --url http://10.77.1.2:8080/whep \
 *             --local-address 203.0.113.2 --peer-address 10.77.1.2 --viewers 64
 *
 * The Janus server and every ICE peer must be on this machine (loopback or
 * an address of one of its interfaces), or be --peer-address: a private
 * address of a network namespace the caller made.
 *
 * Prints "whep-load: ready streaming=S failed=F" on stdout once every
 * session streams or has failed, keeps receiving for --duration seconds (or
 * until SIGINT/SIGTERM), closes every session (DTLS close_notify + WHEP
 * DELETE) and prints one JSON summary line on stdout.  Exit status 0 when
 * every session streamed and every packet decrypted, 1 otherwise, 2 for
 * bad arguments.  An alarm bounds the whole run. */
#include "whep-load.h"

#include <errno.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_VIEWERS 64
/* Janus serves the viewers; whep-load's own cost is what bounds this. */
#define MAX_JANUS_VIEWERS 1000
/* Janus holds a long poll ~30 s before it answers keepalive. */
#define JANUS_HTTP_TIMEOUT_S 45
/* Janus's ids are JSON numbers: integers up to 2^53 survive. */
#define MAX_MOUNTPOINT (G_GINT64_CONSTANT(1) << 53)
#define CLOSE_GRACE_S 5
/* A Janus busy with 200 viewers took over 5 s to destroy them all. */
#define JANUS_DESTROYS_PER_S 25
/* After the summary: at most this long for cancelled requests to be
 * freed (a closing agent's socket may still be receiving). */
#define DRAIN_US (G_USEC_PER_SEC / 2)

typedef struct {
	char *url;
	char *token;
	gint viewers;
	gint duration_s;
	gint connect_timeout_s;
	gint stagger_ms;
	char *srtp;
	HdmirtcSrtpProfile srtp_profile;
	gboolean bad_rtcp;
	gboolean dtls_client;
	gboolean audio;
	char *dump_path;
	char *janus;
	gint64 mountpoint;
	char *local_address;
	char *peer_address;
} Options;

typedef struct {
	Options opt;
	GMainLoop *loop;
	SoupSession *http;
	HdmirtcDtlsCert *cert;
	GPtrArray *sessions;            /* WhepLoadSession * */
	FILE *dump;                     /* --dump, for the first session */
	guint created;
	guint closing_pending;
	gboolean ready;
	gboolean shutting_down;
	gint64 ready_us;
	gint64 end_us;
	guint create_id, duration_id, grace_id;
} Load;

static gboolean on_shutdown(gpointer user_data);

static guint close_grace_s(const Load *load)
{
	return CLOSE_GRACE_S + (load->opt.janus ? (guint)load->opt.viewers / JANUS_DESTROYS_PER_S : 0);
}

static void print_ready(Load *load)
{
	guint streaming = 0;

	for (guint i = 0; i < load->sessions->len; i++)
		streaming += whep_load_session_get_state(g_ptr_array_index(load->sessions, i)) ==
			     WHEP_LOAD_SESSION_STREAMING;
	load->ready = TRUE;
	load->ready_us = g_get_monotonic_time();
	printf("whep-load: ready streaming=%u failed=%u\n", streaming, load->sessions->len - streaming);
	fflush(stdout);
	load->duration_id = g_timeout_add_seconds(load->opt.duration_s, on_shutdown, load);
}

static void on_session_state(WhepLoadSession *session, WhepLoadSessionState state, gpointer user_data)
{
	Load *load = user_data;
	guint settled = 0;

	if (load->ready || load->shutting_down || load->created < (guint)load->opt.viewers)
		return;
	/* Recount: a session may stream first and fail later. */
	for (guint i = 0; i < load->sessions->len; i++)
		settled += whep_load_session_get_state(g_ptr_array_index(load->sessions, i)) >=
			   WHEP_LOAD_SESSION_STREAMING;
	if (settled == load->sessions->len)
		print_ready(load);
}

static gboolean on_create(gpointer user_data)
{
	Load *load = user_data;
	static const WhepLoadSessionCallbacks callbacks = { .state_changed = on_session_state };
	WhepLoadSessionConfig config = {
		.http = load->http,
		.whep_url = load->opt.url,
		.token = load->opt.token,
		.cert = load->cert,
		.index = load->created,
		.connect_timeout_s = (guint)load->opt.connect_timeout_s,
		.srtp_profile = load->opt.srtp_profile,
		.bad_rtcp = load->opt.bad_rtcp,
		.dtls_client = load->opt.dtls_client,
		.audio = load->opt.audio,
		.dump = load->created == 0 ? load->dump : NULL,
		/* Every viewer of a mountpoint gets the same stream, and a
		 * hundred Opus decoders were a third of whep-load's CPU. */
		.skip_clicks = load->opt.janus && load->created > 0,
		.janus_url = load->opt.janus,
		.mountpoint = load->opt.mountpoint,
		.local_address = load->opt.local_address,
		.peer_address = load->opt.peer_address,
	};

	g_ptr_array_add(load->sessions, whep_load_session_new(&config, &callbacks, load));
	if (++load->created < (guint)load->opt.viewers)
		return G_SOURCE_CONTINUE;
	load->create_id = 0;
	return G_SOURCE_REMOVE;
}

static void on_session_closed(WhepLoadSession *session, gpointer user_data)
{
	Load *load = user_data;

	if (load->closing_pending > 0 && --load->closing_pending == 0)
		g_main_loop_quit(load->loop);
}

static gboolean on_grace_over(gpointer user_data)
{
	Load *load = user_data;

	load->grace_id = 0;
	g_printerr("whep-load: %u %s unanswered after %u s\n", load->closing_pending,
		   load->opt.janus ? "Janus destroy(s)" : "DELETE(s)", close_grace_s(load));
	g_main_loop_quit(load->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_shutdown(gpointer user_data)
{
	Load *load = user_data;

	load->duration_id = 0;
	if (load->shutting_down)
		return G_SOURCE_REMOVE;
	load->shutting_down = TRUE;
	load->end_us = g_get_monotonic_time();
	if (load->create_id)
		g_source_remove(load->create_id);
	load->create_id = 0;
	load->closing_pending = load->sessions->len;
	if (load->closing_pending == 0) {
		g_main_loop_quit(load->loop);
		return G_SOURCE_REMOVE;
	}
	load->grace_id = g_timeout_add_seconds(close_grace_s(load), on_grace_over, load);
	for (guint i = 0; i < load->sessions->len; i++)
		whep_load_session_close(g_ptr_array_index(load->sessions, i), on_session_closed, load);
	return G_SOURCE_REMOVE;
}

/* ---- summary ---- */

/* Only with --audio, so that a run without it prints what it always did. */
static void add_audio_counters(JsonBuilder *b, const WhepLoadCounters *c)
{
	hdmirtc_json_add_int(b, "audio_packets", (gint64)c->audio_packets);
	hdmirtc_json_add_int(b, "audio_bytes", (gint64)c->audio_bytes);
	hdmirtc_json_add_int(b, "audio_payload_bytes", (gint64)c->audio_payload_bytes);
	hdmirtc_json_add_int(b, "audio_decrypt_failures", (gint64)c->audio_decrypt_failures);
	hdmirtc_json_add_int(b, "audio_lost", (gint64)c->audio_lost);
	hdmirtc_json_add_int(b, "audio_ts_irregular", (gint64)c->audio_ts_irregular);
	hdmirtc_json_add_int(b, "audio_ssrc_mismatch", (gint64)c->audio_ssrc_mismatch);
}

static void add_counters(JsonBuilder *b, const WhepLoadCounters *c, gboolean audio)
{
	hdmirtc_json_add_int(b, "packets", (gint64)c->packets);
	hdmirtc_json_add_int(b, "bytes", (gint64)c->bytes);
	hdmirtc_json_add_int(b, "payload_bytes", (gint64)c->payload_bytes);
	hdmirtc_json_add_int(b, "frames", (gint64)c->frames);
	hdmirtc_json_add_int(b, "decrypt_failures", (gint64)c->decrypt_failures);
	hdmirtc_json_add_int(b, "replayed", (gint64)c->replayed);
	hdmirtc_json_add_int(b, "malformed", (gint64)c->malformed);
	hdmirtc_json_add_int(b, "lost", (gint64)c->lost);
	hdmirtc_json_add_int(b, "rtcp_received", (gint64)c->rtcp_received);
	hdmirtc_json_add_int(b, "rtcp_failures", (gint64)c->rtcp_failures);
	hdmirtc_json_add_int(b, "rr_sent", (gint64)c->rr_sent);
	hdmirtc_json_add_int(b, "bad_rtcp_sent", (gint64)c->bad_rtcp_sent);
	hdmirtc_json_add_int(b, "max_frame_gap_ms", c->max_frame_gap_ms);
	hdmirtc_json_add_int(b, "max_frame_gap_end_us", c->max_frame_gap_end_us);
	if (audio)
		add_audio_counters(b, c);
}

static void sum_counters(WhepLoadCounters *t, const WhepLoadCounters *c)
{
	t->packets += c->packets;
	t->bytes += c->bytes;
	t->payload_bytes += c->payload_bytes;
	t->frames += c->frames;
	t->decrypt_failures += c->decrypt_failures;
	t->replayed += c->replayed;
	t->malformed += c->malformed;
	t->lost += c->lost;
	t->rtcp_received += c->rtcp_received;
	t->rtcp_failures += c->rtcp_failures;
	t->rr_sent += c->rr_sent;
	t->bad_rtcp_sent += c->bad_rtcp_sent;
	if (c->max_frame_gap_ms > t->max_frame_gap_ms) {
		t->max_frame_gap_ms = c->max_frame_gap_ms;
		t->max_frame_gap_end_us = c->max_frame_gap_end_us;
	}
	t->audio_packets += c->audio_packets;
	t->audio_bytes += c->audio_bytes;
	t->audio_payload_bytes += c->audio_payload_bytes;
	t->audio_decrypt_failures += c->audio_decrypt_failures;
	t->audio_lost += c->audio_lost;
	t->audio_ts_irregular += c->audio_ts_irregular;
	t->audio_ssrc_mismatch += c->audio_ssrc_mismatch;
}

static void add_session(JsonBuilder *b, const WhepLoadSession *s, guint index, gboolean audio)
{
	const GArray *samples = whep_load_session_get_receive_samples(s);
	g_autoptr(GArray) copy = g_array_sized_new(FALSE, FALSE, sizeof(gint64), samples->len);

	g_array_append_vals(copy, samples->data, samples->len);
	json_builder_begin_object(b);
	hdmirtc_json_add_int(b, "index", index);
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, whep_load_session_state_to_string(whep_load_session_get_state(s)));
	json_builder_set_member_name(b, "error");
	if (whep_load_session_get_error(s))
		json_builder_add_string_value(b, whep_load_session_get_error(s));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "srtp");
	json_builder_add_string_value(b, hdmirtc_srtp_profile_to_string(whep_load_session_get_srtp_profile(s)));
	hdmirtc_json_add_int(b, "connect_ms", whep_load_session_get_counters(s)->connect_ms);
	if (audio)
		hdmirtc_json_add_bool(b, "audio_accepted", whep_load_session_get_audio_accepted(s));
	add_counters(b, whep_load_session_get_counters(s), audio);
	whep_load_json_percentiles(b, "capture_to_receive_us", copy);
	json_builder_end_object(b);
}

/* A session whose answer accepted audio but that received none: the
 * service promised sound it did not send. */
static gboolean audio_missing(const WhepLoadSession *s)
{
	return whep_load_session_get_state(s) == WHEP_LOAD_SESSION_STREAMING &&
	       whep_load_session_get_audio_accepted(s) && whep_load_session_get_counters(s)->audio_packets == 0;
}

/* Returns TRUE when every session streamed, nothing failed to decrypt and
 * (--audio) every session whose audio was accepted received some. */
static gboolean add_totals(JsonBuilder *b, const Load *load)
{
	WhepLoadCounters t = { 0 };
	g_autoptr(GArray) pooled = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GArray) connect = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GArray) clicks = g_array_new(FALSE, FALSE, sizeof(gint64));
	guint streaming = 0, with_audio = 0, without_audio_packets = 0;

	for (guint i = 0; i < load->sessions->len; i++) {
		const WhepLoadSession *s = g_ptr_array_index(load->sessions, i);
		const GArray *samples = whep_load_session_get_receive_samples(s);
		const WhepLoadCounters *c = whep_load_session_get_counters(s);

		streaming += whep_load_session_get_state(s) == WHEP_LOAD_SESSION_STREAMING;
		with_audio += whep_load_session_get_audio_accepted(s);
		without_audio_packets += audio_missing(s);
		sum_counters(&t, c);
		g_array_append_vals(pooled, samples->data, samples->len);
		g_array_append_vals(clicks, whep_load_session_get_click_offsets(s)->data,
				    whep_load_session_get_click_offsets(s)->len);
		if (c->connect_ms >= 0)
			g_array_append_val(connect, c->connect_ms);
	}
	hdmirtc_json_add_int(b, "viewers_requested", load->opt.viewers);
	hdmirtc_json_add_int(b, "viewers_streaming", streaming);
	hdmirtc_json_add_int(b, "viewers_failed", (gint64)load->sessions->len - streaming);
	hdmirtc_json_add_int(b, "streaming_ms", load->ready ? (load->end_us - load->ready_us) / 1000 : 0);
	if (load->opt.audio) {
		hdmirtc_json_add_int(b, "viewers_audio_accepted", with_audio);
		hdmirtc_json_add_int(b, "viewers_audio_missing", without_audio_packets);
	}
	json_builder_set_member_name(b, "totals");
	json_builder_begin_object(b);
	add_counters(b, &t, load->opt.audio);
	json_builder_end_object(b);
	whep_load_json_percentiles(b, "capture_to_receive_us", pooled);
	whep_load_json_percentiles(b, "connect_ms", connect);
	/* The sender's audio against its video clock (whep-load-clicks.c). */
	if (load->opt.audio)
		whep_load_json_percentiles(b, "audio_click_offset_us", clicks);
	return streaming == (guint)load->opt.viewers && t.decrypt_failures == 0 && t.audio_decrypt_failures == 0 &&
	       without_audio_packets == 0;
}

static gboolean print_summary(const Load *load)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	gboolean ok;

	json_builder_begin_object(b);
	ok = add_totals(b, load);
	json_builder_set_member_name(b, "sessions");
	json_builder_begin_array(b);
	for (guint i = 0; i < load->sessions->len; i++)
		add_session(b, g_ptr_array_index(load->sessions, i), i, load->opt.audio);
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	fflush(stdout);
	return ok;
}

/* ---- set-up ---- */

static gboolean parse_srtp(const char *name, HdmirtcSrtpProfile *profile)
{
	if (g_strcmp0(name, "aes-gcm") == 0)
		*profile = HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM;
	else if (g_strcmp0(name, "aes-cm") == 0)
		*profile = HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80;
	else if (g_strcmp0(name, "any") == 0)
		*profile = HDMIRTC_SRTP_PROFILE_NONE;
	else
		return FALSE;
	return TRUE;
}

/* The host of an http:// URL with an IP literal of this machine. */
static gboolean janus_url_is_local(const char *url)
{
	g_autoptr(GUri) uri = NULL;

	if (!whep_load_url_host_is_ip(url))
		return FALSE;
	uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
	return whep_load_ip_is_local(g_uri_get_host(uri));
}

/* Where the sessions go: WHEP on loopback, or Janus on this machine. */
static gboolean check_target(const Options *opt)
{
	const char *why = NULL;

	if (!opt->url == !opt->janus)
		why = "give either --url (WHEP) or --janus";
	else if (opt->peer_address && (!whep_load_ip_is_private(opt->peer_address) || opt->janus))
		why = "--peer-address must be a private IP address (10/8, 172.16/12, 192.168/16, fc00::/7), with --url";
	else if (opt->url && !whep_load_url_is_allowed(opt->url, opt->peer_address))
		why = "--url must be http://127.0.0.1:PORT/..., http://[::1]:PORT/... or on --peer-address";
	else if (opt->janus && !janus_url_is_local(opt->janus))
		why = "--janus must be http://IP:PORT/... with an IP address of this machine";
	else if (opt->janus && opt->token)
		why = "--token is for WHEP";
	else if (!opt->janus && opt->mountpoint)
		why = "--mountpoint is for --janus";
	else if (opt->janus && (opt->mountpoint < 0 || opt->mountpoint > MAX_MOUNTPOINT))
		why = "--mountpoint is out of range";
	else if (opt->local_address && (!g_hostname_is_ip_address(opt->local_address) ||
					!whep_load_ip_is_local(opt->local_address)))
		why = "--local-address must be an IP address of this machine";
	if (why)
		g_printerr("whep-load: %s\n", why);
	return why == NULL;
}

static gboolean parse_options(int argc, char **argv, Options *opt)
{
	GOptionEntry entries[] = {
		{ "url", 'u', 0, G_OPTION_ARG_STRING, &opt->url, "WHEP endpoint (http://127.0.0.1:PORT/whep)", "URL" },
		{ "janus", 0, 0, G_OPTION_ARG_STRING, &opt->janus,
		  "Instead of WHEP, watch a Janus Streaming mountpoint through Janus's HTTP API on this machine "
		  "(http://IP:8088/janus)", "URL" },
		{ "mountpoint", 0, 0, G_OPTION_ARG_INT64, &opt->mountpoint, "With --janus: the mountpoint's id (1)", "ID" },
		{ "local-address", 0, 0, G_OPTION_ARG_STRING, &opt->local_address,
		  "Address of this machine to gather the ICE host candidate on; Janus never uses loopback (127.0.0.1)",
		  "IP" },
		{ "peer-address", 0, 0, G_OPTION_ARG_STRING, &opt->peer_address,
		  "The service's private address in a network namespace made for the run (bench/lib/fanout-link.mjs): "
		  "--url and the ICE candidates may be on it", "IP" },
		{ "token", 0, 0, G_OPTION_ARG_STRING, &opt->token, "Bearer token the service asks for", "TOKEN" },
		{ "viewers", 'n', 0, G_OPTION_ARG_INT, &opt->viewers, "Sessions to open, 1..64, 1..1000 with --janus (1)",
		  "N" },
		{ "sessions", 0, 0, G_OPTION_ARG_INT, &opt->viewers, "The same as --viewers", "N" },
		{ "duration", 'd', 0, G_OPTION_ARG_INT, &opt->duration_s, "Seconds to receive after ready, 1..3600 (10)", "S" },
		{ "connect-timeout", 't', 0, G_OPTION_ARG_INT, &opt->connect_timeout_s,
		  "Seconds for a session to get its first frame, 1..120 (15)", "S" },
		{ "srtp", 0, 0, G_OPTION_ARG_STRING, &opt->srtp,
		  "SRTP profile to accept: aes-cm (what chromium 156 gets from hdmirtc), aes-gcm or any (aes-cm)", "PROFILE" },
		{ "stagger", 0, 0, G_OPTION_ARG_INT, &opt->stagger_ms, "Milliseconds between session starts, 0..1000 (20)", "MS" },
		{ "bad-rtcp", 0, 0, G_OPTION_ARG_NONE, &opt->bad_rtcp,
		  "With each receiver report send malformed RTCP inside valid SRTCP (robustness test)", NULL },
		{ "dtls-client", 0, 0, G_OPTION_ARG_NONE, &opt->dtls_client,
		  "Offer a=setup:active and be the DTLS client: the service answers passive and is the DTLS server "
		  "(--janus: answer active)", NULL },
		{ "audio", 0, 0, G_OPTION_ARG_NONE, &opt->audio,
		  "Also offer Opus (recvonly, BUNDLEd, mid 1; with --janus accept Janus's) and count the audio packets "
		  "apart from the video", NULL },
		{ "dump", 0, 0, G_OPTION_ARG_FILENAME, &opt->dump_path,
		  "Write the first session's H.264 (depacketized, Annex B) to FILE, for a decoder to check", "FILE" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- open N WebRTC viewers: WHEP on loopback, or through Janus");
	g_autoptr(GError) error = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("whep-load: %s\n", error->message);
		return FALSE;
	}
	if (!check_target(opt))
		return FALSE;
	if (opt->viewers < 1 || opt->viewers > (opt->janus ? MAX_JANUS_VIEWERS : MAX_VIEWERS) ||
	    opt->duration_s < 1 || opt->duration_s > 3600 ||
	    opt->connect_timeout_s < 1 || opt->connect_timeout_s > 120 || opt->stagger_ms < 0 ||
	    opt->stagger_ms > 1000) {
		g_printerr("whep-load: an option is out of range (see --help)\n");
		return FALSE;
	}
	if (opt->srtp && !parse_srtp(opt->srtp, &opt->srtp_profile)) {
		g_printerr("whep-load: --srtp must be aes-gcm, aes-cm or any\n");
		return FALSE;
	}
	return TRUE;
}

static void run(Load *load)
{
	guint bound = (guint)(load->opt.connect_timeout_s + load->opt.duration_s + 2 * close_grace_s(load) +
			      load->opt.viewers * load->opt.stagger_ms / 1000 + 10);

	/* The last resort if the loop ever stops making progress. */
	alarm(bound);
	g_unix_signal_add(SIGINT, on_shutdown, load);
	g_unix_signal_add(SIGTERM, on_shutdown, load);
	if (load->opt.stagger_ms > 0)
		load->create_id = g_timeout_add((guint)load->opt.stagger_ms, on_create, load);
	else
		load->create_id = g_idle_add(on_create, load);
	g_main_loop_run(load->loop);
	if (!load->shutting_down)
		load->end_us = g_get_monotonic_time();
}

static void drain(gint64 until_us)
{
	while (g_get_monotonic_time() < until_us && g_main_context_iteration(NULL, FALSE))
		;
}

int main(int argc, char **argv)
{
	Load load = { .opt = { .viewers = 1, .duration_s = 10, .connect_timeout_s = 15, .stagger_ms = 20,
				    .srtp_profile = HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80 } };
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (!parse_options(argc, argv, &load.opt))
		return 2;
	load.cert = hdmirtc_dtls_cert_new_ephemeral(&error);
	if (!load.cert) {
		g_printerr("whep-load: %s\n", error->message);
		return 1;
	}
	if (load.opt.dump_path) {
		load.dump = fopen(load.opt.dump_path, "wb");
		if (!load.dump) {
			g_printerr("whep-load: --dump %s: %s\n", load.opt.dump_path, g_strerror(errno));
			hdmirtc_dtls_cert_free(load.cert);
			return 2;
		}
	}
	if (load.opt.janus && load.opt.mountpoint == 0)
		load.opt.mountpoint = 1;
	load.loop = g_main_loop_new(NULL, FALSE);
	/* Janus: each session's long poll holds a connection, its requests
	 * another. */
	load.http = whep_load_http_session_new(NULL, load.opt.janus ? 2 * (guint)load.opt.viewers + 4 : 2 * MAX_VIEWERS,
					       "hdmirtc-whep-load");
	if (load.opt.janus)
		soup_session_set_timeout(load.http, JANUS_HTTP_TIMEOUT_S);
	load.sessions = g_ptr_array_new_with_free_func((GDestroyNotify)whep_load_session_free);
	run(&load);
	ok = print_summary(&load);
	if (load.grace_id)
		g_source_remove(load.grace_id);
	if (load.duration_id)
		g_source_remove(load.duration_id);
	g_ptr_array_unref(load.sessions);
	soup_session_abort(load.http);
	/* The cancelled requests' callbacks free what they carry. */
	drain(g_get_monotonic_time() + DRAIN_US);
	g_object_unref(load.http);
	hdmirtc_dtls_cert_free(load.cert);
	g_main_loop_unref(load.loop);
	g_free(load.opt.url);
	g_free(load.opt.token);
	g_free(load.opt.srtp);
	g_free(load.opt.janus);
	g_free(load.opt.local_address);
	g_free(load.opt.peer_address);
	if (load.dump && fclose(load.dump) != 0)
		ok = FALSE;
	g_free(load.opt.dump_path);
	return ok ? 0 : 1;
}
