/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Who a request comes from, for the per-client limits.
 *
 * Behind a reverse proxy (HdmirtcHttpConfig.trust_forwarded) every
 * connection comes from the proxy; the client is the address the proxy
 * appended to X-Forwarded-For, the last one (those before it are whatever
 * the client itself sent, and prove nothing).  The header is believed only
 * on a connection from loopback or a Unix socket, where the proxy must be.
 *
 * An IPv6 host usually holds a whole /64 and may pick any address in it
 * (privacy addresses): the /64 is the client.
 *
 * Where a request arrived (the local address of its connection) is a path
 * the client is known to reach us on; behind a proxy, the proxy says it
 * in RFC 7239's Forwarded: by=, believed on the same terms. */
#include "http-private.h"

#include <string.h>

char *hdmirtc_http_ip_of(GSocketAddress *sa)
{
	if (!G_IS_INET_SOCKET_ADDRESS(sa))
		return g_strdup("");
	return g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
}

char *hdmirtc_http_peer_address(SoupServerMessage *msg)
{
	return hdmirtc_http_ip_of(soup_server_message_get_remote_address(msg));
}

static gboolean peer_is_local(SoupServerMessage *msg)
{
	GSocketAddress *sa = soup_server_message_get_remote_address(msg);

	return !G_IS_INET_SOCKET_ADDRESS(sa) ||
	       g_inet_address_get_is_loopback(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
}

/* The last element of X-Forwarded-For as an address; NULL when there is
 * none or it is not an IP address (brackets, as in RFC 7239, allowed). */
static GInetAddress *forwarded_for(SoupServerMessage *msg)
{
	const char *list = soup_message_headers_get_list(soup_server_message_get_request_headers(msg),
	                                                 "X-Forwarded-For");
	const char *last;
	g_autofree char *item = NULL;
	gsize len;

	if (!list)
		return NULL;
	last = strrchr(list, ',');
	item = g_strstrip(g_strdup(last ? last + 1 : list));
	len = strlen(item);
	if (len > 2 && item[0] == '[' && item[len - 1] == ']') {
		item[len - 1] = '\0';
		return g_inet_address_new_from_string(item + 1);
	}
	return g_inet_address_new_from_string(item);
}

/* An IPv4 address mapped into IPv6 (a dual-stack socket) as IPv4. */
static char *ip_text(GInetAddress *ip)
{
	const guint8 *bytes = g_inet_address_to_bytes(ip);

	if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6 &&
	    memcmp(bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		g_autoptr(GInetAddress) v4 = g_inet_address_new_from_bytes(bytes + 12, G_SOCKET_FAMILY_IPV4);

		return g_inet_address_to_string(v4);
	}
	return g_inet_address_to_string(ip);
}

/* An IPv4 address as itself (also when mapped into IPv6), an IPv6 one as
 * its /64. */
static char *client_key(GInetAddress *ip)
{
	guint8 bytes[16];
	g_autoptr(GInetAddress) prefix = NULL;
	g_autofree char *text = ip_text(ip);
	g_autofree char *network = NULL;

	if (strchr(text, ':') == NULL || g_inet_address_get_is_loopback(ip))
		return g_steal_pointer(&text);
	memcpy(bytes, g_inet_address_to_bytes(ip), sizeof(bytes));
	memset(bytes + 8, 0, 8);
	prefix = g_inet_address_new_from_bytes(bytes, G_SOCKET_FAMILY_IPV6);
	network = g_inet_address_to_string(prefix);
	return g_strconcat(network, "/64", NULL);
}

char *hdmirtc_http_client_address(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	GSocketAddress *sa = soup_server_message_get_remote_address(msg);

	if (self->trust_forwarded && peer_is_local(msg)) {
		g_autoptr(GInetAddress) client = forwarded_for(msg);

		if (client)
			return client_key(client);
	}
	if (!G_IS_INET_SOCKET_ADDRESS(sa))
		return g_strdup("");
	return client_key(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
}

/* The node of RFC 7239's by= ("192.0.2.1", "\"192.0.2.1:443\"",
 * "\"[2001:db8::1]:443\"", and the bare "\"2001:db8::1\"" nginx's
 * $server_addr gives); NULL for an obfuscated or unknown one. */
static GInetAddress *forwarded_node_address(const char *value)
{
	g_autofree char *node = g_strdup(value);
	char *end, *start = node;
	gsize len = strlen(node);

	if (len >= 2 && node[0] == '"' && node[len - 1] == '"') {
		node[len - 1] = '\0';
		start++;
	}
	if (start[0] == '[') {
		end = strchr(++start, ']');
		if (!end)
			return NULL;
		*end = '\0';
	} else if (!g_hostname_is_ip_address(start) && (end = strchr(start, ':')) != NULL) {
		*end = '\0';           /* IPv4 with a port */
	}
	return g_inet_address_new_from_string(start);
}

/* by= of the last element of Forwarded: what the proxy nearest to us says
 * it received the request on. */
static GInetAddress *forwarded_by(SoupServerMessage *msg)
{
	const char *list = soup_message_headers_get_list(soup_server_message_get_request_headers(msg),
	                                                 "Forwarded");
	const char *last;
	g_auto(GStrv) pairs = NULL;

	if (!list)
		return NULL;
	last = strrchr(list, ',');
	pairs = g_strsplit(last ? last + 1 : list, ";", -1);
	for (char **p = pairs; *p; p++) {
		char *pair = g_strstrip(*p);

		if (g_ascii_strncasecmp(pair, "by=", 3) == 0)
			return forwarded_node_address(pair + 3);
	}
	return NULL;
}

char *hdmirtc_http_arrival_address(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	GSocketAddress *sa = soup_server_message_get_local_address(msg);

	if (self->trust_forwarded) {
		g_autoptr(GInetAddress) by = peer_is_local(msg) ? forwarded_by(msg) : NULL;

		return by ? ip_text(by) : NULL;
	}
	if (!G_IS_INET_SOCKET_ADDRESS(sa))
		return NULL;
	return ip_text(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
}
