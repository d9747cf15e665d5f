/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-http - the bytes a client sends on one connection (request line,
 * headers, body), served by a real HdmirtcHttpServer: libsoup's parser,
 * the body limit, the bearer token check, the routing and every route's
 * body handling.  The connection is a pair of memory streams handed over
 * with hdmirtc_http_server_accept_stream(), so no socket is involved.
 *
 * The handlers stand in for the service's (src/service/service.c) without
 * a WebRTC stack: the offer is parsed and answered with the SDP module as
 * hdmirtc_webrtc_add_viewer() does, the answer coming later from the main
 * loop as after ICE gathering; a PATCH is checked as
 * viewer-negotiation.c checks it; an EDID upload is validated as the
 * capture module validates it; status is JSON of the service's shape. */
#include <hdmirtc/capture.h>
#include <hdmirtc/http.h>
#include <hdmirtc/sdp.h>

#include "fuzz-quiet-log.h"

#include <string.h>

#define TOKEN "fuzz-Token.1"
#define SESSION "s1"
#define ETAG "e1"
#define SESSION_MID "0"
/* Main context iterations one input may take: a few per 8 kB read or
 * written, so a 64 kB body needs well under a hundred.  Reaching this
 * means something spins. */
#define MAX_ITERATIONS 100000
/* MJPEG pictures pushed to a viewer before the connection is dropped. */
#define MJPEG_PICTURES 2

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);

/* libsoup before 3.5.2 leaks the request path of a request whose
 * Content-Length or Transfer-Encoding it cannot read (upstream commit
 * 450d43c4, "Fix memory leak in error path"; Debian 12 has 3.2.3).  The
 * fuzzer finds it within seconds and would find nothing else; it is
 * libsoup's allocation, never ours (corpus: regress-libsoup-leak-*). */
/* GLib's quark table grows by moving to a larger block and leaving the
 * old one for readers that may still hold it (quarks are never freed, by
 * design): a block that nothing points to at exit, from GLib's
 * constructor (_dl_init, 16 kB) or from whatever made the quark that
 * filled it (libsoup interns header names: g_intern_string, 32 kB).
 * Seen in the exit-time check of hour-long runs only; never ours. */
const char *__lsan_default_suppressions(void)
{
	return "leak:soup_headers_parse_request\n"
	       "leak:_dl_init\nleak:g_intern_string\nleak:g_intern_static_string\n"
	       "leak:g_quark_from_string\nleak:g_quark_from_static_string\n";
}

/* The suppression needs the allocation's callers, which the fast unwinder
 * loses in GLib (built without frame pointers): unwind slowly, but only
 * as deep as that takes (about half the speed of the fast unwinder). */
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0:malloc_context_size=8";
}

typedef struct {
	HdmirtcHttpServer *server;
	HdmirtcWhepRequest *pending;    /* a POST waiting for its "gathering" */
	char *pending_answer;           /* its answer, NULL to fail it */
	gboolean restart_pending;       /* pending is a PATCH's ICE restart */
	char *remote_ufrag;             /* the session's current remote ufrag */
	guint mjpeg_viewers;
} Service;

static Service service;

/* ---- errors as the service restates them (service.c) ---- */

static GError *http_error(guint status, const char *message)
{
	HdmirtcHttpError code;

	switch (status) {
	case 400: code = HDMIRTC_HTTP_ERROR_BAD_REQUEST; break;
	case 404: code = HDMIRTC_HTTP_ERROR_NOT_FOUND; break;
	case 406: code = HDMIRTC_HTTP_ERROR_UNPROCESSABLE; break;
	case 412: code = HDMIRTC_HTTP_ERROR_PRECONDITION_FAILED; break;
	case 413: code = HDMIRTC_HTTP_ERROR_PAYLOAD_TOO_LARGE; break;
	case 428: code = HDMIRTC_HTTP_ERROR_PRECONDITION_REQUIRED; break;
	case 503: code = HDMIRTC_HTTP_ERROR_TOO_MANY; break;
	default: code = HDMIRTC_HTTP_ERROR_INTERNAL; break;
	}
	return g_error_new_literal(HDMIRTC_HTTP_ERROR, code, message);
}

static GError *from_sdp_error(GError *sdp)
{
	GError *error = http_error(hdmirtc_sdp_error_http_status(sdp), sdp->message);

	g_error_free(sdp);
	return error;
}

/* ---- WHEP ---- */

static void on_whep_create(HdmirtcWhepRequest *request, const char *offer_text, gsize len,
                           gpointer user_data)
{
	static const char *const candidates[] = {
		"candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host", NULL
	};
	const HdmirtcSdpLocalParams params = {
		.session_id = 1, .session_version = 1,
		.ice_ufrag = "abcd", .ice_pwd = "abcdefghijklmnopqrstuv",
		.fingerprint = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
		               "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
		.candidates = candidates, .gathering_complete = TRUE,
		.ssrc = 1, .cname = "fuzz", .stream_id = "s", .track_id = "t",
		.transport_cc = TRUE,
	};
	Service *s = user_data;
	GError *error = NULL;
	g_autoptr(HdmirtcSdpOffer) offer = hdmirtc_sdp_offer_parse(offer_text, len, &error);
	char *answer = offer ? hdmirtc_sdp_answer_build(offer, &params, &error) : NULL;

	/* A bad offer is refused at once; a good one is answered from the
	 * main loop, once "gathering" is done. */
	if (!answer) {
		hdmirtc_whep_request_fail(request, from_sdp_error(error));
		return;
	}
	g_assert(!s->pending);
	s->pending = request;
	s->pending_answer = answer;
}

static void on_whep_patch(HdmirtcWhepRequest *request, const char *session_id,
                          const char *const *if_match, const char *body, gsize len,
                          gpointer user_data)
{
	Service *s = user_data;
	GError *error = NULL;
	g_autoptr(HdmirtcSdpFrag) frag = NULL;
	const char *ufrag = NULL;
	gboolean matched = FALSE;

	if (strcmp(session_id, SESSION) != 0) {
		hdmirtc_whep_request_fail(request, http_error(404, "no viewer session"));
		return;
	}
	if (!if_match) {
		hdmirtc_whep_request_fail(request, http_error(428, "a PATCH needs If-Match"));
		return;
	}
	for (const char *const *tag = if_match; *tag; tag++)
		matched = matched || strcmp(*tag, "*") == 0 || strcmp(*tag, ETAG) == 0;
	if (!matched) {
		hdmirtc_whep_request_fail(request, http_error(412, "If-Match does not name the ETag"));
		return;
	}
	frag = hdmirtc_sdp_frag_parse(body, len, &error);
	if (!frag) {
		hdmirtc_whep_request_fail(request, from_sdp_error(error));
		return;
	}
	ufrag = frag->ice_ufrag;
	for (guint i = 0; i < frag->media->len; i++) {
		HdmirtcSdpFragMedia *m = frag->media->pdata[i];

		if (m->mid && strcmp(m->mid, SESSION_MID) != 0) {
			hdmirtc_whep_request_fail(request, http_error(400, "fragment names another mid"));
			return;
		}
		if (!ufrag)
			ufrag = m->ice_ufrag;
	}
	if (!ufrag || strcmp(ufrag, s->remote_ufrag) == 0) {
		hdmirtc_whep_request_return_fragment(request, NULL, NULL);
		return;
	}
	/* A new ufrag: an ICE restart, answered after "gathering". */
	g_assert(!s->pending);
	s->pending = request;
	s->restart_pending = TRUE;
	g_free(s->remote_ufrag);
	s->remote_ufrag = g_strdup(ufrag);
}

static void finish_pending(Service *s)
{
	static const char *const candidates[] = {
		"candidate:2 1 udp 2130706431 192.0.2.1 40002 typ host", NULL
	};
	const HdmirtcSdpRestartParams params = {
		.ice_ufrag = "efgh", .ice_pwd = "vutsrqponmlkjihgfedcba", .mid = SESSION_MID,
		.payload_type = 96, .candidates = candidates, .gathering_complete = TRUE,
	};
	HdmirtcWhepRequest *request = g_steal_pointer(&s->pending);
	g_autofree char *answer = g_steal_pointer(&s->pending_answer);
	g_autofree char *fragment = NULL;

	if (s->restart_pending) {
		s->restart_pending = FALSE;
		fragment = hdmirtc_sdp_restart_fragment_build(&params, NULL);
		g_assert(fragment);
		hdmirtc_whep_request_return_fragment(request, fragment, "e2");
	} else {
		hdmirtc_whep_request_return(request, answer, SESSION, ETAG);
	}
}

static gboolean on_whep_delete(const char *session_id, gpointer user_data, GError **error)
{
	if (strcmp(session_id, SESSION) == 0)
		return TRUE;
	g_propagate_error(error, http_error(404, "no viewer session"));
	return FALSE;
}

static gboolean on_whep_exists(const char *session_id, gpointer user_data)
{
	return strcmp(session_id, SESSION) == 0;
}

/* ---- API ---- */

static JsonNode *on_status(gpointer user_data)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, "0.1 \"fuzz\"\n");
	json_builder_set_member_name(b, "uptime_s");
	json_builder_add_int_value(b, 7);
	json_builder_set_member_name(b, "encoder");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "fps");
	json_builder_add_double_value(b, 29.97);
	json_builder_set_member_name(b, "running");
	json_builder_add_boolean_value(b, TRUE);
	json_builder_set_member_name(b, "error");
	json_builder_add_null_value(b);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "viewers");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, SESSION);
	json_builder_set_member_name(b, "frames_sent");
	json_builder_add_int_value(b, 3);
	json_builder_end_object(b);
	json_builder_add_int_value(b, 4);
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static gboolean on_keyframe(gpointer user_data, GError **error)
{
	return TRUE;
}

static JsonNode *on_edid_get(gpointer user_data)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "source");
	json_builder_add_string_value(b, "built-in");
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static gboolean on_edid_put(const guint8 *edid, gsize size, gpointer user_data, GError **error)
{
	GError *local = NULL;

	if (hdmirtc_edid_validate(edid, size, "the uploaded EDID", &local))
		return TRUE;
	g_propagate_error(error, http_error(400, local->message));
	g_error_free(local);
	return FALSE;
}

static gboolean on_edid_delete(gpointer user_data, GError **error)
{
	return TRUE;
}

static void on_mjpeg_viewers_changed(guint n, gpointer user_data)
{
	Service *s = user_data;

	s->mjpeg_viewers = n;
}

static const HdmirtcHttpHandlers handlers = {
	.whep_create = on_whep_create,
	.whep_patch = on_whep_patch,
	.whep_delete = on_whep_delete,
	.whep_exists = on_whep_exists,
	.status = on_status,
	.keyframe = on_keyframe,
	.edid_get = on_edid_get,
	.edid_put = on_edid_put,
	.edid_delete = on_edid_delete,
	.mjpeg_viewers_changed = on_mjpeg_viewers_changed,
};

/* ---- driving one connection ---- */

static GMainContext *init_once(void)
{
	static GMainContext *context;

	if (!context) {
		fuzz_quiet_log();
		context = g_main_context_new();
		g_main_context_push_thread_default(context);
	}
	return context;
}

/* Once the server waits for nothing the client sent, do what the service
 * would do next: answer the pending WHEP request, send an MJPEG picture.
 * FALSE when nothing is left to do. */
static gboolean service_step(Service *s, guint *pictures)
{
	static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xd9 };

	if (s->pending) {
		finish_pending(s);
		return TRUE;
	}
	if (s->mjpeg_viewers > 0 && *pictures < MJPEG_PICTURES) {
		g_autoptr(GBytes) picture = g_bytes_new_static(jpeg, sizeof(jpeg));

		hdmirtc_http_server_push_jpeg(s->server, picture);
		(*pictures)++;
		return TRUE;
	}
	return FALSE;
}

static void run(GMainContext *context, GIOStream *stream)
{
	guint pictures = 0;

	for (guint i = 0; !g_io_stream_is_closed(stream); i++) {
		if (i == MAX_ITERATIONS)
			g_error("the connection is still busy after %u main loop iterations", i);
		if (!g_main_context_iteration(context, FALSE) && !service_step(&service, &pictures))
			break;
	}
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	static const char *const links[] = {
		"<stun:192.0.2.1:3478>; rel=\"ice-server\"",
		"<turn:192.0.2.1:3478?transport=udp>; rel=\"ice-server\"; username=\"u\"; "
		"credential=\"p\"; credential-type=\"password\"",
		NULL
	};
	const HdmirtcHttpConfig cfg = {
		.address = "127.0.0.1", .port = 8080, .token = TOKEN,
		.cors_origin = "https://kvm.example", .ice_servers = links, .retry_after_s = 7,
		/* The stream's peer is 127.0.0.1: X-Forwarded-For is parsed. */
		.trust_forwarded = TRUE,
	};
	GMainContext *context = init_once();
	g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data(data, (gssize)size, NULL);
	g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
	g_autoptr(GIOStream) stream = g_simple_io_stream_new(in, out);

	service = (Service){ .remote_ufrag = g_strdup("browser0") };
	service.server = hdmirtc_http_server_new_unbound(&cfg, &handlers, &service, NULL);
	g_assert(service.server);
	hdmirtc_http_server_accept_stream(service.server, stream);
	run(context, stream);
	/* What is still open (an MJPEG viewer, a request the service never
	 * answered) is dropped with the server, as when the service stops. */
	hdmirtc_http_server_free(service.server);
	if (service.pending)
		finish_pending(&service);
	for (guint i = 0; g_main_context_iteration(context, FALSE); i++) {
		if (i == MAX_ITERATIONS)
			g_error("the main loop is still busy after the server was freed");
	}
	g_free(service.remote_ufrag);
	return 0;
}
