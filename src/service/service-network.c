/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The service's side of the network: the addresses ICE gathers on (and
 * following them when they change), the STUN server's view of us, the
 * TURN servers.  Everything retries in the background: an offline KVM or
 * an unreachable server never stops the service. */
#include "service-private.h"
#include "hdmirtc/gsource.h"

#include <string.h>

/* Retries of the STUN and TURN name lookups and the STUN probe. */
#define RETRY_FIRST_S 2
#define RETRY_MAX_S 60
/* Consecutive failed STUN probes after which viewers stop asking libnice
 * for server-reflexive candidates (each would delay its answer). */
#define STUN_FAILURES_BEFORE_OFF 2
/* rtnetlink sends a burst per change (addresses, routes, both families). */
#define NETWORK_SETTLE_MS 150

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

void hdmirtc_service_add_network_status(HdmirtcService *s, JsonBuilder *b)
{
	json_builder_set_member_name(b, "network");
	json_builder_begin_object(b);
	add_strv_member(b, "interfaces", s->choice ? (const char *const *)s->choice->interfaces : NULL);
	add_strv_member(b, "addresses", s->choice ? (const char *const *)s->choice->addresses : NULL);
	add_string_member(b, "address_choice", s->choice ? s->choice->reason : "libnice default");
	json_builder_set_member_name(b, "changes");
	json_builder_add_int_value(b, s->network_changes);
	add_strv_member(b, "public_addresses", (const char *const *)s->public_addresses);
	add_string_member(b, "stun_server", s->stun_server);
	add_string_member(b, "stun_state", stun_state(s));
	add_string_member(b, "stun_address", s->stun_address);
	add_string_member(b, "stun_external_address", s->stun_external);
	add_string_member(b, "stun_error", s->stun_error);
	add_turn_status(s, b);
	json_builder_end_object(b);
}


/* An automatic choice that finds nothing leaves it to libnice. */
gboolean hdmirtc_service_choose_addresses(HdmirtcService *s, const HdmirtcConfig *c, GError **error)
{
	s->interfaces = g_strdupv(c->interfaces);
	s->ipv6 = c->ipv6;
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
			.server_name = t->server.host,
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

	hdmirtc_source_clear(&t->retry);
	g_free(t->url);
	hdmirtc_config_turn_server_clear(&t->server);
	g_free(t->address);
	g_free(t->error);
	g_free(t);
}

GStrv hdmirtc_service_ice_links(HdmirtcService *s)
{
	g_autoptr(GStrvBuilder) links = g_strv_builder_new();

	for (guint i = 0; s->turn && i < s->turn->len; i++) {
		TurnServer *t = s->turn->pdata[i];
		g_autofree char *link = hdmirtc_http_format_ice_server_link(
			t->url, s->turn_username && s->turn_username[0] ? s->turn_username : NULL,
			s->turn_password && s->turn_password[0] ? s->turn_password : NULL);

		if (link)
			g_strv_builder_add(links, link);
	}
	return g_strv_builder_end(links);
}

static gboolean on_turn_refresh(gpointer user_data);

/* New time-limited credentials, valid for the configured lifetime, for
 * the relays of viewers that join from now on and for the browsers; made
 * again at half the lifetime, so what a browser gets is always valid for
 * at least half of it. */
static void refresh_turn_credentials(HdmirtcService *s)
{
	gint64 expires = g_get_real_time() / G_USEC_PER_SEC + s->turn_ttl_s;
	g_autoptr(GError) error = NULL;

	g_free(s->turn_username);
	g_free(s->turn_password);
	hdmirtc_net_turn_rest_credentials(s->turn_secret, s->turn_user, expires,
					  &s->turn_username, &s->turn_password);
	if (s->turn)
		update_relays(s);
	if (s->http) {
		g_auto(GStrv) links = hdmirtc_service_ice_links(s);
		if (!hdmirtc_http_server_set_ice_servers(s->http, (const char *const *)links, &error))
			g_warning("TURN credentials for browsers: %s", error->message);
	}
	if (!s->turn_refresh_source) {
		GSource *timer = g_timeout_source_new_seconds(MAX(s->turn_ttl_s / 2, 1));

		g_source_set_callback(timer, on_turn_refresh, s, NULL);
		s->turn_refresh_source = g_source_attach(timer, s->ctx);
		g_source_unref(timer);
	}
}

static gboolean on_turn_refresh(gpointer user_data)
{
	refresh_turn_credentials(user_data);
	return G_SOURCE_CONTINUE;
}

static void start_turn(HdmirtcService *s, const HdmirtcConfig *c)
{
	s->turn_user = g_strdup(c->turn_username);
	s->turn_secret = g_strdup(c->turn_secret);
	s->turn_ttl_s = c->turn_credential_ttl_s;
	if (s->turn_secret[0])
		refresh_turn_credentials(s);
	else {
		s->turn_username = g_strdup(c->turn_username);
		s->turn_password = g_strdup(c->turn_password);
	}
	for (guint i = 0; c->turn_servers[i]; i++) {
		TurnServer *t = g_new0(TurnServer, 1);
		t->s = s;
		t->url = g_strdup(c->turn_servers[i]);
		if (!hdmirtc_config_parse_turn_url(t->url, &t->server, NULL)) {
			turn_server_free(t);
			continue;   /* the configuration checked it already */
		}
		g_ptr_array_add(s->turn, t);
		resolve_turn(t);
	}
}


/* ---- Following the network ---------------------------------------------- */

static void restart_stun_probe(HdmirtcService *s)
{
	g_autofree char *host = NULL;
	guint16 port = 0;

	if (!s->stun_probe || !hdmirtc_config_parse_host_port(s->stun_server, &host, &port, NULL))
		return;
	hdmirtc_stun_probe_free(s->stun_probe);
	s->stun_probe = NULL;
	g_clear_pointer(&s->stun_external, g_free);
	start_stun_probe(s, port);
}

/* New viewers, and viewers restarting ICE (the browser notices its path
 * broke and sends a WHEP PATCH), gather on the addresses of now; the STUN
 * probe learns the outside address again from the new one. */
static void on_network_changed(HdmirtcNetWatch *watch, gpointer user_data)
{
	HdmirtcService *s = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_read(&error);
	g_autoptr(HdmirtcNetChoice) choice = state ?
		hdmirtc_net_choose(state, (const char *const *)s->interfaces, s->ipv6, &error) : NULL;

	if (!choice) {
		g_warning("network changed, keeping the addresses of before: %s", error->message);
		return;
	}
	if (s->choice && g_strv_equal((const char *const *)s->choice->addresses,
				      (const char *const *)choice->addresses))
		return;
	g_autofree char *before = s->choice ? g_strjoinv(", ", s->choice->addresses) : g_strdup("");
	g_autofree char *now = g_strjoinv(", ", choice->addresses);
	g_message("network changed: ICE candidates now on %s (%s), before on %s",
		  now[0] ? now : "every address", choice->reason, before[0] ? before : "every address");
	hdmirtc_net_choice_free(s->choice);
	s->choice = g_steal_pointer(&choice);
	s->network_changes++;
	hdmirtc_webrtc_set_local_addresses(s->webrtc, (const char *const *)s->choice->addresses);
	restart_stun_probe(s);
}

void hdmirtc_service_start_network(HdmirtcService *s, const HdmirtcConfig *c)
{
	g_autoptr(GError) error = NULL;

	s->turn = g_ptr_array_new_with_free_func(turn_server_free);
	start_turn(s, c);
	start_stun_lookup(s);
	s->net_watch = hdmirtc_net_watch_new(s->ctx, NETWORK_SETTLE_MS, on_network_changed, s, &error);
	if (!s->net_watch)
		g_warning("network changes will go unnoticed: %s", error->message);
}

void hdmirtc_service_stop_network(HdmirtcService *s)
{
	/* Cancelled lookups still call back later (and return at once), but
	 * their timers would not: remove those first. */
	if (s->cancellable)
		g_cancellable_cancel(s->cancellable);
	hdmirtc_source_clear_id(s->ctx, &s->stun_retry_source);
	hdmirtc_source_clear_id(s->ctx, &s->turn_refresh_source);
	g_clear_pointer(&s->turn, g_ptr_array_unref);
	g_clear_pointer(&s->turn_username, g_free);
	g_clear_pointer(&s->turn_password, g_free);
	g_clear_pointer(&s->turn_user, g_free);
	g_clear_pointer(&s->turn_secret, g_free);
	g_clear_pointer(&s->stun_probe, hdmirtc_stun_probe_free);
	g_clear_pointer(&s->net_watch, hdmirtc_net_watch_free);
	g_clear_pointer(&s->stun_address, g_free);
	g_clear_pointer(&s->stun_error, g_free);
	g_clear_pointer(&s->stun_external, g_free);
	g_clear_pointer(&s->interfaces, g_strfreev);
	g_clear_object(&s->cancellable);
}
