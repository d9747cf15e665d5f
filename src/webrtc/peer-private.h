/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The peer's fields, shared by peer.c (connection) and peer-rtp.c (media). */
#pragma once

#include "hdmirtc/srtp-session.h"
#include "peer.h"
#include "picture-parts.h"

#define PEER_MAX_DATAGRAM 1500

typedef struct {
	guint64 frames_sent;
	guint64 frames_skipped;         /* waiting for a keyframe */
	guint64 frames_dropped;         /* socket full: rest of frame dropped */
	guint64 packets_sent;
	guint64 payload_bytes_sent;
	guint64 bytes_copied;           /* RTP payload copied into send buffers */
	guint64 send_errors;
	guint64 nack_seqs;
	guint64 retransmitted;
	guint64 retransmitted_twice;    /* also sent a second time (lossy path) */
	guint64 pli;
	guint64 fir;
	guint64 rtcp_received;
	guint64 rtcp_bad;
	guint64 rtt_us;
	guint8 fraction_lost;
	gint32 cumulative_lost;
	guint32 jitter;
	guint64 remb_bps;
	guint64 bitrate_kbps;           /* payload sent over the last SR interval */
	guint64 nacked_permille;        /* NACKed per packet sent, same interval */
	gint64 last_frame_capture_to_last_send_us;
} HdmirtcPeerStats;

/* The Opus track (peer-audio.c); on FALSE when the offer had no audio
 * section hdmirtc could take, or the service has no sound. */
typedef struct {
	gboolean on;
	gboolean tagged;                /* HdmirtcPeerConfig.audio_tagged */
	const char *why_not;            /* static: why it is off */
	char *mid;
	guint8 payload_type;
	guint8 mid_ext_id;
	guint8 abs_capture_time_ext_id;
	guint32 ssrc;
	guint32 ts_offset;
	guint16 next_seq;
	guint64 packets_sent;
	guint64 payload_bytes_sent;
	guint64 send_errors;
	/* The newest packet's first sample: with the monotonic clock, where
	 * the RTP timestamp stands at any time (the SR's clock). */
	gint64 last_capture_mono_us;
	guint64 last_sample_pos;
} PeerAudio;

struct HdmirtcPeer {
	char *id;
	char *etag;
	GMainContext *ctx;
	HdmirtcPeerCallbacks callbacks;
	gpointer user_data;
	HdmirtcPeerState state;
	gint64 created_us;
	gint64 streaming_since_us;

	const HdmirtcDtlsCert *cert;
	HdmirtcIceTransport *ice;
	HdmirtcDtls *dtls;
	HdmirtcSrtpSession *srtp;
	char *remote_fingerprint;
	char *arrival_address;          /* HdmirtcPeerConfig.arrival_address */
	gboolean dtls_server;            /* the answer says a=setup:passive */
	gboolean offerer;                /* WHIP: the service offered */
	GPtrArray *answer_candidates;    /* an offerer's: the answer's, for ICE restarts */
	gint64 consent_timeout_us;

	/* Negotiated media. */
	char *mid;
	guint8 payload_type;
	guint feedback;
	guint8 mid_ext_id;
	guint8 abs_capture_time_ext_id;
	guint8 playout_delay_ext_id;
	guint32 ssrc;
	guint32 remote_ssrc;            /* learnt from RTCP; 0 until then */
	guint32 ts_offset;
	guint16 next_seq;
	char cname[24];

	HdmirtcRtpHistory *history;
	gboolean waiting_keyframe;
	HdmirtcPictureParts parts;
	const char *keyframe_request;   /* why a send wants an IDR; asked for by
	                                 * hdmirtc_peer_end_frame() */
	guint sr_timer;
	guint liveness_timer;
	gint64 last_rx_us;              /* last authenticated packet from the viewer */
	gint64 rate_since_us;           /* start of the rate interval, and the */
	guint64 rate_bytes;             /* counters then */
	guint64 rate_packets;
	guint64 rate_nacks;
	guint32 last_fir_seq;
	gboolean have_fir_seq;
	HdmirtcPeerStats stats;
	PeerAudio audio;
	guint8 buf[PEER_MAX_DATAGRAM];      /* outgoing RTP/RTCP */
	guint8 rx_buf[PEER_MAX_DATAGRAM];   /* incoming SRTCP, decrypted in place */
};

void hdmirtc_peer_close(HdmirtcPeer *peer, const char *reason);
void hdmirtc_peer_start_media(HdmirtcPeer *peer);
/* peer-audio.c: takes the negotiated audio (config->audio NULL: none); the SR for the audio SSRC, sent with the video's; the audio
 * part of the status. */
void hdmirtc_peer_audio_init(HdmirtcPeer *peer, const HdmirtcPeerConfig *config);
void hdmirtc_peer_audio_clear(HdmirtcPeer *peer);
void hdmirtc_peer_audio_send_sr(HdmirtcPeer *peer, guint64 ntp, gint64 now_mono_us);
void hdmirtc_peer_audio_add_status(HdmirtcPeer *peer, JsonBuilder *b);
void hdmirtc_peer_stop_media(HdmirtcPeer *peer);
