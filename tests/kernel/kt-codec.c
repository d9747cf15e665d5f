/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Kernel tests of the bcm2835-codec stand-in (tests/kernel/fakes/
 * bcm2835-codec): the Pi 4's H.264 encoder node as the real driver shows
 * it (node, strings, formats and their alignment, controls, selection,
 * parameters, drain), then real encodes from MMAP buffers and from vivid's
 * capture buffers imported as DMA-BUF.  The stand-in's output is lossless,
 * so every stream goes to /mnt/host/out/kt-codec-NAME.h264 with the 4:2:0
 * picture a decoder must give back in kt-codec-NAME.yuv (computed here
 * from the input, independently of the module); on the host,
 * tests/kernel/fakes/bcm2835-codec/check-decoded.sh compares them after
 * decoding with ffmpeg.  Raw ioctls, TAP output (GLib test). */
#include "hdmirtc/capture.h"
#include "hdmirtc/encoder.h"

#include <dirent.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/media.h>
#include <linux/v4l2-dv-timings.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MODULE_PATH "/mnt/host/modules/bcm2835-codec.ko"
#define MODULE_NAME "bcm2835_codec"
#define OUT_DIR "/mnt/host/out"
#define WAIT_MS 20000                   /* TCG is slow */
#define OUT_MP V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
#define CAP_MP V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
#ifndef V4L2_PIX_FMT_NV12_COL128
#define V4L2_PIX_FMT_NV12_COL128 v4l2_fourcc('N', 'C', '1', '2')
#endif

static char node[64];

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static int open_node(void)
{
	int fd = open(node, O_RDWR | O_NONBLOCK);

	g_assert_cmpint(fd, >=, 0);
	return fd;
}

/* ------------------------------------------------------------------ formats */

typedef struct {
	guint32 fourcc;
	guint depth, align, mult_x2;
} RawFormat;

/* The encoder role's rules of bcm2835-v4l2-codec.c (bytesperline_align[ENCODE]). */
static const RawFormat raw_formats[] = {
	{ V4L2_PIX_FMT_YUV420, 8, 64, 3 }, { V4L2_PIX_FMT_YVU420, 8, 64, 3 },
	{ V4L2_PIX_FMT_NV12, 8, 32, 3 }, { V4L2_PIX_FMT_NV21, 8, 32, 3 },
	{ V4L2_PIX_FMT_RGB565, 16, 32, 2 }, { V4L2_PIX_FMT_YUYV, 16, 64, 2 },
	{ V4L2_PIX_FMT_UYVY, 16, 64, 2 }, { V4L2_PIX_FMT_YVYU, 16, 64, 2 },
	{ V4L2_PIX_FMT_VYUY, 16, 64, 2 }, { V4L2_PIX_FMT_NV12_COL128, 8, 32, 3 },
	{ V4L2_PIX_FMT_RGB24, 24, 32, 2 }, { V4L2_PIX_FMT_BGR24, 24, 32, 2 },
	{ V4L2_PIX_FMT_BGR32, 32, 64, 2 }, { V4L2_PIX_FMT_RGBA32, 32, 64, 2 },
};

static guint32 align_up(guint32 v, guint32 a)
{
	return (v + a - 1) / a * a;
}

static guint32 rule_bpl(const RawFormat *f, guint32 w, guint32 h, guint32 asked)
{
	guint32 min = f->fourcc == V4L2_PIX_FMT_NV12_COL128 ? align_up(h * 3 / 2, f->align)
	                                                      : align_up(w * f->depth / 8, f->align);

	return align_up(MAX(asked, min), f->align);
}

static guint32 rule_size(const RawFormat *f, guint32 w, guint32 h, guint32 bpl)
{
	if (f->fourcc == V4L2_PIX_FMT_NV12_COL128)
		return align_up(w, 128) * bpl;
	return bpl * h * f->mult_x2 / 2;
}

static int set_fmt(int fd, guint32 type, guint32 fourcc, guint32 w, guint32 h, guint32 bpl,
                   guint32 size, struct v4l2_format *out)
{
	struct v4l2_format f = { .type = type };

	f.fmt.pix_mp.width = w;
	f.fmt.pix_mp.height = h;
	f.fmt.pix_mp.pixelformat = fourcc;
	f.fmt.pix_mp.num_planes = 1;
	f.fmt.pix_mp.plane_fmt[0].bytesperline = bpl;
	f.fmt.pix_mp.plane_fmt[0].sizeimage = size;
	if (out && out->fmt.pix_mp.colorspace) {
		f.fmt.pix_mp.colorspace = out->fmt.pix_mp.colorspace;
		f.fmt.pix_mp.ycbcr_enc = out->fmt.pix_mp.ycbcr_enc;
		f.fmt.pix_mp.quantization = out->fmt.pix_mp.quantization;
		f.fmt.pix_mp.xfer_func = out->fmt.pix_mp.xfer_func;
	}
	int r = xioctl(fd, VIDIOC_S_FMT, &f);

	if (out)
		*out = f;
	return r;
}

static void try_fmt(int fd, guint32 type, guint32 fourcc, guint32 w, guint32 h, guint32 bpl,
                    guint32 size, struct v4l2_format *f)
{
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->fmt.pix_mp.width = w;
	f->fmt.pix_mp.height = h;
	f->fmt.pix_mp.pixelformat = fourcc;
	f->fmt.pix_mp.plane_fmt[0].bytesperline = bpl;
	f->fmt.pix_mp.plane_fmt[0].sizeimage = size;
	g_assert_cmpint(xioctl(fd, VIDIOC_TRY_FMT, f), ==, 0);
}

/* ------------------------------------------------------------------ controls */

static int set_ctrl(int fd, guint32 id, gint32 value)
{
	struct v4l2_ext_control c = { .id = id, .value = value };
	struct v4l2_ext_controls cs = { .which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &c };

	return xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs);
}

static gint32 get_ctrl(int fd, guint32 id)
{
	struct v4l2_ext_control c = { .id = id };
	struct v4l2_ext_controls cs = { .which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &c };

	g_assert_cmpint(xioctl(fd, VIDIOC_G_EXT_CTRLS, &cs), ==, 0);
	return c.value;
}

static void check_ctrl(int fd, guint32 id, guint32 type, gint64 min, gint64 max, guint64 step,
                       gint64 def)
{
	struct v4l2_query_ext_ctrl q = { .id = id };

	g_assert_cmpint(xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q), ==, 0);
	g_test_message("control %s: min %lld max %lld step %llu default %lld", q.name,
	               (long long)q.minimum, (long long)q.maximum, (unsigned long long)q.step,
	               (long long)q.default_value);
	g_assert_cmpuint(q.type, ==, type);
	g_assert_cmpint(q.minimum, ==, min);
	g_assert_cmpint(q.maximum, ==, max);
	g_assert_cmpuint(q.step, ==, step);
	g_assert_cmpint(q.default_value, ==, def);
}

static gboolean menu_has(int fd, guint32 id, guint32 index)
{
	struct v4l2_querymenu m = { .id = id, .index = index };

	return xioctl(fd, VIDIOC_QUERYMENU, &m) == 0;
}

/* ------------------------------------------------------------------ bitstream */

typedef struct {
	const guint8 *p;
	gsize len, bit;
} Bits;

static guint32 get_bits(Bits *b, guint n)
{
	guint32 v = 0;

	while (n--) {
		guint bit = b->bit < b->len * 8 ? (b->p[b->bit / 8] >> (7 - b->bit % 8)) & 1 : 0;

		v = v << 1 | bit;
		b->bit++;
	}
	return v;
}

static guint32 get_ue(Bits *b)
{
	guint zeros = 0;

	while (get_bits(b, 1) == 0 && zeros < 32)
		zeros++;
	return ((1u << zeros) - 1) + get_bits(b, zeros);
}

typedef struct {
	guint profile_idc, constraints, level_idc, width, height;
	gboolean signal_type, full_range, colour_desc, timing;
	guint primaries, transfer, matrix;
	guint32 units, scale;
} Sps;

/* rbsp of the NAL at nal (header byte first), emulation prevention removed */
static GByteArray *unescape(const guint8 *nal, gsize len)
{
	GByteArray *a = g_byte_array_new();
	guint zeros = 0;

	for (gsize i = 1; i < len; i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		g_byte_array_append(a, &nal[i], 1);
		zeros = nal[i] ? 0 : zeros + 1;
	}
	return a;
}

static void parse_sps(const guint8 *nal, gsize len, Sps *s)
{
	g_autoptr(GByteArray) a = unescape(nal, len);
	Bits b = { a->data, a->len, 0 };
	guint mb_w, mb_h, cl = 0, cr = 0, ct = 0, cb = 0;

	memset(s, 0, sizeof(*s));
	s->profile_idc = get_bits(&b, 8);
	s->constraints = get_bits(&b, 8);
	s->level_idc = get_bits(&b, 8);
	get_ue(&b);
	if (s->profile_idc == 100) {
		g_assert_cmpuint(get_ue(&b), ==, 1);      /* 4:2:0 */
		get_ue(&b);
		get_ue(&b);
		get_bits(&b, 1);
		g_assert_cmpuint(get_bits(&b, 1), ==, 0); /* no scaling matrices */
	}
	get_ue(&b);                                       /* log2_max_frame_num_minus4 */
	g_assert_cmpuint(get_ue(&b), ==, 2);              /* pic_order_cnt_type */
	get_ue(&b);
	get_bits(&b, 1);
	mb_w = get_ue(&b) + 1;
	mb_h = get_ue(&b) + 1;
	g_assert_cmpuint(get_bits(&b, 1), ==, 1);         /* frame_mbs_only */
	get_bits(&b, 1);
	if (get_bits(&b, 1)) {
		cl = get_ue(&b);
		cr = get_ue(&b);
		ct = get_ue(&b);
		cb = get_ue(&b);
	}
	s->width = mb_w * 16 - 2 * (cl + cr);
	s->height = mb_h * 16 - 2 * (ct + cb);
	if (!get_bits(&b, 1))
		return;
	if (get_bits(&b, 1) && get_bits(&b, 8) == 255)
		get_bits(&b, 32);
	if (get_bits(&b, 1))
		get_bits(&b, 1);
	s->signal_type = get_bits(&b, 1);
	if (s->signal_type) {
		get_bits(&b, 3);
		s->full_range = get_bits(&b, 1);
		s->colour_desc = get_bits(&b, 1);
		if (s->colour_desc) {
			s->primaries = get_bits(&b, 8);
			s->transfer = get_bits(&b, 8);
			s->matrix = get_bits(&b, 8);
		}
	}
	if (get_bits(&b, 1)) {
		get_ue(&b);
		get_ue(&b);
	}
	s->timing = get_bits(&b, 1);
	if (s->timing) {
		s->units = get_bits(&b, 32);
		s->scale = get_bits(&b, 32);
	}
}

typedef struct {
	guint8 types[16];
	guint n;
	gsize sps_off, sps_len;
	gboolean sane;          /* every NAL behind a 4-byte start code */
} Nals;

static void scan_nals(const guint8 *d, gsize len, Nals *n)
{
	gsize i = 0, start = 0;

	memset(n, 0, sizeof(*n));
	n->sane = len > 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 1;
	while (i + 3 < len) {
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
			if (n->n && n->types[n->n - 1] == 7 && !n->sps_len)
				n->sps_len = i - n->sps_off - (d[i - 1] == 0 ? 1 : 0);
			start = i + 3;
			if (n->n < G_N_ELEMENTS(n->types)) {
				n->types[n->n++] = d[start] & 0x1f;
				if ((d[start] & 0x1f) == 7)
					n->sps_off = start;
			}
			i = start;
			continue;
		}
		i++;
	}
	if (n->n && n->types[n->n - 1] == 7 && !n->sps_len)
		n->sps_len = len - n->sps_off;
}

static gboolean has_nal(const Nals *n, guint type)
{
	for (guint i = 0; i < n->n; i++)
		if (n->types[i] == type)
			return TRUE;
	return FALSE;
}

/* ------------------------------------------------------------------ encoder session */

#define MAX_BUFS 8

typedef struct {
	guint8 *data;
	gsize len, used;
	guint32 flags;
	guint64 ts_us;
} Coded;

typedef struct {
	int fd;
	guint32 fourcc, width, height, bpl, sizeimage, coded_size;
	guint32 out_memory;
	guint n_out, n_cap;
	void *out_map[MAX_BUFS];
	gsize out_len[MAX_BUFS];
	void *cap_map[MAX_BUFS];
	gsize cap_len[MAX_BUFS];
	FILE *h264, *yuv;
	guint keyframes, frames;
} Enc;

static void enc_open(Enc *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = open_node();
}

static void reqbufs(int fd, guint32 type, guint32 memory, guint *count)
{
	struct v4l2_requestbuffers rb = { .count = *count, .type = type, .memory = memory };

	g_assert_cmpint(xioctl(fd, VIDIOC_REQBUFS, &rb), ==, 0);
	g_assert_cmpuint(rb.count, >=, 1);
	*count = MIN(rb.count, MAX_BUFS);
}

static void *map_buf(int fd, guint32 type, guint index, gsize *len)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_MMAP, .index = index,
	                         .m.planes = &plane, .length = 1 };
	void *p;

	g_assert_cmpint(xioctl(fd, VIDIOC_QUERYBUF, &b), ==, 0);
	*len = plane.length;
	p = mmap(NULL, plane.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, plane.m.mem_offset);
	g_assert_true(p != MAP_FAILED);
	return p;
}

static int queue_cap(Enc *e, guint index)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = CAP_MP, .memory = V4L2_MEMORY_MMAP, .index = index,
	                         .m.planes = &plane, .length = 1 };

	return xioctl(e->fd, VIDIOC_QBUF, &b);
}

/* Formats (CAPTURE first, as the stateful encoder interface orders it),
 * buffers, streaming.  colour: colorimetry for the OUTPUT format or NULL. */
static void enc_start(Enc *e, guint32 fourcc, guint32 w, guint32 h, guint32 bpl,
                      guint32 coded_size, guint32 out_memory, guint n_out, guint n_cap,
                      const struct v4l2_format *colour)
{
	struct v4l2_format f = { 0 };
	int type;

	g_assert_cmpint(set_fmt(e->fd, CAP_MP, V4L2_PIX_FMT_H264, w, h, 0, coded_size, &f), ==, 0);
	e->coded_size = f.fmt.pix_mp.plane_fmt[0].sizeimage;
	memset(&f, 0, sizeof(f));
	if (colour)
		f = *colour;
	g_assert_cmpint(set_fmt(e->fd, OUT_MP, fourcc, w, h, bpl, 0, &f), ==, 0);
	g_assert_cmpuint(f.fmt.pix_mp.pixelformat, ==, fourcc);
	e->fourcc = fourcc;
	e->width = f.fmt.pix_mp.width;
	e->height = f.fmt.pix_mp.height;
	e->bpl = f.fmt.pix_mp.plane_fmt[0].bytesperline;
	e->sizeimage = f.fmt.pix_mp.plane_fmt[0].sizeimage;
	e->out_memory = out_memory;
	e->n_out = n_out;
	reqbufs(e->fd, OUT_MP, out_memory, &e->n_out);
	if (out_memory == V4L2_MEMORY_MMAP)
		for (guint i = 0; i < e->n_out; i++)
			e->out_map[i] = map_buf(e->fd, OUT_MP, i, &e->out_len[i]);
	e->n_cap = n_cap;
	reqbufs(e->fd, CAP_MP, V4L2_MEMORY_MMAP, &e->n_cap);
	for (guint i = 0; i < e->n_cap; i++) {
		e->cap_map[i] = map_buf(e->fd, CAP_MP, i, &e->cap_len[i]);
		g_assert_cmpuint(e->cap_len[i], >=, e->coded_size);
		g_assert_cmpint(queue_cap(e, i), ==, 0);
	}
	type = OUT_MP;
	g_assert_cmpint(xioctl(e->fd, VIDIOC_STREAMON, &type), ==, 0);
	type = CAP_MP;
	g_assert_cmpint(xioctl(e->fd, VIDIOC_STREAMON, &type), ==, 0);
}

static void enc_stop(Enc *e)
{
	int type = OUT_MP;

	xioctl(e->fd, VIDIOC_STREAMOFF, &type);
	type = CAP_MP;
	xioctl(e->fd, VIDIOC_STREAMOFF, &type);
	for (guint i = 0; i < e->n_out; i++)
		if (e->out_map[i])
			munmap(e->out_map[i], e->out_len[i]);
	for (guint i = 0; i < e->n_cap; i++)
		munmap(e->cap_map[i], e->cap_len[i]);
	if (e->h264)
		fclose(e->h264);
	if (e->yuv)
		fclose(e->yuv);
	close(e->fd);
	e->fd = -1;
}

static void enc_outputs(Enc *e, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), OUT_DIR "/kt-codec-%s.h264", name);
	e->h264 = fopen(path, "wb");
	g_assert_nonnull(e->h264);
	snprintf(path, sizeof(path), OUT_DIR "/kt-codec-%s.yuv", name);
	e->yuv = fopen(path, "wb");
	g_assert_nonnull(e->yuv);
}

static int wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, WAIT_MS);

	return r > 0 ? p.revents : r == 0 ? -ETIMEDOUT : -errno;
}

static int queue_out(Enc *e, guint index, int dmabuf_fd, guint32 length, guint32 used,
                     guint64 ts_us, guint32 flags)
{
	struct v4l2_plane plane = { .bytesused = used, .length = length };
	struct v4l2_buffer b = { .type = OUT_MP, .memory = e->out_memory, .index = index,
	                         .m.planes = &plane, .length = 1, .flags = flags };

	b.timestamp.tv_sec = ts_us / 1000000;
	b.timestamp.tv_usec = ts_us % 1000000;
	if (e->out_memory == V4L2_MEMORY_DMABUF)
		plane.m.fd = dmabuf_fd;
	return xioctl(e->fd, VIDIOC_QBUF, &b);
}

/* An OUTPUT buffer back from the encoder: its index. */
static guint dequeue_out(Enc *e)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = OUT_MP, .memory = e->out_memory, .m.planes = &plane,
	                         .length = 1 };
	gint64 end = g_get_monotonic_time() + WAIT_MS * 1000LL;
	int r;

	while ((r = xioctl(e->fd, VIDIOC_DQBUF, &b)) == -EAGAIN && g_get_monotonic_time() < end)
		g_usleep(2000);
	g_assert_cmpint(r, ==, 0);
	g_assert_false(b.flags & V4L2_BUF_FLAG_ERROR);
	return b.index;
}

/* The next coded buffer (copied, the buffer is queued again); -errno. */
static int dequeue_cap(Enc *e, Coded *c)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = CAP_MP, .memory = V4L2_MEMORY_MMAP, .m.planes = &plane,
	                         .length = 1 };
	int r;

	for (;;) {
		r = xioctl(e->fd, VIDIOC_DQBUF, &b);
		if (r != -EAGAIN)
			break;
		r = wait_fd(e->fd, POLLIN);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	c->used = plane.bytesused;
	c->flags = b.flags;
	c->ts_us = (guint64)b.timestamp.tv_sec * 1000000 + b.timestamp.tv_usec;
	g_free(c->data);
	c->data = g_memdup2(e->cap_map[b.index], plane.bytesused);
	c->len = plane.bytesused;
	if (!(b.flags & V4L2_BUF_FLAG_LAST))
		g_assert_cmpint(queue_cap(e, b.index), ==, 0);
	return 0;
}

/* Coded frame of a whole input frame (fragments joined), written out. */
static void dequeue_frame(Enc *e, Coded *c, guint *pieces)
{
	Coded part = { 0 };
	GByteArray *all = g_byte_array_new();
	guint n = 0;

	do {
		g_assert_cmpint(dequeue_cap(e, &part), ==, 0);
		g_assert_false(part.flags & V4L2_BUF_FLAG_ERROR);
		g_assert_cmpuint(part.used, >, 0);
		if (n)
			g_assert_cmpuint(part.ts_us, ==, c->ts_us);
		c->ts_us = part.ts_us;
		c->flags = part.flags;
		g_byte_array_append(all, part.data, part.used);
		n++;
		/* a fragment fills its buffer to the last byte */
	} while (part.used == e->coded_size);
	g_free(part.data);
	g_free(c->data);
	c->len = c->used = all->len;
	c->data = g_byte_array_free(all, FALSE);
	if (pieces)
		*pieces = n;
	if (e->h264)
		fwrite(c->data, 1, c->len, e->h264);
	e->frames++;
	if (c->flags & V4L2_BUF_FLAG_KEYFRAME)
		e->keyframes++;
}

/* STOP: the frames before it, then an empty LAST buffer and the EOS event. */
static void drain(Enc *e)
{
	struct v4l2_encoder_cmd cmd = { .cmd = V4L2_ENC_CMD_STOP };
	struct v4l2_event ev;
	Coded c = { 0 };
	int r;

	g_assert_cmpint(xioctl(e->fd, VIDIOC_ENCODER_CMD, &cmd), ==, 0);
	do {
		r = dequeue_cap(e, &c);
		g_assert_cmpint(r, ==, 0);
	} while (!(c.flags & V4L2_BUF_FLAG_LAST));
	g_assert_cmpuint(c.used, ==, 0);
	r = dequeue_cap(e, &c);
	g_assert_cmpint(r, ==, -EPIPE);
	memset(&ev, 0, sizeof(ev));
	g_assert_cmpint(xioctl(e->fd, VIDIOC_DQEVENT, &ev), ==, 0);
	g_assert_cmpuint(ev.type, ==, V4L2_EVENT_EOS);
	g_free(c.data);
}

static void subscribe_eos(Enc *e)
{
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_EOS };

	g_assert_cmpint(xioctl(e->fd, VIDIOC_SUBSCRIBE_EVENT, &sub), ==, 0);
}

/* ------------------------------------------------------------------ pictures */

static guint32 rnd_state = 12345;

static guint8 rnd8(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return (rnd_state >> 16) & 0xff;
}

/* I420 test picture: flat areas, bars, a gradient and a moving noisy box. */
static void paint_i420(guint8 *d, guint32 bpl, guint32 w, guint32 h, guint frame)
{
	guint8 *u = d + (gsize)bpl * h, *v = u + (gsize)(bpl / 2) * (h / 2);

	for (guint32 y = 0; y < h; y++)
		for (guint32 x = 0; x < w; x++)
			d[(gsize)y * bpl + x] = x < w / 3 ? 40 : x < 2 * w / 3 ? (x / 32) * 30 : y;
	for (guint32 y = 0; y < h / 2; y++)
		for (guint32 x = 0; x < w / 2; x++) {
			u[(gsize)y * (bpl / 2) + x] = x < w / 6 ? 90 : 128 + (x / 16);
			v[(gsize)y * (bpl / 2) + x] = y < h / 4 ? 160 : 100;
		}
	for (guint32 y = 32; y < 64 && y < h; y++)
		for (guint32 x = 0; x < 48; x++)
			d[(gsize)y * bpl + (frame * 8 + x) % w] = rnd8();
}

/* The 4:2:0 picture a decoder must give back for a raw frame: written from
 * the format layouts and the conversion rules the module documents, not
 * from its code.  RGB: BT.601 or BT.709, full or limited range. */
static void expected_i420(guint32 fourcc, const guint8 *d, guint32 bpl, guint32 bh, guint32 w,
                          guint32 h, gboolean bt709, gboolean full, FILE *out)
{
	guint32 cw = (w + 1) / 2, ch = (h + 1) / 2;
	g_autofree guint8 *y = g_malloc((gsize)w * h), *u = g_malloc((gsize)cw * ch),
	                  *v = g_malloc((gsize)cw * ch);
	static const int m[2][2][10] = {
		{ { 66, 129, 25, 16, -38, -74, 112, 112, -94, -18 },
		  { 77, 150, 29, 0, -43, -85, 128, 128, -107, -21 } },
		{ { 47, 157, 16, 16, -26, -87, 113, 112, -102, -10 },
		  { 54, 183, 19, 0, -29, -99, 128, 128, -116, -12 } },
	};
	const int *k = m[bt709 != 0][full != 0];

#define CLAMP8(x) ((guint8)CLAMP((x), 0, 255))
#define RGB_AT(px, py, R, G, B) do {                                                     \
		const guint8 *p_ = d + (gsize)(py) * bpl;                                \
		switch (fourcc) {                                                        \
		case V4L2_PIX_FMT_RGB24: p_ += (px) * 3; R = p_[0]; G = p_[1]; B = p_[2]; break; \
		case V4L2_PIX_FMT_BGR24: p_ += (px) * 3; R = p_[2]; G = p_[1]; B = p_[0]; break; \
		case V4L2_PIX_FMT_BGR32: p_ += (px) * 4; R = p_[2]; G = p_[1]; B = p_[0]; break; \
		case V4L2_PIX_FMT_RGBA32: p_ += (px) * 4; R = p_[0]; G = p_[1]; B = p_[2]; break; \
		default: {                                                               \
			guint v16 = p_[(px) * 2] | p_[(px) * 2 + 1] << 8;                \
			R = (v16 >> 11) << 3 | (v16 >> 13);                              \
			G = ((v16 >> 5) & 63) << 2 | ((v16 >> 9) & 3);                   \
			B = (v16 & 31) << 3 | ((v16 >> 2) & 7);                           \
		} }                                                                      \
	} while (0)

	for (guint32 py = 0; py < h; py++)
		for (guint32 px = 0; px < w; px++) {
			const guint8 *row = d + (gsize)py * bpl;
			guint8 val;
			int R, G, B;

			switch (fourcc) {
			case V4L2_PIX_FMT_YUV420: case V4L2_PIX_FMT_YVU420:
			case V4L2_PIX_FMT_NV12: case V4L2_PIX_FMT_NV21:
				val = row[px];
				break;
			case V4L2_PIX_FMT_NV12_COL128:
				val = d[(gsize)(px / 128) * 128 * bpl + (gsize)py * 128 + px % 128];
				break;
			case V4L2_PIX_FMT_YUYV: case V4L2_PIX_FMT_YVYU:
				val = row[px * 2];
				break;
			case V4L2_PIX_FMT_UYVY: case V4L2_PIX_FMT_VYUY:
				val = row[px * 2 + 1];
				break;
			default:
				RGB_AT(px, py, R, G, B);
				val = CLAMP8(((k[0] * R + k[1] * G + k[2] * B + 128) >> 8) + k[3]);
				break;
			}
			y[(gsize)py * w + px] = val;
		}
	for (guint32 cy = 0; cy < ch; cy++)
		for (guint32 cx = 0; cx < cw; cx++) {
			guint32 y0 = MIN(2 * cy, h - 1), y1 = MIN(2 * cy + 1, h - 1);
			const guint8 *r0 = d + (gsize)y0 * bpl, *r1 = d + (gsize)y1 * bpl;
			gsize ysz = (gsize)bpl * bh, cs = bpl / 2;
			guint8 cb, cr;

			switch (fourcc) {
			case V4L2_PIX_FMT_YUV420:
				cb = d[ysz + cy * cs + cx];
				cr = d[ysz + cs * (bh / 2) + cy * cs + cx];
				break;
			case V4L2_PIX_FMT_YVU420:
				cr = d[ysz + cy * cs + cx];
				cb = d[ysz + cs * (bh / 2) + cy * cs + cx];
				break;
			case V4L2_PIX_FMT_NV12:
				cb = d[ysz + (gsize)cy * bpl + 2 * cx];
				cr = d[ysz + (gsize)cy * bpl + 2 * cx + 1];
				break;
			case V4L2_PIX_FMT_NV21:
				cr = d[ysz + (gsize)cy * bpl + 2 * cx];
				cb = d[ysz + (gsize)cy * bpl + 2 * cx + 1];
				break;
			case V4L2_PIX_FMT_NV12_COL128: {
				gsize base = (gsize)(2 * cx / 128) * 128 * bpl +
				             (gsize)(bh + cy) * 128 + (2 * cx) % 128;

				cb = d[base];
				cr = d[base + 1];
				break;
			}
			case V4L2_PIX_FMT_YUYV:
				cb = (r0[cx * 4 + 1] + r1[cx * 4 + 1] + 1) / 2;
				cr = (r0[cx * 4 + 3] + r1[cx * 4 + 3] + 1) / 2;
				break;
			case V4L2_PIX_FMT_UYVY:
				cb = (r0[cx * 4] + r1[cx * 4] + 1) / 2;
				cr = (r0[cx * 4 + 2] + r1[cx * 4 + 2] + 1) / 2;
				break;
			case V4L2_PIX_FMT_YVYU:
				cr = (r0[cx * 4 + 1] + r1[cx * 4 + 1] + 1) / 2;
				cb = (r0[cx * 4 + 3] + r1[cx * 4 + 3] + 1) / 2;
				break;
			case V4L2_PIX_FMT_VYUY:
				cr = (r0[cx * 4] + r1[cx * 4] + 1) / 2;
				cb = (r0[cx * 4 + 2] + r1[cx * 4 + 2] + 1) / 2;
				break;
			default: {
				guint32 x0 = MIN(2 * cx, w - 1), x1 = MIN(2 * cx + 1, w - 1);
				int R, G, B, sr = 0, sg = 0, sb = 0;

				RGB_AT(x0, y0, R, G, B); sr += R; sg += G; sb += B;
				RGB_AT(x1, y0, R, G, B); sr += R; sg += G; sb += B;
				RGB_AT(x0, y1, R, G, B); sr += R; sg += G; sb += B;
				RGB_AT(x1, y1, R, G, B); sr += R; sg += G; sb += B;
				R = (sr + 2) >> 2;
				G = (sg + 2) >> 2;
				B = (sb + 2) >> 2;
				cb = CLAMP8(((k[4] * R + k[5] * G + k[6] * B + 128) >> 8) + 128);
				cr = CLAMP8(((k[7] * R + k[8] * G + k[9] * B + 128) >> 8) + 128);
				break;
			}
			}
			u[(gsize)cy * cw + cx] = cb;
			v[(gsize)cy * cw + cx] = cr;
		}
#undef RGB_AT
#undef CLAMP8
	fwrite(y, 1, (gsize)w * h, out);
	fwrite(u, 1, (gsize)cw * ch, out);
	fwrite(v, 1, (gsize)cw * ch, out);
}

/* Any layout: bytes with flat runs, stripes and noise, so that every kind of
 * macroblock shows up whatever the format. */
static void paint_bytes(guint8 *d, gsize size, guint32 bpl, guint frame)
{
	for (gsize i = 0; i < size; i++) {
		gsize x = i % bpl, y = i / bpl;

		d[i] = x < bpl / 2 ? (guint8)(0x30 + (x / 24) * 17) : (guint8)(y * 2 + frame);
	}
	for (gsize i = (gsize)bpl * 8; i < (gsize)bpl * 12 && i < size; i++)
		if (i % bpl > bpl / 3)
			d[i] = rnd8();
}

/* ------------------------------------------------------------------ module */

static void test_load(void)
{
	int fd = open(MODULE_PATH, O_RDONLY | O_CLOEXEC);
	DIR *dir;
	struct dirent *de;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(syscall(SYS_finit_module, fd, "", 0), ==, 0);
	close(fd);
	node[0] = 0;
	dir = opendir("/sys/class/video4linux");
	g_assert_nonnull(dir);
	while ((de = readdir(dir))) {
		char path[300], name[64] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/video4linux/%.200s/name", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && g_str_has_prefix(name, "bcm2835-codec-encode\n"))
			snprintf(node, sizeof(node), "/dev/%.32s", de->d_name);
		fclose(f);
	}
	closedir(dir);
	g_test_message("encoder node: %s", node);
	g_assert_cmpstr(node, ==, "/dev/video11");
}

static void test_querycap(void)
{
	struct v4l2_capability cap = { 0 };
	int fd = open_node();

	g_assert_cmpint(xioctl(fd, VIDIOC_QUERYCAP, &cap), ==, 0);
	g_assert_cmpstr((char *)cap.driver, ==, "bcm2835-codec");
	g_assert_cmpstr((char *)cap.card, ==, "bcm2835-codec-encode");
	g_assert_cmpstr((char *)cap.bus_info, ==, "platform:bcm2835-codec");
	g_assert_cmphex(cap.device_caps, ==, 0x04204000);   /* M2M_MPLANE, STREAMING, EXT_PIX_FORMAT */
	g_assert_cmphex(cap.capabilities, ==, 0x84204000);
	close(fd);
}

static void test_media_device(void)
{
	gboolean found = FALSE;

	for (int i = 0; i < 16 && !found; i++) {
		char path[32];
		struct media_device_info info = { 0 };
		int fd;

		snprintf(path, sizeof(path), "/dev/media%d", i);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		if (xioctl(fd, MEDIA_IOC_DEVICE_INFO, &info) == 0 &&
		    strcmp(info.model, "bcm2835-codec") == 0) {
			struct media_v2_topology topo = { 0 };
			g_autofree struct media_v2_entity *ents = NULL;
			gboolean source = FALSE, proc = FALSE, sink = FALSE;

			found = TRUE;
			g_assert_cmpstr(info.driver, ==, "bcm2835-codec");
			g_assert_cmpstr(info.serial, ==, "0000");
			g_assert_cmpstr(info.bus_info, ==, "platform:bcm2835-codec");
			g_assert_cmpuint(info.hw_revision, ==, 1);
			g_assert_cmpint(xioctl(fd, MEDIA_IOC_G_TOPOLOGY, &topo), ==, 0);
			ents = g_new0(struct media_v2_entity, topo.num_entities);
			topo.ptr_entities = (guintptr)ents;
			g_assert_cmpint(xioctl(fd, MEDIA_IOC_G_TOPOLOGY, &topo), ==, 0);
			for (guint e = 0; e < topo.num_entities; e++) {
				source |= strcmp(ents[e].name, "bcm2835-codec-encode-source") == 0;
				proc |= strcmp(ents[e].name, "bcm2835-codec-encode-proc") == 0 &&
				        ents[e].function == MEDIA_ENT_F_PROC_VIDEO_ENCODER;
				sink |= strcmp(ents[e].name, "bcm2835-codec-encode-sink") == 0;
			}
			g_assert_true(source && proc && sink);
		}
		close(fd);
	}
	g_assert_true(found);
}

static void test_formats(void)
{
	static const guint32 want[] = {
		V4L2_PIX_FMT_YUV420, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_UYVY, V4L2_PIX_FMT_YUYV,
		V4L2_PIX_FMT_RGB24, V4L2_PIX_FMT_BGR24,
	};
	struct v4l2_fmtdesc d = { .type = CAP_MP };
	struct v4l2_frmsizeenum fs = { .pixel_format = V4L2_PIX_FMT_UYVY };
	guint32 outs[32];
	guint n = 0;
	int fd = open_node();

	g_assert_cmpint(xioctl(fd, VIDIOC_ENUM_FMT, &d), ==, 0);
	g_assert_cmphex(d.pixelformat, ==, V4L2_PIX_FMT_H264);
	g_assert_cmphex(d.flags & V4L2_FMT_FLAG_COMPRESSED, ==, V4L2_FMT_FLAG_COMPRESSED);
	d.index = 1;
	g_assert_cmpint(xioctl(fd, VIDIOC_ENUM_FMT, &d), ==, -EINVAL);
	for (d.index = 0, d.type = OUT_MP; xioctl(fd, VIDIOC_ENUM_FMT, &d) == 0; d.index++) {
		g_assert_cmpuint(n, <, G_N_ELEMENTS(outs));
		outs[n++] = d.pixelformat;
		g_assert_cmphex(d.flags, ==, 0);
		g_test_message("OUTPUT format %u: %.4s %s", d.index, (char *)&d.pixelformat,
		               d.description);
	}
	g_assert_cmpuint(n, ==, G_N_ELEMENTS(raw_formats));
	g_assert_cmphex(outs[0], ==, V4L2_PIX_FMT_YUV420);
	for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
		gboolean found = FALSE;

		for (guint j = 0; j < n; j++)
			found |= outs[j] == want[i];
		g_assert_true(found);
	}
	/* multi-planar API only */
	d.index = 0;
	d.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	g_assert_cmpint(xioctl(fd, VIDIOC_ENUM_FMT, &d), ==, -EINVAL);
	g_assert_cmpint(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), ==, 0);
	g_assert_cmpuint(fs.type, ==, V4L2_FRMSIZE_TYPE_STEPWISE);
	g_assert_cmpuint(fs.stepwise.min_width, ==, 32);
	g_assert_cmpuint(fs.stepwise.max_width, ==, 1920);
	g_assert_cmpuint(fs.stepwise.min_height, ==, 32);
	g_assert_cmpuint(fs.stepwise.max_height, ==, 1920);
	g_assert_cmpuint(fs.stepwise.step_width, ==, 2);
	g_assert_cmpuint(fs.stepwise.step_height, ==, 2);
	fs.index = 1;
	g_assert_cmpint(xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs), ==, -EINVAL);
	close(fd);
}

static void test_default_formats(void)
{
	struct v4l2_format f = { .type = CAP_MP };
	int fd = open_node();

	g_assert_cmpint(xioctl(fd, VIDIOC_G_FMT, &f), ==, 0);
	g_assert_cmphex(f.fmt.pix_mp.pixelformat, ==, V4L2_PIX_FMT_H264);
	g_assert_cmpuint(f.fmt.pix_mp.width, ==, 32);
	g_assert_cmpuint(f.fmt.pix_mp.height, ==, 32);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].bytesperline, ==, 0);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==, 524288);
	g_assert_cmpuint(f.fmt.pix_mp.colorspace, ==, V4L2_COLORSPACE_REC709);
	memset(&f, 0, sizeof(f));
	f.type = OUT_MP;
	g_assert_cmpint(xioctl(fd, VIDIOC_G_FMT, &f), ==, 0);
	g_assert_cmphex(f.fmt.pix_mp.pixelformat, ==, V4L2_PIX_FMT_YUV420);
	g_assert_cmpuint(f.fmt.pix_mp.width, ==, 32);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].bytesperline, ==, 64);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==, 3072);
	g_assert_cmpuint(f.fmt.pix_mp.num_planes, ==, 1);
	close(fd);
}

static void test_raw_alignment(void)
{
	static const guint32 sizes[][2] = { { 1366, 768 }, { 1920, 1080 }, { 640, 481 }, { 34, 40 } };
	struct v4l2_format f;
	int fd = open_node();

	for (guint i = 0; i < G_N_ELEMENTS(raw_formats); i++) {
		const RawFormat *rf = &raw_formats[i];

		for (guint s = 0; s < G_N_ELEMENTS(sizes); s++) {
			guint32 w = sizes[s][0], h = sizes[s][1], bpl = rule_bpl(rf, w, h, 0);

			try_fmt(fd, OUT_MP, rf->fourcc, w, h, 0, 0, &f);
			g_assert_cmphex(f.fmt.pix_mp.pixelformat, ==, rf->fourcc);
			g_assert_cmpuint(f.fmt.pix_mp.width, ==, w);
			g_assert_cmpuint(f.fmt.pix_mp.height, ==, h);   /* no 16-line alignment */
			g_assert_cmpuint(f.fmt.pix_mp.num_planes, ==, 1);
			g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].bytesperline, ==, bpl);
			g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==, rule_size(rf, w, h, bpl));
		}
		/* a larger bytesperline is kept, rounded up to the alignment */
		try_fmt(fd, OUT_MP, rf->fourcc, 640, 480, 5000, 1, &f);
		g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].bytesperline, ==, rule_bpl(rf, 640, 480, 5000));
		g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==,
		                 rule_size(rf, 640, 480, rule_bpl(rf, 640, 480, 5000)));
	}
	/* the 1080p I420 sizeimage of the issue: 1080 lines, not 1088 */
	try_fmt(fd, OUT_MP, V4L2_PIX_FMT_YUV420, 1920, 1080, 0, 0, &f);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==, 1920 * 1080 * 3 / 2);
	try_fmt(fd, OUT_MP, V4L2_PIX_FMT_UYVY, 1920, 1080, 0, 0, &f);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].bytesperline, ==, 3840);
	/* clamping, unknown fourcc */
	try_fmt(fd, OUT_MP, V4L2_PIX_FMT_YUV420, 16, 8, 0, 0, &f);
	g_assert_cmpuint(f.fmt.pix_mp.width, ==, 32);
	g_assert_cmpuint(f.fmt.pix_mp.height, ==, 32);
	try_fmt(fd, OUT_MP, V4L2_PIX_FMT_YUV420, 4000, 3000, 0, 0, &f);
	g_assert_cmpuint(f.fmt.pix_mp.width, ==, 1920);
	g_assert_cmpuint(f.fmt.pix_mp.height, ==, 1920);
	try_fmt(fd, OUT_MP, v4l2_fourcc('X', 'X', 'X', 'X'), 640, 480, 0, 0, &f);
	g_assert_cmphex(f.fmt.pix_mp.pixelformat, ==, V4L2_PIX_FMT_YUV420);
	g_assert_cmpuint(f.fmt.pix_mp.field, ==, V4L2_FIELD_NONE);
	close(fd);
}

static void test_coded_sizeimage(void)
{
	struct v4l2_format f;
	int fd = open_node();

	try_fmt(fd, CAP_MP, V4L2_PIX_FMT_H264, 1280, 720, 123, 0, &f);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==, 512 << 10);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].bytesperline, ==, 0);
	try_fmt(fd, CAP_MP, V4L2_PIX_FMT_H264, 1282, 720, 0, 0, &f);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==, 768 << 10);
	try_fmt(fd, CAP_MP, V4L2_PIX_FMT_H264, 1920, 1080, 0, 1000, &f);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==, 768 << 10);
	try_fmt(fd, CAP_MP, V4L2_PIX_FMT_H264, 1920, 1080, 0, 2000000, &f);
	g_assert_cmpuint(f.fmt.pix_mp.plane_fmt[0].sizeimage, ==, 2000000);   /* larger: kept */
	try_fmt(fd, CAP_MP, V4L2_PIX_FMT_H264, 16, 16, 0, 0, &f);
	g_assert_cmpuint(f.fmt.pix_mp.width, ==, 16);                        /* no minimum */
	try_fmt(fd, CAP_MP, V4L2_PIX_FMT_H264, 4096, 2160, 0, 0, &f);
	g_assert_cmpuint(f.fmt.pix_mp.width, ==, 1920);
	g_assert_cmpuint(f.fmt.pix_mp.height, ==, 1920);
	try_fmt(fd, CAP_MP, V4L2_PIX_FMT_MJPEG, 640, 480, 0, 0, &f);
	g_assert_cmphex(f.fmt.pix_mp.pixelformat, ==, V4L2_PIX_FMT_H264);
	close(fd);
}

static void test_colorimetry_shared(void)
{
	struct v4l2_format f = { 0 };
	int fd = open_node();

	/* OUTPUT with colorspace 0 takes the current one (REC709 after open) */
	g_assert_cmpint(set_fmt(fd, OUT_MP, V4L2_PIX_FMT_YUV420, 640, 480, 0, 0, &f), ==, 0);
	g_assert_cmpuint(f.fmt.pix_mp.colorspace, ==, V4L2_COLORSPACE_REC709);
	/* one set for both queues: S_FMT(CAPTURE) with 0 resets it */
	g_assert_cmpint(set_fmt(fd, CAP_MP, V4L2_PIX_FMT_H264, 640, 480, 0, 0, NULL), ==, 0);
	memset(&f, 0, sizeof(f));
	f.type = OUT_MP;
	g_assert_cmpint(xioctl(fd, VIDIOC_G_FMT, &f), ==, 0);
	g_assert_cmpuint(f.fmt.pix_mp.colorspace, ==, V4L2_COLORSPACE_DEFAULT);
	f.fmt.pix_mp.colorspace = V4L2_COLORSPACE_SMPTE170M;
	f.fmt.pix_mp.quantization = V4L2_QUANTIZATION_FULL_RANGE;
	g_assert_cmpint(xioctl(fd, VIDIOC_S_FMT, &f), ==, 0);
	memset(&f, 0, sizeof(f));
	f.type = CAP_MP;
	g_assert_cmpint(xioctl(fd, VIDIOC_G_FMT, &f), ==, 0);
	g_assert_cmpuint(f.fmt.pix_mp.colorspace, ==, V4L2_COLORSPACE_SMPTE170M);
	g_assert_cmpuint(f.fmt.pix_mp.quantization, ==, V4L2_QUANTIZATION_FULL_RANGE);
	close(fd);
}

static void test_controls(void)
{
	int fd = open_node();
	struct v4l2_ext_control c = { .id = V4L2_CID_MPEG_VIDEO_H264_8X8_TRANSFORM, .value = 1 };
	struct v4l2_ext_controls cs = { .which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &c };

	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_BITRATE_MODE, V4L2_CTRL_TYPE_MENU, 0, 1, 1, 0);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_BITRATE, V4L2_CTRL_TYPE_INTEGER, 25000, 25000000, 25000,
	           10000000);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_HEADER_MODE, V4L2_CTRL_TYPE_MENU, 0, 1, 1, 1);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, V4L2_CTRL_TYPE_BOOLEAN, 0, 1, 1, 0);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, V4L2_CTRL_TYPE_INTEGER, 0, 0x7fffffff, 1, 60);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_H264_LEVEL, V4L2_CTRL_TYPE_MENU, 0, 15, 1,
	           V4L2_MPEG_VIDEO_H264_LEVEL_4_0);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_H264_PROFILE, V4L2_CTRL_TYPE_MENU, 0, 4, 1,
	           V4L2_MPEG_VIDEO_H264_PROFILE_HIGH);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_H264_MIN_QP, V4L2_CTRL_TYPE_INTEGER, 0, 51, 1, 20);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_H264_MAX_QP, V4L2_CTRL_TYPE_INTEGER, 0, 51, 1, 51);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, V4L2_CTRL_TYPE_BUTTON, 0, 0, 0, 0);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_B_FRAMES, V4L2_CTRL_TYPE_INTEGER, 0, 0, 1, 0);
	check_ctrl(fd, V4L2_CID_MPEG_VIDEO_GOP_SIZE, V4L2_CTRL_TYPE_INTEGER, 0, 0x7fffffff, 1, 60);
	/* menus: every level 1..5.1; profiles without Extended */
	for (guint i = 0; i <= 15; i++)
		g_assert_true(menu_has(fd, V4L2_CID_MPEG_VIDEO_H264_LEVEL, i));
	g_assert_true(menu_has(fd, V4L2_CID_MPEG_VIDEO_H264_PROFILE, 1));
	g_assert_false(menu_has(fd, V4L2_CID_MPEG_VIDEO_H264_PROFILE, 3));
	/* the control core (the same on the Pi) clamps integers, refuses skipped menu items */
	g_assert_cmpint(set_ctrl(fd, V4L2_CID_MPEG_VIDEO_B_FRAMES, 2), ==, 0);
	g_assert_cmpint(get_ctrl(fd, V4L2_CID_MPEG_VIDEO_B_FRAMES), ==, 0);
	g_assert_cmpint(set_ctrl(fd, V4L2_CID_MPEG_VIDEO_H264_PROFILE, 3), ==, -EINVAL);
	g_assert_cmpint(set_ctrl(fd, V4L2_CID_MPEG_VIDEO_BITRATE, 3000000), ==, 0);
	g_assert_cmpint(get_ctrl(fd, V4L2_CID_MPEG_VIDEO_BITRATE), ==, 3000000);
	g_assert_cmpint(set_ctrl(fd, V4L2_CID_MPEG_VIDEO_BITRATE, 26000), ==, 0);
	g_assert_cmpint(get_ctrl(fd, V4L2_CID_MPEG_VIDEO_BITRATE), ==, 25000);  /* step */
	g_assert_cmpint(xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs), ==, -EINVAL);      /* unknown */
	/* h264_i_frame_period also sets video_gop_size */
	g_assert_cmpint(set_ctrl(fd, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, 30), ==, 0);
	g_assert_cmpint(get_ctrl(fd, V4L2_CID_MPEG_VIDEO_GOP_SIZE), ==, 30);
	g_assert_cmpint(set_ctrl(fd, V4L2_CID_MPEG_VIDEO_GOP_SIZE, 45), ==, 0);
	g_assert_cmpint(get_ctrl(fd, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD), ==, 30);
	close(fd);
}

/* The component is created at the first REQBUFS and takes every control
 * value again, h264_i_frame_period writing video_gop_size once more. */
static void test_controls_at_reqbufs(void)
{
	int fd = open_node();
	guint count = 1;

	g_assert_cmpint(set_ctrl(fd, V4L2_CID_MPEG_VIDEO_GOP_SIZE, 45), ==, 0);
	g_assert_cmpint(get_ctrl(fd, V4L2_CID_MPEG_VIDEO_GOP_SIZE), ==, 45);
	reqbufs(fd, CAP_MP, V4L2_MEMORY_MMAP, &count);
	g_assert_cmpint(get_ctrl(fd, V4L2_CID_MPEG_VIDEO_GOP_SIZE), ==, 60);
	/* and S_FMT is refused while the queue has buffers */
	g_assert_cmpint(set_fmt(fd, CAP_MP, V4L2_PIX_FMT_H264, 640, 480, 0, 0, NULL), ==, -EBUSY);
	close(fd);
}

static void test_parm_selection(void)
{
	struct v4l2_streamparm p = { .type = OUT_MP };
	struct v4l2_selection s = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
	                            .target = V4L2_SEL_TGT_CROP_DEFAULT };
	struct v4l2_encoder_cmd ec = { .cmd = V4L2_ENC_CMD_PAUSE };
	struct v4l2_decoder_cmd dc = { .cmd = V4L2_DEC_CMD_STOP };
	int fd = open_node();

	g_assert_cmpint(xioctl(fd, VIDIOC_G_PARM, &p), ==, 0);
	g_assert_cmpuint(p.parm.output.capability, ==, V4L2_CAP_TIMEPERFRAME);
	g_assert_cmpuint(p.parm.output.timeperframe.numerator, ==, 1);
	g_assert_cmpuint(p.parm.output.timeperframe.denominator, ==, 30);
	p.parm.output.timeperframe.denominator = 60;
	g_assert_cmpint(xioctl(fd, VIDIOC_S_PARM, &p), ==, 0);
	p.parm.output.timeperframe.denominator = 0;
	g_assert_cmpint(xioctl(fd, VIDIOC_S_PARM, &p), ==, -EINVAL);
	p.type = CAP_MP;
	g_assert_cmpint(xioctl(fd, VIDIOC_G_PARM, &p), ==, -EINVAL);

	g_assert_cmpint(set_fmt(fd, OUT_MP, V4L2_PIX_FMT_YUV420, 1000, 500, 0, 0, NULL), ==, 0);
	g_assert_cmpint(xioctl(fd, VIDIOC_G_SELECTION, &s), ==, 0);
	g_assert_cmpuint(s.r.width, ==, 1024);      /* bytesperline, as the driver has it */
	g_assert_cmpuint(s.r.height, ==, 500);
	s.target = V4L2_SEL_TGT_CROP;
	g_assert_cmpint(xioctl(fd, VIDIOC_G_SELECTION, &s), ==, 0);
	g_assert_cmpuint(s.r.width, ==, 1000);
	s.r.width = 2000;
	s.r.height = 300;
	g_assert_cmpint(xioctl(fd, VIDIOC_S_SELECTION, &s), ==, 0);
	g_assert_cmpuint(s.r.width, ==, 1000);
	g_assert_cmpuint(s.r.height, ==, 300);
	s.target = V4L2_SEL_TGT_COMPOSE;
	g_assert_cmpint(xioctl(fd, VIDIOC_S_SELECTION, &s), ==, -EINVAL);
	s.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	s.target = V4L2_SEL_TGT_CROP;
	g_assert_cmpint(xioctl(fd, VIDIOC_G_SELECTION, &s), ==, -EINVAL);

	g_assert_cmpint(xioctl(fd, VIDIOC_TRY_ENCODER_CMD, &ec), ==, -EINVAL);
	g_assert_cmpint(xioctl(fd, VIDIOC_DECODER_CMD, &dc), ==, -ENOTTY);
	close(fd);
}

/* ------------------------------------------------------------------ encodes */

/* 640x360 I420 from MMAP buffers: cropping (360 = 22.5 macroblocks), SPS
 * and PPS before every IDR, FORCE_KEY_FRAME, colorimetry in the VUI,
 * timestamps, drain. */
static void test_encode_mmap_i420(void)
{
	struct v4l2_format colour = { 0 };
	Coded c = { 0 };
	Enc e;
	Nals n;
	Sps sps;

	enc_open(&e);
	subscribe_eos(&e);
	colour.fmt.pix_mp.colorspace = V4L2_COLORSPACE_REC709;
	colour.fmt.pix_mp.ycbcr_enc = V4L2_YCBCR_ENC_709;
	colour.fmt.pix_mp.quantization = V4L2_QUANTIZATION_LIM_RANGE;
	colour.fmt.pix_mp.xfer_func = V4L2_XFER_FUNC_709;
	g_assert_cmpint(set_ctrl(e.fd, V4L2_CID_MPEG_VIDEO_H264_PROFILE,
	                         V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE), ==, 0);
	g_assert_cmpint(set_ctrl(e.fd, V4L2_CID_MPEG_VIDEO_H264_LEVEL,
	                         V4L2_MPEG_VIDEO_H264_LEVEL_3_1), ==, 0);
	g_assert_cmpint(set_ctrl(e.fd, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, 1), ==, 0);
	g_assert_cmpint(set_ctrl(e.fd, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, 100), ==, 0);
	enc_start(&e, V4L2_PIX_FMT_YUV420, 640, 360, 0, 0, V4L2_MEMORY_MMAP, 2, 4, &colour);
	g_assert_cmpuint(e.bpl, ==, 640);
	g_assert_cmpuint(e.sizeimage, ==, 640 * 360 * 3 / 2);
	g_assert_cmpuint(e.coded_size, ==, 512 << 10);
	enc_outputs(&e, "i420");
	for (guint i = 0; i < 10; i++) {
		guint idx = i % e.n_out;
		guint64 ts = 1000000 + i * 33333;

		if (i == 5)
			g_assert_cmpint(set_ctrl(e.fd, V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 1), ==, 0);
		paint_i420(e.out_map[idx], e.bpl, 640, 360, i);
		expected_i420(V4L2_PIX_FMT_YUV420, e.out_map[idx], e.bpl, 360, 640, 360, FALSE, FALSE,
		              e.yuv);
		g_assert_cmpint(queue_out(&e, idx, -1, 0, e.sizeimage, ts, 0), ==, 0);
		dequeue_frame(&e, &c, NULL);
		g_assert_cmpuint(dequeue_out(&e), ==, idx);
		scan_nals(c.data, c.len, &n);
		g_assert_true(n.sane);
		g_assert_cmpuint(c.ts_us, ==, ts);
		if (i == 0 || i == 5) {
			g_assert_true(c.flags & V4L2_BUF_FLAG_KEYFRAME);
			g_assert_cmpuint(n.n, ==, 3);
			g_assert_cmpuint(n.types[0], ==, 7);
			g_assert_cmpuint(n.types[1], ==, 8);
			g_assert_cmpuint(n.types[2], ==, 5);
			parse_sps(c.data + n.sps_off, n.sps_len, &sps);
			g_assert_cmpuint(sps.profile_idc, ==, 66);
			g_assert_cmphex(sps.constraints & 0xc0, ==, 0xc0);
			g_assert_cmpuint(sps.level_idc, ==, 31);
			g_assert_cmpuint(sps.width, ==, 640);
			g_assert_cmpuint(sps.height, ==, 360);
			g_assert_true(sps.signal_type && sps.colour_desc);
			g_assert_false(sps.full_range);
			g_assert_cmpuint(sps.primaries, ==, 1);
			g_assert_cmpuint(sps.transfer, ==, 1);
			g_assert_cmpuint(sps.matrix, ==, 1);
			g_assert_true(sps.timing);
			g_assert_cmpuint(sps.units, ==, 1);
			g_assert_cmpuint(sps.scale, ==, 60);
		} else {
			g_assert_false(c.flags & V4L2_BUF_FLAG_KEYFRAME);
			g_assert_cmpuint(n.n, ==, 1);
			g_assert_cmpuint(n.types[0], ==, 1);
		}
	}
	drain(&e);
	g_free(c.data);
	enc_stop(&e);
}

/* sequence_header_mode "separate buffer", no repeat, GOP 4. */
static void test_gop_headers(void)
{
	Coded c = { 0 };
	Enc e;
	Nals n;

	enc_open(&e);
	g_assert_cmpint(set_ctrl(e.fd, V4L2_CID_MPEG_VIDEO_HEADER_MODE,
	                         V4L2_MPEG_VIDEO_HEADER_MODE_SEPARATE), ==, 0);
	g_assert_cmpint(set_ctrl(e.fd, V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, 4), ==, 0);
	enc_start(&e, V4L2_PIX_FMT_YUV420, 64, 64, 0, 0, V4L2_MEMORY_MMAP, 1, 2, NULL);
	enc_outputs(&e, "gop");
	for (guint i = 0; i < 10; i++) {
		paint_i420(e.out_map[0], e.bpl, 64, 64, i);
		expected_i420(V4L2_PIX_FMT_YUV420, e.out_map[0], e.bpl, 64, 64, 64, FALSE, FALSE, e.yuv);
		g_assert_cmpint(queue_out(&e, 0, -1, 0, e.sizeimage, 1000 + i, 0), ==, 0);
		if (i == 0) {
			dequeue_frame(&e, &c, NULL);     /* SPS and PPS alone */
			scan_nals(c.data, c.len, &n);
			g_assert_cmpuint(n.n, ==, 2);
			g_assert_cmpuint(n.types[0], ==, 7);
			g_assert_cmpuint(n.types[1], ==, 8);
			g_assert_false(c.flags & V4L2_BUF_FLAG_KEYFRAME);
			g_assert_cmpuint(c.ts_us, ==, 0);       /* MMAL's unknown time */
		}
		dequeue_frame(&e, &c, NULL);
		dequeue_out(&e);
		scan_nals(c.data, c.len, &n);
		g_assert_cmpuint(n.n, ==, 1);
		g_assert_cmpuint(n.types[0], ==, i % 4 ? 1 : 5);
		g_assert_cmpuint(!!(c.flags & V4L2_BUF_FLAG_KEYFRAME), ==, i % 4 == 0);
		g_assert_cmpuint(c.ts_us, ==, 1000 + i);
	}
	g_free(c.data);
	enc_stop(&e);
}

/* S_SELECTION's crop is the coded size; an OUTPUT buffer flagged LAST is
 * encoded and ends the stream as STOP does (the driver turns the flag
 * into MMAL's EOS). */
static void test_crop_and_last_flag(void)
{
	struct v4l2_selection sel = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
	                              .target = V4L2_SEL_TGT_CROP, .r = { 0, 0, 48, 40 } };
	struct v4l2_format f = { 0 };
	struct v4l2_event ev = { 0 };
	Coded c = { 0 };
	guint count = 1;
	Enc e;
	Nals n;
	Sps sps;
	int type;

	enc_open(&e);
	subscribe_eos(&e);
	g_assert_cmpint(set_fmt(e.fd, CAP_MP, V4L2_PIX_FMT_H264, 64, 64, 0, 0, &f), ==, 0);
	e.coded_size = f.fmt.pix_mp.plane_fmt[0].sizeimage;
	memset(&f, 0, sizeof(f));
	g_assert_cmpint(set_fmt(e.fd, OUT_MP, V4L2_PIX_FMT_YUV420, 64, 64, 0, 0, &f), ==, 0);
	e.bpl = f.fmt.pix_mp.plane_fmt[0].bytesperline;
	e.sizeimage = f.fmt.pix_mp.plane_fmt[0].sizeimage;
	g_assert_cmpint(xioctl(e.fd, VIDIOC_S_SELECTION, &sel), ==, 0);
	e.out_memory = V4L2_MEMORY_MMAP;
	reqbufs(e.fd, OUT_MP, V4L2_MEMORY_MMAP, &count);
	e.n_out = 1;
	e.out_map[0] = map_buf(e.fd, OUT_MP, 0, &e.out_len[0]);
	count = 2;
	reqbufs(e.fd, CAP_MP, V4L2_MEMORY_MMAP, &count);
	e.n_cap = count;
	for (guint i = 0; i < e.n_cap; i++) {
		e.cap_map[i] = map_buf(e.fd, CAP_MP, i, &e.cap_len[i]);
		g_assert_cmpint(queue_cap(&e, i), ==, 0);
	}
	type = OUT_MP;
	g_assert_cmpint(xioctl(e.fd, VIDIOC_STREAMON, &type), ==, 0);
	type = CAP_MP;
	g_assert_cmpint(xioctl(e.fd, VIDIOC_STREAMON, &type), ==, 0);
	enc_outputs(&e, "crop");
	for (guint i = 0; i < 2; i++) {
		paint_i420(e.out_map[0], e.bpl, 64, 64, i);
		expected_i420(V4L2_PIX_FMT_YUV420, e.out_map[0], e.bpl, 64, 48, 40, FALSE, FALSE, e.yuv);
		g_assert_cmpint(queue_out(&e, 0, -1, 0, e.sizeimage, 7 + i, i ? V4L2_BUF_FLAG_LAST : 0),
		                ==, 0);
		dequeue_frame(&e, &c, NULL);
		dequeue_out(&e);
		scan_nals(c.data, c.len, &n);
		if (i == 0) {
			parse_sps(c.data + n.sps_off, n.sps_len, &sps);
			g_assert_cmpuint(sps.width, ==, 48);
			g_assert_cmpuint(sps.height, ==, 40);
		}
	}
	g_assert_cmpint(dequeue_cap(&e, &c), ==, 0);
	g_assert_true(c.flags & V4L2_BUF_FLAG_LAST);
	g_assert_cmpuint(c.used, ==, 0);
	g_assert_cmpint(xioctl(e.fd, VIDIOC_DQEVENT, &ev), ==, 0);
	g_assert_cmpuint(ev.type, ==, V4L2_EVENT_EOS);
	g_free(c.data);
	enc_stop(&e);
}

/* A noise frame larger than the 512 KiB coded buffer continues in the next
 * buffers with the same timestamp and flags; the unchanged next frame is
 * all P_Skip. */
static void test_fragments(void)
{
	Coded c = { 0 };
	guint pieces = 0;
	Enc e;
	Nals n;

	enc_open(&e);
	enc_start(&e, V4L2_PIX_FMT_YUV420, 1280, 720, 0, 0, V4L2_MEMORY_MMAP, 1, 4, NULL);
	g_assert_cmpuint(e.coded_size, ==, 512 << 10);
	enc_outputs(&e, "fragments");
	for (gsize i = 0; i < e.sizeimage; i++)
		((guint8 *)e.out_map[0])[i] = rnd8();
	for (guint i = 0; i < 2; i++) {
		expected_i420(V4L2_PIX_FMT_YUV420, e.out_map[0], e.bpl, 720, 1280, 720, FALSE, FALSE,
		              e.yuv);
		g_assert_cmpint(queue_out(&e, 0, -1, 0, e.sizeimage, 5000 + i, 0), ==, 0);
		dequeue_frame(&e, &c, &pieces);
		dequeue_out(&e);
		scan_nals(c.data, c.len, &n);
		g_test_message("frame %u: %zu bytes in %u buffers", i, c.len, pieces);
		if (i == 0) {
			g_assert_cmpuint(pieces, >=, 3);
			g_assert_cmpuint(n.types[n.n - 1], ==, 5);
			g_assert_true(c.flags & V4L2_BUF_FLAG_KEYFRAME);
		} else {
			g_assert_cmpuint(pieces, ==, 1);
			g_assert_cmpuint(c.len, <, 64);
		}
	}
	g_free(c.data);
	enc_stop(&e);
}

/* Every OUTPUT format from MMAP buffers, a small picture with flat areas,
 * stripes and noise; RGB with the default colorimetry (BT.601 full range,
 * said in the VUI). */
static void test_encode_all_formats(void)
{
	for (guint f = 0; f < G_N_ELEMENTS(raw_formats); f++) {
		guint32 fourcc = raw_formats[f].fourcc;
		gboolean rgb = raw_formats[f].depth >= 24 || fourcc == V4L2_PIX_FMT_RGB565;
		char name[32];
		Coded c = { 0 };
		Enc e;
		Nals n;
		Sps sps;

		enc_open(&e);
		enc_start(&e, fourcc, 96, 64, 0, 0, V4L2_MEMORY_MMAP, 1, 2, NULL);
		snprintf(name, sizeof(name), "fmt-%.4s", (char *)&fourcc);
		enc_outputs(&e, name);
		for (guint i = 0; i < 3; i++) {
			paint_bytes(e.out_map[0], e.sizeimage, e.bpl, i);
			expected_i420(fourcc, e.out_map[0], e.bpl, 64, 96, 64, FALSE, TRUE, e.yuv);
			g_assert_cmpint(queue_out(&e, 0, -1, 0, e.sizeimage, i, 0), ==, 0);
			dequeue_frame(&e, &c, NULL);
			dequeue_out(&e);
			scan_nals(c.data, c.len, &n);
			g_assert_true(n.sane);
			g_assert_cmpuint(n.types[n.n - 1], ==, i ? 1 : 5);
			if (i)
				continue;
			parse_sps(c.data + n.sps_off, n.sps_len, &sps);
			g_assert_cmpuint(sps.profile_idc, ==, 100);     /* the default: High */
			g_assert_cmpuint(sps.level_idc, ==, 40);
			g_assert_cmpuint(sps.width, ==, 96);
			g_assert_cmpuint(sps.height, ==, 64);
			g_assert_true(sps.signal_type);
			/* YUV: colorspace DEFAULT (S_FMT of CAPTURE first) writes no colour
			 * description; RGB: what the conversion used */
			g_assert_cmpuint(sps.colour_desc, ==, rgb);
			g_assert_cmpuint(sps.full_range, ==, rgb);
			if (rgb) {
				g_assert_cmpuint(sps.matrix, ==, 6);
				g_assert_cmpuint(sps.primaries, ==, 1);
				g_assert_cmpuint(sps.transfer, ==, 13);
			}
		}
		g_free(c.data);
		enc_stop(&e);
	}
}

/* ------------------------------------------------------------------ vivid */

typedef struct {
	int fd;
	char path[64];
	struct v4l2_dv_timings saved_timings;
	struct v4l2_format saved_fmt;
	guint n;
	void *map[MAX_BUFS];
	gsize len[MAX_BUFS];
	int dmabuf[MAX_BUFS];
	guint32 width, height, bpl, sizeimage;
} Vivid;

static gboolean vivid_open(Vivid *v)
{
	for (int i = 0; i < 64; i++) {
		struct v4l2_capability cap = { 0 };

		snprintf(v->path, sizeof(v->path), "/dev/video%d", i);
		v->fd = open(v->path, O_RDWR | O_NONBLOCK);
		if (v->fd < 0)
			continue;
		if (xioctl(v->fd, VIDIOC_QUERYCAP, &cap) == 0 && strcmp((char *)cap.driver, "vivid") == 0 &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE))
			return TRUE;
		close(v->fd);
	}
	return FALSE;
}

/* vivid's HDMI input at timings t in fourcc, n buffers exported as DMA-BUF. */
static void vivid_start(Vivid *v, const struct v4l2_dv_timings *t, guint32 fourcc)
{
	struct v4l2_dv_timings timings = *t;
	struct v4l2_format f = { .type = CAP_MP };
	int input = 0, type = CAP_MP;

	memset(v, 0, sizeof(*v));
	g_assert_true(vivid_open(v));
	g_test_message("vivid: %s", v->path);
	g_assert_cmpint(xioctl(v->fd, VIDIOC_S_INPUT, &input), ==, 0);
	g_assert_cmpint(xioctl(v->fd, VIDIOC_G_DV_TIMINGS, &v->saved_timings), ==, 0);
	v->saved_fmt.type = CAP_MP;
	g_assert_cmpint(xioctl(v->fd, VIDIOC_G_FMT, &v->saved_fmt), ==, 0);
	g_assert_cmpint(xioctl(v->fd, VIDIOC_S_DV_TIMINGS, &timings), ==, 0);
	g_assert_cmpint(xioctl(v->fd, VIDIOC_G_FMT, &f), ==, 0);
	f.fmt.pix_mp.pixelformat = fourcc;
	f.fmt.pix_mp.num_planes = 1;
	f.fmt.pix_mp.plane_fmt[0].bytesperline = 0;
	g_assert_cmpint(xioctl(v->fd, VIDIOC_S_FMT, &f), ==, 0);
	g_assert_cmphex(f.fmt.pix_mp.pixelformat, ==, fourcc);
	g_assert_cmpuint(f.fmt.pix_mp.num_planes, ==, 1);
	v->width = f.fmt.pix_mp.width;
	v->height = f.fmt.pix_mp.height;
	v->bpl = f.fmt.pix_mp.plane_fmt[0].bytesperline;
	v->sizeimage = f.fmt.pix_mp.plane_fmt[0].sizeimage;
	g_test_message("vivid: %ux%u %.4s bytesperline %u sizeimage %u", v->width, v->height,
	               (char *)&fourcc, v->bpl, v->sizeimage);
	v->n = 4;
	reqbufs(v->fd, CAP_MP, V4L2_MEMORY_MMAP, &v->n);
	for (guint i = 0; i < v->n; i++) {
		struct v4l2_exportbuffer exp = { .type = CAP_MP, .index = i, .flags = O_RDWR | O_CLOEXEC };
		struct v4l2_plane plane = { 0 };
		struct v4l2_buffer b = { .type = CAP_MP, .memory = V4L2_MEMORY_MMAP, .index = i,
		                         .m.planes = &plane, .length = 1 };

		g_assert_cmpint(xioctl(v->fd, VIDIOC_EXPBUF, &exp), ==, 0);
		v->dmabuf[i] = exp.fd;
		v->map[i] = map_buf(v->fd, CAP_MP, i, &v->len[i]);
		g_assert_cmpint(xioctl(v->fd, VIDIOC_QBUF, &b), ==, 0);
	}
	g_assert_cmpint(xioctl(v->fd, VIDIOC_STREAMON, &type), ==, 0);
}

static guint vivid_dequeue(Vivid *v, guint64 *ts_us)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = CAP_MP, .memory = V4L2_MEMORY_MMAP, .m.planes = &plane,
	                         .length = 1 };
	int r;

	while ((r = xioctl(v->fd, VIDIOC_DQBUF, &b)) == -EAGAIN)
		g_assert_cmpint(wait_fd(v->fd, POLLIN), >, 0);
	g_assert_cmpint(r, ==, 0);
	*ts_us = (guint64)b.timestamp.tv_sec * 1000000 + b.timestamp.tv_usec;
	return b.index;
}

static void vivid_requeue(Vivid *v, guint index)
{
	struct v4l2_plane plane = { 0 };
	struct v4l2_buffer b = { .type = CAP_MP, .memory = V4L2_MEMORY_MMAP, .index = index,
	                         .m.planes = &plane, .length = 1 };

	g_assert_cmpint(xioctl(v->fd, VIDIOC_QBUF, &b), ==, 0);
}

static void vivid_stop(Vivid *v)
{
	struct v4l2_requestbuffers rb = { .count = 0, .type = CAP_MP, .memory = V4L2_MEMORY_MMAP };
	int type = CAP_MP;

	xioctl(v->fd, VIDIOC_STREAMOFF, &type);
	for (guint i = 0; i < v->n; i++) {
		munmap(v->map[i], v->len[i]);
		close(v->dmabuf[i]);
	}
	xioctl(v->fd, VIDIOC_REQBUFS, &rb);
	/* as found, for the tests after this one */
	xioctl(v->fd, VIDIOC_S_DV_TIMINGS, &v->saved_timings);
	xioctl(v->fd, VIDIOC_S_FMT, &v->saved_fmt);
	close(v->fd);
}

/* vivid's HDMI capture buffers imported as DMA-BUF into the OUTPUT queue,
 * zero copy; the expected pictures are read from vivid's mapping. */
static void encode_vivid(const char *name, const struct v4l2_dv_timings *t, guint32 fourcc,
                         guint frames)
{
	Coded c = { 0 };
	Enc e;
	Vivid v;
	Nals n;

	vivid_start(&v, t, fourcc);
	enc_open(&e);
	subscribe_eos(&e);
	g_assert_cmpint(set_ctrl(e.fd, V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, 1), ==, 0);
	enc_start(&e, fourcc, v.width, v.height, v.bpl, 0, V4L2_MEMORY_DMABUF, v.n, 4, NULL);
	g_assert_cmpuint(e.bpl, ==, v.bpl);
	g_assert_cmpuint(e.sizeimage, <=, v.len[0]);
	/* a plane shorter than sizeimage is refused; longer than the DMA-BUF too */
	g_assert_cmpint(queue_out(&e, 0, v.dmabuf[0], e.sizeimage - 1, e.sizeimage - 1, 0, 0), ==,
	                -EINVAL);
	g_assert_cmpint(queue_out(&e, 0, v.dmabuf[0], v.len[0] + 65536, e.sizeimage, 0, 0), ==,
	                -EFAULT);
	enc_outputs(&e, name);
	for (guint i = 0; i < frames; i++) {
		guint64 ts;
		guint idx = vivid_dequeue(&v, &ts);

		expected_i420(fourcc, v.map[idx], v.bpl, v.height, v.width, v.height, FALSE, FALSE, e.yuv);
		/* vb2 wants the plane length with DMABUF when bytesused is set */
		g_assert_cmpint(queue_out(&e, idx, v.dmabuf[idx], 0, e.sizeimage, ts, 0), ==, -EINVAL);
		g_assert_cmpint(queue_out(&e, idx, v.dmabuf[idx], v.len[idx], e.sizeimage, ts, 0), ==, 0);
		dequeue_frame(&e, &c, NULL);
		g_assert_cmpuint(dequeue_out(&e), ==, idx);
		vivid_requeue(&v, idx);
		scan_nals(c.data, c.len, &n);
		g_assert_true(n.sane);
		g_assert_cmpuint(c.ts_us, ==, ts);
		g_assert_cmpuint(!!(c.flags & V4L2_BUF_FLAG_KEYFRAME), ==, i == 0);
		g_assert_cmpuint(has_nal(&n, 7), ==, i == 0);
		g_assert_cmpuint(has_nal(&n, 5), ==, i == 0);
	}
	g_test_message("%s: %u frames, %u keyframes", name, e.frames, e.keyframes);
	drain(&e);
	g_free(c.data);
	enc_stop(&e);
	vivid_stop(&v);
}

static void test_vivid_uyvy_dmabuf(void)
{
	struct v4l2_dv_timings t = V4L2_DV_BT_CEA_640X480P59_94;

	encode_vivid("vivid-uyvy", &t, V4L2_PIX_FMT_UYVY, 12);
}

static void test_vivid_i420_dmabuf(void)
{
	struct v4l2_dv_timings t = V4L2_DV_BT_CEA_1280X720P60;

	encode_vivid("vivid-i420", &t, V4L2_PIX_FMT_YUV420, 8);
}

/* The service's own M2M encoder (src/encode/m2m*.c) finds the node by
 * capability and encodes vivid's DMA-BUFs through it. */
typedef struct {
	HdmirtcEncoder *enc;
	FILE *out;
	guint frames, aus, keyframes, bad_start, errors;
} Chain;

static void on_au(HdmirtcEncoder *enc, HdmirtcAccessUnit *au, gpointer data)
{
	Chain *c = data;

	if (au->size < 4 || memcmp(au->data, "\0\0\0\1", 4) != 0)
		c->bad_start++;
	c->aus++;
	c->keyframes += au->keyframe;
	fwrite(au->data, 1, au->size, c->out);
}

static void on_frame(HdmirtcCapture *cap, HdmirtcFrame *f, gpointer data)
{
	Chain *c = data;

	c->frames++;
	if (f->dmabuf_fd >= 0 && hdmirtc_encoder_encode(c->enc, f, on_au, c) < 0)
		c->errors++;
}

static void test_service_encoder(void)
{
	HdmirtcCaptureConfig cc = { 640, 360, 30 };
	HdmirtcV4l2Config vc = { .fourcc = DRM_FORMAT_YUV420 };
	HdmirtcEncoderConfig ec = { 1280, 720, 30, 2000, 30, HDMIRTC_H264_PROFILE_BASELINE, 0, 0 };
	HdmirtcM2mConfig mc = { .device = node };
	g_autoptr(GError) error = NULL;
	GMainContext *ctx = g_main_context_new();
	Chain c = { 0 };
	HdmirtcCapture *cap;
	char path[64];
	gint64 end;

	g_assert_true(hdmirtc_encoder_find_m2m(0, path, sizeof(path)));
	g_assert_cmpstr(path, ==, node);
	c.out = fopen(OUT_DIR "/kt-codec-service.h264", "wb");
	g_assert_nonnull(c.out);
	c.enc = hdmirtc_encoder_new_m2m(&ec, &mc, &error);
	g_assert_no_error(error);
	cap = hdmirtc_capture_new_v4l2(&cc, &vc, &error);
	g_assert_no_error(error);
	/* The M2M encoder's coded frames come out on the thread-default
	 * context of the encode calls, as on the service's media thread. */
	g_main_context_push_thread_default(ctx);
	g_assert_true(hdmirtc_capture_start(cap, ctx, on_frame, &c, &error));
	end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
	while (c.aus < 20 && g_get_monotonic_time() < end) {
		g_main_context_iteration(ctx, FALSE);
		g_usleep(1000);
	}
	g_test_message("service encoder: %u frames, %u AUs, %u keyframes, %u errors", c.frames,
	               c.aus, c.keyframes, c.errors);
	hdmirtc_capture_free(cap);
	hdmirtc_encoder_free(c.enc);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	fclose(c.out);
	g_assert_cmpuint(c.aus, >=, 20);
	g_assert_cmpuint(c.keyframes, >=, 1);
	g_assert_cmpuint(c.bad_start, ==, 0);
	g_assert_cmpuint(c.errors, ==, 0);
}

static void test_unload(void)
{
	g_assert_cmpint(syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK), ==, 0);
	g_assert_cmpint(access(node, F_OK), !=, 0);
}

static int run_tests(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kernel/codec/load", test_load);
	g_test_add_func("/kernel/codec/querycap", test_querycap);
	g_test_add_func("/kernel/codec/media-device", test_media_device);
	g_test_add_func("/kernel/codec/formats", test_formats);
	g_test_add_func("/kernel/codec/default-formats", test_default_formats);
	g_test_add_func("/kernel/codec/raw-alignment", test_raw_alignment);
	g_test_add_func("/kernel/codec/coded-sizeimage", test_coded_sizeimage);
	g_test_add_func("/kernel/codec/colorimetry-shared", test_colorimetry_shared);
	g_test_add_func("/kernel/codec/controls", test_controls);
	g_test_add_func("/kernel/codec/controls-at-reqbufs", test_controls_at_reqbufs);
	g_test_add_func("/kernel/codec/parm-selection-cmds", test_parm_selection);
	g_test_add_func("/kernel/codec/encode-mmap-i420", test_encode_mmap_i420);
	g_test_add_func("/kernel/codec/gop-separate-headers", test_gop_headers);
	g_test_add_func("/kernel/codec/crop-and-last-flag", test_crop_and_last_flag);
	g_test_add_func("/kernel/codec/fragments", test_fragments);
	g_test_add_func("/kernel/codec/encode-every-format", test_encode_all_formats);
	g_test_add_func("/kernel/codec/vivid-uyvy-dmabuf", test_vivid_uyvy_dmabuf);
	g_test_add_func("/kernel/codec/vivid-i420-dmabuf", test_vivid_i420_dmabuf);
	g_test_add_func("/kernel/codec/service-m2m-encoder", test_service_encoder);
	g_test_add_func("/kernel/codec/unload", test_unload);
	return g_test_run();
}

/* The tests run in a child so that the module is unloaded even when one
 * aborts: the tests after this program (kt-m2m) expect no H.264 encoder. */
int main(int argc, char **argv)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		return run_tests(argc, argv);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 1;
	if (access("/sys/module/" MODULE_NAME, F_OK) == 0 &&
	    syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK) != 0)
		fprintf(stderr, "kt-codec: could not unload %s: %s\n", MODULE_NAME, g_strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
