/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Kernel tests of the Raspberry Pi capture stand-ins (tests/kernel/fakes/
 * pi-capture) in the QEMU VM of tests/kernel/run.sh: for each graph (Pi 5
 * rp1-cfe with 2 and 4 lanes, Pi 4 unicam in media-controller and legacy
 * mode) the modules are loaded, the rules the real drivers follow are
 * checked with raw ioctls, a few frames are streamed and their barcode
 * read back, and the modules are unloaded.  TAP: one "ok N - ..." line a
 * check on stdout (--tap is accepted for run.sh), details on stderr. */
#include "hdmirtc/barcode.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/media.h>
#include <linux/v4l2-subdev.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MODULES "/mnt/host/modules/"
#define DEBUGFS "/sys/kernel/debug/hdmirtc-fake-tc358743/"
#define POLL_MS 200            /* tc358743-fake poll_interval_ms here */
#define MAX_BUFS 8

#ifndef V4L2_CID_USER_TC358743_BASE
#define V4L2_CID_USER_TC358743_BASE (V4L2_CID_USER_BASE + 0x1080)
#endif
#define TC358743_CID_AUDIO_SAMPLING_RATE (V4L2_CID_USER_TC358743_BASE + 0)
#define TC358743_CID_AUDIO_PRESENT (V4L2_CID_USER_TC358743_BASE + 1)

/* ------------------------------------------------------------------ TAP */

static unsigned int checks, failures;
static const char *graph_name = "";

static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (!ok)
		failures++;
	printf("%sok %u - %s: ", ok ? "" : "not ", checks, graph_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return ok;
}

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "# %s: ", graph_name);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* 0 or -errno */
static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static gint64 now_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (gint64)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(unsigned int ms)
{
	usleep(ms * 1000);
}

/* -------------------------------------------------------------- modules */

static int load(const char *file, const char *params)
{
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), MODULES "%s.ko", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params, 0);
	r = r < 0 ? -errno : 0;
	close(fd);
	if (r)
		note("insmod %s %s: %s", file, params, strerror(-r));
	return r;
}

static int unload(const char *name)
{
	for (int i = 0; i < 50; i++) {
		if (syscall(SYS_delete_module, name, O_NONBLOCK) == 0)
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			break;
		sleep_ms(100);
	}
	note("rmmod %s: %s", name, strerror(errno));
	return -errno;
}

static bool debugfs_write(const char *file, const char *value)
{
	char path[256];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), DEBUGFS "%s", file);
	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fputs(value, f) >= 0;
	ok = fclose(f) == 0 && ok;
	return ok;
}

static bool debugfs_read(const char *file, char *buf, size_t size)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), DEBUGFS "%s", file);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return true;
}

/* ----------------------------------------------------------- kernel log */

static void kmsg_mark(const char *what)
{
	FILE *f = fopen("/dev/kmsg", "w");

	if (f) {
		fprintf(f, "kt-pi-capture: %s\n", what);
		fclose(f);
	}
}

/* The kernel log after the last "kt-pi-capture: <mark>" line (g_free it). */
static char *kmsg_since(const char *mark)
{
	int size = klogctl(10, NULL, 0);        /* SYSLOG_ACTION_SIZE_BUFFER */
	g_autofree char *all = NULL, *needle = g_strdup_printf("kt-pi-capture: %s\n", mark);
	char *from, *at;
	int n;

	if (size <= 0)
		return g_strdup("");
	all = g_malloc(size + 1);
	n = klogctl(3, all, size);              /* SYSLOG_ACTION_READ_ALL */
	all[n > 0 ? n : 0] = '\0';
	for (from = all; (at = strstr(from, needle)); from = at + 1)
		;
	return g_strdup(from == all ? all : from + strlen(needle) - 1);
}

static bool kmsg_has(const char *mark, const char *text)
{
	g_autofree char *log = kmsg_since(mark);

	return strstr(log, text) != NULL;
}

/* Lines a kernel warning, bug or oops would print. */
static bool kmsg_clean(const char *mark)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "refcount_t",
		"possible circular locking", "list_del corruption", "UBSAN",
	};
	g_autofree char *log = kmsg_since(mark);
	bool clean = true;

	for (unsigned int i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *at = strstr(log, bad[i]);

		if (at) {
			note("kernel log: %.*s", (int)strcspn(at, "\n"), at);
			clean = false;
		}
	}
	return clean;
}

/* ------------------------------------------------------------- topology */

typedef struct {
	int fd;
	struct media_device_info info;
	struct media_v2_topology topo;
	struct media_v2_entity ents[64];
	struct media_v2_interface intfs[64];
	struct media_v2_pad pads[128];
	struct media_v2_link links[256];
} Media;

static bool media_topology(Media *m)
{
	memset(&m->topo, 0, sizeof(m->topo));
	if (xioctl(m->fd, MEDIA_IOC_G_TOPOLOGY, &m->topo))
		return false;
	if (m->topo.num_entities > 64 || m->topo.num_interfaces > 64 ||
	    m->topo.num_pads > 128 || m->topo.num_links > 256)
		return false;
	m->topo.ptr_entities = (uintptr_t)m->ents;
	m->topo.ptr_interfaces = (uintptr_t)m->intfs;
	m->topo.ptr_pads = (uintptr_t)m->pads;
	m->topo.ptr_links = (uintptr_t)m->links;
	return xioctl(m->fd, MEDIA_IOC_G_TOPOLOGY, &m->topo) == 0;
}

static const struct media_v2_entity *entity_named(Media *m, const char *name)
{
	for (unsigned int i = 0; i < m->topo.num_entities; i++)
		if (!strcmp(m->ents[i].name, name))
			return &m->ents[i];
	return NULL;
}

static const struct media_v2_pad *pad_by_id(Media *m, guint32 id)
{
	for (unsigned int i = 0; i < m->topo.num_pads; i++)
		if (m->pads[i].id == id)
			return &m->pads[i];
	return NULL;
}

static const char *entity_name(Media *m, guint32 id)
{
	for (unsigned int i = 0; i < m->topo.num_entities; i++)
		if (m->ents[i].id == id)
			return m->ents[i].name;
	return "?";
}

/* Flags of the data link "src":spad -> "sink":dpad, or -1. */
static int link_flags(Media *m, const char *src, guint32 spad, const char *sink,
		      guint32 dpad)
{
	for (unsigned int i = 0; i < m->topo.num_links; i++) {
		const struct media_v2_link *l = &m->links[i];
		const struct media_v2_pad *s, *d;

		if ((l->flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_DATA_LINK)
			continue;
		s = pad_by_id(m, l->source_id);
		d = pad_by_id(m, l->sink_id);
		if (s && d && s->index == spad && d->index == dpad &&
		    !strcmp(entity_name(m, s->entity_id), src) &&
		    !strcmp(entity_name(m, d->entity_id), sink))
			return l->flags & ~MEDIA_LNK_FL_LINK_TYPE;
	}
	return -1;
}

/* /dev path of the entity's device node, from its interface link. */
static bool entity_devnode(Media *m, const char *name, char *path, size_t size)
{
	const struct media_v2_entity *e = entity_named(m, name);

	for (unsigned int i = 0; e && i < m->topo.num_links; i++) {
		const struct media_v2_link *l = &m->links[i];

		if ((l->flags & MEDIA_LNK_FL_LINK_TYPE) != MEDIA_LNK_FL_INTERFACE_LINK ||
		    l->sink_id != e->id)
			continue;
		for (unsigned int j = 0; j < m->topo.num_interfaces; j++) {
			char uevent[128], line[128];
			FILE *f;

			if (m->intfs[j].id != l->source_id)
				continue;
			snprintf(uevent, sizeof(uevent), "/sys/dev/char/%u:%u/uevent",
				 m->intfs[j].devnode.major, m->intfs[j].devnode.minor);
			f = fopen(uevent, "r");
			if (!f)
				return false;
			while (fgets(line, sizeof(line), f)) {
				if (!strncmp(line, "DEVNAME=", 8)) {
					line[strcspn(line, "\n")] = '\0';
					snprintf(path, size, "/dev/%s", line + 8);
					fclose(f);
					return true;
				}
			}
			fclose(f);
		}
	}
	return false;
}

static bool setup_link(Media *m, const char *src, guint32 spad, const char *sink,
		       guint32 dpad, bool enable)
{
	const struct media_v2_entity *s = entity_named(m, src), *d = entity_named(m, sink);
	struct media_link_desc ld = { 0 };

	if (!s || !d)
		return false;
	ld.source.entity = s->id;
	ld.source.index = spad;
	ld.sink.entity = d->id;
	ld.sink.index = dpad;
	ld.flags = enable ? MEDIA_LNK_FL_ENABLED : 0;
	return xioctl(m->fd, MEDIA_IOC_SETUP_LINK, &ld) == 0;
}

/* The media device of `model`, once its video nodes exist (async bind). */
static bool open_media(Media *m, const char *model, const char *node_name)
{
	for (int tries = 0; tries < 100; tries++) {
		for (int i = 0; i < 16; i++) {
			char path[32];

			snprintf(path, sizeof(path), "/dev/media%d", i);
			m->fd = open(path, O_RDWR | O_CLOEXEC);
			if (m->fd < 0)
				continue;
			if (!xioctl(m->fd, MEDIA_IOC_DEVICE_INFO, &m->info) &&
			    !strcmp(m->info.model, model) && media_topology(m) &&
			    entity_named(m, node_name))
				return true;
			close(m->fd);
		}
		sleep_ms(100);
	}
	m->fd = -1;
	return false;
}

/* ------------------------------------------------------------- graphs */

typedef struct {
	const char *name;
	const char *board;     /* pi-fake-board parameters */
	const char *receiver;  /* module file */
	const char *rx_module; /* module name */
	const char *model;     /* media device model */
	const char *bus_info;
	int bus;
	int lanes;
	bool pi5;
	bool mc;               /* media-controller mode (always on Pi 5) */
} Graph;

typedef struct {
	const Graph *g;
	Media m;
	char bridge[32];       /* entity name */
	char video[64];        /* capture node path */
	char subdev[64];       /* bridge subdev node path */
	const char *node;      /* capture entity name */
	int vfd, sfd;
} Ctx;

static bool bridge_get_fmt(Ctx *c, struct v4l2_subdev_format *f)
{
	memset(f, 0, sizeof(*f));
	f->which = V4L2_SUBDEV_FORMAT_ACTIVE;
	return xioctl(c->sfd, VIDIOC_SUBDEV_G_FMT, f) == 0;
}

static int set_code(int fd, guint32 pad, guint32 w, guint32 h, guint32 code,
		    guint32 which)
{
	struct v4l2_subdev_format f = { .which = which, .pad = pad };

	f.format.width = w;
	f.format.height = h;
	f.format.code = code;
	f.format.field = V4L2_FIELD_NONE;
	return xioctl(fd, VIDIOC_SUBDEV_S_FMT, &f);
}

static bool wait_event(int fd, guint32 type, int ms, struct v4l2_event *ev)
{
	struct pollfd p = { .fd = fd, .events = POLLPRI };
	gint64 end = now_us(CLOCK_MONOTONIC) + ms * 1000LL;

	while (now_us(CLOCK_MONOTONIC) < end) {
		if (poll(&p, 1, 50) > 0 && xioctl(fd, VIDIOC_DQEVENT, ev) == 0 &&
		    ev->type == type)
			return true;
	}
	return false;
}

static void drain_events(int fd)
{
	struct v4l2_event ev;

	while (xioctl(fd, VIDIOC_DQEVENT, &ev) == 0)
		;
}

static int subscribe(int fd, guint32 type, guint32 id)
{
	struct v4l2_event_subscription sub = { .type = type, .id = id };

	return xioctl(fd, VIDIOC_SUBSCRIBE_EVENT, &sub);
}

/* Debugfs change of the source, then its SOURCE_CHANGE on `fd`. */
static bool source_change(Ctx *c, const char *file, const char *value, int fd)
{
	struct v4l2_event ev;

	drain_events(fd);
	if (!debugfs_write(file, value))
		return false;
	return wait_event(fd, V4L2_EVENT_SOURCE_CHANGE, 4 * POLL_MS + 1000, &ev) &&
	       ev.u.src_change.changes == V4L2_EVENT_SRC_CH_RESOLUTION;
}

static int query_timings(int fd, bool subdev, struct v4l2_dv_timings *t)
{
	memset(t, 0, sizeof(*t));
	return xioctl(fd, subdev ? VIDIOC_SUBDEV_QUERY_DV_TIMINGS : VIDIOC_QUERY_DV_TIMINGS, t);
}

static int g_ctrl(int fd, guint32 id, int *value)
{
	struct v4l2_control ctl = { .id = id };
	int r = xioctl(fd, VIDIOC_G_CTRL, &ctl);

	*value = ctl.value;
	return r;
}

/* ------------------------------------------------------------- the EDID */

static void make_edid(guint8 *e, unsigned int blocks)
{
	static const guint8 header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };

	memset(e, 0, blocks * 128);
	for (unsigned int b = 0; b < blocks; b++) {
		guint8 *p = e + b * 128, sum = 0;

		if (b == 0) {
			memcpy(p, header, 8);
			p[18] = 1;
			p[19] = 3;
			p[126] = blocks - 1;
		} else {
			p[0] = 0x02;    /* CTA-861 extension without data blocks */
			p[1] = 0x03;
			p[2] = 4;
		}
		for (int i = 0; i < 127; i++)
			sum += p[i];
		p[127] = (guint8)(0x100 - sum);
	}
}

static void test_edid(Ctx *c, int fd, bool subdev, const char *where)
{
	unsigned long s_req = subdev ? VIDIOC_SUBDEV_S_EDID : VIDIOC_S_EDID;
	unsigned long g_req = subdev ? VIDIOC_SUBDEV_G_EDID : VIDIOC_G_EDID;
	guint8 edid[9 * 128], back[2 * 128];
	struct v4l2_edid e = { 0 };
	char hpd[8] = "";

	e.edid = edid;
	check(xioctl(fd, s_req, &e) == 0 && xioctl(fd, g_req, &e) == 0 && e.blocks == 0,
	      "%s: an EDID of 0 blocks clears it, G_EDID then counts 0", where);
	e.blocks = 1;
	check(xioctl(fd, g_req, &e) == -ENODATA, "%s: G_EDID without an EDID is ENODATA", where);
	make_edid(edid, 9);
	e.blocks = 9;
	check(xioctl(fd, s_req, &e) == -E2BIG && e.blocks == 8,
	      "%s: S_EDID of 9 blocks is E2BIG with blocks set to 8", where);
	e.blocks = 1;
	e.start_block = 1;
	check(xioctl(fd, s_req, &e) == -EINVAL, "%s: S_EDID from block 1 is EINVAL", where);
	e.start_block = 0;
	e.pad = 1;
	check(xioctl(fd, s_req, &e) == -EINVAL, "%s: S_EDID on pad 1 is EINVAL", where);
	e.pad = 0;
	make_edid(edid, 2);
	e.blocks = 2;
	check(xioctl(fd, s_req, &e) == 0, "%s: S_EDID of 2 blocks", where);
	memset(back, 0, sizeof(back));
	e.edid = back;
	e.blocks = 8;
	check(xioctl(fd, g_req, &e) == 0 && e.blocks == 2 && !memcmp(back, edid, 256),
	      "%s: G_EDID reads the 2 blocks back (clipped from 8)", where);
	e.start_block = 2;
	e.blocks = 1;
	check(xioctl(fd, g_req, &e) == -EINVAL, "%s: G_EDID past the end is EINVAL", where);
	sleep_ms(300);
	check(debugfs_read("hpd", hpd, sizeof(hpd)) && hpd[0] == '1',
	      "%s: hotplug is high 100 ms after the EDID is written", where);
	(void)c;
}

/* ------------------------------------------------------ signal states */

static void test_signal(Ctx *c, int qfd, bool subdev, const char *where)
{
	struct v4l2_dv_timings t;
	struct v4l2_event ev;
	int power = -1;

	check(query_timings(qfd, subdev, &t) == 0 && t.bt.width == 1920 &&
	      t.bt.height == 1080 && t.bt.pixelclock == 148500000 &&
	      t.bt.hsync == 280 && t.bt.vsync == 45 && !t.bt.hfrontporch,
	      "%s: QUERY_DV_TIMINGS measures 1920x1080 at 148.5 MHz, blanking in h/vsync", where);

	subscribe(c->sfd, V4L2_EVENT_CTRL, V4L2_CID_DV_RX_POWER_PRESENT);
	drain_events(c->sfd);
	debugfs_write("signal", "nolink");
	check(query_timings(qfd, subdev, &t) == -ENOLINK,
	      "%s: no cable: QUERY_DV_TIMINGS is ENOLINK", where);
	check(wait_event(c->sfd, V4L2_EVENT_CTRL, 4 * POLL_MS + 1000, &ev) &&
	      ev.id == V4L2_CID_DV_RX_POWER_PRESENT && ev.u.ctrl.value == 0,
	      "%s: the +5V loss reaches V4L2_CID_DV_RX_POWER_PRESENT (0, control event)", where);
	memset(&t, 0xff, sizeof(t));
	check(xioctl(c->sfd, VIDIOC_SUBDEV_G_DV_TIMINGS, &t) == 0 && t.bt.width == 0,
	      "%s: after the +5V loss the configured timings are zero", where);
	debugfs_write("signal", "nosignal");
	check(query_timings(qfd, subdev, &t) == -ENOLINK,
	      "%s: +5V without TMDS: QUERY_DV_TIMINGS is ENOLINK", where);
	sleep_ms(3 * POLL_MS);
	check(g_ctrl(c->sfd, V4L2_CID_DV_RX_POWER_PRESENT, &power) == 0 && power == 1,
	      "%s: +5V without TMDS: POWER_PRESENT is 1", where);
	debugfs_write("signal", "nolock");
	check(query_timings(qfd, subdev, &t) == -ENOLCK,
	      "%s: no sync: QUERY_DV_TIMINGS is ENOLCK", where);
	debugfs_write("signal", "range");
	check(query_timings(qfd, subdev, &t) == -ERANGE,
	      "%s: 3840x2160p30: QUERY_DV_TIMINGS is ERANGE", where);
	debugfs_write("signal", "ok");
	sleep_ms(3 * POLL_MS);
	check(query_timings(qfd, subdev, &t) == 0 && t.bt.width == 1920,
	      "%s: signal back: QUERY_DV_TIMINGS answers again", where);
}

/* ------------------------------------------------------------ buffers */

typedef struct {
	int fd;
	guint32 type, memory;
	unsigned int count;
	void *map[MAX_BUFS];
	size_t len[MAX_BUFS];
	int dmabuf[MAX_BUFS];
} Bufs;

static int reqbufs(Bufs *b, int fd, unsigned int count, guint32 memory)
{
	struct v4l2_requestbuffers rb = { .count = count, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					  .memory = memory };
	int r = xioctl(fd, VIDIOC_REQBUFS, &rb);

	b->fd = fd;
	b->type = rb.type;
	b->memory = memory;
	b->count = r ? 0 : rb.count;
	return r;
}

static bool map_bufs(Bufs *b)
{
	for (unsigned int i = 0; i < b->count && i < MAX_BUFS; i++) {
		struct v4l2_buffer vb = { .index = i, .type = b->type, .memory = b->memory };

		if (xioctl(b->fd, VIDIOC_QUERYBUF, &vb))
			return false;
		b->len[i] = vb.length;
		b->map[i] = mmap(NULL, vb.length, PROT_READ, MAP_SHARED, b->fd, vb.m.offset);
		if (b->map[i] == MAP_FAILED)
			return false;
	}
	return true;
}

static void unmap_bufs(Bufs *b)
{
	for (unsigned int i = 0; i < b->count && i < MAX_BUFS; i++) {
		if (b->map[i] && b->map[i] != MAP_FAILED)
			munmap(b->map[i], b->len[i]);
		b->map[i] = NULL;
	}
}

static int qbuf(Bufs *b, unsigned int i)
{
	struct v4l2_buffer vb = { .index = i, .type = b->type, .memory = b->memory };

	if (b->memory == V4L2_MEMORY_DMABUF) {
		vb.m.fd = b->dmabuf[i];
		vb.length = b->len[i];
	}
	return xioctl(b->fd, VIDIOC_QBUF, &vb);
}

static bool qbuf_all(Bufs *b)
{
	for (unsigned int i = 0; i < b->count; i++)
		if (qbuf(b, i))
			return false;
	return true;
}

static int stream(int fd, bool on)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	return xioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type);
}

static int dqbuf(Bufs *b, int ms, struct v4l2_buffer *vb)
{
	struct pollfd p = { .fd = b->fd, .events = POLLIN };

	memset(vb, 0, sizeof(*vb));
	vb->type = b->type;
	vb->memory = b->memory;
	if (poll(&p, 1, ms) <= 0)
		return -EAGAIN;
	return xioctl(b->fd, VIDIOC_DQBUF, vb);
}

/* ------------------------------------------------------------ pictures */

typedef struct {
	guint32 width, height, bpl;
	bool rgb;
} Geometry;

static guint8 luma_at(const guint8 *p, const Geometry *g, guint32 x, guint32 y)
{
	const guint8 *line = p + (size_t)y * g->bpl;

	if (!g->rgb)
		return line[2 * x + 1];
	return 16 + (line[3 * x] * 219 + 127) / 255;
}

static guint8 chroma_at(const guint8 *p, const Geometry *g, guint32 x, guint32 y)
{
	return g->rgb ? 128 : p[(size_t)y * g->bpl + 2 * x];
}

static bool read_barcode(const guint8 *p, const Geometry *g, HdmirtcBarcode *code)
{
	guint rows = hdmirtc_barcode_rows(g->width);
	g_autofree guint8 *y = g_malloc((size_t)g->width * rows);
	bool ok;

	for (guint r = 0; r < rows; r++)
		for (guint x = 0; x < g->width; x++)
			y[(size_t)r * g->width + x] = luma_at(p, g, x, r);
	ok = hdmirtc_barcode_read(y, g->width, g->width, rows, code);
	return ok;
}

/* The picture below the barcode, as pi-board.c paints it. */
static bool picture_ok(const guint8 *p, const Geometry *g, guint32 seq)
{
	guint32 w = g->width, h = g->height, y = h / 2 + 16;
	guint32 box = (seq * 8) % (w - 32), rows = hdmirtc_barcode_rows(w);
	guint32 bar2 = 3 * w / 4 + 8;
	bool ok = true;

	ok &= luma_at(p, g, w / 4 + 8, rows + 4) == 235;        /* bars */
	ok &= luma_at(p, g, 3 * w / 4 + 8, h - 1) == 235;
	ok &= luma_at(p, g, w / 8, rows + 4) == 16;             /* black */
	ok &= luma_at(p, g, box + 16, y) == 160;                /* box */
	if (bar2 < box || bar2 >= box + 32)
		ok &= luma_at(p, g, bar2, y) == 235;
	if (box > 8 && (box - 8 < w / 4 || box - 8 >= w / 4 + 16) &&
	    (box - 8 < 3 * w / 4 || box - 8 >= 3 * w / 4 + 16))
		ok &= luma_at(p, g, box - 8, y) == 16;
	ok &= chroma_at(p, g, w / 8, rows + 4) == 128;
	ok &= chroma_at(p, g, box + 16, y) == 128;
	return ok;
}

/* Dequeues `frames` frames and checks sequence, time and picture. */
static void check_frames(Bufs *b, const Geometry *g, unsigned int frames,
			 double fps, gint64 start_us, const char *what)
{
	unsigned int got = 0, bad_seq = 0, bad_ts = 0, bad_code = 0, bad_pic = 0;
	unsigned int bad_used = 0;
	gint64 first_ts = 0, last_ts = 0;
	guint32 first_seq = 0, last_seq = 0;
	bool have = false;

	while (got < frames) {
		struct v4l2_buffer vb;
		HdmirtcBarcode code;
		const guint8 *p;
		gint64 ts, real = now_us(CLOCK_REALTIME);

		if (dqbuf(b, 3000, &vb))
			break;
		ts = (gint64)vb.timestamp.tv_sec * 1000000 + vb.timestamp.tv_usec;
		p = b->map[vb.index];
		if (have && vb.sequence <= last_seq)
			bad_seq++;
		if (!(vb.flags & V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) || ts < start_us ||
		    ts > now_us(CLOCK_MONOTONIC) || (have && ts <= last_ts))
			bad_ts++;
		if (vb.bytesused != g->bpl * g->height)
			bad_used++;
		if (!p || !read_barcode(p, g, &code) || code.counter != vb.sequence ||
		    code.mono_us != ts || llabs(code.wall_us - real) > 2000000) {
			if (!bad_code && p && read_barcode(p, g, &code))
				note("%s: barcode %u/%" G_GINT64_FORMAT " vs buffer %u/%" G_GINT64_FORMAT,
				     what, code.counter, code.mono_us, vb.sequence, ts);
			bad_code++;
		}
		if (!p || !picture_ok(p, g, vb.sequence))
			bad_pic++;
		if (!have) {
			first_ts = ts;
			first_seq = vb.sequence;
		}
		have = true;
		last_ts = ts;
		last_seq = vb.sequence;
		got++;
		qbuf(b, vb.index);
	}
	note("%s: %u frames, sequence %u..%u, %.1f ms a frame", what, got, first_seq, last_seq,
	     got > 1 ? (last_ts - first_ts) / 1000.0 / (last_seq - first_seq) : 0.0);
	check(got == frames, "%s: %u frames dequeued", what, frames);
	check(got && !bad_seq, "%s: sequence numbers increase", what);
	check(got && !bad_ts, "%s: monotonic timestamps, taken at frame start", what);
	check(got && !bad_used, "%s: bytesused = bytesperline x height", what);
	check(got && !bad_code, "%s: barcode: counter = sequence, mono = timestamp, wall = now", what);
	check(got && !bad_pic, "%s: bars, box and chroma where the picture has them", what);
	if (got > 2 && last_seq > first_seq) {
		double ms = (last_ts - first_ts) / 1000.0 / (last_seq - first_seq);

		check(ms > 1000 / fps * 0.8 && ms < 1000 / fps * 1.25,
		      "%s: %.1f ms between frame starts at %.0f Hz", what, ms, fps);
	}
}

/* ------------------------------------------------------------- Pi 5 */

static bool cfe_set_pads(Ctx *c, guint32 w, guint32 h, guint32 code)
{
	char csi2[64];
	int fd;
	bool ok;

	if (!entity_devnode(&c->m, "csi2", csi2, sizeof(csi2)))
		return false;
	fd = open(csi2, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = set_code(fd, 0, w, h, code, V4L2_SUBDEV_FORMAT_ACTIVE) == 0;
	close(fd);
	return ok;
}

static int set_video_fmt(int fd, guint32 w, guint32 h, guint32 fourcc,
			 struct v4l2_format *out)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int r;

	f.fmt.pix.width = w;
	f.fmt.pix.height = h;
	f.fmt.pix.pixelformat = fourcc;
	r = xioctl(fd, VIDIOC_S_FMT, &f);
	if (out)
		*out = f;
	return r;
}

/* QUERY then S_DV_TIMINGS on the bridge (the subdev for MC graphs). */
static int follow_source(Ctx *c, int fd, bool subdev)
{
	struct v4l2_dv_timings t;
	int r = query_timings(fd, subdev, &t);

	if (r)
		return r;
	return xioctl(fd, subdev ? VIDIOC_SUBDEV_S_DV_TIMINGS : VIDIOC_S_DV_TIMINGS, &t);
}

static void test_cfe_topology(Ctx *c)
{
	static const char *const nodes[] = {
		"rp1-cfe-csi2_ch0", "rp1-cfe-embedded", "rp1-cfe-csi2_ch2", "rp1-cfe-csi2_ch3",
		"rp1-cfe-fe_image0", "rp1-cfe-fe_image1", "rp1-cfe-fe_stats", "rp1-cfe-fe_config",
	};
	Media *m = &c->m;
	bool order = m->topo.num_entities == 11 &&
		     !strcmp(m->ents[0].name, "csi2") &&
		     m->ents[0].function == MEDIA_ENT_F_VID_IF_BRIDGE &&
		     !strcmp(m->ents[1].name, "pisp-fe") &&
		     m->ents[1].function == MEDIA_ENT_F_PROC_VIDEO_SCALER &&
		     !strcmp(m->ents[2].name, c->bridge) &&
		     m->ents[2].function == MEDIA_ENT_F_VID_IF_BRIDGE;

	for (unsigned int i = 0; order && i < 8; i++)
		order = !strcmp(m->ents[3 + i].name, nodes[i]) &&
			m->ents[3 + i].function == MEDIA_ENT_F_IO_V4L;
	for (unsigned int i = 0; i < m->topo.num_entities; i++)
		note("entity %u: %s (function 0x%x)", i, m->ents[i].name, m->ents[i].function);
	check(order, "entities in probe order: csi2, pisp-fe, %s, then the 8 rp1-cfe nodes",
	      c->bridge);
	check(link_flags(m, c->bridge, 0, "csi2", 0) ==
	      (MEDIA_LNK_FL_ENABLED | MEDIA_LNK_FL_IMMUTABLE),
	      "%s:0 -> csi2:0 is IMMUTABLE | ENABLED", c->bridge);
	check(link_flags(m, "csi2", 4, "rp1-cfe-csi2_ch0", 0) == 0 &&
	      link_flags(m, "csi2", 5, "rp1-cfe-embedded", 0) == 0 &&
	      link_flags(m, "csi2", 6, "rp1-cfe-csi2_ch2", 0) == 0 &&
	      link_flags(m, "csi2", 7, "rp1-cfe-csi2_ch3", 0) == 0,
	      "csi2:4..7 -> the csi2 nodes are created disabled");
	check(link_flags(m, "csi2", 4, "pisp-fe", 0) == 0 &&
	      link_flags(m, "csi2", 5, "pisp-fe", 0) == -1 &&
	      link_flags(m, "pisp-fe", 2, "rp1-cfe-fe_image0", 0) == 0 &&
	      link_flags(m, "rp1-cfe-fe_config", 0, "pisp-fe", 1) == 0,
	      "csi2 image channels -> pisp-fe:0 and the FE node links, disabled");
}

static void test_cfe_csi2_propagation(Ctx *c)
{
	struct v4l2_subdev_format f = { .which = V4L2_SUBDEV_FORMAT_ACTIVE, .pad = 4 };
	char csi2[64];
	int fd = -1;

	if (!check(entity_devnode(&c->m, "csi2", csi2, sizeof(csi2)) &&
		   (fd = open(csi2, O_RDWR | O_CLOEXEC)) >= 0, "csi2 has a subdev node"))
		return;
	set_code(fd, 0, 1280, 720, MEDIA_BUS_FMT_UYVY8_1X16, V4L2_SUBDEV_FORMAT_ACTIVE);
	check(xioctl(fd, VIDIOC_SUBDEV_G_FMT, &f) == 0 && f.format.width == 1280 &&
	      f.format.height == 720 && f.format.code == MEDIA_BUS_FMT_UYVY8_1X16,
	      "csi2: the sink pad 0 format is propagated to source pad 4");
	close(fd);
}

static void test_cfe_stream(Ctx *c, Bufs *b)
{
	const Graph *g = c->g;
	struct v4l2_format vf;
	struct v4l2_exportbuffer exp = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	Geometry geo;
	gint64 t0;
	int r;

	/* 1080p60 UYVY everywhere, link disabled */
	check(follow_source(c, c->sfd, true) == 0, "S_DV_TIMINGS 1080p60 on the bridge subdev");
	cfe_set_pads(c, 1920, 1080, MEDIA_BUS_FMT_UYVY8_1X16);
	set_code(c->sfd, 0, 1920, 1080, MEDIA_BUS_FMT_UYVY8_1X16, V4L2_SUBDEV_FORMAT_ACTIVE);
	check(set_video_fmt(c->vfd, 1920, 1080, V4L2_PIX_FMT_UYVY, &vf) == 0 &&
	      vf.fmt.pix.bytesperline == 3840 && vf.fmt.pix.sizeimage == 3840 * 1080,
	      "ch0 S_FMT UYVY 1920x1080: bytesperline 3840, sizeimage 3840 x 1080");
	vf.fmt.pix.width = 1004;
	vf.fmt.pix.bytesperline = 0;
	check(xioctl(c->vfd, VIDIOC_TRY_FMT, &vf) == 0 && vf.fmt.pix.bytesperline == 2016,
	      "ch0 TRY_FMT UYVY 1004 wide: bytesperline aligned to 16 (2016)");
	r = reqbufs(b, c->vfd, 1, V4L2_MEMORY_MMAP);
	check(r == 0 && b->count >= 3,
	      "REQBUFS 1 gives %u buffers (queue_setup asks for at least 3)", b->count);
	map_bufs(b);
	qbuf_all(b);
	check(stream(c->vfd, true) == -EINVAL, "STREAMON is EINVAL while csi2:4 -> ch0 is disabled");
	check(setup_link(&c->m, "csi2", 4, "rp1-cfe-csi2_ch0", 0, true),
	      "MEDIA_IOC_SETUP_LINK enables csi2:4 -> ch0");
	media_topology(&c->m);
	check(link_flags(&c->m, "csi2", 4, "rp1-cfe-csi2_ch0", 0) == MEDIA_LNK_FL_ENABLED,
	      "the link reads back ENABLED");

	/* the bridge sends RGB888 while csi2 expects UYVY */
	set_code(c->sfd, 0, 1920, 1080, MEDIA_BUS_FMT_RGB888_1X24, V4L2_SUBDEV_FORMAT_ACTIVE);
	check(stream(c->vfd, true) == -EPIPE,
	      "STREAMON is EPIPE when the bridge's pad format differs from csi2:0");
	set_code(c->sfd, 0, 1920, 1080, MEDIA_BUS_FMT_UYVY8_1X16, V4L2_SUBDEV_FORMAT_ACTIVE);
	cfe_set_pads(c, 1280, 720, MEDIA_BUS_FMT_UYVY8_1X16);
	check(stream(c->vfd, true) == -EINVAL,
	      "STREAMON is EINVAL when ch0's size differs from csi2:4 (cfe_video_link_validate)");
	cfe_set_pads(c, 1920, 1080, MEDIA_BUS_FMT_UYVY8_1X16);

	/* Before STREAMON: on 4 lanes it starts the stream, and a frame may
	 * begin before the call returns (a slow VM: once, in a CI run). */
	t0 = now_us(CLOCK_MONOTONIC);
	r = stream(c->vfd, true);
	if (g->lanes == 2) {
		check(r == -EINVAL, "1080p60 UYVY needs 3 lanes: STREAMON is EINVAL on 2 lanes");
		/* 1080p50 UYVY fits two lanes at 972 Mbps */
		check(source_change(c, "timings", "1920x1080@50", c->sfd),
		      "source to 1080p50: SOURCE_CHANGE on the bridge subdev");
		check(follow_source(c, c->sfd, true) == 0, "S_DV_TIMINGS 1080p50 on the bridge subdev");
		t0 = now_us(CLOCK_MONOTONIC);
		check(stream(c->vfd, true) == 0, "1080p50 UYVY on 2 lanes: STREAMON");
	} else {
		check(r == 0, "1080p60 UYVY needs 3 lanes: STREAMON on 4 lanes");
	}
	geo = (Geometry){ 1920, 1080, 3840, false };
	check_frames(b, &geo, 8, g->lanes == 2 ? 50 : 60, t0, "UYVY 1080p");
	check(xioctl(c->vfd, VIDIOC_EXPBUF, &exp) == 0 && exp.fd >= 0, "EXPBUF gives a DMA-BUF fd");
	if (exp.fd >= 0)
		close(exp.fd);
}

/* Re-import the buffers exported from the MMAP queue (vb2 DMABUF). */
static void test_cfe_dmabuf(Ctx *c, Bufs *b)
{
	Bufs d = { 0 };
	int fds[MAX_BUFS];
	unsigned int n = b->count;
	size_t len[MAX_BUFS];
	Geometry geo = { 1920, 1080, 3840, false };
	gint64 t0;

	for (unsigned int i = 0; i < n; i++) {
		struct v4l2_exportbuffer exp = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .index = i };

		fds[i] = xioctl(c->vfd, VIDIOC_EXPBUF, &exp) ? -1 : exp.fd;
		len[i] = b->len[i];
	}
	stream(c->vfd, false);
	unmap_bufs(b);
	reqbufs(b, c->vfd, 0, V4L2_MEMORY_MMAP);
	check(reqbufs(&d, c->vfd, n, V4L2_MEMORY_DMABUF) == 0 && d.count == n,
	      "REQBUFS with V4L2_MEMORY_DMABUF");
	for (unsigned int i = 0; i < n; i++) {
		d.dmabuf[i] = fds[i];
		d.len[i] = len[i];
		d.map[i] = fds[i] < 0 ? MAP_FAILED :
			   mmap(NULL, len[i], PROT_READ, MAP_SHARED, fds[i], 0);
	}
	check(qbuf_all(&d), "QBUF of the exported DMA-BUFs");
	/* the cable pull before made the bridge forget its timings */
	check(follow_source(c, c->sfd, true) == 0, "S_DV_TIMINGS 1080p50 again");
	t0 = now_us(CLOCK_MONOTONIC);
	check(stream(c->vfd, true) == 0, "STREAMON with imported DMA-BUFs");
	check_frames(&d, &geo, 4, c->g->lanes == 2 ? 50 : 60, t0, "DMA-BUF import");
	stream(c->vfd, false);
	unmap_bufs(&d);
	reqbufs(&d, c->vfd, 0, V4L2_MEMORY_DMABUF);
	for (unsigned int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* A cable pull while streaming: frames stop and do not come back by themselves. */
static void test_signal_loss(Ctx *c, Bufs *b)
{
	struct v4l2_buffer vb;
	unsigned int after = 0;

	debugfs_write("signal", "nolink");
	sleep_ms(4 * POLL_MS + 200);
	while (dqbuf(b, 0, &vb) == 0)
		qbuf(b, vb.index);
	while (dqbuf(b, 500, &vb) == 0) {
		qbuf(b, vb.index);
		after++;
	}
	check(after == 0, "no frames after the cable is pulled (the bridge stops its stream)");
	debugfs_write("signal", "ok");
	sleep_ms(4 * POLL_MS);
	check(dqbuf(b, 500, &vb) == -EAGAIN,
	      "the signal back alone restarts nothing (the bridge waits for s_stream)");
}

static void test_pi5(Ctx *c)
{
	Bufs b = { 0 };
	struct v4l2_capability cap = { 0 };
	struct v4l2_event ev;

	test_cfe_topology(c);
	check(xioctl(c->vfd, VIDIOC_QUERYCAP, &cap) == 0 && !strcmp((char *)cap.driver, "rp1-cfe") &&
	      (cap.device_caps & V4L2_CAP_IO_MC) && (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
	      (cap.device_caps & V4L2_CAP_META_CAPTURE) && !(cap.device_caps & V4L2_CAP_READWRITE),
	      "ch0 QUERYCAP: rp1-cfe, VIDEO_CAPTURE | META_CAPTURE | IO_MC | STREAMING");
	test_cfe_csi2_propagation(c);
	if (c->g->lanes == 2) {
		test_edid(c, c->sfd, true, "bridge subdev");
		test_signal(c, c->sfd, true, "bridge subdev");
		check(subscribe(c->vfd, V4L2_EVENT_SOURCE_CHANGE, 0) == 0,
		      "ch0 accepts a SOURCE_CHANGE subscription");
		drain_events(c->vfd);
		check(source_change(c, "timings", "1280x720@60", c->sfd),
		      "source to 720p60: SOURCE_CHANGE on the bridge subdev");
		check(xioctl(c->vfd, VIDIOC_DQEVENT, &ev) == -ENOENT,
		      "but none on ch0 (cfe_notify skips registered nodes)");
		source_change(c, "timings", "1920x1080@60", c->sfd);
	}
	test_cfe_stream(c, &b);
	if (c->g->lanes == 2) {
		test_signal_loss(c, &b);
		test_cfe_dmabuf(c, &b);
		return;
	}
	stream(c->vfd, false);
	unmap_bufs(&b);
	reqbufs(&b, c->vfd, 0, V4L2_MEMORY_MMAP);
}

/* ------------------------------------------------------------- Pi 4 */

static void test_unicam_topology(Ctx *c)
{
	Media *m = &c->m;

	for (unsigned int i = 0; i < m->topo.num_entities; i++)
		note("entity %u: %s (function 0x%x)", i, m->ents[i].name, m->ents[i].function);
	check(m->topo.num_entities == 2 && !strcmp(m->ents[0].name, c->bridge) &&
	      m->ents[0].function == MEDIA_ENT_F_VID_IF_BRIDGE &&
	      !strcmp(m->ents[1].name, "unicam-image") &&
	      m->ents[1].function == MEDIA_ENT_F_IO_V4L,
	      "entities: %s then unicam-image (no unicam-embedded: one bridge pad)", c->bridge);
	check(link_flags(m, c->bridge, 0, "unicam-image", 0) ==
	      (MEDIA_LNK_FL_ENABLED | MEDIA_LNK_FL_IMMUTABLE),
	      "%s:0 -> unicam-image:0 is IMMUTABLE | ENABLED", c->bridge);
}

static void test_ro_subdev(Ctx *c)
{
	struct v4l2_subdev_capability sc = { 0 };
	struct v4l2_dv_timings t = { 0 };
	guint8 edid[256];
	struct v4l2_edid e = { .blocks = 2, .edid = edid };
	bool ro = !c->g->mc;

	check(xioctl(c->sfd, VIDIOC_SUBDEV_QUERYCAP, &sc) == 0 &&
	      !!(sc.capabilities & V4L2_SUBDEV_CAP_RO_SUBDEV) == ro,
	      "bridge subdev QUERYCAP %s V4L2_SUBDEV_CAP_RO_SUBDEV", ro ? "has" : "lacks");
	if (!ro)
		return;
	check(set_code(c->sfd, 0, 1920, 1080, MEDIA_BUS_FMT_UYVY8_1X16,
		       V4L2_SUBDEV_FORMAT_ACTIVE) == -EPERM,
	      "read-only subdev: S_FMT ACTIVE is EPERM");
	check(set_code(c->sfd, 0, 1920, 1080, MEDIA_BUS_FMT_UYVY8_1X16,
		       V4L2_SUBDEV_FORMAT_TRY) == 0,
	      "read-only subdev: S_FMT TRY is allowed");
	query_timings(c->sfd, true, &t);
	check(xioctl(c->sfd, VIDIOC_SUBDEV_S_DV_TIMINGS, &t) == -EPERM,
	      "read-only subdev: S_DV_TIMINGS is EPERM");
	make_edid(edid, 2);
	check(xioctl(c->sfd, VIDIOC_SUBDEV_S_EDID, &e) == 0,
	      "read-only subdev: S_EDID is not restricted by the 6.12 core");
}

static void test_legacy_node(Ctx *c)
{
	struct v4l2_capability cap = { 0 };
	struct v4l2_input in = { 0 };
	int power = -1;

	check(xioctl(c->vfd, VIDIOC_QUERYCAP, &cap) == 0 && !strcmp((char *)cap.driver, "unicam") &&
	      !(cap.device_caps & V4L2_CAP_IO_MC) && (cap.device_caps & V4L2_CAP_READWRITE),
	      "legacy QUERYCAP: unicam, READWRITE, no IO_MC");
	check(xioctl(c->vfd, VIDIOC_ENUMINPUT, &in) == 0 &&
	      in.capabilities == V4L2_IN_CAP_DV_TIMINGS && !strcmp((char *)in.name, "Camera 0") &&
	      in.status == 0, "legacy ENUMINPUT: Camera 0 with DV timings and a signal");
	check(g_ctrl(c->vfd, V4L2_CID_DV_RX_POWER_PRESENT, &power) == 0 && power == 1,
	      "legacy: the bridge's POWER_PRESENT control is on the video node");
	check(g_ctrl(c->vfd, TC358743_CID_AUDIO_PRESENT, &power) == 0,
	      "legacy: so is TC358743_CID_AUDIO_PRESENT");
	test_edid(c, c->vfd, false, "legacy video node");
	test_signal(c, c->vfd, false, "legacy video node");
	check(subscribe(c->vfd, V4L2_EVENT_SOURCE_CHANGE, 0) == 0 &&
	      source_change(c, "timings", "1280x720@60", c->vfd),
	      "legacy: source to 720p60, SOURCE_CHANGE on the video node");
	source_change(c, "timings", "1920x1080@60", c->vfd);
}

static void test_unicam_stream(Ctx *c)
{
	const Graph *g = c->g;
	struct v4l2_format vf = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_subdev_format sf;
	Geometry geo;
	Bufs b = { 0 };
	gint64 t0;
	int r;

	if (!g->mc) {
		check(follow_source(c, c->vfd, false) == 0,
		      "legacy: S_DV_TIMINGS 1080p60 through the video node");
		check(set_video_fmt(c->vfd, 1920, 1080, V4L2_PIX_FMT_UYVY, &vf) == 0 &&
		      vf.fmt.pix.bytesperline == 3840 && vf.fmt.pix.width == 1920,
		      "legacy S_FMT UYVY: 1920x1080, bytesperline 3840 (aligned to 32)");
		check(bridge_get_fmt(c, &sf) && sf.format.code == MEDIA_BUS_FMT_UYVY8_1X16 &&
		      sf.format.colorspace == V4L2_COLORSPACE_SMPTE170M,
		      "legacy S_FMT set the bridge to UYVY8_1X16 (SMPTE170M)");
		r = reqbufs(&b, c->vfd, 1, V4L2_MEMORY_MMAP);
		check(r == 0 && b.count >= 3, "REQBUFS 1 gives %u buffers", b.count);
		map_bufs(&b);
		qbuf_all(&b);
		check(stream(c->vfd, true) == -EINVAL,
		      "1080p60 UYVY needs 3 lanes: STREAMON is EINVAL on 2 lanes");
		check(source_change(c, "timings", "1920x1080@50", c->vfd),
		      "source to 1080p50: SOURCE_CHANGE on the video node");
		stream(c->vfd, false);
		unmap_bufs(&b);
		reqbufs(&b, c->vfd, 0, V4L2_MEMORY_MMAP);
		check(follow_source(c, c->vfd, false) == 0,
		      "legacy: S_DV_TIMINGS 1080p50 through the video node");
		check(xioctl(c->vfd, VIDIOC_G_FMT, &vf) == 0 && vf.fmt.pix.width == 1920 &&
		      vf.fmt.pix.pixelformat == V4L2_PIX_FMT_UYVY,
		      "legacy G_FMT follows the bridge");
		geo = (Geometry){ 1920, 1080, 3840, false };
	} else {
		check(follow_source(c, c->sfd, true) == 0 &&
		      set_code(c->sfd, 0, 1920, 1080, MEDIA_BUS_FMT_UYVY8_1X16,
			       V4L2_SUBDEV_FORMAT_ACTIVE) == 0 &&
		      set_video_fmt(c->vfd, 1920, 1080, V4L2_PIX_FMT_UYVY, &vf) == 0,
		      "MC: 1080p60 UYVY on the subdev and the video node");
		reqbufs(&b, c->vfd, 3, V4L2_MEMORY_MMAP);
		qbuf_all(&b);
		check(stream(c->vfd, true) == -EINVAL,
		      "1080p60 UYVY needs 3 lanes: STREAMON is EINVAL on 2 lanes");
		reqbufs(&b, c->vfd, 0, V4L2_MEMORY_MMAP);
		check(debugfs_write("timings", "1280x720@60"), "source to 720p60");
		sleep_ms(4 * POLL_MS);
		check(follow_source(c, c->sfd, true) == 0, "S_DV_TIMINGS 720p60 on the subdev");
		check(set_code(c->sfd, 0, 1280, 720, MEDIA_BUS_FMT_RGB888_1X24,
			       V4L2_SUBDEV_FORMAT_ACTIVE) == 0 &&
		      bridge_get_fmt(c, &sf) && sf.format.colorspace == V4L2_COLORSPACE_SRGB,
		      "MC: S_FMT RGB888_1X24 on the read-write subdev (SRGB)");
		check(set_video_fmt(c->vfd, 1280, 720, V4L2_PIX_FMT_UYVY, &vf) == 0,
		      "MC: S_FMT UYVY on the video node (the bridge sends RGB)");
		r = reqbufs(&b, c->vfd, 1, V4L2_MEMORY_MMAP);
		check(r == 0 && b.count >= 3, "REQBUFS 1 gives %u buffers", b.count);
		map_bufs(&b);
		qbuf_all(&b);
		check(stream(c->vfd, true) == -EINVAL,
		      "MC: STREAMON is EINVAL when the node's format differs from the bridge's");
		unmap_bufs(&b);
		reqbufs(&b, c->vfd, 0, V4L2_MEMORY_MMAP);
		check(set_video_fmt(c->vfd, 1280, 720, V4L2_PIX_FMT_RGB24, &vf) == 0 &&
		      vf.fmt.pix.bytesperline == 3840,
		      "MC: S_FMT RGB24 1280x720, bytesperline 3840");
		geo = (Geometry){ 1280, 720, 3840, true };
	}
	reqbufs(&b, c->vfd, 4, V4L2_MEMORY_MMAP);
	map_bufs(&b);
	qbuf_all(&b);
	t0 = now_us(CLOCK_MONOTONIC);
	check(stream(c->vfd, true) == 0, "STREAMON %s", g->mc ? "720p60 RGB24" : "1080p50 UYVY");
	check_frames(&b, &geo, 8, g->mc ? 60 : 50, t0, g->mc ? "RGB24 720p" : "UYVY 1080p");
	if (g->mc) {
		FILE *f = fopen("/sys/module/pi_fake_board/parameters/max_fps", "w");

		struct v4l2_buffer vb;

		if (f) {
			fputs("10", f);
			fclose(f);
		}
		sleep_ms(250);
		while (dqbuf(&b, 0, &vb) == 0)
			qbuf(&b, vb.index);
		check_frames(&b, &geo, 4, 10, 0, "max_fps=10");
		f = fopen("/sys/module/pi_fake_board/parameters/max_fps", "w");
		if (f) {
			fputs("0", f);
			fclose(f);
		}
	}
	stream(c->vfd, false);
	unmap_bufs(&b);
	reqbufs(&b, c->vfd, 0, V4L2_MEMORY_MMAP);
}

/* The audio controls follow the source, after the next poll. */
static void test_audio(Ctx *c)
{
	int rate = -1, present = -1;

	check(!debugfs_write("timings", "1234x567@89"),
	      "debugfs timings refuses a mode that is no preset");
	check(debugfs_write("audio", "48000"), "debugfs audio 48000");
	sleep_ms(3 * POLL_MS);
	check(g_ctrl(c->sfd, TC358743_CID_AUDIO_SAMPLING_RATE, &rate) == 0 && rate == 48000 &&
	      g_ctrl(c->sfd, TC358743_CID_AUDIO_PRESENT, &present) == 0 && present == 1,
	      "audio sampling rate 48000 and audio present 1 after the poll");
	debugfs_write("audio", "none");
}

static void test_pi4(Ctx *c)
{
	struct v4l2_capability cap = { 0 };

	test_unicam_topology(c);
	if (c->g->mc) {
		check(xioctl(c->vfd, VIDIOC_QUERYCAP, &cap) == 0 &&
		      (cap.device_caps & V4L2_CAP_IO_MC) && (cap.device_caps & V4L2_CAP_READWRITE),
		      "MC QUERYCAP: IO_MC, READWRITE");
		check(xioctl(c->vfd, VIDIOC_QUERY_DV_TIMINGS, &(struct v4l2_dv_timings){ 0 }) ==
		      -ENOTTY, "MC: no DV-timings ioctls on the video node");
		check(subscribe(c->vfd, V4L2_EVENT_SOURCE_CHANGE, 0) == 0 &&
		      source_change(c, "timings", "1280x720@50", c->vfd),
		      "MC: a source change reaches unicam-image too (unicam_notify)");
		source_change(c, "timings", "1920x1080@60", c->vfd);
		test_audio(c);
	} else {
		test_legacy_node(c);
	}
	test_unicam_stream(c);
}

/* ------------------------------------------------------------- a graph */

static void test_bridge_subdev(Ctx *c)
{
	struct v4l2_subdev_format f;
	struct v4l2_subdev_mbus_code_enum mc = { .which = V4L2_SUBDEV_FORMAT_ACTIVE };
	struct v4l2_dv_timings_cap cap = { 0 };
	struct v4l2_queryctrl qc = { .id = V4L2_CID_DV_RX_POWER_PRESENT };
	guint32 codes[3] = { 0 };
	int v = -1;

	check(bridge_get_fmt(c, &f) && f.format.code == MEDIA_BUS_FMT_RGB888_1X24 &&
	      f.format.width == 640 && f.format.height == 480 &&
	      f.format.field == V4L2_FIELD_NONE && f.format.colorspace == V4L2_COLORSPACE_SRGB,
	      "bridge G_FMT: RGB888_1X24 640x480 (probe's 640x480p59.94), SRGB, field NONE");
	for (mc.index = 0; mc.index < 3; mc.index++)
		if (xioctl(c->sfd, VIDIOC_SUBDEV_ENUM_MBUS_CODE, &mc) == 0)
			codes[mc.index] = mc.code;
	check(codes[0] == MEDIA_BUS_FMT_RGB888_1X24 && codes[1] == MEDIA_BUS_FMT_UYVY8_1X16 &&
	      !codes[2], "bridge ENUM_MBUS_CODE: RGB888_1X24, UYVY8_1X16");
	memset(&f, 0, sizeof(f));
	f.which = V4L2_SUBDEV_FORMAT_TRY;
	f.format.code = MEDIA_BUS_FMT_UYVY8_1X16;
	f.format.width = 100;
	check(xioctl(c->sfd, VIDIOC_SUBDEV_S_FMT, &f) == 0 &&
	      f.format.code == MEDIA_BUS_FMT_UYVY8_1X16 && f.format.width == 640 &&
	      f.format.colorspace == V4L2_COLORSPACE_SMPTE170M && !f.format.quantization,
	      "bridge S_FMT TRY UYVY: size from the timings, SMPTE170M, quantization untouched");
	check(xioctl(c->sfd, VIDIOC_SUBDEV_DV_TIMINGS_CAP, &cap) == 0 &&
	      cap.bt.max_width == 1920 && cap.bt.max_height == 1200 &&
	      cap.bt.max_pixelclock == 165000000, "bridge DV_TIMINGS_CAP: 1920x1200, 165 MHz");
	check(xioctl(c->sfd, VIDIOC_QUERYCTRL, &qc) == 0 &&
	      (qc.flags & V4L2_CTRL_FLAG_READ_ONLY) &&
	      g_ctrl(c->sfd, V4L2_CID_DV_RX_POWER_PRESENT, &v) == 0 && v == 1,
	      "bridge V4L2_CID_DV_RX_POWER_PRESENT: read-only, 1 with a cable");
	qc.id = TC358743_CID_AUDIO_SAMPLING_RATE;
	check(xioctl(c->sfd, VIDIOC_QUERYCTRL, &qc) == 0 &&
	      (qc.flags & V4L2_CTRL_FLAG_READ_ONLY), "bridge has the audio sampling rate control");
	qc.id = V4L2_CID_LINK_FREQ;
	check(xioctl(c->sfd, VIDIOC_QUERYCTRL, &qc) == -EINVAL,
	      "bridge has no V4L2_CID_LINK_FREQ (as the driver)");
	check(subscribe(c->sfd, V4L2_EVENT_SOURCE_CHANGE, 0) == 0,
	      "bridge subdev accepts SOURCE_CHANGE subscriptions");
}

static bool load_graph(Ctx *c)
{
	const Graph *g = c->g;
	char tc_params[64];

	snprintf(tc_params, sizeof(tc_params), "poll_interval_ms=%d", POLL_MS);
	if (!check(load("pi-fake-board", g->board) == 0, "insmod pi-fake-board %s", g->board) ||
	    !check(load(g->receiver, "") == 0, "insmod %s (waits for the bridge)", g->receiver) ||
	    !check(load("tc358743-fake", tc_params) == 0, "insmod tc358743-fake"))
		return false;
	c->node = g->pi5 ? "rp1-cfe-csi2_ch0" : "unicam-image";
	snprintf(c->bridge, sizeof(c->bridge), "tc358743 %d-000f", g->bus);
	if (!check(open_media(&c->m, g->model, c->node),
		   "media device \"%s\" with %s once the bridge binds", g->model, c->node))
		return false;
	check(!strcmp(c->m.info.bus_info, g->bus_info), "media bus_info %s", g->bus_info);
	if (!check(entity_named(&c->m, c->bridge) != NULL,
		   "the bridge entity is \"%s\" (I2C bus %d, address 0x0f)", c->bridge, g->bus))
		return false;
	if (!check(entity_devnode(&c->m, c->node, c->video, sizeof(c->video)) &&
		   entity_devnode(&c->m, c->bridge, c->subdev, sizeof(c->subdev)),
		   "device nodes %s and %s", c->video, c->subdev))
		return false;
	c->vfd = open(c->video, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	c->sfd = open(c->subdev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return check(c->vfd >= 0 && c->sfd >= 0, "open the capture and bridge nodes");
}

static void unload_graph(Ctx *c)
{
	bool gone = true;

	if (c->vfd >= 0)
		close(c->vfd);
	if (c->sfd >= 0)
		close(c->sfd);
	if (c->m.fd >= 0)
		close(c->m.fd);
	/* The receiver first: registering the bridge's subdev took a
	 * reference on tc358743-fake (v4l2_device_register_subdev). */
	check(unload(c->g->rx_module) == 0 && unload("tc358743_fake") == 0 &&
	      unload("pi_fake_board") == 0, "rmmod %s, tc358743-fake, pi-fake-board",
	      c->g->receiver);
	for (int i = 0; i < 16; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/dev/media%d", i);
		if (access(path, F_OK) == 0) {
			Media m;

			m.fd = open(path, O_RDWR | O_CLOEXEC);
			if (m.fd >= 0 && !xioctl(m.fd, MEDIA_IOC_DEVICE_INFO, &m.info) &&
			    !strcmp(m.info.model, c->g->model))
				gone = false;
			if (m.fd >= 0)
				close(m.fd);
		}
	}
	check(gone, "no %s media device left", c->g->model);
}

static void run_graph(const Graph *g)
{
	static Ctx c;

	memset(&c, 0, sizeof(c));
	c.g = g;
	c.vfd = c.sfd = c.m.fd = -1;
	graph_name = g->name;
	kmsg_mark(g->name);
	if (load_graph(&c)) {
		test_bridge_subdev(&c);
		test_ro_subdev(&c);
		if (g->pi5)
			test_pi5(&c);
		else
			test_pi4(&c);
	}
	unload_graph(&c);
	check(kmsg_has(g->name, "tc358743 found @ 0x1e"),
	      "kernel log: \"tc358743 found @ 0x1e\" (the 8-bit address, as the driver)");
	if (g->lanes == 2)
		check(kmsg_has(g->name, "Device has requested 3 data lanes, which is >2 configured in DT"),
		      "kernel log: the receiver's lane refusal message");
	if (g->pi5)
		check(kmsg_has(g->name, "Unable to determine sensor link rate, using 999 Mbps"),
		      "kernel log: rp1-cfe finds no link frequency on the tc358743 (999 Mbps)");
	check(kmsg_clean(g->name), "kernel log: no warning, bug or oops");
}

static const Graph graphs[] = {
	{ "pi5-2lane", "model=pi5 lanes=2 cam=1", "rp1-cfe-fake", "rp1_cfe_fake", "rp1-cfe",
	  "platform:1f00128000.csi", 11, 2, true, true },
	{ "pi5-4lane-cam0", "model=pi5 lanes=4 cam=0", "rp1-cfe-fake", "rp1_cfe_fake", "rp1-cfe",
	  "platform:1f00110000.csi", 10, 4, true, true },
	{ "pi4-mc", "model=pi4 lanes=2 cam=1 media_controller=1", "unicam-fake", "unicam_fake",
	  "unicam", "platform:fe801000.csi", 10, 2, false, true },
	{ "pi4-legacy", "model=pi4 lanes=2 cam=1", "unicam-fake", "unicam_fake", "unicam",
	  "platform:fe801000.csi", 10, 2, false, false },
};

int main(int argc, char **argv)
{
	const char *only = getenv("PI_CAPTURE_GRAPH");

	(void)argc;
	(void)argv;
	for (unsigned int i = 0; i < G_N_ELEMENTS(graphs); i++)
		if (!only || !strcmp(only, graphs[i].name))
			run_graph(&graphs[i]);
	printf("1..%u\n", checks);
	return failures ? 1 : 0;
}
