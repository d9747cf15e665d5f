/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A feed (include/hdmirtc/webrtc.h): the packetized stream as plain RTP to
 * fixed ports, for an SFU that fans it out (a Janus Streaming mountpoint).
 * The hub sends each frame and each Opus packet to its feeds as it does to
 * its viewers; the feed's own RTCP socket carries sender reports out and
 * keyframe requests (PLI, FIR) in.
 *
 * Thread: as the hub (see webrtc.h). */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/webrtc.h"
#include "hdmirtc/rtp.h"

G_BEGIN_DECLS

/* The feed needs an IDR: it just started (joining), the SFU asked (PLI,
 * FIR), or a frame could not be sent whole. */
typedef void (*HdmirtcRtpFeedKeyframeFunc)(const char *reason, gboolean joining, gpointer user_data);

HdmirtcWebrtcFeed *hdmirtc_rtp_feed_new(GMainContext *ctx, const HdmirtcWebrtcFeedTarget *target,
                                        HdmirtcRtpFeedKeyframeFunc request_keyframe,
                                        gpointer user_data, GError **error);
/* NULL-safe. */
void hdmirtc_rtp_feed_free(HdmirtcWebrtcFeed *feed);

/* Sends one packetized access unit (nothing until the first keyframe, or
 * after a frame that could not be sent whole).  Returns the monotonic time
 * its first packets went out, 0 when nothing was sent. */
gint64 hdmirtc_rtp_feed_send_frame(HdmirtcWebrtcFeed *feed, HdmirtcRtpPacketList *list);
void hdmirtc_rtp_feed_send_audio(HdmirtcWebrtcFeed *feed, const HdmirtcAudioPacket *pkt);
/* TRUE when the feed carries the sound. */
gboolean hdmirtc_rtp_feed_has_audio(const HdmirtcWebrtcFeed *feed);

G_END_DECLS
