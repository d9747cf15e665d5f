/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "send-workers.h"

typedef struct {
	HdmirtcSendWorkers *sw;
	HdmirtcPeerBatch *batch;
	GThread *thread;
} Worker;

struct HdmirtcSendWorkers {
	GMutex lock;
	GCond start;                    /* a new run, or stopping */
	GCond done;                     /* the last worker left the run */
	guint64 generation;             /* runs so far */
	gboolean stopping;
	guint busy;                     /* workers not yet out of the current run */
	/* The current run: written under lock before generation moves on,
	 * left alone until busy is 0 again. */
	guint n;
	gint next;                      /* atomic: the first index nobody took */
	HdmirtcSendItemFunc func;
	gpointer user_data;
	guint n_threads;
	Worker *workers;
};

/* Indices are taken one at a time, so a thread held up by one slow viewer
 * (a keyframe's worth of packets, a full socket) leaves the rest to the
 * others. */
static void take_items(HdmirtcSendWorkers *sw, HdmirtcPeerBatch *batch)
{
	for (;;) {
		guint i = (guint)g_atomic_int_add(&sw->next, 1);

		if (i >= sw->n)
			return;
		sw->func(i, batch, sw->user_data);
	}
}

static gpointer worker_main(gpointer data)
{
	Worker *wk = data;
	HdmirtcSendWorkers *sw = wk->sw;
	guint64 seen = 0;

	g_mutex_lock(&sw->lock);
	for (;;) {
		while (!sw->stopping && sw->generation == seen)
			g_cond_wait(&sw->start, &sw->lock);
		if (sw->stopping)
			break;
		seen = sw->generation;
		g_mutex_unlock(&sw->lock);
		take_items(sw, wk->batch);
		g_mutex_lock(&sw->lock);
		if (--sw->busy == 0)
			g_cond_signal(&sw->done);
	}
	g_mutex_unlock(&sw->lock);
	return NULL;
}

HdmirtcSendWorkers *hdmirtc_send_workers_new(guint n_threads)
{
	HdmirtcSendWorkers *sw = g_new0(HdmirtcSendWorkers, 1);

	g_mutex_init(&sw->lock);
	g_cond_init(&sw->start);
	g_cond_init(&sw->done);
	sw->workers = g_new0(Worker, n_threads);
	for (guint i = 0; i < n_threads; i++) {
		Worker *wk = &sw->workers[i];

		wk->sw = sw;
		wk->batch = hdmirtc_peer_batch_new();
		wk->thread = g_thread_new("hdmirtc-send", worker_main, wk);
		sw->n_threads++;
	}
	return sw;
}

void hdmirtc_send_workers_free(HdmirtcSendWorkers *sw)
{
	if (!sw)
		return;
	g_mutex_lock(&sw->lock);
	sw->stopping = TRUE;
	g_cond_broadcast(&sw->start);
	g_mutex_unlock(&sw->lock);
	for (guint i = 0; i < sw->n_threads; i++) {
		g_thread_join(sw->workers[i].thread);
		hdmirtc_peer_batch_free(sw->workers[i].batch);
	}
	g_free(sw->workers);
	g_cond_clear(&sw->done);
	g_cond_clear(&sw->start);
	g_mutex_clear(&sw->lock);
	g_free(sw);
}

guint hdmirtc_send_workers_get_n_threads(HdmirtcSendWorkers *sw)
{
	return sw->n_threads;
}

void hdmirtc_send_workers_run(HdmirtcSendWorkers *sw, guint n, HdmirtcSendItemFunc func,
                              gpointer user_data, HdmirtcPeerBatch *own_batch)
{
	if (sw->n_threads == 0 || n < 2) {
		for (guint i = 0; i < n; i++)
			func(i, own_batch, user_data);
		return;
	}
	g_mutex_lock(&sw->lock);
	sw->n = n;
	g_atomic_int_set(&sw->next, 0);
	sw->func = func;
	sw->user_data = user_data;
	sw->busy = sw->n_threads;
	sw->generation++;
	g_cond_broadcast(&sw->start);
	g_mutex_unlock(&sw->lock);

	take_items(sw, own_batch);

	g_mutex_lock(&sw->lock);
	while (sw->busy > 0)
		g_cond_wait(&sw->done, &sw->lock);
	g_mutex_unlock(&sw->lock);
}
