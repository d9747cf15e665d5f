/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "relay-tunnels.h"

#include "hdmirtc/json-members.h"
#include "hdmirtc/turn-tls.h"

typedef struct {
	char *key;                      /* "name ip port" */
	char *server;                   /* "name:port", for the status */
	HdmirtcTurnTlsTunnel *tunnel;
} RelayTunnel;

struct HdmirtcRelayTunnels {
	GMainContext *ctx;
	char *ca_file;
	gboolean verify;
	GPtrArray *tunnels;             /* RelayTunnel*, owned */
};

static void relay_tunnel_free(gpointer p)
{
	RelayTunnel *rt = p;

	hdmirtc_turn_tls_tunnel_free(rt->tunnel);
	g_free(rt->key);
	g_free(rt->server);
	g_free(rt);
}

HdmirtcRelayTunnels *hdmirtc_relay_tunnels_new(GMainContext *ctx, const char *ca_file, gboolean verify)
{
	HdmirtcRelayTunnels *t = g_new0(HdmirtcRelayTunnels, 1);

	t->ctx = g_main_context_ref(ctx);
	t->ca_file = ca_file && ca_file[0] ? g_strdup(ca_file) : NULL;
	t->verify = verify;
	t->tunnels = g_ptr_array_new_with_free_func(relay_tunnel_free);
	return t;
}

void hdmirtc_relay_tunnels_free(HdmirtcRelayTunnels *t)
{
	if (!t)
		return;
	g_ptr_array_unref(t->tunnels);
	g_main_context_unref(t->ctx);
	g_free(t->ca_file);
	g_free(t);
}

guint hdmirtc_relay_tunnels_get_port(HdmirtcRelayTunnels *t, const HdmirtcWebrtcRelay *relay,
                                     GError **error)
{
	const char *name = relay->server_name ? relay->server_name : relay->ip;
	g_autofree char *key = g_strdup_printf("%s %s %u", name, relay->ip, relay->port);
	RelayTunnel *rt;

	for (guint i = 0; i < t->tunnels->len; i++) {
		rt = t->tunnels->pdata[i];
		if (g_str_equal(rt->key, key))
			return hdmirtc_turn_tls_tunnel_get_port(rt->tunnel);
	}
	HdmirtcTurnTlsTunnel *tunnel = hdmirtc_turn_tls_tunnel_new(t->ctx, relay->ip, relay->port, name,
								  t->ca_file, t->verify, error);
	if (!tunnel)
		return 0;
	rt = g_new0(RelayTunnel, 1);
	rt->key = g_steal_pointer(&key);
	rt->server = g_strdup_printf(strchr(name, ':') ? "[%s]:%u" : "%s:%u", name, relay->port);
	rt->tunnel = tunnel;
	g_ptr_array_add(t->tunnels, rt);
	g_message("TURN over TLS to %s (%s) through 127.0.0.1:%u", rt->server, relay->ip,
		  hdmirtc_turn_tls_tunnel_get_port(tunnel));
	return hdmirtc_turn_tls_tunnel_get_port(tunnel);
}

void hdmirtc_relay_tunnels_add_status(HdmirtcRelayTunnels *t, JsonBuilder *b)
{
	json_builder_set_member_name(b, "turn_tls_tunnels");
	json_builder_begin_array(b);
	for (guint i = 0; i < t->tunnels->len; i++) {
		RelayTunnel *rt = t->tunnels->pdata[i];

		json_builder_begin_object(b);
		hdmirtc_json_add_string(b, "server", rt->server);
		hdmirtc_json_add_int(b, "port", hdmirtc_turn_tls_tunnel_get_port(rt->tunnel));
		hdmirtc_json_add_int(b, "connections", hdmirtc_turn_tls_tunnel_get_connections(rt->tunnel));
		hdmirtc_json_add_int(b, "failures", hdmirtc_turn_tls_tunnel_get_failures(rt->tunnel));
		hdmirtc_json_add_int(b, "active", hdmirtc_turn_tls_tunnel_get_active(rt->tunnel));
		hdmirtc_json_add_string(b, "last_error", hdmirtc_turn_tls_tunnel_get_last_error(rt->tunnel));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}
