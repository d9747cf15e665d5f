/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "send-priority.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

struct HdmirtcSendPriority {
	int priority;
	gint in_use;                    /* atomic: cleared by the first refusal */
	GMutex lock;
	char *why_not;                  /* under lock */
};

/* The first refusal turns it off for every thread: the limit is the
 * process's (a lowered RLIMIT_RTPRIO, a cgroup without real-time time). */
static void refused(HdmirtcSendPriority *sp, int err)
{
	char *why = g_strdup_printf("SCHED_RR %d refused: %s (the service needs CAP_SYS_NICE "
	                            "or an RLIMIT_RTPRIO of at least %d, e.g. LimitRTPRIO= in its unit)",
	                            sp->priority, g_strerror(err), sp->priority);

	g_mutex_lock(&sp->lock);
	if (!sp->why_not) {
		sp->why_not = why;
		why = NULL;
		g_message("frames are sent at normal priority: %s", sp->why_not);
	}
	g_mutex_unlock(&sp->lock);
	g_free(why);
	g_atomic_int_set(&sp->in_use, FALSE);
}

HdmirtcSendPriority *hdmirtc_send_priority_new(guint priority)
{
	HdmirtcSendPriority *sp = g_new0(HdmirtcSendPriority, 1);

	g_mutex_init(&sp->lock);
	sp->priority = (int)MIN(priority, 99u);
	if (!sp->priority) {
		sp->why_not = g_strdup("off (send-priority = 0)");
		return sp;
	}
	sp->in_use = TRUE;
	hdmirtc_send_priority_leave(sp, hdmirtc_send_priority_enter(sp));
	return sp;
}

void hdmirtc_send_priority_free(HdmirtcSendPriority *sp)
{
	if (!sp)
		return;
	g_mutex_clear(&sp->lock);
	g_free(sp->why_not);
	g_free(sp);
}

gboolean hdmirtc_send_priority_enter(HdmirtcSendPriority *sp)
{
	struct sched_param param = { .sched_priority = sp ? sp->priority : 0 };

	/* A thread an administrator made real-time, or batch or idle, keeps
	 * what it was given. */
	if (!sp || !g_atomic_int_get(&sp->in_use) ||
	    (sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) != SCHED_OTHER)
		return FALSE;
	/* A child of the thread (none is made there, but a helper program
	 * would be) starts at normal priority. */
	if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) == 0)
		return TRUE;
	refused(sp, errno);
	return FALSE;
}

void hdmirtc_send_priority_leave(HdmirtcSendPriority *sp, gboolean entered)
{
	/* SCHED_OTHER keeps the thread's nice value. */
	struct sched_param param = { 0 };

	(void)sp;
	if (entered && sched_setscheduler(0, SCHED_OTHER, &param) < 0)
		g_warning("cannot leave SCHED_RR: %s", g_strerror(errno));
}

gboolean hdmirtc_send_priority_in_use(HdmirtcSendPriority *sp)
{
	return sp && g_atomic_int_get(&sp->in_use);
}

void hdmirtc_send_priority_add_status(HdmirtcSendPriority *sp, JsonBuilder *b)
{
	json_builder_set_member_name(b, "send_priority");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "wanted");
	json_builder_add_int_value(b, sp->priority);
	json_builder_set_member_name(b, "in_use");
	json_builder_add_boolean_value(b, hdmirtc_send_priority_in_use(sp));
	json_builder_set_member_name(b, "why_not");
	g_mutex_lock(&sp->lock);
	if (sp->why_not)
		json_builder_add_string_value(b, sp->why_not);
	else
		json_builder_add_null_value(b);
	g_mutex_unlock(&sp->lock);
	json_builder_end_object(b);
}
