/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals shared by the packetizer (which fills packet lists) and the
 * packet list accessors/writer.  Not for other modules. */
#pragma once

#include "hdmirtc/rtp.h"

/* A run of payload bytes: either inside the access unit / cached parameter
 * set, or inside the list's own inline header area. */
typedef struct {
	const guint8 *data;
	gsize len;
} HdmirtcRtpSegment;

typedef struct {
	guint32 first_segment;
	guint32 n_segments;
	gsize payload_size;
	gboolean marker;
} HdmirtcRtpPacketDesc;

struct HdmirtcRtpPacketList {
	gatomicrefcount ref;
	HdmirtcAccessUnit *au;
	GBytes *sps;                    /* cached parameter sets the list points into, or NULL */
	GBytes *pps;
	gboolean keyframe;
	guint n_packets;
	guint n_segments;
	gsize inline_used;
	gsize total_payload;
	/* All three arrays live in the same allocation as the list. */
	HdmirtcRtpPacketDesc *packets;
	HdmirtcRtpSegment *segments;
	guint8 *inline_bytes;
	/* Capacities, checked by the builder. */
	guint max_packets;
	guint max_segments;
	gsize max_inline;
};

/* One allocation sized for the given worst case; takes a reference on au. */
HdmirtcRtpPacketList *hdmirtc_rtp_packet_list_alloc(HdmirtcAccessUnit *au, guint max_packets,
                                                    guint max_segments, gsize max_inline);

/* Network byte order writers for the header and RTCP builders. */
static inline void put_be16(guint8 *p, guint16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put_be32(guint8 *p, guint32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}
