/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compound SR + SDES(CNAME) (RFC 3550 6.4.1, 6.5) and BYE (6.6). */
#include "hdmirtc/rtcp.h"

#include <errno.h>
#include <string.h>

#include "rtp-private.h"

#define SR_SIZE 28              /* header + SSRC + 20-byte sender info, no blocks */
#define SDES_CNAME 1

static void put_header(guint8 *p, guint count, guint8 pt, gsize size)
{
	p[0] = 0x80 | count;
	p[1] = pt;
	put_be16(p + 2, size / 4 - 1);
}

/* Header + SSRC + CNAME item (type, length, text) + at least one zero
 * byte ending the item list, padded to 32 bits. */
static gsize sdes_size(gsize cname_len)
{
	return 8 + ((2 + cname_len + 1 + 3) & ~(gsize)3);
}

gsize hdmirtc_rtcp_sr_sdes_size(const char *cname)
{
	g_return_val_if_fail(cname != NULL, 0);
	return SR_SIZE + sdes_size(strlen(cname));
}

gssize hdmirtc_rtcp_build_sr_sdes(const HdmirtcRtcpSenderInfo *info, const char *cname,
                                  guint8 *buf, gsize buf_size)
{
	gsize cname_len, sdes, total;
	guint8 *p;

	if (!info || !cname || !buf)
		return -EINVAL;
	cname_len = strlen(cname);
	if (cname_len == 0 || cname_len > HDMIRTC_RTCP_CNAME_MAX_LEN)
		return -EINVAL;
	sdes = sdes_size(cname_len);
	total = SR_SIZE + sdes;
	if (buf_size < total)
		return -ENOSPC;

	put_header(buf, 0, HDMIRTC_RTCP_PT_SR, SR_SIZE);
	put_be32(buf + 4, info->ssrc);
	put_be32(buf + 8, info->ntp >> 32);
	put_be32(buf + 12, (guint32)info->ntp);
	put_be32(buf + 16, info->rtp_timestamp);
	put_be32(buf + 20, info->packet_count);
	put_be32(buf + 24, info->octet_count);

	p = buf + SR_SIZE;
	memset(p, 0, sdes);
	put_header(p, 1, HDMIRTC_RTCP_PT_SDES, sdes);
	put_be32(p + 4, info->ssrc);
	p[8] = SDES_CNAME;
	p[9] = (guint8)cname_len;
	memcpy(p + 10, cname, cname_len);
	return total;
}

gssize hdmirtc_rtcp_build_bye(guint32 ssrc, guint8 *buf, gsize buf_size)
{
	if (!buf)
		return -EINVAL;
	if (buf_size < 8)
		return -ENOSPC;
	put_header(buf, 1, HDMIRTC_RTCP_PT_BYE, 8);
	put_be32(buf + 4, ssrc);
	return 8;
}
