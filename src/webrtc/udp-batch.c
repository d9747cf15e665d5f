/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "udp-batch.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

/* Linux 6.9 raised UDP_MAX_SEGMENTS to 128; 64 works everywhere. */
#define GSO_MAX_SEGMENTS 64
/* Below the 65507 bytes of an IPv4 UDP payload, with room for IP options. */
#define GSO_MAX_BYTES 64000

/* The messages of one sendmmsg call: which datagrams each one carries. */
typedef struct {
	struct mmsghdr msgs[HDMIRTC_UDP_BATCH_MAX];
	struct iovec iov[HDMIRTC_UDP_BATCH_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(guint16))];
		struct cmsghdr align;
	} ctl[HDMIRTC_UDP_BATCH_MAX];
	guint first[HDMIRTC_UDP_BATCH_MAX + 1];  /* datagram each message starts at */
	guint n_msgs;
} Plan;

const char *hdmirtc_udp_gso_to_string(HdmirtcUdpGso gso)
{
	switch (gso) {
	case HDMIRTC_UDP_GSO_UNKNOWN: return "untried";
	case HDMIRTC_UDP_GSO_ON: return "on";
	case HDMIRTC_UDP_GSO_OFF: return "off";
	}
	return "unknown";
}

/* A kernel that knows UDP_SEGMENT answers getsockopt for it; an older one
 * would ignore the cmsg and send one oversized datagram instead. */
static gboolean kernel_has_udp_gso(int fd)
{
	int val = 0;
	socklen_t len = sizeof(val);

	return getsockopt(fd, SOL_UDP, UDP_SEGMENT, &val, &len) == 0;
}

void hdmirtc_udp_batch_init(HdmirtcUdpBatch *b, int fd, const struct sockaddr *to,
                            socklen_t to_len, gboolean try_gso)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->to_len = MIN(to_len, (socklen_t)sizeof(b->to));
	memcpy(&b->to, to, b->to_len);
	b->gso = try_gso && kernel_has_udp_gso(fd) ? HDMIRTC_UDP_GSO_UNKNOWN : HDMIRTC_UDP_GSO_OFF;
}

/* How many datagrams from pkts[0] one GSO message can carry: equal sizes,
 * then at most one shorter datagram, which must end the message. */
static guint gso_run(const GOutputVector *pkts, guint n)
{
	gsize seg = pkts[0].size, total = seg;
	guint k = 1;

	while (k < n && k < GSO_MAX_SEGMENTS && pkts[k].size <= seg && pkts[k].size > 0 &&
	       total + pkts[k].size <= GSO_MAX_BYTES) {
		total += pkts[k].size;
		if (pkts[k++].size < seg)
			break;
	}
	return k;
}

static void set_gso_size(struct msghdr *m, void *ctl, gsize ctl_size, guint16 seg)
{
	struct cmsghdr *c;

	memset(ctl, 0, ctl_size);
	m->msg_control = ctl;
	m->msg_controllen = ctl_size;
	c = CMSG_FIRSTHDR(m);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
}

static void plan_messages(HdmirtcUdpBatch *b, const GOutputVector *pkts, guint n, Plan *p)
{
	guint i = 0;

	p->n_msgs = 0;
	while (i < n) {
		guint k = b->gso == HDMIRTC_UDP_GSO_OFF ? 1 : gso_run(pkts + i, n - i);
		struct msghdr *m = &p->msgs[p->n_msgs].msg_hdr;

		memset(m, 0, sizeof(*m));
		m->msg_name = &b->to;
		m->msg_namelen = b->to_len;
		m->msg_iov = &p->iov[i];
		m->msg_iovlen = k;
		for (guint j = i; j < i + k; j++)
			p->iov[j] = (struct iovec){ .iov_base = (void *)pkts[j].buffer, .iov_len = pkts[j].size };
		if (k > 1)
			set_gso_size(m, p->ctl[p->n_msgs].buf, sizeof(p->ctl[p->n_msgs].buf),
				     (guint16)pkts[i].size);
		p->first[p->n_msgs++] = i;
		i += k;
	}
	p->first[p->n_msgs] = n;
}

static gboolean is_gso_refusal(int err)
{
	return err == EIO || err == EINVAL || err == EMSGSIZE || err == ENOPROTOOPT ||
	       err == EOPNOTSUPP;
}

int hdmirtc_udp_batch_send(HdmirtcUdpBatch *b, const GOutputVector *pkts, guint n)
{
	guint done = 0;
	Plan plan;

	g_return_val_if_fail(n <= HDMIRTC_UDP_BATCH_MAX, -EINVAL);
	while (done < n) {
		plan_messages(b, pkts + done, n - done, &plan);
		int ret = sendmmsg(b->fd, plan.msgs, plan.n_msgs, MSG_DONTWAIT | MSG_NOSIGNAL);
		int err = errno;

		b->syscalls++;
		if (ret > 0) {
			for (int m = 0; m < ret; m++) {
				guint segs = plan.first[m + 1] - plan.first[m];
				if (segs > 1) {
					b->gso = HDMIRTC_UDP_GSO_ON;
					b->gso_datagrams += segs;
				}
			}
			done += plan.first[ret];
			continue;
		}
		if (err == EINTR)
			continue;
		/* The first message is the one that failed: when it was a GSO
		 * one, this kernel or route does not do GSO. */
		if (plan.first[1] > 1 && is_gso_refusal(err)) {
			g_message("UDP GSO refused (%s): sending datagram by datagram", g_strerror(err));
			b->gso = HDMIRTC_UDP_GSO_OFF;
			continue;
		}
		return done ? (int)done : -err;
	}
	return (int)done;
}
