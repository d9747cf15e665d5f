/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The media -> network hand-off: order, the bound, what a drop does to the
 * frames that follow, and delivery on the pushing thread under the network
 * thread's lock (network-lock.c). */
#include "media-handoff.h"
#include "network-lock.h"

typedef struct {
	GArray *seqs;                   /* of the access units delivered, in order */
	GPtrArray *jpegs;
} Received;

static void on_au(HdmirtcAccessUnit *au, gpointer data)
{
	g_array_append_val(((Received *)data)->seqs, au->seq);
}

static void on_jpeg(GBytes *jpeg, gpointer data)
{
	g_ptr_array_add(((Received *)data)->jpegs, g_bytes_ref(jpeg));
}

static HdmirtcAccessUnit *au_new(guint64 seq, gboolean keyframe)
{
	HdmirtcAccessUnit *au = hdmirtc_access_unit_new_copy((const guint8 *)"\0\0\0\1\x65", 5);

	au->seq = seq;
	au->keyframe = keyframe;
	return au;
}

/* Pushes one access unit (its reference given back at once, as the
 * encoder does); the return of push_au(). */
static gboolean push(HdmirtcMediaHandoff *h, guint64 seq, gboolean keyframe)
{
	HdmirtcAccessUnit *au = au_new(seq, keyframe);
	gboolean want = hdmirtc_media_handoff_push_au(h, au);

	hdmirtc_access_unit_unref(au);
	return want;
}

static guint64 dropped_of(HdmirtcMediaHandoff *h)
{
	guint64 dropped, direct;

	hdmirtc_media_handoff_get_counts(h, &dropped, &direct);
	return dropped;
}

static guint64 direct_of(HdmirtcMediaHandoff *h)
{
	guint64 dropped, direct;

	hdmirtc_media_handoff_get_counts(h, &dropped, &direct);
	return direct;
}

static void run_pending(GMainContext *ctx)
{
	while (g_main_context_iteration(ctx, FALSE))
		;
}

static void assert_seqs(Received *r, const guint64 *want, guint n)
{
	g_assert_cmpuint(r->seqs->len, ==, n);
	for (guint i = 0; i < n; i++)
		g_assert_cmpuint(g_array_index(r->seqs, guint64, i), ==, want[i]);
	g_array_set_size(r->seqs, 0);
}

static void test_order_and_bound(void)
{
	GMainContext *ctx = g_main_context_new();
	Received r = { g_array_new(FALSE, FALSE, sizeof(guint64)), g_ptr_array_new() };
	HdmirtcMediaHandoff *h = hdmirtc_media_handoff_new(ctx, 3, on_au, &r);
	static const guint64 first[] = { 1, 2, 3 }, after_drop[] = { 8, 9 }, none[] = { 0 };

	/* Within the bound: everything, in order, on the context. */
	g_assert_false(push(h, 1, TRUE));
	g_assert_false(push(h, 2, FALSE));
	g_assert_false(push(h, 3, FALSE));
	g_assert_cmpuint(r.seqs->len, ==, 0);
	run_pending(ctx);
	assert_seqs(&r, first, 3);
	g_assert_cmpuint(dropped_of(h), ==, 0);

	/* The network thread falls behind: 3 wait, a 4th comes.  The waiting
	 * ones go, and the P-frames after them until a keyframe, each of
	 * which asks for that keyframe. */
	g_assert_false(push(h, 4, FALSE));
	g_assert_false(push(h, 5, FALSE));
	g_assert_false(push(h, 6, FALSE));
	g_assert_true(push(h, 7, FALSE));
	g_assert_cmpuint(dropped_of(h), ==, 4);
	run_pending(ctx);
	assert_seqs(&r, none, 0);
	g_assert_true(push(h, 7, FALSE));
	g_assert_false(push(h, 8, TRUE));
	g_assert_false(push(h, 9, FALSE));
	run_pending(ctx);
	assert_seqs(&r, after_drop, 2);
	g_assert_cmpuint(dropped_of(h), ==, 5);

	/* A keyframe that overflows the queue is kept: the stream goes on
	 * from it. */
	g_assert_false(push(h, 10, FALSE));
	g_assert_false(push(h, 11, FALSE));
	g_assert_false(push(h, 12, FALSE));
	g_assert_false(push(h, 13, TRUE));
	run_pending(ctx);
	static const guint64 key_only[] = { 13 };
	assert_seqs(&r, key_only, 1);

	hdmirtc_media_handoff_free(h);
	g_array_unref(r.seqs);
	g_ptr_array_unref(r.jpegs);
	g_main_context_unref(ctx);
}

/* JPEG pictures stand alone: the oldest waiting one is dropped. */
static void test_jpeg_newest_wins(void)
{
	GMainContext *ctx = g_main_context_new();
	Received r = { g_array_new(FALSE, FALSE, sizeof(guint64)),
	               g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref) };
	HdmirtcMediaHandoff *h = hdmirtc_media_handoff_new(ctx, 3, on_au, &r);

	hdmirtc_media_handoff_set_jpeg_func(h, on_jpeg, &r);
	for (guint i = 1; i <= 3; i++)
		hdmirtc_media_handoff_push_jpeg(h, g_bytes_new(&i, sizeof(i)));
	run_pending(ctx);
	g_assert_cmpuint(r.jpegs->len, ==, 2);
	g_assert_cmpuint(*(const guint *)g_bytes_get_data(r.jpegs->pdata[0], NULL), ==, 2);
	g_assert_cmpuint(*(const guint *)g_bytes_get_data(r.jpegs->pdata[1], NULL), ==, 3);
	g_assert_cmpuint(dropped_of(h), ==, 0);
	hdmirtc_media_handoff_free(h);
	g_array_unref(r.seqs);
	g_ptr_array_unref(r.jpegs);
	g_main_context_unref(ctx);
}

/* Freed with deliveries waiting (the service stopping): they are dropped,
 * none runs later, nothing leaks (ASan run). */
static void test_free_with_waiting(void)
{
	GMainContext *ctx = g_main_context_new();
	Received r = { g_array_new(FALSE, FALSE, sizeof(guint64)), g_ptr_array_new() };
	HdmirtcMediaHandoff *h = hdmirtc_media_handoff_new(ctx, 3, on_au, &r);

	hdmirtc_media_handoff_set_jpeg_func(h, on_jpeg, &r);
	push(h, 1, TRUE);
	hdmirtc_media_handoff_push_jpeg(h, g_bytes_new_static("x", 1));
	hdmirtc_media_handoff_free(h);
	run_pending(ctx);
	g_assert_cmpuint(r.seqs->len, ==, 0);
	g_assert_cmpuint(r.jpegs->len, ==, 0);
	g_array_unref(r.seqs);
	g_ptr_array_unref(r.jpegs);
	g_main_context_unref(ctx);
}

/* Pushed from another thread (the media thread), delivered on the
 * context's own: every access unit arrives once, in order. */
typedef struct {
	HdmirtcMediaHandoff *h;
	guint n;
} Pusher;

static gpointer push_many(gpointer data)
{
	Pusher *p = data;

	for (guint i = 1; i <= p->n; i++) {
		push(p->h, i, TRUE);
		if (i % 2 == 0)
			g_usleep(100);
	}
	return NULL;
}

static void test_across_threads(void)
{
	GMainContext *ctx = g_main_context_new();
	Received r = { g_array_new(FALSE, FALSE, sizeof(guint64)), g_ptr_array_new() };
	Pusher p = { hdmirtc_media_handoff_new(ctx, 1000, on_au, &r), 500 };
	GThread *t = g_thread_new("pusher", push_many, &p);

	while (r.seqs->len < p.n)
		g_main_context_iteration(ctx, TRUE);
	g_thread_join(t);
	for (guint i = 0; i < p.n; i++)
		g_assert_cmpuint(g_array_index(r.seqs, guint64, i), ==, i + 1);
	hdmirtc_media_handoff_free(p.h);
	g_array_unref(r.seqs);
	g_ptr_array_unref(r.jpegs);
	g_main_context_unref(ctx);
}

/* ---- Delivery under the output lock ------------------------------------ */

typedef struct {
	Received r;
	GMutex *lock;
	GThread *delivered_on;
} DirectReceived;

static void on_au_direct(HdmirtcAccessUnit *au, gpointer data)
{
	DirectReceived *d = data;

	/* Always with the lock held, by whoever delivers. */
	g_assert_false(g_mutex_trylock(d->lock));
	d->delivered_on = g_thread_self();
	on_au(au, &d->r);
}

static void test_direct_when_lock_free(void)
{
	GMainContext *ctx = g_main_context_new();
	GMutex lock;
	DirectReceived d = { { g_array_new(FALSE, FALSE, sizeof(guint64)), g_ptr_array_new() }, &lock, NULL };
	HdmirtcMediaHandoff *h = hdmirtc_media_handoff_new(ctx, 3, on_au_direct, &d);
	static const guint64 one[] = { 1 }, rest[] = { 2, 3, 4 }, none[] = { 0 };

	g_mutex_init(&lock);
	hdmirtc_media_handoff_set_output_lock(h, &lock);

	/* Lock free: delivered inside push_au(), no iteration of ctx. */
	push(h, 1, TRUE);
	assert_seqs(&d.r, one, 1);
	g_assert_true(d.delivered_on == g_thread_self());

	/* Lock taken (the network thread busy): they wait for the context... */
	g_mutex_lock(&lock);
	push(h, 2, FALSE);
	push(h, 3, FALSE);
	g_assert_cmpuint(d.r.seqs->len, ==, 0);
	g_mutex_unlock(&lock);
	/* ...unless a push gets the lock first: then the waiting ones go
	 * before it, in order, and the context finds nothing left. */
	push(h, 4, FALSE);
	assert_seqs(&d.r, rest, 3);
	run_pending(ctx);
	assert_seqs(&d.r, none, 0);
	g_assert_cmpuint(direct_of(h), ==, 2);

	/* Waiting ones left to the context are delivered there, with the lock
	 * taken by the deliverer (the test, here). */
	g_mutex_lock(&lock);
	push(h, 5, FALSE);
	static const guint64 five[] = { 5 };
	run_pending(ctx);
	assert_seqs(&d.r, five, 1);
	g_mutex_unlock(&lock);

	hdmirtc_media_handoff_free(h);
	g_mutex_clear(&lock);
	g_array_unref(d.r.seqs);
	g_ptr_array_unref(d.r.jpegs);
	g_main_context_unref(ctx);
}

static gboolean try_part(HdmirtcMediaHandoff *h, guint64 seq, gboolean keyframe)
{
	HdmirtcAccessUnit *au = au_new(seq, keyframe);
	gboolean taken;

	au->part = HDMIRTC_AU_FIRST;
	taken = hdmirtc_media_handoff_try_push_part(h, au);
	hdmirtc_access_unit_unref(au);
	return taken;
}

/* A picture's first part goes out on the pushing thread or not at all: it
 * is never queued, and it never overtakes what waits. */
static void test_first_part(void)
{
	GMainContext *ctx = g_main_context_new();
	GMutex lock;
	DirectReceived d = { { g_array_new(FALSE, FALSE, sizeof(guint64)), g_ptr_array_new() }, &lock, NULL };
	HdmirtcMediaHandoff *h = hdmirtc_media_handoff_new(ctx, 3, on_au_direct, &d);
	static const guint64 one[] = { 1 }, two_three[] = { 2, 3 }, none[] = { 0 };

	/* No lock to take (not set yet): not taken. */
	g_assert_false(try_part(h, 1, TRUE));
	g_mutex_init(&lock);
	hdmirtc_media_handoff_set_output_lock(h, &lock);

	g_assert_true(try_part(h, 1, TRUE));
	assert_seqs(&d.r, one, 1);
	g_assert_true(d.delivered_on == g_thread_self());

	/* The network thread busy: not taken, and nothing left behind. */
	g_mutex_lock(&lock);
	g_assert_false(try_part(h, 2, FALSE));
	run_pending(ctx);
	assert_seqs(&d.r, none, 0);
	/* What waits for the network thread goes first. */
	push(h, 2, FALSE);
	g_mutex_unlock(&lock);
	g_assert_true(try_part(h, 3, FALSE));
	assert_seqs(&d.r, two_three, 2);

	/* Frames dropped for a full queue: none until a whole keyframe. */
	g_mutex_lock(&lock);
	for (guint64 seq = 4; seq <= 7; seq++)
		push(h, seq, FALSE);
	g_mutex_unlock(&lock);
	g_assert_false(try_part(h, 8, FALSE));
	g_assert_false(try_part(h, 9, TRUE));
	run_pending(ctx);
	assert_seqs(&d.r, none, 0);
	g_assert_false(push(h, 9, TRUE));
	g_assert_true(try_part(h, 10, FALSE));
	static const guint64 nine_ten[] = { 9, 10 };
	assert_seqs(&d.r, nine_ten, 2);

	hdmirtc_media_handoff_free(h);
	g_mutex_clear(&lock);
	g_array_unref(d.r.seqs);
	g_ptr_array_unref(d.r.jpegs);
	g_main_context_unref(ctx);
}

typedef struct {
	GMainContext *ctx;
	GMutex *lock;                   /* from hdmirtc_network_lock_hold() */
	gint held;                      /* set once the thread holds it */
	gint quit;
	gint ran;                       /* sources dispatched */
	GMutex gate_lock;
	GCond gate;
	gboolean in_dispatch, let_go;
} NetworkThread;

static gpointer network_thread_main(gpointer data)
{
	NetworkThread *n = data;

	g_main_context_push_thread_default(n->ctx);
	n->lock = hdmirtc_network_lock_hold(n->ctx);
	g_atomic_int_set(&n->held, 1);
	while (!g_atomic_int_get(&n->quit))
		g_main_context_iteration(n->ctx, TRUE);
	hdmirtc_network_lock_release();
	g_main_context_pop_thread_default(n->ctx);
	return NULL;
}

static gboolean count_run(gpointer data)
{
	g_atomic_int_inc(&((NetworkThread *)data)->ran);
	return G_SOURCE_REMOVE;
}

/* A dispatch that lasts until the test lets it go. */
static gboolean wait_in_dispatch(gpointer data)
{
	NetworkThread *n = data;

	g_mutex_lock(&n->gate_lock);
	n->in_dispatch = TRUE;
	g_cond_broadcast(&n->gate);
	while (!n->let_go)
		g_cond_wait(&n->gate, &n->gate_lock);
	g_mutex_unlock(&n->gate_lock);
	return G_SOURCE_REMOVE;
}

static gboolean quit_thread(gpointer data)
{
	g_atomic_int_set(&((NetworkThread *)data)->quit, 1);
	return G_SOURCE_REMOVE;
}

/* Polls until the lock can be had (the network thread asleep in poll). */
static void take_when_asleep(NetworkThread *n)
{
	gint64 until = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;

	while (!g_mutex_trylock(n->lock)) {
		g_assert_cmpint(g_get_monotonic_time(), <, until);
		g_usleep(1000);
	}
}

static void test_network_lock(void)
{
	NetworkThread n = { .ctx = g_main_context_new() };
	GThread *t;

	g_mutex_init(&n.gate_lock);
	g_cond_init(&n.gate);
	t = g_thread_new("network", network_thread_main, &n);
	while (!g_atomic_int_get(&n.held))
		g_usleep(1000);

	/* Asleep in poll: the lock is free; what wakes the thread waits
	 * until it is given back. */
	take_when_asleep(&n);
	g_main_context_invoke(n.ctx, count_run, &n);
	g_usleep(50 * 1000);
	g_assert_cmpint(g_atomic_int_get(&n.ran), ==, 0);
	g_mutex_unlock(n.lock);
	while (g_atomic_int_get(&n.ran) == 0)
		g_usleep(1000);

	/* Inside a dispatch the thread holds it. */
	g_main_context_invoke(n.ctx, wait_in_dispatch, &n);
	g_mutex_lock(&n.gate_lock);
	while (!n.in_dispatch)
		g_cond_wait(&n.gate, &n.gate_lock);
	g_assert_false(g_mutex_trylock(n.lock));
	n.let_go = TRUE;
	g_cond_broadcast(&n.gate);
	g_mutex_unlock(&n.gate_lock);
	take_when_asleep(&n);
	g_mutex_unlock(n.lock);

	/* Released for good when the thread ends. */
	g_main_context_invoke(n.ctx, quit_thread, &n);
	g_thread_join(t);
	g_assert_true(g_mutex_trylock(n.lock));
	g_mutex_unlock(n.lock);
	g_mutex_clear(&n.gate_lock);
	g_cond_clear(&n.gate);
	g_main_context_unref(n.ctx);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/media-handoff/order-and-bound", test_order_and_bound);
	g_test_add_func("/media-handoff/jpeg-newest-wins", test_jpeg_newest_wins);
	g_test_add_func("/media-handoff/free-with-waiting", test_free_with_waiting);
	g_test_add_func("/media-handoff/across-threads", test_across_threads);
	g_test_add_func("/media-handoff/direct-when-lock-free", test_direct_when_lock_free);
	g_test_add_func("/media-handoff/network-lock", test_network_lock);
	g_test_add_func("/media-handoff/first-part", test_first_part);
	return g_test_run();
}
