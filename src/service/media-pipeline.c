/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "media-pipeline.h"
#include "hdmirtc/gsource.h"
#include "media-choice.h"
#include "media-handoff.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <string.h>

#include "hdmirtc/jpeg.h"
#include "hdmirtc/json-members.h"

#define JPEG_QUALITY 80

#define M2M_WATCH_MS 1000

/* More V4L2 buffers while a local screen holds the one on screen and the
 * one flipping to it. */
#define DISPLAY_HELD_BUFFERS 2

/* Access units waiting for the network thread: 100 ms of video at 30 fps
 * before the newest wins (see media-handoff.h). */
#define HANDOFF_MAX_AUS 3

struct HdmirtcMediaPipeline {
	HdmirtcCapture *capture;
	/* Replaced on the media thread when a hardware encoder appears; other
	 * threads use it only under encoder_lock. */
	HdmirtcEncoder *encoder;
	HdmirtcEncoderKind encoder_kind;        /* media thread once started */
	GMutex encoder_lock;
	HdmirtcEncoderConfig encode_config;     /* for an encoder made later; under encoder_lock */
	HdmirtcMediaChoice choice;
	GSource *m2m_watch;             /* media thread, while choice.wait_for_m2m */
	GMainContext *media_ctx;        /* owned by the media thread while it runs */
	GMainLoop *media_loop;
	GThread *thread;
	HdmirtcMediaHandoff *handoff;
	HdmirtcDisplay *display;        /* media thread; NULL = no local screen */
	/* MJPEG: jpeg_on is set from any thread; the encoder lives on the
	 * media thread; the output function and its data are set before
	 * jpeg_on and never change after. */
	gint jpeg_on;
	HdmirtcJpegEncoder *jpeg;
	GMutex edid_lock;               /* edid is read and replaced on the network thread,
	                                 * shown by the status from any */
	HdmirtcEdid *edid;
	guint64 jpeg_errors;
};

/* Media thread. */
static void on_encoded(HdmirtcEncoder *enc, HdmirtcAccessUnit *au, gpointer user_data)
{
	if (hdmirtc_media_handoff_push_au(((HdmirtcMediaPipeline *)user_data)->handoff, au))
		hdmirtc_encoder_request_keyframe(enc);
}

/* An encoder thread, while the media thread waits in the encoder. */
static gboolean on_encoded_part(HdmirtcEncoder *enc, HdmirtcAccessUnit *au, gpointer user_data)
{
	return hdmirtc_media_handoff_try_push_part(((HdmirtcMediaPipeline *)user_data)->handoff, au);
}

/* Media thread. */
static void make_jpeg(HdmirtcMediaPipeline *p, HdmirtcFrame *frame)
{
	g_autoptr(GError) error = NULL;
	GBytes *jpeg;

	if (!p->jpeg && !(p->jpeg = hdmirtc_jpeg_encoder_new(JPEG_QUALITY, &error)))
		goto fail;
	jpeg = hdmirtc_jpeg_encoder_encode(p->jpeg, frame, &error);
	if (!jpeg)
		goto fail;
	hdmirtc_media_handoff_push_jpeg(p->handoff, jpeg);
	return;
fail:
	if (p->jpeg_errors++ == 0)
		g_warning("MJPEG: %s", error->message);
}

static void fall_back_to_x264(HdmirtcMediaPipeline *p);

/* Media thread. */
static void on_frame(HdmirtcCapture *cap, HdmirtcFrame *frame, gpointer user_data)
{
	HdmirtcMediaPipeline *p = user_data;
	int ret = hdmirtc_encoder_encode(p->encoder, frame, on_encoded, p);

	if (g_atomic_int_get(&p->jpeg_on))
		make_jpeg(p, frame);

	if (ret == -ENODEV && p->encoder_kind == HDMIRTC_ENCODER_M2M)
		fall_back_to_x264(p);
	else if (ret < 0)
		g_warning("encoder %s failed on frame %" G_GUINT64_FORMAT ": %s",
			  hdmirtc_encoder_name(p->encoder), frame->seq, g_strerror(-ret));
}

static gpointer media_thread_main(gpointer data)
{
	HdmirtcMediaPipeline *p = data;

	g_main_context_push_thread_default(p->media_ctx);
	g_main_loop_run(p->media_loop);
	hdmirtc_capture_stop(p->capture);
	g_main_context_pop_thread_default(p->media_ctx);
	return NULL;
}

/* Media thread, from the capture before it allocates buffers. */
static guint32 encoder_stride(guint32 drm_fourcc, guint32 width, guint32 height, gpointer data)
{
	HdmirtcMediaPipeline *p = data;

	return hdmirtc_encoder_input_bytesperline(p->encoder, drm_fourcc, width, height);
}

/* Media thread: every frame as the source has it goes to the screen. */
static void on_raw_frame(HdmirtcCapture *cap, HdmirtcFrame *frame, gpointer user_data)
{
	HdmirtcDisplay *display = ((HdmirtcMediaPipeline *)user_data)->display;

	if (frame)
		hdmirtc_display_show(display, frame);
	else
		hdmirtc_display_forget_buffers(display);
}

/* The capture format the screen scans out as it is and the encoder takes
 * too (the M2M encoder imports UYVY and RGB24; x264 gets a converted copy
 * of anything); 0 = the source's usual choice. */
static guint32 format_for_display(HdmirtcMediaPipeline *p)
{
	static const guint32 order[] = { DRM_FORMAT_UYVY, DRM_FORMAT_BGR888, DRM_FORMAT_XRGB8888 };

	for (guint i = 0; p->display && i < G_N_ELEMENTS(order); i++)
		if (hdmirtc_display_scans_out(p->display, order[i]) &&
		    (p->choice.encoder == HDMIRTC_ENCODER_X264 || hdmirtc_encoder_m2m_takes(order[i])))
			return order[i];
	return 0;
}

/* The M2M encoder imports DMA-BUFs from a V4L2 source or a camera; x264
 * needs I420 in memory, so the source converts for it (a counted copy). */
static HdmirtcCapture *open_source(HdmirtcMediaPipeline *p, const HdmirtcMediaPipelineConfig *config,
                                   const HdmirtcEdid *edid, GError **error)
{
	HdmirtcV4l2Config v4l2 = {
		.device = config->device, .edid = edid, .csi_lanes = config->csi_lanes,
		.fourcc = config->capture_fourcc,
		.convert_to_i420 = p->choice.encoder == HDMIRTC_ENCODER_X264,
		.stride_func = encoder_stride, .stride_data = p,
		.prefer_fourcc = format_for_display(p),
		.n_buffers = HDMIRTC_V4L2_DEFAULT_BUFFERS + (p->display ? DISPLAY_HELD_BUFFERS : 0),
	};
	HdmirtcLibcameraConfig camera = {
		.camera_id = config->camera, .convert_to_i420 = v4l2.convert_to_i420,
		.stride_func = encoder_stride, .stride_data = p,
	};

	if (p->choice.source == HDMIRTC_SOURCE_TEST_PATTERN) {
		if (g_strcmp0(config->source, "auto") == 0)
			g_message("no HDMI bridge found: using the test pattern");
		return hdmirtc_capture_new_test_pattern(&config->capture, error);
	}
	if (p->choice.source == HDMIRTC_SOURCE_LIBCAMERA)
		return hdmirtc_capture_new_libcamera(&config->capture, &camera, error);
	return hdmirtc_capture_new_v4l2(&config->capture, &v4l2, error);
}

/* Media thread: switches to enc (made with p->encode_config) and lets the
 * capture allocate and convert for it. */
static void use_encoder(HdmirtcMediaPipeline *p, HdmirtcEncoder *enc, HdmirtcEncoderKind kind)
{
	HdmirtcEncoder *old;

	g_mutex_lock(&p->encoder_lock);
	old = p->encoder;
	p->encoder = enc;
	g_mutex_unlock(&p->encoder_lock);
	p->encoder_kind = kind;
	hdmirtc_encoder_set_part_func(enc, on_encoded_part, p);
	hdmirtc_encoder_free(old);
	hdmirtc_encoder_request_keyframe(enc);
	hdmirtc_capture_set_convert_to_i420(p->capture, kind == HDMIRTC_ENCODER_X264);
	hdmirtc_capture_reconfigure(p->capture);
}

static gboolean look_for_m2m(gpointer data);

static void watch_for_m2m(HdmirtcMediaPipeline *p)
{
	if (p->m2m_watch)
		return;
	/* The capture's sources are G_PRIORITY_HIGH and always ready on a
	 * machine that is late (x264 behind): a lower one would never run,
	 * and the encoder that would end the lateness never be found. */
	p->m2m_watch = hdmirtc_source_attach_high(g_timeout_source_new(M2M_WATCH_MS), look_for_m2m, p,
						  p->media_ctx);
}

/* Media thread: a new encoder with the current settings (the bitrate may
 * have changed since start). */
static HdmirtcEncoder *encoder_like_current(HdmirtcMediaPipeline *p, HdmirtcEncoderKind kind,
                                            const char *device, GError **error)
{
	HdmirtcEncoderConfig config;

	g_mutex_lock(&p->encoder_lock);
	config = p->encode_config;
	g_mutex_unlock(&p->encoder_lock);
	return hdmirtc_encoder_new(kind, device, &config, error);
}

/* Media thread: the hardware encoder's device went away (driver unbound
 * or unloaded).  Viewers keep a picture from x264 until it is back. */
static void fall_back_to_x264(HdmirtcMediaPipeline *p)
{
	g_autoptr(GError) error = NULL;
	HdmirtcEncoder *x264 = encoder_like_current(p, HDMIRTC_ENCODER_X264, NULL, &error);

	if (!x264) {
		g_warning("the hardware encoder is gone and x264 cannot start: %s", error->message);
		return;
	}
	g_warning("the hardware encoder is gone: x264 until it is back");
	use_encoder(p, x264, HDMIRTC_ENCODER_X264);
	watch_for_m2m(p);
}

/* Media thread: a hardware encoder appeared after start (udev ran us
 * before bcm2835-codec registered /dev/video11).  Switch to it: the
 * capture stops converting and re-allocates with the encoder's stride. */
static gboolean look_for_m2m(gpointer data)
{
	HdmirtcMediaPipeline *p = data;
	g_autoptr(GError) error = NULL;
	HdmirtcEncoder *m2m;
	char path[64];

	if (!hdmirtc_media_find_m2m(path, sizeof(path)))
		return G_SOURCE_CONTINUE;
	m2m = encoder_like_current(p, HDMIRTC_ENCODER_M2M, path, &error);
	if (!m2m) {
		g_warning("hardware encoder %s appeared but cannot be used: %s", path, error->message);
		return G_SOURCE_CONTINUE;
	}
	g_message("hardware encoder %s appeared: switching from %s", path,
	          hdmirtc_encoder_name(p->encoder));
	use_encoder(p, m2m, HDMIRTC_ENCODER_M2M);
	g_clear_pointer(&p->m2m_watch, g_source_unref);
	return G_SOURCE_REMOVE;
}

static gboolean start_capture_on_media_thread(gpointer data)
{
	HdmirtcMediaPipeline *p = data;
	g_autoptr(GError) error = NULL;

	if (!hdmirtc_capture_start(p->capture, p->media_ctx, on_frame, p, &error))
		g_critical("capture could not start: %s", error->message);
	if (p->choice.wait_for_m2m)
		watch_for_m2m(p);
	return G_SOURCE_REMOVE;
}

HdmirtcMediaPipeline *hdmirtc_media_pipeline_new(const HdmirtcMediaPipelineConfig *config,
                                                 GMainContext *output_ctx,
                                                 HdmirtcHandoffAuFunc output, gpointer user_data,
                                                 GError **error)
{
	HdmirtcMediaPipeline *p = g_new0(HdmirtcMediaPipeline, 1);
	g_autoptr(HdmirtcEdid) configured = NULL;
	gboolean ok;

	p->handoff = hdmirtc_media_handoff_new(output_ctx, HANDOFF_MAX_AUS, output, user_data);
	hdmirtc_media_handoff_set_output_lock(p->handoff, config->output_lock);
	p->encode_config = config->encode;
	g_mutex_init(&p->edid_lock);
	g_mutex_init(&p->encoder_lock);
	ok = hdmirtc_media_choose(config->source, config->device, config->encoder,
	                          config->capture_fourcc, &p->choice, error);
	if (ok && config->edid && *config->edid)
		ok = (configured = hdmirtc_edid_new_from_file(config->edid, error)) != NULL;
	p->media_ctx = g_main_context_new();
	if (ok && config->display && *config->display)
		p->display = hdmirtc_display_new(config->display, p->media_ctx);
	if (ok)
		ok = (p->capture = open_source(p, config, configured, error)) != NULL;
	if (ok && p->display)
		hdmirtc_capture_set_tap(p->capture, on_raw_frame, p);
	if (ok)
		ok = (p->encoder = hdmirtc_encoder_new(p->choice.encoder, p->choice.m2m_device,
		                                       &config->encode, error)) != NULL;
	if (ok)
		hdmirtc_encoder_set_part_func(p->encoder, on_encoded_part, p);
	p->encoder_kind = p->choice.encoder;
	if (!ok) {
		hdmirtc_media_pipeline_free(p);
		return NULL;
	}
	/* What the receiver holds: the configured EDID, or the one built
	 * for the CSI-2 link. */
	p->edid = hdmirtc_capture_dup_edid(p->capture);
	if (!p->edid)
		p->edid = configured ? g_steal_pointer(&configured) : hdmirtc_edid_new_default();
	g_message("source: %s; encoder: %s (%s)", hdmirtc_capture_describe(p->capture),
		  hdmirtc_encoder_name(p->encoder), p->choice.why);
	p->media_loop = g_main_loop_new(p->media_ctx, FALSE);
	g_main_context_invoke(p->media_ctx, start_capture_on_media_thread, p);
	p->thread = g_thread_new("media", media_thread_main, p);
	return p;
}

static gboolean quit_media_loop(gpointer data)
{
	HdmirtcMediaPipeline *p = data;

	g_main_loop_quit(p->media_loop);
	return G_SOURCE_REMOVE;
}

void hdmirtc_media_pipeline_free(HdmirtcMediaPipeline *p)
{
	if (!p)
		return;
	if (p->thread) {
		/* A quit before the thread reaches g_main_loop_run() would be
		 * lost: ask from inside the loop, ahead of the capture's own
		 * high-priority sources, which a slow CPU keeps always ready. */
		GSource *idle = g_idle_source_new();
		g_source_set_priority(idle, G_PRIORITY_HIGH - 1);
		g_source_set_callback(idle, quit_media_loop, p, NULL);
		g_source_attach(idle, p->media_ctx);
		g_source_unref(idle);
		g_thread_join(p->thread);
	}
	/* The media thread has stopped: the watch is ours to end. */
	hdmirtc_source_clear(&p->m2m_watch);
	/* What still waits for the network thread is dropped with it. */
	hdmirtc_media_handoff_free(p->handoff);
	/* The encoder's and the capture's sources are on the media context:
	 * they go before it. */
	hdmirtc_encoder_free(p->encoder);
	hdmirtc_jpeg_encoder_free(p->jpeg);
	hdmirtc_display_free(p->display);
	hdmirtc_capture_free(p->capture);
	if (p->media_loop)
		g_main_loop_unref(p->media_loop);
	if (p->media_ctx)
		g_main_context_unref(p->media_ctx);
	hdmirtc_edid_free(p->edid);
	g_mutex_clear(&p->edid_lock);
	g_mutex_clear(&p->encoder_lock);
	g_free(p);
}

void hdmirtc_media_pipeline_set_jpeg(HdmirtcMediaPipeline *p, gboolean on,
                                     HdmirtcHandoffJpegFunc jpeg_output, gpointer user_data)
{
	if (on)
		hdmirtc_media_handoff_set_jpeg_func(p->handoff, jpeg_output, user_data);
	g_atomic_int_set(&p->jpeg_on, on);
}

gboolean hdmirtc_media_pipeline_set_edid(HdmirtcMediaPipeline *p, const guint8 *data, gsize size,
                                         GError **error)
{
	HdmirtcEdid *edid = hdmirtc_edid_new_from_data(data, size, error);
	g_autofree char *description = NULL;

	if (!edid)
		return FALSE;
	description = hdmirtc_edid_describe(edid);
	if (!hdmirtc_capture_set_edid(p->capture, edid))
		g_message("EDID %s kept for the status only: the source has no HDMI receiver", description);
	else
		g_message("EDID %s loaded into the HDMI receiver", description);
	g_mutex_lock(&p->edid_lock);
	hdmirtc_edid_free(p->edid);
	p->edid = edid;
	g_mutex_unlock(&p->edid_lock);
	return TRUE;
}

static void add_edid_members(JsonBuilder *b, const HdmirtcEdid *edid)
{
	const HdmirtcEdidInfo *info = hdmirtc_edid_get_info(edid);
	g_autofree char *description = hdmirtc_edid_describe(edid);

	hdmirtc_json_add_string(b, "summary", description);
	hdmirtc_json_add_string(b, "manufacturer", info->manufacturer);
	hdmirtc_json_add_int(b, "product", info->product);
	hdmirtc_json_add_string(b, "name", info->name);
	hdmirtc_json_add_int(b, "blocks", info->n_blocks);
	hdmirtc_json_add_int(b, "preferred_width", info->preferred_width);
	hdmirtc_json_add_int(b, "preferred_height", info->preferred_height);
	hdmirtc_json_add_int(b, "preferred_refresh_mhz", info->preferred_refresh_mhz);
	hdmirtc_json_add_bool(b, "audio", info->audio);
}

JsonNode *hdmirtc_media_pipeline_get_edid(HdmirtcMediaPipeline *p)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	gsize size;

	g_mutex_lock(&p->edid_lock);
	const guint8 *data = hdmirtc_edid_get_data(p->edid, &size);
	g_autofree char *hex = g_malloc(size * 2 + 1);
	for (gsize i = 0; i < size; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", data[i]);
	json_builder_begin_object(b);
	add_edid_members(b, p->edid);
	hdmirtc_json_add_string(b, "hex", size ? hex : "");
	json_builder_end_object(b);
	g_mutex_unlock(&p->edid_lock);
	return json_builder_get_root(b);
}

guint hdmirtc_media_pipeline_get_hdmi_audio_rate(HdmirtcMediaPipeline *p)
{
	HdmirtcCaptureSignalInfo si;

	hdmirtc_capture_get_signal_info(p->capture, &si);
	return si.audio_present ? si.audio_rate : 0;
}

void hdmirtc_media_pipeline_request_keyframe(HdmirtcMediaPipeline *p)
{
	g_mutex_lock(&p->encoder_lock);
	hdmirtc_encoder_request_keyframe(p->encoder);
	g_mutex_unlock(&p->encoder_lock);
}

void hdmirtc_media_pipeline_set_bitrate(HdmirtcMediaPipeline *p, guint32 kbps)
{
	g_mutex_lock(&p->encoder_lock);
	p->encode_config.bitrate_kbps = kbps;
	hdmirtc_encoder_set_bitrate(p->encoder, kbps);
	g_mutex_unlock(&p->encoder_lock);
}

/* "UYVY", or "" for none. */
static void add_fourcc(JsonBuilder *b, const char *name, guint32 fourcc)
{
	char text[5] = "";

	if (fourcc)
		memcpy(text, &fourcc, 4);
	hdmirtc_json_add_string(b, name, text);
}

static void add_signal_status(HdmirtcMediaPipeline *p, JsonBuilder *b)
{
	HdmirtcCaptureSignalInfo si;

	hdmirtc_capture_get_signal_info(p->capture, &si);
	hdmirtc_json_add_string(b, "signal", hdmirtc_capture_signal_to_string(si.signal));
	hdmirtc_json_add_string(b, "signal_reason", si.reason[0] ? si.reason :
				hdmirtc_capture_signal_to_reason(si.signal));
	json_builder_set_member_name(b, "timings");
	json_builder_begin_object(b);
	hdmirtc_json_add_int(b, "width", si.width);
	hdmirtc_json_add_int(b, "height", si.height);
	hdmirtc_json_add_int(b, "refresh_mhz", si.refresh_mhz);
	json_builder_end_object(b);
	hdmirtc_json_add_int(b, "restarts", (gint64)si.restarts);
	hdmirtc_json_add_int(b, "last_recovery_us", si.last_recovery_us);
	hdmirtc_json_add_int(b, "bytes_copied", (gint64)si.bytes_copied);
	hdmirtc_json_add_int(b, "bytesperline", si.bytesperline);
	add_fourcc(b, "format", si.fourcc);
	hdmirtc_json_add_bool(b, "audio_present", si.audio_present);
	hdmirtc_json_add_int(b, "audio_rate", si.audio_rate);
	hdmirtc_json_add_string(b, "device", si.device);
	hdmirtc_json_add_string(b, "subdev", si.subdev);
	json_builder_set_member_name(b, "csi2");
	json_builder_begin_object(b);
	hdmirtc_json_add_int(b, "lanes", si.link.lanes);
	hdmirtc_json_add_string(b, "lanes_from", si.link.lanes_from);
	hdmirtc_json_add_int(b, "lane_mbps", hdmirtc_csi_lane_mbps(&si.link));
	hdmirtc_json_add_string(b, "frequency_from", si.link.frequency_from);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "edid");
	json_builder_begin_object(b);
	g_mutex_lock(&p->edid_lock);
	add_edid_members(b, p->edid);
	g_mutex_unlock(&p->edid_lock);
	json_builder_end_object(b);
}

static void add_display_status(HdmirtcDisplay *d, JsonBuilder *b)
{
	HdmirtcDisplayInfo di;

	hdmirtc_display_get_info(d, &di);
	json_builder_set_member_name(b, "display");
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "state", di.state);
	hdmirtc_json_add_string(b, "error", di.error);
	hdmirtc_json_add_string(b, "device", di.device);
	hdmirtc_json_add_string(b, "connector", di.connector);
	hdmirtc_json_add_string(b, "mode", di.mode);
	hdmirtc_json_add_string(b, "layout", di.layout);
	hdmirtc_json_add_int(b, "frame_width", di.frame_width);
	hdmirtc_json_add_int(b, "frame_height", di.frame_height);
	add_fourcc(b, "frame_format", di.frame_fourcc);
	hdmirtc_json_add_int(b, "frames", (gint64)di.frames);
	hdmirtc_json_add_int(b, "flips", (gint64)di.flips);
	hdmirtc_json_add_int(b, "dropped", (gint64)di.dropped);
	hdmirtc_json_add_int(b, "failed_commits", (gint64)di.failed_commits);
	hdmirtc_json_add_int(b, "zero_copy", (gint64)di.zero_copy);
	hdmirtc_json_add_int(b, "copied", (gint64)di.copied);
	hdmirtc_json_add_int(b, "bytes_copied", (gint64)di.bytes_copied);
	hdmirtc_json_add_int(b, "show_us_mean", di.frames ? (gint64)(di.show_us_total / di.frames) : 0);
	hdmirtc_json_add_int(b, "show_us_max", di.show_us_max);
	hdmirtc_json_add_int(b, "imported_buffers", di.imported);
	hdmirtc_json_add_bool(b, "writeback", di.writeback);
	hdmirtc_json_add_int(b, "snapshots", (gint64)di.snapshots);
	json_builder_end_object(b);
}

void hdmirtc_media_pipeline_add_status(HdmirtcMediaPipeline *p, JsonBuilder *b)
{
	HdmirtcCaptureStatus cs;
	HdmirtcEncoderStats es;

	hdmirtc_capture_get_status(p->capture, &cs);
	g_mutex_lock(&p->encoder_lock);
	hdmirtc_encoder_get_stats(p->encoder, &es);
	const char *encoder_name = hdmirtc_encoder_name(p->encoder);
	guint32 plid = hdmirtc_encoder_get_profile_level_id(p->encoder);
	g_mutex_unlock(&p->encoder_lock);
	json_builder_set_member_name(b, "source");
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "description", hdmirtc_capture_describe(p->capture));
	hdmirtc_json_add_string(b, "state", hdmirtc_capture_state_to_string(cs.state));
	hdmirtc_json_add_int(b, "frames", (gint64)cs.frames_produced);
	hdmirtc_json_add_int(b, "frames_skipped", (gint64)cs.frames_skipped);
	add_signal_status(p, b);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "encoder");
	json_builder_begin_object(b);
	hdmirtc_json_add_string(b, "name", encoder_name);
	json_builder_set_member_name(b, "profile_level_id");
	g_autofree char *plid_hex = g_strdup_printf("%06x", plid);
	json_builder_add_string_value(b, plid_hex);
	hdmirtc_json_add_int(b, "bitrate_kbps", es.bitrate_kbps);
	if (es.slice_threads)
		hdmirtc_json_add_int(b, "slice_threads", es.slice_threads);
	hdmirtc_json_add_int(b, "frames", (gint64)es.frames_out);
	hdmirtc_json_add_int(b, "keyframes", (gint64)es.keyframes);
	hdmirtc_json_add_int(b, "last_encode_us", es.last_encode_us);
	hdmirtc_json_add_int(b, "encode_call_max_us", es.encode_call_max_us);
	hdmirtc_json_add_int(b, "reconfigure_max_us", es.reconfigure_max_us);
	hdmirtc_json_add_int(b, "calls", (gint64)es.calls);
	hdmirtc_json_add_int(b, "calls_slept", (gint64)es.calls_slept);
	hdmirtc_json_add_int(b, "calls_paged_in", (gint64)es.calls_paged_in);
	hdmirtc_json_add_int(b, "frames_dropped", (gint64)es.frames_dropped);
	guint64 dropped, direct;

	hdmirtc_media_handoff_get_counts(p->handoff, &dropped, &direct);
	hdmirtc_json_add_int(b, "handoff_dropped", (gint64)dropped);
	hdmirtc_json_add_int(b, "handoff_direct", (gint64)direct);
	json_builder_end_object(b);
	if (p->display)
		add_display_status(p->display, b);
}

HdmirtcDisplay *hdmirtc_media_pipeline_get_display(HdmirtcMediaPipeline *p)
{
	return p->display;
}
