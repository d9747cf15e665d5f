/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The host's network as the ICE agent needs it: which interfaces and
 * addresses to offer candidates on (read from the kernel over rtnetlink,
 * no libnl), and what the outside sees of us (a STUN binding probe).
 *
 * Thread: the parsing and choosing functions are pure and may run on any
 * thread; a HdmirtcStunProbe lives on the GMainContext given to it (the
 * network thread) and calls back there. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HDMIRTC_NET_ERROR (hdmirtc_net_error_quark())
GQuark hdmirtc_net_error_quark(void);

typedef enum {
	HDMIRTC_NET_ERROR_NETLINK,      /* socket, send or receive on rtnetlink failed */
	HDMIRTC_NET_ERROR_MALFORMED,    /* a netlink or STUN message does not parse */
	HDMIRTC_NET_ERROR_NO_ADDRESS,   /* the named interfaces have no usable address */
	HDMIRTC_NET_ERROR_TIMEOUT,      /* the STUN server did not answer */
	HDMIRTC_NET_ERROR_REFUSED,      /* the STUN server answered with an error */
} HdmirtcNetError;

/* ---- Interfaces and addresses (rtnetlink) ------------------------------ */

typedef struct {
	guint index;
	char *name;
	guint flags;                    /* IFF_UP, IFF_LOOPBACK, ... */
	char *kind;                     /* IFLA_INFO_KIND ("bridge", "veth"...) or NULL */
} HdmirtcNetLink;

typedef struct {
	guint index;                    /* interface */
	int family;                     /* AF_INET or AF_INET6 */
	char *address;                  /* IP literal */
	guint8 prefix_len;
	guint8 scope;                   /* RT_SCOPE_* */
	guint32 flags;                  /* IFA_F_* (IFA_FLAGS when present) */
} HdmirtcNetAddress;

typedef struct {
	int family;
	guint oif;                      /* interface index */
	guint32 priority;               /* metric; lower wins */
} HdmirtcNetDefaultRoute;

/* What the kernel said: links, addresses and default routes (main table,
 * unicast, with an output interface). */
typedef struct {
	GPtrArray *links;               /* HdmirtcNetLink*, owned */
	GPtrArray *addresses;           /* HdmirtcNetAddress*, owned */
	GArray *default_routes;         /* HdmirtcNetDefaultRoute */
} HdmirtcNetState;

HdmirtcNetState *hdmirtc_net_state_new(void);
/* NULL-safe. */
void hdmirtc_net_state_free(HdmirtcNetState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcNetState, hdmirtc_net_state_free)

/* Adds what a buffer of rtnetlink messages (RTM_NEWLINK, RTM_NEWADDR,
 * RTM_NEWROUTE; others are skipped) says to state.  Returns FALSE with
 * HDMIRTC_NET_ERROR_MALFORMED on a truncated or inconsistent message, or
 * HDMIRTC_NET_ERROR_NETLINK on an NLMSG_ERROR.  *done (may be NULL) is set
 * when an NLMSG_DONE was seen.  The buffer is untrusted. */
gboolean hdmirtc_net_state_parse(HdmirtcNetState *state, const guint8 *buf, gsize len,
                                 gboolean *done, GError **error);

/* Dumps links, addresses and routes of the calling thread's network
 * namespace from the kernel.  Blocks for the round trips (microseconds). */
HdmirtcNetState *hdmirtc_net_state_read(GError **error);

const HdmirtcNetLink *hdmirtc_net_state_find_link(const HdmirtcNetState *state, guint index);

/* The interfaces and addresses to gather ICE candidates on. */
typedef struct {
	GStrv interfaces;               /* names, in kernel order */
	GStrv addresses;                /* IP literals, IPv4 first */
	char *reason;                   /* why these: "default route", "configured", ... */
} HdmirtcNetChoice;

/* With allow (names) non-empty: every usable address of those interfaces,
 * loopback and bridges included; an error when there is none.  Otherwise
 * the interfaces of the default IPv4 route and, separately, of the
 * default IPv6 route, leaving out loopback and container bridges
 * (docker*, br-*, veth*, virbr*...); a family without a default route
 * offers no address (an IPv6 address without a route is half-configured)
 * unless neither family has one (an offline KVM): then every up,
 * non-loopback, non-bridge interface.  Usable: not link-local, not
 * tentative or failed DAD, IPv6 only when ipv6.  May return a choice with
 * no address (never NULL without error). */
HdmirtcNetChoice *hdmirtc_net_choose(const HdmirtcNetState *state, const char *const *allow,
                                     gboolean ipv6, GError **error);
void hdmirtc_net_choice_free(HdmirtcNetChoice *choice);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcNetChoice, hdmirtc_net_choice_free)

/* ---- Changes (rtnetlink multicast) -------------------------------------- */

typedef struct HdmirtcNetWatch HdmirtcNetWatch;
typedef void (*HdmirtcNetWatchFunc)(HdmirtcNetWatch *watch, gpointer user_data);

/* Calls changed on ctx once links, addresses or routes have changed and
 * then stayed quiet for settle_ms (a burst is one call); read the state
 * again with hdmirtc_net_state_read() then. */
HdmirtcNetWatch *hdmirtc_net_watch_new(GMainContext *ctx, guint settle_ms,
                                       HdmirtcNetWatchFunc changed, gpointer user_data,
                                       GError **error);
/* NULL-safe; changed is not called afterwards. */
void hdmirtc_net_watch_free(HdmirtcNetWatch *watch);

/* TRUE for interface names that are container or VM bridges by
 * convention (docker0, br-1a2b, veth12, virbr0, cni0, ...). */
gboolean hdmirtc_net_is_bridge_style_name(const char *name);

/* ---- TURN credentials --------------------------------------------------- */

/* TURN REST API credentials (draft-uberti-behave-turn-rest-00; coturn
 * use-auth-secret): user name "EXPIRY:USER" ("EXPIRY" when user is NULL or
 * empty), EXPIRY in Unix seconds; password base64(HMAC-SHA1(secret, user
 * name)).  Both new strings. */
void hdmirtc_net_turn_rest_credentials(const char *secret, const char *user, gint64 expires_unix,
                                       char **username, char **password);

/* ---- STUN binding (RFC 8489) ------------------------------------------- */

#define HDMIRTC_NET_STUN_HEADER_LEN 20

/* Writes a 20-byte Binding request with transaction id tid. */
void hdmirtc_net_stun_build_binding_request(guint8 out[HDMIRTC_NET_STUN_HEADER_LEN],
                                            const guint8 tid[12]);
/* Parses a Binding success response to tid: the XOR-MAPPED-ADDRESS (or
 * MAPPED-ADDRESS) as a new IP literal and port.  Errors: MALFORMED (also
 * for another transaction), REFUSED for an error response. */
gboolean hdmirtc_net_stun_parse_binding_response(const guint8 *buf, gsize len, const guint8 tid[12],
                                                 char **address, guint16 *port, GError **error);

typedef struct HdmirtcStunProbe HdmirtcStunProbe;

/* Result of one probe: address/port on success (borrowed), else error. */
typedef void (*HdmirtcStunProbeFunc)(HdmirtcStunProbe *probe, const char *address, guint16 port,
                                     const GError *error, gpointer user_data);

/* Sends Binding requests to server_ip:port from local_ip (NULL = any
 * address of the server's family) with retransmissions at 0.25, 0.5, 1
 * and 2 s, reports the result, and keeps probing: after a failure again
 * after a backoff (2 s doubling up to 60 s), after a success every 5
 * minutes, so that a server that comes back or a changed mapping is seen
 * without a restart.  done is called on ctx for every probe. */
HdmirtcStunProbe *hdmirtc_stun_probe_new(GMainContext *ctx, const char *server_ip, guint16 port,
                                         const char *local_ip, HdmirtcStunProbeFunc done,
                                         gpointer user_data, GError **error);
/* NULL-safe; done is not called afterwards. */
void hdmirtc_stun_probe_free(HdmirtcStunProbe *probe);
/* Consecutive failed probes (0 after a success). */
guint hdmirtc_stun_probe_get_failures(HdmirtcStunProbe *probe);

G_END_DECLS
