/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-sdp-offer - a WHEP POST body as the service takes it (http-whep.c
 * hands it to src/webrtc/viewer-negotiation.c and peer.c): parsed as an
 * offer; when it parses, the H.264 choice, the DTLS role, the answer and
 * the fragment a later ICE restart answers with, both built from the
 * choice.  A refusal must be the peer's fault (4xx); what is built from an
 * accepted offer must build (else a 500) and parse back (the browser reads
 * it). */
#include <hdmirtc/sdp.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static void check_refusal(const GError *error)
{
	if (!error || hdmirtc_sdp_error_http_status(error) >= 500)
		g_error("refused with %s", error ? error->message : "no error");
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	static const char *const candidates[] = {
		"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
		"candidate:2 1 udp 1694498815 198.51.100.7 40000 typ srflx raddr 127.0.0.1 rport 40000", NULL
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcSdpOffer) offer = hdmirtc_sdp_offer_parse((const char *)data, size, &error);
	HdmirtcSdpVideoChoice choice;
	HdmirtcSdpLocalParams params = {
		.session_id = 1, .session_version = 1,
		.ice_ufrag = "abcd", .ice_pwd = "abcdefghijklmnopqrstuv",
		.fingerprint = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
		               "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
		.candidates = candidates, .ssrc = 1, .cname = "fuzz", .stream_id = "s", .track_id = "t",
	};
	g_autofree char *answer = NULL, *fragment = NULL;
	g_autoptr(HdmirtcSdpOffer) again = NULL;
	g_autoptr(HdmirtcSdpFrag) frag = NULL;

	if (!offer || !hdmirtc_sdp_offer_choose_h264(offer, &choice, &error)) {
		check_refusal(error);
		return 0;
	}
	/* Per viewer or per configuration in the service: the size's low bits
	 * pick them, so that every branch of the builders is reached. */
	params.prefer_dtls_server = hdmirtc_sdp_dtls_is_server(choice.media->setup, size & 1);
	params.gathering_complete = (size & 2) != 0;
	params.transport_cc = (size & 4) != 0;
	answer = hdmirtc_sdp_answer_build(offer, &params, &error);
	if (!answer)
		g_error("no answer to an offer with a choice: %s", error->message);
	again = hdmirtc_sdp_offer_parse(answer, strlen(answer), &error);
	if (!again)
		g_error("the answer does not parse: %s\n%s", error->message, answer);

	HdmirtcSdpRestartParams restart = {
		.ice_ufrag = params.ice_ufrag, .ice_pwd = params.ice_pwd, .mid = choice.media->mid,
		.payload_type = choice.payload_type, .candidates = candidates,
		.gathering_complete = params.gathering_complete,
	};
	fragment = hdmirtc_sdp_restart_fragment_build(&restart, &error);
	if (!fragment)
		g_error("no restart fragment for an accepted offer: %s", error->message);
	frag = hdmirtc_sdp_frag_parse(fragment, strlen(fragment), &error);
	if (!frag)
		g_error("the restart fragment does not parse: %s\n%s", error->message, fragment);
	return 0;
}
