/* Built four ways by meson.build: MODE_MIXED (2 pass, 1 g_test_skip, 1
 * failing case that does not abort), MODE_CRASH (1 pass, then an abort:
 * no "not ok" line), MODE_HANG (1 pass, then sleeps past meson's timeout),
 * MODE_EXIT77 (no TAP, exit 77: the program skipped itself). */
#include <glib.h>
#include <stdlib.h>

static void pass(void)
{
	g_assert_cmpint(1 + 1, ==, 2);
}

static void skip(void)
{
	g_test_skip("nothing to run here");
}

static void fail_soft(void)
{
	g_test_fail_printf("a soft failure");
}

static void crash(void)
{
	abort();
}

static void hang(void)
{
	g_usleep(60 * G_USEC_PER_SEC);
}

int main(int argc, char **argv)
{
#ifdef MODE_EXIT77
	(void)argc, (void)argv;
	return 77;
#else
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/counting/pass", pass);
#ifdef MODE_MIXED
	g_test_set_nonfatal_assertions();
	g_test_add_func("/counting/pass-again", pass);
	g_test_add_func("/counting/skip", skip);
	g_test_add_func("/counting/fail-soft", fail_soft);
#endif
#ifdef MODE_CRASH
	g_test_add_func("/counting/crash", crash);
#endif
#ifdef MODE_HANG
	g_test_add_func("/counting/hang", hang);
#endif
	return g_test_run();
#endif
}
