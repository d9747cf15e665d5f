/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sends a run of datagrams to one address on one UDP socket in as few
 * system calls as the kernel allows: one sendmmsg(2) for the run, and
 * inside it UDP GSO (UDP_SEGMENT, Linux 4.18+) for each stretch of
 * equal-sized datagrams, so the stack routes and builds one large
 * datagram that is cut into the real ones only at the device (or at the
 * receiving socket on loopback).
 *
 * GSO rules (net/ipv4/udp.c, udp_send_skb and udp_cmsg_send): every
 * segment is gso_size bytes except the last, which may be shorter; at
 * most UDP_MAX_SEGMENTS (64 before Linux 6.9) segments and 64 kB in all;
 * a segment must fit the path MTU (no IP fragmentation); the device must
 * checksum (else EIO).  The first send a kernel or route refuses turns
 * GSO off for that sender and the datagrams go as plain messages.
 *
 * No allocation; the socket stays the caller's.  Thread: one thread at a
 * time per sender. */
#pragma once

#include <gio/gio.h>
#include <sys/socket.h>

G_BEGIN_DECLS

/* Most datagrams one call takes (the size of its stack arrays). */
#define HDMIRTC_UDP_BATCH_MAX 64

typedef enum {
	HDMIRTC_UDP_GSO_UNKNOWN,        /* not tried yet */
	HDMIRTC_UDP_GSO_ON,             /* the kernel took a GSO send */
	HDMIRTC_UDP_GSO_OFF,            /* unsupported, refused, or not wanted */
} HdmirtcUdpGso;

typedef struct {
	int fd;
	struct sockaddr_storage to;
	socklen_t to_len;
	HdmirtcUdpGso gso;
	guint64 syscalls;               /* sendmmsg calls made */
	guint64 gso_datagrams;          /* datagrams that went inside a GSO send */
} HdmirtcUdpBatch;

/* fd: a non-blocking UDP socket; to/to_len: the destination.  With
 * try_gso FALSE (or a kernel without UDP_SEGMENT) every datagram is its
 * own message. */
void hdmirtc_udp_batch_init(HdmirtcUdpBatch *b, int fd, const struct sockaddr *to,
                            socklen_t to_len, gboolean try_gso);

/* Sends pkts[0..n-1] (n <= HDMIRTC_UDP_BATCH_MAX) in order.  Returns how
 * many went to the socket, counting from the first (a full send buffer
 * stops the run), or a negative errno when none did (-EAGAIN: the socket
 * is full). */
int hdmirtc_udp_batch_send(HdmirtcUdpBatch *b, const GOutputVector *pkts, guint n);

const char *hdmirtc_udp_gso_to_string(HdmirtcUdpGso gso);

G_END_DECLS
