/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-sdp-frag - a WHEP PATCH body as the service takes it (http-whep.c
 * hands it to src/webrtc/viewer-negotiation.c): parsed as a trickle-ICE
 * fragment; when it parses, what the PATCH handler reads before the ICE
 * agent: each section's mid, the credentials that tell a trickle from a
 * restart (session level, else the first section's), the candidates.  A
 * restart is answered with a fragment for the session's mid, which must
 * build and parse back. */
#include <hdmirtc/sdp.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	static const char *const local[] = { "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcSdpFrag) frag = hdmirtc_sdp_frag_parse((const char *)data, size, &error);
	const char *mid = NULL, *ufrag, *pwd;
	g_autofree char *answer = NULL;
	g_autoptr(HdmirtcSdpFrag) back = NULL;

	if (!frag) {
		if (!error || hdmirtc_sdp_error_http_status(error) >= 500)
			g_error("refused with %s", error ? error->message : "no error");
		return 0;
	}
	ufrag = frag->ice_ufrag;
	pwd = frag->ice_pwd;
	for (guint i = 0; i < frag->media->len; i++) {
		const HdmirtcSdpFragMedia *m = frag->media->pdata[i];

		/* The handler refuses a mid other than the session's: the first
		 * one named stands for it. */
		if (!mid)
			mid = m->mid;
		if (!ufrag) {
			ufrag = m->ice_ufrag;
			pwd = m->ice_pwd;
		}
		/* The ICE agent takes each one as an "a=" line of its own. */
		for (guint c = 0; c < m->candidates->len; c++) {
			const char *cand = m->candidates->pdata[c];

			if (!g_str_has_prefix(cand, "candidate:") || strpbrk(cand, "\r\n"))
				g_error("candidate \"%s\" is not one attribute value", cand);
		}
	}
	if (!ufrag)
		return 0;       /* a trickle */
	if (!pwd)
		g_error("ice-ufrag %s without ice-pwd", ufrag);

	/* A restart: the fragment's credentials stand in for the new local
	 * ones (the same ice-char rules), the mid for the session's. */
	HdmirtcSdpRestartParams restart = {
		.ice_ufrag = ufrag, .ice_pwd = pwd, .mid = mid, .payload_type = 96,
		.candidates = local, .gathering_complete = (size & 1) != 0,
	};
	answer = hdmirtc_sdp_restart_fragment_build(&restart, &error);
	if (!answer)
		g_error("no restart answer: %s", error->message);
	back = hdmirtc_sdp_frag_parse(answer, strlen(answer), &error);
	if (!back)
		g_error("the restart answer does not parse: %s\n%s", error->message, answer);
	if (g_strcmp0(back->ice_ufrag, ufrag) != 0 || g_strcmp0(back->ice_pwd, pwd) != 0 ||
	    back->media->len != 1 ||
	    g_strcmp0(((HdmirtcSdpFragMedia *)back->media->pdata[0])->mid, mid) != 0)
		g_error("the restart answer reads back otherwise:\n%s", answer);
	return 0;
}
