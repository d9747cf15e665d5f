/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Finds the HDMI bridge by media-controller topology, never by a fixed
 * /dev path (the numbering changes with the Pi model, the overlay and the
 * codec's nodes): an entity whose function is MEDIA_ENT_F_VID_IF_BRIDGE or
 * whose name starts with "tc358743", its subdev node, and the first video
 * capture node its data links lead to (directly with Pi 4 unicam, through
 * the CSI-2 receiver's subdev with Pi 5 rp1-cfe). */
#include "v4l2-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/media.h>
#include <string.h>
#include <unistd.h>

#define MAX_HOPS 4

typedef struct {
	struct media_v2_topology topo;
	struct media_v2_entity *ents;
	struct media_v2_interface *intfs;
	struct media_v2_pad *pads;
	struct media_v2_link *links;
} Topology;

static void topology_clear(Topology *t)
{
	g_free(t->ents);
	g_free(t->intfs);
	g_free(t->pads);
	g_free(t->links);
}

/* Two calls: counts, then arrays (the graph may grow in between; the
 * second call then fails with ENOSPC and we give up on this device). */
static int topology_read(int fd, Topology *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	r = hdmirtc_v4l2_ioctl(fd, MEDIA_IOC_G_TOPOLOGY, &t->topo);
	if (r < 0)
		return r;
	t->ents = g_new0(struct media_v2_entity, t->topo.num_entities + 1);
	t->intfs = g_new0(struct media_v2_interface, t->topo.num_interfaces + 1);
	t->pads = g_new0(struct media_v2_pad, t->topo.num_pads + 1);
	t->links = g_new0(struct media_v2_link, t->topo.num_links + 1);
	t->topo.ptr_entities = (guintptr)t->ents;
	t->topo.ptr_interfaces = (guintptr)t->intfs;
	t->topo.ptr_pads = (guintptr)t->pads;
	t->topo.ptr_links = (guintptr)t->links;
	return hdmirtc_v4l2_ioctl(fd, MEDIA_IOC_G_TOPOLOGY, &t->topo);
}

static const struct media_v2_pad *find_pad(const Topology *t, guint32 id)
{
	for (guint i = 0; i < t->topo.num_pads; i++)
		if (t->pads[i].id == id)
			return &t->pads[i];
	return NULL;
}

/* /dev path of a char device, from sysfs (udev names it the same). */
static gboolean devnode_path(guint32 major, guint32 minor, char *out, gsize size)
{
	g_autofree char *uevent = g_strdup_printf("/sys/dev/char/%u:%u/uevent", major, minor);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(uevent, &text, NULL, NULL) || !(p = strstr(text, "DEVNAME=")))
		return FALSE;
	p += strlen("DEVNAME=");
	g_snprintf(out, size, "/dev/%.*s", (int)strcspn(p, "\n"), p);
	return TRUE;
}

/* The devnode of the interface linked to entity, of the given type. */
static gboolean entity_devnode(const Topology *t, guint32 entity, guint32 intf_type, char *out,
                               gsize size)
{
	for (guint i = 0; i < t->topo.num_links; i++) {
		const struct media_v2_link *l = &t->links[i];

		if ((l->flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_INTERFACE_LINK || l->sink_id != entity)
			continue;
		for (guint j = 0; j < t->topo.num_interfaces; j++)
			if (t->intfs[j].id == l->source_id && t->intfs[j].intf_type == intf_type)
				return devnode_path(t->intfs[j].devnode.major, t->intfs[j].devnode.minor,
				                    out, size);
	}
	return FALSE;
}

static const struct media_v2_entity *find_entity(const Topology *t, guint32 id)
{
	for (guint i = 0; i < t->topo.num_entities; i++)
		if (t->ents[i].id == id)
			return &t->ents[i];
	return NULL;
}

/* Depth-first along data links from entity's source pads to a V4L video
 * node. */
static gboolean find_video(const Topology *t, guint32 entity, guint hops, char *out, gsize size)
{
	const struct media_v2_entity *e = find_entity(t, entity);

	if (!e || hops > MAX_HOPS)
		return FALSE;
	if (e->function == MEDIA_ENT_F_IO_V4L)
		return entity_devnode(t, entity, MEDIA_INTF_T_V4L_VIDEO, out, size);
	for (guint i = 0; i < t->topo.num_links; i++) {
		const struct media_v2_link *l = &t->links[i];
		const struct media_v2_pad *src, *sink;

		if ((l->flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_DATA_LINK)
			continue;
		src = find_pad(t, l->source_id);
		sink = find_pad(t, l->sink_id);
		if (src && sink && src->entity_id == entity &&
		    find_video(t, sink->entity_id, hops + 1, out, size))
			return TRUE;
	}
	return FALSE;
}

static gboolean is_bridge(const struct media_v2_entity *e)
{
	return e->function == MEDIA_ENT_F_VID_IF_BRIDGE || g_str_has_prefix(e->name, "tc358743");
}

static gboolean search_media_device(const char *path, HdmirtcBridgeInfo *out)
{
	struct media_device_info info = { 0 };
	Topology t;
	gboolean found = FALSE;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return FALSE;
	if (hdmirtc_v4l2_ioctl(fd, MEDIA_IOC_DEVICE_INFO, &info) == 0 && topology_read(fd, &t) == 0) {
		for (guint i = 0; i < t.topo.num_entities && !found; i++) {
			if (!is_bridge(&t.ents[i]))
				continue;
			memset(out, 0, sizeof(*out));
			if (!find_video(&t, t.ents[i].id, 0, out->video_node, sizeof(out->video_node)))
				continue;
			g_strlcpy(out->media_device, path, sizeof(out->media_device));
			g_strlcpy(out->driver, info.driver, sizeof(out->driver));
			g_strlcpy(out->bridge_entity, t.ents[i].name, sizeof(out->bridge_entity));
			/* Legacy unicam registers no subdev node: controls are on
			 * the video node then. */
			if (!entity_devnode(&t, t.ents[i].id, MEDIA_INTF_T_V4L_SUBDEV, out->subdev_node,
			                    sizeof(out->subdev_node)))
				out->subdev_node[0] = '\0';
			found = TRUE;
		}
		topology_clear(&t);
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

static GPtrArray *list_dev(const char *prefix)
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
 * legacy unicam + tc358743 without a usable media graph). */
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
	g_autoptr(GPtrArray) media = list_dev("media");
	g_autoptr(GPtrArray) video = NULL;

	g_return_val_if_fail(out != NULL, FALSE);
	for (guint i = 0; i < media->len; i++)
		if (search_media_device(media->pdata[i], out))
			return TRUE;
	if (allow_dv_fallback) {
		video = list_dev("video");
		for (guint i = 0; i < video->len; i++) {
			if (!dv_capable_node(video->pdata[i]))
				continue;
			memset(out, 0, sizeof(*out));
			g_strlcpy(out->video_node, video->pdata[i], sizeof(out->video_node));
			g_strlcpy(out->bridge_entity, "DV-timings input", sizeof(out->bridge_entity));
			g_strlcpy(out->driver, "v4l2", sizeof(out->driver));
			return TRUE;
		}
	}
	g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE,
	            "no HDMI bridge: no media device has a tc358743 / video-interface-bridge entity "
	            "linked to a capture node (%u media devices looked at)%s", media->len,
	            allow_dv_fallback ? ", and no capture node has a DV-timings input" : "");
	return FALSE;
}
