/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Kernel tests of the V4L2 HDMI source against vivid (HDMI input) in the
 * QEMU VM of tests/kernel/run.sh.  TAP output (GLib test). */
#include "hdmirtc/capture.h"
#include "hdmirtc/encoder.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUT_DIR "/mnt/host/out"

static char video_node[64];

typedef struct {
	GMainContext *ctx;
	guint frames, v4l2_frames, picture_frames;
	guint32 last_w, last_h, last_fourcc;
	int last_dmabuf;
	guint64 last_seq;
	gint64 last_mono;
	guint seq_errors, ts_errors, dmabuf_errors;
	HdmirtcEncoder *enc;
	FILE *h264;
	guint aus;
	gboolean cpu_frames;             /* converted to I420: no DMA-BUF */
	guint64 last_copied;             /* bytes_copied of the last frame */
	guint conv_frames;               /* frames carrying their I420 conversion's size */
	guint64 au_copy_errors;          /* AUs whose bytes_copied misses the frame's */
	/* Recovery seen from outside: mark_us when the input was changed,
	 * first_us when the first driver frame (mark_w wide, 0 = any) came. */
	gint64 mark_us, first_us;
	guint32 mark_w;
} Sink;

static void on_au(HdmirtcEncoder *enc, HdmirtcAccessUnit *au, gpointer data)
{
	Sink *s = data;

	if (s->h264)
		fwrite(au->data, 1, au->size, s->h264);
	/* the I420 conversion of the source frame, then x264's output copy */
	if (au->bytes_copied != s->last_copied + au->size)
		s->au_copy_errors++;
	s->aus++;
}

static void on_frame(HdmirtcCapture *cap, HdmirtcFrame *f, gpointer data)
{
	Sink *s = data;
	struct stat st;

	if (s->frames && f->seq <= s->last_seq)
		s->seq_errors++;
	if (f->dmabuf_fd >= 0) {
		s->v4l2_frames++;
		if (f->capture_mono_us < s->last_mono || f->capture_mono_us > g_get_monotonic_time())
			s->ts_errors++;
		if (fstat(f->dmabuf_fd, &st) < 0 || !f->data[0] || f->bytes_copied)
			s->dmabuf_errors++;
		if (s->mark_us && !s->first_us && (!s->mark_w || f->width == s->mark_w))
			s->first_us = g_get_monotonic_time();
		s->last_mono = f->capture_mono_us;
	} else if (f->fourcc == DRM_FORMAT_YUV420 && f->data[0]) {
		s->picture_frames++;
		if (f->bytes_copied == (guint64)f->width * f->height * 3 / 2)
			s->conv_frames++;
		if (s->cpu_frames && s->mark_us && !s->first_us && f->bytes_copied &&
		    (!s->mark_w || f->width == s->mark_w))
			s->first_us = g_get_monotonic_time();
	}
	s->frames++;
	s->last_seq = f->seq;
	s->last_w = f->width;
	s->last_h = f->height;
	s->last_fourcc = f->fourcc;
	s->last_dmabuf = f->dmabuf_fd;
	s->last_copied = f->bytes_copied;
	if (s->enc)
		g_assert_cmpint(hdmirtc_encoder_encode(s->enc, f, on_au, s), ==, 0);
}

/* Runs ctx until cond() or timeout_ms; TRUE if cond() became true. */
static gboolean run_until(GMainContext *ctx, gboolean (*cond)(gpointer), gpointer data,
                          guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (!cond(data)) {
		if (g_get_monotonic_time() > end)
			return FALSE;
		g_main_context_iteration(ctx, FALSE);
		g_usleep(2000);
	}
	return TRUE;
}

/* ------------------------------------------------------------------ vivid controls by name */
static guint32 ctrl_id(int fd, const char *name)
{
	struct v4l2_query_ext_ctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND };

	while (ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
		if (strcmp(q.name, name) == 0)
			return q.id;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	}
	return 0;
}

static int set_ctrl(const char *name, int value)
{
	int fd = open(video_node, O_RDWR);
	struct v4l2_control c = { .id = ctrl_id(fd, name), .value = value };
	int r;

	g_assert_cmpuint(c.id, !=, 0);
	r = ioctl(fd, VIDIOC_S_CTRL, &c) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Index of the first "DV Timings" menu item starting with prefix. */
static int timings_index(const char *prefix)
{
	int fd = open(video_node, O_RDWR);
	struct v4l2_querymenu m = { .id = ctrl_id(fd, "DV Timings") };
	int found = -1;

	for (m.index = 0; m.index < 64 && found < 0; m.index++)
		if (ioctl(fd, VIDIOC_QUERYMENU, &m) == 0 && g_str_has_prefix((char *)m.name, prefix))
			found = (int)m.index;
	close(fd);
	return found;
}

enum { MODE_CURRENT = 0, MODE_NO_SIGNAL = 1, MODE_NO_LOCK = 2, MODE_OUT_OF_RANGE = 3,
       MODE_SELECTED = 4 };

/* ------------------------------------------------------------------ helpers */
static HdmirtcCapture *new_capture(Sink *s, gboolean i420, guint32 fourcc)
{
	HdmirtcCaptureConfig cfg = { 640, 360, 30 };
	HdmirtcV4l2Config v = { .device = NULL, .convert_to_i420 = i420, .fourcc = fourcc };
	g_autoptr(GError) error = NULL;
	HdmirtcCapture *cap;

	memset(s, 0, sizeof(*s));
	s->last_dmabuf = -1;
	s->ctx = g_main_context_new();
	s->cpu_frames = i420;
	cap = hdmirtc_capture_new_v4l2(&cfg, &v, &error);
	g_assert_no_error(error);
	g_assert_true(hdmirtc_capture_start(cap, s->ctx, on_frame, s, &error));
	g_assert_no_error(error);
	return cap;
}

static void free_capture(Sink *s, HdmirtcCapture *cap)
{
	hdmirtc_capture_free(cap);
	while (g_main_context_iteration(s->ctx, FALSE))
		;
	g_main_context_unref(s->ctx);
}

typedef struct {
	HdmirtcCapture *cap;
	Sink *sink;
	guint frames_at_least;
	HdmirtcCaptureSignal want;
	guint32 width;
} Wait;

static gboolean reached(gpointer data)
{
	Wait *w = data;
	HdmirtcCaptureSignalInfo info;

	hdmirtc_capture_get_signal_info(w->cap, &info);
	if (info.signal != w->want || w->sink->frames < w->frames_at_least)
		return FALSE;
	if (w->want == HDMIRTC_CAPTURE_SIGNAL_STREAMING)
		return (w->sink->cpu_frames || w->sink->last_dmabuf >= 0) &&
		       (!w->width || w->sink->last_w == w->width);
	return w->sink->last_dmabuf < 0;
}

static gboolean wait_for(HdmirtcCapture *cap, Sink *s, HdmirtcCaptureSignal want, guint32 width,
                         guint more_frames)
{
	Wait w = { cap, s, s->frames + more_frames, want, width };

	return run_until(s->ctx, reached, &w, 20000);
}

/* ------------------------------------------------------------------ tests */
static void test_find_bridge(void)
{
	HdmirtcBridgeInfo info;
	g_autoptr(GError) error = NULL;

	g_assert_false(hdmirtc_capture_find_bridge(FALSE, &info, &error));
	g_assert_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE);
	g_clear_error(&error);
	g_assert_true(hdmirtc_capture_find_bridge(TRUE, &info, &error));
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(info.video_node, "/dev/video"));
	g_strlcpy(video_node, info.video_node, sizeof(video_node));
	g_test_message("HDMI input: %s", video_node);
}

static void test_edid(void)
{
	g_autoptr(HdmirtcEdid) def = hdmirtc_edid_new_default();
	guint8 back[256] = { 0 };
	struct v4l2_edid e = { .pad = 0, .start_block = 0, .blocks = 2, .edid = back };
	Sink s;
	HdmirtcCapture *cap = new_capture(&s, FALSE, 0);
	int fd = open(video_node, O_RDWR);

	g_assert_cmpint(ioctl(fd, VIDIOC_G_EDID, &e), ==, 0);
	g_assert_cmpuint(e.blocks, ==, 2);
	g_assert_cmpmem(back, 256, hdmirtc_edid_get_data(def, NULL), 256);
	close(fd);
	free_capture(&s, cap);
}

static void test_stream_dmabuf(void)
{
	Sink s;
	HdmirtcCapture *cap = new_capture(&s, FALSE, 0);
	HdmirtcCaptureSignalInfo info;
	HdmirtcCaptureStatus st;

	g_assert_cmpint(set_ctrl("DV Timings Signal Mode", MODE_CURRENT), ==, 0);
	g_assert_true(wait_for(cap, &s, HDMIRTC_CAPTURE_SIGNAL_STREAMING, 0, 10));
	hdmirtc_capture_get_signal_info(cap, &info);
	hdmirtc_capture_get_status(cap, &st);
	g_test_message("streaming %ux%u@%u mHz fourcc %.4s, %u frames", info.width, info.height,
	               info.refresh_mhz, (char *)&info.fourcc, s.frames);
	g_assert_cmpuint(st.state, ==, HDMIRTC_CAPTURE_STATE_STREAMING);
	g_assert_cmpuint(info.width, ==, s.last_w);
	g_assert_cmpuint(info.height, ==, s.last_h);
	g_assert_cmphex(s.last_fourcc, ==, DRM_FORMAT_UYVY);
	g_assert_cmpuint(info.bytes_copied, ==, 0);
	g_assert_cmpuint(s.seq_errors, ==, 0);
	g_assert_cmpuint(s.ts_errors, ==, 0);
	g_assert_cmpuint(s.dmabuf_errors, ==, 0);
	g_assert_cmpuint(st.buffers_allocated, >=, 2);
	free_capture(&s, cap);
}

static void test_signal_reasons(void)
{
	static const struct { int mode; HdmirtcCaptureSignal want; } steps[] = {
		{ MODE_NO_SIGNAL, HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL },
		{ MODE_CURRENT, HDMIRTC_CAPTURE_SIGNAL_STREAMING },
		{ MODE_NO_LOCK, HDMIRTC_CAPTURE_SIGNAL_NO_SYNC },
		{ MODE_CURRENT, HDMIRTC_CAPTURE_SIGNAL_STREAMING },
		{ MODE_OUT_OF_RANGE, HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE },
		{ MODE_CURRENT, HDMIRTC_CAPTURE_SIGNAL_STREAMING },
	};
	Sink s;
	HdmirtcCapture *cap = new_capture(&s, FALSE, 0);

	g_assert_true(wait_for(cap, &s, HDMIRTC_CAPTURE_SIGNAL_STREAMING, 0, 1));
	for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
		g_assert_cmpint(set_ctrl("DV Timings Signal Mode", steps[i].mode), ==, 0);
		if (!wait_for(cap, &s, steps[i].want, 0, 1))
			g_error("step %u: no %s", i, hdmirtc_capture_signal_to_string(steps[i].want));
		g_test_message("mode %d -> %s (%s)", steps[i].mode,
		               hdmirtc_capture_signal_to_string(steps[i].want),
		               hdmirtc_capture_signal_to_reason(steps[i].want));
	}
	g_assert_cmpuint(s.picture_frames, >=, 3);
	g_assert_cmpuint(s.seq_errors, ==, 0);
	free_capture(&s, cap);
}

static void mark(Sink *s, guint32 width)
{
	s->mark_w = width;
	s->first_us = 0;
	s->mark_us = g_get_monotonic_time();
}

static void append_external(Sink *s, GArray *times)
{
	gint64 took = s->first_us ? s->first_us - s->mark_us : -1;

	g_assert_cmpint(took, >, 0);
	g_array_append_val(times, took);
	s->mark_us = 0;
}

static guint env_count(const char *name, guint def)
{
	const char *v = g_getenv(name);

	return v ? (guint)g_ascii_strtoull(v, NULL, 10) : def;
}

static int compare_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

static void record_recoveries(const char *name, GArray *times)
{
	g_autofree char *path = g_strdup_printf(OUT_DIR "/%s.txt", name);
	FILE *f = fopen(path, "w");

	g_array_sort(times, compare_i64);
	if (f) {
		for (guint i = 0; i < times->len; i++)
			fprintf(f, "%" G_GINT64_FORMAT "\n", g_array_index(times, gint64, i));
		fclose(f);
	}
	g_test_message("%s: %u recoveries, median %" G_GINT64_FORMAT " us, max %" G_GINT64_FORMAT " us",
	               name, times->len, g_array_index(times, gint64, times->len / 2),
	               g_array_index(times, gint64, times->len - 1));
}

static void test_loss_return_cycles(void)
{
	guint n = env_count("KT_CYCLES", 100);
	g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GArray) ext = g_array_new(FALSE, FALSE, sizeof(gint64));
	HdmirtcCaptureSignalInfo info;
	Sink s;
	HdmirtcCapture *cap = new_capture(&s, FALSE, 0);

	g_assert_true(wait_for(cap, &s, HDMIRTC_CAPTURE_SIGNAL_STREAMING, 0, 1));
	for (guint i = 0; i < n; i++) {
		g_assert_cmpint(set_ctrl("DV Timings Signal Mode", MODE_NO_SIGNAL), ==, 0);
		if (!wait_for(cap, &s, HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL, 0, 1))
			g_error("cycle %u: signal loss not seen", i);
		mark(&s, 0);
		g_assert_cmpint(set_ctrl("DV Timings Signal Mode", MODE_CURRENT), ==, 0);
		if (!wait_for(cap, &s, HDMIRTC_CAPTURE_SIGNAL_STREAMING, 0, 1))
			g_error("cycle %u: no recovery", i);
		hdmirtc_capture_get_signal_info(cap, &info);
		g_array_append_val(times, info.last_recovery_us);
		append_external(&s, ext);
	}
	hdmirtc_capture_get_signal_info(cap, &info);
	g_assert_cmpuint(info.signal_changes, >=, 2 * n);
	g_assert_cmpuint(s.seq_errors, ==, 0);
	record_recoveries("recovery-signal", times);
	record_recoveries("recovery-signal-external", ext);
	free_capture(&s, cap);
}

static void test_resolution_changes(void)
{
	guint n = env_count("KT_RESCHANGES", 20);
	int idx720 = timings_index("1280x720p"), idx1080 = timings_index("1920x1080p");
	g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GArray) ext = g_array_new(FALSE, FALSE, sizeof(gint64));
	HdmirtcCaptureSignalInfo info;
	Sink s;
	HdmirtcCapture *cap;

	g_assert_cmpint(idx720, >=, 0);
	g_assert_cmpint(idx1080, >=, 0);
	cap = new_capture(&s, FALSE, 0);
	g_assert_cmpint(set_ctrl("DV Timings", idx720), ==, 0);
	g_assert_cmpint(set_ctrl("DV Timings Signal Mode", MODE_SELECTED), ==, 0);
	g_assert_true(wait_for(cap, &s, HDMIRTC_CAPTURE_SIGNAL_STREAMING, 1280, 1));
	for (guint i = 0; i < n; i++) {
		guint32 w = i % 2 ? 1280 : 1920;

		mark(&s, w);
		g_assert_cmpint(set_ctrl("DV Timings", w == 1280 ? idx720 : idx1080), ==, 0);
		if (!wait_for(cap, &s, HDMIRTC_CAPTURE_SIGNAL_STREAMING, w, 2))
			g_error("change %u: no %u-wide frames", i, w);
		hdmirtc_capture_get_signal_info(cap, &info);
		g_assert_cmpuint(info.width, ==, w);
		g_array_append_val(times, info.last_recovery_us);
		append_external(&s, ext);
	}
	g_assert_cmpint(set_ctrl("DV Timings Signal Mode", MODE_CURRENT), ==, 0);
	record_recoveries("recovery-resolution", times);
	record_recoveries("recovery-resolution-external", ext);
	free_capture(&s, cap);
}

/* UYVY -> I420 conversion (counted) -> x264 -> a file the host decodes. */
static void test_x264_stream(void)
{
	HdmirtcEncoderConfig ec = { 1280, 720, 30, 2000, 30, HDMIRTC_H264_PROFILE_BASELINE, 0, 0 };
	g_autoptr(GError) error = NULL;
	HdmirtcCaptureSignalInfo info;
	Sink s;
	HdmirtcCapture *cap = new_capture(&s, TRUE, 0);

	s.enc = hdmirtc_encoder_new(HDMIRTC_ENCODER_X264, NULL, &ec, &error);
	g_assert_no_error(error);
	s.h264 = fopen(OUT_DIR "/vivid-x264.h264", "wb");
	g_assert_nonnull(s.h264);
	g_assert_true(wait_for(cap, &s, HDMIRTC_CAPTURE_SIGNAL_STREAMING, 0, 30));
	hdmirtc_capture_get_signal_info(cap, &info);
	g_assert_cmpuint(info.bytes_copied, >=, (guint64)30 * 1280 * 720 * 3 / 2);
	g_assert_cmpuint(s.aus, >=, 30);
	g_assert_cmpuint(s.conv_frames, >=, 30);         /* each converted frame says so */
	g_assert_cmpuint(s.au_copy_errors, ==, 0);      /* and its AU carries it */
	g_test_message("x264: %u AUs, %" G_GUINT64_FORMAT " bytes copied by the I420 conversion",
	               s.aus, info.bytes_copied);
	fclose(s.h264);
	free_capture(&s, cap);
	hdmirtc_encoder_free(s.enc);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kernel/v4l2/find-bridge", test_find_bridge);
	g_test_add_func("/kernel/v4l2/edid-set-get", test_edid);
	g_test_add_func("/kernel/v4l2/stream-dmabuf", test_stream_dmabuf);
	g_test_add_func("/kernel/v4l2/signal-reasons", test_signal_reasons);
	g_test_add_func("/kernel/v4l2/loss-return-cycles", test_loss_return_cycles);
	g_test_add_func("/kernel/v4l2/resolution-changes", test_resolution_changes);
	g_test_add_func("/kernel/v4l2/x264-stream", test_x264_stream);
	return g_test_run();
}
