/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one place that decides which source and which encoder the service
 * uses, from the configuration and what the machine has. */
#pragma once

#include "hdmirtc/config.h"
#include "hdmirtc/encoder.h"

G_BEGIN_DECLS

typedef enum {
	HDMIRTC_SOURCE_V4L2,            /* the HDMI bridge (or a DV-timings capture node) */
	HDMIRTC_SOURCE_TEST_PATTERN,
	HDMIRTC_SOURCE_LIBCAMERA,       /* a camera through libcamera */
} HdmirtcSourceKind;

typedef struct {
	HdmirtcSourceKind source;
	HdmirtcEncoderKind encoder;
	char m2m_device[64];            /* for HDMIRTC_ENCODER_M2M */
	/* auto chose x264 for a V4L2 source because no hardware encoder was
	 * there (yet): udev may start the service before bcm2835-codec's
	 * node exists.  The pipeline keeps looking. */
	gboolean wait_for_m2m;
	char why[160];                  /* one line for the log */
} HdmirtcMediaChoice;

/* source: "auto" | "test-pattern" | "v4l2" | "libcamera"; device: a capture node or
 * NULL/""; encoder: "auto" | "x264" | "m2m"; capture_fourcc: the V4L2
 * source's format as configured, 0 = its usual choice.  FALSE + error when
 * the configuration asks for what is not there (e.g. "m2m" without one,
 * or with a capture format it cannot take). */
gboolean hdmirtc_media_choose(const char *source, const char *device, const char *encoder,
                              guint32 capture_fourcc, HdmirtcMediaChoice *out, GError **error);
/* The DRM fourcc of capture-format, 0 for auto. */
guint32 hdmirtc_media_capture_fourcc(HdmirtcConfigCaptureFormat format);
/* The M2M H.264 encoder node, if one exists now. */
gboolean hdmirtc_media_find_m2m(char *path, gsize size);

G_END_DECLS
