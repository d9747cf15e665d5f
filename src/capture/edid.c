/* SPDX-License-Identifier: GPL-3.0-or-later */
/* EDID blobs for the bridge's HDMI receiver: the built-in default and
 * files from the configuration.  A file is untrusted input: it is checked
 * (size, header, every block's checksum, the extension count) before it
 * could reach the driver, because a bad EDID makes HDMI sources fall back
 * to odd modes or send nothing at all, and the cause is hard to see from
 * the KVM. */
#include "hdmirtc/capture.h"

#include <string.h>

struct HdmirtcEdid {
	guint8 *data;
	gsize size;
	HdmirtcEdidInfo info;
};

static const guint8 edid_header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };

/* Detailed timing descriptors (EDID 1.3 layout) of CEA-861 VIC 16
 * (1920x1080p60, 148.5 MHz) and VIC 4 (1280x720p60, 74.25 MHz), with a
 * 16:9 image size of 531x299 mm. */
static const guint8 dtd_1080p60[18] = {
	0x02, 0x3a, 0x80, 0x18, 0x71, 0x38, 0x2d, 0x40, 0x58, 0x2c,
	0x45, 0x00, 0x13, 0x2b, 0x21, 0x00, 0x00, 0x1e,
};
static const guint8 dtd_720p60[18] = {
	0x01, 0x1d, 0x00, 0x72, 0x51, 0xd0, 0x1e, 0x20, 0x6e, 0x28,
	0x55, 0x00, 0x13, 0x2b, 0x21, 0x00, 0x00, 0x1e,
};

static guint8 checksum_byte(const guint8 *block)
{
	guint sum = 0;

	for (guint i = 0; i < HDMIRTC_EDID_BLOCK_SIZE - 1; i++)
		sum += block[i];
	return (guint8)(256 - sum % 256);
}

/* Display descriptor: tag 0xfc (name) or 0xfd (range limits). */
static void put_descriptor(guint8 *d, guint8 tag, const guint8 *payload, gsize n)
{
	memset(d, 0, 18);
	d[3] = tag;
	memcpy(d + 5, payload, MIN(n, 13u));
}

static void build_base_block(guint8 *b)
{
	/* 24..75 Hz, 15..80 kHz, 150 MHz max pixel clock, no timing formula. */
	static const guint8 range[13] = { 24, 75, 15, 80, 15, 0x00, 0x0a,
	                                  0x20, 0x20, 0x20, 0x20, 0x20, 0x20 };
	static const guint8 name[13] = { 'h', 'd', 'm', 'i', 'r', 't', 'c', '\n',
	                                 ' ', ' ', ' ', ' ', ' ' };
	/* sRGB primaries and D65 white point, EDID's 10-bit encoding. */
	static const guint8 chroma[10] = { 0xee, 0x91, 0xa3, 0x54, 0x4c, 0x99, 0x26, 0x0f,
	                                   0x50, 0x54 };

	memset(b, 0, HDMIRTC_EDID_BLOCK_SIZE);
	memcpy(b, edid_header, sizeof(edid_header));
	/* Manufacturer "HRT": three 5-bit letters, big endian. */
	b[8] = 0x22;
	b[9] = 0x54;
	b[10] = 0x01;                   /* product code 1, little endian */
	b[16] = 1;                      /* week 1 of 2024 */
	b[17] = 2024 - 1990;
	b[18] = 1;                      /* EDID 1.3 */
	b[19] = 3;
	b[20] = 0x80;                   /* digital input */
	b[21] = 53;                     /* 53 x 30 cm */
	b[22] = 30;
	b[23] = 120;                    /* gamma 2.2 */
	b[24] = 0x0a;                   /* RGB + YCbCr 4:4:4, DTD 1 is preferred */
	memcpy(b + 25, chroma, sizeof(chroma));
	b[35] = 0x20;                   /* established 640x480@60 */
	/* Standard timings: 1920x1080@60 and 1280x720@60 (16:9), rest unused. */
	for (guint i = 38; i < 54; i++)
		b[i] = 0x01;
	b[38] = 1920 / 8 - 31;
	b[39] = 0xc0;
	b[40] = 1280 / 8 - 31;
	b[41] = 0xc0;
	memcpy(b + 54, dtd_1080p60, 18);
	memcpy(b + 72, dtd_720p60, 18);
	put_descriptor(b + 90, 0xfc, name, sizeof(name));
	put_descriptor(b + 108, 0xfd, range, sizeof(range));
	b[126] = 1;                     /* one extension */
	b[127] = checksum_byte(b);
}

/* CEA-861 extension: the four modes as VICs, and an HDMI vendor block so
 * that sources send HDMI (not DVI) signalling. */
static void build_cea_block(guint8 *b)
{
	static const guint8 blocks[] = {
		/* video data block: 16 (1080p60, native), 31 (1080p50),
		 * 34 (1080p30), 4 (720p60) */
		(2 << 5) | 4, 0x80 | 16, 31, 34, 4,
		/* HDMI VSDB: OUI 00-0C-03, physical address 1.0.0.0 */
		(3 << 5) | 5, 0x03, 0x0c, 0x00, 0x10, 0x00,
	};

	memset(b, 0, HDMIRTC_EDID_BLOCK_SIZE);
	b[0] = 0x02;
	b[1] = 3;
	b[2] = 4 + sizeof(blocks);      /* where DTDs would start: none follow */
	b[3] = 0x30;                    /* YCbCr 4:4:4 and 4:2:2 */
	memcpy(b + 4, blocks, sizeof(blocks));
	b[127] = checksum_byte(b);
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
	info->preferred_refresh_mhz = (guint32)((guint64)pclk_10khz * 10000 * 1000 / total);
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

		if (checksum_byte(b) != b[127])
			return fail(error, origin, "block %" G_GSIZE_FORMAT " checksum is 0x%02x, expected 0x%02x",
			            i, b[127], checksum_byte(b));
	}
	if (data[126] != n - 1)
		return fail(error, origin, "base block announces %u extension(s) but %" G_GSIZE_FORMAT
		            " follow", data[126], n - 1);
	return TRUE;
}

static HdmirtcEdid *edid_take(guint8 *data, gsize size)
{
	HdmirtcEdid *edid = g_new0(HdmirtcEdid, 1);

	edid->data = data;
	edid->size = size;
	parse_info(data, size, &edid->info);
	return edid;
}

HdmirtcEdid *hdmirtc_edid_new_default(void)
{
	guint8 *data = g_malloc(2 * HDMIRTC_EDID_BLOCK_SIZE);

	build_base_block(data);
	build_cea_block(data + HDMIRTC_EDID_BLOCK_SIZE);
	return edid_take(data, 2 * HDMIRTC_EDID_BLOCK_SIZE);
}

HdmirtcEdid *hdmirtc_edid_new_from_data(const guint8 *data, gsize size, GError **error)
{
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!hdmirtc_edid_validate(data, size, NULL, error))
		return NULL;
	return edid_take(g_memdup2(data, size), size);
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
	return edid_take((guint8 *)contents, size);
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
	return g_strdup_printf("%s %04x \"%s\", %u block(s), preferred %ux%u@%u.%02u",
	                       i->manufacturer, i->product, i->name, i->n_blocks, i->preferred_width,
	                       i->preferred_height, i->preferred_refresh_mhz / 1000,
	                       i->preferred_refresh_mhz % 1000 / 10);
}
