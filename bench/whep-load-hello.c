/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reassembly of a DTLS ClientHello that arrives in fragments.  OpenSSL
 * (GStreamer's webrtcbin, the benchmark's reference) sends its ClientHello
 * in 256-byte datagrams when the transport reports no MTU, and wolfSSL's
 * stateless first-flight processing drops fragmented ClientHellos; so
 * whep-load joins the fragments into one record before the DTLS module
 * sees them.  Only epoch-0 ClientHello records are touched. */
#include <string.h>

#include "whep-load.h"

#define RECORD_HEADER 13
#define HANDSHAKE_HEADER 12
#define CLIENT_HELLO 1

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

/* Builds the whole ClientHello as one record, after the header of the
 * record that completed it. */
static gssize emit(WhepLoadHello *h, const guint8 *rec, guint8 *out, gsize out_size)
{
	gsize total = RECORD_HEADER + HANDSHAKE_HEADER + h->length;

	if (total > out_size)
		return -1;
	memcpy(out, rec, 11);                   /* type, version, epoch, sequence */
	out[11] = (guint8)((HANDSHAKE_HEADER + h->length) >> 8);
	out[12] = (guint8)(HANDSHAKE_HEADER + h->length);
	out[13] = CLIENT_HELLO;
	put24(out + 14, h->length);
	out[17] = (guint8)(h->message_seq >> 8);
	out[18] = (guint8)h->message_seq;
	put24(out + 19, 0);
	put24(out + 22, h->length);
	memcpy(out + RECORD_HEADER + HANDSHAKE_HEADER, h->body, h->length);
	h->active = FALSE;
	return (gssize)total;
}

gssize whep_load_hello_feed(WhepLoadHello *h, const guint8 *in, gsize len, guint8 *out, gsize out_size)
{
	const guint8 *hs = in + RECORD_HEADER;
	guint32 length, offset, frag;
	guint16 message_seq;

	if (len < RECORD_HEADER + HANDSHAKE_HEADER || in[0] != 22 || in[3] != 0 || in[4] != 0 ||
	    (gsize)(in[11] << 8 | in[12]) != len - RECORD_HEADER || hs[0] != CLIENT_HELLO)
		return 0;
	length = get24(hs + 1);
	message_seq = (guint16)(hs[4] << 8 | hs[5]);
	offset = get24(hs + 6);
	frag = get24(hs + 9);
	if (frag != len - RECORD_HEADER - HANDSHAKE_HEADER || (offset == 0 && frag == length))
		return 0;                       /* whole, or not one fragment: as it is */
	if (length > WHEP_LOAD_HELLO_MAX || offset > length || frag > length - offset)
		return -1;
	if (!h->active || h->length != length || h->message_seq != message_seq) {
		memset(h, 0, sizeof(*h));
		h->active = TRUE;
		h->length = length;
		h->message_seq = message_seq;
	}
	memcpy(h->body + offset, hs + HANDSHAKE_HEADER, frag);
	for (guint32 i = offset; i < offset + frag; i++) {
		if (!h->have[i]) {
			h->have[i] = 1;
			h->covered++;
		}
	}
	return h->covered == h->length ? emit(h, in, out, out_size) : -2;
}
