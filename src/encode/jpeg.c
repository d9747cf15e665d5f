/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/jpeg.h"

#include <drm_fourcc.h>
#include <turbojpeg.h>

#include "hdmirtc/encoder.h"

struct HdmirtcJpegEncoder {
	tjhandle tj;
	int quality;
	/* UYVY is repacked to planar 4:2:2 here: libjpeg-turbo takes planes. */
	guint8 *planar;
	gsize planar_size;
};

HdmirtcJpegEncoder *hdmirtc_jpeg_encoder_new(guint quality, GError **error)
{
	HdmirtcJpegEncoder *enc;
	tjhandle tj = tjInitCompress();

	if (!tj) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_FAILED,
			    "libjpeg-turbo: %s", tjGetErrorStr2(NULL));
		return NULL;
	}
	enc = g_new0(HdmirtcJpegEncoder, 1);
	enc->tj = tj;
	enc->quality = CLAMP(quality, 1, 100);
	return enc;
}

void hdmirtc_jpeg_encoder_free(HdmirtcJpegEncoder *enc)
{
	if (!enc)
		return;
	tjDestroy(enc->tj);
	g_free(enc->planar);
	g_free(enc);
}

static void uyvy_to_planar422(HdmirtcJpegEncoder *enc, const HdmirtcFrame *f,
                              const guint8 *planes[3], int strides[3])
{
	guint cw = (f->width + 1) / 2;
	gsize need = (gsize)f->width * f->height + 2 * (gsize)cw * f->height;

	if (enc->planar_size < need) {
		g_free(enc->planar);
		enc->planar = g_malloc(need);
		enc->planar_size = need;
	}
	guint8 *y = enc->planar, *u = y + (gsize)f->width * f->height, *v = u + (gsize)cw * f->height;
	for (guint row = 0; row < f->height; row++) {
		const guint8 *src = f->data[0] + (gsize)row * f->stride[0];
		guint8 *yr = y + (gsize)row * f->width, *ur = u + (gsize)row * cw, *vr = v + (gsize)row * cw;

		for (guint x = 0; x + 1 < f->width; x += 2, src += 4) {
			ur[x / 2] = src[0];
			yr[x] = src[1];
			vr[x / 2] = src[2];
			yr[x + 1] = src[3];
		}
	}
	planes[0] = y;
	planes[1] = u;
	planes[2] = v;
	strides[0] = f->width;
	strides[1] = strides[2] = cw;
}

GBytes *hdmirtc_jpeg_encoder_encode(HdmirtcJpegEncoder *enc, const HdmirtcFrame *f, GError **error)
{
	const guint8 *planes[3] = { f->data[0], f->data[1], f->data[2] };
	int strides[3] = { f->stride[0], f->stride[1], f->stride[2] };
	unsigned char *jpeg = NULL;
	unsigned long size = 0;
	int subsamp;

	if (f->fourcc == DRM_FORMAT_YUV420 && f->n_planes == 3 && f->data[0] && f->data[1] && f->data[2]) {
		subsamp = TJSAMP_420;
	} else if (f->fourcc == DRM_FORMAT_UYVY && f->data[0]) {
		uyvy_to_planar422(enc, f, planes, strides);
		subsamp = TJSAMP_422;
	} else {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_NOT_SUPPORTED,
			    "jpeg: frames of format %.4s are not supported", (const char *)&f->fourcc);
		return NULL;
	}
	if (tjCompressFromYUVPlanes(enc->tj, planes, f->width, strides, f->height, subsamp, &jpeg,
				    &size, enc->quality, TJFLAG_FASTDCT) < 0) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_FAILED, "jpeg: %s",
			    tjGetErrorStr2(enc->tj));
		tjFree(jpeg);
		return NULL;
	}
	return g_bytes_new_with_free_func(jpeg, size, (GDestroyNotify)tjFree, jpeg);
}
