/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /stream.mjpeg: multipart/x-mixed-replace, one JPEG per part, for
 * browsers without WebRTC or behind networks that block it.  A viewer
 * whose previous picture is still being written skips the new one, so a
 * slow viewer costs memory for at most one picture and never delays the
 * others. */
#include "http-private.h"

#include <string.h>

#define BOUNDARY "hdmirtc-frame"

struct HdmirtcMjpegViewer {
	HdmirtcHttpServer *server;
	SoupServerMessage *msg;         /* reference */
	guint chunks_in_flight;
};

static void viewers_changed(HdmirtcHttpServer *self)
{
	if (self->handlers.mjpeg_viewers_changed)
		self->handlers.mjpeg_viewers_changed(self->mjpeg_viewers->len, self->user_data);
}

static void on_mjpeg_wrote_chunk(SoupServerMessage *msg, gpointer user_data)
{
	HdmirtcMjpegViewer *v = user_data;

	if (v->chunks_in_flight > 0)
		v->chunks_in_flight--;
}

static void mjpeg_viewer_free(HdmirtcMjpegViewer *v)
{
	g_signal_handlers_disconnect_by_data(v->msg, v);
	g_object_unref(v->msg);
	g_free(v);
}

static void on_mjpeg_finished(SoupServerMessage *msg, gpointer user_data)
{
	HdmirtcMjpegViewer *v = user_data;
	HdmirtcHttpServer *self = v->server;

	g_ptr_array_remove_fast(self->mjpeg_viewers, v);
	g_debug("MJPEG viewer left, %u left", self->mjpeg_viewers->len);
	mjpeg_viewer_free(v);
	viewers_changed(self);
}

void hdmirtc_http_mjpeg(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	const char *method = soup_server_message_get_method(msg);
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	HdmirtcMjpegViewer *v;

	if (strcmp(method, "GET") != 0) {
		hdmirtc_http_reply_bad_method(self, msg, "GET");
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	/* An HTTP/1.0 client cannot read chunks (RFC 9112 6.1): its body ends
	 * with the connection, the only end this endless one has anyway. */
	soup_message_headers_set_encoding(h, soup_server_message_get_http_version(msg) == SOUP_HTTP_1_0 ?
	                                     SOUP_ENCODING_EOF : SOUP_ENCODING_CHUNKED);
	soup_message_headers_replace(h, "Content-Type", "multipart/x-mixed-replace; boundary=" BOUNDARY);
	soup_message_headers_replace(h, "Cache-Control", "no-store");
	soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);

	v = g_new0(HdmirtcMjpegViewer, 1);
	v->server = self;
	v->msg = g_object_ref(msg);
	g_signal_connect(msg, "wrote-chunk", G_CALLBACK(on_mjpeg_wrote_chunk), v);
	g_signal_connect(msg, "finished", G_CALLBACK(on_mjpeg_finished), v);
	g_ptr_array_add(self->mjpeg_viewers, v);
	/* Nothing to write until the first picture: wait. */
	soup_server_message_pause(msg);
	g_debug("MJPEG viewer joined, %u viewers", self->mjpeg_viewers->len);
	viewers_changed(self);
}

void hdmirtc_http_server_push_jpeg(HdmirtcHttpServer *self, GBytes *jpeg)
{
	g_autofree char *head = NULL;
	g_autoptr(GBytes) head_bytes = NULL;
	gsize size = g_bytes_get_size(jpeg);

	if (self->mjpeg_viewers->len == 0)
		return;
	head = g_strdup_printf("--" BOUNDARY "\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n",
			       size);
	gsize head_len = strlen(head);
	head_bytes = g_bytes_new_take(g_steal_pointer(&head), head_len);
	for (guint i = 0; i < self->mjpeg_viewers->len; i++) {
		HdmirtcMjpegViewer *v = self->mjpeg_viewers->pdata[i];
		SoupMessageBody *body = soup_server_message_get_response_body(v->msg);

		if (v->chunks_in_flight > 0)
			continue;
		soup_message_body_append_bytes(body, head_bytes);
		soup_message_body_append_bytes(body, jpeg);
		soup_message_body_append(body, SOUP_MEMORY_STATIC, "\r\n", 2);
		v->chunks_in_flight = 3;
		soup_server_message_unpause(v->msg);
	}
}

guint hdmirtc_http_server_get_mjpeg_viewers(const HdmirtcHttpServer *self)
{
	return self->mjpeg_viewers->len;
}

void hdmirtc_http_mjpeg_close_all(HdmirtcHttpServer *self)
{
	while (self->mjpeg_viewers->len > 0) {
		HdmirtcMjpegViewer *v = self->mjpeg_viewers->pdata[self->mjpeg_viewers->len - 1];

		g_ptr_array_remove_index(self->mjpeg_viewers, self->mjpeg_viewers->len - 1);
		mjpeg_viewer_free(v);
	}
}
