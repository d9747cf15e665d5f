/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Strict parser for received compound RTCP (RFC 3550 6.4-6.6, RFC 4585
 * 6.1-6.3, RFC 5104 4.3.1, draft-alvestrand-rmcat-remb, transport-cc).
 * Reduced-size RTCP (RFC 5506) is accepted: a compound need not start with
 * SR/RR.  The packet is walked twice: first only to validate, then to
 * count and deliver events, so a malformed packet delivers nothing. */
#include "hdmirtc/rtcp.h"

#include <string.h>

#define RTCP_HEADER 4
#define REPORT_BLOCK 24
#define SR_SENDER_INFO 20
#define FB_COMMON 12            /* header + sender SSRC + media SSRC */
#define RTCP_PT_FIRST 192       /* RFC 5761 4: RTCP packet types are 192..223 */
#define RTCP_PT_LAST 223

enum {
	RTPFB_NACK = 1,
	RTPFB_TRANSPORT_CC = 15,
	PSFB_PLI = 1,
	PSFB_FIR = 4,
	PSFB_AFB = 15,
};

typedef struct {
	gboolean deliver;               /* FALSE: validation pass */
	HdmirtcRtcpEventFunc func;
	gpointer user_data;
	HdmirtcRtcpCounts *counts;
} Ctx;

static guint16 be16(const guint8 *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static guint32 be32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void emit(const Ctx *ctx, HdmirtcRtcpEvent *ev)
{
	if (ctx->func)
		ctx->func(ev, ctx->user_data);
}

static void parse_report_block(const guint8 *p, HdmirtcRtcpReportBlock *rb)
{
	guint32 lost = (guint32)p[5] << 16 | (guint32)p[6] << 8 | p[7];

	rb->ssrc = be32(p);
	rb->fraction_lost = p[4];
	/* sign-extend the 24-bit field */
	rb->cumulative_lost = (gint32)(lost ^ 0x800000u) - 0x800000;
	rb->ext_highest_seq = be32(p + 8);
	rb->jitter = be32(p + 12);
	rb->lsr = be32(p + 16);
	rb->dlsr = be32(p + 20);
}

static int parse_report(const Ctx *ctx, const guint8 *p, gsize len, gboolean is_sr)
{
	guint count = p[0] & 0x1f;
	gsize blocks = RTCP_HEADER + 4 + (is_sr ? SR_SENDER_INFO : 0);
	HdmirtcRtcpEvent ev = { 0 };

	if (len < blocks + (gsize)count * REPORT_BLOCK)
		return -HDMIRTC_RTCP_PARSE_BAD_REPORT;
	if (!ctx->deliver)
		return 0;
	ev.sender_ssrc = be32(p + 4);
	if (is_sr) {
		ctx->counts->n_sr++;
		ev.type = HDMIRTC_RTCP_EVENT_SENDER_REPORT;
		ev.media_ssrc = ev.sender_ssrc;
		ev.sr.ntp = (guint64)be32(p + 8) << 32 | be32(p + 12);
		ev.sr.rtp_timestamp = be32(p + 16);
		ev.sr.packet_count = be32(p + 20);
		ev.sr.octet_count = be32(p + 24);
		emit(ctx, &ev);
	} else {
		ctx->counts->n_rr++;
	}
	for (guint i = 0; i < count; i++) {
		memset(&ev.report, 0, sizeof(ev.report));
		ev.type = HDMIRTC_RTCP_EVENT_REPORT_BLOCK;
		parse_report_block(p + blocks + i * REPORT_BLOCK, &ev.report);
		ev.media_ssrc = ev.report.ssrc;
		ctx->counts->n_report_blocks++;
		emit(ctx, &ev);
	}
	return 0;
}

static int parse_bye(const Ctx *ctx, const guint8 *p, gsize len)
{
	guint count = p[0] & 0x1f;
	gsize end = RTCP_HEADER + (gsize)count * 4;
	HdmirtcRtcpEvent ev = { .type = HDMIRTC_RTCP_EVENT_BYE };

	if (end > len || (end < len && end + 1 + p[end] > len))
		return -HDMIRTC_RTCP_PARSE_BAD_BYE;
	if (!ctx->deliver)
		return 0;
	ctx->counts->n_bye++;
	ev.sender_ssrc = count ? be32(p + RTCP_HEADER) : 0;
	for (guint i = 0; i < count; i++) {
		ev.media_ssrc = be32(p + RTCP_HEADER + 4 * i);
		emit(ctx, &ev);
	}
	return 0;
}

static void deliver_nack(const Ctx *ctx, HdmirtcRtcpEvent *ev, const guint8 *fci)
{
	guint16 pid = be16(fci);
	guint16 blp = be16(fci + 2);

	ev->type = HDMIRTC_RTCP_EVENT_NACK;
	ev->nack.n_seqs = 0;
	ev->nack.seqs[ev->nack.n_seqs++] = pid;
	for (guint bit = 0; bit < 16; bit++)
		if (blp & (1u << bit))
			ev->nack.seqs[ev->nack.n_seqs++] = (guint16)(pid + bit + 1);
	ctx->counts->n_nack++;
	ctx->counts->n_nack_seqs += ev->nack.n_seqs;
	emit(ctx, ev);
}

static int parse_rtpfb(const Ctx *ctx, const guint8 *p, gsize len, HdmirtcRtcpEvent *ev)
{
	guint fmt = p[0] & 0x1f;
	gsize fci_len = len - FB_COMMON;

	switch (fmt) {
	case RTPFB_NACK:
		if (fci_len == 0 || fci_len % 4)
			return -HDMIRTC_RTCP_PARSE_BAD_FEEDBACK;
		for (gsize off = 0; ctx->deliver && off < fci_len; off += 4)
			deliver_nack(ctx, ev, p + FB_COMMON + off);
		return 0;
	case RTPFB_TRANSPORT_CC:
		/* base seq, status count, reference time, feedback count */
		if (fci_len < 8)
			return -HDMIRTC_RTCP_PARSE_BAD_FEEDBACK;
		if (ctx->deliver) {
			ev->type = HDMIRTC_RTCP_EVENT_TRANSPORT_CC;
			ctx->counts->n_transport_cc++;
			emit(ctx, ev);
		}
		return 0;
	default:
		if (ctx->deliver)
			ctx->counts->n_unknown++;
		return 0;
	}
}

static guint64 remb_bitrate(guint exp, guint32 mantissa)
{
	if (mantissa && exp >= 64 - 18 && mantissa > (G_MAXUINT64 >> exp))
		return G_MAXUINT64;
	return (guint64)mantissa << exp;
}

static int parse_afb(const Ctx *ctx, const guint8 *fci, gsize fci_len, HdmirtcRtcpEvent *ev)
{
	guint n;

	if (fci_len < 4 || memcmp(fci, "REMB", 4) != 0) {
		if (ctx->deliver)
			ctx->counts->n_unknown++;
		return 0;
	}
	if (fci_len < 8)
		return -HDMIRTC_RTCP_PARSE_BAD_REMB;
	n = fci[4];
	if (8 + (gsize)n * 4 > fci_len)
		return -HDMIRTC_RTCP_PARSE_BAD_REMB;
	if (!ctx->deliver)
		return 0;
	ev->type = HDMIRTC_RTCP_EVENT_REMB;
	/* A REMB's media SSRC field is "always 0" (draft-alvestrand-rmcat-remb);
	 * the sources it is about are its SSRC list.  Whatever a peer put
	 * there must not pass for a source in the event (rtcp.h: 0 for REMB). */
	ev->media_ssrc = 0;
	ev->remb.bitrate_bps = remb_bitrate(fci[5] >> 2,
	                                    (guint32)(fci[5] & 3) << 16 | be16(fci + 6));
	ev->remb.n_ssrcs = n;
	for (guint i = 0; i < MIN(n, HDMIRTC_RTCP_REMB_MAX_SSRCS); i++)
		ev->remb.ssrcs[i] = be32(fci + 8 + 4 * i);
	ctx->counts->n_remb++;
	emit(ctx, ev);
	return 0;
}

static int parse_psfb(const Ctx *ctx, const guint8 *p, gsize len, HdmirtcRtcpEvent *ev)
{
	const guint8 *fci = p + FB_COMMON;
	gsize fci_len = len - FB_COMMON;

	switch (p[0] & 0x1f) {
	case PSFB_PLI:
		if (ctx->deliver) {
			ev->type = HDMIRTC_RTCP_EVENT_PLI;
			ctx->counts->n_pli++;
			emit(ctx, ev);
		}
		return 0;
	case PSFB_FIR:
		if (fci_len == 0 || fci_len % 8)
			return -HDMIRTC_RTCP_PARSE_BAD_FEEDBACK;
		for (gsize off = 0; ctx->deliver && off < fci_len; off += 8) {
			ev->type = HDMIRTC_RTCP_EVENT_FIR;
			ev->media_ssrc = be32(fci + off);
			ev->fir.seq_nr = fci[off + 4];
			ctx->counts->n_fir++;
			emit(ctx, ev);
		}
		return 0;
	case PSFB_AFB:
		return parse_afb(ctx, fci, fci_len, ev);
	default:
		if (ctx->deliver)
			ctx->counts->n_unknown++;
		return 0;
	}
}

static int parse_feedback(const Ctx *ctx, const guint8 *p, gsize len)
{
	HdmirtcRtcpEvent ev = { 0 };

	if (len < FB_COMMON)
		return -HDMIRTC_RTCP_PARSE_BAD_FEEDBACK;
	ev.sender_ssrc = be32(p + 4);
	ev.media_ssrc = be32(p + 8);
	if (p[1] == HDMIRTC_RTCP_PT_RTPFB)
		return parse_rtpfb(ctx, p, len, &ev);
	return parse_psfb(ctx, p, len, &ev);
}

/* len is the sub-packet's size without padding. */
static int parse_one(const Ctx *ctx, const guint8 *p, gsize len)
{
	switch (p[1]) {
	case HDMIRTC_RTCP_PT_SR:
		return parse_report(ctx, p, len, TRUE);
	case HDMIRTC_RTCP_PT_RR:
		return parse_report(ctx, p, len, FALSE);
	case HDMIRTC_RTCP_PT_SDES:
		if (ctx->deliver)
			ctx->counts->n_sdes++;
		return 0;
	case HDMIRTC_RTCP_PT_BYE:
		return parse_bye(ctx, p, len);
	case HDMIRTC_RTCP_PT_RTPFB:
	case HDMIRTC_RTCP_PT_PSFB:
		return parse_feedback(ctx, p, len);
	default:
		if (ctx->deliver)
			ctx->counts->n_unknown++;
		return 0;
	}
}

/* Checks one sub-packet header at buf[off]; sets *size (on the wire) and
 * *body (without padding). */
static int check_header(const guint8 *buf, gsize len, gsize off, gsize *size, gsize *body)
{
	const guint8 *p = buf + off;
	gsize pad = 0;

	if (len - off < RTCP_HEADER)
		return -HDMIRTC_RTCP_PARSE_TRUNCATED;
	if (p[0] >> 6 != 2)
		return -HDMIRTC_RTCP_PARSE_BAD_VERSION;
	if (p[1] < RTCP_PT_FIRST || p[1] > RTCP_PT_LAST)
		return -HDMIRTC_RTCP_PARSE_BAD_PACKET_TYPE;
	*size = ((gsize)be16(p + 2) + 1) * 4;
	if (*size > len - off)
		return -HDMIRTC_RTCP_PARSE_BAD_LENGTH;
	if (p[0] & 0x20) {
		/* RFC 3550 6.4.1: only the last packet of a compound is padded */
		pad = p[*size - 1];
		if (off + *size != len || pad == 0 || pad > *size - RTCP_HEADER)
			return -HDMIRTC_RTCP_PARSE_BAD_PADDING;
	}
	*body = *size - pad;
	return 0;
}

static int walk(const Ctx *ctx, const guint8 *buf, gsize len)
{
	gsize off = 0;

	while (off < len) {
		gsize size, body;
		int ret = check_header(buf, len, off, &size, &body);

		if (ret == 0)
			ret = parse_one(ctx, buf + off, body);
		if (ret < 0)
			return ret;
		if (ctx->deliver)
			ctx->counts->n_packets++;
		off += size;
	}
	return 0;
}

int hdmirtc_rtcp_parse(const guint8 *buf, gsize len, HdmirtcRtcpEventFunc func,
                       gpointer user_data, HdmirtcRtcpCounts *counts)
{
	HdmirtcRtcpCounts scratch;
	Ctx ctx = { FALSE, NULL, NULL, NULL };
	int ret;

	if (!counts)
		counts = &scratch;
	memset(counts, 0, sizeof(*counts));
	if (!buf || len == 0)
		return -HDMIRTC_RTCP_PARSE_EMPTY;
	ret = walk(&ctx, buf, len);
	if (ret < 0)
		return ret;
	ctx = (Ctx){ TRUE, func, user_data, counts };
	return walk(&ctx, buf, len);
}

const char *hdmirtc_rtcp_parse_error_to_string(int error)
{
	switch (error < 0 ? -error : error) {
	case HDMIRTC_RTCP_PARSE_OK: return "ok";
	case HDMIRTC_RTCP_PARSE_EMPTY: return "empty RTCP packet";
	case HDMIRTC_RTCP_PARSE_TRUNCATED: return "truncated RTCP header";
	case HDMIRTC_RTCP_PARSE_BAD_VERSION: return "RTCP version is not 2";
	case HDMIRTC_RTCP_PARSE_BAD_PACKET_TYPE: return "packet type outside the RTCP range";
	case HDMIRTC_RTCP_PARSE_BAD_LENGTH: return "RTCP length field past the end of the packet";
	case HDMIRTC_RTCP_PARSE_BAD_PADDING: return "bad RTCP padding";
	case HDMIRTC_RTCP_PARSE_BAD_REPORT: return "SR/RR shorter than its report blocks";
	case HDMIRTC_RTCP_PARSE_BAD_FEEDBACK: return "malformed RTCP feedback message";
	case HDMIRTC_RTCP_PARSE_BAD_REMB: return "malformed REMB";
	case HDMIRTC_RTCP_PARSE_BAD_BYE: return "malformed BYE";
	default: return "unknown RTCP parse error";
	}
}

guint64 hdmirtc_rtcp_rtt_us(guint32 now_compact, guint32 lsr, guint32 dlsr)
{
	guint32 rtt;

	if (lsr == 0)
		return 0;
	/* Modular arithmetic handles the 18-hour wrap of the compact form;
	 * a "negative" result (top bit set) means skew or a bogus DLSR. */
	rtt = now_compact - lsr - dlsr;
	if (rtt & 0x80000000u)
		return 0;
	return ((guint64)rtt * 1000000u + 0x8000u) >> 16;
}
