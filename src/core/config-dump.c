/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The effective configuration as key-file text (--print-config, logs):
 * every option of the table, defaults included, with its description as a
 * comment and secrets optionally redacted. */
#include "config-private.h"

#include <string.h>

/* Like g_key_file_set_string(), but also escapes trailing spaces, which
 * the loader trims (GKeyFile escapes only leading ones). */
static void set_escaped_string(GKeyFile *kf, const char *group, const char *key, const char *value)
{
	g_autofree char *escaped = NULL;
	GString *s;
	gsize n = 0;

	g_key_file_set_string(kf, group, key, value);
	escaped = g_key_file_get_value(kf, group, key, NULL);
	while (n < strlen(escaped) && escaped[strlen(escaped) - 1 - n] == ' ')
		n++;
	if (n == 0)
		return;
	s = g_string_new_len(escaped, strlen(escaped) - n);
	while (n--)
		g_string_append(s, "\\s");
	g_key_file_set_value(kf, group, key, s->str);
	g_string_free(s, TRUE);
}

static void dump_key(GKeyFile *kf, const Option *opt, const char *key, const char *value,
                     HdmirtcConfigDumpFlags flags)
{
	set_escaped_string(kf, opt->group, key, value);
	if (!(flags & HDMIRTC_CONFIG_DUMP_NO_COMMENTS) && key == opt->key) {
		g_autofree char *comment = hdmirtc_config_option_describe(opt, FALSE);
		g_autofree char *line = g_strdup_printf(" --%s: %s", opt->flag, comment);

		g_key_file_set_comment(kf, opt->group, key, line, NULL);
	}
}

char *hdmirtc_config_to_keyfile_text(const HdmirtcConfig *cfg, HdmirtcConfigDumpFlags flags)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	for (gsize i = 0; i < HDMIRTC_CONFIG_N_OPTIONS; i++) {
		const Option *opt = &hdmirtc_config_options[i];
		g_autofree char *value = hdmirtc_config_option_format(opt, cfg, 1);

		if (opt->secret && *value && (flags & HDMIRTC_CONFIG_DUMP_REDACT_SECRETS)) {
			g_free(value);
			value = g_strdup("(redacted)");
		}
		dump_key(kf, opt, opt->key, value, flags);
		if (opt->key2) {
			g_autofree char *value2 = hdmirtc_config_option_format(opt, cfg, 2);

			dump_key(kf, opt, opt->key2, value2, flags);
		}
	}
	if (!(flags & HDMIRTC_CONFIG_DUMP_NO_COMMENTS))
		g_key_file_set_comment(kf, NULL, NULL,
		                       " hdmirtc " HDMIRTC_VERSION " configuration (see doc/configuration.md)", NULL);
	return g_key_file_to_data(kf, NULL, NULL);
}
