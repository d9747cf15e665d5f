/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The media controller's graph as MEDIA_IOC_G_TOPOLOGY gives it, and the
 * look-ups the bridge search and the link set-up share. */
#pragma once

#include <glib.h>
#include <linux/media.h>

typedef struct {
	struct media_device_info info;
	struct media_v2_topology topo;
	struct media_v2_entity *ents;
	struct media_v2_interface *intfs;
	struct media_v2_pad *pads;
	struct media_v2_link *links;
} HdmirtcTopology;

/* 0 or -errno; on success clear with hdmirtc_topology_clear(). */
int hdmirtc_topology_read(int fd, HdmirtcTopology *t);
void hdmirtc_topology_clear(HdmirtcTopology *t);

const struct media_v2_entity *hdmirtc_topology_entity(const HdmirtcTopology *t, guint32 id);
const struct media_v2_pad *hdmirtc_topology_pad(const HdmirtcTopology *t, guint32 id);
/* The pad's index within its entity (kernels before 4.19 did not report
 * it: counted from the pad order then). */
guint32 hdmirtc_topology_pad_index(const HdmirtcTopology *t, const struct media_v2_pad *pad);
/* /dev path of the interface of intf_type (MEDIA_INTF_T_V4L_*) linked to
 * entity; FALSE if it has none. */
gboolean hdmirtc_topology_devnode(const HdmirtcTopology *t, guint32 entity, guint32 intf_type,
                                  char *out, gsize size);
/* Number of sink pads of entity. */
guint hdmirtc_topology_sink_pads(const HdmirtcTopology *t, guint32 entity);
