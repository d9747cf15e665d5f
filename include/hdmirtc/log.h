/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Logging: GLib structured logging to journald when stderr is the
 * journal, else to stderr, showing levels up to the configured one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* most_verbose: G_LOG_LEVEL_ERROR .. G_LOG_LEVEL_DEBUG.  Call once, early,
 * from main(). */
void hdmirtc_log_init(GLogLevelFlags most_verbose);
/* Changes the most verbose level shown (a reload); any thread. */
void hdmirtc_log_set_level(GLogLevelFlags most_verbose);

G_END_DECLS
