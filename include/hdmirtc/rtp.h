/* SPDX-License-Identifier: GPL-3.0-or-later */
/* H.264 RTP packetization (RFC 6184, packetization-mode 1), RTP header
 * writing with one-byte header extensions (RFC 8285), NTP time helpers and
 * the per-viewer retransmission history.
 *
 * Data path: the network thread packetizes each access unit once; the
 * resulting HdmirtcRtpPacketList is shared read-only by every viewer.  A
 * packet list does not copy NAL payload bytes: each packet is a few
 * segments pointing into the access unit (which the list keeps a reference
 * on) plus small inline headers (STAP-A header, NAL sizes, FU-A indicator
 * and header).  Each viewer then writes its own RTP header and the payload
 * into its send buffer with hdmirtc_rtp_packet_list_write(): that is the one
 * copy per viewer, right before SRTP protects the buffer in place.
 *
 * Threads: a packetizer, a packet list's write and a history belong to the
 * network thread.  A packet list's refcount is atomic, so the last unref
 * (and with it the access unit's release) may happen on any thread. */
#pragma once

#include <glib.h>

#include "hdmirtc/frame.h"

G_BEGIN_DECLS

#define HDMIRTC_RTP_ERROR (hdmirtc_rtp_error_quark())
GQuark hdmirtc_rtp_error_quark(void);

typedef enum {
	HDMIRTC_RTP_ERROR_INVALID_ARGUMENT,     /* max_payload out of range */
	HDMIRTC_RTP_ERROR_NO_START_CODE,        /* empty AU or no Annex-B start code */
	HDMIRTC_RTP_ERROR_INVALID_NAL,          /* forbidden bit, reserved/RTP-only type, junk before start code */
	HDMIRTC_RTP_ERROR_NO_NAL_UNITS,         /* only AUD/filler/empty NAL units */
} HdmirtcRtpError;

#define HDMIRTC_RTP_HEADER_SIZE 12
/* Largest payload hdmirtc puts in one RTP packet: leaves room for IP/UDP,
 * the RTP header with extensions and the SRTP tag in a 1280-byte path. */
#define HDMIRTC_RTP_DEFAULT_MAX_PAYLOAD 1200
#define HDMIRTC_RTP_MIN_MAX_PAYLOAD 16
#define HDMIRTC_RTP_MAX_MAX_PAYLOAD 65000
#define HDMIRTC_RTP_MID_MAX_LEN 16      /* one-byte extension element limit */
#define HDMIRTC_RTP_EXT_MAX_ID 14       /* one-byte form: ids 1..14 */

#define HDMIRTC_RTP_EXT_URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define HDMIRTC_RTP_EXT_URI_ABS_CAPTURE_TIME \
	"http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
#define HDMIRTC_RTP_EXT_URI_PLAYOUT_DELAY \
	"http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

/* ---- NTP time ---------------------------------------------------------- */

/* Wall-clock microseconds since the Unix epoch (g_get_real_time()) to a
 * 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, binary
 * fraction in the low 32 bits, rounded to nearest). */
guint64 hdmirtc_ntp_from_wall_us(gint64 wall_us);
/* The compact 32-bit NTP form (middle 32 bits) used by RTCP LSR/DLSR. */
guint32 hdmirtc_ntp_to_compact(guint64 ntp);
guint32 hdmirtc_ntp_compact_from_wall_us(gint64 wall_us);
/* Inverse of hdmirtc_ntp_from_wall_us (rounded to nearest microsecond). */
gint64 hdmirtc_ntp_to_wall_us(guint64 ntp);
/* A 90 kHz RTP timestamp for a capture time in microseconds (any clock the
 * stream uses consistently), plus the stream's random offset; wraps. */
guint32 hdmirtc_rtp_timestamp_90khz(gint64 time_us, guint32 offset);

/* ---- RTP header -------------------------------------------------------- */

/* Per-viewer header fields for one packet.  Plain data, copyable: the
 * retransmission history stores it by value.  An extension is written only
 * when its negotiated id (1..14) is non-zero; the mid is also skipped when
 * the string is empty. */
typedef struct {
	guint8 payload_type;            /* 0..127 */
	guint16 seq;
	guint32 timestamp;
	guint32 ssrc;
	guint8 mid_id;
	char mid[HDMIRTC_RTP_MID_MAX_LEN + 1];  /* NUL-terminated */
	guint8 abs_capture_time_id;
	guint64 abs_capture_ntp;        /* capture time, 64-bit NTP */
	guint8 playout_delay_id;
	guint16 playout_delay_min;      /* 10 ms units, 0..4095; hdmirtc sends 0 */
	guint16 playout_delay_max;
} HdmirtcRtpHeader;

/* Bytes hdmirtc_rtp_header_write() will produce (12 + extension block). */
gsize hdmirtc_rtp_header_get_size(const HdmirtcRtpHeader *hdr);
/* Writes the fixed header, and when any extension is enabled the X bit and
 * a 0xBEDE one-byte extension block padded to 32 bits.  Returns the number
 * of bytes written, -EINVAL for an invalid field (payload type > 127,
 * extension id > 14 or used twice, delay > 4095, mid longer than 16) or
 * -ENOSPC when buf is too small.  Does not allocate. */
gssize hdmirtc_rtp_header_write(const HdmirtcRtpHeader *hdr, gboolean marker,
                                guint8 *buf, gsize buf_size);

/* ---- H.264 packetizer and packet lists ---------------------------------- */

typedef struct HdmirtcH264Packetizer HdmirtcH264Packetizer;
typedef struct HdmirtcRtpPacketList HdmirtcRtpPacketList;

HdmirtcH264Packetizer *hdmirtc_h264_packetizer_new(void);
/* NULL-safe. */
void hdmirtc_h264_packetizer_free(HdmirtcH264Packetizer *p);

/* Packetizes one Annex-B access unit into RTP payloads of at most
 * max_payload bytes (HDMIRTC_RTP_MIN_MAX_PAYLOAD..HDMIRTC_RTP_MAX_MAX_PAYLOAD):
 * AUD and filler NAL units are dropped, runs of small NAL units become
 * STAP-A, NAL units larger than max_payload become FU-A fragments, the rest
 * single NAL unit packets; the marker bit is set on the last packet (not
 * of a picture's FIRST part: HdmirtcAuPart).  The packetizer remembers the
 * last SPS and PPS it saw and puts them in front of an IDR access unit that
 * lacks them (not in front of a picture's REST).
 *
 * Returns a new packet list (one reference, free with
 * hdmirtc_rtp_packet_list_unref()) that holds its own reference on au, or
 * NULL with error set (HDMIRTC_RTP_ERROR) for empty or malformed input.
 * One allocation per access unit; payload bytes are not copied (only a
 * changed SPS/PPS is copied into the cache). */
HdmirtcRtpPacketList *hdmirtc_h264_packetizer_packetize(HdmirtcH264Packetizer *p,
                                                        HdmirtcAccessUnit *au,
                                                        guint max_payload,
                                                        GError **error);

HdmirtcRtpPacketList *hdmirtc_rtp_packet_list_ref(HdmirtcRtpPacketList *list);
/* NULL-safe.  The last unref drops the access unit reference. */
void hdmirtc_rtp_packet_list_unref(HdmirtcRtpPacketList *list);

guint hdmirtc_rtp_packet_list_get_n_packets(const HdmirtcRtpPacketList *list);
/* index must be < n_packets (checked with g_return_val_if_fail). */
gsize hdmirtc_rtp_packet_list_get_payload_size(const HdmirtcRtpPacketList *list, guint index);
gboolean hdmirtc_rtp_packet_list_get_marker(const HdmirtcRtpPacketList *list, guint index);
/* Sum of all payload sizes. */
gsize hdmirtc_rtp_packet_list_get_total_payload(const HdmirtcRtpPacketList *list);
/* The access unit the list came from (timestamps, seq); borrowed, valid
 * while the caller holds the list. */
HdmirtcAccessUnit *hdmirtc_rtp_packet_list_get_access_unit(const HdmirtcRtpPacketList *list);
/* TRUE when the list carries an IDR slice (NAL type 5). */
gboolean hdmirtc_rtp_packet_list_is_keyframe(const HdmirtcRtpPacketList *list);

/* Writes the RTP header (marker from the list) followed by packet index's
 * payload into buf.  Returns the total packet length, -EINVAL for a bad
 * index or header field, or -ENOSPC when buf_size is too small.  Does not
 * allocate; the same inputs always give the same bytes. */
gssize hdmirtc_rtp_packet_list_write(const HdmirtcRtpPacketList *list, guint index,
                                     const HdmirtcRtpHeader *hdr,
                                     guint8 *buf, gsize buf_size);
/* Copies only the RTP payload of packet index (tests, diagnostics).
 * Returns its length, -EINVAL or -ENOSPC. */
gssize hdmirtc_rtp_packet_list_copy_payload(const HdmirtcRtpPacketList *list, guint index,
                                            guint8 *buf, gsize buf_size);

/* ---- Retransmission history (one per viewer, network thread) ------------ */

typedef struct HdmirtcRtpHistory HdmirtcRtpHistory;

typedef struct {
	HdmirtcRtpPacketList *list;     /* reference owned by the history */
	guint index;
	HdmirtcRtpHeader header;        /* exactly as first sent */
	gint64 send_time_us;            /* monotonic */
	gint64 last_resend_us;          /* 0 when never retransmitted */
	guint resend_count;
} HdmirtcRtpHistoryEntry;

typedef struct {
	guint64 stored;
	guint64 requested;              /* retransmit calls */
	guint64 served;                 /* ... that produced a packet */
	guint64 missed;                 /* ... for a seq no longer (or never) stored */
} HdmirtcRtpHistoryStats;

/* Keeps the last capacity packets (rounded up to a power of two, at most
 * 32768, at least 16). */
HdmirtcRtpHistory *hdmirtc_rtp_history_new(guint capacity);
/* NULL-safe; releases every packet list reference. */
void hdmirtc_rtp_history_free(HdmirtcRtpHistory *h);
guint hdmirtc_rtp_history_get_capacity(const HdmirtcRtpHistory *h);
/* Records packet index of list as sent with hdr (takes its own list
 * reference, drops the one of the entry it overwrites).  No allocation. */
void hdmirtc_rtp_history_add(HdmirtcRtpHistory *h, HdmirtcRtpPacketList *list, guint index,
                             const HdmirtcRtpHeader *hdr, gint64 send_time_us);
/* The entry for seq, or NULL when it was never stored or was overwritten.
 * Borrowed: valid until the next add/clear/free. */
const HdmirtcRtpHistoryEntry *hdmirtc_rtp_history_lookup(const HdmirtcRtpHistory *h, guint16 seq);
/* Rewrites the stored packet for seq into buf, bit-identical to the first
 * send, and counts it.  Returns the length, -ENOENT when seq is not stored,
 * or an error of hdmirtc_rtp_packet_list_write(). */
gssize hdmirtc_rtp_history_retransmit(HdmirtcRtpHistory *h, guint16 seq, gint64 now_us,
                                      guint8 *buf, gsize buf_size);
/* Drops every entry (e.g. on SSRC change); counters are kept. */
void hdmirtc_rtp_history_clear(HdmirtcRtpHistory *h);
void hdmirtc_rtp_history_get_stats(const HdmirtcRtpHistory *h, HdmirtcRtpHistoryStats *stats);

G_END_DECLS
