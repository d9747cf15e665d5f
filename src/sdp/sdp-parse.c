/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDP offer parser (hdmirtc_sdp_offer_parse): the session lines (v=, o=, s=,
 * t=, c=), the order of sections, session- and media-level attributes (mid,
 * BUNDLE groups, rtcp-mux, candidates); RTP attributes are read by
 * sdp-media.c, the line reader is in sdp-lines.c. */
#include "sdp-private.h"

#include <string.h>

/* ---- offer: m= sections ---- */

typedef struct {
	HdmirtcSdpOffer *offer;
	HdmirtcSdpMedia *cur;           /* NULL at session level */
	SdpLevel session;
	SdpLevel media;
	gboolean seen_o, seen_s, seen_t;
} OfferParser;

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

static gboolean parse_mid(OfferParser *p, const char *value, guint lineno, GError **error)
{
	if (!hdmirtc_sdp_token_valid(value, 1, 32))
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=mid must be 1..32 token characters");
	for (guint i = 0; i < p->offer->media->len; i++) {
		const HdmirtcSdpMedia *m = p->offer->media->pdata[i];
		if (m->mid && strcmp(m->mid, value) == 0)
			return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=mid:%s used twice", value);
	}
	return hdmirtc_sdp_set_once(&p->cur->mid, value, "mid", lineno, error);
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
		return hdmirtc_sdp_parse_extmap(m, value, lineno, error);
	if (strcmp(name, "rtpmap") == 0)
		return hdmirtc_sdp_parse_rtpmap(m, value, lineno, error);
	if (strcmp(name, "fmtp") == 0)
		return hdmirtc_sdp_parse_fmtp(m, value, lineno, error);
	if (strcmp(name, "rtcp-fb") == 0)
		return hdmirtc_sdp_parse_rtcp_fb(m, value, lineno, error);
	cand = hdmirtc_sdp_parse_candidate(value, lineno, error);
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

	if (!hdmirtc_sdp_split_attr(attr, lineno, &value, error))
		return FALSE;
	r = hdmirtc_sdp_parse_level_attr(p->cur ? &p->media : &p->session, attr, value, lineno, error);
	if (r != 0)
		return r > 0;
	if (p->cur)
		return parse_media_attr(p, attr, value, lineno, error);
	if (strcmp(attr, "group") == 0)
		return parse_group(p, value, lineno, error);
	if (strcmp(attr, "extmap") == 0)
		return value ? hdmirtc_sdp_parse_extmap(NULL, value, lineno, error)
		             : fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=extmap needs a value");
	if (strcmp(attr, "mid") == 0 || strcmp(attr, "candidate") == 0 || strcmp(attr, "rtpmap") == 0 ||
	    strcmp(attr, "fmtp") == 0 || strcmp(attr, "rtcp-fb") == 0 || strcmp(attr, "rtcp-mux") == 0)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "a=%s before any m= line", attr);
	return TRUE;
}

static gboolean finish_media(OfferParser *p, GError **error)
{
	HdmirtcSdpMedia *m = p->cur;
	const SdpLevel *s = &p->session, *l = &p->media;

	if (!m)
		return TRUE;
	m->ice_ufrag = hdmirtc_sdp_level_value(l->ice_ufrag, s->ice_ufrag);
	m->ice_pwd = hdmirtc_sdp_level_value(l->ice_pwd, s->ice_pwd);
	m->ice_options = hdmirtc_sdp_level_value(l->ice_options, s->ice_options);
	m->has_sha256_fingerprint = l->has_sha256 || s->has_sha256;
	memcpy(m->fingerprint_sha256, l->has_sha256 ? l->sha256 : s->sha256, 32);
	m->setup = l->setup != HDMIRTC_SDP_SETUP_NONE ? l->setup : s->setup;
	m->direction = l->has_direction ? l->direction : s->direction;
	m->end_of_candidates = l->end_of_candidates || s->end_of_candidates;
	hdmirtc_sdp_level_clear(&p->media);
	p->cur = NULL;
	return hdmirtc_sdp_finish_payloads(m, error);
}

/* ---- offer: lines ---- */

/* "o=<username> <sess-id> <sess-version> IN <addrtype> <address>" */
static gboolean parse_origin(OfferParser *p, const char *value, guint lineno, GError **error)
{
	g_auto(GStrv) f = hdmirtc_sdp_split_fields(value, lineno, 6, "o= line", error);
	guint64 v;

	if (!f)
		return FALSE;
	if (p->seen_o)
		return fail(error, HDMIRTC_SDP_ERROR_PARSE, lineno, "second o= line");
	if (f[6] || strspn(f[1], "0123456789") != strlen(f[1]) || strlen(f[1]) > 20 ||
	    !hdmirtc_sdp_parse_uint(f[2], G_MAXUINT64, &v) || strcmp(f[3], "IN") != 0)
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
	g_auto(GStrv) f = hdmirtc_sdp_split_fields(value, lineno, type == 't' ? 2 : 3,
	                                           type == 't' ? "t= line" : "c= line", error);
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
	if (f[2] || !hdmirtc_sdp_parse_uint(f[0], G_MAXUINT64, &v) || !hdmirtc_sdp_parse_uint(f[1], G_MAXUINT64, &v))
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
	if (!hdmirtc_sdp_parse_mline(value, lineno, &ml, error)) {
		hdmirtc_sdp_mline_clear(&ml);
		return FALSE;
	}
	p->cur = hdmirtc_sdp_media_new(&ml, lineno);
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
	p.offer->media = g_ptr_array_new_with_free_func(hdmirtc_sdp_media_free);
	if (hdmirtc_sdp_reader_init(r, text, len, error)) {
		while ((more = hdmirtc_sdp_reader_next(r, error)) > 0)
			if (!parse_offer_line(&p, r, error))
				break;
	}
	if (more == 0 && (!finish_media(&p, error) || !check_session_complete(&p, r->lineno, error)))
		more = -1;
	hdmirtc_sdp_level_clear(&p.session);
	hdmirtc_sdp_level_clear(&p.media);
	g_free(r);
	if (more != 0)
		g_clear_pointer(&p.offer, hdmirtc_sdp_offer_free);
	return p.offer;
}
