/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/frame.h"

#include <string.h>

void hdmirtc_frame_init(HdmirtcFrame *frame, HdmirtcFrameReleaseFunc release, gpointer release_data)
{
	memset(frame, 0, sizeof(*frame));
	g_atomic_ref_count_init(&frame->ref);
	frame->dmabuf_fd = -1;
	frame->bytes_copied = 0;
	frame->release = release;
	frame->release_data = release_data;
}

HdmirtcFrame *hdmirtc_frame_ref(HdmirtcFrame *frame)
{
	g_atomic_ref_count_inc(&frame->ref);
	return frame;
}

void hdmirtc_frame_unref(HdmirtcFrame *frame)
{
	if (frame && g_atomic_ref_count_dec(&frame->ref) && frame->release)
		frame->release(frame, frame->release_data);
}

void hdmirtc_access_unit_init(HdmirtcAccessUnit *au, HdmirtcAccessUnitReleaseFunc release,
                              gpointer release_data)
{
	memset(au, 0, sizeof(*au));
	g_atomic_ref_count_init(&au->ref);
	au->release = release;
	au->release_data = release_data;
}

static void free_copied_access_unit(HdmirtcAccessUnit *au, gpointer user_data)
{
	g_free((gpointer)au->data);
	g_free(au);
}

HdmirtcAccessUnit *hdmirtc_access_unit_new_take(guint8 *data, gsize size)
{
	HdmirtcAccessUnit *au = g_new(HdmirtcAccessUnit, 1);

	hdmirtc_access_unit_init(au, free_copied_access_unit, NULL);
	au->data = data;
	au->size = size;
	au->bytes_copied = size;
	return au;
}

HdmirtcAccessUnit *hdmirtc_access_unit_new_copy(const guint8 *data, gsize size)
{
	return hdmirtc_access_unit_new_take(g_memdup2(data, size), size);
}

HdmirtcAccessUnit *hdmirtc_access_unit_ref(HdmirtcAccessUnit *au)
{
	g_atomic_ref_count_inc(&au->ref);
	return au;
}

void hdmirtc_access_unit_unref(HdmirtcAccessUnit *au)
{
	if (!au || !g_atomic_ref_count_dec(&au->ref))
		return;
	g_clear_pointer(&au->sps_override, g_bytes_unref);
	if (au->release)
		au->release(au, au->release_data);
}
