/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "service-private.h"

#include "hdmirtc-build.h"
#include "hdmirtc/audio-capture.h"
#include "hdmirtc/sdp.h"
#include "access-token.h"
#include "https-certificate.h"
#include "media-choice.h"
#include "network-lock.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- Errors to HTTP ----------------------------------------------------- */

static HdmirtcHttpError http_code_for_status(guint status)
{
	switch (status) {
	case 400: return HDMIRTC_HTTP_ERROR_BAD_REQUEST;
	case 404: return HDMIRTC_HTTP_ERROR_NOT_FOUND;
	/* The SDP module's 406 (an offer with nothing we can send) goes out
	 * as 422: WHEP keeps 406 for counter-offers. */
	case 406: return HDMIRTC_HTTP_ERROR_UNPROCESSABLE;
	case 412: return HDMIRTC_HTTP_ERROR_PRECONDITION_FAILED;
	case 428: return HDMIRTC_HTTP_ERROR_PRECONDITION_REQUIRED;
	case 413: return HDMIRTC_HTTP_ERROR_PAYLOAD_TOO_LARGE;
	case 503: return HDMIRTC_HTTP_ERROR_TOO_MANY;
	default: return HDMIRTC_HTTP_ERROR_INTERNAL;
	}
}

static guint http_status_for_webrtc_error(const GError *error)
{
	switch (error->code) {
	case HDMIRTC_WEBRTC_ERROR_TOO_MANY_VIEWERS: return 503;
	case HDMIRTC_WEBRTC_ERROR_NOT_FOUND: return 404;
	case HDMIRTC_WEBRTC_ERROR_PRECONDITION: return 412;
	case HDMIRTC_WEBRTC_ERROR_PRECONDITION_REQUIRED: return 428;
	case HDMIRTC_WEBRTC_ERROR_BAD_FRAGMENT: return 400;
	case HDMIRTC_WEBRTC_ERROR_NETWORK: return 503;
	case HDMIRTC_WEBRTC_ERROR_CLOSED: return 503;
	default: return 500;
	}
}

/* A module's error restated in the HTTP module's domain, message kept. */
static GError *as_http_error(const GError *src)
{
	guint status = 500;

	if (src->domain == HDMIRTC_SDP_ERROR)
		status = hdmirtc_sdp_error_http_status(src);
	else if (src->domain == HDMIRTC_WEBRTC_ERROR)
		status = http_status_for_webrtc_error(src);
	return g_error_new_literal(HDMIRTC_HTTP_ERROR, http_code_for_status(status), src->message);
}

static void propagate_as_http_error(GError **dest, GError *src)
{
	g_propagate_error(dest, as_http_error(src));
	g_error_free(src);
}

/* ---- HTTP handlers (main thread) ---------------------------------------- */

static void on_viewer_answered(const char *answer, const char *id, const char *etag,
                               const GError *error, gpointer user_data)
{
	HdmirtcWhepRequest *request = user_data;

	if (error)
		hdmirtc_whep_request_fail(request, as_http_error(error));
	else
		hdmirtc_whep_request_return(request, answer, id, etag);
}

static void on_whep_create(HdmirtcWhepRequest *request, const char *offer, gsize len,
                           gpointer user_data)
{
	HdmirtcService *s = user_data;
	/* Interfaces named in the configuration are the whole list: no
	 * address beside them, wherever the POST came in. */
	const char *arrival = s->interfaces && s->interfaces[0] ? NULL :
	                      hdmirtc_whep_request_get_arrival_address(request);

	hdmirtc_webrtc_add_viewer(s->webrtc, offer, len, arrival, on_viewer_answered, request);
}

static void on_viewer_patched(const char *fragment, const char *etag, const GError *error,
                              gpointer user_data)
{
	HdmirtcWhepRequest *request = user_data;

	if (error)
		hdmirtc_whep_request_fail(request, as_http_error(error));
	else
		hdmirtc_whep_request_return_fragment(request, fragment, etag);
}

static void on_whep_patch(HdmirtcWhepRequest *request, const char *session_id,
                          const char *const *if_match, const char *body, gsize len, gpointer user_data)
{
	HdmirtcService *s = user_data;

	hdmirtc_webrtc_patch_viewer(s->webrtc, session_id, if_match, body, len, on_viewer_patched,
				    request);
}

static gboolean on_whep_delete(const char *session_id, gpointer user_data, GError **error)
{
	HdmirtcService *s = user_data;
	GError *local = NULL;

	if (!hdmirtc_webrtc_remove_viewer(s->webrtc, session_id, &local)) {
		propagate_as_http_error(error, local);
		return FALSE;
	}
	return TRUE;
}

static gboolean on_whep_exists(const char *session_id, gpointer user_data)
{
	HdmirtcService *s = user_data;

	return hdmirtc_webrtc_has_viewer(s->webrtc, session_id);
}

/* The process's memory: RSS, and the heap's bytes in use apart from its
 * free space, which tells a growing working set from fragmentation (the
 * churn soak, bench/churn.mjs, judges both). */
static void add_memory_status(JsonBuilder *b)
{
	struct mallinfo2 heap = mallinfo2();
	g_autofree char *statm = NULL;
	unsigned long pages = 0, resident = 0;

	json_builder_set_member_name(b, "memory");
	json_builder_begin_object(b);
	if (g_file_get_contents("/proc/self/statm", &statm, NULL, NULL) &&
	    sscanf(statm, "%lu %lu", &pages, &resident) == 2) {
		json_builder_set_member_name(b, "rss_kb");
		json_builder_add_int_value(b, (gint64)resident * (sysconf(_SC_PAGESIZE) / 1024));
	}
	json_builder_set_member_name(b, "heap_in_use_kb");
	json_builder_add_int_value(b, (gint64)((heap.uordblks + heap.hblkhd) / 1024));
	json_builder_set_member_name(b, "heap_free_kb");
	json_builder_add_int_value(b, (gint64)(heap.fordblks / 1024));
	json_builder_end_object(b);
}

static JsonNode *on_status(gpointer user_data)
{
	HdmirtcService *s = user_data;
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, HDMIRTC_VERSION);
	json_builder_set_member_name(b, "uptime_s");
	json_builder_add_int_value(b, (g_get_monotonic_time() - s->started_us) / G_USEC_PER_SEC);
	hdmirtc_media_pipeline_add_status(s->media, b);
	hdmirtc_webrtc_add_status(s->webrtc, b);
	hdmirtc_publisher_add_status(s->publisher, b);
	if (s->audio)
		hdmirtc_audio_pipeline_add_status(s->audio, b);
	hdmirtc_service_add_network_status(s, b);
	hdmirtc_http_server_add_status(s->http, b);
	add_memory_status(b);
	if (s->reload)
		hdmirtc_config_reload_add_status(s->reload, b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static gboolean on_keyframe(gpointer user_data, GError **error)
{
	HdmirtcService *s = user_data;

	hdmirtc_media_pipeline_request_keyframe(s->media);
	return TRUE;
}

static JsonNode *on_edid_get(gpointer user_data)
{
	HdmirtcService *s = user_data;

	return hdmirtc_media_pipeline_get_edid(s->media);
}

/* So the KVM's machine sees the same EDID after a restart: an upload is
 * the user's choice, and a changed EDID makes it re-read the modes. */
static void keep_uploaded_edid(HdmirtcService *s, const guint8 *edid, gsize size)
{
	g_autoptr(GError) error = NULL;

	if (!s->edid_store[0])
		return;
	/* Temporary file, fsync, rename: a power cut leaves the old EDID or
	 * the new one, never a truncated file (also when there was none). */
	if (g_file_set_contents_full(s->edid_store, (const char *)edid, (gssize)size,
	                             G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644,
	                             &error))
		g_message("EDID kept in %s for the next start", s->edid_store);
	else
		g_warning("the uploaded EDID is in use but will not survive a restart: %s", error->message);
}

/* An EDID uploaded before wins over the configured one; one that no
 * longer reads is left aside with a warning, never a failed start. */
static const char *edid_to_use(const HdmirtcConfig *c)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcEdid) stored = NULL;

	if (!c->edid_store[0] || !g_file_test(c->edid_store, G_FILE_TEST_EXISTS))
		return c->edid;
	stored = hdmirtc_edid_new_from_file(c->edid_store, &error);
	if (!stored) {
		g_warning("ignoring the uploaded EDID: %s", error->message);
		return c->edid;
	}
	g_message("EDID: the one uploaded before (%s)", c->edid_store);
	return c->edid_store;
}

/* Forgets the upload and loads the configured (or built-in) EDID again. */
static gboolean on_edid_delete(gpointer user_data, GError **error)
{
	HdmirtcService *s = user_data;
	g_autoptr(GError) local = NULL;
	g_autoptr(HdmirtcEdid) edid = s->edid_configured[0] ?
		hdmirtc_edid_new_from_file(s->edid_configured, &local) : hdmirtc_edid_new_default();
	gsize size = 0;
	const guint8 *data = edid ? hdmirtc_edid_get_data(edid, &size) : NULL;

	if (!edid || !hdmirtc_media_pipeline_set_edid(s->media, data, size, &local)) {
		g_set_error(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_INTERNAL,
			    "the configured EDID cannot be loaded again: %s", local->message);
		return FALSE;
	}
	if (s->edid_store[0] && g_unlink(s->edid_store) == 0)
		g_message("EDID upload forgotten (%s removed)", s->edid_store);
	return TRUE;
}

static gboolean on_edid_put(const guint8 *edid, gsize size, gpointer user_data, GError **error)
{
	HdmirtcService *s = user_data;
	GError *local = NULL;

	if (hdmirtc_media_pipeline_set_edid(s->media, edid, size, &local)) {
		keep_uploaded_edid(s, edid, size);
		return TRUE;
	}
	g_set_error_literal(error, HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_BAD_REQUEST, local->message);
	g_error_free(local);
	return FALSE;
}

static void on_jpeg(GBytes *jpeg, gpointer user_data)
{
	HdmirtcService *s = user_data;

	if (s->http)
		hdmirtc_http_server_push_jpeg(s->http, jpeg);
}

static void on_mjpeg_viewers_changed(guint n, gpointer user_data)
{
	HdmirtcService *s = user_data;

	hdmirtc_media_pipeline_set_jpeg(s->media, n > 0, on_jpeg, s);
}

typedef struct {
	void (*done)(GBytes *picture, const GError *error, gpointer done_data);
	gpointer done_data;
} SnapshotReply;

static HdmirtcHttpError http_error_for(const GError *error)
{
	switch (error->code) {
	case HDMIRTC_DISPLAY_ERROR_NOT_FOUND: return HDMIRTC_HTTP_ERROR_NOT_FOUND;
	case HDMIRTC_DISPLAY_ERROR_NO_WRITEBACK: return HDMIRTC_HTTP_ERROR_CONFLICT;
	case HDMIRTC_DISPLAY_ERROR_TIMED_OUT: return HDMIRTC_HTTP_ERROR_TOO_MANY;   /* 503: try again */
	default: return HDMIRTC_HTTP_ERROR_INTERNAL;
	}
}

static void on_display_snapshot_done(GBytes *picture, const GError *error, gpointer data)
{
	SnapshotReply *r = data;
	g_autoptr(GError) http = error ? g_error_new_literal(HDMIRTC_HTTP_ERROR, http_error_for(error),
	                                                     error->message) : NULL;

	r->done(picture, http, r->done_data);
	g_free(r);
}

static void on_display_snapshot(void (*done)(GBytes *picture, const GError *error, gpointer done_data),
                                gpointer done_data, gpointer user_data)
{
	HdmirtcService *s = user_data;
	HdmirtcDisplay *display = hdmirtc_media_pipeline_get_display(s->media);
	SnapshotReply *r;

	if (!display) {
		g_autoptr(GError) error = g_error_new_literal(HDMIRTC_HTTP_ERROR, HDMIRTC_HTTP_ERROR_NOT_FOUND,
		                                              "no local screen (the display option is empty)");

		done(NULL, error, done_data);
		return;
	}
	r = g_new0(SnapshotReply, 1);
	*r = (SnapshotReply){ done, done_data };
	hdmirtc_display_snapshot(display, s->ctx, on_display_snapshot_done, r);
}

static const HdmirtcHttpHandlers http_handlers = {
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
	.display_snapshot = on_display_snapshot,
};

/* ---- Wiring ------------------------------------------------------------- */

static void on_access_unit(HdmirtcAccessUnit *au, gpointer user_data)
{
	HdmirtcService *s = user_data;

	hdmirtc_webrtc_send_access_unit(s->webrtc, au);
}

static void on_keyframe_request(gpointer user_data)
{
	HdmirtcService *s = user_data;

	hdmirtc_media_pipeline_request_keyframe(s->media);
}

static gboolean start_media(HdmirtcService *s, const HdmirtcConfig *c, GError **error)
{
	HdmirtcMediaPipelineConfig mc = {
		.source = hdmirtc_config_source_to_string(c->source),
		.device = c->device,
		.camera = c->camera,
		.csi_lanes = c->csi_lanes,
		.capture_fourcc = hdmirtc_media_capture_fourcc(c->capture_format),
		.edid = edid_to_use(c),
		.capture = { .width = c->width, .height = c->height, .fps = c->fps },
		.encoder = hdmirtc_config_encoder_to_string(c->encoder),
		.output_lock = s->network_lock,
		.display = c->display,
		.encode = {
			.width = c->width, .height = c->height, .fps = c->fps,
			.bitrate_kbps = c->bitrate_kbps,
			.keyframe_interval = c->keyframe_interval,
			.profile_idc = 66,
			.constraint_flags = 0xc0,   /* constrained baseline: 42e0xx */
			.first_parts = c->x264_early_slices,
			.slice_threads = c->x264_threads,
		},
	};

	s->media = hdmirtc_media_pipeline_new(&mc, s->ctx, on_access_unit, s, error);
	return s->media != NULL;
}

static guint hdmi_audio_rate(gpointer user_data)
{
	HdmirtcService *s = user_data;

	return hdmirtc_media_pipeline_get_hdmi_audio_rate(s->media);
}

static void on_listeners(guint listeners, gpointer user_data)
{
	HdmirtcService *s = user_data;

	if (s->audio)
		hdmirtc_audio_pipeline_set_listeners(s->audio, listeners);
}

static void on_audio_packet(const HdmirtcAudioPacket *pkt, gpointer user_data)
{
	HdmirtcService *s = user_data;

	hdmirtc_webrtc_send_audio(s->webrtc, pkt);
}

/* The bridge's I2S card: its codec driver names it after the bridge. */
#define BRIDGE_CARD "tc358743"

/* auto: the bridge's card when there is one, else the tone; alsa without
 * a device: the bridge's card, waited for if it is not there yet. */
static gboolean start_audio(HdmirtcService *s, const HdmirtcConfig *c, GError **error)
{
	/* The sound cards are only looked through when a card may be used. */
	gboolean card_wanted = c->audio == HDMIRTC_CONFIG_AUDIO_ALSA || c->audio == HDMIRTC_CONFIG_AUDIO_AUTO;
	g_autofree char *card = !card_wanted ? NULL : c->audio_device[0] ? g_strdup(c->audio_device) :
	                        hdmirtc_alsa_find_card(BRIDGE_CARD);
	gboolean alsa = c->audio == HDMIRTC_CONFIG_AUDIO_ALSA || card;
	HdmirtcAudioPipelineConfig ac = {
		.source = alsa ? "alsa" : "tone",
		.device = alsa ? (card ? card : "hw:CARD=" BRIDGE_CARD) : NULL,
		.frame_ms = c->audio_frame_ms,
		.bitrate_kbps = c->audio_bitrate_kbps,
		.source_rate = hdmi_audio_rate,
		.source_rate_data = s,
		.output_lock = s->network_lock,
	};

	if (c->audio == HDMIRTC_CONFIG_AUDIO_NONE)
		return TRUE;
	s->audio = hdmirtc_audio_pipeline_new(&ac, s->ctx, on_audio_packet, s, error);
	return s->audio != NULL;
}

static gboolean start_webrtc(HdmirtcService *s, const HdmirtcConfig *c, GError **error)
{
	HdmirtcWebrtcConfig wc = {
		.max_viewers = c->max_viewers,
		.certificate_path = c->certificate,
		.prefer_dtls_server = c->dtls_role == HDMIRTC_CONFIG_DTLS_SERVER,
		.keyframe_min_interval_ms = c->keyframe_min_interval_ms,
		.udp_port_min = c->udp_port_min,
		.udp_port_max = c->udp_port_max,
		.ipv6 = c->ipv6,
		.ice_tcp = c->ice_tcp,
		.public_addresses = (const char *const *)c->public_addresses,
		.turn_tls_ca = c->turn_tls_ca,
		.turn_tls_verify = c->turn_tls_verify,
		.audio = c->audio != HDMIRTC_CONFIG_AUDIO_NONE,
		.send_priority = c->send_priority,
	};

	if (!hdmirtc_service_choose_addresses(s, c, error))
		return FALSE;
	if (s->choice && s->choice->addresses[0])
		wc.local_addresses = (const char *const *)s->choice->addresses;
	s->public_addresses = g_strdupv(c->public_addresses);
	s->webrtc = hdmirtc_webrtc_new(s->ctx, &wc, on_keyframe_request, s, error);
	if (s->webrtc)
		hdmirtc_webrtc_set_listeners_func(s->webrtc, on_listeners, s);
	return s->webrtc != NULL;
}

/* The page reads the token from the fragment, which browsers never send:
 * the URL to open carries it to the page alone. */
static GStrv urls_with_token(GStrv urls, const char *token)
{
	for (char **u = urls; token && *u; u++) {
		char *with = g_strconcat(*u, "#token=", token, NULL);

		g_free(*u);
		*u = with;
	}
	return urls;
}

static gboolean start_http(HdmirtcService *s, const HdmirtcConfig *c, GError **error)
{
	g_auto(GStrv) links = hdmirtc_service_ice_links(s);
	g_autoptr(GTlsCertificate) tls = NULL;
	g_autofree char *token = hdmirtc_access_token_resolve(c, error);
	HdmirtcHttpConfig hc = {
		.address = c->http_address,
		.port = c->http_port,
		.cors_origin = c->cors_origin,
		.ice_servers = (const char *const *)links,
		.max_sessions_per_address = c->max_viewers_per_address ? c->max_viewers_per_address
		                                                       : MAX(1, c->max_viewers / 2),
		.unix_socket = c->unix_socket,
		.trust_forwarded = c->reverse_proxy,
	};

	if (!token && !c->open_access)
		return FALSE;
	if (c->tls && !c->reverse_proxy) {
		g_autofree char *fingerprint = NULL;

		tls = hdmirtc_https_certificate_load(c, error);
		if (!tls)
			return FALSE;
		fingerprint = hdmirtc_https_certificate_fingerprint(tls);
		g_message("HTTPS certificate %s, SHA-256 %s", c->tls_certificate, fingerprint);
	}
	if (c->open_access)
		g_message("open access: no token asked for, as configured");
	hc.token = token;
	hc.tls_certificate = tls;
	s->http = hdmirtc_http_server_new(&hc, &http_handlers, s, error);
	if (!s->http)
		return FALSE;
	s->urls = urls_with_token(hdmirtc_http_server_get_urls(s->http), token);
	return TRUE;
}

static void start_publishing(HdmirtcService *s, const HdmirtcConfig *c)
{
	HdmirtcPublishConfig pc = {
		.janus_urls = (const char *const *)c->janus_urls,
		.mountpoint = c->janus_mountpoint,
		.admin_key = c->janus_admin_key,
		.secret = c->janus_secret,
		.audio = s->audio != NULL,
		.viewer_url = c->janus_viewer_url,
		.whip_urls = (const char *const *)c->whip_urls,
		.whip_tokens = (const char *const *)c->whip_tokens,
	};

	s->publisher = hdmirtc_publisher_new(s->webrtc, &pc);
}

HdmirtcService *hdmirtc_service_new(const HdmirtcConfig *config, GError **error)
{
	HdmirtcService *s = g_new0(HdmirtcService, 1);

	s->ctx = g_main_context_ref_thread_default();
	s->network_lock = hdmirtc_network_lock_hold(s->ctx);
	s->started_us = g_get_monotonic_time();
	s->cancellable = g_cancellable_new();
	s->stun_server = g_strdup(config->stun_server);
	s->edid_store = g_strdup(config->edid_store);
	s->edid_configured = g_strdup(config->edid);
	if (!start_webrtc(s, config, error) || !start_media(s, config, error) ||
	    !start_audio(s, config, error)) {
		hdmirtc_service_free(s);
		return NULL;
	}
	start_publishing(s, config);
	hdmirtc_service_start_network(s, config);
	if (!start_http(s, config, error)) {
		hdmirtc_service_free(s);
		return NULL;
	}
	return s;
}

void hdmirtc_service_free(HdmirtcService *s)
{
	if (!s)
		return;
	if (s->reload_source)
		g_source_remove(s->reload_source);
	hdmirtc_config_reload_free(s->reload);
	hdmirtc_service_stop_network(s);
	hdmirtc_http_server_free(s->http);
	hdmirtc_publisher_free(s->publisher);
	hdmirtc_audio_pipeline_free(s->audio);
	hdmirtc_media_pipeline_free(s->media);
	hdmirtc_webrtc_free(s->webrtc);
	g_strfreev(s->urls);
	g_free(s->stun_server);
	g_free(s->edid_store);
	g_free(s->edid_configured);
	hdmirtc_net_choice_free(s->choice);
	g_strfreev(s->public_addresses);
	if (s->network_lock)
		hdmirtc_network_lock_release();
	g_main_context_unref(s->ctx);
	g_free(s);
}

const char *const *hdmirtc_service_get_urls(HdmirtcService *s)
{
	return (const char *const *)s->urls;
}

static gboolean on_sighup(gpointer user_data)
{
	HdmirtcService *s = user_data;

	hdmirtc_config_reload_run(s->reload);
	return G_SOURCE_CONTINUE;
}

void hdmirtc_service_watch_reload(HdmirtcService *s, const HdmirtcConfig *config, char **argv)
{
	g_return_if_fail(s->reload == NULL);
	s->reload = hdmirtc_config_reload_new(s, config, argv);
	s->reload_source = g_unix_signal_add(SIGHUP, on_sighup, s);
}
