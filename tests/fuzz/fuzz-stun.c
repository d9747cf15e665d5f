/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-stun - a datagram arriving on the STUN probe's socket: parsed as
 * the answer to the probe's Binding request, as stun-probe.c does.  The
 * seeds answer transaction id "hdmirtc-fuzz" (coturn's responses to a
 * request sent with it); the same bytes are also parsed as the answer to
 * whatever transaction id they carry, so that inputs with another id still
 * reach the attributes. */
#include <hdmirtc/net.h>

#include <gio/gio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static void parse(const guint8 *data, size_t size, const guint8 tid[12])
{
	g_autoptr(GError) error = NULL;
	g_autofree char *address = NULL;
	guint16 port = 0;

	if (hdmirtc_net_stun_parse_binding_response(data, size, tid, &address, &port, &error)) {
		/* the probe hands the address on as an IP literal */
		g_assert(error == NULL);
		g_assert(address != NULL && g_hostname_is_ip_address(address));
		return;
	}
	g_assert(address == NULL);
	g_assert(error != NULL && error->domain == HDMIRTC_NET_ERROR);
	/* the probe ends a probe on REFUSED only */
	g_assert(error->code == HDMIRTC_NET_ERROR_MALFORMED || error->code == HDMIRTC_NET_ERROR_REFUSED);
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	static const guint8 tid[12] = "hdmirtc-fuzz";

	parse(data, size, tid);
	if (size >= HDMIRTC_NET_STUN_HEADER_LEN)
		parse(data, size, data + 8);
	return 0;
}
