/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading: the command line (GOptionContext, built from the option table,
 * which also gives --help), then the file it names (GKeyFile), then the
 * command-line values on top of the file, with the origin of every value
 * kept for the checks that involve several options.  The file's text can
 * also be given as bytes (hdmirtc_config_load_data(), which the fuzzer
 * uses): the same steps without the command line. */
#include "config-private.h"

#include <arpa/inet.h>
#include <string.h>

/* A configuration file is a few hundred bytes; refuse to parse a huge one. */
#define MAX_FILE_SIZE (1024 * 1024)

/* ---- loading ---- */

typedef struct {
	const Option *opt;
	char *value;
	char *flag;             /* as written, for error messages */
} PendingFlag;

typedef struct {
	HdmirtcConfig *cfg;
	char *config_flag;      /* --config, NULL if absent */
	GArray *pending;        /* PendingFlag, applied after the file in command-line order */
	GPtrArray *strings;     /* keeps GOptionEntry texts alive as long as the context */
	/* Where the current value came from, for cross-option checks. */
	char *origin[HDMIRTC_CONFIG_N_OPTIONS];
	/* A list option already replaced by a flag: more flags append. */
	gboolean by_flag[HDMIRTC_CONFIG_N_OPTIONS];
} Loader;

static void pending_clear(gpointer data)
{
	PendingFlag *p = data;

	g_free(p->value);
	g_free(p->flag);
}

static void loader_init(Loader *l, HdmirtcConfig *cfg)
{
	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->pending = g_array_new(FALSE, TRUE, sizeof(PendingFlag));
	g_array_set_clear_func(l->pending, pending_clear);
	l->strings = g_ptr_array_new_with_free_func(g_free);
}

static void loader_clear(Loader *l)
{
	g_array_unref(l->pending);
	g_ptr_array_unref(l->strings);
	g_free(l->config_flag);
	for (gsize i = 0; i < HDMIRTC_CONFIG_N_OPTIONS; i++)
		g_free(l->origin[i]);
}

static const Option *option_by_flag(const char *flag)
{
	for (gsize i = 0; i < HDMIRTC_CONFIG_N_OPTIONS; i++)
		if (strcmp(hdmirtc_config_options[i].flag, flag) == 0)
			return &hdmirtc_config_options[i];
	return NULL;
}

static const Option *option_by_key(const char *group, const char *key, int *part)
{
	for (gsize i = 0; i < HDMIRTC_CONFIG_N_OPTIONS; i++) {
		const Option *opt = &hdmirtc_config_options[i];

		if (strcmp(opt->group, group) != 0)
			continue;
		*part = opt->key2 ? 1 : 0;
		if (strcmp(opt->key, key) == 0)
			return opt;
		*part = 2;
		if (opt->key2 && strcmp(opt->key2, key) == 0)
			return opt;
	}
	return NULL;
}

/* GOptionArgFunc for every table option and alias: only records the value,
 * because the file (named by a --config that may come later) goes first. */
static gboolean on_option(const char *name, const char *value, gpointer data, GError **error)
{
	Loader *l = data;
	PendingFlag p = { NULL, NULL, g_strdup(name) };
	const char *flag = name + strspn(name, "-");

	p.opt = option_by_flag(flag);
	if (p.opt) {
		p.value = g_strdup(value ? value : "true"); /* only booleans have an optional value */
	} else {
		for (gsize i = 0; i < HDMIRTC_CONFIG_N_ALIASES; i++) {
			const Alias *a = &hdmirtc_config_aliases[i];

			if (strcmp(a->flag, flag) == 0 ||
			    (name[1] != '-' && flag[0] == a->short_flag && flag[1] == '\0')) {
				p.opt = option_by_flag(a->target);
				p.value = g_strdup(a->value);
			}
		}
	}
	g_assert(p.opt);
	g_array_append_val(l->pending, p);
	return TRUE;
}

static const char *keep(Loader *l, char *s)
{
	g_ptr_array_add(l->strings, s);
	return s;
}

static GOptionContext *build_context(Loader *l)
{
	GOptionContext *ctx = g_option_context_new(NULL);
	GOptionGroup *group = g_option_group_new("hdmirtc", "hdmirtc options", "Show hdmirtc options", l, NULL);
	GOptionEntry fixed[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &l->config_flag,
		  "Configuration file; \"\" = none (default " HDMIRTC_CONFIG_DEFAULT_PATH ", if it exists)", "PATH" },
		{ "print-config", 0, 0, G_OPTION_ARG_NONE, &l->cfg->print_config,
		  "Print the effective configuration as a configuration file and exit", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &l->cfg->show_version, "Print the version and exit", NULL },
		{ "probe", 0, 0, G_OPTION_ARG_NONE, &l->cfg->probe,
		  "Report on the HDMI bridge, its media graph, CSI-2 lanes, signal, EDID and the encoder "
		  "without streaming, and exit 0 if streaming would work (see README)", NULL },
		{ NULL },
	};

	g_option_group_add_entries(group, fixed);
	for (gsize i = 0; i < HDMIRTC_CONFIG_N_OPTIONS; i++) {
		const Option *opt = &hdmirtc_config_options[i];
		/* FILENAME: raw bytes, so that hdmirtc_config_check_text() reports bad UTF-8
		 * with the option's name (GOption's conversion error has none). */
		GOptionEntry e[2] = { { opt->flag, 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
		                        (gpointer)on_option,
		                        keep(l, hdmirtc_config_option_describe(opt, TRUE)), opt->arg },
		                      { NULL } };

		if (opt->type == OPT_BOOL)
			e[0].flags |= G_OPTION_FLAG_OPTIONAL_ARG;
		if (opt->type == OPT_ENUM)
			e[0].arg_description = keep(l, hdmirtc_config_enum_names(opt->values, "|"));
		g_option_group_add_entries(group, e);
	}
	for (gsize i = 0; i < HDMIRTC_CONFIG_N_ALIASES; i++) {
		const Alias *a = &hdmirtc_config_aliases[i];
		GOptionEntry e[2] = { { a->flag, a->short_flag, G_OPTION_FLAG_NO_ARG,
		                        G_OPTION_ARG_CALLBACK, (gpointer)on_option, a->help, NULL },
		                      { NULL } };

		g_option_group_add_entries(group, e);
	}
	g_option_context_set_main_group(ctx, group);
	g_option_context_set_summary(ctx, "Streams HDMI input to browsers as H.264 over WebRTC (WHEP).");
	g_option_context_set_description(ctx,
		"Every option is also a key of the configuration file, shown after it as [group] key;\n"
		"options given here override the file. See doc/configuration.md.\n");
	return ctx;
}

static gboolean parse_args(GOptionContext *ctx, int *argc, char ***argv, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (!argc || !argv)
		return TRUE;
	if (!g_option_context_parse(ctx, argc, argv, &local)) {
		if (local->domain == HDMIRTC_CONFIG_ERROR)
			g_propagate_error(error, g_steal_pointer(&local));
		else
			g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_BAD_OPTION,
			            "%s (see --help)", local->message);
		return FALSE;
	}
	if (*argc > 1) {
		g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_BAD_OPTION,
		            "unexpected argument \"%s\" (see --help)", (*argv)[1]);
		return FALSE;
	}
	return TRUE;
}

static void set_origin(Loader *l, const Option *opt, char *origin)
{
	gsize i = opt - hdmirtc_config_options;

	g_free(l->origin[i]);
	l->origin[i] = origin;
}

static gboolean check_group(const char *path, const char *group, GError **error)
{
	g_autofree char *known = NULL;

	for (gsize i = 0; i < HDMIRTC_CONFIG_N_GROUPS; i++)
		if (strcmp(hdmirtc_config_groups[i], group) == 0)
			return TRUE;
	known = g_strjoinv(", ", (char **)hdmirtc_config_groups);
	g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_UNKNOWN_GROUP,
	            "%s: unknown group [%s] (known groups: %s)", path, group, known);
	return FALSE;
}

static void set_unknown_key(const char *path, const char *group, const char *key, GError **error)
{
	GString *known = g_string_new(NULL);

	for (gsize i = 0; i < HDMIRTC_CONFIG_N_OPTIONS; i++) {
		const Option *opt = &hdmirtc_config_options[i];

		if (strcmp(opt->group, group) != 0)
			continue;
		g_string_append_printf(known, "%s%s", known->len ? ", " : "", opt->key);
		if (opt->key2)
			g_string_append_printf(known, ", %s", opt->key2);
	}
	g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_UNKNOWN_KEY,
	            "%s: [%s] %s: unknown key (known keys in [%s]: %s)", path, group, key, group, known->str);
	g_string_free(known, TRUE);
}

/* GKeyFile drops the spaces before a value but keeps those after it, which
 * an editor does not show: drop them too, before unescaping, so that a
 * space written as \s stays. */
static char *get_trimmed_string(GKeyFile *kf, const char *group, const char *key, GError **error)
{
	g_autofree char *raw = g_key_file_get_value(kf, group, key, error);
	g_autoptr(GError) local = NULL;
	char *value;

	if (!raw)
		return NULL;
	g_key_file_set_value(kf, group, key, g_strchomp(raw));
	value = g_key_file_get_string(kf, group, key, &local);
	/* On an invalid escape ("\v") GLib (2.74) sets the error but returns
	 * the value as well, without the escape: it must not be used. */
	if (local) {
		g_free(value);
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	return value;
}

static gboolean apply_key(Loader *l, GKeyFile *kf, const char *path, const char *group,
                          const char *key, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *value = NULL;
	const Option *opt;
	int part;

	opt = option_by_key(group, key, &part);
	if (!opt) {
		set_unknown_key(path, group, key, error);
		return FALSE;
	}
	value = get_trimmed_string(kf, group, key, &local);
	if (value)
		hdmirtc_config_option_set(opt, l->cfg, value, part, FALSE, &local);
	if (local) {
		g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_INVALID_VALUE,
		            "%s: [%s] %s: %s", path, group, key, local->message);
		return FALSE;
	}
	set_origin(l, opt, g_strdup_printf("%s: [%s] %s", path, group, key));
	return TRUE;
}

static gboolean apply_keyfile(Loader *l, GKeyFile *kf, const char *path, GError **error)
{
	g_auto(GStrv) group_names = g_key_file_get_groups(kf, NULL);

	for (char **g = group_names; *g; g++) {
		g_auto(GStrv) keys = NULL;

		if (!check_group(path, *g, error))
			return FALSE;
		keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = keys; k && *k; k++)
			if (!apply_key(l, kf, path, *g, *k, error))
				return FALSE;
	}
	return TRUE;
}

/* The text of the configuration file path, whether read from the file or
 * given as bytes (hdmirtc_config_load_data()). */
static gboolean load_text(Loader *l, const char *path, const char *contents, gsize len, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();

	if (len > MAX_FILE_SIZE) {
		g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_UNREADABLE,
		            "%s: larger than %d bytes, not a configuration file", path, MAX_FILE_SIZE);
		return FALSE;
	}
	/* KEEP_TRANSLATIONS: otherwise "key[xx]" lines vanish instead of being
	 * reported as unknown keys. */
	if (!g_key_file_load_from_data(kf, contents, len, G_KEY_FILE_KEEP_TRANSLATIONS, &local)) {
		g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_SYNTAX,
		            "%s: not a valid configuration file: %s", path, local->message);
		return FALSE;
	}
	if (!apply_keyfile(l, kf, path, error))
		return FALSE;
	l->cfg->config_loaded = TRUE;
	return TRUE;
}

static gboolean load_file(Loader *l, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree char *contents = NULL;
	const char *path;
	gsize len;

	if (l->config_flag) {
		g_free(l->cfg->config_path);
		l->cfg->config_path = g_strdup(l->config_flag);
	}
	path = l->cfg->config_path;
	if (!path || !*path)
		return TRUE;
	if (!g_file_get_contents(path, &contents, &len, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			if (!l->config_flag)
				return TRUE; /* no file at the default path: defaults */
			g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_NOT_FOUND,
			            "%s: no such configuration file", path);
		} else {
			g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_UNREADABLE,
			            "%s: cannot read the configuration file: %s", path, local->message);
		}
		return FALSE;
	}
	return load_text(l, path, contents, len, error);
}

static gboolean apply_flags(Loader *l, GError **error)
{
	for (guint i = 0; i < l->pending->len; i++) {
		PendingFlag *p = &g_array_index(l->pending, PendingFlag, i);
		gsize idx = p->opt - hdmirtc_config_options;

		if (!hdmirtc_config_option_set(p->opt, l->cfg, p->value, 0, l->by_flag[idx], error)) {
			g_prefix_error(error, "option %s: ", p->flag);
			return FALSE;
		}
		l->by_flag[idx] = TRUE;
		set_origin(l, p->opt, g_strdup_printf("option %s", p->flag));
	}
	return TRUE;
}

/* Checks that involve more than one value, after file and options. */
static const char *origin_of(Loader *l, const char *flag)
{
	const char *origin = l->origin[option_by_flag(flag) - hdmirtc_config_options];

	return origin ? origin : "default";
}

static gboolean address_is_loopback(const char *address)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, address, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, address, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

static gboolean check_combinations(Loader *l, GError **error)
{
	const HdmirtcConfig *cfg = l->cfg;

	if (cfg->udp_port_min > cfg->udp_port_max) {
		hdmirtc_config_set_invalid(error, "%s: udp-port-min (%u) is greater than udp-port-max (%u)",
		                           origin_of(l, "udp-ports"), cfg->udp_port_min, cfg->udp_port_max);
		return FALSE;
	}
	if (*cfg->turn_password && *cfg->turn_secret) {
		hdmirtc_config_set_invalid(error, "%s: turn-password and turn-secret are two ways to "
		                           "authenticate to TURN: set one of them", origin_of(l, "turn-secret"));
		return FALSE;
	}
	if (cfg->open_access && *cfg->token) {
		hdmirtc_config_set_invalid(error, "%s: open-access means no token, but a token is set: "
		                           "choose one", origin_of(l, "open-access"));
		return FALSE;
	}
	if (*cfg->unix_socket && !cfg->reverse_proxy) {
		hdmirtc_config_set_invalid(error, "%s: unix-socket is for a reverse proxy on this host: "
		                           "set reverse-proxy too", origin_of(l, "unix-socket"));
		return FALSE;
	}
	if (cfg->reverse_proxy && !*cfg->unix_socket && !address_is_loopback(cfg->http_address)) {
		hdmirtc_config_set_invalid(error, "%s: behind a reverse proxy, listen where only it can "
		                           "connect: a loopback http-address (127.0.0.1, ::1) or unix-socket",
		                           origin_of(l, "reverse-proxy"));
		return FALSE;
	}
	if (cfg->capture_format != HDMIRTC_CONFIG_CAPTURE_FORMAT_AUTO &&
	    (cfg->source == HDMIRTC_CONFIG_SOURCE_TEST_PATTERN || cfg->source == HDMIRTC_CONFIG_SOURCE_LIBCAMERA)) {
		hdmirtc_config_set_invalid(error, "%s: capture-format is the V4L2 capture device's, and source "
		                           "is %s: leave capture-format at auto", origin_of(l, "capture-format"),
		                           hdmirtc_config_source_to_string(cfg->source));
		return FALSE;
	}
	if (cfg->capture_format == HDMIRTC_CONFIG_CAPTURE_FORMAT_XRGB8888 &&
	    cfg->encoder == HDMIRTC_CONFIG_ENCODER_M2M) {
		hdmirtc_config_set_invalid(error, "%s: an M2M encoder takes no XRGB8888 frames: capture-format "
		                           "uyvy or rgb24, or encoder x264", origin_of(l, "capture-format"));
		return FALSE;
	}
	if (g_strv_length(cfg->whip_tokens) > 1 &&
	    g_strv_length(cfg->whip_tokens) != g_strv_length(cfg->whip_urls)) {
		hdmirtc_config_set_invalid(error, "%s: %u WHIP tokens for %u WHIP endpoints: give one "
		                           "token for all, or one for each", origin_of(l, "whip-token"),
		                           g_strv_length(cfg->whip_tokens), g_strv_length(cfg->whip_urls));
		return FALSE;
	}
	if (cfg->turn_servers[0] && !*cfg->turn_secret &&
	    (!*cfg->turn_username || !*cfg->turn_password)) {
		hdmirtc_config_set_invalid(error, "%s: TURN servers need turn-username and turn-password "
		                           "(or turn-secret)", origin_of(l, "turn"));
		return FALSE;
	}
	return TRUE;
}

gboolean hdmirtc_config_load(HdmirtcConfig *cfg, int *argc, char ***argv, GError **error)
{
	GOptionContext *ctx;
	Loader l;
	gboolean ok;

	g_return_val_if_fail(cfg != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	loader_init(&l, cfg);
	ctx = build_context(&l);
	ok = parse_args(ctx, argc, argv, error);
	if (ok && !cfg->show_version)
		ok = load_file(&l, error) && apply_flags(&l, error) && check_combinations(&l, error);
	g_option_context_free(ctx);
	loader_clear(&l);
	return ok;
}

gboolean hdmirtc_config_load_data(HdmirtcConfig *cfg, const char *name, const char *data, gsize len,
                                  GError **error)
{
	Loader l;
	gboolean ok;

	g_return_val_if_fail(cfg != NULL, FALSE);
	g_return_val_if_fail(name != NULL, FALSE);
	g_return_val_if_fail(data != NULL || len == 0, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	loader_init(&l, cfg);
	ok = load_text(&l, name, data ? data : "", len, error) && check_combinations(&l, error);
	loader_clear(&l);
	return ok;
}

char *hdmirtc_config_help_text(void)
{
	HdmirtcConfig cfg;
	GOptionContext *ctx;
	char *text;
	Loader l;

	hdmirtc_config_init(&cfg);
	loader_init(&l, &cfg);
	ctx = build_context(&l);
	text = g_option_context_get_help(ctx, TRUE, NULL);
	g_option_context_free(ctx);
	loader_clear(&l);
	hdmirtc_config_clear(&cfg);
	return text;
}
