/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One feed: plain RTP (RFC 3550) to an SFU's ports.  Video and sound leave
 * from one socket, as runs of datagrams (udp-batch.h); a second socket,
 * connected to the video's RTCP port, sends a sender report each second and
 * reads keyframe requests.  The SR matters beyond lip sync: Janus sends its
 * PLIs to the address the first packet on its RTCP port came from
 * (janus_streaming.c: rtcp_addr is latched from the first datagram there),
 * so without it the SFU could never ask for a keyframe. */
#include "rtp-feed.h"
#include "hdmirtc/gsource.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hdmirtc/json-members.h"
#include "hdmirtc/rtcp.h"
#include "picture-parts.h"
#include "udp-batch.h"

#define FEED_MAX_DATAGRAM 1500
#define FEED_SR_INTERVAL_MS 1000
#define FEED_CNAME "hdmirtc"
#define OPUS_CLOCK_RATE 48000

struct HdmirtcWebrtcFeed {
	GMainContext *ctx;
	HdmirtcRtpFeedKeyframeFunc request_keyframe;
	gpointer user_data;
	int fd;                         /* RTP out, video and sound */
	int rtcp_fd;                    /* connected to the video's RTCP port; -1 = none */
	GSource *rtcp_source;
	GSource *sr_timer;
	HdmirtcUdpBatch video;
	HdmirtcUdpBatch audio;
	gboolean has_audio;

	guint8 video_pt, audio_pt;
	guint32 video_ssrc, audio_ssrc;
	guint32 video_ts_offset, audio_ts_offset;
	guint16 video_seq, audio_seq;
	gboolean waiting_keyframe;
	HdmirtcPictureParts parts;
	gint64 last_audio_mono_us;      /* the newest sound packet: the audio SR's anchor */
	guint64 last_audio_sample_pos;

	guint64 frames_sent, frames_skipped, frames_dropped;
	guint64 packets_sent, payload_bytes_sent, bytes_copied;
	guint64 audio_packets_sent, audio_bytes_sent;
	guint64 send_errors;
	guint64 keyframe_requests;      /* PLI and FIR from the SFU */
	guint64 rtcp_received, rtcp_bad;

	GOutputVector vec[HDMIRTC_UDP_BATCH_MAX];
	guint8 slot[HDMIRTC_UDP_BATCH_MAX][FEED_MAX_DATAGRAM];
};

static gboolean to_sockaddr(const char *ip, guint port, struct sockaddr_storage *ss, socklen_t *len,
                            GError **error)
{
	g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(ip);
	g_autoptr(GSocketAddress) sa = NULL;

	if (!addr || port == 0 || port > 65535) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad feed address %s port %u",
			    ip ? ip : "(none)", port);
		return FALSE;
	}
	sa = g_inet_socket_address_new(addr, (guint16)port);
	*len = (socklen_t)g_socket_address_get_native_size(sa);
	return g_socket_address_to_native(sa, ss, sizeof(*ss), error);
}

static int open_udp(int family, GError **error)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "feed socket: %s",
			    g_strerror(errno));
	return fd;
}

/* ---- Keyframe requests and sender reports ------------------------------ */

static void on_rtcp_event(const HdmirtcRtcpEvent *ev, gpointer user_data)
{
	HdmirtcWebrtcFeed *feed = user_data;

	/* Only the SFU can reach this connected socket, and it names its
	 * source by the SSRC it saw: every PLI and FIR here is about the
	 * video. */
	if (ev->type == HDMIRTC_RTCP_EVENT_PLI || ev->type == HDMIRTC_RTCP_EVENT_FIR) {
		feed->keyframe_requests++;
		feed->request_keyframe(ev->type == HDMIRTC_RTCP_EVENT_PLI ? "PLI from the SFU" : "FIR from the SFU",
				       FALSE, feed->user_data);
	}
}

static gboolean on_rtcp_readable(gint fd, GIOCondition cond, gpointer user_data)
{
	HdmirtcWebrtcFeed *feed = user_data;
	guint8 buf[FEED_MAX_DATAGRAM];
	ssize_t n;

	(void)cond;
	/* A refused datagram (nothing listens on the port yet) comes back as
	 * an error on the next read: it is not data, and not fatal. */
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0 || errno == ECONNREFUSED || errno == EINTR) {
		if (n < 0)
			continue;
		feed->rtcp_received++;
		if (hdmirtc_rtcp_parse(buf, (gsize)n, on_rtcp_event, feed, NULL) < 0)
			feed->rtcp_bad++;
	}
	return G_SOURCE_CONTINUE;
}

static void send_rtcp(HdmirtcWebrtcFeed *feed, const HdmirtcRtcpSenderInfo *info)
{
	guint8 rtcp[256];
	gssize len = hdmirtc_rtcp_build_sr_sdes(info, FEED_CNAME, rtcp, sizeof(rtcp));

	if (len > 0 && send(feed->rtcp_fd, rtcp, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != ECONNREFUSED && errno != EAGAIN)
		feed->send_errors++;
}

static gboolean on_sr_timer(gpointer user_data)
{
	HdmirtcWebrtcFeed *feed = user_data;
	gint64 now = g_get_monotonic_time();
	HdmirtcRtcpSenderInfo info = {
		.ssrc = feed->video_ssrc,
		.ntp = hdmirtc_ntp_from_wall_us(g_get_real_time()),
		.rtp_timestamp = hdmirtc_rtp_timestamp_90khz(now, feed->video_ts_offset),
		.packet_count = (guint32)feed->packets_sent,
		.octet_count = (guint32)feed->payload_bytes_sent,
	};

	/* Sent before the first frame too: it opens the way for the SFU's
	 * first PLI. */
	send_rtcp(feed, &info);
	if (feed->has_audio && feed->audio_packets_sent) {
		gint64 since = now - feed->last_audio_mono_us;

		info.ssrc = feed->audio_ssrc;
		info.rtp_timestamp = feed->audio_ts_offset + (guint32)feed->last_audio_sample_pos +
				     (guint32)(since * OPUS_CLOCK_RATE / G_USEC_PER_SEC);
		info.packet_count = (guint32)feed->audio_packets_sent;
		info.octet_count = (guint32)feed->audio_bytes_sent;
		send_rtcp(feed, &info);
	}
	return G_SOURCE_CONTINUE;
}

/* ---- Life cycle --------------------------------------------------------- */

static gboolean open_rtcp(HdmirtcWebrtcFeed *feed, const HdmirtcWebrtcFeedTarget *t, GError **error)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!to_sockaddr(t->address, t->video_rtcp_port, &ss, &len, error))
		return FALSE;
	feed->rtcp_fd = open_udp(ss.ss_family, error);
	if (feed->rtcp_fd < 0)
		return FALSE;
	if (connect(feed->rtcp_fd, (struct sockaddr *)&ss, len) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "feed RTCP to %s:%u: %s",
			    t->address, t->video_rtcp_port, g_strerror(errno));
		return FALSE;
	}
	feed->rtcp_source = g_unix_fd_source_new(feed->rtcp_fd, G_IO_IN);
	g_source_set_callback(feed->rtcp_source, G_SOURCE_FUNC(on_rtcp_readable), feed, NULL);
	g_source_attach(feed->rtcp_source, feed->ctx);
	feed->sr_timer = g_timeout_source_new(FEED_SR_INTERVAL_MS);
	g_source_set_callback(feed->sr_timer, on_sr_timer, feed, NULL);
	g_source_attach(feed->sr_timer, feed->ctx);
	on_sr_timer(feed);
	return TRUE;
}

static gboolean open_media(HdmirtcWebrtcFeed *feed, const HdmirtcWebrtcFeedTarget *t, GError **error)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!to_sockaddr(t->address, t->video_port, &ss, &len, error))
		return FALSE;
	feed->fd = open_udp(ss.ss_family, error);
	if (feed->fd < 0)
		return FALSE;
	hdmirtc_udp_batch_init(&feed->video, feed->fd, (struct sockaddr *)&ss, len, TRUE);
	if (!t->audio_port)
		return TRUE;
	if (!to_sockaddr(t->address, t->audio_port, &ss, &len, error))
		return FALSE;
	hdmirtc_udp_batch_init(&feed->audio, feed->fd, (struct sockaddr *)&ss, len, FALSE);
	feed->has_audio = TRUE;
	return TRUE;
}

HdmirtcWebrtcFeed *hdmirtc_rtp_feed_new(GMainContext *ctx, const HdmirtcWebrtcFeedTarget *target,
                                        HdmirtcRtpFeedKeyframeFunc request_keyframe,
                                        gpointer user_data, GError **error)
{
	HdmirtcWebrtcFeed *feed = g_new0(HdmirtcWebrtcFeed, 1);

	feed->ctx = g_main_context_ref(ctx);
	feed->request_keyframe = request_keyframe;
	feed->user_data = user_data;
	feed->fd = feed->rtcp_fd = -1;
	feed->video_pt = (guint8)target->video_pt;
	feed->audio_pt = (guint8)target->audio_pt;
	feed->video_ssrc = g_random_int() | 1;
	feed->audio_ssrc = feed->video_ssrc ^ 2;
	feed->video_ts_offset = g_random_int();
	feed->audio_ts_offset = g_random_int();
	feed->video_seq = (guint16)g_random_int_range(0, 0x8000);
	feed->audio_seq = (guint16)g_random_int_range(0, 0x8000);
	feed->waiting_keyframe = TRUE;
	if (target->video_pt > 127 || target->audio_pt > 127) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "feed payload type over 127");
		hdmirtc_rtp_feed_free(feed);
		return NULL;
	}
	if (!open_media(feed, target, error) ||
	    (target->video_rtcp_port && !open_rtcp(feed, target, error))) {
		hdmirtc_rtp_feed_free(feed);
		return NULL;
	}
	feed->request_keyframe("new feed", TRUE, feed->user_data);
	return feed;
}

void hdmirtc_rtp_feed_free(HdmirtcWebrtcFeed *feed)
{
	if (!feed)
		return;
	hdmirtc_source_clear(&feed->rtcp_source);
	hdmirtc_source_clear(&feed->sr_timer);
	if (feed->rtcp_fd >= 0) {
		guint8 bye[16];
		gssize len = hdmirtc_rtcp_build_bye(feed->video_ssrc, bye, sizeof(bye));

		if (len > 0)
			(void)send(feed->rtcp_fd, bye, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(feed->rtcp_fd);
	}
	if (feed->fd >= 0)
		close(feed->fd);
	g_main_context_unref(feed->ctx);
	g_free(feed);
}

/* ---- Media -------------------------------------------------------------- */

gboolean hdmirtc_rtp_feed_has_audio(const HdmirtcWebrtcFeed *feed)
{
	return feed->has_audio;
}

/* Writes packets first.. of list into the slots, as many as fit; returns
 * how many, and *err for the packet after them (0 = the run ended). */
static guint fill_batch(HdmirtcWebrtcFeed *feed, HdmirtcRtpPacketList *list, guint first, guint n,
                        HdmirtcRtpHeader *hdr, guint16 seq0, int *err)
{
	guint k;

	*err = 0;
	for (k = 0; k < HDMIRTC_UDP_BATCH_MAX && first + k < n; k++) {
		hdr->seq = (guint16)(seq0 + first + k);
		gssize len = hdmirtc_rtp_packet_list_write(list, first + k, hdr, feed->slot[k], FEED_MAX_DATAGRAM);
		if (len < 0) {
			*err = (int)len;
			break;
		}
		feed->bytes_copied += hdmirtc_rtp_packet_list_get_payload_size(list, first + k);
		feed->vec[k] = (GOutputVector){ .buffer = feed->slot[k], .size = (gsize)len };
	}
	return k;
}

gint64 hdmirtc_rtp_feed_send_frame(HdmirtcWebrtcFeed *feed, HdmirtcRtpPacketList *list)
{
	HdmirtcAccessUnit *au = hdmirtc_rtp_packet_list_get_access_unit(list);
	guint n = hdmirtc_rtp_packet_list_get_n_packets(list);
	guint16 seq0 = feed->video_seq;
	HdmirtcRtpHeader hdr = {
		.payload_type = feed->video_pt,
		.ssrc = feed->video_ssrc,
		.timestamp = hdmirtc_rtp_timestamp_90khz(au->capture_mono_us, feed->video_ts_offset),
	};
	gint64 first_send_us = 0;
	gboolean cut;

	if (!hdmirtc_picture_parts_admit(&feed->parts, au, &cut))
		return 0;
	if (cut && !feed->waiting_keyframe) {
		feed->waiting_keyframe = TRUE;
		feed->request_keyframe("a picture was cut short", FALSE, feed->user_data);
	}
	if (feed->waiting_keyframe && !hdmirtc_rtp_packet_list_is_keyframe(list)) {
		feed->frames_skipped++;
		return 0;
	}
	feed->waiting_keyframe = FALSE;
	for (guint first = 0; first < n;) {
		int err;
		guint ready = fill_batch(feed, list, first, n, &hdr, seq0, &err);
		gint64 now = g_get_monotonic_time();
		int sent = ready ? hdmirtc_udp_batch_send(&feed->video, feed->vec, ready) : 0;
		guint ok = sent > 0 ? (guint)sent : 0;

		for (guint i = first; i < first + ok; i++) {
			feed->packets_sent++;
			feed->payload_bytes_sent += hdmirtc_rtp_packet_list_get_payload_size(list, i);
		}
		if (ok && !first_send_us)
			first_send_us = now;
		if (ok < ready && !err)
			err = sent < 0 ? sent : -EAGAIN;
		first += ok;
		if (err < 0) {
			/* The SFU sees a gap; its viewers wait for the IDR asked
			 * for here rather than decode a broken picture. */
			feed->video_seq = (guint16)(seq0 + first + 1);
			feed->frames_dropped++;
			if (err != -EAGAIN && err != -ECONNREFUSED)
				feed->send_errors++;
			feed->waiting_keyframe = TRUE;
			feed->request_keyframe(err == -EAGAIN ? "feed send buffer full" : "feed send error",
					       FALSE, feed->user_data);
			return first_send_us;
		}
	}
	feed->video_seq = (guint16)(seq0 + n);
	hdmirtc_picture_parts_sent(&feed->parts, au);
	if (au->part != HDMIRTC_AU_FIRST)
		feed->frames_sent++;
	return first_send_us;
}

void hdmirtc_rtp_feed_send_audio(HdmirtcWebrtcFeed *feed, const HdmirtcAudioPacket *pkt)
{
	HdmirtcRtpHeader hdr = {
		.payload_type = feed->audio_pt,
		.seq = feed->audio_seq,
		.timestamp = feed->audio_ts_offset + (guint32)pkt->sample_pos,
		.ssrc = feed->audio_ssrc,
	};
	guint8 *buf = feed->slot[0];
	gssize hlen;

	if (!feed->has_audio)
		return;
	hlen = hdmirtc_rtp_header_write(&hdr, pkt->discontinuity || feed->audio_packets_sent == 0, buf,
					FEED_MAX_DATAGRAM);
	if (hlen < 0 || (gsize)hlen + pkt->len > FEED_MAX_DATAGRAM) {
		feed->send_errors++;
		return;
	}
	memcpy(buf + hlen, pkt->data, pkt->len);
	feed->vec[0] = (GOutputVector){ .buffer = buf, .size = (gsize)hlen + pkt->len };
	feed->audio_seq++;
	feed->last_audio_mono_us = pkt->capture_mono_us;
	feed->last_audio_sample_pos = pkt->sample_pos;
	int sent = hdmirtc_udp_batch_send(&feed->audio, feed->vec, 1);
	if (sent != 1) {
		if (sent != -EAGAIN && sent != -ECONNREFUSED)
			feed->send_errors++;
		return;
	}
	feed->audio_packets_sent++;
	feed->audio_bytes_sent += pkt->len;
}

void hdmirtc_webrtc_feed_add_status(HdmirtcWebrtcFeed *feed, JsonBuilder *b)
{
	hdmirtc_json_add_int(b, "frames_sent", (gint64)feed->frames_sent);
	hdmirtc_json_add_int(b, "frames_skipped", (gint64)feed->frames_skipped);
	hdmirtc_json_add_int(b, "frames_dropped", (gint64)feed->frames_dropped);
	hdmirtc_json_add_int(b, "packets_sent", (gint64)feed->packets_sent);
	hdmirtc_json_add_int(b, "payload_bytes_sent", (gint64)feed->payload_bytes_sent);
	hdmirtc_json_add_int(b, "bytes_copied", (gint64)feed->bytes_copied);
	hdmirtc_json_add_int(b, "audio_packets_sent", (gint64)feed->audio_packets_sent);
	hdmirtc_json_add_int(b, "send_errors", (gint64)feed->send_errors);
	hdmirtc_json_add_int(b, "keyframe_requests", (gint64)feed->keyframe_requests);
	hdmirtc_json_add_int(b, "rtcp_received", (gint64)feed->rtcp_received);
	hdmirtc_json_add_int(b, "rtcp_bad", (gint64)feed->rtcp_bad);
	hdmirtc_json_add_string(b, "udp_gso", hdmirtc_udp_gso_to_string(feed->video.gso));
}
