/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Configuration file + command line.  Everything is driven by options[]:
 * defaults are parsed from the table's text by the same setter that reads
 * the file and the command line, --help and the dump are generated from it,
 * and unknown keys are whatever the table does not list. */
#include "hdmirtc/config.h"
#include "hdmirtc-build.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#define DEFAULT_CONFIG_PATH HDMIRTC_SYSCONFDIR "/hdmirtc/hdmirtc.conf"
/* A configuration file is a few hundred bytes; refuse to parse a huge one. */
#define MAX_FILE_SIZE (1024 * 1024)
#define LIST_SEPARATORS ",;"

G_DEFINE_QUARK(hdmirtc-config-error-quark, hdmirtc_config_error)

/* Enum fields are stored through an int pointer. */
G_STATIC_ASSERT(sizeof(HdmirtcConfigSource) == sizeof(int));
G_STATIC_ASSERT(sizeof(HdmirtcConfigEncoder) == sizeof(int));
G_STATIC_ASSERT(sizeof(GLogLevelFlags) == sizeof(int));

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

static gboolean validate_ip(const char *value, GError **error);
static gboolean validate_token(const char *value, GError **error);
static gboolean validate_origin(const char *value, GError **error);
static gboolean validate_stun(const char *value, GError **error);
static gboolean validate_turn(const char *value, GError **error);
static gboolean validate_not_empty(const char *value, GError **error);
static gboolean validate_ifname(const char *value, GError **error);

static const EnumValue source_values[] = {
	{ "auto", HDMIRTC_CONFIG_SOURCE_AUTO },
	{ "test-pattern", HDMIRTC_CONFIG_SOURCE_TEST_PATTERN },
	{ "v4l2", HDMIRTC_CONFIG_SOURCE_V4L2 },
	{ NULL, 0 },
};

static const EnumValue encoder_values[] = {
	{ "auto", HDMIRTC_CONFIG_ENCODER_AUTO },
	{ "x264", HDMIRTC_CONFIG_ENCODER_X264 },
	{ "m2m", HDMIRTC_CONFIG_ENCODER_M2M },
	{ NULL, 0 },
};

static const EnumValue log_values[] = {
	{ "error", G_LOG_LEVEL_ERROR },
	{ "warning", G_LOG_LEVEL_WARNING },
	{ "message", G_LOG_LEVEL_MESSAGE },
	{ "info", G_LOG_LEVEL_INFO },
	{ "debug", G_LOG_LEVEL_DEBUG },
	{ NULL, 0 },
};

#define F(field) offsetof(HdmirtcConfig, field)

static const Option options[] = {
	{ "http", "address", NULL, "http-address", OPT_STRING, F(http_address), 0, "::",
	  .validate = validate_ip, .arg = "ADDRESS",
	  .help = "IP address the HTTP server listens on; :: accepts IPv4 and IPv6" },
	{ "http", "port", NULL, "http-port", OPT_UINT, F(http_port), 0, "8080", 0, 65535,
	  .arg = "PORT", .help = "TCP port of the HTTP server (WHEP, API, web page); 0 = any free port" },
	{ "http", "token", NULL, "token", OPT_STRING, F(token), 0, "",
	  .validate = validate_token, .arg = "TOKEN", .secret = TRUE,
	  .help = "Bearer token that WHEP and API requests must carry; empty = no authentication" },
	{ "http", "cors-origin", NULL, "cors-origin", OPT_STRING, F(cors_origin), 0, "*",
	  .validate = validate_origin, .arg = "ORIGIN",
	  .help = "Access-Control-Allow-Origin: * or one origin such as https://kvm.example.com" },

	{ "source", "type", NULL, "source", OPT_ENUM, F(source), 0, "auto", .values = source_values,
	  .help = "Video source; auto = the HDMI bridge if there is one, else the test pattern" },
	{ "source", "device", NULL, "device", OPT_STRING, F(device), 0, "", .arg = "PATH",
	  .help = "V4L2 capture device; empty = find the TC358743 bridge through the media controller" },
	{ "source", "width", NULL, "width", OPT_UINT, F(width), 0, "1280", 160, 4096, 2,
	  .arg = "PIXELS", .help = "Video width in pixels" },
	{ "source", "height", NULL, "height", OPT_UINT, F(height), 0, "720", 120, 4096, 2,
	  .arg = "PIXELS", .help = "Video height in pixels" },
	{ "source", "fps", NULL, "fps", OPT_UINT, F(fps), 0, "30", 1, 120,
	  .arg = "N", .help = "Frames per second" },
	{ "source", "edid", NULL, "edid", OPT_STRING, F(edid), 0, "", .arg = "PATH",
	  .help = "EDID file to program into the HDMI bridge; empty = the built-in EDID" },

	{ "encoder", "type", NULL, "encoder", OPT_ENUM, F(encoder), 0, "auto", .values = encoder_values,
	  .help = "H.264 encoder; auto = the V4L2 M2M hardware encoder if there is one, else x264" },
	{ "encoder", "bitrate", NULL, "bitrate", OPT_UINT, F(bitrate_kbps), 0, "5000", 100, 50000,
	  .arg = "KBIT/S", .help = "Target bitrate in kbit/s" },
	{ "encoder", "keyframe-interval", NULL, "keyframe-interval", OPT_UINT, F(keyframe_interval), 0,
	  "300", 1, 3000, .arg = "FRAMES",
	  .help = "Frames between periodic IDR frames (viewers also get one when they join and on PLI/FIR)" },
	{ "encoder", "keyframe-min-interval-ms", NULL, "keyframe-min-interval", OPT_UINT,
	  F(keyframe_min_interval_ms), 0, "500", 0, 60000, .arg = "MS",
	  .help = "Minimum time in ms between IDR frames requested by viewers (PLI/FIR)" },

	{ "webrtc", "max-viewers", NULL, "max-viewers", OPT_UINT, F(max_viewers), 0, "8", 1, 256,
	  .arg = "N", .help = "Maximum number of simultaneous viewers" },
	{ "webrtc", "udp-port-min", "udp-port-max", "udp-ports", OPT_PORT_RANGE, F(udp_port_min),
	  F(udp_port_max), "10000-20000", 1, 65535, .arg = "MIN-MAX",
	  .help = "UDP ports for ICE candidates" },
	{ "webrtc", "stun-server", NULL, "stun-server", OPT_STRING, F(stun_server), 0,
	  "stun.l.google.com:19302", .validate = validate_stun, .arg = "HOST:PORT",
	  .help = "STUN server for server-reflexive candidates; empty (or --no-stun) = no STUN" },
	{ "webrtc", "turn-servers", NULL, "turn", OPT_LIST, F(turn_servers), 0, "",
	  .validate = validate_turn, .arg = "URL",
	  .help = "TURN servers, turn:HOST:PORT?transport=udp|tcp or turns:HOST:PORT "
	          "(TLS); comma-separated, the option may be repeated" },
	{ "webrtc", "turn-username", NULL, "turn-username", OPT_STRING, F(turn_username), 0, "",
	  .arg = "NAME", .help = "User name for the TURN servers" },
	{ "webrtc", "turn-password", NULL, "turn-password", OPT_STRING, F(turn_password), 0, "",
	  .arg = "PASSWORD", .secret = TRUE, .help = "Password for the TURN servers" },
	{ "webrtc", "turn-secret", NULL, "turn-secret", OPT_STRING, F(turn_secret), 0, "",
	  .arg = "SECRET", .secret = TRUE,
	  .help = "Shared secret of the TURN REST API (coturn's static-auth-secret): time-limited "
	          "credentials are made from it instead of turn-password" },
	{ "webrtc", "turn-credential-ttl", NULL, "turn-credential-ttl", OPT_UINT,
	  F(turn_credential_ttl_s), 0, "86400", 600, 604800, .arg = "SECONDS",
	  .help = "Lifetime of the credentials made from turn-secret" },
	{ "webrtc", "turn-tls-ca", NULL, "turn-tls-ca", OPT_STRING, F(turn_tls_ca), 0, "",
	  .arg = "PATH", .help = "CA certificates (PEM) that turns: servers are checked against; "
	                         "empty = the system's store" },
	{ "webrtc", "turn-tls-verify", NULL, "turn-tls-verify", OPT_BOOL, F(turn_tls_verify), 0, "true",
	  .help = "Check turns: servers' certificates (--turn-tls-verify=false only for a lab "
	          "TURN server with a self-signed certificate)" },
	{ "webrtc", "certificate", NULL, "certificate", OPT_STRING, F(certificate), 0,
	  HDMIRTC_STATEDIR "/dtls.pem", .validate = validate_not_empty, .arg = "PATH",
	  .help = "DTLS certificate and key (PEM), created if missing" },
	{ "webrtc", "interfaces", NULL, "interfaces", OPT_LIST, F(interfaces), 0, "",
	  .validate = validate_ifname, .arg = "IFACES",
	  .help = "Network interfaces for ICE candidates, comma-separated; empty = the default-route interface" },
	{ "webrtc", "ipv6", NULL, "ipv6", OPT_BOOL, F(ipv6), 0, "true",
	  .help = "Gather IPv6 candidates too (--ipv6=false or --no-ipv6 to turn off)" },
	{ "webrtc", "public-addresses", NULL, "public-address", OPT_LIST, F(public_addresses), 0, "",
	  .validate = validate_ip, .arg = "ADDRESS",
	  .help = "Public IP addresses announced as host candidates (static 1:1 NAT); "
	          "comma-separated, the option may be repeated" },

	{ "log", "level", NULL, "log-level", OPT_ENUM, F(log_level), 0, "message", .values = log_values,
	  .help = "Most verbose log level shown" },
};

static const Alias aliases[] = {
	{ "no-ipv6", 0, "ipv6", "false", "Same as --ipv6=false" },
	{ "no-stun", 0, "stun-server", "", "Use no STUN server; same as --stun-server=\"\"" },
	{ "verbose", 'v', "log-level", "debug", "Same as --log-level=debug" },
};

static const char *const groups[] = { "http", "source", "encoder", "webrtc", "log" };

#define N_OPTIONS G_N_ELEMENTS(options)

static gpointer field(const HdmirtcConfig *cfg, gsize offset)
{
	return (guint8 *)cfg + offset;
}

static void set_invalid(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void set_invalid(GError **error, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	if (error)
		*error = g_error_new_valist(HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_INVALID_VALUE, format, ap);
	va_end(ap);
}

/* ---- value checks (reason-only errors) ---- */

static gboolean is_ip_literal(const char *value)
{
	guint8 buf[16];

	return inet_pton(AF_INET, value, buf) == 1 || inet_pton(AF_INET6, value, buf) == 1;
}

static gboolean validate_ip(const char *value, GError **error)
{
	if (is_ip_literal(value))
		return TRUE;
	set_invalid(error, "\"%s\" is not an IPv4 or IPv6 address", value);
	return FALSE;
}

/* RFC 6750 b64token: it goes into an Authorization header verbatim. */
static gboolean validate_token(const char *value, GError **error)
{
	gsize i = 0;

	while (value[i] && (g_ascii_isalnum(value[i]) || strchr("-._~+/", value[i])))
		i++;
	while (value[i] == '=')
		i++;
	if (value[i] == '\0')
		return TRUE;
	set_invalid(error, "the token may contain only letters, digits and -._~+/ (then trailing =)");
	return FALSE;
}

static gboolean validate_origin(const char *value, GError **error)
{
	const char *host = NULL;

	if (strcmp(value, "*") == 0)
		return TRUE;
	if (g_str_has_prefix(value, "http://"))
		host = value + 7;
	else if (g_str_has_prefix(value, "https://"))
		host = value + 8;
	if (host && *host && !strpbrk(host, "/ \t,"))
		return TRUE;
	set_invalid(error, "\"%s\" is not * or an origin such as https://host[:port]", value);
	return FALSE;
}

static gboolean validate_stun(const char *value, GError **error)
{
	g_autofree char *host = NULL;
	guint16 port;

	return *value == '\0' || hdmirtc_config_parse_host_port(value, &host, &port, error);
}

static gboolean validate_turn(const char *value, GError **error)
{
	HdmirtcConfigTurnServer server;

	if (!hdmirtc_config_parse_turn_url(value, &server, error))
		return FALSE;
	hdmirtc_config_turn_server_clear(&server);
	return TRUE;
}

static gboolean validate_not_empty(const char *value, GError **error)
{
	if (*value)
		return TRUE;
	set_invalid(error, "must not be empty");
	return FALSE;
}

/* The kernel's dev_valid_name(). */
static gboolean validate_ifname(const char *value, GError **error)
{
	if (strlen(value) > 15 || strcmp(value, ".") == 0 || strcmp(value, "..") == 0 ||
	    strpbrk(value, "/: \t")) {
		set_invalid(error, "\"%s\" is not a network interface name", value);
		return FALSE;
	}
	return TRUE;
}

/* Every string ends up in logs, HTTP headers or SDP: no control characters. */
static gboolean check_text(const char *value, GError **error)
{
	if (!g_utf8_validate(value, -1, NULL)) {
		set_invalid(error, "the value is not valid UTF-8");
		return FALSE;
	}
	for (const char *p = value; *p; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f) {
			set_invalid(error, "the value contains a control character");
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- host:port and TURN URLs ---- */

static gboolean is_host_name(const char *host)
{
	gsize len = strlen(host);

	if (len == 0 || len > 253 || host[0] == '.' || host[0] == '-' || strstr(host, ".."))
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isalnum(host[i]) && !strchr("-._", host[i]))
			return FALSE;
	return TRUE;
}

static gboolean parse_port(const char *text, guint16 *port, GError **error)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(text, 10, 1, 65535, &v, NULL)) {
		set_invalid(error, "port \"%s\" is not a number from 1 to 65535", text);
		return FALSE;
	}
	*port = v;
	return TRUE;
}

/* default_port 0: the port is required. */
static gboolean split_host_port(const char *text, guint16 default_port, char **host, guint16 *port,
                                GError **error)
{
	g_autofree char *h = NULL;
	const char *rest;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		guint8 buf[16];

		if (!end) {
			set_invalid(error, "\"%s\": missing ]", text);
			return FALSE;
		}
		h = g_strndup(text + 1, end - text - 1);
		if (inet_pton(AF_INET6, h, buf) != 1) {
			set_invalid(error, "\"%s\" is not an IPv6 address", h);
			return FALSE;
		}
		rest = end + 1;
	} else {
		rest = strchr(text, ':');
		if (rest && strchr(rest + 1, ':')) {
			set_invalid(error, "\"%s\": write an IPv6 address in brackets: [ADDRESS]:PORT", text);
			return FALSE;
		}
		h = rest ? g_strndup(text, rest - text) : g_strdup(text);
		rest = rest ? rest : text + strlen(text);
		if (!is_host_name(h)) {
			set_invalid(error, "\"%s\": \"%s\" is not a host name or address", text, h);
			return FALSE;
		}
	}
	if (*rest == '\0' && default_port) {
		*port = default_port;
	} else if (*rest != ':') {
		set_invalid(error, "\"%s\": missing port (expected HOST:PORT)", text);
		return FALSE;
	} else if (!parse_port(rest + 1, port, error)) {
		g_prefix_error(error, "\"%s\": ", text);
		return FALSE;
	}
	*host = g_steal_pointer(&h);
	return TRUE;
}

gboolean hdmirtc_config_parse_host_port(const char *text, char **host, guint16 *port, GError **error)
{
	return split_host_port(text, 0, host, port, error);
}

gboolean hdmirtc_config_parse_turn_url(const char *url, HdmirtcConfigTurnServer *server, GError **error)
{
	g_autofree char *hostport = NULL;
	const char *rest, *query;
	gboolean tls;

	memset(server, 0, sizeof(*server));
	tls = g_str_has_prefix(url, "turns:");
	if (!tls && !g_str_has_prefix(url, "turn:")) {
		set_invalid(error, "\"%s\" is not a TURN URL (turn:HOST:PORT or turns:HOST:PORT)", url);
		return FALSE;
	}
	rest = url + (tls ? 6 : 5);
	query = strchr(rest, '?');
	hostport = query ? g_strndup(rest, query - rest) : g_strdup(rest);
	if (!query || strcmp(query, "?transport=udp") == 0) {
		server->transport = tls ? HDMIRTC_CONFIG_TURN_TLS : HDMIRTC_CONFIG_TURN_UDP;
		if (tls && query) {
			set_invalid(error, "\"%s\": TURN over DTLS (turns: with transport=udp) is not supported", url);
			return FALSE;
		}
	} else if (strcmp(query, "?transport=tcp") == 0) {
		server->transport = tls ? HDMIRTC_CONFIG_TURN_TLS : HDMIRTC_CONFIG_TURN_TCP;
	} else {
		set_invalid(error, "\"%s\": the only parameter allowed is ?transport=udp or ?transport=tcp", url);
		return FALSE;
	}
	if (!split_host_port(hostport, tls ? 5349 : 3478, &server->host, &server->port, error)) {
		g_prefix_error(error, "TURN URL \"%s\": ", url);
		return FALSE;
	}
	return TRUE;
}

void hdmirtc_config_turn_server_clear(HdmirtcConfigTurnServer *server)
{
	if (server)
		g_clear_pointer(&server->host, g_free);
}

/* ---- setting one option from text ---- */

static gboolean parse_uint(const Option *opt, const char *text, guint *out, GError **error)
{
	g_autoptr(GError) local = NULL;
	gint64 v;

	if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &v, &local)) {
		if (g_error_matches(local, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
			v = G_MAXINT64;
		else {
			set_invalid(error, "\"%s\" is not an integer", text);
			return FALSE;
		}
	}
	if (v < opt->min || v > opt->max) {
		set_invalid(error, "%s is out of range (%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT ")",
		            text, opt->min, opt->max);
		return FALSE;
	}
	if (opt->multiple > 1 && v % opt->multiple != 0) {
		set_invalid(error, "%s is not a multiple of %u", text, opt->multiple);
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
	set_invalid(error, "\"%s\" is not a boolean (true or false)", text);
	return FALSE;
}

static char *enum_names(const EnumValue *values, const char *separator)
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
	names = enum_names(opt->values, ", ");
	set_invalid(error, "\"%s\" is not one of %s", text, names);
	return FALSE;
}

static gboolean set_list(const Option *opt, HdmirtcConfig *cfg, const char *text, gboolean append,
                         GError **error)
{
	g_auto(GStrv) parts = g_strsplit_set(text, LIST_SEPARATORS, -1);
	char ***list = field(cfg, opt->offset);
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
		return parse_uint(opt, text, field(cfg, part == 1 ? opt->offset : opt->offset2), error);
	dash = strchr(text, '-');
	if (!dash) {
		set_invalid(error, "\"%s\" is not a port range MIN-MAX", text);
		return FALSE;
	}
	low_text = g_strndup(text, dash - text);
	if (!parse_uint(opt, low_text, &low, error) || !parse_uint(opt, dash + 1, &high, error))
		return FALSE;
	if (low > high) {
		set_invalid(error, "\"%s\": the first port is greater than the last", text);
		return FALSE;
	}
	*(guint *)field(cfg, opt->offset) = low;
	*(guint *)field(cfg, opt->offset2) = high;
	return TRUE;
}

static gboolean option_set(const Option *opt, HdmirtcConfig *cfg, const char *text, int part,
                           gboolean append, GError **error)
{
	if (!check_text(text, error))
		return FALSE;
	switch (opt->type) {
	case OPT_STRING:
		if (opt->validate && !opt->validate(text, error))
			return FALSE;
		g_free(*(char **)field(cfg, opt->offset));
		*(char **)field(cfg, opt->offset) = g_strdup(text);
		return TRUE;
	case OPT_UINT:
		return parse_uint(opt, text, field(cfg, opt->offset), error);
	case OPT_BOOL:
		return parse_bool(text, field(cfg, opt->offset), error);
	case OPT_ENUM:
		return parse_enum(opt, text, field(cfg, opt->offset), error);
	case OPT_LIST:
		return set_list(opt, cfg, text, append, error);
	case OPT_PORT_RANGE:
		return set_port_range(opt, cfg, text, part, error);
	}
	g_assert_not_reached();
}

static char *option_format(const Option *opt, const HdmirtcConfig *cfg, int part)
{
	switch (opt->type) {
	case OPT_STRING:
		return g_strdup(*(char **)field(cfg, opt->offset));
	case OPT_UINT:
		return g_strdup_printf("%u", *(guint *)field(cfg, opt->offset));
	case OPT_BOOL:
		return g_strdup(*(gboolean *)field(cfg, opt->offset) ? "true" : "false");
	case OPT_ENUM:
		for (const EnumValue *v = opt->values; v->name; v++)
			if (v->value == *(int *)field(cfg, opt->offset))
				return g_strdup(v->name);
		return g_strdup("");
	case OPT_LIST: {
		char **list = *(char ***)field(cfg, opt->offset);
		return list ? g_strjoinv(",", list) : g_strdup("");
	}
	case OPT_PORT_RANGE:
		return g_strdup_printf("%u", *(guint *)field(cfg, part == 2 ? opt->offset2 : opt->offset));
	}
	g_assert_not_reached();
}

/* "Video width in pixels (160..4096, even; default 1280) [source] width" */
static char *option_describe(const Option *opt, gboolean with_key)
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

/* ---- public: init, clear, dump ---- */

void hdmirtc_config_init(HdmirtcConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (gsize i = 0; i < N_OPTIONS; i++) {
		g_autoptr(GError) error = NULL;

		if (!option_set(&options[i], cfg, options[i].def, 0, FALSE, &error))
			g_error("bad default for [%s] %s: %s", options[i].group, options[i].key, error->message);
	}
	cfg->config_path = g_strdup(DEFAULT_CONFIG_PATH);
}

void hdmirtc_config_clear(HdmirtcConfig *cfg)
{
	if (!cfg)
		return;
	for (gsize i = 0; i < N_OPTIONS; i++) {
		if (options[i].type == OPT_STRING)
			g_free(*(char **)field(cfg, options[i].offset));
		else if (options[i].type == OPT_LIST)
			g_strfreev(*(char ***)field(cfg, options[i].offset));
	}
	g_free(cfg->config_path);
	memset(cfg, 0, sizeof(*cfg));
}

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
		g_autofree char *comment = option_describe(opt, FALSE);
		g_autofree char *line = g_strdup_printf(" --%s: %s", opt->flag, comment);

		g_key_file_set_comment(kf, opt->group, key, line, NULL);
	}
}

char *hdmirtc_config_to_keyfile_text(const HdmirtcConfig *cfg, HdmirtcConfigDumpFlags flags)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	for (gsize i = 0; i < N_OPTIONS; i++) {
		const Option *opt = &options[i];
		g_autofree char *value = option_format(opt, cfg, 1);

		if (opt->secret && *value && (flags & HDMIRTC_CONFIG_DUMP_REDACT_SECRETS)) {
			g_free(value);
			value = g_strdup("(redacted)");
		}
		dump_key(kf, opt, opt->key, value, flags);
		if (opt->key2) {
			g_autofree char *value2 = option_format(opt, cfg, 2);

			dump_key(kf, opt, opt->key2, value2, flags);
		}
	}
	if (!(flags & HDMIRTC_CONFIG_DUMP_NO_COMMENTS))
		g_key_file_set_comment(kf, NULL, NULL,
		                       " hdmirtc " HDMIRTC_VERSION " configuration (see doc/configuration.md)", NULL);
	return g_key_file_to_data(kf, NULL, NULL);
}

static const char *enum_to_string(const EnumValue *values, int value)
{
	for (const EnumValue *v = values; v->name; v++)
		if (v->value == value)
			return v->name;
	return "unknown";
}

const char *hdmirtc_config_source_to_string(HdmirtcConfigSource source)
{
	return enum_to_string(source_values, source);
}

const char *hdmirtc_config_encoder_to_string(HdmirtcConfigEncoder encoder)
{
	return enum_to_string(encoder_values, encoder);
}

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
	char *origin[N_OPTIONS]; /* where the current value came from, for cross-option checks */
	gboolean by_flag[N_OPTIONS]; /* a list option already replaced by a flag: more flags append */
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
	for (gsize i = 0; i < N_OPTIONS; i++)
		g_free(l->origin[i]);
}

static const Option *option_by_flag(const char *flag)
{
	for (gsize i = 0; i < N_OPTIONS; i++)
		if (strcmp(options[i].flag, flag) == 0)
			return &options[i];
	return NULL;
}

static const Option *option_by_key(const char *group, const char *key, int *part)
{
	for (gsize i = 0; i < N_OPTIONS; i++) {
		if (strcmp(options[i].group, group) != 0)
			continue;
		*part = options[i].key2 ? 1 : 0;
		if (strcmp(options[i].key, key) == 0)
			return &options[i];
		*part = 2;
		if (options[i].key2 && strcmp(options[i].key2, key) == 0)
			return &options[i];
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
		for (gsize i = 0; i < G_N_ELEMENTS(aliases); i++) {
			if (strcmp(aliases[i].flag, flag) == 0 ||
			    (name[1] != '-' && flag[0] == aliases[i].short_flag && flag[1] == '\0')) {
				p.opt = option_by_flag(aliases[i].target);
				p.value = g_strdup(aliases[i].value);
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
		  "Configuration file; \"\" = none (default " DEFAULT_CONFIG_PATH ", if it exists)", "PATH" },
		{ "print-config", 0, 0, G_OPTION_ARG_NONE, &l->cfg->print_config,
		  "Print the effective configuration as a configuration file and exit", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &l->cfg->show_version, "Print the version and exit", NULL },
		{ NULL },
	};

	g_option_group_add_entries(group, fixed);
	for (gsize i = 0; i < N_OPTIONS; i++) {
		const Option *opt = &options[i];
		/* FILENAME: raw bytes, so that check_text() reports bad UTF-8
		 * with the option's name (GOption's conversion error has none). */
		GOptionEntry e[2] = { { opt->flag, 0, G_OPTION_FLAG_FILENAME, G_OPTION_ARG_CALLBACK,
		                        (gpointer)on_option, keep(l, option_describe(opt, TRUE)), opt->arg },
		                      { NULL } };

		if (opt->type == OPT_BOOL)
			e[0].flags |= G_OPTION_FLAG_OPTIONAL_ARG;
		if (opt->type == OPT_ENUM)
			e[0].arg_description = keep(l, enum_names(opt->values, "|"));
		g_option_group_add_entries(group, e);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(aliases); i++) {
		GOptionEntry e[2] = { { aliases[i].flag, aliases[i].short_flag, G_OPTION_FLAG_NO_ARG,
		                        G_OPTION_ARG_CALLBACK, (gpointer)on_option, aliases[i].help, NULL },
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
	gsize i = opt - options;

	g_free(l->origin[i]);
	l->origin[i] = origin;
}

static gboolean check_group(const char *path, const char *group, GError **error)
{
	g_autofree char *known = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(groups); i++)
		if (strcmp(groups[i], group) == 0)
			return TRUE;
	known = g_strjoinv(", ", (char **)groups);
	g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_UNKNOWN_GROUP,
	            "%s: unknown group [%s] (known groups: %s)", path, group, known);
	return FALSE;
}

static void set_unknown_key(const char *path, const char *group, const char *key, GError **error)
{
	GString *known = g_string_new(NULL);

	for (gsize i = 0; i < N_OPTIONS; i++) {
		if (strcmp(options[i].group, group) != 0)
			continue;
		g_string_append_printf(known, "%s%s", known->len ? ", " : "", options[i].key);
		if (options[i].key2)
			g_string_append_printf(known, ", %s", options[i].key2);
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

	if (!raw)
		return NULL;
	g_key_file_set_value(kf, group, key, g_strchomp(raw));
	return g_key_file_get_string(kf, group, key, error);
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
		option_set(opt, l->cfg, value, part, FALSE, &local);
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

static gboolean load_file(Loader *l, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
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

static gboolean apply_flags(Loader *l, GError **error)
{
	for (guint i = 0; i < l->pending->len; i++) {
		PendingFlag *p = &g_array_index(l->pending, PendingFlag, i);
		gsize idx = p->opt - options;

		if (!option_set(p->opt, l->cfg, p->value, 0, l->by_flag[idx], error)) {
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
	const char *origin = l->origin[option_by_flag(flag) - options];

	return origin ? origin : "default";
}

static gboolean check_combinations(Loader *l, GError **error)
{
	const HdmirtcConfig *cfg = l->cfg;

	if (cfg->udp_port_min > cfg->udp_port_max) {
		set_invalid(error, "%s: udp-port-min (%u) is greater than udp-port-max (%u)",
		            origin_of(l, "udp-ports"), cfg->udp_port_min, cfg->udp_port_max);
		return FALSE;
	}
	if (*cfg->turn_password && *cfg->turn_secret) {
		set_invalid(error, "%s: turn-password and turn-secret are two ways to authenticate to "
		            "TURN: set one of them", origin_of(l, "turn-secret"));
		return FALSE;
	}
	if (cfg->turn_servers[0] && !*cfg->turn_secret &&
	    (!*cfg->turn_username || !*cfg->turn_password)) {
		set_invalid(error, "%s: TURN servers need turn-username and turn-password (or turn-secret)",
		            origin_of(l, "turn"));
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
