/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDP offer and trickle-ICE fragment parser.  The input is untrusted: every
 * line is checked for form (RFC 8866 "x=value", CRLF or LF, printable UTF-8)
 * before any field is read, every number is range-checked, and errors name
 * the line.  What is not needed to answer is skipped, not trusted.
 *
 * This file: what both parsers share below the attribute level: the error
 * domain, the line reader, small validators and the parsers of fields that
 * offers and fragments spell the same way (m= line, a=candidate, direction). */
#include "sdp-private.h"

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

gboolean hdmirtc_sdp_fail_at(GError **error, int code, guint lineno, char *msg)
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
gboolean hdmirtc_sdp_parse_uint(const char *s, guint64 max, guint64 *out)
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

gboolean hdmirtc_sdp_reader_init(SdpReader *r, const char *text, gsize len, GError **error)
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
int hdmirtc_sdp_reader_next(SdpReader *r, GError **error)
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
char **hdmirtc_sdp_split_fields(const char *value, guint lineno, guint min_fields, const char *what,
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

void hdmirtc_sdp_mline_clear(SdpMLine *m)
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
		if (!hdmirtc_sdp_parse_uint(m->formats->pdata[i], 127, &pt))
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
gboolean hdmirtc_sdp_parse_mline(const char *value, guint lineno, SdpMLine *m, GError **error)
{
	g_auto(GStrv) f = hdmirtc_sdp_split_fields(value, lineno, 4, "m= line", error);
	char *slash;
	guint64 port, count;

	if (!f)
		return FALSE;
	slash = strchr(f[1], '/');
	if (slash)
		*slash = '\0';
	if (!hdmirtc_sdp_parse_uint(f[1], 65535, &port) ||
	    (slash && !hdmirtc_sdp_parse_uint(slash + 1, 65535, &count)))
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
char *hdmirtc_sdp_parse_candidate(const char *value, guint lineno, GError **error)
{
	g_auto(GStrv) f = hdmirtc_sdp_split_fields(value, lineno, 8, "a=candidate", error);
	guint64 v;

	if (!f)
		return NULL;
	if (!hdmirtc_sdp_ice_chars_valid(f[0], 1, 32))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate foundation"), NULL;
	if (!hdmirtc_sdp_parse_uint(f[1], 256, &v) || v == 0)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate component id"), NULL;
	if (!hdmirtc_sdp_token_valid(f[2], 1, 16))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate transport"), NULL;
	if (!hdmirtc_sdp_parse_uint(f[3], G_MAXUINT32, &v))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate priority"), NULL;
	if (!hdmirtc_sdp_token_valid(f[4], 1, 255) && strchr(f[4], ':') == NULL)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate address"), NULL;
	if (!hdmirtc_sdp_parse_uint(f[5], 65535, &v))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "bad candidate port"), NULL;
	if (strcmp(f[6], "typ") != 0 || !hdmirtc_sdp_token_valid(f[7], 1, 16))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "candidate lacks \"typ <type>\""), NULL;
	return g_strconcat("candidate:", value, NULL);
}

gboolean hdmirtc_sdp_parse_direction(const char *name, HdmirtcSdpDirection *dir)
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
