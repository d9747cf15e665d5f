/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The net module's pure parts: rtnetlink parsing (messages built here the
 * way the kernel lays them out, plus truncated and garbage ones), the
 * interface choice, STUN messages; and one live rtnetlink read. */
#include "hdmirtc/net.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

/* ---- A tiny rtnetlink message writer ------------------------------------ */

typedef struct {
	GByteArray *buf;
	guint msg_start;
} Msg;

static void pad4(GByteArray *b)
{
	static const guint8 zero[4];
	g_byte_array_append(b, zero, (4 - b->len % 4) % 4);
}

static void msg_begin(Msg *m, guint16 type, const void *header, gsize header_len)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = NLM_F_MULTI };

	m->msg_start = m->buf->len;
	g_byte_array_append(m->buf, (const guint8 *)&h, sizeof(h));
	g_byte_array_append(m->buf, header, header_len);
	pad4(m->buf);
}

static void msg_attr(Msg *m, guint16 type, const void *data, gsize len)
{
	struct rtattr rta = { .rta_len = (unsigned short)(sizeof(rta) + len), .rta_type = type };

	g_byte_array_append(m->buf, (const guint8 *)&rta, sizeof(rta));
	g_byte_array_append(m->buf, data, len);
	pad4(m->buf);
}

static void msg_end(Msg *m)
{
	guint32 len = m->buf->len - m->msg_start;
	memcpy(m->buf->data + m->msg_start, &len, sizeof(len));
}

static void add_link(Msg *m, int index, const char *name, guint flags, const char *kind)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = flags };

	msg_begin(m, RTM_NEWLINK, &ifi, sizeof(ifi));
	msg_attr(m, IFLA_IFNAME, name, strlen(name) + 1);
	if (kind) {
		/* IFLA_LINKINFO { IFLA_INFO_KIND "kind" } */
		guint8 nested[64];
		struct rtattr inner = { .rta_len = (unsigned short)(sizeof(inner) + strlen(kind) + 1),
					.rta_type = IFLA_INFO_KIND };
		memcpy(nested, &inner, sizeof(inner));
		memcpy(nested + sizeof(inner), kind, strlen(kind) + 1);
		msg_attr(m, IFLA_LINKINFO, nested, (inner.rta_len + 3u) & ~3u);
	}
	msg_end(m);
}

static void add_addr(Msg *m, int index, const char *text, guint8 prefix, guint8 scope, guint32 flags)
{
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	struct ifaddrmsg ifa = { .ifa_family = family, .ifa_prefixlen = prefix, .ifa_scope = scope,
				 .ifa_index = index };
	guint8 ip[16];

	g_assert_cmpint(inet_pton(family, text, ip), ==, 1);
	msg_begin(m, RTM_NEWADDR, &ifa, sizeof(ifa));
	msg_attr(m, IFA_ADDRESS, ip, family == AF_INET ? 4 : 16);
	msg_attr(m, IFA_FLAGS, &flags, sizeof(flags));
	msg_end(m);
}

static void add_route(Msg *m, int family, guint8 dst_len, guint32 table, guint32 oif)
{
	struct rtmsg rtm = { .rtm_family = family, .rtm_dst_len = dst_len,
			     .rtm_table = table < 256 ? table : RT_TABLE_UNSPEC,
			     .rtm_type = RTN_UNICAST, .rtm_protocol = RTPROT_BOOT };
	guint32 priority = 100;

	msg_begin(m, RTM_NEWROUTE, &rtm, sizeof(rtm));
	msg_attr(m, RTA_TABLE, &table, sizeof(table));
	msg_attr(m, RTA_OIF, &oif, sizeof(oif));
	msg_attr(m, RTA_PRIORITY, &priority, sizeof(priority));
	msg_end(m);
}

static void add_done(Msg *m)
{
	guint32 zero = 0;
	msg_begin(m, NLMSG_DONE, &zero, sizeof(zero));
	msg_end(m);
}

/* lo, eth0 (default v4 + v6 route), docker0, wlan0 (v6 address, no
 * route), a link-local and a tentative address. */
static GByteArray *typical_host(gboolean v6_route, gboolean v4_route)
{
	Msg m = { .buf = g_byte_array_new() };

	add_link(&m, 1, "lo", IFF_UP | IFF_LOOPBACK, NULL);
	add_link(&m, 2, "eth0", IFF_UP, NULL);
	add_link(&m, 3, "docker0", IFF_UP, "bridge");
	add_link(&m, 4, "wlan0", IFF_UP, NULL);
	add_addr(&m, 1, "127.0.0.1", 8, RT_SCOPE_HOST, 0);
	add_addr(&m, 1, "::1", 128, RT_SCOPE_HOST, 0);
	add_addr(&m, 2, "192.168.1.20", 24, RT_SCOPE_UNIVERSE, 0);
	add_addr(&m, 2, "2001:db8::20", 64, RT_SCOPE_UNIVERSE, 0);
	add_addr(&m, 2, "2001:db8::99", 64, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE);
	add_addr(&m, 2, "fe80::1", 64, RT_SCOPE_LINK, 0);
	add_addr(&m, 3, "172.17.0.1", 16, RT_SCOPE_UNIVERSE, 0);
	add_addr(&m, 4, "10.0.0.5", 24, RT_SCOPE_UNIVERSE, 0);
	add_addr(&m, 4, "fd00::5", 64, RT_SCOPE_UNIVERSE, 0);
	if (v4_route) {
		add_route(&m, AF_INET, 24, RT_TABLE_MAIN, 4);     /* not default */
		add_route(&m, AF_INET, 0, RT_TABLE_MAIN, 2);
		add_route(&m, AF_INET, 0, 100, 4);                /* another table */
	}
	if (v6_route)
		add_route(&m, AF_INET6, 0, RT_TABLE_MAIN, 2);
	add_done(&m);
	return m.buf;
}

static HdmirtcNetState *parse_ok(GByteArray *buf)
{
	g_autoptr(GError) error = NULL;
	HdmirtcNetState *state = hdmirtc_net_state_new();
	gboolean done = FALSE;

	g_assert_true(hdmirtc_net_state_parse(state, buf->data, buf->len, &done, &error));
	g_assert_no_error(error);
	g_assert_true(done);
	return state;
}

static void assert_strv(GStrv got, const char *const *want)
{
	g_autofree char *g = g_strjoinv(",", got);
	g_autofree char *w = g_strjoinv(",", (char **)want);
	g_assert_cmpstr(g, ==, w);
}

/* ---- Tests -------------------------------------------------------------- */

static void test_parse_typical(void)
{
	g_autoptr(GByteArray) buf = typical_host(TRUE, TRUE);
	g_autoptr(HdmirtcNetState) state = parse_ok(buf);

	g_assert_cmpuint(state->links->len, ==, 4);
	g_assert_cmpuint(state->addresses->len, ==, 9);
	g_assert_cmpuint(state->default_routes->len, ==, 2);
	const HdmirtcNetLink *docker = hdmirtc_net_state_find_link(state, 3);
	g_assert_cmpstr(docker->name, ==, "docker0");
	g_assert_cmpstr(docker->kind, ==, "bridge");
	g_assert_null(hdmirtc_net_state_find_link(state, 2)->kind);
	const HdmirtcNetAddress *a = state->addresses->pdata[4];
	g_assert_cmpstr(a->address, ==, "2001:db8::99");
	g_assert_cmpuint(a->flags & IFA_F_TENTATIVE, !=, 0);
	HdmirtcNetDefaultRoute r = g_array_index(state->default_routes, HdmirtcNetDefaultRoute, 0);
	g_assert_cmpint(r.family, ==, AF_INET);
	g_assert_cmpuint(r.oif, ==, 2);
	g_assert_cmpuint(r.priority, ==, 100);
}

static void test_choose_default_route(void)
{
	g_autoptr(GByteArray) buf = typical_host(TRUE, TRUE);
	g_autoptr(HdmirtcNetState) state = parse_ok(buf);
	g_autoptr(HdmirtcNetChoice) c = hdmirtc_net_choose(state, NULL, TRUE, NULL);
	g_autoptr(HdmirtcNetChoice) no6 = hdmirtc_net_choose(state, NULL, FALSE, NULL);

	assert_strv(c->interfaces, (const char *const[]){ "eth0", NULL });
	assert_strv(c->addresses, (const char *const[]){ "192.168.1.20", "2001:db8::20", NULL });
	g_assert_cmpstr(c->reason, ==, "default route");
	assert_strv(no6->addresses, (const char *const[]){ "192.168.1.20", NULL });
}

/* IPv6 address but no IPv6 route: offer none (half-configured). */
static void test_choose_half_configured_ipv6(void)
{
	g_autoptr(GByteArray) buf = typical_host(FALSE, TRUE);
	g_autoptr(HdmirtcNetState) state = parse_ok(buf);
	g_autoptr(HdmirtcNetChoice) c = hdmirtc_net_choose(state, NULL, TRUE, NULL);

	assert_strv(c->addresses, (const char *const[]){ "192.168.1.20", NULL });
}

/* Offline: no default route at all: every real interface, not lo/docker. */
static void test_choose_offline(void)
{
	g_autoptr(GByteArray) buf = typical_host(FALSE, FALSE);
	g_autoptr(HdmirtcNetState) state = parse_ok(buf);
	g_autoptr(HdmirtcNetChoice) c = hdmirtc_net_choose(state, NULL, TRUE, NULL);

	assert_strv(c->interfaces, (const char *const[]){ "eth0", "wlan0", NULL });
	assert_strv(c->addresses, (const char *const[]){ "192.168.1.20", "10.0.0.5", "2001:db8::20",
							 "fd00::5", NULL });
}

static void test_choose_allow_list(void)
{
	g_autoptr(GByteArray) buf = typical_host(TRUE, TRUE);
	g_autoptr(HdmirtcNetState) state = parse_ok(buf);
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcNetChoice) lo = hdmirtc_net_choose(state, (const char *const[]){ "lo", NULL },
							    TRUE, NULL);
	g_autoptr(HdmirtcNetChoice) docker = hdmirtc_net_choose(
		state, (const char *const[]){ "docker0", "wlan0", NULL }, FALSE, NULL);

	assert_strv(lo->addresses, (const char *const[]){ "127.0.0.1", "::1", NULL });
	assert_strv(docker->interfaces, (const char *const[]){ "docker0", "wlan0", NULL });
	assert_strv(docker->addresses, (const char *const[]){ "172.17.0.1", "10.0.0.5", NULL });
	HdmirtcNetChoice *none = hdmirtc_net_choose(state, (const char *const[]){ "eth9", NULL }, TRUE, &error);
	g_assert_null(none);
	g_assert_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NO_ADDRESS);
	g_assert_nonnull(strstr(error->message, "eth9"));
}

static void test_bridge_names(void)
{
	g_assert_true(hdmirtc_net_is_bridge_style_name("docker0"));
	g_assert_true(hdmirtc_net_is_bridge_style_name("br-0a1b2c3d"));
	g_assert_true(hdmirtc_net_is_bridge_style_name("veth1234"));
	g_assert_true(hdmirtc_net_is_bridge_style_name("virbr0"));
	g_assert_false(hdmirtc_net_is_bridge_style_name("eth0"));
	g_assert_false(hdmirtc_net_is_bridge_style_name("br0"));
	g_assert_false(hdmirtc_net_is_bridge_style_name("wlan0"));
}

/* Every prefix of a valid dump either parses or fails cleanly; cutting a
 * message's length field short must fail. */
static void test_parse_truncated(void)
{
	g_autoptr(GByteArray) buf = typical_host(TRUE, TRUE);

	for (guint len = 0; len < buf->len; len++) {
		g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_new();
		g_autoptr(GError) error = NULL;
		gboolean done;
		gboolean ok = hdmirtc_net_state_parse(state, buf->data, len, &done, &error);
		g_assert_true(ok || error);
		g_assert_false(done);
	}
	/* An attribute that claims more than its message holds. */
	g_autoptr(GByteArray) bad = typical_host(TRUE, TRUE);
	struct rtattr rta;
	gsize at = sizeof(struct nlmsghdr) + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	memcpy(&rta, bad->data + at, sizeof(rta));
	rta.rta_len = 500;
	memcpy(bad->data + at, &rta, sizeof(rta));
	g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_new();
	g_autoptr(GError) error = NULL;
	g_assert_false(hdmirtc_net_state_parse(state, bad->data, bad->len, NULL, &error));
	g_assert_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED);
}

static void test_parse_garbage(void)
{
	guint8 buf[512];
	GRand *rand = g_rand_new_with_seed(7);

	for (guint round = 0; round < 2000; round++) {
		gsize len = g_rand_int_range(rand, 0, sizeof(buf));
		for (gsize i = 0; i < len; i++)
			buf[i] = (guint8)g_rand_int_range(rand, 0, 256);
		if (len >= 4 && round % 2) {
			guint32 l = (guint32)len;   /* a plausible first length */
			memcpy(buf, &l, 4);
		}
		g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_new();
		g_autoptr(GError) error = NULL;
		if (!hdmirtc_net_state_parse(state, buf, len, NULL, &error))
			g_assert_nonnull(error);
	}
	g_rand_free(rand);
}

static void test_parse_netlink_error(void)
{
	Msg m = { .buf = g_byte_array_new() };
	struct nlmsgerr e = { .error = -EPERM };
	g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_new();
	g_autoptr(GError) error = NULL;

	msg_begin(&m, NLMSG_ERROR, &e, sizeof(e));
	msg_end(&m);
	g_assert_false(hdmirtc_net_state_parse(state, m.buf->data, m.buf->len, NULL, &error));
	g_assert_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NETLINK);
	g_assert_nonnull(strstr(error->message, g_strerror(EPERM)));
	g_byte_array_unref(m.buf);

	/* No errno, and INT_MIN cannot be negated (fuzz-netlink found it):
	 * the number is reported instead. */
	static const int odd[] = { G_MININT, 5 };
	for (guint i = 0; i < G_N_ELEMENTS(odd); i++) {
		g_autoptr(HdmirtcNetState) s = hdmirtc_net_state_new();
		g_autoptr(GError) err = NULL;
		g_autofree char *number = g_strdup_printf("error %d", odd[i]);

		m.buf = g_byte_array_new();
		e.error = odd[i];
		msg_begin(&m, NLMSG_ERROR, &e, sizeof(e));
		msg_end(&m);
		g_assert_false(hdmirtc_net_state_parse(s, m.buf->data, m.buf->len, NULL, &err));
		g_assert_error(err, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NETLINK);
		g_assert_nonnull(strstr(err->message, number));
		g_byte_array_unref(m.buf);
	}
}

/* The kernel of this test's own namespace: lo with 127.0.0.1 is there. */
static void test_read_live(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_read(&error);

	g_assert_no_error(error);
	g_assert_nonnull(state);
	gboolean found = FALSE;
	for (guint i = 0; i < state->addresses->len; i++) {
		const HdmirtcNetAddress *a = state->addresses->pdata[i];
		const HdmirtcNetLink *l = hdmirtc_net_state_find_link(state, a->index);
		if (g_str_equal(a->address, "127.0.0.1") && l && (l->flags & IFF_LOOPBACK))
			found = TRUE;
	}
	g_assert_true(found);
	g_autoptr(HdmirtcNetChoice) lo = hdmirtc_net_choose(state, (const char *const[]){ "lo", NULL },
							    FALSE, &error);
	g_assert_no_error(error);
	g_assert_true(g_strv_contains((const char *const *)lo->addresses, "127.0.0.1"));
}

/* ---- STUN --------------------------------------------------------------- */

static const guint8 tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

/* A Binding success response with XOR-MAPPED-ADDRESS 192.0.2.7:40000. */
static gsize success_v4(guint8 *out)
{
	guint8 ip[4] = { 192, 0, 2, 7 };
	guint16 xport = 40000 ^ 0x2112;

	memset(out, 0, 32);
	out[1] = 0x01;
	out[0] = 0x01;
	out[3] = 12;
	out[4] = 0x21; out[5] = 0x12; out[6] = 0xa4; out[7] = 0x42;
	memcpy(out + 8, tid, 12);
	out[20] = 0x00; out[21] = 0x20; out[23] = 8;    /* XOR-MAPPED-ADDRESS, 8 bytes */
	out[25] = 0x01;
	out[26] = xport >> 8; out[27] = xport & 0xff;
	for (int i = 0; i < 4; i++)
		out[28 + i] = ip[i] ^ out[4 + i];
	return 32;
}

static void test_stun_request(void)
{
	guint8 req[HDMIRTC_NET_STUN_HEADER_LEN];

	hdmirtc_net_stun_build_binding_request(req, tid);
	g_assert_cmpuint(req[0], ==, 0);
	g_assert_cmpuint(req[1], ==, 1);
	g_assert_cmpuint(req[2] | req[3], ==, 0);
	g_assert_cmpuint(req[4], ==, 0x21);
	g_assert_cmpmem(req + 8, 12, tid, 12);
}

static void test_stun_response(void)
{
	guint8 buf[64];
	gsize len = success_v4(buf);
	g_autofree char *address = NULL;
	guint16 port = 0;
	g_autoptr(GError) error = NULL;

	g_assert_true(hdmirtc_net_stun_parse_binding_response(buf, len, tid, &address, &port, &error));
	g_assert_cmpstr(address, ==, "192.0.2.7");
	g_assert_cmpuint(port, ==, 40000);

	/* Every truncation fails cleanly. */
	for (gsize n = 0; n < len; n++) {
		g_autoptr(GError) e = NULL;
		char *a = NULL;
		g_assert_false(hdmirtc_net_stun_parse_binding_response(buf, n, tid, &a, &port, &e));
		g_assert_null(a);
		g_assert_error(e, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED);
	}
	/* Another transaction. */
	guint8 other[12] = { 0 };
	g_autoptr(GError) e2 = NULL;
	char *a = NULL;
	g_assert_false(hdmirtc_net_stun_parse_binding_response(buf, len, other, &a, &port, &e2));
	g_assert_error(e2, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED);
	/* An error response: without ERROR-CODE, then with 420 and a reason
	 * (control characters blanked), then with one that is not UTF-8. */
	buf[1] = 0x11;
	g_autoptr(GError) e3 = NULL;
	g_assert_false(hdmirtc_net_stun_parse_binding_response(buf, len, tid, &a, &port, &e3));
	g_assert_error(e3, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_REFUSED);
	g_assert_nonnull(strstr(e3->message, "no ERROR-CODE"));
	static const guint8 error_code[] = { 0x00, 0x09, 0x00, 0x0e, 0, 0, 4, 20,
	                                     'U', 'n', 'k', 'n', 'o', 'w', 'n', '\n', 'X', 'Y', 0, 0 };
	guint8 err[HDMIRTC_NET_STUN_HEADER_LEN + sizeof(error_code)];
	memcpy(err, buf, HDMIRTC_NET_STUN_HEADER_LEN);
	err[2] = 0;
	err[3] = sizeof(error_code);
	memcpy(err + HDMIRTC_NET_STUN_HEADER_LEN, error_code, sizeof(error_code));
	g_autoptr(GError) e5 = NULL;
	g_assert_false(hdmirtc_net_stun_parse_binding_response(err, sizeof(err), tid, &a, &port, &e5));
	g_assert_error(e5, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_REFUSED);
	g_assert_cmpstr(e5->message, ==, "the STUN server answered 420 (Unknown XY)");
	err[HDMIRTC_NET_STUN_HEADER_LEN + 8] = 0xff;
	g_autoptr(GError) e6 = NULL;
	g_assert_false(hdmirtc_net_stun_parse_binding_response(err, sizeof(err), tid, &a, &port, &e6));
	g_assert_cmpstr(e6->message, ==, "the STUN server answered 420");
	/* An attribute longer than the message. */
	success_v4(buf);
	buf[23] = 200;
	g_autoptr(GError) e4 = NULL;
	g_assert_false(hdmirtc_net_stun_parse_binding_response(buf, len, tid, &a, &port, &e4));
	g_assert_null(a);
}

/* ---- STUN probe against a fake server on loopback ------------------------ */

typedef struct {
	GMainLoop *loop;
	char *address;
	guint16 port;
	GError *error;
} ProbeResult;

static void on_probe_done(HdmirtcStunProbe *probe, const char *address, guint16 port,
                          const GError *error, gpointer user_data)
{
	ProbeResult *r = user_data;

	r->address = g_strdup(address);
	r->port = port;
	r->error = error ? g_error_copy(error) : NULL;
	g_main_loop_quit(r->loop);
}

static gboolean on_fake_server(GSocket *socket, GIOCondition cond, gpointer user_data)
{
	guint8 req[64], resp[32];
	GSocketAddress *from = NULL;
	gssize n = g_socket_receive_from(socket, &from, (char *)req, sizeof(req), NULL, NULL);

	if (n == HDMIRTC_NET_STUN_HEADER_LEN) {
		gsize len = success_v4(resp);
		memcpy(resp + 8, req + 8, 12);
		/* re-xor the address with the request's transaction id: only
		 * the cookie part is used for IPv4, so the bytes stand. */
		g_socket_send_to(socket, from, (const char *)resp, len, NULL, NULL);
	}
	g_clear_object(&from);
	return G_SOURCE_CONTINUE;
}

static void test_stun_probe(void)
{
	g_autoptr(GMainContext) ctx = g_main_context_new();
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocket) server = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
						 G_SOCKET_PROTOCOL_UDP, NULL);
	ProbeResult r = { .loop = g_main_loop_new(ctx, FALSE) };

	g_main_context_push_thread_default(ctx);
	g_assert_true(g_socket_bind(server, any, FALSE, NULL));
	g_autoptr(GSocketAddress) bound = g_socket_get_local_address(server, NULL);
	guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));

	/* Nobody answers yet: a timeout error after the retransmissions.
	 * The probe's socket gets ICMP port unreachable, not an answer. */
	g_autoptr(GSocket) closed = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
						 G_SOCKET_PROTOCOL_UDP, NULL);
	g_assert_true(g_socket_bind(closed, any, FALSE, NULL));
	g_autoptr(GSocketAddress) hole = g_socket_get_local_address(closed, NULL);
	HdmirtcStunProbe *silent = hdmirtc_stun_probe_new(
		ctx, "127.0.0.1", g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(hole)),
		"127.0.0.1", on_probe_done, &r, NULL);
	g_main_loop_run(r.loop);
	g_assert_error(r.error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_TIMEOUT);
	g_assert_cmpuint(hdmirtc_stun_probe_get_failures(silent), ==, 1);
	hdmirtc_stun_probe_free(silent);
	g_clear_error(&r.error);

	GSource *src = g_socket_create_source(server, G_IO_IN, NULL);
	g_source_set_callback(src, (GSourceFunc)(GCallback)on_fake_server, NULL, NULL);
	g_source_attach(src, ctx);
	HdmirtcStunProbe *probe = hdmirtc_stun_probe_new(ctx, "127.0.0.1", port, NULL, on_probe_done,
							 &r, NULL);
	g_main_loop_run(r.loop);
	g_assert_no_error(r.error);
	g_assert_cmpstr(r.address, ==, "192.0.2.7");
	g_assert_cmpuint(r.port, ==, 40000);
	hdmirtc_stun_probe_free(probe);
	g_source_destroy(src);
	g_source_unref(src);
	g_main_context_pop_thread_default(ctx);
	g_main_loop_unref(r.loop);
	g_free(r.address);

	g_autoptr(GError) error = NULL;
	g_assert_null(hdmirtc_stun_probe_new(ctx, "stun.example", 3478, NULL, on_probe_done, &r, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void on_net_changed(HdmirtcNetWatch *watch, gpointer user_data)
{
	(*(guint *)user_data)++;
}

static void run_ip(const char *args)
{
	g_autofree char *cmd = g_strconcat("ip ", args, NULL);
	g_autoptr(GError) error = NULL;
	int status = -1;

	g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, &error));
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
}

static gboolean has_address(const char *address)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_read(&error);

	g_assert_no_error(error);
	for (guint i = 0; i < state->addresses->len; i++) {
		const HdmirtcNetAddress *a = state->addresses->pdata[i];
		if (g_str_equal(a->address, address))
			return TRUE;
	}
	return FALSE;
}

/* Runs the default context until *calls reaches want or ms pass. */
static void iterate_until(const guint *calls, guint want, guint ms)
{
	gint64 until = g_get_monotonic_time() + (gint64)ms * 1000;

	while (*calls < want && g_get_monotonic_time() < until) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(5000);
	}
}

/* In a network namespace of its own (root only): a burst of changes is
 * one call, after the settle time; the state read then has them. */
static void test_watch(void)
{
	g_autoptr(GError) error = NULL;
	guint calls = 0;
	HdmirtcNetWatch *watch;

	if (getuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		g_test_skip("needs root for a network namespace of its own");
		return;
	}
	watch = hdmirtc_net_watch_new(g_main_context_default(), 100, on_net_changed, &calls, &error);
	g_assert_no_error(error);
	run_ip("link set lo up");
	run_ip("addr add 10.9.9.9/32 dev lo");
	run_ip("-6 addr add fd09::9/128 dev lo");
	iterate_until(&calls, 1, 3000);
	g_assert_cmpuint(calls, ==, 1);
	g_assert_true(has_address("10.9.9.9"));
	g_assert_true(has_address("fd09::9"));
	/* Quiet: no more calls. */
	iterate_until(&calls, 2, 300);
	g_assert_cmpuint(calls, ==, 1);
	run_ip("addr del 10.9.9.9/32 dev lo");
	iterate_until(&calls, 2, 3000);
	g_assert_cmpuint(calls, ==, 2);
	g_assert_false(has_address("10.9.9.9"));
	hdmirtc_net_watch_free(watch);
}

/* Values computed independently (Python hmac/hashlib/base64). */
static void test_turn_rest_credentials(void)
{
	g_autofree char *user = NULL, *pass = NULL, *bare_user = NULL, *bare_pass = NULL;

	hdmirtc_net_turn_rest_credentials("north", "kvm", 1700000000, &user, &pass);
	g_assert_cmpstr(user, ==, "1700000000:kvm");
	g_assert_cmpstr(pass, ==, "x5LoMAwkkTKQ+0fGpT7RfQJ8Ui4=");
	hdmirtc_net_turn_rest_credentials("north", "", 1700000000, &bare_user, &bare_pass);
	g_assert_cmpstr(bare_user, ==, "1700000000");
	g_assert_cmpstr(bare_pass, ==, "CWyHi3zCeWqXBir9thl4m+iZPRY=");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/net/parse/typical", test_parse_typical);
	g_test_add_func("/net/parse/truncated", test_parse_truncated);
	g_test_add_func("/net/parse/garbage", test_parse_garbage);
	g_test_add_func("/net/parse/netlink-error", test_parse_netlink_error);
	g_test_add_func("/net/choose/default-route", test_choose_default_route);
	g_test_add_func("/net/choose/half-configured-ipv6", test_choose_half_configured_ipv6);
	g_test_add_func("/net/choose/offline", test_choose_offline);
	g_test_add_func("/net/choose/allow-list", test_choose_allow_list);
	g_test_add_func("/net/choose/bridge-names", test_bridge_names);
	g_test_add_func("/net/read/live", test_read_live);
	g_test_add_func("/net/watch", test_watch);
	g_test_add_func("/net/turn/rest-credentials", test_turn_rest_credentials);
	g_test_add_func("/net/stun/request", test_stun_request);
	g_test_add_func("/net/stun/response", test_stun_response);
	g_test_add_func("/net/stun/probe", test_stun_probe);
	return g_test_run();
}
