/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `hdmirtc --probe`: what a person with a Pi runs first.  Looks at the
 * media graph, the bridge, its CSI-2 link, the signal, the EDID and the
 * encoder without starting the stream, prints a report meant to be pasted
 * into a bug report, and says whether streaming would work. */
#pragma once

#include <stdio.h>

#include "hdmirtc/config.h"

G_BEGIN_DECLS

/* Exit codes, each with its own one-line reason in the report. */
typedef enum {
	HDMIRTC_PROBE_OK = 0,                   /* streaming would work */
	HDMIRTC_PROBE_NO_BRIDGE = 2,            /* no tc358743 in any media graph */
	HDMIRTC_PROBE_NO_LINK = 3,              /* no data path from the bridge to a capture node */
	HDMIRTC_PROBE_READ_ONLY_SUBDEV = 4,     /* unicam legacy mode: streams through the video node */
	HDMIRTC_PROBE_LANE_SHORTAGE = 5,        /* the source's mode needs more CSI-2 lanes */
	HDMIRTC_PROBE_NO_SIGNAL = 6,            /* no signal, no sync or out of range */
	HDMIRTC_PROBE_NO_CONTROL = 7,           /* the bridge takes no DV timings where hdmirtc looks */
} HdmirtcProbeResult;

/* Prints the report to out; returns the exit code. */
HdmirtcProbeResult hdmirtc_probe(const HdmirtcConfig *config, FILE *out);

G_END_DECLS
