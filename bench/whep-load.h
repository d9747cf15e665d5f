/* SPDX-License-Identifier: GPL-3.0-or-later */
/* whep-load: a light WHEP receiver that opens N WebRTC sessions to one
 * hdmirtc service on loopback, so that the service's CPU per viewer can be
 * measured without a browser eating the machine.  Each session is
 * ICE (libnice, controlling, 127.0.0.1 host candidates only) + DTLS as the
 * server (hdmirtc's dtls.h; the service answers a=setup:active) + SRTP
 * unprotect (srtp-session.h); it counts what it receives and sends an
 * RTCP receiver report every second.  With --audio the offer also has an
 * Opus section, and the audio is counted apart from the video.
 *
 * With --janus each session is instead a viewer of a Janus Streaming
 * mountpoint (the one hdmirtc --janus feeds), through Janus's HTTP API:
 * Janus offers, whep-load answers a=setup:passive (still the DTLS server)
 * and is the controlled ICE agent; the counting is the same.  Janus never
 * gathers on loopback, hence --local-address.
 *
 * Everything runs on the default GMainContext of the main thread. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>

#include "hdmirtc/dtls.h"
#include "hdmirtc/json-members.h"
#include "hdmirtc/sdp.h"

G_BEGIN_DECLS

/* Extension ids and payload types this receiver offers. */
#define WHEP_LOAD_PT 102
#define WHEP_LOAD_AUDIO_PT 111
#define WHEP_LOAD_EXT_ABS_CAPTURE_TIME 3
#define WHEP_LOAD_EXT_MID 9
/* Largest datagram handled: anything larger is counted as malformed. */
#define WHEP_LOAD_MAX_DATAGRAM 2048
/* capture -> receive samples kept per session (the rest are dropped). */
#define WHEP_LOAD_MAX_SAMPLES 16384
/* A gap between whole frames this long is logged: what Chromium counts as
 * a freeze at 20 fps or more (3 frame times, at least 150 ms past one). */
#define WHEP_LOAD_LONG_GAP_MS 200
/* RTP timestamp step of one Opus packet: 20 ms at 48 kHz (RFC 7587). */
#define WHEP_LOAD_AUDIO_TS_STEP 960

/* ---- the tone's clicks (whep-load-clicks.c) ------------------------------ */

typedef struct WhepLoadClicks WhepLoadClicks;
WhepLoadClicks *whep_load_clicks_new(void);
/* NULL-safe. */
void whep_load_clicks_free(WhepLoadClicks *c);
/* The audio SSRC's sender report: its clock against the sender's. */
void whep_load_clicks_sender_report(WhepLoadClicks *c, guint32 rtp_timestamp, guint64 ntp);
/* One decrypted Opus packet. */
void whep_load_clicks_packet(WhepLoadClicks *c, guint32 rtp_timestamp, const guint8 *payload, gsize len);
/* Each click found after a sender report: its sender time less the
 * nearest whole second, in us (gint64). */
const GArray *whep_load_clicks_get_offsets(const WhepLoadClicks *c);

/* ---- pure helpers (whep-load-proto.c) ---------------------------------- */

typedef struct {
	const char *ice_ufrag;
	const char *ice_pwd;
	const char *fingerprint;        /* "sha-256 AB:..." */
	const char *const *candidates;  /* "a=candidate:..." lines, NULL-terminated */
	guint64 session_id;
	gboolean dtls_client;           /* a=setup:active instead of actpass */
	gboolean audio;                 /* also a recvonly Opus section, mid 1, same BUNDLE group */
} WhepLoadOfferParams;

/* The recvonly H.264 offer (CRLF line ends), with an Opus section after
 * the video one when params->audio; g_free. */
char *whep_load_offer_build(const WhepLoadOfferParams *params);

typedef struct {
	char *ice_ufrag;
	char *ice_pwd;
	char *fingerprint;              /* "sha-256 AB:..." */
	GPtrArray *candidates;          /* char *, "a=candidate:..." */
	guint8 payload_type;
	gboolean setup_passive;         /* a=setup:passive (else active) */
	/* With an audio offer: the service accepted it (a service with sound
	 * off rejects it, which is no error); then its payload type and SSRC. */
	gboolean audio_accepted;
	guint8 audio_payload_type;
	guint32 audio_ssrc;
} WhepLoadAnswer;

/* Parses the service's answer with hdmirtc's SDP parser and checks what
 * this receiver needs: one accepted video section, ICE credentials, a
 * sha-256 fingerprint, a=setup:active, rtcp-mux, H264 payload type.  With
 * audio (the offer had an Opus section) an accepted audio section must be
 * in the video's BUNDLE group with rtcp-mux, sendonly, only
 * opus/48000/2 (another payload type than the video's), only the mid and
 * abs-capture-time extensions, and an a=ssrc line (another SSRC than the
 * video's).  Returns FALSE with error set. */
gboolean whep_load_answer_parse(const char *text, gsize len, gboolean audio, WhepLoadAnswer *answer,
                                GError **error);
/* The SSRC of the first a=ssrc line of the index-th m= section of an SDP
 * text (0 = the first section), or 0 when it has none. */
guint32 whep_load_sdp_section_ssrc(const char *text, gsize len, guint index);
void whep_load_answer_clear(WhepLoadAnswer *answer);

typedef struct {
	gboolean marker;
	guint8 payload_type;
	guint16 seq;
	guint32 timestamp;
	guint32 ssrc;
	gsize payload_offset;           /* where the payload starts in the packet */
	gsize payload_len;              /* padding and headers excluded */
	gboolean has_abs_capture;
	guint64 abs_capture_ntp;
} WhepLoadRtpInfo;

/* Parses a decrypted RTP packet; abs_id is the abs-capture-time extension
 * id (0 = none).  Returns 0 or -EINVAL for a malformed packet. */
int whep_load_rtp_parse(const guint8 *buf, gsize len, guint8 abs_id, WhepLoadRtpInfo *info);

/* TRUE when an Opus packet's RTP timestamp advanced by
 * WHEP_LOAD_AUDIO_TS_STEP for each sequence number since the previous one
 * (a lost packet still leaves its step); a reordered or repeated sequence
 * number, or any other step (the service resynchronising its audio clock),
 * is irregular. */
gboolean whep_load_audio_step_regular(guint16 prev_seq, guint32 prev_ts, guint16 seq, guint32 ts);

/* RFC 6184 depacketizer: appends the NAL units of one H.264 RTP payload
 * (single NAL unit, STAP-A or FU-A) to out in Annex-B form (start codes),
 * so a received stream can be checked with a real decoder.  0, or -EINVAL
 * for a malformed or unsupported payload (nothing appended). */
int whep_load_h264_depacketize(const guint8 *payload, gsize len, GByteArray *out);

/* TRUE for a private IP address literal (10/8, 172.16/12, 192.168/16,
 * fc00::/7): what --peer-address takes, the address of a network namespace
 * made for the run, never one on the internet. */
gboolean whep_load_ip_is_private(const char *ip);
/* TRUE when ip is peer_address (--peer-address; NULL: none) and that is private. */
gboolean whep_load_ip_is_peer(const char *ip, const char *peer_address);
/* TRUE for an http:// URL whose host is 127.0.0.1, ::1 or peer_address
 * (names are refused): the load generator talks to nothing else. */
gboolean whep_load_url_is_allowed(const char *url, const char *peer_address);

/* A JSON summary member: count, median, p95 and max of samples (gint64,
 * sorted in place), null when there is none.  Integers: json-members.h. */
void whep_load_json_percentiles(JsonBuilder *b, const char *name, GArray *samples);

/* RFC 7983 demultiplexing of a datagram received on the ICE socket. */
typedef enum {
	WHEP_LOAD_PACKET_OTHER,
	WHEP_LOAD_PACKET_DTLS,
	WHEP_LOAD_PACKET_RTP,
	WHEP_LOAD_PACKET_RTCP,
} WhepLoadPacketKind;
WhepLoadPacketKind whep_load_classify(const guint8 *buf, gsize len);

typedef struct {
	guint32 sender_ssrc;
	guint32 media_ssrc;
	guint8 fraction_lost;
	guint32 cumulative_lost;        /* 24 bits used */
	guint32 ext_highest_seq;
	guint32 lsr;
	guint32 dlsr;
} WhepLoadReceiverReport;

#define WHEP_LOAD_RR_SIZE 32
/* Writes an RR with one report block; returns WHEP_LOAD_RR_SIZE or -ENOSPC. */
gssize whep_load_rr_build(const WhepLoadReceiverReport *rr, guint8 *buf, gsize size);

/* ---- Janus's Streaming plugin as the sender (whep-load-proto.c) -------- */

/* What a viewer of a Streaming mountpoint needs from Janus's offer (Janus
 * always offers, js.c:6029): full ICE as the controlling agent with its
 * candidates inside (half trickle), a=setup:actpass, sendonly H.264 and,
 * when the mountpoint has sound, Opus, BUNDLEd. */
typedef struct {
	HdmirtcSdpOffer *sdp;           /* the parsed offer, for the answer (sdp.h) */
	guint video_index;              /* of the H.264 section in sdp->media */
	gint audio_index;               /* of the Opus section, -1 when there is none */
	char *ice_ufrag;
	char *ice_pwd;
	char *fingerprint;              /* "sha-256 AB:..." */
	GPtrArray *candidates;          /* char *, "a=candidate:..." (one transport) */
	guint8 payload_type;            /* H.264, packetization-mode=1 */
	guint8 audio_payload_type;      /* opus/48000/2, with audio_index */
	guint32 video_ssrc;             /* first a=ssrc line of the section, 0 if none */
	guint32 audio_ssrc;
} WhepLoadJanusOffer;

/* Parses Janus's offer with hdmirtc's SDP parser and checks what this
 * receiver needs: a sendonly (or sendrecv) H.264 section with
 * packetization-mode=1, rtcp-mux, ICE credentials, a sha-256 fingerprint,
 * a=setup actpass or active, at least one candidate; an Opus section, if
 * any, in the video's BUNDLE group with rtcp-mux and another payload type.
 * Returns FALSE with error set (offer cleared). */
gboolean whep_load_janus_offer_parse(const char *text, gsize len, WhepLoadJanusOffer *offer, GError **error);
void whep_load_janus_offer_clear(WhepLoadJanusOffer *offer);

/* The recvonly answer to Janus's offer (CRLF line ends), with params'
 * ICE, fingerprint and candidates (whep-load is the controlled agent,
 * no trickle): every offered section in order, the H.264 one and (with
 * params->audio and an Opus section) the Opus one accepted with the
 * offer's mids and payload types, a=setup:passive (params->dtls_client:
 * active), BUNDLEd in the offer group's order; any other section
 * rejected (port 0).  g_free. */
char *whep_load_janus_answer_build(const WhepLoadJanusOffer *offer, const WhepLoadOfferParams *params);

/* One message of Janus's HTTP API: a request's reply or a long poll's
 * event (a poll returns one object, or an array with maxev). */
typedef enum {
	WHEP_LOAD_JANUS_OTHER,          /* ack, keepalive, webrtcup, media, plugin status... */
	WHEP_LOAD_JANUS_SUCCESS,        /* "success": id = data.id (create, attach), 0 if none */
	WHEP_LOAD_JANUS_OFFER,          /* an event with a jsep offer: text = its SDP */
	WHEP_LOAD_JANUS_ERROR,          /* "error", or a plugin's error_code: text = why */
	WHEP_LOAD_JANUS_ENDED,          /* hangup, detached, timeout: text = why */
} WhepLoadJanusKind;

typedef struct {
	WhepLoadJanusKind kind;
	char *janus;                    /* the message's "janus" member, "" if none */
	gint64 id;
	char *text;
} WhepLoadJanusMessage;

/* The messages of one HTTP body, in order (WhepLoadJanusMessage *, freed
 * with the array); NULL with error for a body that is not a JSON object
 * or array of objects. */
GPtrArray *whep_load_janus_messages_parse(const char *body, gsize len, GError **error);

/* The request {"janus": verb, "transaction": transaction} with, when not
 * NULL, "plugin", "body" (a JSON object's text, e.g. {"request":"watch"}),
 * "jsep" {"type": jsep_type, "sdp": jsep_sdp} and, with candidate_completed,
 * "candidate": {"completed": true}.  NULL when body is not a JSON
 * object.  g_free. */
typedef struct {
	const char *verb;
	const char *transaction;
	const char *plugin;
	const char *body;
	const char *jsep_type;
	const char *jsep_sdp;
	gboolean candidate_completed;
} WhepLoadJanusRequest;
char *whep_load_janus_request_build(const WhepLoadJanusRequest *request);

/* TRUE for an http:// URL whose host is an IP address literal. */
gboolean whep_load_url_host_is_ip(const char *url);

/* ---- Janus signalling (whep-load-janus.c) ------------------------------- */

/* One viewer's Janus session: create -> attach janus.plugin.streaming ->
 * watch, one long poll always outstanding (it also keeps the session
 * alive) and a keepalive every 20 s besides, the offer handed over, the
 * answer sent with "start", then trickle "completed".  All on the
 * thread-default main context. */
typedef struct WhepLoadJanus WhepLoadJanus;

typedef struct {
	/* Janus's offer (once); answer with whep_load_janus_answer(). */
	void (*offer)(WhepLoadJanus *janus, const char *sdp, gpointer user_data);
	/* Signalling failed or Janus ended the session; why is for the
	 * summary.  Nothing more is sent but destroy. */
	void (*failed)(WhepLoadJanus *janus, const char *why, gpointer user_data);
} WhepLoadJanusCallbacks;

WhepLoadJanus *whep_load_janus_new(SoupSession *http, const char *base_url, gint64 mountpoint, guint index,
                                   const WhepLoadJanusCallbacks *callbacks, gpointer user_data);
void whep_load_janus_start(WhepLoadJanus *janus);
void whep_load_janus_answer(WhepLoadJanus *janus, const char *sdp);
/* Destroys the Janus session (its PeerConnection with it), after the
 * create if that is still under way; done is called once, with ok FALSE
 * when Janus did not confirm, TRUE from an idle callback when there is no
 * session to destroy.  No callback of WhepLoadJanusCallbacks is called
 * after this. */
typedef void (*WhepLoadJanusDoneFunc)(WhepLoadJanus *janus, gboolean ok, gpointer user_data);
void whep_load_janus_destroy(WhepLoadJanus *janus, WhepLoadJanusDoneFunc done, gpointer user_data);
/* NULL-safe; pending requests are cancelled, and no callback follows. */
void whep_load_janus_free(WhepLoadJanus *janus);

/* ---- one session (whep-load-session.c) --------------------------------- */

typedef enum {
	WHEP_LOAD_SESSION_GATHERING,
	WHEP_LOAD_SESSION_POSTING,
	WHEP_LOAD_SESSION_CONNECTING,   /* answer applied: ICE + DTLS */
	WHEP_LOAD_SESSION_STREAMING,    /* first whole frame received */
	WHEP_LOAD_SESSION_FAILED,
	WHEP_LOAD_SESSION_CLOSED,
} WhepLoadSessionState;

typedef struct {
	guint64 packets;                /* decrypted RTP packets */
	guint64 bytes;                  /* SRTP datagram bytes, as on the wire */
	guint64 payload_bytes;          /* RTP payload bytes after decryption */
	guint64 frames;                 /* packets with the marker bit */
	guint64 decrypt_failures;       /* unprotect refused (auth, malformed) */
	guint64 replayed;
	guint64 malformed;              /* not RTP/RTCP/DTLS/STUN, or bad RTP */
	guint64 lost;                   /* sequence gaps (expected - received) */
	guint64 rtcp_received;
	guint64 rtcp_failures;
	guint64 rr_sent;
	guint64 bad_rtcp_sent;          /* --bad-rtcp: malformed SRTCP-protected packets */
	gint64 connect_ms;              /* POST sent -> first whole frame, -1 if none */
	gint64 max_frame_gap_ms;        /* longest time between two whole frames (a freeze) */
	gint64 max_frame_gap_end_us;    /* when it ended: the wall clock (g_get_real_time) */
	/* --audio: the Opus packets (told from video by payload type), apart
	 * from the video figures above. */
	guint64 audio_packets;
	guint64 audio_bytes;            /* SRTP datagram bytes */
	guint64 audio_payload_bytes;    /* Opus bytes after decryption */
	guint64 audio_decrypt_failures;
	guint64 audio_lost;             /* sequence gaps */
	guint64 audio_ts_irregular;     /* see whep_load_audio_step_regular */
	guint64 audio_ssrc_mismatch;    /* not the SSRC of the answer's a=ssrc line */
} WhepLoadCounters;


typedef struct WhepLoadSession WhepLoadSession;

typedef struct {
	/* The session reached STREAMING, FAILED or CLOSED. */
	void (*state_changed)(WhepLoadSession *session, WhepLoadSessionState state, gpointer user_data);
} WhepLoadSessionCallbacks;

typedef struct {
	SoupSession *http;              /* shared, not owned */
	const char *whep_url;           /* checked loopback URL */
	const char *token;              /* bearer token for POST and DELETE, NULL = none */
	const HdmirtcDtlsCert *cert;    /* shared, not owned */
	guint index;
	guint connect_timeout_s;
	/* The one SRTP profile to accept as DTLS server; NONE = both, and then
	 * the service's first offered one (AES128_CM_SHA1_80) wins. */
	HdmirtcSrtpProfile srtp_profile;
	/* With every receiver report also send malformed RTCP (truncated,
	 * bad lengths, bad version, garbage), properly SRTCP-protected, so it
	 * reaches the service's RTCP parser: a robustness test. */
	gboolean bad_rtcp;
	/* When not NULL, the depacketized H.264 of this session is written
	 * here (Annex B).  Not owned. */
	FILE *dump;
	/* Offer a=setup:active and be the DTLS client (the service is then
	 * the server); else actpass, and the service is the client. */
	gboolean dtls_client;
	/* Also offer an Opus section and count what arrives on it (Janus:
	 * accept the offered one). */
	gboolean audio;
	/* Janus mode: the Streaming plugin's viewer flow on this HTTP API
	 * base URL ("http://IP:8088/janus") instead of WHEP; Janus offers,
	 * whep-load answers and is the controlled ICE agent. */
	const char *janus_url;
	gint64 mountpoint;
	/* --audio: do not look for the tone's clicks (no Opus decoding). */
	gboolean skip_clicks;
	/* The address libnice gathers the host candidate on; NULL = 127.0.0.1.
	 * Remote candidates are used only if loopback or, with another local
	 * address, if they are an address of this machine. */
	const char *local_address;
	/* --peer-address: the service's address in another network namespace
	 * made for the run (private, whep_load_ip_is_private); its URL and
	 * candidates are then used too.  NULL: none. */
	const char *peer_address;
} WhepLoadSessionConfig;

WhepLoadSession *whep_load_session_new(const WhepLoadSessionConfig *config,
                                       const WhepLoadSessionCallbacks *callbacks, gpointer user_data);
typedef void (*WhepLoadDoneFunc)(WhepLoadSession *session, gpointer user_data);
/* Sends close_notify and DELETEs the WHEP resource; done is called once,
 * when the DELETE finished or failed (from an idle callback when there is
 * nothing to delete).  The session then counts nothing more. */
void whep_load_session_close(WhepLoadSession *session, WhepLoadDoneFunc done, gpointer done_data);
void whep_load_session_free(WhepLoadSession *session);

/* The HTTP session WHEP requests go out on: direct connections only (no
 * proxy from the environment), up to max_conns at a time, from local_ip
 * (NULL = the system's choice). */
SoupSession *whep_load_http_session_new(const char *local_ip, guint max_conns, const char *user_agent);

/* TRUE for an IP address literal that is loopback or an address of one of
 * this machine's interfaces (in its network namespace). */
gboolean whep_load_ip_is_local(const char *ip);

WhepLoadSessionState whep_load_session_get_state(const WhepLoadSession *session);
const char *whep_load_session_state_to_string(WhepLoadSessionState state);
const char *whep_load_session_get_error(const WhepLoadSession *session);
/* The index it was made with (WhepLoadSessionConfig). */
guint whep_load_session_get_index(const WhepLoadSession *session);
/* Seconds the server asked to wait (Retry-After of a 429 to the POST),
 * 0 when it did not refuse the session for its rate. */
guint whep_load_session_get_retry_after_s(const WhepLoadSession *session);
/* NONE until DTLS is done. */
HdmirtcSrtpProfile whep_load_session_get_srtp_profile(const WhepLoadSession *session);
const WhepLoadCounters *whep_load_session_get_counters(const WhepLoadSession *session);
/* With --audio: whether the answer accepted the audio section. */
gboolean whep_load_session_get_audio_accepted(const WhepLoadSession *session);
/* capture (abs-capture-time) -> last packet of the frame received, in
 * microseconds, one sample per whole frame. */
const GArray *whep_load_session_get_receive_samples(const WhepLoadSession *session);
/* --audio: the tone's clicks on the sender's clock (whep-load-clicks.c). */
const GArray *whep_load_session_get_click_offsets(const WhepLoadSession *session);

G_END_DECLS
