/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The V4L2 HDMI bridge source and its signal state machine.  Everything
 * runs on the capture's context (the media thread): the event fd
 * (POLLPRI, V4L2_EVENT_SOURCE_CHANGE), the frame fd (POLLIN, only while
 * streaming) and a 1 s timer that polls V4L2_CID_DV_RX_POWER_PRESENT and
 * the DV timings for bridges whose interrupt line is not wired (common on
 * TC358743 boards), and sends the NO SIGNAL picture while there is no
 * signal.  Any change: stop, re-query, reallocate, restart; never exit.
 * A device that goes away (USB bridge pulled, driver unbound or unloaded)
 * is let go of and looked for again: WAITING_DEVICE until it is back. */
#include "v4l2-private.h"
#include "hdmirtc/gsource.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define DEFAULT_ALIGN 32
#define MAX_WIDTH 4096
#define MAX_HEIGHT 2160
#define POLL_INTERVAL_MS 1000
/* A driver registers its nodes one after the other: look for the bridge
 * again once /dev has been quiet this long. */
#define DEVICE_SETTLE_MS 50

typedef struct {
	HdmirtcCapture base;
	HdmirtcV4l2Config cfg;          /* device and edid point into fields below */
	char *device;
	HdmirtcEdid *edid;
	HdmirtcV4l2Device dev;
	HdmirtcV4l2Buffers *bufs;       /* non-NULL while streaming */
	HdmirtcV4l2Format fmt;
	struct v4l2_dv_timings timings;
	GSource *event_source;
	GSource *frame_source;
	GSource *timer;
	/* While the device is gone (dev.fd < 0 after a start): /dev watched
	 * for its return, and the settle timer of the next look. */
	GSource *dev_watch;
	GSource *settle;
	int inotify_fd;
	gint64 returned_us;             /* first new node in /dev since it went */
	HdmirtcFramePool *pool;         /* I420: NO SIGNAL picture and conversions */
	guint64 next_seq;
	gint64 signal_lost_us;          /* when the last stream stopped, 0 = recovered */
	gboolean logged_failure;
	gint convert;                   /* atomic: convert frames to I420 */
	GMutex info_lock;               /* guards info (read from any thread) */
	HdmirtcCaptureSignalInfo info;
} V4l2Source;

static const HdmirtcCaptureImpl v4l2_impl;

static V4l2Source *from_base(HdmirtcCapture *cap)
{
	return (V4l2Source *)((char *)cap - G_STRUCT_OFFSET(V4l2Source, base));
}

/* reason NULL = the signal's usual one. */
static void set_signal(V4l2Source *s, HdmirtcCaptureSignal signal, const char *reason)
{
	HdmirtcCaptureSignal old;
	gboolean new_reason;

	if (!reason)
		reason = hdmirtc_capture_signal_to_reason(signal);
	g_mutex_lock(&s->info_lock);
	old = s->info.signal;
	new_reason = strcmp(s->info.reason, reason) != 0;
	s->info.signal = signal;
	g_strlcpy(s->info.reason, reason, sizeof(s->info.reason));
	if (signal != HDMIRTC_CAPTURE_SIGNAL_STREAMING)
		s->info.width = s->info.height = s->info.refresh_mhz = s->info.bytesperline = 0;
	g_mutex_unlock(&s->info_lock);
	if (old != signal || new_reason)
		g_message("%s: signal %s -> %s: %s", s->base.description,
		          hdmirtc_capture_signal_to_string(old), hdmirtc_capture_signal_to_string(signal),
		          reason);
	hdmirtc_capture_set_state(&s->base, signal == HDMIRTC_CAPTURE_SIGNAL_STREAMING ?
	                          HDMIRTC_CAPTURE_STATE_STREAMING : HDMIRTC_CAPTURE_STATE_NO_SIGNAL);
}


static void send_no_signal_picture(V4l2Source *s)
{
	HdmirtcCaptureSignal signal = s->info.signal;
	char reason[sizeof(s->info.reason)];

	g_mutex_lock(&s->info_lock);
	g_strlcpy(reason, s->info.reason, sizeof(reason));
	g_mutex_unlock(&s->info_lock);
	hdmirtc_capture_deliver_no_signal(&s->base, &s->pool, &s->next_seq,
	                                  signal == HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE ? "OUT OF RANGE" :
	                                  signal == HDMIRTC_CAPTURE_SIGNAL_NO_SYNC ? "NO SYNC" : "NO SIGNAL",
	                                  reason);
}

static void stop_streaming(V4l2Source *s)
{
	hdmirtc_source_clear(&s->frame_source);
	if (s->bufs) {
		hdmirtc_capture_flush_tap(&s->base);
		hdmirtc_v4l2_buffers_stop(g_steal_pointer(&s->bufs));
		s->signal_lost_us = g_get_monotonic_time();
	}
}

static void enter_no_signal(V4l2Source *s, HdmirtcCaptureSignal why, const char *reason)
{
	HdmirtcCaptureSignal was = s->info.signal;

	stop_streaming(s);
	set_signal(s, why, reason);
	if (was != why)
		send_no_signal_picture(s);      /* at once, then from the timer */
}

static gboolean on_frame_ready(gint fd, GIOCondition cond, gpointer data);
static void device_gone(V4l2Source *s, const char *how);

static gboolean timings_usable(const struct v4l2_dv_timings *t)
{
	return t->type == V4L2_DV_BT_656_1120 && t->bt.width >= 64 && t->bt.height >= 64 &&
	       t->bt.width <= MAX_WIDTH && t->bt.height <= MAX_HEIGHT && !t->bt.interlaced;
}

static guint32 consumer_stride(guint32 drm, guint32 w, guint32 h, gpointer data)
{
	V4l2Source *s = data;

	return s->cfg.stride_func ? s->cfg.stride_func(drm, w, h, s->cfg.stride_data) : 0;
}

static guint timings_fps(const struct v4l2_dv_timings *t)
{
	return (hdmirtc_v4l2_refresh_mhz(t) + 500) / 1000;
}

/* NULL, or why the link cannot carry these timings (known lanes only:
 * unknown lanes are learnt from the receiver's refusal). */
static char *lane_shortage(V4l2Source *s, guint32 w, guint32 h)
{
	guint need = hdmirtc_csi_lanes_needed(&s->info.link, w, h, timings_fps(&s->timings));

	if (s->info.link.lanes == 0 || need <= s->info.link.lanes || !s->dev.csi_bridge)
		return NULL;
	return hdmirtc_csi_advice(&s->info.link, w, h, timings_fps(&s->timings));
}

/* With prefer, the display's format first where the device has it; else
 * (or then) the usual order. */
static gboolean set_format(V4l2Source *s, guint align, gboolean prefer, GError **error)
{
	guint32 w = s->timings.bt.width, h = s->timings.bt.height;

	if (prefer && !s->cfg.fourcc && s->cfg.prefer_fourcc &&
	    hdmirtc_v4l2_set_format(&s->dev, s->cfg.prefer_fourcc, w, h, align, consumer_stride, s, &s->fmt, NULL))
		return TRUE;
	return hdmirtc_v4l2_set_format(&s->dev, s->cfg.fourcc, w, h, align, consumer_stride, s, &s->fmt, error);
}

static gboolean allocate(V4l2Source *s, GError **error)
{
	s->bufs = hdmirtc_v4l2_buffers_new(&s->dev, &s->fmt,
	                                   s->cfg.n_buffers ? s->cfg.n_buffers : HDMIRTC_V4L2_DEFAULT_BUFFERS,
	                                   s->base.context, error);
	return s->bufs != NULL;
}

/* FALSE with *why set when the signal is fine but cannot be captured:
 * then *signal says how to show it. */
static gboolean start_streaming(V4l2Source *s, HdmirtcCaptureSignal *signal, char **why,
                                GError **error)
{
	guint align = s->cfg.bytesperline_align ? s->cfg.bytesperline_align : DEFAULT_ALIGN;
	int r = hdmirtc_v4l2_apply_timings(&s->dev, &s->timings);

	*signal = HDMIRTC_CAPTURE_SIGNAL_NO_SYNC;
	if (r < 0 && r != -ENOTTY) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_SYNC,
		            "%s: VIDIOC_S_DV_TIMINGS: %s", s->dev.ctrl_path, g_strerror(-r));
		return FALSE;
	}
	*why = lane_shortage(s, s->timings.bt.width, s->timings.bt.height);
	if (*why) {
		*signal = HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE;
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_SYNC, "%s", *why);
		return FALSE;
	}
	if (!set_format(s, align, TRUE, error)) {
		/* Said on the NO SIGNAL picture and in the status: a format
		 * asked for in the configuration that the device lacks. */
		*signal = HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE;
		*why = g_strdup((*error)->message);
		return FALSE;
	}
	/* The display's format may want more memory than there is (XRGB8888
	 * is twice UYVY; contiguous buffers over 4 MiB need CMA): the usual
	 * one then, which the display copies. */
	if (!allocate(s, error) && !s->cfg.fourcc && s->fmt.drm_fourcc == s->cfg.prefer_fourcc) {
		g_message("%s: no %.4s buffers (%s): asking for the usual format", s->base.description,
		          (const char *)&s->fmt.drm_fourcc, (*error)->message);
		g_clear_error(error);
		if (set_format(s, align, FALSE, error))
			allocate(s, error);
	}
	if (!s->bufs)
		return FALSE;
	r = hdmirtc_v4l2_buffers_start(s->bufs);
	if (r < 0) {
		/* rp1-cfe and unicam refuse a mode needing more lanes than the
		 * device tree grants with EINVAL at STREAMON. */
		HdmirtcCsiLink link = s->info.link;
		guint need;

		link.bits_per_pixel = hdmirtc_csi_bits_for(s->fmt.drm_fourcc);
		need = hdmirtc_csi_lanes_needed(&link, s->fmt.width, s->fmt.height, timings_fps(&s->timings));
		if (r == -EINVAL && s->dev.csi_bridge && need > 1 && (link.lanes == 0 || need > link.lanes)) {
			*signal = HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE;
			*why = hdmirtc_csi_advice(&link, s->fmt.width, s->fmt.height, timings_fps(&s->timings));
		}
		hdmirtc_v4l2_buffers_stop(g_steal_pointer(&s->bufs));
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
		            "%s: VIDIOC_STREAMON: %s%s", s->dev.path, g_strerror(-r),
		            r == -EPIPE ? " (formats differ along the media pipeline)" : "");
		return FALSE;
	}
	atomic_store(&s->base.buffers_allocated, hdmirtc_v4l2_buffers_count(s->bufs));
	s->frame_source = g_unix_fd_source_new(s->dev.fd, G_IO_IN | G_IO_ERR);
	g_source_set_callback(s->frame_source, G_SOURCE_FUNC(on_frame_ready), s, NULL);
	g_source_attach(s->frame_source, s->base.context);
	return TRUE;
}

static void publish_stream_info(V4l2Source *s)
{
	g_mutex_lock(&s->info_lock);
	s->info.width = s->fmt.width;
	s->info.height = s->fmt.height;
	s->info.refresh_mhz = hdmirtc_v4l2_refresh_mhz(&s->timings);
	s->info.fourcc = s->fmt.drm_fourcc;
	s->info.bytesperline = s->fmt.bytesperline;
	s->info.restarts++;
	g_mutex_unlock(&s->info_lock);
}

/* Looks at the input and streams if it can; else NO_SIGNAL (etc.) with
 * the picture.  Failures to start are logged once per episode. */
static void try_stream(V4l2Source *s)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *why = NULL;
	HdmirtcCaptureSignal signal;
	gboolean was_streaming = s->bufs != NULL;
	int r;

	stop_streaming(s);
	r = hdmirtc_v4l2_query_timings(&s->dev, &s->timings);
	if (r == -ENODEV) {
		device_gone(s, "VIDIOC_QUERY_DV_TIMINGS");
		return;
	}
	if (r < 0) {
		enter_no_signal(s, hdmirtc_capture_signal_from_errno(r), NULL);
		return;
	}
	if (!timings_usable(&s->timings)) {
		why = g_strdup_printf("%ux%u%s is out of range: use up to %ux%u, progressive",
		                      s->timings.bt.width, s->timings.bt.height,
		                      s->timings.bt.interlaced ? "i" : "", MAX_WIDTH, MAX_HEIGHT);
		enter_no_signal(s, HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE, why);
		return;
	}
	/* A recovery is timed from when the input became usable again: the
	 * time the source was unplugged is not ours.  A restart while
	 * streaming (resolution change) counts from the stop. */
	if (!was_streaming && s->signal_lost_us)
		s->signal_lost_us = g_get_monotonic_time();
	if (!start_streaming(s, &signal, &why, &error)) {
		if (!s->logged_failure)
			g_warning("%s: cannot stream: %s", s->base.description, error->message);
		s->logged_failure = TRUE;
		enter_no_signal(s, signal, why);
		return;
	}
	s->logged_failure = FALSE;
	publish_stream_info(s);
	g_message("%s: streaming %ux%u@%u.%02u %.4s", s->base.description, s->fmt.width,
	          s->fmt.height, hdmirtc_v4l2_refresh_mhz(&s->timings) / 1000,
	          hdmirtc_v4l2_refresh_mhz(&s->timings) % 1000 / 10, (const char *)&s->fmt.drm_fourcc);
	set_signal(s, HDMIRTC_CAPTURE_SIGNAL_STREAMING, NULL);
}

static void restart(V4l2Source *s, const char *why)
{
	g_message("%s: %s: restarting capture", s->base.description, why);
	g_mutex_lock(&s->info_lock);
	s->info.signal_changes++;
	g_mutex_unlock(&s->info_lock);
	try_stream(s);
}

static gboolean on_event(gint fd, GIOCondition cond, gpointer data);
static gboolean open_device(V4l2Source *s, GError **error);

static void watch_events(V4l2Source *s)
{
	s->event_source = g_unix_fd_source_new(s->dev.ctrl_fd, G_IO_PRI);
	g_source_set_callback(s->event_source, G_SOURCE_FUNC(on_event), s, NULL);
	g_source_attach(s->event_source, s->base.context);
}

static gboolean device_is_gone(const V4l2Source *s)
{
	return s->dev.fd < 0;
}

static void stop_watching_dev(V4l2Source *s)
{
	hdmirtc_source_clear(&s->settle);
	hdmirtc_source_clear(&s->dev_watch);
	if (s->inotify_fd >= 0)
		close(s->inotify_fd);
	s->inotify_fd = -1;
}

/* Looks for the bridge again, and streams when it is back. */
static void reopen_device(V4l2Source *s)
{
	g_autoptr(GError) error = NULL;

	if (!open_device(s, &error)) {
		hdmirtc_v4l2_device_close(&s->dev);
		if (!s->logged_failure)
			g_message("%s: still waiting for the capture device: %s", s->base.description,
			          error->message);
		s->logged_failure = TRUE;
		return;
	}
	stop_watching_dev(s);
	s->logged_failure = FALSE;
	g_message("%s: the capture device is back: %s", s->base.description, s->dev.path);
	watch_events(s);
	try_stream(s);
	/* Its recovery counts from the node's return, not from this look. */
	if (s->bufs && s->returned_us)
		s->signal_lost_us = s->returned_us;
	s->returned_us = 0;
}

static gboolean on_settled(gpointer data)
{
	V4l2Source *s = data;

	/* The dispatch holds its own reference. */
	g_source_unref(g_steal_pointer(&s->settle));
	reopen_device(s);
	return G_SOURCE_REMOVE;
}

static gboolean is_v4l_node(const char *name)
{
	return g_str_has_prefix(name, "video") || g_str_has_prefix(name, "v4l-subdev") ||
	       g_str_has_prefix(name, "media");
}

static gboolean on_dev_changed(gint fd, GIOCondition cond, gpointer data)
{
	V4l2Source *s = data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	gboolean ours = FALSE;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			ours |= ev->len > 0 && is_v4l_node(ev->name);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (ours) {
		if (!s->returned_us)
			s->returned_us = g_get_monotonic_time();
		hdmirtc_source_clear(&s->settle);
		s->settle = g_timeout_source_new(DEVICE_SETTLE_MS);
		g_source_set_callback(s->settle, on_settled, s, NULL);
		g_source_attach(s->settle, s->base.context);
	}
	return G_SOURCE_CONTINUE;
}

/* New nodes in /dev bring the next look at once; the 1 s tick is the
 * fallback (and the only way where /dev cannot be watched). */
static void watch_dev(V4l2Source *s)
{
	s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->inotify_fd < 0 || inotify_add_watch(s->inotify_fd, "/dev", IN_CREATE | IN_ATTRIB) < 0) {
		g_message("%s: cannot watch /dev (%s): looking for the device every second",
		          s->base.description, g_strerror(errno));
		stop_watching_dev(s);
		return;
	}
	s->dev_watch = g_unix_fd_source_new(s->inotify_fd, G_IO_IN);
	g_source_set_callback(s->dev_watch, G_SOURCE_FUNC(on_dev_changed), s, NULL);
	g_source_attach(s->dev_watch, s->base.context);
}

/* The device went away (USB bridge pulled, driver unbound or unloaded):
 * its ioctls answer ENODEV from now on.  Every descriptor is closed, so
 * the driver can be unloaded and its nodes reused; viewers keep the NO
 * SIGNAL picture with the reason until the bridge is found again. */
static void device_gone(V4l2Source *s, const char *how)
{
	g_autofree char *reason = g_strdup_printf("The capture device %s is gone: waiting for it",
	                                          s->dev.path);

	g_warning("%s: %s answered ENODEV: the device is gone; waiting for it to come back",
	          s->base.description, how);
	stop_streaming(s);
	hdmirtc_source_clear(&s->event_source);
	hdmirtc_v4l2_device_close(&s->dev);
	s->returned_us = 0;
	s->logged_failure = FALSE;
	watch_dev(s);
	set_signal(s, HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL, reason);
	hdmirtc_capture_set_state(&s->base, HDMIRTC_CAPTURE_STATE_WAITING_DEVICE);
	send_no_signal_picture(s);
}

static gboolean same_timings(const struct v4l2_dv_timings *a, const struct v4l2_dv_timings *b)
{
	return a->bt.width == b->bt.width && a->bt.height == b->bt.height &&
	       a->bt.pixelclock == b->bt.pixelclock &&
	       V4L2_DV_BT_FRAME_WIDTH(&a->bt) == V4L2_DV_BT_FRAME_WIDTH(&b->bt) &&
	       V4L2_DV_BT_FRAME_HEIGHT(&a->bt) == V4L2_DV_BT_FRAME_HEIGHT(&b->bt);
}

static gboolean on_event(gint fd, GIOCondition cond, gpointer data)
{
	V4l2Source *s = data;
	struct v4l2_event ev;
	gboolean changed = FALSE;
	int r;

	while (memset(&ev, 0, sizeof(ev)), (r = hdmirtc_v4l2_ioctl(fd, VIDIOC_DQEVENT, &ev)) == 0)
		if (ev.type == V4L2_EVENT_SOURCE_CHANGE)
			changed = TRUE;
	/* An unregistered node polls ERR|HUP|PRI for good: without this
	 * the source would be dispatched in a busy loop. */
	if (r == -ENODEV) {
		device_gone(s, "VIDIOC_DQEVENT");
		return G_SOURCE_CONTINUE;
	}
	if (changed)
		restart(s, "source change event");
	return G_SOURCE_CONTINUE;
}

/* For the audio thread, which opens the bridge's sound card at the rate
 * the HDMI source sends. */
static void read_hdmi_audio(V4l2Source *s)
{
	guint32 rate;
	gboolean present;

	hdmirtc_v4l2_hdmi_audio(&s->dev, &rate, &present);
	g_mutex_lock(&s->info_lock);
	if (rate != s->info.audio_rate || present != s->info.audio_present)
		g_message("%s: HDMI audio %s, %u Hz", s->base.description, present ? "present" : "absent", rate);
	s->info.audio_rate = rate;
	s->info.audio_present = present;
	g_mutex_unlock(&s->info_lock);
}

/* The 1 s tick: a missed interrupt must not leave us stuck. */
static gboolean on_tick(gpointer data)
{
	V4l2Source *s = data;
	struct v4l2_dv_timings now;
	int power, r;

	if (device_is_gone(s)) {
		reopen_device(s);
		if (device_is_gone(s))
			send_no_signal_picture(s);
		return G_SOURCE_CONTINUE;
	}
	power = hdmirtc_v4l2_power_present(&s->dev);
	if (power == -ENODEV) {
		device_gone(s, "the +5V control");
		return G_SOURCE_CONTINUE;
	}
	read_hdmi_audio(s);
	if (!s->bufs) {
		if (power != 0)
			try_stream(s);
		if (!s->bufs)
			send_no_signal_picture(s);
		return G_SOURCE_CONTINUE;
	}
	if (power == 0) {
		restart(s, "+5V gone");
		return G_SOURCE_CONTINUE;
	}
	r = hdmirtc_v4l2_query_timings(&s->dev, &now);
	if (r == -ENODEV)
		device_gone(s, "VIDIOC_QUERY_DV_TIMINGS");
	else if (r < 0 || !same_timings(&now, &s->timings))
		restart(s, r < 0 ? "signal lost (polled)" : "timings changed (polled)");
	return G_SOURCE_CONTINUE;
}

static HdmirtcFrame *convert_to_i420(V4l2Source *s, HdmirtcFrame *in)
{
	HdmirtcFrame *out = hdmirtc_convert_to_i420(&s->pool, in);

	if (!out)
		return NULL;
	g_mutex_lock(&s->info_lock);
	s->info.bytes_copied += out->bytes_copied;
	g_mutex_unlock(&s->info_lock);
	return out;
}

static void deliver_v4l2_frame(V4l2Source *s, HdmirtcFrame *f)
{
	if (s->signal_lost_us) {
		gint64 took = g_get_monotonic_time() - s->signal_lost_us;

		g_message("%s: recovered in %" G_GINT64_FORMAT " ms", s->base.description, took / 1000);
		g_mutex_lock(&s->info_lock);
		s->info.last_recovery_us = took;
		g_mutex_unlock(&s->info_lock);
		s->signal_lost_us = 0;
	}
	f->colour = s->fmt.colour;
	if (g_atomic_int_get(&s->convert) && f->fourcc != DRM_FORMAT_YUV420) {
		HdmirtcFrame *conv = convert_to_i420(s, f);

		if (conv)
			conv->seq = s->next_seq++;
		else
			atomic_fetch_add_explicit(&s->base.frames_no_buffer, 1, memory_order_relaxed);
		hdmirtc_capture_deliver_converted(&s->base, f, conv);
		return;
	}
	f->seq = s->next_seq++;
	hdmirtc_capture_deliver(&s->base, f);
}

static gboolean on_frame_ready(gint fd, GIOCondition cond, gpointer data)
{
	V4l2Source *s = data;
	HdmirtcFrame *latest = NULL, *f;
	int r;

	/* Deliver only the newest ready buffer: older ones are late. */
	while ((r = hdmirtc_v4l2_buffers_dequeue(s->bufs, &f)) == 0) {
		if (latest) {
			atomic_fetch_add_explicit(&s->base.frames_skipped, 1, memory_order_relaxed);
			hdmirtc_frame_unref(latest);
		}
		latest = f;
	}
	if (latest)
		deliver_v4l2_frame(s, latest);
	if (r == -ENODEV)
		device_gone(s, "VIDIOC_DQBUF");
	else if (r != -EAGAIN && s->bufs)
		restart(s, r == -EPIPE ? "stream broken (EPIPE)" : g_strerror(-r));
	return G_SOURCE_CONTINUE;
}

static gboolean v4l2_start(HdmirtcCapture *cap, GError **error)
{
	V4l2Source *s = from_base(cap);

	watch_events(s);
	s->timer = g_timeout_source_new(POLL_INTERVAL_MS);
	g_source_set_callback(s->timer, on_tick, s, NULL);
	g_source_attach(s->timer, cap->context);
	s->signal_lost_us = g_get_monotonic_time();
	try_stream(s);
	return TRUE;
}

static void v4l2_stop(HdmirtcCapture *cap)
{
	V4l2Source *s = from_base(cap);

	stop_streaming(s);
	hdmirtc_source_clear(&s->event_source);
	hdmirtc_source_clear(&s->timer);
	stop_watching_dev(s);
	g_mutex_lock(&s->info_lock);
	s->info.signal = HDMIRTC_CAPTURE_SIGNAL_NONE;
	g_mutex_unlock(&s->info_lock);
}

static void v4l2_destroy(HdmirtcCapture *cap)
{
	V4l2Source *s = from_base(cap);

	hdmirtc_v4l2_device_close(&s->dev);
	hdmirtc_frame_pool_unref(s->pool);
	hdmirtc_edid_free(s->edid);
	g_free(s->device);
	g_mutex_clear(&s->info_lock);
	hdmirtc_capture_clear(cap);
	g_free(s);
}

/* Capture context.  The receiver pulls hotplug low and high again, so
 * the computer reads the new EDID; the signal machinery then sees the
 * source change like any other. */
static void v4l2_set_edid(HdmirtcCapture *cap, HdmirtcEdid *edid)
{
	V4l2Source *s = from_base(cap);
	g_autoptr(GError) error = NULL;
	g_autofree char *description = hdmirtc_edid_describe(edid);

	gboolean done;

	g_mutex_lock(&s->info_lock);
	hdmirtc_edid_free(s->edid);
	s->edid = edid;
	g_mutex_unlock(&s->info_lock);
	if (device_is_gone(s)) {
		g_message("%s: EDID kept for when the capture device is back: %s", s->base.description,
		          description);
		return;
	}
	done = hdmirtc_v4l2_set_edid(&s->dev, s->edid, &error);
	if (!done && s->bufs) {
		/* Some receivers (vivid; unicam without a media graph) refuse
		 * a new EDID while streaming (EBUSY): stop, set, restart. */
		g_clear_error(&error);
		stop_streaming(s);
		done = hdmirtc_v4l2_set_edid(&s->dev, s->edid, &error);
		restart(s, "new EDID");
	}
	if (!done)
		g_warning("%s: %s", s->base.description, error->message);
	else
		g_message("%s: EDID set on %s: %s", s->base.description, s->dev.ctrl_path, description);
}

static void v4l2_get_signal_info(HdmirtcCapture *cap, HdmirtcCaptureSignalInfo *out);

static void v4l2_reconfigure(HdmirtcCapture *cap)
{
	if (from_base(cap)->bufs)
		restart(from_base(cap), "the frames' consumer changed");
}

static void v4l2_set_convert(HdmirtcCapture *cap, gboolean on)
{
	g_atomic_int_set(&from_base(cap)->convert, on);
}

static const HdmirtcCaptureImpl v4l2_impl = {
	.name = "v4l2",
	.start = v4l2_start,
	.stop = v4l2_stop,
	.set_edid = v4l2_set_edid,
	.set_convert_to_i420 = v4l2_set_convert,
	.get_signal_info = v4l2_get_signal_info,
	.reconfigure = v4l2_reconfigure,
	.destroy = v4l2_destroy,
};

/* The current input must take DV timings: an HDMI input, not a webcam. */
static gboolean check_dv_input(V4l2Source *s, GError **error)
{
	struct v4l2_dv_timings t;
	int r = hdmirtc_v4l2_ioctl(s->dev.ctrl_fd, VIDIOC_G_DV_TIMINGS, &t);

	if (r == -ENOTTY || r == -ENODATA) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE,
		            "%s: no DV timings: not an HDMI input%s", s->dev.ctrl_path,
		            s->dev.subdev_read_only ? " (and the bridge's subdevice is read-only)" : "");
		return FALSE;
	}
	return TRUE;
}

/* The bridge and its path: searched, or the one whose capture node the
 * configuration names (so its subdev and links are still set up). */
static gboolean find_bridge(V4l2Source *s, HdmirtcBridgeInfo *bridge, GError **error)
{
	if (!s->device || !*s->device) {
		if (!hdmirtc_capture_find_bridge(TRUE, bridge, error))
			return FALSE;
		g_message("HDMI bridge: \"%s\" (%s) on %s (%s), video %s%s%s", bridge->bridge_entity,
		          bridge->bridge_reason, bridge->media_device, bridge->driver, bridge->video_node,
		          bridge->subdev_node[0] ? ", subdev " : "", bridge->subdev_node);
		return TRUE;
	}
	if (!hdmirtc_capture_find_bridge(FALSE, bridge, NULL) ||
	    strcmp(bridge->video_node, s->device) != 0) {
		memset(bridge, 0, sizeof(*bridge));
		g_strlcpy(bridge->video_node, s->device, sizeof(bridge->video_node));
	}
	return TRUE;
}

/* The format set_format asks the bridge for first: the configured one,
 * the screen's where the bridge's bus carries it, else UYVY.  Its bits per
 * pixel decide which modes the lanes carry (the EDID offers only those). */
static guint32 first_format_asked(V4l2Source *s)
{
	if (s->cfg.fourcc)
		return s->cfg.fourcc;
	if (s->cfg.prefer_fourcc && hdmirtc_v4l2_mbus_code(s->cfg.prefer_fourcc))
		return s->cfg.prefer_fourcc;
	return DRM_FORMAT_UYVY;
}

static gboolean open_device(V4l2Source *s, GError **error)
{
	HdmirtcBridgeInfo bridge = { 0 };
	HdmirtcCsiLink link;
	g_autofree char *edid_desc = NULL;
	int r;

	if (!find_bridge(s, &bridge, error) ||
	    !hdmirtc_v4l2_device_open(&s->dev, bridge.video_node, &bridge, error))
		return FALSE;
	/* Before anything that could change the signal: an event reaches
	 * only handles already subscribed. */
	r = hdmirtc_v4l2_subscribe_events(&s->dev);
	if (r < 0)
		g_message("%s: no SOURCE_CHANGE events (%s): polling only", s->dev.ctrl_path,
		          g_strerror(-r));
	/* Read from other threads once started (the device can come back). */
	hdmirtc_csi_link_read(bridge.subdev_node, s->dev.ctrl_fd, s->cfg.csi_lanes, &link);
	link.bits_per_pixel = hdmirtc_csi_bits_for(first_format_asked(s));
	g_mutex_lock(&s->info_lock);
	g_strlcpy(s->info.device, s->dev.path, sizeof(s->info.device));
	g_strlcpy(s->info.subdev, bridge.subdev_node, sizeof(s->info.subdev));
	s->info.link = link;
	g_mutex_unlock(&s->info_lock);
	if (bridge.subdev_node[0])
		g_message("%s: CSI-2 link: %u lanes (%s), %u Mbit/s per lane (%s)", bridge.bridge_entity,
		          link.lanes, link.lanes ? link.lanes_from : "unknown",
		          hdmirtc_csi_lane_mbps(&link), link.frequency_from);
	if (!s->edid)
		s->edid = hdmirtc_edid_new_for_link(&s->info.link);
	if (!check_dv_input(s, error) || !hdmirtc_v4l2_set_edid(&s->dev, s->edid, error))
		return FALSE;
	edid_desc = hdmirtc_edid_describe(s->edid);
	g_message("%s: EDID set on %s: %s", s->dev.path, s->dev.ctrl_path, edid_desc);
	return TRUE;
}

HdmirtcCapture *hdmirtc_capture_new_v4l2(const HdmirtcCaptureConfig *cfg,
                                         const HdmirtcV4l2Config *v4l2, GError **error)
{
	HdmirtcV4l2Config defaults = { 0 };
	V4l2Source *s;

	g_return_val_if_fail(cfg != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!v4l2)
		v4l2 = &defaults;
	s = g_new0(V4l2Source, 1);
	g_mutex_init(&s->info_lock);
	s->cfg = *v4l2;
	s->device = g_strdup(v4l2->device);
	s->cfg.device = NULL;
	s->cfg.edid = NULL;
	if (v4l2->edid)
		s->edid = hdmirtc_edid_new_from_data(hdmirtc_edid_get_data(v4l2->edid, NULL),
		                                     hdmirtc_edid_get_info(v4l2->edid)->n_blocks *
		                                     HDMIRTC_EDID_BLOCK_SIZE, NULL);
	s->convert = v4l2->convert_to_i420;
	s->dev.fd = s->dev.ctrl_fd = -1;
	s->inotify_fd = -1;
	s->info.last_recovery_us = -1;
	hdmirtc_capture_init(&s->base, &v4l2_impl, cfg, g_strdup("v4l2 HDMI"));
	if (!open_device(s, error)) {
		v4l2_destroy(&s->base);
		return NULL;
	}
	g_free(s->base.description);
	s->base.description = g_strdup_printf("v4l2 HDMI %s", s->dev.path);
	return &s->base;
}

HdmirtcEdid *hdmirtc_capture_dup_edid(HdmirtcCapture *cap)
{
	V4l2Source *s;
	HdmirtcEdid *copy;
	gsize size;
	const guint8 *data;

	g_return_val_if_fail(cap != NULL, NULL);
	if (cap->impl != &v4l2_impl)
		return NULL;
	s = from_base(cap);
	g_mutex_lock(&s->info_lock);
	data = s->edid ? hdmirtc_edid_get_data(s->edid, &size) : NULL;
	copy = data ? hdmirtc_edid_new_from_data(data, size, NULL) : NULL;
	g_mutex_unlock(&s->info_lock);
	return copy;
}



static void v4l2_get_signal_info(HdmirtcCapture *cap, HdmirtcCaptureSignalInfo *out)
{
	V4l2Source *s = from_base(cap);

	g_mutex_lock(&s->info_lock);
	*out = s->info;
	g_mutex_unlock(&s->info_lock);
}
