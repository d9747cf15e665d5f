/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "media-handoff.h"
#include "hdmirtc/gsource.h"

#define MAX_JPEGS 2

struct HdmirtcMediaHandoff {
	GMainContext *output_ctx;
	guint max_aus;
	HdmirtcHandoffAuFunc on_au;
	gpointer au_data;
	HdmirtcHandoffJpegFunc on_jpeg;
	gpointer jpeg_data;
	GMutex *output_lock;            /* network-lock.h; NULL: always through the context */
	guint64 direct;
	GMutex lock;                    /* guards what follows */
	GQueue aus;
	GQueue jpegs;
	GSource *wakeup;                /* attached to output_ctx while something waits */
	gboolean need_keyframe;         /* frames were dropped: none until a keyframe */
	guint64 dropped;
};

HdmirtcMediaHandoff *hdmirtc_media_handoff_new(GMainContext *output_ctx, guint max_aus,
                                               HdmirtcHandoffAuFunc on_au, gpointer user_data)
{
	HdmirtcMediaHandoff *h = g_new0(HdmirtcMediaHandoff, 1);

	h->output_ctx = g_main_context_ref(output_ctx);
	h->max_aus = MAX(max_aus, 1);
	h->on_au = on_au;
	h->au_data = user_data;
	g_mutex_init(&h->lock);
	g_queue_init(&h->aus);
	g_queue_init(&h->jpegs);
	return h;
}

static void drop_aus(GQueue *q)
{
	g_queue_clear_full(q, (GDestroyNotify)hdmirtc_access_unit_unref);
}

void hdmirtc_media_handoff_free(HdmirtcMediaHandoff *h)
{
	if (!h)
		return;
	hdmirtc_source_clear(&h->wakeup);
	drop_aus(&h->aus);
	g_queue_clear_full(&h->jpegs, (GDestroyNotify)g_bytes_unref);
	g_mutex_clear(&h->lock);
	g_main_context_unref(h->output_ctx);
	g_free(h);
}

void hdmirtc_media_handoff_set_jpeg_func(HdmirtcMediaHandoff *h, HdmirtcHandoffJpegFunc on_jpeg,
                                         gpointer user_data)
{
	h->on_jpeg = on_jpeg;
	h->jpeg_data = user_data;
}

void hdmirtc_media_handoff_set_output_lock(HdmirtcMediaHandoff *h, GMutex *output_lock)
{
	g_mutex_lock(&h->lock);
	h->output_lock = output_lock;
	g_mutex_unlock(&h->lock);
}

static void deliver_aus(HdmirtcMediaHandoff *h, GQueue *aus)
{
	for (GList *l = aus->head; l; l = l->next)
		h->on_au(l->data, h->au_data);
	drop_aus(aus);
}

/* Network thread: everything that waits, in order. */
static gboolean deliver(gpointer data)
{
	HdmirtcMediaHandoff *h = data;
	GQueue aus, jpegs;

	g_mutex_lock(&h->lock);
	aus = h->aus;
	jpegs = h->jpegs;
	g_queue_init(&h->aus);
	g_queue_init(&h->jpegs);
	g_clear_pointer(&h->wakeup, g_source_unref);
	g_mutex_unlock(&h->lock);
	deliver_aus(h, &aus);
	for (GList *l = jpegs.head; l; l = l->next)
		h->on_jpeg(l->data, h->jpeg_data);
	g_queue_clear_full(&jpegs, (GDestroyNotify)g_bytes_unref);
	return G_SOURCE_REMOVE;
}

/* Under the lock. */
static void wake_network_thread(HdmirtcMediaHandoff *h)
{
	if (h->wakeup)
		return;
	h->wakeup = hdmirtc_source_attach_high(g_idle_source_new(), deliver, h, h->output_ctx);
}

/* Under h->lock: when the network thread sleeps, takes its lock and moves
 * what waits into *now, for this thread to deliver (under the same output
 * lock, so the order holds).  The lock order is h->lock, then a try of the
 * output lock, never a wait for it. */
static gboolean take_output(HdmirtcMediaHandoff *h, GQueue *now)
{
	if (!h->output_lock || !g_mutex_trylock(h->output_lock))
		return FALSE;
	*now = h->aus;
	g_queue_init(&h->aus);
	return TRUE;
}

gboolean hdmirtc_media_handoff_push_au(HdmirtcMediaHandoff *h, HdmirtcAccessUnit *au)
{
	gboolean want_keyframe = FALSE;
	GQueue now = G_QUEUE_INIT;

	g_mutex_lock(&h->lock);
	if (h->aus.length >= h->max_aus) {
		h->dropped += h->aus.length;
		drop_aus(&h->aus);
		h->need_keyframe = TRUE;
	}
	if (h->need_keyframe && !au->keyframe) {
		h->dropped++;
		want_keyframe = TRUE;
	} else {
		h->need_keyframe = FALSE;
		g_queue_push_tail(&h->aus, hdmirtc_access_unit_ref(au));
		/* The network thread sleeps: this thread does its work, after
		 * what still waited. */
		if (take_output(h, &now))
			h->direct++;
		else
			wake_network_thread(h);
	}
	g_mutex_unlock(&h->lock);
	if (now.length) {
		deliver_aus(h, &now);
		g_mutex_unlock(h->output_lock);
	}
	return want_keyframe;
}

gboolean hdmirtc_media_handoff_try_push_part(HdmirtcMediaHandoff *h, HdmirtcAccessUnit *au)
{
	GQueue now = G_QUEUE_INIT;
	gboolean taken;

	g_mutex_lock(&h->lock);
	taken = !h->need_keyframe && take_output(h, &now);
	g_mutex_unlock(&h->lock);
	if (!taken)
		return FALSE;
	deliver_aus(h, &now);
	h->on_au(au, h->au_data);
	g_mutex_unlock(h->output_lock);
	return TRUE;
}

void hdmirtc_media_handoff_push_jpeg(HdmirtcMediaHandoff *h, GBytes *jpeg)
{
	g_mutex_lock(&h->lock);
	if (h->jpegs.length >= MAX_JPEGS)
		g_bytes_unref(g_queue_pop_head(&h->jpegs));
	g_queue_push_tail(&h->jpegs, jpeg);
	wake_network_thread(h);
	g_mutex_unlock(&h->lock);
}

void hdmirtc_media_handoff_get_counts(HdmirtcMediaHandoff *h, guint64 *dropped, guint64 *direct)
{
	g_mutex_lock(&h->lock);
	*dropped = h->dropped;
	*direct = h->direct;
	g_mutex_unlock(&h->lock);
}
