/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals of the SDP module, shared by its files: sdp-lines.c (error
 * domain, line reader, validators, m=/candidate fields), sdp-level.c
 * (session- or media-level ICE/DTLS attributes), sdp-media.c (an offered m=
 * section and its RTP attributes), sdp-parse.c (offer), sdp-frag.c
 * (trickle-ICE fragment) and sdp-answer.c.  Pure functions, any thread;
 * every "lineno" is the 1-based line an error message names (0: none). */
#pragma once

#include "hdmirtc/sdp.h"

G_BEGIN_DECLS

#define SDP_FINGERPRINT_MAX_BYTES 64    /* sha-512 */

/* ---- sdp-answer.c, shared with sdp-offer.c ---- */

/* Why local params cannot be written into an SDP, or NULL. */
const char *hdmirtc_sdp_local_params_problem(const HdmirtcSdpLocalParams *p);
/* A candidate parameter without its "a=" prefix. */
const char *hdmirtc_sdp_candidate_value(const char *c);
/* Why a section's transport (ICE, DTLS, rtcp-mux) cannot carry the
 * session, or NULL. */
const char *hdmirtc_sdp_transport_problem(const HdmirtcSdpMedia *m);
/* The mids of the a=group:BUNDLE that holds mid, or NULL. */
const char *const *hdmirtc_sdp_bundle_group_of(const HdmirtcSdpOffer *sdp, const char *mid);
/* The ids (0: absent) and directions of the extensions of section m that
 * hdmirtc can send, for those in the wanted mask (1 << HdmirtcSdpExt). */
void hdmirtc_sdp_fill_extensions(const HdmirtcSdpMedia *m, guint wanted, guint ids[HDMIRTC_SDP_EXT_COUNT],
                                 HdmirtcSdpDirection dirs[HDMIRTC_SDP_EXT_COUNT]);

/* ---- sdp-lines.c ---- */

/* Sets a HDMIRTC_SDP_ERROR (prefixed "line N: " when lineno is not 0), takes
 * msg, returns FALSE. */
gboolean hdmirtc_sdp_fail_at(GError **error, int code, guint lineno, char *msg);

#define fail(error, code, lineno, ...) \
	hdmirtc_sdp_fail_at((error), (code), (lineno), g_strdup_printf(__VA_ARGS__))

/* TRUE if s has min..max ice-chars (RFC 8839: ALPHA / DIGIT / "+" / "/"). */
gboolean hdmirtc_sdp_ice_chars_valid(const char *s, gsize min, gsize max);

/* TRUE if s has min..max token chars (RFC 8866 token-char: printable ASCII
 * except space and a few separators). */
gboolean hdmirtc_sdp_token_valid(const char *s, gsize min, gsize max);

/* Decimal digits only (no sign, no spaces), value <= max. */
gboolean hdmirtc_sdp_parse_uint(const char *s, guint64 max, guint64 *out);

/* Parses "<hash-func> XX:XX:..." (RFC 8122).  Stores the algorithm in
 * lowercase into alg (alg_size bytes) and the bytes into out.  For a known
 * algorithm the byte count must match it.  Sets a message (no line number)
 * into *why on failure. */
gboolean hdmirtc_sdp_fingerprint_parse(const char *value, char *alg, gsize alg_size,
                                       guint8 out[SDP_FINGERPRINT_MAX_BYTES], gsize *n_bytes,
                                       const char **why);

/* Reads an SDP body line by line; value holds the current line after "x=".
 * About 4 KiB: allocate it, do not put it on the stack. */
typedef struct {
	const char *pos;
	const char *end;
	guint lineno;
	char type;
	char value[HDMIRTC_SDP_MAX_LINE + 1];
} SdpReader;

/* Checks the body's size and that it has no NUL byte (PARSE or TOO_LARGE);
 * r borrows text. */
gboolean hdmirtc_sdp_reader_init(SdpReader *r, const char *text, gsize len, GError **error);

/* Returns 1 with r->type and r->value set, 0 at the end, -1 on error.
 * Trailing empty lines are tolerated; other empty lines are not. */
int hdmirtc_sdp_reader_next(SdpReader *r, GError **error);

/* Splits on single spaces; refuses empty fields.  Returns a new GStrv
 * (g_strfreev) of at least min_fields, or NULL and a PARSE error naming
 * what. */
char **hdmirtc_sdp_split_fields(const char *value, guint lineno, guint min_fields, const char *what,
                                GError **error);

/* The fields of an m= line.  The strings and array are owned. */
typedef struct {
	char *media;
	guint port;
	char *proto;
	gboolean is_rtp;
	GPtrArray *formats;
} SdpMLine;

/* Frees the fields and zeroes m. */
void hdmirtc_sdp_mline_clear(SdpMLine *m);

/* "m=<media> <port>[/<count>] <proto> <fmt> ..."; on failure m may hold
 * fields that hdmirtc_sdp_mline_clear frees. */
gboolean hdmirtc_sdp_parse_mline(const char *value, guint lineno, SdpMLine *m, GError **error);

/* "candidate:<foundation> <component> <transport> <priority> <address> <port>
 * typ <type> [<name> <value>]..." (RFC 8839 section 5.1); returns a copy
 * prefixed with "candidate:" (g_free), or NULL and a PARSE error. */
char *hdmirtc_sdp_parse_candidate(const char *value, guint lineno, GError **error);

/* "sendrecv", "recvonly", "sendonly" or "inactive"; FALSE for other names. */
gboolean hdmirtc_sdp_parse_direction(const char *name, HdmirtcSdpDirection *dir);

/* ---- sdp-level.c ---- */

/* The attributes one level (session, or the current m= section) gave. */
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

/* Frees the strings and zeroes l. */
void hdmirtc_sdp_level_clear(SdpLevel *l);

/* Stores a copy of value in *field; a PARSE error if it is already set. */
gboolean hdmirtc_sdp_set_once(char **field, const char *value, const char *name, guint lineno,
                              GError **error);

/* Handles the attributes both levels share.  Returns 1 handled, 0 not one
 * of them, -1 error. */
int hdmirtc_sdp_parse_level_attr(SdpLevel *l, const char *name, const char *value, guint lineno,
                                 GError **error);

/* Splits "name[:value]" in place; value is NULL without a colon. */
gboolean hdmirtc_sdp_split_attr(char *attr, guint lineno, const char **value, GError **error);

/* A copy of the media-level value, else of the session-level one (g_free;
 * NULL when neither is set). */
char *hdmirtc_sdp_level_value(char *media_value, const char *session_value);

/* ---- sdp-media.c ---- */

/* A new section for an m= line, taking ml's fields; one payload per format
 * when the proto is RTP.  Free with hdmirtc_sdp_media_free. */
HdmirtcSdpMedia *hdmirtc_sdp_media_new(SdpMLine *ml, guint lineno);

/* Frees an HdmirtcSdpMedia (a GDestroyNotify). */
void hdmirtc_sdp_media_free(gpointer data);

/* "<pt> <encoding>/<clock rate>[/<channels>]" */
gboolean hdmirtc_sdp_parse_rtpmap(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error);

/* "<pt> <parameters>": stores the parameters, read by
 * hdmirtc_sdp_finish_payloads. */
gboolean hdmirtc_sdp_parse_fmtp(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error);

/* "<pt>|* <type>[ <subtype>...]" (RFC 4585) */
gboolean hdmirtc_sdp_parse_rtcp_fb(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error);

/* "<id>[/<direction>] <uri>[ <attributes>]" (RFC 8285); at session level
 * (m NULL) only checked. */
gboolean hdmirtc_sdp_parse_extmap(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error);

/* Reads the codec parameters of every payload once the section is complete
 * (Firefox writes a=fmtp before a=rtpmap). */
gboolean hdmirtc_sdp_finish_payloads(HdmirtcSdpMedia *m, GError **error);

G_END_DECLS
