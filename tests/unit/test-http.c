/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTTP server against fake handlers, driven by a libsoup client on the
 * same main context over loopback. */
#include "hdmirtc/http.h"

#include <libsoup/soup.h>
#include <string.h>

#define WEB_DIR FIXTURES_DIR "/../../../web"
#define ANSWER "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define OFFER "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
#define SDPFRAG "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n" \
	"m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n"
#define TOKEN "s3cret-Token.42"

/* ---- fake service ---- */

typedef struct {
	/* what a test selects */
	GQuark fail_domain;             /* 0 = succeed */
	int fail_code;
	const char *fail_message;
	const char *session_id;         /* returned by create */
	gboolean ice_restart;           /* patch answers with a new sdpfrag */
	guint defer_ms;                 /* create answers after this delay */
	HdmirtcWhepRequest *deferred;
	HdmirtcWhepRequest *deferred_patch;
	/* what the handlers saw */
	guint creates, patches, deletes, keyframes;
	char *offer;
	gsize offer_len;
	char *patch_id, *patch_body;
	char **patch_if_match;          /* NULL without the header */
	char *deleted_id;
	char *arrival;                  /* the last POST's arrival address */
	/* GET /api/display/snapshot: answered after defer_ms (0 = during the
	 * call), with the picture or fail_*; or kept for the test. */
	guint snapshots;
	gboolean keep_snapshot;
	void (*snapshot_done)(GBytes *picture, const GError *error, gpointer done_data);
	gpointer snapshot_data;
} Fake;

static gboolean fake_fail(Fake *fake, GError **error)
{
	if (!fake->fail_domain)
		return FALSE;
	g_set_error_literal(error, fake->fail_domain, fake->fail_code, fake->fail_message);
	return TRUE;
}

static void fake_finish_create(Fake *fake, HdmirtcWhepRequest *request)
{
	GError *error = NULL;

	if (fake_fail(fake, &error))
		hdmirtc_whep_request_fail(request, error);
	else
		hdmirtc_whep_request_return(request, ANSWER, fake->session_id, "e1");
}

static gboolean on_deferred_create(gpointer user_data)
{
	Fake *fake = user_data;

	fake_finish_create(fake, g_steal_pointer(&fake->deferred));
	return G_SOURCE_REMOVE;
}

static void fake_create(HdmirtcWhepRequest *request, const char *offer, gsize len, gpointer user_data)
{
	Fake *fake = user_data;

	fake->creates++;
	g_free(fake->arrival);
	fake->arrival = g_strdup(hdmirtc_whep_request_get_arrival_address(request));
	g_free(fake->offer);
	fake->offer = g_strdup(offer);
	fake->offer_len = len;
	g_assert_cmpuint(strlen(offer), ==, len);
	if (fake->defer_ms) {
		/* Like a real session waiting for ICE gathering. */
		fake->deferred = request;
		g_timeout_add(fake->defer_ms, on_deferred_create, fake);
		return;
	}
	fake_finish_create(fake, request);
}

static gboolean known_session(Fake *fake, const char *id, GError **error)
{
	if (strcmp(id, fake->session_id) == 0)
		return TRUE;
	g_set_error(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_NOT_FOUND, "no session %s", id);
	return FALSE;
}

static void fake_finish_patch(HdmirtcWhepRequest *request, gboolean restart)
{
	if (restart)
		hdmirtc_whep_request_return_fragment(
			request, "a=ice-ufrag:new1\r\na=ice-pwd:newnewnewnewnewnewnewnew\r\n", "e2");
	else
		hdmirtc_whep_request_return_fragment(request, NULL, NULL);
}

static gboolean on_deferred_patch(gpointer user_data)
{
	Fake *fake = user_data;

	fake_finish_patch(g_steal_pointer(&fake->deferred_patch), TRUE);
	return G_SOURCE_REMOVE;
}

static void fake_patch(HdmirtcWhepRequest *request, const char *session_id,
                       const char *const *if_match, const char *body, gsize len, gpointer user_data)
{
	Fake *fake = user_data;
	GError *error = NULL;

	fake->patches++;
	g_free(fake->patch_id);
	g_strfreev(fake->patch_if_match);
	g_free(fake->patch_body);
	fake->patch_id = g_strdup(session_id);
	fake->patch_if_match = g_strdupv((char **)if_match);
	fake->patch_body = g_strdup(body);
	g_assert_cmpuint(strlen(body), ==, len);
	if (!known_session(fake, session_id, &error) || fake_fail(fake, &error)) {
		hdmirtc_whep_request_fail(request, error);
	} else if (fake->ice_restart && fake->defer_ms) {
		/* Like a restart waiting for the new agent's candidates. */
		fake->deferred_patch = request;
		g_timeout_add(fake->defer_ms, on_deferred_patch, fake);
	} else {
		fake_finish_patch(request, fake->ice_restart);
	}
}

static gboolean fake_delete(const char *session_id, gpointer user_data, GError **error)
{
	Fake *fake = user_data;

	fake->deletes++;
	g_free(fake->deleted_id);
	fake->deleted_id = g_strdup(session_id);
	return known_session(fake, session_id, error);
}

static gboolean fake_exists(const char *session_id, gpointer user_data)
{
	return known_session(user_data, session_id, NULL);
}

static JsonNode *fake_status(gpointer user_data)
{
	Fake *fake = user_data;
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "viewers");
	json_builder_add_int_value(b, 2);
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, "streaming");
	json_builder_set_member_name(b, "keyframes");
	json_builder_add_int_value(b, fake->keyframes);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static gboolean fake_keyframe(gpointer user_data, GError **error)
{
	Fake *fake = user_data;

	fake->keyframes++;
	return !fake_fail(fake, error);
}

#define PICTURE "P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06"

static void fake_finish_snapshot(Fake *fake)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) picture = NULL;

	if (!fake_fail(fake, &error))
		picture = g_bytes_new_static(PICTURE, sizeof(PICTURE) - 1);
	fake->snapshot_done(picture, error, fake->snapshot_data);
	fake->snapshot_done = NULL;
}

static gboolean on_deferred_snapshot(gpointer user_data)
{
	fake_finish_snapshot(user_data);
	return G_SOURCE_REMOVE;
}

static void fake_snapshot(void (*done)(GBytes *picture, const GError *error, gpointer done_data),
                          gpointer done_data, gpointer user_data)
{
	Fake *fake = user_data;

	fake->snapshots++;
	fake->snapshot_done = done;
	fake->snapshot_data = done_data;
	if (fake->keep_snapshot)
		return;
	if (fake->defer_ms)
		g_timeout_add(fake->defer_ms, on_deferred_snapshot, fake);
	else
		fake_finish_snapshot(fake);
}

static const HdmirtcHttpHandlers fake_handlers = {
	.whep_create = fake_create,
	.whep_patch = fake_patch,
	.whep_delete = fake_delete,
	.whep_exists = fake_exists,
	.status = fake_status,
	.keyframe = fake_keyframe,
	.display_snapshot = fake_snapshot,
};

/* ---- fixture: server + client ---- */

typedef struct {
	Fake fake;
	HdmirtcHttpServer *server;
	SoupSession *session;
	guint port;
} Fixture;

typedef struct {
	SoupMessage *msg;
	GBytes *body;
	char *text;             /* NUL-terminated copy of the body */
	guint status;
	GError *error;          /* the exchange failed (only with run_full(allow_error)) */
	gboolean done;
} Reply;

static void reply_free(Reply *r)
{
	g_object_unref(r->msg);
	g_clear_pointer(&r->body, g_bytes_unref);
	g_free(r->text);
	g_clear_error(&r->error);
	g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reply, reply_free)

static void start_server_trusting(Fixture *f, const char *token, gboolean trust_forwarded)
{
	g_autofree char *turn = hdmirtc_http_format_ice_server_link("turn:127.0.0.1:3478?transport=udp",
	                                                          "user", "pa\"ss");
	const char *links[] = { "<stun:127.0.0.1:3478>; rel=\"ice-server\"", turn, NULL };
	HdmirtcHttpConfig cfg = {
		.address = "127.0.0.1",
		.port = 0,
		.token = token,
		.cors_origin = "https://kvm.example",
		.ice_servers = links,
		.retry_after_s = 7,
		.trust_forwarded = trust_forwarded,
	};
	g_autoptr(GError) error = NULL;

	f->fake.session_id = "sess1";
	f->server = hdmirtc_http_server_new(&cfg, &fake_handlers, &f->fake, &error);
	g_assert_no_error(error);
	f->port = hdmirtc_http_server_get_port(f->server);
	g_assert_cmpuint(f->port, >, 0);
	f->session = soup_session_new_with_options("timeout", 10, NULL);
}

static void start_server(Fixture *f, const char *token)
{
	start_server_trusting(f, token, FALSE);
}

static void setup(Fixture *f, gconstpointer data)
{
	start_server(f, data);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_object_unref(f->session);
	hdmirtc_http_server_free(f->server);
	g_free(f->fake.offer);
	g_free(f->fake.patch_id);
	g_strfreev(f->fake.patch_if_match);
	g_free(f->fake.patch_body);
	g_free(f->fake.deleted_id);
	g_free(f->fake.arrival);
	/* Let libsoup finish closing connections before the next test. */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static void on_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Reply *r = user_data;

	r->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &r->error);
	r->done = TRUE;
}

static Reply *run_full(Fixture *f, SoupMessage *msg, gboolean allow_error)
{
	Reply *r = g_new0(Reply, 1);
	const char *data;
	gsize len = 0;

	r->msg = msg;
	soup_session_send_and_read_async(f->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, r);
	while (!r->done)
		g_main_context_iteration(NULL, TRUE);
	if (!allow_error)
		g_assert_no_error(r->error);
	r->status = soup_message_get_status(msg);
	data = r->body ? g_bytes_get_data(r->body, &len) : NULL;
	r->text = g_strndup(data ? data : "", len);
	return r;
}

static Reply *run(Fixture *f, SoupMessage *msg)
{
	return run_full(f, msg, FALSE);
}

/* headers: NULL-terminated name, value pairs. */
/* Cancels an exchange started with on_sent, waits for it to end and
 * clears what it left in r. */
static void cancel_and_clear(Reply *r, GCancellable *cancel)
{
	g_cancellable_cancel(cancel);
	while (!r->done)
		g_main_context_iteration(NULL, TRUE);
	g_clear_error(&r->error);
	g_clear_pointer(&r->body, g_bytes_unref);
	g_object_unref(r->msg);
}

static SoupMessage *new_msg(Fixture *f, const char *method, const char *path,
                            const char *const *headers)
{
	g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u%s", f->port, path);
	SoupMessage *msg = soup_message_new(method, url);

	g_assert_nonnull(msg);
	for (gsize i = 0; headers && headers[i]; i += 2)
		soup_message_headers_replace(soup_message_get_request_headers(msg), headers[i],
		                             headers[i + 1]);
	return msg;
}

static Reply *request(Fixture *f, const char *method, const char *path, const char *type,
                      const char *body, gssize len, const char *const *headers)
{
	SoupMessage *msg = new_msg(f, method, path, headers);

	if (type) {
		g_autoptr(GBytes) bytes = g_bytes_new(body, len < 0 ? strlen(body) : (gsize)len);

		soup_message_set_request_body_from_bytes(msg, type, bytes);
	}
	return run(f, msg);
}

static const char *header(Reply *r, const char *name)
{
	return soup_message_headers_get_one(soup_message_get_response_headers(r->msg), name);
}

static const char *auth_header[] = { "Authorization", "Bearer " TOKEN, NULL };

/* RFC 9110's and RFC 6585's names, which libsoup 3.2 lacks for these two. */
static const char *phrase(guint status)
{
	return status == 422 ? "Unprocessable Content" :
	       status == 428 ? "Precondition Required" : soup_status_get_phrase(status);
}

static void assert_error_body(Reply *r, guint status, const char *reason)
{
	g_autofree char *want = g_strdup_printf("%u %s: %s\n", status, phrase(status), reason);

	g_assert_cmpuint(r->status, ==, status);
	g_assert_cmpstr(soup_message_get_reason_phrase(r->msg), ==, phrase(status));
	g_assert_cmpstr(header(r, "Content-Type"), ==, "text/plain; charset=utf-8");
	g_assert_cmpstr(r->text, ==, want);
}

/* ---- metrics ---- */

static void test_metrics_from_status(void)
{
	static const char status[] =
		"{\"version\":\"0.1\",\"uptime_s\":7,\"ok\":true,\"gone\":null,"
		"\"encoder\":{\"frames\":30,\"fps\":29.5},"
		"\"viewers\":[{\"id\":\"a1\",\"frames_sent\":3},{\"id\":\"b\\\"2\",\"frames_sent\":4}],"
		"\"list\":[5,6]}";
	g_autoptr(JsonNode) node = json_from_string(status, NULL);
	g_autofree char *text = hdmirtc_http_metrics_from_status(node);

	g_assert_cmpstr(text, ==,
		"# TYPE hdmirtc_version_info untyped\n"
		"hdmirtc_version_info{value=\"0.1\"} 1\n"
		"# TYPE hdmirtc_uptime_s untyped\n"
		"hdmirtc_uptime_s 7\n"
		"# TYPE hdmirtc_ok untyped\n"
		"hdmirtc_ok 1\n"
		"# TYPE hdmirtc_encoder_frames untyped\n"
		"hdmirtc_encoder_frames 30\n"
		"# TYPE hdmirtc_encoder_fps untyped\n"
		"hdmirtc_encoder_fps 29.5\n"
		"# TYPE hdmirtc_viewers_id_info untyped\n"
		"hdmirtc_viewers_id_info{id=\"a1\",value=\"a1\"} 1\n"
		"hdmirtc_viewers_id_info{id=\"b\\\"2\",value=\"b\\\"2\"} 1\n"
		"# TYPE hdmirtc_viewers_frames_sent untyped\n"
		"hdmirtc_viewers_frames_sent{id=\"a1\"} 3\n"
		"hdmirtc_viewers_frames_sent{id=\"b\\\"2\"} 4\n"
		"# TYPE hdmirtc_list untyped\n"
		"hdmirtc_list{index=\"0\"} 5\n"
		"hdmirtc_list{index=\"1\"} 6\n");
}

static void test_metrics_route(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) r = request(f, "GET", "/metrics", NULL, NULL, 0, auth_header);
	g_autoptr(Reply) denied = request(f, "GET", "/metrics", NULL, NULL, 0, NULL);

	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpstr(header(r, "Content-Type"), ==, "text/plain; version=0.0.4");
	g_assert_nonnull(strstr(r->text, "hdmirtc_viewers 2\n"));
	g_assert_nonnull(strstr(r->text, "hdmirtc_state_info{value=\"streaming\"} 1\n"));
	g_assert_cmpuint(denied->status, ==, 401);
}

/* ---- WHEP ---- */

static void test_post_created(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) r = request(f, "POST", "/whep", "application/sdp", OFFER, -1, NULL);
	SoupMessageHeaders *h = soup_message_get_response_headers(r->msg);
	g_autofree char *links = NULL;

	g_assert_cmpuint(r->status, ==, 201);
	g_assert_cmpstr(r->text, ==, ANSWER);
	g_assert_cmpstr(header(r, "Content-Type"), ==, "application/sdp");
	g_assert_cmpstr(header(r, "Location"), ==, "/whep/sess1");
	g_assert_cmpstr(header(r, "ETag"), ==, "\"e1\"");
	g_assert_cmpstr(header(r, "Access-Control-Allow-Origin"), ==, "https://kvm.example");
	g_assert_nonnull(strstr(header(r, "Access-Control-Expose-Headers"), "Location"));
	g_assert_nonnull(strstr(header(r, "Access-Control-Expose-Headers"), "ETag"));
	g_assert_nonnull(strstr(header(r, "Access-Control-Expose-Headers"), "Link"));
	links = g_strdup(soup_message_headers_get_list(h, "Link"));
	g_assert_cmpstr(links, ==, "<stun:127.0.0.1:3478>; rel=\"ice-server\", "
	                "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; "
	                "username=\"user\"; credential=\"pa\\\"ss\"; credential-type=\"password\"");
	g_assert_cmpuint(f->fake.creates, ==, 1);
	g_assert_cmpstr(f->fake.offer, ==, OFFER);
	g_assert_cmpuint(f->fake.offer_len, ==, strlen(OFFER));
}

/* The handler answers later, as the real one does after ICE gathering. */
static void test_post_deferred(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) ok = NULL, refused = NULL;

	f->fake.defer_ms = 100;
	ok = request(f, "POST", "/whep", "application/sdp", OFFER, -1, NULL);
	g_assert_cmpuint(ok->status, ==, 201);
	g_assert_cmpstr(ok->text, ==, ANSWER);
	g_assert_cmpstr(header(ok, "Location"), ==, "/whep/sess1");

	f->fake.fail_domain = HDMIRTC_HTTP_ERROR;
	f->fake.fail_code = HDMIRTC_HTTP_ERROR_UNPROCESSABLE;
	f->fake.fail_message = "no H.264";
	refused = request(f, "POST", "/whep", "application/sdp", OFFER, -1, NULL);
	assert_error_body(refused, 422, "no H.264");
}

/* A client that gives up before its answer leaves no session behind. */
static void test_post_client_left(Fixture *f, gconstpointer data)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	Reply r = { .msg = new_msg(f, "POST", "/whep", NULL) };
	g_autoptr(GBytes) body = g_bytes_new_static(OFFER, strlen(OFFER));

	f->fake.defer_ms = 300;
	g_test_expect_message("hdmirtc-http", G_LOG_LEVEL_MESSAGE,
	                      "POST /whep: the client left before its answer; dropping session sess1");
	soup_message_set_request_body_from_bytes(r.msg, "application/sdp", body);
	soup_session_send_and_read_async(f->session, r.msg, G_PRIORITY_DEFAULT, cancel, on_sent, &r);
	/* The client leaves once its offer is being answered (a timer alone
	 * could fire before a loaded machine even delivered the POST, and no
	 * session would ever be made). */
	while (f->fake.creates == 0)
		g_main_context_iteration(NULL, TRUE);
	g_cancellable_cancel(cancel);
	while (!r.done || f->fake.deferred)
		g_main_context_iteration(NULL, TRUE);
	g_test_assert_expected_messages();
	g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpuint(f->fake.deletes, ==, 1);
	g_assert_cmpstr(f->fake.deleted_id, ==, "sess1");
	g_clear_error(&r.error);
	g_clear_pointer(&r.body, g_bytes_unref);
	g_object_unref(r.msg);
}

/* Freeing the server with an answer outstanding: finishing it later is
 * safe and touches nothing of the server. */
static void test_post_server_freed(Fixture *f, gconstpointer data)
{
	Reply r = { .msg = new_msg(f, "POST", "/whep", NULL) };
	g_autoptr(GBytes) body = g_bytes_new_static(OFFER, strlen(OFFER));
	g_autoptr(GCancellable) cancel = g_cancellable_new();

	f->fake.defer_ms = 60000;
	soup_message_set_request_body_from_bytes(r.msg, "application/sdp", body);
	soup_session_send_and_read_async(f->session, r.msg, G_PRIORITY_DEFAULT, cancel, on_sent, &r);
	while (!f->fake.deferred)
		g_main_context_iteration(NULL, TRUE);
	g_clear_pointer(&f->server, hdmirtc_http_server_free);
	g_assert_true(hdmirtc_whep_request_is_abandoned(f->fake.deferred));
	hdmirtc_whep_request_return(g_steal_pointer(&f->fake.deferred), ANSWER, "sess1", "e1");
	g_assert_cmpuint(f->fake.deletes, ==, 0);
	cancel_and_clear(&r, cancel);
}

static void test_post_type_with_parameter(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) r = request(f, "POST", "/whep", "Application/SDP; charset=utf-8",
	                             OFFER, -1, NULL);

	g_assert_cmpuint(r->status, ==, 201);
	g_assert_cmpuint(f->fake.creates, ==, 1);
}

static void test_post_wrong_type(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) r = request(f, "POST", "/whep", "text/plain", OFFER, -1, NULL);
	g_autoptr(Reply) none = NULL;

	assert_error_body(r, 415, "an offer must be sent as Content-Type: application/sdp");
	g_assert_cmpstr(header(r, "Accept-Post"), ==, "application/sdp");
	g_assert_cmpstr(header(r, "Access-Control-Allow-Origin"), ==, "https://kvm.example");
	none = request(f, "POST", "/whep", NULL, NULL, 0, NULL);
	g_assert_cmpuint(none->status, ==, 415);
	g_assert_cmpuint(f->fake.creates, ==, 0);
}

static void test_post_too_large(Fixture *f, gconstpointer data)
{
	gsize big = HDMIRTC_HTTP_MAX_BODY + 1;
	g_autofree char *body = g_malloc(4 * big);
	g_autoptr(Reply) r = NULL;
	g_autoptr(Reply) chunked = NULL;
	g_autoptr(Reply) limit = NULL;
	g_autoptr(GBytes) bytes = NULL;
	SoupMessage *msg;

	memset(body, 'a', 4 * big);
	r = request(f, "POST", "/whep", "application/sdp", body, big, NULL);
	assert_error_body(r, 413, "the request body would be more than 65536 bytes");

	/* No Content-Length: counted while the chunks arrive. */
	msg = new_msg(f, "POST", "/whep", NULL);
	bytes = g_bytes_new_static(body, 4 * big);
	g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes(bytes);
	soup_message_set_request_body(msg, "application/sdp", in, -1);
	chunked = run(f, msg);
	assert_error_body(chunked, 413, "the request body is more than 65536 bytes");
	g_assert_cmpuint(f->fake.creates, ==, 0);

	/* Exactly the limit is fine. */
	limit = request(f, "POST", "/whep", "application/sdp", body, HDMIRTC_HTTP_MAX_BODY, NULL);
	g_assert_cmpuint(limit->status, ==, 201);
	g_assert_cmpuint(f->fake.offer_len, ==, HDMIRTC_HTTP_MAX_BODY);
}

/* A client that goes on sending long after the 413 is cut off. */
static void test_post_endless_body(Fixture *f, gconstpointer data)
{
	gsize size = 4 * 1024 * 1024;
	g_autoptr(GBytes) bytes = g_bytes_new_take(g_malloc0(size), size);
	g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes(bytes);
	SoupMessage *msg = new_msg(f, "POST", "/whep", NULL);
	g_autoptr(Reply) r = NULL;
	g_autoptr(Reply) after = NULL;

	soup_message_set_request_body(msg, "application/sdp", in, -1);
	g_test_expect_message("hdmirtc-http", G_LOG_LEVEL_MESSAGE, "POST /whep -> 413*");
	g_test_expect_message("hdmirtc-http", G_LOG_LEVEL_MESSAGE,
	                      "POST /whep: still sending after 413, closing the connection");
	r = run_full(f, msg, TRUE);
	g_test_assert_expected_messages();
	/* Cut off mid-upload, the client sees an error (or, if the 413 won the
	 * race, the 413). */
	g_test_message("the client saw: %s", r->error ? r->error->message : "413");
	g_assert_true(r->error != NULL || r->status == 413);
	g_assert_cmpuint(f->fake.creates, ==, 0);
	after = request(f, "POST", "/whep", "application/sdp", OFFER, -1, NULL);
	g_assert_cmpuint(after->status, ==, 201);
}

static void test_post_empty_or_nul(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) r = request(f, "POST", "/whep", "application/sdp", "", 0, NULL);
	g_autoptr(Reply) nul = request(f, "POST", "/whep", "application/sdp", "v=0\0x", 5, NULL);

	assert_error_body(r, 400, "the request body is empty");
	assert_error_body(nul, 400, "the request body contains a NUL byte");
	g_assert_cmpuint(f->fake.creates, ==, 0);
}

static Reply *post_failing(Fixture *f, GQuark domain, int code, const char *message)
{
	f->fake.fail_domain = domain;
	f->fake.fail_code = code;
	f->fake.fail_message = message;
	return request(f, "POST", "/whep", "application/sdp", OFFER, -1, NULL);
}

static void test_post_handler_errors(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) r422 = post_failing(f, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_UNPROCESSABLE,
	                                     "offer has no H.264 with packetization-mode=1");
	g_autoptr(Reply) r400 = post_failing(f, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_BAD_REQUEST,
	                                     "line 3: expected \"t=\"\nsecond line");
	g_autoptr(Reply) r503 = post_failing(f, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_TOO_MANY,
	                                     "4 viewers already");
	g_autoptr(Reply) r500 = NULL;

	/* Not 406: WHEP's 406 is a counter-offer (an SDP body, a Location). */
	assert_error_body(r422, 422, "offer has no H.264 with packetization-mode=1");
	/* A multi-line reason stays one line. */
	assert_error_body(r400, 400, "line 3: expected \"t=\" second line");
	assert_error_body(r503, 503, "4 viewers already");
	g_assert_cmpstr(header(r503, "Retry-After"), ==, "7");
	g_assert_null(header(r422, "Retry-After"));
	g_assert_null(header(r422, "Location"));

	g_test_expect_message("hdmirtc-http", G_LOG_LEVEL_WARNING, "POST /whep -> 500: disk on fire");
	r500 = post_failing(f, G_IO_ERROR, G_IO_ERROR_FAILED, "disk on fire");
	g_test_assert_expected_messages();
	assert_error_body(r500, 500, "disk on fire");
	g_assert_cmpuint(f->fake.creates, ==, 4);
}

static void test_status_for_error(void)
{
	static const struct { int code; guint status; } map[] = {
		{ HDMIRTC_HTTP_ERROR_BAD_REQUEST, 400 },
		{ HDMIRTC_HTTP_ERROR_NOT_FOUND, 404 },
		{ HDMIRTC_HTTP_ERROR_UNPROCESSABLE, 422 },
		{ HDMIRTC_HTTP_ERROR_CONFLICT, 409 },
		{ HDMIRTC_HTTP_ERROR_PRECONDITION_FAILED, 412 },
		{ HDMIRTC_HTTP_ERROR_PRECONDITION_REQUIRED, 428 },
		{ HDMIRTC_HTTP_ERROR_PAYLOAD_TOO_LARGE, 413 },
		{ HDMIRTC_HTTP_ERROR_UNSUPPORTED_MEDIA, 415 },
		{ HDMIRTC_HTTP_ERROR_TOO_MANY, 503 },
		{ HDMIRTC_HTTP_ERROR_INTERNAL, 500 },
		{ 9999, 500 },
		{ -1, 500 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
		g_autoptr(GError) e = g_error_new_literal(HDMIRTC_HTTP_ERROR, map[i].code, "x");

		g_assert_cmpuint(hdmirtc_http_status_for_error(e), ==, map[i].status);
	}
	g_autoptr(GError) other = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "x");
	g_assert_cmpuint(hdmirtc_http_status_for_error(other), ==, 500);
	g_assert_cmpuint(hdmirtc_http_status_for_error(NULL), ==, 500);
}

static void test_post_unusable_session_id(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) r = NULL;

	f->fake.session_id = "a b";
	g_test_expect_message("hdmirtc-http", G_LOG_LEVEL_WARNING, "POST /whep -> 500*");
	r = request(f, "POST", "/whep", "application/sdp", OFFER, -1, NULL);
	g_test_assert_expected_messages();
	assert_error_body(r, 500, "the session got an unusable id or ETag");
	/* The session the handler made is not left behind. */
	g_assert_cmpstr(f->fake.deleted_id, ==, "a b");
}

static void test_patch(Fixture *f, gconstpointer data)
{
	const char *if_match[] = { "If-Match", "\"e1\"", NULL };
	g_autoptr(Reply) ok = request(f, "PATCH", "/whep/sess1", "application/trickle-ice-sdpfrag",
	                              SDPFRAG, -1, if_match);
	g_autoptr(Reply) restart = NULL;

	g_assert_cmpuint(ok->status, ==, 204);
	g_assert_cmpstr(ok->text, ==, "");
	g_assert_cmpstr(f->fake.patch_id, ==, "sess1");
	g_assert_cmpstrv(f->fake.patch_if_match, ((const char *[]){ "e1", NULL }));
	g_assert_cmpstr(f->fake.patch_body, ==, SDPFRAG);

	f->fake.ice_restart = TRUE;
	f->fake.defer_ms = 50;
	restart = request(f, "PATCH", "/whep/sess1", "application/trickle-ice-sdpfrag", SDPFRAG, -1,
	                  (const char *[]){ "If-Match", "*", NULL });
	g_assert_cmpuint(restart->status, ==, 200);
	g_assert_cmpstr(header(restart, "Content-Type"), ==, "application/trickle-ice-sdpfrag");
	g_assert_cmpstr(header(restart, "ETag"), ==, "\"e2\"");
	g_assert_nonnull(strstr(restart->text, "a=ice-ufrag:new1"));
	g_assert_cmpstrv(f->fake.patch_if_match, ((const char *[]){ "*", NULL }));
}

/* RFC 9110 13.1.1: If-Match is "*" or a list of entity tags, compared
 * strongly: weak ones can never match and are left out; a tag may hold a
 * comma; a member that is no tag is skipped. */
static void test_patch_if_match_list(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *header;
		const char *tags[4];
	} cases[] = {
		{ "\"a\", \"e1\"", { "a", "e1", NULL } },
		{ "W/\"old\", \"e1\"", { "e1", NULL } },
		{ "W/\"old\"", { NULL } },
		{ "\"x,y\" ,\t\"z\"", { "x,y", "z", NULL } },
		{ "junk, \"e1\", \"unterminated", { "e1", NULL } },
		{ "*", { "*", NULL } },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(Reply) r = request(f, "PATCH", "/whep/sess1", "application/trickle-ice-sdpfrag",
		                             SDPFRAG, -1, (const char *[]){ "If-Match", cases[i].header, NULL });

		g_assert_cmpuint(r->status, ==, 204);
		g_assert_cmpstrv(f->fake.patch_if_match, cases[i].tags);
	}
}

static void test_patch_errors(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) type = request(f, "PATCH", "/whep/sess1", "application/sdp", SDPFRAG, -1, NULL);
	g_autoptr(Reply) unknown = request(f, "PATCH", "/whep/nope", "application/trickle-ice-sdpfrag",
	                                   SDPFRAG, -1, NULL);
	g_autoptr(Reply) bad_id = request(f, "PATCH", "/whep/a%20b", "application/trickle-ice-sdpfrag",
	                                  SDPFRAG, -1, NULL);
	g_autoptr(Reply) no_id = request(f, "PATCH", "/whep/", "application/trickle-ice-sdpfrag",
	                                 SDPFRAG, -1, NULL);
	g_autoptr(Reply) nested = request(f, "PATCH", "/whep/sess1/x",
	                                  "application/trickle-ice-sdpfrag", SDPFRAG, -1, NULL);
	g_autoptr(Reply) stale = NULL;

	assert_error_body(type, 415,
	                  "ICE candidates must be sent as Content-Type: application/trickle-ice-sdpfrag");
	g_assert_cmpstr(header(type, "Accept-Patch"), ==, "application/trickle-ice-sdpfrag");
	assert_error_body(unknown, 404, "no session nope");
	assert_error_body(bad_id, 404, "no WHEP session a b");
	g_assert_cmpuint(no_id->status, ==, 404);
	g_assert_cmpuint(nested->status, ==, 404);
	/* Only the unknown (but well-formed) id reached the handler. */
	g_assert_cmpuint(f->fake.patches, ==, 1);

	f->fake.fail_domain = HDMIRTC_HTTP_ERROR;
	f->fake.fail_code = HDMIRTC_HTTP_ERROR_PRECONDITION_FAILED;
	f->fake.fail_message = "If-Match \"old\" is not the session's ETag";
	stale = request(f, "PATCH", "/whep/sess1", "application/trickle-ice-sdpfrag", SDPFRAG, -1,
	                (const char *[]){ "If-Match", "W/\"old\"", NULL });
	assert_error_body(stale, 412, "If-Match \"old\" is not the session's ETag");
	/* A weak tag cannot match: the handler gets an empty list. */
	g_assert_cmpstrv(f->fake.patch_if_match, ((const char *[]){ NULL }));

	f->fake.fail_code = HDMIRTC_HTTP_ERROR_PRECONDITION_REQUIRED;
	f->fake.fail_message = "a PATCH needs If-Match";
	g_autoptr(Reply) unconditional = request(f, "PATCH", "/whep/sess1",
	                                         "application/trickle-ice-sdpfrag", SDPFRAG, -1, NULL);
	assert_error_body(unconditional, 428, "a PATCH needs If-Match");
	g_assert_null(f->fake.patch_if_match);
}

static void test_delete(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) ok = request(f, "DELETE", "/whep/sess1", NULL, NULL, 0, NULL);
	g_autoptr(Reply) unknown = request(f, "DELETE", "/whep/other", NULL, NULL, 0, NULL);

	g_assert_cmpuint(ok->status, ==, 200);
	g_assert_cmpstr(header(ok, "Access-Control-Allow-Origin"), ==, "https://kvm.example");
	assert_error_body(unknown, 404, "no session other");
	g_assert_cmpuint(f->fake.deletes, ==, 2);
	g_assert_cmpstr(f->fake.deleted_id, ==, "other");
}

static void test_options(Fixture *f, gconstpointer data)
{
	const char *preflight[] = { "Origin", "https://kvm.example",
	                            "Access-Control-Request-Method", "POST", NULL };
	g_autoptr(Reply) whep = request(f, "OPTIONS", "/whep", NULL, NULL, 0, preflight);
	g_autoptr(Reply) session = request(f, "OPTIONS", "/whep/sess1", NULL, NULL, 0, preflight);
	g_autoptr(Reply) status = request(f, "OPTIONS", "/api/status", NULL, NULL, 0, preflight);

	/* Preflights never carry credentials, so they need no token.  WHEP
	 * answers OPTIONS 200 (draft-ietf-wish-whep-03 4.3). */
	g_assert_cmpuint(whep->status, ==, 200);
	g_assert_cmpstr(header(whep, "Access-Control-Allow-Origin"), ==, "https://kvm.example");
	g_assert_cmpstr(header(whep, "Access-Control-Allow-Methods"), ==, "GET, HEAD, OPTIONS, POST");
	g_assert_cmpstr(header(whep, "Allow"), ==, "GET, HEAD, OPTIONS, POST");
	g_assert_cmpstr(header(whep, "Access-Control-Allow-Headers"), ==,
	                "Content-Type, Authorization, If-Match");
	g_assert_cmpstr(header(whep, "Accept-Post"), ==, "application/sdp");
	/* No page sees a preflight's answer: no ICE servers there (RFC 9725
	 * 4.6), nor TURN credentials for whoever asks without the token. */
	g_assert_null(header(whep, "Link"));
	g_assert_null(header(session, "Link"));
	g_assert_cmpuint(session->status, ==, 200);
	g_assert_cmpstr(header(session, "Access-Control-Allow-Methods"), ==,
	                "GET, HEAD, OPTIONS, PATCH, DELETE");
	g_assert_cmpstr(header(session, "Accept-Patch"), ==, "application/trickle-ice-sdpfrag");
	g_assert_cmpstr(header(session, "Access-Control-Allow-Origin"), ==, "https://kvm.example");
	g_assert_null(header(session, "Accept-Post"));
	g_assert_cmpuint(status->status, ==, 204);
	g_assert_cmpstr(header(status, "Access-Control-Allow-Methods"), ==, "GET, HEAD, OPTIONS");
	g_assert_cmpuint(f->fake.creates + f->fake.patches + f->fake.deletes, ==, 0);
}

/* An OPTIONS that is no preflight, sent before the offer: the ICE servers,
 * so a client can use TURN from its first offer, for a client with the
 * token only (they carry TURN credentials). */
static void test_options_ice_servers(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) anon = request(f, "OPTIONS", "/whep", NULL, NULL, 0, NULL);
	g_autoptr(Reply) r = request(f, "OPTIONS", "/whep", NULL, NULL, 0, auth_header);

	assert_error_body(anon, 401, "this request needs an Authorization: Bearer <token> header");
	g_assert_null(header(anon, "Link"));
	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpstr(header(r, "Accept-Post"), ==, "application/sdp");
	g_assert_nonnull(strstr(soup_message_headers_get_list(soup_message_get_response_headers(r->msg),
	                                                      "Link"), "<turn:127.0.0.1:3478?transport=udp>"));
}

/* WHEP gives the endpoint and sessions no representation: GET and HEAD
 * answer 2xx without content (draft-ietf-wish-whep-03 4.1), the endpoint
 * with Content-Type: application/sdp so that players recognise it. */
static void test_get_and_head(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) get = request(f, "GET", "/whep", NULL, NULL, 0, NULL);
	g_autoptr(Reply) head = request(f, "HEAD", "/whep", NULL, NULL, 0, NULL);
	g_autoptr(Reply) session = request(f, "GET", "/whep/sess1", NULL, NULL, 0, NULL);
	g_autoptr(Reply) session_head = request(f, "HEAD", "/whep/sess1", NULL, NULL, 0, NULL);
	g_autoptr(Reply) gone = request(f, "GET", "/whep/other", NULL, NULL, 0, NULL);

	g_assert_cmpuint(get->status, ==, 200);
	g_assert_cmpstr(get->text, ==, "");
	g_assert_cmpstr(header(get, "Content-Type"), ==, "application/sdp");
	g_assert_cmpuint(head->status, ==, 200);
	g_assert_cmpstr(head->text, ==, "");
	g_assert_cmpstr(header(head, "Content-Type"), ==, "application/sdp");
	g_assert_cmpuint(session->status, ==, 204);
	g_assert_cmpstr(session->text, ==, "");
	g_assert_cmpuint(session_head->status, ==, 204);
	assert_error_body(gone, 404, "no WHEP session other");
	g_assert_cmpuint(f->fake.creates + f->fake.patches + f->fake.deletes, ==, 0);
}

/* ---- API ---- */

static void test_status_json(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) key = request(f, "POST", "/api/keyframe", NULL, NULL, 0, NULL);
	g_autoptr(Reply) r = request(f, "GET", "/api/status", NULL, NULL, 0, NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *obj;

	g_assert_cmpuint(key->status, ==, 204);
	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpstr(header(r, "Content-Type"), ==, "application/json");
	g_assert_cmpstr(header(r, "Cache-Control"), ==, "no-store");
	json_parser_load_from_data(parser, r->text, -1, &error);
	g_assert_no_error(error);
	obj = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpint(json_object_get_int_member(obj, "viewers"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(obj, "state"), ==, "streaming");
	g_assert_cmpint(json_object_get_int_member(obj, "keyframes"), ==, 1);
}

static void test_keyframe_error(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) r = NULL;

	f->fake.fail_domain = HDMIRTC_HTTP_ERROR;
	f->fake.fail_code = HDMIRTC_HTTP_ERROR_CONFLICT;
	f->fake.fail_message = "no stream is running";
	r = request(f, "POST", "/api/keyframe", NULL, NULL, 0, NULL);
	assert_error_body(r, 409, "no stream is running");
}

/* The local screen's picture, answered at once or a frame later; the
 * handler's errors as their statuses. */
static void test_display_snapshot(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) now = request(f, "GET", "/api/display/snapshot", NULL, NULL, 0, NULL);
	g_autoptr(Reply) later = NULL, no_screen = NULL, post = NULL;

	g_assert_cmpuint(now->status, ==, 200);
	g_assert_cmpstr(header(now, "Content-Type"), ==, "image/x-portable-pixmap");
	g_assert_cmpstr(header(now, "Cache-Control"), ==, "no-store");
	g_assert_cmpmem(g_bytes_get_data(now->body, NULL), g_bytes_get_size(now->body), PICTURE,
	                sizeof(PICTURE) - 1);
	f->fake.defer_ms = 100;
	later = request(f, "GET", "/api/display/snapshot", NULL, NULL, 0, NULL);
	g_assert_cmpuint(later->status, ==, 200);
	g_assert_cmpuint(g_bytes_get_size(later->body), ==, sizeof(PICTURE) - 1);

	f->fake.fail_domain = HDMIRTC_HTTP_ERROR;
	f->fake.fail_code = HDMIRTC_HTTP_ERROR_CONFLICT;
	f->fake.fail_message = "card0 has no writeback connector";
	no_screen = request(f, "GET", "/api/display/snapshot", NULL, NULL, 0, NULL);
	assert_error_body(no_screen, 409, "card0 has no writeback connector");
	post = request(f, "POST", "/api/display/snapshot", NULL, NULL, 0, NULL);
	g_assert_cmpuint(post->status, ==, 405);
	g_assert_cmpstr(header(post, "Allow"), ==, "GET, OPTIONS");
	g_assert_cmpuint(f->fake.snapshots, ==, 3);
}

/* A client that leaves, or a server freed, before the picture comes: the
 * picture answers nothing and nothing breaks. */
static void test_display_snapshot_abandoned(Fixture *f, gconstpointer data)
{
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	Reply r = { .msg = new_msg(f, "GET", "/api/display/snapshot", NULL) };

	f->fake.keep_snapshot = TRUE;
	soup_session_send_and_read_async(f->session, r.msg, G_PRIORITY_DEFAULT, cancel, on_sent, &r);
	while (!f->fake.snapshot_done)
		g_main_context_iteration(NULL, TRUE);
	g_cancellable_cancel(cancel);
	while (!r.done)
		g_main_context_iteration(NULL, TRUE);
	g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	for (guint i = 0; i < 5; i++)
		g_main_context_iteration(NULL, FALSE);
	fake_finish_snapshot(&f->fake);
	cancel_and_clear(&r, cancel);

	r = (Reply){ .msg = new_msg(f, "GET", "/api/display/snapshot", NULL) };
	g_cancellable_reset(cancel);
	soup_session_send_and_read_async(f->session, r.msg, G_PRIORITY_DEFAULT, cancel, on_sent, &r);
	while (!f->fake.snapshot_done)
		g_main_context_iteration(NULL, TRUE);
	g_clear_pointer(&f->server, hdmirtc_http_server_free);
	fake_finish_snapshot(&f->fake);
	cancel_and_clear(&r, cancel);
	g_assert_cmpuint(f->fake.snapshots, ==, 2);
}

static void test_missing_handler(void)
{
	HdmirtcHttpHandlers none = { 0 };
	HdmirtcHttpConfig cfg = { .address = "127.0.0.1" };
	Fixture f = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(Reply) r = NULL;

	f.server = hdmirtc_http_server_new(&cfg, &none, NULL, &error);
	g_assert_no_error(error);
	f.port = hdmirtc_http_server_get_port(f.server);
	f.session = soup_session_new();
	r = request(&f, "POST", "/api/keyframe", NULL, NULL, 0, NULL);
	assert_error_body(r, 501, "this service does not implement POST /api/keyframe");
	/* No CORS origin configured: no CORS headers. */
	g_assert_null(header(r, "Access-Control-Allow-Origin"));
	g_clear_pointer(&r, reply_free);
	r = request(&f, "POST", "/whep", "application/sdp", OFFER, -1, NULL);
	g_assert_cmpuint(r->status, ==, 501);
	teardown(&f, NULL);
}

/* ---- static page, 404, 405 ---- */

static void assert_page(Fixture *f, const char *path, const char *file, const char *type)
{
	g_autofree char *disk = g_build_filename(WEB_DIR, file, NULL);
	g_autofree char *want = NULL;
	gsize want_len = 0, got_len = 0;
	g_autoptr(Reply) r = request(f, "GET", path, NULL, NULL, 0, NULL);

	g_assert_true(g_file_get_contents(disk, &want, &want_len, NULL));
	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpstr(header(r, "Content-Type"), ==, type);
	g_assert_cmpstr(header(r, "Cache-Control"), ==, "no-cache");
	g_bytes_get_data(r->body, &got_len);
	g_assert_cmpmem(r->text, got_len, want, want_len);
}

static void test_static_files(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) head = request(f, "HEAD", "/", NULL, NULL, 0, NULL);

	assert_page(f, "/", "index.html", "text/html; charset=utf-8");
	assert_page(f, "/index.html", "index.html", "text/html; charset=utf-8");
	assert_page(f, "/player.js", "player.js", "text/javascript; charset=utf-8");
	assert_page(f, "/style.css", "style.css", "text/css; charset=utf-8");
	g_assert_cmpuint(head->status, ==, 200);
	g_assert_cmpstr(head->text, ==, "");
	g_assert_cmpstr(header(head, "Content-Type"), ==, "text/html; charset=utf-8");
	assert_page(f, "/whep.js", "whep.js", "text/javascript; charset=utf-8");
	assert_page(f, "/barcode.js", "barcode.js", "text/javascript; charset=utf-8");
	assert_page(f, "/janus.html", "janus.html", "text/html; charset=utf-8");
	assert_page(f, "/janus-view.js", "janus-view.js", "text/javascript; charset=utf-8");
}

/* janus.html's client comes from Debian's packages as installed: served
 * as it is on disk, or 404 without the package. */
static void test_vendor_files(Fixture *f, gconstpointer data)
{
	static const char *const files[][2] = {
		{ "/vendor/janus.js", "/usr/share/javascript/janus-gateway/janus.js" },
		{ "/vendor/adapter.js", "/usr/share/javascript/webrtc-adapter/adapter.js" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autoptr(Reply) r = request(f, "GET", files[i][0], NULL, NULL, 0, NULL);
		g_autofree char *want = NULL;
		gsize want_len = 0, got_len = 0;

		if (!g_file_get_contents(files[i][1], &want, &want_len, NULL)) {
			g_test_message("%s is not installed", files[i][1]);
			g_assert_cmpuint(r->status, ==, 404);
			continue;
		}
		g_assert_cmpuint(r->status, ==, 200);
		g_assert_cmpstr(header(r, "Content-Type"), ==, "text/javascript; charset=utf-8");
		g_bytes_get_data(r->body, &got_len);
		g_assert_cmpmem(r->text, got_len, want, want_len);
	}
}

static void test_not_found_and_bad_method(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) nope = request(f, "GET", "/nope", NULL, NULL, 0, NULL);
	g_autoptr(Reply) traversal = request(f, "GET", "/../etc/passwd", NULL, NULL, 0, NULL);
	g_autoptr(Reply) post_page = request(f, "POST", "/", "text/plain", "x", -1, NULL);
	g_autoptr(Reply) put_whep = request(f, "PUT", "/whep", "application/sdp", OFFER, -1, NULL);
	g_autoptr(Reply) put_session = request(f, "PUT", "/whep/sess1", "application/sdp", OFFER, -1, NULL);
	g_autoptr(Reply) put_status = request(f, "PUT", "/api/status", "text/plain", "x", -1, NULL);
	g_autoptr(Reply) get_key = request(f, "GET", "/api/keyframe", NULL, NULL, 0, NULL);
	g_autoptr(Reply) post_session = request(f, "POST", "/whep/sess1", "application/sdp",
	                                        OFFER, -1, NULL);

	assert_error_body(nope, 404, "nothing at /nope");
	g_assert_cmpuint(traversal->status, >=, 400);
	assert_error_body(post_page, 405, "POST is not allowed here; allowed: GET, HEAD");
	g_assert_cmpstr(header(post_page, "Allow"), ==, "GET, HEAD");
	g_assert_cmpuint(put_whep->status, ==, 405);
	g_assert_cmpstr(header(put_whep, "Allow"), ==, "GET, HEAD, OPTIONS, POST");
	g_assert_cmpuint(put_session->status, ==, 405);
	g_assert_cmpstr(header(put_session, "Allow"), ==, "GET, HEAD, OPTIONS, PATCH, DELETE");
	g_assert_cmpuint(put_status->status, ==, 405);
	g_assert_cmpstr(header(put_status, "Allow"), ==, "GET, HEAD, OPTIONS");
	g_assert_cmpuint(get_key->status, ==, 405);
	g_assert_cmpuint(post_session->status, ==, 405);
	g_assert_cmpuint(f->fake.creates + f->fake.keyframes, ==, 0);
}

/* ---- bearer token ---- */

static void test_token(Fixture *f, gconstpointer data)
{
	g_autoptr(Reply) none = request(f, "POST", "/whep", "application/sdp", OFFER, -1, NULL);
	g_autoptr(Reply) wrong = request(f, "POST", "/whep", "application/sdp", OFFER, -1,
	                                 (const char *[]){ "Authorization", "Bearer " TOKEN "x", NULL });
	g_autoptr(Reply) prefix = request(f, "GET", "/api/status", NULL, NULL, 0,
	                                  (const char *[]){ "Authorization", "Bearer s3cret", NULL });
	g_autoptr(Reply) basic = request(f, "GET", "/api/status", NULL, NULL, 0,
	                                 (const char *[]){ "Authorization", "Basic " TOKEN, NULL });
	g_autoptr(Reply) right = request(f, "POST", "/whep", "application/sdp", OFFER, -1, auth_header);
	g_autoptr(Reply) lower = request(f, "GET", "/api/status", NULL, NULL, 0,
	                                 (const char *[]){ "Authorization", "bearer " TOKEN, NULL });
	g_autoptr(Reply) del = request(f, "DELETE", "/whep/sess1", NULL, NULL, 0, NULL);
	g_autoptr(Reply) page = request(f, "GET", "/", NULL, NULL, 0, NULL);
	g_autoptr(Reply) css = request(f, "GET", "/style.css", NULL, NULL, 0, NULL);
	/* The token never goes in a URL: /stream.mjpeg takes a ticket there,
	 * nothing else takes anything. */
	g_autoptr(Reply) query = request(f, "GET", "/api/status?access_token=" TOKEN, NULL, NULL, 0, NULL);
	g_autoptr(Reply) mjpeg_token = request(f, "GET", "/stream.mjpeg?access_token=" TOKEN, NULL, NULL, 0, NULL);
	g_autoptr(Reply) ticket = request(f, "POST", "/api/mjpeg-ticket", NULL, NULL, 0, auth_header);
	g_autoptr(Reply) ticket_no_token = request(f, "POST", "/api/mjpeg-ticket", NULL, NULL, 0, NULL);
	g_autoptr(JsonNode) ticket_json = json_from_string(ticket->text, NULL);
	const char *issued = json_object_get_string_member(json_node_get_object(ticket_json), "ticket");
	g_autofree char *ticket_elsewhere_path = g_strconcat("/api/status?access_token=", issued, NULL);
	g_autoptr(Reply) ticket_elsewhere = request(f, "GET", ticket_elsewhere_path, NULL, NULL, 0, NULL);

	assert_error_body(query, 401, "a token in the URL is taken only by /stream.mjpeg, and only a ticket "
	                  "from POST /api/mjpeg-ticket: send Authorization: Bearer <token>");
	assert_error_body(mjpeg_token, 401, "the access_token is no ticket, or an expired or used one "
	                  "(POST /api/mjpeg-ticket makes one)");
	g_assert_cmpuint(ticket->status, ==, 201);
	g_assert_cmpstr(header(ticket, "Cache-Control"), ==, "no-store");
	g_assert_cmpint(json_object_get_int_member(json_node_get_object(ticket_json), "expires_in_s"), ==, 60);
	g_assert_cmpuint(strlen(issued), ==, 32);
	g_assert_cmpuint(strspn(issued, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ==, 32);
	g_assert_cmpuint(ticket_no_token->status, ==, 401);
	g_assert_cmpuint(ticket_elsewhere->status, ==, 401);
	assert_error_body(none, 401, "this request needs an Authorization: Bearer <token> header");
	g_assert_cmpstr(header(none, "WWW-Authenticate"), ==, "Bearer realm=\"hdmirtc\"");
	assert_error_body(wrong, 401, "the bearer token is wrong");
	g_assert_nonnull(strstr(header(wrong, "WWW-Authenticate"), "invalid_token"));
	g_assert_cmpuint(prefix->status, ==, 401);
	assert_error_body(basic, 401, "the Authorization header is not of the form Bearer <token>");
	g_assert_cmpuint(right->status, ==, 201);
	g_assert_cmpuint(lower->status, ==, 200);
	g_assert_cmpuint(del->status, ==, 401);
	g_assert_cmpuint(page->status, ==, 200);
	g_assert_cmpuint(css->status, ==, 200);
	g_assert_cmpuint(f->fake.creates, ==, 1);
	g_assert_cmpuint(f->fake.deletes, ==, 0);
}

/* ---- garbage on the wire ---- */

static void on_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
	gssize *n = user_data;

	*n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, NULL);
}

static void test_garbage_request(Fixture *f, gconstpointer data)
{
	static const char garbage[] = "\x01\x02 NOT HTTP\r\n\r\n";
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(Reply) after = NULL;
	char buf[512] = { 0 };
	gssize n = -2;

	g_test_expect_message("hdmirtc-http", G_LOG_LEVEL_MESSAGE,
	                      "? ? -> 400: the request could not be parsed as HTTP");
	conn = g_socket_client_connect_to_host(client, "127.0.0.1", f->port, NULL, &error);
	g_assert_no_error(error);
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), garbage,
	                          sizeof(garbage) - 1, NULL, NULL, &error);
	g_assert_no_error(error);
	g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
	                          sizeof(buf) - 1, G_PRIORITY_DEFAULT, NULL, on_read, &n);
	while (n == -2)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(n, >, 0);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_test_assert_expected_messages();
	/* libsoup's parser answers this itself (as HTTP/1.0: it saw no version). */
	g_assert_true(g_str_has_prefix(buf, "HTTP/1.0 400 ") || g_str_has_prefix(buf, "HTTP/1.1 400 "));
	/* The server is still there for the next client. */
	after = request(f, "GET", "/api/status", NULL, NULL, 0, NULL);
	g_assert_cmpuint(after->status, ==, 200);
}

/* ---- connections handed over as streams ---- */

static HdmirtcHttpServer *new_unbound_server(Fake *fake)
{
	g_autoptr(GError) error = NULL;
	HdmirtcHttpServer *server = hdmirtc_http_server_new_unbound(
		&(HdmirtcHttpConfig){ .address = "127.0.0.1", .port = 8080 }, &fake_handlers, fake, &error);

	g_assert_no_error(error);
	return server;
}

/* A client's bytes as one connection over memory streams. */
static GIOStream *stream_connect(HdmirtcHttpServer *server, const char *request)
{
	g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data(g_strdup(request), -1, g_free);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	GIOStream *stream = g_simple_io_stream_new(in, out);

	hdmirtc_http_server_accept_stream(server, stream);
	return stream;
}

/* What the server wrote, once it closed the connection. */
static char *stream_reply(GIOStream *stream)
{
	GMemoryOutputStream *out = G_MEMORY_OUTPUT_STREAM(g_io_stream_get_output_stream(stream));

	while (!g_io_stream_is_closed(stream))
		g_main_context_iteration(NULL, TRUE);
	return g_strndup(g_memory_output_stream_get_data(out), g_memory_output_stream_get_data_size(out));
}

/* A connection without a socket is not taken for one whose client left:
 * the answer that comes later (as after ICE gathering) is sent. */
static void test_stream_post(void)
{
	Fake fake = { .session_id = "sess1", .defer_ms = 20 };
	g_autoptr(HdmirtcHttpServer) server = new_unbound_server(&fake);
	g_autofree char *request = g_strdup_printf("POST /whep HTTP/1.1\r\nHost: kvm\r\n"
	                                           "Content-Type: application/sdp\r\n"
	                                           "Content-Length: %zu\r\n\r\n%s", strlen(OFFER), OFFER);
	g_autoptr(GIOStream) stream = stream_connect(server, request);
	g_autofree char *reply = stream_reply(stream);

	g_assert_true(g_str_has_prefix(reply, "HTTP/1.1 201 Created\r\n"));
	g_assert_nonnull(strstr(reply, "\r\nLocation: /whep/sess1\r\n"));
	g_assert_true(g_str_has_suffix(reply, "\r\n\r\n" ANSWER));
	g_assert_cmpstr(fake.offer, ==, OFFER);
	g_assert_cmpuint(fake.deletes, ==, 0);
	g_free(fake.offer);
	g_free(fake.arrival);
}

/* One picture to an MJPEG viewer that asked with HTTP/version. */
static char *mjpeg_reply(const char *version)
{
	static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xd9 };
	Fake fake = { .session_id = "sess1" };
	HdmirtcHttpServer *server = new_unbound_server(&fake);
	g_autofree char *request = g_strdup_printf("GET /stream.mjpeg HTTP/%s\r\nHost: kvm\r\n\r\n", version);
	g_autoptr(GIOStream) stream = stream_connect(server, request);
	g_autoptr(GBytes) picture = g_bytes_new_static(jpeg, sizeof(jpeg));

	while (hdmirtc_http_server_get_mjpeg_viewers(server) == 0)
		g_main_context_iteration(NULL, TRUE);
	hdmirtc_http_server_push_jpeg(server, picture);
	while (g_main_context_iteration(NULL, FALSE))
		;
	/* The stream never ends by itself. */
	hdmirtc_http_server_free(server);
	return stream_reply(stream);
}

static void test_mjpeg_http10(void)
{
	g_autofree char *v10 = mjpeg_reply("1.0");
	g_autofree char *v11 = mjpeg_reply("1.1");
	const char *part = "--hdmirtc-frame\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n\r\n"
	                   "\xff\xd8\xff\xd9\r\n";

	/* HTTP/1.0 has no chunked encoding: the body ends with the connection. */
	g_assert_true(g_str_has_prefix(v10, "HTTP/1.0 200 OK\r\n"));
	g_assert_null(strstr(v10, "Transfer-Encoding"));
	g_assert_nonnull(strstr(v10, "\r\nContent-Type: multipart/x-mixed-replace; boundary=hdmirtc-frame\r\n"));
	g_assert_true(g_str_has_suffix(v10, part));
	g_assert_true(g_str_has_prefix(v11, "HTTP/1.1 200 OK\r\n"));
	g_assert_nonnull(strstr(v11, "\r\nTransfer-Encoding: chunked\r\n"));
}

/* ---- config, Link values, URLs ---- */

static void test_ice_server_link(void)
{
	g_autofree char *plain = hdmirtc_http_format_ice_server_link("stun:stun.example:3478", NULL, NULL);
	g_autofree char *turn = hdmirtc_http_format_ice_server_link("turns:t.example:443?transport=tcp",
	                                                          "u\\1", "p");
	g_autofree char *half = hdmirtc_http_format_ice_server_link("turn:t.example", "u", NULL);

	g_assert_cmpstr(plain, ==, "<stun:stun.example:3478>; rel=\"ice-server\"");
	g_assert_cmpstr(turn, ==, "<turns:t.example:443?transport=tcp>; rel=\"ice-server\"; "
	                "username=\"u\\\\1\"; credential=\"p\"; credential-type=\"password\"");
	g_assert_cmpstr(half, ==, "<turn:t.example>; rel=\"ice-server\"");
	g_assert_null(hdmirtc_http_format_ice_server_link(NULL, NULL, NULL));
	g_assert_null(hdmirtc_http_format_ice_server_link("http://x", NULL, NULL));
	g_assert_null(hdmirtc_http_format_ice_server_link("turn:", NULL, NULL));
	g_assert_null(hdmirtc_http_format_ice_server_link("turn:a>b", NULL, NULL));
	g_assert_null(hdmirtc_http_format_ice_server_link("turn:a b", NULL, NULL));
	g_assert_null(hdmirtc_http_format_ice_server_link("turn:a", "u\r\nX-Evil: 1", "p"));
	g_assert_null(hdmirtc_http_format_ice_server_link("turn:a", "u", "p\n"));
}

static void assert_config_refused(const HdmirtcHttpConfig *cfg, const char *message)
{
	g_autoptr(GError) error = NULL;
	HdmirtcHttpServer *server = hdmirtc_http_server_new(cfg, &fake_handlers, NULL, &error);

	g_assert_null(server);
	g_assert_error(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_INVALID_CONFIG);
	g_assert_cmpstr(error->message, ==, message);
}

static void test_config_refused(void)
{
	const char *evil[] = { "<stun:a>; rel=\"ice-server\"\r\nSet-Cookie: x=1", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcHttpServer) first = NULL;
	HdmirtcHttpServer *second;

	assert_config_refused(&(HdmirtcHttpConfig){ .address = "kvm.local" },
	                      "HTTP address \"kvm.local\" is not an IP address");
	assert_config_refused(&(HdmirtcHttpConfig){ .address = "127.0.0.1", .port = 70000 },
	                      "HTTP port 70000 is out of range (0..65535)");
	assert_config_refused(&(HdmirtcHttpConfig){ .ice_servers = evil },
	                      "an ICE server Link value is empty or contains a control character");
	assert_config_refused(&(HdmirtcHttpConfig){ .token = "a\nb" },
	                      "the token is empty or contains a control character");

	/* A port in use: the error names the address. */
	first = hdmirtc_http_server_new(&(HdmirtcHttpConfig){ 0 }, &fake_handlers, NULL, &error);
	g_assert_no_error(error);
	second = hdmirtc_http_server_new(&(HdmirtcHttpConfig){
		.port = hdmirtc_http_server_get_port(first) }, &fake_handlers, NULL, &error);
	g_assert_null(second);
	g_assert_nonnull(error);
	g_assert_true(g_str_has_prefix(error->message, "cannot listen on 127.0.0.1 port "));
}

static void test_urls(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcHttpServer) v4 = hdmirtc_http_server_new(
		&(HdmirtcHttpConfig){ .address = "127.0.0.1" }, &fake_handlers, NULL, &error);
	g_autoptr(HdmirtcHttpServer) v6 = NULL;
	g_auto(GStrv) urls = NULL;
	g_autofree char *want = NULL;

	g_assert_no_error(error);
	urls = hdmirtc_http_server_get_urls(v4);
	want = g_strdup_printf("http://127.0.0.1:%u/", hdmirtc_http_server_get_port(v4));
	g_assert_cmpuint(g_strv_length(urls), ==, 1);
	g_assert_cmpstr(urls[0], ==, want);

	v6 = hdmirtc_http_server_new(&(HdmirtcHttpConfig){ .address = "::1" }, &fake_handlers,
	                             NULL, &error);
	if (!v6) {
		g_test_skip_printf("the IPv6 half: no IPv6 loopback here (%s)", error->message);
		return;
	}
	g_clear_pointer(&urls, g_strfreev);
	g_free(want);
	urls = hdmirtc_http_server_get_urls(v6);
	want = g_strdup_printf("http://[::1]:%u/", hdmirtc_http_server_get_port(v6));
	g_assert_cmpuint(g_strv_length(urls), ==, 1);
	g_assert_cmpstr(urls[0], ==, want);
}

/* Where a POST arrived: the connection's local address; behind a trusted
 * reverse proxy (from loopback here), the by= of the last Forwarded
 * element, or none. */
static void test_arrival_address(void)
{
	static const struct {
		gboolean trust;
		const char *forwarded;
		const char *want;       /* NULL: none */
	} cases[] = {
		{ FALSE, NULL, "127.0.0.1" },
		{ FALSE, "by=192.0.2.9", "127.0.0.1" },         /* not believed */
		{ TRUE, NULL, NULL },
		{ TRUE, "for=198.51.100.1;by=192.0.2.9", "192.0.2.9" },
		{ TRUE, "for=198.51.100.1;by=\"192.0.2.9:8443\"", "192.0.2.9" },
		{ TRUE, "for=198.51.100.1;by=\"[2001:db8::5]:443\"", "2001:db8::5" },
		{ TRUE, "by=\"2001:db8::6\"", "2001:db8::6" },
		{ TRUE, "by=\"[::ffff:192.0.2.7]\"", "192.0.2.7" },
		{ TRUE, "by=10.0.0.1, for=198.51.100.1;By=192.0.2.8", "192.0.2.8" },  /* the last element */
		{ TRUE, "by=10.0.0.1, for=198.51.100.1", NULL },
		{ TRUE, "by=unknown", NULL },
		{ TRUE, "by=_hidden", NULL },
		{ TRUE, "by=\"[2001:db8::5\"", NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		Fixture f = { 0 };
		const char *headers[] = { "Forwarded", cases[i].forwarded, NULL };

		start_server_trusting(&f, NULL, cases[i].trust);
		g_autoptr(Reply) r = request(&f, "POST", "/whep", "application/sdp", OFFER, -1,
		                             cases[i].forwarded ? headers : NULL);
		g_assert_cmpuint(r->status, ==, 201);
		g_test_message("trust %d, Forwarded %s: %s", cases[i].trust, cases[i].forwarded, f.fake.arrival);
		g_assert_cmpstr(f.fake.arrival, ==, cases[i].want);
		teardown(&f, NULL);
	}
}

#define ADD(path, func, token) \
	g_test_add(path, Fixture, token, setup, func, teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/http/whep/post-created", test_post_created, NULL);
	ADD("/http/whep/post-deferred", test_post_deferred, NULL);
	ADD("/http/whep/post-client-left", test_post_client_left, NULL);
	ADD("/http/whep/post-server-freed", test_post_server_freed, NULL);
	ADD("/http/whep/post-type-with-parameter", test_post_type_with_parameter, NULL);
	ADD("/http/whep/post-wrong-type", test_post_wrong_type, NULL);
	ADD("/http/whep/post-too-large", test_post_too_large, NULL);
	ADD("/http/whep/post-endless-body", test_post_endless_body, NULL);
	ADD("/http/whep/post-empty-or-nul", test_post_empty_or_nul, NULL);
	ADD("/http/whep/post-handler-errors", test_post_handler_errors, NULL);
	ADD("/http/whep/post-unusable-session-id", test_post_unusable_session_id, NULL);
	ADD("/http/whep/patch", test_patch, NULL);
	ADD("/http/whep/patch-if-match-list", test_patch_if_match_list, NULL);
	ADD("/http/whep/patch-errors", test_patch_errors, NULL);
	ADD("/http/whep/delete", test_delete, NULL);
	ADD("/http/whep/options", test_options, TOKEN);
	ADD("/http/whep/options-ice-servers", test_options_ice_servers, TOKEN);
	ADD("/http/whep/get-and-head", test_get_and_head, NULL);
	ADD("/http/api/status-json", test_status_json, NULL);
	ADD("/http/api/keyframe-error", test_keyframe_error, NULL);
	ADD("/http/api/display-snapshot", test_display_snapshot, NULL);
	ADD("/http/api/display-snapshot-abandoned", test_display_snapshot_abandoned, NULL);
	ADD("/http/static-files", test_static_files, NULL);
	ADD("/http/vendor-files", test_vendor_files, NULL);
	ADD("/http/not-found-and-bad-method", test_not_found_and_bad_method, NULL);
	ADD("/http/token", test_token, TOKEN);
	ADD("/http/metrics/route", test_metrics_route, TOKEN);
	g_test_add_func("/http/metrics/from-status", test_metrics_from_status);
	ADD("/http/garbage-request", test_garbage_request, NULL);
	g_test_add_func("/http/status-for-error", test_status_for_error);
	g_test_add_func("/http/missing-handler", test_missing_handler);
	g_test_add_func("/http/ice-server-link", test_ice_server_link);
	g_test_add_func("/http/config-refused", test_config_refused);
	g_test_add_func("/http/urls", test_urls);
	g_test_add_func("/http/arrival-address", test_arrival_address);
	g_test_add_func("/http/stream/post", test_stream_post);
	g_test_add_func("/http/stream/mjpeg-http10", test_mjpeg_http10);
	return g_test_run();
}
