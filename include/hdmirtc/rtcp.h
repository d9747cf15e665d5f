/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RTCP for a send-only video stream: building the compound SR + SDES
 * (RFC 3550) hdmirtc sends every second, and strictly parsing what the
 * browser sends back (RR, generic NACK of RFC 4585, transport-cc of draft-holmer-rmcat-transport-wide-cc-extensions-01,
 * PLI, FIR of RFC 5104, REMB).  Input to the parser has already been
 * SRTCP-unprotected by the caller, but is still untrusted: every length is
 * checked and nothing outside buf is read.
 *
 * All functions are pure (no state, no allocation) and may be called from
 * any thread; hdmirtc calls them on the network thread. */
#pragma once

#include <glib.h>

#include "hdmirtc/rtp.h"

G_BEGIN_DECLS

#define HDMIRTC_RTCP_PT_SR 200
#define HDMIRTC_RTCP_PT_RR 201
#define HDMIRTC_RTCP_PT_SDES 202
#define HDMIRTC_RTCP_PT_BYE 203
#define HDMIRTC_RTCP_PT_APP 204
#define HDMIRTC_RTCP_PT_RTPFB 205
#define HDMIRTC_RTCP_PT_PSFB 206

#define HDMIRTC_RTCP_CNAME_MAX_LEN 255

/* ---- building ----------------------------------------------------------- */

typedef struct {
	guint32 ssrc;
	guint64 ntp;                    /* wall clock of this report, 64-bit NTP */
	guint32 rtp_timestamp;          /* same instant on the RTP clock */
	guint32 packet_count;           /* RTP packets sent so far */
	guint32 octet_count;            /* RTP payload octets sent so far */
} HdmirtcRtcpSenderInfo;

/* Size of the compound SR (no report blocks) + SDES with one CNAME chunk. */
gsize hdmirtc_rtcp_sr_sdes_size(const char *cname);
/* Writes SR + SDES(CNAME) into buf.  cname: 1..255 bytes, not NULL.
 * Returns the length (a multiple of 4), -EINVAL for a bad cname or
 * -ENOSPC when buf is too small. */
gssize hdmirtc_rtcp_build_sr_sdes(const HdmirtcRtcpSenderInfo *info, const char *cname,
                                  guint8 *buf, gsize buf_size);
/* Writes a BYE for ssrc (no reason).  Returns 8 or -ENOSPC. */
gssize hdmirtc_rtcp_build_bye(guint32 ssrc, guint8 *buf, gsize buf_size);

/* ---- parsing ------------------------------------------------------------ */

/* Why a compound packet was rejected; hdmirtc_rtcp_parse returns the
 * negated value. */
typedef enum {
	HDMIRTC_RTCP_PARSE_OK = 0,
	HDMIRTC_RTCP_PARSE_EMPTY,               /* zero bytes */
	HDMIRTC_RTCP_PARSE_TRUNCATED,           /* fewer than 4 bytes for a header */
	HDMIRTC_RTCP_PARSE_BAD_VERSION,         /* version is not 2 */
	HDMIRTC_RTCP_PARSE_BAD_PACKET_TYPE,     /* PT outside 192..223: not RTCP at all */
	HDMIRTC_RTCP_PARSE_BAD_LENGTH,          /* length field runs past the buffer */
	HDMIRTC_RTCP_PARSE_BAD_PADDING,         /* P bit not on the last packet, or bad pad count */
	HDMIRTC_RTCP_PARSE_BAD_REPORT,          /* SR/RR too short for its report count */
	HDMIRTC_RTCP_PARSE_BAD_FEEDBACK,        /* RTPFB/PSFB too short, or FCI size wrong */
	HDMIRTC_RTCP_PARSE_BAD_REMB,            /* REMB SSRC count past the packet */
	HDMIRTC_RTCP_PARSE_BAD_BYE,             /* BYE SSRC count or reason past the packet */
} HdmirtcRtcpParseError;

const char *hdmirtc_rtcp_parse_error_to_string(int error);

typedef enum {
	HDMIRTC_RTCP_EVENT_SENDER_REPORT,       /* the peer's own SR sender info */
	HDMIRTC_RTCP_EVENT_REPORT_BLOCK,        /* one block of an SR or RR */
	HDMIRTC_RTCP_EVENT_NACK,                /* one generic NACK FCI (PID + BLP) */
	HDMIRTC_RTCP_EVENT_PLI,
	HDMIRTC_RTCP_EVENT_FIR,                 /* one FIR FCI entry */
	HDMIRTC_RTCP_EVENT_REMB,
	HDMIRTC_RTCP_EVENT_TRANSPORT_CC,        /* recognized, not decoded */
	HDMIRTC_RTCP_EVENT_BYE,                 /* one SSRC of a BYE */
} HdmirtcRtcpEventType;

typedef struct {
	guint32 ssrc;                   /* the source reported on (ours) */
	guint8 fraction_lost;           /* /256 */
	gint32 cumulative_lost;         /* signed 24 bits */
	guint32 ext_highest_seq;
	guint32 jitter;                 /* RTP timestamp units */
	guint32 lsr;                    /* compact NTP of our last SR, 0 if none */
	guint32 dlsr;                   /* 1/65536 s */
} HdmirtcRtcpReportBlock;

#define HDMIRTC_RTCP_NACK_MAX_SEQS 17
#define HDMIRTC_RTCP_REMB_MAX_SSRCS 8

typedef struct {
	HdmirtcRtcpEventType type;
	guint32 sender_ssrc;            /* SSRC of the packet's sender */
	/* SSRC the event is about: report block source, feedback media source,
	 * FIR target, BYE source; 0 for REMB (see remb.ssrcs). */
	guint32 media_ssrc;
	union {
		struct {
			guint64 ntp;
			guint32 rtp_timestamp;
			guint32 packet_count;
			guint32 octet_count;
		} sr;
		HdmirtcRtcpReportBlock report;
		struct {
			guint16 seqs[HDMIRTC_RTCP_NACK_MAX_SEQS];  /* PID first, ascending */
			guint n_seqs;
		} nack;
		struct {
			guint8 seq_nr;
		} fir;
		struct {
			guint64 bitrate_bps;            /* saturates at G_MAXUINT64 */
			guint n_ssrcs;                  /* as in the packet */
			guint32 ssrcs[HDMIRTC_RTCP_REMB_MAX_SSRCS];  /* the first n_ssrcs (max 8) */
		} remb;
	};
} HdmirtcRtcpEvent;

/* Called once per event, in packet order; event is borrowed. */
typedef void (*HdmirtcRtcpEventFunc)(const HdmirtcRtcpEvent *event, gpointer user_data);

typedef struct {
	guint n_packets;                /* sub-packets in the compound */
	guint n_sr;
	guint n_rr;
	guint n_report_blocks;
	guint n_sdes;
	guint n_bye;
	guint n_nack;                   /* generic NACK FCI entries */
	guint n_nack_seqs;              /* lost sequence numbers they name */
	guint n_pli;
	guint n_fir;                    /* FIR FCI entries */
	guint n_remb;
	guint n_transport_cc;
	guint n_unknown;                /* skipped: APP, XR, unknown PT/FMT */
} HdmirtcRtcpCounts;

/* Validates the whole compound packet first; only when every sub-packet is
 * well formed are the events delivered (so a bad packet delivers nothing).
 * Unknown packet types and feedback formats are counted and skipped.
 * func and counts may be NULL; counts is zeroed first.  Returns 0 or
 * -HdmirtcRtcpParseError. */
int hdmirtc_rtcp_parse(const guint8 *buf, gsize len, HdmirtcRtcpEventFunc func,
                       gpointer user_data, HdmirtcRtcpCounts *counts);

/* Round-trip time in microseconds from a report block received at now
 * (compact NTP): now - LSR - DLSR.  Returns 0 when lsr is 0 or the result
 * would be negative (clock skew). */
guint64 hdmirtc_rtcp_rtt_us(guint32 now_compact, guint32 lsr, guint32 dlsr);

G_END_DECLS
