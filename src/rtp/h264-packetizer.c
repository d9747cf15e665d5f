/* SPDX-License-Identifier: GPL-3.0-or-later */
/* H.264 RTP packetizer, RFC 6184 packetization-mode 1: single NAL unit
 * packets, STAP-A (5.7.1) and FU-A (5.8).  Packets reference the access
 * unit's bytes; nothing of the payload is copied here. */
#include "rtp-private.h"

#include <string.h>

enum {
	NAL_SLICE_IDR = 5,
	NAL_SPS = 7,
	NAL_PPS = 8,
	NAL_AUD = 9,
	NAL_FILLER = 12,
	NAL_STAP_A = 24,
	NAL_FU_A = 28,
};

#define NAL_TYPE(h) ((h) & 0x1f)
#define NAL_NRI(h) ((h) & 0x60)
#define STAP_A_HEADER 1
#define STAP_A_LENGTH 2
#define FU_A_HEADER 2
/* Keeps packet and segment counts far from guint overflow. */
#define MAX_ACCESS_UNIT_SIZE (256u << 20)

typedef struct {
	const guint8 *data;
	gsize len;
} Nal;

struct HdmirtcH264Packetizer {
	GBytes *sps;                    /* last seen, copied (small) */
	GBytes *pps;
	GArray *nals;                   /* of Nal; scratch reused per call */
	gboolean warned_missing_params;
};

HdmirtcH264Packetizer *hdmirtc_h264_packetizer_new(void)
{
	HdmirtcH264Packetizer *p = g_new0(HdmirtcH264Packetizer, 1);

	p->nals = g_array_sized_new(FALSE, FALSE, sizeof(Nal), 16);
	return p;
}

void hdmirtc_h264_packetizer_free(HdmirtcH264Packetizer *p)
{
	if (!p)
		return;
	if (p->sps)
		g_bytes_unref(p->sps);
	if (p->pps)
		g_bytes_unref(p->pps);
	g_array_unref(p->nals);
	g_free(p);
}

/* Offset of the next 00 00 01 at or after from, or size. */
static gsize find_start_code(const guint8 *d, gsize size, gsize from)
{
	for (gsize i = from; i + 3 <= size; i++) {
		/* d[i+2] > 1 rules out a prefix starting at i, i+1 and i+2. */
		if (d[i + 2] > 1) {
			i += 2;
			continue;
		}
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
			return i;
	}
	return size;
}

static gboolean add_nal(HdmirtcH264Packetizer *p, const guint8 *data, gsize len, GError **error)
{
	guint type = NAL_TYPE(data[0]);
	Nal nal = { data, len };

	if (data[0] & 0x80 || type == 0 || type >= NAL_STAP_A) {
		g_set_error(error, HDMIRTC_RTP_ERROR, HDMIRTC_RTP_ERROR_INVALID_NAL,
		            "invalid NAL unit header 0x%02x", data[0]);
		return FALSE;
	}
	if (type == NAL_AUD || type == NAL_FILLER)
		return TRUE;
	g_array_append_val(p->nals, nal);
	return TRUE;
}

/* Fills p->nals with the NAL units of an Annex-B byte stream.  A 4-byte
 * start code is a 3-byte one preceded by a zero byte, and trailing zero
 * bytes belong to no NAL unit (an H.264 NAL unit never ends in 0x00), so
 * both are handled by trimming zeros at the end of each unit. */
static gboolean split_annex_b(HdmirtcH264Packetizer *p, const guint8 *d, gsize size,
                              GError **error)
{
	gsize pos = find_start_code(d, size, 0);

	if (pos == size) {
		g_set_error(error, HDMIRTC_RTP_ERROR, HDMIRTC_RTP_ERROR_NO_START_CODE,
		            "access unit of %" G_GSIZE_FORMAT " bytes has no start code", size);
		return FALSE;
	}
	for (gsize i = 0; i < pos; i++) {
		if (d[i] != 0) {
			g_set_error(error, HDMIRTC_RTP_ERROR, HDMIRTC_RTP_ERROR_INVALID_NAL,
			            "non-zero byte before the first start code");
			return FALSE;
		}
	}
	while (pos < size) {
		gsize start = pos + 3;
		gsize next = find_start_code(d, size, start);
		gsize end = next;

		while (end > start && d[end - 1] == 0)
			end--;
		if (end > start && !add_nal(p, d + start, end - start, error))
			return FALSE;
		pos = next;
	}
	return TRUE;
}

static void cache_parameter_set(GBytes **cache, const Nal *nal)
{
	gsize len = 0;
	const guint8 *old = *cache ? g_bytes_get_data(*cache, &len) : NULL;

	if (old && len == nal->len && memcmp(old, nal->data, len) == 0)
		return;
	if (*cache)
		g_bytes_unref(*cache);
	*cache = g_bytes_new(nal->data, nal->len);
}

static void insert_nal(GArray *nals, guint at, GBytes *bytes)
{
	Nal nal;

	nal.data = g_bytes_get_data(bytes, &nal.len);
	g_array_insert_val(nals, at, nal);
}

/* Updates the SPS/PPS cache and puts cached ones in front of an IDR that
 * lacks them (encoders with repeat-headers off, or a new viewer joining on
 * a keyframe that only the first viewer's request produced).  Returns a
 * mask of what was inserted: 1 = SPS, 2 = PPS. */
static guint fix_parameter_sets(HdmirtcH264Packetizer *p, GBytes *sps_override, gboolean rest,
                                gboolean *keyframe)
{
	GArray *nals = p->nals;
	gint last_sps = -1;
	gboolean has_pps = FALSE;
	guint inserted = 0;

	*keyframe = FALSE;
	for (guint i = 0; i < nals->len; i++) {
		const Nal *nal = &g_array_index(nals, Nal, i);
		guint type = NAL_TYPE(nal->data[0]);

		if (type == NAL_SPS && sps_override) {
			/* The encoder's SPS goes, the override is sent (and
			 * cached for IDRs that come without one). */
			Nal *n = &g_array_index(nals, Nal, i);

			n->data = g_bytes_get_data(sps_override, &n->len);
			cache_parameter_set(&p->sps, n);
			n->data = g_bytes_get_data(p->sps, &n->len);
			last_sps = i;
			inserted |= 1;
		} else if (type == NAL_SPS) {
			cache_parameter_set(&p->sps, nal);
			last_sps = i;
		} else if (type == NAL_PPS) {
			cache_parameter_set(&p->pps, nal);
			has_pps = TRUE;
		} else if (type == NAL_SLICE_IDR) {
			*keyframe = TRUE;
		}
	}
	/* The rest of a picture: its parameter sets went with the first part. */
	if (!*keyframe || rest)
		return 0;
	if (last_sps < 0 && p->sps) {
		insert_nal(nals, 0, p->sps);
		last_sps = 0;
		inserted |= 1;
	}
	if (!has_pps && p->pps) {
		insert_nal(nals, last_sps + 1, p->pps);
		inserted |= 2;
	}
	if ((last_sps < 0 || !(has_pps || p->pps)) && !p->warned_missing_params) {
		g_message("IDR access unit without SPS/PPS and none cached yet");
		p->warned_missing_params = TRUE;
	}
	return inserted;
}

static gsize fu_a_count(gsize nal_len, guint max_payload)
{
	gsize body = nal_len - 1;
	gsize per = max_payload - FU_A_HEADER;

	return (body + per - 1) / per;
}

static HdmirtcRtpPacketList *alloc_list(HdmirtcAccessUnit *au, const GArray *nals,
                                        guint max_payload)
{
	gsize packets = 0, segments = 0, inline_bytes = 0;

	for (guint i = 0; i < nals->len; i++) {
		gsize len = g_array_index(nals, Nal, i).len;

		if (len <= max_payload) {
			/* worst case: first NAL of a STAP-A (header + length) */
			packets += 1;
			segments += 2;
			inline_bytes += STAP_A_HEADER + STAP_A_LENGTH;
		} else {
			gsize n = fu_a_count(len, max_payload);

			packets += n;
			segments += 2 * n;
			inline_bytes += FU_A_HEADER * n;
		}
	}
	return hdmirtc_rtp_packet_list_alloc(au, packets, segments, inline_bytes);
}

static HdmirtcRtpPacketDesc *begin_packet(HdmirtcRtpPacketList *list)
{
	HdmirtcRtpPacketDesc *pkt;

	g_assert(list->n_packets < list->max_packets);
	pkt = &list->packets[list->n_packets++];
	pkt->first_segment = list->n_segments;
	return pkt;
}

static void add_segment(HdmirtcRtpPacketList *list, HdmirtcRtpPacketDesc *pkt,
                        const guint8 *data, gsize len)
{
	HdmirtcRtpSegment *seg;

	g_assert(list->n_segments < list->max_segments);
	seg = &list->segments[list->n_segments++];
	seg->data = data;
	seg->len = len;
	pkt->n_segments++;
	pkt->payload_size += len;
	list->total_payload += len;
}

static guint8 *add_inline(HdmirtcRtpPacketList *list, HdmirtcRtpPacketDesc *pkt, gsize len)
{
	guint8 *bytes;

	g_assert(list->inline_used + len <= list->max_inline);
	bytes = list->inline_bytes + list->inline_used;
	list->inline_used += len;
	add_segment(list, pkt, bytes, len);
	return bytes;
}

static void emit_single(HdmirtcRtpPacketList *list, const Nal *nal)
{
	add_segment(list, begin_packet(list), nal->data, nal->len);
}

static void emit_stap_a(HdmirtcRtpPacketList *list, const Nal *nals, guint n)
{
	HdmirtcRtpPacketDesc *pkt = begin_packet(list);
	guint8 *stap_header = NULL;
	guint8 nri = 0;

	for (guint i = 0; i < n; i++) {
		guint8 *len = add_inline(list, pkt, (i == 0 ? STAP_A_HEADER : 0) + STAP_A_LENGTH);

		if (i == 0)
			stap_header = len++;
		len[0] = nals[i].len >> 8;
		len[1] = (guint8)nals[i].len;
		add_segment(list, pkt, nals[i].data, nals[i].len);
		nri = MAX(nri, NAL_NRI(nals[i].data[0]));
	}
	/* F is 0: add_nal rejected forbidden bits.  NRI is the highest. */
	*stap_header = nri | NAL_STAP_A;
}

static void emit_fu_a(HdmirtcRtpPacketList *list, const Nal *nal, guint max_payload)
{
	guint8 hdr = nal->data[0];
	const guint8 *src = nal->data + 1;
	gsize n = fu_a_count(nal->len, max_payload);
	/* Equal-sized fragments rather than full ones plus a runt. */
	gsize base = (nal->len - 1) / n;
	gsize extra = (nal->len - 1) % n;

	for (gsize k = 0; k < n; k++) {
		HdmirtcRtpPacketDesc *pkt = begin_packet(list);
		guint8 *fu = add_inline(list, pkt, FU_A_HEADER);
		gsize chunk = base + (k < extra ? 1 : 0);

		fu[0] = (hdr & 0xe0) | NAL_FU_A;
		fu[1] = (k == 0 ? 0x80 : 0) | (k == n - 1 ? 0x40 : 0) | NAL_TYPE(hdr);
		add_segment(list, pkt, src, chunk);
		src += chunk;
	}
}

/* Greedy: a run of NAL units that fit together in max_payload becomes one
 * STAP-A; a run of one is sent as is. */
static void emit_all(HdmirtcRtpPacketList *list, const Nal *nals, guint n, guint max_payload,
                     gboolean last_part)
{
	guint i = 0;

	while (i < n) {
		gsize size = STAP_A_HEADER;
		guint j = i;

		if (nals[i].len > max_payload) {
			emit_fu_a(list, &nals[i++], max_payload);
			continue;
		}
		while (j < n && size + STAP_A_LENGTH + nals[j].len <= max_payload)
			size += STAP_A_LENGTH + nals[j++].len;
		if (j - i >= 2) {
			emit_stap_a(list, nals + i, j - i);
			i = j;
		} else {
			emit_single(list, &nals[i++]);
		}
	}
	/* RFC 6184 5.1: the marker ends the access unit, so not its first part. */
	list->packets[list->n_packets - 1].marker = last_part;
}

static gboolean check_input(const HdmirtcAccessUnit *au, guint max_payload, GError **error)
{
	if (max_payload < HDMIRTC_RTP_MIN_MAX_PAYLOAD || max_payload > HDMIRTC_RTP_MAX_MAX_PAYLOAD) {
		g_set_error(error, HDMIRTC_RTP_ERROR, HDMIRTC_RTP_ERROR_INVALID_ARGUMENT,
		            "max_payload %u out of range %u..%u", max_payload,
		            HDMIRTC_RTP_MIN_MAX_PAYLOAD, HDMIRTC_RTP_MAX_MAX_PAYLOAD);
		return FALSE;
	}
	if (au->size > MAX_ACCESS_UNIT_SIZE) {
		g_set_error(error, HDMIRTC_RTP_ERROR, HDMIRTC_RTP_ERROR_INVALID_ARGUMENT,
		            "access unit of %" G_GSIZE_FORMAT " bytes is too large", au->size);
		return FALSE;
	}
	if (!au->data || au->size == 0) {
		g_set_error(error, HDMIRTC_RTP_ERROR, HDMIRTC_RTP_ERROR_NO_START_CODE,
		            "empty access unit");
		return FALSE;
	}
	return TRUE;
}

HdmirtcRtpPacketList *hdmirtc_h264_packetizer_packetize(HdmirtcH264Packetizer *p,
                                                        HdmirtcAccessUnit *au,
                                                        guint max_payload,
                                                        GError **error)
{
	HdmirtcRtpPacketList *list;
	gboolean keyframe;
	guint inserted;

	g_return_val_if_fail(p != NULL && au != NULL, NULL);
	if (!check_input(au, max_payload, error))
		return NULL;
	g_array_set_size(p->nals, 0);
	if (!split_annex_b(p, au->data, au->size, error))
		return NULL;
	if (p->nals->len == 0) {
		g_set_error(error, HDMIRTC_RTP_ERROR, HDMIRTC_RTP_ERROR_NO_NAL_UNITS,
		            "access unit holds only delimiters, filler or empty NAL units");
		return NULL;
	}
	inserted = fix_parameter_sets(p, au->sps_override, au->part == HDMIRTC_AU_REST, &keyframe);
	list = alloc_list(au, p->nals, max_payload);
	list->keyframe = keyframe;
	if (inserted & 1)
		list->sps = g_bytes_ref(p->sps);
	if (inserted & 2)
		list->pps = g_bytes_ref(p->pps);
	emit_all(list, (const Nal *)p->nals->data, p->nals->len, max_payload,
		 au->part != HDMIRTC_AU_FIRST);
	return list;
}
