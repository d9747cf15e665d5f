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
 * copied into MMAP OUTPUT buffers: a counted copy, once a second. */
#include "m2m-private.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_OUT 8
#define MAX_CODED 16
#define PENDING 16
#define WAIT_MS 2000                    /* TCG VMs are slow; hardware takes ~10 ms */

/* An mmap'ed MMAP buffer. */
typedef struct {
	guint8 *map;
	gsize len;
} MappedBuf;

typedef struct {
	guint64 seq;
	gint64 mono_us;
	gint64 wall_us;
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
	MappedBuf coded_bufs[MAX_CODED];  /* mmap'ed CAPTURE buffers */
	guint n_coded_mapped;
	guint64 next_pts;               /* from 1: timestamp 0 is the driver's "unknown" */
	/* Parameter sets the encoder sent in a buffer of their own (kernels
	 * before raspberrypi/linux PR #6253: on port enable, timestamp 0),
	 * put in front of the next frame. */
	GByteArray *headers;
	PendingFrame pending[PENDING];
	gboolean warned_frame;
} M2mEncoder;

static M2mEncoder *from_base(HdmirtcEncoder *enc)
{
	return (M2mEncoder *)((char *)enc - G_STRUCT_OFFSET(M2mEncoder, base));
}

static int queue_coded(M2mEncoder *m, guint index)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = m->dev.cap_type, .memory = V4L2_MEMORY_MMAP, .index = index };

	if (m->dev.mplane) {
		b.m.planes = &plane;
		b.length = 1;
	}
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
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_MMAP, .index = i };
	int r;

	if (m->dev.mplane) {
		b.m.planes = &plane;
		b.length = 1;
	}
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

	for (guint i = 0; i < m->n_coded_mapped; i++) {
		munmap(m->coded_bufs[i].map, m->coded_bufs[i].len);
		m->coded_bufs[i].map = NULL;
	}
	m->n_coded_mapped = 0;
	g_byte_array_set_size(m->headers, 0);
	(void)hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_STREAMOFF, &out);
	(void)hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_STREAMOFF, &cap);
	for (guint i = 0; i < MAX_OUT; i++) {
		g_clear_pointer(&m->in_flight[i], hdmirtc_frame_unref);
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
	g_info("%s: %.4s %ux%u, %u bytes per line (%s) -> %.4s, %u in / %u out buffers", m->dev.path,
	       (const char *)&raw, f->width, f->height, out.bytesperline,
	       memory == V4L2_MEMORY_DMABUF ? "DMA-BUF import" : "copied", (const char *)&m->coded,
	       m->n_out, m->n_coded_mapped);
	return TRUE;
}

/* OUTPUT buffers the driver is done with: their frames go back. */
static void reclaim_outputs(M2mEncoder *m)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = m->dev.out_type, .memory = m->memory };

	if (m->dev.mplane) {
		b.m.planes = &plane;
		b.length = 1;
	}
	while (hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_DQBUF, &b) == 0)
		if (b.index < MAX_OUT)
			g_clear_pointer(&m->in_flight[b.index], hdmirtc_frame_unref);
}

static int wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, WAIT_MS);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

static int free_slot(M2mEncoder *m)
{
	for (int tries = 0; tries < 2; tries++) {
		reclaim_outputs(m);
		for (guint i = 0; i < m->n_out; i++)
			if (!m->in_flight[i])
				return (int)i;
		if (wait_fd(m->dev.fd, POLLOUT) < 0)
			break;
	}
	return -EBUSY;
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

static int queue_frame(M2mEncoder *m, HdmirtcFrame *f, guint slot, guint64 *queued_pts)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = m->dev.out_type, .memory = m->memory, .index = slot };
	off_t size = m->memory == V4L2_MEMORY_DMABUF ? lseek(f->dmabuf_fd, 0, SEEK_END) : 0;
	guint64 pts = *queued_pts = m->next_pts++, copied = 0;

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
	m->pending[pts % PENDING] = (PendingFrame){ f->seq, f->capture_mono_us, f->capture_wall_us,
	                                            f->bytes_copied + copied };
	m->in_flight[slot] = hdmirtc_frame_ref(f);
	if (hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_QBUF, &b) < 0) {
		g_clear_pointer(&m->in_flight[slot], hdmirtc_frame_unref);
		return -EIO;
	}
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

/* Copies the coded frame out of its CAPTURE buffer, with parameter sets
 * that came before it (the caller requeues the buffer). */
static HdmirtcAccessUnit *make_au(M2mEncoder *m, const struct v4l2_buffer *b,
                                  const guint8 *data, gsize len)
{
	PendingFrame *pf = &m->pending[timestamp_us(b) % PENDING];
	guint8 *copy = g_malloc(m->headers->len + len);
	HdmirtcAccessUnit *au;

	if (m->headers->len)
		memcpy(copy, m->headers->data, m->headers->len);
	memcpy(copy + m->headers->len, data, len);
	au = hdmirtc_access_unit_new_take(copy, m->headers->len + len);
	g_byte_array_set_size(m->headers, 0);
	au->keyframe = (b->flags & V4L2_BUF_FLAG_KEYFRAME) != 0;
	au->seq = pf->seq;
	au->capture_mono_us = pf->mono_us;
	au->capture_wall_us = pf->wall_us;
	au->bytes_copied += pf->bytes_copied;
	return au;
}

/* The coded data of the frame just queued with timestamp pts (one in, one
 * out: no B-frames, no lookahead). */
static int dequeue_coded(M2mEncoder *m, guint64 pts, HdmirtcAccessUnit **out)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = m->dev.cap_type, .memory = V4L2_MEMORY_MMAP };
	gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;
	int r;

	for (;;) {
		memset(&plane, 0, sizeof(plane));
		if (m->dev.mplane) {
			b.m.planes = &plane;
			b.length = 1;
		}
		r = hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_DQBUF, &b);
		if (r == -EAGAIN && g_get_monotonic_time() < end && wait_fd(m->dev.fd, POLLIN) == 0)
			continue;
		if (r < 0)
			return r == -EAGAIN ? -ETIMEDOUT : r;
		if (b.index >= m->n_coded_mapped)
			return -EIO;
		if ((m->dev.mplane ? plane.bytesused : b.bytesused) > plane.data_offset &&
		    !(b.flags & V4L2_BUF_FLAG_ERROR)) {
			const MappedBuf *cb = &m->coded_bufs[b.index];
			guint32 used = MIN(m->dev.mplane ? plane.bytesused : b.bytesused, (guint32)cb->len);
			const guint8 *data = cb->map + plane.data_offset;
			gsize len = used - plane.data_offset;

			if (timestamp_us(&b) != pts && only_parameter_sets(data, len)) {
				g_byte_array_append(m->headers, data, (guint)len);
			} else {
				*out = make_au(m, &b, data, len);
				(void)queue_coded(m, b.index);
				return 0;
			}
		}
		(void)queue_coded(m, b.index);
	}
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

static int m2m_encode(HdmirtcEncoder *enc, HdmirtcFrame *f, gboolean force_idr,
                      HdmirtcAccessUnit **out)
{
	M2mEncoder *m = from_base(enc);
	guint32 raw, memory;
	guint64 pts;
	int slot, r;

	*out = NULL;
	if (!input_of(m, f, &raw, &memory)) {
		if (!m->warned_frame)
			g_warning("%s: frame of an unknown format without a DMA-BUF: not encoded",
			          m->dev.path);
		m->warned_frame = TRUE;
		return -EINVAL;
	}
	if (m->streaming && (raw != m->raw || memory != m->memory ||
	                     (memory == V4L2_MEMORY_DMABUF && f->stride[0] != m->stride)))
		teardown(m);
	if (!m->streaming && !setup(m, f, raw, memory))
		return -EINVAL;
	slot = free_slot(m);
	if (slot < 0)
		return -EIO;
	if (force_idr)
		(void)hdmirtc_m2m_force_keyframe(&m->dev);
	r = queue_frame(m, f, (guint)slot, &pts);
	if (r == 0)
		r = dequeue_coded(m, pts, out);
	if (r < 0)
		g_warning("%s: encode failed: %s", m->dev.path, g_strerror(-r));
	reclaim_outputs(m);
	return r == -ETIMEDOUT || r == -EPIPE ? -EIO : r;
}

/* Drain per the stateful encoder interface: V4L2_ENC_CMD_STOP, then coded
 * buffers until one carries V4L2_BUF_FLAG_LAST (or EPIPE). */
static void drain(M2mEncoder *m)
{
	struct v4l2_encoder_cmd cmd = { .cmd = V4L2_ENC_CMD_STOP };
	gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;

	if (hdmirtc_v4l2_ioctl(m->dev.fd, VIDIOC_ENCODER_CMD, &cmd) < 0)
		return;
	while (g_get_monotonic_time() < end) {
		struct v4l2_plane plane = { 0 };
		struct v4l2_buffer b = { .type = m->dev.cap_type, .memory = V4L2_MEMORY_MMAP };
		int r;

		if (m->dev.mplane) {
			b.m.planes = &plane;
			b.length = 1;
		}
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
	if (m->streaming)
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
	if (m->headers)
		g_byte_array_unref(m->headers);
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
	m->headers = g_byte_array_new();
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
