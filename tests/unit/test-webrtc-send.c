/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Batched sending (src/webrtc/udp-batch.c, hdmirtc_ice_transport_send_batch):
 * every datagram arrives, whole, in order, on loopback only.
 *  - udp-batch between two plain UDP sockets, with and without GSO, with
 *    runs of equal sizes broken by shorter and longer datagrams;
 *  - the ICE transport against a controlling libnice agent: SRTP-protected
 *    RTP packets sent in batches on the direct socket path and through
 *    libnice, each decrypted by the receiver and checked in order. */
#include "hdmirtc/srtp-session.h"
#include "src/webrtc/ice-transport.h"
#include "src/webrtc/udp-batch.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nice/agent.h>
#include <sys/socket.h>

#define TIMEOUT_US (10 * G_USEC_PER_SEC)

/* ---- udp-batch on plain sockets ------------------------------------------ */

typedef struct {
	int tx;
	int rx;
	struct sockaddr_in rx_addr;
} SocketPair;

static void socket_pair_open(SocketPair *p)
{
	socklen_t len = sizeof(p->rx_addr);
	int rcvbuf = 4 << 20;

	p->tx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	p->rx = socket(AF_INET, SOCK_DGRAM, 0);
	g_assert_cmpint(p->tx, >=, 0);
	g_assert_cmpint(p->rx, >=, 0);
	setsockopt(p->rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&p->rx_addr, 0, sizeof(p->rx_addr));
	p->rx_addr.sin_family = AF_INET;
	p->rx_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(p->rx, (struct sockaddr *)&p->rx_addr, sizeof(p->rx_addr)), ==, 0);
	g_assert_cmpint(getsockname(p->rx, (struct sockaddr *)&p->rx_addr, &len), ==, 0);
}

static void socket_pair_close(SocketPair *p)
{
	close(p->tx);
	close(p->rx);
}

/* Datagram i: its size, then bytes that name it. */
static void fill_datagram(guint8 *buf, gsize size, guint i)
{
	for (gsize k = 0; k < size; k++)
		buf[k] = (guint8)(i * 7 + k);
}

static void check_datagram(const guint8 *buf, gssize got, gsize size, guint i)
{
	g_assert_cmpint(got, ==, (gssize)size);
	for (gsize k = 0; k < size; k++) {
		if (buf[k] != (guint8)(i * 7 + k))
			g_error("datagram %u: byte %" G_GSIZE_FORMAT " differs", i, k);
	}
}

/* Sizes as a frame gives them: a first packet with a header extension,
 * equal-sized FU-A fragments (one byte more on the first few), then a
 * runt NAL, and a long equal run that is more than 64 kB in all. */
static gsize sizes[HDMIRTC_UDP_BATCH_MAX];

static void make_sizes(void)
{
	guint i = 0;

	sizes[i++] = 1214;
	for (guint k = 0; k < 4; k++)
		sizes[i++] = 1201;
	for (guint k = 0; k < 6; k++)
		sizes[i++] = 1200;
	sizes[i++] = 90;
	sizes[i++] = 300;
	while (i < HDMIRTC_UDP_BATCH_MAX)
		sizes[i++] = 1180;
}

static void test_udp_batch(gconstpointer data)
{
	gboolean try_gso = GPOINTER_TO_INT(data);
	static guint8 bufs[HDMIRTC_UDP_BATCH_MAX][1500];
	GOutputVector vec[HDMIRTC_UDP_BATCH_MAX];
	HdmirtcUdpBatch b;
	SocketPair p;

	make_sizes();
	socket_pair_open(&p);
	hdmirtc_udp_batch_init(&b, p.tx, (struct sockaddr *)&p.rx_addr, sizeof(p.rx_addr), try_gso);
	for (guint round = 0; round < 3; round++) {
		for (guint i = 0; i < HDMIRTC_UDP_BATCH_MAX; i++) {
			fill_datagram(bufs[i], sizes[i], round * 100 + i);
			vec[i] = (GOutputVector){ .buffer = bufs[i], .size = sizes[i] };
		}
		g_assert_cmpint(hdmirtc_udp_batch_send(&b, vec, HDMIRTC_UDP_BATCH_MAX), ==,
				HDMIRTC_UDP_BATCH_MAX);
		for (guint i = 0; i < HDMIRTC_UDP_BATCH_MAX; i++) {
			guint8 rx[2000];
			gssize got = recv(p.rx, rx, sizeof(rx), 0);
			check_datagram(rx, got, sizes[i], round * 100 + i);
		}
	}
	g_test_message("GSO %s, %" G_GUINT64_FORMAT " sendmmsg calls for %u datagrams, %"
		       G_GUINT64_FORMAT " of them in GSO sends",
		       hdmirtc_udp_gso_to_string(b.gso), b.syscalls, 3 * HDMIRTC_UDP_BATCH_MAX,
		       b.gso_datagrams);
	if (!try_gso) {
		g_assert_cmpint(b.gso, ==, HDMIRTC_UDP_GSO_OFF);
		g_assert_cmpuint(b.gso_datagrams, ==, 0);
	} else {
		/* Known either way after a send; loopback checksums, so a
		 * kernel with UDP_SEGMENT takes it. */
		g_assert_cmpint(b.gso, !=, HDMIRTC_UDP_GSO_UNKNOWN);
	}
	socket_pair_close(&p);
}

/* A GSO send the kernel refuses turns GSO off, and the same datagrams
 * still go out, one message each.  The refusal: a socket that sends
 * without UDP checksums (SO_NO_CHECK) cannot do GSO (EINVAL). */
static void test_udp_batch_gso_refused(void)
{
	static guint8 bufs[4][900];
	GOutputVector vec[4];
	HdmirtcUdpBatch b;
	SocketPair p;
	int no_check = 1;

	socket_pair_open(&p);
	hdmirtc_udp_batch_init(&b, p.tx, (struct sockaddr *)&p.rx_addr, sizeof(p.rx_addr), TRUE);
	if (b.gso == HDMIRTC_UDP_GSO_OFF) {
		g_test_skip("this kernel has no UDP_SEGMENT");
		socket_pair_close(&p);
		return;
	}
	for (guint i = 0; i < 4; i++) {
		fill_datagram(bufs[i], 900, i);
		vec[i] = (GOutputVector){ .buffer = bufs[i], .size = 900 };
	}
	if (setsockopt(p.tx, SOL_SOCKET, SO_NO_CHECK, &no_check, sizeof(no_check)) != 0) {
		g_test_skip("SO_NO_CHECK not available");
		socket_pair_close(&p);
		return;
	}
	g_assert_cmpint(hdmirtc_udp_batch_send(&b, vec, 4), ==, 4);
	g_assert_cmpint(b.gso, ==, HDMIRTC_UDP_GSO_OFF);
	for (guint i = 0; i < 4; i++) {
		guint8 rx[2000];
		gssize got = recv(p.rx, rx, sizeof(rx), 0);
		check_datagram(rx, got, 900, i);
	}
	socket_pair_close(&p);
}

/* ---- the ICE transport against a libnice viewer --------------------------- */

typedef struct {
	GMainContext *ctx;
	HdmirtcIceTransport *server;
	HdmirtcIceState server_state;
	gboolean server_gathered;
	NiceAgent *viewer;
	guint stream;
	gboolean viewer_gathered;
	gboolean viewer_ready;
	HdmirtcSrtpSession *srtp_rx;
	guint received;                 /* packets decrypted, in order */
	guint16 next_seq;
	guint bad;                      /* failed to decrypt or out of order */
	GSource *ticker;
} IcePair;

static gboolean on_tick(gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

static void on_server_state(HdmirtcIceTransport *ice, HdmirtcIceState state, gpointer user_data)
{
	((IcePair *)user_data)->server_state = state;
}

static void on_server_gathered(HdmirtcIceTransport *ice, gpointer user_data)
{
	((IcePair *)user_data)->server_gathered = TRUE;
}

static void on_viewer_gathered(NiceAgent *agent, guint stream_id, gpointer user_data)
{
	((IcePair *)user_data)->viewer_gathered = TRUE;
}

static void on_viewer_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                            gpointer user_data)
{
	if (state == NICE_COMPONENT_STATE_READY)
		((IcePair *)user_data)->viewer_ready = TRUE;
}

/* Packet seq carries payload bytes derived from seq; each must decrypt and
 * come right after the one before. */
static void on_viewer_receive(NiceAgent *agent, guint stream_id, guint component_id, guint len,
                              gchar *buf, gpointer user_data)
{
	IcePair *p = user_data;
	guint8 pkt[1500];
	gsize n = len;

	if (len < 12 || len > sizeof(pkt) || !p->srtp_rx)
		return;
	memcpy(pkt, buf, len);
	if (hdmirtc_srtp_session_unprotect_rtp(p->srtp_rx, pkt, &n) < 0) {
		p->bad++;
		return;
	}
	guint16 seq = (guint16)(pkt[2] << 8 | pkt[3]);
	if (seq != p->next_seq || pkt[n - 1] != (guint8)(seq * 3)) {
		p->bad++;
		return;
	}
	p->next_seq++;
	p->received++;
}

static gboolean iterate_until(IcePair *p, gboolean *flag)
{
	gint64 end = g_get_monotonic_time() + TIMEOUT_US;

	/* The ticker (ice_pair_connect) wakes the loop up every few ms. */
	while (!*flag && g_get_monotonic_time() < end)
		g_main_context_iteration(p->ctx, TRUE);
	return *flag;
}

static void exchange_candidates(IcePair *p)
{
	g_autoptr(GPtrArray) lines = hdmirtc_ice_transport_get_local_candidates(p->server);
	GSList *mine = nice_agent_get_local_candidates(p->viewer, p->stream, 1);
	GSList *theirs = NULL;
	gchar *ufrag = NULL, *pwd = NULL;

	for (guint i = 0; i < lines->len; i++) {
		g_autofree char *sdp = g_strconcat("a=", lines->pdata[i], NULL);
		NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(p->viewer, p->stream, sdp);
		if (c)
			theirs = g_slist_append(theirs, c);
	}
	g_assert_nonnull(theirs);
	g_assert_true(nice_agent_set_remote_credentials(p->viewer, p->stream,
							hdmirtc_ice_transport_get_ufrag(p->server),
							hdmirtc_ice_transport_get_pwd(p->server)));
	g_assert_cmpint(nice_agent_set_remote_candidates(p->viewer, p->stream, 1, theirs), >, 0);
	g_slist_free_full(theirs, (GDestroyNotify)nice_candidate_free);

	g_assert_true(nice_agent_get_local_credentials(p->viewer, p->stream, &ufrag, &pwd));
	g_assert_true(hdmirtc_ice_transport_set_remote_credentials(p->server, ufrag, pwd, NULL));
	for (GSList *l = mine; l; l = l->next) {
		g_autofree char *sdp = nice_agent_generate_local_candidate_sdp(p->viewer, l->data);
		g_assert_true(hdmirtc_ice_transport_add_remote_candidate(p->server, sdp));
	}
	hdmirtc_ice_transport_remote_gathering_done(p->server);
	g_slist_free_full(mine, (GDestroyNotify)nice_candidate_free);
	g_free(ufrag);
	g_free(pwd);
}

static void ice_pair_connect(IcePair *p, const HdmirtcSrtpKeys *keys)
{
	static const char *const loopback[] = { "127.0.0.1", NULL };
	HdmirtcIceConfig config = { .local_addresses = loopback };
	HdmirtcIceCallbacks cb = { .state_changed = on_server_state, .gathering_done = on_server_gathered };
	NiceAddress addr;

	p->ctx = g_main_context_new();
	p->ticker = g_timeout_source_new(5);
	g_source_set_callback(p->ticker, on_tick, NULL, NULL);
	g_source_attach(p->ticker, p->ctx);
	p->server = hdmirtc_ice_transport_new(p->ctx, &config, &cb, p, NULL);
	g_assert_nonnull(p->server);
	/* Without STUN or TURN gathering may be over before new() returns
	 * (then there is no callback, as for the peer). */
	p->server_gathered = hdmirtc_ice_transport_is_gathering_done(p->server);

	p->viewer = nice_agent_new(p->ctx, NICE_COMPATIBILITY_RFC5245);
	g_object_set(p->viewer, "controlling-mode", TRUE, "upnp", FALSE, "ice-tcp", FALSE, NULL);
	nice_address_init(&addr);
	g_assert_true(nice_address_set_from_string(&addr, "127.0.0.1"));
	nice_agent_add_local_address(p->viewer, &addr);
	p->stream = nice_agent_add_stream(p->viewer, 1);
	g_signal_connect(p->viewer, "candidate-gathering-done", G_CALLBACK(on_viewer_gathered), p);
	g_signal_connect(p->viewer, "component-state-changed", G_CALLBACK(on_viewer_state), p);
	nice_agent_attach_recv(p->viewer, p->stream, 1, p->ctx, on_viewer_receive, p);
	g_assert_true(nice_agent_gather_candidates(p->viewer, p->stream));

	g_assert_true(iterate_until(p, &p->viewer_gathered));
	g_assert_true(iterate_until(p, &p->server_gathered));
	exchange_candidates(p);
	g_assert_true(iterate_until(p, &p->viewer_ready));
	gboolean connected = FALSE;
	gint64 end = g_get_monotonic_time() + TIMEOUT_US;
	while (!(connected = p->server_state == HDMIRTC_ICE_STATE_CONNECTED) &&
	       g_get_monotonic_time() < end)
		g_main_context_iteration(p->ctx, TRUE);
	g_assert_true(connected);
	p->srtp_rx = hdmirtc_srtp_session_new(keys, FALSE, NULL);
	g_assert_nonnull(p->srtp_rx);
}

static void ice_pair_close(IcePair *p)
{
	hdmirtc_ice_transport_free(p->server);
	nice_agent_attach_recv(p->viewer, p->stream, 1, p->ctx, NULL, NULL);
	nice_agent_close_async(p->viewer, NULL, NULL);
	g_object_unref(p->viewer);
	hdmirtc_srtp_session_free(p->srtp_rx);
	g_source_destroy(p->ticker);
	g_source_unref(p->ticker);
	while (g_main_context_iteration(p->ctx, FALSE))
		;
	g_main_context_unref(p->ctx);
}

static void make_keys(HdmirtcSrtpKeys *keys)
{
	memset(keys, 0, sizeof(*keys));
	keys->profile = HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80;
	keys->key_len = HDMIRTC_SRTP_MASTER_KEY_LEN;
	keys->salt_len = 14;
	for (guint i = 0; i < HDMIRTC_SRTP_MASTER_KEY_LEN; i++) {
		keys->client_key[i] = (guint8)(i + 1);
		keys->server_key[i] = (guint8)(i + 101);
	}
	for (guint i = 0; i < 14; i++) {
		keys->client_salt[i] = (guint8)(i + 51);
		keys->server_salt[i] = (guint8)(i + 151);
	}
}

/* A minimal RTP packet: 12-byte header, then size - 12 payload bytes,
 * the last one derived from seq. */
static gsize write_rtp(guint8 *buf, guint16 seq, gsize size)
{
	memset(buf, 0, size);
	buf[0] = 0x80;
	buf[1] = 96;
	buf[2] = (guint8)(seq >> 8);
	buf[3] = (guint8)seq;
	buf[8] = 0x12;
	buf[11] = 0x34;
	buf[size - 1] = (guint8)(seq * 3);
	return size;
}

/* 300 "frames" worth of packets, sent in batches of up to 64 with sizes
 * as the packetizer makes them; all must arrive, decrypt, in order. */
static void test_ice_send_batch(gconstpointer data)
{
	gboolean direct = GPOINTER_TO_INT(data);
	static guint8 bufs[HDMIRTC_ICE_BATCH_MAX][1500];
	GOutputVector vec[HDMIRTC_ICE_BATCH_MAX];
	HdmirtcSrtpKeys keys;
	IcePair p = { 0 };
	guint16 seq = 0;
	guint total = 0;

	make_keys(&keys);
	ice_pair_connect(&p, &keys);
	HdmirtcSrtpSession *tx = hdmirtc_srtp_session_new(&keys, TRUE, NULL);
	g_assert_nonnull(tx);
	hdmirtc_ice_transport_set_direct_send(p.server, direct);
	for (guint frame = 0; frame < 40; frame++) {
		/* 1..64 packets: most frames a few, some (keyframes) many. */
		guint n = frame % 10 == 0 ? HDMIRTC_ICE_BATCH_MAX : 3 + frame % 17;
		for (guint i = 0; i < n; i++) {
			gsize size = write_rtp(bufs[i], seq++, i == n - 1 ? 400 : 1100 + (i == 0) * 12);
			g_assert_cmpint(hdmirtc_srtp_session_protect_rtp(tx, bufs[i], &size, sizeof(bufs[i])), ==, 0);
			vec[i] = (GOutputVector){ .buffer = bufs[i], .size = size };
		}
		g_assert_cmpint(hdmirtc_ice_transport_send_batch(p.server, vec, n), ==, (int)n);
		total += n;
		/* Let the viewer read, as a real one does between frames. */
		gint64 end = g_get_monotonic_time() + TIMEOUT_US;
		while (p.received + p.bad < total && g_get_monotonic_time() < end)
			g_main_context_iteration(p.ctx, TRUE);
	}
	g_test_message("send path %s", hdmirtc_ice_transport_get_send_path(p.server));
	if (direct)
		g_assert_true(g_str_has_prefix(hdmirtc_ice_transport_get_send_path(p.server), "udp-"));
	else
		g_assert_cmpstr(hdmirtc_ice_transport_get_send_path(p.server), ==, "libnice");
	g_assert_cmpuint(p.bad, ==, 0);
	g_assert_cmpuint(p.received, ==, total);
	hdmirtc_srtp_session_free(tx);
	ice_pair_close(&p);
}

static void test_ice_send_batch_not_connected(void)
{
	static const char *const loopback[] = { "127.0.0.1", NULL };
	HdmirtcIceConfig config = { .local_addresses = loopback };
	HdmirtcIceCallbacks cb = { 0 };
	g_autoptr(GMainContext) ctx = g_main_context_new();
	HdmirtcIceTransport *ice = hdmirtc_ice_transport_new(ctx, &config, &cb, NULL, NULL);
	guint8 buf[100] = { 0 };
	GOutputVector vec = { .buffer = buf, .size = sizeof(buf) };

	g_assert_nonnull(ice);
	g_assert_cmpint(hdmirtc_ice_transport_send_batch(ice, &vec, 1), ==, -ENOTCONN);
	g_assert_cmpstr(hdmirtc_ice_transport_get_send_path(ice), ==, "none");
	hdmirtc_ice_transport_free(ice);
	while (g_main_context_iteration(ctx, FALSE))
		;
}

/* The candidate lines of a transport made with config, one string. */
static char *gathered_lines(const HdmirtcIceConfig *config, gboolean *arrival_added)
{
	HdmirtcIceCallbacks cb = { 0 };
	g_autoptr(GMainContext) ctx = g_main_context_new();
	HdmirtcIceTransport *ice = hdmirtc_ice_transport_new(ctx, config, &cb, NULL, NULL);
	g_autoptr(GPtrArray) lines = NULL;
	char *joined;

	g_assert_nonnull(ice);
	lines = hdmirtc_ice_transport_get_local_candidates(ice);
	g_ptr_array_add(lines, NULL);
	joined = g_strjoinv("\n", (char **)lines->pdata);
	if (arrival_added)
		*arrival_added = hdmirtc_ice_transport_has_arrival_candidate(ice);
	hdmirtc_ice_transport_free(ice);
	while (g_main_context_iteration(ctx, FALSE))
		;
	return joined;
}

/* The address a WHEP POST came in on is one more host candidate when the
 * list leaves it out, and only then. */
static void test_ice_arrival_candidate(void)
{
	static const char *const loopback[] = { "127.0.0.1", NULL };
	static const struct {
		const char *arrival;
		gboolean ipv6, added;
	} cases[] = {
		{ "127.0.0.2", FALSE, TRUE },   /* an address the list lacks (a VPN's) */
		{ "127.0.0.1", FALSE, FALSE },  /* already there */
		{ NULL, FALSE, FALSE },
		{ "::1", FALSE, FALSE },        /* IPv6 is off */
		{ "fe80::1", TRUE, FALSE },     /* link-local: no scope in SDP */
		{ "169.254.1.1", FALSE, FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		HdmirtcIceConfig config = { .local_addresses = loopback, .ipv6 = cases[i].ipv6,
		                            .arrival_address = cases[i].arrival };
		gboolean added = !cases[i].added;
		g_autofree char *lines = gathered_lines(&config, &added);
		g_autofree char *want = g_strdup_printf(" %s ", cases[i].arrival);

		g_test_message("arrival %s: %s", cases[i].arrival, lines);
		g_assert_cmpint(added, ==, cases[i].added);
		g_assert_nonnull(strstr(lines, " 127.0.0.1 "));
		if (cases[i].arrival && !g_str_equal(cases[i].arrival, "127.0.0.1"))
			g_assert_cmpint(strstr(lines, want) != NULL, ==, cases[i].added);
	}
}

/* ICE-TCP (RFC 6544): a passive TCP host candidate in the port range,
 * priced below UDP, announced on the public address too; the viewer's TCP
 * candidates taken.  Off: none of it. */
static void test_ice_tcp_candidates(void)
{
	static const char *const loopback[] = { "127.0.0.1", NULL };
	static const char *const pub[] = { "203.0.113.10", NULL };
	const char *active = "candidate:9 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active";

	for (int on = 0; on <= 1; on++) {
		HdmirtcIceConfig config = { .local_addresses = loopback, .ice_tcp = on,
		                            .port_min = 31000, .port_max = 31020,
		                            .public_addresses = pub };
		g_autofree char *lines = gathered_lines(&config, NULL);
		g_auto(GStrv) each = g_strsplit(lines, "\n", -1);
		guint64 udp_prio = 0, tcp_prio = 0, tcp_port = 0;
		gboolean public_tcp = FALSE;

		g_test_message("ice-tcp %d: %s", on, lines);
		for (char **l = each; *l; l++) {
			g_auto(GStrv) f = g_strsplit(*l, " ", -1);

			g_assert_cmpuint(g_strv_length(f), >=, 8);
			if (g_str_has_prefix(*l, "candidate:pub")) {
				public_tcp |= g_ascii_strcasecmp(f[2], "tcp") == 0 &&
				              g_str_equal(f[4], "203.0.113.10") && strstr(*l, "tcptype passive");
				continue;
			}
			if (g_ascii_strcasecmp(f[2], "udp") == 0)
				udp_prio = g_ascii_strtoull(f[3], NULL, 10);
			else if (strstr(*l, "tcptype passive")) {
				tcp_prio = g_ascii_strtoull(f[3], NULL, 10);
				tcp_port = g_ascii_strtoull(f[5], NULL, 10);
			}
		}
		g_assert_cmpuint(udp_prio, >, 0);
		if (!on) {
			g_assert_cmpuint(tcp_prio, ==, 0);
			g_assert_false(public_tcp);
		} else {
			g_assert_cmpuint(tcp_prio, >, 0);
			g_assert_cmpuint(tcp_prio, <, udp_prio);
			g_assert_cmpuint(tcp_port, >=, 31000);
			g_assert_cmpuint(tcp_port, <=, 31020);
			g_assert_true(public_tcp);
		}

		HdmirtcIceCallbacks cb = { 0 };
		g_autoptr(GMainContext) ctx = g_main_context_new();
		HdmirtcIceTransport *ice = hdmirtc_ice_transport_new(ctx, &config, &cb, NULL, NULL);
		g_assert_true(hdmirtc_ice_transport_set_remote_credentials(ice, "abcd", "0123456789abcdef0123456789", NULL));
		g_assert_cmpint(hdmirtc_ice_transport_add_remote_candidate(ice, active), ==, on);
		hdmirtc_ice_transport_free(ice);
		while (g_main_context_iteration(ctx, FALSE))
			;
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/udp-batch/gso", GINT_TO_POINTER(TRUE), test_udp_batch);
	g_test_add_data_func("/udp-batch/no-gso", GINT_TO_POINTER(FALSE), test_udp_batch);
	g_test_add_func("/udp-batch/gso-refused", test_udp_batch_gso_refused);
	g_test_add_data_func("/ice/send-batch/direct", GINT_TO_POINTER(TRUE), test_ice_send_batch);
	g_test_add_data_func("/ice/send-batch/libnice", GINT_TO_POINTER(FALSE), test_ice_send_batch);
	g_test_add_func("/ice/send-batch/not-connected", test_ice_send_batch_not_connected);
	g_test_add_func("/ice/arrival-candidate", test_ice_arrival_candidate);
	g_test_add_func("/ice/tcp-candidates", test_ice_tcp_candidates);
	return g_test_run();
}
