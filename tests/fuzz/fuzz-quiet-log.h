/* SPDX-License-Identifier: GPL-3.0-or-later */
/* For the harnesses whose code logs on every input (a request, an IDR
 * without parameter sets): at thousands of inputs a second the log would
 * be all the fuzzer does (an hour of fuzz-annexb wrote 81 MB of it).
 * Criticals and errors still go out, and abort. */
#pragma once

#include <glib.h>

static inline GLogWriterOutput fuzz_quiet_writer(GLogLevelFlags level, const GLogField *fields,
                                                 gsize n_fields, gpointer user_data)
{
	if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)))
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n_fields, user_data);
}

static inline void fuzz_quiet_log(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		g_log_set_writer_func(fuzz_quiet_writer, NULL, NULL);
		g_once_init_leave(&once, 1);
	}
}
