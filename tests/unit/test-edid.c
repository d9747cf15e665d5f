/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/capture.h"

#include <glib/gstdio.h>
#include <string.h>

static guint8 block_sum(const guint8 *b)
{
	guint s = 0;

	for (guint i = 0; i < 128; i++)
		s += b[i];
	return (guint8)s;
}

static void fix_checksum(guint8 *b)
{
	b[127] = 0;
	b[127] = (guint8)(256 - block_sum(b));
}

/* Short VIDs of the CEA block's video data block. */
static GArray *cea_vics(const guint8 *cea)
{
	GArray *vics = g_array_new(FALSE, FALSE, sizeof(guint8));
	guint end = cea[2];

	g_assert_cmpuint(end, <=, 127);
	for (guint off = 4; off < end;) {
		guint tag = cea[off] >> 5, len = cea[off] & 0x1f;

		if (tag == 2)
			for (guint i = 1; i <= len; i++) {
				guint8 vic = cea[off + i] & 0x7f;

				g_array_append_val(vics, vic);
			}
		off += 1 + len;
	}
	return vics;
}

static void test_default(void)
{
	g_autoptr(HdmirtcEdid) edid = hdmirtc_edid_new_default();
	const HdmirtcEdidInfo *info = hdmirtc_edid_get_info(edid);
	g_autoptr(GError) error = NULL;
	g_autofree char *desc = NULL;
	g_autoptr(GArray) vics = NULL;
	const guint8 *d;
	gsize size;

	d = hdmirtc_edid_get_data(edid, &size);
	g_assert_cmpuint(size, ==, 256);
	g_assert_true(hdmirtc_edid_validate(d, size, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(block_sum(d), ==, 0);
	g_assert_cmpuint(block_sum(d + 128), ==, 0);
	g_assert_cmpuint(d[126], ==, 1);
	g_assert_cmpuint(d[128], ==, 0x02);     /* CEA-861 extension */
	g_assert_cmpstr(info->manufacturer, ==, "HRT");
	g_assert_cmpstr(info->name, ==, "hdmirtc");
	g_assert_cmpuint(info->n_blocks, ==, 2);
	g_assert_cmpuint(info->preferred_width, ==, 1920);
	g_assert_cmpuint(info->preferred_height, ==, 1080);
	g_assert_cmpuint(info->preferred_refresh_mhz, ==, 60000);
	/* 1080p60, 1080p50, 1080p30, 720p60 */
	vics = cea_vics(d + 128);
	g_assert_cmpuint(vics->len, ==, 4);
	g_assert_cmpuint(g_array_index(vics, guint8, 0), ==, 16);
	g_assert_cmpuint(g_array_index(vics, guint8, 1), ==, 31);
	g_assert_cmpuint(g_array_index(vics, guint8, 2), ==, 34);
	g_assert_cmpuint(g_array_index(vics, guint8, 3), ==, 4);
	/* The HDMI vendor block (OUI 00-0c-03) makes sources send HDMI. */
	g_assert_nonnull(memmem(d + 132, d[130] - 4, "\x03\x0c\x00", 3));
	/* Basic audio, and an audio data block with one LPCM stereo
	 * descriptor at 32/44.1/48 kHz: sources send sound only then. */
	g_assert_true(d[131] & 0x40);
	g_assert_true(info->audio);
	g_assert_nonnull(memmem(d + 132, d[130] - 4, "\x23\x09\x07\x07", 4));
	desc = hdmirtc_edid_describe(edid);
	g_assert_cmpstr(desc, ==, "HRT 0001 \"hdmirtc\", 2 block(s), preferred 1920x1080@60.00, audio");
}

/* The DTDs are built from CEA-861 timings: VIC 16 and VIC 4 byte for byte
 * as the EDID 1.3 layout (148.5 MHz, 1920+280 x 1080+45, 88/44 and 4/5
 * porch/sync, 531x299 mm, +H +V). */
static void test_dtd_bytes(void)
{
	static const guint8 vic16[18] = { 0x02, 0x3a, 0x80, 0x18, 0x71, 0x38, 0x2d, 0x40, 0x58,
	                                  0x2c, 0x45, 0x00, 0x13, 0x2b, 0x21, 0x00, 0x00, 0x1e };
	static const guint8 vic4[18] = { 0x01, 0x1d, 0x00, 0x72, 0x51, 0xd0, 0x1e, 0x20, 0x6e,
	                                 0x28, 0x55, 0x00, 0x13, 0x2b, 0x21, 0x00, 0x00, 0x1e };
	g_autoptr(HdmirtcEdid) def = hdmirtc_edid_new_default();
	const guint8 *d = hdmirtc_edid_get_data(def, NULL);

	g_assert_cmpmem(d + 54, 18, vic16, 18);
	g_assert_cmpmem(d + 72, 18, vic4, 18);
}

static HdmirtcEdid *edid_for(guint lanes, guint64 hz)
{
	HdmirtcCsiLink link = { .lanes = lanes, .link_frequency_hz = hz };

	return hdmirtc_edid_new_for_link(&link);
}

/* 2 lanes at 972 Mbit/s cannot carry 1080p60 UYVY (3 lanes): the EDID
 * prefers 1080p50 and does not name VIC 16 anywhere; 4 lanes and unknown
 * lanes offer the default. */
static void test_for_link(void)
{
	g_autoptr(HdmirtcEdid) two = edid_for(2, 486000000);
	g_autoptr(HdmirtcEdid) four = edid_for(4, 486000000);
	g_autoptr(HdmirtcEdid) unknown = edid_for(0, 486000000);
	g_autoptr(HdmirtcEdid) slow = edid_for(2, 297000000);
	g_autoptr(HdmirtcEdid) def = hdmirtc_edid_new_default();
	g_autoptr(GError) error = NULL;
	gsize size;
	const guint8 *d = hdmirtc_edid_get_data(two, &size);
	g_autoptr(GArray) vics = cea_vics(d + 128);
	g_autoptr(GArray) slow_vics = cea_vics(hdmirtc_edid_get_data(slow, NULL) + 128);

	g_assert_true(hdmirtc_edid_validate(d, size, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(hdmirtc_edid_get_info(two)->preferred_width, ==, 1920);
	g_assert_cmpuint(hdmirtc_edid_get_info(two)->preferred_refresh_mhz, ==, 50000);
	g_assert_cmpuint(vics->len, ==, 3);
	g_assert_cmpuint(g_array_index(vics, guint8, 0), ==, 31);
	g_assert_cmpuint(d[128 + 5], ==, 0x80 | 31);       /* native */
	/* no standard timing for 1920 wide (it could only say 60 Hz) */
	for (guint i = 38; i < 54; i += 2)
		g_assert_cmpuint(d[i], !=, 1920 / 8 - 31);
	g_assert_cmpmem(hdmirtc_edid_get_data(four, NULL), 256, hdmirtc_edid_get_data(def, NULL), 256);
	g_assert_cmpmem(hdmirtc_edid_get_data(unknown, NULL), 256, hdmirtc_edid_get_data(def, NULL), 256);
	/* 594 Mbit/s: 1080p50 needs 3 lanes, 1080p30 and 720p60 need 2 */
	g_assert_cmpuint(hdmirtc_edid_get_info(slow)->preferred_refresh_mhz, ==, 30000);
	g_assert_cmpuint(slow_vics->len, ==, 2);
	g_assert_cmpuint(g_array_index(slow_vics, guint8, 0), ==, 34);
	g_assert_cmpuint(g_array_index(slow_vics, guint8, 1), ==, 4);
}

/* The second DTD is 1280x720p60: check it through a one-block copy with
 * that DTD moved first. */
static void test_second_timing(void)
{
	g_autoptr(HdmirtcEdid) def = hdmirtc_edid_new_default();
	g_autoptr(HdmirtcEdid) edid = NULL;
	g_autoptr(GError) error = NULL;
	guint8 b[128];

	memcpy(b, hdmirtc_edid_get_data(def, NULL), 128);
	memcpy(b + 54, b + 72, 18);
	b[126] = 0;
	fix_checksum(b);
	edid = hdmirtc_edid_new_from_data(b, sizeof(b), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(hdmirtc_edid_get_info(edid)->preferred_width, ==, 1280);
	g_assert_cmpuint(hdmirtc_edid_get_info(edid)->preferred_height, ==, 720);
	g_assert_cmpuint(hdmirtc_edid_get_info(edid)->preferred_refresh_mhz, ==, 60000);
	g_assert_cmpuint(hdmirtc_edid_get_info(edid)->n_blocks, ==, 1);
}

/* A 1x1 frame at 655.35 MHz: the rate is the most a guint32 holds, not
 * what is left of it after wrapping around. */
static void test_absurd_timing(void)
{
	static const guint8 dtd[18] = { 0xff, 0xff, 1, 0, 0, 1, 0, 0 };
	g_autoptr(HdmirtcEdid) def = hdmirtc_edid_new_default();
	g_autoptr(HdmirtcEdid) edid = NULL;
	g_autoptr(GError) error = NULL;
	guint8 b[128];

	memcpy(b, hdmirtc_edid_get_data(def, NULL), 128);
	memcpy(b + 54, dtd, sizeof(dtd));
	b[126] = 0;
	fix_checksum(b);
	edid = hdmirtc_edid_new_from_data(b, sizeof(b), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(hdmirtc_edid_get_info(edid)->preferred_width, ==, 1);
	g_assert_cmpuint(hdmirtc_edid_get_info(edid)->preferred_refresh_mhz, ==, G_MAXUINT32);
}

static void expect_invalid(const guint8 *d, gsize size, const char *needle)
{
	g_autoptr(GError) error = NULL;
	HdmirtcEdid *edid = hdmirtc_edid_new_from_data(d, size, &error);

	g_assert_null(edid);
	g_assert_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG);
	if (!strstr(error->message, needle))
		g_error("\"%s\" does not mention \"%s\"", error->message, needle);
}

static void test_bad_data(void)
{
	g_autoptr(HdmirtcEdid) def = hdmirtc_edid_new_default();
	const guint8 *good = hdmirtc_edid_get_data(def, NULL);
	guint8 buf[128 * 10];

	expect_invalid(good, 0, "empty");
	expect_invalid(good, 255, "not a multiple of 128");
	expect_invalid(good, 129, "not a multiple of 128");
	/* truncated: the base block announces one extension */
	expect_invalid(good, 128, "announces 1 extension");
	memcpy(buf, good, 256);
	buf[0] = 0x01;
	expect_invalid(buf, 256, "header");
	memcpy(buf, good, 256);
	buf[60] ^= 0x01;
	expect_invalid(buf, 256, "block 0 checksum");
	memcpy(buf, good, 256);
	buf[128 + 10] ^= 0x40;
	expect_invalid(buf, 256, "block 1 checksum");
	/* too many blocks */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, good, 128);
	buf[126] = 9;
	fix_checksum(buf);
	expect_invalid(buf, sizeof(buf), "at most 8");
	/* garbage of the right size */
	for (guint i = 0; i < 256; i++)
		buf[i] = (guint8)(i * 37 + 11);
	expect_invalid(buf, 256, "header");
}

static void test_file(void)
{
	g_autoptr(HdmirtcEdid) def = hdmirtc_edid_new_default();
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-edid-XXXXXX", NULL);
	g_autofree char *good = g_build_filename(dir, "good.bin", NULL);
	g_autofree char *bad = g_build_filename(dir, "bad.bin", NULL);
	g_autofree char *missing = g_build_filename(dir, "missing.bin", NULL);
	HdmirtcEdid *edid;
	gsize size;
	const guint8 *d = hdmirtc_edid_get_data(def, &size);

	g_assert_true(g_file_set_contents(good, (const char *)d, (gssize)size, NULL));
	g_assert_true(g_file_set_contents(bad, (const char *)d, 200, NULL));
	edid = hdmirtc_edid_new_from_file(good, &error);
	g_assert_no_error(error);
	g_assert_cmpmem(hdmirtc_edid_get_data(edid, NULL), 256, d, 256);
	hdmirtc_edid_free(edid);

	edid = hdmirtc_edid_new_from_file(bad, &error);
	g_assert_null(edid);
	g_assert_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, bad));
	g_assert_nonnull(strstr(error->message, "200 bytes"));
	g_clear_error(&error);

	edid = hdmirtc_edid_new_from_file(missing, &error);
	g_assert_null(edid);
	g_assert_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG);
	g_assert_nonnull(strstr(error->message, "missing.bin"));
	g_unlink(good);
	g_unlink(bad);
	g_rmdir(dir);
	hdmirtc_edid_free(NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/edid/default", test_default);
	g_test_add_func("/edid/dtd-bytes", test_dtd_bytes);
	g_test_add_func("/edid/for-link", test_for_link);
	g_test_add_func("/edid/second-timing", test_second_timing);
	g_test_add_func("/edid/absurd-timing", test_absurd_timing);
	g_test_add_func("/edid/bad-data", test_bad_data);
	g_test_add_func("/edid/file", test_file);
	return g_test_run();
}
