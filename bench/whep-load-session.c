/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One WHEP receiver session of whep-load: gather -> POST offer -> apply
 * answer -> ICE (controlling) -> DTLS (server) -> SRTP -> count.  In Janus
 * mode: gather -> Janus's offer (whep-load-janus.c) -> answer -> ICE
 * (controlled) -> DTLS (server) -> SRTP -> count. */
#include "whep-load.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <nice/agent.h>
#include <string.h>
#include <sys/socket.h>

#include "hdmirtc/rtcp.h"
#include "hdmirtc/rtp.h"
#include "hdmirtc/srtp-session.h"

#define COMPONENT 1
#define SESSION_KEY "whep-load-session"
/* Asked for the ICE socket's receive buffer (the kernel caps it at
 * net.core.rmem_max): about a second of a 5 Mbit/s stream.  More only
 * turns a starved loop's drops into seconds of lag, and then ICE checks
 * and timers wait behind the media. */
#define RECEIVE_BUFFER (1024 * 1024)

/* RFC 3550 sequence bookkeeping for loss and the receiver report. */
typedef struct {
	gboolean started;
	guint32 ssrc;
	guint16 base;
	guint16 max;
	guint32 cycles;
	guint64 received;
	guint64 expected_prior;
	guint64 received_prior;
} SeqState;

struct WhepLoadSession {
	WhepLoadSessionConfig config;
	WhepLoadSessionCallbacks callbacks;
	gpointer user_data;
	WhepLoadSessionState state;
	char *error;
	guint retry_after_s;            /* a POST answered 429: the server's Retry-After */
	gboolean closing;
	NiceAgent *agent;
	guint stream_id;
	HdmirtcDtls *dtls;
	HdmirtcSrtpSession *srtp;
	SoupMessage *post_msg;
	SoupMessage *delete_msg;
	char *location;
	WhepLoadJanus *janus;           /* Janus mode */
	guint8 abs_id;                  /* abs-capture-time extension id, 0 = not negotiated */
	gboolean receive_buffer_set;
	gint64 post_us;
	guint start_id, timeout_id, rr_id, done_id;
	WhepLoadDoneFunc done;
	gpointer done_data;
	WhepLoadCounters c;
	SeqState seq;
	gint64 frame_capture_wall_us;   /* from the frame's first packet, 0 if none */
	gint64 last_frame_us;           /* monotonic, 0 before the first */
	GArray *samples;                /* gint64 us */
	GByteArray *dump_buf;           /* --dump: one packet's Annex B */
	guint32 own_ssrc;
	guint32 last_sr_compact;
	gint64 last_sr_at_us;
	/* --audio, once the answer accepted it */
	gboolean audio_accepted;
	guint8 audio_pt;
	guint32 audio_ssrc;             /* from the answer's a=ssrc line */
	SeqState audio_seq;
	guint16 audio_prev_seq;
	guint32 audio_prev_ts;
	WhepLoadClicks *clicks;
};

const char *whep_load_session_state_to_string(WhepLoadSessionState state)
{
	static const char *const names[] = {
		"gathering", "posting", "connecting", "streaming", "failed", "closed",
	};

	return state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

static void clear_source(guint *id)
{
	if (*id)
		g_source_remove(*id);
	*id = 0;
}

static void set_state(WhepLoadSession *s, WhepLoadSessionState state)
{
	if (s->state == state)
		return;
	s->state = state;
	if (state >= WHEP_LOAD_SESSION_STREAMING)
		clear_source(&s->timeout_id);
	if (state >= WHEP_LOAD_SESSION_STREAMING && s->callbacks.state_changed)
		s->callbacks.state_changed(s, state, s->user_data);
}

static void fail(WhepLoadSession *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void add_token(WhepLoadSession *s, SoupMessage *msg)
{
	g_autofree char *value = NULL;

	if (!s->config.token)
		return;
	value = g_strconcat("Bearer ", s->config.token, NULL);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", value);
}
static void fail(WhepLoadSession *s, const char *fmt, ...)
{
	va_list ap;

	if (s->state == WHEP_LOAD_SESSION_FAILED || s->closing)
		return;
	va_start(ap, fmt);
	g_free(s->error);
	s->error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	clear_source(&s->rr_id);
	g_printerr("whep-load: session %u: %s\n", s->config.index, s->error);
	set_state(s, WHEP_LOAD_SESSION_FAILED);
}

/* ---- received packets ---- */

static void track_seq(SeqState *q, guint16 seq, guint32 ssrc)
{
	if (!q->started) {
		q->started = TRUE;
		q->ssrc = ssrc;
		q->base = q->max = seq;
	} else if (ssrc != q->ssrc) {
		return;
	} else if ((guint16)(seq - q->max) < 0x8000 && seq != q->max) {
		if (seq < q->max)
			q->cycles += 65536;
		q->max = seq;
	}
	q->received++;
}

static guint64 seq_expected(const SeqState *q)
{
	return q->started ? (guint64)q->cycles + q->max - q->base + 1 : 0;
}

/* Duplicates can make up for losses here (RFC 3550 A.3). */
static guint64 seq_lost(const SeqState *q)
{
	guint64 expected = seq_expected(q);

	return expected > q->received ? expected - q->received : 0;
}

static void on_frame_end(WhepLoadSession *s)
{
	gint64 now = g_get_monotonic_time();

	gint64 gap_ms = s->last_frame_us ? (now - s->last_frame_us) / 1000 : 0;

	if (gap_ms > s->c.max_frame_gap_ms) {
		s->c.max_frame_gap_ms = gap_ms;
		s->c.max_frame_gap_end_us = g_get_real_time();
	}
	/* Each one in the log, to be placed among a test's events (when it
	 * ended: the wall clock, in microseconds since the epoch). */
	if (gap_ms >= WHEP_LOAD_LONG_GAP_MS)
		g_printerr("whep-load: session %u: no frame for %" G_GINT64_FORMAT " ms, until %" G_GINT64_FORMAT
			   "\n", s->config.index, gap_ms, g_get_real_time());
	s->last_frame_us = now;
	s->c.frames++;
	if (s->frame_capture_wall_us && s->samples->len < WHEP_LOAD_MAX_SAMPLES) {
		gint64 us = g_get_real_time() - s->frame_capture_wall_us;

		g_array_append_val(s->samples, us);
	}
	s->frame_capture_wall_us = 0;
	if (s->state == WHEP_LOAD_SESSION_CONNECTING) {
		s->c.connect_ms = (g_get_monotonic_time() - s->post_us) / 1000;
		set_state(s, WHEP_LOAD_SESSION_STREAMING);
	}
}

static void dump_h264(WhepLoadSession *s, const guint8 *payload, gsize len)
{
	if (!s->dump_buf)
		s->dump_buf = g_byte_array_sized_new(WHEP_LOAD_MAX_DATAGRAM);
	g_byte_array_set_size(s->dump_buf, 0);
	if (whep_load_h264_depacketize(payload, len, s->dump_buf) < 0) {
		s->c.malformed++;
		return;
	}
	fwrite(s->dump_buf->data, 1, s->dump_buf->len, s->config.dump);
}

/* Unprotects buf in place; FALSE, counted, when the packet is not to be
 * used. */
static gboolean unprotect_rtp(WhepLoadSession *s, guint8 *buf, gsize *len, guint64 *decrypt_failures)
{
	int r;

	if (!s->srtp) {
		s->c.malformed++;
		return FALSE;
	}
	r = hdmirtc_srtp_session_unprotect_rtp(s->srtp, buf, len);
	if (r == -EALREADY)
		s->c.replayed++;
	else if (r < 0)
		(*decrypt_failures)++;
	return r == 0;
}

/* Opus on its own SSRC in the same SRTP session, counted apart so that
 * the video figures (frames, loss, the receiver report) stay video only. */
static void handle_audio(WhepLoadSession *s, guint8 *buf, gsize len)
{
	WhepLoadRtpInfo info;
	gsize plain = len;

	if (!unprotect_rtp(s, buf, &plain, &s->c.audio_decrypt_failures))
		return;
	if (whep_load_rtp_parse(buf, plain, 0, &info) < 0) {
		s->c.malformed++;
		return;
	}
	s->c.audio_packets++;
	s->c.audio_bytes += len;
	s->c.audio_payload_bytes += info.payload_len;
	if (info.ssrc != s->audio_ssrc)
		s->c.audio_ssrc_mismatch++;
	if (s->audio_seq.started &&
	    !whep_load_audio_step_regular(s->audio_prev_seq, s->audio_prev_ts, info.seq, info.timestamp))
		s->c.audio_ts_irregular++;
	track_seq(&s->audio_seq, info.seq, info.ssrc);
	s->audio_prev_seq = info.seq;
	s->audio_prev_ts = info.timestamp;
	if (!s->config.skip_clicks)
		whep_load_clicks_packet(s->clicks, info.timestamp, buf + info.payload_offset, info.payload_len);
}

static void handle_rtp(WhepLoadSession *s, guint8 *buf, gsize len)
{
	WhepLoadRtpInfo info;
	gsize plain = len;

	/* The payload type is in the clear: audio is told apart before
	 * decryption, so that its decryption failures count as audio's. */
	if (s->audio_accepted && (buf[1] & 0x7f) == s->audio_pt) {
		handle_audio(s, buf, len);
		return;
	}
	if (!unprotect_rtp(s, buf, &plain, &s->c.decrypt_failures))
		return;
	if (whep_load_rtp_parse(buf, plain, s->abs_id, &info) < 0) {
		s->c.malformed++;
		return;
	}
	s->c.packets++;
	s->c.bytes += len;
	s->c.payload_bytes += info.payload_len;
	track_seq(&s->seq, info.seq, info.ssrc);
	if (s->config.dump)
		dump_h264(s, buf + info.payload_offset, info.payload_len);
	if (info.has_abs_capture)
		s->frame_capture_wall_us = hdmirtc_ntp_to_wall_us(info.abs_capture_ntp);
	if (info.marker)
		on_frame_end(s);
}

static void on_rtcp_event(const HdmirtcRtcpEvent *ev, gpointer user_data)
{
	WhepLoadSession *s = user_data;

	if (ev->type == HDMIRTC_RTCP_EVENT_SENDER_REPORT && s->audio_accepted && ev->sender_ssrc == s->audio_ssrc) {
		whep_load_clicks_sender_report(s->clicks, ev->sr.rtp_timestamp, ev->sr.ntp);
		return;
	}
	if (ev->type == HDMIRTC_RTCP_EVENT_SENDER_REPORT) {
		s->last_sr_compact = hdmirtc_ntp_to_compact(ev->sr.ntp);
		s->last_sr_at_us = g_get_monotonic_time();
	}
}

static void handle_rtcp(WhepLoadSession *s, guint8 *buf, gsize len)
{
	gsize plain = len;

	if (!s->srtp || hdmirtc_srtp_session_unprotect_rtcp(s->srtp, buf, &plain) < 0 ||
	    hdmirtc_rtcp_parse(buf, plain, on_rtcp_event, s, NULL) < 0) {
		s->c.rtcp_failures++;
		return;
	}
	s->c.rtcp_received++;
}

/* A fragmented ClientHello (OpenSSL peers) is joined by the DTLS module
 * (src/dtls/dtls-hello-defrag.c). */
static void handle_dtls(WhepLoadSession *s, const guint8 *buf, gsize len)
{
	if (!s->dtls || hdmirtc_dtls_handle_datagram(s->dtls, buf, len) < 0)
		s->c.malformed++;
}

static void on_nice_receive(NiceAgent *agent, guint stream_id, guint component_id, guint len,
                            gchar *data, gpointer user_data)
{
	WhepLoadSession *s = user_data;
	guint8 buf[WHEP_LOAD_MAX_DATAGRAM];

	if (s->closing)
		return;
	if (len == 0 || len > sizeof(buf)) {
		s->c.malformed++;
		return;
	}
	memcpy(buf, data, len);
	switch (whep_load_classify(buf, len)) {
	case WHEP_LOAD_PACKET_DTLS:
		handle_dtls(s, buf, len);
		break;
	case WHEP_LOAD_PACKET_RTP:
		handle_rtp(s, buf, len);
		break;
	case WHEP_LOAD_PACKET_RTCP:
		handle_rtcp(s, buf, len);
		break;
	default:
		s->c.malformed++;
	}
}

/* ---- receiver reports ---- */

static WhepLoadReceiverReport make_report(WhepLoadSession *s)
{
	SeqState *q = &s->seq;
	guint64 expected = seq_expected(q);
	guint64 exp_int = expected - q->expected_prior, rec_int = q->received - q->received_prior;
	gint64 lost_int = (gint64)exp_int - (gint64)rec_int;
	gint64 lost = (gint64)expected - (gint64)q->received;
	WhepLoadReceiverReport rr = {
		.sender_ssrc = s->own_ssrc,
		.media_ssrc = q->ssrc,
		.fraction_lost = exp_int && lost_int > 0 ? (guint8)MIN(255, (lost_int << 8) / (gint64)exp_int) : 0,
		.cumulative_lost = (guint32)CLAMP(lost, 0, 0x7fffff),
		.ext_highest_seq = q->cycles + q->max,
		.lsr = s->last_sr_compact,
	};

	if (s->last_sr_at_us)
		rr.dlsr = (guint32)((g_get_monotonic_time() - s->last_sr_at_us) * 65536 / G_USEC_PER_SEC);
	q->expected_prior = expected;
	q->received_prior = q->received;
	s->c.lost = seq_lost(q);
	return rr;
}

/* Each is valid SRTCP once protected, but not valid RTCP inside. */
static const struct {
	guint8 bytes[16];
	gsize len;
} bad_rtcp[] = {
	{ { 0x80, 0xc9, 0x00, 0x07, 0, 0, 0, 1 }, 8 },                 /* RR length past the end */
	{ { 0x40, 0xc9, 0x00, 0x01, 0, 0, 0, 1 }, 8 },                 /* version 1 */
	{ { 0x81, 0xcd, 0x00, 0x01, 0, 0, 0, 1 }, 8 },                 /* NACK without FCI */
	{ { 0x8f, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0 }, 12 },    /* REMB-sized PSFB, no body */
	{ { 0xa0, 0xc8, 0x00, 0x01, 0, 0, 0, 1 }, 8 },                 /* padding bit, no padding */
	{ { 0x85, 0xc9, 0x00, 0x01, 0, 0, 0, 1 }, 8 },                 /* RR claiming 5 blocks */
	{ { 0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff }, 12 },  /* trailing garbage */
};

static void send_bad_rtcp(WhepLoadSession *s)
{
	for (guint i = 0; i < G_N_ELEMENTS(bad_rtcp); i++) {
		guint8 buf[sizeof(bad_rtcp[0].bytes) + HDMIRTC_SRTP_MAX_OVERHEAD];
		gsize len = bad_rtcp[i].len;

		memcpy(buf, bad_rtcp[i].bytes, len);
		if (hdmirtc_srtp_session_protect_rtcp(s->srtp, buf, &len, sizeof(buf)) == 0 &&
		    nice_agent_send(s->agent, s->stream_id, COMPONENT, len, (const gchar *)buf) == (gint)len)
			s->c.bad_rtcp_sent++;
	}
}

static gboolean on_rr_timer(gpointer user_data)
{
	WhepLoadSession *s = user_data;
	guint8 buf[WHEP_LOAD_RR_SIZE + HDMIRTC_SRTP_MAX_OVERHEAD];
	WhepLoadReceiverReport rr;
	gssize n;
	gsize len;

	if (!s->srtp || !s->seq.started)
		return G_SOURCE_CONTINUE;
	rr = make_report(s);
	n = whep_load_rr_build(&rr, buf, sizeof(buf));
	len = (gsize)n;
	if (n > 0 && hdmirtc_srtp_session_protect_rtcp(s->srtp, buf, &len, sizeof(buf)) == 0 &&
	    nice_agent_send(s->agent, s->stream_id, COMPONENT, len, (const gchar *)buf) == (gint)len)
		s->c.rr_sent++;
	if (s->config.bad_rtcp)
		send_bad_rtcp(s);
	return G_SOURCE_CONTINUE;
}

/* ---- DTLS ---- */

static int dtls_send(const guint8 *buf, gsize len, gpointer user_data)
{
	WhepLoadSession *s = user_data;
	gint n = nice_agent_send(s->agent, s->stream_id, COMPONENT, len, (const gchar *)buf);

	return n < 0 ? -EIO : n;
}

static void dtls_connected(HdmirtcDtls *dtls, const HdmirtcSrtpKeys *keys, gpointer user_data)
{
	WhepLoadSession *s = user_data;
	g_autoptr(GError) error = NULL;

	/* Our SRTP keys are those of our DTLS role (RFC 5764 4.2). */
	s->srtp = hdmirtc_srtp_session_new(keys, hdmirtc_dtls_get_role(dtls) == HDMIRTC_DTLS_ROLE_CLIENT, &error);
	if (!s->srtp) {
		fail(s, "SRTP: %s", error->message);
		return;
	}
	s->rr_id = g_timeout_add_seconds(1, on_rr_timer, s);
}

static void dtls_closed(HdmirtcDtls *dtls, HdmirtcDtlsState state, const GError *reason,
                        gpointer user_data)
{
	WhepLoadSession *s = user_data;

	fail(s, "DTLS %s: %s", hdmirtc_dtls_state_to_string(state), reason ? reason->message : "closed");
}

static gboolean start_dtls(WhepLoadSession *s, const char *fingerprint, GError **error)
{
	static const HdmirtcDtlsCallbacks callbacks = {
		.send = dtls_send, .connected = dtls_connected, .closed = dtls_closed,
	};
	const HdmirtcSrtpProfile profiles[] = { s->config.srtp_profile, HDMIRTC_SRTP_PROFILE_NONE };
	HdmirtcDtlsConfig config = {
		.role = s->config.dtls_client ? HDMIRTC_DTLS_ROLE_CLIENT : HDMIRTC_DTLS_ROLE_SERVER,
		.remote_fingerprint = fingerprint,
		.srtp_profiles = s->config.srtp_profile ? profiles : NULL,
	};

	s->dtls = hdmirtc_dtls_new(s->config.cert, &config, &callbacks, s, error);
	/* A client says ClientHello once ICE is connected (on_component_state). */
	return s->dtls && (s->config.dtls_client || hdmirtc_dtls_start(s->dtls, error));
}

/* ---- ICE ---- */

static const char *local_address(const WhepLoadSession *s)
{
	return s->config.local_address ? s->config.local_address : "127.0.0.1";
}

static gboolean ip_is_loopback(const char *ip)
{
	g_autoptr(GInetAddress) a = g_inet_address_new_from_string(ip);

	return a && g_inet_address_get_is_loopback(a);
}

/* An address of one of this machine's interfaces (of its network
 * namespace): packets to it never leave the machine. */
static gboolean ip_is_on_this_machine(const char *ip)
{
	g_autoptr(GInetAddress) want = g_inet_address_new_from_string(ip);
	struct ifaddrs *list = NULL;
	gboolean found = FALSE;

	if (!want || getifaddrs(&list) < 0)
		return FALSE;
	for (struct ifaddrs *i = list; i && !found; i = i->ifa_next) {
		g_autoptr(GSocketAddress) sa = NULL;

		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		sa = g_socket_address_new_from_native(i->ifa_addr, i->ifa_addr->sa_family == AF_INET ?
						      sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		found = sa && g_inet_address_equal(want, g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa)));
	}
	freeifaddrs(list);
	return found;
}

gboolean whep_load_ip_is_local(const char *ip)
{
	return ip_is_loopback(ip) || ip_is_on_this_machine(ip);
}

/* Loopback candidates, with a --local-address other than loopback those
 * on this machine, and --peer-address's: this tool never sends elsewhere. */
static gboolean candidate_is_usable(const WhepLoadSession *s, const NiceCandidate *cand)
{
	char ip[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(&cand->addr, ip);
	if (ip_is_loopback(ip) || whep_load_ip_is_peer(ip, s->config.peer_address))
		return TRUE;
	return !ip_is_loopback(local_address(s)) && ip_is_on_this_machine(ip);
}

/* For "no usable candidate": where they may be. */
static const char *usable_places(const WhepLoadSession *s)
{
	if (s->config.peer_address)
		return ip_is_loopback(local_address(s)) ? "loopback or --peer-address" :
			"loopback, this machine's or --peer-address";
	return ip_is_loopback(local_address(s)) ? "loopback" : "loopback or this machine's";
}

static guint add_remote_candidates(WhepLoadSession *s, GPtrArray *lines)
{
	GSList *cands = NULL;
	guint n;

	for (guint i = 0; i < lines->len; i++) {
		NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(s->agent, s->stream_id,
									 g_ptr_array_index(lines, i));

		if (c && c->component_id == COMPONENT && c->transport == NICE_CANDIDATE_TRANSPORT_UDP &&
		    candidate_is_usable(s, c))
			cands = g_slist_append(cands, c);
		else if (c)
			nice_candidate_free(c);
	}
	n = g_slist_length(cands);
	if (n > 0 && nice_agent_set_remote_candidates(s->agent, s->stream_id, COMPONENT, cands) < 1)
		n = 0;
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	return n;
}

/* Up to a thousand sessions on one thread: while the machine is busy the
 * loop runs late, and the default receive buffer (~208 KiB) overflows
 * (100 viewers through Janus at 5 Mbit/s: ~2000 datagrams/s dropped
 * here on 2 cores). */
static void enlarge_receive_buffer(WhepLoadSession *s)
{
	g_autoptr(GSocket) sock = nice_agent_get_selected_socket(s->agent, s->stream_id, COMPONENT);

	if (sock && !s->receive_buffer_set)
		s->receive_buffer_set = g_socket_set_option(sock, SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER, NULL);
}

static void on_component_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                               gpointer user_data)
{
	WhepLoadSession *s = user_data;

	if (state == NICE_COMPONENT_STATE_FAILED)
		fail(s, "ICE failed");
	if (state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY)
		enlarge_receive_buffer(s);
	if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) && s->dtls &&
	    hdmirtc_dtls_get_state(s->dtls) == HDMIRTC_DTLS_STATE_NEW) {
		g_autoptr(GError) error = NULL;

		if (!hdmirtc_dtls_start(s->dtls, &error))
			fail(s, "DTLS start: %s", error->message);
	}
}

static gboolean apply_answer(WhepLoadSession *s, const char *body, gsize len, GError **error)
{
	WhepLoadAnswer answer;
	gboolean ok;

	if (!whep_load_answer_parse(body, len, s->config.audio, &answer, error))
		return FALSE;
	if (answer.setup_passive != s->config.dtls_client) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "answer says a=setup:%s to our %s",
		            answer.setup_passive ? "passive" : "active",
		            s->config.dtls_client ? "active" : "actpass");
		whep_load_answer_clear(&answer);
		return FALSE;
	}
	s->audio_accepted = answer.audio_accepted;
	s->audio_pt = answer.audio_payload_type;
	s->audio_ssrc = answer.audio_ssrc;
	ok = nice_agent_set_remote_credentials(s->agent, s->stream_id, answer.ice_ufrag, answer.ice_pwd) &&
	     start_dtls(s, answer.fingerprint, error);
	if (ok && add_remote_candidates(s, answer.candidates) == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "answer has no usable UDP candidate (%s)",
			    usable_places(s));
		ok = FALSE;
	} else if (!ok && error && !*error) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice refused the answer's ICE credentials");
	}
	whep_load_answer_clear(&answer);
	return ok;
}

/* ---- WHEP ---- */

static gboolean take_location(WhepLoadSession *s, SoupMessage *msg, GError **error)
{
	const char *loc = soup_message_headers_get_one(soup_message_get_response_headers(msg), "Location");
	char *abs;

	if (!loc) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "201 without Location");
		return FALSE;
	}
	abs = g_uri_resolve_relative(s->config.whep_url, loc, G_URI_FLAGS_NONE, error);
	if (!abs)
		return FALSE;
	if (!whep_load_url_is_allowed(abs, s->config.peer_address)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Location %s is not on loopback%s", abs,
			    s->config.peer_address ? " nor --peer-address" : "");
		g_free(abs);
		return FALSE;
	}
	s->location = abs;
	return TRUE;
}

static void on_post_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupMessage) msg = user_data;  /* the reference taken for this call */
	WhepLoadSession *s = g_object_get_data(G_OBJECT(msg), SESSION_KEY);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
	gsize len = 0;
	const char *text = body ? g_bytes_get_data(body, &len) : NULL;

	if (!s)
		return;         /* session freed meanwhile */
	g_clear_object(&s->post_msg);
	if (s->state != WHEP_LOAD_SESSION_POSTING || s->closing)
		return;         /* timed out meanwhile */
	if (!body) {
		fail(s, "POST: %s", error->message);
		return;
	}
	if (soup_message_get_status(msg) != 201) {
		const char *after = soup_message_headers_get_one(soup_message_get_response_headers(msg), "Retry-After");

		/* RFC 9110 10.2.3: delay-seconds (an HTTP date is not worth
		 * taking here: hdmirtc sends seconds). */
		if (soup_message_get_status(msg) == 429)
			s->retry_after_s = after && g_ascii_isdigit(*after) ? MAX(1, (guint)g_ascii_strtoull(after, NULL, 10)) : 1;
		fail(s, "POST: HTTP %u: %.*s", soup_message_get_status(msg), (int)MIN(len, 200), text ? text : "");
		return;
	}
	if (!take_location(s, msg, &error) || !apply_answer(s, text, len, &error)) {
		fail(s, "answer: %s", error->message);
		return;
	}
	s->state = WHEP_LOAD_SESSION_CONNECTING;
}

/* Our side of the SDP, offer or answer: ICE credentials (into ufrag and
 * pwd) and candidates (into lines, NULL-terminated), fingerprint, role.
 * FALSE when libnice gathered nothing. */
static gboolean local_params(WhepLoadSession *s, GPtrArray *lines, char **ufrag, char **pwd, WhepLoadOfferParams *p)
{
	GSList *cands = nice_agent_get_local_candidates(s->agent, s->stream_id, COMPONENT);

	for (GSList *l = cands; l; l = l->next)
		g_ptr_array_add(lines, nice_agent_generate_local_candidate_sdp(s->agent, l->data));
	g_ptr_array_add(lines, NULL);
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	if (lines->len < 2 || !nice_agent_get_local_credentials(s->agent, s->stream_id, ufrag, pwd))
		return FALSE;
	*p = (WhepLoadOfferParams){
		.ice_ufrag = *ufrag,
		.ice_pwd = *pwd,
		.fingerprint = hdmirtc_dtls_cert_fingerprint(s->config.cert),
		.dtls_client = s->config.dtls_client,
		.audio = s->config.audio,
		.candidates = (const char *const *)lines->pdata,
		.session_id = g_random_int() | ((guint64)(g_random_int() & 0x7fffffff) << 32),
	};
	return TRUE;
}

static char *build_offer(WhepLoadSession *s)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *ufrag = NULL, *pwd = NULL;
	WhepLoadOfferParams p;

	return local_params(s, lines, &ufrag, &pwd, &p) ? whep_load_offer_build(&p) : NULL;
}

/* ---- Janus ---- */

/* Janus's offer taken like the WHEP answer: ICE, DTLS, audio. */
static gboolean apply_janus_offer(WhepLoadSession *s, const WhepLoadJanusOffer *offer, GError **error)
{
	s->audio_accepted = s->config.audio && offer->audio_index >= 0;
	s->audio_pt = offer->audio_payload_type;
	s->audio_ssrc = offer->audio_ssrc;
	if (!nice_agent_set_remote_credentials(s->agent, s->stream_id, offer->ice_ufrag, offer->ice_pwd)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice refused the ICE credentials");
		return FALSE;
	}
	if (!start_dtls(s, offer->fingerprint, error))
		return FALSE;
	if (add_remote_candidates(s, offer->candidates) == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no usable UDP candidate (%s)", usable_places(s));
		return FALSE;
	}
	return TRUE;
}

static void on_janus_offer(WhepLoadJanus *janus, const char *sdp, gpointer user_data)
{
	WhepLoadSession *s = user_data;
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *ufrag = NULL, *pwd = NULL, *answer = NULL;
	g_autoptr(GError) error = NULL;
	WhepLoadJanusOffer offer;
	WhepLoadOfferParams p;

	if (s->state != WHEP_LOAD_SESSION_POSTING || s->closing)
		return;         /* timed out meanwhile */
	if (!whep_load_janus_offer_parse(sdp, strlen(sdp), &offer, &error)) {
		fail(s, "%s", error->message);
		return;
	}
	if (!apply_janus_offer(s, &offer, &error))
		fail(s, "Janus offer: %s", error->message);
	else if (!local_params(s, lines, &ufrag, &pwd, &p))
		fail(s, "no local candidate on %s", local_address(s));
	else
		answer = whep_load_janus_answer_build(&offer, &p);
	whep_load_janus_offer_clear(&offer);
	if (!answer)
		return;
	g_debug("session %u: answer to Janus:\n%s", s->config.index, answer);
	whep_load_janus_answer(s->janus, answer);
	s->state = WHEP_LOAD_SESSION_CONNECTING;
}

static void on_janus_failed(WhepLoadJanus *janus, const char *why, gpointer user_data)
{
	fail(user_data, "%s", why);
}

static void start_janus(WhepLoadSession *s)
{
	static const WhepLoadJanusCallbacks callbacks = { .offer = on_janus_offer, .failed = on_janus_failed };

	s->janus = whep_load_janus_new(s->config.http, s->config.janus_url, s->config.mountpoint, s->config.index,
				       &callbacks, s);
	s->state = WHEP_LOAD_SESSION_POSTING;
	s->post_us = g_get_monotonic_time();
	whep_load_janus_start(s->janus);
}

static void on_gathering_done(NiceAgent *agent, guint stream_id, gpointer user_data)
{
	WhepLoadSession *s = user_data;
	g_autoptr(GBytes) body = NULL;
	char *offer;

	if (s->state != WHEP_LOAD_SESSION_GATHERING || s->closing)
		return;
	/* Gathered first in both modes: the answer to Janus carries the
	 * candidates, as the offer does. */
	if (s->config.janus_url) {
		start_janus(s);
		return;
	}
	offer = build_offer(s);
	if (!offer) {
		fail(s, "no local candidate on %s", local_address(s));
		return;
	}
	s->post_msg = soup_message_new("POST", s->config.whep_url);
	add_token(s, s->post_msg);
	body = g_bytes_new_take(offer, strlen(offer));
	/* Not taken: the message holds its own reference. */
	soup_message_set_request_body_from_bytes(s->post_msg, "application/sdp", body);
	g_object_set_data(G_OBJECT(s->post_msg), SESSION_KEY, s);
	s->state = WHEP_LOAD_SESSION_POSTING;
	s->post_us = g_get_monotonic_time();
	soup_session_send_and_read_async(s->config.http, s->post_msg, G_PRIORITY_DEFAULT, NULL,
					 on_post_done, g_object_ref(s->post_msg));
}

/* ---- life cycle ---- */

static gboolean on_connect_timeout(gpointer user_data)
{
	WhepLoadSession *s = user_data;

	s->timeout_id = 0;
	fail(s, "no whole frame within %u s (state %s)", s->config.connect_timeout_s,
	     whep_load_session_state_to_string(s->state));
	return G_SOURCE_REMOVE;
}

static gboolean create_agent(WhepLoadSession *s)
{
	NiceAddress addr;

	s->agent = nice_agent_new_full(g_main_context_default(), NICE_COMPATIBILITY_RFC5245,
				       NICE_AGENT_OPTION_NONE);
	/* Janus is a full ICE agent and controls as the offerer. */
	g_object_set(s->agent, "controlling-mode", s->config.janus_url == NULL, "upnp", FALSE, "ice-tcp", FALSE,
		     NULL);
	nice_address_init(&addr);
	if (!nice_address_set_from_string(&addr, local_address(s)) ||
	    !nice_agent_add_local_address(s->agent, &addr))
		return FALSE;
	s->stream_id = nice_agent_add_stream(s->agent, 1);
	if (!s->stream_id)
		return FALSE;
	g_signal_connect(s->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), s);
	g_signal_connect(s->agent, "component-state-changed", G_CALLBACK(on_component_state), s);
	nice_agent_attach_recv(s->agent, s->stream_id, COMPONENT, g_main_context_default(),
			       on_nice_receive, s);
	return nice_agent_gather_candidates(s->agent, s->stream_id);
}

/* Started from the loop so that no callback runs inside _new(). */
static gboolean on_start(gpointer user_data)
{
	WhepLoadSession *s = user_data;

	s->start_id = 0;
	s->timeout_id = g_timeout_add_seconds(s->config.connect_timeout_s, on_connect_timeout, s);
	if (!create_agent(s))
		fail(s, "libnice could not gather a host candidate on %s", local_address(s));
	return G_SOURCE_REMOVE;
}

WhepLoadSession *whep_load_session_new(const WhepLoadSessionConfig *config,
                                       const WhepLoadSessionCallbacks *callbacks, gpointer user_data)
{
	WhepLoadSession *s = g_new0(WhepLoadSession, 1);

	s->config = *config;
	s->callbacks = *callbacks;
	s->user_data = user_data;
	s->c.connect_ms = -1;
	s->samples = g_array_new(FALSE, FALSE, sizeof(gint64));
	s->clicks = whep_load_clicks_new();
	s->own_ssrc = g_random_int();
	/* Janus does not offer abs-capture-time; an id 3 there is another. */
	s->abs_id = config->janus_url ? 0 : WHEP_LOAD_EXT_ABS_CAPTURE_TIME;
	s->start_id = g_idle_add(on_start, s);
	return s;
}

static void finish_close(WhepLoadSession *s)
{
	WhepLoadDoneFunc done = s->done;

	s->done = NULL;
	if (done)
		done(s, s->done_data);
}

static gboolean on_close_idle(gpointer user_data)
{
	WhepLoadSession *s = user_data;

	s->done_id = 0;
	finish_close(s);
	return G_SOURCE_REMOVE;
}

static void on_delete_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupMessage) msg = user_data;
	WhepLoadSession *s = g_object_get_data(G_OBJECT(msg), SESSION_KEY);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);

	if (!s)
		return;
	g_clear_object(&s->delete_msg);
	if (!body || soup_message_get_status(msg) >= 300) {
		if (body)
			g_printerr("whep-load: session %u: DELETE: HTTP %u\n", s->config.index,
				   soup_message_get_status(msg));
		else
			g_printerr("whep-load: session %u: DELETE: %s\n", s->config.index, error->message);
		if (s->dtls)
			hdmirtc_dtls_close(s->dtls);
	}
	finish_close(s);
}

/* Without Janus's word that the session is gone, close_notify at least
 * ends the PeerConnection there. */
static void on_janus_destroyed(WhepLoadJanus *janus, gboolean ok, gpointer user_data)
{
	WhepLoadSession *s = user_data;

	if (!ok && s->dtls)
		hdmirtc_dtls_close(s->dtls);
	finish_close(s);
}

void whep_load_session_close(WhepLoadSession *s, WhepLoadDoneFunc done, gpointer done_data)
{
	if (s->closing)
		return;
	s->closing = TRUE;
	s->done = done;
	s->done_data = done_data;
	make_report(s);                         /* final loss figure */
	s->c.audio_lost = seq_lost(&s->audio_seq);
	clear_source(&s->start_id);
	clear_source(&s->timeout_id);
	clear_source(&s->rr_id);
	if (s->janus) {
		whep_load_janus_destroy(s->janus, on_janus_destroyed, s);
		return;
	}
	/* A WHEP DELETE closes the viewer on the service; a close_notify
	 * first would close it there already and make the DELETE a 404. */
	if (!s->location) {
		if (s->dtls)
			hdmirtc_dtls_close(s->dtls);
		s->done_id = g_idle_add(on_close_idle, s);
		return;
	}
	s->delete_msg = soup_message_new("DELETE", s->location);
	add_token(s, s->delete_msg);
	g_object_set_data(G_OBJECT(s->delete_msg), SESSION_KEY, s);
	soup_session_send_and_read_async(s->config.http, s->delete_msg, G_PRIORITY_DEFAULT, NULL,
					 on_delete_done, g_object_ref(s->delete_msg));
}

static void forget_message(SoupMessage **msg)
{
	if (*msg)
		g_object_set_data(G_OBJECT(*msg), SESSION_KEY, NULL);
	g_clear_object(msg);
}

void whep_load_session_free(WhepLoadSession *s)
{
	if (!s)
		return;
	clear_source(&s->start_id);
	clear_source(&s->timeout_id);
	clear_source(&s->rr_id);
	clear_source(&s->done_id);
	forget_message(&s->post_msg);
	forget_message(&s->delete_msg);
	whep_load_janus_free(s->janus);
	hdmirtc_dtls_free(s->dtls);
	hdmirtc_srtp_session_free(s->srtp);
	if (s->agent) {
		g_signal_handlers_disconnect_by_data(s->agent, s);
		if (s->stream_id) {
			nice_agent_attach_recv(s->agent, s->stream_id, COMPONENT, g_main_context_default(),
					       NULL, NULL);
			nice_agent_remove_stream(s->agent, s->stream_id);
		}
		nice_agent_close_async(s->agent, NULL, NULL);
		g_object_unref(s->agent);
	}
	g_array_unref(s->samples);
	whep_load_clicks_free(s->clicks);
	if (s->dump_buf)
		g_byte_array_unref(s->dump_buf);
	g_free(s->location);
	g_free(s->error);
	g_free(s);
}

WhepLoadSessionState whep_load_session_get_state(const WhepLoadSession *s)
{
	return s->state;
}

guint whep_load_session_get_index(const WhepLoadSession *s)
{
	return s->config.index;
}

guint whep_load_session_get_retry_after_s(const WhepLoadSession *s)
{
	return s->retry_after_s;
}

const char *whep_load_session_get_error(const WhepLoadSession *s)
{
	return s->error;
}

const WhepLoadCounters *whep_load_session_get_counters(const WhepLoadSession *s)
{
	return &s->c;
}

gboolean whep_load_session_get_audio_accepted(const WhepLoadSession *s)
{
	return s->audio_accepted;
}

const GArray *whep_load_session_get_click_offsets(const WhepLoadSession *s)
{
	return whep_load_clicks_get_offsets(s->clicks);
}

const GArray *whep_load_session_get_receive_samples(const WhepLoadSession *s)
{
	return s->samples;
}

HdmirtcSrtpProfile whep_load_session_get_srtp_profile(const WhepLoadSession *s)
{
	return s->srtp ? hdmirtc_srtp_session_get_profile(s->srtp) : HDMIRTC_SRTP_PROFILE_NONE;
}

SoupSession *whep_load_http_session_new(const char *local_ip, guint max_conns, const char *user_agent)
{
	g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new(NULL, NULL);
	g_autoptr(GSocketAddress) local = NULL;

	if (local_ip) {
		g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(local_ip);

		local = g_inet_socket_address_new(inet, 0);
	}
	return soup_session_new_with_options("proxy-resolver", direct, "timeout", 10, "local-address", local,
	                                     "max-conns", max_conns, "max-conns-per-host", max_conns,
	                                     "user-agent", user_agent, NULL);
}
