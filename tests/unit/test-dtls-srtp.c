/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DTLS-SRTP: certificate file, in-process handshakes between a client and a
 * server session joined by a datagram queue, and SRTP with the exported
 * keys. */
#include "hdmirtc/dtls.h"
#include "hdmirtc/srtp-session.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

static HdmirtcDtlsCert *cert_a;   /* client identity */
static HdmirtcDtlsCert *cert_b;   /* server identity */

/* ---- fingerprint parsing ---- */

static void test_fingerprint_parse(void)
{
	guint8 d[HDMIRTC_DTLS_FINGERPRINT_LEN];
	g_autoptr(GError) error = NULL;
	static const char *bad[] = {
		"sha-1 AB:CD",
		"sha-256",
		"sha-256 ",
		"sha-256 00:11:22",
		"sha-256 0G:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
		"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00",
		"sha-256 00-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD-EE-FF-00-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD-EE-FF",
		"sha-2560 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
		"",
	};

	g_assert_true(hdmirtc_dtls_fingerprint_parse(
		"SHA-256 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:F0\r",
		d, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(d[0], ==, 0x00);
	g_assert_cmpuint(d[10], ==, 0xaa);
	g_assert_cmpuint(d[31], ==, 0xf0);

	/* Our own fingerprint parses back to the certificate's digest. */
	g_assert_true(hdmirtc_dtls_fingerprint_parse(hdmirtc_dtls_cert_fingerprint(cert_a), d, NULL));

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(hdmirtc_dtls_fingerprint_parse(bad[i], d, &error));
		g_assert_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_FINGERPRINT);
		g_clear_error(&error);
	}
	g_assert_false(hdmirtc_dtls_fingerprint_parse(NULL, d, &error));
	g_assert_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_FINGERPRINT);
}

/* ---- certificate file ---- */

static void assert_fingerprint_format(const char *fp)
{
	g_assert_true(g_regex_match_simple("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", fp, 0, 0));
}

/* Cross-check with the openssl command line when it is installed: the file
 * must be readable by other tools, and the fingerprint must be the one
 * browsers compute. */
static void check_with_openssl(const char *path, const char *fingerprint)
{
	g_autofree char *prog = g_find_program_in_path("openssl");
	g_autofree char *out = NULL, *expect_fp = NULL, *year_before = NULL, *year_after = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	const char *argv[] = { prog, "x509", "-in", path, "-noout", "-subject", "-startdate",
		               "-enddate", "-fingerprint", "-sha256", "-text", NULL };
	int status = -1;

	if (prog == NULL) {
		g_test_skip("openssl not installed: no cross-check of the certificate file");
		return;
	}
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
	                           NULL, &out, NULL, &status, NULL));
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out, "CN = hdmirtc"));
	g_assert_nonnull(strstr(out, "ecdsa-with-SHA256"));
	g_assert_nonnull(strstr(out, "prime256v1"));
	expect_fp = g_strconcat("Fingerprint=", fingerprint + strlen("sha-256 "), NULL);
	g_assert_nonnull(strstr(out, expect_fp));
	year_before = g_strdup_printf(" %d GMT", g_date_time_get_year(now) - 1);
	year_after = g_strdup_printf(" %d GMT", g_date_time_get_year(now) + 10);
	g_assert_nonnull(strstr(strstr(out, "notBefore="), year_before));
	g_assert_nonnull(strstr(strstr(out, "notAfter="), year_after));
}

static void test_cert_persist(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("dtls-cert-XXXXXX", NULL);
	g_autofree char *sub = g_build_filename(dir, "state", NULL);
	g_autofree char *path = g_build_filename(sub, "dtls.pem", NULL);
	g_autofree char *pem = NULL;
	g_autofree char *fp1 = NULL;
	HdmirtcDtlsCert *c1, *c2;
	struct stat st;

	c1 = hdmirtc_dtls_cert_load_or_create(path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(c1);
	fp1 = g_strdup(hdmirtc_dtls_cert_fingerprint(c1));
	assert_fingerprint_format(fp1);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(g_stat(sub, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);
	g_assert_true(g_file_get_contents(path, &pem, NULL, NULL));
	g_assert_nonnull(strstr(pem, "-----BEGIN EC PRIVATE KEY-----"));
	g_assert_nonnull(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	check_with_openssl(path, fp1);
	hdmirtc_dtls_cert_free(c1);

	c2 = hdmirtc_dtls_cert_load_or_create(path, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(hdmirtc_dtls_cert_fingerprint(c2), ==, fp1);
	/* A new key is a new fingerprint: the stable one came from the file. */
	g_assert_cmpstr(hdmirtc_dtls_cert_fingerprint(cert_a), !=, fp1);
	hdmirtc_dtls_cert_free(c2);
	hdmirtc_dtls_cert_free(NULL);

	g_assert_cmpint(g_unlink(path), ==, 0);
	g_assert_cmpint(g_rmdir(sub), ==, 0);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* Loading contents must fail with an error naming the file, which stays
 * byte for byte as it was. */
static void expect_corrupt(const char *dir, const char *contents, gssize len, const char *why)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(dir, "dtls.pem", NULL);
	g_autofree char *after = NULL;
	gsize after_len = 0;
	gsize n = len < 0 ? strlen(contents) : (gsize)len;

	g_test_message("corrupt case: %s", why ? why : "(any)");
	g_assert_true(g_file_set_contents(path, contents, (gssize)n, NULL));
	g_assert_null(hdmirtc_dtls_cert_load_or_create(path, &error));
	g_assert_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CERT_FILE);
	g_assert_nonnull(strstr(error->message, path));
	if (why)
		g_assert_nonnull(strstr(error->message, why));
	g_assert_true(g_file_get_contents(path, &after, &after_len, NULL));
	g_assert_cmpmem(after, after_len, contents, n);
	g_assert_cmpint(g_unlink(path), ==, 0);
}

static char *make_pem_file(const char *dir, const char *name)
{
	char *path = g_build_filename(dir, name, NULL);
	HdmirtcDtlsCert *c = hdmirtc_dtls_cert_load_or_create(path, NULL);
	char *pem = NULL;

	g_assert_nonnull(c);
	hdmirtc_dtls_cert_free(c);
	g_assert_true(g_file_get_contents(path, &pem, NULL, NULL));
	g_unlink(path);
	g_free(path);
	return pem;
}

static void test_cert_corrupt(void)
{
	g_autofree char *dir = g_dir_make_tmp("dtls-cert-XXXXXX", NULL);
	g_autofree char *pem1 = make_pem_file(dir, "one.pem");
	g_autofree char *pem2 = make_pem_file(dir, "two.pem");
	g_autofree char *cert2 = g_strdup(strstr(pem2, "-----BEGIN CERTIFICATE-----"));
	g_autofree char *key1 = g_strndup(pem1, (gsize)(strstr(pem1, "-----BEGIN CERTIFICATE-----") - pem1));
	g_autofree char *mixed = g_strconcat(key1, cert2, NULL);
	g_autofree char *dir_path = g_build_filename(dir, "is-a-dir", NULL);
	g_autoptr(GError) error = NULL;
	static const guint8 binary[] = { 0x30, 0x82, 0x01, 0x00, 0xff, 0x00, 0x17 };

	expect_corrupt(dir, "this is not a certificate\n", -1, NULL);
	expect_corrupt(dir, "", -1, "no PEM private key");
	expect_corrupt(dir, (const char *)binary, sizeof(binary), NULL);
	expect_corrupt(dir, pem1, (gssize)(strlen(pem1) / 2), NULL);   /* truncated */
	expect_corrupt(dir, key1, -1, "no PEM certificate");
	expect_corrupt(dir, cert2, -1, "no PEM private key");
	expect_corrupt(dir, mixed, -1, "does not match");

	/* A path that cannot be read as a file is an error, not a new key. */
	g_assert_cmpint(g_mkdir(dir_path, 0700), ==, 0);
	g_assert_null(hdmirtc_dtls_cert_load_or_create(dir_path, &error));
	g_assert_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CERT_FILE);
	g_assert_nonnull(strstr(error->message, dir_path));
	g_rmdir(dir_path);
	g_rmdir(dir);
}

/* ---- handshake harness ---- */

enum { CLIENT, SERVER };

typedef struct Pair Pair;

typedef struct {
	Pair *pair;
	int idx;
} Side;

typedef struct {
	int to;
	GBytes *data;
} Datagram;

struct Pair {
	GMainContext *ctx;
	GMainLoop *loop;
	HdmirtcDtls *dtls[2];
	Side side[2];
	GQueue queue;
	GSource *pump;
	guint sent[2];
	guint drop_client;          /* drop this many datagrams sent by the client */
	guint drop_server_nth;      /* drop the server's datagram number n (from 1) */
	guint dropped;
	gsize max_datagram;
	gboolean timed_out;
	gboolean free_in_connected;
	gboolean split_client_hellos;   /* as Chromium's do not fit one datagram */
	guint hellos_split;
	gboolean connected[2];
	HdmirtcSrtpKeys keys[2];
	gboolean closed[2];
	HdmirtcDtlsState closed_state[2];
	GError *closed_error[2];
};

static gboolean is_settled(HdmirtcDtlsState s)
{
	return s == HDMIRTC_DTLS_STATE_CONNECTED || s == HDMIRTC_DTLS_STATE_FAILED ||
	       s == HDMIRTC_DTLS_STATE_CLOSED;
}

static HdmirtcDtlsState pair_state(Pair *p, int idx)
{
	if (p->dtls[idx] == NULL)   /* freed from its connected callback */
		return HDMIRTC_DTLS_STATE_CONNECTED;
	return hdmirtc_dtls_get_state(p->dtls[idx]);
}

static void pair_check_done(Pair *p)
{
	HdmirtcDtlsState c = pair_state(p, CLIENT), s = pair_state(p, SERVER);

	if (!g_queue_is_empty(&p->queue))
		return;
	if ((is_settled(c) && is_settled(s)) || c == HDMIRTC_DTLS_STATE_FAILED ||
	    s == HDMIRTC_DTLS_STATE_FAILED)
		g_main_loop_quit(p->loop);
}

static gboolean on_pump(gpointer user_data)
{
	Pair *p = user_data;
	Datagram *d;

	g_source_unref(p->pump);
	p->pump = NULL;
	while ((d = g_queue_pop_head(&p->queue)) != NULL) {
		gsize len;
		const guint8 *data = g_bytes_get_data(d->data, &len);

		if (p->dtls[d->to])
			hdmirtc_dtls_handle_datagram(p->dtls[d->to], data, len);
		g_bytes_unref(d->data);
		g_free(d);
	}
	pair_check_done(p);
	return G_SOURCE_REMOVE;
}

static void queue_datagram(Pair *p, int to, const guint8 *buf, gsize len)
{
	Datagram *d = g_new0(Datagram, 1);

	d->to = to;
	d->data = g_bytes_new(buf, len);
	g_queue_push_tail(&p->queue, d);
	if (p->pump == NULL) {
		p->pump = g_idle_source_new();
		g_source_set_callback(p->pump, on_pump, p, NULL);
		g_source_attach(p->pump, p->ctx);
	}
}

/* One record with one epoch-0 ClientHello becomes three records with one
 * fragment each (RFC 6347 4.2.3), sent as three datagrams in the order
 * last, first, middle, and the first once more. */
static gboolean split_client_hello(Pair *p, const guint8 *buf, gsize len)
{
	static const guint order[] = { 2, 0, 1, 0 };
	gsize body;

	if (len < 25 || buf[0] != 22 || buf[3] || buf[4] || buf[13] != 1 ||
	    (gsize)(buf[11] << 8 | buf[12]) != len - 13)
		return FALSE;
	body = len - 25;
	for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
		gsize off = body * order[i] / 3, end = body * (order[i] + 1) / 3;
		gsize n = end - off;
		guint8 frag[1500];

		memcpy(frag, buf, 25);
		frag[11] = (guint8)((12 + n) >> 8);
		frag[12] = (guint8)(12 + n);
		frag[19] = (guint8)(off >> 16), frag[20] = (guint8)(off >> 8), frag[21] = (guint8)off;
		frag[22] = (guint8)(n >> 16), frag[23] = (guint8)(n >> 8), frag[24] = (guint8)n;
		memcpy(frag + 25, buf + 25 + off, n);
		queue_datagram(p, SERVER, frag, 25 + n);
	}
	p->hellos_split++;
	return TRUE;
}

static int on_send(const guint8 *buf, gsize len, gpointer user_data)
{
	Side *side = user_data;
	Pair *p = side->pair;

	p->sent[side->idx]++;
	p->max_datagram = MAX(p->max_datagram, len);
	if (side->idx == CLIENT && p->drop_client > 0) {
		p->drop_client--;
		p->dropped++;
		return (int)len;
	}
	if (side->idx == SERVER && p->sent[SERVER] == p->drop_server_nth) {
		p->dropped++;
		return (int)len;
	}
	if (!(side->idx == CLIENT && p->split_client_hellos && split_client_hello(p, buf, len)))
		queue_datagram(p, 1 - side->idx, buf, len);
	return (int)len;
}

static void on_connected(HdmirtcDtls *dtls, const HdmirtcSrtpKeys *keys, gpointer user_data)
{
	Side *side = user_data;
	Pair *p = side->pair;

	g_assert_true(dtls == p->dtls[side->idx]);
	g_assert_cmpint(hdmirtc_dtls_get_state(dtls), ==, HDMIRTC_DTLS_STATE_CONNECTED);
	p->connected[side->idx] = TRUE;
	p->keys[side->idx] = *keys;
	if (p->free_in_connected) {
		hdmirtc_dtls_free(dtls);
		p->dtls[side->idx] = NULL;
	}
}

static void on_closed(HdmirtcDtls *dtls, HdmirtcDtlsState state, const GError *reason,
                      gpointer user_data)
{
	Side *side = user_data;
	Pair *p = side->pair;

	g_assert_false(p->closed[side->idx]);
	g_assert_nonnull(reason);
	g_assert_cmpint(hdmirtc_dtls_get_state(dtls), ==, state);
	p->closed[side->idx] = TRUE;
	p->closed_state[side->idx] = state;
	p->closed_error[side->idx] = g_error_copy(reason);
	g_test_message("%s closed: %s", side->idx == CLIENT ? "client" : "server", reason->message);
}

static gboolean on_test_timeout(gpointer user_data)
{
	Pair *p = user_data;

	p->timed_out = TRUE;
	g_main_loop_quit(p->loop);
	return G_SOURCE_REMOVE;
}

typedef struct {
	const HdmirtcSrtpProfile *client_profiles;
	const HdmirtcSrtpProfile *server_profiles;
	const char *client_expects;   /* fingerprint override */
	const char *server_expects;
	guint mtu;
} PairConfig;

static const HdmirtcDtlsCallbacks pair_callbacks = {
	.send = on_send,
	.connected = on_connected,
	.closed = on_closed,
};

static void pair_init(Pair *p, const PairConfig *pc)
{
	HdmirtcDtlsConfig cc = {
		.role = HDMIRTC_DTLS_ROLE_CLIENT,
		.remote_fingerprint = pc->client_expects ? pc->client_expects
		                                         : hdmirtc_dtls_cert_fingerprint(cert_b),
		.mtu = pc->mtu,
		.srtp_profiles = pc->client_profiles,
	};
	HdmirtcDtlsConfig sc = {
		.role = HDMIRTC_DTLS_ROLE_SERVER,
		.remote_fingerprint = pc->server_expects ? pc->server_expects
		                                         : hdmirtc_dtls_cert_fingerprint(cert_a),
		.mtu = pc->mtu,
		.srtp_profiles = pc->server_profiles,
	};
	g_autoptr(GError) error = NULL;

	memset(p, 0, sizeof(*p));
	/* A private thread-default context: the sessions' timers must follow
	 * it rather than the global default context. */
	p->ctx = g_main_context_new();
	g_main_context_push_thread_default(p->ctx);
	p->loop = g_main_loop_new(p->ctx, FALSE);
	g_queue_init(&p->queue);
	for (int i = 0; i < 2; i++) {
		p->side[i].pair = p;
		p->side[i].idx = i;
	}
	p->dtls[CLIENT] = hdmirtc_dtls_new(cert_a, &cc, &pair_callbacks, &p->side[CLIENT], &error);
	g_assert_no_error(error);
	p->dtls[SERVER] = hdmirtc_dtls_new(cert_b, &sc, &pair_callbacks, &p->side[SERVER], &error);
	g_assert_no_error(error);
	g_assert_cmpint(hdmirtc_dtls_get_role(p->dtls[CLIENT]), ==, HDMIRTC_DTLS_ROLE_CLIENT);
	g_assert_cmpint(hdmirtc_dtls_get_state(p->dtls[SERVER]), ==, HDMIRTC_DTLS_STATE_NEW);
}

static void pair_run(Pair *p, guint timeout_s)
{
	GSource *guard = g_timeout_source_new_seconds(timeout_s);

	g_source_set_callback(guard, on_test_timeout, p, NULL);
	g_source_attach(guard, p->ctx);
	g_main_loop_run(p->loop);
	g_source_destroy(guard);
	g_source_unref(guard);
}

static void pair_start(Pair *p)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(hdmirtc_dtls_start(p->dtls[SERVER], &error));
	g_assert_no_error(error);
	g_assert_true(hdmirtc_dtls_start(p->dtls[CLIENT], &error));
	g_assert_no_error(error);
	g_assert_cmpint(hdmirtc_dtls_get_state(p->dtls[CLIENT]), ==, HDMIRTC_DTLS_STATE_HANDSHAKING);
	g_assert_false(hdmirtc_dtls_start(p->dtls[CLIENT], &error));
	g_assert_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_STATE);
}

static void pair_clear(Pair *p)
{
	Datagram *d;

	if (p->pump) {
		g_source_destroy(p->pump);
		g_source_unref(p->pump);
	}
	while ((d = g_queue_pop_head(&p->queue)) != NULL) {
		g_bytes_unref(d->data);
		g_free(d);
	}
	hdmirtc_dtls_free(p->dtls[CLIENT]);
	hdmirtc_dtls_free(p->dtls[SERVER]);
	for (int i = 0; i < 2; i++)
		g_clear_error(&p->closed_error[i]);
	explicit_bzero(p->keys, sizeof(p->keys));
	g_main_loop_unref(p->loop);
	g_main_context_pop_thread_default(p->ctx);
	/* Nothing of ours may be left on the context (timers freed). */
	while (g_main_context_iteration(p->ctx, FALSE))
		;
	g_main_context_unref(p->ctx);
}

static gboolean is_zero(const guint8 *b, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (b[i])
			return FALSE;
	return TRUE;
}

static void assert_connected(Pair *p, HdmirtcSrtpProfile profile)
{
	const HdmirtcSrtpKeys *k = &p->keys[CLIENT];

	g_assert_false(p->timed_out);
	g_assert_true(p->connected[CLIENT]);
	g_assert_true(p->connected[SERVER]);
	g_assert_false(p->closed[CLIENT]);
	g_assert_false(p->closed[SERVER]);
	g_assert_cmpint(k->profile, ==, profile);
	g_assert_cmpuint(k->key_len, ==, 16);
	g_assert_cmpuint(k->salt_len, ==, profile == HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14);
	/* Both ends derived the same material from the same master secret. */
	g_assert_cmpmem(&p->keys[CLIENT], sizeof(*k), &p->keys[SERVER], sizeof(*k));
	g_assert_false(is_zero(k->client_key, k->key_len));
	g_assert_false(is_zero(k->server_salt, k->salt_len));
	g_assert_true(memcmp(k->client_key, k->server_key, k->key_len) != 0);
	g_assert_true(memcmp(k->client_salt, k->server_salt, k->salt_len) != 0);
	g_assert_cmpuint(p->max_datagram, <=, 1200);
}

static void test_handshake_default(void)
{
	Pair p;
	PairConfig pc = { 0 };

	pair_init(&p, &pc);
	pair_start(&p);
	pair_run(&p, 10);
	/* wolfSSL's client lists profiles by id, the server takes the first. */
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
	g_assert_cmpuint(hdmirtc_dtls_get_malformed_count(p.dtls[CLIENT]), ==, 0);
	pair_clear(&p);
}

static const HdmirtcSrtpProfile only_gcm[] = {
	HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM, HDMIRTC_SRTP_PROFILE_NONE
};
static const HdmirtcSrtpProfile only_cm[] = {
	HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80, HDMIRTC_SRTP_PROFILE_NONE
};

static void test_handshake_gcm(void)
{
	Pair p;
	PairConfig pc = { .server_profiles = only_gcm };

	pair_init(&p, &pc);
	pair_start(&p);
	pair_run(&p, 10);
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM);
	pair_clear(&p);
}

static void test_handshake_no_common_profile(void)
{
	Pair p;
	PairConfig pc = { .client_profiles = only_cm, .server_profiles = only_gcm };

	pair_init(&p, &pc);
	pair_start(&p);
	pair_run(&p, 10);
	g_assert_false(p.timed_out);
	g_assert_false(p.connected[CLIENT]);
	g_assert_true(p.closed[CLIENT]);
	g_assert_cmpint(p.closed_state[CLIENT], ==, HDMIRTC_DTLS_STATE_FAILED);
	g_assert_error(p.closed_error[CLIENT], HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_NO_SRTP);
	pair_clear(&p);
}

static void test_handshake_small_mtu(void)
{
	Pair p;
	PairConfig pc = { .mtu = 300 };

	pair_init(&p, &pc);
	pair_start(&p);
	pair_run(&p, 10);
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
	/* The certificate (~400 bytes) had to be fragmented to fit. */
	g_assert_cmpuint(p.max_datagram, <=, 300);
	pair_clear(&p);
}

/* wolfSSL's server ignores a fragmented ClientHello; the session puts it
 * together first (the HelloVerifyRequest round gives a second one). */
static void test_handshake_fragmented_client_hello(void)
{
	Pair p;
	PairConfig pc = { 0 };

	pair_init(&p, &pc);
	p.split_client_hellos = TRUE;
	pair_start(&p);
	pair_run(&p, 10);
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
	g_assert_cmpuint(p.hellos_split, >=, 1);
	g_assert_cmpuint(hdmirtc_dtls_get_malformed_count(p.dtls[SERVER]), ==, 0);
	pair_clear(&p);
}

static void test_handshake_bad_config(void)
{
	static const HdmirtcSrtpProfile bogus[] = { 0x0002, HDMIRTC_SRTP_PROFILE_NONE };
	HdmirtcDtlsConfig c = {
		.role = HDMIRTC_DTLS_ROLE_CLIENT,
		.remote_fingerprint = "sha-1 00:11",
	};
	g_autoptr(GError) error = NULL;

	g_assert_null(hdmirtc_dtls_new(cert_a, &c, &pair_callbacks, NULL, &error));
	g_assert_error(error, HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_FINGERPRINT);
	g_clear_error(&error);
	c.remote_fingerprint = hdmirtc_dtls_cert_fingerprint(cert_b);
	c.srtp_profiles = bogus;
	g_assert_null(hdmirtc_dtls_new(cert_a, &c, &pair_callbacks, NULL, &error));
	g_assert_nonnull(error);
	g_clear_error(&error);
	c.srtp_profiles = NULL;
	c.mtu = 100;
	g_assert_null(hdmirtc_dtls_new(cert_a, &c, &pair_callbacks, NULL, &error));
	g_assert_nonnull(error);
}

static void test_handshake_wrong_fingerprint(gconstpointer data)
{
	gboolean client_checks = GPOINTER_TO_INT(data);
	int checker = client_checks ? CLIENT : SERVER;
	/* The other certificate's fingerprint: a valid value, the wrong peer. */
	const char *wrong = hdmirtc_dtls_cert_fingerprint(client_checks ? cert_a : cert_b);
	PairConfig pc = { 0 };
	Pair p;

	if (client_checks)
		pc.client_expects = wrong;
	else
		pc.server_expects = wrong;
	pair_init(&p, &pc);
	pair_start(&p);
	pair_run(&p, 10);
	g_assert_false(p.timed_out);
	g_assert_false(p.connected[checker]);
	g_assert_true(p.closed[checker]);
	g_assert_cmpint(p.closed_state[checker], ==, HDMIRTC_DTLS_STATE_FAILED);
	g_assert_error(p.closed_error[checker], HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_FINGERPRINT);
	g_assert_nonnull(strstr(p.closed_error[checker]->message, "does not match"));
	g_assert_cmpint(hdmirtc_dtls_get_state(p.dtls[checker]), ==, HDMIRTC_DTLS_STATE_FAILED);
	/* The other end must not believe it is connected either. */
	g_assert_false(p.connected[CLIENT] && p.connected[SERVER]);
	/* A failed session accepts nothing more. */
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(p.dtls[checker], (const guint8 *)"\x16\xfe\xfd", 3),
	                ==, -ENOTCONN);
	pair_clear(&p);
}

static void feed_garbage(HdmirtcDtls *dtls)
{
	/* handshake record, DTLS 1.2, epoch 0, length 5 but only 2 bytes */
	static const guint8 short_body[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 5, 1, 2 };
	/* unknown content type 99 */
	static const guint8 bad_type[] = { 99, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 };
	/* TLS (not DTLS) version */
	static const guint8 bad_version[] = { 22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 };
	/* one good empty record followed by 3 stray bytes */
	static const guint8 trailing[] = { 23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 7, 7, 7 };
	guint8 random_bytes[300];
	guint64 before = hdmirtc_dtls_get_malformed_count(dtls);

	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, short_body, sizeof(short_body)), ==, -EBADMSG);
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, bad_type, sizeof(bad_type)), ==, -EBADMSG);
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, bad_version, sizeof(bad_version)), ==, -EBADMSG);
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, trailing, sizeof(trailing)), ==, -EBADMSG);
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, short_body, 1), ==, -EBADMSG);
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, NULL, 10), ==, -EINVAL);
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, short_body, 0), ==, -EINVAL);
	g_assert_cmpuint(hdmirtc_dtls_get_malformed_count(dtls), ==, before + 5);
	/* Well-framed records with random contents reach wolfSSL, which must
	 * drop them without failing the session: application data and
	 * handshake records in epoch 1 (do not authenticate) and epoch 0. */
	for (guint i = 0; i < sizeof(random_bytes); i++)
		random_bytes[i] = (guint8)g_test_rand_int();
	random_bytes[0] = 23;
	random_bytes[1] = 0xfe;
	random_bytes[2] = 0xfd;
	random_bytes[3] = 0;
	random_bytes[4] = 1;
	random_bytes[11] = (sizeof(random_bytes) - 13) >> 8;
	random_bytes[12] = (sizeof(random_bytes) - 13) & 0xff;
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, random_bytes, sizeof(random_bytes)), ==, 0);
	random_bytes[0] = 22;
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, random_bytes, sizeof(random_bytes)), ==, 0);
	random_bytes[4] = 0;   /* epoch 0: a plaintext handshake record full of noise */
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(dtls, random_bytes, sizeof(random_bytes)), ==, 0);
}

static void test_handshake_garbage(void)
{
	Pair p;
	PairConfig pc = { 0 };

	pair_init(&p, &pc);
	/* Before start a client takes nothing. */
	g_assert_cmpint(hdmirtc_dtls_handle_datagram(p.dtls[CLIENT], (const guint8 *)"\x16", 1), ==,
	                -ENOTCONN);
	pair_start(&p);
	feed_garbage(p.dtls[SERVER]);
	feed_garbage(p.dtls[CLIENT]);
	g_assert_cmpint(hdmirtc_dtls_get_state(p.dtls[CLIENT]), ==, HDMIRTC_DTLS_STATE_HANDSHAKING);
	pair_run(&p, 10);
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
	/* And after the handshake. */
	feed_garbage(p.dtls[SERVER]);
	feed_garbage(p.dtls[CLIENT]);
	g_assert_cmpint(hdmirtc_dtls_get_state(p.dtls[CLIENT]), ==, HDMIRTC_DTLS_STATE_CONNECTED);
	g_assert_cmpint(hdmirtc_dtls_get_state(p.dtls[SERVER]), ==, HDMIRTC_DTLS_STATE_CONNECTED);
	g_assert_cmpuint(hdmirtc_dtls_get_malformed_count(p.dtls[SERVER]), ==, 10);
	pair_clear(&p);
}

static void test_handshake_retransmit(void)
{
	Pair p;
	PairConfig pc = { 0 };
	gint64 t0;

	pair_init(&p, &pc);
	p.drop_client = 1;   /* the first ClientHello never arrives */
	t0 = g_get_monotonic_time();
	pair_start(&p);
	g_assert_cmpuint(p.dropped, ==, 1);
	pair_run(&p, 10);
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
	/* Recovered by the 1 s timer, not by anything else. */
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 900 * 1000);
	g_assert_cmpuint(p.sent[CLIENT], >=, 3);
	pair_clear(&p);
}

/* The server's last flight (ChangeCipherSpec, Finished) is lost: the client
 * retransmits its own last flight on timeout and the already connected
 * server must answer it again. */
static void test_handshake_lost_last_flight(void)
{
	Pair p;
	PairConfig pc = { 0 };
	guint server_datagrams;
	gint64 t0;

	pair_init(&p, &pc);
	pair_start(&p);
	pair_run(&p, 10);
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
	server_datagrams = p.sent[SERVER];
	pair_clear(&p);

	pair_init(&p, &pc);
	p.drop_server_nth = server_datagrams;
	t0 = g_get_monotonic_time();
	pair_start(&p);
	pair_run(&p, 10);
	g_assert_cmpuint(p.dropped, ==, 1);
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 900 * 1000);
	g_assert_cmpuint(p.sent[SERVER], >, server_datagrams);
	pair_clear(&p);
}

static void test_handshake_close(void)
{
	Pair p;
	PairConfig pc = { 0 };

	pair_init(&p, &pc);
	pair_start(&p);
	pair_run(&p, 10);
	assert_connected(&p, HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80);
	hdmirtc_dtls_close(p.dtls[CLIENT]);
	g_assert_cmpint(hdmirtc_dtls_get_state(p.dtls[CLIENT]), ==, HDMIRTC_DTLS_STATE_CLOSED);
	g_assert_false(p.closed[CLIENT]);   /* local close: no callback */
	pair_run(&p, 10);
	g_assert_false(p.timed_out);
	g_assert_true(p.closed[SERVER]);
	g_assert_cmpint(p.closed_state[SERVER], ==, HDMIRTC_DTLS_STATE_CLOSED);
	g_assert_error(p.closed_error[SERVER], HDMIRTC_DTLS_ERROR, HDMIRTC_DTLS_ERROR_CLOSED);
	hdmirtc_dtls_close(p.dtls[CLIENT]);   /* idempotent */
	pair_clear(&p);
}

static void test_handshake_free_in_callback(void)
{
	Pair p;
	PairConfig pc = { 0 };

	pair_init(&p, &pc);
	p.free_in_connected = TRUE;
	pair_start(&p);
	pair_run(&p, 10);
	g_assert_false(p.timed_out);
	g_assert_true(p.connected[CLIENT]);
	g_assert_true(p.connected[SERVER]);
	g_assert_null(p.dtls[CLIENT]);
	g_assert_null(p.dtls[SERVER]);
	pair_clear(&p);
}

/* ---- SRTP ---- */

static gsize make_rtp(guint8 *buf, guint16 seq, guint32 ssrc, gsize payload_len)
{
	buf[0] = 0x80;
	buf[1] = 96;
	buf[2] = seq >> 8;
	buf[3] = seq & 0xff;
	memset(buf + 4, 0x11, 4);   /* timestamp */
	buf[8] = ssrc >> 24;
	buf[9] = (ssrc >> 16) & 0xff;
	buf[10] = (ssrc >> 8) & 0xff;
	buf[11] = ssrc & 0xff;
	for (gsize i = 0; i < payload_len; i++)
		buf[12 + i] = (guint8)(i * 7 + seq);
	return 12 + payload_len;
}

/* RTCP receiver report with no report blocks, plus a PLI. */
static gsize make_rtcp(guint8 *buf, guint32 ssrc)
{
	static const guint8 rr_pli[] = {
		0x80, 201, 0, 1, 0, 0, 0, 0,
		0x81, 206, 0, 2, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78,
	};

	memcpy(buf, rr_pli, sizeof(rr_pli));
	buf[4] = ssrc >> 24;
	buf[5] = (ssrc >> 16) & 0xff;
	buf[6] = (ssrc >> 8) & 0xff;
	buf[7] = ssrc & 0xff;
	return sizeof(rr_pli);
}

static void check_rtp_path(HdmirtcSrtpSession *tx, HdmirtcSrtpSession *rx, gsize overhead)
{
	guint8 plain[1200];
	gsize plain_len = make_rtp(plain, 4242, 0x11223344, 1000);
	gsize cap = plain_len + overhead, len = plain_len;
	/* Exactly the room protect needs, on the heap: ASan sees overruns. */
	guint8 *buf = g_malloc(cap);
	guint8 *copy;

	memcpy(buf, plain, plain_len);
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtp(tx, buf, &len, cap - 1), ==, -ENOBUFS);
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtp(tx, buf, &len, cap), ==, 0);
	g_assert_cmpuint(len, ==, plain_len + overhead);
	g_assert_cmpmem(buf, 12, plain, 12);                          /* header in clear */
	g_assert_true(memcmp(buf + 12, plain + 12, plain_len - 12) != 0); /* payload not */
	copy = g_memdup2(buf, len);

	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtp(rx, buf, &len), ==, 0);
	g_assert_cmpmem(buf, len, plain, plain_len);
	/* Replayed packet. */
	len = cap;
	memcpy(buf, copy, cap);
	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtp(rx, buf, &len), ==, -EALREADY);
	/* Tampered payload (new sequence number so replay does not hide it). */
	len = make_rtp(buf, 4243, 0x11223344, 1000);
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtp(tx, buf, &len, cap), ==, 0);
	buf[100] ^= 1;
	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtp(rx, buf, &len), ==, -EBADMSG);
	/* A NACK retransmission protects the same sequence number again. */
	len = make_rtp(buf, 4243, 0x11223344, 1000);
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtp(tx, buf, &len, cap), ==, 0);
	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtp(rx, buf, &len), ==, 0);
	g_assert_cmpuint(len, ==, plain_len);
	/* Truncated input. */
	len = 5;
	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtp(rx, buf, &len), ==, -EINVAL);
	len = 5;
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtp(tx, buf, &len, cap), ==, -EINVAL);
	g_free(copy);
	g_free(buf);
}

static void check_rtcp_path(HdmirtcSrtpSession *tx, HdmirtcSrtpSession *rx, gsize overhead)
{
	guint8 plain[64];
	gsize plain_len = make_rtcp(plain, 0xcafe0001);
	gsize cap = plain_len + overhead, len = plain_len;
	guint8 *buf = g_malloc(cap);

	memcpy(buf, plain, plain_len);
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtcp(tx, buf, &len, cap - 1), ==, -ENOBUFS);
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtcp(tx, buf, &len, cap), ==, 0);
	g_assert_cmpuint(len, ==, plain_len + overhead);
	g_assert_true(memcmp(buf + 8, plain + 8, plain_len - 8) != 0);
	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtcp(rx, buf, &len), ==, 0);
	g_assert_cmpmem(buf, len, plain, plain_len);

	len = make_rtcp(buf, 0xcafe0001);
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtcp(tx, buf, &len, cap), ==, 0);
	buf[len - 1] ^= 0x80;   /* tag */
	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtcp(rx, buf, &len), ==, -EBADMSG);
	len = 3;
	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtcp(rx, buf, &len), ==, -EINVAL);
	g_free(buf);
}

static void test_srtp_after_handshake(gconstpointer data)
{
	HdmirtcSrtpProfile profile = GPOINTER_TO_INT(data);
	gsize tag = profile == HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM ? 16 : 10;
	PairConfig pc = { .server_profiles = profile == HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM
	                                     ? only_gcm : only_cm };
	g_autoptr(GError) error = NULL;
	HdmirtcSrtpSession *client, *server;
	Pair p;

	pair_init(&p, &pc);
	pair_start(&p);
	pair_run(&p, 10);
	assert_connected(&p, profile);
	client = hdmirtc_srtp_session_new(&p.keys[CLIENT], TRUE, &error);
	g_assert_no_error(error);
	server = hdmirtc_srtp_session_new(&p.keys[SERVER], FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(hdmirtc_srtp_session_get_profile(client), ==, profile);

	/* Media goes both ways in the test, though the service only sends. */
	check_rtp_path(client, server, tag);
	check_rtp_path(server, client, tag);
	check_rtcp_path(client, server, 4 + tag);
	check_rtcp_path(server, client, 4 + tag);
	g_assert_cmpuint(4 + tag, <=, HDMIRTC_SRTP_MAX_OVERHEAD);

	hdmirtc_srtp_session_free(client);
	hdmirtc_srtp_session_free(server);
	hdmirtc_srtp_session_free(NULL);
	pair_clear(&p);
}

/* Keys in the wrong direction (both sides think they are the client) must
 * not decrypt: the direction mapping matters. */
static void test_srtp_direction(void)
{
	HdmirtcSrtpKeys keys = { .profile = HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80,
		                 .key_len = 16, .salt_len = 14 };
	HdmirtcSrtpSession *a, *b;
	guint8 buf[200];
	gsize len;

	for (guint i = 0; i < 16; i++) {
		keys.client_key[i] = (guint8)i;
		keys.server_key[i] = (guint8)(0x80 + i);
	}
	memset(keys.client_salt, 0x33, 14);
	memset(keys.server_salt, 0x44, 14);
	a = hdmirtc_srtp_session_new(&keys, TRUE, NULL);
	b = hdmirtc_srtp_session_new(&keys, TRUE, NULL);
	g_assert_nonnull(a);
	g_assert_nonnull(b);
	len = make_rtp(buf, 1, 42, 100);
	g_assert_cmpint(hdmirtc_srtp_session_protect_rtp(a, buf, &len, sizeof(buf)), ==, 0);
	g_assert_cmpint(hdmirtc_srtp_session_unprotect_rtp(b, buf, &len), ==, -EBADMSG);
	hdmirtc_srtp_session_free(a);
	hdmirtc_srtp_session_free(b);
}

static void test_srtp_bad_keys(void)
{
	HdmirtcSrtpKeys keys = { .profile = HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM,
		                 .key_len = 16, .salt_len = 14 };
	g_autoptr(GError) error = NULL;

	g_assert_null(hdmirtc_srtp_session_new(&keys, TRUE, &error));
	g_assert_error(error, HDMIRTC_SRTP_ERROR, HDMIRTC_SRTP_ERROR_BAD_KEYS);
	g_clear_error(&error);
	keys.profile = 0x0002;
	keys.salt_len = 14;
	g_assert_null(hdmirtc_srtp_session_new(&keys, TRUE, &error));
	g_assert_error(error, HDMIRTC_SRTP_ERROR, HDMIRTC_SRTP_ERROR_BAD_KEYS);
	g_assert_cmpstr(hdmirtc_srtp_profile_to_string(HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM), ==,
	                "AEAD_AES_128_GCM");
	g_assert_cmpstr(hdmirtc_dtls_state_to_string(HDMIRTC_DTLS_STATE_CONNECTED), ==, "connected");
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	cert_a = hdmirtc_dtls_cert_new_ephemeral(NULL);
	cert_b = hdmirtc_dtls_cert_new_ephemeral(NULL);
	g_assert_nonnull(cert_a);
	g_assert_nonnull(cert_b);

	g_test_add_func("/dtls/fingerprint/parse", test_fingerprint_parse);
	g_test_add_func("/dtls/cert/persist", test_cert_persist);
	g_test_add_func("/dtls/cert/corrupt", test_cert_corrupt);
	g_test_add_func("/dtls/handshake/default", test_handshake_default);
	g_test_add_func("/dtls/handshake/gcm", test_handshake_gcm);
	g_test_add_func("/dtls/handshake/no-common-profile", test_handshake_no_common_profile);
	g_test_add_func("/dtls/handshake/small-mtu", test_handshake_small_mtu);
	g_test_add_func("/dtls/handshake/fragmented-client-hello", test_handshake_fragmented_client_hello);
	g_test_add_func("/dtls/handshake/bad-config", test_handshake_bad_config);
	g_test_add_data_func("/dtls/handshake/wrong-fingerprint/client", GINT_TO_POINTER(TRUE),
	                     test_handshake_wrong_fingerprint);
	g_test_add_data_func("/dtls/handshake/wrong-fingerprint/server", GINT_TO_POINTER(FALSE),
	                     test_handshake_wrong_fingerprint);
	g_test_add_func("/dtls/handshake/garbage", test_handshake_garbage);
	g_test_add_func("/dtls/handshake/retransmit", test_handshake_retransmit);
	g_test_add_func("/dtls/handshake/lost-last-flight", test_handshake_lost_last_flight);
	g_test_add_func("/dtls/handshake/close", test_handshake_close);
	g_test_add_func("/dtls/handshake/free-in-callback", test_handshake_free_in_callback);
	g_test_add_data_func("/srtp/after-handshake/cm-sha1-80",
	                     GINT_TO_POINTER(HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80),
	                     test_srtp_after_handshake);
	g_test_add_data_func("/srtp/after-handshake/aead-aes-128-gcm",
	                     GINT_TO_POINTER(HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM),
	                     test_srtp_after_handshake);
	g_test_add_func("/srtp/direction", test_srtp_direction);
	g_test_add_func("/srtp/bad-keys", test_srtp_bad_keys);
	ret = g_test_run();
	hdmirtc_dtls_cert_free(cert_a);
	hdmirtc_dtls_cert_free(cert_b);
	return ret;
}
