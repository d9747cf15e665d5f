/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Threads that help the thread sending a frame (the network thread, or the
 * media thread holding its lock) send it to many viewers.
 *
 * Protecting and sending a frame costs each viewer a few microseconds per
 * packet (SRTP, the socket), one viewer after another; with tens of viewers
 * the last one gets the frame milliseconds after the first.  run() spreads
 * the viewers of one frame over the calling thread and the workers, each
 * taking the next viewer not yet taken, and returns when all are done.
 * While it runs the calling thread does nothing else, so a viewer is still
 * touched by one thread at a time and everything else about it stays with
 * the caller.  The workers run on the CPUs the caller is not on. */
#pragma once

#include "peer.h"
#include "send-priority.h"

G_BEGIN_DECLS

typedef struct HdmirtcSendWorkers HdmirtcSendWorkers;

/* Called for item index of a run, on the calling thread or a worker, with
 * that thread's own scratch batch. */
typedef void (*HdmirtcSendItemFunc)(guint index, HdmirtcPeerBatch *batch, gpointer user_data);

/* n_threads workers (0: run() does everything on the calling thread), at
 * priority for good (NULL: normal scheduling; kept by the caller until
 * after hdmirtc_send_workers_free()). */
HdmirtcSendWorkers *hdmirtc_send_workers_new(guint n_threads, HdmirtcSendPriority *priority);
/* Stops and joins the workers.  NULL-safe. */
void hdmirtc_send_workers_free(HdmirtcSendWorkers *sw);
guint hdmirtc_send_workers_get_n_threads(HdmirtcSendWorkers *sw);

/* func for every index below n, spread over the calling thread (with
 * own_batch) and the workers; returns when every call has returned.  One
 * run at a time, from one thread. */
void hdmirtc_send_workers_run(HdmirtcSendWorkers *sw, guint n, HdmirtcSendItemFunc func,
                              gpointer user_data, HdmirtcPeerBatch *own_batch);

G_END_DECLS
