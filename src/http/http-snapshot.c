/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /api/display/snapshot: what the local screen shows, as the display
 * controller wrote it back.  The picture comes a frame later, so the
 * message waits (paused); a client that leaves meanwhile, or a server
 * freed meanwhile, gets nothing and loses nothing. */
#include "http-private.h"

#include <string.h>

typedef struct {
	HdmirtcHttpServer *server;      /* NULL once the server is gone */
	SoupServerMessage *msg;         /* ref */
	gboolean disconnected;
} SnapshotWait;

static void on_disconnected(SoupServerMessage *msg, gpointer user_data)
{
	(void)msg;
	((SnapshotWait *)user_data)->disconnected = TRUE;
}

static void snapshot_done(GBytes *picture, const GError *error, gpointer user_data)
{
	SnapshotWait *w = user_data;

	if (w->server && !w->disconnected) {
		if (picture) {
			gsize len;
			const char *data = g_bytes_get_data(picture, &len);

			soup_message_headers_replace(soup_server_message_get_response_headers(w->msg),
			                             "Cache-Control", "no-store");
			hdmirtc_http_reply(w->msg, SOUP_STATUS_OK, "image/x-portable-pixmap", data, len);
		} else {
			hdmirtc_http_reply_gerror(w->server, w->msg, error);
		}
		soup_server_message_unpause(w->msg);
	}
	if (w->server)
		g_ptr_array_remove_fast(w->server->pending_snapshots, w);
	g_signal_handlers_disconnect_by_data(w->msg, w);
	g_object_unref(w->msg);
	g_free(w);
}

void hdmirtc_http_api_display_snapshot(HdmirtcHttpServer *self, SoupServerMessage *msg)
{
	SnapshotWait *w;

	if (strcmp(soup_server_message_get_method(msg), "GET") != 0) {
		hdmirtc_http_reply_bad_method(self, msg, "GET, OPTIONS");
		return;
	}
	if (!hdmirtc_http_require_handler(self, msg, self->handlers.display_snapshot != NULL))
		return;
	w = g_new0(SnapshotWait, 1);
	w->server = self;
	w->msg = g_object_ref(msg);
	g_signal_connect(msg, "disconnected", G_CALLBACK(on_disconnected), w);
	g_ptr_array_add(self->pending_snapshots, w);
	soup_server_message_pause(msg);
	self->handlers.display_snapshot(snapshot_done, w, self->user_data);
}

void hdmirtc_http_snapshots_abandon_all(HdmirtcHttpServer *self)
{
	for (guint i = 0; i < self->pending_snapshots->len; i++)
		((SnapshotWait *)self->pending_snapshots->pdata[i])->server = NULL;
	g_ptr_array_set_size(self->pending_snapshots, 0);
}
