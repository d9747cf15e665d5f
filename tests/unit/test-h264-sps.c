/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SPS colour rewrite (src/encode/h264-sps.c): an encoder that leaves
 * the colour description out gets it, and a decoder reads it back. */
#include "hdmirtc/encoder.h"
#include "../../src/encode/encoder-private.h"

#include <drm_fourcc.h>
#include <libavcodec/avcodec.h>
#include <string.h>

#define W 320
#define H 240

typedef struct {
	GByteArray *stream;
} Sink;

static void on_au(HdmirtcEncoder *enc, HdmirtcAccessUnit *au, gpointer user_data)
{
	Sink *s = user_data;

	g_byte_array_append(s->stream, au->data, (guint)au->size);
}

/* One x264 keyframe of a grey I420 picture tagged with colour. */
static GByteArray *encode_one(const HdmirtcColour *colour)
{
	HdmirtcEncoderConfig cfg = { W, H, 30, 500, 30, 66, 0xc0, 0 };
	g_autoptr(GError) error = NULL;
	HdmirtcEncoder *enc = hdmirtc_encoder_new(HDMIRTC_ENCODER_X264, NULL, &cfg, &error);
	guint8 *planes = g_malloc(W * H * 3 / 2);
	HdmirtcFrame f;
	Sink s = { g_byte_array_new() };

	g_assert_no_error(error);
	memset(planes, 128, W * H * 3 / 2);
	hdmirtc_frame_init(&f, NULL, NULL);
	f.width = W;
	f.height = H;
	f.fourcc = DRM_FORMAT_YUV420;
	f.n_planes = 3;
	f.data[0] = planes;
	f.data[1] = planes + W * H;
	f.data[2] = planes + W * H * 5 / 4;
	f.stride[0] = W;
	f.stride[1] = f.stride[2] = W / 2;
	f.colour = *colour;
	g_assert_cmpint(hdmirtc_encoder_encode(enc, &f, on_au, &s), ==, 0);
	hdmirtc_encoder_free(enc);
	g_free(planes);
	return s.stream;
}

/* Offset and length of the SPS NAL unit (after its start code). */
static gboolean find_sps(const GByteArray *a, gsize *at, gsize *len)
{
	for (gsize i = 0; i + 4 < a->len; i++) {
		if (a->data[i] || a->data[i + 1] || a->data[i + 2] != 1 || (a->data[i + 3] & 0x1f) != 7)
			continue;
		*at = i + 3;
		for (gsize j = *at; j + 3 < a->len; j++)
			if (!a->data[j] && !a->data[j + 1] && a->data[j + 2] == 1) {
				*len = j - *at - (a->data[j - 1] == 0);
				return TRUE;
			}
	}
	return FALSE;
}

static AVFrame *decode(const GByteArray *stream)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();
	guint8 *buf = g_malloc0(stream->len + AV_INPUT_BUFFER_PADDING_SIZE);

	g_assert_cmpint(avcodec_open2(ctx, codec, NULL), ==, 0);
	memcpy(buf, stream->data, stream->len);
	pkt->data = buf;
	pkt->size = (int)stream->len;
	g_assert_cmpint(avcodec_send_packet(ctx, pkt), ==, 0);
	g_assert_cmpint(avcodec_send_packet(ctx, NULL), ==, 0);
	g_assert_cmpint(avcodec_receive_frame(ctx, frame), ==, 0);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
	g_free(buf);
	return frame;
}

/* x264's SPS without a colour description (its VUI has timing and
 * bitstream restriction): rewritten, the picture still decodes and says
 * BT.601 studio range; rewriting again changes nothing. */
static void test_rewrite_existing_vui(void)
{
	HdmirtcColour none = { 0 }, want = HDMIRTC_COLOUR_BT601_LIMITED;
	g_autoptr(GByteArray) stream = encode_one(&none);
	g_autoptr(GByteArray) fixed = g_byte_array_new();
	g_autoptr(GBytes) sps = NULL;
	AVFrame *before, *after;
	gsize at, len, n;
	const guint8 *d;

	g_assert_true(find_sps(stream, &at, &len));
	before = decode(stream);
	g_assert_cmpint(before->colorspace, ==, AVCOL_SPC_UNSPECIFIED);
	sps = hdmirtc_h264_sps_with_colour(stream->data + at, len, &want);
	g_assert_nonnull(sps);
	d = g_bytes_get_data(sps, &n);
	g_byte_array_append(fixed, stream->data, (guint)at);
	g_byte_array_append(fixed, d, (guint)n);
	g_byte_array_append(fixed, stream->data + at + len, (guint)(stream->len - at - len));
	after = decode(fixed);
	g_assert_cmpint(after->colorspace, ==, AVCOL_SPC_SMPTE170M);
	g_assert_cmpint(after->color_primaries, ==, AVCOL_PRI_SMPTE170M);
	g_assert_cmpint(after->color_trc, ==, AVCOL_TRC_SMPTE170M);
	g_assert_cmpint(after->color_range, ==, AVCOL_RANGE_MPEG);
	g_assert_cmpmem(before->data[0], W, after->data[0], W);
	g_assert_null(hdmirtc_h264_sps_with_colour(d, n, &want));
	av_frame_free(&before);
	av_frame_free(&after);
}

/* x264 writing the colour itself: nothing to do. */
static void test_already_right(void)
{
	HdmirtcColour want = HDMIRTC_COLOUR_BT601_LIMITED;
	g_autoptr(GByteArray) stream = encode_one(&want);
	gsize at, len;

	g_assert_true(find_sps(stream, &at, &len));
	g_assert_null(hdmirtc_h264_sps_with_colour(stream->data + at, len, &want));
}

/* A Baseline SPS with no VUI at all (as a VPU may write): one is added,
 * with the colour and no reordering; parsing it again finds the colour. */
static void test_no_vui(void)
{
	/* profile 66, constraints 0xc0, level 31, sps_id 0, log2_max_frame_num
	 * 4, poc type 2, 1 ref frame, no gaps, 40x30 MBs, frame_mbs_only,
	 * direct_8x8, no cropping, no VUI: ue/u bits by hand. */
	static const guint8 sps[] = { 0x67, 0x42, 0xc0, 0x1f, 0xda, 0x02, 0x80, 0xf6, 0x40 };
	HdmirtcColour want = { 1, 13, 6, TRUE };
	g_autoptr(GBytes) fixed = hdmirtc_h264_sps_with_colour(sps, sizeof(sps), &want);
	gsize n;
	const guint8 *d;

	g_assert_nonnull(fixed);
	d = g_bytes_get_data(fixed, &n);
	g_assert_cmpuint(n, >, sizeof(sps));
	g_assert_null(hdmirtc_h264_sps_with_colour(d, n, &want));
	/* not an SPS, or no colour wanted: left alone */
	g_assert_null(hdmirtc_h264_sps_with_colour((const guint8 *)"\x68\xce\x38\x80", 4, &want));
	g_assert_null(hdmirtc_h264_sps_with_colour(sps, sizeof(sps), &(HdmirtcColour){ 0 }));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/h264-sps/rewrite-existing-vui", test_rewrite_existing_vui);
	g_test_add_func("/h264-sps/already-right", test_already_right);
	g_test_add_func("/h264-sps/no-vui", test_no_vui);
	return g_test_run();
}
