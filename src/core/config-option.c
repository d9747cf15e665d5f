/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One option's value as text and back: the setter that the defaults, the
 * file and the command line all go through (range, enum and list rules),
 * the formatter the dump uses, and the description --help and the dump's
 * comments show. */
#include "config-private.h"

#include <string.h>

#define LIST_SEPARATORS ",;"

/* ---- setting one option from text ---- */

static gboolean parse_uint(const Option *opt, const char *text, guint *out, GError **error)
{
	g_autoptr(GError) local = NULL;
	gint64 v;

	if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &v, &local)) {
		if (g_error_matches(local, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
			v = G_MAXINT64;
		else {
			hdmirtc_config_set_invalid(error, "\"%s\" is not an integer", text);
			return FALSE;
		}
	}
	if (v < opt->min || v > opt->max) {
		hdmirtc_config_set_invalid(error, "%s is out of range (%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT ")",
		                           text, opt->min, opt->max);
		return FALSE;
	}
	if (opt->multiple > 1 && v % opt->multiple != 0) {
		hdmirtc_config_set_invalid(error, "%s is not a multiple of %u", text, opt->multiple);
		return FALSE;
	}
	*out = (guint)v;
	return TRUE;
}

static gboolean parse_bool(const char *text, gboolean *out, GError **error)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(text, yes[i]) == 0 || g_ascii_strcasecmp(text, no[i]) == 0) {
			*out = g_ascii_strcasecmp(text, yes[i]) == 0;
			return TRUE;
		}
	}
	hdmirtc_config_set_invalid(error, "\"%s\" is not a boolean (true or false)", text);
	return FALSE;
}

char *hdmirtc_config_enum_names(const EnumValue *values, const char *separator)
{
	GString *s = g_string_new(NULL);

	for (const EnumValue *v = values; v->name; v++)
		g_string_append_printf(s, "%s%s", v == values ? "" : separator, v->name);
	return g_string_free(s, FALSE);
}

static gboolean parse_enum(const Option *opt, const char *text, int *out, GError **error)
{
	g_autofree char *names = NULL;

	for (const EnumValue *v = opt->values; v->name; v++) {
		if (strcmp(text, v->name) == 0) {
			*out = v->value;
			return TRUE;
		}
	}
	names = hdmirtc_config_enum_names(opt->values, ", ");
	hdmirtc_config_set_invalid(error, "\"%s\" is not one of %s", text, names);
	return FALSE;
}

static gboolean set_list(const Option *opt, HdmirtcConfig *cfg, const char *text, gboolean append,
                         GError **error)
{
	g_auto(GStrv) parts = g_strsplit_set(text, LIST_SEPARATORS, -1);
	char ***list = hdmirtc_config_field(cfg, opt->offset);
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);

	if (append && *list)
		for (char **p = *list; *p; p++)
			g_ptr_array_add(items, g_strdup(*p));
	for (char **p = parts; *p; p++) {
		char *item = g_strstrip(*p);

		if (*item == '\0')
			continue;
		if (opt->validate && !opt->validate(item, error))
			return FALSE;
		g_ptr_array_add(items, g_strdup(item));
	}
	g_ptr_array_add(items, NULL);
	g_strfreev(*list);
	*list = (char **)g_ptr_array_steal(items, NULL);
	return TRUE;
}

/* part: 0 = "MIN-MAX" (command line, default), 1 = MIN only, 2 = MAX only (file keys). */
static gboolean set_port_range(const Option *opt, HdmirtcConfig *cfg, const char *text, int part,
                               GError **error)
{
	g_autofree char *low_text = NULL;
	const char *dash;
	guint low, high;

	if (part != 0)
		return parse_uint(opt, text, hdmirtc_config_field(cfg, part == 1 ? opt->offset : opt->offset2),
		                  error);
	dash = strchr(text, '-');
	if (!dash) {
		hdmirtc_config_set_invalid(error, "\"%s\" is not a port range MIN-MAX", text);
		return FALSE;
	}
	low_text = g_strndup(text, dash - text);
	if (!parse_uint(opt, low_text, &low, error) || !parse_uint(opt, dash + 1, &high, error))
		return FALSE;
	if (low > high) {
		hdmirtc_config_set_invalid(error, "\"%s\": the first port is greater than the last", text);
		return FALSE;
	}
	*(guint *)hdmirtc_config_field(cfg, opt->offset) = low;
	*(guint *)hdmirtc_config_field(cfg, opt->offset2) = high;
	return TRUE;
}

gboolean hdmirtc_config_option_set(const Option *opt, HdmirtcConfig *cfg, const char *text, int part,
                                   gboolean append, GError **error)
{
	if (!hdmirtc_config_check_text(text, error))
		return FALSE;
	switch (opt->type) {
	case OPT_STRING:
		if (opt->validate && !opt->validate(text, error))
			return FALSE;
		g_free(*(char **)hdmirtc_config_field(cfg, opt->offset));
		*(char **)hdmirtc_config_field(cfg, opt->offset) = g_strdup(text);
		return TRUE;
	case OPT_UINT:
		return parse_uint(opt, text, hdmirtc_config_field(cfg, opt->offset), error);
	case OPT_BOOL:
		return parse_bool(text, hdmirtc_config_field(cfg, opt->offset), error);
	case OPT_ENUM:
		return parse_enum(opt, text, hdmirtc_config_field(cfg, opt->offset), error);
	case OPT_LIST:
		return set_list(opt, cfg, text, append, error);
	case OPT_PORT_RANGE:
		return set_port_range(opt, cfg, text, part, error);
	}
	g_assert_not_reached();
}

char *hdmirtc_config_option_format(const Option *opt, const HdmirtcConfig *cfg, int part)
{
	switch (opt->type) {
	case OPT_STRING:
		return g_strdup(*(char **)hdmirtc_config_field(cfg, opt->offset));
	case OPT_UINT:
		return g_strdup_printf("%u", *(guint *)hdmirtc_config_field(cfg, opt->offset));
	case OPT_BOOL:
		return g_strdup(*(gboolean *)hdmirtc_config_field(cfg, opt->offset) ? "true" : "false");
	case OPT_ENUM:
		for (const EnumValue *v = opt->values; v->name; v++)
			if (v->value == *(int *)hdmirtc_config_field(cfg, opt->offset))
				return g_strdup(v->name);
		return g_strdup("");
	case OPT_LIST: {
		char **list = *(char ***)hdmirtc_config_field(cfg, opt->offset);
		return list ? g_strjoinv(",", list) : g_strdup("");
	}
	case OPT_PORT_RANGE:
		return g_strdup_printf("%u", *(guint *)hdmirtc_config_field(cfg, part == 2 ? opt->offset2
		                                                                             : opt->offset));
	}
	g_assert_not_reached();
}

/* "Video width in pixels (160..4096, even; default 1280) [source] width" */
char *hdmirtc_config_option_describe(const Option *opt, gboolean with_key)
{
	GString *s = g_string_new(opt->help);
	const char *sep = " (";

	if (opt->type == OPT_UINT) {
		g_string_append_printf(s, "%s%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT "%s", sep,
		                       opt->min, opt->max, opt->multiple == 2 ? ", even" : "");
		sep = "; ";
	}
	if (opt->def && *opt->def) {
		g_string_append_printf(s, "%sdefault %s", sep, opt->def);
		sep = "; ";
	}
	if (sep[0] == ';')
		g_string_append_c(s, ')');
	if (with_key) {
		g_string_append_printf(s, " [%s] %s", opt->group, opt->key);
		if (opt->key2)
			g_string_append_printf(s, ", %s", opt->key2);
	}
	return g_string_free(s, FALSE);
}
