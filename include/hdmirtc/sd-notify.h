/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The service manager's readiness protocol (sd_notify(3)), written here so
 * hdmirtc needs no libsystemd: one datagram of "KEY=VALUE\n..." lines to
 * the AF_UNIX socket named by $NOTIFY_SOCKET ("/path" or "@abstract").
 * Outside systemd (no $NOTIFY_SOCKET) every call is a successful no-op.
 *
 * Thread: any thread may send; the watchdog source belongs to the main
 * context (the network thread), so a stuck main loop stops the pings and
 * systemd restarts the service. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sends state (e.g. "READY=1", "STATUS=no signal", "WATCHDOG=1",
 * "STOPPING=1", or several lines joined by '\n') to the socket named by
 * notify_socket ("/path" or "@abstract"; NULL or "" = not supervised).
 * Returns 1 when sent, 0 when notify_socket is NULL or "", -EINVAL for an
 * empty state or a socket name that is neither a path nor abstract,
 * -ENAMETOOLONG when it does not fit sockaddr_un, -EAFNOSUPPORT for
 * "vsock:" addresses, or the -errno of socket()/sendto().  Never blocks:
 * a full receive queue gives -EAGAIN.  Does not allocate. */
int hdmirtc_sd_notify_to(const char *notify_socket, const char *state);

/* hdmirtc_sd_notify_to(getenv("NOTIFY_SOCKET"), state).  The variable is
 * left in the environment so later calls (watchdog, STOPPING) still work. */
int hdmirtc_sd_notify(const char *state);

/* "STATUS=<printf text>": a one-line state for `systemctl status`.  Newlines
 * in the text are replaced by spaces so it cannot inject other keys. */
int hdmirtc_sd_notify_status(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* The watchdog interval systemd expects pings within, in microseconds, from
 * $WATCHDOG_USEC; 0 when there is no watchdog for this process (unset,
 * not a positive decimal number, or $WATCHDOG_PID set to another pid). */
guint64 hdmirtc_sd_notify_watchdog_interval_us(void);

/* When hdmirtc_sd_notify_watchdog_interval_us() is non-zero, attaches a
 * timer to the thread-default main context (at least the global default)
 * that sends "WATCHDOG=1" every half interval, and returns its source id
 * (remove with g_source_remove()).  Returns 0 and attaches nothing when
 * there is no watchdog. */
guint hdmirtc_sd_notify_watchdog_add(void);

G_END_DECLS
