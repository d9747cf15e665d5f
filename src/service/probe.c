/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "probe.h"

#include <errno.h>
#include <drm_fourcc.h>
#include <linux/media.h>
#include <string.h>

#include "hdmirtc-build.h"
#include "hdmirtc/capture.h"
#include "hdmirtc/display.h"
#include "hdmirtc/encoder.h"
#include "media-choice.h"

typedef struct {
	FILE *out;
	HdmirtcProbeResult result;
	char reason[320];
} Report;

/* The first problem decides the exit code and the reason line. */
static void problem(Report *r, HdmirtcProbeResult result, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void problem(Report *r, HdmirtcProbeResult result, const char *fmt, ...)
{
	va_list ap;

	if (r->result != HDMIRTC_PROBE_OK)
		return;
	r->result = result;
	va_start(ap, fmt);
	g_vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

static char *board_model(void)
{
	char *model = NULL;

	if (!g_file_get_contents("/proc/device-tree/model", &model, NULL, NULL) &&
	    !g_file_get_contents("/sys/firmware/devicetree/base/model", &model, NULL, NULL))
		return NULL;
	return model;                   /* NUL-terminated in the tree itself */
}

static void print_overlay(Report *r, const HdmirtcCsiLink *link)
{
	g_autofree char *model = board_model();
	const char *lanes = link->lanes == 4 ? "4lane" : link->lanes == 2 ? "2lane" : NULL;

	fprintf(r->out, "board: %s\n", model ? model : "no device-tree model (not a Raspberry Pi?)");
	if (!model)
		fprintf(r->out, "overlay: none needed off a Raspberry Pi\n");
	else if (strstr(model, "Raspberry Pi 5"))
		fprintf(r->out, "overlay: add to /boot/firmware/config.txt: camera_auto_detect=0 and "
		        "dtoverlay=hdmirtc-tc358743-pi5-%s%s (append ,cam0 for the CAM0 connector)\n",
		        lanes ? lanes : "2lane", lanes ? "" : " (pi5-4lane for a 4-lane board)");
	else if (strstr(model, "Compute Module 4"))
		fprintf(r->out, "overlay: add to /boot/firmware/config.txt: camera_auto_detect=0 and "
		        "dtoverlay=hdmirtc-tc358743-pi4-%s\n", lanes ? lanes : "4lane");
	else if (strstr(model, "Raspberry Pi 4"))
		fprintf(r->out, "overlay: add to /boot/firmware/config.txt: camera_auto_detect=0 and "
		        "dtoverlay=hdmirtc-tc358743-pi4-2lane\n");
	else
		fprintf(r->out, "overlay: hdmirtc has overlays for the Pi 4, CM4 and Pi 5 only\n");
}

static void print_path(Report *r, const HdmirtcBridgeInfo *b)
{
	fprintf(r->out, "bridge: \"%s\" (%s) on %s, driver %s\n", b->bridge_entity, b->bridge_reason,
	        b->media_device[0] ? b->media_device : "no media graph", b->driver);
	fprintf(r->out, "path:");
	for (guint i = 0; i < b->n_links; i++)
		fprintf(r->out, "%s %s [%s]", i ? "," : "", b->links[i].description,
		        b->links[i].flags & MEDIA_LNK_FL_IMMUTABLE ? "immutable" :
		        b->links[i].flags & MEDIA_LNK_FL_ENABLED ? "enabled" : "disabled: would enable");
	fprintf(r->out, "%s -> %s\n", b->n_links ? "" : " (no media graph)", b->video_node);
	for (guint i = 0; i < b->n_conflicts; i++)
		fprintf(r->out, "would disable: %s (it keeps the receiver from starting the bridge)\n",
		        b->conflicts[i].description);
	fprintf(r->out, "capture node: %s (\"%s\"), bridge subdevice: %s\n", b->video_node,
	        b->video_entity, b->subdev_node[0] ? b->subdev_node : "none");
}

static void print_link(Report *r, const HdmirtcCaptureProbe *p, guint fps)
{
	const HdmirtcCsiLink *l = &p->link;
	guint n;
	const HdmirtcVideoMode *modes = hdmirtc_video_modes(&n);

	fprintf(r->out, "csi-2: %s%s%s, %u Mbit/s per lane (%s)\n",
	        l->lanes ? (l->lanes == 4 ? "4 lanes" : "2 lanes") : "lanes unknown",
	        l->lanes ? " from the " : " (no device tree: set csi-lanes=",
	        l->lanes ? l->lanes_from : "2 or 4)", hdmirtc_csi_lane_mbps(l), l->frequency_from);
	fprintf(r->out, "modes (%s):", l->bits_per_pixel == 24 ? "RGB24" : "UYVY");
	for (guint i = 0; i < n; i++) {
		guint need = hdmirtc_csi_lanes_needed(l, modes[i].width, modes[i].height, modes[i].fps);

		fprintf(r->out, "%s %ux%u@%u needs %u lane%s%s", i ? "," : "", modes[i].width,
		        modes[i].height, modes[i].fps, need, need > 1 ? "s" : "",
		        hdmirtc_csi_mode_fits(l, &modes[i]) ? "" : " (does not fit)");
	}
	fprintf(r->out, "\n");
	if (p->timings_errno == 0 && l->lanes &&
	    hdmirtc_csi_lanes_needed(l, p->width, p->height, fps) > l->lanes) {
		g_autofree char *advice = hdmirtc_csi_advice(l, p->width, p->height, fps);

		problem(r, HDMIRTC_PROBE_LANE_SHORTAGE, "lane shortage: %s", advice);
	}
}

static void print_signal(Report *r, const HdmirtcCaptureProbe *p, guint fps)
{
	HdmirtcCaptureSignal signal = hdmirtc_capture_signal_from_errno(p->timings_errno);

	if (!p->dv_timings) {
		fprintf(r->out, "signal: the control node takes no DV timings\n");
		problem(r, HDMIRTC_PROBE_NO_CONTROL, "no DV timings on %s: not an HDMI input%s",
		        p->subdev_read_only ? p->bridge.video_node : p->bridge.subdev_node,
		        p->subdev_read_only ? " (and the bridge's subdevice is read-only)" : "");
		return;
	}
	if (p->timings_errno == 0) {
		fprintf(r->out, "signal: %ux%u@%u.%02u\n", p->width, p->height, p->refresh_mhz / 1000,
		        p->refresh_mhz % 1000 / 10);
		return;
	}
	fprintf(r->out, "signal: %s (VIDIOC_QUERY_DV_TIMINGS: %s)\n",
	        hdmirtc_capture_signal_to_string(signal), g_strerror(p->timings_errno));
	problem(r, HDMIRTC_PROBE_NO_SIGNAL, "%s: %s", hdmirtc_capture_signal_to_string(signal),
	        hdmirtc_capture_signal_to_reason(signal));
	(void)fps;
}

static void print_encoder(Report *r, const HdmirtcConfig *c, guint w, guint h)
{
	g_autoptr(GError) error = NULL;
	HdmirtcMediaChoice choice;
	g_autofree char *m2m = NULL;
	guint32 fourcc = hdmirtc_media_capture_fourcc(c->capture_format);

	if (!hdmirtc_media_choose("v4l2", c->device, hdmirtc_config_encoder_to_string(c->encoder),
	                          fourcc, &choice, &error)) {
		fprintf(r->out, "encoder: %s\n", error->message);
		return;
	}
	fprintf(r->out, "encoder: %s (%s)\n", choice.encoder == HDMIRTC_ENCODER_M2M ? "v4l2-m2m" :
	        "x264", choice.why);
	if (choice.encoder == HDMIRTC_ENCODER_M2M) {
		m2m = hdmirtc_encoder_describe_m2m(choice.m2m_device, fourcc ? fourcc : DRM_FORMAT_UYVY, w, h);
		fputs(m2m, r->out);
	}
}

HdmirtcProbeResult hdmirtc_probe(const HdmirtcConfig *config, FILE *out)
{
	Report r = { out, HDMIRTC_PROBE_OK, "" };
	g_autofree char *graph = hdmirtc_capture_describe_media();
	g_autofree char *screens = hdmirtc_display_describe(config->display);
	HdmirtcCaptureProbe p;
	guint fps;

	fprintf(out, "hdmirtc %s probe\n", HDMIRTC_VERSION);
	hdmirtc_capture_probe(config->device, config->csi_lanes, &p);
	p.link.bits_per_pixel = hdmirtc_csi_bits_for(hdmirtc_media_capture_fourcc(config->capture_format));
	print_overlay(&r, &p.link);
	fprintf(out, "media graphs:\n%s", graph);
	if (!p.found) {
		problem(&r, strstr(p.error, "no data link") ? HDMIRTC_PROBE_NO_LINK :
		        HDMIRTC_PROBE_NO_BRIDGE, "%s", p.error);
		print_encoder(&r, config, 1920, 1080);
	} else {
		fps = (p.refresh_mhz + 500) / 1000;
		print_path(&r, &p.bridge);
		if (p.subdev_read_only)
			problem(&r, HDMIRTC_PROBE_READ_ONLY_SUBDEV, "read-only subdevice: %s is registered "
			        "read-only (unicam without the media controller); hdmirtc streams through %s "
			        "(EDID, timings and format go there); media-controller=on is the supported mode",
			        p.bridge.subdev_node, p.bridge.video_node);
		fprintf(out, "bridge source pad: %s\n", p.bus_format[0] ? p.bus_format : "unreadable");
		fprintf(out, "edid: %s\n", p.edid);
		print_signal(&r, &p, fps);
		print_link(&r, &p, fps);
		if (p.timings_errno == 0)
			fprintf(out, "pads: every pad on the path would get UYVY8_1X16 %ux%u (the bridge's "
			        "format)\n", p.width, p.height);
		print_encoder(&r, config, p.timings_errno == 0 ? p.width : 1920,
		              p.timings_errno == 0 ? p.height : 1080);
	}
	fputs(screens, out);
	if (r.result == HDMIRTC_PROBE_OK)
		fprintf(out, "result: ok: streaming would work\n");
	else
		fprintf(out, "result: %s\n", r.reason);
	return r.result;
}
