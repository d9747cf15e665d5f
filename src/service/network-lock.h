/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The network thread's lock: held by the thread that runs the network
 * context at all times except while that thread sleeps in poll().
 *
 * Whoever takes it can do the network thread's work (the viewers, their
 * sockets and SRTP sessions) as if it were that thread, since the thread
 * is then known to be asleep and stays outside any callback until the lock
 * comes back.  The media thread uses it to send a frame the moment the
 * encoder hands it over, instead of waking the network thread to do it
 * (a thread wake-up: 0.1-0.2 ms on a VM, per frame); it only ever tries
 * the lock, so a busy network thread never holds up capture, and the frame
 * then takes the ordinary hand-off (media-handoff.h).
 *
 * One network context per process: the hook is GLib's poll function, which
 * carries no user data. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* On the thread that iterates ctx, before it first does: takes the lock
 * and lets it go around each poll() of ctx from now on.  Returns the lock
 * for other threads to g_mutex_trylock(). */
GMutex *hdmirtc_network_lock_hold(GMainContext *ctx);
/* Same thread, when ctx is no longer iterated: ctx polls as before and the
 * lock is let go for good. */
void hdmirtc_network_lock_release(void);

G_END_DECLS
