/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EDID blobs for the bridge's HDMI receiver: the built-in default and
 * files from the configuration.  A file is untrusted input: it is checked
 * (size, header, every block's checksum, the extension count) before it
 * could reach the driver, because a bad EDID makes HDMI sources fall back
 * to odd modes or send nothing at all, and the cause is hard to see from
 * the KVM. */
#include "capture-private.h"

#include <string.h>

struct HdmirtcEdid {
	guint8 *data;
	gsize size;
	HdmirtcEdidInfo info;
};

static const guint8 edid_header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };

guint8 hdmirtc_edid_checksum(const guint8 *block)
{
	guint sum = 0;

	for (guint i = 0; i < HDMIRTC_EDID_BLOCK_SIZE - 1; i++)
		sum += block[i];
	return (guint8)(256 - sum % 256);
}

/* Refresh in mHz from a detailed timing descriptor; 0 if it is not one. */
static void parse_dtd(const guint8 *d, HdmirtcEdidInfo *info)
{
	guint32 pclk_10khz = d[0] | (guint32)d[1] << 8;
	guint32 hact = d[2] | (guint32)(d[4] & 0xf0) << 4;
	guint32 hblank = d[3] | (guint32)(d[4] & 0x0f) << 8;
	guint32 vact = d[5] | (guint32)(d[7] & 0xf0) << 4;
	guint32 vblank = d[6] | (guint32)(d[7] & 0x0f) << 8;
	guint64 total = (guint64)(hact + hblank) * (vact + vblank);

	if (pclk_10khz == 0 || total == 0)
		return;
	info->preferred_width = hact;
	info->preferred_height = vact;
	/* Clamped: a tiny frame at a high clock (1x1 at 655 MHz) would wrap
	 * around to a rate that looks plausible. */
	info->preferred_refresh_mhz = (guint32)MIN((guint64)pclk_10khz * 10000 * 1000 / total, G_MAXUINT32);
}

static void parse_info(const guint8 *b, gsize size, HdmirtcEdidInfo *info)
{
	guint16 id = (guint16)(b[8] << 8 | b[9]);

	memset(info, 0, sizeof(*info));
	for (guint i = 0; i < 3; i++) {
		guint letter = (id >> (10 - 5 * i)) & 0x1f;

		info->manufacturer[i] = letter >= 1 && letter <= 26 ? (char)('A' + letter - 1) : '?';
	}
	info->product = (guint16)(b[10] | b[11] << 8);
	info->n_blocks = (guint)(size / HDMIRTC_EDID_BLOCK_SIZE);
	parse_dtd(b + 54, info);
	for (gsize blk = 1; blk < info->n_blocks; blk++) {
		const guint8 *x = b + blk * HDMIRTC_EDID_BLOCK_SIZE;

		/* CEA-861 extension, revision 2 on: byte 3 bit 6 is basic audio. */
		if (x[0] == 0x02 && x[1] >= 2 && (x[3] & 0x40))
			info->audio = TRUE;
	}
	for (guint off = 54; off < 126; off += 18) {
		const guint8 *d = b + off;

		if (d[0] == 0 && d[1] == 0 && d[3] == 0xfc) {
			guint n = 0;

			while (n < 13 && d[5 + n] != '\n' && d[5 + n] >= 0x20 && d[5 + n] < 0x7f) {
				info->name[n] = (char)d[5 + n];
				n++;
			}
			info->name[n] = '\0';
		}
	}
}

static gboolean fail(GError **error, const char *origin, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail(GError **error, const char *origin, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
	            "EDID %s: %s", origin, msg);
	return FALSE;
}

gboolean hdmirtc_edid_validate(const guint8 *data, gsize size, const char *origin,
                               GError **error)
{
	gsize n;

	if (!origin)
		origin = "data";
	if (size == 0 || !data)
		return fail(error, origin, "empty");
	if (size % HDMIRTC_EDID_BLOCK_SIZE != 0)
		return fail(error, origin, "%" G_GSIZE_FORMAT " bytes is not a multiple of 128", size);
	n = size / HDMIRTC_EDID_BLOCK_SIZE;
	if (n > HDMIRTC_EDID_MAX_BLOCKS)
		return fail(error, origin, "%" G_GSIZE_FORMAT " blocks, at most %u are supported", n,
		            HDMIRTC_EDID_MAX_BLOCKS);
	if (memcmp(data, edid_header, sizeof(edid_header)) != 0)
		return fail(error, origin, "no EDID header (00 ff ff ff ff ff ff 00) at the start");
	for (gsize i = 0; i < n; i++) {
		const guint8 *b = data + i * HDMIRTC_EDID_BLOCK_SIZE;

		if (hdmirtc_edid_checksum(b) != b[127])
			return fail(error, origin, "block %" G_GSIZE_FORMAT " checksum is 0x%02x, expected 0x%02x",
			            i, b[127], hdmirtc_edid_checksum(b));
	}
	if (data[126] != n - 1)
		return fail(error, origin, "base block announces %u extension(s) but %" G_GSIZE_FORMAT
		            " follow", data[126], n - 1);
	return TRUE;
}

HdmirtcEdid *hdmirtc_edid_take(guint8 *data, gsize size)
{
	HdmirtcEdid *edid = g_new0(HdmirtcEdid, 1);

	edid->data = data;
	edid->size = size;
	parse_info(data, size, &edid->info);
	return edid;
}

HdmirtcEdid *hdmirtc_edid_new_from_data(const guint8 *data, gsize size, GError **error)
{
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!hdmirtc_edid_validate(data, size, NULL, error))
		return NULL;
	return hdmirtc_edid_take(g_memdup2(data, size), size);
}

HdmirtcEdid *hdmirtc_edid_new_from_file(const char *path, GError **error)
{
	g_autoptr(GError) read_error = NULL;
	char *contents = NULL;
	gsize size = 0;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!g_file_get_contents(path, &contents, &size, &read_error)) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
		            "EDID file: %s", read_error->message);
		return NULL;
	}
	if (!hdmirtc_edid_validate((const guint8 *)contents, size, path, error)) {
		g_free(contents);
		return NULL;
	}
	return hdmirtc_edid_take((guint8 *)contents, size);
}

void hdmirtc_edid_free(HdmirtcEdid *edid)
{
	if (!edid)
		return;
	g_free(edid->data);
	g_free(edid);
}

const guint8 *hdmirtc_edid_get_data(const HdmirtcEdid *edid, gsize *size)
{
	g_return_val_if_fail(edid != NULL, NULL);
	if (size)
		*size = edid->size;
	return edid->data;
}

const HdmirtcEdidInfo *hdmirtc_edid_get_info(const HdmirtcEdid *edid)
{
	g_return_val_if_fail(edid != NULL, NULL);
	return &edid->info;
}

char *hdmirtc_edid_describe(const HdmirtcEdid *edid)
{
	const HdmirtcEdidInfo *i;

	g_return_val_if_fail(edid != NULL, NULL);
	i = &edid->info;
	return g_strdup_printf("%s %04x \"%s\", %u block(s), preferred %ux%u@%u.%02u, %s",
	                       i->manufacturer, i->product, i->name, i->n_blocks, i->preferred_width,
	                       i->preferred_height, i->preferred_refresh_mhz / 1000,
	                       i->preferred_refresh_mhz % 1000 / 10, i->audio ? "audio" : "no audio");
}
