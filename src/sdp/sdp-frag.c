/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trickle-ICE fragment parser (hdmirtc_sdp_frag_parse, RFC 8840
 * application/trickle-ice-sdpfrag bodies of WHEP PATCH requests). */
#include "sdp-private.h"

#include <string.h>

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
	m->ice_ufrag = hdmirtc_sdp_level_value(p->media.ice_ufrag, p->session.ice_ufrag);
	m->ice_pwd = hdmirtc_sdp_level_value(p->media.ice_pwd, p->session.ice_pwd);
	m->end_of_candidates = p->media.end_of_candidates || p->session.end_of_candidates;
	hdmirtc_sdp_level_clear(&p->media);
	p->cur = NULL;
	return TRUE;
}

static gboolean start_frag_media(FragParser *p, const char *value, guint lineno, GError **error)
{
	SdpMLine ml = { 0 };
	gboolean ok = hdmirtc_sdp_parse_mline(value, lineno, &ml, error);
	HdmirtcSdpFragMedia *m;

	hdmirtc_sdp_mline_clear(&ml);
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
	return hdmirtc_sdp_set_once(&p->cur->mid, value, "mid", lineno, error);
}

static gboolean parse_frag_attr(FragParser *p, char *attr, guint lineno, GError **error)
{
	const char *value;
	char *cand;
	int r;

	if (!hdmirtc_sdp_split_attr(attr, lineno, &value, error))
		return FALSE;
	r = hdmirtc_sdp_parse_level_attr(p->cur ? &p->media : &p->session, attr, value, lineno, error);
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
	cand = hdmirtc_sdp_parse_candidate(value, lineno, error);
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
	if (hdmirtc_sdp_reader_init(r, text, len, error)) {
		while ((more = hdmirtc_sdp_reader_next(r, error)) > 0)
			if (!parse_frag_line(&p, r, error))
				break;
	}
	if (more == 0 && !finish_frag(&p, r->lineno, error))
		more = -1;
	hdmirtc_sdp_level_clear(&p.session);
	hdmirtc_sdp_level_clear(&p.media);
	g_free(r);
	if (more != 0)
		g_clear_pointer(&p.frag, hdmirtc_sdp_frag_free);
	return p.frag;
}

gboolean hdmirtc_sdp_frag_get_credentials(const HdmirtcSdpFrag *frag, const char **ufrag, const char **pwd)
{
	*ufrag = frag->ice_ufrag;
	*pwd = frag->ice_pwd;
	for (guint i = 0; !*ufrag && i < frag->media->len; i++) {
		HdmirtcSdpFragMedia *m = frag->media->pdata[i];

		*ufrag = m->ice_ufrag;
		*pwd = m->ice_pwd;
	}
	return *ufrag != NULL;
}
