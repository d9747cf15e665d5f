/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The URLs printed for the user: one per address the server answers on. */
#include "http-private.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

static void add_url(GPtrArray *urls, GInetAddress *addr, guint port, const char *scheme)
{
	g_autofree char *ip = g_inet_address_to_string(addr);
	char *url;

	if (g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6)
		url = g_strdup_printf("%s://[%s]:%u/", scheme, ip, port);
	else
		url = g_strdup_printf("%s://%s:%u/", scheme, ip, port);
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

/* Link-local IPv6 needs a zone id that browsers do not take in a URL. */
char **hdmirtc_http_host_addresses(gboolean v4, gboolean v6)
{
	GPtrArray *out = g_ptr_array_new();
	struct ifaddrs *list = NULL;

	if (getifaddrs(&list) != 0) {
		g_message("cannot list the local addresses: %s", g_strerror(errno));
		list = NULL;
	}
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		g_autoptr(GInetAddress) addr = NULL;
		char *text;

		if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		if ((ifa->ifa_addr->sa_family == AF_INET && !v4) ||
		    (ifa->ifa_addr->sa_family == AF_INET6 && !v6))
			continue;
		addr = inet_from_sockaddr(ifa->ifa_addr);
		if (!addr || g_inet_address_get_is_loopback(addr) ||
		    g_inet_address_get_is_link_local(addr))
			continue;
		text = g_inet_address_to_string(addr);
		if (g_ptr_array_find_with_equal_func(out, text, g_str_equal, NULL))
			g_free(text);
		else
			g_ptr_array_add(out, text);
	}
	if (list)
		freeifaddrs(list);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

char **hdmirtc_http_urls_build(GInetAddress *listen, guint port, const char *scheme)
{
	GPtrArray *urls = g_ptr_array_new();
	gboolean v6 = g_inet_address_get_family(listen) == G_SOCKET_FAMILY_IPV6;

	if (g_inet_address_get_is_any(listen)) {
		g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		g_auto(GStrv) addresses = hdmirtc_http_host_addresses(TRUE, v6);

		/* "::" listens on 0.0.0.0 too (http-listen.c). */
		for (char **a = addresses; *a; a++) {
			g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(*a);

			add_url(urls, addr, port, scheme);
		}
		add_url(urls, lo, port, scheme);
	} else {
		add_url(urls, listen, port, scheme);
	}
	g_ptr_array_add(urls, NULL);
	return (char **)g_ptr_array_free(urls, FALSE);
}
