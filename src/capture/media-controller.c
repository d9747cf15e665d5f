/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Finds the HDMI bridge by media-controller topology, never by a fixed
 * /dev path (the numbering changes with the Pi model, the overlay and the
 * codec's nodes), and the path its data takes to a capture node:
 *   Pi 5 rp1-cfe:   "tc358743 11-000f":0 -> "csi2":0 (immutable), then
 *                   "csi2":4 -> "rp1-cfe-csi2_ch0":0, created DISABLED;
 *   Pi 4 unicam:    "tc358743 10-000f":0 -> "unicam-image":0 (immutable).
 * rp1-cfe's own "csi2" entity is a MEDIA_ENT_F_VID_IF_BRIDGE too and is
 * registered before the tc358743 binds, so "first bridge-like entity" is
 * the wrong rule: the bridge is named after its driver, or failing that is
 * a bridge-like entity with no sink pad (a receiver always has one).
 * Between the bridge and the capture node only receivers and muxes are
 * crossed: rp1-cfe's "pisp-fe" also leads to capture nodes, but it
 * processes Bayer frames and does not stream a bridge's UYVY. */
#include "v4l2-private.h"
#include "media-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* HDMI receivers whose subdev entity is named "<driver> <bus>-<addr>". */
static const char *const bridge_drivers[] = { "tc358743", "tc358840" };

typedef struct {
	const HdmirtcTopology *t;
	HdmirtcBridgeInfo *out;
	guint depth;                    /* links wanted on this pass */
} Search;

static gboolean named_bridge(const char *name, const char **driver)
{
	for (guint i = 0; i < G_N_ELEMENTS(bridge_drivers); i++) {
		gsize n = strlen(bridge_drivers[i]);

		if (strncmp(name, bridge_drivers[i], n) == 0 && (name[n] == ' ' || name[n] == '\0')) {
			*driver = bridge_drivers[i];
			return TRUE;
		}
	}
	return FALSE;
}

/* Why e is the bridge, or NULL if it is not one. */
static char *bridge_reason(const HdmirtcTopology *t, const struct media_v2_entity *e)
{
	const char *driver;

	if (named_bridge(e->name, &driver))
		return g_strdup_printf("named after the %s driver", driver);
	if ((e->function == MEDIA_ENT_F_VID_IF_BRIDGE || e->function == MEDIA_ENT_F_DV_DECODER) &&
	    hdmirtc_topology_sink_pads(t, e->id) == 0)
		return g_strdup_printf("a %s with no sink pad (a source, not a CSI-2 receiver)",
		                       e->function == MEDIA_ENT_F_DV_DECODER ? "DV decoder" :
		                       "video-interface bridge");
	return NULL;
}

/* A node that captures video (not only metadata, like rp1-cfe's
 * "embedded" or unicam's "unicam-embedded"). */
static gboolean video_capture_node(const char *path)
{
	struct v4l2_capability cap = { 0 };
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	gboolean ok;

	if (fd < 0)
		return FALSE;
	ok = hdmirtc_v4l2_ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 &&
	     (cap.device_caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) &&
	     !(cap.device_caps & (V4L2_CAP_VIDEO_M2M | V4L2_CAP_VIDEO_M2M_MPLANE));
	close(fd);
	return ok;
}

static void describe_link(const HdmirtcTopology *t, HdmirtcMediaLink *l)
{
	const struct media_v2_entity *src = hdmirtc_topology_entity(t, l->source_entity);
	const struct media_v2_entity *sink = hdmirtc_topology_entity(t, l->sink_entity);

	g_snprintf(l->description, sizeof(l->description), "\"%s\":%u -> \"%s\":%u",
	           src ? src->name : "?", l->source_pad, sink ? sink->name : "?", l->sink_pad);
}

static HdmirtcMediaLink make_link(const HdmirtcTopology *t, const struct media_v2_link *l,
                                  const struct media_v2_pad *src, const struct media_v2_pad *sink)
{
	HdmirtcMediaLink out = {
		.source_entity = src->entity_id, .source_pad = hdmirtc_topology_pad_index(t, src),
		.sink_entity = sink->entity_id, .sink_pad = hdmirtc_topology_pad_index(t, sink),
		.flags = l->flags,
	};

	describe_link(t, &out);
	return out;
}

static void add_hop(Search *s, guint32 entity, guint32 sink_pad)
{
	const struct media_v2_entity *e = hdmirtc_topology_entity(s->t, entity);
	HdmirtcMediaHop *h = &s->out->hops[s->out->n_hops++];

	memset(h, 0, sizeof(*h));
	h->entity = entity;
	h->sink_pad = sink_pad;
	h->function = e->function;
	g_strlcpy(h->name, e->name, sizeof(h->name));
	if (!hdmirtc_topology_devnode(s->t, entity, MEDIA_INTF_T_V4L_SUBDEV, h->subdev, sizeof(h->subdev)))
		h->subdev[0] = '\0';
}

static gboolean walk(Search *s, guint32 entity, guint links_left);

/* Follows link l out of the current entity; TRUE when a video capture
 * node is reached within the pass's depth. */
static gboolean follow(Search *s, const struct media_v2_link *l, guint links_left)
{
	const struct media_v2_pad *src = hdmirtc_topology_pad(s->t, l->source_id);
	const struct media_v2_pad *sink = hdmirtc_topology_pad(s->t, l->sink_id);
	const struct media_v2_entity *next = sink ? hdmirtc_topology_entity(s->t, sink->entity_id) : NULL;
	HdmirtcBridgeInfo *out = s->out;
	guint hops = out->n_hops, n_links = out->n_links;

	if (!src || !next)
		return FALSE;
	out->hops[hops - 1].source_pad = hdmirtc_topology_pad_index(s->t, src);
	out->links[out->n_links++] = make_link(s->t, l, src, sink);
	if (next->function == MEDIA_ENT_F_IO_V4L) {
		if (links_left == 1 &&
		    hdmirtc_topology_devnode(s->t, next->id, MEDIA_INTF_T_V4L_VIDEO, out->video_node,
		                             sizeof(out->video_node)) &&
		    video_capture_node(out->video_node)) {
			g_strlcpy(out->video_entity, next->name, sizeof(out->video_entity));
			return TRUE;
		}
	} else if (links_left > 1 && hops < HDMIRTC_MEDIA_MAX_HOPS &&
	           (next->function == MEDIA_ENT_F_VID_IF_BRIDGE ||
	            next->function == MEDIA_ENT_F_VID_MUX)) {
		add_hop(s, next->id, hdmirtc_topology_pad_index(s->t, sink));
		if (walk(s, next->id, links_left - 1))
			return TRUE;
	}
	out->n_hops = hops;
	out->n_links = n_links;
	return FALSE;
}

/* Depth-limited: links already enabled first (what the driver or an
 * earlier run chose), then in the driver's creation order. */
static gboolean walk(Search *s, guint32 entity, guint links_left)
{
	for (int pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < s->t->topo.num_links; i++) {
			const struct media_v2_link *l = &s->t->links[i];
			const struct media_v2_pad *src;
			gboolean enabled = (l->flags & MEDIA_LNK_FL_ENABLED) != 0;

			if ((l->flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_DATA_LINK ||
			    enabled != (pass == 0))
				continue;
			src = hdmirtc_topology_pad(s->t, l->source_id);
			if (src && src->entity_id == entity && follow(s, l, links_left))
				return TRUE;
		}
	}
	return FALSE;
}

static gboolean on_path(const HdmirtcBridgeInfo *out, guint32 entity, guint32 *index)
{
	for (guint i = 0; i < out->n_hops; i++)
		if (out->hops[i].entity == entity) {
			*index = i;
			return TRUE;
		}
	return FALSE;
}

/* Enabled, mutable links out of a path entity's source pads that the path
 * does not use. */
static void find_conflicts(const HdmirtcTopology *t, HdmirtcBridgeInfo *out)
{
	for (guint i = 0; i < t->topo.num_links && out->n_conflicts < HDMIRTC_MEDIA_MAX_LINKS; i++) {
		const struct media_v2_link *l = &t->links[i];
		const struct media_v2_pad *src = hdmirtc_topology_pad(t, l->source_id);
		const struct media_v2_pad *sink = hdmirtc_topology_pad(t, l->sink_id);
		HdmirtcMediaLink link;
		gboolean used = FALSE;
		guint32 hop;

		if ((l->flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_DATA_LINK ||
		    !(l->flags & MEDIA_LNK_FL_ENABLED) || (l->flags & MEDIA_LNK_FL_IMMUTABLE) ||
		    !src || !sink || !on_path(out, src->entity_id, &hop))
			continue;
		link = make_link(t, l, src, sink);
		for (guint j = 0; j < out->n_links; j++)
			used = used || (out->links[j].source_entity == link.source_entity &&
			                out->links[j].source_pad == link.source_pad &&
			                out->links[j].sink_entity == link.sink_entity &&
			                out->links[j].sink_pad == link.sink_pad);
		if (!used)
			out->conflicts[out->n_conflicts++] = link;
	}
}

/* orphan gets the name of a bridge without a path, if there is one. */
static gboolean search_topology(const char *path, const HdmirtcTopology *t, HdmirtcBridgeInfo *out,
                                char *orphan, gsize orphan_size)
{
	for (guint i = 0; i < t->topo.num_entities; i++) {
		g_autofree char *why = bridge_reason(t, &t->ents[i]);
		Search s = { t, out, 0 };

		if (!why)
			continue;
		for (s.depth = 1; s.depth <= HDMIRTC_MEDIA_MAX_HOPS; s.depth++) {
			memset(out, 0, sizeof(*out));
			add_hop(&s, t->ents[i].id, 0);
			if (walk(&s, t->ents[i].id, s.depth))
				break;
		}
		if (s.depth > HDMIRTC_MEDIA_MAX_HOPS) {
			g_snprintf(orphan, orphan_size, "\"%s\" on %s", t->ents[i].name, path);
			continue;
		}
		g_strlcpy(out->media_device, path, sizeof(out->media_device));
		g_strlcpy(out->driver, t->info.driver, sizeof(out->driver));
		g_strlcpy(out->model, t->info.model, sizeof(out->model));
		g_strlcpy(out->bridge_entity, t->ents[i].name, sizeof(out->bridge_entity));
		g_strlcpy(out->bridge_reason, why, sizeof(out->bridge_reason));
		g_strlcpy(out->subdev_node, out->hops[0].subdev, sizeof(out->subdev_node));
		find_conflicts(t, out);
		return TRUE;
	}
	return FALSE;
}

static gboolean search_media_device(const char *path, HdmirtcBridgeInfo *out, char *orphan,
                                    gsize orphan_size)
{
	HdmirtcTopology t;
	gboolean found = FALSE;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return FALSE;
	if (hdmirtc_topology_read(fd, &t) == 0) {
		found = search_topology(path, &t, out, orphan, orphan_size);
		hdmirtc_topology_clear(&t);
	}
	close(fd);
	return found;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	/* video2 < video10 */
	if (strlen(x) != strlen(y))
		return strlen(x) < strlen(y) ? -1 : 1;
	return strcmp(x, y);
}

GPtrArray *hdmirtc_v4l2_list_dev(const char *prefix)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	DIR *d = opendir("/dev");
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (g_str_has_prefix(de->d_name, prefix))
			g_ptr_array_add(names, g_strdup_printf("/dev/%s", de->d_name));
	if (d)
		closedir(d);
	g_ptr_array_sort(names, compare_names);
	return names;
}

/* A capture node whose current input takes DV timings (vivid's HDMI input,
 * a board whose driver registers no media graph). */
static gboolean dv_capable_node(const char *path)
{
	struct v4l2_capability cap = { 0 };
	struct v4l2_input in = { 0 };
	int index = 0, fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	gboolean ok = FALSE;

	if (fd < 0)
		return FALSE;
	if (hdmirtc_v4l2_ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 &&
	    (cap.device_caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) &&
	    !(cap.device_caps & (V4L2_CAP_VIDEO_M2M | V4L2_CAP_VIDEO_M2M_MPLANE)) &&
	    hdmirtc_v4l2_ioctl(fd, VIDIOC_G_INPUT, &index) == 0) {
		in.index = (guint32)index;
		ok = hdmirtc_v4l2_ioctl(fd, VIDIOC_ENUMINPUT, &in) == 0 &&
		     (in.capabilities & V4L2_IN_CAP_DV_TIMINGS);
	}
	close(fd);
	return ok;
}

gboolean hdmirtc_capture_find_bridge(gboolean allow_dv_fallback, HdmirtcBridgeInfo *out,
                                     GError **error)
{
	g_autoptr(GPtrArray) media = hdmirtc_v4l2_list_dev("media");
	g_autoptr(GPtrArray) video = NULL;
	char orphan[128] = "";

	g_return_val_if_fail(out != NULL, FALSE);
	for (guint i = 0; i < media->len; i++)
		if (search_media_device(media->pdata[i], out, orphan, sizeof(orphan)))
			return TRUE;
	if (orphan[0]) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_PATH,
		            "HDMI bridge %s has no data link to a video capture node (is the CSI-2 "
		            "receiver's driver loaded and its overlay right?)", orphan);
		return FALSE;
	}
	if (allow_dv_fallback) {
		video = hdmirtc_v4l2_list_dev("video");
		for (guint i = 0; i < video->len; i++) {
			if (!dv_capable_node(video->pdata[i]))
				continue;
			memset(out, 0, sizeof(*out));
			g_strlcpy(out->video_node, video->pdata[i], sizeof(out->video_node));
			g_strlcpy(out->bridge_entity, "DV-timings input", sizeof(out->bridge_entity));
			g_strlcpy(out->bridge_reason, "a capture node whose input takes DV timings "
			          "(no bridge in any media graph)", sizeof(out->bridge_reason));
			g_strlcpy(out->driver, "v4l2", sizeof(out->driver));
			return TRUE;
		}
	}
	g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE,
	            "no HDMI bridge: no media device has a tc358743 entity (or a bridge entity "
	            "without sink pads) with a data path to a video capture node (%u media devices "
	            "looked at)%s", media->len,
	            allow_dv_fallback ? ", and no capture node has a DV-timings input" : "");
	return FALSE;
}

static int setup_link(int fd, const HdmirtcMediaLink *l, guint32 flags)
{
	struct media_link_desc d = { 0 };

	d.source.entity = l->source_entity;
	d.source.index = (guint16)l->source_pad;
	d.sink.entity = l->sink_entity;
	d.sink.index = (guint16)l->sink_pad;
	d.flags = flags;
	return hdmirtc_v4l2_ioctl(fd, MEDIA_IOC_SETUP_LINK, &d);
}

gboolean hdmirtc_capture_setup_links(const HdmirtcBridgeInfo *info, GError **error)
{
	int fd, r = 0;
	const HdmirtcMediaLink *bad = NULL;
	const char *what = "";

	if (!info->media_device[0])
		return TRUE;
	fd = open(info->media_device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE,
		            "%s: cannot open: %s", info->media_device, g_strerror(errno));
		return FALSE;
	}
	for (guint i = 0; i < info->n_conflicts && r == 0; i++) {
		r = setup_link(fd, &info->conflicts[i], 0);
		if (r == 0)
			g_message("%s: link %s disabled (it competes with the bridge's path)",
			          info->media_device, info->conflicts[i].description);
		bad = &info->conflicts[i];
		what = "disable";
	}
	for (guint i = 0; i < info->n_links && r == 0; i++) {
		const HdmirtcMediaLink *l = &info->links[i];

		if (l->flags & (MEDIA_LNK_FL_ENABLED | MEDIA_LNK_FL_IMMUTABLE))
			continue;
		r = setup_link(fd, l, MEDIA_LNK_FL_ENABLED);
		if (r == 0)
			g_message("%s: link %s enabled", info->media_device, l->description);
		bad = l;
		what = "enable";
	}
	close(fd);
	if (r < 0) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
		            "%s: cannot %s link %s: %s", info->media_device, what, bad->description,
		            g_strerror(-r));
		return FALSE;
	}
	return TRUE;
}
