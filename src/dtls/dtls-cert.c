/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The service's DTLS identity: one ECDSA P-256 key and self-signed
 * certificate, kept in a PEM file so the SDP fingerprint stays the same
 * across restarts (browsers may pin it, and logs stay comparable).  The
 * HTTPS server's first certificate is made the same way, with the host's
 * names and addresses added (subjectAltName). */
#include "dtls-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#define CERT_COMMON_NAME "hdmirtc"
/* A Pi without an RTC may boot with a clock in the past or the future;
 * a wide validity window keeps peers that do check dates happy. */
#define CERT_YEARS_BACK 1
#define CERT_YEARS_AHEAD 10
#define CERT_FILE_MAX_SIZE (64 * 1024)
#define DER_BUF_SIZE 4096
#define PEM_BUF_SIZE 8192
/* DER tags of GeneralName (RFC 5280 4.2.1.6), implicitly tagged. */
#define SAN_DNS_NAME 0x82
#define SAN_IP_ADDRESS 0x87

/* What a certificate is for: its name in messages and, for HTTPS, the
 * host's names for subjectAltName. */
typedef struct {
	const char *what;               /* "DTLS certificate" */
	const char *const *dns_names;   /* NULL-terminated; NULL = none */
	const char *const *ip_addresses;
} CertSpec;

static const CertSpec dtls_spec = { .what = "DTLS certificate" };

G_DEFINE_QUARK(hdmirtc-dtls-error-quark, hdmirtc_dtls_error)

void hdmirtc_dtls_library_init(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		/* wolfSSL_Init() is reference counted; we never call Cleanup
		 * because sessions may exist until process exit. */
		if (wolfSSL_Init() != WOLFSSL_SUCCESS)
			g_error("wolfSSL_Init failed");
		g_once_init_leave(&once, 1);
	}
}

void hdmirtc_dtls_format_digest(const guint8 digest[HDMIRTC_DTLS_FINGERPRINT_LEN],
                                char out[3 * HDMIRTC_DTLS_FINGERPRINT_LEN])
{
	static const char hex[] = "0123456789ABCDEF";

	for (guint i = 0; i < HDMIRTC_DTLS_FINGERPRINT_LEN; i++) {
		out[3 * i] = hex[digest[i] >> 4];
		out[3 * i + 1] = hex[digest[i] & 0xf];
		out[3 * i + 2] = i + 1 < HDMIRTC_DTLS_FINGERPRINT_LEN ? ':' : '\0';
	}
}

static gboolean parse_hex_groups(const char *p, guint8 digest[HDMIRTC_DTLS_FINGERPRINT_LEN])
{
	for (guint i = 0; i < HDMIRTC_DTLS_FINGERPRINT_LEN; i++) {
		int hi, lo;

		if (i > 0 && *p++ != ':')
			return FALSE;
		hi = g_ascii_xdigit_value(p[0]);
		lo = hi < 0 ? -1 : g_ascii_xdigit_value(p[1]);
		if (lo < 0)
			return FALSE;
		digest[i] = (guint8)(hi << 4 | lo);
		p += 2;
	}
	while (g_ascii_isspace(*p))
		p++;
	return *p == '\0';
}

gboolean hdmirtc_dtls_fingerprint_parse(const char *value,
                                        guint8 digest[HDMIRTC_DTLS_FINGERPRINT_LEN],
                                        GError **error)
{
	const char *p = value, *name;
	gsize name_len;

	if (value == NULL) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_FINGERPRINT,
		            "a=fingerprint: missing");
		return FALSE;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	name = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	name_len = (gsize)(p - name);
	if (name_len != 7 || g_ascii_strncasecmp(name, "sha-256", 7) != 0) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_FINGERPRINT,
		            "a=fingerprint: unsupported hash function '%.*s' (only sha-256)",
		            (int)MIN(name_len, 32), name);
		return FALSE;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (!parse_hex_groups(p, digest)) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_FINGERPRINT,
		            "a=fingerprint: expected 32 colon-separated hex bytes after sha-256");
		return FALSE;
	}
	return TRUE;
}

void hdmirtc_dtls_cert_free(HdmirtcDtlsCert *cert)
{
	if (cert == NULL)
		return;
	if (cert->key_der)
		explicit_bzero(cert->key_der, cert->key_der_len);
	g_free(cert->key_der);
	g_free(cert->cert_der);
	g_free(cert->fingerprint);
	g_free(cert);
}

const char *hdmirtc_dtls_cert_fingerprint(const HdmirtcDtlsCert *cert)
{
	return cert->fingerprint;
}

/* Takes ownership of both DER buffers. */
static HdmirtcDtlsCert *cert_new_from_der(guint8 *key_der, gsize key_len, guint8 *cert_der,
                                          gsize cert_len)
{
	HdmirtcDtlsCert *cert = g_new0(HdmirtcDtlsCert, 1);
	char hex[3 * HDMIRTC_DTLS_FINGERPRINT_LEN];

	cert->key_der = key_der;
	cert->key_der_len = key_len;
	cert->cert_der = cert_der;
	cert->cert_der_len = cert_len;
	wc_Sha256Hash(cert_der, (word32)cert_len, cert->digest);
	hdmirtc_dtls_format_digest(cert->digest, hex);
	cert->fingerprint = g_strconcat("sha-256 ", hex, NULL);
	return cert;
}

/* ASN.1 UTCTime (years before 2050, RFC 5280 4.1.2.5) or GeneralizedTime
 * as a whole TLV, the form wolfSSL copies into the certificate. */
static int encode_asn1_time(GDateTime *t, byte out[CTC_DATE_SIZE])
{
	gboolean utc = g_date_time_get_year(t) < 2050;
	g_autofree char *s = g_date_time_format(t, utc ? "%y%m%d%H%M%SZ" : "%Y%m%d%H%M%SZ");
	gsize len = s ? strlen(s) : 0;

	if (len == 0 || len + 2 > CTC_DATE_SIZE)
		return -1;
	out[0] = utc ? 0x17 : 0x18;
	out[1] = (byte)len;
	memcpy(out + 2, s, len);
	return (int)len + 2;
}

static gboolean set_validity(Cert *c)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) before = g_date_time_add_years(now, -CERT_YEARS_BACK);
	g_autoptr(GDateTime) after = g_date_time_add_years(now, CERT_YEARS_AHEAD);

	if (before == NULL || after == NULL)
		return FALSE;
	c->beforeDateSz = encode_asn1_time(before, c->beforeDate);
	c->afterDateSz = encode_asn1_time(after, c->afterDate);
	return c->beforeDateSz > 0 && c->afterDateSz > 0;
}

/* Appends one GeneralName (tag, short length: every name here is under
 * 128 bytes) to out; FALSE when it would not fit. */
static gboolean san_add(byte *out, int *len, int max, byte tag, const void *value, gsize value_len)
{
	if (value_len == 0 || value_len > 127 || *len + 2 + (int)value_len > max)
		return FALSE;
	out[(*len)++] = tag;
	out[(*len)++] = (byte)value_len;
	memcpy(out + *len, value, value_len);
	*len += (int)value_len;
	return TRUE;
}

/* The extension's value as wolfSSL wants it: the DER GeneralNames
 * SEQUENCE.  Returns its size, 0 for no names; a name that does not fit
 * or an address that does not parse is left out. */
static int encode_alt_names(const CertSpec *spec, byte *out, int max)
{
	byte body[1024];
	int len = 0, head;

	for (const char *const *n = spec->dns_names; n && *n; n++) {
		if (!san_add(body, &len, (int)sizeof(body), SAN_DNS_NAME, *n, strlen(*n)))
			g_message("%s: the name %s is left out of it", spec->what, *n);
	}
	for (const char *const *a = spec->ip_addresses; a && *a; a++) {
		struct in6_addr ip;   /* or struct in_addr, in its first bytes */
		gboolean v4 = inet_pton(AF_INET, *a, &ip) == 1;

		if ((!v4 && inet_pton(AF_INET6, *a, &ip) != 1) ||
		    !san_add(body, &len, (int)sizeof(body), SAN_IP_ADDRESS, &ip, v4 ? 4 : 16))
			g_message("%s: the address %s is left out of it", spec->what, *a);
	}
	if (len == 0)
		return 0;
	/* DER: the shortest length form (Chromium refuses any other). */
	out[0] = 0x30;   /* SEQUENCE */
	if (len < 0x80) {
		out[1] = (byte)len;
		head = 2;
	} else if (len < 0x100) {
		out[1] = 0x81;
		out[2] = (byte)len;
		head = 3;
	} else {
		out[1] = 0x82;
		out[2] = (byte)(len >> 8);
		out[3] = (byte)len;
		head = 4;
	}
	if (head + len > max)
		return 0;
	memcpy(out + head, body, (gsize)len);
	return head + len;
}

static gboolean make_self_signed(const CertSpec *spec, ecc_key *key, WC_RNG *rng,
                                 guint8 **cert_der, gsize *cert_len)
{
	/* Cert is 16 kB with room for alt names: not for the stack. */
	g_autofree Cert *c = g_new0(Cert, 1);
	guint8 *der = g_malloc(DER_BUF_SIZE);
	int ret;

	if (wc_InitCert(c) != 0 || !set_validity(c))
		goto fail;
	g_strlcpy(c->subject.commonName, CERT_COMMON_NAME, CTC_NAME_SIZE);
	c->sigType = CTC_SHA256wECDSA;
	c->isCA = 0;
	c->altNamesSz = encode_alt_names(spec, c->altNames, (int)sizeof(c->altNames));
	/* serialSz == 0: wolfSSL draws a random serial from rng. */
	ret = wc_MakeCert(c, der, DER_BUF_SIZE, NULL, key, rng);
	if (ret < 0)
		goto fail;
	ret = wc_SignCert(c->bodySz, c->sigType, der, DER_BUF_SIZE, NULL, key, rng);
	if (ret <= 0)
		goto fail;
	*cert_der = der;
	*cert_len = (gsize)ret;
	return TRUE;
fail:
	g_free(der);
	return FALSE;
}

static HdmirtcDtlsCert *generate_cert(const CertSpec *spec, GError **error)
{
	ecc_key key;
	WC_RNG rng;
	guint8 *key_der = NULL, *cert_der = NULL;
	gsize cert_len = 0;
	int key_len = -1;
	gboolean ok = FALSE;

	hdmirtc_dtls_library_init();
	if (wc_InitRng(&rng) != 0) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CRYPTO,
		            "cannot initialise the random number generator");
		return NULL;
	}
	if (wc_ecc_init(&key) == 0) {
		if (wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1) == 0) {
			key_der = g_malloc(DER_BUF_SIZE);
			key_len = wc_EccKeyToDer(&key, key_der, DER_BUF_SIZE);
			ok = key_len > 0 && make_self_signed(spec, &key, &rng, &cert_der, &cert_len);
		}
		wc_ecc_free(&key);
	}
	wc_FreeRng(&rng);
	if (!ok) {
		if (key_der)
			explicit_bzero(key_der, DER_BUF_SIZE);
		g_free(key_der);
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CRYPTO,
		            "cannot generate an ECDSA P-256 key and certificate");
		return NULL;
	}
	return cert_new_from_der(key_der, (gsize)key_len, cert_der, cert_len);
}

HdmirtcDtlsCert *hdmirtc_dtls_cert_new_ephemeral(GError **error)
{
	return generate_cert(&dtls_spec, error);
}

/* ---- PEM file ---- */

static char *der_to_pem(const guint8 *der, gsize len, int type)
{
	char *pem = g_malloc0(PEM_BUF_SIZE);
	int n = wc_DerToPem(der, (word32)len, (byte *)pem, PEM_BUF_SIZE - 1, type);

	if (n <= 0) {
		g_free(pem);
		return NULL;
	}
	pem[n] = '\0';
	return pem;
}

static char *cert_to_pem(const HdmirtcDtlsCert *cert)
{
	g_autofree char *key_pem = der_to_pem(cert->key_der, cert->key_der_len, ECC_PRIVATEKEY_TYPE);
	g_autofree char *cert_pem = der_to_pem(cert->cert_der, cert->cert_der_len, CERT_TYPE);
	char *out;

	if (key_pem == NULL || cert_pem == NULL) {
		if (key_pem)
			explicit_bzero(key_pem, strlen(key_pem));
		return NULL;
	}
	out = g_strconcat(key_pem, cert_pem, NULL);
	explicit_bzero(key_pem, strlen(key_pem));
	return out;
}

static gboolean write_all(int fd, const char *data, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Writes to a temporary file and hard-links it into place, so a crash never
 * leaves a half-written key at path and an existing file is never
 * replaced.  Returns -EEXIST (G_FILE_ERROR_EXIST) when another process
 * created path first. */
static int write_new_file(const CertSpec *spec, const char *path, const char *data, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
	int fd, saved, ret = 0;

	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		saved = errno;
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CERT_FILE,
		            "cannot create %s file %s: %s", spec->what, path, g_strerror(saved));
		return -saved;
	}
	if (!write_all(fd, data, strlen(data)) || fsync(fd) != 0)
		ret = -(errno ? errno : EIO);
	close(fd);
	if (ret == 0 && link(tmp, path) != 0)
		ret = -errno;
	saved = -ret;
	unlink(tmp);
	if (ret == -EEXIST)
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "%s exists already", path);
	else if (ret != 0)
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CERT_FILE,
		            "cannot write %s file %s: %s", spec->what, path, g_strerror(saved));
	return ret;
}

/* Checks that the key is a valid P-256 key and that the certificate carries
 * its public half (recomputed from the private scalar, not taken from the
 * file). */
static gboolean check_key_and_cert(const guint8 *key, gsize key_len, const guint8 *cert,
                                   gsize cert_len, const char **why)
{
	ecc_key ecc;
	DecodedCert dc;
	byte pub[128];   /* SubjectPublicKeyInfo, as the parsed certificate keeps it */
	word32 idx = 0;
	int pub_len = -1;
	gboolean ok = FALSE;

	if (wc_ecc_init(&ecc) != 0)
		return FALSE;
	if (wc_EccPrivateKeyDecode(key, &idx, &ecc, (word32)key_len) != 0)
		*why = "the private key is not an EC key";
	else if (ecc.dp == NULL || ecc.dp->id != ECC_SECP256R1)
		*why = "the private key is not on curve P-256";
	else if (wc_ecc_make_pub(&ecc, NULL) != 0 ||
	         (pub_len = wc_EccPublicKeyToDer(&ecc, pub, sizeof(pub), 1)) <= 0)
		*why = "the private key is invalid";
	else
		ok = TRUE;
	wc_ecc_free(&ecc);
	if (!ok)
		return FALSE;
	ok = FALSE;
	wc_InitDecodedCert(&dc, cert, (word32)cert_len, NULL);
	if (wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL) != 0)
		*why = "the certificate cannot be parsed";
	else if (dc.keyOID != ECDSAk || dc.publicKey == NULL || dc.pubKeySize != (word32)pub_len ||
	         memcmp(dc.publicKey, pub, (gsize)pub_len) != 0)
		*why = "the private key does not match the certificate";
	else
		ok = TRUE;
	wc_FreeDecodedCert(&dc);
	explicit_bzero(&ecc, sizeof(ecc));
	return ok;
}

static HdmirtcDtlsCert *cert_from_pem(const char *pem, gsize len, const char **why)
{
	guint8 *key = g_malloc(DER_BUF_SIZE), *cert = g_malloc(DER_BUF_SIZE);
	int key_len, cert_len;

	key_len = wc_KeyPemToDer((const byte *)pem, (int)len, key, DER_BUF_SIZE, NULL);
	cert_len = wc_CertPemToDer((const byte *)pem, (int)len, cert, DER_BUF_SIZE, CERT_TYPE);
	if (key_len <= 0)
		*why = "no PEM private key found";
	else if (cert_len <= 0)
		*why = "no PEM certificate found";
	if (key_len > 0 && cert_len > 0 &&
	    check_key_and_cert(key, (gsize)key_len, cert, (gsize)cert_len, why))
		return cert_new_from_der(key, (gsize)key_len, cert, (gsize)cert_len);
	explicit_bzero(key, DER_BUF_SIZE);
	g_free(key);
	g_free(cert);
	return NULL;
}

static HdmirtcDtlsCert *load_cert(const char *path, const char *pem, gsize len, GError **error)
{
	const char *why = "the file is not a PEM EC key and certificate";
	HdmirtcDtlsCert *cert = NULL;

	if (len > CERT_FILE_MAX_SIZE)
		why = "the file is too large";
	else
		cert = cert_from_pem(pem, len, &why);
	if (cert == NULL)
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CERT_FILE,
		            "DTLS certificate file %s is unusable: %s (remove it to generate a new one)",
		            path, why);
	return cert;
}

static HdmirtcDtlsCert *create_cert_file(const CertSpec *spec, const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *pem = NULL;
	HdmirtcDtlsCert *cert;
	int ret;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved = errno;

		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CERT_FILE,
		            "cannot create directory %s for the %s: %s", dir, spec->what,
		            g_strerror(saved));
		return NULL;
	}
	cert = generate_cert(spec, error);
	if (cert == NULL)
		return NULL;
	pem = cert_to_pem(cert);
	if (pem == NULL) {
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CRYPTO,
		            "cannot encode the %s as PEM", spec->what);
		hdmirtc_dtls_cert_free(cert);
		return NULL;
	}
	ret = write_new_file(spec, path, pem, error);
	explicit_bzero(pem, strlen(pem));
	if (ret == 0) {
		g_message("created %s %s (%s)", spec->what, path, cert->fingerprint);
		return cert;
	}
	hdmirtc_dtls_cert_free(cert);
	return NULL;
}

HdmirtcDtlsCert *hdmirtc_dtls_cert_load_or_create(const char *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	char *pem = NULL;
	gsize len = 0;
	HdmirtcDtlsCert *cert;

	g_return_val_if_fail(path != NULL && *path != '\0', NULL);
	hdmirtc_dtls_library_init();
	if (!g_file_get_contents(path, &pem, &len, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_autoptr(GError) create_error = NULL;

			cert = create_cert_file(&dtls_spec, path, &create_error);
			/* Lost a race with another instance: use its file. */
			if (!cert && g_error_matches(create_error, G_FILE_ERROR, G_FILE_ERROR_EXIST))
				return hdmirtc_dtls_cert_load_or_create(path, error);
			if (!cert)
				g_propagate_error(error, g_steal_pointer(&create_error));
			return cert;
		}
		g_set_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CERT_FILE,
		            "cannot read DTLS certificate file %s: %s", path, local->message);
		return NULL;
	}
	cert = load_cert(path, pem, len, error);
	explicit_bzero(pem, len);
	g_free(pem);
	return cert;
}

gboolean hdmirtc_dtls_cert_create_for_host(const char *path, const char *const *dns_names,
                                           const char *const *ip_addresses, GError **error)
{
	const CertSpec spec = {
		.what = "HTTPS certificate", .dns_names = dns_names, .ip_addresses = ip_addresses,
	};
	g_autoptr(GError) local = NULL;
	HdmirtcDtlsCert *cert;

	g_return_val_if_fail(path != NULL && *path != '\0', FALSE);
	hdmirtc_dtls_library_init();
	cert = create_cert_file(&spec, path, &local);
	hdmirtc_dtls_cert_free(cert);
	/* Another instance made it first: theirs is as good. */
	if (cert || g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_EXIST))
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}
