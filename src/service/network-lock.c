/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "network-lock.h"

static GMutex network_lock;
/* Written only by the holder, while it is not polling. */
static GThread *holder;
static GMainContext *held_ctx;

/* GLib calls this with the context's own lock released: the holder sleeps
 * without the network lock, and takes it back before it dispatches what
 * woke it. */
static gint poll_unlocked(GPollFD *fds, guint n_fds, gint timeout)
{
	gint ret;

	/* Another thread that iterates the context (none in the service) has
	 * no lock to give. */
	if (g_thread_self() != holder)
		return g_poll(fds, n_fds, timeout);
	g_mutex_unlock(&network_lock);
	ret = g_poll(fds, n_fds, timeout);
	g_mutex_lock(&network_lock);
	return ret;
}

GMutex *hdmirtc_network_lock_hold(GMainContext *ctx)
{
	g_return_val_if_fail(held_ctx == NULL, NULL);
	g_mutex_lock(&network_lock);
	holder = g_thread_self();
	held_ctx = g_main_context_ref(ctx);
	g_main_context_set_poll_func(ctx, poll_unlocked);
	return &network_lock;
}

void hdmirtc_network_lock_release(void)
{
	g_return_if_fail(held_ctx != NULL && holder == g_thread_self());
	g_main_context_set_poll_func(held_ctx, NULL);
	g_clear_pointer(&held_ctx, g_main_context_unref);
	holder = NULL;
	g_mutex_unlock(&network_lock);
}
