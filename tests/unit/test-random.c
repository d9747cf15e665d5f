/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hdmirtc_random_*: the shape of what it gives, and that it is not the
 * same twice (the quality is the kernel's). */
#include "hdmirtc/random.h"

#include <string.h>

static void test_hex(void)
{
	g_autofree char *a = hdmirtc_random_hex(12);
	g_autofree char *b = hdmirtc_random_hex(12);
	g_autofree char *empty = hdmirtc_random_hex(0);

	g_assert_cmpuint(strlen(a), ==, 24);
	g_assert_cmpuint(strspn(a, "0123456789abcdef"), ==, 24);
	g_assert_cmpstr(a, !=, b);
	g_assert_cmpstr(empty, ==, "");
}

/* Every byte value shows up in 64 KiB, and no value takes more than
 * three times its share: a broken fill (zeros, a repeated block, one
 * byte of each word) would not pass. */
/* base64url without padding: 32 bytes are 43 characters, 24 are 32. */
static void test_base64url(void)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	g_autofree char *a = hdmirtc_random_base64url(32);
	g_autofree char *b = hdmirtc_random_base64url(32);
	g_autofree char *c = hdmirtc_random_base64url(24);
	g_autofree guchar *raw = NULL;
	g_autofree char *std = g_strdup(c);
	gsize len = 0;

	g_assert_cmpuint(strlen(a), ==, 43);
	g_assert_cmpuint(strspn(a, alphabet), ==, 43);
	g_assert_cmpstr(a, !=, b);
	g_assert_cmpuint(strlen(c), ==, 32);
	/* Back to standard base64, it decodes to the 24 bytes. */
	g_strdelimit(std, "-", '+');
	g_strdelimit(std, "_", '/');
	raw = g_base64_decode(std, &len);
	g_assert_cmpuint(len, ==, 24);
}

static void test_bytes_spread(void)
{
	enum { N = 65536 };
	g_autofree guint8 *buf = g_malloc0(N);
	guint count[256] = { 0 };

	hdmirtc_random_bytes(buf, N);
	for (guint i = 0; i < N; i++)
		count[buf[i]]++;
	for (guint v = 0; v < 256; v++) {
		g_assert_cmpuint(count[v], >, 0);
		g_assert_cmpuint(count[v], <, 3 * N / 256);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/random/hex", test_hex);
	g_test_add_func("/random/base64url", test_base64url);
	g_test_add_func("/random/bytes-spread", test_bytes_spread);
	return g_test_run();
}
