/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "audio-pipeline-private.h"
#include "hdmirtc/gsource.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "hdmirtc/json-members.h"

#define MAX_WAITING 8                   /* packets: 80-160 ms */
#define MAX_PACKET 1500

typedef struct {
	HdmirtcAudioPacket pkt;
	guint8 data[];
} QueuedPacket;

/* ---- Network thread ----------------------------------------------------- */

/* The network thread, or one holding its lock: what waited, in order.
 * Called with p->lock held; returns with it released. */
static void deliver_waiting(HdmirtcAudioPipeline *p)
{
	GQueue batch = p->waiting;

	g_queue_init(&p->waiting);
	g_mutex_unlock(&p->lock);
	for (GList *l = batch.head; l; l = l->next)
		p->on_packet(&((QueuedPacket *)l->data)->pkt, p->user_data);
	g_queue_clear_full(&batch, g_free);
}

static gboolean deliver(gpointer data)
{
	HdmirtcAudioPipeline *p = data;

	g_mutex_lock(&p->lock);
	g_clear_pointer(&p->wakeup, g_source_unref);
	deliver_waiting(p);
	return G_SOURCE_REMOVE;
}

/* ---- Audio thread ------------------------------------------------------- */

/* While the network thread sleeps in poll(), its lock is free and the
 * packet goes out from here: no wake-up of that thread per packet (50 a
 * second), as for video (network-lock.h). */
static gboolean push_direct(HdmirtcAudioPipeline *p, const HdmirtcAudioPacket *pkt)
{
	if (!p->output_lock || !g_mutex_trylock(p->output_lock))
		return FALSE;
	g_mutex_lock(&p->lock);
	p->packets++;
	p->bytes += pkt->len;
	p->direct++;
	deliver_waiting(p);
	p->on_packet(pkt, p->user_data);
	g_mutex_unlock(p->output_lock);
	return TRUE;
}

static void push(HdmirtcAudioPipeline *p, const HdmirtcAudioPacket *pkt)
{
	QueuedPacket *q;

	if (push_direct(p, pkt))
		return;
	q = g_malloc(sizeof(*q) + pkt->len);

	q->pkt = *pkt;
	memcpy(q->data, pkt->data, pkt->len);
	q->pkt.data = q->data;
	g_mutex_lock(&p->lock);
	if (p->waiting.length >= MAX_WAITING) {
		g_free(g_queue_pop_head(&p->waiting));
		p->dropped++;
	}
	g_queue_push_tail(&p->waiting, q);
	p->packets++;
	p->bytes += pkt->len;
	if (!p->wakeup) {
		p->wakeup = hdmirtc_source_attach_high(g_idle_source_new(), deliver, p, p->output_ctx);
	}
	g_mutex_unlock(&p->lock);
}

static gint64 thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* What the sound costs (bench/ reads it from the status): the thread's
 * own CPU time, once a second. */
static void measure_cpu(HdmirtcAudioPipeline *p)
{
	gint64 now = g_get_monotonic_time(), cpu = thread_cpu_us();

	if (!p->cpu_since_mono_us) {
		p->cpu_since_mono_us = now;
		p->cpu_since_us = cpu;
	}
	if (now - p->cpu_since_mono_us < G_USEC_PER_SEC)
		return;
	g_mutex_lock(&p->lock);
	p->cpu_us = cpu;
	p->cpu_percent = 100.0 * (double)(cpu - p->cpu_since_us) / (double)(now - p->cpu_since_mono_us);
	g_mutex_unlock(&p->lock);
	p->cpu_since_mono_us = now;
	p->cpu_since_us = cpu;
}

void hdmirtc_audio_pipeline_count(HdmirtcAudioPipeline *p, guint64 *counter)
{
	g_mutex_lock(&p->lock);
	(*counter)++;
	g_mutex_unlock(&p->lock);
}

void hdmirtc_audio_pipeline_set_state(HdmirtcAudioPipeline *p, const char *state, const char *error)
{
	g_mutex_lock(&p->lock);
	if (p->state != state || g_strcmp0(p->error, error) != 0) {
		if (error)
			g_message("audio: %s: %s", state, error);
		else
			g_message("audio: %s", state);
	}
	p->state = state;
	g_free(p->error);
	p->error = g_strdup(error);
	g_mutex_unlock(&p->lock);
}

void hdmirtc_audio_pipeline_encode(HdmirtcAudioPipeline *p, const gint16 *pcm, guint64 sample_pos,
                                   gint64 capture_mono_us, gint64 capture_wall_us, gboolean discontinuity)
{
	g_autoptr(GError) error = NULL;
	guint8 out[MAX_PACKET];
	gssize len;

	g_mutex_lock(&p->lock);
	hdmirtc_level_meter_add(&p->level, pcm, p->frame_size * HDMIRTC_AUDIO_CHANNELS, p->frame_ms, discontinuity);
	g_mutex_unlock(&p->lock);
	if (!g_atomic_int_get(&p->listeners)) {
		/* Nobody listens (the page's sound is off by default): the
		 * encoder's cost, almost all of the sound's, is saved. */
		p->skipped = TRUE;
		measure_cpu(p);
		return;
	}
	discontinuity = discontinuity || p->skipped;
	p->skipped = FALSE;
	len = hdmirtc_opus_encoder_encode(p->encoder, pcm, out, sizeof(out), &error);
	if (len < 0) {
		g_mutex_lock(&p->lock);
		if (p->encode_errors++ == 0)
			g_warning("audio: %s", error->message);
		g_mutex_unlock(&p->lock);
	} else {
		/* A decoder's output starts with the encoder's lookahead: the
		 * sound at this packet's timestamp entered lookahead_us
		 * earlier, and that is what its capture times (sender reports,
		 * abs-capture-time) must say for a receiver to put it beside
		 * the picture captured at the same moment. */
		HdmirtcAudioPacket pkt = {
			.data = out, .len = (gsize)len,
			.sample_pos = sample_pos, .n_samples = p->frame_size,
			.capture_mono_us = capture_mono_us - p->lookahead_us,
			.capture_wall_us = capture_wall_us - p->lookahead_us,
			.discontinuity = discontinuity,
		};
		push(p, &pkt);
	}
	measure_cpu(p);
}

/* ---- Life cycle --------------------------------------------------------- */

HdmirtcAudioPipeline *hdmirtc_audio_pipeline_new(const HdmirtcAudioPipelineConfig *config,
                                                 GMainContext *output_ctx,
                                                 HdmirtcAudioPacketFunc on_packet, gpointer user_data,
                                                 GError **error)
{
	GThreadFunc thread;
	HdmirtcAudioPipeline *p;
	HdmirtcOpusEncoder *encoder;

	if (g_strcmp0(config->source, "tone") == 0) {
		thread = hdmirtc_audio_tone_thread;
	} else if (g_strcmp0(config->source, "alsa") == 0 && config->device && *config->device) {
		thread = hdmirtc_audio_alsa_thread;
	} else {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "audio source '%s' (device '%s'): unknown",
			    config->source, config->device ? config->device : "");
		return NULL;
	}
	encoder = hdmirtc_opus_encoder_new(HDMIRTC_AUDIO_CHANNELS, config->frame_ms,
					   config->bitrate_kbps * 1000, error);
	if (!encoder)
		return NULL;
	p = g_new0(HdmirtcAudioPipeline, 1);
	p->source = g_strdup(config->source);
	p->device = g_strdup(config->device);
	p->frame_ms = config->frame_ms;
	p->source_rate = config->source_rate;
	p->output_lock = config->output_lock;
	p->source_rate_data = config->source_rate_data;
	p->encoder = encoder;
	p->frame_size = hdmirtc_opus_encoder_get_frame_size(encoder);
	p->lookahead_us = (gint64)hdmirtc_opus_encoder_get_lookahead(encoder) * G_USEC_PER_SEC / HDMIRTC_AUDIO_RATE;
	p->output_ctx = g_main_context_ref(output_ctx);
	p->on_packet = on_packet;
	p->user_data = user_data;
	hdmirtc_level_meter_init(&p->level);
	p->state = "starting";
	p->rate = HDMIRTC_AUDIO_RATE;
	g_mutex_init(&p->lock);
	g_queue_init(&p->waiting);
	p->thread = g_thread_new("hdmirtc-audio", thread, p);
	g_message("audio: %s%s%s, Opus %u ms frames, %u kbit/s", p->source, p->device ? " " : "",
		  p->device ? p->device : "", p->frame_ms, config->bitrate_kbps);
	return p;
}

void hdmirtc_audio_pipeline_free(HdmirtcAudioPipeline *p)
{
	if (!p)
		return;
	g_atomic_int_set(&p->stop, 1);
	g_thread_join(p->thread);
	hdmirtc_source_clear(&p->wakeup);
	g_queue_clear_full(&p->waiting, g_free);
	g_mutex_clear(&p->lock);
	hdmirtc_opus_encoder_free(p->encoder);
	g_main_context_unref(p->output_ctx);
	g_free(p->source);
	g_free(p->device);
	g_free(p->error);
	g_free(p);
}

void hdmirtc_audio_pipeline_set_listeners(HdmirtcAudioPipeline *p, guint listeners)
{
	g_atomic_int_set(&p->listeners, (gint)MIN(listeners, G_MAXINT));
}

void hdmirtc_audio_pipeline_add_status(HdmirtcAudioPipeline *p, JsonBuilder *b)
{
	json_builder_set_member_name(b, "audio");
	json_builder_begin_object(b);
	g_mutex_lock(&p->lock);
	hdmirtc_json_add_string(b, "source", p->source);
	hdmirtc_json_add_string(b, "device", p->device);
	hdmirtc_json_add_string(b, "state", p->state);
	hdmirtc_json_add_string(b, "error", p->error);
	/* the source's; what is sent is always 48 kHz */
	hdmirtc_json_add_int(b, "rate", p->rate);
	hdmirtc_json_add_int(b, "channels", HDMIRTC_AUDIO_CHANNELS);
	hdmirtc_json_add_int(b, "frame_ms", p->frame_ms);
	/* JSON has no -infinity: silence is null. */
	json_builder_set_member_name(b, "level_dbfs");
	if (isfinite(p->level.level_dbfs))
		json_builder_add_double_value(b, round(p->level.level_dbfs * 10) / 10);
	else
		json_builder_add_null_value(b);
	hdmirtc_json_add_int(b, "listeners", g_atomic_int_get(&p->listeners));
	hdmirtc_json_add_int(b, "packets", (gint64)p->packets);
	hdmirtc_json_add_int(b, "bytes", (gint64)p->bytes);
	hdmirtc_json_add_int(b, "dropped", (gint64)p->dropped);
	hdmirtc_json_add_int(b, "sent_direct", (gint64)p->direct);
	hdmirtc_json_add_int(b, "encode_errors", (gint64)p->encode_errors);
	hdmirtc_json_add_int(b, "resyncs", (gint64)p->resyncs);
	hdmirtc_json_add_int(b, "overruns", (gint64)p->overruns);
	hdmirtc_json_add_int(b, "restarts", (gint64)p->restarts);
	hdmirtc_json_add_int(b, "cpu_ms", p->cpu_us / 1000);
	json_builder_set_member_name(b, "cpu_percent");
	json_builder_add_double_value(b, round(p->cpu_percent * 100) / 100);
	g_mutex_unlock(&p->lock);
	json_builder_end_object(b);
}
