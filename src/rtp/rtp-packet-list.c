/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Packet lists: lifetime, accessors and the per-viewer write (the one copy
 * of payload bytes per viewer). */
#include "rtp-private.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK(hdmirtc-rtp-error-quark, hdmirtc_rtp_error)

#define ALIGN_UP(x) (((x) + 7u) & ~(gsize)7u)

HdmirtcRtpPacketList *hdmirtc_rtp_packet_list_alloc(HdmirtcAccessUnit *au, guint max_packets,
                                                    guint max_segments, gsize max_inline)
{
	gsize head = ALIGN_UP(sizeof(HdmirtcRtpPacketList));
	gsize seg_bytes = ALIGN_UP((gsize)max_segments * sizeof(HdmirtcRtpSegment));
	gsize pkt_bytes = ALIGN_UP((gsize)max_packets * sizeof(HdmirtcRtpPacketDesc));
	guint8 *block = g_malloc0(head + seg_bytes + pkt_bytes + max_inline);
	HdmirtcRtpPacketList *list = (HdmirtcRtpPacketList *)block;

	g_atomic_ref_count_init(&list->ref);
	list->au = hdmirtc_access_unit_ref(au);
	list->segments = (HdmirtcRtpSegment *)(block + head);
	list->packets = (HdmirtcRtpPacketDesc *)(block + head + seg_bytes);
	list->inline_bytes = block + head + seg_bytes + pkt_bytes;
	list->max_packets = max_packets;
	list->max_segments = max_segments;
	list->max_inline = max_inline;
	return list;
}

HdmirtcRtpPacketList *hdmirtc_rtp_packet_list_ref(HdmirtcRtpPacketList *list)
{
	g_return_val_if_fail(list != NULL, NULL);
	g_atomic_ref_count_inc(&list->ref);
	return list;
}

void hdmirtc_rtp_packet_list_unref(HdmirtcRtpPacketList *list)
{
	if (!list || !g_atomic_ref_count_dec(&list->ref))
		return;
	hdmirtc_access_unit_unref(list->au);
	if (list->sps)
		g_bytes_unref(list->sps);
	if (list->pps)
		g_bytes_unref(list->pps);
	g_free(list);
}

guint hdmirtc_rtp_packet_list_get_n_packets(const HdmirtcRtpPacketList *list)
{
	g_return_val_if_fail(list != NULL, 0);
	return list->n_packets;
}

gsize hdmirtc_rtp_packet_list_get_payload_size(const HdmirtcRtpPacketList *list, guint index)
{
	g_return_val_if_fail(list != NULL && index < list->n_packets, 0);
	return list->packets[index].payload_size;
}

gboolean hdmirtc_rtp_packet_list_get_marker(const HdmirtcRtpPacketList *list, guint index)
{
	g_return_val_if_fail(list != NULL && index < list->n_packets, FALSE);
	return list->packets[index].marker;
}

gsize hdmirtc_rtp_packet_list_get_total_payload(const HdmirtcRtpPacketList *list)
{
	g_return_val_if_fail(list != NULL, 0);
	return list->total_payload;
}

HdmirtcAccessUnit *hdmirtc_rtp_packet_list_get_access_unit(const HdmirtcRtpPacketList *list)
{
	g_return_val_if_fail(list != NULL, NULL);
	return list->au;
}

gboolean hdmirtc_rtp_packet_list_is_keyframe(const HdmirtcRtpPacketList *list)
{
	g_return_val_if_fail(list != NULL, FALSE);
	return list->keyframe;
}

static void copy_segments(const HdmirtcRtpPacketList *list, const HdmirtcRtpPacketDesc *pkt,
                          guint8 *out)
{
	for (guint i = 0; i < pkt->n_segments; i++) {
		const HdmirtcRtpSegment *seg = &list->segments[pkt->first_segment + i];

		memcpy(out, seg->data, seg->len);
		out += seg->len;
	}
}

gssize hdmirtc_rtp_packet_list_copy_payload(const HdmirtcRtpPacketList *list, guint index,
                                            guint8 *buf, gsize buf_size)
{
	const HdmirtcRtpPacketDesc *pkt;

	if (!list || index >= list->n_packets || !buf)
		return -EINVAL;
	pkt = &list->packets[index];
	if (pkt->payload_size > buf_size)
		return -ENOSPC;
	copy_segments(list, pkt, buf);
	return pkt->payload_size;
}

gssize hdmirtc_rtp_packet_list_write(const HdmirtcRtpPacketList *list, guint index,
                                     const HdmirtcRtpHeader *hdr,
                                     guint8 *buf, gsize buf_size)
{
	const HdmirtcRtpPacketDesc *pkt;
	gssize hlen;

	if (!list || index >= list->n_packets || !hdr || !buf)
		return -EINVAL;
	pkt = &list->packets[index];
	hlen = hdmirtc_rtp_header_write(hdr, pkt->marker, buf, buf_size);
	if (hlen < 0)
		return hlen;
	if (pkt->payload_size > buf_size - (gsize)hlen)
		return -ENOSPC;
	copy_segments(list, pkt, buf + hlen);
	return hlen + (gssize)pkt->payload_size;
}
