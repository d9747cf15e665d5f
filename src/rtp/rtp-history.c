/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Per-viewer ring of sent packets for NACK retransmission.  The ring size
 * is a power of two dividing 65536, so slot = seq & mask and a sequence
 * number wrap (65535 -> 0) keeps the ring exactly "the last N sent". */
#include "hdmirtc/rtp.h"

#include <errno.h>

#define MIN_CAPACITY 16u
#define MAX_CAPACITY 32768u

struct HdmirtcRtpHistory {
	HdmirtcRtpHistoryEntry *slots;  /* list == NULL: empty */
	guint mask;
	HdmirtcRtpHistoryStats stats;
};

HdmirtcRtpHistory *hdmirtc_rtp_history_new(guint capacity)
{
	HdmirtcRtpHistory *h = g_new0(HdmirtcRtpHistory, 1);
	guint n = MIN_CAPACITY;

	while (n < capacity && n < MAX_CAPACITY)
		n <<= 1;
	h->slots = g_new0(HdmirtcRtpHistoryEntry, n);
	h->mask = n - 1;
	return h;
}

static void clear_slot(HdmirtcRtpHistoryEntry *e)
{
	hdmirtc_rtp_packet_list_unref(e->list);
	e->list = NULL;
}

void hdmirtc_rtp_history_clear(HdmirtcRtpHistory *h)
{
	g_return_if_fail(h != NULL);
	for (guint i = 0; i <= h->mask; i++)
		clear_slot(&h->slots[i]);
}

void hdmirtc_rtp_history_free(HdmirtcRtpHistory *h)
{
	if (!h)
		return;
	hdmirtc_rtp_history_clear(h);
	g_free(h->slots);
	g_free(h);
}

guint hdmirtc_rtp_history_get_capacity(const HdmirtcRtpHistory *h)
{
	g_return_val_if_fail(h != NULL, 0);
	return h->mask + 1;
}

void hdmirtc_rtp_history_add(HdmirtcRtpHistory *h, HdmirtcRtpPacketList *list, guint index,
                             const HdmirtcRtpHeader *hdr, gint64 send_time_us)
{
	HdmirtcRtpHistoryEntry *e;

	g_return_if_fail(h != NULL && list != NULL && hdr != NULL);
	g_return_if_fail(index < hdmirtc_rtp_packet_list_get_n_packets(list));
	e = &h->slots[hdr->seq & h->mask];
	/* Ref before unref: the slot may already hold this very list. */
	hdmirtc_rtp_packet_list_ref(list);
	clear_slot(e);
	e->list = list;
	e->index = index;
	e->header = *hdr;
	e->send_time_us = send_time_us;
	e->last_resend_us = 0;
	e->resend_count = 0;
	h->stats.stored++;
}

const HdmirtcRtpHistoryEntry *hdmirtc_rtp_history_lookup(const HdmirtcRtpHistory *h, guint16 seq)
{
	const HdmirtcRtpHistoryEntry *e;

	g_return_val_if_fail(h != NULL, NULL);
	e = &h->slots[seq & h->mask];
	return e->list && e->header.seq == seq ? e : NULL;
}

gssize hdmirtc_rtp_history_retransmit(HdmirtcRtpHistory *h, guint16 seq, gint64 now_us,
                                      guint8 *buf, gsize buf_size)
{
	HdmirtcRtpHistoryEntry *e;
	gssize len;

	g_return_val_if_fail(h != NULL, -EINVAL);
	h->stats.requested++;
	e = (HdmirtcRtpHistoryEntry *)hdmirtc_rtp_history_lookup(h, seq);
	if (!e) {
		h->stats.missed++;
		return -ENOENT;
	}
	len = hdmirtc_rtp_packet_list_write(e->list, e->index, &e->header, buf, buf_size);
	if (len < 0) {
		h->stats.missed++;
		return len;
	}
	e->last_resend_us = now_us;
	e->resend_count++;
	h->stats.served++;
	return len;
}

void hdmirtc_rtp_history_get_stats(const HdmirtcRtpHistory *h, HdmirtcRtpHistoryStats *stats)
{
	g_return_if_fail(h != NULL && stats != NULL);
	*stats = h->stats;
}
