/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <errno.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/* The IP addresses (literals) of the named interfaces, IPv6 ones only
 * when ipv6 is set, without link-local IPv6.  An error when none of the
 * interfaces has a usable address. */
GStrv hdmirtc_interface_addresses(const char *const *names, gboolean ipv6, GError **error);

G_END_DECLS
