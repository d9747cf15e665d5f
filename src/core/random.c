/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/random.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

void hdmirtc_random_bytes(void *buf, gsize len)
{
	guint8 *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			g_error("getrandom: %s", g_strerror(errno));
		}
		p += n;
		len -= (gsize)n;
	}
}

char *hdmirtc_random_hex(guint bytes)
{
	g_autofree guint8 *raw = g_malloc(bytes);
	char *hex = g_malloc(2 * (gsize)bytes + 1);

	hdmirtc_random_bytes(raw, bytes);
	for (guint i = 0; i < bytes; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	hex[2 * (gsize)bytes] = '\0';
	return hex;
}

char *hdmirtc_random_base64url(guint bytes)
{
	g_autofree guint8 *raw = g_malloc(bytes);
	char *text;

	hdmirtc_random_bytes(raw, bytes);
	text = g_base64_encode(raw, bytes);
	explicit_bzero(raw, bytes);
	g_strdelimit(text, "+", '-');
	g_strdelimit(text, "/", '_');
	*strchrnul(text, '=') = '\0';
	return text;
}
