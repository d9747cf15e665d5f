/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The media thread's hand-off to the network thread: a short queue of
 * access units and JPEG pictures, delivered on the network context.
 *
 * It is bounded so that a network thread that falls behind (a burst of
 * viewers joining, a slow TURN-TLS write) cannot make frames pile up and
 * the picture lag: when more access units wait than the bound, the newest
 * wins.  The ones waiting are dropped, and with them every frame until the
 * next keyframe, since a P-frame whose reference a viewer never got would
 * decode as a broken picture; push_au() then asks for that keyframe.
 * JPEG pictures stand alone: only the oldest waiting one is dropped.
 *
 * With an output lock (network-lock.h), an access unit is delivered on the
 * pushing thread whenever that lock can be had at once: no wake-up of the
 * network thread between the encoder and the sockets. */
#pragma once

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

typedef struct HdmirtcMediaHandoff HdmirtcMediaHandoff;

/* Network thread, or a thread holding its lock: au and jpeg are borrowed
 * for the call. */
typedef void (*HdmirtcHandoffAuFunc)(HdmirtcAccessUnit *au, gpointer user_data);
typedef void (*HdmirtcHandoffJpegFunc)(GBytes *jpeg, gpointer user_data);

/* At most max_aus access units wait; deliveries run on output_ctx. */
HdmirtcMediaHandoff *hdmirtc_media_handoff_new(GMainContext *output_ctx, guint max_aus,
                                               HdmirtcHandoffAuFunc on_au, gpointer user_data);
/* From the thread that iterates output_ctx, once nothing pushes any more:
 * what still waits is dropped.  NULL-safe. */
void hdmirtc_media_handoff_free(HdmirtcMediaHandoff *h);

/* The JPEG receiver; set before the first push_jpeg(), never changed after. */
void hdmirtc_media_handoff_set_jpeg_func(HdmirtcMediaHandoff *h, HdmirtcHandoffJpegFunc on_jpeg,
                                         gpointer user_data);

/* The network thread's lock (network-lock.h), from any thread: from then
 * on_au also runs on the pushing thread, holding that lock. */
void hdmirtc_media_handoff_set_output_lock(HdmirtcMediaHandoff *h, GMutex *output_lock);

/* Any thread (the media thread): takes a reference of au.  TRUE when the
 * stream needs a keyframe: frames were dropped and this one was not a
 * keyframe (it is dropped too). */
gboolean hdmirtc_media_handoff_push_au(HdmirtcMediaHandoff *h, HdmirtcAccessUnit *au);
/* Any thread (an encoder's slice thread, while the media thread waits in
 * the encoder): a picture's FIRST part (HdmirtcAuPart), delivered only on
 * this thread and only when the network thread's lock can be had at once,
 * after what still waited.  TRUE when it was delivered; FALSE (nothing
 * kept) when it could not be, or when frames wait for a keyframe: the
 * picture must then come whole through push_au(). */
gboolean hdmirtc_media_handoff_try_push_part(HdmirtcMediaHandoff *h, HdmirtcAccessUnit *au);
/* Takes jpeg. */
void hdmirtc_media_handoff_push_jpeg(HdmirtcMediaHandoff *h, GBytes *jpeg);

/* Any thread: access units dropped so far, and delivered on the pushing
 * thread so far. */
void hdmirtc_media_handoff_get_counts(HdmirtcMediaHandoff *h, guint64 *dropped, guint64 *direct);

G_END_DECLS
