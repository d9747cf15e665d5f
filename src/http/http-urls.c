/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The URLs printed for the user: one per address the server answers on. */
#include "http-private.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

static void add_url(GPtrArray *urls, GInetAddress *addr, guint port)
{
	g_autofree char *ip = g_inet_address_to_string(addr);
	char *url;

	if (g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6)
		url = g_strdup_printf("http://[%s]:%u/", ip, port);
	else
		url = g_strdup_printf("http://%s:%u/", ip, port);
	for (guint i = 0; i < urls->len; i++) {
		if (strcmp(urls->pdata[i], url) == 0) {
			g_free(url);
			return;
		}
	}
	g_ptr_array_add(urls, url);
}

static GInetAddress *inet_from_sockaddr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return g_inet_address_new_from_bytes(
			(const guint8 *)&((const struct sockaddr_in *)sa)->sin_addr, G_SOCKET_FAMILY_IPV4);
	if (sa->sa_family == AF_INET6)
		return g_inet_address_new_from_bytes(
			(const guint8 *)&((const struct sockaddr_in6 *)sa)->sin6_addr, G_SOCKET_FAMILY_IPV6);
	return NULL;
}

/* Every address of an up, non-loopback interface of the wanted families.
 * Link-local IPv6 needs a zone id that browsers do not take in a URL. */
static void add_interface_urls(GPtrArray *urls, gboolean v4, gboolean v6, guint port)
{
	struct ifaddrs *list = NULL;

	if (getifaddrs(&list) != 0) {
		g_message("cannot list the local addresses: %s", g_strerror(errno));
		return;
	}
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		g_autoptr(GInetAddress) addr = NULL;

		if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		if ((ifa->ifa_addr->sa_family == AF_INET && !v4) ||
		    (ifa->ifa_addr->sa_family == AF_INET6 && !v6))
			continue;
		addr = inet_from_sockaddr(ifa->ifa_addr);
		if (!addr || g_inet_address_get_is_loopback(addr) ||
		    g_inet_address_get_is_link_local(addr))
			continue;
		add_url(urls, addr, port);
	}
	freeifaddrs(list);
}

char **hdmirtc_http_urls_build(GInetAddress *listen, guint port)
{
	GPtrArray *urls = g_ptr_array_new();
	gboolean v6 = g_inet_address_get_family(listen) == G_SOCKET_FAMILY_IPV6;

	if (g_inet_address_get_is_any(listen)) {
		g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);

		/* "::" listens on 0.0.0.0 too (soup_server_listen_all). */
		add_interface_urls(urls, TRUE, v6, port);
		add_url(urls, lo, port);
	} else {
		add_url(urls, listen, port);
	}
	g_ptr_array_add(urls, NULL);
	return (char **)g_ptr_array_free(urls, FALSE);
}
