/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "hdmirtc/config.h"

#include <glib/gstdio.h>
#include <unistd.h>
#include <string.h>

#define FIXTURE(name) FIXTURES_DIR "/config/" name
#define DOC_PATH FIXTURES_DIR "/../../../README.md"

/* Runs hdmirtc_config_load() on "hdmirtc" + the NULL-terminated arguments.
 * cfg must be initialised; on success, checks every argument was consumed. */
static gboolean load_argv(HdmirtcConfig *cfg, GError **error, const char *const *args)
{
	int argc = 1 + (int)g_strv_length((char **)args);
	char **argv = g_new0(char *, argc + 1);
	char **orig = argv;
	gboolean ok;

	argv[0] = (char *)"hdmirtc";
	for (int i = 1; i < argc; i++)
		argv[i] = (char *)args[i - 1];
	ok = hdmirtc_config_load(cfg, &argc, &argv, error);
	if (ok)
		g_assert_cmpint(argc, ==, 1);
	g_assert_true(argv == orig);
	g_free(argv);
	return ok;
}

#define LOAD(cfg, error, ...) load_argv((cfg), (error), (const char *const[]){ __VA_ARGS__, NULL })

static void assert_strv(char **list, const char *const *expected)
{
	g_assert_nonnull(list);
	g_assert_cmpstrv(list, expected);
}

static void assert_defaults(const HdmirtcConfig *cfg)
{
	static const char *const none[] = { NULL };

	g_assert_cmpstr(cfg->http_address, ==, "::");
	g_assert_cmpuint(cfg->http_port, ==, 8080);
	g_assert_cmpstr(cfg->token, ==, "");
	g_assert_cmpstr(cfg->cors_origin, ==, "");
	g_assert_true(cfg->tls);
	g_assert_true(g_str_has_suffix(cfg->tls_certificate, "/hdmirtc/https.pem"));
	g_assert_cmpstr(cfg->tls_key, ==, "");
	g_assert_true(g_str_has_suffix(cfg->token_file, "/hdmirtc/http-token"));
	g_assert_false(cfg->open_access);
	g_assert_false(cfg->reverse_proxy);
	g_assert_cmpstr(cfg->unix_socket, ==, "");
	g_assert_cmpint(cfg->source, ==, HDMIRTC_CONFIG_SOURCE_AUTO);
	g_assert_cmpstr(cfg->device, ==, "");
	g_assert_cmpuint(cfg->width, ==, 1280);
	g_assert_cmpuint(cfg->height, ==, 720);
	g_assert_cmpuint(cfg->fps, ==, 30);
	g_assert_cmpstr(cfg->edid, ==, "");
	g_assert_cmpint(cfg->encoder, ==, HDMIRTC_CONFIG_ENCODER_AUTO);
	g_assert_cmpuint(cfg->bitrate_kbps, ==, 5000);
	g_assert_cmpuint(cfg->keyframe_interval, ==, 300);
	g_assert_cmpuint(cfg->keyframe_min_interval_ms, ==, 500);
	g_assert_cmpuint(cfg->max_viewers, ==, 8);
	g_assert_cmpuint(cfg->udp_port_min, ==, 10000);
	g_assert_cmpuint(cfg->udp_port_max, ==, 20000);
	g_assert_cmpstr(cfg->stun_server, ==, "stun.l.google.com:19302");
	assert_strv(cfg->turn_servers, none);
	g_assert_cmpstr(cfg->turn_username, ==, "");
	g_assert_cmpstr(cfg->turn_password, ==, "");
	g_assert_true(g_str_has_suffix(cfg->certificate, "/hdmirtc/dtls.pem"));
	assert_strv(cfg->interfaces, none);
	g_assert_true(cfg->ipv6);
	g_assert_true(cfg->ice_tcp);
	assert_strv(cfg->public_addresses, none);
	g_assert_cmpint(cfg->log_level, ==, G_LOG_LEVEL_MESSAGE);
	g_assert_false(cfg->print_config);
	g_assert_false(cfg->show_version);
}

static void assert_config_equal(const HdmirtcConfig *a, const HdmirtcConfig *b)
{
	g_assert_cmpstr(a->http_address, ==, b->http_address);
	g_assert_cmpuint(a->http_port, ==, b->http_port);
	g_assert_cmpstr(a->token, ==, b->token);
	g_assert_cmpstr(a->cors_origin, ==, b->cors_origin);
	g_assert_cmpint(a->source, ==, b->source);
	g_assert_cmpstr(a->device, ==, b->device);
	g_assert_cmpuint(a->width, ==, b->width);
	g_assert_cmpuint(a->height, ==, b->height);
	g_assert_cmpuint(a->fps, ==, b->fps);
	g_assert_cmpstr(a->edid, ==, b->edid);
	g_assert_cmpint(a->encoder, ==, b->encoder);
	g_assert_cmpuint(a->bitrate_kbps, ==, b->bitrate_kbps);
	g_assert_cmpuint(a->keyframe_interval, ==, b->keyframe_interval);
	g_assert_cmpuint(a->keyframe_min_interval_ms, ==, b->keyframe_min_interval_ms);
	g_assert_cmpuint(a->max_viewers, ==, b->max_viewers);
	g_assert_cmpuint(a->max_viewers_per_address, ==, b->max_viewers_per_address);
	g_assert_cmpuint(a->udp_port_min, ==, b->udp_port_min);
	g_assert_cmpuint(a->udp_port_max, ==, b->udp_port_max);
	g_assert_cmpstr(a->stun_server, ==, b->stun_server);
	g_assert_cmpstrv(a->turn_servers, b->turn_servers);
	g_assert_cmpstr(a->turn_username, ==, b->turn_username);
	g_assert_cmpstr(a->turn_password, ==, b->turn_password);
	g_assert_cmpstr(a->certificate, ==, b->certificate);
	g_assert_cmpstrv(a->interfaces, b->interfaces);
	g_assert_cmpint(a->ipv6, ==, b->ipv6);
	g_assert_cmpint(a->ice_tcp, ==, b->ice_tcp);
	g_assert_cmpstrv(a->public_addresses, b->public_addresses);
	g_assert_cmpint(a->log_level, ==, b->log_level);
}

static void test_defaults(void)
{
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	assert_defaults(&cfg);
	g_assert_true(g_str_has_suffix(cfg.config_path, "/hdmirtc/hdmirtc.conf"));
	hdmirtc_config_clear(&cfg);
	g_assert_null(cfg.http_address);
	hdmirtc_config_clear(&cfg);
	hdmirtc_config_clear(NULL);
}

/* No --config and nothing at the default path: defaults, no error. */
static void test_missing_default_file(void)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_free(cfg.config_path);
	cfg.config_path = g_strdup(FIXTURE("does-not-exist.conf"));
	g_assert_true(load_argv(&cfg, &error, (const char *const[]){ NULL }));
	g_assert_no_error(error);
	g_assert_false(cfg.config_loaded);
	assert_defaults(&cfg);
	hdmirtc_config_clear(&cfg);
}

/* --config "" reads no file, even if one exists at the default path. */
static void test_empty_config_path(void)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_free(cfg.config_path);
	cfg.config_path = g_strdup(FIXTURE("full.conf"));
	g_assert_true(LOAD(&cfg, &error, "--config="));
	g_assert_no_error(error);
	g_assert_false(cfg.config_loaded);
	assert_defaults(&cfg);
	hdmirtc_config_clear(&cfg);
}

static void assert_full_conf(const HdmirtcConfig *cfg)
{
	static const char *const turn[] = { "turn:turn.example.com:3478?transport=udp",
		"turns:turn.example.com:5349", "turn:192.0.2.7:3478?transport=tcp", NULL };
	static const char *const ifaces[] = { "eth0", "wlan0", NULL };
	static const char *const public[] = { "198.51.100.7", "2001:db8::7", NULL };

	g_assert_cmpstr(cfg->http_address, ==, "127.0.0.1");
	g_assert_cmpuint(cfg->http_port, ==, 8443);
	g_assert_cmpstr(cfg->token, ==, "s3cret-Token_1");
	g_assert_cmpstr(cfg->cors_origin, ==, "https://kvm.example.com");
	g_assert_cmpint(cfg->source, ==, HDMIRTC_CONFIG_SOURCE_V4L2);
	g_assert_cmpstr(cfg->device, ==, "/dev/video0");
	g_assert_cmpuint(cfg->width, ==, 1920);
	g_assert_cmpuint(cfg->height, ==, 1080);
	g_assert_cmpuint(cfg->fps, ==, 60);
	g_assert_cmpstr(cfg->edid, ==, "/etc/hdmirtc/edid-1080p.bin");
	g_assert_cmpint(cfg->encoder, ==, HDMIRTC_CONFIG_ENCODER_M2M);
	g_assert_cmpuint(cfg->bitrate_kbps, ==, 8000);
	g_assert_cmpuint(cfg->keyframe_interval, ==, 600);
	g_assert_cmpuint(cfg->keyframe_min_interval_ms, ==, 250);
	g_assert_cmpuint(cfg->max_viewers, ==, 4);
	g_assert_cmpuint(cfg->udp_port_min, ==, 40000);
	g_assert_cmpuint(cfg->udp_port_max, ==, 40100);
	g_assert_cmpstr(cfg->stun_server, ==, "[2001:db8::1]:3478");
	assert_strv(cfg->turn_servers, turn);
	g_assert_cmpstr(cfg->turn_username, ==, "kvm");
	g_assert_cmpstr(cfg->turn_password, ==, "pa ss;word");
	g_assert_cmpstr(cfg->certificate, ==, "/var/lib/hdmirtc/test.pem");
	assert_strv(cfg->interfaces, ifaces);
	g_assert_false(cfg->ipv6);
	g_assert_false(cfg->ice_tcp);
	assert_strv(cfg->public_addresses, public);
	g_assert_cmpint(cfg->audio, ==, HDMIRTC_CONFIG_AUDIO_NONE);
	g_assert_cmpstr(cfg->audio_device, ==, "hw:CARD=Loopback,DEV=1");
	g_assert_cmpuint(cfg->audio_frame_ms, ==, 10);
	g_assert_cmpuint(cfg->audio_bitrate_kbps, ==, 32);
	g_assert_cmpint(cfg->log_level, ==, G_LOG_LEVEL_DEBUG);
}

static void test_file_values(void)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config", FIXTURE("full.conf")));
	g_assert_no_error(error);
	g_assert_true(cfg.config_loaded);
	g_assert_cmpstr(cfg.config_path, ==, FIXTURE("full.conf"));
	assert_full_conf(&cfg);
	hdmirtc_config_clear(&cfg);
}

static void test_partial_file(void)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "-c", FIXTURE("partial.conf")));
	g_assert_no_error(error);
	g_assert_cmpuint(cfg.width, ==, 640);
	g_assert_cmpuint(cfg.height, ==, 480);
	g_assert_false(cfg.ipv6);
	g_assert_cmpstr(cfg.stun_server, ==, "");
	g_assert_cmpuint(cfg.fps, ==, 30);
	g_assert_cmpuint(cfg.http_port, ==, 8080);
	hdmirtc_config_clear(&cfg);
}

/* Spaces an editor does not show do not matter; an escaped one does. */
static void test_whitespace(void)
{
	static const char *const ifaces[] = { "eth0", "eth1", NULL };
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config", FIXTURE("whitespace.conf")));
	g_assert_no_error(error);
	g_assert_cmpuint(cfg.width, ==, 640);
	g_assert_cmpint(cfg.source, ==, HDMIRTC_CONFIG_SOURCE_TEST_PATTERN);
	g_assert_cmpstr(cfg.turn_password, ==, "two spaces  ");
	assert_strv(cfg.interfaces, ifaces);
	hdmirtc_config_clear(&cfg);
}

/* Options win over the file, whatever their order relative to --config. */
static void test_flags_override_file(void)
{
	static const char *const turn[] = { "turn:a.example:3478", "turns:b.example:5349",
		"turn:[2001:db8::2]:3478?transport=tcp", NULL };
	static const char *const ifaces[] = { "br0", NULL };
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--width", "640", "--config", FIXTURE("full.conf"),
	                   "--height=360", "--source", "test-pattern", "--encoder=x264",
	                   "--udp-ports", "30000-30010", "--turn", "turn:a.example:3478",
	                   "--turn=turns:b.example:5349,turn:[2001:db8::2]:3478?transport=tcp",
	                   "--interfaces", "br0", "--ipv6", "--log-level", "warning",
	                   "--http-port", "9000", "--token", "abc=="));
	g_assert_no_error(error);
	g_assert_cmpuint(cfg.width, ==, 640);
	g_assert_cmpuint(cfg.height, ==, 360);
	g_assert_cmpint(cfg.source, ==, HDMIRTC_CONFIG_SOURCE_TEST_PATTERN);
	g_assert_cmpint(cfg.encoder, ==, HDMIRTC_CONFIG_ENCODER_X264);
	g_assert_cmpuint(cfg.udp_port_min, ==, 30000);
	g_assert_cmpuint(cfg.udp_port_max, ==, 30010);
	/* The first --turn replaces the file's list, later ones append. */
	assert_strv(cfg.turn_servers, turn);
	assert_strv(cfg.interfaces, ifaces);
	g_assert_true(cfg.ipv6);
	g_assert_cmpint(cfg.log_level, ==, G_LOG_LEVEL_WARNING);
	g_assert_cmpuint(cfg.http_port, ==, 9000);
	g_assert_cmpstr(cfg.token, ==, "abc==");
	/* Untouched by options: still from the file. */
	g_assert_cmpuint(cfg.fps, ==, 60);
	g_assert_cmpstr(cfg.turn_username, ==, "kvm");
	g_assert_cmpstr(cfg.stun_server, ==, "[2001:db8::1]:3478");
	hdmirtc_config_clear(&cfg);
}

static void test_aliases(void)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config=", "--no-stun", "--no-ipv6", "--no-ice-tcp", "-v"));
	g_assert_no_error(error);
	g_assert_cmpstr(cfg.stun_server, ==, "");
	g_assert_false(cfg.ipv6);
	g_assert_false(cfg.ice_tcp);
	g_assert_cmpint(cfg.log_level, ==, G_LOG_LEVEL_DEBUG);
	hdmirtc_config_clear(&cfg);

	/* Later options win: order on the command line is kept. */
	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config=", "--no-stun", "--stun-server", "stun.example.org:3478",
	                   "--no-ipv6", "--ipv6=yes", "--verbose", "--log-level=error"));
	g_assert_no_error(error);
	g_assert_cmpstr(cfg.stun_server, ==, "stun.example.org:3478");
	g_assert_true(cfg.ipv6);
	g_assert_cmpint(cfg.log_level, ==, G_LOG_LEVEL_ERROR);
	hdmirtc_config_clear(&cfg);

	/* Plain HTTP behind a proxy on this host. */
	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config=", "--no-tls", "--reverse-proxy", "--http-address", "::1",
	                   "--unix-socket", "/run/hdmirtc/http.sock", "--open-access"));
	g_assert_no_error(error);
	g_assert_false(cfg.tls);
	g_assert_true(cfg.reverse_proxy);
	g_assert_true(cfg.open_access);
	g_assert_cmpstr(cfg.unix_socket, ==, "/run/hdmirtc/http.sock");
	hdmirtc_config_clear(&cfg);
}

/* --version needs no readable configuration. */
static void test_version(void)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config", FIXTURE("not-a-keyfile.conf"), "--version"));
	g_assert_no_error(error);
	g_assert_true(cfg.show_version);
	hdmirtc_config_clear(&cfg);

	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config=", "--print-config"));
	g_assert_no_error(error);
	g_assert_true(cfg.print_config);
	g_assert_false(cfg.show_version);
	hdmirtc_config_clear(&cfg);
}

typedef struct {
	const char *fixture;
	int code;
	const char *expect[3];  /* substrings of the message besides the file name */
} FileErrorCase;

static const FileErrorCase file_errors[] = {
	{ "bad-integer.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "[source]", "width", "\"abc\" is not an integer" } },
	{ "out-of-range.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "[encoder]", "bitrate", "60000 is out of range (100..50000)" } },
	{ "unknown-key.conf", HDMIRTC_CONFIG_ERROR_UNKNOWN_KEY, { "[source]", "widht", "unknown key" } },
	{ "unknown-group.conf", HDMIRTC_CONFIG_ERROR_UNKNOWN_GROUP, { "[sourse]", "unknown group", "source" } },
	{ "bad-enum.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "[encoder] type", "\"nvenc\"", "auto, x264, m2m" } },
	{ "bad-port-range.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "udp-port-min", "udp-port-max", "greater than" } },
	{ "bad-port.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "udp-port-max", "70000", "out of range (1..65535)" } },
	{ "bad-host-port.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "stun-server", "stun.example.org", "missing port" } },
	{ "bad-bool.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "ipv6", "\"maybe\"", "not a boolean" } },
	{ "bad-turn.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "turn-servers", "http://turn.example.org:3478", "not a TURN URL" } },
	{ "turn-no-credentials.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "turn-servers", "turn-username", "turn-password" } },
	{ "bad-address.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "[http] address", "\"localhost\"", "not an IPv4 or IPv6 address" } },
	{ "control-char.conf", HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "[http] token", "control character", NULL } },
	{ "locale-key.conf", HDMIRTC_CONFIG_ERROR_UNKNOWN_KEY, { "[source] width[de]", "unknown key", NULL } },
	{ "key-before-group.conf", HDMIRTC_CONFIG_ERROR_SYNTAX, { "not a valid configuration file", NULL, NULL } },
	{ "not-a-keyfile.conf", HDMIRTC_CONFIG_ERROR_SYNTAX, { "not a valid configuration file", "{\"http\"", NULL } },
	{ "does-not-exist.conf", HDMIRTC_CONFIG_ERROR_NOT_FOUND, { "no such configuration file", NULL, NULL } },
};

static void test_file_errors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(file_errors); i++) {
		const FileErrorCase *c = &file_errors[i];
		g_autofree char *path = g_build_filename(FIXTURES_DIR, "config", c->fixture, NULL);
		g_autoptr(GError) error = NULL;
		HdmirtcConfig cfg;

		hdmirtc_config_init(&cfg);
		g_assert_false(LOAD(&cfg, &error, "--config", path));
		g_test_message("%s: %s", c->fixture, error ? error->message : "(no error)");
		g_assert_error(error, HDMIRTC_CONFIG_ERROR, c->code);
		g_assert_true(g_str_has_prefix(error->message, path));
		for (gsize j = 0; j < G_N_ELEMENTS(c->expect) && c->expect[j]; j++)
			g_assert_nonnull(strstr(error->message, c->expect[j]));
		hdmirtc_config_clear(&cfg);
	}
}

/* The file step on bytes: the same values and the same errors as through
 * --config, the given name in place of the path; no file is touched. */
static void test_load_data(void)
{
	static const char cut[] = "[source]\nwidth=640x";
	static const char bad_escape[] = "[encoder]\ntype=n\\venc\n";
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	g_autofree char *default_path = NULL;
	gsize len;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	default_path = g_strdup(cfg.config_path);
	g_assert_true(g_file_get_contents(FIXTURE("full.conf"), &text, &len, NULL));
	g_assert_true(hdmirtc_config_load_data(&cfg, "memory", text, len, &error));
	g_assert_no_error(error);
	g_assert_true(cfg.config_loaded);
	g_assert_cmpstr(cfg.config_path, ==, default_path);
	assert_full_conf(&cfg);
	hdmirtc_config_clear(&cfg);

	/* len, not a NUL, ends the text. */
	hdmirtc_config_init(&cfg);
	g_assert_true(hdmirtc_config_load_data(&cfg, "memory", cut, strlen(cut) - 1, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(cfg.width, ==, 640);
	hdmirtc_config_clear(&cfg);

	/* An invalid escape is the error, not the value GLib makes of it
	 * without the escape ("nenc"); fuzz-config found this leaking. */
	hdmirtc_config_init(&cfg);
	g_assert_false(hdmirtc_config_load_data(&cfg, "memory", bad_escape, strlen(bad_escape), &error));
	g_assert_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_INVALID_VALUE);
	g_assert_true(g_str_has_prefix(error->message, "memory: [encoder] type: "));
	g_assert_null(strstr(error->message, "nenc"));
	g_clear_error(&error);
	hdmirtc_config_clear(&cfg);

	for (gsize i = 0; i < G_N_ELEMENTS(file_errors); i++) {
		const FileErrorCase *c = &file_errors[i];
		g_autofree char *path = g_build_filename(FIXTURES_DIR, "config", c->fixture, NULL);
		g_autofree char *contents = NULL;
		g_autoptr(GError) file_error = NULL;
		g_autoptr(GError) data_error = NULL;
		g_autofree char *expected = NULL;

		if (!g_file_get_contents(path, &contents, &len, NULL))
			continue;   /* does-not-exist.conf */
		hdmirtc_config_init(&cfg);
		g_assert_false(LOAD(&cfg, &file_error, "--config", path));
		hdmirtc_config_clear(&cfg);
		hdmirtc_config_init(&cfg);
		g_assert_false(hdmirtc_config_load_data(&cfg, "memory", contents, len, &data_error));
		hdmirtc_config_clear(&cfg);
		g_assert_error(data_error, HDMIRTC_CONFIG_ERROR, c->code);
		g_assert_true(g_str_has_prefix(file_error->message, path));
		expected = g_strconcat("memory", file_error->message + strlen(path), NULL);
		g_assert_cmpstr(data_error->message, ==, expected);
	}
}

static void test_directory_is_unreadable(void)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_assert_false(LOAD(&cfg, &error, "--config", FIXTURES_DIR "/config"));
	g_assert_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_UNREADABLE);
	g_assert_true(g_str_has_prefix(error->message, FIXTURES_DIR "/config: "));
	hdmirtc_config_clear(&cfg);
}

typedef struct {
	const char *args[4];
	int code;
	const char *expect[2];
} FlagErrorCase;

static const FlagErrorCase flag_errors[] = {
	{ { "--width", "abc" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --width: ", "\"abc\" is not an integer" } },
	{ { "--width=5000" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --width: ", "out of range (160..4096)" } },
	{ { "--height", "-2" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --height: ", "out of range" } },
	{ { "--width", "641" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --width: ", "not a multiple of 2" } },
	{ { "--fps", "0" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --fps: ", "out of range (1..120)" } },
	{ { "--http-port", "99999999999999999999999" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --http-port: ", "out of range" } },
	{ { "--source", "camera" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --source: ", "auto, test-pattern, v4l2" } },
	{ { "--audio-frame-ms", "15" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --audio-frame-ms: ", "not a multiple of 10" } },
	{ { "--audio", "pulse" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --audio: ", "auto, tone, alsa, none" } },
	{ { "--log-level=loud" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --log-level: ", "\"loud\" is not one of" } },
	{ { "--udp-ports", "20000-10000" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --udp-ports: ", "first port is greater" } },
	{ { "--udp-ports", "0-100" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --udp-ports: ", "out of range (1..65535)" } },
	{ { "--udp-ports", "10000" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --udp-ports: ", "not a port range" } },
	{ { "--stun-server", "::1:3478" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --stun-server: ", "brackets" } },
	{ { "--stun-server", "stun.example.org:" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --stun-server: ", "port \"\"" } },
	{ { "--stun-server", "[::1:3478" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --stun-server: ", "missing ]" } },
	{ { "--stun-server", "bad_host!:3478" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --stun-server: ", "not a host name" } },
	{ { "--turn", "turns:t.example:5349?transport=udp", "--turn-username=u" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --turn: ", "DTLS" } },
	{ { "--turn", "turn:t.example:3478?foo=bar" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --turn: ", "transport" } },
	{ { "--turn", "turn:t.example:3478" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --turn: ", "turn-password" } },
	{ { "--turn-password", "p", "--turn-secret", "s" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE,
	  { "option --turn-secret: ", "set one of them" } },
	{ { "--turn-credential-ttl", "5" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "turn-credential-ttl" } },
	{ { "--http-address", "localhost" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --http-address: ", "not an IPv4 or IPv6" } },
	{ { "--public-address", "1.2.3.4,example.com" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --public-address: ", "\"example.com\"" } },
	{ { "--interfaces", "eth0,../x" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --interfaces: ", "not a network interface name" } },
	{ { "--token", "two words" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --token: ", "letters, digits" } },
	{ { "--token", "a\r\nX-Evil: 1" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --token: ", "control character" } },
	{ { "--cors-origin", "ftp://x" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --cors-origin: ", "origin" } },
	{ { "--janus", "127.0.0.1:8088/janus" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --janus: ", "not an http:// or https:// URL" } },
	{ { "--janus", "http://127.0.0.1:8088/janus,ws://x:8188" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --janus: ", "\"ws://x:8188\"" } },
	{ { "--janus-viewer-url", "janus.example:8088" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --janus-viewer-url: ", "not an http" } },
	{ { "--janus-mountpoint", "0" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --janus-mountpoint: ", "out of range" } },
	{ { "--whip", "whip.example/whip" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --whip: ", "not an http:// or https:// URL" } },
	{ { "--whip-token", "a b" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --whip-token: ", "letters, digits" } },
	{ { "--whip", "http://a/whip,http://b/whip,http://c/whip", "--whip-token", "t1,t2" },
	  HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --whip-token: ", "2 WHIP tokens for 3 WHIP endpoints" } },
	{ { "--certificate=" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --certificate: ", "must not be empty" } },
	{ { "--tls-certificate=" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --tls-certificate: ", "must not be empty" } },
	{ { "--open-access", "--token", "t" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --open-access: ", "choose one" } },
	{ { "--unix-socket", "/run/x.sock" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --unix-socket: ", "set reverse-proxy" } },
	/* Behind a proxy, an address others reach would let them past it. */
	{ { "--reverse-proxy" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --reverse-proxy: ", "loopback" } },
	{ { "--reverse-proxy", "--http-address", "192.0.2.1" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "loopback" } },
	{ { "--capture-format", "yuyv" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --capture-format: ", "auto, uyvy, rgb24, xrgb8888" } },
	/* The test pattern and libcamera have no V4L2 format to ask for. */
	{ { "--source", "test-pattern", "--capture-format", "uyvy" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --capture-format: ", "source is test-pattern" } },
	{ { "--source", "libcamera", "--capture-format", "rgb24" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --capture-format: ", "source is libcamera" } },
	{ { "--encoder", "m2m", "--capture-format", "xrgb8888" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --capture-format: ", "M2M encoder takes no XRGB8888" } },
	{ { "--ipv6=maybe" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --ipv6: ", "not a boolean" } },
	{ { "--device", "\xff\xfe" }, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, { "option --device: ", "not valid UTF-8" } },
	{ { "--bogus" }, HDMIRTC_CONFIG_ERROR_BAD_OPTION, { "--bogus", NULL } },
	{ { "--width" }, HDMIRTC_CONFIG_ERROR_BAD_OPTION, { "--width", NULL } },
	{ { "stray" }, HDMIRTC_CONFIG_ERROR_BAD_OPTION, { "unexpected argument \"stray\"", NULL } },
	{ { "--config", FIXTURES_DIR "/config/does-not-exist.conf" }, HDMIRTC_CONFIG_ERROR_NOT_FOUND, { "does-not-exist.conf", "no such" } },
};

static void test_flag_errors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(flag_errors); i++) {
		const FlagErrorCase *c = &flag_errors[i];
		const char *args[G_N_ELEMENTS(c->args) + 2] = { "--config=" };
		g_autoptr(GError) error = NULL;
		HdmirtcConfig cfg;

		for (gsize j = 0; j < G_N_ELEMENTS(c->args); j++)
			args[j + 1] = c->args[j];
		hdmirtc_config_init(&cfg);
		g_assert_false(load_argv(&cfg, &error, args));
		g_test_message("%s: %s", c->args[0], error ? error->message : "(no error)");
		g_assert_error(error, HDMIRTC_CONFIG_ERROR, c->code);
		for (gsize j = 0; j < G_N_ELEMENTS(c->expect) && c->expect[j]; j++)
			g_assert_nonnull(strstr(error->message, c->expect[j]));
		hdmirtc_config_clear(&cfg);
	}
}

/* Every option a user may need, spelled out here rather than taken from the
 * table, so a row missing from the table fails. */
static const char *const all_flags[] = {
	"--config", "--print-config", "--version", "--help",
	"--http-address", "--http-port", "--tls", "--no-tls", "--tls-certificate", "--tls-key", "--token",
	"--token-file", "--open-access", "--cors-origin", "--reverse-proxy", "--unix-socket",
	"--source", "--device", "--width", "--height", "--fps", "--edid", "--edid-store",
	"--encoder", "--bitrate", "--keyframe-interval", "--keyframe-min-interval",
	"--max-viewers", "--max-viewers-per-address", "--udp-ports", "--stun-server", "--no-stun", "--turn", "--turn-username",
	"--turn-password", "--turn-secret", "--turn-credential-ttl",
	"--turn-tls-ca", "--turn-tls-verify", "--certificate", "--interfaces", "--ipv6", "--no-ipv6", "--ice-tcp",
	"--no-ice-tcp", "--public-address",
	"--janus", "--janus-mountpoint", "--janus-admin-key", "--janus-secret", "--janus-viewer-url",
	"--whip", "--whip-token", "--log-level", "--verbose", "--camera", "--display",
	"--capture-format", "--x264-early-slices", "--send-priority", "--x264-threads",
};

static const char *const all_keys[] = {
	"[http] address", "[http] port", "[http] tls", "[http] tls-certificate", "[http] tls-key",
	"[http] token", "[http] token-file", "[http] open-access", "[http] cors-origin",
	"[http] reverse-proxy", "[http] unix-socket",
	"[source] type", "[source] device", "[source] width", "[source] height", "[source] fps",
	"[source] edid", "[source] edid-store", "[encoder] type", "[encoder] bitrate", "[encoder] keyframe-interval",
	"[encoder] keyframe-min-interval-ms", "[webrtc] max-viewers",
	"[webrtc] max-viewers-per-address", "[webrtc] udp-port-min",
	"[webrtc] stun-server", "[webrtc] turn-servers", "[webrtc] turn-username",
	"[webrtc] turn-password", "[webrtc] turn-secret", "[webrtc] turn-credential-ttl",
	"[webrtc] turn-tls-ca", "[webrtc] turn-tls-verify",
	"[webrtc] certificate", "[webrtc] interfaces", "[webrtc] ipv6",
	"[webrtc] ice-tcp", "[webrtc] public-addresses", "[publish] janus", "[publish] janus-mountpoint",
	"[publish] janus-admin-key", "[publish] janus-secret", "[publish] janus-viewer-url",
	"[publish] whip", "[publish] whip-tokens", "[log] level", "[source] camera", "[display] connector",
	"[source] capture-format", "[encoder] x264-early-slices", "[webrtc] send-priority",
	"[encoder] x264-threads",
};

static void test_help_lists_every_option(void)
{
	g_autofree char *help = hdmirtc_config_help_text();

	g_test_message("%s", help);
	for (gsize i = 0; i < G_N_ELEMENTS(all_flags); i++) {
		g_test_message("looking for %s", all_flags[i]);
		g_assert_nonnull(strstr(help, all_flags[i]));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(all_keys); i++)
		g_assert_nonnull(strstr(help, all_keys[i]));
	g_assert_nonnull(strstr(help, "udp-port-max"));
	g_assert_nonnull(strstr(help, "auto|test-pattern|v4l2"));
	g_assert_nonnull(strstr(help, "default 10000-20000"));
	g_assert_nonnull(strstr(help, "160..4096"));
}

/* The configuration reference in README.md names every key and option. */
static void test_doc_lists_every_option(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *doc = NULL;

	g_assert_true(g_file_get_contents(DOC_PATH, &doc, NULL, &error));
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(all_flags); i++) {
		g_autofree char *quoted = g_strdup_printf("`%s", all_flags[i]);

		g_test_message("looking for %s", quoted);
		g_assert_nonnull(strstr(doc, quoted));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(all_keys); i++) {
		const char *key = strchr(all_keys[i], ' ') + 1;
		g_autofree char *quoted = g_strdup_printf("`%s`", key);

		g_test_message("looking for %s", quoted);
		g_assert_nonnull(strstr(doc, quoted));
	}
}

static void round_trip(const HdmirtcConfig *cfg)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = hdmirtc_config_to_keyfile_text(cfg, HDMIRTC_CONFIG_DUMP_DEFAULT);
	g_autofree char *text2 = NULL;
	g_autofree char *path = NULL;
	HdmirtcConfig copy;
	int fd;

	fd = g_file_open_tmp("hdmirtc-config-XXXXXX.conf", &path, &error);
	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	hdmirtc_config_init(&copy);
	g_assert_true(LOAD(&copy, &error, "--config", path));
	g_assert_no_error(error);
	assert_config_equal(cfg, &copy);
	text2 = hdmirtc_config_to_keyfile_text(&copy, HDMIRTC_CONFIG_DUMP_DEFAULT);
	g_assert_cmpstr(text, ==, text2);
	hdmirtc_config_clear(&copy);
	g_unlink(path);
}

static void test_dump_round_trip(void)
{
	g_autoptr(GError) error = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	round_trip(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config", FIXTURE("full.conf"), "--turn-password", " lead;ing= ",
	                   "--device=/dev/v4l/by-path/platform-fe801000.csi-video-index0"));
	g_assert_no_error(error);
	round_trip(&cfg);
	hdmirtc_config_clear(&cfg);
}

static void test_dump_redacts_secrets(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	HdmirtcConfig cfg;

	hdmirtc_config_init(&cfg);
	g_assert_true(LOAD(&cfg, &error, "--config", FIXTURE("full.conf")));
	g_assert_no_error(error);
	text = hdmirtc_config_to_keyfile_text(&cfg, HDMIRTC_CONFIG_DUMP_REDACT_SECRETS |
	                                            HDMIRTC_CONFIG_DUMP_NO_COMMENTS);
	g_assert_null(strstr(text, "s3cret"));
	g_assert_null(strstr(text, "pa ss"));
	g_assert_null(strchr(text, '#'));
	g_assert_nonnull(strstr(text, "turn-username=kvm\n"));
	g_assert_nonnull(strstr(text, "token=(redacted)\n"));
	hdmirtc_config_clear(&cfg);
}

static void test_parse_host_port(void)
{
	static const struct {
		const char *text;
		const char *host;
		guint16 port;
	} good[] = {
		{ "stun.l.google.com:19302", "stun.l.google.com", 19302 },
		{ "192.0.2.1:3478", "192.0.2.1", 3478 },
		{ "[2001:db8::1]:65535", "2001:db8::1", 65535 },
		{ "a:1", "a", 1 },
	};
	static const char *const bad[] = {
		"", ":3478", "host", "host:0", "host:65536", "host:12ab", "host:-1", "[::1]", "[::1]3478",
		"[nothost]:1", "::1:3478", "-host:1", "a..b:1", "host :1", "ho/st:1", "user@host:1",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *host = NULL;
		guint16 port = 0;

		g_assert_true(hdmirtc_config_parse_host_port(good[i].text, &host, &port, &error));
		g_assert_no_error(error);
		g_assert_cmpstr(host, ==, good[i].host);
		g_assert_cmpuint(port, ==, good[i].port);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		char *host = NULL;
		guint16 port = 0;

		g_test_message("bad host:port \"%s\"", bad[i]);
		g_assert_false(hdmirtc_config_parse_host_port(bad[i], &host, &port, &error));
		g_assert_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_INVALID_VALUE);
		g_assert_null(host);
	}
}

static void test_parse_turn_url(void)
{
	static const struct {
		const char *url;
		HdmirtcConfigTurnTransport transport;
		const char *host;
		guint16 port;
	} good[] = {
		{ "turn:turn.example.com:3478?transport=udp", HDMIRTC_CONFIG_TURN_UDP, "turn.example.com", 3478 },
		{ "turn:turn.example.com:443?transport=tcp", HDMIRTC_CONFIG_TURN_TCP, "turn.example.com", 443 },
		{ "turn:192.0.2.9", HDMIRTC_CONFIG_TURN_UDP, "192.0.2.9", 3478 },
		{ "turns:turn.example.com", HDMIRTC_CONFIG_TURN_TLS, "turn.example.com", 5349 },
		{ "turns:[2001:db8::3]:443?transport=tcp", HDMIRTC_CONFIG_TURN_TLS, "2001:db8::3", 443 },
	};
	static const char *const bad[] = {
		"", "stun:a.example:3478", "turn:", "turn://a.example:3478", "turns:a.example:5349?transport=udp",
		"turn:a.example:3478?transport=sctp", "turn:a.example:3478?transport=udp&x=1", "turn:a.example:0",
		"turn:user@a.example:3478", "TURN:a.example",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		HdmirtcConfigTurnServer server;

		g_assert_true(hdmirtc_config_parse_turn_url(good[i].url, &server, &error));
		g_assert_no_error(error);
		g_assert_cmpint(server.transport, ==, good[i].transport);
		g_assert_cmpstr(server.host, ==, good[i].host);
		g_assert_cmpuint(server.port, ==, good[i].port);
		hdmirtc_config_turn_server_clear(&server);
		g_assert_null(server.host);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		HdmirtcConfigTurnServer server;

		g_test_message("bad TURN URL \"%s\"", bad[i]);
		g_assert_false(hdmirtc_config_parse_turn_url(bad[i], &server, &error));
		g_assert_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_INVALID_VALUE);
		g_assert_null(server.host);
	}
	hdmirtc_config_turn_server_clear(NULL);
}

/* capture-format: what a V4L2 source is asked for; xrgb8888 is taken
 * when x264 may be the encoder. */
static void test_capture_format(void)
{
	static const struct { const char *value, *source, *encoder; HdmirtcConfigCaptureFormat want; } cases[] = {
		{ "auto", "test-pattern", "auto", HDMIRTC_CONFIG_CAPTURE_FORMAT_AUTO },
		{ "uyvy", "v4l2", "m2m", HDMIRTC_CONFIG_CAPTURE_FORMAT_UYVY },
		{ "rgb24", "auto", "auto", HDMIRTC_CONFIG_CAPTURE_FORMAT_RGB24 },
		{ "xrgb8888", "v4l2", "auto", HDMIRTC_CONFIG_CAPTURE_FORMAT_XRGB8888 },
		{ "xrgb8888", "auto", "x264", HDMIRTC_CONFIG_CAPTURE_FORMAT_XRGB8888 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		HdmirtcConfig cfg;

		hdmirtc_config_init(&cfg);
		g_assert_true(LOAD(&cfg, &error, "--config=", "--capture-format", cases[i].value,
		                   "--source", cases[i].source, "--encoder", cases[i].encoder));
		g_assert_no_error(error);
		g_assert_cmpint(cfg.capture_format, ==, cases[i].want);
		hdmirtc_config_clear(&cfg);
	}
}

static void test_enum_names(void)
{
	g_assert_cmpstr(hdmirtc_config_source_to_string(HDMIRTC_CONFIG_SOURCE_TEST_PATTERN), ==, "test-pattern");
	g_assert_cmpstr(hdmirtc_config_encoder_to_string(HDMIRTC_CONFIG_ENCODER_M2M), ==, "m2m");
	g_assert_cmpstr(hdmirtc_config_encoder_to_string((HdmirtcConfigEncoder)42), ==, "unknown");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/missing-default-file", test_missing_default_file);
	g_test_add_func("/config/empty-config-path", test_empty_config_path);
	g_test_add_func("/config/file-values", test_file_values);
	g_test_add_func("/config/partial-file", test_partial_file);
	g_test_add_func("/config/whitespace", test_whitespace);
	g_test_add_func("/config/flags-override-file", test_flags_override_file);
	g_test_add_func("/config/aliases", test_aliases);
	g_test_add_func("/config/version", test_version);
	g_test_add_func("/config/file-errors", test_file_errors);
	g_test_add_func("/config/load-data", test_load_data);
	g_test_add_func("/config/directory-is-unreadable", test_directory_is_unreadable);
	g_test_add_func("/config/flag-errors", test_flag_errors);
	g_test_add_func("/config/help-lists-every-option", test_help_lists_every_option);
	g_test_add_func("/config/doc-lists-every-option", test_doc_lists_every_option);
	g_test_add_func("/config/dump-round-trip", test_dump_round_trip);
	g_test_add_func("/config/dump-redacts-secrets", test_dump_redacts_secrets);
	g_test_add_func("/config/parse-host-port", test_parse_host_port);
	g_test_add_func("/config/parse-turn-url", test_parse_turn_url);
	g_test_add_func("/config/capture-format", test_capture_format);
	g_test_add_func("/config/enum-names", test_enum_names);
	return g_test_run();
}
