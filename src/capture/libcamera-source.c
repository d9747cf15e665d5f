/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A camera through libcamera as a capture source (libcamera-camera.h does
 * the C++).  Frames are the camera's own buffers: their DMA-BUF for an
 * encoder that imports, mapped for one that reads (x264 through the I420
 * conversion when the camera gives another format).  libcamera finishes
 * buffers on its own thread and consumers release frames on theirs; both
 * only queue an event and wake the capture's context, where buffers are
 * delivered and given back to the camera (the rule of the V4L2 source).
 * A camera that is not there, or goes away, is waited for: the NO SIGNAL
 * picture meanwhile, and it is opened again once libcamera sees it. */
#include "capture-private.h"
#include "hdmirtc/gsource.h"
#include "libcamera-camera.h"
#include "hdmirtc/v4l2.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <glib-unix.h>
#include <linux/videodev2.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

/* The NO SIGNAL picture twice a second; the camera looked for every
 * second of them. */
#define NO_SIGNAL_MS 500
#define RETRY_TICKS 2
/* A camera that sends nothing for this long is taken as gone: libcamera
 * says so itself only through udevd's events, and a wedged sensor never
 * does. */
#define STALL_US (3 * G_USEC_PER_SEC)
#define WATCHDOG_MS 500
#define MAX_BUFFERS 16

typedef struct LibcameraSource LibcameraSource;
typedef struct Session Session;

/* A camera buffer: its mapping, and the frame it is delivered as. */
typedef struct {
	Session *session;
	guint index;
	int fd;                         /* the buffer's DMA-BUF (all its planes) */
	guint32 offset[HDMIRTC_CAMERA_MAX_PLANES];
	guint8 *map;
	gsize map_len;
	HdmirtcFrame frame;
} Slot;

/* One opened camera, shared by the source and the frames out: the last
 * reference (a consumer's frame after stop, say) closes it. */
struct Session {
	gatomicrefcount ref;
	HdmirtcCamera *camera;
	HdmirtcCameraFormat format;
	HdmirtcColour colour;           /* of every frame */
	int wake_fd;                    /* eventfd: events queued */
	GMutex lock;
	GArray *events;                 /* Event, under lock */
	gboolean gone;                  /* the camera went away; under lock */
	Slot buffers[MAX_BUFFERS];
};

typedef struct {
	guint buffer;
	gboolean released;              /* a frame came back; else the camera is done with it */
	gboolean ok;
	gint64 timestamp_ns;
} Event;

struct LibcameraSource {
	HdmirtcCapture base;
	char *camera_id;                /* NULL: the first camera */
	gint convert;                   /* atomic: deliver I420 for a CPU encoder */
	HdmirtcCaptureStrideFunc stride_func;
	gpointer stride_data;
	/* The encoder reads other lines than the camera's: no import. */
	gboolean stride_differs;
	Session *session;
	GSource *wake_source;
	GSource *watchdog;
	gint64 last_frame_us;
	GSource *retry;                 /* waiting for the camera: NO SIGNAL and reopen */
	guint retry_ticks;
	HdmirtcFramePool *pool;         /* I420: conversions and the NO SIGNAL picture */
	guint64 next_seq;
	char *waiting_reason;
	gint64 lost_us;                 /* when the camera went, 0 while it streams */
	GMutex info_lock;
	HdmirtcCaptureSignalInfo info;  /* under info_lock: for the status, any thread */
};

static const HdmirtcCaptureImpl libcamera_impl;

static LibcameraSource *from_base(HdmirtcCapture *cap)
{
	return (LibcameraSource *)((char *)cap - G_STRUCT_OFFSET(LibcameraSource, base));
}

static void session_unref(Session *s)
{
	if (!g_atomic_ref_count_dec(&s->ref))
		return;
	hdmirtc_camera_close(s->camera);
	for (guint i = 0; i < MAX_BUFFERS; i++)
		if (s->buffers[i].map)
			munmap(s->buffers[i].map, s->buffers[i].map_len);
	close(s->wake_fd);
	g_array_unref(s->events);
	g_mutex_clear(&s->lock);
	g_free(s);
}

static void push_event(Session *s, const Event *e)
{
	guint64 one = 1;

	g_mutex_lock(&s->lock);
	g_array_append_val(s->events, *e);
	g_mutex_unlock(&s->lock);
	if (write(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		g_warning("libcamera: waking the capture: %s", g_strerror(errno));
}

/* libcamera's thread. */
static void on_camera_done(guint buffer, gboolean ok, gint64 timestamp_ns, gpointer user_data)
{
	Event e = { .buffer = buffer, .ok = ok, .timestamp_ns = timestamp_ns };

	push_event(user_data, &e);
}

/* libcamera's thread. */
static void on_camera_gone(gpointer user_data)
{
	Session *s = user_data;
	Event e = { .buffer = G_MAXUINT };

	g_mutex_lock(&s->lock);
	s->gone = TRUE;
	g_mutex_unlock(&s->lock);
	push_event(s, &e);
}

/* Any thread: the last reference to a delivered frame. */
static void on_frame_release(HdmirtcFrame *frame, gpointer user_data)
{
	Slot *slot = user_data;
	Session *s = slot->session;
	Event e = { .buffer = slot->index, .released = TRUE };

	(void)frame;
	push_event(s, &e);
	session_unref(s);
}


/* The CPU's view of a buffer: one mapping of its DMA-BUF, planes at
 * their offsets (libcamera puts the planes of one buffer in one fd). */
static gboolean map_buffer(Session *s, guint i, GError **error)
{
	HdmirtcCameraPlane first = hdmirtc_camera_get_plane(s->camera, i, 0);
	HdmirtcCameraPlane last = hdmirtc_camera_get_plane(s->camera, i, s->format.n_planes - 1);
	gsize len = (gsize)last.offset + last.length;

	for (guint p = 1; p < s->format.n_planes; p++) {
		if (hdmirtc_camera_get_plane(s->camera, i, p).fd != first.fd) {
			g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
				    "libcamera: buffer %u has planes in several DMA-BUFs", i);
			return FALSE;
		}
	}
	s->buffers[i].map = mmap(NULL, len, PROT_READ, MAP_SHARED, first.fd, 0);
	if (s->buffers[i].map == MAP_FAILED) {
		s->buffers[i].map = NULL;
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
			    "libcamera: mapping buffer %u: %s", i, g_strerror(errno));
		return FALSE;
	}
	s->buffers[i].map_len = len;
	s->buffers[i].session = s;
	s->buffers[i].index = i;
	s->buffers[i].fd = first.fd;
	for (guint p = 0; p < s->format.n_planes; p++)
		s->buffers[i].offset[p] = hdmirtc_camera_get_plane(s->camera, i, p).offset;
	return TRUE;
}

/* A planar format's chroma strides follow its luma stride. */
static void fill_strides(HdmirtcCameraFormat *f)
{
	if (f->fourcc == DRM_FORMAT_YUV420 && f->n_planes == 3)
		f->stride[1] = f->stride[2] = f->stride[0] / 2;
	else if (f->fourcc == DRM_FORMAT_NV12 && f->n_planes == 2)
		f->stride[1] = f->stride[0];
}

static Session *open_session(LibcameraSource *src, GError **error)
{
	/* I420 first (x264 takes it as it is, so does an M2M encoder), then
	 * what an M2M encoder imports or the conversion reads. */
	static const guint32 fourccs[] = { DRM_FORMAT_YUV420, DRM_FORMAT_NV12, DRM_FORMAT_UYVY,
	                                   DRM_FORMAT_YUYV, DRM_FORMAT_BGR888 };
	const HdmirtcCaptureConfig *cfg = &src->base.config;
	Session *s = g_new0(Session, 1);

	g_atomic_ref_count_init(&s->ref);
	g_mutex_init(&s->lock);
	s->events = g_array_new(FALSE, FALSE, sizeof(Event));
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED, "eventfd: %s",
			    g_strerror(errno));
		session_unref(s);
		return NULL;
	}
	s->camera = hdmirtc_camera_open(src->camera_id, cfg->width, cfg->height, cfg->fps, fourccs,
	                                G_N_ELEMENTS(fourccs), on_camera_done, on_camera_gone, s, error);
	if (!s->camera) {
		session_unref(s);
		return NULL;
	}
	s->format = *hdmirtc_camera_get_format(s->camera);
	fill_strides(&s->format);
	/* RGB is made YUV by the conversion, with V4L2's meaning of sRGB
	 * (encoded as BT.601); YUV is what libcamera says of the stream, or
	 * without a word from it V4L2's default (BT.601 studio range). */
	if (s->format.fourcc == DRM_FORMAT_BGR888)
		s->colour = hdmirtc_colour_from_v4l2(V4L2_COLORSPACE_SRGB, V4L2_YCBCR_ENC_DEFAULT,
		                                     V4L2_QUANTIZATION_DEFAULT, V4L2_XFER_FUNC_DEFAULT);
	else if (s->format.colour.primaries)
		s->colour = s->format.colour;
	else
		s->colour = HDMIRTC_COLOUR_BT601_LIMITED;
	if (s->format.n_buffers > MAX_BUFFERS) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
			    "libcamera: %u buffers, at most %u taken", s->format.n_buffers, MAX_BUFFERS);
		session_unref(s);
		return NULL;
	}
	for (guint i = 0; i < s->format.n_buffers; i++) {
		if (!map_buffer(s, i, error)) {
			session_unref(s);
			return NULL;
		}
	}
	return s;
}

static void deliver(LibcameraSource *src, guint i, gint64 timestamp_ns)
{
	Session *s = src->session;
	Slot *slot = &s->buffers[i];
	HdmirtcFrame *f = &slot->frame;
	gint64 mono_us = timestamp_ns / 1000;

	hdmirtc_frame_init(f, on_frame_release, slot);
	g_atomic_ref_count_inc(&s->ref);
	f->width = s->format.width;
	f->height = s->format.height;
	f->fourcc = s->format.fourcc;
	f->n_planes = s->format.n_planes;
	for (guint p = 0; p < s->format.n_planes; p++) {
		f->data[p] = slot->map + slot->offset[p];
		f->stride[p] = s->format.stride[p];
	}
	f->dmabuf_fd = slot->fd;
	/* The sensor's CLOCK_MONOTONIC stamp; the wall clock by the offset
	 * between the two clocks now. */
	f->capture_mono_us = mono_us ? mono_us : g_get_monotonic_time();
	f->capture_wall_us = g_get_real_time() - (g_get_monotonic_time() - f->capture_mono_us);
	f->colour = s->colour;
	if (src->stride_differs)
		f->dmabuf_fd = -1;              /* the encoder copies what it cannot import */
	HdmirtcFrame *raw = f;

	if ((g_atomic_int_get(&src->convert) || src->stride_differs) && f->fourcc != DRM_FORMAT_YUV420) {
		f = hdmirtc_convert_to_i420(&src->pool, raw);
		if (!f) {
			atomic_fetch_add_explicit(&src->base.frames_no_buffer, 1, memory_order_relaxed);
			hdmirtc_capture_deliver_converted(&src->base, raw, NULL);
			return;
		}
		g_mutex_lock(&src->info_lock);
		src->info.bytes_copied += f->bytes_copied;
		g_mutex_unlock(&src->info_lock);
	}
	f->seq = src->next_seq++;
	src->last_frame_us = g_get_monotonic_time();
	if (src->lost_us) {
		gint64 took = src->last_frame_us - src->lost_us;

		g_message("%s: recovered in %" G_GINT64_FORMAT " ms", src->base.description, took / 1000);
		g_mutex_lock(&src->info_lock);
		src->info.last_recovery_us = took;
		g_mutex_unlock(&src->info_lock);
		src->lost_us = 0;
	}
	hdmirtc_capture_deliver_converted(&src->base, raw, f);
}

static void send_no_signal_picture(LibcameraSource *src)
{
	hdmirtc_capture_deliver_no_signal(&src->base, &src->pool, &src->next_seq, "NO SIGNAL", src->waiting_reason);
}

static void close_session(LibcameraSource *src)
{
	hdmirtc_source_clear(&src->wake_source);
	hdmirtc_source_clear(&src->watchdog);
	if (src->session) {
		hdmirtc_capture_flush_tap(&src->base);
		hdmirtc_camera_stop(src->session->camera);
		session_unref(g_steal_pointer(&src->session));
	}
}

static void wait_for_camera(LibcameraSource *src, const char *why);

static gboolean on_wake(gint fd, GIOCondition cond, gpointer data)
{
	LibcameraSource *src = data;
	Session *s = src->session;
	g_autoptr(GArray) events = NULL;
	guint64 n;
	gboolean gone;

	(void)cond;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		g_warning("libcamera: reading the wake-up: %s", g_strerror(errno));
	g_mutex_lock(&s->lock);
	events = g_steal_pointer(&s->events);
	s->events = g_array_new(FALSE, FALSE, sizeof(Event));
	gone = s->gone;
	g_mutex_unlock(&s->lock);
	if (gone) {
		wait_for_camera(src, "The camera is gone: waiting for it");     /* destroys this source */
		return G_SOURCE_REMOVE;
	}
	for (guint i = 0; i < events->len; i++) {
		const Event *e = &g_array_index(events, Event, i);

		if (e->buffer >= s->format.n_buffers)
			continue;
		if (e->ok && !e->released)
			deliver(src, e->buffer, e->timestamp_ns);
		else
			hdmirtc_camera_queue(s->camera, e->buffer);
	}
	return G_SOURCE_CONTINUE;
}

/* Capture context, with a session: whether the encoder can import the
 * camera's buffers as they are. */
static void check_stride(LibcameraSource *src)
{
	const HdmirtcCameraFormat *fmt = &src->session->format;
	guint32 want = src->stride_func ? src->stride_func(fmt->fourcc, fmt->width, fmt->height, src->stride_data) : 0;
	gboolean differs = want && want != fmt->stride[0];

	if (differs && !src->stride_differs)
		g_warning("%s: the camera's lines are %u bytes, the encoder reads %u: its frames are converted "
		          "to I420 and copied (libcamera gives the camera's own stride)", src->base.description,
		          fmt->stride[0], want);
	src->stride_differs = differs;
}

static void libcamera_reconfigure(HdmirtcCapture *cap)
{
	LibcameraSource *src = from_base(cap);

	if (src->session)
		check_stride(src);
}

static gboolean on_watchdog(gpointer data)
{
	LibcameraSource *src = data;

	if (g_get_monotonic_time() - src->last_frame_us < STALL_US)
		return G_SOURCE_CONTINUE;
	hdmirtc_camera_abandon(src->session->camera);
	wait_for_camera(src, "The camera sends no frames: opening it again");    /* destroys this source */
	return G_SOURCE_REMOVE;
}

static gboolean open_camera(LibcameraSource *src, GError **error)
{
	Session *s = open_session(src, error);

	if (!s)
		return FALSE;
	src->session = s;
	src->wake_source = g_unix_fd_source_new(s->wake_fd, G_IO_IN);
	g_source_set_callback(src->wake_source, G_SOURCE_FUNC(on_wake), src, NULL);
	g_source_attach(src->wake_source, src->base.context);
	if (!hdmirtc_camera_start(s->camera, error)) {
		close_session(src);
		return FALSE;
	}
	check_stride(src);
	src->last_frame_us = g_get_monotonic_time();
	src->watchdog = g_timeout_source_new(WATCHDOG_MS);
	g_source_set_callback(src->watchdog, on_watchdog, src, NULL);
	g_source_attach(src->watchdog, src->base.context);
	g_message("%s: camera %s, %ux%u %.4s, %u buffers, colour space %s (sent as %u/%u/%u%s)",
	          src->base.description, hdmirtc_camera_get_id(s->camera), s->format.width, s->format.height,
	          (const char *)&s->format.fourcc, s->format.n_buffers, s->format.colour_space,
	          s->colour.primaries, s->colour.transfer, s->colour.matrix, s->colour.full_range ? " full" : "");
	g_mutex_lock(&src->info_lock);
	src->info.signal = HDMIRTC_CAPTURE_SIGNAL_STREAMING;
	src->info.width = s->format.width;
	src->info.height = s->format.height;
	src->info.refresh_mhz = src->base.config.fps * 1000;
	src->info.fourcc = s->format.fourcc;
	src->info.bytesperline = s->format.stride[0];
	g_strlcpy(src->info.device, hdmirtc_camera_get_id(s->camera), sizeof(src->info.device));
	src->info.reason[0] = '\0';
	src->info.restarts += src->lost_us != 0;
	g_mutex_unlock(&src->info_lock);
	hdmirtc_capture_set_state(&src->base, HDMIRTC_CAPTURE_STATE_STREAMING);
	return TRUE;
}

static gboolean on_retry(gpointer data)
{
	LibcameraSource *src = data;
	g_autoptr(GError) error = NULL;

	send_no_signal_picture(src);
	if (++src->retry_ticks % RETRY_TICKS)
		return G_SOURCE_CONTINUE;
	if (!open_camera(src, &error))
		return G_SOURCE_CONTINUE;
	g_message("%s: the camera is back", src->base.description);
	g_clear_pointer(&src->retry, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void wait_for_camera(LibcameraSource *src, const char *why)
{
	close_session(src);
	g_free(src->waiting_reason);
	src->waiting_reason = g_strdup(why);
	g_message("%s: %s", src->base.description, why);
	if (!src->lost_us)
		src->lost_us = g_get_monotonic_time();
	g_mutex_lock(&src->info_lock);
	src->info.signal = HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL;
	src->info.width = src->info.height = src->info.refresh_mhz = src->info.bytesperline = 0;
	src->info.signal_changes++;
	g_strlcpy(src->info.reason, why, sizeof(src->info.reason));
	g_mutex_unlock(&src->info_lock);
	hdmirtc_capture_set_state(&src->base, HDMIRTC_CAPTURE_STATE_WAITING_DEVICE);
	send_no_signal_picture(src);
	if (!src->retry) {
		src->retry = g_timeout_source_new(NO_SIGNAL_MS);
		g_source_set_callback(src->retry, on_retry, src, NULL);
		g_source_attach(src->retry, src->base.context);
	}
}

static gboolean libcamera_start(HdmirtcCapture *cap, GError **error)
{
	LibcameraSource *src = from_base(cap);
	g_autoptr(GError) local = NULL;

	if (open_camera(src, &local))
		return TRUE;
	if (!g_error_matches(local, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE)) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	/* Not there yet (a USB camera plugged in later): wait, as for one
	 * that goes away. */
	wait_for_camera(src, local->message);
	return TRUE;
}

static void libcamera_stop(HdmirtcCapture *cap)
{
	LibcameraSource *src = from_base(cap);

	hdmirtc_source_clear(&src->retry);
	close_session(src);
	hdmirtc_capture_set_state(cap, HDMIRTC_CAPTURE_STATE_CLOSED);
}

static void libcamera_get_signal_info(HdmirtcCapture *cap, HdmirtcCaptureSignalInfo *out)
{
	LibcameraSource *src = from_base(cap);

	g_mutex_lock(&src->info_lock);
	*out = src->info;
	g_mutex_unlock(&src->info_lock);
}

static void libcamera_set_convert(HdmirtcCapture *cap, gboolean on)
{
	g_atomic_int_set(&from_base(cap)->convert, on);
}

static void libcamera_destroy(HdmirtcCapture *cap)
{
	LibcameraSource *src = from_base(cap);

	hdmirtc_frame_pool_unref(src->pool);
	g_mutex_clear(&src->info_lock);
	g_free(src->camera_id);
	g_free(src->waiting_reason);
	hdmirtc_capture_clear(cap);
	g_free(src);
}

static const HdmirtcCaptureImpl libcamera_impl = {
	.name = "libcamera",
	.start = libcamera_start,
	.stop = libcamera_stop,
	.set_convert_to_i420 = libcamera_set_convert,
	.get_signal_info = libcamera_get_signal_info,
	.reconfigure = libcamera_reconfigure,
	.destroy = libcamera_destroy,
};

HdmirtcCapture *hdmirtc_capture_new_libcamera(const HdmirtcCaptureConfig *cfg, const HdmirtcLibcameraConfig *lc,
                                              GError **error)
{
	LibcameraSource *src;

	if (cfg->fps < 1 || cfg->fps > 240) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
			    "fps must be 1..240 (got %u)", cfg->fps);
		return NULL;
	}
	src = g_new0(LibcameraSource, 1);
	hdmirtc_capture_init(&src->base, &libcamera_impl, cfg,
	                     g_strdup_printf("libcamera %s", lc->camera_id && *lc->camera_id ? lc->camera_id : "(first camera)"));
	src->camera_id = lc->camera_id && *lc->camera_id ? g_strdup(lc->camera_id) : NULL;
	g_mutex_init(&src->info_lock);
	src->info.last_recovery_us = -1;
	src->convert = lc->convert_to_i420;
	src->stride_func = lc->stride_func;
	src->stride_data = lc->stride_data;
	return &src->base;
}
