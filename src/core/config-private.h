/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals of the configuration, shared by its files: the option table
 * (config.c), value checks (config-validate.c), one option's text <-> field
 * conversion (config-option.c), the dump (config-dump.c) and the loader
 * (config-load.c).  Everything here runs on the main thread, like the
 * public API, except the validators, which are pure. */
#pragma once

#include "hdmirtc/config.h"
#include "hdmirtc-build.h"

#define HDMIRTC_CONFIG_DEFAULT_PATH HDMIRTC_SYSCONFDIR "/hdmirtc/hdmirtc.conf"

typedef enum {
	OPT_STRING,
	OPT_UINT,
	OPT_BOOL,
	OPT_ENUM,
	OPT_LIST,       /* char **; comma-separated in the file and on the command line */
	OPT_PORT_RANGE, /* two guint fields; two file keys, one "MIN-MAX" option */
} OptionType;

typedef struct {
	const char *name;
	int value;
} EnumValue;

/* Checks one string value or one list item.  The error gives only the
 * reason; the caller prefixes where the value came from. */
typedef gboolean (*ValidateFunc)(const char *value, GError **error);

typedef struct {
	const char *group;
	const char *key;
	const char *key2;       /* OPT_PORT_RANGE: key of the upper bound */
	const char *flag;       /* long option name without "--" */
	OptionType type;
	gsize offset;
	gsize offset2;          /* OPT_PORT_RANGE: upper bound */
	const char *def;        /* default, in the syntax of the command line */
	gint64 min, max;        /* OPT_UINT, OPT_PORT_RANGE */
	guint multiple;         /* OPT_UINT: value must be a multiple of this (0 = any) */
	const EnumValue *values; /* OPT_ENUM, NULL-terminated */
	ValidateFunc validate;  /* OPT_STRING value, OPT_LIST item */
	const char *arg;        /* placeholder in --help */
	const char *help;
	gboolean secret;        /* redacted in dumps meant for logs */
} Option;

/* Options without a value of their own: they set another option. */
typedef struct {
	const char *flag;
	char short_flag;
	const char *target;     /* flag of the option it sets */
	const char *value;
	const char *help;
} Alias;

/* The sizes are spelled out because the loader sizes arrays with them;
 * static assertions in config.c check them against the tables. */
#define HDMIRTC_CONFIG_N_OPTIONS 58
#define HDMIRTC_CONFIG_N_ALIASES 6
#define HDMIRTC_CONFIG_N_GROUPS 8

/* config.c: every option, in --help and dump order. */
extern const Option hdmirtc_config_options[];
extern const Alias hdmirtc_config_aliases[];
/* The file's groups, then NULL for g_strjoinv(). */
extern const char *const hdmirtc_config_groups[];

static inline gpointer hdmirtc_config_field(const HdmirtcConfig *cfg, gsize offset)
{
	return (guint8 *)cfg + offset;
}

/* config.c: sets *error (if error is not NULL) to an
 * HDMIRTC_CONFIG_ERROR_INVALID_VALUE with the formatted message. */
void hdmirtc_config_set_invalid(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* config-validate.c: the table's ValidateFuncs. */
gboolean hdmirtc_config_validate_ip(const char *value, GError **error);
gboolean hdmirtc_config_validate_origin(const char *value, GError **error);
gboolean hdmirtc_config_validate_http_url(const char *value, GError **error);
gboolean hdmirtc_config_validate_http_url_or_empty(const char *value, GError **error);
gboolean hdmirtc_config_validate_stun(const char *value, GError **error);
gboolean hdmirtc_config_validate_turn(const char *value, GError **error);
gboolean hdmirtc_config_validate_not_empty(const char *value, GError **error);
gboolean hdmirtc_config_validate_ifname(const char *value, GError **error);
/* config-validate.c: what every text value must be (UTF-8, no control
 * characters), checked before the option's own rules. */
gboolean hdmirtc_config_check_text(const char *value, GError **error);

/* config-option.c: sets opt's field(s) in cfg from text in the syntax of
 * the command line, or of the file key given by part (0 = "MIN-MAX" for a
 * port range, 1 = MIN only, 2 = MAX only).  append: a list option adds to
 * its current items instead of replacing them.  On failure the error gives
 * only the reason; the field may be unchanged or partly set. */
gboolean hdmirtc_config_option_set(const Option *opt, HdmirtcConfig *cfg, const char *text, int part,
                                   gboolean append, GError **error);
/* config-option.c: the value of opt (part as above, 2 = the upper bound)
 * as text that hdmirtc_config_option_set() reads back.  Caller frees. */
char *hdmirtc_config_option_format(const Option *opt, const HdmirtcConfig *cfg, int part);
/* config-option.c: help, range and default; with_key adds the file key.
 * Caller frees. */
char *hdmirtc_config_option_describe(const Option *opt, gboolean with_key);
/* config-option.c: the names of a NULL-terminated EnumValue array joined
 * by separator.  Caller frees. */
char *hdmirtc_config_enum_names(const EnumValue *values, const char *separator);
