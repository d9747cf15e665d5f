/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDP attributes that may appear at session or media level, read the same
 * way by the offer and the fragment parser: ICE credentials and options, the
 * DTLS fingerprint and setup role, direction, end-of-candidates. */
#include "sdp-private.h"

#include <string.h>

/* ---- attributes shared by session and media level ---- */

void hdmirtc_sdp_level_clear(SdpLevel *l)
{
	g_free(l->ice_ufrag);
	g_free(l->ice_pwd);
	g_free(l->ice_options);
	memset(l, 0, sizeof(*l));
}

gboolean hdmirtc_sdp_set_once(char **field, const char *value, const char *name, guint lineno,
                              GError **error)
{
	if (*field)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "second a=%s at this level", name);
	*field = g_strdup(value);
	return TRUE;
}

static gboolean parse_fingerprint_attr(SdpLevel *l, const char *value, guint lineno, GError **error)
{
	char alg[16];
	guint8 bytes[SDP_FINGERPRINT_MAX_BYTES];
	gsize n;
	const char *why;

	if (!hdmirtc_sdp_fingerprint_parse(value, alg, sizeof(alg), bytes, &n, &why))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "%s", why);
	if (strcmp(alg, "sha-256") != 0)
		return TRUE;    /* valid, but only sha-256 is used (RFC 8122 allows several) */
	if (l->has_sha256)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "second sha-256 a=fingerprint");
	l->has_sha256 = TRUE;
	memcpy(l->sha256, bytes, sizeof(l->sha256));
	return TRUE;
}

static gboolean parse_setup_attr(SdpLevel *l, const char *value, guint lineno, GError **error)
{
	static const char *const names[] = { "actpass", "active", "passive", "holdconn" };

	if (l->setup != HDMIRTC_SDP_SETUP_NONE)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "second a=setup at this level");
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strcmp(value, names[i]) == 0) {
			l->setup = (HdmirtcSdpSetup)(HDMIRTC_SDP_SETUP_ACTPASS + i);
			return TRUE;
		}
	}
	return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=setup:%s is not actpass, active, passive or holdconn",
	            value);
}

/* Handles the attributes both levels share.  Returns 1 handled, 0 not one
 * of them, -1 error. */
int hdmirtc_sdp_parse_level_attr(SdpLevel *l, const char *name, const char *value, guint lineno,
                                 GError **error)
{
	HdmirtcSdpDirection dir;

	if (hdmirtc_sdp_parse_direction(name, &dir)) {
		if (value)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s takes no value", name), -1;
		if (l->has_direction)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "second direction attribute"), -1;
		l->has_direction = TRUE;
		l->direction = dir;
		return 1;
	}
	if (strcmp(name, "end-of-candidates") == 0) {
		l->end_of_candidates = TRUE;
		return 1;
	}
	if (strcmp(name, "ice-ufrag") != 0 && strcmp(name, "ice-pwd") != 0 &&
	    strcmp(name, "ice-options") != 0 && strcmp(name, "fingerprint") != 0 &&
	    strcmp(name, "setup") != 0)
		return 0;
	if (!value)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s needs a value", name), -1;
	if (strcmp(name, "ice-ufrag") == 0) {
		if (!hdmirtc_sdp_ice_chars_valid(value, 4, 256))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=ice-ufrag must be 4..256 ice-chars"), -1;
		return hdmirtc_sdp_set_once(&l->ice_ufrag, value, name, lineno, error) ? 1 : -1;
	}
	if (strcmp(name, "ice-pwd") == 0) {
		if (!hdmirtc_sdp_ice_chars_valid(value, 22, 256))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=ice-pwd must be 22..256 ice-chars"), -1;
		return hdmirtc_sdp_set_once(&l->ice_pwd, value, name, lineno, error) ? 1 : -1;
	}
	if (strcmp(name, "ice-options") == 0)
		return hdmirtc_sdp_set_once(&l->ice_options, value, name, lineno, error) ? 1 : -1;
	if (strcmp(name, "fingerprint") == 0)
		return parse_fingerprint_attr(l, value, lineno, error) ? 1 : -1;
	return parse_setup_attr(l, value, lineno, error) ? 1 : -1;
}

/* Splits "name[:value]" in place; value is NULL without a colon. */
gboolean hdmirtc_sdp_split_attr(char *attr, guint lineno, const char **value, GError **error)
{
	char *colon = strchr(attr, ':');

	if (colon)
		*colon = '\0';
	*value = colon ? colon + 1 : NULL;
	if (!hdmirtc_sdp_token_valid(attr, 1, 64))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad attribute name");
	return TRUE;
}

char *hdmirtc_sdp_level_value(char *media_value, const char *session_value)
{
	return media_value ? g_strdup(media_value) : g_strdup(session_value);
}
