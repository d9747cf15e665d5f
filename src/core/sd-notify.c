/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sd_notify(3) without libsystemd: the protocol is one datagram per state
 * change to $NOTIFY_SOCKET; the manager learns our pid from the socket's
 * credentials, so nothing else travels with it. */
#include "hdmirtc/sd-notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Fills addr from "/path" or "@abstract"; returns the address length to
 * pass to sendto() or -errno. */
static int notify_address(const char *name, struct sockaddr_un *addr)
{
	size_t len = strlen(name);

	if (g_str_has_prefix(name, "vsock:"))
		return -EAFNOSUPPORT; /* systemd >= 253 in VMs; not used on a Pi */
	if (name[0] != '/' && name[0] != '@')
		return -EINVAL;
	if (len < 2)
		return -EINVAL;
	if (len >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, name, len);
	if (name[0] == '@') {
		/* Abstract names are counted bytes, not NUL-terminated. */
		addr->sun_path[0] = '\0';
		return (int)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return (int)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

int hdmirtc_sd_notify_to(const char *notify_socket, const char *state)
{
	struct sockaddr_un addr;
	int addr_len, fd, ret = 1;

	if (!notify_socket || !*notify_socket)
		return 0;
	if (!state || !*state)
		return -EINVAL;
	addr_len = notify_address(notify_socket, &addr);
	if (addr_len < 0)
		return addr_len;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr,
	           (socklen_t)addr_len) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int hdmirtc_sd_notify(const char *state)
{
	return hdmirtc_sd_notify_to(g_getenv("NOTIFY_SOCKET"), state);
}

int hdmirtc_sd_notify_status(const char *format, ...)
{
	g_autofree char *text = NULL;
	g_autofree char *state = NULL;
	va_list args;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	g_strdelimit(text, "\r\n", ' ');
	state = g_strconcat("STATUS=", text, NULL);
	return hdmirtc_sd_notify(state);
}

/* A strictly decimal, positive number: no sign, blanks or suffix. */
static gboolean parse_positive(const char *text, guint64 max, guint64 *value)
{
	if (!text || !g_ascii_isdigit(text[0]))
		return FALSE;
	return g_ascii_string_to_unsigned(text, 10, 1, max, value, NULL);
}

guint64 hdmirtc_sd_notify_watchdog_interval_us(void)
{
	const char *pid_text = g_getenv("WATCHDOG_PID");
	guint64 usec, pid;

	if (!parse_positive(g_getenv("WATCHDOG_USEC"), G_MAXUINT64, &usec))
		return 0;
	/* Without WATCHDOG_PID the interval is for whoever reads it; with it,
	 * only that process pings (a child must not inherit the duty). */
	if (pid_text) {
		if (!parse_positive(pid_text, G_MAXINT32, &pid) || (pid_t)pid != getpid())
			return 0;
	}
	return usec;
}

static gboolean on_watchdog_timeout(gpointer user_data)
{
	int ret = hdmirtc_sd_notify("WATCHDOG=1");

	if (ret < 0)
		g_debug("watchdog ping failed: %s", g_strerror(-ret));
	return G_SOURCE_CONTINUE;
}

guint hdmirtc_sd_notify_watchdog_add(void)
{
	guint64 interval_us = hdmirtc_sd_notify_watchdog_interval_us();
	guint64 period_ms;
	g_autoptr(GSource) source = NULL;

	if (!interval_us)
		return 0;
	/* Half the interval, as sd_watchdog_enabled(3) recommends, so one late
	 * wake-up does not trip it. */
	period_ms = MAX(interval_us / 2000, 1);
	source = g_timeout_source_new((guint)MIN(period_ms, G_MAXUINT));
	g_source_set_callback(source, on_watchdog_timeout, NULL, NULL);
	g_source_set_static_name(source, "hdmirtc sd_notify watchdog");
	return g_source_attach(source, g_main_context_get_thread_default());
}
