/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Ending a GSource the service holds.  A source is destroyed, not only
 * unreferenced, so that its callback can never run again (an attached
 * source keeps a reference of its own while the context has it). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Destroys and unreferences *source, if any, and clears the pointer. */
static inline void hdmirtc_source_clear(GSource **source)
{
	if (*source) {
		g_source_destroy(*source);
		g_clear_pointer(source, g_source_unref);
	}
}

/* Attaches source to ctx at G_PRIORITY_HIGH, with func (if any) as its
 * callback: the media thread's own sources (capture, encoder, requeues)
 * and the hand-offs between threads, which must never wait behind
 * G_PRIORITY_DEFAULT work.  Returns source. */
static inline GSource *hdmirtc_source_attach_high(GSource *source, GSourceFunc func, gpointer data,
						  GMainContext *ctx)
{
	g_source_set_priority(source, G_PRIORITY_HIGH);
	if (func)
		g_source_set_callback(source, func, data, NULL);
	g_source_attach(source, ctx);
	return source;
}

/* The same for a source held by its id on ctx (g_source_remove only looks
 * in the default context, which the service's threads do not use). */
static inline void hdmirtc_source_clear_id(GMainContext *ctx, guint *id)
{
	GSource *source = *id ? g_main_context_find_source_by_id(ctx, *id) : NULL;

	if (source)
		g_source_destroy(source);
	*id = 0;
}

G_END_DECLS
