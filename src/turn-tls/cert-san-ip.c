/* SPDX-License-Identifier: GPL-3.0-or-later */
/* subjectAltName iPAddress check (see cert-san-ip.h): the few DER steps to
 * reach the entries wolfSSL drops in this build, each bounded by the
 * enclosing length. */
#include "cert-san-ip.h"

#include <string.h>

typedef struct {
	const guint8 *p;
	gsize len;
} Der;

/* Splits the next definite-length TLV off in.  High tag numbers and
 * lengths over 16 MiB never occur on the path walked, so are refused. */
static gboolean der_next(Der *in, guint8 *tag, Der *value)
{
	gsize len, hdr = 2;

	if (in->len < 2 || (in->p[0] & 0x1f) == 0x1f)
		return FALSE;
	*tag = in->p[0];
	len = in->p[1];
	if (len & 0x80) {
		gsize n = len & 0x7f;

		if (n == 0 || n > 3 || in->len < 2 + n)
			return FALSE;
		len = 0;
		for (gsize i = 0; i < n; i++)
			len = (len << 8) | in->p[2 + i];
		hdr += n;
	}
	if (len > in->len - hdr)
		return FALSE;
	value->p = in->p + hdr;
	value->len = len;
	in->p += hdr + len;
	in->len -= hdr + len;
	return TRUE;
}

static gboolean der_expect(Der *in, guint8 want, Der *value)
{
	guint8 tag;

	return der_next(in, &tag, value) && tag == want;
}

/* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING }; value = GeneralNames contents if it is SAN. */
static gboolean der_extension_san(Der ext, Der *names, gboolean *is_san)
{
	static const guint8 san_oid[] = { 0x55, 0x1d, 0x11 };   /* 2.5.29.17 */
	Der oid, value;
	guint8 tag;

	*is_san = FALSE;
	if (!der_expect(&ext, 0x06, &oid))
		return FALSE;
	if (oid.len != sizeof(san_oid) || memcmp(oid.p, san_oid, sizeof(san_oid)) != 0)
		return TRUE;
	if (!der_next(&ext, &tag, &value))
		return FALSE;
	if (tag == 0x01 && !der_next(&ext, &tag, &value))
		return FALSE;
	*is_san = TRUE;
	return tag == 0x04 && der_expect(&value, 0x30, names);
}

/* Certificate -> tbsCertificate -> [3] extensions -> the SAN extension. */
static gboolean der_find_san(Der cert, Der *names)
{
	Der c, tbs, item, exts, ext;
	guint8 tag;

	if (!der_expect(&cert, 0x30, &c) || !der_expect(&c, 0x30, &tbs))
		return FALSE;
	while (der_next(&tbs, &tag, &item)) {
		if (tag != 0xa3)
			continue;
		if (!der_expect(&item, 0x30, &exts))
			return FALSE;
		while (der_expect(&exts, 0x30, &ext)) {
			gboolean is_san;

			if (!der_extension_san(ext, names, &is_san))
				return FALSE;
			if (is_san)
				return TRUE;
		}
		return FALSE;
	}
	return FALSE;
}

gboolean hdmirtc_cert_has_ip_san(const guint8 *der, gsize der_len, const guint8 *ip, gsize ip_len)
{
	Der names, value;
	guint8 tag;

	if (der == NULL || ip == NULL || (ip_len != 4 && ip_len != 16))
		return FALSE;
	if (!der_find_san((Der){ der, der_len }, &names))
		return FALSE;
	/* GeneralName iPAddress is [7] IMPLICIT OCTET STRING (RFC 5280 4.2.1.6). */
	while (der_next(&names, &tag, &value))
		if (tag == 0x87 && value.len == ip_len && memcmp(value.p, ip, ip_len) == 0)
			return TRUE;
	return FALSE;
}
