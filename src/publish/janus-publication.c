/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Janus Streaming mountpoint fed by the service (janus-publication.h).
 * Request and reply fields: janus_streaming.c of Janus 1.1.2 ("create" with
 * a media[] list, ports chosen by Janus when given as 0, the reply's
 * "created" with stream.ports[]; "info" shows the ports only to whom knows
 * the secret), and Janus's REST transport (janus_http.c: a request on a
 * session is also its keepalive). */
#include "janus-publication.h"
#include "hdmirtc/gsource.h"

#include <string.h>

#include "hdmirtc/json-members.h"
#include "janus-api.h"

#define STREAMING_PLUGIN "janus.plugin.streaming"
#define CHECK_INTERVAL_MS 1000
#define RETRY_FIRST_MS 250
#define RETRY_MAX_MS 1000
#define VIDEO_PT 96
#define AUDIO_PT 111
#define VIDEO_MID "v"
#define AUDIO_MID "a"
/* Constrained Baseline, what the encoders make (encode/h264-sps.c);
 * level 3.1: browsers decode past the level they were told. */
#define VIDEO_FMTP "profile-level-id=42e01f;packetization-mode=1"
#define AUDIO_FMTP "stereo=1;sprop-stereo=1"

typedef enum {
	PUB_CONNECTING,                 /* session, handle, mountpoint */
	PUB_FEEDING,                    /* the feed runs; checked each second */
	PUB_RETRYING,                   /* waiting to start over */
} PubState;

static const char *const state_names[] = { "connecting", "feeding", "retrying" };

struct HdmirtcJanusPublication {
	HdmirtcWebrtc *w;
	SoupSession *soup;
	GCancellable *cancellable;      /* the request in flight */
	char *url;
	guint64 mountpoint;
	char *admin_key;                /* NULL = none */
	char *secret;                   /* NULL = none */
	gboolean audio;

	PubState state;
	guint64 session, handle;
	char *session_url, *handle_url;
	char *address;                  /* the IP Janus answered from: where the ports are */
	guint video_port, video_rtcp_port, audio_port;
	HdmirtcWebrtcFeed *feed;
	GSource *timer;                 /* the next check or try */
	guint retry_ms;
	guint connects;                 /* times the feed started */
	gint64 janus_viewers;           /* as the last check saw, -1 = unknown */
	char *last_error;
};

static void start(HdmirtcJanusPublication *pub);
static void create_mountpoint(HdmirtcJanusPublication *pub);

/* ---- Timers and failure ------------------------------------------------- */

static void cancel_timer(HdmirtcJanusPublication *pub)
{
	hdmirtc_source_clear(&pub->timer);
}

static void set_timer(HdmirtcJanusPublication *pub, guint ms, GSourceFunc func)
{
	cancel_timer(pub);
	pub->timer = g_timeout_source_new(ms);
	g_source_set_callback(pub->timer, func, pub, NULL);
	g_source_attach(pub->timer, g_main_context_get_thread_default());
}

static gboolean on_retry(gpointer user_data)
{
	HdmirtcJanusPublication *pub = user_data;

	g_clear_pointer(&pub->timer, g_source_unref);
	start(pub);
	return G_SOURCE_REMOVE;
}

static void stop_feed(HdmirtcJanusPublication *pub)
{
	hdmirtc_webrtc_remove_feed(pub->w, pub->feed);
	pub->feed = NULL;
}

/* Everything that went wrong ends here: no feed, and a new start soon.
 * Logged when the message changes, not at every try. */
static void fail(HdmirtcJanusPublication *pub, const char *what, const GError *error)
{
	g_autofree char *message = g_strdup_printf("%s: %s", what, error->message);

	if (pub->state == PUB_FEEDING || g_strcmp0(message, pub->last_error) != 0)
		g_warning("janus %s: %s; trying again", pub->url, message);
	g_free(pub->last_error);
	pub->last_error = g_steal_pointer(&message);
	stop_feed(pub);
	pub->state = PUB_RETRYING;
	pub->session = pub->handle = 0;
	set_timer(pub, pub->retry_ms, on_retry);
	pub->retry_ms = MIN(pub->retry_ms * 2, RETRY_MAX_MS);
}

/* ---- The mountpoint's streams -------------------------------------------- */

static guint get_port(JsonObject *o, const char *name)
{
	guint64 v = hdmirtc_janus_get_id(o, name);

	return v <= 65535 ? (guint)v : 0;
}

/* Takes the ports of a "created" stream.ports[] or an "info" media[]
 * list; FALSE when the streams are not the ones the feed needs. */
static gboolean take_ports(HdmirtcJanusPublication *pub, JsonArray *list, const char *rtcp_key)
{
	guint n = list ? json_array_get_length(list) : 0;
	guint streams = 0;

	pub->video_port = pub->video_rtcp_port = pub->audio_port = 0;
	for (guint i = 0; i < n; i++) {
		JsonObject *m = json_array_get_object_element(list, i);
		const char *type = m ? json_object_get_string_member_with_default(m, "type", "") : "";

		streams++;
		if (strcmp(type, "video") == 0) {
			pub->video_port = get_port(m, "port");
			pub->video_rtcp_port = get_port(m, rtcp_key);
		} else if (strcmp(type, "audio") == 0) {
			pub->audio_port = get_port(m, "port");
		}
	}
	return pub->video_port && pub->video_rtcp_port && (pub->audio_port != 0) == pub->audio &&
	       streams == 1u + pub->audio;
}

/* ---- Checking ---------------------------------------------------------- */

static JsonObject *request_body(HdmirtcJanusPublication *pub, const char *request)
{
	JsonObject *o = json_object_new();

	json_object_set_string_member(o, "request", request);
	json_object_set_int_member(o, "id", (gint64)pub->mountpoint);
	if (pub->secret)
		json_object_set_string_member(o, "secret", pub->secret);
	return o;
}

static void on_check(JsonObject *reply, JsonObject *data, GSocketAddress *remote, const GError *error,
                     gpointer user_data);

static gboolean on_check_timer(gpointer user_data)
{
	HdmirtcJanusPublication *pub = user_data;
	g_autoptr(JsonObject) body = request_body(pub, "info");

	g_clear_pointer(&pub->timer, g_source_unref);
	hdmirtc_janus_post(pub->soup, pub->handle_url, "message", NULL, body, pub->cancellable, on_check, pub);
	return G_SOURCE_REMOVE;
}

static void on_check(JsonObject *reply, JsonObject *data, GSocketAddress *remote, const GError *error,
                     gpointer user_data)
{
	HdmirtcJanusPublication *pub = user_data;
	JsonObject *info = hdmirtc_janus_get_object(data, "info");
	guint video = pub->video_port, rtcp = pub->video_rtcp_port, audio = pub->audio_port;

	if (error) {
		fail(pub, "the mountpoint check failed", error);
		return;
	}
	/* Someone made the mountpoint again with other ports: start over. */
	if (!info || !take_ports(pub, hdmirtc_janus_get_array(info, "media"), "rtcpport") ||
	    video != pub->video_port || rtcp != pub->video_rtcp_port || audio != pub->audio_port) {
		g_autoptr(GError) e = g_error_new_literal(HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY,
							  "its ports changed");
		fail(pub, "the mountpoint", e);
		return;
	}
	pub->janus_viewers = json_object_get_int_member_with_default(info, "viewers", -1);
	set_timer(pub, CHECK_INTERVAL_MS, on_check_timer);
}

/* ---- Feeding ------------------------------------------------------------ */

static void start_feed(HdmirtcJanusPublication *pub)
{
	g_autoptr(GError) error = NULL;
	HdmirtcWebrtcFeedTarget target = {
		.address = pub->address,
		.video_port = pub->video_port,
		.video_pt = VIDEO_PT,
		.video_rtcp_port = pub->video_rtcp_port,
		.audio_port = pub->audio_port,
		.audio_pt = AUDIO_PT,
	};

	pub->feed = hdmirtc_webrtc_add_feed(pub->w, &target, &error);
	if (!pub->feed) {
		fail(pub, "cannot feed the mountpoint", error);
		return;
	}
	pub->state = PUB_FEEDING;
	pub->connects++;
	pub->retry_ms = RETRY_FIRST_MS;
	g_clear_pointer(&pub->last_error, g_free);
	g_message("janus %s: feeding mountpoint %" G_GUINT64_FORMAT " at %s, video %u (RTCP %u), audio %u",
		  pub->url, pub->mountpoint, pub->address, pub->video_port, pub->video_rtcp_port, pub->audio_port);
	set_timer(pub, CHECK_INTERVAL_MS, on_check_timer);
}

/* ---- Creating the mountpoint, or taking it over --------------------------- */

static void on_destroyed(JsonObject *reply, JsonObject *data, GSocketAddress *remote, const GError *error,
                         gpointer user_data)
{
	HdmirtcJanusPublication *pub = user_data;

	if (error) {
		fail(pub, "cannot replace the mountpoint that is there", error);
		return;
	}
	create_mountpoint(pub);
}

/* The mountpoint was there already (left by this service before a
 * restart: its viewers on Janus are still watching it). */
static void on_existing_info(JsonObject *reply, JsonObject *data, GSocketAddress *remote,
                             const GError *error, gpointer user_data)
{
	HdmirtcJanusPublication *pub = user_data;
	JsonObject *info = hdmirtc_janus_get_object(data, "info");

	if (error) {
		fail(pub, "the mountpoint exists and cannot be read", error);
		return;
	}
	if (info && take_ports(pub, hdmirtc_janus_get_array(info, "media"), "rtcpport")) {
		start_feed(pub);
		return;
	}
	/* Other streams than ours (sound turned on or off, or made by
	 * hand): made again, as the configuration says. */
	g_autoptr(JsonObject) body = request_body(pub, "destroy");
	hdmirtc_janus_post(pub->soup, pub->handle_url, "message", NULL, body, pub->cancellable, on_destroyed, pub);
}

static void on_created(JsonObject *reply, JsonObject *data, GSocketAddress *remote, const GError *error,
                       gpointer user_data)
{
	HdmirtcJanusPublication *pub = user_data;
	JsonObject *stream = hdmirtc_janus_get_object(data, "stream");

	if (g_error_matches(error, HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_MOUNTPOINT_EXISTS)) {
		g_autoptr(JsonObject) body = request_body(pub, "info");
		hdmirtc_janus_post(pub->soup, pub->handle_url, "message", NULL, body, pub->cancellable,
				   on_existing_info, pub);
		return;
	}
	if (error) {
		fail(pub, "cannot create the mountpoint", error);
		return;
	}
	if (!stream || !take_ports(pub, hdmirtc_janus_get_array(stream, "ports"), "rtcp_port")) {
		g_autoptr(GError) e = g_error_new_literal(HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY,
							  "the reply names other ports than asked for");
		fail(pub, "cannot create the mountpoint", e);
		return;
	}
	start_feed(pub);
}

static JsonObject *media_item(const char *type, const char *mid, guint pt, const char *codec,
                              const char *fmtp, gboolean rtcp, const char *iface)
{
	JsonObject *m = json_object_new();

	json_object_set_string_member(m, "type", type);
	json_object_set_string_member(m, "mid", mid);
	/* 0: Janus picks a free port in its range. */
	json_object_set_int_member(m, "port", 0);
	if (rtcp)
		json_object_set_int_member(m, "rtcpport", 0);
	json_object_set_int_member(m, "pt", pt);
	json_object_set_string_member(m, "codec", codec);
	json_object_set_string_member(m, "fmtp", fmtp);
	/* The ports listen only on the address the service reaches Janus at
	 * (127.0.0.1 when both share the machine). */
	json_object_set_string_member(m, "iface", iface);
	return m;
}

static void create_mountpoint(HdmirtcJanusPublication *pub)
{
	g_autoptr(JsonObject) body = request_body(pub, "create");
	JsonArray *media = json_array_new();

	json_object_set_string_member(body, "type", "rtp");
	json_object_set_string_member(body, "name", "hdmirtc");
	json_object_set_string_member(body, "description", "hdmirtc: HDMI capture");
	json_object_set_boolean_member(body, "permanent", FALSE);
	if (pub->admin_key)
		json_object_set_string_member(body, "admin_key", pub->admin_key);
	json_array_add_object_element(media, media_item("video", VIDEO_MID, VIDEO_PT, "h264", VIDEO_FMTP, TRUE,
							pub->address));
	if (pub->audio)
		json_array_add_object_element(media, media_item("audio", AUDIO_MID, AUDIO_PT, "opus", AUDIO_FMTP,
								FALSE, pub->address));
	json_object_set_array_member(body, "media", media);
	hdmirtc_janus_post(pub->soup, pub->handle_url, "message", NULL, body, pub->cancellable, on_created, pub);
}

/* ---- Session and handle -------------------------------------------------- */

static void on_attached(JsonObject *reply, JsonObject *data, GSocketAddress *remote, const GError *error,
                        gpointer user_data)
{
	HdmirtcJanusPublication *pub = user_data;
	JsonObject *d = hdmirtc_janus_get_object(reply, "data");

	pub->handle = hdmirtc_janus_get_id(d, "id");
	if (error || !pub->handle) {
		g_autoptr(GError) e = error ? g_error_copy(error) :
			g_error_new_literal(HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY, "no handle id");
		fail(pub, "cannot attach to the Streaming plugin", e);
		return;
	}
	g_free(pub->handle_url);
	pub->handle_url = g_strdup_printf("%s/%" G_GUINT64_FORMAT, pub->session_url, pub->handle);
	create_mountpoint(pub);
}

static gboolean take_address(HdmirtcJanusPublication *pub, GSocketAddress *remote)
{
	if (!G_IS_INET_SOCKET_ADDRESS(remote))
		return FALSE;
	g_free(pub->address);
	pub->address = g_inet_address_to_string(
		g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
	return TRUE;
}

static void on_session(JsonObject *reply, JsonObject *data, GSocketAddress *remote, const GError *error,
                       gpointer user_data)
{
	HdmirtcJanusPublication *pub = user_data;
	JsonObject *d = hdmirtc_janus_get_object(reply, "data");

	pub->session = hdmirtc_janus_get_id(d, "id");
	if (error || !pub->session || !take_address(pub, remote)) {
		g_autoptr(GError) e = error ? g_error_copy(error) :
			g_error_new_literal(HDMIRTC_JANUS_ERROR, HDMIRTC_JANUS_BAD_REPLY,
					    pub->session ? "no server address" : "no session id");
		fail(pub, "cannot reach Janus", e);
		return;
	}
	g_free(pub->session_url);
	pub->session_url = g_strdup_printf("%s/%" G_GUINT64_FORMAT, pub->url, pub->session);
	hdmirtc_janus_post(pub->soup, pub->session_url, "attach", STREAMING_PLUGIN, NULL, pub->cancellable,
			   on_attached, pub);
}

static void start(HdmirtcJanusPublication *pub)
{
	pub->state = PUB_CONNECTING;
	hdmirtc_janus_post(pub->soup, pub->url, "create", NULL, NULL, pub->cancellable, on_session, pub);
}

/* ---- Life cycle and status ---------------------------------------------- */

static char *non_empty(const char *s)
{
	return s && *s ? g_strdup(s) : NULL;
}

HdmirtcJanusPublication *hdmirtc_janus_publication_new(HdmirtcWebrtc *w, SoupSession *soup,
                                                       const char *url,
                                                       const HdmirtcPublishConfig *config)
{
	HdmirtcJanusPublication *pub = g_new0(HdmirtcJanusPublication, 1);
	gsize len = strlen(url);

	pub->w = w;
	pub->soup = g_object_ref(soup);
	pub->cancellable = g_cancellable_new();
	/* A base URL with a trailing slash would make ".../janus//123". */
	while (len > 1 && url[len - 1] == '/')
		len--;
	pub->url = g_strndup(url, len);
	pub->mountpoint = config->mountpoint;
	pub->admin_key = non_empty(config->admin_key);
	pub->secret = non_empty(config->secret);
	pub->audio = config->audio;
	pub->retry_ms = RETRY_FIRST_MS;
	pub->janus_viewers = -1;
	start(pub);
	return pub;
}

void hdmirtc_janus_publication_free(HdmirtcJanusPublication *pub)
{
	if (!pub)
		return;
	g_cancellable_cancel(pub->cancellable);
	g_object_unref(pub->cancellable);
	cancel_timer(pub);
	stop_feed(pub);
	g_object_unref(pub->soup);
	g_free(pub->url);
	g_free(pub->admin_key);
	g_free(pub->secret);
	g_free(pub->session_url);
	g_free(pub->handle_url);
	g_free(pub->address);
	g_free(pub->last_error);
	g_free(pub);
}

void hdmirtc_janus_publication_add_status(HdmirtcJanusPublication *pub, JsonBuilder *b)
{
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "url", pub->url);
	hdmirtc_json_add_string(b, "kind", "janus-streaming");
	hdmirtc_json_add_string(b, "state", state_names[pub->state]);
	hdmirtc_json_add_int(b, "mountpoint", (gint64)pub->mountpoint);
	if (pub->address)
		hdmirtc_json_add_string(b, "address", pub->address);
	hdmirtc_json_add_int(b, "video_port", pub->video_port);
	hdmirtc_json_add_int(b, "video_rtcp_port", pub->video_rtcp_port);
	hdmirtc_json_add_int(b, "audio_port", pub->audio_port);
	hdmirtc_json_add_int(b, "connects", pub->connects);
	if (pub->janus_viewers >= 0)
		hdmirtc_json_add_int(b, "janus_viewers", pub->janus_viewers);
	if (pub->last_error)
		hdmirtc_json_add_string(b, "last_error", pub->last_error);
	if (pub->feed)
		hdmirtc_webrtc_feed_add_status(pub->feed, b);
	json_builder_end_object(b);
}
