/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The publications behind include/hdmirtc/publish.h: one per Janus or
 * WHIP URL, sharing one HTTP client. */
#include "hdmirtc/publish.h"

#include "janus-publication.h"
#include "whip-publication.h"

#include "hdmirtc/json-members.h"

/* A Janus that stops answering is noticed within this many seconds (its
 * check fails), not only when its connection drops; a WHIP server's POST
 * fails no later. */
#define REQUEST_TIMEOUT_S 3

struct HdmirtcPublisher {
	SoupSession *soup;
	char *viewer_url;               /* NULL = none */
	guint mountpoint;
	GPtrArray *publications;        /* HdmirtcJanusPublication*, owned */
	GPtrArray *whip;                /* HdmirtcWhipPublication*, owned */
};

static guint strv_length(const char *const *v)
{
	return v ? g_strv_length((char **)v) : 0;
}

HdmirtcPublisher *hdmirtc_publisher_new(HdmirtcWebrtc *w, const HdmirtcPublishConfig *config)
{
	gboolean viewer = config->viewer_url && *config->viewer_url;
	HdmirtcPublisher *p;

	guint n_tokens = strv_length(config->whip_tokens);

	if (!strv_length(config->janus_urls) && !strv_length(config->whip_urls) && !viewer)
		return NULL;
	p = g_new0(HdmirtcPublisher, 1);
	p->viewer_url = viewer ? g_strdup(config->viewer_url) : NULL;
	p->mountpoint = config->mountpoint;
	p->soup = soup_session_new_with_options("timeout", REQUEST_TIMEOUT_S, "idle-timeout", 0, NULL);
	p->publications = g_ptr_array_new_with_free_func((GDestroyNotify)hdmirtc_janus_publication_free);
	for (const char *const *u = config->janus_urls; u && *u; u++)
		g_ptr_array_add(p->publications, hdmirtc_janus_publication_new(w, p->soup, *u, config));
	p->whip = g_ptr_array_new_with_free_func((GDestroyNotify)hdmirtc_whip_publication_free);
	for (guint i = 0; i < strv_length(config->whip_urls); i++)
		g_ptr_array_add(p->whip, hdmirtc_whip_publication_new(w, p->soup, config->whip_urls[i],
			n_tokens == 0 ? NULL : config->whip_tokens[n_tokens == 1 ? 0 : i]));
	return p;
}

void hdmirtc_publisher_free(HdmirtcPublisher *p)
{
	if (!p)
		return;
	g_ptr_array_unref(p->publications);
	g_ptr_array_unref(p->whip);
	g_object_unref(p->soup);
	g_free(p->viewer_url);
	g_free(p);
}

void hdmirtc_publisher_add_status(HdmirtcPublisher *p, JsonBuilder *b)
{
	json_builder_set_member_name(b, "publications");
	json_builder_begin_array(b);
	for (guint i = 0; p && i < p->publications->len; i++)
		hdmirtc_janus_publication_add_status(g_ptr_array_index(p->publications, i), b);
	for (guint i = 0; p && i < p->whip->len; i++)
		hdmirtc_whip_publication_add_status(g_ptr_array_index(p->whip, i), b);
	json_builder_end_array(b);
	if (!p || !p->viewer_url)
		return;
	json_builder_set_member_name(b, "janus_viewer");
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "url", p->viewer_url);
	hdmirtc_json_add_int(b, "mountpoint", p->mountpoint);
	json_builder_end_object(b);
}
