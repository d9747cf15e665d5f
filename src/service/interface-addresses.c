/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "interface-addresses.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

static gboolean usable_address(const struct sockaddr *sa, gboolean ipv6)
{
	if (sa->sa_family == AF_INET)
		return TRUE;
	if (sa->sa_family != AF_INET6 || !ipv6)
		return FALSE;
	/* Link-local addresses need a scope id browsers do not send. */
	return !IN6_IS_ADDR_LINKLOCAL(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

static char *address_to_string(const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN];
	const void *addr = sa->sa_family == AF_INET ?
		(const void *)&((const struct sockaddr_in *)sa)->sin_addr :
		(const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	return inet_ntop(sa->sa_family, addr, text, sizeof(text)) ? g_strdup(text) : NULL;
}

GStrv hdmirtc_interface_addresses(const char *const *names, gboolean ipv6, GError **error)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	struct ifaddrs *list;
	guint found = 0;

	if (getifaddrs(&list) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot list network interfaces: %s", g_strerror(errno));
		return NULL;
	}
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || !g_strv_contains(names, ifa->ifa_name) ||
		    !usable_address(ifa->ifa_addr, ipv6))
			continue;
		g_autofree char *text = address_to_string(ifa->ifa_addr);
		if (text) {
			g_strv_builder_add(builder, text);
			found++;
		}
	}
	freeifaddrs(list);
	if (found == 0) {
		g_autofree char *joined = g_strjoinv(", ", (char **)names);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "no usable address on interface(s) %s", joined);
		return NULL;
	}
	return g_strv_builder_end(builder);
}
