/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One viewer: ICE transport, DTLS client, SRTP session, RTP sender with
 * retransmission history, RTCP receiver.  Network thread only. */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/audio.h"
#include "hdmirtc/dtls.h"
#include "hdmirtc/rtp.h"
#include "hdmirtc/sdp.h"
#include "ice-transport.h"

G_BEGIN_DECLS

typedef struct HdmirtcPeer HdmirtcPeer;

typedef enum {
	HDMIRTC_PEER_STATE_CONNECTING,  /* ICE checks, then the DTLS handshake */
	HDMIRTC_PEER_STATE_STREAMING,   /* SRTP keys known: media flows */
	HDMIRTC_PEER_STATE_CLOSED,      /* failed or left; the hub frees it soon */
} HdmirtcPeerState;

typedef struct {
	/* The peer needs an IDR (joined, PLI, FIR, lost a frame); joining:
	 * it has had no picture yet, so only an IDR starts it. */
	void (*request_keyframe)(HdmirtcPeer *peer, const char *reason, gboolean joining,
	                         gpointer user_data);
	/* Local ICE candidates are all known: time to answer. */
	void (*gathering_done)(HdmirtcPeer *peer, gpointer user_data);
	/* Media flows now (DTLS done); NULL = not wanted. */
	void (*streaming)(HdmirtcPeer *peer, gpointer user_data);
	/* The peer is over (ICE failed, consent lost, DTLS failed, BYE).  The
	 * hub must not free the peer inside this call. */
	void (*closed)(HdmirtcPeer *peer, const char *reason, gpointer user_data);
} HdmirtcPeerCallbacks;

typedef struct {
	const HdmirtcDtlsCert *cert;
	const HdmirtcIceConfig *ice;
	gboolean prefer_dtls_server;    /* to an actpass offer */
	const char *arrival_address;    /* where the WHEP POST came in; NULL = unknown */
	/* The audio section to send Opus on; NULL = video only, and
	 * audio_why_not (static) says why. */
	const HdmirtcSdpAudioChoice *audio;
	const char *audio_why_not;
	/* The audio section carries the transport (it comes first in the
	 * offer's BUNDLE group): ICE restart answers name it. */
	gboolean audio_tagged;
	/* Streaming without an authenticated packet from the other side for
	 * this long ends the peer; 0 = RFC 7675's 30 s. */
	guint consent_timeout_ms;
} HdmirtcPeerConfig;

/* Creates the peer for an offer the caller has parsed and chosen a codec
 * in, and starts gathering candidates.  config->cert must outlive it. */
HdmirtcPeer *hdmirtc_peer_new(GMainContext *ctx, const HdmirtcPeerConfig *config,
                              const HdmirtcSdpVideoChoice *choice,
                              const HdmirtcPeerCallbacks *callbacks, gpointer user_data,
                              GError **error);
/* The service as offerer (WHIP): a peer with its own ICE credentials, in
 * the controlling role, gathering from now on; the offer
 * (hdmirtc_peer_build_offer) names sound when audio is TRUE.  The answer
 * comes later (hdmirtc_peer_take_answer); config's audio fields are not
 * used. */
HdmirtcPeer *hdmirtc_peer_new_offerer(GMainContext *ctx, const HdmirtcPeerConfig *config, gboolean audio,
                                      const HdmirtcPeerCallbacks *callbacks, gpointer user_data,
                                      GError **error);
/* The SDP offer with the candidates gathered so far (transfer full). */
char *hdmirtc_peer_build_offer(HdmirtcPeer *peer, GError **error);
/* Takes the answer to that offer (HDMIRTC_SDP_ERROR when it is unusable):
 * the ICE checks and, once they connect, DTLS start. */
gboolean hdmirtc_peer_take_answer(HdmirtcPeer *peer, const char *answer, gsize len, GError **error);
/* An offerer's ICE restart (RFC 8445 9): new credentials and candidates
 * gathered with config, told with hdmirtc_peer_build_restart_fragment()
 * when gathering_done is called again; the other side's new credentials
 * come back with hdmirtc_peer_take_restart_answer(), its candidates there
 * or, when it names none (it kept them), those of its first answer. */
gboolean hdmirtc_peer_restart_ice_as_offerer(HdmirtcPeer *peer, const HdmirtcIceConfig *config,
                                             GError **error);
gboolean hdmirtc_peer_take_restart_answer(HdmirtcPeer *peer, const char *fragment, gsize len, GError **error);
/* The candidates of a trickle or ICE-restart fragment (RFC 8840) given to
 * the agent; the number it took, and in *ended whether the fragment says
 * a=end-of-candidates (the caller tells the agent once it has added all
 * it will). */
guint hdmirtc_peer_add_fragment_candidates(HdmirtcPeer *peer, const HdmirtcSdpFrag *frag, gboolean *ended);
/* Microseconds since the last authenticated packet from the other side
 * (0 before streaming). */
gint64 hdmirtc_peer_get_silence_us(HdmirtcPeer *peer);
/* The SDP answer with the candidates gathered so far (transfer full). */
char *hdmirtc_peer_build_answer(HdmirtcPeer *peer, const HdmirtcSdpOffer *offer, GError **error);
gboolean hdmirtc_peer_is_gathering_done(HdmirtcPeer *peer);
/* ICE restart with the viewer's new credentials, gathering with config
 * and the arrival address of the POST (see
 * hdmirtc_ice_transport_restart()); the peer gets a new ETag.  The
 * gathering_done callback is called again for the new candidates. */
gboolean hdmirtc_peer_restart_ice(HdmirtcPeer *peer, const HdmirtcIceConfig *config,
                                  const char *ufrag, const char *pwd, GError **error);
/* The PATCH answer of the restart, with the candidates gathered so far
 * (transfer full). */
char *hdmirtc_peer_build_restart_fragment(HdmirtcPeer *peer, GError **error);
/* NULL-safe; sends nothing more and calls no callback. */
void hdmirtc_peer_free(HdmirtcPeer *peer);

const char *hdmirtc_peer_get_id(HdmirtcPeer *peer);
const char *hdmirtc_peer_get_etag(HdmirtcPeer *peer);
HdmirtcPeerState hdmirtc_peer_get_state(HdmirtcPeer *peer);
HdmirtcIceTransport *hdmirtc_peer_get_ice(HdmirtcPeer *peer);
/* TRUE while the viewer streams and takes the sound. */
gboolean hdmirtc_peer_is_listening(HdmirtcPeer *peer);
/* TRUE when mid names one of the session's sections (video or audio). */
gboolean hdmirtc_peer_has_mid(HdmirtcPeer *peer, const char *mid);
/* The video section's mid ("" when the offer had none). */
const char *hdmirtc_peer_get_mid(HdmirtcPeer *peer);

/* Scratch space for the packets of one frame on their way to one viewer
 * (peer-send.c): written, protected and sent in runs of up to this many.
 * One per sending thread, reused for every viewer; ~96 kB. */
#define HDMIRTC_PEER_BATCH_PACKETS 64
typedef struct HdmirtcPeerBatch HdmirtcPeerBatch;
HdmirtcPeerBatch *hdmirtc_peer_batch_new(void);
/* NULL-safe. */
void hdmirtc_peer_batch_free(HdmirtcPeerBatch *batch);

/* Sends one packetized access unit (skipped until the first keyframe after
 * joining or after a drop), using batch as scratch space.  Returns the
 * monotonic time its first packets went to the socket, 0 when nothing was
 * sent.  Calls nothing back: a drop's keyframe request waits for
 * hdmirtc_peer_end_frame(). */
gint64 hdmirtc_peer_send_frame(HdmirtcPeer *peer, HdmirtcRtpPacketList *list,
                               HdmirtcPeerBatch *batch);
/* Sends one Opus packet on the audio track, if the viewer has one and
 * streams (peer-audio.c). */
void hdmirtc_peer_send_audio(HdmirtcPeer *peer, const HdmirtcAudioPacket *pkt);
/* Network thread, before a frame: TRUE when send_frame() for it touches
 * nothing but this peer's own state and socket, so another thread may make
 * the call while the network thread waits for it (send-workers.h). */
gboolean hdmirtc_peer_prepare_send_off_thread(HdmirtcPeer *peer);
/* Network thread, after every viewer's send_frame() of a frame: asks for
 * the keyframe a dropped frame needs. */
void hdmirtc_peer_end_frame(HdmirtcPeer *peer);
/* Handles one received datagram that is RTP or RTCP (RFC 7983 range
 * 128..191). */
void hdmirtc_peer_handle_rtp_rtcp(HdmirtcPeer *peer, guint8 *data, gsize len);
/* Builds this viewer's status object. */
void hdmirtc_peer_add_status(HdmirtcPeer *peer, JsonBuilder *b);

G_END_DECLS
