/* SPDX-License-Identifier: GPL-3.0-or-later */
/* src/webrtc/send-workers.c: every item of a run is called exactly once,
 * each thread with its own batch; run() returns only when every call has
 * returned; the calls really spread over threads; many runs back to back
 * (the workers see each new run, none is lost or run twice); no workers
 * means everything on the caller; the workers stay off the caller's CPU;
 * the workers run at the send priority, the caller as it was. */
#include "src/webrtc/send-workers.h"

#include <sched.h>

#define MAX_ITEMS 256

typedef struct {
	gint calls[MAX_ITEMS];          /* atomic */
	GThread *thread[MAX_ITEMS];
	HdmirtcPeerBatch *batch[MAX_ITEMS];
	gint in_flight;                 /* atomic: calls not yet returned */
	gint max_in_flight;             /* atomic */
	guint sleep_us;
} Run;

static void item(guint index, HdmirtcPeerBatch *batch, gpointer user_data)
{
	Run *r = user_data;
	gint now = g_atomic_int_add(&r->in_flight, 1) + 1;
	gint seen;

	while ((seen = g_atomic_int_get(&r->max_in_flight)) < now &&
	       !g_atomic_int_compare_and_exchange(&r->max_in_flight, seen, now))
		;
	g_assert_cmpuint(index, <, MAX_ITEMS);
	g_assert_nonnull(batch);
	g_atomic_int_inc(&r->calls[index]);
	r->thread[index] = g_thread_self();
	r->batch[index] = batch;
	if (r->sleep_us)
		g_usleep(r->sleep_us);
	g_atomic_int_add(&r->in_flight, -1);
}

/* Every index below n called once, by a thread that always used the same
 * batch, the caller's own batch only on the caller's thread. */
static void check_run(Run *r, guint n, HdmirtcPeerBatch *own)
{
	GHashTable *batch_of = g_hash_table_new(NULL, NULL);

	for (guint i = 0; i < n; i++) {
		g_assert_cmpint(r->calls[i], ==, 1);
		gpointer known = g_hash_table_lookup(batch_of, r->thread[i]);
		if (known)
			g_assert_true(known == r->batch[i]);
		else
			g_hash_table_insert(batch_of, r->thread[i], r->batch[i]);
		g_assert_true((r->batch[i] == own) == (r->thread[i] == g_thread_self()));
	}
	for (guint i = n; i < MAX_ITEMS; i++)
		g_assert_cmpint(r->calls[i], ==, 0);
	g_assert_cmpint(g_atomic_int_get(&r->in_flight), ==, 0);
	g_hash_table_unref(batch_of);
}

static void test_spread(void)
{
	HdmirtcSendWorkers *sw = hdmirtc_send_workers_new(3, NULL);
	HdmirtcPeerBatch *own = hdmirtc_peer_batch_new();
	Run *r = g_new0(Run, 1);

	g_assert_cmpuint(hdmirtc_send_workers_get_n_threads(sw), ==, 3);
	/* Each call takes long enough that the workers wake up and take some. */
	r->sleep_us = 2000;
	hdmirtc_send_workers_run(sw, 64, item, r, own);
	check_run(r, 64, own);
	g_assert_cmpint(r->max_in_flight, >=, 2);

	GHashTable *threads = g_hash_table_new(NULL, NULL);
	for (guint i = 0; i < 64; i++)
		g_hash_table_add(threads, r->thread[i]);
	g_assert_cmpuint(g_hash_table_size(threads), >=, 2);
	g_assert_cmpuint(g_hash_table_size(threads), <=, 4);
	g_hash_table_unref(threads);

	g_free(r);
	hdmirtc_peer_batch_free(own);
	hdmirtc_send_workers_free(sw);
}

/* Runs of every size back to back: a worker that wakes late for one run
 * must neither miss the next nor call into it twice. */
static void test_many_runs(void)
{
	HdmirtcSendWorkers *sw = hdmirtc_send_workers_new(2, NULL);
	HdmirtcPeerBatch *own = hdmirtc_peer_batch_new();

	for (guint round = 0; round < 2000; round++) {
		Run *r = g_new0(Run, 1);
		guint n = round % 40;

		hdmirtc_send_workers_run(sw, n, item, r, own);
		check_run(r, n, own);
		g_free(r);
	}
	hdmirtc_peer_batch_free(own);
	hdmirtc_send_workers_free(sw);
}

static void test_no_workers(void)
{
	HdmirtcSendWorkers *sw = hdmirtc_send_workers_new(0, NULL);
	HdmirtcPeerBatch *own = hdmirtc_peer_batch_new();
	Run *r = g_new0(Run, 1);

	hdmirtc_send_workers_run(sw, 10, item, r, own);
	check_run(r, 10, own);
	for (guint i = 0; i < 10; i++)
		g_assert_true(r->thread[i] == g_thread_self());
	g_assert_cmpint(r->max_in_flight, ==, 1);
	g_free(r);
	hdmirtc_peer_batch_free(own);
	hdmirtc_send_workers_free(sw);
	hdmirtc_send_workers_free(NULL);
}

typedef struct {
	GThread *caller;
	int callers_cpu;
	gint on_callers_cpu;            /* atomic: worker calls that ran there */
	gint may_use_callers_cpu;       /* atomic: worker calls whose mask has it */
	gint worker_calls;              /* atomic */
} Placement;

static void where(guint index, HdmirtcPeerBatch *batch, gpointer user_data)
{
	Placement *p = user_data;
	cpu_set_t mine;

	(void)index;
	(void)batch;
	g_usleep(200);                  /* long enough for the workers to take some */
	if (g_thread_self() == p->caller)
		return;
	g_atomic_int_inc(&p->worker_calls);
	if (sched_getcpu() == p->callers_cpu)
		g_atomic_int_inc(&p->on_callers_cpu);
	if (sched_getaffinity(0, sizeof(mine), &mine) == 0 && CPU_ISSET(p->callers_cpu, &mine))
		g_atomic_int_inc(&p->may_use_callers_cpu);
}

/* The caller pinned to one CPU: no worker call runs there, and no
 * worker's mask has it. */
static void test_off_callers_cpu(void)
{
	cpu_set_t allowed, one;
	Placement p = { .caller = g_thread_self(), .callers_cpu = -1 };
	HdmirtcSendWorkers *sw;
	HdmirtcPeerBatch *own;

	g_assert_cmpint(sched_getaffinity(0, sizeof(allowed), &allowed), ==, 0);
	if (CPU_COUNT(&allowed) < 2) {
		g_test_skip("one CPU: nowhere else to go");
		return;
	}
	for (int c = 0; c < CPU_SETSIZE && p.callers_cpu < 0; c++)
		if (CPU_ISSET(c, &allowed))
			p.callers_cpu = c;
	sw = hdmirtc_send_workers_new(2, NULL);
	own = hdmirtc_peer_batch_new();
	CPU_ZERO(&one);
	CPU_SET(p.callers_cpu, &one);
	g_assert_cmpint(sched_setaffinity(0, sizeof(one), &one), ==, 0);
	/* Once every worker has been through a run, each has started (the
	 * first run may come before one had). */
	hdmirtc_send_workers_run(sw, 16, where, &p, own);
	p.worker_calls = p.on_callers_cpu = p.may_use_callers_cpu = 0;
	for (guint run = 0; run < 20; run++)
		hdmirtc_send_workers_run(sw, 16, where, &p, own);
	g_assert_cmpint(sched_setaffinity(0, sizeof(allowed), &allowed), ==, 0);
	g_assert_cmpint(p.worker_calls, >, 0);
	g_assert_cmpint(p.on_callers_cpu, ==, 0);
	g_assert_cmpint(p.may_use_callers_cpu, ==, 0);
	hdmirtc_peer_batch_free(own);
	hdmirtc_send_workers_free(sw);
}

typedef struct {
	GThread *caller;
	gint worker_calls;              /* atomic */
	gint worker_calls_rr;           /* atomic: of them, at SCHED_RR 2 */
	gint caller_calls_other;        /* atomic: the caller's, at SCHED_OTHER */
} Policies;

static void policy_of(guint index, HdmirtcPeerBatch *batch, gpointer user_data)
{
	Policies *p = user_data;
	struct sched_param param = { 0 };
	int policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;

	(void)index;
	(void)batch;
	g_assert_cmpint(sched_getparam(0, &param), ==, 0);
	g_usleep(200);
	if (g_thread_self() == p->caller) {
		if (policy == SCHED_OTHER)
			g_atomic_int_inc(&p->caller_calls_other);
		return;
	}
	g_atomic_int_inc(&p->worker_calls);
	if (policy == SCHED_RR && param.sched_priority == 2)
		g_atomic_int_inc(&p->worker_calls_rr);
}

static void test_priority(void)
{
	HdmirtcSendPriority *sp = hdmirtc_send_priority_new(2);
	Policies p = { .caller = g_thread_self() };
	HdmirtcSendWorkers *sw;
	HdmirtcPeerBatch *own;

	if (!hdmirtc_send_priority_in_use(sp)) {
		g_test_skip("SCHED_RR not permitted here");
		hdmirtc_send_priority_free(sp);
		return;
	}
	sw = hdmirtc_send_workers_new(2, sp);
	own = hdmirtc_peer_batch_new();
	for (guint run = 0; run < 10; run++)
		hdmirtc_send_workers_run(sw, 16, policy_of, &p, own);
	g_assert_cmpint(p.worker_calls, >, 0);
	g_assert_cmpint(p.worker_calls_rr, ==, p.worker_calls);
	g_assert_cmpint(p.caller_calls_other, ==, 10 * 16 - p.worker_calls);
	hdmirtc_peer_batch_free(own);
	hdmirtc_send_workers_free(sw);
	hdmirtc_send_priority_free(sp);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/send-workers/spread", test_spread);
	g_test_add_func("/send-workers/many-runs", test_many_runs);
	g_test_add_func("/send-workers/no-workers", test_no_workers);
	g_test_add_func("/send-workers/off-the-callers-cpu", test_off_callers_cpu);
	g_test_add_func("/send-workers/priority", test_priority);
	return g_test_run();
}
