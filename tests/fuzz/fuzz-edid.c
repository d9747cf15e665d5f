/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-edid - the body of PUT /api/edid (application/octet-stream) as
 * media-pipeline.c takes it: checked and copied, then described for the
 * log and its info and bytes read for GET /api/edid.  The same bytes are
 * then tried once more with header, extension count and checksums made
 * right, because random bytes almost never pass the checksums and the
 * descriptors behind them would otherwise be left unfuzzed. */
#include <hdmirtc/capture.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/* What GET /api/edid and the log make of an accepted EDID. */
static void use(const HdmirtcEdid *edid, const guint8 *data, gsize size)
{
	const HdmirtcEdidInfo *info = hdmirtc_edid_get_info(edid);
	g_autofree char *description = hdmirtc_edid_describe(edid);
	gsize copy_size;
	const guint8 *copy = hdmirtc_edid_get_data(edid, &copy_size);

	g_assert_cmpmem(copy, copy_size, data, size);
	g_assert_cmpuint(info->n_blocks, ==, size / HDMIRTC_EDID_BLOCK_SIZE);
	/* Both go into JSON and logs as they are. */
	g_assert_cmpuint(strlen(info->manufacturer), ==, 3);
	g_assert_true(g_utf8_validate(info->name, -1, NULL));
	g_assert_true(g_utf8_validate(description, -1, NULL));
}

static void upload(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcEdid) edid = hdmirtc_edid_new_from_data(data, size, &error);

	g_assert_true((edid == NULL) == (error != NULL));
	g_assert_true(hdmirtc_edid_validate(data, size, "upload", NULL) == (edid != NULL));
	if (edid)
		use(edid, data, size);
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	static const guint8 header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
	gsize n = size / HDMIRTC_EDID_BLOCK_SIZE;
	g_autofree guint8 *fixed = NULL;

	upload(data, size);
	if (n == 0 || n > HDMIRTC_EDID_MAX_BLOCKS || size % HDMIRTC_EDID_BLOCK_SIZE != 0)
		return 0;
	fixed = g_memdup2(data, size);
	memcpy(fixed, header, sizeof(header));
	fixed[126] = (guint8)(n - 1);
	for (gsize i = 0; i < n; i++) {
		guint8 *b = fixed + i * HDMIRTC_EDID_BLOCK_SIZE;

		guint sum = 0;

		for (guint j = 0; j < HDMIRTC_EDID_BLOCK_SIZE - 1; j++)
			sum += b[j];
		b[127] = (guint8)(256 - sum % 256);
	}
	g_assert_true(hdmirtc_edid_validate(fixed, size, NULL, NULL));
	upload(fixed, size);
	return 0;
}
