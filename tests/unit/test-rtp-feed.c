/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A feed (src/webrtc/rtp-feed.c) as an SFU's ports see it, on loopback
 * sockets this test binds: nothing before the first keyframe, then every
 * packet of every frame in order with one SSRC, consecutive sequence
 * numbers, the marker on a frame's last packet and one timestamp per
 * frame; Opus on its own port and SSRC; a sender report on the RTCP port
 * from the start (Janus sends its PLIs to where that came from); PLI and
 * FIR sent back there ask for a keyframe; a bad target is refused. */
#include "src/webrtc/rtp-feed.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define TIMEOUT_US (5 * G_USEC_PER_SEC)

typedef struct {
	int fd;
	guint port;
} Port;

typedef struct {
	Port video, rtcp, audio;
	HdmirtcWebrtcFeed *feed;
	GPtrArray *keyframe_reasons;
	HdmirtcH264Packetizer *packetizer;
} Fixture;

static void port_open(Port *p)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int rcvbuf = 4 << 20;

	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	g_assert_cmpint(p->fd, >=, 0);
	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	g_assert_cmpint(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(getsockname(p->fd, (struct sockaddr *)&a, &len), ==, 0);
	p->port = ntohs(a.sin_port);
}

/* The next datagram on p within the timeout (the main context turns
 * meanwhile), its length; -1 when none came. */
static gssize port_recv(Port *p, guint8 *buf, gsize size, struct sockaddr_in *from)
{
	gint64 end = g_get_monotonic_time() + TIMEOUT_US;
	socklen_t len = sizeof(*from);

	do {
		gssize n = recvfrom(p->fd, buf, size, 0, (struct sockaddr *)from, &len);
		if (n >= 0)
			return n;
		g_assert_cmpint(errno, ==, EAGAIN);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	} while (g_get_monotonic_time() < end);
	return -1;
}

static gboolean port_empty(Port *p)
{
	guint8 b[1];

	return recv(p->fd, b, sizeof(b), MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

static void on_keyframe(const char *reason, gboolean joining, gpointer user_data)
{
	Fixture *f = user_data;

	g_ptr_array_add(f->keyframe_reasons, g_strconcat(reason, joining ? " (joining)" : "", NULL));
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	port_open(&f->video);
	port_open(&f->rtcp);
	port_open(&f->audio);
	f->keyframe_reasons = g_ptr_array_new_with_free_func(g_free);
	f->packetizer = hdmirtc_h264_packetizer_new();
	HdmirtcWebrtcFeedTarget t = {
		.address = "127.0.0.1",
		.video_port = f->video.port,
		.video_pt = 96,
		.video_rtcp_port = f->rtcp.port,
		.audio_port = f->audio.port,
		.audio_pt = 111,
	};
	f->feed = hdmirtc_rtp_feed_new(g_main_context_default(), &t, on_keyframe, f, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->feed);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	hdmirtc_rtp_feed_free(f->feed);
	hdmirtc_h264_packetizer_free(f->packetizer);
	g_ptr_array_unref(f->keyframe_reasons);
	close(f->video.fd);
	close(f->rtcp.fd);
	close(f->audio.fd);
}

/* An access unit of one slice of slice_bytes (type 5 = IDR, with SPS and
 * PPS in front; type 1 otherwise). */
static HdmirtcAccessUnit *make_au(gboolean keyframe, gsize slice_bytes, gint64 capture_us)
{
	static const guint8 sps[] = { 0, 0, 0, 1, 0x67, 0x42, 0xe0, 0x1f, 0x8d, 0x68, 0x05, 0x00 };
	static const guint8 pps[] = { 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80 };
	GByteArray *b = g_byte_array_new();
	guint8 head[] = { 0, 0, 0, 1, keyframe ? 0x65 : 0x41 };
	HdmirtcAccessUnit *au;

	if (keyframe) {
		g_byte_array_append(b, sps, sizeof(sps));
		g_byte_array_append(b, pps, sizeof(pps));
	}
	g_byte_array_append(b, head, sizeof(head));
	for (gsize i = 1; i < slice_bytes; i++) {
		guint8 v = (guint8)(0x11 + i % 200);
		g_byte_array_append(b, &v, 1);
	}
	au = hdmirtc_access_unit_new_copy(b->data, b->len);
	au->keyframe = keyframe;
	au->capture_mono_us = capture_us;
	au->capture_wall_us = g_get_real_time();
	g_byte_array_unref(b);
	return au;
}

/* Sends one frame through the feed; returns its number of packets. */
static guint send_frame(Fixture *f, gboolean keyframe, gsize slice_bytes, gint64 capture_us, gint64 *first_send)
{
	g_autoptr(GError) error = NULL;
	HdmirtcAccessUnit *au = make_au(keyframe, slice_bytes, capture_us);
	HdmirtcRtpPacketList *list = hdmirtc_h264_packetizer_packetize(f->packetizer, au,
								      HDMIRTC_RTP_DEFAULT_MAX_PAYLOAD, &error);
	guint n;

	g_assert_no_error(error);
	n = hdmirtc_rtp_packet_list_get_n_packets(list);
	*first_send = hdmirtc_rtp_feed_send_frame(f->feed, list);
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	return n;
}

typedef struct {
	guint32 ssrc, timestamp;
	guint16 seq;
	guint8 pt;
	gboolean marker;
} Rtp;

static Rtp parse_rtp(const guint8 *b, gssize n)
{
	g_assert_cmpint(n, >=, 12);
	g_assert_cmpint(b[0] >> 6, ==, 2);
	return (Rtp){
		.marker = (b[1] & 0x80) != 0,
		.pt = b[1] & 0x7f,
		.seq = (guint16)(b[2] << 8 | b[3]),
		.timestamp = (guint32)b[4] << 24 | (guint32)b[5] << 16 | (guint32)b[6] << 8 | b[7],
		.ssrc = (guint32)b[8] << 24 | (guint32)b[9] << 16 | (guint32)b[10] << 8 | b[11],
	};
}

/* Receives n packets of one picture and checks them: all with timestamp
 * ts (0: the first one's), the marker only on the last and only when they
 * end the picture.  *last_seq carries the sequence number across pictures
 * (-1: the first). */
static Rtp receive_part(Fixture *f, guint n, gint *last_seq, guint32 ts, gboolean ends_picture)
{
	guint8 buf[2048];
	struct sockaddr_in from;
	Rtp first = { 0 };

	for (guint i = 0; i < n; i++) {
		gssize len = port_recv(&f->video, buf, sizeof(buf), &from);
		g_assert_cmpint(len, >, 12);
		Rtp r = parse_rtp(buf, len);

		if (i == 0)
			first = r;
		g_assert_cmpuint(r.pt, ==, 96);
		g_assert_cmpuint(r.ssrc, ==, first.ssrc);
		g_assert_cmpuint(r.timestamp, ==, ts ? ts : first.timestamp);
		g_assert_cmpint(r.marker, ==, ends_picture && i == n - 1);
		if (*last_seq >= 0)
			g_assert_cmpuint(r.seq, ==, (guint16)(*last_seq + 1));
		*last_seq = r.seq;
	}
	return first;
}

/* One whole picture's n packets. */
static Rtp receive_frame(Fixture *f, guint n, gint *last_seq)
{
	return receive_part(f, n, last_seq, 0, TRUE);
}

static void test_frames(Fixture *f, gconstpointer data)
{
	gint64 t0 = g_get_monotonic_time(), first_send;
	gint last_seq = -1;

	g_assert_cmpuint(f->keyframe_reasons->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(f->keyframe_reasons, 0), ==, "new feed (joining)");
	/* Before the first keyframe nothing is sent. */
	g_assert_cmpuint(send_frame(f, FALSE, 3000, t0, &first_send), >, 1);
	g_assert_cmpint(first_send, ==, 0);
	g_usleep(20000);
	g_assert_true(port_empty(&f->video));

	guint n = send_frame(f, TRUE, 40000, t0 + 100000, &first_send);
	g_assert_cmpuint(n, >, 30);
	g_assert_cmpint(first_send, >=, t0);
	Rtp key = receive_frame(f, n, &last_seq);

	n = send_frame(f, FALSE, 5000, t0 + 200000, &first_send);
	Rtp next = receive_frame(f, n, &last_seq);
	g_assert_cmpuint(next.ssrc, ==, key.ssrc);
	/* 100 ms at 90 kHz, exactly whatever t0 is (frames 33.333 ms apart
	 * are 2999 or 3000 ticks apart, by where t0 falls). */
	g_assert_cmpuint(next.timestamp - key.timestamp, ==, 9000);
	g_assert_true(port_empty(&f->video));
}

/* Sends one picture's part (seq numbers the picture); its packet count. */
static guint send_part(Fixture *f, gboolean keyframe, gint64 capture_us, HdmirtcAuPart part, guint64 seq)
{
	g_autoptr(GError) error = NULL;
	HdmirtcAccessUnit *au = make_au(keyframe, 3000, capture_us);
	HdmirtcRtpPacketList *list;
	guint n;

	au->part = part;
	au->seq = seq;
	list = hdmirtc_h264_packetizer_packetize(f->packetizer, au, HDMIRTC_RTP_DEFAULT_MAX_PAYLOAD, &error);
	g_assert_no_error(error);
	n = hdmirtc_rtp_packet_list_get_n_packets(list);
	hdmirtc_rtp_feed_send_frame(f->feed, list);
	hdmirtc_rtp_packet_list_unref(list);
	hdmirtc_access_unit_unref(au);
	return n;
}

/* A picture in two parts goes out as one: consecutive sequence numbers,
 * one timestamp, the marker only at its very end.  The rest of a picture
 * whose first part was not sent is not sent either; a picture left without
 * its rest makes the feed wait for a keyframe, and ask for one. */
static void test_picture_parts(Fixture *f, gconstpointer data)
{
	gint64 t0 = g_get_monotonic_time(), first_send;
	gint last_seq = -1;
	guint32 ts;
	guint n;

	receive_frame(f, send_frame(f, TRUE, 3000, t0, &first_send), &last_seq);

	n = send_part(f, FALSE, t0 + 33333, HDMIRTC_AU_FIRST, 2);
	ts = receive_part(f, n, &last_seq, 0, FALSE).timestamp;
	n = send_part(f, FALSE, t0 + 33333, HDMIRTC_AU_REST, 2);
	receive_part(f, n, &last_seq, ts, TRUE);
	g_usleep(10000);
	g_assert_true(port_empty(&f->video));

	send_part(f, FALSE, t0 + 66666, HDMIRTC_AU_REST, 3);
	g_usleep(10000);
	g_assert_true(port_empty(&f->video));

	n = send_part(f, FALSE, t0 + 100000, HDMIRTC_AU_FIRST, 4);
	receive_part(f, n, &last_seq, 0, FALSE);
	g_ptr_array_set_size(f->keyframe_reasons, 0);
	send_part(f, FALSE, t0 + 133333, HDMIRTC_AU_WHOLE, 5);
	g_usleep(10000);
	g_assert_true(port_empty(&f->video));
	g_assert_cmpuint(f->keyframe_reasons->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(f->keyframe_reasons, 0), ==, "a picture was cut short");
	/* The keyframe follows the cut picture's first part directly: its new
	 * timestamp starts a new picture at the receiver. */
	n = send_part(f, TRUE, t0 + 166666, HDMIRTC_AU_WHOLE, 6);
	receive_part(f, n, &last_seq, 0, TRUE);
	g_assert_true(port_empty(&f->video));
}

static void test_audio(Fixture *f, gconstpointer data)
{
	guint8 opus[80], buf[256];
	struct sockaddr_in from;
	HdmirtcAudioPacket pkt = {
		.data = opus, .len = sizeof(opus), .sample_pos = 960, .n_samples = 960,
		.capture_mono_us = g_get_monotonic_time(), .capture_wall_us = g_get_real_time(),
	};

	memset(opus, 0x5a, sizeof(opus));
	g_assert_true(hdmirtc_rtp_feed_has_audio(f->feed));
	hdmirtc_rtp_feed_send_audio(f->feed, &pkt);
	pkt.sample_pos += 960;
	hdmirtc_rtp_feed_send_audio(f->feed, &pkt);
	gssize n1 = port_recv(&f->audio, buf, sizeof(buf), &from);
	g_assert_cmpint(n1, ==, 12 + (gssize)sizeof(opus));
	Rtp a = parse_rtp(buf, n1);
	g_assert_cmpuint(a.pt, ==, 111);
	g_assert_true(a.marker);        /* the first packet starts a talkspurt */
	g_assert_cmpmem(buf + 12, sizeof(opus), opus, sizeof(opus));
	gssize n2 = port_recv(&f->audio, buf, sizeof(buf), &from);
	Rtp b = parse_rtp(buf, n2);
	g_assert_false(b.marker);
	g_assert_cmpuint(b.seq, ==, (guint16)(a.seq + 1));
	g_assert_cmpuint(b.timestamp - a.timestamp, ==, 960);
	g_assert_cmpuint(b.ssrc, ==, a.ssrc);
	g_assert_true(port_empty(&f->video));
}

/* The SR that opens the way, then a PLI and a FIR sent back to where it
 * came from. */
static void test_rtcp(Fixture *f, gconstpointer data)
{
	guint8 buf[512];
	struct sockaddr_in from;
	gssize n = port_recv(&f->rtcp, buf, sizeof(buf), &from);
	static const guint8 pli[] = { 0x81, 206, 0, 2, 0, 0, 0, 1, 0x12, 0x34, 0x56, 0x78 };
	static const guint8 fir[] = { 0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 1, 0, 0, 0 };
	gint64 end;

	g_assert_cmpint(n, >=, 28);
	g_assert_cmpuint(buf[1], ==, 200);     /* SR */
	g_assert_cmpuint(f->keyframe_reasons->len, ==, 1);
	for (guint k = 0; k < 2; k++) {
		const guint8 *msg = k == 0 ? pli : fir;
		gsize len = k == 0 ? sizeof(pli) : sizeof(fir);

		g_assert_cmpint(sendto(f->rtcp.fd, msg, len, 0, (struct sockaddr *)&from, sizeof(from)), ==, (gssize)len);
		end = g_get_monotonic_time() + TIMEOUT_US;
		while (f->keyframe_reasons->len < 2 + k && g_get_monotonic_time() < end)
			g_main_context_iteration(NULL, TRUE);
		g_assert_cmpuint(f->keyframe_reasons->len, ==, 2 + k);
	}
	g_assert_cmpstr(g_ptr_array_index(f->keyframe_reasons, 1), ==, "PLI from the SFU");
	g_assert_cmpstr(g_ptr_array_index(f->keyframe_reasons, 2), ==, "FIR from the SFU");
	/* Garbage on the port asks for nothing. */
	g_assert_cmpint(sendto(f->rtcp.fd, "junk", 4, 0, (struct sockaddr *)&from, sizeof(from)), ==, 4);
	end = g_get_monotonic_time() + 100000;
	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
	g_assert_cmpuint(f->keyframe_reasons->len, ==, 3);
}

static void test_bad_target(void)
{
	static const HdmirtcWebrtcFeedTarget bad[] = {
		{ .address = "not-an-ip", .video_port = 5000, .video_pt = 96 },
		{ .address = "127.0.0.1", .video_port = 0, .video_pt = 96 },
		{ .address = "127.0.0.1", .video_port = 5000, .video_pt = 128 },
		{ .address = "127.0.0.1", .video_port = 5000, .video_pt = 96, .video_rtcp_port = 70000 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		HdmirtcWebrtcFeed *feed = hdmirtc_rtp_feed_new(g_main_context_default(), &bad[i], NULL, NULL, &error);

		g_assert_null(feed);
		g_assert_nonnull(error);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/rtp-feed/frames", Fixture, NULL, fixture_setup, test_frames, fixture_teardown);
	g_test_add("/rtp-feed/audio", Fixture, NULL, fixture_setup, test_audio, fixture_teardown);
	g_test_add("/rtp-feed/picture-parts", Fixture, NULL, fixture_setup, test_picture_parts,
		   fixture_teardown);
	g_test_add("/rtp-feed/rtcp", Fixture, NULL, fixture_setup, test_rtcp, fixture_teardown);
	g_test_add_func("/rtp-feed/bad-target", test_bad_target);
	return g_test_run();
}
