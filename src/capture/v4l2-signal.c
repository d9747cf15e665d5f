/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names and reasons of the HDMI signal states, and the mapping from the
 * errors of VIDIOC_QUERY_DV_TIMINGS (documented in the V4L2 API:
 * ENOLINK no link, ENOLCK cannot lock, ERANGE out of range). */
#include "hdmirtc/capture.h"

#include <errno.h>

const char *hdmirtc_capture_signal_to_string(HdmirtcCaptureSignal signal)
{
	switch (signal) {
	case HDMIRTC_CAPTURE_SIGNAL_NONE: return "none";
	case HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL: return "no-signal";
	case HDMIRTC_CAPTURE_SIGNAL_NO_SYNC: return "no-sync";
	case HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE: return "out-of-range";
	case HDMIRTC_CAPTURE_SIGNAL_STREAMING: return "streaming";
	}
	return "unknown";
}

const char *hdmirtc_capture_signal_to_reason(HdmirtcCaptureSignal signal)
{
	switch (signal) {
	case HDMIRTC_CAPTURE_SIGNAL_NONE: return "Not an HDMI input";
	case HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL: return "Is the computer on and the cable plugged in?";
	case HDMIRTC_CAPTURE_SIGNAL_NO_SYNC: return "Signal present, but the receiver cannot lock to it";
	case HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE: return "Resolution or rate out of range: use 1080p60 or less";
	case HDMIRTC_CAPTURE_SIGNAL_STREAMING: return "Streaming";
	}
	return "Unknown";
}

HdmirtcCaptureSignal hdmirtc_capture_signal_from_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return HDMIRTC_CAPTURE_SIGNAL_STREAMING;
	case ENOLINK: return HDMIRTC_CAPTURE_SIGNAL_NO_SIGNAL;
	case ENOLCK: return HDMIRTC_CAPTURE_SIGNAL_NO_SYNC;
	case ERANGE: return HDMIRTC_CAPTURE_SIGNAL_OUT_OF_RANGE;
	default: return HDMIRTC_CAPTURE_SIGNAL_NO_SYNC;
	}
}
