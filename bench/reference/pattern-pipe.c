/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pattern-pipe: hdmirtc's own test pattern (with its barcode) as raw I420
 * frames on stdout, at the configured rate, for the reference pipeline of
 * the benchmark (bench/reference/whep-gst.py reads them with fdsrc).  The
 * barcode's wall-clock time is stamped when a frame is painted, as in the
 * service, so a browser measures glass to glass the same way for both.
 *   pattern-pipe --width 1280 --height 720 --fps 30 | ... */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hdmirtc/capture.h"
#include "hdmirtc/frame.h"

typedef struct {
	GMainLoop *loop;
	int status;
	guint64 frames;
} PipeState;

static int write_all(int fd, const guint8 *p, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (gsize)n;
	}
	return 0;
}

/* Writes the visible part of each plane, row by row (strides may pad). */
static int write_frame(const HdmirtcFrame *frame)
{
	for (guint i = 0; i < frame->n_planes && i < 3; i++) {
		guint32 w = i ? frame->width / 2 : frame->width;
		guint32 h = i ? frame->height / 2 : frame->height;

		for (guint32 y = 0; y < h; y++) {
			int r = write_all(STDOUT_FILENO, frame->data[i] + (gsize)y * frame->stride[i], w);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void on_frame(HdmirtcCapture *cap, HdmirtcFrame *frame, gpointer user_data)
{
	PipeState *st = user_data;
	int r;

	(void)cap;
	if (frame->n_planes < 3 || !frame->data[0] || !frame->data[1] || !frame->data[2]) {
		g_printerr("pattern-pipe: frame without three CPU planes\n");
		st->status = 1;
		g_main_loop_quit(st->loop);
		return;
	}
	r = write_frame(frame);
	if (r < 0) {
		/* EPIPE: the reader went away, the normal way to end. */
		st->status = r == -EPIPE ? 0 : 1;
		if (r != -EPIPE)
			g_printerr("pattern-pipe: write: %s\n", g_strerror(-r));
		g_main_loop_quit(st->loop);
		return;
	}
	st->frames++;
}

static gboolean on_signal(gpointer user_data)
{
	g_main_loop_quit(((PipeState *)user_data)->loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	gint width = 1280, height = 720, fps = 30;
	GOptionEntry entries[] = {
		{ "width", 0, 0, G_OPTION_ARG_INT, &width, "picture width (multiple of 16)", "W" },
		{ "height", 0, 0, G_OPTION_ARG_INT, &height, "picture height (even)", "H" },
		{ "fps", 0, 0, G_OPTION_ARG_INT, &fps, "frames per second", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) octx = g_option_context_new("- test pattern as raw I420 on stdout");
	g_autoptr(GError) error = NULL;
	PipeState st = { 0 };
	HdmirtcCapture *cap;

	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &error)) {
		g_printerr("pattern-pipe: %s\n", error->message);
		return 2;
	}
	if (width <= 0 || height <= 0 || fps <= 0) {
		g_printerr("pattern-pipe: width, height and fps must be positive\n");
		return 2;
	}
	if (isatty(STDOUT_FILENO)) {
		g_printerr("pattern-pipe: stdout is a terminal; pipe it into a reader\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A whole 720p frame in the pipe at once where the system allows it. */
	(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
	cap = hdmirtc_capture_new_test_pattern(&(HdmirtcCaptureConfig){ (guint32)width, (guint32)height,
									(guint32)fps }, &error);
	if (!cap) {
		g_printerr("pattern-pipe: %s\n", error->message);
		return 2;
	}
	st.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, &st);
	g_unix_signal_add(SIGTERM, on_signal, &st);
	if (!hdmirtc_capture_start(cap, NULL, on_frame, &st, &error)) {
		g_printerr("pattern-pipe: %s\n", error->message);
		hdmirtc_capture_free(cap);
		g_main_loop_unref(st.loop);
		return 1;
	}
	g_main_loop_run(st.loop);
	hdmirtc_capture_free(cap);
	g_main_loop_unref(st.loop);
	g_printerr("pattern-pipe: %" G_GUINT64_FORMAT " frames written\n", st.frames);
	return st.status;
}
