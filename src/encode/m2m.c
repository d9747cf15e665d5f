/* SPDX-License-Identifier: GPL-3.0-or-later */
/* V4L2 M2M stateful encoder.  Capture DMA-BUFs are imported on the OUTPUT
 * queue (no copy of the picture), and each coded frame is copied out of its
 * CAPTURE buffer, which goes straight back to the driver.  Access units
 * used to be views of the CAPTURE buffers; but every viewer's NACK history
 * keeps the packets of the last ~1.5 s (45 frames at 5 Mbit/s), so 6
 * buffers ran out after 6 frames and the encoder stalled (found by the
 * bcm2835-codec stand-in).  A coded frame is a few tens of kilobytes: its
 * copy is counted in bytes_copied like x264's.  A frame's reference is
 * kept until the driver hands its OUTPUT buffer back (it may still be
 * reading it after the coded data came out).
 * An imported buffer is read with the encoder's bytesperline, not the
 * capture's: bcm2835-codec rounds UYVY lines up to 64 bytes, and a
 * 720-pixel line captured at 1440 bytes would come out sheared.  So a
 * frame whose stride the encoder does not take is refused, never encoded.
 * Frames without a DMA-BUF (the NO SIGNAL picture, I420 in memory) are
 * copied into MMAP OUTPUT buffers: a counted copy, once a second.
 * Nothing here waits for the driver while streaming: the media thread also
 * runs the capture and its NO SIGNAL timer, and a VPU that stalls (a
 * firmware hang, a busy ISP) must not stall them.  encode() queues the
 * frame, or drops it when every OUTPUT buffer is still with the driver;
 * coded data is taken in the device fd's source on the media thread's
 * context, as the driver hands it back, and frames are released there
 * (capture's rule: its buffers go back to the driver on the media thread). */
#include "m2m-private.h"
#include "hdmirtc/gsource.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_OUT 8
#define MAX_CODED 16
#define PENDING 16
#define DRAIN_MS 2000                   /* at free only; TCG VMs are slow, hardware ~10 ms */
#define STALL_WARN_US (1 * G_USEC_PER_SEC)

/* An mmap'ed MMAP buffer. */
typedef struct {
	guint8 *map;
	gsize len;
} MappedBuf;

/* A frame queued on OUTPUT whose coded data has not all come out. */
typedef struct {
	gboolean queued;
	guint64 pts;
	guint64 seq;
	gint64 mono_us;
	gint64 wall_us;
	gint64 queued_us;               /* the encode start of its AU */
	guint64 bytes_copied;           /* 0 for imported DMA-BUFs */
} PendingFrame;

typedef struct {
	HdmirtcEncoder base;
	char *device;
	guint32 coded;
	guint n_out, n_coded;
	HdmirtcM2mDevice dev;
	gboolean streaming;
	guint32 raw;                    /* V4L2 fourcc of the OUTPUT queue */
	guint32 memory;                 /* V4L2_MEMORY_DMABUF or _MMAP on OUTPUT */
	guint32 stride;                 /* bytesperline of the frames queued */
	guint32 out_bytesperline;       /* what the encoder reads with */
	guint32 out_sizeimage;
	MappedBuf out_maps[MAX_OUT];     /* MMAP OUTPUT buffers (CPU frames are copied in) */
	HdmirtcFrame *in_flight[MAX_OUT];
	int last_fd[MAX_OUT];            /* DMA-BUF last queued on each OUTPUT buffer, -1 none */
	MappedBuf coded_bufs[MAX_CODED];  /* mmap'ed CAPTURE buffers */
	guint n_coded_mapped;
	guint64 next_pts;               /* from 1: timestamp 0 is the driver's "unknown" */
	/* The coded frame being gathered: parameter sets the encoder sent in
	 * a buffer of their own (kernels before raspberrypi/linux PR #6253:
	 * on port enable, timestamp 0), then the pieces of the frame of
	 * coded_pts (0 = none yet): a frame larger than a CAPTURE buffer
	 * continues in the next ones, and the piece that does not fill its
	 * buffer is the last. */
	GByteArray *coded_frame;
	guint64 coded_pts;
	gboolean coded_key;
	PendingFrame pending[PENDING];
	guint n_pending;
	GSource *watch;                 /* the device fd, while streaming */
	gboolean broken;                /* the queues failed: set up again */
	gboolean gone;                  /* the device was unregistered: for good */
	gboolean idr_owed;              /* a keyframe was asked for on a dropped frame */
	gint64 stalled_since;           /* first frame dropped for want of room; 0 = none */
	guint64 dropped_in_stall;
	gboolean stall_warned;
	gboolean warned_frame;
} M2mEncoder;

static M2mEncoder *from_base(HdmirtcEncoder *enc)
{
	return (M2mEncoder *)((char *)enc - G_STRUCT_OFFSET(M2mEncoder, base));
}

/* The device fd as a source of the media thread's context (below). */
static void start_watch(M2mEncoder *m);
static void stop_watch(M2mEncoder *m);

/* A buffer of queue type for QBUF/DQBUF/QUERYBUF, with its one plane
 * linked in on a multi-planar device. */
static void buffer_init(const M2mEncoder *m, struct v4l2_buffer *b, struct v4l2_plane *plane,
                        guint32 type, guint32 memory, guint index)
{
	*plane = (struct v4l2_plane){ 0 };
	*b = (struct v4l2_buffer){ .type = type, .memory = memory, .index = index };
	if (m->dev.mplane) {
		b->m.planes = plane;
		b->length = 1;
	}
}

static int queue_coded(M2mEncoder *m, guint index)
{
	struct v4l2_plane plane;
	struct v4l2_buffer b;

	buffer_init(m, &b, &plane, m->dev.cap_type, V4L2_MEMORY_MMAP, index);
	return hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_QBUF, &b);
}

static int request(HdmirtcM2mDevice *dev, guint32 type, guint32 memory, guint count)
{
	struct v4l2_requestbuffers req = { .count = count, .type = type, .memory = memory };
	int r = hdmirtc_v4l2_ioctl(dev->fd, VIDIOC_REQBUFS, &req);

	return r < 0 ? r : (int)req.count;
}

/* QUERYBUF + mmap of MMAP buffer index of queue type into *map. */
static int map_buffer(M2mEncoder *m, guint32 type, guint i, int prot, MappedBuf *map)
{
	struct v4l2_plane plane;
	struct v4l2_buffer b;
	int r;

	buffer_init(m, &b, &plane, type, V4L2_MEMORY_MMAP, i);
	r = hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_QUERYBUF, &b);
	if (r < 0)
		return r;
	map->len = m->dev.mplane ? plane.length : b.length;
	map->map = mmap(NULL, map->len, prot, MAP_SHARED, m->dev.fd,
	                m->dev.mplane ? plane.m.mem_offset : b.m.offset);
	if (map->map == MAP_FAILED) {
		map->map = NULL;
		return -errno;
	}
	return 0;
}

static int map_coded(M2mEncoder *m, guint i)
{
	int r = map_buffer(m, m->dev.cap_type, i, PROT_READ, &m->coded_bufs[i]);

	if (r < 0)
		return r;
	m->n_coded_mapped = i + 1;
	return queue_coded(m, i);
}

static int coded_buffers_new(M2mEncoder *m)
{
	int r = request(&m->dev, m->dev.cap_type, V4L2_MEMORY_MMAP, MIN(m->n_coded, MAX_CODED));

	if (r <= 0)
		return r < 0 ? r : -ENOMEM;
	for (guint i = 0; i < MIN((guint)r, MAX_CODED); i++) {
		int e = map_coded(m, i);

		if (e < 0)
			return e;
	}
	return 0;
}

static void teardown(M2mEncoder *m)
{
	int out = (int)m->dev.out_type, cap = (int)m->dev.cap_type;

	m->base.reconfigured = TRUE;

	for (guint i = 0; i < m->n_coded_mapped; i++) {
		munmap(m->coded_bufs[i].map, m->coded_bufs[i].len);
		m->coded_bufs[i].map = NULL;
	}
	m->n_coded_mapped = 0;
	stop_watch(m);
	g_byte_array_set_size(m->coded_frame, 0);
	m->coded_pts = 0;
	memset(m->pending, 0, sizeof(m->pending));
	m->n_pending = 0;
	(void)hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_STREAMOFF, &out);
	(void)hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_STREAMOFF, &cap);
	for (guint i = 0; i < MAX_OUT; i++) {
		g_clear_pointer(&m->in_flight[i], hdmirtc_frame_unref);
		m->last_fd[i] = -1;
		if (m->out_maps[i].map)
			munmap(m->out_maps[i].map, m->out_maps[i].len);
		m->out_maps[i].map = NULL;
	}
	(void)request(&m->dev, m->dev.out_type, m->memory, 0);
	(void)request(&m->dev, m->dev.cap_type, V4L2_MEMORY_MMAP, 0);
	m->streaming = FALSE;
}

static int map_output(M2mEncoder *m, guint i)
{
	return map_buffer(m, m->dev.out_type, i, PROT_READ | PROT_WRITE, &m->out_maps[i]);
}

static int request_outputs(M2mEncoder *m)
{
	int r = request(&m->dev, m->dev.out_type, m->memory, m->n_out);

	if (r <= 0)
		return r < 0 ? r : -ENOMEM;
	m->n_out = MIN((guint)r, MAX_OUT);
	for (guint i = 0; i < m->n_out && m->memory == V4L2_MEMORY_MMAP; i++) {
		int e = map_output(m, i);

		if (e < 0)
			return e;
	}
	return r;
}

static gboolean setup(M2mEncoder *m, const HdmirtcFrame *f, guint32 raw, guint32 memory)
{
	g_autoptr(GError) error = NULL;
	HdmirtcV4l2PlaneFormat out;
	int outq = (int)m->dev.out_type, cap = (int)m->dev.cap_type, r;

	m->base.reconfigured = TRUE;
	if (!hdmirtc_m2m_set_formats(&m->dev, m->coded, raw, f->width, f->height,
	                             memory == V4L2_MEMORY_DMABUF ? f->stride[0] : 0, &f->colour, &out,
	                             &error)) {
		g_warning("%s", error->message);
		return FALSE;
	}
	if (memory == V4L2_MEMORY_DMABUF && out.bytesperline != f->stride[0]) {
		g_warning("%s: frames of %ux%u %.4s have %u bytes per line, the encoder reads %u: "
		          "not encoded (the capture must allocate with the encoder's stride)",
		          m->dev.path, f->width, f->height, (const char *)&raw, f->stride[0],
		          out.bytesperline);
		return FALSE;
	}
	m->memory = memory;
	m->stride = f->stride[0];
	m->out_bytesperline = out.bytesperline;
	m->out_sizeimage = out.sizeimage;
	hdmirtc_m2m_apply_controls(&m->dev, &m->base.config);
	r = request_outputs(m);
	if (r > 0)
		r = coded_buffers_new(m);
	if (r == 0)
		r = hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_STREAMON, &outq);
	if (r == 0)
		r = hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_STREAMON, &cap);
	if (r < 0) {
		g_warning("%s: queue setup failed: %s", m->dev.path, g_strerror(-r));
		teardown(m);
		return FALSE;
	}
	m->raw = raw;
	m->streaming = TRUE;
	start_watch(m);
	g_info("%s: %.4s %ux%u, %u bytes per line (%s) -> %.4s, %u in / %u out buffers", m->dev.path,
	       (const char *)&raw, f->width, f->height, out.bytesperline,
	       memory == V4L2_MEMORY_DMABUF ? "DMA-BUF import" : "copied", (const char *)&m->coded,
	       m->n_out, m->n_coded_mapped);
	return TRUE;
}

/* OUTPUT buffers the driver is done with: their frames go back. */
static void reclaim_outputs(M2mEncoder *m)
{
	struct v4l2_plane plane;
	struct v4l2_buffer b;

	buffer_init(m, &b, &plane, m->dev.out_type, m->memory, 0);
	while (hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_DQBUF, &b) == 0)
		if (b.index < MAX_OUT)
			g_clear_pointer(&m->in_flight[b.index], hdmirtc_frame_unref);
}

static int wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, DRAIN_MS);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

static gboolean frames_inside(M2mEncoder *m)
{
	for (guint i = 0; i < m->n_out; i++)
		if (m->in_flight[i])
			return TRUE;
	return m->n_pending > 0;
}

/* A free OUTPUT buffer, or -EBUSY when the driver holds them all (or so
 * many frames wait for their coded data that the ring would wrap).  A
 * DMA-BUF goes back to the buffer it was queued on last: vb2 keeps an
 * import attached to its buffer and maps a new one on every change (in the
 * VM 3-13 ms per QBUF when capture buffers wandered over the slots;
 * bcm2835-codec also imports each new DMA-BUF into the VPU's memory). */
static int free_slot(M2mEncoder *m, int dmabuf_fd)
{
	int free = -1, unused = -1;

	reclaim_outputs(m);
	if (m->n_pending >= PENDING - 1)
		return -EBUSY;
	for (guint i = 0; i < m->n_out; i++) {
		if (m->in_flight[i])
			continue;
		if (dmabuf_fd >= 0 && m->last_fd[i] == dmabuf_fd)
			return (int)i;
		if (free < 0)
			free = (int)i;
		if (unused < 0 && m->last_fd[i] < 0)
			unused = (int)i;
	}
	return unused >= 0 ? unused : free >= 0 ? free : -EBUSY;
}

/* A frame dropped because the encoder has no room: counted, and said once
 * when the driver has kept a frame for longer than a viewer would wait. */
static void note_dropped(M2mEncoder *m)
{
	gint64 now = g_get_monotonic_time(), oldest = now;

	atomic_fetch_add_explicit(&m->base.frames_dropped, 1, memory_order_relaxed);
	if (!m->stalled_since)
		m->stalled_since = now;
	m->dropped_in_stall++;
	for (guint i = 0; i < PENDING; i++)
		if (m->pending[i].queued)
			oldest = MIN(oldest, m->pending[i].queued_us);
	if (!m->stall_warned && now - oldest > STALL_WARN_US) {
		g_warning("%s: no coded frame for %" G_GINT64_FORMAT " ms: frames are dropped until "
		          "the encoder answers", m->dev.path, (now - oldest) / 1000);
		m->stall_warned = TRUE;
	}
}

static void note_answer(M2mEncoder *m)
{
	if (m->stall_warned)
		g_message("%s: the encoder answers again after %" G_GINT64_FORMAT " ms; %" G_GUINT64_FORMAT
		          " frames dropped", m->dev.path,
		          (g_get_monotonic_time() - m->stalled_since) / 1000, m->dropped_in_stall);
	m->stalled_since = 0;
	m->dropped_in_stall = 0;
	m->stall_warned = FALSE;
}

/* Copies an I420 frame into MMAP buffer slot with the encoder's layout:
 * planes one after the other, chroma lines half as long, chroma planes
 * after the luma lines the driver reserves (its sizeimage says how many:
 * bcm2835-codec rounds the height up to 16).  Returns the bytes copied. */
static gsize copy_i420(M2mEncoder *m, const HdmirtcFrame *f, guint slot)
{
	guint8 *dst = m->out_maps[slot].map;
	guint32 bpl = m->out_bytesperline;
	guint32 lines = MAX(f->height, bpl ? m->out_sizeimage * 2 / (3 * bpl) : 0);
	gsize copied = 0;

	for (guint p = 0; p < 3; p++) {
		guint32 w = p ? (f->width + 1) / 2 : f->width, h = p ? (f->height + 1) / 2 : f->height;
		guint32 stride = p ? bpl / 2 : bpl;
		gsize offset = p == 0 ? 0 : (gsize)bpl * lines + (p == 2 ? (gsize)stride * (lines / 2) : 0);

		for (guint32 y = 0; y < h && offset + (gsize)y * stride + w <= m->out_maps[slot].len; y++)
			memcpy(dst + offset + (gsize)y * stride, f->data[p] + (gsize)y * f->stride[p], w);
		copied += (gsize)w * h;
	}
	return copied;
}

static int queue_frame(M2mEncoder *m, HdmirtcFrame *f, guint slot)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = m->dev.out_type, .memory = m->memory, .index = slot };
	off_t size = m->memory == V4L2_MEMORY_DMABUF ? lseek(f->dmabuf_fd, 0, SEEK_END) : 0;
	guint64 pts = m->next_pts++, copied = 0;
	gint64 start = g_get_monotonic_time();
	PendingFrame *pf;

	/* length must cover bytesused or the import is refused (EINVAL). */
	if (m->memory == V4L2_MEMORY_DMABUF && size < (off_t)m->out_sizeimage) {
		g_warning("%s: DMA-BUF of %lld bytes, the encoder wants %u", m->dev.path,
		          (long long)size, m->out_sizeimage);
		return -EINVAL;
	}
	if (m->memory == V4L2_MEMORY_MMAP)
		copied = copy_i420(m, f, slot);
	b.timestamp.tv_sec = (time_t)(pts / G_USEC_PER_SEC);
	b.timestamp.tv_usec = (suseconds_t)(pts % G_USEC_PER_SEC);
	if (m->dev.mplane) {
		plane.m.fd = f->dmabuf_fd;
		plane.length = (guint32)size;
		plane.bytesused = m->out_sizeimage;
		b.m.planes = &plane;
		b.length = 1;
	} else {
		b.m.fd = f->dmabuf_fd;
		b.length = (guint32)size;
		b.bytesused = m->out_sizeimage;
	}
	if (m->memory == V4L2_MEMORY_MMAP) {
		/* The driver knows its own buffers: no fd, no length. */
		memset(&plane.m, 0, sizeof(plane.m));
		plane.length = 0;
		memset(&b.m, 0, sizeof(b.m));
		if (m->dev.mplane)
			b.m.planes = &plane;
		else
			b.length = 0;
	}
	pf = &m->pending[pts % PENDING];
	*pf = (PendingFrame){ TRUE, pts, f->seq, f->capture_mono_us, f->capture_wall_us, start,
	                      f->bytes_copied + copied };
	m->in_flight[slot] = hdmirtc_frame_ref(f);
	if (hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_QBUF, &b) < 0) {
		g_clear_pointer(&m->in_flight[slot], hdmirtc_frame_unref);
		pf->queued = FALSE;
		return -EIO;
	}
	m->n_pending++;
	m->last_fd[slot] = m->memory == V4L2_MEMORY_DMABUF ? f->dmabuf_fd : -1;
	return 0;
}

static guint64 timestamp_us(const struct v4l2_buffer *b)
{
	return (guint64)b->timestamp.tv_sec * G_USEC_PER_SEC + (guint64)b->timestamp.tv_usec;
}

/* Only SPS, PPS, SEI or delimiters: no picture. */
static gboolean only_parameter_sets(const guint8 *d, gsize len)
{
	gboolean any = FALSE;

	for (gsize i = 0; i + 3 < len; i++) {
		guint type;

		if (d[i] || d[i + 1] || d[i + 2] != 1)
			continue;
		type = d[i + 3] & 0x1f;
		if (type != 6 && type != 7 && type != 8 && type != 9)
			return FALSE;
		any = TRUE;
	}
	return any;
}

/* Frames queued before pts whose coded data never came (the driver
 * flagged them, or dropped them): forgotten, so the encoder is not
 * thought busy forever. */
static void forget_before(M2mEncoder *m, guint64 pts)
{
	for (guint i = 0; i < PENDING; i++) {
		PendingFrame *pf = &m->pending[i];

		if (pf->queued && pf->pts < pts) {
			g_debug("%s: frame %" G_GUINT64_FORMAT " never came out", m->dev.path, pf->seq);
			pf->queued = FALSE;
			m->n_pending--;
		}
	}
}

static PendingFrame *pending_of(M2mEncoder *m, guint64 pts)
{
	PendingFrame *pf = &m->pending[pts % PENDING];

	return pts && pf->queued && pf->pts == pts ? pf : NULL;
}

/* The gathered frame, with the parameter sets that came before it, as an
 * access unit (its bytes are the one copy out of the CAPTURE buffers). */
static void emit_coded_frame(M2mEncoder *m)
{
	PendingFrame *pf = pending_of(m, m->coded_pts);
	HdmirtcAccessUnit *au;
	gsize len = m->coded_frame->len;

	forget_before(m, m->coded_pts);
	m->coded_pts = 0;
	if (!pf) {
		g_byte_array_set_size(m->coded_frame, 0);
		return;
	}
	au = hdmirtc_access_unit_new_take(g_byte_array_steal(m->coded_frame, NULL), len);
	au->keyframe = m->coded_key;
	au->seq = pf->seq;
	au->capture_mono_us = pf->mono_us;
	au->capture_wall_us = pf->wall_us;
	au->encode_start_us = pf->queued_us;
	au->bytes_copied += pf->bytes_copied;
	pf->queued = FALSE;
	m->n_pending--;
	note_answer(m);
	hdmirtc_encoder_emit(&m->base, au);
}

/* One CAPTURE buffer's data: parameter sets of their own, or a piece of a
 * frame (which ends it unless it fills the buffer). */
static void take_piece(M2mEncoder *m, const struct v4l2_buffer *b, const guint8 *data, gsize len,
                       gsize room)
{
	guint64 pts = timestamp_us(b);

	if (m->coded_pts && pts != m->coded_pts)
		emit_coded_frame(m);            /* its last piece filled its buffer */
	if (!m->coded_pts && !pending_of(m, pts) && only_parameter_sets(data, len)) {
		g_byte_array_append(m->coded_frame, data, (guint)len);
		return;
	}
	if (!m->coded_pts) {
		m->coded_pts = pts;
		m->coded_key = FALSE;
	}
	m->coded_key |= (b->flags & V4L2_BUF_FLAG_KEYFRAME) != 0;
	g_byte_array_append(m->coded_frame, data, (guint)len);
	if (len < room)
		emit_coded_frame(m);
}

/* Every CAPTURE buffer the driver has done, each requeued at once.
 * 0 when there are no more, -errno when the queue failed. */
static int take_coded(M2mEncoder *m)
{
	for (;;) {
		struct v4l2_plane plane;
		struct v4l2_buffer b;
		int r;

		buffer_init(m, &b, &plane, m->dev.cap_type, V4L2_MEMORY_MMAP, 0);
		r = hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_DQBUF, &b);
		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return r;
		if (b.index >= m->n_coded_mapped)
			return -EIO;
		const MappedBuf *cb = &m->coded_bufs[b.index];
		guint32 used = MIN(m->dev.mplane ? plane.bytesused : b.bytesused, (guint32)cb->len);
		guint32 room = MIN(m->dev.mplane ? plane.length : b.length, (guint32)cb->len);

		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			g_debug("%s: coded buffer flagged ERROR", m->dev.path);
			if (timestamp_us(&b) == m->coded_pts) {
				g_byte_array_set_size(m->coded_frame, 0);
				m->coded_pts = 0;
			}
		} else if (used > plane.data_offset) {
			take_piece(m, &b, cb->map + plane.data_offset, used - plane.data_offset,
			           room - plane.data_offset);
		}
		r = queue_coded(m, b.index);
		if (r < 0)
			return r;
	}
}

static void stop_watch(M2mEncoder *m)
{
	hdmirtc_source_clear(&m->watch);
}

/* The device fd: OUTPUT buffers back (POLLOUT), coded data (POLLIN). */
static gboolean on_device(gint fd, GIOCondition condition, gpointer data)
{
	M2mEncoder *m = data;
	HdmirtcEncoderCall call;
	guint64 out = atomic_load_explicit(&m->base.frames_out, memory_order_relaxed);
	int r;

	(void)fd;
	hdmirtc_encoder_call_begin(&call);
	reclaim_outputs(m);
	r = take_coded(m);
	if (r == 0 && (condition & G_IO_ERR) &&
	    out == atomic_load_explicit(&m->base.frames_out, memory_order_relaxed))
		r = -EIO;
	hdmirtc_encoder_call_end(&m->base, &call);
	if (r == 0)
		return G_SOURCE_CONTINUE;
	g_warning("%s: the encoder's queues failed (%s): setting them up again at the next frame",
	          m->dev.path, g_strerror(-r));
	m->broken = TRUE;
	g_clear_pointer(&m->watch, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void start_watch(M2mEncoder *m)
{
	g_autoptr(GMainContext) ctx = g_main_context_ref_thread_default();

	m->watch = hdmirtc_source_attach_high(g_unix_fd_source_new(m->dev.fd, G_IO_IN | G_IO_OUT | G_IO_ERR),
					      G_SOURCE_FUNC(on_device), m, ctx);
}

/* An unregistered node answers every ioctl with ENODEV (v4l2-dev.c): the
 * device was unbound or its driver unloaded, and this descriptor stays
 * dead even if it comes back. */
static gboolean device_gone(M2mEncoder *m)
{
	struct v4l2_capability cap;

	if (!m->gone && hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_QUERYCAP, &cap) == -ENODEV) {
		g_warning("%s: the encoder's device is gone", m->dev.path);
		m->gone = TRUE;
	}
	return m->gone;
}

/* How a frame reaches the encoder: imported, or copied (I420 only). */
static gboolean input_of(M2mEncoder *m, const HdmirtcFrame *f, guint32 *raw, guint32 *memory)
{
	*raw = hdmirtc_m2m_v4l2_fourcc(f->fourcc);
	*memory = V4L2_MEMORY_DMABUF;
	if (f->dmabuf_fd >= 0 && *raw)
		return TRUE;
	*memory = V4L2_MEMORY_MMAP;
	return hdmirtc_encoder_frame_is_cpu_i420(&m->base, f);
}

static gboolean m2m_busy(HdmirtcEncoder *enc)
{
	return frames_inside(from_base(enc));
}

static int m2m_encode(HdmirtcEncoder *enc, HdmirtcFrame *f, gboolean force_idr,
                      HdmirtcAccessUnit **out)
{
	M2mEncoder *m = from_base(enc);
	guint32 raw, memory;
	int slot, r;

	*out = NULL;
	m->idr_owed |= force_idr;
	if (!input_of(m, f, &raw, &memory)) {
		if (!m->warned_frame)
			g_warning("%s: frame of an unknown format without a DMA-BUF: not encoded",
			          m->dev.path);
		m->warned_frame = TRUE;
		return -EINVAL;
	}
	if (m->gone)
		return -ENODEV;
	if (m->broken) {
		teardown(m);
		m->broken = FALSE;
	}
	if (m->streaming && (raw != m->raw || memory != m->memory ||
	                     (memory == V4L2_MEMORY_DMABUF && f->stride[0] != m->stride))) {
		/* Stopping the queues would wait for the frames inside. */
		if (frames_inside(m)) {
			note_dropped(m);
			return 0;
		}
		teardown(m);
	}
	if (!m->streaming && !setup(m, f, raw, memory))
		return device_gone(m) ? -ENODEV : -EINVAL;
	slot = free_slot(m, memory == V4L2_MEMORY_DMABUF ? f->dmabuf_fd : -1);
	if (slot < 0) {
		note_dropped(m);
		return 0;
	}
	if (m->idr_owed)
		(void)hdmirtc_m2m_force_keyframe(&m->dev);
	m->idr_owed = FALSE;
	r = queue_frame(m, f, (guint)slot);
	if (r < 0 && device_gone(m))
		return -ENODEV;
	if (r < 0)
		g_warning("%s: encode failed: %s", m->dev.path, g_strerror(-r));
	return r < 0 ? -EIO : 0;
}

/* Drain per the stateful encoder interface: V4L2_ENC_CMD_STOP, then coded
 * buffers until one carries V4L2_BUF_FLAG_LAST (or EPIPE).  Only when
 * the encoder is freed with frames inside: it waits for the driver. */
static void drain(M2mEncoder *m)
{
	struct v4l2_encoder_cmd cmd = { .cmd = V4L2_ENC_CMD_STOP };
	gint64 end = g_get_monotonic_time() + DRAIN_MS * 1000;

	if (hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_ENCODER_CMD, &cmd) < 0)
		return;
	while (g_get_monotonic_time() < end) {
		struct v4l2_plane plane;
		struct v4l2_buffer b;
		int r;

		buffer_init(m, &b, &plane, m->dev.cap_type, V4L2_MEMORY_MMAP, 0);
		r = hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_DQBUF, &b);
		if (r == -EAGAIN && wait_fd(m->dev.fd, POLLIN) == 0)
			continue;
		if (r < 0 || (b.flags & V4L2_BUF_FLAG_LAST))
			break;
	}
	g_debug("%s: drained", m->dev.path);
}

static gboolean m2m_open(HdmirtcEncoder *enc, GError **error)
{
	M2mEncoder *m = from_base(enc);
	HdmirtcEncoderConfig *c = &enc->config;
	guint8 constraints = c->profile_idc == HDMIRTC_H264_PROFILE_BASELINE ?
	                     HDMIRTC_H264_CONSTRAINT_SET0 | HDMIRTC_H264_CONSTRAINT_SET1 : 0;

	if (!hdmirtc_m2m_device_open(&m->dev, m->device, m->coded, error))
		return FALSE;
	/* Constrained baseline or main at the chosen level, as the controls ask. */
	enc->profile_level_id = (guint32)c->profile_idc << 16 | (guint32)constraints << 8 | c->level_idc;
	return TRUE;
}

static void m2m_close(HdmirtcEncoder *enc)
{
	M2mEncoder *m = from_base(enc);

	if (m->dev.fd < 0)
		return;
	if (m->streaming && !m->broken && frames_inside(m))
		drain(m);
	teardown(m);
	hdmirtc_m2m_device_close(&m->dev);
}

static int m2m_apply_bitrate(HdmirtcEncoder *enc)
{
	M2mEncoder *m = from_base(enc);

	return hdmirtc_m2m_set_bitrate(&m->dev, enc->config.bitrate_kbps);
}

static void m2m_destroy(HdmirtcEncoder *enc)
{
	M2mEncoder *m = from_base(enc);

	g_free(m->device);
	if (m->coded_frame)
		g_byte_array_unref(m->coded_frame);
	g_free(m);
}

static gboolean m2m_accepts(HdmirtcEncoder *enc, const HdmirtcFrame *f)
{
	guint32 raw, memory;

	return input_of(from_base(enc), f, &raw, &memory);
}

static guint32 m2m_input_bytesperline(HdmirtcEncoder *enc, guint32 drm_fourcc, guint32 width,
                                      guint32 height)
{
	M2mEncoder *m = from_base(enc);
	guint32 raw = hdmirtc_m2m_v4l2_fourcc(drm_fourcc);

	return raw ? hdmirtc_m2m_try_bytesperline(&m->dev, raw, width, height) : 0;
}

static const HdmirtcEncoderImpl m2m_impl = {
	.name = "v4l2-m2m",
	.accepts = m2m_accepts,
	.open = m2m_open,
	.close = m2m_close,
	.encode = m2m_encode,
	.busy = m2m_busy,
	.input_bytesperline = m2m_input_bytesperline,
	.apply_bitrate = m2m_apply_bitrate,
	.destroy = m2m_destroy,
};

HdmirtcEncoder *hdmirtc_encoder_new_m2m(const HdmirtcEncoderConfig *config,
                                        const HdmirtcM2mConfig *m2m, GError **error)
{
	HdmirtcM2mConfig defaults = { 0 };
	M2mEncoder *m;
	HdmirtcEncoderConfig c;

	g_return_val_if_fail(config != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!m2m)
		m2m = &defaults;
	c = *config;
	c.level_idc = config->level_idc ? config->level_idc :
	              hdmirtc_encoder_level_for(c.width, c.height, c.fps, c.bitrate_kbps);
	if (c.width < 16 || c.height < 16 || c.fps < 1 || c.level_idc == 0 ||
	    !hdmirtc_encoder_level_fits(c.level_idc, c.width, c.height, c.fps, c.bitrate_kbps)) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_INVALID_CONFIG,
		            "m2m encoder: %ux%u@%u at %u kbps does not fit a level", c.width, c.height,
		            c.fps, c.bitrate_kbps);
		return NULL;
	}
	m = g_new0(M2mEncoder, 1);
	m->coded = m2m->coded_fourcc ? m2m->coded_fourcc : V4L2_PIX_FMT_H264;
	m->n_out = m2m->n_output_buffers ? m2m->n_output_buffers : 4;
	m->n_coded = m2m->n_capture_buffers ? m2m->n_capture_buffers : 4;
	m->next_pts = 1;
	m->coded_frame = g_byte_array_new();
	for (guint i = 0; i < MAX_OUT; i++)
		m->last_fd[i] = -1;
	m->dev.fd = -1;
	if (m2m->device && *m2m->device)
		m->device = g_strdup(m2m->device);
	m->base.impl = &m2m_impl;
	m->base.config = c;
	m->base.requested_level = config->level_idc;
	atomic_store(&m->base.bitrate_kbps, c.bitrate_kbps);
	if (!m->device) {
		g_set_error(error, HDMIRTC_ENCODER_ERROR, HDMIRTC_ENCODER_ERROR_NOT_SUPPORTED,
		            "m2m encoder: no device given");
		m2m_destroy(&m->base);
		return NULL;
	}
	if (!m2m_open(&m->base, error)) {
		m2m_destroy(&m->base);
		return NULL;
	}
	g_info("v4l2-m2m %s: %ux%u@%u %u kbps, profile-level-id %06x", m->device, c.width, c.height,
	       c.fps, c.bitrate_kbps, m->base.profile_level_id);
	return &m->base;
}
