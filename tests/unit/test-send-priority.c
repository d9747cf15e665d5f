/* SPDX-License-Identifier: GPL-3.0-or-later */
/* src/webrtc/send-priority.c: the calling thread is SCHED_RR at the wanted
 * priority between enter and leave, and SCHED_OTHER with its nice value
 * after; a thread the administrator made real-time or batch is left alone;
 * 0 is off; a process that may not have it (no CAP_SYS_NICE, RLIMIT_RTPRIO
 * 0) sends at normal priority and its status says why. */
#include "src/webrtc/send-priority.h"

#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int policy(void)
{
	return sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
}

static int rt_priority(void)
{
	struct sched_param p = { 0 };

	g_assert_cmpint(sched_getparam(0, &p), ==, 0);
	return p.sched_priority;
}

static JsonNode *status_of(HdmirtcSendPriority *sp)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	hdmirtc_send_priority_add_status(sp, b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* The send_priority object of a status_of(). */
static JsonObject *status_object(JsonNode *root)
{
	return json_object_get_object_member(json_node_get_object(root), "send_priority");
}

static HdmirtcSendPriority *priority_or_skip(guint priority)
{
	HdmirtcSendPriority *sp = hdmirtc_send_priority_new(priority);
	JsonNode *root;

	if (hdmirtc_send_priority_in_use(sp))
		return sp;
	root = status_of(sp);
	g_test_skip(json_object_get_string_member(status_object(root), "why_not"));
	json_node_unref(root);
	hdmirtc_send_priority_free(sp);
	return NULL;
}

static void test_enter_leave(void)
{
	HdmirtcSendPriority *sp = priority_or_skip(3);
	JsonNode *root;
	JsonObject *o;
	gboolean entered;

	if (!sp)
		return;
	root = status_of(sp);
	o = status_object(root);
	g_assert_cmpint(json_object_get_int_member(o, "wanted"), ==, 3);
	g_assert_true(json_object_get_boolean_member(o, "in_use"));
	g_assert_true(json_object_get_null_member(o, "why_not"));
	json_node_unref(root);

	g_assert_cmpint(setpriority(PRIO_PROCESS, (id_t)gettid(), 5), ==, 0);
	g_assert_cmpint(policy(), ==, SCHED_OTHER);
	entered = hdmirtc_send_priority_enter(sp);
	g_assert_true(entered);
	g_assert_cmpint(policy(), ==, SCHED_RR);
	g_assert_cmpint(rt_priority(), ==, 3);
	/* A child would start at normal priority. */
	g_assert_cmpint(sched_getscheduler(0) & SCHED_RESET_ON_FORK, !=, 0);
	hdmirtc_send_priority_leave(sp, entered);
	g_assert_cmpint(sched_getscheduler(0), ==, SCHED_OTHER);
	g_assert_cmpint(rt_priority(), ==, 0);
	errno = 0;
	g_assert_cmpint(getpriority(PRIO_PROCESS, (id_t)gettid()), ==, 5);
	g_assert_cmpint(errno, ==, 0);
	g_assert_cmpint(setpriority(PRIO_PROCESS, (id_t)gettid(), 0), ==, 0);
	hdmirtc_send_priority_free(sp);
}

/* What the administrator chose stays: a FIFO thread at another priority,
 * a batch thread. */
static void test_not_other_left_alone(void)
{
	HdmirtcSendPriority *sp = priority_or_skip(1);
	struct sched_param fifo = { .sched_priority = 2 }, none = { 0 };
	gboolean entered;

	if (!sp)
		return;
	g_assert_cmpint(sched_setscheduler(0, SCHED_FIFO, &fifo), ==, 0);
	entered = hdmirtc_send_priority_enter(sp);
	g_assert_false(entered);
	hdmirtc_send_priority_leave(sp, entered);
	g_assert_cmpint(policy(), ==, SCHED_FIFO);
	g_assert_cmpint(rt_priority(), ==, 2);

	g_assert_cmpint(sched_setscheduler(0, SCHED_BATCH, &none), ==, 0);
	entered = hdmirtc_send_priority_enter(sp);
	g_assert_false(entered);
	hdmirtc_send_priority_leave(sp, entered);
	g_assert_cmpint(policy(), ==, SCHED_BATCH);

	g_assert_cmpint(sched_setscheduler(0, SCHED_OTHER, &none), ==, 0);
	g_assert_true(hdmirtc_send_priority_in_use(sp));
	hdmirtc_send_priority_free(sp);
}

static void test_off(void)
{
	HdmirtcSendPriority *sp = hdmirtc_send_priority_new(0);
	JsonNode *root = status_of(sp);
	JsonObject *o = status_object(root);

	g_assert_false(hdmirtc_send_priority_in_use(sp));
	g_assert_cmpint(json_object_get_int_member(o, "wanted"), ==, 0);
	g_assert_false(json_object_get_boolean_member(o, "in_use"));
	g_assert_cmpstr(json_object_get_string_member(o, "why_not"), ==, "off (send-priority = 0)");
	g_assert_false(hdmirtc_send_priority_enter(sp));
	g_assert_cmpint(policy(), ==, SCHED_OTHER);
	g_assert_false(hdmirtc_send_priority_enter(NULL));
	json_node_unref(root);
	hdmirtc_send_priority_free(sp);
}

/* What the child checks: new() refused, the status and the log say why. */
static void check_refused(void)
{
	HdmirtcSendPriority *sp;
	JsonNode *root;
	JsonObject *o;

	g_test_expect_message("hdmirtc-webrtc", G_LOG_LEVEL_MESSAGE,
	                      "frames are sent at normal priority: SCHED_RR 1 refused*");
	sp = hdmirtc_send_priority_new(1);
	g_test_assert_expected_messages();
	root = status_of(sp);
	o = status_object(root);
	g_assert_false(hdmirtc_send_priority_in_use(sp));
	g_assert_false(json_object_get_boolean_member(o, "in_use"));
	g_assert_true(g_pattern_match_simple("SCHED_RR 1 refused: Operation not permitted (*LimitRTPRIO=*",
	                                     json_object_get_string_member(o, "why_not")));
	g_assert_false(hdmirtc_send_priority_enter(sp));
	g_assert_cmpint(policy(), ==, SCHED_OTHER);
	json_node_unref(root);
	hdmirtc_send_priority_free(sp);
}

/* In a child without CAP_SYS_NICE (root drops to nobody) and with an
 * RLIMIT_RTPRIO of 0, as a service run by hand by a user.  A fork, not
 * g_test_trap_subprocess(): that runs the program again, which the armhf
 * build under qemu-user cannot (no binfmt entry for it there). */
static void test_refused(void)
{
	int status = 0;
	pid_t child = fork();

	g_assert_cmpint(child, >=, 0);
	if (child == 0) {
		struct rlimit none = { 0, 0 };

		g_assert_cmpint(setrlimit(RLIMIT_RTPRIO, &none), ==, 0);
		if (geteuid() == 0) {
			g_assert_cmpint(setgid(65534), ==, 0);
			g_assert_cmpint(setuid(65534), ==, 0);
		}
		check_refused();
		_exit(0);
	}
	g_assert_cmpint(waitpid(child, &status, 0), ==, child);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/send-priority/enter-leave", test_enter_leave);
	g_test_add_func("/send-priority/not-other-left-alone", test_not_other_left_alone);
	g_test_add_func("/send-priority/off", test_off);
	g_test_add_func("/send-priority/refused", test_refused);
	return g_test_run();
}
