/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading the media graph (MEDIA_IOC_G_TOPOLOGY) and finding things in it. */
#include "media-private.h"

#include <string.h>

#include "hdmirtc/v4l2.h"

void hdmirtc_topology_clear(HdmirtcTopology *t)
{
	g_free(t->ents);
	g_free(t->intfs);
	g_free(t->pads);
	g_free(t->links);
	memset(t, 0, sizeof(*t));
}

/* Two calls: counts, then arrays (the graph may grow in between; the
 * second call then fails with ENOSPC and the caller gives up on it). */
int hdmirtc_topology_read(int fd, HdmirtcTopology *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	r = hdmirtc_v4l2_ioctl(fd, MEDIA_IOC_DEVICE_INFO, &t->info);
	if (r == 0)
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
	r = hdmirtc_v4l2_ioctl(fd, MEDIA_IOC_G_TOPOLOGY, &t->topo);
	if (r < 0)
		hdmirtc_topology_clear(t);
	return r;
}

const struct media_v2_entity *hdmirtc_topology_entity(const HdmirtcTopology *t, guint32 id)
{
	for (guint i = 0; i < t->topo.num_entities; i++)
		if (t->ents[i].id == id)
			return &t->ents[i];
	return NULL;
}

const struct media_v2_pad *hdmirtc_topology_pad(const HdmirtcTopology *t, guint32 id)
{
	for (guint i = 0; i < t->topo.num_pads; i++)
		if (t->pads[i].id == id)
			return &t->pads[i];
	return NULL;
}

guint32 hdmirtc_topology_pad_index(const HdmirtcTopology *t, const struct media_v2_pad *pad)
{
	guint32 n = 0;

	if (MEDIA_V2_PAD_HAS_INDEX(t->info.media_version))
		return pad->index;
	for (guint i = 0; i < t->topo.num_pads && &t->pads[i] != pad; i++)
		if (t->pads[i].entity_id == pad->entity_id)
			n++;
	return n;
}

guint hdmirtc_topology_sink_pads(const HdmirtcTopology *t, guint32 entity)
{
	guint n = 0;

	for (guint i = 0; i < t->topo.num_pads; i++)
		if (t->pads[i].entity_id == entity && (t->pads[i].flags & MEDIA_PAD_FL_SINK))
			n++;
	return n;
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

gboolean hdmirtc_topology_devnode(const HdmirtcTopology *t, guint32 entity, guint32 intf_type,
                                  char *out, gsize size)
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
