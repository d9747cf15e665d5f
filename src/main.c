/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hdmirtc: HDMI input to browsers as H.264 over WebRTC.  Wires the
 * configuration, logging and the service; exit status 2 for bad
 * configuration, 1 when the service cannot start. */
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

#include "hdmirtc-build.h"
#include "hdmirtc/config.h"
#include "hdmirtc/log.h"
#include "hdmirtc/sd-notify.h"
#include "service/probe.h"
#include "service/service.h"

static gboolean on_quit_signal(gpointer user_data)
{
	g_message("stopping");
	hdmirtc_sd_notify("STOPPING=1");
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

/* argv: the command line before the options were taken out (for SIGHUP,
 * which reads the configuration again under the same options). */
static int run(const HdmirtcConfig *config, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	HdmirtcService *service = hdmirtc_service_new(config, &error);

	if (!service) {
		g_printerr("hdmirtc: cannot start: %s\n", error->message);
		return 1;
	}
	for (const char *const *url = hdmirtc_service_get_urls(service); url && *url; url++)
		printf("hdmirtc: open %s\n", *url);
	if (*config->unix_socket)
		printf("hdmirtc: serving on %s for the reverse proxy\n", config->unix_socket);
	fflush(stdout);
	g_unix_signal_add(SIGINT, on_quit_signal, loop);
	g_unix_signal_add(SIGTERM, on_quit_signal, loop);
	hdmirtc_service_watch_reload(service, config, argv);
	hdmirtc_sd_notify("READY=1\nSTATUS=streaming");
	guint watchdog = hdmirtc_sd_notify_watchdog_add();
	g_main_loop_run(loop);
	if (watchdog)
		g_source_remove(watchdog);
	hdmirtc_service_free(service);
	return 0;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	/* GOption takes the options out of argv: the array as it came. */
	g_autofree char **given = g_memdup2(argv, sizeof(char *) * ((gsize)argc + 1));
	HdmirtcConfig config;
	int status = 0;

	setlocale(LC_ALL, "");
	hdmirtc_config_init(&config);
	if (!hdmirtc_config_load(&config, &argc, &argv, &error)) {
		g_printerr("hdmirtc: %s\n", error->message);
		hdmirtc_config_clear(&config);
		return 2;
	}
	if (config.show_version) {
		printf("hdmirtc %s\n", HDMIRTC_VERSION);
	} else if (config.probe) {
		hdmirtc_log_init(G_LOG_LEVEL_WARNING);
		status = hdmirtc_probe(&config, stdout);
	} else if (config.print_config) {
		g_autofree char *text = hdmirtc_config_to_keyfile_text(&config, HDMIRTC_CONFIG_DUMP_DEFAULT);
		fputs(text, stdout);
	} else {
		hdmirtc_log_init(config.log_level);
		status = run(&config, given);
	}
	hdmirtc_config_clear(&config);
	return status;
}
