/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "media-choice.h"

#include <drm_fourcc.h>
#include <string.h>

#include "hdmirtc/capture.h"

gboolean hdmirtc_media_find_m2m(char *path, gsize size)
{
	return hdmirtc_encoder_find_m2m(0, path, size);
}

guint32 hdmirtc_media_capture_fourcc(HdmirtcConfigCaptureFormat format)
{
	switch (format) {
	case HDMIRTC_CONFIG_CAPTURE_FORMAT_AUTO: return 0;
	case HDMIRTC_CONFIG_CAPTURE_FORMAT_UYVY: return DRM_FORMAT_UYVY;
	case HDMIRTC_CONFIG_CAPTURE_FORMAT_RGB24: return DRM_FORMAT_BGR888;
	case HDMIRTC_CONFIG_CAPTURE_FORMAT_XRGB8888: return DRM_FORMAT_XRGB8888;
	}
	return 0;
}

static gboolean use_v4l2(const char *source, const char *device)
{
	HdmirtcBridgeInfo bridge;

	if (g_strcmp0(source, "v4l2") == 0)
		return TRUE;
	return g_strcmp0(source, "auto") == 0 &&
	       ((device && *device) || hdmirtc_capture_find_bridge(TRUE, &bridge, NULL));
}

gboolean hdmirtc_media_choose(const char *source, const char *device, const char *encoder,
                              guint32 capture_fourcc, HdmirtcMediaChoice *out, GError **error)
{
	gboolean have_m2m, m2m_takes_it;

	memset(out, 0, sizeof(*out));
	out->source = g_strcmp0(source, "libcamera") == 0 ? HDMIRTC_SOURCE_LIBCAMERA :
	              use_v4l2(source, device) ? HDMIRTC_SOURCE_V4L2 : HDMIRTC_SOURCE_TEST_PATTERN;
	m2m_takes_it = out->source != HDMIRTC_SOURCE_V4L2 || !capture_fourcc ||
	               hdmirtc_encoder_m2m_takes(capture_fourcc);
	have_m2m = g_strcmp0(encoder, "x264") != 0 &&
	           hdmirtc_media_find_m2m(out->m2m_device, sizeof(out->m2m_device));
	if (g_strcmp0(encoder, "m2m") == 0) {
		if (!have_m2m) {
			g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_NOT_SUPPORTED,
			            "encoder m2m: no V4L2 M2M H.264 encoder on this machine");
			return FALSE;
		}
		if (!m2m_takes_it) {
			g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_NOT_SUPPORTED,
			            "encoder m2m: it takes no %.4s frames (capture-format)",
			            (const char *)&capture_fourcc);
			return FALSE;
		}
		out->encoder = HDMIRTC_ENCODER_M2M;
		g_snprintf(out->why, sizeof(out->why), "m2m %s as configured", out->m2m_device);
		return TRUE;
	}
	/* The test pattern paints I420 in memory: x264 takes it as it is,
	 * an M2M encoder would need a copy of every frame. */
	if (have_m2m && m2m_takes_it && out->source != HDMIRTC_SOURCE_TEST_PATTERN) {
		out->encoder = HDMIRTC_ENCODER_M2M;
		g_snprintf(out->why, sizeof(out->why), "the hardware encoder %s takes the %s's "
		           "DMA-BUFs", out->m2m_device, out->source == HDMIRTC_SOURCE_V4L2 ? "bridge" : "camera");
		return TRUE;
	}
	out->encoder = HDMIRTC_ENCODER_X264;
	out->wait_for_m2m = g_strcmp0(encoder, "auto") == 0 && m2m_takes_it &&
	                    out->source != HDMIRTC_SOURCE_TEST_PATTERN;
	g_snprintf(out->why, sizeof(out->why), "%s",
	           g_strcmp0(encoder, "x264") == 0 ? "x264 as configured" :
	           out->source == HDMIRTC_SOURCE_TEST_PATTERN ? "x264 for the test pattern" :
	           !m2m_takes_it ? "x264: the hardware encoder takes no frames of capture-format" :
	           "x264: no hardware encoder (yet); switching when one appears");
	return TRUE;
}
