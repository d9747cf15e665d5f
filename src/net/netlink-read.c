/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dumps links, addresses and routes over an rtnetlink socket. */
#include "hdmirtc/net.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECV_BUF 32768

static gboolean send_dump(int fd, guint16 type, guint32 seq, GError **error)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = {
		.h = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
			.nlmsg_type = type,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = seq,
		},
		.g = { .rtgen_family = AF_UNSPEC },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NETLINK,
			    "rtnetlink request %u: %s", type, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* Reads replies until NLMSG_DONE.  Only datagrams from the kernel
 * (nl_pid 0) count. */
static gboolean receive_dump(int fd, HdmirtcNetState *state, guint8 *buf, GError **error)
{
	gboolean done = FALSE;

	while (!done) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, RECV_BUF, 0, (struct sockaddr *)&from, &fromlen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NETLINK,
				    "rtnetlink receive: %s", n < 0 ? g_strerror(errno) : "end of stream");
			return FALSE;
		}
		if (from.nl_pid != 0)
			continue;
		if (!hdmirtc_net_state_parse(state, buf, (gsize)n, &done, error))
			return FALSE;
	}
	return TRUE;
}

HdmirtcNetState *hdmirtc_net_state_read(GError **error)
{
	static const guint16 dumps[] = { RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE };
	g_autoptr(HdmirtcNetState) state = hdmirtc_net_state_new();
	g_autofree guint8 *buf = g_malloc(RECV_BUF);
	struct timeval timeout = { .tv_sec = 2 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_NETLINK,
			    "rtnetlink socket: %s", g_strerror(errno));
		return NULL;
	}
	/* The kernel answers at once; the timeout only guards a bug. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	for (guint i = 0; i < G_N_ELEMENTS(dumps); i++) {
		if (!send_dump(fd, dumps[i], i + 1, error) || !receive_dump(fd, state, buf, error)) {
			close(fd);
			return NULL;
		}
	}
	close(fd);
	return g_steal_pointer(&state);
}
