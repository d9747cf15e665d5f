/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ALSA capture (see audio-capture.h).  What the errors mean follows the
 * drivers the service meets:
 *   snd-aloop (sound/drivers/aloop.c, the VM's stand-in for the bridge):
 *     a capture side started with another format or rate than its playback
 *     side fails with -EIO; a playback side that restarts with another one
 *     stops the running capture (SNDRV_PCM_STATE_DRAINING), after which a
 *     read ends in -EPIPE and the restart in -EIO: open again (with
 *     pcm_notify=1 the new rate is then offered); with no playback running
 *     the capture side goes on giving silence;
 *   any card: -EPIPE is an overrun (we read too late), -ESTRPIPE a
 *     suspend, -ENODEV an unplugged or unbound device. */
#include "hdmirtc/audio-capture.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <string.h>

#define PERIOD_MS 10
/* A deep buffer costs no delay (each period is read as soon as it is
 * there) and rides out a thread held up for a while (a slow machine,
 * the encoder's first frames). */
#define PERIODS 20

G_DEFINE_QUARK(hdmirtc-audio-capture-error-quark, hdmirtc_audio_capture_error)

struct HdmirtcAlsaCapture {
	snd_pcm_t *pcm;
	char *device;
	guint rate;
};

static gboolean fail(GError **error, int code, const char *device, const char *what, int err)
{
	g_set_error(error, HDMIRTC_AUDIO_CAPTURE_ERROR, code, "%s: %s: %s", device, what, snd_strerror(err));
	return FALSE;
}

static gboolean set_hw_params(HdmirtcAlsaCapture *c, guint rate_hint, GError **error)
{
	snd_pcm_hw_params_t *hw;
	unsigned int rate = rate_hint;
	snd_pcm_uframes_t period, buffer;
	int err;

	snd_pcm_hw_params_alloca(&hw);
	if ((err = snd_pcm_hw_params_any(c->pcm, hw)) < 0 ||
	    (err = snd_pcm_hw_params_set_access(c->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
	    (err = snd_pcm_hw_params_set_format(c->pcm, hw, SND_PCM_FORMAT_S16_LE)) < 0 ||
	    (err = snd_pcm_hw_params_set_channels(c->pcm, hw, HDMIRTC_AUDIO_CHANNELS)) < 0)
		return fail(error, HDMIRTC_AUDIO_CAPTURE_ERROR_OPEN, c->device, "no 16-bit stereo capture", err);
	if ((err = snd_pcm_hw_params_set_rate_near(c->pcm, hw, &rate, NULL)) < 0)
		return fail(error, HDMIRTC_AUDIO_CAPTURE_ERROR_OPEN, c->device, "no sample rate", err);
	period = rate * PERIOD_MS / 1000;
	buffer = period * PERIODS;
	if ((err = snd_pcm_hw_params_set_period_size_near(c->pcm, hw, &period, NULL)) < 0 ||
	    (err = snd_pcm_hw_params_set_buffer_size_near(c->pcm, hw, &buffer)) < 0 ||
	    (err = snd_pcm_hw_params(c->pcm, hw)) < 0)
		return fail(error, HDMIRTC_AUDIO_CAPTURE_ERROR_OPEN, c->device, "hardware parameters", err);
	c->rate = rate;
	return TRUE;
}

HdmirtcAlsaCapture *hdmirtc_alsa_capture_open(const char *device, guint rate_hint, GError **error)
{
	g_autoptr(HdmirtcAlsaCapture) c = g_new0(HdmirtcAlsaCapture, 1);
	int err;

	c->device = g_strdup(device);
	/* Non-blocking: a read waits in snd_pcm_wait() with a timeout, so a
	 * card whose clock stopped cannot hold the thread. */
	err = snd_pcm_open(&c->pcm, device, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	if (err < 0) {
		fail(error, HDMIRTC_AUDIO_CAPTURE_ERROR_OPEN, device, "cannot open", err);
		return NULL;
	}
	if (!set_hw_params(c, rate_hint, error))
		return NULL;
	if ((err = snd_pcm_start(c->pcm)) < 0) {
		fail(error, err == -EIO ? HDMIRTC_AUDIO_CAPTURE_ERROR_RESTART : HDMIRTC_AUDIO_CAPTURE_ERROR_OPEN,
		     device, "cannot start", err);
		return NULL;
	}
	return g_steal_pointer(&c);
}

void hdmirtc_alsa_capture_close(HdmirtcAlsaCapture *c)
{
	if (!c)
		return;
	if (c->pcm)
		snd_pcm_close(c->pcm);
	g_free(c->device);
	g_free(c);
}

guint hdmirtc_alsa_capture_get_rate(HdmirtcAlsaCapture *c)
{
	return c->rate;
}

/* After -EPIPE: an overrun restarts; a stream its driver stopped (aloop's
 * format change) will not. */
static gssize recover(HdmirtcAlsaCapture *c, int err, GError **error)
{
	int code = HDMIRTC_AUDIO_CAPTURE_ERROR_RESTART;
	const char *what = "read";

	if (err == -ENODEV) {
		code = HDMIRTC_AUDIO_CAPTURE_ERROR_GONE;
	} else if (err == -EPIPE || err == -ESTRPIPE) {
		int again = snd_pcm_prepare(c->pcm);

		if (again >= 0)
			again = snd_pcm_start(c->pcm);
		if (again >= 0) {
			code = HDMIRTC_AUDIO_CAPTURE_ERROR_OVERRUN;
			what = "overrun";
		} else {
			code = again == -ENODEV ? HDMIRTC_AUDIO_CAPTURE_ERROR_GONE : HDMIRTC_AUDIO_CAPTURE_ERROR_RESTART;
			what = "restart";
			err = again;
		}
	}
	fail(error, code, c->device, what, err);
	return -1;
}

gssize hdmirtc_alsa_capture_read(HdmirtcAlsaCapture *c, gint16 *pcm, guint max_frames, guint timeout_ms,
                                 gint64 *newest_mono_us, GError **error)
{
	snd_pcm_sframes_t n, delay = 0;
	int err = snd_pcm_wait(c->pcm, (int)timeout_ms);

	if (err == 0)
		return 0;
	if (err < 0)
		return recover(c, err, error);
	n = snd_pcm_readi(c->pcm, pcm, max_frames);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return recover(c, (int)n, error);
	/* What is still in the buffer was captured after the newest sample
	 * we got. */
	*newest_mono_us = g_get_monotonic_time();
	if (snd_pcm_delay(c->pcm, &delay) == 0 && delay > 0)
		*newest_mono_us -= (gint64)delay * G_USEC_PER_SEC / c->rate;
	return n;
}

char *hdmirtc_alsa_find_card(const char *what)
{
	int card = -1;

	while (snd_card_next(&card) == 0 && card >= 0) {
		g_autofree char *ctl = g_strdup_printf("hw:%d", card);
		snd_ctl_t *handle;
		snd_ctl_card_info_t *info;
		char *found = NULL;

		if (snd_ctl_open(&handle, ctl, 0) < 0)
			continue;
		snd_ctl_card_info_alloca(&info);
		if (snd_ctl_card_info(handle, info) == 0) {
			const char *id = snd_ctl_card_info_get_id(info);

			if (strstr(id, what) || strstr(snd_ctl_card_info_get_name(info), what) ||
			    strstr(snd_ctl_card_info_get_driver(info), what))
				found = g_strdup_printf("hw:CARD=%s", id);
		}
		snd_ctl_close(handle);
		if (found)
			return found;
	}
	return NULL;
}
