/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-config - a configuration file's text through the loader's file step
 * (hdmirtc_config_load_data(): key-file syntax, groups and keys, every
 * value's checks, the checks across options).  When it loads: what the
 * service then parses out of the values (STUN host:port, TURN URLs) must
 * parse, and the dump (--print-config) must load back to the same dump,
 * as config.h promises. */
#include <hdmirtc/config.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

#define NAME "fuzz.conf"

static void check_values(const HdmirtcConfig *cfg)
{
	if (*cfg->stun_server) {
		g_autofree char *host = NULL;
		guint16 port;

		g_assert_true(hdmirtc_config_parse_host_port(cfg->stun_server, &host, &port, NULL));
	}
	for (char **t = cfg->turn_servers; *t; t++) {
		HdmirtcConfigTurnServer server;

		g_assert_true(hdmirtc_config_parse_turn_url(*t, &server, NULL));
		hdmirtc_config_turn_server_clear(&server);
	}
}

/* The dump meant for logs shows no secret. */
static void check_redacted(const char *redacted, const char *key, const char *secret)
{
	g_autofree char *line = g_strdup_printf("\n%s=%s\n", key, secret);

	if (*secret && strcmp(secret, "(redacted)") != 0)
		g_assert_null(strstr(redacted, line));
}

static void check_dump(const HdmirtcConfig *cfg)
{
	g_autofree char *text = hdmirtc_config_to_keyfile_text(cfg, HDMIRTC_CONFIG_DUMP_DEFAULT);
	g_autofree char *redacted = hdmirtc_config_to_keyfile_text(cfg, HDMIRTC_CONFIG_DUMP_REDACT_SECRETS);
	g_autofree char *again = NULL;
	g_autoptr(GError) error = NULL;
	HdmirtcConfig copy;

	check_redacted(redacted, "token", cfg->token);
	check_redacted(redacted, "turn-password", cfg->turn_password);
	check_redacted(redacted, "turn-secret", cfg->turn_secret);
	hdmirtc_config_init(&copy);
	if (!hdmirtc_config_load_data(&copy, "dump", text, strlen(text), &error))
		g_error("the dump does not load: %s\n%s", error->message, text);
	again = hdmirtc_config_to_keyfile_text(&copy, HDMIRTC_CONFIG_DUMP_DEFAULT);
	g_assert_cmpstr(again, ==, text);
	hdmirtc_config_clear(&copy);
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;
	gboolean ok;

	hdmirtc_config_init(&cfg);
	ok = hdmirtc_config_load_data(&cfg, NAME, (const char *)data, size, &error);
	g_assert_true(ok == (error == NULL));
	if (ok) {
		g_assert_true(cfg.config_loaded);
		check_values(&cfg);
		check_dump(&cfg);
	} else {
		/* config.h: every error is in its domain and names the file. */
		g_assert_true(error->domain == HDMIRTC_CONFIG_ERROR);
		g_assert_true(g_str_has_prefix(error->message, NAME ": "));
	}
	hdmirtc_config_clear(&cfg);
	return 0;
}
