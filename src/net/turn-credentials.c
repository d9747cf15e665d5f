/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Time-limited TURN credentials from a shared secret (the "TURN REST API"
 * of draft-uberti-behave-turn-rest-00, coturn's use-auth-secret): no
 * long-lived password is handed to browsers, and the TURN server needs no
 * user list. */
#include "hdmirtc/net.h"

#include <string.h>

void hdmirtc_net_turn_rest_credentials(const char *secret, const char *user, gint64 expires_unix,
                                       char **username, char **password)
{
	guint8 digest[20];
	gsize len = sizeof(digest);
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)secret, strlen(secret));

	*username = user && user[0] ? g_strdup_printf("%" G_GINT64_FORMAT ":%s", expires_unix, user)
				    : g_strdup_printf("%" G_GINT64_FORMAT, expires_unix);
	g_hmac_update(hmac, (const guchar *)*username, -1);
	g_hmac_get_digest(hmac, digest, &len);
	*password = g_base64_encode(digest, len);
}
