/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/barcode.h"

#include <string.h>

typedef struct {
	guint8 *y;
	guint stride;
	guint width;
	guint height;
} Plane;

static Plane plane_new(guint width, guint height, guint stride, guint8 fill)
{
	Plane p = { g_malloc((gsize)stride * height), stride, width, height };

	memset(p.y, fill, (gsize)stride * height);
	return p;
}

static const HdmirtcBarcode samples[] = {
	{ 0, 0, 0 },
	{ G_MAXUINT32, G_MAXINT64, G_MAXINT64 },
	{ G_MAXUINT32, G_MININT64, -1 },
	{ 1, 1, 1 },
	{ 0x12345678, 123456789012, 1735689600123456 },
	{ 0x80000000u, 0x00FF00FF00FF00FFll, 0x7F00FF00FF00FF00ll },
};

static void test_round_trip(void)
{
	static const guint widths[] = { 320, 640, 1280, 1920 };

	for (gsize w = 0; w < G_N_ELEMENTS(widths); w++) {
		guint rows = hdmirtc_barcode_rows(widths[w]);
		/* A wider stride than width, grey below, like a decoder's output. */
		Plane p = plane_new(widths[w], rows + 32, widths[w] + 64, 128);

		for (gsize i = 0; i < G_N_ELEMENTS(samples); i++) {
			HdmirtcBarcode out = { 0 };

			g_assert_true(hdmirtc_barcode_paint(p.y, p.stride, p.width, p.height, &samples[i]));
			g_assert_true(hdmirtc_barcode_read(p.y, p.stride, p.width, p.height, &out));
			g_assert_cmpuint(out.counter, ==, samples[i].counter);
			g_assert_cmpint(out.mono_us, ==, samples[i].mono_us);
			g_assert_cmpint(out.wall_us, ==, samples[i].wall_us);
		}
		/* Only the barcode rows are painted: the row below stays grey. */
		g_assert_cmpuint(p.y[(gsize)rows * p.stride], ==, 128);
		g_free(p.y);
	}
}

static void test_rows(void)
{
	g_assert_cmpuint(hdmirtc_barcode_rows(319), ==, 0);
	g_assert_cmpuint(hdmirtc_barcode_rows(320), ==, 10 * 16);    /* 20 bits a row */
	g_assert_cmpuint(hdmirtc_barcode_rows(640), ==, 5 * 16);     /* 40 */
	g_assert_cmpuint(hdmirtc_barcode_rows(1280), ==, 3 * 16);    /* 80 */
	g_assert_cmpuint(hdmirtc_barcode_rows(1920), ==, 2 * 16);    /* 120 */
	g_assert_cmpuint(hdmirtc_barcode_rows(3072), ==, 1 * 16);    /* 192 */
}

/* Block colours and order follow the layout in the header: sync 0xA5C3
 * MSB first from the top-left block. */
static void test_layout(void)
{
	HdmirtcBarcode code = { 0, 0, 0 };
	Plane p = plane_new(640, 80, 640, 0);
	guint16 sync = 0;

	g_assert_true(hdmirtc_barcode_paint(p.y, p.stride, p.width, p.height, &code));
	for (guint i = 0; i < 16; i++) {
		guint8 v = p.y[(gsize)8 * p.stride + i * 16 + 8];

		g_assert_true(v == HDMIRTC_BARCODE_BLACK || v == HDMIRTC_BARCODE_WHITE);
		/* Flat 16x16 blocks: the corners match the centre. */
		g_assert_cmpuint(p.y[i * 16], ==, v);
		g_assert_cmpuint(p.y[(gsize)15 * p.stride + i * 16 + 15], ==, v);
		sync = (guint16)(sync << 1 | (v == HDMIRTC_BARCODE_WHITE));
	}
	g_assert_cmphex(sync, ==, HDMIRTC_BARCODE_SYNC);
	/* Counter 0 follows: bits 16..47 black. */
	for (guint i = 16; i < 40; i++)
		g_assert_cmpuint(p.y[(gsize)8 * p.stride + i * 16 + 8], ==, HDMIRTC_BARCODE_BLACK);
	g_free(p.y);
}

static void test_crc16_check_value(void)
{
	/* The catalogued check value of CRC-16/CCITT-FALSE. */
	g_assert_cmphex(hdmirtc_barcode_crc16((const guint8 *)"123456789", 9), ==, 0x29B1);
}

static void flip_block(Plane *p, guint bit)
{
	guint bpr = p->width / 16;
	guint x0 = (bit % bpr) * 16, y0 = (bit / bpr) * 16;

	for (guint y = y0; y < y0 + 16; y++)
		for (guint x = x0; x < x0 + 16; x++)
			p->y[(gsize)y * p->stride + x] = p->y[(gsize)y * p->stride + x] > 128 ? 16 : 235;
}

static void test_corrupted_block_rejected(void)
{
	HdmirtcBarcode code = { 42, 1000000, 1700000000000000 };
	HdmirtcBarcode out = { 7, 7, 7 };
	/* One flipped block in each field: counter, mono, wall, crc. */
	static const guint bits[] = { 20, 60, 150, 180 };

	for (gsize i = 0; i < G_N_ELEMENTS(bits); i++) {
		Plane p = plane_new(1280, 64, 1280, 128);

		hdmirtc_barcode_paint(p.y, p.stride, p.width, p.height, &code);
		flip_block(&p, bits[i]);
		g_assert_false(hdmirtc_barcode_read(p.y, p.stride, p.width, p.height, &out));
		/* out untouched on failure */
		g_assert_cmpuint(out.counter, ==, 7);
		flip_block(&p, bits[i]);
		g_assert_true(hdmirtc_barcode_read(p.y, p.stride, p.width, p.height, &out));
		g_assert_cmpuint(out.counter, ==, 42);
		out.counter = 7;
		g_free(p.y);
	}
}

/* Coding noise of up to +-90 levels on each pixel still reads right. */
static void test_survives_noise(void)
{
	HdmirtcBarcode code = { 0xDEADBEEF, 987654321, 1700000000000001 }, out;
	Plane p = plane_new(640, 80, 640, 0);
	GRand *rand = g_rand_new_with_seed(1);

	hdmirtc_barcode_paint(p.y, p.stride, p.width, p.height, &code);
	for (gsize i = 0; i < (gsize)p.stride * p.height; i++) {
		int v = p.y[i] + g_rand_int_range(rand, -90, 91);

		p.y[i] = (guint8)CLAMP(v, 0, 255);
	}
	g_assert_true(hdmirtc_barcode_read(p.y, p.stride, p.width, p.height, &out));
	g_assert_cmpuint(out.counter, ==, code.counter);
	g_assert_cmpint(out.wall_us, ==, code.wall_us);
	g_rand_free(rand);
	g_free(p.y);
}

static void test_no_barcode(void)
{
	HdmirtcBarcode out;
	Plane p = plane_new(640, 80, 640, 16);

	g_assert_false(hdmirtc_barcode_read(p.y, p.stride, p.width, p.height, &out));
	memset(p.y, 235, (gsize)p.stride * p.height);
	g_assert_false(hdmirtc_barcode_read(p.y, p.stride, p.width, p.height, &out));
	g_free(p.y);
}

static void test_bad_geometry(void)
{
	HdmirtcBarcode code = { 1, 2, 3 }, out;
	Plane p = plane_new(640, 80, 640, 0);

	g_assert_false(hdmirtc_barcode_paint(p.y, p.stride, 304, p.height, &code));  /* < 320 */
	g_assert_false(hdmirtc_barcode_paint(p.y, p.stride, 328, p.height, &code));  /* not x16 */
	g_assert_false(hdmirtc_barcode_paint(p.y, 600, 640, p.height, &code));       /* stride */
	g_assert_false(hdmirtc_barcode_paint(p.y, p.stride, 640, 79, &code));        /* height */
	g_assert_false(hdmirtc_barcode_paint(NULL, p.stride, 640, 80, &code));
	g_assert_true(hdmirtc_barcode_paint(p.y, p.stride, 640, 80, &code));
	g_assert_false(hdmirtc_barcode_read(p.y, p.stride, 640, 79, &out));
	g_assert_false(hdmirtc_barcode_read(p.y, p.stride, 304, 80, &out));
	g_assert_false(hdmirtc_barcode_read(p.y, 600, 640, 80, &out));
	g_assert_false(hdmirtc_barcode_read(NULL, p.stride, 640, 80, &out));
	g_free(p.y);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/barcode/round-trip", test_round_trip);
	g_test_add_func("/barcode/rows", test_rows);
	g_test_add_func("/barcode/layout", test_layout);
	g_test_add_func("/barcode/crc16-check-value", test_crc16_check_value);
	g_test_add_func("/barcode/corrupted-block-rejected", test_corrupted_block_rejected);
	g_test_add_func("/barcode/survives-noise", test_survives_noise);
	g_test_add_func("/barcode/no-barcode", test_no_barcode);
	g_test_add_func("/barcode/bad-geometry", test_bad_geometry);
	return g_test_run();
}
