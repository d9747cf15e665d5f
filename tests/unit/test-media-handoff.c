/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The media -> network hand-off: order, the bound, and what a drop does to
 * the frames that follow. */
#include "media-handoff.h"

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
	g_assert_cmpuint(hdmirtc_media_handoff_get_dropped(h), ==, 0);

	/* The network thread falls behind: 3 wait, a 4th comes.  The waiting
	 * ones go, and the P-frames after them until a keyframe, each of
	 * which asks for that keyframe. */
	g_assert_false(push(h, 4, FALSE));
	g_assert_false(push(h, 5, FALSE));
	g_assert_false(push(h, 6, FALSE));
	g_assert_true(push(h, 7, FALSE));
	g_assert_cmpuint(hdmirtc_media_handoff_get_dropped(h), ==, 4);
	run_pending(ctx);
	assert_seqs(&r, none, 0);
	g_assert_true(push(h, 7, FALSE));
	g_assert_false(push(h, 8, TRUE));
	g_assert_false(push(h, 9, FALSE));
	run_pending(ctx);
	assert_seqs(&r, after_drop, 2);
	g_assert_cmpuint(hdmirtc_media_handoff_get_dropped(h), ==, 5);

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
	g_assert_cmpuint(hdmirtc_media_handoff_get_dropped(h), ==, 0);
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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/media-handoff/order-and-bound", test_order_and_bound);
	g_test_add_func("/media-handoff/jpeg-newest-wins", test_jpeg_newest_wins);
	g_test_add_func("/media-handoff/free-with-waiting", test_free_with_waiting);
	g_test_add_func("/media-handoff/across-threads", test_across_threads);
	return g_test_run();
}
