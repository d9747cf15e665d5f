/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-annexb - encoder output as the packetizer gets it: the first byte
 * picks three payload limits, the rest is one Annex-B access unit,
 * packetized with each (on one packetizer, as the hub's worker does frame
 * after frame), and every packet then written as peer-send.c writes it.
 * Then an IDR alone, which takes the SPS/PPS the input left in the cache.
 *
 * Packets are checked against RFC 6184 as a receiver would take them
 * apart: sizes within the limit, the marker on the last packet only, and
 * the NAL units they carry, once reassembled, exactly the input's (found
 * here by a plain start code scan, independent of split_annex_b). */
#include <hdmirtc/rtp.h>

#include "fuzz-quiet-log.h"

#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

#define BUF_SIZE (HDMIRTC_RTP_MAX_MAX_PAYLOAD + 256)

static const guint payload_limits[8] = {
	HDMIRTC_RTP_MIN_MAX_PAYLOAD, 17, 31, 100, 255,
	HDMIRTC_RTP_DEFAULT_MAX_PAYLOAD, 1400, HDMIRTC_RTP_MAX_MAX_PAYLOAD,
};

/* The NAL units a receiver should end up with: what lies between start
 * codes, without trailing zero bytes, empty units, AUD (9) or filler (12). */
static GPtrArray *expected_nals(const guint8 *d, gsize size)
{
	GPtrArray *nals = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	gssize start = -1;
	gsize i = 0;

	for (;;) {
		gboolean at_code = i + 3 <= size && d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1;

		if (at_code || i >= size) {
			if (start >= 0) {
				gsize end = i;

				while (end > (gsize)start && d[end - 1] == 0)
					end--;
				if (end > (gsize)start && (d[start] & 0x1f) != 9 && (d[start] & 0x1f) != 12)
					g_ptr_array_add(nals, g_bytes_new(d + start, end - (gsize)start));
			}
			if (i >= size)
				break;
			start = (gssize)(i + 3);
			i += 3;
		} else {
			i++;
		}
	}
	return nals;
}

/* Takes payload apart into out (NAL units); *fu collects an FU-A across
 * packets. */
static void depacketize(const guint8 *p, gsize len, guint max_payload, GPtrArray *out, GByteArray **fu)
{
	guint type = p[0] & 0x1f;

	g_assert(len >= 1 && len <= max_payload);
	g_assert(!(p[0] & 0x80));
	if (type == 24) {               /* STAP-A: 2-byte size, NAL unit, ... */
		guint8 nri = 0;
		guint n = 0;

		g_assert(*fu == NULL);
		for (gsize off = 1; off < len; n++) {
			gsize nal_len;

			g_assert(off + 2 <= len);
			nal_len = (gsize)p[off] << 8 | p[off + 1];
			g_assert(nal_len >= 1 && off + 2 + nal_len <= len);
			nri = MAX(nri, p[off + 2] & 0x60);
			g_ptr_array_add(out, g_bytes_new(p + off + 2, nal_len));
			off += 2 + nal_len;
		}
		g_assert(n >= 2);
		g_assert((p[0] & 0x60) == nri);
	} else if (type == 28) {        /* FU-A: indicator, S/E/type header, part */
		gboolean s, e;

		g_assert(len >= 3);
		s = p[1] & 0x80;
		e = p[1] & 0x40;
		g_assert(!(p[1] & 0x20) && !(s && e));
		if (s) {
			guint8 hdr = (p[0] & 0xe0) | (p[1] & 0x1f);

			g_assert(*fu == NULL);
			*fu = g_byte_array_new();
			g_byte_array_append(*fu, &hdr, 1);
		}
		g_assert(*fu != NULL);
		g_byte_array_append(*fu, p + 2, len - 2);
		if (e)
			g_ptr_array_add(out, g_byte_array_free_to_bytes(g_steal_pointer(fu)));
	} else {
		g_assert(*fu == NULL);
		g_assert(type >= 1 && type <= 23);
		g_ptr_array_add(out, g_bytes_new(p, len));
	}
}

/* Reads every packet of list as the sender does and returns the NAL units
 * they carry. */
static GPtrArray *send_all(HdmirtcRtpPacketList *list, guint max_payload)
{
	static guint8 buf[BUF_SIZE], payload[BUF_SIZE];
	HdmirtcRtpHeader hdr = {
		.payload_type = 102, .seq = 65534, .timestamp = 90000, .ssrc = 0xcafebabe,
		.mid_id = 1, .mid = "0", .abs_capture_time_id = 2, .abs_capture_ntp = 1,
	};
	GPtrArray *nals = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GByteArray *fu = NULL;
	guint n = hdmirtc_rtp_packet_list_get_n_packets(list);
	gsize total = 0;

	g_assert(n >= 1);
	for (guint i = 0; i < n; i++) {
		gsize size = hdmirtc_rtp_packet_list_get_payload_size(list, i);
		gsize hlen = hdmirtc_rtp_header_get_size(&hdr);
		gssize len;

		g_assert(size >= 1 && size <= max_payload);
		g_assert(hdmirtc_rtp_packet_list_get_marker(list, i) == (i == n - 1));
		len = hdmirtc_rtp_packet_list_write(list, i, &hdr, buf, hlen + size);
		g_assert(len == (gssize)(hlen + size));
		g_assert(hdmirtc_rtp_packet_list_write(list, i, &hdr, buf, hlen + size - 1) == -ENOSPC);
		g_assert(hdmirtc_rtp_packet_list_copy_payload(list, i, payload, size) == (gssize)size);
		g_assert(memcmp(buf + hlen, payload, size) == 0);
		depacketize(payload, size, max_payload, nals, &fu);
		total += size;
		/* as set_packet_header: capture time on the first packet only */
		hdr.seq++;
		hdr.abs_capture_time_id = 0;
	}
	g_assert(fu == NULL);
	g_assert(total == hdmirtc_rtp_packet_list_get_total_payload(list));
	return nals;
}

static gboolean same_nals(GPtrArray *a, GPtrArray *b)
{
	if (a->len != b->len)
		return FALSE;
	for (guint i = 0; i < a->len; i++)
		if (!g_bytes_equal(a->pdata[i], b->pdata[i]))
			return FALSE;
	return TRUE;
}

/* Packetizes au with max_payload; with want, the NAL units must be those. */
static void packetize(HdmirtcH264Packetizer *p, HdmirtcAccessUnit *au, guint max_payload,
                      GPtrArray *want)
{
	g_autoptr(GError) error = NULL;
	HdmirtcRtpPacketList *list = hdmirtc_h264_packetizer_packetize(p, au, max_payload, &error);
	GPtrArray *got;

	if (!list) {
		g_assert(error != NULL && error->domain == HDMIRTC_RTP_ERROR);
		/* nothing to send: the input has no NAL unit worth sending */
		if (want && error->code != HDMIRTC_RTP_ERROR_INVALID_NAL)
			g_assert(want->len == 0);
		return;
	}
	g_assert(error == NULL);
	g_assert(hdmirtc_rtp_packet_list_get_access_unit(list) == au);
	got = send_all(list, max_payload);
	if (want) {
		g_assert(same_nals(got, want));
		/* accepted: no forbidden bit, no type 0 or RTP-only type 24..31 */
		for (guint i = 0; i < want->len; i++) {
			guint8 h = *(const guint8 *)g_bytes_get_data(want->pdata[i], NULL);

			g_assert(!(h & 0x80) && (h & 0x1f) != 0 && (h & 0x1f) < 24);
		}
	}
	g_ptr_array_unref(got);
	hdmirtc_rtp_packet_list_unref(list);
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	/* an IDR slice without SPS/PPS: the packetizer adds cached ones */
	static const guint8 idr[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21, 0xa0 };
	HdmirtcH264Packetizer *p;
	HdmirtcAccessUnit *au, *idr_au;
	GPtrArray *want;

	if (size < 1)
		return 0;
	fuzz_quiet_log();
	p = hdmirtc_h264_packetizer_new();
	/* an exact-size copy: ASan sees any read past the end */
	au = hdmirtc_access_unit_new_copy(data + 1, size - 1);
	want = expected_nals(data + 1, size - 1);
	packetize(p, au, payload_limits[data[0] & 7], want);
	packetize(p, au, payload_limits[(data[0] >> 3) & 7], want);
	packetize(p, au, payload_limits[data[0] >> 5], want);
	idr_au = hdmirtc_access_unit_new_copy(idr, sizeof(idr));
	packetize(p, idr_au, payload_limits[data[0] & 7], NULL);
	hdmirtc_access_unit_unref(idr_au);
	g_ptr_array_unref(want);
	hdmirtc_access_unit_unref(au);
	hdmirtc_h264_packetizer_free(p);
	return 0;
}
