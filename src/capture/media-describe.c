/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The media graphs as text, for `hdmirtc --probe` and bug reports: every
 * entity with its function, device node and pads (active format of each
 * subdev pad), and every data link with its state. */
#include "v4l2-private.h"
#include "media-private.h"

#include <fcntl.h>
#include <linux/v4l2-subdev.h>
#include <string.h>
#include <unistd.h>

static const char *function_name(guint32 f)
{
	switch (f) {
	case MEDIA_ENT_F_VID_IF_BRIDGE: return "video-interface bridge";
	case MEDIA_ENT_F_DV_DECODER: return "DV decoder";
	case MEDIA_ENT_F_IO_V4L: return "V4L2 I/O";
	case MEDIA_ENT_F_CAM_SENSOR: return "camera sensor";
	case MEDIA_ENT_F_PROC_VIDEO_ISP: return "ISP";
	case MEDIA_ENT_F_PROC_VIDEO_PIXEL_FORMATTER: return "pixel formatter";
	default: return "other";
	}
}

const char *hdmirtc_mbus_code_name(guint32 code)
{
	switch (code) {
	case 0x2006: return "UYVY8_1X16";
	case 0x2008: return "YUYV8_1X16";
	case 0x100a: return "RGB888_1X24";
	case 0x1013: return "BGR888_1X24";
	case 0x7001: return "SENSOR_DATA";
	case 0x300f: return "SRGGB10_1X10";
	case 0x3007: return "SBGGR10_1X10";
	default: return NULL;
	}
}

void hdmirtc_describe_mbus(GString *out, const struct v4l2_mbus_framefmt *f)
{
	const char *name = hdmirtc_mbus_code_name(f->code);

	if (name)
		g_string_append(out, name);
	else
		g_string_append_printf(out, "0x%04x", f->code);
	g_string_append_printf(out, " %ux%u field %u colorspace %u ycbcr %u quantization %u xfer %u",
	                       f->width, f->height, f->field, f->colorspace, f->ycbcr_enc,
	                       f->quantization, f->xfer_func);
}

static void describe_pad(GString *out, const HdmirtcTopology *t, const struct media_v2_pad *p,
                         int subdev_fd)
{
	guint32 index = hdmirtc_topology_pad_index(t, p);
	struct v4l2_subdev_format f = { .which = V4L2_SUBDEV_FORMAT_ACTIVE, .pad = index };

	g_string_append_printf(out, "      pad %u %s", index,
	                       p->flags & MEDIA_PAD_FL_SINK ? "sink" : "source");
	if (subdev_fd >= 0 && hdmirtc_v4l2_ioctl(subdev_fd, VIDIOC_SUBDEV_G_FMT, &f) == 0) {
		g_string_append(out, ": ");
		hdmirtc_describe_mbus(out, &f.format);
	}
	g_string_append_c(out, '\n');
}

static void describe_entity(GString *out, const HdmirtcTopology *t, const struct media_v2_entity *e)
{
	char node[64] = "";
	int fd = -1;

	if (!hdmirtc_topology_devnode(t, e->id, MEDIA_INTF_T_V4L_SUBDEV, node, sizeof(node)))
		(void)hdmirtc_topology_devnode(t, e->id, MEDIA_INTF_T_V4L_VIDEO, node, sizeof(node));
	else
		fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	g_string_append_printf(out, "    entity %u \"%s\": %s%s%s\n", e->id, e->name,
	                       function_name(e->function), node[0] ? ", " : "", node);
	for (guint i = 0; i < t->topo.num_pads; i++)
		if (t->pads[i].entity_id == e->id)
			describe_pad(out, t, &t->pads[i], fd);
	if (fd >= 0)
		close(fd);
}

static void describe_links(GString *out, const HdmirtcTopology *t)
{
	for (guint i = 0; i < t->topo.num_links; i++) {
		const struct media_v2_link *l = &t->links[i];
		const struct media_v2_pad *src = hdmirtc_topology_pad(t, l->source_id);
		const struct media_v2_pad *sink = hdmirtc_topology_pad(t, l->sink_id);
		const struct media_v2_entity *a, *b;

		if ((l->flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_DATA_LINK || !src || !sink)
			continue;
		a = hdmirtc_topology_entity(t, src->entity_id);
		b = hdmirtc_topology_entity(t, sink->entity_id);
		g_string_append_printf(out, "    link \"%s\":%u -> \"%s\":%u [%s%s]\n", a ? a->name : "?",
		                       hdmirtc_topology_pad_index(t, src), b ? b->name : "?",
		                       hdmirtc_topology_pad_index(t, sink),
		                       l->flags & MEDIA_LNK_FL_ENABLED ? "enabled" : "disabled",
		                       l->flags & MEDIA_LNK_FL_IMMUTABLE ? ", immutable" : "");
	}
}

char *hdmirtc_capture_describe_media(void)
{
	g_autoptr(GPtrArray) media = hdmirtc_v4l2_list_dev("media");
	GString *out = g_string_new(NULL);

	if (media->len == 0)
		g_string_append(out, "  no /dev/media* devices\n");
	for (guint i = 0; i < media->len; i++) {
		const char *path = media->pdata[i];
		int fd = open(path, O_RDWR | O_CLOEXEC);
		HdmirtcTopology t;

		if (fd < 0 || hdmirtc_topology_read(fd, &t) < 0) {
			g_string_append_printf(out, "  %s: cannot read the topology\n", path);
			if (fd >= 0)
				close(fd);
			continue;
		}
		g_string_append_printf(out, "  %s: driver %s, model \"%s\", bus %s\n", path, t.info.driver,
		                       t.info.model, t.info.bus_info);
		for (guint j = 0; j < t.topo.num_entities; j++)
			describe_entity(out, &t, &t.ents[j]);
		describe_links(out, &t);
		hdmirtc_topology_clear(&t);
		close(fd);
	}
	return g_string_free(out, FALSE);
}
