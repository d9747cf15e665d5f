/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/rtp.h"

#include <errno.h>
#include <string.h>

/* A heap access unit whose release is counted, as a V4L2 buffer return
 * would be. */
typedef struct {
	HdmirtcAccessUnit au;
	guint8 data[4 + 3000];
	int *released;
} CountedAu;

static void release_counted(HdmirtcAccessUnit *au, gpointer user_data)
{
	CountedAu *c = user_data;

	(*c->released)++;
	g_free(c);
}

/* One slice NAL of 3000 bytes: 3 FU-A packets at 1200. */
static HdmirtcRtpPacketList *make_list(HdmirtcH264Packetizer *p, int *released, guint8 fill)
{
	CountedAu *c = g_new0(CountedAu, 1);
	HdmirtcRtpPacketList *list;

	hdmirtc_access_unit_init(&c->au, release_counted, c);
	c->released = released;
	c->data[3] = 1;
	c->data[4] = 0x41;   /* non-IDR slice */
	memset(c->data + 5, fill, sizeof(c->data) - 5);
	c->au.data = c->data;
	c->au.size = sizeof(c->data);
	list = hdmirtc_h264_packetizer_packetize(p, &c->au, 1200, NULL);
	g_assert_nonnull(list);
	g_assert_cmpuint(hdmirtc_rtp_packet_list_get_n_packets(list), ==, 3);
	hdmirtc_access_unit_unref(&c->au);         /* the list keeps it alive */
	return list;
}

static HdmirtcRtpHeader header_for(guint16 seq)
{
	HdmirtcRtpHeader hdr = { .payload_type = 96, .seq = seq, .timestamp = 1000u * seq,
	                         .ssrc = 0x5eed, .mid_id = 1, .mid = "v",
	                         .abs_capture_time_id = 2, .abs_capture_ntp = 0x1234ull * seq };
	return hdr;
}

static void test_capacity_rounding(void)
{
	const guint in[] = { 0, 1, 16, 17, 1000, 1024, 1025, 40000 };
	const guint want[] = { 16, 16, 16, 32, 1024, 1024, 2048, 32768 };

	for (guint i = 0; i < G_N_ELEMENTS(in); i++) {
		HdmirtcRtpHistory *h = hdmirtc_rtp_history_new(in[i]);

		g_assert_cmpuint(hdmirtc_rtp_history_get_capacity(h), ==, want[i]);
		hdmirtc_rtp_history_free(h);
	}
	hdmirtc_rtp_history_free(NULL);
}

/* Sends 3 packets per list across the 65535 -> 0 wrap into a 64-slot
 * history and checks retransmissions are bit-identical to first sends. */
static void test_wraparound_and_bit_identical(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	HdmirtcRtpHistory *h = hdmirtc_rtp_history_new(64);
	GHashTable *sent = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	                                         (GDestroyNotify)g_bytes_unref);
	const guint16 first = 65500;
	const guint total = 150;                   /* last seq: 65500 + 149 - 65536 = 113 */
	int released = 0;
	guint16 seq = first;
	guint8 buf[1500];
	HdmirtcRtpHistoryStats stats;

	for (guint i = 0; i < total / 3; i++) {
		HdmirtcRtpPacketList *list = make_list(p, &released, (guint8)(i + 1));

		for (guint k = 0; k < 3; k++, seq++) {
			HdmirtcRtpHeader hdr = header_for(seq);
			gssize len = hdmirtc_rtp_packet_list_write(list, k, &hdr, buf, sizeof(buf));

			g_assert_cmpint(len, >, 0);
			hdmirtc_rtp_history_add(h, list, k, &hdr, 1000 + seq);
			g_hash_table_insert(sent, GUINT_TO_POINTER(seq), g_bytes_new(buf, len));
		}
		hdmirtc_rtp_packet_list_unref(list);
	}
	/* only the last 64 of 150 are kept */
	for (guint i = 0; i < total; i++) {
		guint16 s = (guint16)(first + i);
		const HdmirtcRtpHistoryEntry *e = hdmirtc_rtp_history_lookup(h, s);
		gssize len = hdmirtc_rtp_history_retransmit(h, s, 5000, buf, sizeof(buf));
		GBytes *want;

		if (i < total - 64) {
			g_assert_null(e);
			g_assert_cmpint(len, ==, -ENOENT);
			continue;
		}
		g_assert_nonnull(e);
		g_assert_cmpuint(e->header.seq, ==, s);
		g_assert_cmpint(e->send_time_us, ==, 1000 + s);
		g_assert_cmpint(len, >, 0);
		want = g_hash_table_lookup(sent, GUINT_TO_POINTER(s));
		g_assert_cmpmem(buf, len, g_bytes_get_data(want, NULL), g_bytes_get_size(want));
		g_assert_cmpuint(e->resend_count, ==, 1);
		g_assert_cmpint(e->last_resend_us, ==, 5000);
	}
	/* never sent (between the newest and the oldest) */
	g_assert_null(hdmirtc_rtp_history_lookup(h, 30000));

	hdmirtc_rtp_history_get_stats(h, &stats);
	g_assert_cmpuint(stats.stored, ==, total);
	g_assert_cmpuint(stats.requested, ==, total);
	g_assert_cmpuint(stats.served, ==, 64);
	g_assert_cmpuint(stats.missed, ==, total - 64);

	/* 64 slots hold packets of the last 22 lists (64 = 1 + 21 * 3) */
	g_assert_cmpint(released, ==, total / 3 - 22);
	hdmirtc_rtp_history_free(h);
	g_assert_cmpint(released, ==, total / 3);
	g_hash_table_unref(sent);
	hdmirtc_h264_packetizer_free(p);
}

static void test_release_on_overwrite(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	HdmirtcRtpHistory *h = hdmirtc_rtp_history_new(16);
	int released = 0;
	HdmirtcRtpPacketList *a = make_list(p, &released, 0xaa);
	HdmirtcRtpPacketList *b = make_list(p, &released, 0xbb);
	HdmirtcRtpHeader hdr;

	for (guint16 s = 0; s < 3; s++) {
		hdr = header_for(s);
		hdmirtc_rtp_history_add(h, a, s, &hdr, 0);
	}
	hdmirtc_rtp_packet_list_unref(a);
	g_assert_cmpint(released, ==, 0);         /* the history holds a */

	/* re-adding the same list to the slot it already occupies */
	hdr = header_for(2);
	a = NULL;
	hdmirtc_rtp_history_add(h, (HdmirtcRtpPacketList *)hdmirtc_rtp_history_lookup(h, 2)->list,
	                        2, &hdr, 0);
	g_assert_cmpint(released, ==, 0);

	/* seqs 16..18 land in a's slots 0..2 */
	for (guint16 s = 16; s < 19; s++) {
		hdr = header_for(s);
		hdmirtc_rtp_history_add(h, b, s - 16, &hdr, 0);
		g_assert_cmpint(released, ==, s < 18 ? 0 : 1);
	}
	g_assert_null(hdmirtc_rtp_history_lookup(h, 0));
	g_assert_nonnull(hdmirtc_rtp_history_lookup(h, 16));

	hdmirtc_rtp_history_clear(h);
	g_assert_null(hdmirtc_rtp_history_lookup(h, 16));
	g_assert_cmpint(released, ==, 1);         /* b still has the caller's ref */
	hdmirtc_rtp_packet_list_unref(b);
	g_assert_cmpint(released, ==, 2);
	hdmirtc_rtp_history_free(h);
	hdmirtc_h264_packetizer_free(p);
}

static void test_retransmit_buffer_too_small(void)
{
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	HdmirtcRtpHistory *h = hdmirtc_rtp_history_new(16);
	int released = 0;
	HdmirtcRtpPacketList *list = make_list(p, &released, 0x11);
	HdmirtcRtpHeader hdr = header_for(7);
	HdmirtcRtpHistoryStats stats;
	guint8 buf[100];

	hdmirtc_rtp_history_add(h, list, 0, &hdr, 0);
	hdmirtc_rtp_packet_list_unref(list);
	g_assert_cmpint(hdmirtc_rtp_history_retransmit(h, 7, 1, buf, sizeof(buf)), ==, -ENOSPC);
	g_assert_cmpint(hdmirtc_rtp_history_retransmit(h, 8, 1, buf, sizeof(buf)), ==, -ENOENT);
	/* seq 7 + 16 maps to the same slot but was never sent */
	g_assert_cmpint(hdmirtc_rtp_history_retransmit(h, 23, 1, buf, sizeof(buf)), ==, -ENOENT);
	hdmirtc_rtp_history_get_stats(h, &stats);
	g_assert_cmpuint(stats.requested, ==, 3);
	g_assert_cmpuint(stats.served, ==, 0);
	g_assert_cmpuint(stats.missed, ==, 3);
	g_assert_cmpuint(hdmirtc_rtp_history_lookup(h, 7)->resend_count, ==, 0);
	hdmirtc_rtp_history_free(h);
	g_assert_cmpint(released, ==, 1);
	hdmirtc_h264_packetizer_free(p);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtp-history/capacity", test_capacity_rounding);
	g_test_add_func("/rtp-history/wraparound-bit-identical", test_wraparound_and_bit_identical);
	g_test_add_func("/rtp-history/release-on-overwrite", test_release_on_overwrite);
	g_test_add_func("/rtp-history/retransmit-errors", test_retransmit_buffer_too_small);
	return g_test_run();
}
