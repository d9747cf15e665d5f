/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A small pool of CPU-memory I420 frames, recycled on the last unref. */
#include "capture-private.h"

#include <drm_fourcc.h>

typedef struct PoolBuffer PoolBuffer;

struct PoolBuffer {
	HdmirtcFrame frame;
	HdmirtcFramePool *pool;
	guint8 *mem;
	PoolBuffer *next_free;
};

struct HdmirtcFramePool {
	gatomicrefcount ref;
	GMutex lock;                    /* guards free_list and allocated */
	PoolBuffer *free_list;
	guint allocated;
	guint max_buffers;
	guint width;
	guint height;
};

HdmirtcFramePool *hdmirtc_frame_pool_new_i420(guint width, guint height, guint max_buffers)
{
	HdmirtcFramePool *pool = g_new0(HdmirtcFramePool, 1);

	g_atomic_ref_count_init(&pool->ref);
	g_mutex_init(&pool->lock);
	pool->width = width;
	pool->height = height;
	pool->max_buffers = max_buffers;
	return pool;
}

static void pool_destroy(HdmirtcFramePool *pool)
{
	/* Every buffer is home: each one out held a reference. */
	while (pool->free_list) {
		PoolBuffer *buf = pool->free_list;

		pool->free_list = buf->next_free;
		g_free(buf->mem);
		g_free(buf);
	}
	g_mutex_clear(&pool->lock);
	g_free(pool);
}

void hdmirtc_frame_pool_unref(HdmirtcFramePool *pool)
{
	if (pool && g_atomic_ref_count_dec(&pool->ref))
		pool_destroy(pool);
}

/* Runs on whichever thread drops the last frame reference. */
static void on_frame_released(HdmirtcFrame *frame, gpointer user_data)
{
	PoolBuffer *buf = user_data;
	HdmirtcFramePool *pool = buf->pool;

	g_mutex_lock(&pool->lock);
	buf->next_free = pool->free_list;
	pool->free_list = buf;
	g_mutex_unlock(&pool->lock);
	hdmirtc_frame_pool_unref(pool);
}

static PoolBuffer *buffer_new(HdmirtcFramePool *pool)
{
	PoolBuffer *buf = g_new0(PoolBuffer, 1);
	gsize luma = (gsize)pool->width * pool->height;

	buf->pool = pool;
	buf->mem = g_malloc(luma + luma / 2);
	return buf;
}

static void frame_setup(PoolBuffer *buf)
{
	HdmirtcFramePool *pool = buf->pool;
	HdmirtcFrame *f = &buf->frame;
	gsize luma = (gsize)pool->width * pool->height;

	hdmirtc_frame_init(f, on_frame_released, buf);
	f->width = pool->width;
	f->height = pool->height;
	f->fourcc = DRM_FORMAT_YUV420;
	f->n_planes = 3;
	f->data[0] = buf->mem;
	f->data[1] = buf->mem + luma;
	f->data[2] = buf->mem + luma + luma / 4;
	f->stride[0] = pool->width;
	f->stride[1] = pool->width / 2;
	f->stride[2] = pool->width / 2;
}

HdmirtcFrame *hdmirtc_frame_pool_acquire(HdmirtcFramePool *pool)
{
	PoolBuffer *buf = NULL;

	g_mutex_lock(&pool->lock);
	if (pool->free_list) {
		buf = pool->free_list;
		pool->free_list = buf->next_free;
	} else if (pool->allocated < pool->max_buffers) {
		/* Lazy growth, bounded: only until max_buffers are out at once. */
		buf = buffer_new(pool);
		pool->allocated++;
	}
	g_mutex_unlock(&pool->lock);
	if (!buf)
		return NULL;
	g_atomic_ref_count_inc(&pool->ref);
	frame_setup(buf);
	return &buf->frame;
}

guint hdmirtc_frame_pool_allocated(HdmirtcFramePool *pool)
{
	guint n;

	g_mutex_lock(&pool->lock);
	n = pool->allocated;
	g_mutex_unlock(&pool->lock);
	return n;
}

HdmirtcFramePool *hdmirtc_frame_pool_sized_i420(HdmirtcFramePool **pool, guint width, guint height,
                                                guint max_buffers)
{
	if (!*pool || (*pool)->width != width || (*pool)->height != height) {
		hdmirtc_frame_pool_unref(*pool);
		*pool = hdmirtc_frame_pool_new_i420(width, height, max_buffers);
	}
	return *pool;
}
