/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libcamera behind a C interface: libcamera's API is C++, and this is the
 * one place that speaks it (libcamera-camera.cpp).  One camera, one video
 * stream, its buffers allocated by libcamera (DMA-BUFs) and cycled by
 * index.  libcamera-source.c makes a capture source of it. */
#pragma once

#include <glib.h>

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

#define HDMIRTC_CAMERA_MAX_PLANES 3

typedef struct HdmirtcCamera HdmirtcCamera;

typedef struct {
	guint32 fourcc;                 /* DRM_FORMAT_*: libcamera's PixelFormat is one */
	guint32 width;
	guint32 height;
	guint n_planes;
	guint32 stride[HDMIRTC_CAMERA_MAX_PLANES];
	guint n_buffers;
	/* The stream's colour space as libcamera gives it (a Pi's ISP: BT.709
	 * studio range for video); primaries 0 when it gives none. */
	HdmirtcColour colour;
	char colour_space[48];          /* libcamera's name of it, for the log */
} HdmirtcCameraFormat;

typedef struct {
	int fd;                         /* owned by the camera's buffer */
	guint32 offset;
	guint32 length;
} HdmirtcCameraPlane;

/* A buffer filled (ok) or given back unfilled (cancelled by stop, or a
 * failed frame): its index and the sensor's CLOCK_MONOTONIC timestamp in
 * ns.  Called on libcamera's own thread. */
typedef void (*HdmirtcCameraDoneFunc)(guint buffer, gboolean ok, gint64 timestamp_ns, gpointer user_data);
/* The camera went away (unplugged, driver unloaded); libcamera's thread. */
typedef void (*HdmirtcCameraGoneFunc)(gpointer user_data);

/* Acquires the camera (id NULL or "": the first one) and configures one
 * video stream of about width x height in the first of fourccs (in order
 * of preference) it offers, at fps when it lets frame durations be set;
 * allocates its buffers.  HDMIRTC_CAPTURE_ERROR_NO_DEVICE when there is no
 * such camera, INVALID_CONFIG when it offers none of fourccs. */
HdmirtcCamera *hdmirtc_camera_open(const char *id, guint32 width, guint32 height, guint32 fps,
                                   const guint32 *fourccs, guint n_fourccs,
                                   HdmirtcCameraDoneFunc done, HdmirtcCameraGoneFunc gone,
                                   gpointer user_data, GError **error);
const char *hdmirtc_camera_get_id(HdmirtcCamera *cam);
const HdmirtcCameraFormat *hdmirtc_camera_get_format(HdmirtcCamera *cam);
HdmirtcCameraPlane hdmirtc_camera_get_plane(HdmirtcCamera *cam, guint buffer, guint plane);
/* Starts streaming with every buffer queued. */
gboolean hdmirtc_camera_start(HdmirtcCamera *cam, GError **error);
/* Gives a buffer back to the camera; FALSE once it has stopped. */
gboolean hdmirtc_camera_queue(HdmirtcCamera *cam, guint buffer);
/* Stops streaming: buffers still queued come back through done (not ok)
 * before it returns.  No-op when not started. */
void hdmirtc_camera_stop(HdmirtcCamera *cam);
/* A camera that stopped sending frames, perhaps because its device went
 * away without libcamera hearing of it (a pipeline without hotplug, such
 * as vimc's): libcamera 0.0.3 aborts when such a camera is stopped (its
 * buffers never come back from the device), so it is left running and
 * never touched again; a fresh camera manager may then look for it anew.
 * close() keeps its objects. */
void hdmirtc_camera_abandon(HdmirtcCamera *cam);
/* Stops, frees the buffers and releases the camera.  NULL-safe. */
void hdmirtc_camera_close(HdmirtcCamera *cam);

G_END_DECLS
