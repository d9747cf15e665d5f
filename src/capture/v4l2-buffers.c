/* SPDX-License-Identifier: GPL-3.0-or-later */
/* MMAP capture buffers, made with VIDIOC_CREATE_BUFS large enough for an
 * encoder that wants 16-line aligned planes, each exported once as a
 * DMA-BUF (VIDIOC_EXPBUF) so an M2M encoder can import it without a CPU
 * copy, and mapped read-only
 * for CPU consumers.  A dequeued buffer travels as an HdmirtcFrame; its
 * last unref (any thread) marks it in an atomic mask and wakes the
 * capture's context, where a GSource requeues it: no allocation and no
 * lock per frame, and QBUF only ever runs on the capture thread. */
#include "v4l2-private.h"
#include "hdmirtc/gsource.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_BUFFERS 32

typedef struct {
	HdmirtcFrame frame;
	HdmirtcV4l2Buffers *set;
	guint index;
	guint8 *map;
	gsize map_len;
	int dmabuf_fd;
} V4l2Buf;

typedef struct {
	GSource base;
	HdmirtcV4l2Buffers *set;
} RequeueSource;

struct HdmirtcV4l2Buffers {
	gatomicrefcount ref;
	HdmirtcV4l2Device *dev;         /* the owner's; used only while live */
	HdmirtcV4l2Format fmt;
	GMainContext *ctx;
	GSource *requeue;
	gint live;                      /* atomic: the owner still streams this set */
	guint pending;                  /* atomic bitmask of buffers to requeue */
	guint count;
	V4l2Buf bufs[MAX_BUFFERS];
};

static void set_unref(HdmirtcV4l2Buffers *set)
{
	if (!g_atomic_ref_count_dec(&set->ref))
		return;
	for (guint i = 0; i < set->count; i++) {
		if (set->bufs[i].map)
			munmap(set->bufs[i].map, set->bufs[i].map_len);
		if (set->bufs[i].dmabuf_fd >= 0)
			close(set->bufs[i].dmabuf_fd);
	}
	g_main_context_unref(set->ctx);
	g_free(set);
}

/* Any thread. */
static void on_frame_released(HdmirtcFrame *frame, gpointer user_data)
{
	V4l2Buf *b = user_data;
	HdmirtcV4l2Buffers *set = b->set;

	if (g_atomic_int_get(&set->live)) {
		g_atomic_int_or(&set->pending, 1u << b->index);
		g_main_context_wakeup(set->ctx);
	}
	set_unref(set);
}

static int queue_buffer(HdmirtcV4l2Buffers *set, guint index)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer vb = { .type = set->dev->buf_type, .memory = V4L2_MEMORY_MMAP,
	                          .index = index };

	if (set->dev->mplane) {
		vb.m.planes = &plane;
		vb.length = 1;
	}
	return hdmirtc_v4l2_ioctl(set->dev->fd, VIDIOC_QBUF, &vb);
}

static gboolean requeue_prepare(GSource *source, gint *timeout)
{
	*timeout = -1;
	return g_atomic_int_get(&((RequeueSource *)source)->set->pending) != 0;
}

static gboolean requeue_check(GSource *source)
{
	return g_atomic_int_get(&((RequeueSource *)source)->set->pending) != 0;
}

static gboolean requeue_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	HdmirtcV4l2Buffers *set = ((RequeueSource *)source)->set;
	guint mask = (guint)g_atomic_int_and(&set->pending, 0);

	for (guint i = 0; i < set->count; i++) {
		int r;

		if (!(mask & (1u << i)) || !g_atomic_int_get(&set->live))
			continue;
		r = queue_buffer(set, i);
		if (r < 0)
			g_warning("%s: requeue of buffer %u failed: %s", set->dev->path, i, g_strerror(-r));
	}
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs requeue_funcs = {
	.prepare = requeue_prepare,
	.check = requeue_check,
	.dispatch = requeue_dispatch,
};

static int request_buffers(HdmirtcV4l2Device *dev, guint count)
{
	struct v4l2_requestbuffers req = { .count = count, .type = dev->buf_type,
	                                   .memory = V4L2_MEMORY_MMAP };
	int r = hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_REQBUFS, &req);

	return r < 0 ? r : (int)req.count;
}

/* Some M2M encoders (vicodec) size their input for the height rounded up
 * to 16 and refuse a smaller DMA-BUF: 1080 lines need the room of 1088.
 * bcm2835-codec takes the height as it is; 8 spare lines cost it nothing. */
static guint32 aligned_sizeimage(const HdmirtcV4l2Format *fmt)
{
	guint64 lines = ((guint64)fmt->height + 15) & ~(guint64)15;
	guint64 size = (guint64)fmt->bytesperline * lines;

	if (fmt->drm_fourcc == DRM_FORMAT_YUV420)
		size = size * 3 / 2;
	return (guint32)MIN(MAX(size, (guint64)fmt->sizeimage), G_MAXUINT32);
}

/* VIDIOC_CREATE_BUFS with the aligned size; REQBUFS (the driver's size)
 * when the driver has no CREATE_BUFS.  Count, or -errno. */
static int create_buffers(HdmirtcV4l2Device *dev, const HdmirtcV4l2Format *fmt, guint count)
{
	struct v4l2_create_buffers cb = { .count = count, .memory = V4L2_MEMORY_MMAP };
	guint32 size = aligned_sizeimage(fmt);
	int r;

	(void)request_buffers(dev, 0);
	cb.format.type = dev->buf_type;
	r = hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_G_FMT, &cb.format);
	if (r == 0 && dev->mplane) {
		if (cb.format.fmt.pix_mp.num_planes != 1)
			return request_buffers(dev, count);
		cb.format.fmt.pix_mp.plane_fmt[0].sizeimage =
			MAX(size, cb.format.fmt.pix_mp.plane_fmt[0].sizeimage);
	} else if (r == 0) {
		cb.format.fmt.pix.sizeimage = MAX(size, cb.format.fmt.pix.sizeimage);
	}
	if (r == 0)
		r = hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_CREATE_BUFS, &cb);
	if (r == -ENOTTY || r == -EINVAL)
		return request_buffers(dev, count);
	if (r == 0 && cb.index != 0) {
		(void)request_buffers(dev, 0);
		return -EBUSY;
	}
	return r < 0 ? r : (int)cb.count;
}

static int map_and_export(HdmirtcV4l2Buffers *set, V4l2Buf *b)
{
	HdmirtcV4l2Device *dev = set->dev;
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer vb = { .type = dev->buf_type, .memory = V4L2_MEMORY_MMAP, .index = b->index };
	struct v4l2_exportbuffer exp = { .type = dev->buf_type, .index = b->index,
	                                 .flags = O_RDONLY | O_CLOEXEC };
	off_t offset;
	int r;

	if (dev->mplane) {
		vb.m.planes = &plane;
		vb.length = 1;
	}
	r = hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_QUERYBUF, &vb);
	if (r < 0)
		return r;
	b->map_len = dev->mplane ? plane.length : vb.length;
	offset = dev->mplane ? plane.m.mem_offset : vb.m.offset;
	b->map = mmap(NULL, b->map_len, PROT_READ, MAP_SHARED, dev->fd, offset);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return -errno;
	}
	r = hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_EXPBUF, &exp);
	if (r < 0)
		return r;
	b->dmabuf_fd = exp.fd;
	return 0;
}

HdmirtcV4l2Buffers *hdmirtc_v4l2_buffers_new(HdmirtcV4l2Device *dev, const HdmirtcV4l2Format *fmt,
                                             guint count, GMainContext *ctx, GError **error)
{
	HdmirtcV4l2Buffers *set = g_new0(HdmirtcV4l2Buffers, 1);
	int r = create_buffers(dev, fmt, MIN(count, MAX_BUFFERS));

	g_atomic_ref_count_init(&set->ref);
	set->dev = dev;
	set->fmt = *fmt;
	set->ctx = g_main_context_ref(ctx);
	if (r < 2) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
		            "%s: VIDIOC_CREATE_BUFS/REQBUFS(%u): %s", dev->path, count,
		            r < 0 ? g_strerror(-r) : "too few buffers");
		set_unref(set);
		return NULL;
	}
	set->count = MIN((guint)r, MAX_BUFFERS);
	for (guint i = 0; i < set->count; i++) {
		set->bufs[i].set = set;
		set->bufs[i].index = i;
		set->bufs[i].dmabuf_fd = -1;
	}
	for (guint i = 0; i < set->count; i++) {
		r = map_and_export(set, &set->bufs[i]);
		if (r < 0) {
			g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
			            "%s: buffer %u: mmap/VIDIOC_EXPBUF: %s", dev->path, i, g_strerror(-r));
			hdmirtc_v4l2_buffers_stop(set);
			return NULL;
		}
	}
	return set;
}

int hdmirtc_v4l2_buffers_start(HdmirtcV4l2Buffers *set)
{
	int type = (int)set->dev->buf_type;
	RequeueSource *rs;
	int r;

	for (guint i = 0; i < set->count; i++) {
		r = queue_buffer(set, i);
		if (r < 0)
			return r;
	}
	rs = (RequeueSource *)g_source_new(&requeue_funcs, sizeof(RequeueSource));
	rs->set = set;
	set->requeue = &rs->base;
	hdmirtc_source_attach_high(set->requeue, NULL, NULL, set->ctx);
	g_atomic_int_set(&set->live, 1);
	return hdmirtc_v4l2_ioctl(set->dev->fd, VIDIOC_STREAMON, &type);
}

void hdmirtc_v4l2_buffers_stop(HdmirtcV4l2Buffers *set)
{
	int type;

	if (!set)
		return;
	type = (int)set->dev->buf_type;
	g_atomic_int_set(&set->live, 0);
	hdmirtc_source_clear(&set->requeue);
	(void)hdmirtc_v4l2_ioctl(set->dev->fd, VIDIOC_STREAMOFF, &type);
	/* vb2 orphans buffers that are still mapped or exported: they stay
	 * valid in the frames that hold them. */
	(void)request_buffers(set->dev, 0);
	set->dev = NULL;
	set_unref(set);
}

guint hdmirtc_v4l2_buffers_count(HdmirtcV4l2Buffers *set)
{
	return set->count;
}

static void fill_frame(HdmirtcV4l2Buffers *set, V4l2Buf *b, const struct v4l2_buffer *vb)
{
	HdmirtcFrame *f = &b->frame;
	const HdmirtcV4l2Format *fmt = &set->fmt;
	gint64 ts = (gint64)vb->timestamp.tv_sec * G_USEC_PER_SEC + vb->timestamp.tv_usec;
	gint64 now = g_get_monotonic_time();

	hdmirtc_frame_init(f, on_frame_released, b);
	f->width = fmt->width;
	f->height = fmt->height;
	f->fourcc = fmt->drm_fourcc;
	f->dmabuf_fd = b->dmabuf_fd;
	f->seq = vb->sequence;
	f->data[0] = b->map;
	f->stride[0] = fmt->bytesperline;
	f->n_planes = 1;
	if (fmt->drm_fourcc == DRM_FORMAT_YUV420) {
		gsize luma = (gsize)fmt->bytesperline * fmt->height;

		f->n_planes = 3;
		f->stride[1] = f->stride[2] = fmt->bytesperline / 2;
		f->data[1] = b->map + luma;
		f->data[2] = b->map + luma + (gsize)f->stride[1] * ((fmt->height + 1) / 2);
	}
	/* Drivers stamp CLOCK_MONOTONIC, the clock of g_get_monotonic_time(). */
	if ((vb->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC ||
	    ts <= 0 || ts > now)
		ts = now;
	f->capture_mono_us = ts;
	f->capture_wall_us = g_get_real_time() - (now - ts);
}

int hdmirtc_v4l2_buffers_dequeue(HdmirtcV4l2Buffers *set, HdmirtcFrame **frame)
{
	HdmirtcV4l2Device *dev = set->dev;
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer vb = { .type = dev->buf_type, .memory = V4L2_MEMORY_MMAP };
	int r;

	*frame = NULL;
	if (dev->mplane) {
		vb.m.planes = &plane;
		vb.length = 1;
	}
	r = hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_DQBUF, &vb);
	if (r < 0)
		return r;
	if (vb.index >= set->count)
		return -EIO;
	if (vb.flags & V4L2_BUF_FLAG_ERROR) {
		/* A corrupted frame (e.g. the signal dropped mid-frame). */
		(void)queue_buffer(set, vb.index);
		return -EAGAIN;
	}
	fill_frame(set, &set->bufs[vb.index], &vb);
	g_atomic_ref_count_inc(&set->ref);
	*frame = &set->bufs[vb.index].frame;
	return 0;
}
