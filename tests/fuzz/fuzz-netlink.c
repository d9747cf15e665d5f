/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-netlink - one datagram from the NETLINK_ROUTE socket (a dump reply
 * or a link, address or route notification), parsed as
 * hdmirtc_net_state_read() does; when it parses, the ICE address choice
 * that service-network.c makes from the state, automatic and with an
 * allow list, whose addresses must be IP literals (libnice is given
 * them). */
#include <hdmirtc/net.h>

#include <arpa/inet.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static void check_choice(const HdmirtcNetState *state, const char *const *allow, gboolean ipv6)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcNetChoice) choice = hdmirtc_net_choose(state, allow, ipv6, &error);
	guint8 ip[16];

	g_assert_true(choice || error);
	if (!choice)
		return;
	for (guint i = 0; choice->addresses[i]; i++) {
		const char *a = choice->addresses[i];

		g_assert_true(inet_pton(AF_INET, a, ip) == 1 || (ipv6 && inet_pton(AF_INET6, a, ip) == 1));
	}
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_new();
	g_autoptr(GError) error = NULL;
	gboolean done;

	if (!hdmirtc_net_state_parse(state, data, size, &done, &error)) {
		g_assert_nonnull(error);
		return 0;
	}
	for (guint i = 0; i < state->addresses->len; i++) {
		const HdmirtcNetAddress *a = state->addresses->pdata[i];
		const HdmirtcNetLink *l = hdmirtc_net_state_find_link(state, a->index);

		g_assert_true(!l || l->index == a->index);
	}
	check_choice(state, NULL, TRUE);
	check_choice(state, NULL, FALSE);
	check_choice(state, (const char *const[]){ "eth0", "lo", NULL }, TRUE);
	/* The first link's own name, so that an allow list matches too. */
	if (state->links->len) {
		const HdmirtcNetLink *l = state->links->pdata[0];

		check_choice(state, (const char *const[]){ l->name, NULL }, FALSE);
	}
	return 0;
}
