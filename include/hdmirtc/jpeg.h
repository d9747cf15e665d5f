/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JPEG pictures of raw frames for the MJPEG stream (libjpeg-turbo), so
 * every browser has a picture, WebRTC or not.  One encoder per thread; the
 * media thread encodes only while someone watches the MJPEG stream. */
#pragma once

#include <glib.h>

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

typedef struct HdmirtcJpegEncoder HdmirtcJpegEncoder;

/* quality: 1..100. */
HdmirtcJpegEncoder *hdmirtc_jpeg_encoder_new(guint quality, GError **error);
/* NULL-safe. */
void hdmirtc_jpeg_encoder_free(HdmirtcJpegEncoder *enc);
/* A baseline JPEG of frame (I420 or UYVY with CPU planes), or NULL with
 * error for other formats or a libjpeg-turbo failure.  Transfer full. */
GBytes *hdmirtc_jpeg_encoder_encode(HdmirtcJpegEncoder *enc, const HdmirtcFrame *frame,
                                    GError **error);

G_END_DECLS
