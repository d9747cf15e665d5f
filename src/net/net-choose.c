/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Which interfaces and addresses ICE candidates are offered on. */
#include "hdmirtc/net.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

gboolean hdmirtc_net_is_bridge_style_name(const char *name)
{
	static const char *const prefixes[] = {
		"docker", "br-", "veth", "virbr", "vnet", "cni", "flannel", "cali", "weave",
		"lxcbr", "lxdbr", "podman", "kube-", "tailscale", "zt",
	};

	for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
		if (g_str_has_prefix(name, prefixes[i]))
			return TRUE;
	}
	return FALSE;
}

static gboolean usable_address(const HdmirtcNetAddress *a, gboolean ipv6)
{
	if (a->family == AF_INET6 && !ipv6)
		return FALSE;
	if (a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return FALSE;
	/* Link-local needs a scope id that browsers never send. */
	if (a->scope == RT_SCOPE_LINK)
		return FALSE;
	if (a->family == AF_INET6 && g_str_has_prefix(a->address, "fe80:"))
		return FALSE;
	if (a->family == AF_INET && g_str_has_prefix(a->address, "169.254."))
		return FALSE;
	return TRUE;
}

static gboolean excluded_by_default(const HdmirtcNetLink *l)
{
	return !l || (l->flags & IFF_LOOPBACK) || !(l->flags & IFF_UP) ||
	       hdmirtc_net_is_bridge_style_name(l->name);
}

static gboolean has_default_route(const HdmirtcNetState *state, int family)
{
	for (guint i = 0; i < state->default_routes->len; i++) {
		if (g_array_index(state->default_routes, HdmirtcNetDefaultRoute, i).family == family)
			return TRUE;
	}
	return FALSE;
}

static gboolean carries_default_route(const HdmirtcNetState *state, int family, guint index)
{
	for (guint i = 0; i < state->default_routes->len; i++) {
		const HdmirtcNetDefaultRoute *r = &g_array_index(state->default_routes, HdmirtcNetDefaultRoute, i);
		if (r->family == family && r->oif == index)
			return TRUE;
	}
	return FALSE;
}

/* Whether address a is offered, for the automatic choice. */
static gboolean chosen_by_default(const HdmirtcNetState *state, const HdmirtcNetAddress *a,
                                  gboolean any_route)
{
	if (excluded_by_default(hdmirtc_net_state_find_link(state, a->index)))
		return FALSE;
	if (!any_route)
		return TRUE;
	return carries_default_route(state, a->family, a->index);
}

static void add_unique(GPtrArray *names, const char *name)
{
	for (guint i = 0; i < names->len; i++) {
		if (g_str_equal(names->pdata[i], name))
			return;
	}
	g_ptr_array_add(names, g_strdup(name));
}

static GStrv ptr_array_to_strv(GPtrArray *a)
{
	g_ptr_array_add(a, NULL);
	return (GStrv)g_ptr_array_free(a, FALSE);
}

HdmirtcNetChoice *hdmirtc_net_choose(const HdmirtcNetState *state, const char *const *allow,
                                     gboolean ipv6, GError **error)
{
	gboolean configured = allow && allow[0];
	gboolean any_route = has_default_route(state, AF_INET) || has_default_route(state, AF_INET6);
	GPtrArray *names = g_ptr_array_new(), *v4 = g_ptr_array_new(), *v6 = g_ptr_array_new();

	for (guint i = 0; i < state->addresses->len; i++) {
		const HdmirtcNetAddress *a = state->addresses->pdata[i];
		const HdmirtcNetLink *l = hdmirtc_net_state_find_link(state, a->index);

		if (!l || !usable_address(a, ipv6))
			continue;
		if (configured ? !g_strv_contains(allow, l->name) : !chosen_by_default(state, a, any_route))
			continue;
		add_unique(names, l->name);
		g_ptr_array_add(a->family == AF_INET ? v4 : v6, g_strdup(a->address));
	}
	for (guint i = 0; i < v6->len; i++)
		g_ptr_array_add(v4, v6->pdata[i]);
	g_ptr_array_free(v6, TRUE);   /* its strings now belong to v4 */

	HdmirtcNetChoice *choice = g_new0(HdmirtcNetChoice, 1);
	choice->interfaces = ptr_array_to_strv(names);
	choice->addresses = ptr_array_to_strv(v4);
	choice->reason = g_strdup(configured ? "configured interfaces" :
				  any_route ? "default route" : "no default route: every interface");
	if (configured && !choice->addresses[0]) {
		g_autofree char *joined = g_strjoinv(", ", (char **)allow);
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NO_ADDRESS,
			    "no usable address on interface(s) %s", joined);
		hdmirtc_net_choice_free(choice);
		return NULL;
	}
	return choice;
}

void hdmirtc_net_choice_free(HdmirtcNetChoice *choice)
{
	if (!choice)
		return;
	g_strfreev(choice->interfaces);
	g_strfreev(choice->addresses);
	g_free(choice->reason);
	g_free(choice);
}
