/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The two STUN messages the probe needs (RFC 8489): a Binding request
 * without attributes, and the mapped address out of a success response
 * (or the ERROR-CODE of an error response). */
#include "hdmirtc/net.h"

#include <arpa/inet.h>
#include <string.h>

#define STUN_MAGIC 0x2112a442u
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111
#define ATTR_MAPPED_ADDRESS 0x0001
#define ATTR_XOR_MAPPED_ADDRESS 0x0020
#define ATTR_ERROR_CODE 0x0009

static guint16 rd16(const guint8 *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static guint32 rd32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

void hdmirtc_net_stun_build_binding_request(guint8 out[HDMIRTC_NET_STUN_HEADER_LEN],
                                            const guint8 tid[12])
{
	out[0] = 0;
	out[1] = STUN_BINDING_REQUEST;
	out[2] = out[3] = 0;            /* no attributes */
	out[4] = STUN_MAGIC >> 24;
	out[5] = (STUN_MAGIC >> 16) & 0xff;
	out[6] = (STUN_MAGIC >> 8) & 0xff;
	out[7] = STUN_MAGIC & 0xff;
	memcpy(out + 8, tid, 12);
}

/* value: family + port + address of a (XOR-)MAPPED-ADDRESS; header: the
 * message's first 20 bytes (magic cookie + tid are the XOR key). */
static gboolean decode_address(const guint8 *value, gsize len, gboolean xored, const guint8 *header,
                               char **address, guint16 *port)
{
	guint8 ip[16];
	char text[INET6_ADDRSTRLEN];
	gsize n;
	int family;

	if (len < 8 || value[0] != 0)
		return FALSE;
	if (value[1] == 0x01) {
		family = AF_INET;
		n = 4;
	} else if (value[1] == 0x02) {
		family = AF_INET6;
		n = 16;
	} else {
		return FALSE;
	}
	if (len < 4 + n)
		return FALSE;
	memcpy(ip, value + 4, n);
	*port = rd16(value + 2);
	if (xored) {
		*port ^= STUN_MAGIC >> 16;
		for (gsize i = 0; i < n; i++)
			ip[i] ^= header[4 + i];   /* cookie, then the transaction id */
	}
	if (!inet_ntop(family, ip, text, sizeof(text)))
		return FALSE;
	*address = g_strdup(text);
	return TRUE;
}

static gboolean check_header(const guint8 *buf, gsize len, const guint8 tid[12], guint16 *type,
                             gsize *body_len, GError **error)
{
	if (len < HDMIRTC_NET_STUN_HEADER_LEN || (buf[0] & 0xc0) != 0 || rd32(buf + 4) != STUN_MAGIC) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
			    "not a STUN message (%zu bytes)", len);
		return FALSE;
	}
	*type = rd16(buf);
	*body_len = rd16(buf + 2);
	if (*body_len + HDMIRTC_NET_STUN_HEADER_LEN > len || (*body_len & 3)) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
			    "STUN length %zu does not fit the %zu bytes received", *body_len, len);
		return FALSE;
	}
	if (memcmp(buf + 8, tid, 12) != 0) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
			    "STUN answer to another transaction");
		return FALSE;
	}
	return TRUE;
}

/* The value of the first attribute of type in a message body (a run of
 * type-length-value, padded to 4 bytes); NULL when absent or cut short. */
static const guint8 *find_attribute(const guint8 *body, gsize body_len, guint16 type, guint16 *len)
{
	const guint8 *p = body, *end = body + body_len;

	while (end - p >= 4) {
		guint16 atype = rd16(p), alen = rd16(p + 2);

		if ((gsize)(end - p - 4) < alen)
			return NULL;
		if (atype == type) {
			*len = alen;
			return p + 4;
		}
		p += MIN((gsize)(end - p), 4 + ((alen + 3u) & ~3u));
	}
	return NULL;
}

/* RFC 8489 14.8: "the STUN server answered 401 (Unauthorized)". */
static void set_error_response(const guint8 *body, gsize body_len, GError **error)
{
	guint16 len = 0;
	const guint8 *v = find_attribute(body, body_len, ATTR_ERROR_CODE, &len);
	g_autofree char *reason = NULL;
	g_autofree char *said = NULL;

	if (!v || len < 4) {
		g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_REFUSED,
			    "the STUN server answered with an error (no ERROR-CODE)");
		return;
	}
	/* The reason is UTF-8 from outside: shown only if it is, without
	 * control characters. */
	reason = g_strndup((const char *)v + 4, len - 4);
	for (char *c = reason; *c; c++) {
		if (g_ascii_iscntrl(*c))
			*c = ' ';
	}
	said = *reason && g_utf8_validate(reason, -1, NULL) ? g_strdup_printf(" (%s)", reason) : g_strdup("");
	g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_REFUSED, "the STUN server answered %u%s",
		    (v[2] & 7u) * 100 + v[3] % 100, said);
}

gboolean hdmirtc_net_stun_parse_binding_response(const guint8 *buf, gsize len, const guint8 tid[12],
                                                 char **address, guint16 *port, GError **error)
{
	guint16 type, alen = 0;
	gsize body_len;
	const guint8 *body = buf + HDMIRTC_NET_STUN_HEADER_LEN, *v;
	char *mapped = NULL;
	guint16 mapped_port = 0;

	if (!check_header(buf, len, tid, &type, &body_len, error))
		return FALSE;
	if (type == STUN_BINDING_ERROR) {
		set_error_response(body, body_len, error);
		return FALSE;
	}
	/* XOR-MAPPED-ADDRESS first: MAPPED-ADDRESS is what NATs that rewrite
	 * addresses in payloads get wrong. */
	if (type == STUN_BINDING_SUCCESS &&
	    (((v = find_attribute(body, body_len, ATTR_XOR_MAPPED_ADDRESS, &alen)) &&
	      decode_address(v, alen, TRUE, buf, &mapped, &mapped_port)) ||
	     ((v = find_attribute(body, body_len, ATTR_MAPPED_ADDRESS, &alen)) &&
	      decode_address(v, alen, FALSE, buf, &mapped, &mapped_port)))) {
		*address = mapped;
		*port = mapped_port;
		return TRUE;
	}
	g_set_error(error, HDMIRTC_NET_ERROR, HDMIRTC_NET_ERROR_MALFORMED,
		    "STUN message type 0x%04x without a usable mapped address", type);
	return FALSE;
}
