/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/rtp.h"

#include <errno.h>
#include <string.h>

#define MAX_PAYLOAD 1200

/* ---- helpers ------------------------------------------------------------ */

/* A NAL unit whose body bytes are never zero, so it contains no start
 * code and does not end in 0x00. */
static GBytes *make_nal(guint8 header, gsize len, guint seed)
{
	guint8 *d = g_malloc(len);

	d[0] = header;
	for (gsize i = 1; i < len; i++)
		d[i] = (guint8)(1 + (i * 7 + seed * 13) % 255);
	return g_bytes_new_take(d, len);
}

static void append_nal(GByteArray *au, GBytes *nal, gboolean four_byte)
{
	static const guint8 sc4[] = { 0, 0, 0, 1 };
	gsize len;
	const guint8 *d = g_bytes_get_data(nal, &len);

	g_byte_array_append(au, four_byte ? sc4 : sc4 + 1, four_byte ? 4 : 3);
	g_byte_array_append(au, d, len);
}

/* Access unit from NULL-terminated NAL list, 4-byte start codes. */
static HdmirtcAccessUnit *make_au(GBytes *first, ...)
{
	GByteArray *buf = g_byte_array_new();
	HdmirtcAccessUnit *au;
	va_list ap;

	va_start(ap, first);
	for (GBytes *nal = first; nal; nal = va_arg(ap, GBytes *))
		append_nal(buf, nal, TRUE);
	va_end(ap);
	au = hdmirtc_access_unit_new_copy(buf->data, buf->len);
	g_byte_array_unref(buf);
	return au;
}

static HdmirtcRtpPacketList *packetize_ok(HdmirtcH264Packetizer *p, HdmirtcAccessUnit *au,
                                          guint max)
{
	GError *error = NULL;
	HdmirtcRtpPacketList *list = hdmirtc_h264_packetizer_packetize(p, au, max, &error);

	g_assert_no_error(error);
	g_assert_nonnull(list);
	return list;
}

static GBytes *payload(HdmirtcRtpPacketList *list, guint i)
{
	guint8 buf[70000];
	gssize n = hdmirtc_rtp_packet_list_copy_payload(list, i, buf, sizeof(buf));

	g_assert_cmpint(n, >=, 1);
	g_assert_cmpuint(n, ==, hdmirtc_rtp_packet_list_get_payload_size(list, i));
	return g_bytes_new(buf, n);
}

static void assert_payload_is_nal(HdmirtcRtpPacketList *list, guint i, GBytes *nal)
{
	GBytes *got = payload(list, i);

	g_assert_true(g_bytes_equal(got, nal));
	g_bytes_unref(got);
}

static void assert_marker_only_last(HdmirtcRtpPacketList *list)
{
	guint n = hdmirtc_rtp_packet_list_get_n_packets(list);
	gsize total = 0;

	for (guint i = 0; i < n; i++) {
		g_assert_cmpint(hdmirtc_rtp_packet_list_get_marker(list, i), ==, i == n - 1);
		total += hdmirtc_rtp_packet_list_get_payload_size(list, i);
	}
	g_assert_cmpuint(total, ==, hdmirtc_rtp_packet_list_get_total_payload(list));
}

/* Checks packets [first, first+n) are FU-A fragments of nal and that they
 * reassemble into it. */
static void assert_fu_a(HdmirtcRtpPacketList *list, guint first, guint n, GBytes *nal, guint max)
{
	gsize nal_len;
	const guint8 *nd = g_bytes_get_data(nal, &nal_len);
	GByteArray *re = g_byte_array_new();

	for (guint k = 0; k < n; k++) {
		GBytes *pl = payload(list, first + k);
		gsize len;
		const guint8 *d = g_bytes_get_data(pl, &len);

		g_assert_cmpuint(len, <=, max);
		g_assert_cmpuint(len, >, 2);
		g_assert_cmphex(d[0], ==, (nd[0] & 0xe0) | 28);
		g_assert_cmphex(d[1] & 0x80, ==, k == 0 ? 0x80 : 0);
		g_assert_cmphex(d[1] & 0x40, ==, k == n - 1 ? 0x40 : 0);
		g_assert_cmphex(d[1] & 0x20, ==, 0);
		g_assert_cmphex(d[1] & 0x1f, ==, nd[0] & 0x1f);
		if (k == 0)
			g_byte_array_append(re, &nd[0], 1);
		g_byte_array_append(re, d + 2, len - 2);
		g_bytes_unref(pl);
	}
	g_assert_cmpmem(re->data, re->len, nd, nal_len);
	g_byte_array_unref(re);
}

/* ---- FU-A --------------------------------------------------------------- */

static void test_single_nal_exact_max(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *nal = make_nal(0x41, MAX_PAYLOAD, 1);
	HdmirtcAccessUnit *au = make_au(nal, NULL);
	HdmirtcRtpPacketList *list = packetize_ok(p, au, MAX_PAYLOAD);

	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(list), ==, 1);
	assert_payload_is_nal(list, 0, nal);
	g_assert_true(hdmirtc_rtp_packet_list_get_marker(list, 0));
	g_assert_false(hdmirtc_rtp_packet_list_is_keyframe(list));
	g_assert_true(hdmirtc_rtp_packet_list_get_access_unit(list) == au);

	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	g_bytes_unref(nal);
	hdmirtc_h264_packetizer_free(p);
}

static void check_fu_a_for_size(gsize nal_len, guint expect_fragments)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *nal = make_nal(0x65, nal_len, 2);
	HdmirtcAccessUnit *au = make_au(nal, NULL);
	HdmirtcRtpPacketList *list = packetize_ok(p, au, MAX_PAYLOAD);
	guint n = hdmirtc_rtp_packet_list_get_n_packets(list);

	g_assert_cmpuint(n, ==, expect_fragments);
	assert_fu_a(list, 0, n, nal, MAX_PAYLOAD);
	assert_marker_only_last(list);
	/* each fragment adds 2 bytes, the NAL header is not repeated */
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_total_payload(list), ==,
	                 nal_len - 1 + 2 * n);
	g_assert_true(hdmirtc_rtp_packet_list_is_keyframe(list));

	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	g_bytes_unref(nal);
	hdmirtc_h264_packetizer_free(p);
}

static void test_fu_a_max_plus_one(void)
{
	/* 1200 body bytes, at most 1198 per fragment: 2 fragments of 600 */
	check_fu_a_for_size(MAX_PAYLOAD + 1, 2);
}

static void test_fu_a_three_times_max(void)
{
	/* 3599 body bytes / 1198 per fragment -> 4 fragments */
	check_fu_a_for_size(3 * MAX_PAYLOAD, 4);
}

static void test_fu_a_fragment_sizes_balanced(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *nal = make_nal(0x25, 2 * 98 + 2, 3);     /* 197 body bytes, max 100 */
	HdmirtcAccessUnit *au = make_au(nal, NULL);
	HdmirtcRtpPacketList *list = packetize_ok(p, au, 100);

	/* ceil(197 / 98) = 3 fragments of 66, 66, 65 body bytes */
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(list), ==, 3);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_payload_size(list, 0), ==, 68);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_payload_size(list, 1), ==, 68);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_payload_size(list, 2), ==, 67);
	assert_fu_a(list, 0, 3, nal, 100);

	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	g_bytes_unref(nal);
	hdmirtc_h264_packetizer_free(p);
}

/* ---- STAP-A ------------------------------------------------------------- */

static void test_stap_a_sps_pps_slice(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *sps = make_nal(0x67, 10, 4);
	GBytes *pps = make_nal(0x68, 4, 5);
	GBytes *slice = make_nal(0x41, 100, 6);
	HdmirtcAccessUnit *au = make_au(sps, pps, slice, NULL);
	HdmirtcRtpPacketList *list = packetize_ok(p, au, MAX_PAYLOAD);
	GByteArray *want = g_byte_array_new();
	static const guint8 stap = 0x78;         /* F=0, NRI=3 (highest), type 24 */
	static const guint8 len_sps[] = { 0, 10 }, len_pps[] = { 0, 4 }, len_slice[] = { 0, 100 };
	GBytes *got;

	g_byte_array_append(want, &stap, 1);
	g_byte_array_append(want, len_sps, 2);
	g_byte_array_append(want, g_bytes_get_data(sps, NULL), 10);
	g_byte_array_append(want, len_pps, 2);
	g_byte_array_append(want, g_bytes_get_data(pps, NULL), 4);
	g_byte_array_append(want, len_slice, 2);
	g_byte_array_append(want, g_bytes_get_data(slice, NULL), 100);

	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(list), ==, 1);
	got = payload(list, 0);
	g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got), want->data, want->len);
	g_assert_true(hdmirtc_rtp_packet_list_get_marker(list, 0));

	g_bytes_unref(got);
	g_byte_array_unref(want);
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	g_bytes_unref(sps);
	g_bytes_unref(pps);
	g_bytes_unref(slice);
	hdmirtc_h264_packetizer_free(p);
}

/* STAP-A(SPS 10, PPS 4) costs 1 + 12 + 6 = 19 bytes; a slice of L adds L+2. */
static void check_stap_limit(gsize slice_len, guint expect_packets)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *sps = make_nal(0x67, 10, 4);
	GBytes *pps = make_nal(0x68, 4, 5);
	GBytes *slice = make_nal(0x61, slice_len, 6);
	HdmirtcAccessUnit *au = make_au(sps, pps, slice, NULL);
	HdmirtcRtpPacketList *list = packetize_ok(p, au, MAX_PAYLOAD);
	GBytes *first;
	const guint8 *d;

	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(list), ==, expect_packets);
	first = payload(list, 0);
	d = g_bytes_get_data(first, NULL);
	g_assert_cmphex(d[0], ==, 0x78);
	if (expect_packets == 1) {
		g_assert_cmpuint(g_bytes_get_size(first), ==, 19 + 2 + slice_len);
		g_assert_cmpuint(g_bytes_get_size(first), <=, MAX_PAYLOAD);
	} else {
		g_assert_cmpuint(g_bytes_get_size(first), ==, 19);
		assert_payload_is_nal(list, 1, slice);
	}
	assert_marker_only_last(list);

	g_bytes_unref(first);
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	g_bytes_unref(sps);
	g_bytes_unref(pps);
	g_bytes_unref(slice);
	hdmirtc_h264_packetizer_free(p);
}

static void test_stap_a_exactly_full(void)
{
	check_stap_limit(MAX_PAYLOAD - 21, 1);
}

static void test_stap_a_not_over_max(void)
{
	check_stap_limit(MAX_PAYLOAD - 20, 2);
}

/* SPS+PPS+SEI aggregate, then a big IDR is fragmented, then a small
 * second slice goes alone. */
static void test_mixed_access_unit(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *sps = make_nal(0x67, 20, 1);
	GBytes *pps = make_nal(0x68, 5, 2);
	GBytes *sei = make_nal(0x06, 30, 3);
	GBytes *idr = make_nal(0x65, 5000, 4);
	GBytes *idr2 = make_nal(0x65, 700, 5);
	HdmirtcAccessUnit *au = make_au(sps, pps, sei, idr, idr2, NULL);
	HdmirtcRtpPacketList *list = packetize_ok(p, au, MAX_PAYLOAD);
	guint frags = (4999 + 1197) / 1198;
	GBytes *first = payload(list, 0);

	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(list), ==, 1 + frags + 1);
	g_assert_cmpuint(g_bytes_get_size(first), ==, 1 + 22 + 7 + 32);
	g_assert_cmphex(((const guint8 *)g_bytes_get_data(first, NULL))[0], ==, 0x78);
	assert_fu_a(list, 1, frags, idr, MAX_PAYLOAD);
	assert_payload_is_nal(list, 1 + frags, idr2);
	assert_marker_only_last(list);
	g_assert_true(hdmirtc_rtp_packet_list_is_keyframe(list));

	g_bytes_unref(first);
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	g_bytes_unref(sps);
	g_bytes_unref(pps);
	g_bytes_unref(sei);
	g_bytes_unref(idr);
	g_bytes_unref(idr2);
	hdmirtc_h264_packetizer_free(p);
}

/* ---- Annex-B splitting -------------------------------------------------- */

static HdmirtcRtpPacketList *packetize_bytes(HdmirtcH264Packetizer *p, const guint8 *d, gsize len,
                                             guint max, GError **error)
{
	HdmirtcAccessUnit *au = hdmirtc_access_unit_new_copy(d, len);
	HdmirtcRtpPacketList *list = hdmirtc_h264_packetizer_packetize(p, au, max, error);

	hdmirtc_access_unit_unref(au);
	return list;
}

static void test_start_codes_3_and_4_bytes(void)
{
	/* max 16 keeps every NAL in its own packet */
	static const guint8 three[] = { 0, 0, 1, 0x41, 0xaa, 0xbb, 0, 0, 1, 0x41, 0xcc,
	                                0, 0, 1, 0x01, 0xdd, 0xee, 0xff };
	static const guint8 four[] = { 0, 0, 0, 1, 0x41, 0xaa, 0xbb, 0, 0, 0, 1, 0x41, 0xcc,
	                               0, 0, 0, 1, 0x01, 0xdd, 0xee, 0xff };
	/* mixed, leading zero_byte, trailing_zero_8bits and an empty NAL */
	static const guint8 mixed[] = { 0, 0, 0, 0, 1, 0x41, 0xaa, 0xbb, 0, 0, 0, 0, 1, 0, 0, 1,
	                                0x41, 0xcc, 0, 0, 0, 1, 0x01, 0xdd, 0xee, 0xff, 0, 0 };
	static const guint8 want[3][4] = { { 0x41, 0xaa, 0xbb }, { 0x41, 0xcc }, { 0x01, 0xdd, 0xee, 0xff } };
	static const gsize want_len[3] = { 3, 2, 4 };
	const guint8 *inputs[] = { three, four, mixed };
	const gsize sizes[] = { sizeof(three), sizeof(four), sizeof(mixed) };
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();

	for (guint t = 0; t < 3; t++) {
		HdmirtcRtpPacketList *list = packetize_bytes(p, inputs[t], sizes[t], 16, NULL);
		guint8 buf[64];

		/* 3 + 2 + 4 with STAP-A overhead 1+2+2+2 = 16: fits in one STAP-A */
		g_assert_nonnull(list);
		g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(list), ==, 1);
		g_assert_cmpint(hdmirtc_rtp_packet_list_copy_payload(list, 0, buf, sizeof(buf)), ==, 16);
		g_assert_cmphex(buf[0], ==, 0x58);      /* NRI 2 from the slices */
		for (guint i = 0, off = 1; i < 3; i++) {
			g_assert_cmpuint(buf[off] << 8 | buf[off + 1], ==, want_len[i]);
			g_assert_cmpmem(buf + off + 2, want_len[i], want[i], want_len[i]);
			off += 2 + want_len[i];
		}
		hdmirtc_rtp_packet_list_unref(list);
	}
	hdmirtc_h264_packetizer_free(p);
}

static void test_drops_aud_and_filler(void)
{
	static const guint8 au[] = { 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x41, 0x9a, 0x42,
	                             0, 0, 0, 1, 0x0c, 0xff, 0xff, 0xff, 0x80 };
	static const guint8 slice[] = { 0x41, 0x9a, 0x42 };
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	HdmirtcRtpPacketList *list = packetize_bytes(p, au, sizeof(au), MAX_PAYLOAD, NULL);
	guint8 buf[16];

	g_assert_nonnull(list);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(list), ==, 1);
	g_assert_cmpint(hdmirtc_rtp_packet_list_copy_payload(list, 0, buf, sizeof(buf)), ==, 3);
	g_assert_cmpmem(buf, 3, slice, 3);
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_h264_packetizer_free(p);
}

/* ---- cached SPS/PPS ------------------------------------------------------ */

static void assert_same_payloads(HdmirtcRtpPacketList *a, HdmirtcRtpPacketList *b)
{
	guint n = hdmirtc_rtp_packet_list_get_n_packets(a);

	g_assert_cmpuint(n, ==, hdmirtc_rtp_packet_list_get_n_packets(b));
	for (guint i = 0; i < n; i++) {
		GBytes *x = payload(a, i), *y = payload(b, i);

		g_assert_true(g_bytes_equal(x, y));
		g_bytes_unref(x);
		g_bytes_unref(y);
	}
}

static void test_cached_parameter_sets_before_idr(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *sps = make_nal(0x67, 12, 1), *pps = make_nal(0x68, 4, 2);
	GBytes *idr = make_nal(0x65, 2500, 3), *slice = make_nal(0x41, 300, 4);
	HdmirtcAccessUnit *key = make_au(sps, pps, idr, NULL);
	HdmirtcAccessUnit *bare_idr = make_au(idr, NULL);
	HdmirtcAccessUnit *p_frame = make_au(slice, NULL);
	HdmirtcAccessUnit *sps_only = make_au(sps, idr, NULL);
	HdmirtcRtpPacketList *l_key, *l_bare, *l_p, *l_sps;

	/* before any SPS/PPS was seen an IDR goes out as it is */
	l_bare = packetize_ok(p, bare_idr, MAX_PAYLOAD);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(l_bare), ==, 3);
	assert_fu_a(l_bare, 0, 3, idr, MAX_PAYLOAD);
	hdmirtc_rtp_packet_list_unref(l_bare);

	l_key = packetize_ok(p, key, MAX_PAYLOAD);
	l_bare = packetize_ok(p, bare_idr, MAX_PAYLOAD);
	l_sps = packetize_ok(p, sps_only, MAX_PAYLOAD);
	/* the bare IDR and the one lacking a PPS now look like the keyframe */
	assert_same_payloads(l_key, l_bare);
	assert_same_payloads(l_key, l_sps);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(l_key), ==, 4);
	/* a non-IDR frame gets nothing inserted */
	l_p = packetize_ok(p, p_frame, MAX_PAYLOAD);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(l_p), ==, 1);
	assert_payload_is_nal(l_p, 0, slice);

	/* the inserted parameter sets stay valid after the packetizer is gone */
	hdmirtc_h264_packetizer_free(p);
	assert_same_payloads(l_key, l_bare);

	hdmirtc_rtp_packet_list_unref(l_key);
	hdmirtc_rtp_packet_list_unref(l_bare);
	hdmirtc_rtp_packet_list_unref(l_sps);
	hdmirtc_rtp_packet_list_unref(l_p);
	hdmirtc_access_unit_unref(key);
	hdmirtc_access_unit_unref(bare_idr);
	hdmirtc_access_unit_unref(p_frame);
	hdmirtc_access_unit_unref(sps_only);
	g_bytes_unref(sps);
	g_bytes_unref(pps);
	g_bytes_unref(idr);
	g_bytes_unref(slice);
}

/* A keyframe in two parts: the first (parameter sets, top slice) ends
 * without the marker; the rest (bottom slice) gets no parameter sets in
 * front of its IDR slice and ends the picture with the marker. */
static void test_picture_in_two_parts(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *sps = make_nal(0x67, 12, 1), *pps = make_nal(0x68, 4, 2);
	GBytes *top = make_nal(0x65, 2500, 3), *bottom = make_nal(0x65, 300, 4);
	HdmirtcAccessUnit *first = make_au(sps, pps, top, NULL), *rest = make_au(bottom, NULL);
	HdmirtcRtpPacketList *l_first, *l_rest;
	guint n;

	first->part = HDMIRTC_AU_FIRST;
	rest->part = HDMIRTC_AU_REST;
	l_first = packetize_ok(p, first, MAX_PAYLOAD);
	l_rest = packetize_ok(p, rest, MAX_PAYLOAD);
	n = hdmirtc_rtp_packet_list_get_n_packets(l_first);
	g_assert_cmpuint(n, ==, 4);
	for (guint i = 0; i < n; i++)
		g_assert_false(hdmirtc_rtp_packet_list_get_marker(l_first, i));
	g_assert_true(hdmirtc_rtp_packet_list_is_keyframe(l_first));
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(l_rest), ==, 1);
	assert_payload_is_nal(l_rest, 0, bottom);
	g_assert_true(hdmirtc_rtp_packet_list_get_marker(l_rest, 0));
	g_assert_true(hdmirtc_rtp_packet_list_is_keyframe(l_rest));

	/* The same bottom slice, whole, has the cached parameter sets put in
	 * front of it. */
	rest->part = HDMIRTC_AU_WHOLE;
	hdmirtc_rtp_packet_list_unref(l_rest);
	l_rest = packetize_ok(p, rest, MAX_PAYLOAD);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(l_rest), ==, 1);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_payload_size(l_rest, 0), >, g_bytes_get_size(bottom));

	hdmirtc_rtp_packet_list_unref(l_first);
	hdmirtc_rtp_packet_list_unref(l_rest);
	hdmirtc_access_unit_unref(first);
	hdmirtc_access_unit_unref(rest);
	hdmirtc_h264_packetizer_free(p);
	g_bytes_unref(sps);
	g_bytes_unref(pps);
	g_bytes_unref(top);
	g_bytes_unref(bottom);
}

static void test_parameter_set_cache_updates(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *sps1 = make_nal(0x67, 12, 1), *sps2 = make_nal(0x67, 14, 9);
	GBytes *pps = make_nal(0x68, 4, 2), *idr = make_nal(0x65, 50, 3);
	HdmirtcAccessUnit *k1 = make_au(sps1, pps, idr, NULL);
	HdmirtcAccessUnit *k2 = make_au(sps2, pps, idr, NULL);
	HdmirtcAccessUnit *bare = make_au(idr, NULL);
	HdmirtcRtpPacketList *a, *b, *c;

	hdmirtc_rtp_packet_list_unref(packetize_ok(p, k1, MAX_PAYLOAD));
	a = packetize_ok(p, k2, MAX_PAYLOAD);   /* resolution change: new SPS */
	b = packetize_ok(p, bare, MAX_PAYLOAD);
	assert_same_payloads(a, b);
	c = packetize_ok(p, k1, MAX_PAYLOAD);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_payload_size(c, 0), ==,
	                 hdmirtc_rtp_packet_list_get_payload_size(a, 0) - 2);

	hdmirtc_rtp_packet_list_unref(a);
	hdmirtc_rtp_packet_list_unref(b);
	hdmirtc_rtp_packet_list_unref(c);
	hdmirtc_access_unit_unref(k1);
	hdmirtc_access_unit_unref(k2);
	hdmirtc_access_unit_unref(bare);
	g_bytes_unref(sps1);
	g_bytes_unref(sps2);
	g_bytes_unref(pps);
	g_bytes_unref(idr);
	hdmirtc_h264_packetizer_free(p);
}

/* ---- errors and lifetime ------------------------------------------------- */

static void expect_error(HdmirtcH264Packetizer *p, const guint8 *d, gsize len, guint max, gint code)
{
	GError *error = NULL;
	HdmirtcRtpPacketList *list = packetize_bytes(p, d, len, max, &error);

	g_assert_null(list);
	g_assert_error(error, HDMIRTC_RTP_ERROR, code);
	g_error_free(error);
}

static void test_bad_access_units(void)
{
	static const guint8 garbage[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0x00, 0x00, 0x02, 0x01 };
	static const guint8 junk_first[] = { 0x12, 0, 0, 1, 0x41, 0x01 };
	static const guint8 forbidden[] = { 0, 0, 1, 0xc1, 0x01 };
	static const guint8 stap_in_annexb[] = { 0, 0, 1, 0x78, 0x01 };
	static const guint8 type0[] = { 0, 0, 1, 0x40, 0x01 };
	static const guint8 only_aud[] = { 0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1 };
	static const guint8 only_zeros[] = { 0, 0, 0, 0, 0, 0 };
	static const guint8 ok[] = { 0, 0, 1, 0x41, 0x01 };
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	HdmirtcAccessUnit empty;

	hdmirtc_access_unit_init(&empty, NULL, NULL);
	g_assert_null(hdmirtc_h264_packetizer_packetize(p, &empty, MAX_PAYLOAD, NULL));
	expect_error(p, garbage, 1, MAX_PAYLOAD, HDMIRTC_RTP_ERROR_NO_START_CODE);
	expect_error(p, garbage, sizeof(garbage), MAX_PAYLOAD, HDMIRTC_RTP_ERROR_NO_START_CODE);
	expect_error(p, only_zeros, sizeof(only_zeros), MAX_PAYLOAD, HDMIRTC_RTP_ERROR_NO_START_CODE);
	expect_error(p, junk_first, sizeof(junk_first), MAX_PAYLOAD, HDMIRTC_RTP_ERROR_INVALID_NAL);
	expect_error(p, forbidden, sizeof(forbidden), MAX_PAYLOAD, HDMIRTC_RTP_ERROR_INVALID_NAL);
	expect_error(p, stap_in_annexb, sizeof(stap_in_annexb), MAX_PAYLOAD, HDMIRTC_RTP_ERROR_INVALID_NAL);
	expect_error(p, type0, sizeof(type0), MAX_PAYLOAD, HDMIRTC_RTP_ERROR_INVALID_NAL);
	expect_error(p, only_aud, sizeof(only_aud), MAX_PAYLOAD, HDMIRTC_RTP_ERROR_NO_NAL_UNITS);
	expect_error(p, ok, sizeof(ok), HDMIRTC_RTP_MIN_MAX_PAYLOAD - 1, HDMIRTC_RTP_ERROR_INVALID_ARGUMENT);
	expect_error(p, ok, sizeof(ok), HDMIRTC_RTP_MAX_MAX_PAYLOAD + 1, HDMIRTC_RTP_ERROR_INVALID_ARGUMENT);
	/* the packetizer still works after errors */
	hdmirtc_rtp_packet_list_unref(packetize_bytes(p, ok, sizeof(ok), MAX_PAYLOAD, NULL));
	hdmirtc_h264_packetizer_free(p);
	hdmirtc_h264_packetizer_free(NULL);
	hdmirtc_rtp_packet_list_unref(NULL);
}

static void count_release(HdmirtcAccessUnit *au, gpointer user_data)
{
	(*(int *)user_data)++;
}

static void test_list_holds_access_unit(void)
{
	static const guint8 data[] = { 0, 0, 1, 0x65, 0x11, 0x22 };
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	HdmirtcAccessUnit au;
	HdmirtcRtpPacketList *list;
	int released = 0;

	hdmirtc_access_unit_init(&au, count_release, &released);
	au.data = data;
	au.size = sizeof(data);
	list = packetize_ok(p, &au, MAX_PAYLOAD);
	hdmirtc_rtp_packet_list_ref(list);
	hdmirtc_access_unit_unref(&au);            /* producer's reference */
	g_assert_cmpint(released, ==, 0);
	hdmirtc_rtp_packet_list_unref(list);
	g_assert_cmpint(released, ==, 0);
	hdmirtc_rtp_packet_list_unref(list);
	g_assert_cmpint(released, ==, 1);
	hdmirtc_h264_packetizer_free(p);
}

/* ---- RTP header and extensions ------------------------------------------- */

static void test_header_without_extensions(void)
{
	static const guint8 nal[] = { 0, 0, 1, 0x41, 0x9a };
	static const guint8 want[] = { 0x80, 0xe0, 0xff, 0xff, 0x00, 0x01, 0x5f, 0x90,
	                               0xca, 0xfe, 0xba, 0xbe, 0x41, 0x9a };
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	HdmirtcRtpPacketList *list = packetize_bytes(p, nal, sizeof(nal), MAX_PAYLOAD, NULL);
	/* ids set but no mid string: nothing to write */
	HdmirtcRtpHeader hdr = { .payload_type = 96, .seq = 0xffff, .timestamp = 90000,
	                         .ssrc = 0xcafebabe, .mid_id = 1 };
	guint8 buf[32];

	g_assert_cmpuint(hdmirtc_rtp_header_get_size(&hdr), ==, 12);
	g_assert_cmpint(hdmirtc_rtp_packet_list_write(list, 0, &hdr, buf, sizeof(buf)), ==, sizeof(want));
	g_assert_cmpmem(buf, sizeof(want), want, sizeof(want));
	g_assert_cmpint(hdmirtc_rtp_packet_list_write(list, 0, &hdr, buf, sizeof(want) - 1), ==, -ENOSPC);
	g_assert_cmpint(hdmirtc_rtp_packet_list_write(list, 0, &hdr, buf, 11), ==, -ENOSPC);
	g_assert_cmpint(hdmirtc_rtp_packet_list_write(list, 1, &hdr, buf, sizeof(buf)), ==, -EINVAL);
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_h264_packetizer_free(p);
}

/* mid "0" (id 1, L=0), abs-capture-time (id 2, L=7: 64-bit NTP), and
 * playout-delay 0/0 (id 3, L=2): 2 + 9 + 4 = 15 bytes + 1 pad = 4 words.
 * Hand-encoded per RFC 8285 4.2 and the two webrtc.org extension specs. */
static void test_header_extensions_bytes(void)
{
	static const guint8 want[] = {
		0x90, 0xe6, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44,
		0xbe, 0xde, 0x00, 0x04,
		0x10, '0',
		0x27, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x32, 0x00, 0x00, 0x00,
		0x00,
	};
	HdmirtcRtpHeader hdr = { .payload_type = 102, .seq = 0x1234, .timestamp = 0xdeadbeef,
	                         .ssrc = 0x11223344, .mid_id = 1, .mid = "0",
	                         .abs_capture_time_id = 2, .abs_capture_ntp = 0x0123456789abcdefull,
	                         .playout_delay_id = 3 };
	guint8 buf[64];

	memset(buf, 0xaa, sizeof(buf));
	g_assert_cmpuint(hdmirtc_rtp_header_get_size(&hdr), ==, sizeof(want));
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, TRUE, buf, sizeof(buf)), ==, sizeof(want));
	g_assert_cmpmem(buf, sizeof(want), want, sizeof(want));
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, TRUE, buf, sizeof(want) - 1), ==, -ENOSPC);
}

static void test_header_extension_variants(void)
{
	/* playout-delay min 100 ms (10), max 2910 ms (0x123): 0x00 0xa1 0x23 */
	static const guint8 delay[] = { 0xbe, 0xde, 0x00, 0x01, 0x52, 0x00, 0xa1, 0x23 };
	/* 5-byte mid, id 14: 0xe4 + "video" + 2 pad */
	static const guint8 mid[] = { 0xbe, 0xde, 0x00, 0x02, 0xe4, 'v', 'i', 'd', 'e', 'o', 0, 0 };
	HdmirtcRtpHeader hdr = { .payload_type = 96, .playout_delay_id = 5,
	                         .playout_delay_min = 10, .playout_delay_max = 0x123 };
	guint8 buf[64];

	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, FALSE, buf, sizeof(buf)), ==, 20);
	g_assert_cmphex(buf[0], ==, 0x90);
	g_assert_cmphex(buf[1], ==, 96);
	g_assert_cmpmem(buf + 12, 8, delay, sizeof(delay));

	hdr = (HdmirtcRtpHeader){ .payload_type = 96, .mid_id = 14, .mid = "video" };
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, FALSE, buf, sizeof(buf)), ==, 24);
	g_assert_cmpmem(buf + 12, 12, mid, sizeof(mid));
}

static void test_header_invalid_fields(void)
{
	HdmirtcRtpHeader ok = { .payload_type = 96, .mid_id = 1, .mid = "a",
	                        .abs_capture_time_id = 2, .playout_delay_id = 3 };
	HdmirtcRtpHeader hdr;
	guint8 buf[64];

	g_assert_cmpint(hdmirtc_rtp_header_write(&ok, FALSE, buf, sizeof(buf)), >, 0);
	hdr = ok, hdr.payload_type = 128;
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, FALSE, buf, sizeof(buf)), ==, -EINVAL);
	hdr = ok, hdr.abs_capture_time_id = 15;
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, FALSE, buf, sizeof(buf)), ==, -EINVAL);
	hdr = ok, hdr.playout_delay_id = 1;         /* same id as mid */
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, FALSE, buf, sizeof(buf)), ==, -EINVAL);
	hdr = ok, hdr.playout_delay_max = 4096;
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, FALSE, buf, sizeof(buf)), ==, -EINVAL);
	hdr = ok;
	memset(hdr.mid, 'x', sizeof(hdr.mid));      /* not NUL-terminated: 17 bytes */
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, FALSE, buf, sizeof(buf)), ==, -EINVAL);
	hdr.mid[16] = '\0';                         /* 16 is the one-byte maximum */
	g_assert_cmpint(hdmirtc_rtp_header_write(&hdr, FALSE, buf, sizeof(buf)), ==,
	                12 + 4 + 17 + 9 + 4 + 2);
}

static void test_write_whole_packets(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	GBytes *nal = make_nal(0x65, 3000, 7);
	HdmirtcAccessUnit *au = make_au(nal, NULL);
	HdmirtcRtpPacketList *list = packetize_ok(p, au, MAX_PAYLOAD);
	HdmirtcRtpHeader hdr = { .payload_type = 96, .seq = 65534, .ssrc = 1,
	                         .abs_capture_time_id = 3, .abs_capture_ntp = 42 };
	guint n = hdmirtc_rtp_packet_list_get_n_packets(list);
	guint8 buf[1500];

	for (guint i = 0; i < n; i++, hdr.seq++) {
		gssize len = hdmirtc_rtp_packet_list_write(list, i, &hdr, buf, sizeof(buf));
		GBytes *pl = payload(list, i);

		g_assert_cmpint(len, ==, 28 + g_bytes_get_size(pl));
		g_assert_cmphex(buf[1] & 0x80, ==, i == n - 1 ? 0x80 : 0);
		g_assert_cmpuint(buf[2] << 8 | buf[3], ==, hdr.seq);
		g_assert_cmpmem(buf + 28, len - 28, g_bytes_get_data(pl, NULL), g_bytes_get_size(pl));
		g_bytes_unref(pl);
	}
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	g_bytes_unref(nal);
	hdmirtc_h264_packetizer_free(p);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtp-h264/single-nal-exact-max", test_single_nal_exact_max);
	g_test_add_func("/rtp-h264/fu-a-max-plus-one", test_fu_a_max_plus_one);
	g_test_add_func("/rtp-h264/fu-a-three-times-max", test_fu_a_three_times_max);
	g_test_add_func("/rtp-h264/fu-a-balanced", test_fu_a_fragment_sizes_balanced);
	g_test_add_func("/rtp-h264/stap-a-sps-pps-slice", test_stap_a_sps_pps_slice);
	g_test_add_func("/rtp-h264/stap-a-exactly-full", test_stap_a_exactly_full);
	g_test_add_func("/rtp-h264/stap-a-not-over-max", test_stap_a_not_over_max);
	g_test_add_func("/rtp-h264/mixed-access-unit", test_mixed_access_unit);
	g_test_add_func("/rtp-h264/start-codes", test_start_codes_3_and_4_bytes);
	g_test_add_func("/rtp-h264/drops-aud-filler", test_drops_aud_and_filler);
	g_test_add_func("/rtp-h264/cached-sps-pps", test_cached_parameter_sets_before_idr);
	g_test_add_func("/rtp-h264/sps-cache-updates", test_parameter_set_cache_updates);
	g_test_add_func("/rtp-h264/picture-in-two-parts", test_picture_in_two_parts);
	g_test_add_func("/rtp-h264/bad-access-units", test_bad_access_units);
	g_test_add_func("/rtp-h264/list-holds-access-unit", test_list_holds_access_unit);
	g_test_add_func("/rtp-header/no-extensions", test_header_without_extensions);
	g_test_add_func("/rtp-header/extensions-bytes", test_header_extensions_bytes);
	g_test_add_func("/rtp-header/extension-variants", test_header_extension_variants);
	g_test_add_func("/rtp-header/invalid-fields", test_header_invalid_fields);
	g_test_add_func("/rtp-header/write-packets", test_write_whole_packets);
	return g_test_run();
}
