/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDP for the WHEP endpoint: parse a browser's offer (RFC 8866, JSEP),
 * choose the H.264 payload type hdmirtc can send to it (and the Opus one,
 * RFC 7587, when it has audio), and build the answer (RFC 3264: every
 * offered m= section kept in order, only the chosen video and audio sections
 * accepted, send-only, BUNDLEd, a=setup:active, ICE full agent in the
 * controlled role).  Also parses trickle-ICE fragments (RFC 8840,
 * application/trickle-ice-sdpfrag) for WHEP PATCH.
 *
 * Everything here is plain data and pure functions: no I/O, no global state,
 * callable from any thread (hdmirtc calls them on the network thread).
 * All input is untrusted; errors are in HDMIRTC_SDP_ERROR and their message
 * starts with "line N: " when a line is at fault. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HDMIRTC_SDP_ERROR (hdmirtc_sdp_error_quark())
GQuark hdmirtc_sdp_error_quark(void);

typedef enum {
	HDMIRTC_SDP_ERROR_PARSE,        /* malformed SDP: HTTP 400 */
	HDMIRTC_SDP_ERROR_TOO_LARGE,    /* body over HDMIRTC_SDP_MAX_SIZE: HTTP 413 */
	HDMIRTC_SDP_ERROR_INVALID,      /* well-formed, unusable for WebRTC (no ICE credentials,
	                                 * no sha-256 fingerprint, no rtcp-mux, video only sendonly...): 400 */
	HDMIRTC_SDP_ERROR_NO_VIDEO,     /* no video m= section: 406 */
	HDMIRTC_SDP_ERROR_NO_CODEC,     /* video, but no H.264 hdmirtc can send: 406 */
	HDMIRTC_SDP_ERROR_PARAMS,       /* bad local answer parameters (a bug here): 500 */
} HdmirtcSdpError;

/* The HTTP status for an error from this module (400 for other domains). */
guint hdmirtc_sdp_error_http_status(const GError *error);

#define HDMIRTC_SDP_MAX_SIZE (64 * 1024)
#define HDMIRTC_SDP_MAX_LINE 4096       /* bytes, line ending excluded */
#define HDMIRTC_SDP_MAX_MEDIA 64        /* m= sections */

typedef enum {
	HDMIRTC_SDP_DIRECTION_SENDRECV,
	HDMIRTC_SDP_DIRECTION_RECVONLY,
	HDMIRTC_SDP_DIRECTION_SENDONLY,
	HDMIRTC_SDP_DIRECTION_INACTIVE,
} HdmirtcSdpDirection;

typedef enum {
	HDMIRTC_SDP_SETUP_NONE,         /* no a=setup */
	HDMIRTC_SDP_SETUP_ACTPASS,
	HDMIRTC_SDP_SETUP_ACTIVE,
	HDMIRTC_SDP_SETUP_PASSIVE,
	HDMIRTC_SDP_SETUP_HOLDCONN,
} HdmirtcSdpSetup;

typedef enum {
	HDMIRTC_SDP_MEDIA_AUDIO,
	HDMIRTC_SDP_MEDIA_VIDEO,
	HDMIRTC_SDP_MEDIA_APPLICATION,
	HDMIRTC_SDP_MEDIA_OTHER,        /* text, message, ...: see HdmirtcSdpMedia.media */
} HdmirtcSdpMediaType;

/* a=rtcp-fb values hdmirtc knows, as bits (others are ignored). */
typedef enum {
	HDMIRTC_SDP_FB_NACK = 1 << 0,
	HDMIRTC_SDP_FB_NACK_PLI = 1 << 1,
	HDMIRTC_SDP_FB_CCM_FIR = 1 << 2,
	HDMIRTC_SDP_FB_GOOG_REMB = 1 << 3,
	HDMIRTC_SDP_FB_TRANSPORT_CC = 1 << 4,
} HdmirtcSdpFeedback;

/* RTP header extensions hdmirtc can send. */
typedef enum {
	HDMIRTC_SDP_EXT_MID,                    /* urn:ietf:params:rtp-hdrext:sdes:mid */
	HDMIRTC_SDP_EXT_ABS_CAPTURE_TIME,       /* webrtc.org abs-capture-time */
	HDMIRTC_SDP_EXT_PLAYOUT_DELAY,          /* webrtc.org playout-delay */
	HDMIRTC_SDP_EXT_TRANSPORT_CC,           /* draft-holmer transport-wide-cc-01 */
	HDMIRTC_SDP_EXT_COUNT
} HdmirtcSdpExt;

/* The extension's URI (static string). */
const char *hdmirtc_sdp_ext_uri(HdmirtcSdpExt ext);

/* One payload type of an RTP m= section, in m= line order. */
typedef struct {
	guint8 pt;
	gboolean has_rtpmap;
	char *encoding;                 /* as written ("H264"), NULL without a=rtpmap */
	guint32 clock_rate;             /* 0 without a=rtpmap */
	guint channels;                 /* 0 when not given */
	char *fmtp;                     /* a=fmtp parameters as written, or NULL */
	guint fmtp_line;                /* line number of a=fmtp, 0 if none */
	guint feedback;                 /* HdmirtcSdpFeedback bits, a=rtcp-fb:* included */
	/* H.264 (RFC 6184), filled when encoding is H264: */
	char profile_level_id[7];       /* lowercase hex; "420010" (the RFC default) if absent */
	guint packetization_mode;       /* 0 when absent */
	gboolean level_asymmetry_allowed;
	/* rtx (RFC 4588): */
	gint apt;                       /* associated payload type, -1 if none */
} HdmirtcSdpPayload;

typedef struct {
	guint id;                       /* 1..255, never 15 */
	HdmirtcSdpDirection direction;  /* SENDRECV when the line gives none */
	gboolean has_direction;
	char *uri;
} HdmirtcSdpExtmap;

/* One m= section.  The ICE, DTLS and setup fields hold the effective values:
 * the media-level attribute, else the session-level one. */
typedef struct {
	guint line;                     /* line number of the m= line */
	HdmirtcSdpMediaType type;
	char *media;                    /* "video", "audio", ... */
	guint port;                     /* 0: rejected, or bundle-only */
	char *proto;                    /* "UDP/TLS/RTP/SAVPF", ... */
	gboolean is_rtp;                /* proto is RTP/...: formats are payload types */
	GPtrArray *formats;             /* char *, the m= line's formats in order */
	char *mid;                      /* NULL without a=mid */
	HdmirtcSdpDirection direction;
	gboolean rtcp_mux;
	gboolean rtcp_rsize;
	gboolean bundle_only;
	char *ice_ufrag;                /* NULL if none */
	char *ice_pwd;
	char *ice_options;              /* as written, e.g. "trickle" */
	gboolean has_sha256_fingerprint;
	guint8 fingerprint_sha256[32];
	HdmirtcSdpSetup setup;
	GArray *payloads;               /* HdmirtcSdpPayload, empty unless is_rtp */
	GArray *extmaps;                /* HdmirtcSdpExtmap */
	GPtrArray *candidates;          /* char *, "candidate:..." without "a=" (as in
	                                 * RTCIceCandidate.candidate; libnice wants "a=" prepended) */
	gboolean end_of_candidates;
} HdmirtcSdpMedia;

typedef struct {
	char *origin_session_id;        /* o= line, digits */
	char *origin_session_version;
	GPtrArray *bundle_groups;       /* GStrv per a=group:BUNDLE line, mids in order */
	GPtrArray *media;               /* HdmirtcSdpMedia *, in offer order */
} HdmirtcSdpOffer;

/* Parses an SDP offer of len bytes (need not be NUL-terminated).  Checks the
 * syntax of every line and of the attributes listed in the structures above;
 * does not check that the offer is usable (see _choose_h264).  Returns a new
 * offer (free with hdmirtc_sdp_offer_free) or NULL and a PARSE or TOO_LARGE
 * error. */
HdmirtcSdpOffer *hdmirtc_sdp_offer_parse(const char *text, gsize len, GError **error);
/* NULL-safe. */
void hdmirtc_sdp_offer_free(HdmirtcSdpOffer *offer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcSdpOffer, hdmirtc_sdp_offer_free)

/* Looks up a payload type of a section; NULL if the m= line does not list it. */
const HdmirtcSdpPayload *hdmirtc_sdp_media_find_payload(const HdmirtcSdpMedia *media, guint pt);

/* What hdmirtc will send, and how, for one offer.  Borrows from the offer. */
typedef struct {
	guint media_index;              /* index in offer->media */
	const HdmirtcSdpMedia *media;
	guint8 payload_type;
	char profile_level_id[7];       /* the offered one, lowercase */
	guint feedback;                 /* HdmirtcSdpFeedback offered for payload_type */
	/* Offered ids of the extensions hdmirtc can send, 0 when not offered
	 * (or offered sendonly, i.e. only from the browser). */
	guint ext_id[HDMIRTC_SDP_EXT_COUNT];
	HdmirtcSdpDirection ext_direction[HDMIRTC_SDP_EXT_COUNT];
} HdmirtcSdpVideoChoice;

/* Picks the video section and H.264 payload type to send: the first video
 * section that is not rejected, is UDP/TLS/RTP/SAVPF, recvonly or sendrecv
 * and has a payload type with packetization-mode=1 whose profile decodes
 * constrained baseline; among those profiles 42e01f first, then other
 * constrained baseline (42 with constraint_set1), baseline (4200xx), main
 * (4dxxxx); never High.  Also checks what the answer needs (ICE credentials,
 * sha-256 fingerprint, a=setup actpass or passive, rtcp-mux).
 * Returns FALSE with NO_VIDEO, NO_CODEC or INVALID. */
gboolean hdmirtc_sdp_offer_choose_h264(const HdmirtcSdpOffer *offer, HdmirtcSdpVideoChoice *choice,
                                       GError **error);

/* What hdmirtc will send as audio for one offer.  Borrows from the offer. */
typedef struct {
	guint media_index;              /* index in offer->media */
	const HdmirtcSdpMedia *media;
	guint8 payload_type;            /* opus/48000/2 */
	guint ext_id[HDMIRTC_SDP_EXT_COUNT];   /* as in HdmirtcSdpVideoChoice; only MID and ABS_CAPTURE_TIME are ever set */
	HdmirtcSdpDirection ext_direction[HDMIRTC_SDP_EXT_COUNT];
} HdmirtcSdpAudioChoice;

/* Picks the audio section to send Opus on, given the video choice: the
 * first audio section that is not rejected (port 0 without bundle-only), is
 * UDP/TLS/RTP/SAVPF, recvonly or sendrecv, offers opus/48000/2 (encoding
 * name in any case), and is in the same a=group:BUNDLE group as the video
 * section (hdmirtc has one transport per viewer); it also passes the
 * transport checks of _choose_h264.  Never an error: the session goes on
 * with video only.  FALSE when no section qualifies, with *why_not (if
 * why_not is not NULL; a static string) saying why for the log and status,
 * for the section that came closest: "no audio section", "audio is not
 * bundled with video", "no opus/48000/2 offered", ...  TRUE sets *why_not
 * to NULL. */
gboolean hdmirtc_sdp_offer_choose_opus(const HdmirtcSdpOffer *offer, const HdmirtcSdpVideoChoice *video,
                                       HdmirtcSdpAudioChoice *choice, const char **why_not);

/* What the service says of itself in an answer (WHEP) or an offer (WHIP). */
typedef struct {
	guint64 session_id;             /* o= line; at most 2^63-1 (RFC 3264) */
	guint64 session_version;
	const char *ice_ufrag;          /* 4..256 ice-chars */
	const char *ice_pwd;            /* 22..256 ice-chars */
	const char *fingerprint;        /* "sha-256 AB:CD:..." (32 bytes) */
	const char *const *candidates;  /* NULL-terminated, NULL for none (trickle);
	                                 * "candidate:..." or "a=candidate:..." */
	gboolean gathering_complete;    /* adds a=end-of-candidates */
	guint32 ssrc;
	const char *cname;              /* 1..255 printable, no spaces */
	const char *stream_id;          /* msid, 1..64 token chars */
	const char *track_id;
	guint32 audio_ssrc;             /* 0: the service has no audio: every audio section is rejected */
	const char *audio_track_id;     /* msid track of the audio, 1..64 token chars; required when
	                                 * audio_ssrc != 0 (and then other than track_id) */
	/* We write transport-wide sequence numbers and read TWCC feedback: answer
	 * the transport-wide-cc extension and rtcp-fb transport-cc if offered.
	 * FALSE: answer neither (REMB only). */
	gboolean transport_cc;
	/* To a=setup:actpass answer passive (we are the DTLS server) instead
	 * of active (answers only). */
	gboolean prefer_dtls_server;
} HdmirtcSdpLocalParams;

/* Whether hdmirtc is the DTLS server for an offer's a=setup: active makes
 * it one, passive never, actpass as preferred.  The answer's a=setup and
 * the DTLS session both come from here. */
gboolean hdmirtc_sdp_dtls_is_server(HdmirtcSdpSetup offered, gboolean prefer_server);

/* Builds the answer to offer (CRLF line ends).  Runs _choose_h264 itself
 * and fails with its errors, or PARAMS for bad params; with audio_ssrc it
 * also runs _choose_opus and accepts that audio section if there is one.
 * Both accepted sections carry the transport lines, one a=msid stream
 * (so browsers play them in sync) and are BUNDLEd in the order of the
 * offer's group; only the first of them there (the answerer-tagged one, see
 * _tagged_mid) carries the candidates.  Returns a new string (g_free) or
 * NULL. */
char *hdmirtc_sdp_answer_build(const HdmirtcSdpOffer *offer, const HdmirtcSdpLocalParams *params,
                               GError **error);

/* The mid of the accepted section that carries the answer's candidates,
 * for the ICE restart fragment and for matching trickle PATCHes: of the
 * video and, when audio is not NULL (the audio hdmirtc_sdp_answer_build
 * accepts), the audio section, the one whose mid the offer's BUNDLE group
 * lists first (RFC 8843 7.3.1; for browsers that is offer order).  NULL
 * when that section has no mid. */
const char *hdmirtc_sdp_answer_tagged_mid(const HdmirtcSdpOffer *offer, const HdmirtcSdpVideoChoice *video,
                                          const HdmirtcSdpAudioChoice *audio);

/* ---- The service as offerer (WHIP, RFC 9725 4.2) ---- */

/* What the offer always says: BUNDLE of video (mid "0", H.264
 * constrained baseline, packetization-mode 1, payload type 96, NACK, PLI,
 * FIR) and, with an audio_ssrc, audio (mid "1", opus/48000/2 payload type
 * 111), both sendonly with rtcp-mux, the mid and abs-capture-time
 * extensions (ids 1 and 2), a=setup:actpass. */
#define HDMIRTC_SDP_OFFER_VIDEO_PT 96
#define HDMIRTC_SDP_OFFER_AUDIO_PT 111

/* Builds that offer (CRLF line ends) with the candidates in the first
 * section.  transport_cc and prefer_dtls_server are not used.  Returns a
 * new string, or NULL with PARAMS for bad params. */
char *hdmirtc_sdp_offer_build(const HdmirtcSdpLocalParams *params, GError **error);

/* Reads the answer to that offer (parsed with hdmirtc_sdp_offer_parse):
 * its video section must accept payload type 96 (recvonly or sendrecv,
 * ICE credentials, sha-256 fingerprint, a=setup active or passive,
 * rtcp-mux); *video gets it, with the feedback the answer lists for it and
 * the extension ids it kept.  *audio gets the audio section when the
 * answer accepts payload type 111 there, bundled with the video (returns
 * has_audio FALSE otherwise; with why_not saying why).  INVALID, NO_VIDEO
 * or NO_CODEC errors otherwise. */
gboolean hdmirtc_sdp_answer_read(const HdmirtcSdpOffer *answer, HdmirtcSdpVideoChoice *video,
                                 HdmirtcSdpAudioChoice *audio, gboolean *has_audio,
                                 const char **why_not, GError **error);

/* What the answer fragment of an ICE restart carries. */
typedef struct {
	const char *ice_ufrag;          /* the new ones */
	const char *ice_pwd;
	const char *mid;                /* the tagged section's (_tagged_mid), NULL if it had none */
	gboolean audio;                 /* that section is the audio one: "m=audio" */
	guint8 payload_type;            /* of that section */
	const char *const *candidates;  /* NULL-terminated "candidate:..." lines, may be NULL */
	gboolean gathering_complete;    /* adds a=end-of-candidates */
} HdmirtcSdpRestartParams;

/* The 200 body of a WHEP PATCH that restarted ICE (trickle-ice-sdpfrag,
 * CRLF line ends).  Returns a new string, or NULL with PARAMS for bad
 * params. */
char *hdmirtc_sdp_restart_fragment_build(const HdmirtcSdpRestartParams *params, GError **error);

/* A trickle-ICE fragment (RFC 8840) from WHEP PATCH. */
typedef struct {
	guint line;                     /* line number of the m= line */
	guint mline_index;              /* 0-based count of m= lines in the fragment */
	char *mid;                      /* NULL without a=mid */
	char *ice_ufrag;                /* effective (media-level else session-level), or NULL */
	char *ice_pwd;
	GPtrArray *candidates;          /* char *, "candidate:..." without "a=" */
	gboolean end_of_candidates;
} HdmirtcSdpFragMedia;

typedef struct {
	char *ice_ufrag;                /* session level, or NULL */
	char *ice_pwd;
	char *ice_options;
	GPtrArray *media;               /* HdmirtcSdpFragMedia * */
} HdmirtcSdpFrag;

/* Parses an application/trickle-ice-sdpfrag body with the offer's rules;
 * v=, o=, s=, t= lines and a=candidate outside an m= section are refused,
 * as are ice-ufrag without ice-pwd and the reverse.  Returns a new fragment
 * (hdmirtc_sdp_frag_free) or NULL and a PARSE, TOO_LARGE or INVALID error. */
HdmirtcSdpFrag *hdmirtc_sdp_frag_parse(const char *text, gsize len, GError **error);
/* NULL-safe. */
void hdmirtc_sdp_frag_free(HdmirtcSdpFrag *frag);
/* The fragment's ICE credentials: session level, else the first media
 * level ones (borrowed); FALSE when it has none. */
gboolean hdmirtc_sdp_frag_get_credentials(const HdmirtcSdpFrag *frag, const char **ufrag, const char **pwd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdmirtcSdpFrag, hdmirtc_sdp_frag_free)

G_END_DECLS
