/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>
#include <xf86drmMode.h>

#include "hdmirtc/display.h"

/* ---- to-xrgb.c */
gboolean hdmirtc_to_xrgb_supports(guint32 fourcc);
/* Writes f (f->width x f->height) into dst as XRGB8888 lines of dst_pitch
 * bytes; FALSE for a format it cannot read (nothing written). */
gboolean hdmirtc_to_xrgb(const HdmirtcFrame *f, guint8 *dst, guint32 dst_pitch);

/* ---- drm-output.c: the connector, its CRTC and primary plane, found
 * once, with the ids of the properties the commits set. */
enum {
	PLANE_FB_ID, PLANE_CRTC_ID, PLANE_SRC_X, PLANE_SRC_Y, PLANE_SRC_W, PLANE_SRC_H,
	PLANE_CRTC_X, PLANE_CRTC_Y, PLANE_CRTC_W, PLANE_CRTC_H, PLANE_N_PROPS
};

typedef struct {
	int fd;
	char device[32];
	char connector[32];
	guint32 connector_id, crtc_id, plane_id;
	guint32 connector_crtc_prop, crtc_mode_prop, crtc_active_prop;
	guint32 plane_props[PLANE_N_PROPS];
	guint32 *formats;               /* the primary plane's */
	guint n_formats;
	drmModeModeInfo *modes;         /* the connector's */
	guint n_modes;
	/* A writeback connector that can take our CRTC's output; 0 = none. */
	guint32 writeback_id, writeback_crtc_prop, writeback_fb_prop, writeback_fence_prop;
} HdmirtcDrmOutput;

/* want: "auto" or a connector name.  Opens the first card that has it
 * connected, with atomic modesetting; fills out (fd -1 on failure). */
gboolean hdmirtc_drm_output_open(const char *want, HdmirtcDrmOutput *out, GError **error);
void hdmirtc_drm_output_close(HdmirtcDrmOutput *out);
gboolean hdmirtc_drm_output_has_format(const HdmirtcDrmOutput *o, guint32 fourcc);
/* The mode of exactly w x h (preferred first), else the preferred mode. */
const drmModeModeInfo *hdmirtc_drm_output_pick_mode(const HdmirtcDrmOutput *o, guint32 w, guint32 h);

/* ---- drm-buffers.c: framebuffers the display shows. */
typedef struct {
	guint32 handle, fb, pitch;
	guint32 width, height;
	guint8 *map;
	gsize size;
} HdmirtcDumbBuffer;

/* An XRGB8888 dumb buffer with its framebuffer, mapped. */
gboolean hdmirtc_dumb_buffer_create(int fd, guint32 width, guint32 height, HdmirtcDumbBuffer *out,
                                    GError **error);
void hdmirtc_dumb_buffer_destroy(int fd, HdmirtcDumbBuffer *b);
/* A framebuffer over the frame's DMA-BUF (PRIME import): 0 and an error
 * when the driver refuses it.  *handle is the GEM handle to close with
 * the framebuffer. */
guint32 hdmirtc_drm_import_frame(int fd, const HdmirtcFrame *f, guint32 *handle, GError **error);
void hdmirtc_drm_release_fb(int fd, guint32 fb, guint32 handle);
/* The buffer as a binary PPM (P6). */
GBytes *hdmirtc_dumb_buffer_to_ppm(const HdmirtcDumbBuffer *b);
