/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SIGHUP: the configuration is read again (the file as it is now, under
 * the same command-line options) and applied where running viewers can
 * keep going: the bitrate, the configured EDID (unless an upload is in
 * use), the log level, the token and the CORS origin.  Any other option
 * that changed is named in a warning and in /api/status, and takes effect
 * at the next start.  A file that no longer reads changes nothing.
 * Options are compared as the key-file text the configuration dumps to, so
 * every option is covered without a list of fields.  Main thread. */
#include "config-reload.h"

#include "access-token.h"
#include "hdmirtc/log.h"
#include "service-private.h"

typedef gboolean (*ApplyFunc)(HdmirtcService *s, const HdmirtcConfig *next, GError **error);

static gboolean apply_bitrate(HdmirtcService *s, const HdmirtcConfig *next, GError **error)
{
	hdmirtc_media_pipeline_set_bitrate(s->media, next->bitrate_kbps);
	return TRUE;
}

/* The configured EDID is what the receiver holds only while no upload is
 * in use: an upload stays the user's choice until DELETE /api/edid. */
static gboolean apply_edid(HdmirtcService *s, const HdmirtcConfig *next, GError **error)
{
	g_autoptr(HdmirtcEdid) edid = NULL;
	gsize size = 0;
	const guint8 *data;

	edid = next->edid[0] ? hdmirtc_edid_new_from_file(next->edid, error) : hdmirtc_edid_new_default();
	if (!edid)
		return FALSE;
	g_free(s->edid_configured);
	s->edid_configured = g_strdup(next->edid);
	if (s->edid_store[0] && g_file_test(s->edid_store, G_FILE_TEST_EXISTS)) {
		g_message("reload: the uploaded EDID (%s) stays in use; the configured one is back after "
		          "DELETE /api/edid", s->edid_store);
		return TRUE;
	}
	data = hdmirtc_edid_get_data(edid, &size);
	return hdmirtc_media_pipeline_set_edid(s->media, data, size, error);
}

static gboolean apply_log_level(HdmirtcService *s, const HdmirtcConfig *next, GError **error)
{
	hdmirtc_log_set_level(next->log_level);
	return TRUE;
}

static gboolean apply_access(HdmirtcService *s, const HdmirtcConfig *next, GError **error)
{
	g_autofree char *token = hdmirtc_access_token_resolve(next, error);

	if (!token && !next->open_access)
		return FALSE;
	return hdmirtc_http_server_set_access(s->http, token, next->cors_origin, error);
}

static const struct {
	const char *group;
	const char *key;
	ApplyFunc apply;
	gboolean secret;                /* its value never goes to the log */
} live_options[] = {
	{ "encoder", "bitrate", apply_bitrate, FALSE },
	{ "source", "edid", apply_edid, FALSE },
	{ "log", "level", apply_log_level, FALSE },
	{ "http", "token", apply_access, TRUE },
	{ "http", "token-file", apply_access, FALSE },
	{ "http", "open-access", apply_access, FALSE },
	{ "http", "cors-origin", apply_access, FALSE },
};

struct HdmirtcConfigReload {
	HdmirtcService *service;
	GStrv argv;                     /* the command line as main got it */
	GKeyFile *started;              /* what the service started with */
	GKeyFile *applied;              /* the same, with the live options as applied since */
	GStrv waiting;                  /* "group.key" changed but not applied until a restart */
	guint reloads;
	guint failures;
};

static GKeyFile *dump(const HdmirtcConfig *c)
{
	g_autofree char *text = hdmirtc_config_to_keyfile_text(c, HDMIRTC_CONFIG_DUMP_NO_COMMENTS);
	GKeyFile *kf = g_key_file_new();

	/* Our own dump always parses. */
	(void)g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, NULL);
	return kf;
}

static gboolean same_value(GKeyFile *a, GKeyFile *b, const char *group, const char *key)
{
	g_autofree char *x = g_key_file_get_value(a, group, key, NULL);
	g_autofree char *y = g_key_file_get_value(b, group, key, NULL);

	return g_strcmp0(x, y) == 0;
}

static gint live_index(const char *group, const char *key)
{
	for (guint i = 0; i < G_N_ELEMENTS(live_options); i++) {
		if (strcmp(live_options[i].group, group) == 0 && strcmp(live_options[i].key, key) == 0)
			return (gint)i;
	}
	return -1;
}

HdmirtcConfigReload *hdmirtc_config_reload_new(HdmirtcService *service, const HdmirtcConfig *started,
                                               char **argv)
{
	HdmirtcConfigReload *r = g_new0(HdmirtcConfigReload, 1);

	r->service = service;
	r->argv = g_strdupv(argv);
	r->started = dump(started);
	r->applied = dump(started);
	r->waiting = g_new0(char *, 1);
	return r;
}

void hdmirtc_config_reload_free(HdmirtcConfigReload *r)
{
	if (!r)
		return;
	g_strfreev(r->argv);
	g_key_file_unref(r->started);
	g_key_file_unref(r->applied);
	g_strfreev(r->waiting);
	g_free(r);
}

/* The options as main would read them now. */
static gboolean read_again(HdmirtcConfigReload *r, HdmirtcConfig *next, GError **error)
{
	int argc = (int)g_strv_length(r->argv);
	/* GOption removes what it parsed from the array, not the strings:
	 * a copy of the array over r->argv's strings. */
	g_autofree char **argv = g_memdup2(r->argv, sizeof(char *) * (gsize)(argc + 1));

	hdmirtc_config_init(next);
	return hdmirtc_config_load(next, &argc, &argv, error);
}

/* Applies each live option that differs from what is applied, once per
 * apply function (token and CORS origin go together). */
static void apply_live(HdmirtcConfigReload *r, const HdmirtcConfig *next, GKeyFile *now)
{
	ApplyFunc done[G_N_ELEMENTS(live_options)] = { 0 };
	guint n_done = 0;

	for (guint i = 0; i < G_N_ELEMENTS(live_options); i++) {
		const char *group = live_options[i].group, *key = live_options[i].key;
		g_autoptr(GError) error = NULL;
		g_autofree char *value = g_key_file_get_value(now, group, key, NULL);
		gboolean again = FALSE;

		if (same_value(now, r->applied, group, key))
			continue;
		for (guint j = 0; j < n_done; j++)
			again |= done[j] == live_options[i].apply;
		if (!again && !live_options[i].apply(r->service, next, &error)) {
			g_warning("reload: [%s] %s: %s; keeping the one in use", group, key, error->message);
			r->failures++;
			continue;
		}
		if (!again)
			done[n_done++] = live_options[i].apply;
		g_key_file_set_value(r->applied, group, key, value);
		g_message("reload: [%s] %s is now %s", group, key,
		          live_options[i].secret ? "(the new one)" : value[0] ? value : "(none)");
	}
}

/* Every other option that differs from the start waits for a restart. */
static void list_waiting(HdmirtcConfigReload *r, GKeyFile *now)
{
	g_autoptr(GStrvBuilder) waiting = g_strv_builder_new();
	g_auto(GStrv) groups = g_key_file_get_groups(now, NULL);

	for (char **group = groups; *group; group++) {
		g_auto(GStrv) keys = g_key_file_get_keys(now, *group, NULL, NULL);

		for (char **key = keys; key && *key; key++) {
			if (live_index(*group, *key) >= 0 || same_value(now, r->started, *group, *key))
				continue;
			g_autofree char *name = g_strdup_printf("%s.%s", *group, *key);

			g_strv_builder_add(waiting, name);
			g_warning("reload: [%s] %s changed: it takes effect at the next start", *group, *key);
		}
	}
	g_strfreev(r->waiting);
	r->waiting = g_strv_builder_end(waiting);
}

void hdmirtc_config_reload_run(HdmirtcConfigReload *r)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig next;
	GKeyFile *now;

	r->reloads++;
	if (!read_again(r, &next, &error)) {
		g_warning("reload: %s: nothing changed", error->message);
		r->failures++;
		hdmirtc_config_clear(&next);
		return;
	}
	if (next.config_loaded)
		g_message("reload: %s read again", next.config_path);
	else
		g_message("reload: no configuration file (%s): the command line and the defaults", next.config_path);
	now = dump(&next);
	apply_live(r, &next, now);
	list_waiting(r, now);
	g_key_file_unref(now);
	hdmirtc_config_clear(&next);
}

void hdmirtc_config_reload_add_status(HdmirtcConfigReload *r, JsonBuilder *b)
{
	json_builder_set_member_name(b, "config");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "reloads");
	json_builder_add_int_value(b, r->reloads);
	json_builder_set_member_name(b, "reload_failures");
	json_builder_add_int_value(b, r->failures);
	json_builder_set_member_name(b, "waiting_for_restart");
	json_builder_begin_array(b);
	for (char **w = r->waiting; *w; w++)
		json_builder_add_string_value(b, *w);
	json_builder_end_array(b);
	json_builder_end_object(b);
}
