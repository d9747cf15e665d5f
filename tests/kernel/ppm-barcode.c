/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ppm-barcode: reads a binary PPM (P6, 8 bit), as GET /api/display/snapshot
 * answers it, and prints one line:
 *   WIDTHxHEIGHT counter N sum S     the picture carries a barcode
 *   WIDTHxHEIGHT none sum S          it does not
 * S is a checksum of the pixels (FNV-1a), so that two pictures without a
 * barcode (vivid's) can be told apart.  The barcode (hdmirtc/barcode.h) is
 * read from the picture's BT.601 studio-range luma.  FILE may be a whole
 * HTTP response (what busybox nc gives): the body after its header is
 * read, and a status other than 200 is printed instead.
 *
 *   ppm-barcode FILE
 * Exit status 0, or 1 when FILE holds no such PPM. */
#define _GNU_SOURCE                     /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdmirtc/barcode.h"

/* The next header number, past whitespace and # comments. */
static gboolean header_number(const guint8 *p, gsize len, gsize *at, guint *out)
{
	guint64 v = 0;
	gboolean any = FALSE;

	while (*at < len && (g_ascii_isspace(p[*at]) || p[*at] == '#')) {
		if (p[*at] == '#')
			while (*at < len && p[*at] != '\n')
				(*at)++;
		else
			(*at)++;
	}
	while (*at < len && g_ascii_isdigit(p[*at]) && v < 100000) {
		v = v * 10 + (guint)(p[(*at)++] - '0');
		any = TRUE;
	}
	*out = (guint)v;
	return any && v < 100000;
}

int main(int argc, char **argv)
{
	g_autofree guint8 *data = NULL;
	gsize len = 0, at = 2;
	guint w, h, max;
	HdmirtcBarcode code;
	guint32 sum = 2166136261u;

	if (argc == 2 && g_file_get_contents(argv[1], (char **)&data, &len, NULL) && len > 5 &&
	    memcmp(data, "HTTP/", 5) == 0) {
		const guint8 *body = memmem(data, len, "\r\n\r\n", 4);
		const char *eol = memchr(data, '\r', len);

		if (!body || !eol || !g_strstr_len((const char *)data, eol - (const char *)data, " 200 ")) {
			printf("%.*s\n", eol ? (int)(eol - (const char *)data) : 40, (const char *)data);
			return 1;
		}
		len -= (gsize)(body + 4 - data);
		memmove(data, body + 4, len);
	}
	if (argc != 2 || !data || len < 2 || memcmp(data, "P6", 2) != 0 || !header_number(data, len, &at, &w) ||
	    !header_number(data, len, &at, &h) || !header_number(data, len, &at, &max) || max != 255 || at >= len || (len - at - 1) / 3 / MAX(w, 1) < h) {
		fprintf(stderr, "ppm-barcode: %s is no 8-bit binary PPM\n", argc == 2 ? argv[1] : "(no file)");
		return 1;
	}
	const guint8 *rgb = data + at + 1;
	g_autofree guint8 *luma = g_malloc((gsize)w * h);

	for (gsize i = 0; i < (gsize)w * h; i++) {
		const guint8 *p = rgb + i * 3;

		luma[i] = (guint8)(((66 * p[0] + 129 * p[1] + 25 * p[2] + 128) >> 8) + 16);
		for (guint c = 0; c < 3; c++)
			sum = (sum ^ p[c]) * 16777619u;
	}
	if (hdmirtc_barcode_read(luma, w, w, h, &code))
		printf("%ux%u counter %u sum %08x\n", w, h, code.counter, sum);
	else
		printf("%ux%u none sum %08x\n", w, h, sum);
	return 0;
}
