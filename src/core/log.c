/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/log.h"

#include <stdio.h>

static GLogLevelFlags shown_levels;     /* atomic: SIGHUP may change it under other threads */
static gboolean debug_enabled;

static GLogWriterOutput write_log(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                  gpointer user_data)
{
	if (!(level & (GLogLevelFlags)g_atomic_int_get((gint *)&shown_levels)))
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_is_journald(fileno(stderr)) &&
	    g_log_writer_journald(level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_standard_streams(level, fields, n_fields, user_data);
}

void hdmirtc_log_set_level(GLogLevelFlags most_verbose)
{
	GLogLevelFlags shown = G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION;

	/* GLogLevelFlags grow in value as they get more verbose. */
	for (GLogLevelFlags l = G_LOG_LEVEL_ERROR; l <= G_LOG_LEVEL_DEBUG; l <<= 1) {
		if (l <= most_verbose)
			shown |= l;
	}
	g_atomic_int_set((gint *)&shown_levels, (gint)shown);
	/* g_debug/g_info are dropped by GLib before the writer unless asked
	 * (and only what we asked for is taken back). */
	if (most_verbose >= G_LOG_LEVEL_INFO)
		g_log_set_debug_enabled(debug_enabled = TRUE);
	else if (debug_enabled)
		g_log_set_debug_enabled(debug_enabled = FALSE);
}

void hdmirtc_log_init(GLogLevelFlags most_verbose)
{
	hdmirtc_log_set_level(most_verbose);
	g_log_set_writer_func(write_log, NULL, NULL);
}
