/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RTP fixed header (RFC 3550 5.1) and the one-byte header extension form
 * (RFC 8285 4.2): 0xBEDE, length in 32-bit words, then elements of
 * (id << 4 | len - 1) followed by len bytes, zero padded to a word. */
#include "hdmirtc/rtp.h"

#include <errno.h>
#include <string.h>

#include "rtp-private.h"

#define ABS_CAPTURE_TIME_LEN 8  /* short form: capture timestamp only */
#define PLAYOUT_DELAY_LEN 3
#define PLAYOUT_DELAY_MAX 0xfff

static gsize mid_len(const HdmirtcRtpHeader *hdr)
{
	return hdr->mid_id ? strnlen(hdr->mid, sizeof(hdr->mid)) : 0;
}

/* Unpadded size of all extension elements (without the 4-byte 0xBEDE
 * header). */
static gsize elements_size(const HdmirtcRtpHeader *hdr)
{
	gsize n = 0;
	gsize mlen = mid_len(hdr);

	if (mlen)
		n += 1 + mlen;
	if (hdr->abs_capture_time_id)
		n += 1 + ABS_CAPTURE_TIME_LEN;
	if (hdr->playout_delay_id)
		n += 1 + PLAYOUT_DELAY_LEN;
	return n;
}

static gsize ext_block_size(const HdmirtcRtpHeader *hdr)
{
	gsize n = elements_size(hdr);

	return n ? 4 + ((n + 3) & ~(gsize)3) : 0;
}

gsize hdmirtc_rtp_header_get_size(const HdmirtcRtpHeader *hdr)
{
	return HDMIRTC_RTP_HEADER_SIZE + ext_block_size(hdr);
}

static gboolean header_is_valid(const HdmirtcRtpHeader *hdr)
{
	guint8 ids[3] = { mid_len(hdr) ? hdr->mid_id : 0, hdr->abs_capture_time_id,
	                  hdr->playout_delay_id };

	if (hdr->payload_type > 127)
		return FALSE;
	if (hdr->mid_id && strnlen(hdr->mid, sizeof(hdr->mid)) > HDMIRTC_RTP_MID_MAX_LEN)
		return FALSE;
	if (hdr->playout_delay_min > PLAYOUT_DELAY_MAX || hdr->playout_delay_max > PLAYOUT_DELAY_MAX)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		if (ids[i] > HDMIRTC_RTP_EXT_MAX_ID)
			return FALSE;
		for (guint j = 0; j < i; j++)
			if (ids[i] && ids[i] == ids[j])
				return FALSE;
	}
	return TRUE;
}

static guint8 *put_element(guint8 *p, guint8 id, gsize len)
{
	*p++ = (guint8)(id << 4 | (len - 1));
	return p;
}

static void write_extensions(const HdmirtcRtpHeader *hdr, guint8 *p, gsize block_size)
{
	guint8 *end = p + block_size;
	gsize mlen = mid_len(hdr);

	put_be16(p, 0xBEDE);
	put_be16(p + 2, (block_size - 4) / 4);
	p += 4;
	if (mlen) {
		p = put_element(p, hdr->mid_id, mlen);
		memcpy(p, hdr->mid, mlen);
		p += mlen;
	}
	if (hdr->abs_capture_time_id) {
		p = put_element(p, hdr->abs_capture_time_id, ABS_CAPTURE_TIME_LEN);
		put_be32(p, hdr->abs_capture_ntp >> 32);
		put_be32(p + 4, (guint32)hdr->abs_capture_ntp);
		p += ABS_CAPTURE_TIME_LEN;
	}
	if (hdr->playout_delay_id) {
		p = put_element(p, hdr->playout_delay_id, PLAYOUT_DELAY_LEN);
		p[0] = hdr->playout_delay_min >> 4;
		p[1] = (guint8)(hdr->playout_delay_min << 4 | hdr->playout_delay_max >> 8);
		p[2] = (guint8)hdr->playout_delay_max;
		p += PLAYOUT_DELAY_LEN;
	}
	memset(p, 0, end - p);
}

gssize hdmirtc_rtp_header_write(const HdmirtcRtpHeader *hdr, gboolean marker,
                                guint8 *buf, gsize buf_size)
{
	gsize ext;

	if (!hdr || !buf || !header_is_valid(hdr))
		return -EINVAL;
	ext = ext_block_size(hdr);
	if (buf_size < HDMIRTC_RTP_HEADER_SIZE + ext)
		return -ENOSPC;
	buf[0] = 0x80 | (ext ? 0x10 : 0);
	buf[1] = (marker ? 0x80 : 0) | hdr->payload_type;
	put_be16(buf + 2, hdr->seq);
	put_be32(buf + 4, hdr->timestamp);
	put_be32(buf + 8, hdr->ssrc);
	if (ext)
		write_extensions(hdr, buf + HDMIRTC_RTP_HEADER_SIZE, ext);
	return HDMIRTC_RTP_HEADER_SIZE + ext;
}
