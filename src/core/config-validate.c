/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Checks of single values, with reason-only errors (the caller says where
 * the value came from): the option table's validators, the text check
 * every value goes through, and the host:port and TURN URL parsers that
 * the validators rest on and that the rest of hdmirtc uses as well.  Pure
 * functions, any thread. */
#include "config-private.h"

#include <arpa/inet.h>
#include <string.h>

/* ---- value checks (reason-only errors) ---- */

static gboolean is_ip_literal(const char *value)
{
	guint8 buf[16];

	return inet_pton(AF_INET, value, buf) == 1 || inet_pton(AF_INET6, value, buf) == 1;
}

gboolean hdmirtc_config_validate_ip(const char *value, GError **error)
{
	if (is_ip_literal(value))
		return TRUE;
	hdmirtc_config_set_invalid(error, "\"%s\" is not an IPv4 or IPv6 address", value);
	return FALSE;
}

/* RFC 6750 b64token: it goes into an Authorization header verbatim. */
gboolean hdmirtc_config_validate_token(const char *value, GError **error)
{
	gsize i = 0;

	while (value[i] && (g_ascii_isalnum(value[i]) || strchr("-._~+/", value[i])))
		i++;
	while (value[i] == '=')
		i++;
	if (value[i] == '\0')
		return TRUE;
	hdmirtc_config_set_invalid(error, "the token may contain only letters, digits and -._~+/ "
	                           "(then trailing =)");
	return FALSE;
}

gboolean hdmirtc_config_validate_origin(const char *value, GError **error)
{
	const char *host = NULL;

	if (*value == '\0' || strcmp(value, "*") == 0)
		return TRUE;
	if (g_str_has_prefix(value, "http://"))
		host = value + 7;
	else if (g_str_has_prefix(value, "https://"))
		host = value + 8;
	if (host && *host && !strpbrk(host, "/ \t,"))
		return TRUE;
	hdmirtc_config_set_invalid(error, "\"%s\" is not * or an origin such as https://host[:port]", value);
	return FALSE;
}

gboolean hdmirtc_config_validate_http_url(const char *value, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(value, G_URI_FLAGS_NONE, NULL);
	const char *scheme = uri ? g_uri_get_scheme(uri) : NULL;

	if (uri && g_uri_get_host(uri) && *g_uri_get_host(uri) &&
	    (g_strcmp0(scheme, "http") == 0 || g_strcmp0(scheme, "https") == 0))
		return TRUE;
	hdmirtc_config_set_invalid(error, "\"%s\" is not an http:// or https:// URL", value);
	return FALSE;
}

gboolean hdmirtc_config_validate_http_url_or_empty(const char *value, GError **error)
{
	return *value == '\0' || hdmirtc_config_validate_http_url(value, error);
}

gboolean hdmirtc_config_validate_stun(const char *value, GError **error)
{
	g_autofree char *host = NULL;
	guint16 port;

	return *value == '\0' || hdmirtc_config_parse_host_port(value, &host, &port, error);
}

gboolean hdmirtc_config_validate_turn(const char *value, GError **error)
{
	HdmirtcConfigTurnServer server;

	if (!hdmirtc_config_parse_turn_url(value, &server, error))
		return FALSE;
	hdmirtc_config_turn_server_clear(&server);
	return TRUE;
}

gboolean hdmirtc_config_validate_not_empty(const char *value, GError **error)
{
	if (*value)
		return TRUE;
	hdmirtc_config_set_invalid(error, "must not be empty");
	return FALSE;
}

/* The kernel's dev_valid_name(). */
gboolean hdmirtc_config_validate_ifname(const char *value, GError **error)
{
	if (strlen(value) > 15 || strcmp(value, ".") == 0 || strcmp(value, "..") == 0 ||
	    strpbrk(value, "/: \t")) {
		hdmirtc_config_set_invalid(error, "\"%s\" is not a network interface name", value);
		return FALSE;
	}
	return TRUE;
}

/* Every string ends up in logs, HTTP headers or SDP: no control characters. */
gboolean hdmirtc_config_check_text(const char *value, GError **error)
{
	if (!g_utf8_validate(value, -1, NULL)) {
		hdmirtc_config_set_invalid(error, "the value is not valid UTF-8");
		return FALSE;
	}
	for (const char *p = value; *p; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f) {
			hdmirtc_config_set_invalid(error, "the value contains a control character");
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
		hdmirtc_config_set_invalid(error, "port \"%s\" is not a number from 1 to 65535", text);
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
			hdmirtc_config_set_invalid(error, "\"%s\": missing ]", text);
			return FALSE;
		}
		h = g_strndup(text + 1, end - text - 1);
		if (inet_pton(AF_INET6, h, buf) != 1) {
			hdmirtc_config_set_invalid(error, "\"%s\" is not an IPv6 address", h);
			return FALSE;
		}
		rest = end + 1;
	} else {
		rest = strchr(text, ':');
		if (rest && strchr(rest + 1, ':')) {
			hdmirtc_config_set_invalid(error, "\"%s\": write an IPv6 address in brackets: "
			                           "[ADDRESS]:PORT", text);
			return FALSE;
		}
		h = rest ? g_strndup(text, rest - text) : g_strdup(text);
		rest = rest ? rest : text + strlen(text);
		if (!is_host_name(h)) {
			hdmirtc_config_set_invalid(error, "\"%s\": \"%s\" is not a host name or address", text, h);
			return FALSE;
		}
	}
	if (*rest == '\0' && default_port) {
		*port = default_port;
	} else if (*rest != ':') {
		hdmirtc_config_set_invalid(error, "\"%s\": missing port (expected HOST:PORT)", text);
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
		hdmirtc_config_set_invalid(error, "\"%s\" is not a TURN URL (turn:HOST:PORT or "
		                           "turns:HOST:PORT)", url);
		return FALSE;
	}
	rest = url + (tls ? 6 : 5);
	query = strchr(rest, '?');
	hostport = query ? g_strndup(rest, query - rest) : g_strdup(rest);
	if (!query || strcmp(query, "?transport=udp") == 0) {
		server->transport = tls ? HDMIRTC_CONFIG_TURN_TLS : HDMIRTC_CONFIG_TURN_UDP;
		if (tls && query) {
			hdmirtc_config_set_invalid(error, "\"%s\": TURN over DTLS (turns: with transport=udp) "
			                           "is not supported", url);
			return FALSE;
		}
	} else if (strcmp(query, "?transport=tcp") == 0) {
		server->transport = tls ? HDMIRTC_CONFIG_TURN_TLS : HDMIRTC_CONFIG_TURN_TCP;
	} else {
		hdmirtc_config_set_invalid(error, "\"%s\": the only parameter allowed is ?transport=udp "
		                           "or ?transport=tcp", url);
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
