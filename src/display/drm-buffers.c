/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Framebuffers: a frame's own DMA-BUF imported (PRIME, the zero-copy
 * path), or a dumb buffer the CPU writes (the copy path, and the target
 * of writeback). */
#include "display-private.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <xf86drm.h>

static void set_errno_error(GError **error, const char *what, int err)
{
	g_set_error(error, HDMIRTC_DISPLAY_ERROR, HDMIRTC_DISPLAY_ERROR_FAILED, "%s: %s", what, g_strerror(err));
}

gboolean hdmirtc_dumb_buffer_create(int fd, guint32 width, guint32 height, HdmirtcDumbBuffer *out,
                                    GError **error)
{
	struct drm_mode_create_dumb create = { .width = width, .height = height, .bpp = 32 };
	struct drm_mode_map_dumb map = { 0 };
	guint32 handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };

	*out = (HdmirtcDumbBuffer){ .width = width, .height = height };
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
		set_errno_error(error, "dumb buffer", errno);
		return FALSE;
	}
	out->handle = create.handle;
	out->pitch = create.pitch;
	out->size = create.size;
	handles[0] = create.handle;
	pitches[0] = create.pitch;
	if (drmModeAddFB2(fd, width, height, DRM_FORMAT_XRGB8888, handles, pitches, offsets, &out->fb, 0) < 0) {
		set_errno_error(error, "framebuffer of a dumb buffer", errno);
		goto fail;
	}
	map.handle = create.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0) {
		set_errno_error(error, "mapping a dumb buffer", errno);
		goto fail;
	}
	out->map = mmap(NULL, out->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	if (out->map == MAP_FAILED) {
		out->map = NULL;
		set_errno_error(error, "mapping a dumb buffer", errno);
		goto fail;
	}
	return TRUE;
fail:
	hdmirtc_dumb_buffer_destroy(fd, out);
	return FALSE;
}

void hdmirtc_dumb_buffer_destroy(int fd, HdmirtcDumbBuffer *b)
{
	if (b->map)
		munmap(b->map, b->size);
	if (b->fb)
		drmModeRmFB(fd, b->fb);
	if (b->handle) {
		struct drm_mode_destroy_dumb destroy = { .handle = b->handle };

		drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	}
	*b = (HdmirtcDumbBuffer){ 0 };
}

guint32 hdmirtc_drm_import_frame(int fd, const HdmirtcFrame *f, guint32 *handle, GError **error)
{
	guint32 handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 }, fb = 0;

	if (drmPrimeFDToHandle(fd, f->dmabuf_fd, handle) < 0) {
		set_errno_error(error, "importing the frame's DMA-BUF", errno);
		return 0;
	}
	/* Planes of one buffer: their offsets are where their CPU views sit
	 * from the first. */
	for (guint i = 0; i < f->n_planes && i < 4; i++) {
		handles[i] = *handle;
		pitches[i] = f->stride[i];
		offsets[i] = i && f->data[0] && f->data[i] ? (guint32)(f->data[i] - f->data[0]) : 0;
	}
	if (drmModeAddFB2(fd, f->width, f->height, f->fourcc, handles, pitches, offsets, &fb, 0) < 0) {
		int err = errno;

		drmCloseBufferHandle(fd, *handle);
		*handle = 0;
		set_errno_error(error, "framebuffer over the frame's DMA-BUF", err);
		return 0;
	}
	return fb;
}

void hdmirtc_drm_release_fb(int fd, guint32 fb, guint32 handle)
{
	if (fb)
		drmModeRmFB(fd, fb);
	if (handle)
		drmCloseBufferHandle(fd, handle);
}

GBytes *hdmirtc_dumb_buffer_to_ppm(const HdmirtcDumbBuffer *b)
{
	g_autofree char *header = g_strdup_printf("P6\n%u %u\n255\n", b->width, b->height);
	gsize hlen = strlen(header), size = hlen + (gsize)b->width * b->height * 3;
	guint8 *out = g_malloc(size), *p = out + hlen;

	memcpy(out, header, hlen);
	for (guint y = 0; y < b->height; y++) {
		const guint32 *row = (const guint32 *)(b->map + (gsize)y * b->pitch);

		for (guint x = 0; x < b->width; x++, p += 3) {
			p[0] = (guint8)(row[x] >> 16);
			p[1] = (guint8)(row[x] >> 8);
			p[2] = (guint8)row[x];
		}
	}
	return g_bytes_new_take(out, size);
}
