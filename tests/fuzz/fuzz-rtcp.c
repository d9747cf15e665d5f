/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-rtcp - a compound RTCP packet from a viewer, after SRTCP unprotect:
 * parsed, and each event handled as peer-rtp.c does (stats, RTT, NACKed
 * packets written again from a retransmission history, FIR deduplication,
 * BYE), with every field of every event read.  The parser's own promises
 * (rtcp.h) are checked too: a rejected packet delivers nothing, the counts
 * agree with the events, and a NACK names its PID and the BLP bits. */
#include <hdmirtc/rtcp.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/* Our SSRC, as in the seeds (tests/unit/test-rtcp.c uses it too). */
#define OUR_SSRC 0xcafebabeu
#define HISTORY_PACKETS 64

/* What peer-rtp.c keeps of a viewer's RTCP. */
typedef struct {
	guint32 remote_ssrc;
	guint8 fraction_lost;
	gint32 cumulative_lost;
	guint32 jitter;
	guint64 rtt_us;
	guint64 nack_seqs;
	guint64 retransmitted;
	guint64 pli;
	guint64 fir;
	gboolean have_fir_seq;
	guint8 last_fir_seq;
	guint64 remb_bps;
	gboolean closed;
	/* per event type, to hold the counts against */
	guint n_events[HDMIRTC_RTCP_EVENT_BYE + 1];
	guint n_nack_seqs;
	/* every field is folded in here, so none of the reads is dead */
	guint64 sink;
} Viewer;

/* Sent packets to retransmit: one small access unit packetized at the
 * smallest payload, its packets stored under sequence numbers that wrap
 * 65535 -> 0.  Built once; retransmission only reads it (and counts). */
static HdmirtcRtpHistory *history;

static void make_history(void)
{
	static const guint8 au_bytes[] = {
		0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8,
		0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
		0, 0, 1, 0x65, 0x88, 0x84, 0x21, 0xa0, 0xb4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
		0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x12, 0x34, 0x56, 0x78, 0x9a,
	};
	HdmirtcAccessUnit *au = hdmirtc_access_unit_new_copy(au_bytes, sizeof(au_bytes));
	HdmirtcH264Packetizer *p = hdmirtc_h264_packetizer_new();
	HdmirtcRtpPacketList *list = hdmirtc_h264_packetizer_packetize(p, au, HDMIRTC_RTP_MIN_MAX_PAYLOAD, NULL);
	HdmirtcRtpHeader hdr = { .payload_type = 102, .ssrc = OUR_SSRC, .mid_id = 1, .mid = "0" };
	guint n;

	g_assert(list != NULL);
	n = hdmirtc_rtp_packet_list_get_n_packets(list);
	history = hdmirtc_rtp_history_new(HISTORY_PACKETS);
	for (guint i = 0; i < HISTORY_PACKETS; i++) {
		hdr.seq = (guint16)(65536 - HISTORY_PACKETS / 2 + i);
		hdmirtc_rtp_history_add(history, list, i % n, &hdr, 1000 * i);
	}
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	hdmirtc_h264_packetizer_free(p);
}

static void retransmit(Viewer *v, guint16 seq)
{
	guint8 buf[1500];
	gssize len = hdmirtc_rtp_history_retransmit(history, seq, 1000000, buf, sizeof(buf));

	if (len <= 0)
		return;
	/* as sent: an RTP header for our SSRC and this sequence number */
	g_assert(len >= HDMIRTC_RTP_HEADER_SIZE);
	g_assert((buf[2] << 8 | buf[3]) == seq);
	v->retransmitted++;
}

/* Reads every field the event's type defines, and checks what rtcp.h
 * promises about them. */
static void walk_fields(Viewer *v, const HdmirtcRtcpEvent *ev)
{
	v->sink += ev->sender_ssrc + ev->media_ssrc;
	switch (ev->type) {
	case HDMIRTC_RTCP_EVENT_SENDER_REPORT:
		g_assert(ev->media_ssrc == ev->sender_ssrc);
		v->sink += ev->sr.ntp + ev->sr.rtp_timestamp + ev->sr.packet_count + ev->sr.octet_count;
		break;
	case HDMIRTC_RTCP_EVENT_REPORT_BLOCK:
		g_assert(ev->media_ssrc == ev->report.ssrc);
		/* signed 24 bits */
		g_assert(ev->report.cumulative_lost >= -0x800000 && ev->report.cumulative_lost <= 0x7fffff);
		v->sink += ev->report.fraction_lost + (guint32)ev->report.cumulative_lost +
		           ev->report.ext_highest_seq + ev->report.jitter + ev->report.lsr + ev->report.dlsr;
		break;
	case HDMIRTC_RTCP_EVENT_NACK:
		g_assert(ev->nack.n_seqs >= 1 && ev->nack.n_seqs <= HDMIRTC_RTCP_NACK_MAX_SEQS);
		/* PID first, then PID + 1..16 ascending (modulo 2^16) */
		for (guint i = 1; i < ev->nack.n_seqs; i++) {
			guint16 d = (guint16)(ev->nack.seqs[i] - ev->nack.seqs[0]);
			guint16 prev = (guint16)(ev->nack.seqs[i - 1] - ev->nack.seqs[0]);

			g_assert(d >= 1 && d <= 16 && d > prev);
		}
		for (guint i = 0; i < ev->nack.n_seqs; i++)
			v->sink += ev->nack.seqs[i];
		v->n_nack_seqs += ev->nack.n_seqs;
		break;
	case HDMIRTC_RTCP_EVENT_FIR:
		v->sink += ev->fir.seq_nr;
		break;
	case HDMIRTC_RTCP_EVENT_REMB:
		g_assert(ev->media_ssrc == 0);
		v->sink += ev->remb.bitrate_bps + ev->remb.n_ssrcs;
		for (guint i = 0; i < MIN(ev->remb.n_ssrcs, HDMIRTC_RTCP_REMB_MAX_SSRCS); i++)
			v->sink += ev->remb.ssrcs[i];
		break;
	case HDMIRTC_RTCP_EVENT_PLI:
	case HDMIRTC_RTCP_EVENT_TRANSPORT_CC:
	case HDMIRTC_RTCP_EVENT_BYE:
		break;
	default:
		g_assert_not_reached();
	}
	v->n_events[ev->type]++;
}

/* peer-rtp.c's on_rtcp_event, on a Viewer instead of a peer. */
static void on_event(const HdmirtcRtcpEvent *ev, gpointer user_data)
{
	Viewer *v = user_data;

	walk_fields(v, ev);
	if (ev->type != HDMIRTC_RTCP_EVENT_REMB && ev->media_ssrc != OUR_SSRC &&
	    ev->type != HDMIRTC_RTCP_EVENT_BYE && ev->type != HDMIRTC_RTCP_EVENT_SENDER_REPORT)
		return;
	v->remote_ssrc = ev->sender_ssrc;
	switch (ev->type) {
	case HDMIRTC_RTCP_EVENT_REPORT_BLOCK:
		v->fraction_lost = ev->report.fraction_lost;
		v->cumulative_lost = ev->report.cumulative_lost;
		v->jitter = ev->report.jitter;
		if (ev->report.lsr)
			v->rtt_us = hdmirtc_rtcp_rtt_us(hdmirtc_ntp_compact_from_wall_us(1700000000000000ll),
			                                ev->report.lsr, ev->report.dlsr);
		break;
	case HDMIRTC_RTCP_EVENT_NACK:
		for (guint i = 0; i < ev->nack.n_seqs; i++) {
			v->nack_seqs++;
			retransmit(v, ev->nack.seqs[i]);
		}
		break;
	case HDMIRTC_RTCP_EVENT_PLI:
		v->pli++;
		break;
	case HDMIRTC_RTCP_EVENT_FIR:
		if (v->have_fir_seq && v->last_fir_seq == ev->fir.seq_nr)
			break;
		v->have_fir_seq = TRUE;
		v->last_fir_seq = ev->fir.seq_nr;
		v->fir++;
		break;
	case HDMIRTC_RTCP_EVENT_REMB:
		v->remb_bps = ev->remb.bitrate_bps;
		break;
	case HDMIRTC_RTCP_EVENT_BYE:
		if (ev->media_ssrc == ev->sender_ssrc)
			v->closed = TRUE;
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	Viewer v = { 0 };
	HdmirtcRtcpCounts counts;
	guint n_events = 0;
	int ret;

	if (!history)
		make_history();
	ret = hdmirtc_rtcp_parse(data, size, on_event, &v, &counts);
	g_assert(ret <= 0 && ret >= -HDMIRTC_RTCP_PARSE_BAD_BYE);
	g_assert(hdmirtc_rtcp_parse_error_to_string(ret) != NULL);
	/* the service's call has neither callback nor counts in common with
	 * this one: the answer must not depend on them */
	g_assert(hdmirtc_rtcp_parse(data, size, NULL, NULL, NULL) == ret);
	for (guint i = 0; i < G_N_ELEMENTS(v.n_events); i++)
		n_events += v.n_events[i];
	if (ret < 0) {
		g_assert(n_events == 0);
		g_assert(counts.n_packets == 0);
		return 0;
	}
	g_assert(counts.n_packets >= 1);
	g_assert(v.n_events[HDMIRTC_RTCP_EVENT_SENDER_REPORT] == counts.n_sr);
	g_assert(v.n_events[HDMIRTC_RTCP_EVENT_REPORT_BLOCK] == counts.n_report_blocks);
	g_assert(v.n_events[HDMIRTC_RTCP_EVENT_NACK] == counts.n_nack);
	g_assert(v.n_nack_seqs == counts.n_nack_seqs);
	g_assert(v.n_events[HDMIRTC_RTCP_EVENT_PLI] == counts.n_pli);
	g_assert(v.n_events[HDMIRTC_RTCP_EVENT_FIR] == counts.n_fir);
	g_assert(v.n_events[HDMIRTC_RTCP_EVENT_REMB] == counts.n_remb);
	g_assert(v.n_events[HDMIRTC_RTCP_EVENT_TRANSPORT_CC] == counts.n_transport_cc);
	/* every packet is counted once, as one kind or as unknown */
	g_assert(counts.n_sr + counts.n_rr + counts.n_sdes + counts.n_bye + counts.n_unknown +
	         counts.n_remb + counts.n_transport_cc + counts.n_pli <= counts.n_packets);
	return 0;
}
