/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A STUN Binding probe that never gives up: it tells the status what the
 * outside sees of us, and notices when an unreachable server comes back. */
#include "hdmirtc/net.h"
#include "hdmirtc/gsource.h"
#include "hdmirtc/random.h"

#include <string.h>

#define N_TRANSMISSIONS 4
static const guint rto_ms[N_TRANSMISSIONS] = { 250, 500, 1000, 2000 };
#define BACKOFF_FIRST_S 2
#define BACKOFF_MAX_S 60
#define RECHECK_S 300

struct HdmirtcStunProbe {
	GMainContext *ctx;
	GSocket *socket;
	GSocketAddress *server;
	GSource *read_source;
	GSource *timer;
	HdmirtcStunProbeFunc done;
	gpointer user_data;
	guint8 tid[12];
	guint transmissions;            /* of the current probe */
	guint failures;                 /* consecutive */
	guint backoff_s;
	gint64 started_us;
};

static void start_probe(HdmirtcStunProbe *probe);

static void arm_timer(HdmirtcStunProbe *probe, guint ms, GSourceFunc func)
{
	hdmirtc_source_clear(&probe->timer);
	probe->timer = g_timeout_source_new(ms);
	g_source_set_callback(probe->timer, func, probe, NULL);
	g_source_attach(probe->timer, probe->ctx);
}

static gboolean on_next_probe(gpointer user_data)
{
	start_probe(user_data);
	return G_SOURCE_REMOVE;
}

static void finish(HdmirtcStunProbe *probe, const char *address, guint16 port, const GError *error)
{
	memset(probe->tid, 0, sizeof(probe->tid));   /* late answers no longer match */
	if (error) {
		probe->failures++;
		probe->backoff_s = probe->backoff_s ? MIN(probe->backoff_s * 2, BACKOFF_MAX_S) : BACKOFF_FIRST_S;
		arm_timer(probe, probe->backoff_s * 1000, on_next_probe);
	} else {
		probe->failures = 0;
		probe->backoff_s = 0;
		arm_timer(probe, RECHECK_S * 1000, on_next_probe);
	}
	probe->done(probe, address, port, error, probe->user_data);
}

static void transmit(HdmirtcStunProbe *probe)
{
	guint8 req[HDMIRTC_NET_STUN_HEADER_LEN];

	hdmirtc_net_stun_build_binding_request(req, probe->tid);
	/* A send error (no route yet) is just a lost request: retransmit. */
	g_socket_send_to(probe->socket, probe->server, (const char *)req, sizeof(req), NULL, NULL);
}

static gboolean on_retransmit(gpointer user_data)
{
	HdmirtcStunProbe *probe = user_data;

	if (probe->transmissions < N_TRANSMISSIONS) {
		transmit(probe);
		arm_timer(probe, rto_ms[probe->transmissions++], on_retransmit);
		return G_SOURCE_REMOVE;
	}
	g_autofree char *server = g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(probe->server));
	g_autoptr(GError) error = g_error_new(HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_TIMEOUT,
					      "no answer from STUN server %s in %.1f s", server,
					      (g_get_monotonic_time() - probe->started_us) / 1e6);
	finish(probe, NULL, 0, error);
	return G_SOURCE_REMOVE;
}

static void start_probe(HdmirtcStunProbe *probe)
{
	hdmirtc_random_bytes(probe->tid, sizeof(probe->tid));
	probe->transmissions = 0;
	probe->started_us = g_get_monotonic_time();
	on_retransmit(probe);
}

static gboolean on_readable(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	HdmirtcStunProbe *probe = user_data;
	/* RFC 8489 6.2.1 only promises 576 bytes; a server may send up to
	 * a datagram's worth, which a short buffer would cut. */
	guint8 buf[2048];
	g_autoptr(GError) error = NULL;
	g_autofree char *address = NULL;
	guint16 port;
	static const guint8 idle_tid[12];

	for (;;) {
		gssize n = g_socket_receive(socket, (char *)buf, sizeof(buf), NULL, NULL);
		if (n < 0)
			break;
		if (memcmp(probe->tid, idle_tid, sizeof(idle_tid)) == 0)
			continue;
		g_clear_error(&error);
		if (hdmirtc_net_stun_parse_binding_response(buf, (gsize)n, probe->tid, &address, &port, &error)) {
			finish(probe, address, port, NULL);
			continue;
		}
		if (g_error_matches(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_REFUSED))
			finish(probe, NULL, 0, error);
	}
	return G_SOURCE_CONTINUE;
}

static GSocket *open_socket(GSocketAddress *server, const char *local_ip, GError **error)
{
	GSocketFamily family = g_socket_address_get_family(server);
	g_autoptr(GSocket) socket = g_socket_new(family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
	g_autoptr(GInetAddress) local = NULL;

	if (!socket)
		return NULL;
	if (local_ip && (local = g_inet_address_new_from_string(local_ip)) &&
	    g_inet_address_get_family(local) == family) {
		g_autoptr(GSocketAddress) bind_to = g_inet_socket_address_new(local, 0);
		if (!g_socket_bind(socket, bind_to, FALSE, error))
			return NULL;
	}
	g_socket_set_blocking(socket, FALSE);
	return g_steal_pointer(&socket);
}

HdmirtcStunProbe *hdmirtc_stun_probe_new(GMainContext *ctx, const char *server_ip, guint16 port,
                                         const char *local_ip, HdmirtcStunProbeFunc done,
                                         gpointer user_data, GError **error)
{
	g_autoptr(GInetAddress) ip = g_inet_address_new_from_string(server_ip);

	if (!ip) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "STUN server '%s' is not an IP address", server_ip);
		return NULL;
	}
	HdmirtcStunProbe *probe = g_new0(HdmirtcStunProbe, 1);
	probe->ctx = g_main_context_ref(ctx);
	probe->done = done;
	probe->user_data = user_data;
	probe->server = g_inet_socket_address_new(ip, port);
	probe->socket = open_socket(probe->server, local_ip, error);
	if (!probe->socket) {
		hdmirtc_stun_probe_free(probe);
		return NULL;
	}
	probe->read_source = g_socket_create_source(probe->socket, G_IO_IN, NULL);
	g_source_set_callback(probe->read_source, (GSourceFunc)(GCallback)on_readable, probe, NULL);
	g_source_attach(probe->read_source, ctx);
	start_probe(probe);
	return probe;
}

void hdmirtc_stun_probe_free(HdmirtcStunProbe *probe)
{
	if (!probe)
		return;
	hdmirtc_source_clear(&probe->timer);
	hdmirtc_source_clear(&probe->read_source);
	g_clear_object(&probe->socket);
	g_clear_object(&probe->server);
	g_main_context_unref(probe->ctx);
	g_free(probe);
}

guint hdmirtc_stun_probe_get_failures(HdmirtcStunProbe *probe)
{
	return probe->failures;
}
