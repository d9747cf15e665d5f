/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host side of the Pi graph tests: decodes an Annex-B H.264 file that a
 * WebRTC receiver in the VM recorded and checks the picture the
 * tests/kernel/fakes/pi-capture stand-in painted:
 *   - the barcode at the top (hdmirtc/barcode.h) reads back and its
 *     counter advances from frame to frame (it starts again from 0 when
 *     the capture restarts, after NO SIGNAL pictures, which carry none);
 *   - the two white bars at x = W/4 and 3W/4 (16 px wide, on every row
 *     below the barcode except the macroblock rows of the moving box's
 *     band [H/2, H/2+32)) stand straight: a line read with the wrong
 *     stride shears them by whole pixels per line, putting black where a
 *     bar's middle was.  A bar is where it belongs when its middle is
 *     well over the black on both sides: x264's first frame at a low
 *     bitrate leaves it at luma ~140, not 235, and that is no shear (in
 *     one CI run the first frame of a 1360x768 picture had 156 between
 *     sides of 100 at both bars alike: 40 over them is enough, a sheared
 *     row has black or a bar's edge there).
 * Prints TAP lines "ok - ..." / "not ok - ..." (no numbers: run.sh adds
 * them to the guest's results).  run.sh first shows it the stand-in's
 * picture straight and spoiled (tests/kernel/paint-pi-picture.c).
 *
 *   check-picture FILE.h264 [MIN_FRAMES]
 * CHECK_PICTURE_DEBUG=1 lists every decoded frame's key flag and error
 * flags on stderr. */
#include <libavcodec/avcodec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdmirtc/barcode.h"

typedef struct {
	const char *name;
	guint frames, with_code, sheared, backwards;
	gboolean gap;                   /* a picture without barcode since the last one */
	guint32 first, last;
	guint width, height;
	char shear_note[160];
} Check;

/* Luma of the bars' middles and of the black on either side of them. */
static gboolean row_straight(const guint8 *row, guint w)
{
	guint xs[2] = { w / 4, 3 * w / 4 };

	for (guint i = 0; i < 2; i++) {
		guint left = xs[i] >= 4 ? row[xs[i] - 4] : 0;
		guint right = xs[i] + 20 < w ? row[xs[i] + 20] : 0;

		if (left > 100 || right > 100 || row[xs[i] + 8] < MAX(left, right) + 40)
			return FALSE;
	}
	return TRUE;
}

static void check_frame(Check *c, const AVFrame *f)
{
	HdmirtcBarcode code;
	guint top;

	c->frames++;
	if (getenv("CHECK_PICTURE_DEBUG"))
		fprintf(stderr, "frame %u: key %d error flags %d corrupt %d\n", c->frames,
		        f->key_frame, f->decode_error_flags,
		        !!(f->flags & AV_FRAME_FLAG_CORRUPT));
	c->width = (guint)f->width;
	c->height = (guint)f->height;
	if (!hdmirtc_barcode_read(f->data[0], (guint)f->linesize[0], (guint)f->width, (guint)f->height,
	                          &code)) {
		c->gap = TRUE;
		return;
	}
	if (c->with_code++ == 0)
		c->first = code.counter;
	else if (code.counter <= c->last && !c->gap)
		c->backwards++;
	c->gap = FALSE;
	c->last = code.counter;
	top = hdmirtc_barcode_rows((guint)f->width);
	for (guint y = top; y < (guint)f->height; y++) {
		if (y + 16 >= (guint)f->height / 2 && y < (guint)f->height / 2 + 48)
			continue;
		const guint8 *row = f->data[0] + (gsize)y * (gsize)f->linesize[0];
		guint w = (guint)f->width;

		if (!row_straight(row, w)) {
			if (c->sheared++ == 0)
				g_snprintf(c->shear_note, sizeof(c->shear_note), "frame %u (counter %u) row %u: "
				           "luma %u %u %u at the first bar, %u %u %u at the second", c->frames,
				           code.counter, y, row[w / 4 - 4], row[w / 4 + 8], row[w / 4 + 20],
				           row[3 * w / 4 - 4], row[3 * w / 4 + 8], row[3 * w / 4 + 20]);
			return;
		}
	}
}

static void drain(Check *c, AVCodecContext *ctx, AVFrame *frame)
{
	while (avcodec_receive_frame(ctx, frame) == 0)
		check_frame(c, frame);
}

int main(int argc, char **argv)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	AVCodecParserContext *parser = av_parser_init(AV_CODEC_ID_H264);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();
	guint8 buf[65536 + AV_INPUT_BUFFER_PADDING_SIZE];
	guint min_frames = argc > 2 ? (guint)atoi(argv[2]) : 10;
	Check c = { .name = argc > 1 ? (strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1]) : "" };
	FILE *in = argc > 1 ? fopen(argv[1], "rb") : NULL;
	size_t n;

	if (!in || avcodec_open2(ctx, codec, NULL) < 0) {
		printf("not ok - host: %s cannot be read or no H.264 decoder\n", c.name);
		return 1;
	}
	memset(buf, 0, sizeof(buf));
	while ((n = fread(buf, 1, 65536, in)) > 0) {
		const guint8 *p = buf;

		while (n > 0) {
			int used = av_parser_parse2(parser, ctx, &pkt->data, &pkt->size, p, (int)n,
			                            AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);

			p += used;
			n -= (size_t)used;
			if (pkt->size && avcodec_send_packet(ctx, pkt) == 0)
				drain(&c, ctx, frame);
		}
	}
	/* The parser keeps the last access unit until it is told the stream ended. */
	av_parser_parse2(parser, ctx, &pkt->data, &pkt->size, NULL, 0, AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
	if (pkt->size && avcodec_send_packet(ctx, pkt) == 0)
		drain(&c, ctx, frame);
	avcodec_send_packet(ctx, NULL);
	drain(&c, ctx, frame);
	fclose(in);
	printf("%s - host: %s: %u of %u decoded %ux%u frames carry the stand-in's barcode, counters "
	       "%u..%u, %u backwards\n", c.with_code >= min_frames && c.backwards == 0 ? "ok" : "not ok",
	       c.name, c.with_code, c.frames, c.width, c.height, c.first, c.last, c.backwards);
	printf("%s - host: %s: the bars stand straight on every row (%u sheared frames%s%s)\n",
	       c.with_code > 0 && c.sheared == 0 ? "ok" : "not ok", c.name, c.sheared,
	       c.sheared ? ", first: " : "", c.shear_note);
	av_frame_free(&frame);
	av_packet_free(&pkt);
	av_parser_close(parser);
	avcodec_free_context(&ctx);
	return 0;
}
