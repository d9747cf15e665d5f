/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The local screen (see hdmirtc/display.h): frames up with non-blocking
 * atomic commits, one at a time; the page-flip event says when the
 * previous frame left the screen and its capture buffer may go back. */
#include "display-private.h"
#include "hdmirtc/gsource.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <glib-unix.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xf86drm.h>

#define MAX_IMPORTED 16                 /* a capture's buffers, with room for a reallocation */
#define RETRY_MS 3000                   /* looking for a connector that is not there yet */
#define HOTPLUG_POLL_MS 1000            /* the connector's status while showing */
#define SNAPSHOT_TIMEOUT_US (2 * G_USEC_PER_SEC)
#define SNAPSHOT_CHECK_MS 250

G_DEFINE_QUARK(hdmirtc-display-error-quark, hdmirtc_display_error)

typedef struct {
	guint64 ino;                    /* the DMA-BUF's inode: its fd number may be reused, this not */
	guint32 fb, handle;
	guint32 width, height, fourcc, pitch;
	guint64 last_used;              /* frames counter when last shown */
} Imported;

/* What a commit put on the screen. */
typedef struct {
	guint32 fb;
	HdmirtcFrame *frame;            /* held while its own DMA-BUF is scanned out */
	int dumb;                       /* the copy's dumb buffer, -1 */
} Scanout;

typedef struct {
	GMainContext *ctx;
	HdmirtcDisplaySnapshotFunc done;
	gpointer user_data;
	gint64 deadline_us;
	HdmirtcDisplay *d;
} SnapshotRequest;

/* Source and destination rectangles of the plane. */
typedef struct {
	guint32 sw, sh;
	gint32 cx, cy;
	guint32 cw, ch;
	const char *name;
} Layout;

struct HdmirtcDisplay {
	GMainContext *ctx;
	char *want;
	HdmirtcDrmOutput out;           /* fd -1 while waiting for the connector */
	GSource *retry, *events, *fence_watch, *snapshot_timer, *hotplug;
	/* The connector in sysfs, read while showing: the monitor unplugged
	 * or another one plugged in (its modes change). */
	char *status_path, *modes_path, *modes;
	drmModeModeInfo mode;
	guint32 mode_blob;
	gboolean needs_modeset;
	guint32 frame_w, frame_h;       /* what the layout was chosen for */
	gboolean layout_valid;
	Layout layout;
	Imported imported[MAX_IMPORTED];
	guint n_imported;
	guint64 refused_ino;            /* a DMA-BUF the driver would not import: copy its frames */
	HdmirtcDumbBuffer dumbs[2];
	Scanout shown, pending;
	gboolean flip_pending;
	gboolean copy_logged;
	int failed_errno;               /* the last commit error logged */
	/* Writeback: attached to our CRTC by the first snapshot's commit,
	 * beside the screen's connector where the driver lets the two be
	 * clones, else alone for that one frame (vkms: its encoders are not
	 * each other's possible_clones). */
	HdmirtcDumbBuffer wb;
	gboolean wb_attached;
	enum { WB_UNTRIED, WB_BESIDE, WB_ALONE } wb_mode;
	gint32 fence_out;               /* the kernel writes the fence's fd here */
	int fence_fd;
	GPtrArray *snap_waiting;        /* SnapshotRequest*, for the next commit */
	GPtrArray *snap_inflight;       /* written back by the committed frame */
	GMutex lock;                    /* info */
	HdmirtcDisplayInfo info;
};

#define INFO_SET(d, member, fmt, ...) \
	G_STMT_START { \
		g_mutex_lock(&(d)->lock); \
		g_snprintf((d)->info.member, sizeof((d)->info.member), fmt, ##__VA_ARGS__); \
		g_mutex_unlock(&(d)->lock); \
	} G_STMT_END

static void count(HdmirtcDisplay *d, guint64 *counter, guint64 n)
{
	g_mutex_lock(&d->lock);
	*counter += n;
	g_mutex_unlock(&d->lock);
}

/* The capture's and the encoder's sources run at G_PRIORITY_HIGH, and a
 * machine that is late keeps them ready: the screen's must not wait
 * behind them (a flip's end never seen would stop the screen). */
static void attach(GSource *source, GMainContext *ctx)
{
	hdmirtc_source_attach_high(source, NULL, NULL, ctx);
}

/* ---- snapshots */

typedef struct {
	SnapshotRequest *req;
	GBytes *ppm;
	GError *error;
} Reply;

static gboolean deliver_reply(gpointer data)
{
	Reply *r = data;

	r->req->done(r->ppm, r->error, r->req->user_data);
	if (r->req->ctx)
		g_main_context_unref(r->req->ctx);
	g_free(r->req);
	if (r->ppm)
		g_bytes_unref(r->ppm);
	g_clear_error(&r->error);
	g_free(r);
	return G_SOURCE_REMOVE;
}

/* Takes req, ppm and error. */
static void reply(SnapshotRequest *req, GBytes *ppm, GError *error)
{
	Reply *r = g_new0(Reply, 1);

	*r = (Reply){ req, ppm, error };
	g_main_context_invoke(req->ctx, deliver_reply, r);
}

static void fail_all(GPtrArray *reqs, gint code, const char *why)
{
	for (guint i = 0; i < reqs->len; i++)
		reply(reqs->pdata[i], NULL, g_error_new_literal(HDMIRTC_DISPLAY_ERROR, code, why));
	g_ptr_array_set_size(reqs, 0);
}

static gboolean on_fence(gint fd, GIOCondition cond, gpointer data)
{
	HdmirtcDisplay *d = data;
	g_autoptr(GBytes) ppm = hdmirtc_dumb_buffer_to_ppm(&d->wb);    /* one picture for every request */

	(void)fd;
	(void)cond;
	for (guint i = 0; i < d->snap_inflight->len; i++)
		reply(d->snap_inflight->pdata[i], g_bytes_ref(ppm), NULL);
	count(d, &d->info.snapshots, d->snap_inflight->len);
	g_ptr_array_set_size(d->snap_inflight, 0);
	close(d->fence_fd);
	d->fence_fd = -1;
	g_clear_pointer(&d->fence_watch, g_source_unref);
	return G_SOURCE_REMOVE;
}

static gboolean check_snapshot_deadlines(gpointer data)
{
	HdmirtcDisplay *d = data;
	gint64 now = g_get_monotonic_time();

	for (guint i = 0; i < d->snap_waiting->len;) {
		SnapshotRequest *req = d->snap_waiting->pdata[i];

		if (req->deadline_us > now) {
			i++;
			continue;
		}
		g_ptr_array_remove_index(d->snap_waiting, i);
		reply(req, NULL, g_error_new_literal(HDMIRTC_DISPLAY_ERROR, HDMIRTC_DISPLAY_ERROR_TIMED_OUT,
		                                     "no frame went to the screen in 2 s"));
	}
	if (d->snap_waiting->len)
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&d->snapshot_timer, g_source_unref);
	return G_SOURCE_REMOVE;
}

static gboolean add_snapshot_request(gpointer data)
{
	SnapshotRequest *req = data;
	HdmirtcDisplay *d = req->d;

	if (d->out.fd < 0) {
		g_autofree char *why = g_strdup_printf("no screen: %s", d->info.error);

		reply(req, NULL, g_error_new_literal(HDMIRTC_DISPLAY_ERROR, HDMIRTC_DISPLAY_ERROR_NOT_FOUND, why));
	} else if (!d->out.writeback_id) {
		reply(req, NULL, g_error_new(HDMIRTC_DISPLAY_ERROR, HDMIRTC_DISPLAY_ERROR_NO_WRITEBACK,
		                             "%s has no writeback connector on %s's CRTC", d->out.device,
		                             d->out.connector));
	} else {
		g_ptr_array_add(d->snap_waiting, req);
		if (!d->snapshot_timer) {
			d->snapshot_timer = g_timeout_source_new(SNAPSHOT_CHECK_MS);
			g_source_set_callback(d->snapshot_timer, check_snapshot_deadlines, d, NULL);
			attach(d->snapshot_timer, d->ctx);
		}
	}
	return G_SOURCE_REMOVE;
}

void hdmirtc_display_snapshot(HdmirtcDisplay *d, GMainContext *reply_ctx, HdmirtcDisplaySnapshotFunc done,
                              gpointer user_data)
{
	SnapshotRequest *req = g_new0(SnapshotRequest, 1);

	*req = (SnapshotRequest){ reply_ctx ? g_main_context_ref(reply_ctx) : NULL, done, user_data,
	                          g_get_monotonic_time() + SNAPSHOT_TIMEOUT_US, d };
	g_main_context_invoke_full(d->ctx, G_PRIORITY_HIGH, add_snapshot_request, req, NULL);
}

/* Writeback of the frame about to be committed, when asked: the target
 * is a dumb buffer of the mode's size. */
static gboolean want_writeback(HdmirtcDisplay *d)
{
	g_autoptr(GError) error = NULL;

	if (!d->snap_waiting->len || d->fence_fd >= 0 || !d->out.writeback_id)
		return FALSE;
	if (d->wb.fb && (d->wb.width != d->mode.hdisplay || d->wb.height != d->mode.vdisplay))
		hdmirtc_dumb_buffer_destroy(d->out.fd, &d->wb);
	if (!d->wb.fb && !hdmirtc_dumb_buffer_create(d->out.fd, d->mode.hdisplay, d->mode.vdisplay, &d->wb, &error)) {
		fail_all(d->snap_waiting, HDMIRTC_DISPLAY_ERROR_FAILED, error->message);
		return FALSE;
	}
	return TRUE;
}

/* ---- framebuffers for frames */

static void release_scanout(Scanout *s)
{
	hdmirtc_frame_unref(s->frame);
	*s = (Scanout){ .dumb = -1 };
}

static gboolean in_use(HdmirtcDisplay *d, guint32 fb)
{
	return fb && (d->shown.fb == fb || d->pending.fb == fb);
}

static void forget_imported(HdmirtcDisplay *d, guint i)
{
	hdmirtc_drm_release_fb(d->out.fd, d->imported[i].fb, d->imported[i].handle);
	d->imported[i] = d->imported[--d->n_imported];
}

/* Buffers of an earlier size or format belong to a buffer set that is
 * gone: their handles would keep its memory. */
static void forget_stale(HdmirtcDisplay *d, const HdmirtcFrame *f)
{
	for (guint i = 0; i < d->n_imported;) {
		const Imported *im = &d->imported[i];

		if ((im->width != f->width || im->height != f->height || im->fourcc != f->fourcc) && !in_use(d, im->fb))
			forget_imported(d, i);
		else
			i++;
	}
}

static guint32 imported_fb(HdmirtcDisplay *d, const HdmirtcFrame *f, guint64 ino)
{
	g_autoptr(GError) error = NULL;
	Imported *im;
	guint32 handle = 0, fb;

	for (guint i = 0; i < d->n_imported; i++) {
		im = &d->imported[i];
		if (im->ino == ino && im->width == f->width && im->height == f->height && im->fourcc == f->fourcc &&
		    im->pitch == f->stride[0]) {
			im->last_used = d->info.frames;
			return im->fb;
		}
	}
	if (d->n_imported == MAX_IMPORTED) {
		guint oldest = G_MAXUINT;

		for (guint i = 0; i < d->n_imported; i++)
			if (!in_use(d, d->imported[i].fb) &&
			    (oldest == G_MAXUINT || d->imported[i].last_used < d->imported[oldest].last_used))
				oldest = i;
		if (oldest == G_MAXUINT)
			return 0;
		forget_imported(d, oldest);
	}
	fb = hdmirtc_drm_import_frame(d->out.fd, f, &handle, &error);
	if (!fb) {
		g_warning("display %s: %s; its frames are copied instead", d->out.connector, error->message);
		d->refused_ino = ino;
		return 0;
	}
	d->imported[d->n_imported++] = (Imported){ ino, fb, handle, f->width, f->height, f->fourcc, f->stride[0],
	                                           d->info.frames };
	g_mutex_lock(&d->lock);
	d->info.imported++;
	g_mutex_unlock(&d->lock);
	return fb;
}

/* The frame's own DMA-BUF when the plane takes its format, else a copy. */
static gboolean scanout_for(HdmirtcDisplay *d, HdmirtcFrame *f, Scanout *next)
{
	g_autoptr(GError) error = NULL;
	struct stat st;

	*next = (Scanout){ .dumb = -1 };
	if (f->dmabuf_fd >= 0 && hdmirtc_drm_output_has_format(&d->out, f->fourcc) && fstat(f->dmabuf_fd, &st) == 0 &&
	    (guint64)st.st_ino != d->refused_ino && (next->fb = imported_fb(d, f, st.st_ino))) {
		next->frame = hdmirtc_frame_ref(f);
		count(d, &d->info.zero_copy, 1);
		return TRUE;
	}
	int i = d->shown.dumb == 0 ? 1 : 0;
	HdmirtcDumbBuffer *b = &d->dumbs[i];

	if (!hdmirtc_to_xrgb_supports(f->fourcc)) {
		INFO_SET(d, error, "cannot show %.4s frames", (const char *)&f->fourcc);
		return FALSE;
	}
	if (b->fb && (b->width != f->width || b->height != f->height))
		hdmirtc_dumb_buffer_destroy(d->out.fd, b);
	if (!b->fb && !hdmirtc_dumb_buffer_create(d->out.fd, f->width, f->height, b, &error)) {
		INFO_SET(d, error, "%s", error->message);
		return FALSE;
	}
	if (!hdmirtc_to_xrgb(f, b->map, b->pitch))
		return FALSE;
	if (!d->copy_logged && f->dmabuf_fd >= 0) {
		g_message("display %s: %.4s frames are copied (the plane does not scan them out)", d->out.connector,
		          (const char *)&f->fourcc);
		d->copy_logged = TRUE;
	}
	g_mutex_lock(&d->lock);
	d->info.copied++;
	d->info.bytes_copied += (guint64)f->width * f->height * 4;
	g_mutex_unlock(&d->lock);
	next->fb = b->fb;
	next->dumb = i;
	return TRUE;
}

/* ---- commits */

static void add_plane(HdmirtcDisplay *d, drmModeAtomicReq *req, guint32 fb, const Layout *l)
{
	const guint32 *p = d->out.plane_props;
	guint32 id = d->out.plane_id;

	drmModeAtomicAddProperty(req, id, p[PLANE_FB_ID], fb);
	drmModeAtomicAddProperty(req, id, p[PLANE_CRTC_ID], d->out.crtc_id);
	drmModeAtomicAddProperty(req, id, p[PLANE_SRC_X], 0);
	drmModeAtomicAddProperty(req, id, p[PLANE_SRC_Y], 0);
	drmModeAtomicAddProperty(req, id, p[PLANE_SRC_W], (guint64)l->sw << 16);
	drmModeAtomicAddProperty(req, id, p[PLANE_SRC_H], (guint64)l->sh << 16);
	drmModeAtomicAddProperty(req, id, p[PLANE_CRTC_X], (guint64)(gint64)l->cx);
	drmModeAtomicAddProperty(req, id, p[PLANE_CRTC_Y], (guint64)(gint64)l->cy);
	drmModeAtomicAddProperty(req, id, p[PLANE_CRTC_W], l->cw);
	drmModeAtomicAddProperty(req, id, p[PLANE_CRTC_H], l->ch);
}

static drmModeAtomicReq *build(HdmirtcDisplay *d, guint32 fb, const Layout *l, guint32 *flags)
{
	drmModeAtomicReq *req = drmModeAtomicAlloc();

	if (d->needs_modeset) {
		drmModeAtomicAddProperty(req, d->out.connector_id, d->out.connector_crtc_prop, d->out.crtc_id);
		drmModeAtomicAddProperty(req, d->out.crtc_id, d->out.crtc_mode_prop, d->mode_blob);
		drmModeAtomicAddProperty(req, d->out.crtc_id, d->out.crtc_active_prop, 1);
		/* The screen back after a writeback that had the CRTC alone. */
		if (d->wb_attached && d->wb_mode == WB_ALONE)
			drmModeAtomicAddProperty(req, d->out.writeback_id, d->out.writeback_crtc_prop, 0);
		*flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
	}
	add_plane(d, req, fb, l);
	return req;
}

/* Whether the writeback connector may run beside the screen's (a
 * TEST_ONLY commit with both on the CRTC). */
static void learn_writeback_mode(HdmirtcDisplay *d, guint32 fb)
{
	guint32 flags = DRM_MODE_ATOMIC_TEST_ONLY | DRM_MODE_ATOMIC_ALLOW_MODESET;
	drmModeAtomicReq *req = build(d, fb, &d->layout, &flags);

	drmModeAtomicAddProperty(req, d->out.connector_id, d->out.connector_crtc_prop, d->out.crtc_id);
	drmModeAtomicAddProperty(req, d->out.writeback_id, d->out.writeback_crtc_prop, d->out.crtc_id);
	d->wb_mode = drmModeAtomicCommit(d->out.fd, req, flags, NULL) == 0 ? WB_BESIDE : WB_ALONE;
	drmModeAtomicFree(req);
	if (d->wb_mode == WB_ALONE)
		g_message("display %s: its writeback cannot run beside it: a snapshot takes the screen off for a frame",
		          d->out.connector);
}

static void add_writeback(HdmirtcDisplay *d, drmModeAtomicReq *req, guint32 *flags)
{
	if (d->wb_mode == WB_ALONE) {
		drmModeAtomicAddProperty(req, d->out.connector_id, d->out.connector_crtc_prop, 0);
		d->needs_modeset = TRUE;        /* the next frame puts the screen back */
	}
	if (d->wb_mode == WB_ALONE || !d->wb_attached) {
		drmModeAtomicAddProperty(req, d->out.writeback_id, d->out.writeback_crtc_prop, d->out.crtc_id);
		*flags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
	}
	d->fence_out = -1;
	drmModeAtomicAddProperty(req, d->out.writeback_id, d->out.writeback_fb_prop, d->wb.fb);
	drmModeAtomicAddProperty(req, d->out.writeback_id, d->out.writeback_fence_prop, (guint64)(guintptr)&d->fence_out);
}

/* The plane's rectangles: the whole screen when the picture has the
 * mode's size, else scaled to fit (aspect kept), centred 1:1, or stretched,
 * the first the driver accepts (TEST_ONLY). */
static gboolean choose_layout(HdmirtcDisplay *d, guint32 fb, guint32 fw, guint32 fh)
{
	guint32 mw = d->mode.hdisplay, mh = d->mode.vdisplay;
	guint32 fit_w = (guint32)MIN((guint64)mw, (guint64)mh * fw / fh);
	guint32 fit_h = (guint32)MIN((guint64)mh, (guint64)mw * fh / fw);
	guint32 cw = MIN(fw, mw), ch = MIN(fh, mh);
	Layout candidates[] = {
		{ fw, fh, 0, 0, mw, mh, fw == mw && fh == mh ? "full screen" : "stretched" },
		{ fw, fh, (gint32)(mw - fit_w) / 2, (gint32)(mh - fit_h) / 2, fit_w, fit_h, "scaled to fit" },
		{ cw, ch, (gint32)(mw - cw) / 2, (gint32)(mh - ch) / 2, cw, ch, "centred 1:1" },
	};
	gboolean exact = fw == mw && fh == mh;
	int err = 0;

	/* Stretching is the last resort; the exact case needs nothing else. */
	for (guint k = 0; k < G_N_ELEMENTS(candidates); k++) {
		guint i = exact ? 0 : (k + 1) % G_N_ELEMENTS(candidates);
		guint32 flags = DRM_MODE_ATOMIC_TEST_ONLY;
		drmModeAtomicReq *req = build(d, fb, &candidates[i], &flags);
		int r = drmModeAtomicCommit(d->out.fd, req, flags, NULL);

		err = errno;
		drmModeAtomicFree(req);
		if (r == 0) {
			d->layout = candidates[i];
			d->layout_valid = TRUE;
			d->frame_w = fw;
			d->frame_h = fh;
			INFO_SET(d, layout, "%s", d->layout.name);
			return TRUE;
		}
		if (exact)
			break;
	}
	INFO_SET(d, error, "%s refuses a %ux%u picture on %ux%u: %s", d->out.connector, fw, fh, mw, mh,
	         g_strerror(err));
	return FALSE;
}

static gboolean set_mode(HdmirtcDisplay *d, guint32 w, guint32 h)
{
	const drmModeModeInfo *m = hdmirtc_drm_output_pick_mode(&d->out, w, h);
	guint32 blob = 0;

	if (!m) {
		INFO_SET(d, error, "%s offers no mode", d->out.connector);
		return FALSE;
	}
	if (d->mode_blob && memcmp(m, &d->mode, sizeof(*m)) == 0)
		return TRUE;
	if (drmModeCreatePropertyBlob(d->out.fd, m, sizeof(*m), &blob) < 0) {
		INFO_SET(d, error, "mode blob: %s", g_strerror(errno));
		return FALSE;
	}
	if (d->mode_blob)
		drmModeDestroyPropertyBlob(d->out.fd, d->mode_blob);
	d->mode_blob = blob;
	d->mode = *m;
	d->needs_modeset = TRUE;
	d->layout_valid = FALSE;
	INFO_SET(d, mode, "%ux%u@%u", m->hdisplay, m->vdisplay, m->vrefresh);
	return TRUE;
}

static void close_output(HdmirtcDisplay *d, const char *why);

static void commit(HdmirtcDisplay *d, Scanout *next)
{
	guint32 flags = DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT;
	gboolean writeback = want_writeback(d), modeset = d->needs_modeset;
	drmModeAtomicReq *req;
	int r, err;

	if (writeback && d->wb_mode == WB_UNTRIED)
		learn_writeback_mode(d, next->fb);
	req = build(d, next->fb, &d->layout, &flags);
	if (writeback)
		add_writeback(d, req, &flags);
	r = drmModeAtomicCommit(d->out.fd, req, flags, d);
	err = errno;
	drmModeAtomicFree(req);
	if (r < 0) {
		release_scanout(next);
		if (err == EBUSY) {             /* the previous flip is not done after all */
			count(d, &d->info.dropped, 1);
			return;
		}
		count(d, &d->info.failed_commits, 1);
		if (writeback)
			fail_all(d->snap_waiting, HDMIRTC_DISPLAY_ERROR_FAILED, g_strerror(err));
		if (err == EACCES || err == EPERM) {
			close_output(d, "another program drives the screen (not DRM master)");
			return;
		}
		if (err != d->failed_errno)
			g_warning("display %s: commit refused: %s", d->out.connector, g_strerror(err));
		d->failed_errno = err;
		INFO_SET(d, error, "commit refused: %s", g_strerror(err));
		return;
	}
	d->pending = *next;
	d->flip_pending = TRUE;
	d->needs_modeset = writeback && d->wb_mode == WB_ALONE;
	if (!writeback && modeset && d->wb_mode == WB_ALONE)
		d->wb_attached = FALSE;         /* build() gave the CRTC back to the screen */
	if (writeback) {
		d->wb_attached = TRUE;
		d->fence_fd = d->fence_out;
		g_ptr_array_extend_and_steal(d->snap_inflight, g_steal_pointer(&d->snap_waiting));
		d->snap_waiting = g_ptr_array_new();
		d->fence_watch = g_unix_fd_source_new(d->fence_fd, G_IO_IN);
		g_source_set_callback(d->fence_watch, G_SOURCE_FUNC(on_fence), d, NULL);
		attach(d->fence_watch, d->ctx);
	}
}

static void on_page_flip(int fd, unsigned int seq, unsigned int sec, unsigned int usec, void *data)
{
	HdmirtcDisplay *d = data;

	(void)fd, (void)seq, (void)sec, (void)usec;
	release_scanout(&d->shown);
	d->shown = d->pending;
	d->pending = (Scanout){ .dumb = -1 };
	d->flip_pending = FALSE;
	count(d, &d->info.flips, 1);
}

static gboolean on_drm_event(gint fd, GIOCondition cond, gpointer data)
{
	drmEventContext ev = { .version = 2, .page_flip_handler = on_page_flip };

	(void)cond;
	(void)data;
	drmHandleEvent(fd, &ev);
	return G_SOURCE_CONTINUE;
}

static void show(HdmirtcDisplay *d, HdmirtcFrame *f)
{
	Scanout next;

	g_mutex_lock(&d->lock);
	d->info.frames++;
	d->info.frame_width = f->width;
	d->info.frame_height = f->height;
	d->info.frame_fourcc = f->fourcc;
	g_mutex_unlock(&d->lock);
	if (d->out.fd < 0)
		return;
	/* One flip at a time; and while a writeback that had the CRTC alone
	 * is being written, the screen waits to get it back. */
	if (d->flip_pending || (d->fence_fd >= 0 && d->wb_mode == WB_ALONE)) {
		count(d, &d->info.dropped, 1);
		return;
	}
	if (f->width != d->frame_w || f->height != d->frame_h || !d->mode_blob) {
		d->layout_valid = FALSE;
		if (!set_mode(d, f->width, f->height))
			return;
	}
	forget_stale(d, f);
	if (!scanout_for(d, f, &next))
		return;
	if (!d->layout_valid && !choose_layout(d, next.fb, f->width, f->height)) {
		release_scanout(&next);
		return;
	}
	commit(d, &next);
}

void hdmirtc_display_show(HdmirtcDisplay *d, HdmirtcFrame *f)
{
	gint64 start = g_get_monotonic_time();
	gint64 took;

	show(d, f);
	took = g_get_monotonic_time() - start;
	g_mutex_lock(&d->lock);
	d->info.show_us_total += (guint64)took;
	d->info.show_us_max = MAX(d->info.show_us_max, took);
	g_mutex_unlock(&d->lock);
}

void hdmirtc_display_forget_buffers(HdmirtcDisplay *d)
{
	if (d->out.fd < 0 || !d->n_imported)
		return;
	while (d->n_imported)
		forget_imported(d, 0);
	/* Removing a framebuffer the primary plane shows turned the CRTC
	 * off: the next frame sets the mode again. */
	if (d->shown.frame || d->pending.frame) {
		d->needs_modeset = TRUE;
		d->layout_valid = FALSE;
		d->wb_attached = FALSE;
	}
	if (d->shown.frame)
		release_scanout(&d->shown);
	if (d->pending.frame)
		release_scanout(&d->pending);
	d->refused_ino = 0;
}

/* ---- finding the screen */

/* The kernel keeps a connector's status and modes as its driver last
 * detected them (a hotplug interrupt on vc4's HDMI, output polling
 * elsewhere); sysfs gives them without probing again, as uStreamer reads
 * them.  NULL when there is no such file (no sysfs in a container). */
static char *read_sysfs(const char *path)
{
	char *text = NULL;

	return path && g_file_get_contents(path, &text, NULL, NULL) ? text : NULL;
}

static gboolean on_hotplug_poll(gpointer data)
{
	HdmirtcDisplay *d = data;
	g_autofree char *status = read_sysfs(d->status_path);
	g_autofree char *modes = read_sysfs(d->modes_path);
	g_autofree char *why = NULL;

	if (!status)
		return G_SOURCE_CONTINUE;
	if (g_str_has_prefix(status, "disconnected"))
		why = g_strdup_printf("%s has no monitor connected", d->out.connector);
	else if (g_strcmp0(modes, d->modes) != 0)
		why = g_strdup_printf("%s: another monitor (its modes changed)", d->out.connector);
	if (!why)
		return G_SOURCE_CONTINUE;
	g_message("display: %s; looking again every %u s", why, RETRY_MS / 1000);
	close_output(d, why);
	return G_SOURCE_REMOVE;
}

static void watch_hotplug(HdmirtcDisplay *d)
{
	g_autofree char *dir = g_strdup_printf("/sys/class/drm/%s-%s", strrchr(d->out.device, '/') + 1,
	                                       d->out.connector);

	d->status_path = g_build_filename(dir, "status", NULL);
	d->modes_path = g_build_filename(dir, "modes", NULL);
	d->modes = read_sysfs(d->modes_path);
	if (!g_file_test(d->status_path, G_FILE_TEST_EXISTS)) {
		g_message("display: no %s: a monitor unplugged will not be noticed", d->status_path);
		return;
	}
	d->hotplug = g_timeout_source_new(HOTPLUG_POLL_MS);
	g_source_set_callback(d->hotplug, on_hotplug_poll, d, NULL);
	attach(d->hotplug, d->ctx);
}

static gboolean try_open(HdmirtcDisplay *d);

static gboolean retry_open(gpointer data)
{
	HdmirtcDisplay *d = data;

	if (!try_open(d))
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&d->retry, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void start_retrying(HdmirtcDisplay *d)
{
	if (d->retry)
		return;
	d->retry = g_timeout_source_new(RETRY_MS);
	g_source_set_callback(d->retry, retry_open, d, NULL);
	attach(d->retry, d->ctx);
}

static gboolean try_open(HdmirtcDisplay *d)
{
	g_autoptr(GError) error = NULL;

	if (!hdmirtc_drm_output_open(d->want, &d->out, &error)) {
		INFO_SET(d, error, "%s", error->message);
		return FALSE;
	}
	g_mutex_lock(&d->lock);
	g_strlcpy(d->info.device, d->out.device, sizeof(d->info.device));
	g_strlcpy(d->info.connector, d->out.connector, sizeof(d->info.connector));
	g_strlcpy(d->info.state, "showing", sizeof(d->info.state));
	d->info.error[0] = '\0';
	d->info.writeback = d->out.writeback_id != 0;
	g_mutex_unlock(&d->lock);
	g_message("display: %s %s%s", d->out.device, d->out.connector,
	          d->out.writeback_id ? " (with writeback)" : "");
	d->events = g_unix_fd_source_new(d->out.fd, G_IO_IN);
	g_source_set_callback(d->events, G_SOURCE_FUNC(on_drm_event), d, NULL);
	attach(d->events, d->ctx);
	watch_hotplug(d);
	return TRUE;
}

/* Everything of the card goes; the frames on screen are given back once
 * the card is closed (closing takes our framebuffers off the planes). */
static void close_output(HdmirtcDisplay *d, const char *why)
{
	int fd = d->out.fd;

	hdmirtc_source_clear(&d->events);
	hdmirtc_source_clear(&d->fence_watch);
	hdmirtc_source_clear(&d->hotplug);
	g_clear_pointer(&d->status_path, g_free);
	g_clear_pointer(&d->modes_path, g_free);
	g_clear_pointer(&d->modes, g_free);
	fail_all(d->snap_waiting, HDMIRTC_DISPLAY_ERROR_NOT_FOUND, why);
	fail_all(d->snap_inflight, HDMIRTC_DISPLAY_ERROR_NOT_FOUND, why);
	if (d->fence_fd >= 0)
		close(d->fence_fd);
	d->fence_fd = -1;
	if (fd >= 0) {
		while (d->n_imported)
			forget_imported(d, 0);
		for (guint i = 0; i < G_N_ELEMENTS(d->dumbs); i++)
			hdmirtc_dumb_buffer_destroy(fd, &d->dumbs[i]);
		hdmirtc_dumb_buffer_destroy(fd, &d->wb);
		if (d->mode_blob)
			drmModeDestroyPropertyBlob(fd, d->mode_blob);
	}
	hdmirtc_drm_output_close(&d->out);
	release_scanout(&d->shown);
	release_scanout(&d->pending);
	d->flip_pending = FALSE;
	d->mode_blob = 0;
	d->layout_valid = FALSE;
	d->wb_attached = FALSE;
	d->wb_mode = WB_UNTRIED;
	d->frame_w = d->frame_h = 0;
	INFO_SET(d, state, "waiting");
	INFO_SET(d, error, "%s", why);
	if (why[0])
		start_retrying(d);
}

HdmirtcDisplay *hdmirtc_display_new(const char *connector, GMainContext *ctx)
{
	HdmirtcDisplay *d = g_new0(HdmirtcDisplay, 1);

	d->ctx = g_main_context_ref(ctx);
	d->want = g_strdup(connector);
	d->out.fd = -1;
	d->fence_fd = -1;
	d->shown.dumb = d->pending.dumb = -1;
	d->snap_waiting = g_ptr_array_new();
	d->snap_inflight = g_ptr_array_new();
	g_mutex_init(&d->lock);
	g_strlcpy(d->info.state, "waiting", sizeof(d->info.state));
	if (!try_open(d)) {
		g_message("display %s: %s; looking again every %u s", connector, d->info.error, RETRY_MS / 1000);
		start_retrying(d);
	}
	return d;
}

void hdmirtc_display_free(HdmirtcDisplay *d)
{
	if (!d)
		return;
	hdmirtc_source_clear(&d->retry);
	hdmirtc_source_clear(&d->snapshot_timer);
	close_output(d, "");
	g_ptr_array_unref(d->snap_waiting);
	g_ptr_array_unref(d->snap_inflight);
	g_mutex_clear(&d->lock);
	g_main_context_unref(d->ctx);
	g_free(d->want);
	g_free(d);
}

gboolean hdmirtc_display_scans_out(HdmirtcDisplay *d, guint32 fourcc)
{
	return d->out.fd >= 0 && hdmirtc_drm_output_has_format(&d->out, fourcc);
}

void hdmirtc_display_get_info(HdmirtcDisplay *d, HdmirtcDisplayInfo *out)
{
	g_mutex_lock(&d->lock);
	*out = d->info;
	g_mutex_unlock(&d->lock);
}
