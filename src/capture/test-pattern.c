/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Synthetic source: paints frames at a fixed rate on the capture context.
 * Slot n is due at start + n / fps, computed from the start time each
 * time, so the rate does not drift; slots that passed while we were late
 * are skipped and counted, never bunched up. */
#include "capture-private.h"
#include "hdmirtc/gsource.h"

#define POOL_MAX_BUFFERS 4
#define MAX_FPS 240
#define MIN_LOWER_ROWS 64

typedef struct {
	HdmirtcCapture base;
	HdmirtcFramePool *pool;
	HdmirtcPatternPainter painter;
	GSource *timer;
	gint64 start_us;
	guint64 next_slot;              /* relative to start_us */
	guint64 seq_base;               /* seq of slot 0 of this run */
	gboolean out_of_buffers;        /* for logging start and end once */
} TestPattern;

static TestPattern *from_base(HdmirtcCapture *cap)
{
	return (TestPattern *)((char *)cap - G_STRUCT_OFFSET(TestPattern, base));
}

static gint64 slot_time(TestPattern *tp, guint64 slot)
{
	return tp->start_us + (gint64)(slot * G_USEC_PER_SEC / tp->base.config.fps);
}

static guint64 slot_at(TestPattern *tp, gint64 now)
{
	if (now <= tp->start_us)
		return 0;
	return (guint64)(now - tp->start_us) * tp->base.config.fps / G_USEC_PER_SEC;
}

static void produce(TestPattern *tp, guint64 seq, gint64 now)
{
	HdmirtcFrame *frame = hdmirtc_frame_pool_acquire(tp->pool);
	HdmirtcBarcode code;

	atomic_store_explicit(&tp->base.buffers_allocated, hdmirtc_frame_pool_allocated(tp->pool),
	                      memory_order_relaxed);
	if (!frame) {
		if (!tp->out_of_buffers)
			g_warning("%s: all %u buffers held by consumers, dropping frames",
			          tp->base.description, POOL_MAX_BUFFERS);
		tp->out_of_buffers = TRUE;
		atomic_fetch_add_explicit(&tp->base.frames_no_buffer, 1, memory_order_relaxed);
		return;
	}
	if (tp->out_of_buffers)
		g_message("%s: buffers available again", tp->base.description);
	tp->out_of_buffers = FALSE;
	frame->seq = seq;
	frame->capture_mono_us = now;
	frame->capture_wall_us = g_get_real_time();
	frame->colour = HDMIRTC_COLOUR_BT601_LIMITED;
	code.counter = (guint32)seq;
	code.mono_us = frame->capture_mono_us;
	code.wall_us = frame->capture_wall_us;
	hdmirtc_pattern_paint(&tp->painter, frame, &code);
	hdmirtc_capture_deliver(&tp->base, frame);
}

/* Capture context. */
static gboolean on_timer_due(gpointer user_data)
{
	TestPattern *tp = user_data;
	gint64 now = g_get_monotonic_time();
	guint64 due = slot_at(tp, now);

	if (due > tp->next_slot) {
		atomic_fetch_add_explicit(&tp->base.frames_skipped, due - tp->next_slot,
		                          memory_order_relaxed);
		tp->next_slot = due;
	}
	produce(tp, tp->seq_base + tp->next_slot, now);
	tp->next_slot++;
	g_source_set_ready_time(tp->timer, slot_time(tp, tp->next_slot));
	return G_SOURCE_CONTINUE;
}

static gboolean timer_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	return callback(user_data);
}

static GSourceFuncs timer_funcs = {
	.dispatch = timer_dispatch,
};

static gboolean test_pattern_start(HdmirtcCapture *cap, GError **error)
{
	TestPattern *tp = from_base(cap);

	tp->seq_base += tp->next_slot;
	tp->next_slot = 0;
	tp->start_us = g_get_monotonic_time();
	tp->timer = g_source_new(&timer_funcs, sizeof(GSource));
	g_source_set_name(tp->timer, "hdmirtc test pattern");
	g_source_set_ready_time(tp->timer, tp->start_us);
	hdmirtc_source_attach_high(tp->timer, on_timer_due, tp, cap->context);
	hdmirtc_capture_set_state(cap, HDMIRTC_CAPTURE_STATE_STREAMING);
	return TRUE;
}

static void test_pattern_stop(HdmirtcCapture *cap)
{
	TestPattern *tp = from_base(cap);

	hdmirtc_source_clear(&tp->timer);
}

static void test_pattern_destroy(HdmirtcCapture *cap)
{
	TestPattern *tp = from_base(cap);

	hdmirtc_frame_pool_unref(tp->pool);
	hdmirtc_pattern_painter_clear(&tp->painter);
	hdmirtc_capture_clear(cap);
	g_free(tp);
}

static const HdmirtcCaptureImpl test_pattern_impl = {
	.name = "test-pattern",
	.start = test_pattern_start,
	.stop = test_pattern_stop,
	.destroy = test_pattern_destroy,
};

static gboolean check_config(const HdmirtcCaptureConfig *cfg, GError **error)
{
	guint bc = hdmirtc_barcode_rows(cfg->width);

	if (cfg->width < HDMIRTC_BARCODE_MIN_WIDTH || cfg->width % 16 || cfg->width > 8192) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
		            "test pattern: width %u must be a multiple of 16 in [%u, 8192]",
		            cfg->width, HDMIRTC_BARCODE_MIN_WIDTH);
		return FALSE;
	}
	if (cfg->height % 2 || cfg->height < bc + MIN_LOWER_ROWS || cfg->height > 8192) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
		            "test pattern: height %u must be even in [%u, 8192] for width %u",
		            cfg->height, bc + MIN_LOWER_ROWS, cfg->width);
		return FALSE;
	}
	if (cfg->fps < 1 || cfg->fps > MAX_FPS) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
		            "test pattern: fps %u not in [1, %d]", cfg->fps, MAX_FPS);
		return FALSE;
	}
	return TRUE;
}

HdmirtcCapture *hdmirtc_capture_new_test_pattern(const HdmirtcCaptureConfig *cfg, GError **error)
{
	TestPattern *tp;

	g_return_val_if_fail(cfg != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!check_config(cfg, error))
		return NULL;
	tp = g_new0(TestPattern, 1);
	hdmirtc_capture_init(&tp->base, &test_pattern_impl, cfg,
	                     g_strdup_printf("test pattern %ux%u@%u", cfg->width, cfg->height,
	                                     cfg->fps));
	tp->pool = hdmirtc_frame_pool_new_i420(cfg->width, cfg->height, POOL_MAX_BUFFERS);
	hdmirtc_pattern_painter_init(&tp->painter, cfg->width, cfg->height);
	return &tp->base;
}
