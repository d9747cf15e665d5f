/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A ClientHello split over several datagrams, put back together for
 * wolfSSL.
 *
 * Why: Chromium's ClientHello carries DTLS 1.3 key shares (a post-quantum
 * one among them) and is ~1.5 kB, so it arrives as two handshake fragments
 * (RFC 6347 4.2.3).  wolfSSL 5.5's DTLS server drops every fragmented
 * ClientHello ("Ignoring datagram with fragmented ClientHello",
 * DoDtlsHandShakeMsg in src/internal.c) so as not to keep state for
 * unauthenticated clients; the handshake then never starts.  Here the peer
 * has passed ICE connectivity checks with our credentials before any DTLS
 * datagram reaches us, so holding one ClientHello (at most
 * DEFRAG_MAX_BODY bytes) per viewer costs no exposure.
 *
 * The whole message goes to wolfSSL as one record with one unfragmented
 * handshake message.  The handshake transcript is unchanged: RFC 6347
 * 4.2.6 hashes every message as if it had been sent in a single fragment. */
#include "dtls-private.h"

#include <string.h>

#define RECORD_HEADER 13
#define HANDSHAKE_HEADER 12
#define CONTENT_HANDSHAKE 22
#define CLIENT_HELLO 1
/* The rebuilt record must fit a DTLS plaintext record (2^14 bytes). */
#define DEFRAG_MAX_BODY (16384 - HANDSHAKE_HEADER)

static guint32 get24(const guint8 *p)
{
	return (guint32)p[0] << 16 | (guint32)p[1] << 8 | p[2];
}

static void put24(guint8 *p, guint32 v)
{
	p[0] = (guint8)(v >> 16);
	p[1] = (guint8)(v >> 8);
	p[2] = (guint8)v;
}

void hdmirtc_dtls_hello_defrag_clear(HdmirtcDtlsHelloDefrag *d)
{
	g_free(d->body);
	g_free(d->seen);
	memset(d, 0, sizeof(*d));
}

/* One ClientHello fragment record at rec; FALSE when it is anything else
 * (which then passes to wolfSSL untouched). */
static gboolean is_hello_fragment(const guint8 *rec, gsize avail, gsize *record_len)
{
	gsize len;
	guint32 length, offset, frag;

	if (avail < RECORD_HEADER + HANDSHAKE_HEADER || rec[0] != CONTENT_HANDSHAKE ||
	    rec[3] != 0 || rec[4] != 0)
		return FALSE;
	len = (gsize)rec[11] << 8 | rec[12];
	if (len < HANDSHAKE_HEADER || RECORD_HEADER + len > avail)
		return FALSE;
	const guint8 *hs = rec + RECORD_HEADER;
	length = get24(hs + 1);
	offset = get24(hs + 6);
	frag = get24(hs + 9);
	if (hs[0] != CLIENT_HELLO || frag >= length || frag != len - HANDSHAKE_HEADER ||
	    length > DEFRAG_MAX_BODY || offset + frag > length)
		return FALSE;
	*record_len = RECORD_HEADER + len;
	return TRUE;
}

/* Starts over when the client begins another ClientHello (a new
 * message_seq: the one after a HelloVerifyRequest) or the length changes. */
static void take(HdmirtcDtlsHelloDefrag *d, const guint8 *rec)
{
	const guint8 *hs = rec + RECORD_HEADER;
	guint32 length = get24(hs + 1);
	guint16 seq = (guint16)(hs[4] << 8 | hs[5]);
	guint32 offset = get24(hs + 6);
	guint32 frag = get24(hs + 9);
	guint64 record_seq = 0;

	if (d->body == NULL || d->message_seq != seq || d->length != length) {
		hdmirtc_dtls_hello_defrag_clear(d);
		d->body = g_malloc(length);
		d->seen = g_malloc0(length);
		d->length = length;
		d->message_seq = seq;
		memcpy(d->version, rec + 1, 2);
	}
	memcpy(d->body + offset, hs + HANDSHAKE_HEADER, frag);
	memset(d->seen + offset, 1, frag);
	for (int i = 5; i < 11; i++)
		record_seq = record_seq << 8 | rec[i];
	if (record_seq > d->record_seq)
		d->record_seq = record_seq;
}

static gboolean complete(const HdmirtcDtlsHelloDefrag *d)
{
	return d->body != NULL && memchr(d->seen, 0, d->length) == NULL;
}

/* The record wolfSSL gets: the highest record sequence number among the
 * fragments (wolfSSL never saw them, its replay window is untouched). */
static GBytes *build_record(const HdmirtcDtlsHelloDefrag *d)
{
	gsize len = RECORD_HEADER + HANDSHAKE_HEADER + d->length;
	guint8 *r = g_malloc(len);
	guint8 *hs = r + RECORD_HEADER;

	r[0] = CONTENT_HANDSHAKE;
	memcpy(r + 1, d->version, 2);
	r[3] = r[4] = 0;
	for (int i = 0; i < 6; i++)
		r[5 + i] = (guint8)(d->record_seq >> (8 * (5 - i)));
	r[11] = (guint8)((HANDSHAKE_HEADER + d->length) >> 8);
	r[12] = (guint8)(HANDSHAKE_HEADER + d->length);
	hs[0] = CLIENT_HELLO;
	put24(hs + 1, d->length);
	hs[4] = (guint8)(d->message_seq >> 8);
	hs[5] = (guint8)d->message_seq;
	put24(hs + 6, 0);
	put24(hs + 9, d->length);
	memcpy(hs + HANDSHAKE_HEADER, d->body, d->length);
	return g_bytes_new_take(r, len);
}

HdmirtcDtlsDefragResult hdmirtc_dtls_hello_defrag_push(HdmirtcDtlsHelloDefrag *d, const guint8 *data,
                                                       gsize len, GBytes **record)
{
	gsize off = 0, rec_len;

	*record = NULL;
	/* Only datagrams made of nothing but ClientHello fragments are held. */
	while (off < len) {
		if (!is_hello_fragment(data + off, len - off, &rec_len))
			return HDMIRTC_DTLS_DEFRAG_PASS;
		off += rec_len;
	}
	for (off = 0; off < len; off += rec_len) {
		is_hello_fragment(data + off, len - off, &rec_len);
		take(d, data + off);
	}
	if (!complete(d))
		return HDMIRTC_DTLS_DEFRAG_HELD;
	*record = build_record(d);
	hdmirtc_dtls_hello_defrag_clear(d);
	return HDMIRTC_DTLS_DEFRAG_COMPLETE;
}
