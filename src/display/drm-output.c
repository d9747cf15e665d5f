/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Finding the screen: a connector with a monitor on it, a CRTC its
 * encoders can use, that CRTC's primary plane, and the property ids the
 * atomic commits set.  A writeback connector on the same CRTC (vkms has
 * one; vc4's TXP is a CRTC of its own and does not count) makes
 * snapshots possible. */
#include "display-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <unistd.h>
#include <xf86drm.h>

#define MAX_CARDS 16

static guint32 prop_id(int fd, guint32 obj, guint32 type, const char *name, guint64 *value)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, obj, type);
	guint32 id = 0;

	for (guint i = 0; props && i < props->count_props && !id; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);

		if (p && strcmp(p->name, name) == 0) {
			id = p->prop_id;
			if (value)
				*value = props->prop_values[i];
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

static void connector_name(const drmModeConnector *c, char *out, gsize size)
{
	const char *type = drmModeGetConnectorTypeName(c->connector_type);

	g_snprintf(out, size, "%s-%u", type ? type : "Unknown", c->connector_type_id);
}

/* The CRTCs (a bit per index) any of the connector's encoders can drive. */
static guint32 possible_crtcs(int fd, const drmModeConnector *c)
{
	guint32 mask = 0;

	for (int i = 0; i < c->count_encoders; i++) {
		drmModeEncoder *e = drmModeGetEncoder(fd, c->encoders[i]);

		if (e)
			mask |= e->possible_crtcs;
		drmModeFreeEncoder(e);
	}
	return mask;
}

static gboolean find_plane(int fd, guint crtc_index, HdmirtcDrmOutput *out)
{
	drmModePlaneRes *planes = drmModeGetPlaneResources(fd);

	for (guint i = 0; planes && i < planes->count_planes && !out->plane_id; i++) {
		drmModePlane *p = drmModeGetPlane(fd, planes->planes[i]);
		guint64 type = 0;

		if (p && (p->possible_crtcs & (1u << crtc_index)) &&
		    prop_id(fd, p->plane_id, DRM_MODE_OBJECT_PLANE, "type", &type) &&
		    type == DRM_PLANE_TYPE_PRIMARY) {
			out->plane_id = p->plane_id;
			out->formats = g_memdup2(p->formats, p->count_formats * sizeof(guint32));
			out->n_formats = p->count_formats;
		}
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(planes);
	return out->plane_id != 0;
}

static void find_writeback(int fd, const drmModeRes *res, guint crtc_index, HdmirtcDrmOutput *out)
{
	for (int i = 0; i < res->count_connectors && !out->writeback_id; i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);

		if (c && c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK &&
		    (possible_crtcs(fd, c) & (1u << crtc_index))) {
			out->writeback_crtc_prop = prop_id(fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", NULL);
			out->writeback_fb_prop = prop_id(fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR,
			                                 "WRITEBACK_FB_ID", NULL);
			out->writeback_fence_prop = prop_id(fd, c->connector_id, DRM_MODE_OBJECT_CONNECTOR,
			                                    "WRITEBACK_OUT_FENCE_PTR", NULL);
			if (out->writeback_crtc_prop && out->writeback_fb_prop && out->writeback_fence_prop)
				out->writeback_id = c->connector_id;
		}
		drmModeFreeConnector(c);
	}
}

static gboolean find_props(int fd, HdmirtcDrmOutput *out)
{
	static const char *const plane_names[PLANE_N_PROPS] = {
		"FB_ID", "CRTC_ID", "SRC_X", "SRC_Y", "SRC_W", "SRC_H", "CRTC_X", "CRTC_Y", "CRTC_W", "CRTC_H",
	};

	out->connector_crtc_prop = prop_id(fd, out->connector_id, DRM_MODE_OBJECT_CONNECTOR, "CRTC_ID", NULL);
	out->crtc_mode_prop = prop_id(fd, out->crtc_id, DRM_MODE_OBJECT_CRTC, "MODE_ID", NULL);
	out->crtc_active_prop = prop_id(fd, out->crtc_id, DRM_MODE_OBJECT_CRTC, "ACTIVE", NULL);
	for (guint i = 0; i < PLANE_N_PROPS; i++)
		if (!(out->plane_props[i] = prop_id(fd, out->plane_id, DRM_MODE_OBJECT_PLANE, plane_names[i], NULL)))
			return FALSE;
	return out->connector_crtc_prop && out->crtc_mode_prop && out->crtc_active_prop;
}

/* The connector on this card: the one named, or with "auto" the first
 * connected one that is not a writeback.  why says what was wrong. */
static drmModeConnector *pick_connector(int fd, const drmModeRes *res, const char *want, char *why, gsize why_size)
{
	gboolean any = strcmp(want, "auto") == 0;

	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);
		char name[32];

		if (!c)
			continue;
		connector_name(c, name, sizeof(name));
		if (c->connector_type != DRM_MODE_CONNECTOR_WRITEBACK && (any || strcmp(name, want) == 0)) {
			if (c->connection == DRM_MODE_CONNECTED && c->count_modes > 0)
				return c;
			if (!any)
				g_snprintf(why, why_size, "%s has no monitor connected", name);
		}
		drmModeFreeConnector(c);
	}
	return NULL;
}

/* The client capabilities the commits need; FALSE without atomic
 * modesetting.  The writeback connector is then listed too (the kernel
 * lists it to atomic clients that ask; no harm where there is none). */
static gboolean atomic_client(int fd)
{
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) < 0 ||
	    drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) < 0)
		return FALSE;
	drmSetClientCap(fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);
	return TRUE;
}

static gboolean try_card(const char *path, const char *want, HdmirtcDrmOutput *out, char *why, gsize why_size)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	drmModeRes *res = NULL;
	drmModeConnector *c = NULL;
	gboolean ok = FALSE;

	if (fd < 0) {
		g_snprintf(why, why_size, "%s: %s", path, g_strerror(errno));
		return FALSE;
	}
	if (!atomic_client(fd)) {
		g_snprintf(why, why_size, "%s: no atomic modesetting", path);
		goto out;
	}
	res = drmModeGetResources(fd);
	if (!res || !(c = pick_connector(fd, res, want, why, why_size)))
		goto out;
	*out = (HdmirtcDrmOutput){ .fd = -1, .connector_id = c->connector_id };
	g_strlcpy(out->device, path, sizeof(out->device));
	connector_name(c, out->connector, sizeof(out->connector));
	guint32 crtcs = possible_crtcs(fd, c);
	for (int i = 0; i < res->count_crtcs && !out->crtc_id; i++) {
		if ((crtcs & (1u << i)) && find_plane(fd, (guint)i, out)) {
			out->crtc_id = res->crtcs[i];
			find_writeback(fd, res, (guint)i, out);
		}
	}
	if (!out->crtc_id || !find_props(fd, out)) {
		g_snprintf(why, why_size, "%s %s: no CRTC with a primary plane for it", path, out->connector);
		g_clear_pointer(&out->formats, g_free);
		goto out;
	}
	out->modes = g_memdup2(c->modes, (gsize)c->count_modes * sizeof(drmModeModeInfo));
	out->n_modes = (guint)c->count_modes;
	out->fd = fd;
	ok = TRUE;
out:
	drmModeFreeConnector(c);
	drmModeFreeResources(res);
	if (!ok)
		close(fd);
	return ok;
}

gboolean hdmirtc_drm_output_open(const char *want, HdmirtcDrmOutput *out, GError **error)
{
	glob_t g;
	char why[160] = "";
	gboolean ok = FALSE;

	*out = (HdmirtcDrmOutput){ .fd = -1 };
	if (glob("/dev/dri/card*", 0, NULL, &g) != 0) {
		g_set_error(error, HDMIRTC_DISPLAY_ERROR, HDMIRTC_DISPLAY_ERROR_NOT_FOUND, "no DRM device (/dev/dri/card*)");
		return FALSE;
	}
	for (gsize i = 0; i < g.gl_pathc && i < MAX_CARDS && !ok; i++)
		ok = try_card(g.gl_pathv[i], want, out, why, sizeof(why));
	globfree(&g);
	if (!ok)
		g_set_error(error, HDMIRTC_DISPLAY_ERROR, HDMIRTC_DISPLAY_ERROR_NOT_FOUND, "%s",
		            why[0] ? why : strcmp(want, "auto") == 0 ? "no connector has a monitor connected"
		                                                     : "no such connector");
	return ok;
}

void hdmirtc_drm_output_close(HdmirtcDrmOutput *out)
{
	if (out->fd >= 0)
		close(out->fd);
	g_clear_pointer(&out->formats, g_free);
	g_clear_pointer(&out->modes, g_free);
	*out = (HdmirtcDrmOutput){ .fd = -1 };
}

gboolean hdmirtc_drm_output_has_format(const HdmirtcDrmOutput *o, guint32 fourcc)
{
	for (guint i = 0; i < o->n_formats; i++)
		if (o->formats[i] == fourcc)
			return TRUE;
	return FALSE;
}

const drmModeModeInfo *hdmirtc_drm_output_pick_mode(const HdmirtcDrmOutput *o, guint32 w, guint32 h)
{
	const drmModeModeInfo *same = NULL, *preferred = NULL;

	for (guint i = 0; i < o->n_modes; i++) {
		const drmModeModeInfo *m = &o->modes[i];
		gboolean pref = (m->type & DRM_MODE_TYPE_PREFERRED) != 0;

		if (m->flags & DRM_MODE_FLAG_INTERLACE)
			continue;
		if (m->hdisplay == w && m->vdisplay == h && (!same || (pref && !(same->type & DRM_MODE_TYPE_PREFERRED))))
			same = m;
		if (pref && !preferred)
			preferred = m;
	}
	return same ? same : preferred ? preferred : o->n_modes ? &o->modes[0] : NULL;
}

/* One card's connectors, for --probe: each one's state and modes. */
static void describe_card(const char *path, GString *s)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	drmVersion *v = fd >= 0 ? drmGetVersion(fd) : NULL;
	drmModeRes *res;

	g_string_append_printf(s, "  %s (%s):", path, v ? v->name : fd < 0 ? g_strerror(errno) : "?");
	drmFreeVersion(v);
	if (fd < 0) {
		g_string_append_c(s, '\n');
		return;
	}
	if (!atomic_client(fd))
		g_string_append(s, " (no atomic modesetting: not usable)");
	res = drmModeGetResources(fd);
	for (int i = 0; res && i < res->count_connectors; i++) {
		drmModeConnector *c = drmModeGetConnector(fd, res->connectors[i]);
		char name[32];

		if (!c)
			continue;
		connector_name(c, name, sizeof(name));
		g_string_append_printf(s, "%s %s", i ? "," : "", name);
		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK)
			g_string_append(s, " (writeback: snapshots)");
		else if (c->connection != DRM_MODE_CONNECTED)
			g_string_append(s, c->connection == DRM_MODE_DISCONNECTED ? " no monitor" : " unknown state");
		else if (c->count_modes > 0)
			g_string_append_printf(s, " connected, %ux%u@%u first of %d modes", c->modes[0].hdisplay,
			                       c->modes[0].vdisplay, c->modes[0].vrefresh, c->count_modes);
		else
			g_string_append(s, " connected, no modes");
		drmModeFreeConnector(c);
	}
	if (!res || res->count_connectors == 0)
		g_string_append(s, " no connectors (not a display controller)");
	g_string_append_c(s, '\n');
	drmModeFreeResources(res);
	close(fd);
}

char *hdmirtc_display_describe(const char *want)
{
	GString *s = g_string_new("screens:\n");
	glob_t g;

	if (glob("/dev/dri/card*", 0, NULL, &g) != 0) {
		g_string_append(s, "  none (no /dev/dri/card*)\n");
	} else {
		for (gsize i = 0; i < g.gl_pathc && i < MAX_CARDS; i++)
			describe_card(g.gl_pathv[i], s);
		globfree(&g);
	}
	if (!want || !want[0]) {
		g_string_append(s, "display: off (display = auto or a connector's name shows the picture there)\n");
	} else {
		g_autoptr(GError) error = NULL;
		HdmirtcDrmOutput o;

		if (hdmirtc_drm_output_open(want, &o, &error)) {
			g_string_append_printf(s, "display: %s on %s, %s\n", o.connector, o.device,
			                       o.writeback_id ? "with writeback (snapshots)" : "no writeback on its CRTC");
			hdmirtc_drm_output_close(&o);
		} else {
			g_string_append_printf(s, "display: %s would wait: %s\n", want, error->message);
		}
	}
	return g_string_free(s, FALSE);
}
