/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HTTPS is served by libsoup through GIO's TLS (glib-networking with
 * GnuTLS, Debian's maintained stack), not by our wolfSSL, which would
 * need a TLS stream of our own under libsoup; wolfSSL only makes the first
 * certificate, as it makes the DTLS one. */
#include "https-certificate.h"

#include <string.h>

#include "hdmirtc/dtls.h"
#include "hdmirtc/http.h"

/* What a browser on this host or another may call it. */
static GStrv host_names(void)
{
	GPtrArray *names = g_ptr_array_new();
	const char *host = g_get_host_name();

	g_ptr_array_add(names, g_strdup("localhost"));
	if (host && *host && strcmp(host, "localhost") != 0) {
		g_ptr_array_add(names, g_strdup(host));
		/* mDNS, as avahi announces it */
		if (!strchr(host, '.'))
			g_ptr_array_add(names, g_strconcat(host, ".local", NULL));
	}
	g_ptr_array_add(names, NULL);
	return (GStrv)g_ptr_array_free(names, FALSE);
}

static GStrv host_addresses(void)
{
	g_auto(GStrv) found = hdmirtc_http_host_addresses(TRUE, TRUE);
	GStrvBuilder *b = g_strv_builder_new();
	GStrv out;

	g_strv_builder_add(b, "127.0.0.1");
	g_strv_builder_add(b, "::1");
	g_strv_builder_addv(b, (const char **)found);
	out = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	return out;
}

GTlsCertificate *hdmirtc_https_certificate_load(const HdmirtcConfig *c, GError **error)
{
	GTlsCertificate *cert;

	if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		            "HTTPS needs GIO's TLS backend, which is not installed (Debian: apt install "
		            "glib-networking), or plain HTTP on a trusted network: --no-tls");
		return NULL;
	}
	if (!*c->tls_key && !g_file_test(c->tls_certificate, G_FILE_TEST_EXISTS)) {
		g_auto(GStrv) names = host_names();
		g_auto(GStrv) addresses = host_addresses();

		if (!hdmirtc_dtls_cert_create_for_host(c->tls_certificate, (const char *const *)names,
		                                       (const char *const *)addresses, error))
			return NULL;
	}
	if (*c->tls_key)
		cert = g_tls_certificate_new_from_files(c->tls_certificate, c->tls_key, error);
	else
		cert = g_tls_certificate_new_from_file(c->tls_certificate, error);
	if (!cert)
		g_prefix_error(error, "HTTPS certificate %s%s%s: ", c->tls_certificate,
		               *c->tls_key ? " with key " : "", c->tls_key);
	return cert;
}

char *hdmirtc_https_certificate_fingerprint(GTlsCertificate *certificate)
{
	g_autoptr(GByteArray) der = NULL;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize len = sizeof(digest);
	GString *out = g_string_new(NULL);

	g_object_get(certificate, "certificate", &der, NULL);
	if (!der)
		return g_string_free(out, FALSE);
	g_checksum_update(sum, der->data, der->len);
	g_checksum_get_digest(sum, digest, &len);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(out, "%s%02X", i ? ":" : "", digest[i]);
	return g_string_free(out, FALSE);
}
