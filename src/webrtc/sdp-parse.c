/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDP offer and trickle-ICE fragment parser.  The input is untrusted: every
 * line is checked for form (RFC 8866 "x=value", CRLF or LF, printable UTF-8)
 * before any field is read, every number is range-checked, and errors name
 * the line.  What is not needed to answer is skipped, not trusted. */
#include "sdp-private.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(hdmirtc-sdp-error-quark, hdmirtc_sdp_error)

guint hdmirtc_sdp_error_http_status(const GError *error)
{
	if (!error || error->domain != HDMIRTC_SDP_ERROR)
		return 400;
	switch (error->code) {
	case HDMIRTC_SDP_ERROR_TOO_LARGE:
		return 413;
	case HDMIRTC_SDP_ERROR_NO_VIDEO:
	case HDMIRTC_SDP_ERROR_NO_CODEC:
		return 406;
	case HDMIRTC_SDP_ERROR_PARAMS:
		return 500;
	default:
		return 400;
	}
}

#define fail(error, code, lineno, ...) \
	fail_at((error), (code), (lineno), g_strdup_printf(__VA_ARGS__))

static gboolean fail_at(GError **error, int code, guint lineno, char *msg)
{
	if (lineno)
		g_set_error(error, HDMIRTC_SDP_ERROR, code, "line %u: %s", lineno, msg);
	else
		g_set_error_literal(error, HDMIRTC_SDP_ERROR, code, msg);
	g_free(msg);
	return FALSE;
}

/* ---- small validators ---- */

gboolean hdmirtc_sdp_ice_chars_valid(const char *s, gsize min, gsize max)
{
	gsize n = 0;

	for (; s[n]; n++)
		if (!g_ascii_isalnum(s[n]) && s[n] != '+' && s[n] != '/')
			return FALSE;
	return n >= min && n <= max;
}

gboolean hdmirtc_sdp_token_valid(const char *s, gsize min, gsize max)
{
	gsize n = 0;

	for (; s[n]; n++) {
		guchar c = s[n];
		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
			return FALSE;
	}
	return n >= min && n <= max;
}

/* Decimal digits only (no sign, no spaces), value <= max. */
static gboolean parse_uint(const char *s, guint64 max, guint64 *out)
{
	guint64 v = 0;

	if (!*s || strlen(s) > 20)
		return FALSE;
	for (; *s; s++) {
		if (!g_ascii_isdigit(*s))
			return FALSE;
		if (v > (max - (guint64)(*s - '0')) / 10)
			return FALSE;
		v = v * 10 + (guint64)(*s - '0');
	}
	*out = v;
	return TRUE;
}

static const struct {
	const char *name;
	gsize bytes;
} fingerprint_algs[] = {
	{ "sha-1", 20 }, { "sha-224", 28 }, { "sha-256", 32 }, { "sha-384", 48 },
	{ "sha-512", 64 }, { "md5", 16 }, { "md2", 16 },
};

gboolean hdmirtc_sdp_fingerprint_parse(const char *value, char *alg, gsize alg_size,
                                       guint8 out[SDP_FINGERPRINT_MAX_BYTES], gsize *n_bytes,
                                       const char **why)
{
	const char *sp = strchr(value, ' ');
	const char *p;
	gsize n = 0, alg_len;

	if (!sp || sp == value || (alg_len = (gsize)(sp - value)) >= alg_size) {
		*why = "a=fingerprint needs \"<hash-function> <hex bytes>\"";
		return FALSE;
	}
	for (gsize i = 0; i < alg_len; i++)
		alg[i] = g_ascii_tolower(value[i]);
	alg[alg_len] = '\0';
	if (!hdmirtc_sdp_token_valid(alg, 1, alg_size - 1)) {
		*why = "bad a=fingerprint hash function name";
		return FALSE;
	}
	for (p = sp + 1;; p += 3) {
		if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]) || n == SDP_FINGERPRINT_MAX_BYTES) {
			*why = "a=fingerprint value is not colon-separated hex bytes";
			return FALSE;
		}
		out[n++] = (guint8)(g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]));
		if (p[2] == '\0')
			break;
		if (p[2] != ':') {
			*why = "a=fingerprint value is not colon-separated hex bytes";
			return FALSE;
		}
	}
	for (gsize i = 0; i < G_N_ELEMENTS(fingerprint_algs); i++) {
		if (strcmp(alg, fingerprint_algs[i].name) == 0 && n != fingerprint_algs[i].bytes) {
			*why = "a=fingerprint has the wrong number of bytes for its hash function";
			return FALSE;
		}
	}
	*n_bytes = n;
	return TRUE;
}

/* ---- line reader ---- */

typedef struct {
	const char *pos;
	const char *end;
	guint lineno;
	char type;
	char value[HDMIRTC_SDP_MAX_LINE + 1];
} SdpReader;

static gboolean reader_init(SdpReader *r, const char *text, gsize len, GError **error)
{
	const char *nul;

	if (len > HDMIRTC_SDP_MAX_SIZE)
		return fail(error, HDMIRTC_SDP_ERROR_TOO_LARGE, 0,
		            "SDP is %" G_GSIZE_FORMAT " bytes, more than %d", len, HDMIRTC_SDP_MAX_SIZE);
	if (len == 0 || !text)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, 0, "SDP is empty");
	nul = memchr(text, '\0', len);
	if (nul) {
		guint lineno = 1;
		for (const char *p = text; p < nul; p++)
			lineno += *p == '\n';
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "NUL byte");
	}
	r->pos = text;
	r->end = text + len;
	r->lineno = 0;
	return TRUE;
}

static gboolean only_line_ends(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\r' && *p != '\n')
			return FALSE;
	return TRUE;
}

static gboolean check_value(const SdpReader *r, gsize n, GError **error)
{
	for (gsize i = 0; i < n; i++) {
		guchar c = (guchar)r->value[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, r->lineno,
			            "control character 0x%02x at column %" G_GSIZE_FORMAT, c, i + 3);
	}
	if (!g_utf8_validate(r->value, (gssize)n, NULL))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, r->lineno, "not valid UTF-8");
	return TRUE;
}

/* Returns 1 with r->type and r->value set, 0 at the end, -1 on error.
 * Trailing empty lines are tolerated; other empty lines are not. */
static int reader_next(SdpReader *r, GError **error)
{
	const char *nl;
	gsize n;

	if (r->pos >= r->end || (r->lineno > 0 && only_line_ends(r->pos, r->end)))
		return 0;
	r->lineno++;
	nl = memchr(r->pos, '\n', (gsize)(r->end - r->pos));
	if (!nl)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, r->lineno, "no line ending (truncated?)"), -1;
	n = (gsize)(nl - r->pos);
	if (n > 0 && nl[-1] == '\r')
		n--;
	if (n > HDMIRTC_SDP_MAX_LINE)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, r->lineno, "line longer than %d bytes",
		            HDMIRTC_SDP_MAX_LINE), -1;
	if (n == 0)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, r->lineno, "empty line"), -1;
	if (n < 2 || !g_ascii_islower(r->pos[0]) || r->pos[1] != '=')
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, r->lineno, "not an \"x=value\" line"), -1;
	r->type = r->pos[0];
	memcpy(r->value, r->pos + 2, n - 2);
	r->value[n - 2] = '\0';
	r->pos = nl + 1;
	return check_value(r, n - 2, error) ? 1 : -1;
}

/* ---- shared line parsers ---- */

/* Splits on single spaces; refuses empty fields. */
static char **split_fields(const char *value, guint lineno, guint min_fields, const char *what,
                           GError **error)
{
	char **f = g_strsplit(value, " ", -1);
	guint n = g_strv_length(f);

	for (guint i = 0; i < n; i++) {
		if (!*f[i]) {
			fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "%s: empty field (stray space?)", what);
			g_strfreev(f);
			return NULL;
		}
	}
	if (n < min_fields) {
		fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "%s needs at least %u fields", what, min_fields);
		g_strfreev(f);
		return NULL;
	}
	return f;
}

typedef struct {
	char *media;
	guint port;
	char *proto;
	gboolean is_rtp;
	GPtrArray *formats;
} SdpMLine;

static void mline_clear(SdpMLine *m)
{
	g_free(m->media);
	g_free(m->proto);
	if (m->formats)
		g_ptr_array_unref(m->formats);
	memset(m, 0, sizeof(*m));
}

static gboolean parse_rtp_formats(SdpMLine *m, guint lineno, GError **error)
{
	guint64 seen[2] = { 0, 0 };

	for (guint i = 0; i < m->formats->len; i++) {
		guint64 pt;
		if (!parse_uint(m->formats->pdata[i], 127, &pt))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "payload type \"%s\" is not 0..127",
			            (char *)m->formats->pdata[i]);
		if (seen[pt / 64] & (G_GUINT64_CONSTANT(1) << (pt % 64)))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "payload type %u listed twice",
			            (guint)pt);
		seen[pt / 64] |= G_GUINT64_CONSTANT(1) << (pt % 64);
	}
	return TRUE;
}

/* "m=<media> <port>[/<count>] <proto> <fmt> ..." */
static gboolean parse_mline(const char *value, guint lineno, SdpMLine *m, GError **error)
{
	g_auto(GStrv) f = split_fields(value, lineno, 4, "m= line", error);
	char *slash;
	guint64 port, count;

	if (!f)
		return FALSE;
	slash = strchr(f[1], '/');
	if (slash)
		*slash = '\0';
	if (!parse_uint(f[1], 65535, &port) || (slash && !parse_uint(slash + 1, 65535, &count)))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad port in m= line");
	if (!hdmirtc_sdp_token_valid(f[0], 1, 32))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad media type in m= line");
	for (const char *p = f[2]; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("/-_.", *p))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad protocol in m= line");
	m->media = g_strdup(f[0]);
	m->port = (guint)port;
	m->proto = g_strdup(f[2]);
	m->is_rtp = g_str_has_prefix(f[2], "RTP/") || strstr(f[2], "/RTP/") != NULL;
	m->formats = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 3; f[i]; i++) {
		if (!hdmirtc_sdp_token_valid(f[i], 1, 64))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad format in m= line");
		g_ptr_array_add(m->formats, g_strdup(f[i]));
	}
	return !m->is_rtp || parse_rtp_formats(m, lineno, error);
}

/* "candidate:<foundation> <component> <transport> <priority> <address> <port>
 * typ <type> [<name> <value>]..." (RFC 8839 section 5.1); returns a copy
 * prefixed with "candidate:". */
static char *parse_candidate(const char *value, guint lineno, GError **error)
{
	g_auto(GStrv) f = split_fields(value, lineno, 8, "a=candidate", error);
	guint64 v;

	if (!f)
		return NULL;
	if (!hdmirtc_sdp_ice_chars_valid(f[0], 1, 32))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate foundation"), NULL;
	if (!parse_uint(f[1], 256, &v) || v == 0)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate component id"), NULL;
	if (!hdmirtc_sdp_token_valid(f[2], 1, 16))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate transport"), NULL;
	if (!parse_uint(f[3], G_MAXUINT32, &v))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate priority"), NULL;
	if (!hdmirtc_sdp_token_valid(f[4], 1, 255) && strchr(f[4], ':') == NULL)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate address"), NULL;
	if (!parse_uint(f[5], 65535, &v))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate port"), NULL;
	if (strcmp(f[6], "typ") != 0 || !hdmirtc_sdp_token_valid(f[7], 1, 16))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "candidate lacks \"typ <type>\""), NULL;
	return g_strconcat("candidate:", value, NULL);
}

static gboolean parse_direction(const char *name, HdmirtcSdpDirection *dir)
{
	static const char *const names[] = { "sendrecv", "recvonly", "sendonly", "inactive" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strcmp(name, names[i]) == 0) {
			*dir = (HdmirtcSdpDirection)i;
			return TRUE;
		}
	}
	return FALSE;
}

/* ---- attributes shared by session and media level ---- */

typedef struct {
	char *ice_ufrag;
	char *ice_pwd;
	char *ice_options;
	gboolean has_sha256;
	guint8 sha256[32];
	HdmirtcSdpSetup setup;
	gboolean has_direction;
	HdmirtcSdpDirection direction;
	gboolean end_of_candidates;
} SdpLevel;

static void level_clear(SdpLevel *l)
{
	g_free(l->ice_ufrag);
	g_free(l->ice_pwd);
	g_free(l->ice_options);
	memset(l, 0, sizeof(*l));
}

static gboolean set_once(char **field, const char *value, const char *name, guint lineno,
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
static int parse_level_attr(SdpLevel *l, const char *name, const char *value, guint lineno,
                            GError **error)
{
	HdmirtcSdpDirection dir;

	if (parse_direction(name, &dir)) {
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
		return set_once(&l->ice_ufrag, value, name, lineno, error) ? 1 : -1;
	}
	if (strcmp(name, "ice-pwd") == 0) {
		if (!hdmirtc_sdp_ice_chars_valid(value, 22, 256))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=ice-pwd must be 22..256 ice-chars"), -1;
		return set_once(&l->ice_pwd, value, name, lineno, error) ? 1 : -1;
	}
	if (strcmp(name, "ice-options") == 0)
		return set_once(&l->ice_options, value, name, lineno, error) ? 1 : -1;
	if (strcmp(name, "fingerprint") == 0)
		return parse_fingerprint_attr(l, value, lineno, error) ? 1 : -1;
	return parse_setup_attr(l, value, lineno, error) ? 1 : -1;
}

/* Splits "name[:value]" in place; value is NULL without a colon. */
static gboolean split_attr(char *attr, guint lineno, const char **value, GError **error)
{
	char *colon = strchr(attr, ':');

	if (colon)
		*colon = '\0';
	*value = colon ? colon + 1 : NULL;
	if (!hdmirtc_sdp_token_valid(attr, 1, 64))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad attribute name");
	return TRUE;
}

/* ---- offer: m= sections ---- */

typedef struct {
	HdmirtcSdpOffer *offer;
	HdmirtcSdpMedia *cur;           /* NULL at session level */
	SdpLevel session;
	SdpLevel media;
	gboolean seen_o, seen_s, seen_t;
} OfferParser;

static void payload_clear(gpointer data)
{
	HdmirtcSdpPayload *pl = data;

	g_free(pl->encoding);
	g_free(pl->fmtp);
}

static void extmap_clear(gpointer data)
{
	g_free(((HdmirtcSdpExtmap *)data)->uri);
}

static void media_free(gpointer data)
{
	HdmirtcSdpMedia *m = data;

	g_free(m->media);
	g_free(m->proto);
	g_ptr_array_unref(m->formats);
	g_free(m->mid);
	g_free(m->ice_ufrag);
	g_free(m->ice_pwd);
	g_free(m->ice_options);
	g_array_unref(m->payloads);
	g_array_unref(m->extmaps);
	g_ptr_array_unref(m->candidates);
	g_free(m);
}

void hdmirtc_sdp_offer_free(HdmirtcSdpOffer *offer)
{
	if (!offer)
		return;
	g_free(offer->origin_session_id);
	g_free(offer->origin_session_version);
	g_ptr_array_unref(offer->bundle_groups);
	g_ptr_array_unref(offer->media);
	g_free(offer);
}

const HdmirtcSdpPayload *hdmirtc_sdp_media_find_payload(const HdmirtcSdpMedia *media, guint pt)
{
	for (guint i = 0; i < media->payloads->len; i++) {
		const HdmirtcSdpPayload *pl = &g_array_index(media->payloads, HdmirtcSdpPayload, i);
		if (pl->pt == pt)
			return pl;
	}
	return NULL;
}

static HdmirtcSdpMediaType media_type(const char *media)
{
	if (strcmp(media, "video") == 0)
		return HDMIRTC_SDP_MEDIA_VIDEO;
	if (strcmp(media, "audio") == 0)
		return HDMIRTC_SDP_MEDIA_AUDIO;
	if (strcmp(media, "application") == 0)
		return HDMIRTC_SDP_MEDIA_APPLICATION;
	return HDMIRTC_SDP_MEDIA_OTHER;
}

static HdmirtcSdpMedia *media_new(SdpMLine *ml, guint lineno)
{
	HdmirtcSdpMedia *m = g_new0(HdmirtcSdpMedia, 1);

	m->line = lineno;
	m->media = g_steal_pointer(&ml->media);
	m->type = media_type(m->media);
	m->port = ml->port;
	m->proto = g_steal_pointer(&ml->proto);
	m->is_rtp = ml->is_rtp;
	m->formats = g_steal_pointer(&ml->formats);
	m->payloads = g_array_new(FALSE, TRUE, sizeof(HdmirtcSdpPayload));
	g_array_set_clear_func(m->payloads, payload_clear);
	m->extmaps = g_array_new(FALSE, TRUE, sizeof(HdmirtcSdpExtmap));
	g_array_set_clear_func(m->extmaps, extmap_clear);
	m->candidates = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; m->is_rtp && i < m->formats->len; i++) {
		HdmirtcSdpPayload pl = { .pt = (guint8)atoi(m->formats->pdata[i]), .apt = -1 };
		g_array_append_val(m->payloads, pl);
	}
	return m;
}

/* The payload a media attribute names by its leading "<pt> "; NULL (and no
 * error) when the m= line does not list it: such lines are ignored. */
static HdmirtcSdpPayload *attr_payload(HdmirtcSdpMedia *m, const char *value, const char **rest,
                                       const char *name, guint lineno, GError **error)
{
	const char *sp = strchr(value, ' ');
	char num[4];
	guint64 pt;

	*rest = NULL;
	if (!sp || sp == value || (gsize)(sp - value) >= sizeof(num))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s needs \"<payload type> ...\"", name), NULL;
	memcpy(num, value, (gsize)(sp - value));
	num[sp - value] = '\0';
	if (!parse_uint(num, 127, &pt))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s: bad payload type", name), NULL;
	*rest = sp + 1;
	return (HdmirtcSdpPayload *)hdmirtc_sdp_media_find_payload(m, (guint)pt);
}

/* "<pt> <encoding>/<clock rate>[/<channels>]" */
static gboolean parse_rtpmap(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error)
{
	const char *rest;
	HdmirtcSdpPayload *pl = attr_payload(m, value, &rest, "rtpmap", lineno, error);
	g_auto(GStrv) f = NULL;
	guint64 clock, channels = 0;
	guint n;

	if (!rest)
		return FALSE;
	f = g_strsplit(rest, "/", -1);
	n = g_strv_length(f);
	if (n < 2 || n > 3 || !hdmirtc_sdp_token_valid(f[0], 1, 32) ||
	    !parse_uint(f[1], G_MAXUINT32, &clock) || clock == 0 ||
	    (n == 3 && (!parse_uint(f[2], 255, &channels) || channels == 0)))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno,
		            "a=rtpmap needs \"<pt> <encoding>/<clock rate>[/<channels>]\"");
	if (!pl)
		return TRUE;
	if (pl->has_rtpmap)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "second a=rtpmap for payload type %u", pl->pt);
	pl->has_rtpmap = TRUE;
	pl->encoding = g_strdup(f[0]);
	pl->clock_rate = (guint32)clock;
	pl->channels = (guint)channels;
	return TRUE;
}

static gboolean parse_fmtp(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error)
{
	const char *rest;
	HdmirtcSdpPayload *pl = attr_payload(m, value, &rest, "fmtp", lineno, error);

	if (!rest)
		return FALSE;
	if (!pl)
		return TRUE;
	if (pl->fmtp)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "second a=fmtp for payload type %u", pl->pt);
	pl->fmtp = g_strdup(rest);
	pl->fmtp_line = lineno;
	return TRUE;
}

static guint feedback_bit(const char *fb)
{
	static const struct {
		const char *name;
		guint bit;
	} known[] = {
		{ "nack", HDMIRTC_SDP_FB_NACK }, { "nack pli", HDMIRTC_SDP_FB_NACK_PLI },
		{ "ccm fir", HDMIRTC_SDP_FB_CCM_FIR }, { "goog-remb", HDMIRTC_SDP_FB_GOOG_REMB },
		{ "transport-cc", HDMIRTC_SDP_FB_TRANSPORT_CC },
	};

	for (guint i = 0; i < G_N_ELEMENTS(known); i++)
		if (strcmp(fb, known[i].name) == 0)
			return known[i].bit;
	return 0;
}

/* "<pt>|* <type>[ <subtype>...]" (RFC 4585) */
static gboolean parse_rtcp_fb(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error)
{
	const char *rest;
	HdmirtcSdpPayload *pl = NULL;
	guint bit;

	if (g_str_has_prefix(value, "* ")) {
		rest = value + 2;
	} else {
		pl = attr_payload(m, value, &rest, "rtcp-fb", lineno, error);
		if (!rest)
			return FALSE;
	}
	if (!*rest || *rest == ' ')
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=rtcp-fb has no feedback type");
	bit = feedback_bit(rest);
	if (pl) {
		pl->feedback |= bit;
	} else if (value[0] == '*') {
		for (guint i = 0; i < m->payloads->len; i++)
			g_array_index(m->payloads, HdmirtcSdpPayload, i).feedback |= bit;
	}
	return TRUE;
}

/* "<id>[/<direction>] <uri>[ <attributes>]" (RFC 8285); at session level
 * only checked. */
static gboolean parse_extmap(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error)
{
	g_auto(GStrv) f = split_fields(value, lineno, 2, "a=extmap", error);
	HdmirtcSdpExtmap ext = { 0 };
	char *slash;
	guint64 id;

	if (!f)
		return FALSE;
	slash = strchr(f[0], '/');
	if (slash) {
		*slash = '\0';
		if (!parse_direction(slash + 1, &ext.direction))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=extmap: bad direction");
		ext.has_direction = TRUE;
	}
	if (!parse_uint(f[0], 255, &id) || id == 0 || id == 15)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=extmap id must be 1..14 or 16..255");
	if (!hdmirtc_sdp_token_valid(f[1], 1, 255) && !strchr(f[1], ':'))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=extmap: bad URI");
	for (guint i = 0; m && i < m->extmaps->len; i++)
		if (g_array_index(m->extmaps, HdmirtcSdpExtmap, i).id == id)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=extmap id %u used twice", (guint)id);
	if (!m)
		return TRUE;
	ext.id = (guint)id;
	ext.uri = g_strdup(f[1]);
	g_array_append_val(m->extmaps, ext);
	return TRUE;
}

static gboolean parse_mid(OfferParser *p, const char *value, guint lineno, GError **error)
{
	if (!hdmirtc_sdp_token_valid(value, 1, 32))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=mid must be 1..32 token characters");
	for (guint i = 0; i < p->offer->media->len; i++) {
		const HdmirtcSdpMedia *m = p->offer->media->pdata[i];
		if (m->mid && strcmp(m->mid, value) == 0)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=mid:%s used twice", value);
	}
	return set_once(&p->cur->mid, value, "mid", lineno, error);
}

static gboolean set_flag(gboolean *flag, const char *name, const char *value, guint lineno,
                         GError **error)
{
	if (value)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s takes no value", name);
	*flag = TRUE;
	return TRUE;
}

static gboolean parse_media_attr(OfferParser *p, const char *name, const char *value, guint lineno,
                                 GError **error)
{
	HdmirtcSdpMedia *m = p->cur;
	char *cand;

	if (strcmp(name, "rtcp-mux") == 0)
		return set_flag(&m->rtcp_mux, name, value, lineno, error);
	if (strcmp(name, "rtcp-rsize") == 0)
		return set_flag(&m->rtcp_rsize, name, value, lineno, error);
	if (strcmp(name, "bundle-only") == 0)
		return set_flag(&m->bundle_only, name, value, lineno, error);
	if (strcmp(name, "group") == 0)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=group is a session-level attribute");
	if (strcmp(name, "mid") != 0 && strcmp(name, "candidate") != 0 && strcmp(name, "extmap") != 0 &&
	    (!m->is_rtp || (strcmp(name, "rtpmap") != 0 && strcmp(name, "fmtp") != 0 &&
	                    strcmp(name, "rtcp-fb") != 0)))
		return TRUE;    /* ssrc, msid, rtcp, sctp-port...: not needed to answer */
	if (!value)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s needs a value", name);
	if (strcmp(name, "mid") == 0)
		return parse_mid(p, value, lineno, error);
	if (strcmp(name, "extmap") == 0)
		return parse_extmap(m, value, lineno, error);
	if (strcmp(name, "rtpmap") == 0)
		return parse_rtpmap(m, value, lineno, error);
	if (strcmp(name, "fmtp") == 0)
		return parse_fmtp(m, value, lineno, error);
	if (strcmp(name, "rtcp-fb") == 0)
		return parse_rtcp_fb(m, value, lineno, error);
	cand = parse_candidate(value, lineno, error);
	if (!cand)
		return FALSE;
	g_ptr_array_add(m->candidates, cand);
	return TRUE;
}

/* "a=group:BUNDLE <mid>..."; other semantics are skipped. */
static gboolean parse_group(OfferParser *p, const char *value, guint lineno, GError **error)
{
	g_auto(GStrv) f = NULL;
	GPtrArray *mids;

	if (!value)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=group needs a value");
	if (strcmp(value, "BUNDLE") != 0 && !g_str_has_prefix(value, "BUNDLE "))
		return TRUE;
	f = g_strsplit(value + strlen("BUNDLE"), " ", -1);
	mids = g_ptr_array_new_with_free_func(g_free);
	/* f[0] is the empty string before the first space, if any */
	for (guint i = 1; f[0] && f[i]; i++) {
		if (!*f[i] && !f[i + 1])
			break;  /* "a=group:BUNDLE 0 " */
		if (!hdmirtc_sdp_token_valid(f[i], 1, 32)) {
			g_ptr_array_unref(mids);
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=group:BUNDLE: bad mid");
		}
		g_ptr_array_add(mids, g_strdup(f[i]));
	}
	g_ptr_array_add(mids, NULL);
	g_ptr_array_add(p->offer->bundle_groups, g_ptr_array_free(mids, FALSE));
	return TRUE;
}

static gboolean parse_attr_line(OfferParser *p, char *attr, guint lineno, GError **error)
{
	const char *value;
	int r;

	if (!split_attr(attr, lineno, &value, error))
		return FALSE;
	r = parse_level_attr(p->cur ? &p->media : &p->session, attr, value, lineno, error);
	if (r != 0)
		return r > 0;
	if (p->cur)
		return parse_media_attr(p, attr, value, lineno, error);
	if (strcmp(attr, "group") == 0)
		return parse_group(p, value, lineno, error);
	if (strcmp(attr, "extmap") == 0)
		return value ? parse_extmap(NULL, value, lineno, error)
		             : fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=extmap needs a value");
	if (strcmp(attr, "mid") == 0 || strcmp(attr, "candidate") == 0 || strcmp(attr, "rtpmap") == 0 ||
	    strcmp(attr, "fmtp") == 0 || strcmp(attr, "rtcp-fb") == 0 || strcmp(attr, "rtcp-mux") == 0)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s before any m= line", attr);
	return TRUE;
}

/* ---- offer: codec parameters, read once the section is complete (Firefox
 * writes a=fmtp before a=rtpmap) ---- */

static gboolean parse_h264_param(HdmirtcSdpPayload *pl, const char *key, const char *val)
{
	if (g_ascii_strcasecmp(key, "profile-level-id") == 0) {
		if (strlen(val) != 6)
			return FALSE;
		for (guint i = 0; i < 6; i++) {
			if (!g_ascii_isxdigit(val[i]))
				return FALSE;
			pl->profile_level_id[i] = g_ascii_tolower(val[i]);
		}
		return TRUE;
	}
	if (g_ascii_strcasecmp(key, "packetization-mode") == 0) {
		if (strlen(val) != 1 || val[0] < '0' || val[0] > '2')
			return FALSE;
		pl->packetization_mode = (guint)(val[0] - '0');
		return TRUE;
	}
	if (g_ascii_strcasecmp(key, "level-asymmetry-allowed") == 0) {
		if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0)
			return FALSE;
		pl->level_asymmetry_allowed = val[0] == '1';
	}
	return TRUE;
}

/* "key=value;key=value" with optional spaces after ';' (RFC 6184 style). */
static gboolean parse_codec_params(HdmirtcSdpPayload *pl, gboolean h264, GError **error)
{
	g_auto(GStrv) params = g_strsplit(pl->fmtp, ";", -1);

	for (guint i = 0; params[i]; i++) {
		char *kv = g_strstrip(params[i]);
		char *eq = strchr(kv, '=');
		guint64 apt;
		gboolean ok;

		if (!*kv && !params[i + 1])
			break;  /* trailing ';' */
		if (!eq || eq == kv)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, pl->fmtp_line,
			            "a=fmtp:%u: \"%s\" is not key=value", pl->pt, kv);
		*eq = '\0';
		if (h264) {
			ok = parse_h264_param(pl, kv, eq + 1);
		} else {
			ok = parse_uint(eq + 1, 127, &apt);
			pl->apt = ok ? (gint)apt : -1;
		}
		if (!ok)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, pl->fmtp_line, "a=fmtp:%u: bad %s", pl->pt, kv);
	}
	return TRUE;
}

static gboolean finish_payloads(HdmirtcSdpMedia *m, GError **error)
{
	for (guint i = 0; i < m->payloads->len; i++) {
		HdmirtcSdpPayload *pl = &g_array_index(m->payloads, HdmirtcSdpPayload, i);
		gboolean h264 = pl->encoding && g_ascii_strcasecmp(pl->encoding, "H264") == 0;
		gboolean rtx = pl->encoding && g_ascii_strcasecmp(pl->encoding, "rtx") == 0;

		if (h264)
			memcpy(pl->profile_level_id, "420010", 7);     /* RFC 6184 default */
		if (pl->fmtp && (h264 || (rtx && g_str_has_prefix(pl->fmtp, "apt="))) &&
		    !parse_codec_params(pl, h264, error))
			return FALSE;
	}
	return TRUE;
}

static char *level_value(char *media_value, const char *session_value)
{
	return media_value ? g_strdup(media_value) : g_strdup(session_value);
}

static gboolean finish_media(OfferParser *p, GError **error)
{
	HdmirtcSdpMedia *m = p->cur;
	const SdpLevel *s = &p->session, *l = &p->media;

	if (!m)
		return TRUE;
	m->ice_ufrag = level_value(l->ice_ufrag, s->ice_ufrag);
	m->ice_pwd = level_value(l->ice_pwd, s->ice_pwd);
	m->ice_options = level_value(l->ice_options, s->ice_options);
	m->has_sha256_fingerprint = l->has_sha256 || s->has_sha256;
	memcpy(m->fingerprint_sha256, l->has_sha256 ? l->sha256 : s->sha256, 32);
	m->setup = l->setup != HDMIRTC_SDP_SETUP_NONE ? l->setup : s->setup;
	m->direction = l->has_direction ? l->direction : s->direction;
	m->end_of_candidates = l->end_of_candidates || s->end_of_candidates;
	level_clear(&p->media);
	p->cur = NULL;
	return finish_payloads(m, error);
}

/* ---- offer: lines ---- */

/* "o=<username> <sess-id> <sess-version> IN <addrtype> <address>" */
static gboolean parse_origin(OfferParser *p, const char *value, guint lineno, GError **error)
{
	g_auto(GStrv) f = split_fields(value, lineno, 6, "o= line", error);
	guint64 v;

	if (!f)
		return FALSE;
	if (p->seen_o)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "second o= line");
	if (f[6] || strspn(f[1], "0123456789") != strlen(f[1]) || strlen(f[1]) > 20 ||
	    !parse_uint(f[2], G_MAXUINT64, &v) || strcmp(f[3], "IN") != 0)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno,
		            "o= line must be \"<user> <sess-id> <version> IN <addrtype> <address>\"");
	p->seen_o = TRUE;
	p->offer->origin_session_id = g_strdup(f[1]);
	p->offer->origin_session_version = g_strdup(f[2]);
	return TRUE;
}

/* "t=<start> <stop>" and "c=IN <addrtype> <address>" */
static gboolean parse_time_or_conn(OfferParser *p, char type, const char *value, guint lineno,
                                   GError **error)
{
	g_auto(GStrv) f = split_fields(value, lineno, type == 't' ? 2 : 3, type == 't' ? "t= line" : "c= line",
	                               error);
	guint64 v;

	if (!f)
		return FALSE;
	if (type == 'c') {
		if (f[3] || strcmp(f[0], "IN") != 0 || (strcmp(f[1], "IP4") != 0 && strcmp(f[1], "IP6") != 0))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "c= line must be \"IN IP4|IP6 <address>\"");
		return TRUE;
	}
	if (p->cur)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "t= line inside an m= section");
	if (f[2] || !parse_uint(f[0], G_MAXUINT64, &v) || !parse_uint(f[1], G_MAXUINT64, &v))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "t= line must be \"<start> <stop>\"");
	p->seen_t = TRUE;
	return TRUE;
}

static gboolean check_session_complete(OfferParser *p, guint lineno, GError **error)
{
	const char *missing = !p->seen_o ? "o=" : !p->seen_s ? "s=" : !p->seen_t ? "t=" : NULL;

	if (missing)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "session description has no %s line before this",
		            missing);
	return TRUE;
}

static gboolean start_media(OfferParser *p, const char *value, guint lineno, GError **error)
{
	SdpMLine ml = { 0 };

	if (!check_session_complete(p, lineno, error) || !finish_media(p, error))
		return FALSE;
	if (p->offer->media->len >= HDMIRTC_SDP_MAX_MEDIA)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "more than %d m= sections", HDMIRTC_SDP_MAX_MEDIA);
	if (!parse_mline(value, lineno, &ml, error)) {
		mline_clear(&ml);
		return FALSE;
	}
	p->cur = media_new(&ml, lineno);
	g_ptr_array_add(p->offer->media, p->cur);
	return TRUE;
}

static gboolean parse_offer_line(OfferParser *p, SdpReader *r, GError **error)
{
	guint n = r->lineno;

	if (n == 1 && (r->type != 'v' || strcmp(r->value, "0") != 0))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, n, "the first line must be v=0");
	switch (r->type) {
	case 'v':
		return n == 1 || fail(error, HDMIRTC_SDP_ERROR_PARSE, n, "second v= line");
	case 'o':
		return !p->cur ? parse_origin(p, r->value, n, error)
		               : fail(error, HDMIRTC_SDP_ERROR_PARSE, n, "o= line inside an m= section");
	case 's':
		if (p->cur || p->seen_s)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, n, "misplaced or second s= line");
		p->seen_s = TRUE;
		return TRUE;
	case 't':
	case 'c':
		return parse_time_or_conn(p, r->type, r->value, n, error);
	case 'm':
		return start_media(p, r->value, n, error);
	case 'a':
		return parse_attr_line(p, r->value, n, error);
	case 'i': case 'u': case 'e': case 'p': case 'b': case 'r': case 'z': case 'k':
		return TRUE;    /* valid SDP that an answer does not need */
	default:
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, n, "unknown line type \"%c=\"", r->type);
	}
}

HdmirtcSdpOffer *hdmirtc_sdp_offer_parse(const char *text, gsize len, GError **error)
{
	SdpReader *r = g_new(SdpReader, 1);
	OfferParser p = { 0 };
	int more = -1;

	p.offer = g_new0(HdmirtcSdpOffer, 1);
	p.offer->bundle_groups = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	p.offer->media = g_ptr_array_new_with_free_func(media_free);
	if (reader_init(r, text, len, error)) {
		while ((more = reader_next(r, error)) > 0)
			if (!parse_offer_line(&p, r, error))
				break;
	}
	if (more == 0 && (!finish_media(&p, error) || !check_session_complete(&p, r->lineno, error)))
		more = -1;
	level_clear(&p.session);
	level_clear(&p.media);
	g_free(r);
	if (more != 0)
		g_clear_pointer(&p.offer, hdmirtc_sdp_offer_free);
	return p.offer;
}

/* ---- trickle-ICE fragments (RFC 8840) ---- */

typedef struct {
	HdmirtcSdpFrag *frag;
	HdmirtcSdpFragMedia *cur;
	SdpLevel session;
	SdpLevel media;
} FragParser;

static void frag_media_free(gpointer data)
{
	HdmirtcSdpFragMedia *m = data;

	g_free(m->mid);
	g_free(m->ice_ufrag);
	g_free(m->ice_pwd);
	g_ptr_array_unref(m->candidates);
	g_free(m);
}

void hdmirtc_sdp_frag_free(HdmirtcSdpFrag *frag)
{
	if (!frag)
		return;
	g_free(frag->ice_ufrag);
	g_free(frag->ice_pwd);
	g_free(frag->ice_options);
	g_ptr_array_unref(frag->media);
	g_free(frag);
}

static gboolean check_credentials(const char *ufrag, const char *pwd, guint lineno, GError **error)
{
	if (!ufrag != !pwd)
		return fail(error, HDMIRTC_SDP_ERROR_INVALID, lineno, "a=%s without a=%s",
		            ufrag ? "ice-ufrag" : "ice-pwd", ufrag ? "ice-pwd" : "ice-ufrag");
	return TRUE;
}

static gboolean finish_frag_media(FragParser *p, guint lineno, GError **error)
{
	HdmirtcSdpFragMedia *m = p->cur;

	if (!m)
		return TRUE;
	if (!check_credentials(p->media.ice_ufrag, p->media.ice_pwd, m->line, error))
		return FALSE;
	m->ice_ufrag = level_value(p->media.ice_ufrag, p->session.ice_ufrag);
	m->ice_pwd = level_value(p->media.ice_pwd, p->session.ice_pwd);
	m->end_of_candidates = p->media.end_of_candidates || p->session.end_of_candidates;
	level_clear(&p->media);
	p->cur = NULL;
	return TRUE;
}

static gboolean start_frag_media(FragParser *p, const char *value, guint lineno, GError **error)
{
	SdpMLine ml = { 0 };
	gboolean ok = parse_mline(value, lineno, &ml, error);
	HdmirtcSdpFragMedia *m;

	mline_clear(&ml);
	if (!ok || !finish_frag_media(p, lineno, error))
		return FALSE;
	if (p->frag->media->len >= HDMIRTC_SDP_MAX_MEDIA)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "more than %d m= sections", HDMIRTC_SDP_MAX_MEDIA);
	m = g_new0(HdmirtcSdpFragMedia, 1);
	m->line = lineno;
	m->mline_index = p->frag->media->len;
	m->candidates = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(p->frag->media, m);
	p->cur = m;
	return TRUE;
}

static gboolean parse_frag_mid(FragParser *p, const char *value, guint lineno, GError **error)
{
	if (!value || !hdmirtc_sdp_token_valid(value, 1, 32))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=mid must be 1..32 token characters");
	for (guint i = 0; i < p->frag->media->len; i++) {
		const HdmirtcSdpFragMedia *m = p->frag->media->pdata[i];
		if (m->mid && strcmp(m->mid, value) == 0)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=mid:%s used twice", value);
	}
	return set_once(&p->cur->mid, value, "mid", lineno, error);
}

static gboolean parse_frag_attr(FragParser *p, char *attr, guint lineno, GError **error)
{
	const char *value;
	char *cand;
	int r;

	if (!split_attr(attr, lineno, &value, error))
		return FALSE;
	r = parse_level_attr(p->cur ? &p->media : &p->session, attr, value, lineno, error);
	if (r != 0)
		return r > 0;
	if (strcmp(attr, "mid") != 0 && strcmp(attr, "candidate") != 0)
		return TRUE;    /* a=group, a=ice-lite...: nothing to do in a PATCH */
	if (!p->cur)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s before any m= line", attr);
	if (strcmp(attr, "mid") == 0)
		return parse_frag_mid(p, value, lineno, error);
	if (!value)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=candidate needs a value");
	cand = parse_candidate(value, lineno, error);
	if (!cand)
		return FALSE;
	g_ptr_array_add(p->cur->candidates, cand);
	return TRUE;
}

static gboolean parse_frag_line(FragParser *p, SdpReader *r, GError **error)
{
	switch (r->type) {
	case 'a':
		return parse_frag_attr(p, r->value, r->lineno, error);
	case 'm':
		return start_frag_media(p, r->value, r->lineno, error);
	case 'c': case 'b': case 'i':
		return TRUE;
	default:
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, r->lineno,
		            "\"%c=\" line is not allowed in an SDP fragment", r->type);
	}
}

static gboolean finish_frag(FragParser *p, guint lineno, GError **error)
{
	HdmirtcSdpFrag *f = p->frag;

	if (!finish_frag_media(p, lineno, error) ||
	    !check_credentials(p->session.ice_ufrag, p->session.ice_pwd, 0, error))
		return FALSE;
	f->ice_ufrag = g_steal_pointer(&p->session.ice_ufrag);
	f->ice_pwd = g_steal_pointer(&p->session.ice_pwd);
	f->ice_options = g_steal_pointer(&p->session.ice_options);
	return TRUE;
}

HdmirtcSdpFrag *hdmirtc_sdp_frag_parse(const char *text, gsize len, GError **error)
{
	SdpReader *r = g_new(SdpReader, 1);
	FragParser p = { 0 };
	int more = -1;

	p.frag = g_new0(HdmirtcSdpFrag, 1);
	p.frag->media = g_ptr_array_new_with_free_func(frag_media_free);
	if (reader_init(r, text, len, error)) {
		while ((more = reader_next(r, error)) > 0)
			if (!parse_frag_line(&p, r, error))
				break;
	}
	if (more == 0 && !finish_frag(&p, r->lineno, error))
		more = -1;
	level_clear(&p.session);
	level_clear(&p.media);
	g_free(r);
	if (more != 0)
		g_clear_pointer(&p.frag, hdmirtc_sdp_frag_free);
	return p.frag;
}
