/* SPDX-License-Identifier: GPL-3.0-or-later */
/* src/webrtc/send-workers.c: every item of a run is called exactly once,
 * each thread with its own batch; run() returns only when every call has
 * returned; the calls really spread over threads; many runs back to back
 * (the workers see each new run, none is lost or run twice); no workers
 * means everything on the caller. */
#include "src/webrtc/send-workers.h"

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
	HdmirtcSendWorkers *sw = hdmirtc_send_workers_new(3);
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
	HdmirtcSendWorkers *sw = hdmirtc_send_workers_new(2);
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
	HdmirtcSendWorkers *sw = hdmirtc_send_workers_new(0);
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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/send-workers/spread", test_spread);
	g_test_add_func("/send-workers/many-runs", test_many_runs);
	g_test_add_func("/send-workers/no-workers", test_no_workers);
	return g_test_run();
}
