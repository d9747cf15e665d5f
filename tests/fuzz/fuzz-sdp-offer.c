/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-sdp-offer - a WHEP POST body as the endpoint takes it: parsed as an
 * SDP offer, then, when it parses, the H.264 choice and the answer built
 * from it, as http-whep.c does. */
#include <hdmirtc/sdp.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	static const char *const candidates[] = { "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(HdmirtcSdpOffer) offer = hdmirtc_sdp_offer_parse((const char *)data, size, &error);
	HdmirtcSdpVideoChoice choice;
	HdmirtcSdpAnswerParams params = {
		.session_id = 1, .session_version = 1,
		.ice_ufrag = "abcd", .ice_pwd = "abcdefghijklmnopqrstuv",
		.fingerprint = "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
		               "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
		.candidates = candidates, .gathering_complete = TRUE,
		.ssrc = 1, .cname = "fuzz", .stream_id = "s", .track_id = "t",
		.transport_cc = TRUE,
	};
	g_autofree char *answer = NULL;

	if (!offer)
		return 0;
	if (!hdmirtc_sdp_offer_choose_h264(offer, &choice, NULL))
		return 0;
	answer = hdmirtc_sdp_answer_build(offer, &params, NULL);
	return 0;
}
