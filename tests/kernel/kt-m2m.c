/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Kernel tests of the V4L2 M2M encoder with vicodec (a real stateful M2M
 * encoder; FWHT, not H.264) fed by vivid's HDMI capture buffers imported
 * as DMA-BUF: zero copy between two real drivers.  The H.264 controls
 * (profile, level, REPEAT_SEQ_HEADER, FORCE_KEY_FRAME) cannot be proven
 * here: vicodec has none of them. */
#include "hdmirtc/capture.h"
#include "hdmirtc/encoder.h"

#include <drm_fourcc.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FWHT_MAGIC 0x4f4f4f4f

typedef struct {
	HdmirtcEncoder *enc;
	FILE *out;
	guint frames, dmabuf_frames, aus, bad_magic, copies, enc_errors;
	guint32 last_w, last_h;
	guint64 au_bytes;
} Chain;

static void on_au(HdmirtcEncoder *enc, HdmirtcAccessUnit *au, gpointer data)
{
	Chain *c = data;
	guint32 magic = 0;

	if (au->size >= 4)
		memcpy(&magic, au->data, 4);
	if (magic != FWHT_MAGIC)
		c->bad_magic++;
	/* The coded frame is copied out of its CAPTURE buffer; nothing else. */
	if (au->bytes_copied != au->size)
		c->copies++;
	c->aus++;
	c->au_bytes += au->size;
	c->last_w = au->width;
	c->last_h = au->height;
	fwrite(au->data, 1, au->size, c->out);
}

static void on_frame(HdmirtcCapture *cap, HdmirtcFrame *f, gpointer data)
{
	Chain *c = data;

	c->frames++;
	if (f->dmabuf_fd < 0)
		return;                 /* the NO SIGNAL picture has no DMA-BUF */
	c->dmabuf_frames++;
	int r = hdmirtc_encoder_encode(c->enc, f, on_au, c);

	if (r < 0 && c->enc_errors++ < 3)
		g_test_message("encode of %ux%u frame %" G_GUINT64_FORMAT ": %s", f->width, f->height,
		               f->seq, g_strerror(-r));
}

static int set_vivid_ctrl(const char *dev, const char *name, int value)
{
	struct v4l2_query_ext_ctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	int fd = open(dev, O_RDWR), r = -1;

	while (ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
		if (strcmp(q.name, name) == 0) {
			struct v4l2_control c = { .id = q.id, .value = value };

			r = ioctl(fd, VIDIOC_S_CTRL, &c);
			break;
		}
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	close(fd);
	return r;
}

static int menu_index(const char *dev, const char *prefix)
{
	struct v4l2_query_ext_ctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	int fd = open(dev, O_RDWR), found = -1;

	while (ioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0 && strcmp(q.name, "DV Timings") != 0)
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	for (guint i = 0; i < 64 && found < 0; i++) {
		struct v4l2_querymenu m = { .id = q.id, .index = i };

		if (ioctl(fd, VIDIOC_QUERYMENU, &m) == 0 && g_str_has_prefix((char *)m.name, prefix))
			found = (int)i;
	}
	close(fd);
	return found;
}

static void run_for(GMainContext *ctx, Chain *c, guint aus, guint32 width)
{
	gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
	guint target = c->aus + aus;

	while ((c->aus < target || (width && c->last_w != width)) && g_get_monotonic_time() < end) {
		g_main_context_iteration(ctx, FALSE);
		g_usleep(1000);
	}
}

static void test_find(void)
{
	char path[64];

	g_assert_false(hdmirtc_encoder_find_m2m(0, path, sizeof(path)));   /* no H.264 here */
	g_assert_true(hdmirtc_encoder_find_m2m(V4L2_PIX_FMT_FWHT, path, sizeof(path)));
	g_test_message("vicodec encoder found by capability: %s", path);
}

/* The capture allocates with the stride the encoder reads with. */
static guint32 encoder_stride(guint32 drm, guint32 w, guint32 h, gpointer data)
{
	Chain *c = data;

	return hdmirtc_encoder_input_bytesperline(c->enc, drm, w, h);
}

static void test_vivid_to_vicodec(void)
{
	HdmirtcCaptureConfig cc = { 640, 360, 30 };
	HdmirtcV4l2Config vc = { .fourcc = DRM_FORMAT_YUV420 };
	HdmirtcEncoderConfig ec = { 1280, 720, 30, 2000, 30, HDMIRTC_H264_PROFILE_BASELINE, 0, 0 };
	HdmirtcM2mConfig mc = { .coded_fourcc = V4L2_PIX_FMT_FWHT };
	g_autoptr(GError) error = NULL;
	HdmirtcCaptureSignalInfo info;
	HdmirtcEncoderStats st;
	GMainContext *ctx = g_main_context_new();
	Chain c = { 0 };
	HdmirtcCapture *cap;
	int idx720, idx480, idx1080;

	c.out = fopen("/mnt/host/out/vivid-vicodec.fwht", "wb");
	g_assert_nonnull(c.out);
	char path[64];

	g_assert_true(hdmirtc_encoder_find_m2m(V4L2_PIX_FMT_FWHT, path, sizeof(path)));
	mc.device = path;
	vc.stride_func = encoder_stride;
	vc.stride_data = &c;
	c.enc = hdmirtc_encoder_new_m2m(&ec, &mc, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(hdmirtc_encoder_name(c.enc), ==, "v4l2-m2m");
	cap = hdmirtc_capture_new_v4l2(&cc, &vc, &error);
	g_assert_no_error(error);
	hdmirtc_capture_get_signal_info(cap, &info);
	idx720 = menu_index(info.device, "1280x720p");
	idx480 = menu_index(info.device, "640x480p");
	idx1080 = menu_index(info.device, "1920x1080p");
	g_assert_cmpint(idx1080, >=, 0);
	g_assert_cmpint(set_vivid_ctrl(info.device, "DV Timings", idx720), ==, 0);
	g_assert_cmpint(set_vivid_ctrl(info.device, "DV Timings Signal Mode", 4), ==, 0);
	/* The M2M encoder's coded frames come out on the thread-default
	 * context of the encode calls, as on the service's media thread. */
	g_main_context_push_thread_default(ctx);
	g_assert_true(hdmirtc_capture_start(cap, ctx, on_frame, &c, &error));
	run_for(ctx, &c, 30, 1280);
	g_assert_cmpuint(c.aus, >=, 30);
	/* mid-stream resolution changes: the encoder is drained and rebuilt.
	 * 1080p: vicodec sizes I420 input for 1088
	 * lines and refuses a smaller DMA-BUF, so this needs the capture
	 * buffers made with VIDIOC_CREATE_BUFS for the aligned height. */
	g_assert_cmpint(set_vivid_ctrl(info.device, "DV Timings", idx1080), ==, 0);
	run_for(ctx, &c, 10, 1920);
	g_assert_cmpuint(c.last_w, ==, 1920);
	g_assert_cmpuint(c.last_h, ==, 1080);
	g_assert_cmpuint(c.enc_errors, ==, 0);
	g_assert_cmpint(set_vivid_ctrl(info.device, "DV Timings", idx480), ==, 0);
	run_for(ctx, &c, 10, 640);
	g_assert_cmpuint(c.last_w, ==, 640);
	hdmirtc_encoder_request_keyframe(c.enc);
	hdmirtc_encoder_set_bitrate(c.enc, 3000);
	run_for(ctx, &c, 5, 640);
	hdmirtc_capture_get_signal_info(cap, &info);
	hdmirtc_encoder_get_stats(c.enc, &st);
	g_test_message("%u frames (%u DMA-BUF), %u FWHT AUs, %" G_GUINT64_FORMAT " bytes, "
	               "capture copies %" G_GUINT64_FORMAT " bytes, AUs with more copied than their size %u, errors %u",
	               c.frames, c.dmabuf_frames, c.aus, c.au_bytes, info.bytes_copied, c.copies,
	               c.enc_errors);
	g_assert_cmpuint(info.bytes_copied, ==, 0);     /* zero CPU copies before the encoder */
	g_assert_cmpuint(c.copies, ==, 0);              /* and only the coded data after it */
	g_assert_cmpuint(c.bad_magic, ==, 0);
	g_assert_cmpuint(c.enc_errors, ==, 0);
	g_assert_cmpuint(st.frames_out, ==, c.aus);
	hdmirtc_capture_free(cap);
	hdmirtc_encoder_free(c.enc);                    /* drains what is inside (ENC_CMD_STOP) */
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	set_vivid_ctrl(info.device, "DV Timings Signal Mode", 0);
	fclose(c.out);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kernel/m2m/find-by-capability", test_find);
	g_test_add_func("/kernel/m2m/vivid-dmabuf-to-vicodec", test_vivid_to_vicodec);
	return g_test_run();
}
