/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "send-workers.h"

#include <sched.h>
#include <unistd.h>

typedef struct {
	HdmirtcSendWorkers *sw;
	HdmirtcPeerBatch *batch;
	GThread *thread;
	gint tid;                       /* atomic: 0 until the thread runs */
} Worker;

struct HdmirtcSendWorkers {
	GMutex lock;
	GCond start;                    /* a new run, or stopping */
	GCond done;                     /* the last worker left the run */
	guint64 generation;             /* runs so far */
	gboolean stopping;
	/* Workers may join the current run until the caller has taken its
	 * last item: one woken late then has nothing to do, and the caller
	 * does not wait for it to wake (0.1-0.5 ms on the development VM). */
	gboolean open;
	guint busy;                     /* workers in the current run, not yet out */
	/* The current run: written under lock before generation moves on,
	 * left alone until it is closed and busy is 0 again. */
	guint n;
	gint next;                      /* atomic: the first index nobody took */
	HdmirtcSendItemFunc func;
	gpointer user_data;
	guint n_threads;
	Worker *workers;
	cpu_set_t allowed;              /* the process's CPUs when made */
	HdmirtcSendPriority *priority;
	gint kept_off;                  /* the CPU the workers may not use, -1: none */
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

	g_atomic_int_set(&wk->tid, (gint)gettid());
	/* Woken at that priority, a worker starts at once rather than after
	 * whatever else the scheduler had on the CPU. */
	(void)hdmirtc_send_priority_enter(sw->priority);
	g_mutex_lock(&sw->lock);
	for (;;) {
		while (!sw->stopping && sw->generation == seen)
			g_cond_wait(&sw->start, &sw->lock);
		if (sw->stopping)
			break;
		seen = sw->generation;
		if (!sw->open)
			continue;
		sw->busy++;
		g_mutex_unlock(&sw->lock);
		take_items(sw, wk->batch);
		g_mutex_lock(&sw->lock);
		if (--sw->busy == 0)
			g_cond_signal(&sw->done);
	}
	g_mutex_unlock(&sw->lock);
	return NULL;
}

HdmirtcSendWorkers *hdmirtc_send_workers_new(guint n_threads, HdmirtcSendPriority *priority)
{
	HdmirtcSendWorkers *sw = g_new0(HdmirtcSendWorkers, 1);

	sw->priority = priority;
	g_mutex_init(&sw->lock);
	g_cond_init(&sw->start);
	g_cond_init(&sw->done);
	sw->workers = g_new0(Worker, n_threads);
	sw->kept_off = -1;
	if (sched_getaffinity(0, sizeof(sw->allowed), &sw->allowed) < 0)
		CPU_ZERO(&sw->allowed);
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

/* Woken by the caller, a worker was often placed on the caller's own CPU
 * (the scheduler's wake-affine choice) and waited there until the caller
 * was done: in about a quarter of 64-viewer frames, 0.6-0.8 ms each (bench,
 * "the fan-out behind a network device").  So the workers are kept off the
 * CPU the caller runs on; the mask changes only when the caller moved. */
static void keep_off_callers_cpu(HdmirtcSendWorkers *sw)
{
	int cpu = sched_getcpu();
	gboolean all = TRUE;
	cpu_set_t others;

	if (cpu < 0 || cpu == sw->kept_off || !CPU_ISSET(cpu, &sw->allowed) || CPU_COUNT(&sw->allowed) < 2)
		return;
	others = sw->allowed;
	CPU_CLR(cpu, &others);
	for (guint i = 0; i < sw->n_threads; i++) {
		gint tid = g_atomic_int_get(&sw->workers[i].tid);

		/* Not started yet: the next run tries again. */
		if (!tid)
			all = FALSE;
		/* A CPU taken away since (cpuset): the worker keeps its mask. */
		else
			(void)sched_setaffinity(tid, sizeof(others), &others);
	}
	if (all)
		sw->kept_off = cpu;
}

void hdmirtc_send_workers_run(HdmirtcSendWorkers *sw, guint n, HdmirtcSendItemFunc func,
                              gpointer user_data, HdmirtcPeerBatch *own_batch)
{
	if (sw->n_threads == 0 || n < 2) {
		for (guint i = 0; i < n; i++)
			func(i, own_batch, user_data);
		return;
	}
	keep_off_callers_cpu(sw);
	g_mutex_lock(&sw->lock);
	sw->n = n;
	g_atomic_int_set(&sw->next, 0);
	sw->func = func;
	sw->user_data = user_data;
	sw->open = TRUE;
	sw->generation++;
	g_cond_broadcast(&sw->start);
	g_mutex_unlock(&sw->lock);

	take_items(sw, own_batch);

	g_mutex_lock(&sw->lock);
	sw->open = FALSE;
	while (sw->busy > 0)
		g_cond_wait(&sw->done, &sw->lock);
	g_mutex_unlock(&sw->lock);
}
