/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "service.h"

#include "hdmirtc-build.h"
#include "hdmirtc/http.h"
#include "hdmirtc/net.h"
#include "hdmirtc/sdp.h"
#include "hdmirtc/webrtc.h"
#include "media-pipeline.h"

#include <string.h>

/* Retries of the STUN and TURN name lookups and the STUN probe. */
#define RETRY_FIRST_S 2
#define RETRY_MAX_S 60
/* Consecutive failed STUN probes after which viewers stop asking libnice
 * for server-reflexive candidates (each would delay its answer). */
#define STUN_FAILURES_BEFORE_OFF 2

typedef struct {
	HdmirtcService *s;
	char *url;                      /* as configured */
	HdmirtcConfigTurnServer server;
	char *address;                  /* resolved IP, NULL until known */
	char *error;
	GSource *retry;                 /* name lookup retry timer */
} TurnServer;

struct HdmirtcService {
	GMainContext *ctx;
	gint64 started_us;
	HdmirtcMediaPipeline *media;
	HdmirtcWebrtc *webrtc;
	HdmirtcHttpServer *http;
	GStrv urls;
	GCancellable *cancellable;      /* name lookups */
	char *stun_server;              /* as configured, for status */
	char *stun_address;             /* resolved, NULL until known */
	char *stun_error;
	char *stun_external;            /* "ip:port" the STUN server saw, NULL until known */
	HdmirtcStunProbe *stun_probe;
	guint stun_retry_s;
	guint stun_retry_source;
	HdmirtcNetChoice *choice;       /* the addresses gathered on */
	GStrv public_addresses;
	GPtrArray *turn;                /* TurnServer*, owned */
	const char *turn_username;
	const char *turn_password;
};

/* ---- Errors to HTTP ----------------------------------------------------- */

static HdmirtcHttpError http_code_for_status(guint status)
{
	switch (status) {
	case 400: return HDMIRTC_HTTP_ERROR_BAD_REQUEST;
	case 404: return HDMIRTC_HTTP_ERROR_NOT_FOUND;
	case 406: return HDMIRTC_HTTP_ERROR_NOT_ACCEPTABLE;
	case 412: return HDMIRTC_HTTP_ERROR_PRECONDITION_FAILED;
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

	hdmirtc_webrtc_add_viewer(s->webrtc, offer, len, on_viewer_answered, request);
}

static gboolean on_whep_patch(const char *session_id, const char *if_match, const char *body,
                              gsize len, char **response, char **etag, gpointer user_data,
                              GError **error)
{
	HdmirtcService *s = user_data;
	GError *local = NULL;

	if (!hdmirtc_webrtc_patch_viewer(s->webrtc, session_id, if_match, body, len, &local)) {
		propagate_as_http_error(error, local);
		return FALSE;
	}
	return TRUE;
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

static void add_string_member(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value);
}

static void add_strv_member(JsonBuilder *b, const char *name, const char *const *values)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; values && values[i]; i++)
		json_builder_add_string_value(b, values[i]);
	json_builder_end_array(b);
}

static const char *stun_state(HdmirtcService *s)
{
	if (!s->stun_server || !s->stun_server[0])
		return "off";
	if (s->stun_external)
		return "ok";
	if (s->stun_error)
		return "failed";
	return s->stun_address ? "probing" : "resolving";
}

static void add_turn_status(HdmirtcService *s, JsonBuilder *b)
{
	json_builder_set_member_name(b, "turn");
	json_builder_begin_array(b);
	for (guint i = 0; i < s->turn->len; i++) {
		TurnServer *t = s->turn->pdata[i];
		json_builder_begin_object(b);
		add_string_member(b, "url", t->url);
		add_string_member(b, "address", t->address);
		add_string_member(b, "error", t->error);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void add_network_status(HdmirtcService *s, JsonBuilder *b)
{
	json_builder_set_member_name(b, "network");
	json_builder_begin_object(b);
	add_strv_member(b, "interfaces", s->choice ? (const char *const *)s->choice->interfaces : NULL);
	add_strv_member(b, "addresses", s->choice ? (const char *const *)s->choice->addresses : NULL);
	add_string_member(b, "address_choice", s->choice ? s->choice->reason : "libnice default");
	add_strv_member(b, "public_addresses", (const char *const *)s->public_addresses);
	add_string_member(b, "stun_server", s->stun_server);
	add_string_member(b, "stun_state", stun_state(s));
	add_string_member(b, "stun_address", s->stun_address);
	add_string_member(b, "stun_external_address", s->stun_external);
	add_string_member(b, "stun_error", s->stun_error);
	add_turn_status(s, b);
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
	add_network_status(s, b);
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

static gboolean on_edid_put(const guint8 *edid, gsize size, gpointer user_data, GError **error)
{
	HdmirtcService *s = user_data;
	GError *local = NULL;

	if (hdmirtc_media_pipeline_set_edid(s->media, edid, size, &local))
		return TRUE;
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

static const HdmirtcHttpHandlers http_handlers = {
	.whep_create = on_whep_create,
	.whep_patch = on_whep_patch,
	.whep_delete = on_whep_delete,
	.status = on_status,
	.keyframe = on_keyframe,
	.edid_get = on_edid_get,
	.edid_put = on_edid_put,
	.mjpeg_viewers_changed = on_mjpeg_viewers_changed,
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
		.edid = c->edid,
		.capture = { .width = c->width, .height = c->height, .fps = c->fps },
		.encoder = hdmirtc_config_encoder_to_string(c->encoder),
		.encode = {
			.width = c->width, .height = c->height, .fps = c->fps,
			.bitrate_kbps = c->bitrate_kbps,
			.keyframe_interval = c->keyframe_interval,
			.profile_idc = 66,
			.constraint_flags = 0xc0,   /* constrained baseline: 42e0xx */
		},
	};

	s->media = hdmirtc_media_pipeline_new(&mc, s->ctx, on_access_unit, s, error);
	return s->media != NULL;
}

/* The interfaces of the default routes (or the configured ones), read
 * from the kernel.  A configured interface without an address is an
 * error; an automatic choice that finds nothing leaves it to libnice. */
static gboolean choose_addresses(HdmirtcService *s, const HdmirtcConfig *c, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_read(&local);

	if (!state) {
		g_warning("cannot read the network configuration: %s; gathering on every address",
			  local->message);
		return TRUE;
	}
	s->choice = hdmirtc_net_choose(state, (const char *const *)c->interfaces, c->ipv6, error);
	if (!s->choice)
		return FALSE;
	g_autofree char *ifaces = g_strjoinv(", ", s->choice->interfaces);
	g_autofree char *addrs = g_strjoinv(", ", s->choice->addresses);
	if (!s->choice->addresses[0])
		g_warning("no usable network address (%s); gathering on every address", s->choice->reason);
	else
		g_message("ICE candidates on %s (%s): %s", ifaces, s->choice->reason, addrs);
	return TRUE;
}

static gboolean start_webrtc(HdmirtcService *s, const HdmirtcConfig *c, GError **error)
{
	HdmirtcWebrtcConfig wc = {
		.max_viewers = c->max_viewers,
		.certificate_path = c->certificate,
		.keyframe_min_interval_ms = c->keyframe_min_interval_ms,
		.udp_port_min = c->udp_port_min,
		.udp_port_max = c->udp_port_max,
		.ipv6 = c->ipv6,
		.public_addresses = (const char *const *)c->public_addresses,
	};

	if (!choose_addresses(s, c, error))
		return FALSE;
	if (s->choice && s->choice->addresses[0])
		wc.local_addresses = (const char *const *)s->choice->addresses;
	s->public_addresses = g_strdupv(c->public_addresses);
	s->webrtc = hdmirtc_webrtc_new(s->ctx, &wc, on_keyframe_request, s, error);
	return s->webrtc != NULL;
}

static void start_stun_lookup(HdmirtcService *s);

static gboolean on_stun_retry(gpointer user_data)
{
	HdmirtcService *s = user_data;

	s->stun_retry_source = 0;
	start_stun_lookup(s);
	return G_SOURCE_REMOVE;
}

static void retry_stun_lookup_later(HdmirtcService *s)
{
	s->stun_retry_s = s->stun_retry_s ? MIN(s->stun_retry_s * 2, RETRY_MAX_S) : RETRY_FIRST_S;
	GSource *timer = g_timeout_source_new_seconds(s->stun_retry_s);
	g_source_set_callback(timer, on_stun_retry, s, NULL);
	s->stun_retry_source = g_source_attach(timer, s->ctx);
	g_source_unref(timer);
}

/* A local address of the STUN server's family, so that the probe leaves
 * through the interface the viewers' candidates are on. */
static const char *probe_source_address(HdmirtcService *s, const char *server_ip)
{
	gboolean v6 = strchr(server_ip, ':') != NULL;

	for (guint i = 0; s->choice && s->choice->addresses[i]; i++) {
		if ((strchr(s->choice->addresses[i], ':') != NULL) == v6)
			return s->choice->addresses[i];
	}
	return NULL;
}

/* Every probe, again and again: the status follows the server. */
static void on_stun_probed(HdmirtcStunProbe *probe, const char *address, guint16 port,
                           const GError *error, gpointer user_data)
{
	HdmirtcService *s = user_data;
	g_autofree char *external = NULL;
	guint16 server_port = 0;
	g_autofree char *host = NULL;

	if (error) {
		gboolean first = s->stun_error == NULL;
		g_free(s->stun_error);
		s->stun_error = g_strdup(error->message);
		g_clear_pointer(&s->stun_external, g_free);
		if (first)
			g_warning("STUN: %s; serving host candidates, retrying in the background", error->message);
		if (hdmirtc_stun_probe_get_failures(probe) == STUN_FAILURES_BEFORE_OFF)
			hdmirtc_webrtc_set_stun_server(s->webrtc, NULL, 0);
		return;
	}
	external = g_strdup_printf(strchr(address, ':') ? "[%s]:%u" : "%s:%u", address, port);
	if (!s->stun_external || !g_str_equal(s->stun_external, external))
		g_message("STUN: the outside sees this host as %s", external);
	g_clear_pointer(&s->stun_error, g_free);
	g_free(s->stun_external);
	s->stun_external = g_steal_pointer(&external);
	hdmirtc_config_parse_host_port(s->stun_server, &host, &server_port, NULL);
	hdmirtc_webrtc_set_stun_server(s->webrtc, s->stun_address, server_port);
}

static void start_stun_probe(HdmirtcService *s, guint16 port)
{
	g_autoptr(GError) error = NULL;

	s->stun_probe = hdmirtc_stun_probe_new(s->ctx, s->stun_address, port,
					       probe_source_address(s, s->stun_address),
					       on_stun_probed, s, &error);
	if (!s->stun_probe) {
		s->stun_error = g_strdup_printf("cannot probe %s: %s", s->stun_server, error->message);
		g_warning("STUN: %s", s->stun_error);
	}
}

static void on_stun_resolved(GObject *source, GAsyncResult *result, gpointer user_data)
{
	HdmirtcService *s = user_data;
	g_autoptr(GError) error = NULL;
	GList *addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);
	g_autofree char *host = NULL;
	guint16 port = 0;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!addresses) {
		gboolean first = s->stun_error == NULL;
		g_free(s->stun_error);
		s->stun_error = g_strdup_printf("cannot resolve %s: %s", s->stun_server, error->message);
		if (first)
			g_warning("STUN: %s; serving host candidates, retrying in the background", s->stun_error);
		retry_stun_lookup_later(s);
		return;
	}
	hdmirtc_config_parse_host_port(s->stun_server, &host, &port, NULL);
	s->stun_address = g_inet_address_to_string(addresses->data);
	g_clear_pointer(&s->stun_error, g_free);
	hdmirtc_webrtc_set_stun_server(s->webrtc, s->stun_address, port);
	g_message("STUN server %s is %s", s->stun_server, s->stun_address);
	g_resolver_free_addresses(addresses);
	start_stun_probe(s, port);
}

/* DNS can be slow or absent on an offline KVM: look the STUN server up in
 * the background (again after failures); viewers joining before that get
 * host candidates only. */
static void start_stun_lookup(HdmirtcService *s)
{
	g_autofree char *host = NULL;
	guint16 port;
	g_autoptr(GResolver) resolver = g_resolver_get_default();

	if (!s->stun_server[0] || !hdmirtc_config_parse_host_port(s->stun_server, &host, &port, NULL))
		return;
	g_resolver_lookup_by_name_async(resolver, host, s->cancellable, on_stun_resolved, s);
}

/* ---- TURN --------------------------------------------------------------- */

static HdmirtcWebrtcRelayTransport relay_transport(HdmirtcConfigTurnTransport t)
{
	switch (t) {
	case HDMIRTC_CONFIG_TURN_TCP: return HDMIRTC_WEBRTC_RELAY_TCP;
	case HDMIRTC_CONFIG_TURN_TLS: return HDMIRTC_WEBRTC_RELAY_TLS;
	case HDMIRTC_CONFIG_TURN_UDP: break;
	}
	return HDMIRTC_WEBRTC_RELAY_UDP;
}

/* Gives the viewers every TURN server resolved so far. */
static void update_relays(HdmirtcService *s)
{
	g_autoptr(GArray) relays = g_array_new(FALSE, TRUE, sizeof(HdmirtcWebrtcRelay));

	for (guint i = 0; i < s->turn->len; i++) {
		TurnServer *t = s->turn->pdata[i];
		if (!t->address)
			continue;
		HdmirtcWebrtcRelay r = {
			.transport = relay_transport(t->server.transport),
			.ip = t->address,
			.port = t->server.port,
			.username = s->turn_username,
			.password = s->turn_password,
		};
		g_array_append_val(relays, r);
	}
	hdmirtc_webrtc_set_relays(s->webrtc, (const HdmirtcWebrtcRelay *)(gpointer)relays->data, relays->len);
}

static void resolve_turn(TurnServer *t);

static gboolean on_turn_retry(gpointer user_data)
{
	TurnServer *t = user_data;

	g_clear_pointer(&t->retry, g_source_unref);
	resolve_turn(t);
	return G_SOURCE_REMOVE;
}

static void on_turn_resolved(GObject *source, GAsyncResult *result, gpointer user_data)
{
	TurnServer *t = user_data;
	g_autoptr(GError) error = NULL;
	GList *addresses = g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error);

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!addresses) {
		if (!t->error)
			g_warning("TURN %s: %s; retrying", t->url, error->message);
		g_free(t->error);
		t->error = g_strdup_printf("cannot resolve %s: %s", t->server.host, error->message);
		t->retry = g_timeout_source_new_seconds(RETRY_MAX_S / 2);
		g_source_set_callback(t->retry, on_turn_retry, t, NULL);
		g_source_attach(t->retry, t->s->ctx);
		return;
	}
	t->address = g_inet_address_to_string(addresses->data);
	g_clear_pointer(&t->error, g_free);
	g_resolver_free_addresses(addresses);
	g_message("TURN server %s is %s", t->url, t->address);
	update_relays(t->s);
}

static void resolve_turn(TurnServer *t)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();

	if (!g_cancellable_is_cancelled(t->s->cancellable))
		g_resolver_lookup_by_name_async(resolver, t->server.host, t->s->cancellable,
						on_turn_resolved, t);
}

static void turn_server_free(gpointer p)
{
	TurnServer *t = p;

	if (t->retry) {
		g_source_destroy(t->retry);
		g_source_unref(t->retry);
	}
	g_free(t->url);
	hdmirtc_config_turn_server_clear(&t->server);
	g_free(t->address);
	g_free(t->error);
	g_free(t);
}

static void start_turn(HdmirtcService *s, const HdmirtcConfig *c)
{
	s->turn_username = c->turn_username;
	s->turn_password = c->turn_password;
	for (guint i = 0; c->turn_servers[i]; i++) {
		TurnServer *t = g_new0(TurnServer, 1);
		t->s = s;
		t->url = g_strdup(c->turn_servers[i]);
		if (!hdmirtc_config_parse_turn_url(t->url, &t->server, NULL)) {
			turn_server_free(t);
			continue;   /* the configuration checked it already */
		}
		g_ptr_array_add(s->turn, t);
		/* libnice 0.1.21 speaks no TLS: a turns: relay would carry the
		 * TURN credentials in plaintext.  Browsers still get it (Link
		 * header): they do TLS themselves. */
		if (t->server.transport == HDMIRTC_CONFIG_TURN_TLS) {
			t->error = g_strdup("not used by the service: libnice cannot speak TLS to TURN "
					    "servers (the credentials would go in plaintext); "
					    "use turn:HOST:PORT?transport=tcp for the service's own relay");
			g_warning("TURN %s: %s", t->url, t->error);
			continue;
		}
		resolve_turn(t);
	}
}

/* The same TURN servers for the browsers (WHEP Link headers). */
static GStrv ice_server_links(const HdmirtcConfig *c)
{
	g_autoptr(GStrvBuilder) links = g_strv_builder_new();

	for (guint i = 0; c->turn_servers[i]; i++) {
		g_autofree char *link = hdmirtc_http_format_ice_server_link(
			c->turn_servers[i], c->turn_username[0] ? c->turn_username : NULL,
			c->turn_password[0] ? c->turn_password : NULL);
		if (link)
			g_strv_builder_add(links, link);
	}
	return g_strv_builder_end(links);
}

static gboolean start_http(HdmirtcService *s, const HdmirtcConfig *c, GError **error)
{
	g_auto(GStrv) links = ice_server_links(c);
	HdmirtcHttpConfig hc = {
		.address = c->http_address,
		.port = c->http_port,
		.token = c->token,
		.cors_origin = c->cors_origin,
		.ice_servers = (const char *const *)links,
	};

	s->http = hdmirtc_http_server_new(&hc, &http_handlers, s, error);
	if (!s->http)
		return FALSE;
	s->urls = hdmirtc_http_server_get_urls(s->http);
	return TRUE;
}

HdmirtcService *hdmirtc_service_new(const HdmirtcConfig *config, GError **error)
{
	HdmirtcService *s = g_new0(HdmirtcService, 1);

	s->ctx = g_main_context_ref_thread_default();
	s->started_us = g_get_monotonic_time();
	s->cancellable = g_cancellable_new();
	s->turn = g_ptr_array_new_with_free_func(turn_server_free);
	s->stun_server = g_strdup(config->stun_server);
	if (!start_webrtc(s, config, error) || !start_media(s, config, error) ||
	    !start_http(s, config, error)) {
		hdmirtc_service_free(s);
		return NULL;
	}
	start_turn(s, config);
	start_stun_lookup(s);
	return s;
}

void hdmirtc_service_free(HdmirtcService *s)
{
	if (!s)
		return;
	/* Cancelled lookups still call back later (and return at once), but
	 * their timers would not: remove those first. */
	g_cancellable_cancel(s->cancellable);
	if (s->stun_retry_source)
		g_source_destroy(g_main_context_find_source_by_id(s->ctx, s->stun_retry_source));
	g_clear_pointer(&s->turn, g_ptr_array_unref);
	hdmirtc_stun_probe_free(s->stun_probe);
	hdmirtc_http_server_free(s->http);
	hdmirtc_media_pipeline_free(s->media);
	hdmirtc_webrtc_free(s->webrtc);
	g_strfreev(s->urls);
	g_free(s->stun_server);
	g_free(s->stun_address);
	g_free(s->stun_error);
	g_free(s->stun_external);
	hdmirtc_net_choice_free(s->choice);
	g_strfreev(s->public_addresses);
	g_clear_object(&s->cancellable);
	g_main_context_unref(s->ctx);
	g_free(s);
}

const char *const *hdmirtc_service_get_urls(HdmirtcService *s)
{
	return (const char *const *)s->urls;
}
