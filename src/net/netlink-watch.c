/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tells when links, addresses or routes change: an rtnetlink socket
 * subscribed to their multicast groups.  The messages themselves are not
 * parsed: a burst of them (DHCP renumbering sends a dozen) is one change,
 * after which the caller reads the whole state again. */
#include "hdmirtc/net.h"
#include "hdmirtc/gsource.h"

#include <errno.h>
#include <glib-unix.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

struct HdmirtcNetWatch {
	GMainContext *ctx;
	int fd;
	GSource *io;
	GSource *settle;
	guint settle_ms;
	HdmirtcNetWatchFunc changed;
	gpointer user_data;
};

static gboolean on_settled(gpointer user_data)
{
	HdmirtcNetWatch *watch = user_data;

	hdmirtc_source_clear(&watch->settle);
	watch->changed(watch, watch->user_data);
	return G_SOURCE_REMOVE;
}

/* Every message restarts the settle timer. */
static void settle_later(HdmirtcNetWatch *watch)
{
	hdmirtc_source_clear(&watch->settle);
	watch->settle = g_timeout_source_new(watch->settle_ms);
	g_source_set_callback(watch->settle, on_settled, watch, NULL);
	g_source_attach(watch->settle, watch->ctx);
}

static gboolean on_readable(int fd, GIOCondition condition, gpointer user_data)
{
	HdmirtcNetWatch *watch = user_data;
	guint8 buf[8192];
	gboolean any = FALSE;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			any = TRUE;
			continue;
		}
		/* ENOBUFS: the kernel dropped messages; something changed. */
		if (n < 0 && errno == ENOBUFS)
			any = TRUE;
		else if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (any)
		settle_later(watch);
	return G_SOURCE_CONTINUE;
}

static int open_socket(GError **error)
{
	struct sockaddr_nl local = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
			     RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NETLINK,
			    "rtnetlink watch: %s", g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

HdmirtcNetWatch *hdmirtc_net_watch_new(GMainContext *ctx, guint settle_ms,
                                       HdmirtcNetWatchFunc changed, gpointer user_data,
                                       GError **error)
{
	int fd = open_socket(error);
	HdmirtcNetWatch *watch;

	if (fd < 0)
		return NULL;
	watch = g_new0(HdmirtcNetWatch, 1);
	watch->ctx = g_main_context_ref(ctx);
	watch->fd = fd;
	watch->settle_ms = settle_ms;
	watch->changed = changed;
	watch->user_data = user_data;
	watch->io = g_unix_fd_source_new(fd, G_IO_IN);
	g_source_set_callback(watch->io, G_SOURCE_FUNC(on_readable), watch, NULL);
	g_source_attach(watch->io, ctx);
	return watch;
}

void hdmirtc_net_watch_free(HdmirtcNetWatch *watch)
{
	if (!watch)
		return;
	hdmirtc_source_clear(&watch->io);
	hdmirtc_source_clear(&watch->settle);
	close(watch->fd);
	g_main_context_unref(watch->ctx);
	g_free(watch);
}
