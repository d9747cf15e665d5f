/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Kernel tests of the DRM/KMS sequence a zero-copy local display will use,
 * with two real drivers in the QEMU VM of tests/kernel/run.sh:
 *   vkms   (built there, loaded here with enable_writeback=1): a CRTC, a
 *          primary plane, a Virtual connector and a writeback connector;
 *   vivid  (HDMI input, loaded at boot, multiplanar API): the capture
 *          buffers, exported as DMA-BUF.
 * Rules checked, in the order the display meets them:
 *   - the client caps ATOMIC, UNIVERSAL_PLANES and WRITEBACK_CONNECTORS
 *     are granted and the first opener is (or becomes) DRM master;
 *   - the Virtual connector is connected with a preferred mode, and one
 *     CRTC serves it and the writeback connector (encoders'
 *     possible_crtcs); the primary plane takes XRGB8888;
 *   - vivid captures V4L2 XBGR32, whose memory (B, G, R, X) is DRM's
 *     XRGB8888, at a size of one of the connector's modes: vkms's planes
 *     do not scale (DRM_PLANE_NO_SCALING), so sizes are chosen equal;
 *   - a vivid buffer's DMA-BUF imports (drmPrimeFDToHandle), becomes a
 *     framebuffer (drmModeAddFB2, the V4L2 bytesperline as pitch) and is
 *     scanned out by one atomic commit with ALLOW_MODESET;
 *   - vkms's writeback connector composes that scan-out into a dumb
 *     buffer (WRITEBACK_FB_ID, its out fence polled) whose pixels equal
 *     the capture buffer's: the CRTC scans out the capture buffer itself,
 *     no copy.  This kernel's vkms cannot put the writeback connector
 *     beside the Virtual one (6.12.y checks that a CRTC's encoders are
 *     each other's possible_clones, and vkms's are not), so it takes the
 *     CRTC alone, which is a modeset;
 *   - a nonblocking page flip with PAGE_FLIP_EVENT to another capture
 *     buffer, the writeback connector left attached without a
 *     framebuffer, delivers its event, and a second nonblocking commit
 *     while the first is pending fails with EBUSY (the display drops
 *     frames on that instead of queueing them); a writeback then, with
 *     no modeset, shows the flipped-to buffer;
 *   - everything is released and vkms unloads.
 * Findings that are neither pass nor fail (where the writeback connector
 * may go and what attaching or detaching it needs, whether planes scale)
 * are TAP comments "# finding: ...", with the kernel's reason of a
 * refusal (drm.debug is on meanwhile).
 * TAP: one "ok N - ..." line a check on stdout (--tap is accepted for
 * run.sh), "# ..." details. */
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#define VKMS_KO "/mnt/host/modules/vkms.ko"
#define VKMS_PARAMS "enable_writeback=1"
#define NBUFS 4
#define WAIT_MS 10000                   /* TCG is slow */
#define CAP_MP V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
#define PATTERN 0x5a                    /* what the writeback buffer holds before a writeback */

/* ------------------------------------------------------------------ TAP */

static unsigned int checks, failures;

static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (!ok)
		failures++;
	printf("%sok %u - ", ok ? "" : "not ", checks);
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

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* "0" or the errno's name of a 0-or-minus-errno result. */
static const char *ename(int r)
{
	const char *n = r ? strerrorname_np(-r) : "0";

	return n ? n : "unknown error";
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* TRUE once fd is readable, within ms. */
static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r > 0 && (p.revents & POLLIN);
}

static const char *fourcc_str(uint32_t f, char buf[5])
{
	for (int i = 0; i < 4; i++)
		buf[i] = (char)(f >> (8 * i));
	buf[4] = 0;
	return buf;
}

/* ------------------------------------------------------------------ the kernel's reasons */

/* With drm.debug's CORE, KMS and ATOMIC messages on, the kernel says why
 * it refused a commit; /dev/kmsg, read on from where it ended before the
 * commit, gives the messages of that commit alone. */
#define DRM_DEBUG_MASK "0x17"
static int kmsg = -1;
static char reason[256];                /* of the last refused commit, "" if none */

static void drm_debug(const char *mask)
{
	int fd = open("/sys/module/drm/parameters/debug", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, mask, strlen(mask)) < 0)
		note("drm.debug %s: %s", mask, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void kmsg_mark(void)
{
	if (kmsg < 0)
		kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
}

/* The first refusal among the messages since kmsg_mark(): the deepest
 * check that failed comes before the summaries ("atomic driver check
 * ... failed") of the callers. */
static void kmsg_reason(void)
{
	static const char *const words[] = { "failed", "requires", "mismatch", "Invalid", "incompatible",
		                             "missing", "busy", "off" };
	char rec[4096];
	ssize_t n;

	reason[0] = 0;
	while (kmsg >= 0 && ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE))) {
		char *msg = n > 0 ? strchr(rec, ';') : NULL, *end, *func;

		if (!msg || reason[0])
			continue;               /* (EPIPE: overwritten records) */
		rec[n] = 0;
		if ((end = strchr(msg, '\n')))
			*end = 0;
		/* "[drm:function [module]] text": the text after the function */
		if ((func = strstr(msg, "]] ")))
			msg = func + 2;
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (strstr(msg, words[w])) {
				snprintf(reason, sizeof(reason), "%s", msg + 1);
				break;
			}
	}
}

/* ------------------------------------------------------------------ vkms module */

static int load_vkms(void)
{
	int fd = open(VKMS_KO, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, VKMS_PARAMS, 0) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* The last close of the device may still be finishing: retry a while. */
static int unload_vkms(void)
{
	for (int i = 0; i < 50; i++) {
		if (syscall(SYS_delete_module, "vkms", O_NONBLOCK) == 0)
			return 0;
		if (errno != EBUSY && errno != EAGAIN)
			return -errno;
		usleep(100 * 1000);
	}
	return -EBUSY;
}

/* ------------------------------------------------------------------ the display side */

typedef struct {
	int32_t x, y;
	uint32_t w, h;
} Rect;

typedef struct {
	int fd;
	char path[32];
	drmModeConnectorPtr virt;       /* the Virtual connector, its modes */
	uint32_t crtc, conn, wb, plane;
	int crtc_index;
	drmModeModeInfo mode;
	uint32_t mode_blob;
} Kms;

typedef struct {
	uint32_t handle, pitch, fb;
	uint64_t size;
	uint8_t *map;
} Dumb;

/* The id of object obj's property called name (0: none) and its value;
 * any object type (DRM_MODE_OBJECT_ANY). */
static uint32_t prop_id(int fd, uint32_t obj, const char *name, uint64_t *value)
{
	drmModeObjectPropertiesPtr props = drmModeObjectGetProperties(fd, obj, DRM_MODE_OBJECT_ANY);
	uint32_t id = 0;

	for (uint32_t i = 0; props && i < props->count_props && !id; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd, props->props[i]);

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

/* Property ids by object and name, looked up once: a request is built of
 * many, and the flip pair below must reach the kernel back to back. */
static struct {
	uint32_t obj, id;
	const char *name;               /* a string literal */
} ids[64];
static unsigned int n_ids;

static uint32_t cached_prop_id(int fd, uint32_t obj, const char *name)
{
	uint32_t id;

	for (unsigned int i = 0; i < n_ids; i++)
		if (ids[i].obj == obj && strcmp(ids[i].name, name) == 0)
			return ids[i].id;
	id = prop_id(fd, obj, name, NULL);
	if (id && n_ids < sizeof(ids) / sizeof(ids[0])) {
		ids[n_ids].obj = obj;
		ids[n_ids].id = id;
		ids[n_ids++].name = name;
	}
	return id;
}

/* An atomic request built by property names; a missing property makes
 * the commit fail with ENOENT instead of silently meaning less. */
typedef struct {
	Kms *k;
	drmModeAtomicReqPtr req;
	bool bad;
} Req;

static Req request(Kms *k)
{
	return (Req){ k, drmModeAtomicAlloc(), false };
}

static void add(Req *r, uint32_t obj, const char *name, uint64_t value)
{
	uint32_t id = cached_prop_id(r->k->fd, obj, name);

	if (!id || !r->req || drmModeAtomicAddProperty(r->req, obj, id, value) < 0) {
		note("object %u: no property %s", obj, name);
		r->bad = true;
	}
}

/* 0 or -errno (then the kernel's reason in reason[]); frees the request. */
static int commit(Req *r, uint32_t flags, void *user_data)
{
	int rc = -ENOENT;

	kmsg_mark();
	if (!r->bad && drmModeAtomicCommit(r->k->fd, r->req, flags, user_data) == 0)
		rc = 0;
	else if (!r->bad)
		rc = -errno;
	reason[0] = 0;
	if (rc)
		kmsg_reason();
	drmModeAtomicFree(r->req);
	return rc;
}

/* A result that is neither pass nor fail, with the kernel's reason. */
static void finding(const char *what, int r)
{
	note("finding: %s: %s%s%s%s", what, r ? "refused, " : "accepted", r ? ename(r) : "",
	     r && reason[0] ? " - kernel: " : "", r ? reason : "");
}

/* src (w x h) fitted into dst (w x h), aspect kept, centred. */
static Rect fit(uint32_t sw, uint32_t sh, uint32_t dw, uint32_t dh)
{
	Rect r;

	if ((uint64_t)sw * dh > (uint64_t)sh * dw) {
		r.w = dw;
		r.h = (uint32_t)((uint64_t)sh * dw / sw);
	} else {
		r.h = dh;
		r.w = (uint32_t)((uint64_t)sw * dh / sh);
	}
	r.x = (int32_t)(dw - r.w) / 2;
	r.y = (int32_t)(dh - r.h) / 2;
	return r;
}

/* The primary plane shows fb (sw x sh) in dst of the CRTC. */
static void add_plane(Req *r, uint32_t fb, uint32_t sw, uint32_t sh, const Rect *dst)
{
	Kms *k = r->k;

	add(r, k->plane, "FB_ID", fb);
	add(r, k->plane, "CRTC_ID", k->crtc);
	add(r, k->plane, "SRC_X", 0);
	add(r, k->plane, "SRC_Y", 0);
	add(r, k->plane, "SRC_W", (uint64_t)sw << 16);  /* 16.16 fixed point */
	add(r, k->plane, "SRC_H", (uint64_t)sh << 16);
	add(r, k->plane, "CRTC_X", (uint64_t)(int64_t)dst->x);
	add(r, k->plane, "CRTC_Y", (uint64_t)(int64_t)dst->y);
	add(r, k->plane, "CRTC_W", dst->w);
	add(r, k->plane, "CRTC_H", dst->h);
}

static bool open_vkms(Kms *k)
{
	for (int i = 0; i < 16; i++) {
		snprintf(k->path, sizeof(k->path), "/dev/dri/card%d", i);
		int fd = open(k->path, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			continue;
		drmVersionPtr v = drmGetVersion(fd);
		bool ours = v && strcmp(v->name, "vkms") == 0;

		if (v)
			drmFreeVersion(v);
		if (ours) {
			k->fd = fd;
			return true;
		}
		close(fd);
	}
	return false;
}

static bool set_caps(Kms *k)
{
	int a = drmSetClientCap(k->fd, DRM_CLIENT_CAP_ATOMIC, 1) ? -errno : 0;
	int u = drmSetClientCap(k->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ? -errno : 0;
	/* granted only to atomic clients: after ATOMIC */
	int w = drmSetClientCap(k->fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1) ? -errno : 0;
	bool ok = check(!a && !u && !w, "client caps ATOMIC (%s), UNIVERSAL_PLANES (%s), "
	                "WRITEBACK_CONNECTORS (%s)", ename(a), ename(u), ename(w));
	int was = drmIsMaster(k->fd);
	int m = drmSetMaster(k->fd) ? -errno : 0;

	return check(!m && drmIsMaster(k->fd), "drmSetMaster (%s; master already as first opener: %s)",
	             ename(m), was ? "yes" : "no") && ok;
}

/* The CRTCs (bits of their index) the connector's encoders can drive. */
static uint32_t connector_crtcs(int fd, drmModeConnectorPtr c)
{
	uint32_t mask = 0;

	for (int i = 0; i < c->count_encoders; i++) {
		drmModeEncoderPtr e = drmModeGetEncoder(fd, c->encoders[i]);

		if (e) {
			mask |= e->possible_crtcs;
			drmModeFreeEncoder(e);
		}
	}
	return mask;
}

static const drmModeModeInfo *preferred_mode(drmModeConnectorPtr c)
{
	for (int i = 0; i < c->count_modes; i++)
		if (c->modes[i].type & DRM_MODE_TYPE_PREFERRED)
			return &c->modes[i];
	return NULL;
}

/* The Virtual and the writeback connector, and a CRTC both can use. */
static bool find_outputs(Kms *k)
{
	drmModeResPtr res = drmModeGetResources(k->fd);
	uint32_t virt_crtcs = 0, wb_crtcs = 0;

	if (!check(res != NULL, "drmModeGetResources"))
		return false;
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(k->fd, res->connectors[i]);

		if (!c)
			continue;
		if (c->connector_type == DRM_MODE_CONNECTOR_VIRTUAL && !k->virt) {
			k->virt = c;
			k->conn = c->connector_id;
			virt_crtcs = connector_crtcs(k->fd, c);
			continue;
		}
		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK && !k->wb) {
			k->wb = c->connector_id;
			wb_crtcs = connector_crtcs(k->fd, c);
		}
		drmModeFreeConnector(c);
	}
	const drmModeModeInfo *pref = k->virt ? preferred_mode(k->virt) : NULL;

	check(k->virt && k->virt->connection == DRM_MODE_CONNECTED && pref,
	      "the Virtual connector %u: connected, %d modes, preferred %s", k->conn,
	      k->virt ? k->virt->count_modes : 0, pref ? pref->name : "none");
	check(k->wb != 0, "the Writeback connector %u is listed (WRITEBACK_CONNECTORS cap)", k->wb);
	for (int i = 0; i < res->count_crtcs && !k->crtc; i++)
		if (virt_crtcs & wb_crtcs & (1u << i)) {
			k->crtc = res->crtcs[i];
			k->crtc_index = i;
		}
	check(k->crtc != 0, "a CRTC both connectors can use: %u (possible_crtcs 0x%x and 0x%x)", k->crtc,
	      virt_crtcs, wb_crtcs);
	drmModeFreeResources(res);
	return pref && k->wb && k->crtc;
}

/* "XR24/LINEAR AR24/LINEAR ..." from the plane's IN_FORMATS blob. */
static void in_formats(Kms *k, char *out, size_t len)
{
	uint64_t blob_id = 0;
	drmModePropertyBlobPtr blob;
	drmModeFormatModifierIterator it = { 0 };
	size_t n = 0;
	char f[5];

	out[0] = 0;
	if (!prop_id(k->fd, k->plane, "IN_FORMATS", &blob_id) || !blob_id ||
	    !(blob = drmModeGetPropertyBlob(k->fd, (uint32_t)blob_id))) {
		snprintf(out, len, "(no IN_FORMATS)");
		return;
	}
	while (drmModeFormatModifierBlobIterNext(blob, &it) && n < len) {
		char *mod = drmGetFormatModifierName(it.mod);

		n += (size_t)snprintf(out + n, len - n, "%s%s/%s", n ? " " : "", fourcc_str(it.fmt, f),
		                      mod ? mod : "?");
		free(mod);
	}
	drmModeFreePropertyBlob(blob);
}

/* The CRTC's primary plane; reports its formats. */
static bool find_primary_plane(Kms *k)
{
	drmModePlaneResPtr pr = drmModeGetPlaneResources(k->fd);
	bool xrgb = false;
	char list[256] = "", mods[1024], f[5];

	for (uint32_t i = 0; pr && i < pr->count_planes && !k->plane; i++) {
		drmModePlanePtr p = drmModeGetPlane(k->fd, pr->planes[i]);
		uint64_t type = 0;

		if (p && (p->possible_crtcs & (1u << k->crtc_index)) &&
		    prop_id(k->fd, p->plane_id, "type", &type) && type == DRM_PLANE_TYPE_PRIMARY) {
			k->plane = p->plane_id;
			for (uint32_t j = 0; j < p->count_formats; j++) {
				xrgb |= p->formats[j] == DRM_FORMAT_XRGB8888;
				size_t n = strlen(list);

				snprintf(list + n, sizeof(list) - n, "%s%s", j ? " " : "",
				         fourcc_str(p->formats[j], f));
			}
		}
		drmModeFreePlane(p);
	}
	drmModeFreePlaneResources(pr);
	if (!check(k->plane != 0, "the CRTC's primary plane: %u", k->plane))
		return false;
	in_formats(k, mods, sizeof(mods));
	note("primary plane %u formats: %s", k->plane, list);
	note("primary plane %u IN_FORMATS: %s", k->plane, mods);
	return check(xrgb, "the primary plane takes XRGB8888 (V4L2 XBGR32's memory layout)");
}

static bool setup_display(Kms *k)
{
	drmVersionPtr v;

	if (!check(open_vkms(k), "vkms's DRM node found by drmGetVersion name \"vkms\": %s", k->path))
		return false;
	v = drmGetVersion(k->fd);
	if (v) {
		note("%s: %s %d.%d.%d (%s)", k->path, v->name, v->version_major, v->version_minor,
		     v->version_patchlevel, v->desc);
		drmFreeVersion(v);
	}
	return set_caps(k) && find_outputs(k) && find_primary_plane(k);
}

/* A dumb buffer of the mode's size as an XRGB8888 framebuffer, mapped. */
static bool create_dumb(Kms *k, Dumb *d)
{
	struct drm_mode_create_dumb c = { .width = k->mode.hdisplay, .height = k->mode.vdisplay, .bpp = 32 };
	struct drm_mode_map_dumb m = { 0 };
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	int r = drmIoctl(k->fd, DRM_IOCTL_MODE_CREATE_DUMB, &c) ? -errno : 0;

	if (!check(!r, "DRM_IOCTL_MODE_CREATE_DUMB %ux%u 32 bpp (%s; pitch %u, size %llu)", c.width, c.height,
	           ename(r), c.pitch, (unsigned long long)c.size))
		return false;
	d->handle = m.handle = handles[0] = c.handle;
	d->pitch = pitches[0] = c.pitch;
	d->size = c.size;
	r = drmModeAddFB2(k->fd, c.width, c.height, DRM_FORMAT_XRGB8888, handles, pitches, offsets, &d->fb,
	                  0) ? -errno : 0;
	if (!check(!r, "drmModeAddFB2 XRGB8888 on the dumb buffer (%s)", ename(r)))
		return false;
	r = drmIoctl(k->fd, DRM_IOCTL_MODE_MAP_DUMB, &m) ? -errno : 0;
	d->map = r ? MAP_FAILED
	           : mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, (off_t)m.offset);
	if (d->map == MAP_FAILED)
		d->map = NULL;
	return check(d->map != NULL, "the dumb buffer maps (%s)", ename(r ? r : d->map ? 0 : -errno));
}

/* ------------------------------------------------------------------ the capture side */

typedef struct {
	uint8_t *map;
	size_t len;
	int dmabuf;
	uint32_t handle, fb;            /* its DRM import */
} CapBuf;

typedef struct {
	int fd;
	char node[32];
	uint32_t width, height, stride;
	CapBuf buf[NBUFS];
	unsigned int count;
	int a, b;                       /* the two buffers taken from the driver */
	/* what the tests after this one find again */
	struct v4l2_dv_timings saved_timings;
	bool have_timings;
	struct v4l2_control saved_mode;  /* id 0: not changed */
} Vivid;

static bool open_vivid(Vivid *v)
{
	for (int i = 0; i < 64; i++) {
		struct v4l2_capability cap = { 0 };

		snprintf(v->node, sizeof(v->node), "/dev/video%d", i);
		int fd = open(v->node, O_RDWR | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (xioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 && strcmp((char *)cap.driver, "vivid") == 0 &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE)) {
			v->fd = fd;
			return true;
		}
		close(fd);
	}
	return false;
}

/* vivid's HDMI input with its own timings (not left "no signal" or
 * "selected" by an earlier test), so frames carry its colour bars; the
 * mode it had is kept to be restored. */
static int vivid_signal_current(Vivid *v)
{
	struct v4l2_query_ext_ctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };

	while (xioctl(v->fd, VIDIOC_QUERY_EXT_CTRL, &q) == 0) {
		if (strcmp(q.name, "DV Timings Signal Mode") == 0) {
			struct v4l2_control c = { .id = q.id, .value = 0 };      /* current timings */
			int r;

			v->saved_mode.id = q.id;
			if ((r = xioctl(v->fd, VIDIOC_G_CTRL, &v->saved_mode)))
				v->saved_mode.id = 0;
			return r ? r : xioctl(v->fd, VIDIOC_S_CTRL, &c);
		}
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return -ENOENT;
}

/* vivid's first progressive DV timings of w x h. */
static int vivid_timings(Vivid *v, uint32_t w, uint32_t h)
{
	for (uint32_t i = 0; i < 256; i++) {
		struct v4l2_enum_dv_timings e = { .index = i };

		if (xioctl(v->fd, VIDIOC_ENUM_DV_TIMINGS, &e) < 0)
			break;
		if (e.timings.bt.width == w && e.timings.bt.height == h && !e.timings.bt.interlaced)
			return xioctl(v->fd, VIDIOC_S_DV_TIMINGS, &e.timings);
	}
	return -ENOENT;
}

static const drmModeModeInfo *connector_mode(drmModeConnectorPtr c, uint32_t w, uint32_t h)
{
	const drmModeModeInfo *pref = preferred_mode(c);

	if (pref && pref->hdisplay == w && pref->vdisplay == h)
		return pref;
	for (int i = 0; i < c->count_modes; i++)
		if (c->modes[i].hdisplay == w && c->modes[i].vdisplay == h)
			return &c->modes[i];
	return NULL;
}

/* The connector's preferred size if vivid has timings of it, else 1280x720:
 * equal sizes, as vkms does not scale. */
static bool choose_size(Kms *k, Vivid *v)
{
	const drmModeModeInfo *pref = preferred_mode(k->virt);
	const uint32_t sizes[2][2] = { { pref->hdisplay, pref->vdisplay }, { 1280, 720 } };

	for (int i = 0; i < 2; i++) {
		const drmModeModeInfo *m = connector_mode(k->virt, sizes[i][0], sizes[i][1]);

		if (m && vivid_timings(v, sizes[i][0], sizes[i][1]) == 0) {
			k->mode = *m;
			return check(true, "vivid's timings and the connector's mode %s@%u agree", m->name,
			             m->vrefresh);
		}
	}
	return check(false, "vivid has timings of the connector's preferred mode or 1280x720");
}

static bool set_format(Vivid *v, uint32_t w, uint32_t h)
{
	struct v4l2_format f = { .type = CAP_MP };
	char got[5];
	int r;

	f.fmt.pix_mp.width = w;
	f.fmt.pix_mp.height = h;
	f.fmt.pix_mp.pixelformat = V4L2_PIX_FMT_XBGR32;
	f.fmt.pix_mp.field = V4L2_FIELD_NONE;
	f.fmt.pix_mp.num_planes = 1;
	r = xioctl(v->fd, VIDIOC_S_FMT, &f);
	v->width = f.fmt.pix_mp.width;
	v->height = f.fmt.pix_mp.height;
	v->stride = f.fmt.pix_mp.plane_fmt[0].bytesperline;
	return check(!r && f.fmt.pix_mp.pixelformat == V4L2_PIX_FMT_XBGR32 && v->width == w && v->height == h,
	             "vivid S_FMT XBGR32 %ux%u (%s: %s %ux%u, bytesperline %u, sizeimage %u)", w, h, ename(r),
	             fourcc_str(f.fmt.pix_mp.pixelformat, got), v->width, v->height, v->stride,
	             f.fmt.pix_mp.plane_fmt[0].sizeimage);
}

static int map_and_queue(Vivid *v, unsigned int i)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .index = i, .type = CAP_MP, .memory = V4L2_MEMORY_MMAP,
		                 .m.planes = &plane, .length = 1 };
	int r = xioctl(v->fd, VIDIOC_QUERYBUF, &b);

	if (r)
		return r;
	v->buf[i].len = plane.length;
	v->buf[i].map = mmap(NULL, plane.length, PROT_READ, MAP_SHARED, v->fd, plane.m.mem_offset);
	if (v->buf[i].map == MAP_FAILED) {
		v->buf[i].map = NULL;
		return -errno;
	}
	return xioctl(v->fd, VIDIOC_QBUF, &b);
}

static bool start_capture(Vivid *v)
{
	struct v4l2_requestbuffers rb = { .count = NBUFS, .type = CAP_MP, .memory = V4L2_MEMORY_MMAP };
	int r = xioctl(v->fd, VIDIOC_REQBUFS, &rb), type = CAP_MP;

	if (!check(!r && rb.count >= 2 && rb.count <= NBUFS, "vivid REQBUFS MMAP (%s, %u buffers)", ename(r),
	           rb.count))
		return false;
	v->count = rb.count;
	for (unsigned int i = 0; i < v->count && !r; i++)
		r = map_and_queue(v, i);
	if (!r)
		r = xioctl(v->fd, VIDIOC_STREAMON, &type);
	return check(!r, "vivid buffers mapped and queued, STREAMON (%s)", ename(r));
}

/* The index of a filled buffer, or -1. */
static int dequeue(Vivid *v)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = CAP_MP, .memory = V4L2_MEMORY_MMAP, .m.planes = &plane,
		                 .length = 1 };

	if (!readable(v->fd, WAIT_MS) || xioctl(v->fd, VIDIOC_DQBUF, &b) < 0)
		return -1;
	return (int)b.index;
}

static int export_buffer(Vivid *v, int i)
{
	struct v4l2_exportbuffer e = { .type = CAP_MP, .index = (uint32_t)i, .plane = 0,
		                       .flags = O_RDONLY | O_CLOEXEC };
	int r = xioctl(v->fd, VIDIOC_EXPBUF, &e);

	v->buf[i].dmabuf = r ? -1 : e.fd;
	return r;
}

/* Two filled buffers kept from the driver (so vivid does not write them
 * while they are shown), each exported as a DMA-BUF. */
static bool take_buffers(Vivid *v)
{
	int ra, rb;

	v->a = dequeue(v);
	v->b = v->a < 0 ? -1 : dequeue(v);
	if (!check(v->a >= 0 && v->b >= 0, "vivid fills two buffers (%d, %d)", v->a, v->b))
		return false;
	ra = export_buffer(v, v->a);
	rb = export_buffer(v, v->b);
	return check(!ra && !rb, "VIDIOC_EXPBUF: buffers %d and %d as DMA-BUF fds %d and %d (%s, %s)", v->a,
	             v->b, v->buf[v->a].dmabuf, v->buf[v->b].dmabuf, ename(ra), ename(rb));
}

static bool setup_capture(Kms *k, Vivid *v)
{
	int r;

	if (!check(open_vivid(v), "vivid's capture node found by VIDIOC_QUERYCAP driver \"vivid\": %s",
	           v->node))
		return false;
	v->have_timings = xioctl(v->fd, VIDIOC_G_DV_TIMINGS, &v->saved_timings) == 0;
	r = vivid_signal_current(v);
	if (r)
		note("vivid: DV Timings Signal Mode not set (%s)", ename(r));
	return choose_size(k, v) && set_format(v, k->mode.hdisplay, k->mode.vdisplay) && start_capture(v) &&
	       take_buffers(v);
}

/* ------------------------------------------------------------------ pixels */

/* Pixels of a w x h area whose B, G, R bytes differ (X is padding, which
 * vivid and vkms's writeback fill differently). */
static uint64_t differing(const uint8_t *a, uint32_t a_pitch, const uint8_t *b, uint32_t b_pitch,
                          uint32_t w, uint32_t h)
{
	uint64_t n = 0;

	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			n += memcmp(a + (size_t)y * a_pitch + 4 * x, b + (size_t)y * b_pitch + 4 * x, 3) != 0;
	return n;
}

/* Distinct colours (up to 16) of row y: equality of a flat picture would
 * prove little. */
static unsigned int colours(const uint8_t *p, uint32_t pitch, uint32_t w, uint32_t y)
{
	uint32_t seen[16];
	unsigned int n = 0;

	for (uint32_t x = 0; x < w && n < 16; x++) {
		uint32_t c = 0;
		unsigned int j = 0;

		memcpy(&c, p + (size_t)y * pitch + 4 * x, 3);
		while (j < n && seen[j] != c)
			j++;
		if (j == n)
			seen[n++] = c;
	}
	return n;
}

/* The writeback buffer's area under the plane against capture buffer i,
 * pixel for pixel: the sizes were chosen equal (vkms does not scale). */
static uint64_t wb_differs(const Kms *k, const Vivid *v, const Dumb *d, int i)
{
	Rect dst = fit(v->width, v->height, k->mode.hdisplay, k->mode.vdisplay);
	const uint8_t *wb = d->map + (size_t)dst.y * d->pitch + 4 * (size_t)dst.x;

	return differing(v->buf[i].map, v->stride, wb, d->pitch, dst.w, dst.h);
}

/* ------------------------------------------------------------------ scan-out */

static bool import_buffer(Kms *k, Vivid *v, int i)
{
	CapBuf *b = &v->buf[i];
	uint32_t handles[4] = { 0 }, pitches[4] = { v->stride }, offsets[4] = { 0 };
	int r = drmPrimeFDToHandle(k->fd, b->dmabuf, &b->handle) ? -errno : 0;

	if (!check(!r, "drmPrimeFDToHandle imports vivid buffer %d's DMA-BUF (%s, handle %u)", i, ename(r),
	           b->handle))
		return false;
	handles[0] = b->handle;
	r = drmModeAddFB2(k->fd, v->width, v->height, DRM_FORMAT_XRGB8888, handles, pitches, offsets, &b->fb,
	                  0) ? -errno : 0;
	return check(!r, "drmModeAddFB2 XRGB8888 %ux%u pitch %u on it (%s, fb %u)", v->width, v->height,
	             v->stride, ename(r), b->fb);
}

static bool modeset(Kms *k, Vivid *v)
{
	Rect dst = fit(v->width, v->height, k->mode.hdisplay, k->mode.vdisplay);
	int r = drmModeCreatePropertyBlob(k->fd, &k->mode, sizeof(k->mode), &k->mode_blob) ? -errno : 0;
	Req q = request(k);

	if (!check(!r, "the mode as a property blob (%s)", ename(r)))
		return false;
	add(&q, k->crtc, "MODE_ID", k->mode_blob);
	add(&q, k->crtc, "ACTIVE", 1);
	add(&q, k->conn, "CRTC_ID", k->crtc);
	add_plane(&q, v->buf[v->a].fb, v->width, v->height, &dst);
	r = commit(&q, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
	return check(!r, "one atomic commit with ALLOW_MODESET: mode %s, Virtual connector on CRTC %u, "
	             "primary plane shows vivid buffer %d at %d,%d %ux%u (%s)", k->mode.name, k->crtc, v->a,
	             dst.x, dst.y, dst.w, dst.h, ename(r));
}

/* vkms's planes do not scale; a display on other hardware may. */
static void probe_scaling(Kms *k, Vivid *v)
{
	Rect dst = fit(v->width, v->height, k->mode.hdisplay / 2, k->mode.vdisplay / 2);
	Req q = request(k);
	char what[96];
	int r;

	add_plane(&q, v->buf[v->a].fb, v->width, v->height, &dst);
	r = commit(&q, DRM_MODE_ATOMIC_TEST_ONLY, NULL);
	snprintf(what, sizeof(what), "the primary plane scaled from %ux%u to %ux%u (TEST_ONLY)", v->width,
	         v->height, dst.w, dst.h);
	finding(what, r);
}

/* ------------------------------------------------------------------ writeback */

/* TEST_ONLY: the Virtual connector on virt_crtc, the writeback connector
 * on wb_crtc with framebuffer fb (0: none; CRTCs 0: off). */
static int probe(Kms *k, uint32_t virt_crtc, uint32_t wb_crtc, uint32_t fb, uint32_t flags)
{
	Req q = request(k);

	add(&q, k->conn, "CRTC_ID", virt_crtc);
	add(&q, k->wb, "CRTC_ID", wb_crtc);
	add(&q, k->wb, "WRITEBACK_FB_ID", fb);
	return commit(&q, DRM_MODE_ATOMIC_TEST_ONLY | flags, NULL);
}

/* A blocking commit writing the CRTC's output into d, the Virtual
 * connector on virt_crtc; *fence: the writeback's out fence. */
static int writeback(Kms *k, Dumb *d, uint32_t virt_crtc, uint32_t flags, int32_t *fence)
{
	Req q = request(k);

	*fence = -1;
	memset(d->map, PATTERN, d->size);  /* what was there cannot pass for a writeback */
	add(&q, k->conn, "CRTC_ID", virt_crtc);
	add(&q, k->wb, "CRTC_ID", k->crtc);
	add(&q, k->wb, "WRITEBACK_FB_ID", d->fb);
	add(&q, k->wb, "WRITEBACK_OUT_FENCE_PTR", (uint64_t)(uintptr_t)fence);
	return commit(&q, flags, NULL);
}

/* Waits for the writeback's fence and compares with capture buffer i. */
static void check_written(Kms *k, Vivid *v, Dumb *d, int32_t fence, int i, const char *what)
{
	int64_t t0 = now_ms();
	bool done = fence >= 0 && readable(fence, WAIT_MS);
	uint64_t diff;

	check(done, "%s: the writeback's out fence (sync_file %d) signals (%lld ms)", what, fence,
	      (long long)(now_ms() - t0));
	if (fence >= 0)
		close(fence);
	if (!done)
		return;
	diff = wb_differs(k, v, d, i);
	check(diff == 0, "%s: the written-back picture equals vivid buffer %d's pixels "
	      "(%llu of %ux%u differ)", what, i, (unsigned long long)diff, v->width, v->height);
}

/* Where the writeback connector may go: beside the Virtual connector
 * (both encoders on one CRTC: clones), else alone on the CRTC; each with
 * and without ALLOW_MODESET.  Returns the Virtual connector's CRTC to
 * use with it (0: off) and in *flags what attaching needs. */
static uint32_t writeback_place(Kms *k, Dumb *d, uint32_t *flags)
{
	const uint32_t am = DRM_MODE_ATOMIC_ALLOW_MODESET;
	int r;

	finding("the writeback connector beside the Virtual connector, without ALLOW_MODESET",
	        probe(k, k->crtc, k->crtc, d->fb, 0));
	r = probe(k, k->crtc, k->crtc, d->fb, am);
	finding("the writeback connector beside the Virtual connector, with ALLOW_MODESET", r);
	if (!r) {
		*flags = probe(k, k->crtc, k->crtc, d->fb, 0) ? am : 0;
		return k->crtc;
	}
	r = probe(k, 0, k->crtc, d->fb, 0);
	finding("the writeback connector alone on the CRTC (Virtual connector off), without ALLOW_MODESET",
	        r);
	*flags = r ? am : 0;
	finding("the writeback connector alone on the CRTC (Virtual connector off), with ALLOW_MODESET",
	        probe(k, 0, k->crtc, d->fb, am));
	return 0;
}

static uint32_t writeback_checks(Kms *k, Vivid *v, Dumb *d)
{
	uint32_t flags, virt = writeback_place(k, d, &flags);
	int32_t fence;
	int r = writeback(k, d, virt, flags, &fence);

	check(!r && fence >= 0, "writeback connector %u on CRTC %u (%s) with a dumb buffer, "
	      "WRITEBACK_OUT_FENCE_PTR%s (%s)", k->wb, k->crtc, virt ? "beside the Virtual connector" :
	      "the Virtual connector off", flags ? " and ALLOW_MODESET" : "", ename(r));
	if (!r)
		check_written(k, v, d, fence, v->a, "first writeback");
	return virt;
}

/* ------------------------------------------------------------------ page flips */

static struct {
	unsigned int events;
	uint32_t crtc;
	uintptr_t tag;
	int64_t at_ms;
} flips;

static void on_flip(int fd, unsigned int seq, unsigned int sec, unsigned int usec, unsigned int crtc,
                    void *data)
{
	flips.events++;
	flips.crtc = crtc;
	flips.tag = (uintptr_t)data;
	flips.at_ms = now_ms();
}

/* Handles DRM events until n flips have been seen in all, within ms. */
static bool wait_flips(Kms *k, unsigned int n, int ms)
{
	drmEventContext ctx = { .version = 3, .page_flip_handler2 = on_flip };
	int64_t end = now_ms() + ms;

	while (flips.events < n) {
		int left = (int)(end - now_ms());

		if (left <= 0 || !readable(k->fd, left) || drmHandleEvent(k->fd, &ctx) != 0)
			return false;
	}
	return true;
}

/* The plane to capture buffer i, to be committed nonblocking. */
static Req flip_request(Kms *k, Vivid *v, int i)
{
	Rect dst = fit(v->width, v->height, k->mode.hdisplay, k->mode.vdisplay);
	Req q = request(k);

	add_plane(&q, v->buf[i].fb, v->width, v->height, &dst);
	return q;
}

/* A flip to buffer b at once followed by one back to a, both requests
 * built beforehand: the second meets the first pending unless a vblank
 * came between the two ioctls; then the pair is tried again. */
static void flip_checks(Kms *k, Vivid *v)
{
	const uint32_t nb = DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT;
	int first = 0, second = 0, tries;
	unsigned int base = 0;
	int64_t t0 = 0;

	for (tries = 1; tries <= 5; tries++) {
		Req to_b = flip_request(k, v, v->b), to_a = flip_request(k, v, v->a);

		base = flips.events;
		t0 = now_ms();
		first = commit(&to_b, nb, (void *)2);
		if (first) {
			drmModeAtomicFree(to_a.req);
			break;
		}
		second = commit(&to_a, nb, (void *)1);
		if (second)
			break;
		wait_flips(k, base + 2, WAIT_MS);
	}
	check(!first, "nonblocking page flip (ATOMIC_NONBLOCK | PAGE_FLIP_EVENT) to vivid buffer %d with the "
	      "writeback connector left attached and no WRITEBACK_FB_ID (%s)", v->b, ename(first));
	check(second == -EBUSY, "a second nonblocking commit while the flip is pending: %s (try %d)",
	      ename(second), tries);
	if (second)
		note("kernel on the second commit: %s", reason);
	bool got = !first && wait_flips(k, base + 1, WAIT_MS);

	check(got && flips.crtc == k->crtc && flips.tag == 2, "drmHandleEvent delivers the flip's event "
	      "(CRTC %u, user data %lu, %lld ms after the commit)", flips.crtc, (unsigned long)flips.tag,
	      (long long)(flips.at_ms - t0));
}

/* After the flip: a writeback needs no modeset now that the connector is
 * attached, and it shows the flipped-to buffer. */
static void second_writeback(Kms *k, Vivid *v, Dumb *d, uint32_t virt)
{
	int32_t fence;
	int r;

	finding("the attached writeback connector named with WRITEBACK_FB_ID 0 (TEST_ONLY)",
	        probe(k, virt, k->crtc, 0, 0));
	finding("detaching the writeback connector without ALLOW_MODESET (TEST_ONLY)",
	        probe(k, virt, 0, 0, 0));
	r = writeback(k, d, virt, 0, &fence);
	check(!r && fence >= 0, "a writeback of the attached connector without ALLOW_MODESET (%s)", ename(r));
	if (!r)
		check_written(k, v, d, fence, v->b, "writeback after the flip");
	note("vivid buffers %d and %d differ in %llu pixels", v->a, v->b,
	     (unsigned long long)differing(v->buf[v->a].map, v->stride, v->buf[v->b].map, v->stride, v->width,
	                                   v->height));
}

/* ------------------------------------------------------------------ teardown */

static void display_off(Kms *k)
{
	Req q = request(k);
	int r;

	add(&q, k->plane, "FB_ID", 0);
	add(&q, k->plane, "CRTC_ID", 0);
	add(&q, k->wb, "CRTC_ID", 0);
	add(&q, k->conn, "CRTC_ID", 0);
	add(&q, k->crtc, "ACTIVE", 0);
	add(&q, k->crtc, "MODE_ID", 0);
	r = commit(&q, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
	check(!r, "everything off in one commit (%s)", ename(r));
}

static void release_display(Kms *k, Vivid *v, Dumb *d)
{
	int r = 0;

	if (k->fd < 0)
		return;
	if (k->mode_blob)
		display_off(k);
	for (unsigned int i = 0; i < v->count; i++) {
		if (v->buf[i].fb && drmModeRmFB(k->fd, v->buf[i].fb))
			r = -errno;
		if (v->buf[i].handle && drmCloseBufferHandle(k->fd, v->buf[i].handle))
			r = -errno;
	}
	if (d->fb && drmModeRmFB(k->fd, d->fb))
		r = -errno;
	if (d->map)
		munmap(d->map, d->size);
	if (d->handle) {
		struct drm_mode_destroy_dumb dd = { .handle = d->handle };

		if (drmIoctl(k->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd))
			r = -errno;
	}
	if (k->mode_blob && drmModeDestroyPropertyBlob(k->fd, k->mode_blob))
		r = -errno;
	check(!r, "rmfb, imported and dumb handles closed, mode blob destroyed (%s)", ename(r));
	if (k->virt)
		drmModeFreeConnector(k->virt);
	close(k->fd);
}

static void release_capture(Vivid *v)
{
	int type = CAP_MP, off, freed, restored;
	struct v4l2_requestbuffers rb = { .count = 0, .type = CAP_MP, .memory = V4L2_MEMORY_MMAP };

	if (v->fd < 0)
		return;
	off = v->count ? xioctl(v->fd, VIDIOC_STREAMOFF, &type) : 0;
	for (unsigned int i = 0; i < v->count; i++) {
		if (v->buf[i].map)
			munmap(v->buf[i].map, v->buf[i].len);
		if (v->buf[i].dmabuf >= 0)
			close(v->buf[i].dmabuf);
	}
	/* refused while anything (an mmap, a DMA-BUF, vkms's import) holds a buffer */
	freed = xioctl(v->fd, VIDIOC_REQBUFS, &rb);
	check(!off && !freed, "vivid STREAMOFF (%s) and its buffers freed (REQBUFS 0: %s)", ename(off),
	      ename(freed));
	/* the tests after this one expect vivid as they left it */
	restored = v->have_timings ? xioctl(v->fd, VIDIOC_S_DV_TIMINGS, &v->saved_timings) : 0;
	if (!restored && v->saved_mode.id)
		restored = xioctl(v->fd, VIDIOC_S_CTRL, &v->saved_mode);
	check(!restored, "vivid's DV timings (%ux%u) and signal mode (%d) restored (%s)",
	      v->saved_timings.bt.width, v->saved_timings.bt.height, v->saved_mode.value, ename(restored));
	close(v->fd);
}

/* ------------------------------------------------------------------ main */

static void run(Kms *k, Vivid *v, Dumb *d)
{
	uint32_t virt;
	unsigned int n;

	if (!setup_display(k) || !setup_capture(k, v))
		return;
	n = colours(v->buf[v->a].map, v->stride, v->width, v->height / 2);
	check(n >= 2, "vivid's picture is not flat: %u colours in buffer %d's middle row", n, v->a);
	if (!import_buffer(k, v, v->a) || !import_buffer(k, v, v->b) || !modeset(k, v))
		return;
	probe_scaling(k, v);
	if (!create_dumb(k, d))
		return;
	virt = writeback_checks(k, v, d);
	flip_checks(k, v);
	second_writeback(k, v, d, virt);
}

int main(int argc, char **argv)
{
	Kms k = { .fd = -1 };
	Vivid v = { .fd = -1 };
	Dumb d = { 0 };
	int r = load_vkms();

	for (int i = 0; i < NBUFS; i++)
		v.buf[i].dmabuf = -1;
	if (r == -EEXIST) {             /* left by an earlier run: without writeback, maybe */
		unload_vkms();
		r = load_vkms();
	}
	if (check(!r, "insmod %s %s (%s)", VKMS_KO, VKMS_PARAMS, ename(r))) {
		drm_debug(DRM_DEBUG_MASK);
		run(&k, &v, &d);
		release_display(&k, &v, &d);
		release_capture(&v);
		drm_debug("0");
		r = unload_vkms();
		check(!r, "rmmod vkms (%s)", ename(r));
	}
	if (kmsg >= 0)
		close(kmsg);
	printf("1..%u\n", checks);
	return failures ? 1 : 0;
}
