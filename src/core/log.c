/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/log.h"

#include <stdio.h>

static GLogLevelFlags shown_levels;

static GLogWriterOutput write_log(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                  gpointer user_data)
{
	if (!(level & shown_levels))
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_is_journald(fileno(stderr)) &&
	    g_log_writer_journald(level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_standard_streams(level, fields, n_fields, user_data);
}

void hdmirtc_log_init(GLogLevelFlags most_verbose)
{
	/* GLogLevelFlags grow in value as they get more verbose. */
	shown_levels = G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION;
	for (GLogLevelFlags l = G_LOG_LEVEL_ERROR; l <= G_LOG_LEVEL_DEBUG; l <<= 1) {
		if (l <= most_verbose)
			shown_levels |= l;
	}
	/* g_debug/g_info are dropped by GLib before the writer unless asked. */
	if (most_verbose >= G_LOG_LEVEL_INFO)
		g_log_set_debug_enabled(TRUE);
	g_log_set_writer_func(write_log, NULL, NULL);
}
