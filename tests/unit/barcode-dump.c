/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test helper for tests/browser/barcode.test.mjs: writes pictures with
 * barcodes painted by the C code, for the JS reader to check.
 *
 *   barcode-dump OUTDIR [WIDTH HEIGHT FRAMES KBPS]
 *
 * OUTDIR/stream.h264  test pattern frames encoded with x264 (Annex-B)
 * OUTDIR/stream.json  [{"counter":N,"monoUs":"N","wallUs":"N"}, ...] per AU
 * OUTDIR/raw.y        luma planes (stride WIDTH + 32, barcode rows high)
 *                     painted with edge values
 * OUTDIR/raw.json     {"width","height","stride","codes":[...]} for raw.y
 * 64-bit values are JSON strings so that no precision is lost. */
#include "hdmirtc/barcode.h"
#include "hdmirtc/capture.h"
#include "hdmirtc/encoder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	HdmirtcEncoder *enc;
	FILE *h264;
	GString *json;
	guint frames;
	guint wanted;
	int error;
} Dump;

static void append_code(GString *json, guint32 counter, gint64 mono, gint64 wall)
{
	g_string_append_printf(json, "%s{\"counter\":%u,\"monoUs\":\"%" G_GINT64_FORMAT "\","
	                       "\"wallUs\":\"%" G_GINT64_FORMAT "\"}",
	                       json->len > 1 ? ",\n" : "", counter, mono, wall);
}

static void on_au(HdmirtcEncoder *enc, HdmirtcAccessUnit *au, gpointer user_data)
{
	Dump *d = user_data;

	if (fwrite(au->data, 1, au->size, d->h264) != au->size)
		d->error = -EIO;
	append_code(d->json, (guint32)au->seq, au->capture_mono_us, au->capture_wall_us);
}

static void on_frame(HdmirtcCapture *cap, HdmirtcFrame *frame, gpointer user_data)
{
	Dump *d = user_data;

	if (d->frames >= d->wanted)
		return;
	if (hdmirtc_encoder_encode(d->enc, frame, on_au, d) < 0)
		d->error = -EIO;
	d->frames++;
}

static gboolean write_stream(const char *dir, guint w, guint h, guint n, guint kbps, GError **error)
{
	HdmirtcCaptureConfig ccfg = { w, h, 120 };
	HdmirtcEncoderConfig ecfg = { w, h, 30, kbps, 300, 66, 0xc0, 0 };
	g_autofree char *path = g_build_filename(dir, "stream.h264", NULL);
	g_autofree char *json_path = g_build_filename(dir, "stream.json", NULL);
	GMainContext *ctx = g_main_context_new();
	Dump d = { .wanted = n, .json = g_string_new("[") };
	HdmirtcCapture *cap = NULL;
	gboolean ok = FALSE;

	d.enc = hdmirtc_encoder_new(HDMIRTC_ENCODER_X264, NULL, &ecfg, error);
	cap = d.enc ? hdmirtc_capture_new_test_pattern(&ccfg, error) : NULL;
	d.h264 = cap ? fopen(path, "wb") : NULL;
	if (cap && !d.h264)
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot write %s", path);
	if (d.h264 && hdmirtc_capture_start(cap, ctx, on_frame, &d, error)) {
		while (d.frames < d.wanted && d.error == 0)
			g_main_context_iteration(ctx, TRUE);
		g_string_append(d.json, "]\n");
		ok = fclose(d.h264) == 0 && d.error == 0 &&
		     g_file_set_contents(json_path, d.json->str, -1, error);
		d.h264 = NULL;
	}
	if (d.h264)
		fclose(d.h264);
	hdmirtc_capture_free(cap);
	hdmirtc_encoder_free(d.enc);
	g_string_free(d.json, TRUE);
	g_main_context_unref(ctx);
	return ok;
}

static const HdmirtcBarcode raw_codes[] = {
	{ 0, 0, 0 },
	{ G_MAXUINT32, (G_GINT64_CONSTANT(1) << 53) - 1, (G_GINT64_CONSTANT(1) << 53) - 1 },
	{ 0x80000001u, -1, -123456789 },
	{ 123456, G_MAXINT64, G_MININT64 },
	{ 1, 987654321012, 1767225600000001 },
};

static gboolean write_raw(const char *dir, guint w, GError **error)
{
	guint rows = hdmirtc_barcode_rows(w), stride = w + 32;
	gsize plane = (gsize)stride * rows, n = G_N_ELEMENTS(raw_codes);
	g_autofree guint8 *buf = g_malloc(plane * n);
	g_autofree char *path = g_build_filename(dir, "raw.y", NULL);
	g_autofree char *json_path = g_build_filename(dir, "raw.json", NULL);
	GString *json = g_string_new("[");
	g_autofree char *meta = NULL;
	gboolean ok;

	memset(buf, 77, plane * n);
	for (gsize i = 0; i < n; i++) {
		hdmirtc_barcode_paint(buf + i * plane, stride, w, rows, &raw_codes[i]);
		append_code(json, raw_codes[i].counter, raw_codes[i].mono_us, raw_codes[i].wall_us);
	}
	meta = g_strdup_printf("{\"width\":%u,\"height\":%u,\"stride\":%u,\"codes\":%s]}\n", w, rows,
	                       stride, json->str);
	ok = g_file_set_contents(path, (const char *)buf, (gssize)(plane * n), error) &&
	     g_file_set_contents(json_path, meta, -1, error);
	g_string_free(json, TRUE);
	return ok;
}

int main(int argc, char **argv)
{
	GError *error = NULL;
	guint w = 640, h = 360, n = 30, kbps = 1500;

	if (argc != 2 && argc != 6) {
		fprintf(stderr, "usage: %s OUTDIR [WIDTH HEIGHT FRAMES KBPS]\n", argv[0]);
		return 2;
	}
	if (argc == 6) {
		w = (guint)atoi(argv[2]);
		h = (guint)atoi(argv[3]);
		n = (guint)atoi(argv[4]);
		kbps = (guint)atoi(argv[5]);
	}
	if (!write_stream(argv[1], w, h, n, kbps, &error) || !write_raw(argv[1], w, &error)) {
		fprintf(stderr, "barcode-dump: %s\n", error ? error->message : "write failed");
		g_clear_error(&error);
		return 1;
	}
	return 0;
}
