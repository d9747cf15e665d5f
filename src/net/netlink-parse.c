/* SPDX-License-Identifier: GPL-3.0-or-later */
/* rtnetlink messages to HdmirtcNetState.  Every length in the buffer is
 * checked against what is left before it is used: the kernel is trusted
 * to be right, but the unit tests feed truncated and garbage buffers. */
#include "hdmirtc/net.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

G_DEFINE_QUARK(hdmirtc-net-error-quark, hdmirtc_net_error)

#define ALIGN4(n) (((n) + 3u) & ~3u)

typedef struct {
	const guint8 *data;
	gsize len;
} Attr;

/* Splits the attributes after a fixed header into table[type]; later
 * duplicates win, unknown types above max are ignored. */
static gboolean parse_attrs(const guint8 *p, gsize len, Attr *table, guint max, GError **error)
{
	memset(table, 0, sizeof(*table) * (max + 1));
	while (len >= sizeof(struct rtattr)) {
		struct rtattr rta;

		memcpy(&rta, p, sizeof(rta));
		if (rta.rta_len < sizeof(rta) || rta.rta_len > len) {
			g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
				    "netlink attribute %u: length %u with %zu bytes left",
				    rta.rta_type, rta.rta_len, len);
			return FALSE;
		}
		guint type = rta.rta_type & NLA_TYPE_MASK;
		if (type <= max)
			table[type] = (Attr){ p + sizeof(rta), rta.rta_len - sizeof(rta) };
		gsize step = ALIGN4(rta.rta_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return TRUE;
}

static gboolean attr_u32(const Attr *a, guint32 *out)
{
	if (!a->data || a->len < 4)
		return FALSE;
	memcpy(out, a->data, 4);
	return TRUE;
}

static char *attr_string(const Attr *a)
{
	if (!a->data || a->len == 0)
		return NULL;
	gsize n = strnlen((const char *)a->data, a->len);
	return g_utf8_make_valid((const char *)a->data, (gssize)n);
}

static void link_free(gpointer p)
{
	HdmirtcNetLink *l = p;

	g_free(l->name);
	g_free(l->kind);
	g_free(l);
}

static void address_free(gpointer p)
{
	HdmirtcNetAddress *a = p;

	g_free(a->address);
	g_free(a);
}

HdmirtcNetState *hdmirtc_net_state_new(void)
{
	HdmirtcNetState *state = g_new0(HdmirtcNetState, 1);

	state->links = g_ptr_array_new_with_free_func(link_free);
	state->addresses = g_ptr_array_new_with_free_func(address_free);
	state->default_routes = g_array_new(FALSE, FALSE, sizeof(HdmirtcNetDefaultRoute));
	return state;
}

void hdmirtc_net_state_free(HdmirtcNetState *state)
{
	if (!state)
		return;
	g_ptr_array_unref(state->links);
	g_ptr_array_unref(state->addresses);
	g_array_unref(state->default_routes);
	g_free(state);
}

const HdmirtcNetLink *hdmirtc_net_state_find_link(const HdmirtcNetState *state, guint index)
{
	for (guint i = 0; i < state->links->len; i++) {
		const HdmirtcNetLink *l = state->links->pdata[i];
		if (l->index == index)
			return l;
	}
	return NULL;
}

static gboolean parse_link(HdmirtcNetState *state, const guint8 *p, gsize len, GError **error)
{
	struct ifinfomsg ifi;
	Attr attrs[IFLA_MAX + 1], info[IFLA_INFO_MAX + 1];

	if (len < sizeof(ifi))
		goto short_msg;
	memcpy(&ifi, p, sizeof(ifi));
	if (!parse_attrs(p + sizeof(ifi), len - sizeof(ifi), attrs, IFLA_MAX, error))
		return FALSE;
	char *name = attr_string(&attrs[IFLA_IFNAME]);
	if (!name || ifi.ifi_index <= 0) {
		g_free(name);
		goto short_msg;
	}
	HdmirtcNetLink *l = g_new0(HdmirtcNetLink, 1);
	l->index = (guint)ifi.ifi_index;
	l->name = name;
	l->flags = ifi.ifi_flags;
	if (attrs[IFLA_LINKINFO].data &&
	    parse_attrs(attrs[IFLA_LINKINFO].data, attrs[IFLA_LINKINFO].len, info, IFLA_INFO_MAX, NULL))
		l->kind = attr_string(&info[IFLA_INFO_KIND]);
	g_ptr_array_add(state->links, l);
	return TRUE;
short_msg:
	g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
		    "RTM_NEWLINK without interface header, index or name");
	return FALSE;
}

static gboolean parse_address(HdmirtcNetState *state, const guint8 *p, gsize len, GError **error)
{
	struct ifaddrmsg ifa;
	Attr attrs[IFA_MAX + 1];
	char text[INET6_ADDRSTRLEN];

	if (len < sizeof(ifa)) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
			    "RTM_NEWADDR shorter than its header (%zu bytes)", len);
		return FALSE;
	}
	memcpy(&ifa, p, sizeof(ifa));
	if (!parse_attrs(p + sizeof(ifa), len - sizeof(ifa), attrs, IFA_MAX, error))
		return FALSE;
	gsize want = ifa.ifa_family == AF_INET ? 4 : ifa.ifa_family == AF_INET6 ? 16 : 0;
	/* IFA_LOCAL is our own address on point-to-point links; IFA_ADDRESS
	 * is the peer's there and ours elsewhere. */
	const Attr *a = attrs[IFA_LOCAL].data ? &attrs[IFA_LOCAL] : &attrs[IFA_ADDRESS];
	if (want == 0)
		return TRUE;
	if (!a->data || a->len != want || !inet_ntop(ifa.ifa_family, a->data, text, sizeof(text))) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
			    "RTM_NEWADDR for interface %u without a valid address", ifa.ifa_index);
		return FALSE;
	}
	HdmirtcNetAddress *addr = g_new0(HdmirtcNetAddress, 1);
	addr->index = ifa.ifa_index;
	addr->family = ifa.ifa_family;
	addr->address = g_strdup(text);
	addr->prefix_len = ifa.ifa_prefixlen;
	addr->scope = ifa.ifa_scope;
	addr->flags = ifa.ifa_flags;
	attr_u32(&attrs[IFA_FLAGS], &addr->flags);
	g_ptr_array_add(state->addresses, addr);
	return TRUE;
}

static gboolean parse_route(HdmirtcNetState *state, const guint8 *p, gsize len, GError **error)
{
	struct rtmsg rtm;
	Attr attrs[RTA_MAX + 1];
	guint32 table, oif = 0, priority = 0;

	if (len < sizeof(rtm)) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
			    "RTM_NEWROUTE shorter than its header (%zu bytes)", len);
		return FALSE;
	}
	memcpy(&rtm, p, sizeof(rtm));
	if (!parse_attrs(p + sizeof(rtm), len - sizeof(rtm), attrs, RTA_MAX, error))
		return FALSE;
	table = rtm.rtm_table;
	attr_u32(&attrs[RTA_TABLE], &table);
	if (rtm.rtm_dst_len != 0 || rtm.rtm_type != RTN_UNICAST || table != RT_TABLE_MAIN ||
	    (rtm.rtm_family != AF_INET && rtm.rtm_family != AF_INET6))
		return TRUE;
	/* Multipath default routes (RTA_MULTIPATH) have no RTA_OIF: left out. */
	if (!attr_u32(&attrs[RTA_OIF], &oif) || oif == 0)
		return TRUE;
	attr_u32(&attrs[RTA_PRIORITY], &priority);
	HdmirtcNetDefaultRoute r = { .family = rtm.rtm_family, .oif = oif, .priority = priority };
	g_array_append_val(state->default_routes, r);
	return TRUE;
}

static gboolean parse_one(HdmirtcNetState *state, const struct nlmsghdr *h, const guint8 *payload,
                          gsize len, GError **error)
{
	switch (h->nlmsg_type) {
	case RTM_NEWLINK: return parse_link(state, payload, len, error);
	case RTM_NEWADDR: return parse_address(state, payload, len, error);
	case RTM_NEWROUTE: return parse_route(state, payload, len, error);
	case NLMSG_ERROR: {
		struct nlmsgerr e;
		if (len < sizeof(e.error))
			break;
		memcpy(&e.error, payload, sizeof(e.error));
		if (e.error == 0)
			return TRUE;   /* an ACK */
		/* The kernel sends -errno, but the field is any int: INT_MIN
		 * cannot be negated, and a positive one is no errno either. */
		if (e.error < 0 && e.error >= -G_MAXINT)
			g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NETLINK,
				    "rtnetlink: %s", g_strerror(-e.error));
		else
			g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NETLINK,
				    "rtnetlink: error %d", e.error);
		return FALSE;
	}
	default:
		return TRUE;
	}
	g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED, "truncated NLMSG_ERROR");
	return FALSE;
}

gboolean hdmirtc_net_state_parse(HdmirtcNetState *state, const guint8 *buf, gsize len,
                                 gboolean *done, GError **error)
{
	if (done)
		*done = FALSE;
	while (len > 0) {
		struct nlmsghdr h;

		if (len < sizeof(h)) {
			g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
				    "%zu trailing bytes, shorter than a netlink header", len);
			return FALSE;
		}
		memcpy(&h, buf, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len) {
			g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
				    "netlink message of %u bytes with %zu bytes left", h.nlmsg_len, len);
			return FALSE;
		}
		if (h.nlmsg_type == NLMSG_DONE) {
			if (done)
				*done = TRUE;
			return TRUE;
		}
		if (!parse_one(state, &h, buf + sizeof(h), h.nlmsg_len - sizeof(h), error))
			return FALSE;
		gsize step = MIN((gsize)NLMSG_ALIGN(h.nlmsg_len), len);
		buf += step;
		len -= step;
	}
	return TRUE;
}
