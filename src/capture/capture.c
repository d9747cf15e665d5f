/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The source-independent half of a capture: state, counters, delivery. */
#include "capture-private.h"

#include <string.h>

G_DEFINE_QUARK(hdmirtc-capture-error-quark, hdmirtc_capture_error)

const char *hdmirtc_capture_state_to_string(HdmirtcCaptureState state)
{
	switch (state) {
	case HDMIRTC_CAPTURE_STATE_CLOSED: return "closed";
	case HDMIRTC_CAPTURE_STATE_WAITING_DEVICE: return "waiting-device";
	case HDMIRTC_CAPTURE_STATE_NO_SIGNAL: return "no-signal";
	case HDMIRTC_CAPTURE_STATE_STREAMING: return "streaming";
	case HDMIRTC_CAPTURE_STATE_ERROR: return "error";
	}
	return "unknown";
}

void hdmirtc_capture_init(HdmirtcCapture *cap, const HdmirtcCaptureImpl *impl,
                          const HdmirtcCaptureConfig *cfg, char *description)
{
	cap->impl = impl;
	cap->config = *cfg;
	cap->description = description;
	cap->context = NULL;
	cap->on_frame = NULL;
	cap->user_data = NULL;
	atomic_init(&cap->state, HDMIRTC_CAPTURE_STATE_CLOSED);
	atomic_init(&cap->frames_produced, 0);
	atomic_init(&cap->frames_skipped, 0);
	atomic_init(&cap->frames_no_buffer, 0);
	atomic_init(&cap->buffers_allocated, 0);
}

void hdmirtc_capture_clear(HdmirtcCapture *cap)
{
	g_clear_pointer(&cap->context, g_main_context_unref);
	g_clear_pointer(&cap->description, g_free);
}

void hdmirtc_capture_set_state(HdmirtcCapture *cap, HdmirtcCaptureState state)
{
	HdmirtcCaptureState old = atomic_exchange(&cap->state, state);

	if (old != state)
		g_info("%s: %s -> %s", cap->description, hdmirtc_capture_state_to_string(old),
		       hdmirtc_capture_state_to_string(state));
}

void hdmirtc_capture_deliver_converted(HdmirtcCapture *cap, HdmirtcFrame *raw, HdmirtcFrame *conv)
{
	gboolean own_raw = raw != conv;

	/* With nobody to show it, the source's buffer goes back before the
	 * encoder runs. */
	if (own_raw && !cap->tap)
		hdmirtc_frame_unref(raw);
	if (conv) {
		atomic_fetch_add_explicit(&cap->frames_produced, 1, memory_order_relaxed);
		if (cap->on_frame)
			cap->on_frame(cap, conv, cap->user_data);
	}
	/* The screen after the encoder: its import and atomic commit never
	 * delay the stream (issue 17); it gets the frame as the encoder call
	 * returns. */
	if (cap->tap) {
		cap->tap(cap, raw, cap->tap_data);
		if (own_raw)
			hdmirtc_frame_unref(raw);
	}
	if (conv)
		hdmirtc_frame_unref(conv);
}

void hdmirtc_capture_deliver(HdmirtcCapture *cap, HdmirtcFrame *frame)
{
	hdmirtc_capture_deliver_converted(cap, frame, frame);
}

void hdmirtc_capture_flush_tap(HdmirtcCapture *cap)
{
	if (cap->tap)
		cap->tap(cap, NULL, cap->tap_data);
}

void hdmirtc_capture_set_tap(HdmirtcCapture *cap, HdmirtcCaptureFrameFunc tap, gpointer user_data)
{
	cap->tap = tap;
	cap->tap_data = user_data;
}

gboolean hdmirtc_capture_start(HdmirtcCapture *cap, GMainContext *ctx,
                               HdmirtcCaptureFrameFunc on_frame, gpointer user_data,
                               GError **error)
{
	g_return_val_if_fail(cap != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	if (cap->context) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_BUSY,
		            "%s: already started", cap->description);
		return FALSE;
	}
	cap->context = ctx ? g_main_context_ref(ctx) : g_main_context_ref(g_main_context_default());
	cap->on_frame = on_frame;
	cap->user_data = user_data;
	if (!cap->impl->start(cap, error)) {
		g_clear_pointer(&cap->context, g_main_context_unref);
		hdmirtc_capture_set_state(cap, HDMIRTC_CAPTURE_STATE_ERROR);
		return FALSE;
	}
	return TRUE;
}

void hdmirtc_capture_stop(HdmirtcCapture *cap)
{
	if (!cap || !cap->context)
		return;
	cap->impl->stop(cap);
	g_clear_pointer(&cap->context, g_main_context_unref);
	cap->on_frame = NULL;
	cap->user_data = NULL;
	hdmirtc_capture_set_state(cap, HDMIRTC_CAPTURE_STATE_CLOSED);
}

void hdmirtc_capture_free(HdmirtcCapture *cap)
{
	if (!cap)
		return;
	hdmirtc_capture_stop(cap);
	cap->impl->destroy(cap);
}

const char *hdmirtc_capture_describe(HdmirtcCapture *cap)
{
	g_return_val_if_fail(cap != NULL, NULL);
	return cap->description;
}

HdmirtcCaptureState hdmirtc_capture_get_state(HdmirtcCapture *cap)
{
	g_return_val_if_fail(cap != NULL, HDMIRTC_CAPTURE_STATE_CLOSED);
	return atomic_load(&cap->state);
}

void hdmirtc_capture_get_status(HdmirtcCapture *cap, HdmirtcCaptureStatus *out)
{
	g_return_if_fail(cap != NULL && out != NULL);
	out->state = atomic_load(&cap->state);
	out->frames_produced = atomic_load_explicit(&cap->frames_produced, memory_order_relaxed);
	out->frames_skipped = atomic_load_explicit(&cap->frames_skipped, memory_order_relaxed);
	out->frames_no_buffer = atomic_load_explicit(&cap->frames_no_buffer, memory_order_relaxed);
	out->buffers_allocated = atomic_load_explicit(&cap->buffers_allocated, memory_order_relaxed);
}

typedef struct {
	HdmirtcCapture *cap;
	HdmirtcEdid *edid;
} EdidUpdate;

static gboolean apply_edid(gpointer data)
{
	EdidUpdate *u = data;

	u->cap->impl->set_edid(u->cap, g_steal_pointer(&u->edid));
	return G_SOURCE_REMOVE;
}

static void free_edid_update(gpointer data)
{
	EdidUpdate *u = data;

	hdmirtc_edid_free(u->edid);
	g_free(u);
}

gboolean hdmirtc_capture_set_edid(HdmirtcCapture *cap, const HdmirtcEdid *edid)
{
	EdidUpdate *u;
	gsize size;
	const guint8 *data;

	if (!cap->impl->set_edid)
		return FALSE;
	data = hdmirtc_edid_get_data(edid, &size);
	u = g_new0(EdidUpdate, 1);
	u->cap = cap;
	u->edid = hdmirtc_edid_new_from_data(data, size, NULL);
	if (cap->context)
		/* At the capture's own priority: on a late machine its frame
		 * sources are always ready, and a lower one would wait forever. */
		g_main_context_invoke_full(cap->context, G_PRIORITY_HIGH, apply_edid, u, free_edid_update);
	else {
		apply_edid(u);
		free_edid_update(u);
	}
	return TRUE;
}

void hdmirtc_capture_set_convert_to_i420(HdmirtcCapture *cap, gboolean on)
{
	g_return_if_fail(cap != NULL);
	if (cap->impl->set_convert_to_i420)
		cap->impl->set_convert_to_i420(cap, on);
}

void hdmirtc_capture_get_signal_info(HdmirtcCapture *cap, HdmirtcCaptureSignalInfo *out)
{
	g_return_if_fail(cap != NULL && out != NULL);
	if (cap->impl->get_signal_info) {
		cap->impl->get_signal_info(cap, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->last_recovery_us = -1;
}

void hdmirtc_capture_reconfigure(HdmirtcCapture *cap)
{
	g_return_if_fail(cap != NULL);
	if (cap->impl->reconfigure)
		cap->impl->reconfigure(cap);
}
