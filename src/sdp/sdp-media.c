/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One offered m= section (HdmirtcSdpMedia): building and freeing it, and its
 * RTP attributes: a=rtpmap, a=fmtp, a=rtcp-fb, a=extmap and the codec
 * parameters (H.264 profile-level-id, packetization-mode; rtx apt). */
#include "sdp-private.h"

#include <stdlib.h>
#include <string.h>

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

void hdmirtc_sdp_media_free(gpointer data)
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

HdmirtcSdpMedia *hdmirtc_sdp_media_new(SdpMLine *ml, guint lineno)
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
	if (!hdmirtc_sdp_parse_uint(num, 127, &pt))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s: bad payload type", name), NULL;
	*rest = sp + 1;
	return (HdmirtcSdpPayload *)hdmirtc_sdp_media_find_payload(m, (guint)pt);
}

/* "<pt> <encoding>/<clock rate>[/<channels>]" */
gboolean hdmirtc_sdp_parse_rtpmap(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error)
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
	    !hdmirtc_sdp_parse_uint(f[1], G_MAXUINT32, &clock) || clock == 0 ||
	    (n == 3 && (!hdmirtc_sdp_parse_uint(f[2], 255, &channels) || channels == 0)))
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

gboolean hdmirtc_sdp_parse_fmtp(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error)
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

	/* Compared word by word: Pion writes "nack " (a trailing space, an
	 * empty parameter), which means plain NACK. */
	g_auto(GStrv) words = g_strsplit_set(fb, " \t", -1);
	g_autoptr(GString) norm = g_string_new(NULL);

	for (char **w = words; *w; w++)
		if (**w)
			g_string_append_printf(norm, "%s%s", norm->len ? " " : "", *w);
	for (guint i = 0; i < G_N_ELEMENTS(known); i++)
		if (strcmp(norm->str, known[i].name) == 0)
			return known[i].bit;
	return 0;
}

/* "<pt>|* <type>[ <subtype>...]" (RFC 4585) */
gboolean hdmirtc_sdp_parse_rtcp_fb(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error)
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
gboolean hdmirtc_sdp_parse_extmap(HdmirtcSdpMedia *m, const char *value, guint lineno, GError **error)
{
	g_auto(GStrv) f = hdmirtc_sdp_split_fields(value, lineno, 2, "a=extmap", error);
	HdmirtcSdpExtmap ext = { 0 };
	char *slash;
	guint64 id;

	if (!f)
		return FALSE;
	slash = strchr(f[0], '/');
	if (slash) {
		*slash = '\0';
		if (!hdmirtc_sdp_parse_direction(slash + 1, &ext.direction))
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=extmap: bad direction");
		ext.has_direction = TRUE;
	}
	if (!hdmirtc_sdp_parse_uint(f[0], 255, &id) || id == 0 || id == 15)
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

/* RFC 4588 section 8.6: apt is the payload type retransmitted, rtx-time
 * how long the sender keeps packets (ms).  The service sends no rtx: the
 * value only has to be well formed.  Unknown keys are ignored. */
static gboolean parse_rtx_param(HdmirtcSdpPayload *pl, const char *key, const char *val)
{
	guint64 n;

	if (g_ascii_strcasecmp(key, "apt") == 0) {
		if (!hdmirtc_sdp_parse_uint(val, 127, &n))
			return FALSE;
		pl->apt = (gint)n;
		return TRUE;
	}
	if (g_ascii_strcasecmp(key, "rtx-time") == 0)
		return hdmirtc_sdp_parse_uint(val, G_MAXUINT32, &n);
	return TRUE;
}

/* "key=value;key=value" with optional spaces after ';' (RFC 6184 style). */
static gboolean parse_codec_params(HdmirtcSdpPayload *pl, gboolean h264, GError **error)
{
	g_auto(GStrv) params = g_strsplit(pl->fmtp, ";", -1);

	for (guint i = 0; params[i]; i++) {
		char *kv = g_strstrip(params[i]);
		char *eq = strchr(kv, '=');
		gboolean ok;

		if (!*kv && !params[i + 1])
			break;  /* trailing ';' */
		if (!eq || eq == kv)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, pl->fmtp_line,
			            "a=fmtp:%u: \"%s\" is not key=value", pl->pt, kv);
		*eq = '\0';
		ok = h264 ? parse_h264_param(pl, kv, eq + 1) : parse_rtx_param(pl, kv, eq + 1);
		if (!ok)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, pl->fmtp_line, "a=fmtp:%u: bad %s", pl->pt, kv);
	}
	return TRUE;
}

gboolean hdmirtc_sdp_finish_payloads(HdmirtcSdpMedia *m, GError **error)
{
	for (guint i = 0; i < m->payloads->len; i++) {
		HdmirtcSdpPayload *pl = &g_array_index(m->payloads, HdmirtcSdpPayload, i);
		gboolean h264 = pl->encoding && g_ascii_strcasecmp(pl->encoding, "H264") == 0;
		gboolean rtx = pl->encoding && g_ascii_strcasecmp(pl->encoding, "rtx") == 0;

		if (h264)
			memcpy(pl->profile_level_id, "420010", 7);     /* RFC 6184 default */
		if (pl->fmtp && (h264 || rtx) &&
		    !parse_codec_params(pl, h264, error))
			return FALSE;
	}
	return TRUE;
}
