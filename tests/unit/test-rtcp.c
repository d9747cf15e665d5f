/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/rtcp.h"

#include <errno.h>
#include <string.h>

/* Events collected by the parse callback. */
typedef struct {
	HdmirtcRtcpEvent ev[64];
	guint n;
} Events;

static void collect(const HdmirtcRtcpEvent *event, gpointer user_data)
{
	Events *e = user_data;

	g_assert_cmpuint(e->n, <, G_N_ELEMENTS(e->ev));
	e->ev[e->n++] = *event;
}

static int parse(const guint8 *buf, gsize len, Events *events, HdmirtcRtcpCounts *counts)
{
	memset(events, 0, sizeof(*events));
	return hdmirtc_rtcp_parse(buf, len, collect, events, counts);
}

/* ---- NTP ------------------------------------------------------------------ */

static void test_ntp_conversion(void)
{
	/* Unix epoch is NTP second 2208988800 = 0x83aa7e80 */
	g_assert_cmphex(hdmirtc_ntp_from_wall_us(0), ==, 0x83aa7e8000000000ull);
	/* 1700000000.25 s: seconds 0xe8fe6f80, fraction 0.25 * 2^32 */
	g_assert_cmphex(hdmirtc_ntp_from_wall_us(1700000000250000ll), ==, 0xe8fe6f8040000000ull);
	g_assert_cmphex(hdmirtc_ntp_compact_from_wall_us(1700000000250000ll), ==, 0x6f804000u);
	/* 0.123456 s * 2^32 = 530239482.4 -> 0x1f9acffa */
	g_assert_cmphex(hdmirtc_ntp_from_wall_us(1700000000123456ll), ==, 0xe8fe6f801f9acffaull);
	g_assert_cmphex(hdmirtc_ntp_to_compact(0xe8fe6f801f9acffaull), ==, 0x6f801f9au);
	/* 1 us is 4294.97 fraction units */
	g_assert_cmphex(hdmirtc_ntp_from_wall_us(1) & 0xffffffffu, ==, 4295);
	g_assert_cmphex(hdmirtc_ntp_from_wall_us(999999) & 0xffffffffu, ==, 0xffffef39u);
	for (gint64 us = 1700000000000000ll; us < 1700000000000000ll + 3000000; us += 99991)
		g_assert_cmpint(hdmirtc_ntp_to_wall_us(hdmirtc_ntp_from_wall_us(us)), ==, us);
}

static void test_rtp_clock(void)
{
	g_assert_cmpuint(hdmirtc_rtp_timestamp_90khz(0, 1234), ==, 1234);
	g_assert_cmpuint(hdmirtc_rtp_timestamp_90khz(1000000, 0), ==, 90000);
	g_assert_cmpuint(hdmirtc_rtp_timestamp_90khz(33333, 10), ==, 10 + 2999);
	/* wraps modulo 2^32 */
	g_assert_cmpuint(hdmirtc_rtp_timestamp_90khz(1000000, 0xffffffffu), ==, 89999);
	g_assert_cmpuint(hdmirtc_rtp_timestamp_90khz(86400ll * 1000000 * 365, 0), ==,
	                 (guint32)(86400ull * 365 * 90000));
}

/* ---- building ------------------------------------------------------------- */

static void test_sr_sdes_bytes(void)
{
	static const guint8 want[] = {
		/* SR, RC=0, length 6 */
		0x80, 0xc8, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44,
		0xe8, 0xfe, 0x6f, 0x80, 0x40, 0x00, 0x00, 0x00,
		0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x2e, 0xe0,
		/* SDES, SC=1, length 3: CNAME(1) len 4 "abcd", end, pad */
		0x81, 0xca, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44,
		0x01, 0x04, 'a', 'b', 'c', 'd', 0x00, 0x00,
	};
	HdmirtcRtcpSenderInfo info = { .ssrc = 0x11223344, .ntp = 0xe8fe6f8040000000ull,
	                               .rtp_timestamp = 0x01020304, .packet_count = 10,
	                               .octet_count = 12000 };
	guint8 buf[128];

	memset(buf, 0xaa, sizeof(buf));
	g_assert_cmpuint(hdmirtc_rtcp_sr_sdes_size("abcd"), ==, sizeof(want));
	g_assert_cmpint(hdmirtc_rtcp_build_sr_sdes(&info, "abcd", buf, sizeof(buf)), ==, sizeof(want));
	g_assert_cmpmem(buf, sizeof(want), want, sizeof(want));
	g_assert_cmpint(hdmirtc_rtcp_build_sr_sdes(&info, "abcd", buf, sizeof(want) - 1), ==, -ENOSPC);
}

static void test_sr_sdes_padding_and_limits(void)
{
	static const guint8 sdes6[] = { 0x81, 0xca, 0x00, 0x04, 0, 0, 0, 7,
	                                0x01, 0x06, 'a', 'b', 'c', 'd', 'e', 'f', 0, 0, 0, 0 };
	HdmirtcRtcpSenderInfo info = { .ssrc = 7 };
	char long_cname[300];
	guint8 buf[600];
	Events ev;
	HdmirtcRtcpCounts counts;

	/* 2 + 6 item bytes fill a word: the end-of-items zero needs a new one */
	g_assert_cmpint(hdmirtc_rtcp_build_sr_sdes(&info, "abcdef", buf, sizeof(buf)), ==, 48);
	g_assert_cmpmem(buf + 28, 20, sdes6, sizeof(sdes6));
	g_assert_cmpint(parse(buf, 48, &ev, &counts), ==, 0);
	g_assert_cmpuint(counts.n_packets, ==, 2);
	g_assert_cmpuint(counts.n_sr, ==, 1);
	g_assert_cmpuint(counts.n_sdes, ==, 1);
	g_assert_cmpuint(ev.n, ==, 1);
	g_assert_cmpint(ev.ev[0].type, ==, HDMIRTC_RTCP_EVENT_SENDER_REPORT);
	g_assert_cmpuint(ev.ev[0].sender_ssrc, ==, 7);

	memset(long_cname, 'c', 255);
	long_cname[255] = '\0';
	g_assert_cmpint(hdmirtc_rtcp_build_sr_sdes(&info, long_cname, buf, sizeof(buf)), ==,
	                28 + 8 + 260);
	long_cname[255] = 'c';
	long_cname[256] = '\0';
	g_assert_cmpint(hdmirtc_rtcp_build_sr_sdes(&info, long_cname, buf, sizeof(buf)), ==, -EINVAL);
	g_assert_cmpint(hdmirtc_rtcp_build_sr_sdes(&info, "", buf, sizeof(buf)), ==, -EINVAL);
}

static void test_bye_build(void)
{
	static const guint8 want[] = { 0x81, 0xcb, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef };
	guint8 buf[8];
	Events ev;

	g_assert_cmpint(hdmirtc_rtcp_build_bye(0xdeadbeef, buf, sizeof(buf)), ==, 8);
	g_assert_cmpmem(buf, 8, want, sizeof(want));
	g_assert_cmpint(hdmirtc_rtcp_build_bye(1, buf, 7), ==, -ENOSPC);
	g_assert_cmpint(parse(buf, 8, &ev, NULL), ==, 0);
	g_assert_cmpuint(ev.n, ==, 1);
	g_assert_cmpint(ev.ev[0].type, ==, HDMIRTC_RTCP_EVENT_BYE);
	g_assert_cmphex(ev.ev[0].media_ssrc, ==, 0xdeadbeef);
}

/* ---- parsing hand-built packets ------------------------------------------- */

static void test_parse_rr(void)
{
	static const guint8 rr[] = {
		0x81, 0xc9, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01,        /* RR from 1 */
		0xca, 0xfe, 0xba, 0xbe,                                 /* about 0xcafebabe */
		0x19, 0xff, 0xff, 0xfe,                                 /* 25/256 lost, cumulative -2 */
		0x00, 0x01, 0x00, 0x10,                                 /* cycles 1, seq 16 */
		0x00, 0x00, 0x00, 0x20,                                 /* jitter 32 */
		0x6f, 0x80, 0x40, 0x00,                                 /* LSR */
		0x00, 0x01, 0x00, 0x00,                                 /* DLSR 1 s */
	};
	Events ev;
	HdmirtcRtcpCounts counts;
	const HdmirtcRtcpReportBlock *rb;

	g_assert_cmpint(parse(rr, sizeof(rr), &ev, &counts), ==, 0);
	g_assert_cmpuint(counts.n_rr, ==, 1);
	g_assert_cmpuint(counts.n_report_blocks, ==, 1);
	g_assert_cmpuint(ev.n, ==, 1);
	g_assert_cmpint(ev.ev[0].type, ==, HDMIRTC_RTCP_EVENT_REPORT_BLOCK);
	g_assert_cmphex(ev.ev[0].sender_ssrc, ==, 1);
	g_assert_cmphex(ev.ev[0].media_ssrc, ==, 0xcafebabe);
	rb = &ev.ev[0].report;
	g_assert_cmphex(rb->ssrc, ==, 0xcafebabe);
	g_assert_cmpuint(rb->fraction_lost, ==, 25);
	g_assert_cmpint(rb->cumulative_lost, ==, -2);
	g_assert_cmphex(rb->ext_highest_seq, ==, 0x00010010);
	g_assert_cmpuint(rb->jitter, ==, 32);
	g_assert_cmphex(rb->lsr, ==, 0x6f804000);
	g_assert_cmphex(rb->dlsr, ==, 0x00010000);
	/* the reply arrived 1 s + 3277/65536 s after our SR: RTT 50.003 ms */
	g_assert_cmpuint(hdmirtc_rtcp_rtt_us(0x6f804000 + 0x10000 + 3277, rb->lsr, rb->dlsr), ==, 50003);
}

static void test_rtt(void)
{
	g_assert_cmpuint(hdmirtc_rtcp_rtt_us(0x12345678, 0, 0), ==, 0);
	g_assert_cmpuint(hdmirtc_rtcp_rtt_us(0x00010000, 0x00008000, 0), ==, 500000);
	/* compact NTP wraps every 18 hours */
	g_assert_cmpuint(hdmirtc_rtcp_rtt_us(0x00000100, 0xffffff00, 0x100), ==, 3906);
	/* DLSR larger than the elapsed time: skew, not a huge RTT */
	g_assert_cmpuint(hdmirtc_rtcp_rtt_us(0x00020000, 0x00010000, 0x00020000), ==, 0);
	g_assert_cmpuint(hdmirtc_rtcp_rtt_us(0x00020000, 0x00010000, 0x00010000), ==, 0);
}

static void test_parse_nack(void)
{
	static const guint8 nack[] = {
		0x81, 0xcd, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0xca, 0xfe, 0xba, 0xbe,
		0x00, 0x64, 0x80, 0x05,         /* 100 + bits 0, 2, 15: 101, 103, 116 */
		0xff, 0xff, 0x00, 0x01,         /* 65535 + bit 0: 0 (wrap) */
	};
	static const guint16 want0[] = { 100, 101, 103, 116 };
	Events ev;
	HdmirtcRtcpCounts counts;

	g_assert_cmpint(parse(nack, sizeof(nack), &ev, &counts), ==, 0);
	g_assert_cmpuint(counts.n_nack, ==, 2);
	g_assert_cmpuint(counts.n_nack_seqs, ==, 6);
	g_assert_cmpuint(ev.n, ==, 2);
	g_assert_cmpint(ev.ev[0].type, ==, HDMIRTC_RTCP_EVENT_NACK);
	g_assert_cmphex(ev.ev[0].media_ssrc, ==, 0xcafebabe);
	g_assert_cmpmem(ev.ev[0].nack.seqs, ev.ev[0].nack.n_seqs * 2, want0, sizeof(want0));
	g_assert_cmpuint(ev.ev[1].nack.n_seqs, ==, 2);
	g_assert_cmpuint(ev.ev[1].nack.seqs[0], ==, 65535);
	g_assert_cmpuint(ev.ev[1].nack.seqs[1], ==, 0);
}

static void test_parse_nack_full_mask(void)
{
	static const guint8 nack[] = {
		0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0x10, 0x00, 0xff, 0xff,
	};
	Events ev;

	g_assert_cmpint(parse(nack, sizeof(nack), &ev, NULL), ==, 0);
	g_assert_cmpuint(ev.ev[0].nack.n_seqs, ==, 17);
	for (guint i = 0; i < 17; i++)
		g_assert_cmpuint(ev.ev[0].nack.seqs[i], ==, 0x1000 + i);
}

static void test_parse_pli_fir(void)
{
	static const guint8 pkt[] = {
		/* PLI */
		0x81, 0xce, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0xca, 0xfe, 0xba, 0xbe,
		/* FIR with two entries */
		0x84, 0xce, 0x00, 0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0xca, 0xfe, 0xba, 0xbe, 0x07, 0x00, 0x00, 0x00,
		0x12, 0x34, 0x56, 0x78, 0xff, 0x00, 0x00, 0x00,
	};
	Events ev;
	HdmirtcRtcpCounts counts;

	g_assert_cmpint(parse(pkt, sizeof(pkt), &ev, &counts), ==, 0);
	g_assert_cmpuint(counts.n_pli, ==, 1);
	g_assert_cmpuint(counts.n_fir, ==, 2);
	g_assert_cmpuint(ev.n, ==, 3);
	g_assert_cmpint(ev.ev[0].type, ==, HDMIRTC_RTCP_EVENT_PLI);
	g_assert_cmphex(ev.ev[0].media_ssrc, ==, 0xcafebabe);
	g_assert_cmpint(ev.ev[1].type, ==, HDMIRTC_RTCP_EVENT_FIR);
	g_assert_cmphex(ev.ev[1].media_ssrc, ==, 0xcafebabe);
	g_assert_cmpuint(ev.ev[1].fir.seq_nr, ==, 7);
	g_assert_cmphex(ev.ev[2].media_ssrc, ==, 0x12345678);
	g_assert_cmpuint(ev.ev[2].fir.seq_nr, ==, 255);
}

static void test_parse_remb(void)
{
	/* 1.5 Mbit/s = 187500 << 3: exp 3, mantissa 0x2dc6c */
	static const guint8 remb[] = {
		0x8f, 0xce, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		'R', 'E', 'M', 'B', 0x01, 0x0e, 0xdc, 0x6c, 0xca, 0xfe, 0xba, 0xbe,
	};
	/* exp 63 with a large mantissa saturates */
	static const guint8 huge[] = {
		0x8f, 0xce, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0,
		'R', 'E', 'M', 'B', 0x00, 0xff, 0xff, 0xff,
	};
	/* a media SSRC field that is not 0 (the draft says it always is):
	 * not reported as a source, rtcp.h's media_ssrc stays 0 */
	static const guint8 media_set[] = {
		0x8f, 0xce, 0x00, 0x04, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe,
		'R', 'E', 'M', 'B', 0x00, 0x00, 0x10, 0x00,
	};
	/* another application-layer feedback: skipped, not an error */
	static const guint8 other_afb[] = {
		0x8f, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 'G', 'O', 'O', 'G',
	};
	Events ev;
	HdmirtcRtcpCounts counts;

	g_assert_cmpint(parse(remb, sizeof(remb), &ev, &counts), ==, 0);
	g_assert_cmpuint(counts.n_remb, ==, 1);
	g_assert_cmpuint(ev.n, ==, 1);
	g_assert_cmpint(ev.ev[0].type, ==, HDMIRTC_RTCP_EVENT_REMB);
	g_assert_cmpuint(ev.ev[0].remb.bitrate_bps, ==, 1500000);
	g_assert_cmpuint(ev.ev[0].remb.n_ssrcs, ==, 1);
	g_assert_cmphex(ev.ev[0].remb.ssrcs[0], ==, 0xcafebabe);

	g_assert_cmpint(parse(huge, sizeof(huge), &ev, NULL), ==, 0);
	g_assert_cmpuint(ev.ev[0].remb.bitrate_bps, ==, G_MAXUINT64);
	g_assert_cmpuint(ev.ev[0].remb.n_ssrcs, ==, 0);

	g_assert_cmpint(parse(media_set, sizeof(media_set), &ev, NULL), ==, 0);
	g_assert_cmpuint(ev.n, ==, 1);
	g_assert_cmphex(ev.ev[0].sender_ssrc, ==, 1);
	g_assert_cmphex(ev.ev[0].media_ssrc, ==, 0);
	g_assert_cmpuint(ev.ev[0].remb.bitrate_bps, ==, 4096);

	g_assert_cmpint(parse(other_afb, sizeof(other_afb), &ev, &counts), ==, 0);
	g_assert_cmpuint(ev.n, ==, 0);
	g_assert_cmpuint(counts.n_unknown, ==, 1);
}

/* What chromium sends for a receive-only video track: RR + SDES, then
 * transport-cc, REMB, XR, APP and a padded BYE. */
static void test_parse_compound(void)
{
	static const guint8 pkt[] = {
		/* RR with no blocks */
		0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
		/* SDES: CNAME "x" */
		0x81, 0xca, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 'x', 0x00,
		/* transport-cc: base 5, count 1, ref time, fb count, 1 chunk + 1 delta, padded */
		0x8f, 0xcd, 0x00, 0x05, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe,
		0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x20, 0x01, 0x04, 0x00,
		/* XR (207): unknown, skipped */
		0x80, 0xcf, 0x00, 0x01, 0, 0, 0, 1,
		/* APP (204) */
		0x80, 0xcc, 0x00, 0x02, 0, 0, 0, 1, 'n', 'a', 'm', 'e',
		/* BYE with padding: P=1, SC=1, 4 bytes pad */
		0xa1, 0xcb, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04,
	};
	Events ev;
	HdmirtcRtcpCounts counts;

	g_assert_cmpint(parse(pkt, sizeof(pkt), &ev, &counts), ==, 0);
	g_assert_cmpuint(counts.n_packets, ==, 6);
	g_assert_cmpuint(counts.n_rr, ==, 1);
	g_assert_cmpuint(counts.n_report_blocks, ==, 0);
	g_assert_cmpuint(counts.n_sdes, ==, 1);
	g_assert_cmpuint(counts.n_transport_cc, ==, 1);
	g_assert_cmpuint(counts.n_unknown, ==, 2);
	g_assert_cmpuint(counts.n_bye, ==, 1);
	g_assert_cmpuint(ev.n, ==, 2);
	g_assert_cmpint(ev.ev[0].type, ==, HDMIRTC_RTCP_EVENT_TRANSPORT_CC);
	g_assert_cmphex(ev.ev[0].media_ssrc, ==, 0xcafebabe);
	g_assert_cmpint(ev.ev[1].type, ==, HDMIRTC_RTCP_EVENT_BYE);
	/* parse works without callback or counts too */
	g_assert_cmpint(hdmirtc_rtcp_parse(pkt, sizeof(pkt), NULL, NULL, NULL), ==, 0);
}

/* ---- rejecting bad input -------------------------------------------------- */

static void expect_reject(const guint8 *buf, gsize len, HdmirtcRtcpParseError want)
{
	Events ev;
	HdmirtcRtcpCounts counts;
	/* a copy of exactly len bytes so ASan catches any read past the end */
	guint8 *copy = g_memdup2(buf, len);

	g_assert_cmpint(parse(copy, len, &ev, &counts), ==, -(int)want);
	g_assert_cmpuint(ev.n, ==, 0);
	g_assert_cmpuint(counts.n_packets, ==, 0);
	g_free(copy);
}

static void test_reject_malformed(void)
{
	static const guint8 pli[] = { 0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const guint8 v1[] = { 0x41, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const guint8 rtp_like[] = { 0x80, 0x60, 0x00, 0x01, 0, 0, 0, 1 };
	static const guint8 huge_len[] = { 0x81, 0xce, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const guint8 one_word_short[] = { 0x81, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const guint8 rr_missing_block[] = { 0x82, 0xc9, 0x00, 0x07, 0, 0, 0, 1,
	                                           1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0,
	                                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const guint8 sr_short[] = { 0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 1 };
	static const guint8 nack_no_fci[] = { 0x81, 0xcd, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const guint8 fb_short[] = { 0x81, 0xcd, 0x00, 0x01, 0, 0, 0, 1 };
	static const guint8 fir_half[] = { 0x84, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
	static const guint8 remb_ssrcs[] = { 0x8f, 0xce, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0,
	                                     'R', 'E', 'M', 'B', 0x05, 0x0e, 0xdc, 0x6c, 0, 0, 0, 1 };
	static const guint8 remb_short[] = { 0x8f, 0xce, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0,
	                                     'R', 'E', 'M', 'B' };
	static const guint8 tcc_short[] = { 0x8f, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 1 };
	static const guint8 bye_count[] = { 0x83, 0xcb, 0x00, 0x01, 0, 0, 0, 1 };
	static const guint8 bye_reason[] = { 0x81, 0xcb, 0x00, 0x02, 0, 0, 0, 1, 0x09, 'a', 'b', 'c' };
	/* padding flag on the first of two packets */
	static const guint8 pad_not_last[] = { 0xa1, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4,
	                                       0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const guint8 pad_zero[] = { 0xa1, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0 };
	static const guint8 pad_too_big[] = { 0xa1, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 9 };
	/* padding eats the feedback header */
	static const guint8 pad_eats_body[] = { 0xa1, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 8 };
	/* valid NACK then a packet whose length runs past the end: nothing delivered */
	static const guint8 good_then_bad[] = { 0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2,
	                                        0x00, 0x64, 0x00, 0x00,
	                                        0x81, 0xce, 0x00, 0x09, 0, 0, 0, 1 };
	guint8 trailing[sizeof(pli) + 2];

	g_assert_cmpint(hdmirtc_rtcp_parse(NULL, 0, NULL, NULL, NULL), ==, -HDMIRTC_RTCP_PARSE_EMPTY);
	expect_reject(pli, 0, HDMIRTC_RTCP_PARSE_EMPTY);
	expect_reject(pli, 3, HDMIRTC_RTCP_PARSE_TRUNCATED);
	expect_reject(pli, 11, HDMIRTC_RTCP_PARSE_BAD_LENGTH);
	memcpy(trailing, pli, sizeof(pli));
	trailing[12] = 0x81;
	trailing[13] = 0xce;
	expect_reject(trailing, sizeof(trailing), HDMIRTC_RTCP_PARSE_TRUNCATED);
	expect_reject(v1, sizeof(v1), HDMIRTC_RTCP_PARSE_BAD_VERSION);
	expect_reject(rtp_like, sizeof(rtp_like), HDMIRTC_RTCP_PARSE_BAD_PACKET_TYPE);
	expect_reject(huge_len, sizeof(huge_len), HDMIRTC_RTCP_PARSE_BAD_LENGTH);
	expect_reject(one_word_short, sizeof(one_word_short), HDMIRTC_RTCP_PARSE_BAD_LENGTH);
	expect_reject(rr_missing_block, sizeof(rr_missing_block), HDMIRTC_RTCP_PARSE_BAD_REPORT);
	expect_reject(sr_short, sizeof(sr_short), HDMIRTC_RTCP_PARSE_BAD_REPORT);
	expect_reject(nack_no_fci, sizeof(nack_no_fci), HDMIRTC_RTCP_PARSE_BAD_FEEDBACK);
	expect_reject(fb_short, sizeof(fb_short), HDMIRTC_RTCP_PARSE_BAD_FEEDBACK);
	expect_reject(fir_half, sizeof(fir_half), HDMIRTC_RTCP_PARSE_BAD_FEEDBACK);
	expect_reject(tcc_short, sizeof(tcc_short), HDMIRTC_RTCP_PARSE_BAD_FEEDBACK);
	expect_reject(remb_ssrcs, sizeof(remb_ssrcs), HDMIRTC_RTCP_PARSE_BAD_REMB);
	expect_reject(remb_short, sizeof(remb_short), HDMIRTC_RTCP_PARSE_BAD_REMB);
	expect_reject(bye_count, sizeof(bye_count), HDMIRTC_RTCP_PARSE_BAD_BYE);
	expect_reject(bye_reason, sizeof(bye_reason), HDMIRTC_RTCP_PARSE_BAD_BYE);
	expect_reject(pad_not_last, sizeof(pad_not_last), HDMIRTC_RTCP_PARSE_BAD_PADDING);
	expect_reject(pad_zero, sizeof(pad_zero), HDMIRTC_RTCP_PARSE_BAD_PADDING);
	expect_reject(pad_too_big, sizeof(pad_too_big), HDMIRTC_RTCP_PARSE_BAD_PADDING);
	expect_reject(pad_eats_body, sizeof(pad_eats_body), HDMIRTC_RTCP_PARSE_BAD_FEEDBACK);
	expect_reject(good_then_bad, sizeof(good_then_bad), HDMIRTC_RTCP_PARSE_BAD_LENGTH);
}

static void test_error_strings(void)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (int e = HDMIRTC_RTCP_PARSE_OK; e <= HDMIRTC_RTCP_PARSE_BAD_BYE; e++) {
		const char *s = hdmirtc_rtcp_parse_error_to_string(-e);

		g_assert_nonnull(s);
		g_assert_false(g_hash_table_contains(seen, s));
		g_hash_table_add(seen, (gpointer)s);
	}
	g_hash_table_unref(seen);
}

/* Random buffers and random corruptions of a valid compound: the parser
 * must return without reading outside the buffer (ASan checks that) and
 * every accepted packet must have been walked to its end. */
static void test_garbage_does_not_crash(void)
{
	static const guint8 valid[] = {
		0x81, 0xc9, 0x00, 0x07, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe, 0x19, 0xff, 0xff, 0xfe,
		0, 1, 0, 0x10, 0, 0, 0, 0x20, 0x6f, 0x80, 0x40, 0, 0, 1, 0, 0,
		0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe, 0x00, 0x64, 0x80, 0x05,
		0x8f, 0xce, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 0x01, 0x0e,
		0xdc, 0x6c, 0xca, 0xfe, 0xba, 0xbe,
	};
	GRand *rand = g_rand_new_with_seed(6184);
	guint accepted = 0;

	for (guint round = 0; round < 3000; round++) {
		gsize len = g_rand_int_range(rand, 1, sizeof(valid) + 1);
		guint8 *buf = g_malloc(len);
		HdmirtcRtcpCounts counts;
		Events ev;
		int ret;

		if (round % 2) {
			for (gsize i = 0; i < len; i++)
				buf[i] = g_rand_int_range(rand, 0, 256);
			buf[0] = 0x80 | (buf[0] & 0x3f);        /* get past the version check */
			if (len > 1)
				buf[1] = g_rand_int_range(rand, 200, 208);
		} else {
			memcpy(buf, valid, len);
			for (guint k = 0; k < 3; k++)
				buf[g_rand_int_range(rand, 0, len)] ^= 1u << g_rand_int_range(rand, 0, 8);
		}
		ret = parse(buf, len, &ev, &counts);
		g_assert_cmpint(ret, <=, 0);
		if (ret == 0) {
			accepted++;
			g_assert_cmpuint(counts.n_packets, >=, 1);
		} else {
			g_assert_cmpuint(ev.n, ==, 0);
			g_assert_cmpint(ret, >=, -HDMIRTC_RTCP_PARSE_BAD_BYE);
		}
		g_free(buf);
	}
	/* some corruptions keep the packet valid (payload bits) */
	g_assert_cmpuint(accepted, >, 0);
	g_rand_free(rand);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ntp/conversion", test_ntp_conversion);
	g_test_add_func("/ntp/rtp-clock", test_rtp_clock);
	g_test_add_func("/rtcp/sr-sdes-bytes", test_sr_sdes_bytes);
	g_test_add_func("/rtcp/sr-sdes-padding-limits", test_sr_sdes_padding_and_limits);
	g_test_add_func("/rtcp/bye-build", test_bye_build);
	g_test_add_func("/rtcp/parse-rr", test_parse_rr);
	g_test_add_func("/rtcp/rtt", test_rtt);
	g_test_add_func("/rtcp/parse-nack", test_parse_nack);
	g_test_add_func("/rtcp/parse-nack-full-mask", test_parse_nack_full_mask);
	g_test_add_func("/rtcp/parse-pli-fir", test_parse_pli_fir);
	g_test_add_func("/rtcp/parse-remb", test_parse_remb);
	g_test_add_func("/rtcp/parse-compound", test_parse_compound);
	g_test_add_func("/rtcp/reject-malformed", test_reject_malformed);
	g_test_add_func("/rtcp/error-strings", test_error_strings);
	g_test_add_func("/rtcp/garbage", test_garbage_does_not_crash);
	return g_test_run();
}
