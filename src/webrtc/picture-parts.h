/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A sender's view of pictures that come in two parts (HdmirtcAuPart): the
 * rest of a picture goes out only after its own first part, and a picture
 * whose rest never came (the encoder failed, the hand-off dropped it) leaves
 * the viewer with a broken picture, so the sender waits for a keyframe. */
#pragma once

#include "hdmirtc/frame.h"

typedef struct {
	gboolean open;                  /* a FIRST part went out, its rest not yet */
	guint64 seq;                    /* of that picture */
} HdmirtcPictureParts;

/* Before au is sent: FALSE for the rest of a picture whose first part this
 * sender did not send (skip it, counting nothing: the picture was counted
 * with its first part).  *cut is set when an earlier picture was left
 * without its rest. */
static inline gboolean hdmirtc_picture_parts_admit(HdmirtcPictureParts *pp,
                                                   const HdmirtcAccessUnit *au, gboolean *cut)
{
	gboolean was_open = pp->open;

	pp->open = FALSE;
	*cut = was_open && au->part != HDMIRTC_AU_REST;
	if (au->part == HDMIRTC_AU_REST)
		return was_open && pp->seq == au->seq;
	return TRUE;
}

/* After all of au went out: a FIRST part leaves its picture open. */
static inline void hdmirtc_picture_parts_sent(HdmirtcPictureParts *pp, const HdmirtcAccessUnit *au)
{
	pp->open = au->part == HDMIRTC_AU_FIRST;
	pp->seq = au->seq;
}
