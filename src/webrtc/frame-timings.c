/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "frame-timings.h"

#include "hdmirtc/json-members.h"

#include <stdlib.h>
#include <string.h>

static const char *const stage_names[HDMIRTC_STAGE_COUNT] = {
	"capture_to_encode_start", "capture_to_encode_end", "capture_to_network",
	"capture_to_first_send", "capture_to_last_send",
};

void hdmirtc_frame_timings_add(HdmirtcFrameTimings *t, const HdmirtcAccessUnit *au, gint64 taken_us,
                               gint64 first_send_us, gint64 last_send_us, guint n_viewers)
{
	gint64 at[HDMIRTC_STAGE_COUNT] = {
		au->encode_start_us, au->encode_end_us, taken_us, first_send_us, last_send_us,
	};

	for (guint s = 0; s < HDMIRTC_STAGE_COUNT; s++)
		t->us[s][t->next] = at[s] - au->capture_mono_us;
	t->viewers[t->next] = n_viewers;
	t->next = (t->next + 1) % HDMIRTC_FRAME_TIMINGS_WINDOW;
	if (t->filled < HDMIRTC_FRAME_TIMINGS_WINDOW)
		t->filled++;
	t->frames++;
	t->bytes_copied_before_send += au->bytes_copied;
}

static int compare_gint64(const void *a, const void *b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return (x > y) - (x < y);
}

static void add_percentiles(JsonBuilder *b, const gint64 *samples, guint n)
{
	gint64 sorted[HDMIRTC_FRAME_TIMINGS_WINDOW];

	memcpy(sorted, samples, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), compare_gint64);
	json_builder_begin_object(b);
	hdmirtc_json_add_int(b, "median", sorted[n / 2]);
	hdmirtc_json_add_int(b, "p95", sorted[MIN(n - 1, n * 95 / 100)]);
	hdmirtc_json_add_int(b, "p99", sorted[MIN(n - 1, n * 99 / 100)]);
	hdmirtc_json_add_int(b, "max", sorted[n - 1]);
	json_builder_end_object(b);
}

void hdmirtc_frame_timings_add_status(const HdmirtcFrameTimings *t, JsonBuilder *b)
{
	hdmirtc_json_add_int(b, "frames_sent", (gint64)t->frames);
	hdmirtc_json_add_int(b, "bytes_copied_per_frame_before_send",
			     t->frames ? (gint64)(t->bytes_copied_before_send / t->frames) : 0);
	json_builder_set_member_name(b, "latency_us");
	json_builder_begin_object(b);
	for (guint s = 0; s < HDMIRTC_STAGE_COUNT && t->filled; s++) {
		json_builder_set_member_name(b, stage_names[s]);
		add_percentiles(b, t->us[s], t->filled);
	}
	json_builder_end_object(b);
	if (t->filled) {
		gint64 sending_us[HDMIRTC_FRAME_TIMINGS_WINDOW];
		guint lo = G_MAXUINT, hi = 0;

		/* Per frame: both stages count from the same capture time. */
		for (guint i = 0; i < t->filled; i++) {
			sending_us[i] = t->us[HDMIRTC_STAGE_LAST_SEND][i] - t->us[HDMIRTC_STAGE_ENCODE_END][i];
			lo = MIN(lo, t->viewers[i]);
			hi = MAX(hi, t->viewers[i]);
		}
		json_builder_set_member_name(b, "encode_end_to_last_send_us");
		add_percentiles(b, sending_us, t->filled);
		json_builder_set_member_name(b, "frame_viewers");
		json_builder_begin_object(b);
		hdmirtc_json_add_int(b, "min", lo);
		hdmirtc_json_add_int(b, "max", hi);
		json_builder_end_object(b);
	}
}
