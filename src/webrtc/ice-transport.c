/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ice-transport.h"

#include <errno.h>
#include <gio/gio.h>
#include <nice/agent.h>
#include <nice/interfaces.h>
#include <string.h>

#include "udp-batch.h"

#define ICE_COMPONENT 1

G_STATIC_ASSERT(HDMIRTC_ICE_BATCH_MAX <= HDMIRTC_UDP_BATCH_MAX);

/* One libnice agent with its stream.  An ICE restart gathers on a new
 * agent (the addresses may have changed, and libnice cannot drop a local
 * address) while the old one keeps carrying media until the new one
 * connects: a viewer whose path still works sees no gap. */
typedef struct {
	HdmirtcIceTransport *owner;
	NiceAgent *agent;
	guint stream_id;
	HdmirtcIceState state;
	gboolean gathering_done;
	char *ufrag;
	char *pwd;
	char *remote_ufrag;
	/* Media batches skip libnice on a plain UDP pair (host, srflx, prflx:
	 * what nice_agent_get_selected_socket() hands out): libnice would
	 * take its lock, compare addresses and go through GSocket for each
	 * batch, and it cannot do GSO.  A relayed or TCP pair needs libnice's
	 * framing, so batches go through it there. */
	GSocket *direct_socket;         /* ref; NULL = through libnice */
	HdmirtcUdpBatch direct;
	gboolean pair_changed;          /* look the direct path up again */
	gboolean tcp;                   /* ICE-TCP (RFC 6544) too */
	gboolean arrival_added;         /* gathers on config->arrival_address */
} IceLeg;

struct HdmirtcIceTransport {
	GMainContext *ctx;
	HdmirtcIceCallbacks callbacks;
	gpointer user_data;
	HdmirtcIceState state;          /* of the active leg */
	IceLeg *active;                 /* sends media */
	IceLeg *next;                   /* an ICE restart in progress, or NULL */
	GStrv public_addresses;
	guint restarts;
	gboolean libnice_only;          /* hdmirtc_ice_transport_set_direct_send(FALSE) */
};

static void ice_leg_free(IceLeg *leg);

/* The leg signalling talks about: the restarting one if any. */
static IceLeg *newest_leg(HdmirtcIceTransport *ice)
{
	return ice->next ? ice->next : ice->active;
}

const char *hdmirtc_ice_state_to_string(HdmirtcIceState state)
{
	switch (state) {
	case HDMIRTC_ICE_STATE_NEW: return "new";
	case HDMIRTC_ICE_STATE_CHECKING: return "checking";
	case HDMIRTC_ICE_STATE_CONNECTED: return "connected";
	case HDMIRTC_ICE_STATE_FAILED: return "failed";
	}
	return "unknown";
}

static void set_state(HdmirtcIceTransport *ice, HdmirtcIceState state)
{
	if (ice->state == state)
		return;
	g_debug("ICE %s -> %s", hdmirtc_ice_state_to_string(ice->state),
		hdmirtc_ice_state_to_string(state));
	ice->state = state;
	if (ice->callbacks.state_changed)
		ice->callbacks.state_changed(ice, state, ice->user_data);
}

static HdmirtcIceState ice_state_from_nice(guint state, HdmirtcIceState current)
{
	switch (state) {
	case NICE_COMPONENT_STATE_CONNECTING:
		return HDMIRTC_ICE_STATE_CHECKING;
	case NICE_COMPONENT_STATE_CONNECTED:
	case NICE_COMPONENT_STATE_READY:
		return HDMIRTC_ICE_STATE_CONNECTED;
	case NICE_COMPONENT_STATE_FAILED:
		return HDMIRTC_ICE_STATE_FAILED;
	default:
		return current;
	}
}

/* The restarted leg works: it takes over sending, the old one goes. */
static void promote_next(HdmirtcIceTransport *ice)
{
	ice_leg_free(ice->active);
	ice->active = g_steal_pointer(&ice->next);
	ice->restarts++;
	/* A restart before the first path ever connected starts DTLS here. */
	set_state(ice, HDMIRTC_ICE_STATE_CONNECTED);
	if (ice->callbacks.restarted)
		ice->callbacks.restarted(ice, ice->user_data);
}

static void on_nice_component_state_changed(NiceAgent *agent, guint stream_id, guint component_id,
                                            guint state, gpointer user_data)
{
	IceLeg *leg = user_data;
	HdmirtcIceTransport *ice = leg->owner;

	leg->state = ice_state_from_nice(state, leg->state);
	if (leg == ice->active) {
		/* During a restart the old path may die: the new one decides. */
		if (!(ice->next && leg->state == HDMIRTC_ICE_STATE_FAILED))
			set_state(ice, leg->state);
	} else if (leg == ice->next && leg->state == HDMIRTC_ICE_STATE_CONNECTED) {
		promote_next(ice);
	} else if (leg == ice->next && leg->state == HDMIRTC_ICE_STATE_FAILED) {
		/* The viewer restarted because its path broke: nothing is left. */
		set_state(ice, HDMIRTC_ICE_STATE_FAILED);
	}
}

static void on_nice_gathering_done(NiceAgent *agent, guint stream_id, gpointer user_data)
{
	IceLeg *leg = user_data;
	HdmirtcIceTransport *ice = leg->owner;

	leg->gathering_done = TRUE;
	if (leg == newest_leg(ice) && ice->callbacks.gathering_done)
		ice->callbacks.gathering_done(ice, ice->user_data);
}

static void on_nice_receive(NiceAgent *agent, guint stream_id, guint component_id, guint len,
                            gchar *buf, gpointer user_data)
{
	IceLeg *leg = user_data;
	HdmirtcIceTransport *ice = leg->owner;

	if (ice->callbacks.received && len > 0)
		ice->callbacks.received(ice, (const guint8 *)buf, len, ice->user_data);
}

/* libnice may select a better pair after the first (nomination, a
 * restart's checks): the socket or the address may change. */
static void on_nice_new_selected_pair(NiceAgent *agent, guint stream_id, guint component_id,
                                      NiceCandidate *local, NiceCandidate *remote, gpointer user_data)
{
	IceLeg *leg = user_data;

	leg->pair_changed = TRUE;
}

static gboolean add_local_address(NiceAgent *agent, const char *text, GError **error)
{
	NiceAddress addr;

	nice_address_init(&addr);
	if (!nice_address_set_from_string(&addr, text)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "'%s' is not an IP address", text);
		return FALSE;
	}
	return nice_agent_add_local_address(agent, &addr);
}

/* The arrival address, when it adds a path to a list of addresses. */
static gboolean arrival_adds_path(const HdmirtcIceConfig *config)
{
	const char *a = config->arrival_address;

	if (!a || !a[0] || g_strv_contains(config->local_addresses, a))
		return FALSE;
	if (strchr(a, ':'))
		return config->ipv6 && g_ascii_strncasecmp(a, "fe80:", 5) != 0;
	return !g_str_has_prefix(a, "169.254.");
}

/* Without an explicit list libnice gathers on every non-loopback address;
 * IPv6 off means listing the IPv4 ones ourselves. */
static gboolean add_local_addresses(IceLeg *leg, const HdmirtcIceConfig *config, GError **error)
{
	NiceAgent *agent = leg->agent;

	if (config->local_addresses && config->local_addresses[0]) {
		for (const char *const *a = config->local_addresses; *a; a++) {
			if (!config->ipv6 && strchr(*a, ':'))
				continue;
			if (!add_local_address(agent, *a, error))
				return FALSE;
		}
		if (arrival_adds_path(config))
			leg->arrival_added = add_local_address(agent, config->arrival_address, NULL);
		return TRUE;
	}
	if (config->ipv6)
		return TRUE;

	GList *ips = nice_interfaces_get_local_ips(FALSE);
	for (GList *l = ips; l; l = l->next) {
		if (!strchr(l->data, ':'))
			add_local_address(agent, l->data, NULL);
	}
	g_list_free_full(ips, g_free);
	return TRUE;
}

static NiceRelayType relay_type(HdmirtcWebrtcRelayTransport transport)
{
	switch (transport) {
	case HDMIRTC_WEBRTC_RELAY_TCP: return NICE_RELAY_TYPE_TURN_TCP;
	case HDMIRTC_WEBRTC_RELAY_TLS:  /* never here: the hub tunnels TLS over TCP */
	case HDMIRTC_WEBRTC_RELAY_UDP: break;
	}
	return NICE_RELAY_TYPE_TURN_UDP;
}

/* A TURN server libnice refuses (bad address) is logged and skipped: the
 * other candidates still work. */
static void add_relays(IceLeg *leg, const HdmirtcIceConfig *config)
{
	for (guint i = 0; i < config->n_relays; i++) {
		const HdmirtcWebrtcRelay *r = &config->relays[i];

		if (!config->ipv6 && strchr(r->ip, ':'))
			continue;
		if (!nice_agent_set_relay_info(leg->agent, leg->stream_id, ICE_COMPONENT, r->ip, r->port,
					       r->username ? r->username : "",
					       r->password ? r->password : "", relay_type(r->transport)))
			g_warning("TURN server %s:%u refused by libnice", r->ip, r->port);
	}
}

static gboolean configure_agent(IceLeg *leg, const HdmirtcIceConfig *config, GError **error)
{
	g_object_set(leg->agent, "controlling-mode", config->controlling, "upnp", FALSE, "ice-tcp", config->ice_tcp,
		     NULL);
	if (config->stun_host && config->stun_host[0])
		g_object_set(leg->agent, "stun-server", config->stun_host,
			     "stun-server-port", config->stun_port, NULL);
	if (!add_local_addresses(leg, config, error))
		return FALSE;

	leg->stream_id = nice_agent_add_stream(leg->agent, 1);
	if (leg->stream_id == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice could not add a stream");
		return FALSE;
	}
	nice_agent_set_stream_name(leg->agent, leg->stream_id, "video");
	if (config->port_min && config->port_max)
		nice_agent_set_port_range(leg->agent, leg->stream_id, ICE_COMPONENT,
					  config->port_min, config->port_max);
	add_relays(leg, config);
	return TRUE;
}

static gboolean start_gathering(IceLeg *leg, GMainContext *ctx, GError **error)
{
	g_signal_connect(leg->agent, "component-state-changed",
			 G_CALLBACK(on_nice_component_state_changed), leg);
	g_signal_connect(leg->agent, "candidate-gathering-done", G_CALLBACK(on_nice_gathering_done), leg);
	g_signal_connect(leg->agent, "new-selected-pair-full", G_CALLBACK(on_nice_new_selected_pair), leg);
	nice_agent_attach_recv(leg->agent, leg->stream_id, ICE_COMPONENT, ctx, on_nice_receive, leg);
	if (!nice_agent_gather_candidates(leg->agent, leg->stream_id)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
			    "no local candidate could be gathered (UDP port range exhausted or no usable address)");
		return FALSE;
	}
	if (!nice_agent_get_local_credentials(leg->agent, leg->stream_id, &leg->ufrag, &leg->pwd)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice has no local credentials");
		return FALSE;
	}
	return TRUE;
}

static void ice_leg_free(IceLeg *leg)
{
	if (!leg)
		return;
	g_clear_object(&leg->direct_socket);
	if (leg->agent) {
		g_signal_handlers_disconnect_by_data(leg->agent, leg);
		if (leg->stream_id) {
			nice_agent_attach_recv(leg->agent, leg->stream_id, ICE_COMPONENT,
					       leg->owner->ctx, NULL, NULL);
			nice_agent_remove_stream(leg->agent, leg->stream_id);
		}
		nice_agent_close_async(leg->agent, NULL, NULL);
		g_object_unref(leg->agent);
	}
	g_free(leg->ufrag);
	g_free(leg->pwd);
	g_free(leg->remote_ufrag);
	g_free(leg);
}

static gboolean leg_set_remote_credentials(IceLeg *leg, const char *ufrag, const char *pwd,
                                           GError **error)
{
	if (!nice_agent_set_remote_credentials(leg->agent, leg->stream_id, ufrag, pwd)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "ICE credentials rejected (ufrag '%s')", ufrag);
		return FALSE;
	}
	g_free(leg->remote_ufrag);
	leg->remote_ufrag = g_strdup(ufrag);
	return TRUE;
}

static IceLeg *ice_leg_new(HdmirtcIceTransport *ice, const HdmirtcIceConfig *config, GError **error)
{
	IceLeg *leg = g_new0(IceLeg, 1);

	leg->owner = ice;
	leg->pair_changed = TRUE;
	leg->tcp = config->ice_tcp;
	leg->agent = nice_agent_new_full(ice->ctx, NICE_COMPATIBILITY_RFC5245,
					 NICE_AGENT_OPTION_ICE_TRICKLE);
	if (!configure_agent(leg, config, error) || !start_gathering(leg, ice->ctx, error)) {
		ice_leg_free(leg);
		return NULL;
	}
	return leg;
}

HdmirtcIceTransport *hdmirtc_ice_transport_new(GMainContext *ctx, const HdmirtcIceConfig *config,
                                               const HdmirtcIceCallbacks *callbacks,
                                               gpointer user_data, GError **error)
{
	HdmirtcIceTransport *ice = g_new0(HdmirtcIceTransport, 1);

	ice->ctx = g_main_context_ref(ctx);
	ice->callbacks = *callbacks;
	ice->user_data = user_data;
	ice->public_addresses = g_strdupv((char **)config->public_addresses);
	ice->active = ice_leg_new(ice, config, error);
	if (!ice->active) {
		hdmirtc_ice_transport_free(ice);
		return NULL;
	}
	return ice;
}

gboolean hdmirtc_ice_transport_restart(HdmirtcIceTransport *ice, const HdmirtcIceConfig *config,
                                       const char *remote_ufrag, const char *remote_pwd,
                                       GError **error)
{
	IceLeg *leg = ice_leg_new(ice, config, error);

	if (!leg)
		return FALSE;
	if (remote_ufrag && !leg_set_remote_credentials(leg, remote_ufrag, remote_pwd, error)) {
		ice_leg_free(leg);
		return FALSE;
	}
	/* A restart of a restart: the unfinished one is dropped. */
	ice_leg_free(ice->next);
	ice->next = leg;
	return TRUE;
}

void hdmirtc_ice_transport_free(HdmirtcIceTransport *ice)
{
	if (!ice)
		return;
	ice_leg_free(ice->next);
	ice_leg_free(ice->active);
	g_main_context_unref(ice->ctx);
	g_strfreev(ice->public_addresses);
	g_free(ice);
}

const char *hdmirtc_ice_transport_get_ufrag(HdmirtcIceTransport *ice)
{
	return newest_leg(ice)->ufrag;
}

const char *hdmirtc_ice_transport_get_pwd(HdmirtcIceTransport *ice)
{
	return newest_leg(ice)->pwd;
}

const char *hdmirtc_ice_transport_get_remote_ufrag(HdmirtcIceTransport *ice)
{
	return newest_leg(ice)->remote_ufrag;
}

guint hdmirtc_ice_transport_get_restarts(HdmirtcIceTransport *ice)
{
	return ice->restarts;
}

gboolean hdmirtc_ice_transport_is_restarting(HdmirtcIceTransport *ice)
{
	return ice->next != NULL;
}

/* The static 1:1 NAT case (kvmd-janus-static): the public address maps
 * each port to the same port of the private address, so a host candidate
 * with the public address and the real port reaches the real socket. */
static void add_public_candidates(HdmirtcIceTransport *ice, GSList *cands, GPtrArray *lines)
{
	guint n = 0;

	for (guint i = 0; ice->public_addresses && ice->public_addresses[i]; i++) {
		const char *pub = ice->public_addresses[i];
		gboolean pub6 = strchr(pub, ':') != NULL;

		for (GSList *l = cands; l; l = l->next) {
			const NiceCandidate *c = l->data;
			char addr[NICE_ADDRESS_STRING_LEN];
			gboolean tcp = c->transport == NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE;

			nice_address_to_string(&c->addr, addr);
			if (c->type != NICE_CANDIDATE_TYPE_HOST ||
			    (c->transport != NICE_CANDIDATE_TRANSPORT_UDP && !tcp) ||
			    (strchr(addr, ':') != NULL) != pub6 || g_str_equal(addr, pub))
				continue;
			g_ptr_array_add(lines, g_strdup_printf("candidate:pub%u %u %s %u %s %u typ host%s",
							       ++n, c->component_id, tcp ? "tcp" : "udp",
							       c->priority > 1 ? c->priority - 1 : 1,
							       pub, nice_address_get_port(&c->addr),
							       tcp ? " tcptype passive" : ""));
		}
	}
}

GPtrArray *hdmirtc_ice_transport_get_local_candidates(HdmirtcIceTransport *ice)
{
	IceLeg *leg = newest_leg(ice);
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	GSList *cands = nice_agent_get_local_candidates(leg->agent, leg->stream_id, ICE_COMPONENT);

	for (GSList *l = cands; l; l = l->next) {
		char *sdp = nice_agent_generate_local_candidate_sdp(leg->agent, l->data);

		if (sdp && g_str_has_prefix(sdp, "a="))
			g_ptr_array_add(lines, g_strdup(sdp + 2));
		g_free(sdp);
	}
	add_public_candidates(ice, cands, lines);
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	return lines;
}

gboolean hdmirtc_ice_transport_is_gathering_done(HdmirtcIceTransport *ice)
{
	return newest_leg(ice)->gathering_done;
}

gboolean hdmirtc_ice_transport_has_arrival_candidate(HdmirtcIceTransport *ice)
{
	return newest_leg(ice)->arrival_added;
}

gboolean hdmirtc_ice_transport_set_remote_credentials(HdmirtcIceTransport *ice, const char *ufrag,
                                                      const char *pwd, GError **error)
{
	return leg_set_remote_credentials(newest_leg(ice), ufrag, pwd, error);
}

gboolean hdmirtc_ice_transport_add_remote_candidate(HdmirtcIceTransport *ice, const char *line)
{
	IceLeg *leg = newest_leg(ice);
	g_autofree char *sdp = g_str_has_prefix(line, "a=") ? g_strdup(line) : g_strconcat("a=", line, NULL);
	NiceCandidate *cand = nice_agent_parse_remote_candidate_sdp(leg->agent, leg->stream_id, sdp);

	if (!cand)
		return FALSE;
	if ((cand->transport != NICE_CANDIDATE_TRANSPORT_UDP && !leg->tcp) ||
	    cand->component_id != ICE_COMPONENT) {
		nice_candidate_free(cand);
		return FALSE;
	}
	GSList list = { .data = cand, .next = NULL };
	int added = nice_agent_set_remote_candidates(leg->agent, leg->stream_id, ICE_COMPONENT, &list);
	nice_candidate_free(cand);
	return added == 1;
}

void hdmirtc_ice_transport_remote_gathering_done(HdmirtcIceTransport *ice)
{
	IceLeg *leg = newest_leg(ice);

	nice_agent_peer_candidate_gathering_done(leg->agent, leg->stream_id);
}

int hdmirtc_ice_transport_send(HdmirtcIceTransport *ice, const guint8 *data, gsize len)
{
	GOutputVector vec = { .buffer = data, .size = len };
	NiceOutputMessage msg = { .buffers = &vec, .n_buffers = 1 };
	g_autoptr(GError) error = NULL;
	int sent;

	if (ice->state != HDMIRTC_ICE_STATE_CONNECTED)
		return -ENOTCONN;
	sent = nice_agent_send_messages_nonblocking(ice->active->agent, ice->active->stream_id,
						    ICE_COMPONENT, &msg, 1, NULL, &error);
	if (sent == 1)
		return (int)len;
	if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return -EAGAIN;
	return sent == 0 ? -EAGAIN : -EIO;
}

/* The selected pair's own UDP socket and the viewer's address, or
 * nothing (relay, TCP, no pair yet, or direct sending turned off). */
static void refresh_direct_path(HdmirtcIceTransport *ice, IceLeg *leg)
{
	NiceCandidate *local = NULL, *remote = NULL;
	struct sockaddr_storage to;
	GSocket *sock;

	leg->pair_changed = FALSE;
	g_clear_object(&leg->direct_socket);
	if (ice->libnice_only)
		return;
	sock = nice_agent_get_selected_socket(leg->agent, leg->stream_id, ICE_COMPONENT);
	if (!sock)
		return;
	if (!nice_agent_get_selected_pair(leg->agent, leg->stream_id, ICE_COMPONENT, &local, &remote)) {
		g_object_unref(sock);
		return;
	}
	memset(&to, 0, sizeof(to));
	nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&to);
	hdmirtc_udp_batch_init(&leg->direct, g_socket_get_fd(sock), (struct sockaddr *)&to,
			       to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							: sizeof(struct sockaddr_in), TRUE);
	leg->direct_socket = sock;
}

static int send_batch_through_libnice(IceLeg *leg, const GOutputVector *pkts, guint n)
{
	NiceOutputMessage msgs[HDMIRTC_ICE_BATCH_MAX];
	g_autoptr(GError) error = NULL;
	int sent;

	/* libnice only reads the vectors; its struct lacks the const. */
	for (guint i = 0; i < n; i++)
		msgs[i] = (NiceOutputMessage){ .buffers = (GOutputVector *)&pkts[i], .n_buffers = 1 };
	sent = nice_agent_send_messages_nonblocking(leg->agent, leg->stream_id, ICE_COMPONENT, msgs, n,
						    NULL, &error);
	if (sent > 0)
		return sent;
	if (sent == 0 || (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
		return -EAGAIN;
	return -EIO;
}

/* The selected pair's own socket, looked up again when the pair changed. */
static gboolean direct_path_ready(HdmirtcIceTransport *ice, IceLeg *leg)
{
	if (leg->pair_changed)
		refresh_direct_path(ice, leg);
	/* libnice closes its sockets when it drops a candidate; a closed
	 * GSocket's descriptor number may already belong to something else. */
	if (leg->direct_socket && g_socket_is_closed(leg->direct_socket))
		refresh_direct_path(ice, leg);
	return leg->direct_socket != NULL;
}

gboolean hdmirtc_ice_transport_prepare_direct_send(HdmirtcIceTransport *ice)
{
	return ice->state == HDMIRTC_ICE_STATE_CONNECTED && direct_path_ready(ice, ice->active);
}

int hdmirtc_ice_transport_send_batch(HdmirtcIceTransport *ice, const GOutputVector *pkts, guint n)
{
	IceLeg *leg = ice->active;

	g_return_val_if_fail(n <= HDMIRTC_ICE_BATCH_MAX, -EINVAL);
	if (ice->state != HDMIRTC_ICE_STATE_CONNECTED)
		return -ENOTCONN;
	if (n == 0)
		return 0;
	if (direct_path_ready(ice, leg))
		return hdmirtc_udp_batch_send(&leg->direct, pkts, n);
	return send_batch_through_libnice(leg, pkts, n);
}

void hdmirtc_ice_transport_set_direct_send(HdmirtcIceTransport *ice, gboolean allow)
{
	ice->libnice_only = !allow;
	ice->active->pair_changed = TRUE;
	if (ice->next)
		ice->next->pair_changed = TRUE;
}

const char *hdmirtc_ice_transport_get_send_path(HdmirtcIceTransport *ice)
{
	IceLeg *leg = ice->active;

	if (ice->state != HDMIRTC_ICE_STATE_CONNECTED)
		return "none";
	if (!leg->direct_socket)
		return leg->pair_changed && !ice->libnice_only ? "pending" : "libnice";
	return leg->direct.gso == HDMIRTC_UDP_GSO_ON ? "udp-gso" : "udp-sendmmsg";
}

static const char *candidate_type_name(NiceCandidateType type)
{
	switch (type) {
	case NICE_CANDIDATE_TYPE_HOST: return "host";
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return "prflx";
	case NICE_CANDIDATE_TYPE_RELAYED: return "relay";
	}
	return "unknown";
}

static char *describe_candidate(const NiceCandidate *cand)
{
	char addr[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(&cand->addr, addr);
	return g_strdup_printf(strchr(addr, ':') ? "%s %s [%s]:%u" : "%s %s %s:%u",
			       candidate_type_name(cand->type),
			       cand->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp",
			       addr, nice_address_get_port(&cand->addr));
}

char *hdmirtc_ice_transport_describe_pair(HdmirtcIceTransport *ice)
{
	NiceCandidate *local = NULL, *remote = NULL;

	if (!nice_agent_get_selected_pair(ice->active->agent, ice->active->stream_id, ICE_COMPONENT,
					  &local, &remote))
		return NULL;
	g_autofree char *l = describe_candidate(local);
	g_autofree char *r = describe_candidate(remote);
	return g_strdup_printf("%s -> %s", l, r);
}
