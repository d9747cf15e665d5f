/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The set of viewers behind include/hdmirtc/webrtc.h: fan-out of each
 * packetized access unit, keyframe requests (rate limited, since every
 * viewer's PLI would otherwise cost an IDR), closed peers reaped, network
 * settings for new peers, status.  Negotiation is viewer-negotiation.c. */
#include "hub-private.h"
#include "hdmirtc/gsource.h"

G_DEFINE_QUARK(hdmirtc-webrtc-error-quark, hdmirtc_webrtc_error)

/* ---- Keyframes ---------------------------------------------------------- */

/* An IDR asked for and not seen after this was lost (an encoder reset, a
 * dropped frame): the next join asks again. */
#define KEYFRAME_IN_FLIGHT_MAX_US (G_USEC_PER_SEC / 2)

static void send_keyframe_request(HdmirtcWebrtc *w)
{
	w->last_keyframe_request_us = g_get_monotonic_time();
	w->keyframe_requests_sent++;
	w->keyframe_in_flight = TRUE;
	w->request_keyframe(w->user_data);
}

static gboolean on_pending_keyframe(gpointer user_data)
{
	HdmirtcWebrtc *w = user_data;

	w->pending_keyframe_source = 0;
	send_keyframe_request(w);
	return G_SOURCE_REMOVE;
}

/* A joining viewer (or feed) shows nothing until an IDR, so its request
 * skips the rate limit, which is there for PLIs of lossy viewers; joins
 * are as few as WHEP POSTs.  Joins that arrive while an IDR is asked for
 * and not out yet take that one: a wave of viewers costs one IDR. */
static void hub_request_keyframe(HdmirtcWebrtc *w, gboolean joining)
{
	gint64 now = g_get_monotonic_time();
	gint64 wait_us = w->last_keyframe_request_us + w->keyframe_min_interval_us - now;

	w->keyframe_requests++;
	if (joining && w->keyframe_in_flight && now - w->last_keyframe_request_us < KEYFRAME_IN_FLIGHT_MAX_US)
		return;
	if (joining || w->last_keyframe_request_us == 0 || wait_us <= 0) {
		hdmirtc_source_clear_id(w->ctx, &w->pending_keyframe_source);
		send_keyframe_request(w);
		return;
	}
	if (w->pending_keyframe_source)
		return;
	GSource *timer = g_timeout_source_new((guint)(wait_us / 1000) + 1);
	g_source_set_callback(timer, on_pending_keyframe, w, NULL);
	w->pending_keyframe_source = g_source_attach(timer, w->ctx);
	g_source_unref(timer);
}

void hdmirtc_hub_on_peer_request_keyframe(HdmirtcPeer *peer, const char *reason, gboolean joining,
                                          gpointer user_data)
{
	g_debug("viewer %s asks for a keyframe: %s", hdmirtc_peer_get_id(peer), reason);
	hub_request_keyframe(user_data, joining);
}

static void on_feed_request_keyframe(const char *reason, gboolean joining, gpointer user_data)
{
	g_debug("a feed asks for a keyframe: %s", reason);
	hub_request_keyframe(user_data, joining);
}

/* ---- Viewers ------------------------------------------------------------ */

static gboolean reap_closed_peers(gpointer user_data)
{
	HdmirtcWebrtc *w = user_data;
	GHashTableIter it;
	gpointer value;

	w->reap_source = 0;
	hdmirtc_negotiation_end_closed(w);
	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		if (hdmirtc_peer_get_state(value) == HDMIRTC_PEER_STATE_CLOSED)
			g_hash_table_iter_remove(&it);
	}
	return G_SOURCE_REMOVE;
}

/* Viewers that take the sound: recounted when one starts or ends. */
void hdmirtc_hub_count_listeners(HdmirtcWebrtc *w)
{
	GHashTableIter it;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value))
		n += hdmirtc_peer_is_listening(value);
	for (guint i = 0; i < w->feeds->len; i++)
		n += hdmirtc_rtp_feed_has_audio(g_ptr_array_index(w->feeds, i));
	for (guint i = 0; i < w->outbounds->len; i++)
		n += hdmirtc_peer_is_listening(hdmirtc_outbound_get_peer(g_ptr_array_index(w->outbounds, i)));
	if (n == w->listeners)
		return;
	w->listeners = n;
	if (w->listeners_changed)
		w->listeners_changed(n, w->listeners_data);
}

void hdmirtc_hub_on_peer_streaming(HdmirtcPeer *peer, gpointer user_data)
{
	hdmirtc_hub_count_listeners(user_data);
}

void hdmirtc_webrtc_set_listeners_func(HdmirtcWebrtc *w, HdmirtcListenersFunc func, gpointer user_data)
{
	w->listeners_changed = func;
	w->listeners_data = user_data;
}

/* Peers close from inside their own callbacks: free them from an idle. */
void hdmirtc_hub_on_peer_closed(HdmirtcPeer *peer, const char *reason, gpointer user_data)
{
	HdmirtcWebrtc *w = user_data;

	hdmirtc_hub_count_listeners(w);
	if (w->reap_source)
		return;
	GSource *idle = g_idle_source_new();
	g_source_set_callback(idle, reap_closed_peers, w, NULL);
	w->reap_source = g_source_attach(idle, w->ctx);
	g_source_unref(idle);
}

/* ---- Feeds -------------------------------------------------------------- */

HdmirtcWebrtcFeed *hdmirtc_webrtc_add_feed(HdmirtcWebrtc *w, const HdmirtcWebrtcFeedTarget *target,
                                           GError **error)
{
	HdmirtcWebrtcFeedTarget t = *target;
	HdmirtcWebrtcFeed *feed;

	if (!w->audio)
		t.audio_port = 0;
	feed = hdmirtc_rtp_feed_new(w->ctx, &t, on_feed_request_keyframe, w, error);
	if (!feed)
		return NULL;
	g_ptr_array_add(w->feeds, feed);
	hdmirtc_hub_count_listeners(w);
	return feed;
}

void hdmirtc_webrtc_remove_feed(HdmirtcWebrtc *w, HdmirtcWebrtcFeed *feed)
{
	if (feed && g_ptr_array_remove(w->feeds, feed))
		hdmirtc_hub_count_listeners(w);
}

guint hdmirtc_webrtc_get_n_viewers(HdmirtcWebrtc *w)
{
	return g_hash_table_size(w->peers);
}

void hdmirtc_webrtc_set_stun_server(HdmirtcWebrtc *w, const char *ip, guint port)
{
	g_free(w->stun_host);
	w->stun_host = g_strdup(ip);
	w->ice.stun_host = w->stun_host;
	w->ice.stun_port = port;
}

static void clear_relay(gpointer p)
{
	HdmirtcWebrtcRelay *r = p;

	g_free((char *)r->ip);
	g_free((char *)r->username);
	g_free((char *)r->password);
	g_free((char *)r->server_name);
}

/* What libnice gets for relay: itself, or for TLS, TURN over TCP to the
 * local end of a TLS tunnel.  FALSE when the tunnel cannot be made. */
static gboolean relay_for_agents(HdmirtcWebrtc *w, const HdmirtcWebrtcRelay *relay,
                                 HdmirtcWebrtcRelay *out)
{
	g_autoptr(GError) error = NULL;
	guint port = relay->port;
	const char *ip = relay->ip;

	if (relay->transport == HDMIRTC_WEBRTC_RELAY_TLS) {
		port = hdmirtc_relay_tunnels_get_port(w->tunnels, relay, &error);
		if (!port) {
			g_warning("TURN over TLS to %s:%u: %s", relay->ip, relay->port, error->message);
			return FALSE;
		}
		ip = "127.0.0.1";
	}
	*out = (HdmirtcWebrtcRelay){
		.transport = relay->transport == HDMIRTC_WEBRTC_RELAY_TLS ? HDMIRTC_WEBRTC_RELAY_TCP
									: relay->transport,
		.ip = g_strdup(ip),
		.port = port,
		.username = g_strdup(relay->username),
		.password = g_strdup(relay->password),
		.server_name = g_strdup(relay->server_name),
	};
	return TRUE;
}

void hdmirtc_webrtc_set_relays(HdmirtcWebrtc *w, const HdmirtcWebrtcRelay *relays, guint n)
{
	g_array_set_size(w->relays, 0);
	for (guint i = 0; i < n; i++) {
		HdmirtcWebrtcRelay r;

		if (relay_for_agents(w, &relays[i], &r))
			g_array_append_val(w->relays, r);
	}
	w->ice.relays = (const HdmirtcWebrtcRelay *)(gpointer)w->relays->data;
	w->ice.n_relays = w->relays->len;
}

void hdmirtc_webrtc_set_local_addresses(HdmirtcWebrtc *w, const char *const *addresses)
{
	g_strfreev(w->local_addresses);
	w->local_addresses = g_strdupv((char **)addresses);
	w->ice.local_addresses = (const char *const *)w->local_addresses;
	/* A viewer restarts ICE itself when its path breaks; the server of an
	 * outbound session cannot know the new addresses: tell it. */
	for (guint i = 0; i < w->outbounds->len; i++) {
		HdmirtcWebrtcOutbound *o = w->outbounds->pdata[i];
		g_autoptr(GError) error = NULL;

		if (hdmirtc_peer_get_state(hdmirtc_outbound_get_peer(o)) == HDMIRTC_PEER_STATE_STREAMING &&
		    !hdmirtc_webrtc_outbound_restart_ice(o, &error))
			g_warning("outbound %s: no ICE restart for the new addresses: %s",
				  hdmirtc_peer_get_id(hdmirtc_outbound_get_peer(o)), error->message);
	}
}

/* ---- Media -------------------------------------------------------------- */

/* Below this many viewers on plain UDP one thread sends the frame: waking
 * a worker costs about as much as sending to one viewer. */
#define SPREAD_MIN_VIEWERS 4
/* Workers beside the network thread: the other cores, at most 3 (a Pi's
 * four cores). */
#define MAX_SEND_WORKERS 3

typedef struct {
	HdmirtcPeer *peer;
	gint64 first_send_us;
} SendItem;

typedef struct {
	GArray *items;
	HdmirtcRtpPacketList *list;
} SendRun;

static void send_item(guint index, HdmirtcPeerBatch *batch, gpointer user_data)
{
	SendRun *run = user_data;
	SendItem *item = &g_array_index(run->items, SendItem, index);

	item->first_send_us = hdmirtc_peer_send_frame(item->peer, run->list, batch);
}

/* The earlier of two send times (0: none); counts the sends in *n. */
static gint64 earliest(gint64 a, gint64 b, guint *n)
{
	*n += b != 0;
	return !a || (b && b < a) ? b : a;
}

static void send_access_unit(HdmirtcWebrtc *w, HdmirtcAccessUnit *au, gint64 taken_us)
{
	g_autoptr(GError) error = NULL;
	GHashTableIter it;
	gpointer value;
	HdmirtcRtpPacketList *list = hdmirtc_h264_packetizer_packetize(
		w->packetizer, au, HDMIRTC_RTP_DEFAULT_MAX_PAYLOAD, &error);
	if (!list) {
		if (w->packetize_errors++ == 0)
			g_warning("cannot packetize frame %" G_GUINT64_FORMAT ": %s", au->seq, error->message);
		return;
	}
	/* Viewers behind libnice (relayed, TCP) are sent to here and now; the
	 * others go to the workers when there are enough of them. */
	gint64 first_send_us = 0;
	guint sent_to = 0;
	SendRun run = { w->send_items, list };
	/* Feeds and outbound sessions first: each stands for the many
	 * viewers behind its SFU. */
	for (guint i = 0; i < w->feeds->len; i++)
		first_send_us = earliest(first_send_us,
					 hdmirtc_rtp_feed_send_frame(g_ptr_array_index(w->feeds, i), list),
					 &sent_to);
	for (guint i = 0; i < w->outbounds->len; i++)
		first_send_us = earliest(first_send_us,
					 hdmirtc_peer_send_frame(hdmirtc_outbound_get_peer(w->outbounds->pdata[i]),
								 list, w->batch),
					 &sent_to);
	g_array_set_size(w->send_items, 0);
	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		if (hdmirtc_peer_prepare_send_off_thread(value))
			g_array_append_val(w->send_items, ((SendItem){ value, 0 }));
		else
			first_send_us = earliest(first_send_us, hdmirtc_peer_send_frame(value, list, w->batch),
						 &sent_to);
	}
	/* A picture's first part is sent while the encoder's other threads
	 * finish it: workers would take their cores. */
	if (w->send_items->len >= SPREAD_MIN_VIEWERS && au->part != HDMIRTC_AU_FIRST &&
	    hdmirtc_send_workers_get_n_threads(w->send_workers) > 0) {
		hdmirtc_send_workers_run(w->send_workers, w->send_items->len, send_item, &run, w->batch);
		w->frames_spread++;
	} else {
		for (guint i = 0; i < w->send_items->len; i++)
			send_item(i, w->batch, &run);
	}
	for (guint i = 0; i < w->send_items->len; i++)
		first_send_us = earliest(first_send_us, g_array_index(w->send_items, SendItem, i).first_send_us,
					 &sent_to);
	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value))
		hdmirtc_peer_end_frame(value);
	for (guint i = 0; i < w->outbounds->len; i++)
		hdmirtc_peer_end_frame(hdmirtc_outbound_get_peer(w->outbounds->pdata[i]));
	if (au->part == HDMIRTC_AU_FIRST) {
		w->frames_started_early++;
		w->early_seq = au->seq;
		w->early_first_send_us = first_send_us;
	} else if (first_send_us) {
		/* The picture's timings, taken when its last part is sent. */
		if (au->part == HDMIRTC_AU_REST && w->early_seq == au->seq && w->early_first_send_us)
			first_send_us = w->early_first_send_us;
		hdmirtc_frame_timings_add(&w->timings, au, taken_us, first_send_us, g_get_monotonic_time(),
					  sent_to);
	}
	hdmirtc_rtp_packet_list_unref(list);
}

void hdmirtc_webrtc_send_access_unit(HdmirtcWebrtc *w, HdmirtcAccessUnit *au)
{
	gint64 taken_us = g_get_monotonic_time();
	gboolean entered;

	if (au->keyframe)
		w->keyframe_in_flight = FALSE;
	if (g_hash_table_size(w->peers) == 0 && w->feeds->len == 0 && w->outbounds->len == 0)
		return;
	entered = hdmirtc_send_priority_enter(w->send_priority);
	send_access_unit(w, au, taken_us);
	hdmirtc_send_priority_leave(w->send_priority, entered);
}

void hdmirtc_webrtc_send_audio(HdmirtcWebrtc *w, const HdmirtcAudioPacket *pkt)
{
	GHashTableIter it;
	gpointer value;

	for (guint i = 0; i < w->feeds->len; i++)
		hdmirtc_rtp_feed_send_audio(g_ptr_array_index(w->feeds, i), pkt);
	for (guint i = 0; i < w->outbounds->len; i++)
		hdmirtc_peer_send_audio(hdmirtc_outbound_get_peer(w->outbounds->pdata[i]), pkt);
	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value))
		hdmirtc_peer_send_audio(value, pkt);
}

void hdmirtc_webrtc_add_status(HdmirtcWebrtc *w, JsonBuilder *b)
{
	GHashTableIter it;
	gpointer value;

	json_builder_set_member_name(b, "viewers");
	json_builder_begin_array(b);
	g_hash_table_iter_init(&it, w->peers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		if (hdmirtc_peer_get_state(value) != HDMIRTC_PEER_STATE_CLOSED)
			hdmirtc_peer_add_status(value, b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "keyframe_requests");
	json_builder_add_int_value(b, (gint64)w->keyframe_requests);
	hdmirtc_relay_tunnels_add_status(w->tunnels, b);
	json_builder_set_member_name(b, "keyframe_requests_sent");
	json_builder_add_int_value(b, (gint64)w->keyframe_requests_sent);
	json_builder_set_member_name(b, "send_threads");
	json_builder_add_int_value(b, 1 + hdmirtc_send_workers_get_n_threads(w->send_workers));
	json_builder_set_member_name(b, "frames_spread");
	json_builder_add_int_value(b, (gint64)w->frames_spread);
	json_builder_set_member_name(b, "frames_started_early");
	json_builder_add_int_value(b, (gint64)w->frames_started_early);
	hdmirtc_send_priority_add_status(w->send_priority, b);
	hdmirtc_frame_timings_add_status(&w->timings, b);
}

/* ---- Life cycle --------------------------------------------------------- */

static void copy_ice_config(HdmirtcWebrtc *w, const HdmirtcWebrtcConfig *config)
{
	w->stun_host = g_strdup(config->stun_host);
	w->local_addresses = g_strdupv((char **)config->local_addresses);
	w->public_addresses = g_strdupv((char **)config->public_addresses);
	w->tunnels = hdmirtc_relay_tunnels_new(w->ctx, config->turn_tls_ca, config->turn_tls_verify);
	w->relays = g_array_new(FALSE, TRUE, sizeof(HdmirtcWebrtcRelay));
	g_array_set_clear_func(w->relays, clear_relay);
	w->ice = (HdmirtcIceConfig){
		.stun_host = w->stun_host,
		.stun_port = config->stun_port,
		.port_min = config->udp_port_min,
		.port_max = config->udp_port_max,
		.local_addresses = (const char *const *)w->local_addresses,
		.ipv6 = config->ipv6,
		.ice_tcp = config->ice_tcp,
		.public_addresses = (const char *const *)w->public_addresses,
	};
}

HdmirtcWebrtc *hdmirtc_webrtc_new(GMainContext *ctx, const HdmirtcWebrtcConfig *config,
                                  HdmirtcKeyframeRequestFunc request_keyframe, gpointer user_data,
                                  GError **error)
{
	HdmirtcWebrtc *w = g_new0(HdmirtcWebrtc, 1);

	w->ctx = g_main_context_ref(ctx);
	w->max_viewers = config->max_viewers;
	w->prefer_dtls_server = config->prefer_dtls_server;
	w->audio = config->audio;
	w->request_keyframe = request_keyframe;
	w->user_data = user_data;
	w->keyframe_min_interval_us = (gint64)config->keyframe_min_interval_ms * 1000;
	w->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)hdmirtc_peer_free);
	w->pending_answers = g_ptr_array_new();
	w->feeds = g_ptr_array_new_with_free_func((GDestroyNotify)hdmirtc_rtp_feed_free);
	w->outbounds = g_ptr_array_new_with_free_func((GDestroyNotify)hdmirtc_outbound_free);
	w->packetizer = hdmirtc_h264_packetizer_new();
	w->batch = hdmirtc_peer_batch_new();
	w->send_priority = hdmirtc_send_priority_new(config->send_priority);
	w->send_workers = hdmirtc_send_workers_new(
		MIN(g_get_num_processors() - 1, MAX_SEND_WORKERS), w->send_priority);
	w->send_items = g_array_new(FALSE, FALSE, sizeof(SendItem));
	copy_ice_config(w, config);
	w->cert = hdmirtc_dtls_cert_load_or_create(config->certificate_path, error);
	if (!w->cert) {
		hdmirtc_webrtc_free(w);
		return NULL;
	}
	return w;
}

void hdmirtc_webrtc_free(HdmirtcWebrtc *w)
{
	if (!w)
		return;
	hdmirtc_negotiation_end_all(w, "the service is stopping");
	g_ptr_array_unref(w->pending_answers);
	g_hash_table_destroy(w->peers);
	g_ptr_array_unref(w->feeds);
	g_ptr_array_unref(w->outbounds);
	hdmirtc_source_clear_id(w->ctx, &w->reap_source);
	hdmirtc_source_clear_id(w->ctx, &w->pending_keyframe_source);
	hdmirtc_h264_packetizer_free(w->packetizer);
	hdmirtc_send_workers_free(w->send_workers);
	hdmirtc_send_priority_free(w->send_priority);
	g_array_unref(w->send_items);
	hdmirtc_peer_batch_free(w->batch);
	hdmirtc_dtls_cert_free(w->cert);
	g_strfreev(w->local_addresses);
	g_strfreev(w->public_addresses);
	g_array_unref(w->relays);
	hdmirtc_relay_tunnels_free(w->tunnels);
	g_free(w->stun_host);
	g_main_context_unref(w->ctx);
	g_free(w);
}
