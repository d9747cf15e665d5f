/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real-time priority a frame's fan-out runs at.
 *
 * On two cores the viewers' packets of a frame are written, protected and
 * sent by two threads; any other runnable process (a receiver on the same
 * machine, a KVM's other daemons) that the scheduler lets in meanwhile puts
 * the last viewers a time slice later.  Measured here with 64 viewers on
 * loopback: encoder out -> last send p95 5.5-6.0 ms at normal priority,
 * 2.0 ms at SCHED_RR 1, the median 1.8-2.1 against 1.6-1.7 ms.  So the
 * thread sending a frame is SCHED_RR for that frame only (the media or the
 * network thread, both of which do other work too), and the send workers,
 * which do nothing else, are SCHED_RR for good.  The time at that priority
 * is bounded by the fan-out: a few percent of a core at 30 frames/s.
 *
 * Needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least the priority (the
 * systemd unit sets LimitRTPRIO=1); without either the service sends at
 * normal priority and says why. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct HdmirtcSendPriority HdmirtcSendPriority;

/* priority 1..99, 0: normal scheduling.  Tries it once on the calling
 * thread (and goes back), so that the status says at once whether it can be
 * had. */
HdmirtcSendPriority *hdmirtc_send_priority_new(guint priority);
void hdmirtc_send_priority_free(HdmirtcSendPriority *sp);

/* The calling thread at the priority until hdmirtc_send_priority_leave()
 * with what this returned.  A thread that is not SCHED_OTHER (an
 * administrator's chrt) is left as it is.  NULL-safe. */
gboolean hdmirtc_send_priority_enter(HdmirtcSendPriority *sp);
void hdmirtc_send_priority_leave(HdmirtcSendPriority *sp, gboolean entered);

gboolean hdmirtc_send_priority_in_use(HdmirtcSendPriority *sp);
/* "send_priority": { "wanted", "in_use", "why_not" }. */
void hdmirtc_send_priority_add_status(HdmirtcSendPriority *sp, JsonBuilder *b);

G_END_DECLS
