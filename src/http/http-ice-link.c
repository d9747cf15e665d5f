/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Link header values announcing STUN/TURN servers to WHEP clients
 * (RFC 9725 4.6, RFC 8288 for the syntax). */
#include "http-private.h"

#include <string.h>

static gboolean printable(const char *text)
{
	for (const char *p = text; *p; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return FALSE;
	}
	return TRUE;
}

static gboolean url_ok(const char *url)
{
	static const char *const schemes[] = { "stun:", "stuns:", "turn:", "turns:" };
	gboolean scheme = FALSE;

	for (gsize i = 0; i < G_N_ELEMENTS(schemes); i++)
		scheme = scheme || g_ascii_strncasecmp(url, schemes[i], strlen(schemes[i])) == 0;
	return scheme && url[strcspn(url, ":") + 1] != '\0' && printable(url) &&
	       !strpbrk(url, "<>\" ");
}

/* An RFC 9110 quoted-string. */
static void append_quoted(GString *out, const char *text)
{
	g_string_append_c(out, '"');
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

char *hdmirtc_http_format_ice_server_link(const char *url, const char *username,
                                          const char *credential)
{
	GString *out;

	if (!url || !url_ok(url) || (username && !printable(username)) ||
	    (credential && !printable(credential)))
		return NULL;
	out = g_string_new(NULL);
	g_string_append_printf(out, "<%s>; rel=\"ice-server\"", url);
	if (username && credential) {
		g_string_append(out, "; username=");
		append_quoted(out, username);
		g_string_append(out, "; credential=");
		append_quoted(out, credential);
		g_string_append(out, "; credential-type=\"password\"");
	}
	return g_string_free(out, FALSE);
}
