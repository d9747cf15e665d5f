/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A build without libcamera (meson -Dlibcamera=disabled, or a cross build
 * without its development package): source = libcamera says so. */
#include "hdmirtc/capture.h"

static void not_built_in(GError **error)
{
	g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE,
		    "cameras through libcamera are not built in (meson found no libcamera)");
}

HdmirtcCapture *hdmirtc_capture_new_libcamera(const HdmirtcCaptureConfig *cfg, const HdmirtcLibcameraConfig *lc,
                                              GError **error)
{
	(void)cfg;
	(void)lc;
	not_built_in(error);
	return NULL;
}
