/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/frame.h"

static void count_release(HdmirtcFrame *frame, gpointer user_data)
{
	(*(int *)user_data)++;
}

static void test_frame_release_on_last_unref(void)
{
	int released = 0;
	HdmirtcFrame frame;

	hdmirtc_frame_init(&frame, count_release, &released);
	g_assert_cmpint(frame.dmabuf_fd, ==, -1);
	hdmirtc_frame_ref(&frame);
	hdmirtc_frame_unref(&frame);
	g_assert_cmpint(released, ==, 0);
	hdmirtc_frame_unref(&frame);
	g_assert_cmpint(released, ==, 1);
	hdmirtc_frame_unref(NULL);
}

static void test_access_unit_copy_counts_bytes(void)
{
	static const guint8 nal[] = { 0, 0, 0, 1, 0x65, 0x88 };
	HdmirtcAccessUnit *au = hdmirtc_access_unit_new_copy(nal, sizeof(nal));

	g_assert_cmpmem(au->data, au->size, nal, sizeof(nal));
	g_assert_true(au->data != nal);
	g_assert_cmpuint(au->bytes_copied, ==, sizeof(nal));
	hdmirtc_access_unit_ref(au);
	hdmirtc_access_unit_unref(au);
	hdmirtc_access_unit_unref(au);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/frame/release-on-last-unref", test_frame_release_on_last_unref);
	g_test_add_func("/access-unit/copy-counts-bytes", test_access_unit_copy_counts_bytes);
	return g_test_run();
}
