/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The local screen: captured frames shown on a DRM connector (a KVM's own
 * monitor), as uStreamer's DRM output does.
 *
 * A frame with a DMA-BUF in a format the connector's primary plane takes
 * is shown as it is: the DMA-BUF is imported as a framebuffer (PRIME) and
 * the display controller scans the capture buffer out, no CPU copy.  Any
 * other frame (the test pattern, NO SIGNAL, a format the plane lacks) is
 * converted into one of two dumb XRGB8888 buffers, a counted copy.
 * Frames go up with non-blocking atomic commits; one that arrives while a
 * flip is still pending is dropped (counted): the display never holds the
 * capture or the encoder up.  The mode is the connector's mode of the
 * frame's size when it has one, else its preferred mode with the picture
 * scaled to fit by the plane (centred 1:1 where the plane cannot scale).
 *
 * All functions but the status and the snapshot run on the thread of the
 * context given to new (the media thread). */
#pragma once

#include <glib.h>

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

#define HDMIRTC_DISPLAY_ERROR (hdmirtc_display_error_quark())
GQuark hdmirtc_display_error_quark(void);

typedef enum {
	HDMIRTC_DISPLAY_ERROR_NOT_FOUND,        /* no such connector, or nothing connected */
	HDMIRTC_DISPLAY_ERROR_FAILED,           /* the driver refused */
	HDMIRTC_DISPLAY_ERROR_NO_WRITEBACK,     /* snapshot: no writeback connector for our CRTC */
	HDMIRTC_DISPLAY_ERROR_TIMED_OUT,        /* snapshot: no frame went up in time */
} HdmirtcDisplayError;

typedef struct HdmirtcDisplay HdmirtcDisplay;

/* What the status shows; strings are "" when unknown. */
typedef struct {
	char state[16];                 /* "waiting" (no connector yet, or not ours), "showing" */
	char device[32];                /* /dev/dri/cardN */
	char connector[32];             /* e.g. HDMI-A-1, Virtual-1 */
	char mode[32];                  /* e.g. 1920x1080@60 */
	char layout[24];                /* "full screen", "scaled to fit", "centred 1:1" */
	char error[160];                /* why it is waiting or failed */
	guint32 frame_width, frame_height, frame_fourcc;
	guint64 frames;                 /* handed to the display */
	guint64 flips;                  /* page flips completed */
	guint64 dropped;                /* arrived while a flip was pending */
	guint64 failed_commits;
	guint64 zero_copy;              /* frames shown from their own DMA-BUF */
	guint64 copied;                 /* frames converted into a dumb buffer */
	guint64 bytes_copied;
	/* Time in hdmirtc_display_show (import, conversion, atomic commit):
	 * what the screen costs the thread that calls it, per frame. */
	guint64 show_us_total;
	gint64 show_us_max;
	guint imported;                 /* DMA-BUFs imported as framebuffers so far */
	gboolean writeback;             /* snapshots possible */
	guint64 snapshots;
} HdmirtcDisplayInfo;

/* connector: "auto" (the first connected connector of any card) or a name
 * as the kernel gives it (HDMI-A-1, Virtual-1).  A connector not there
 * yet is looked for every few seconds (state "waiting").  Never fails:
 * the status says what is wrong. */
HdmirtcDisplay *hdmirtc_display_new(const char *connector, GMainContext *ctx);
/* For --probe: every card's connectors (monitor or not, the first mode),
 * then where the screen `want` ("auto", a name; NULL or "": none) would
 * be shown, or why not.  Newly allocated lines. */
char *hdmirtc_display_describe(const char *want);
/* Turns the screen's plane off and frees.  NULL-safe.  On ctx's thread. */
void hdmirtc_display_free(HdmirtcDisplay *d);

/* Whether the screen's plane takes this format as it is (FALSE while no
 * screen is found).  On ctx's thread, or before it runs. */
gboolean hdmirtc_display_scans_out(HdmirtcDisplay *d, guint32 fourcc);

/* Shows frame (borrowed; a reference is taken while it is on screen). */
void hdmirtc_display_show(HdmirtcDisplay *d, HdmirtcFrame *frame);

/* The frames' buffers are going (the capture restarts): framebuffers on
 * them are removed (the kernel turns off a plane still showing one: the
 * screen is dark until the next frame) and their frames given back. */
void hdmirtc_display_forget_buffers(HdmirtcDisplay *d);

/* Any thread. */
void hdmirtc_display_get_info(HdmirtcDisplay *d, HdmirtcDisplayInfo *out);

/* What the display controller wrote back of the next frame shown, as a
 * binary PPM (P6, the mode's size), or NULL and an error.  done is called
 * once, on reply_ctx (NULL: the global default context). */
typedef void (*HdmirtcDisplaySnapshotFunc)(GBytes *ppm, const GError *error, gpointer user_data);
/* Any thread. */
void hdmirtc_display_snapshot(HdmirtcDisplay *d, GMainContext *reply_ctx, HdmirtcDisplaySnapshotFunc done,
                              gpointer user_data);

G_END_DECLS
