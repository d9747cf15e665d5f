/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libcamera-camera.h in libcamera's C++ (Debian's 0.0.3 and later).
 * libcamera calls back on its own thread (requestCompleted, disconnected);
 * those calls only hand indexes on.  Camera::queueRequest() is thread-safe,
 * so a buffer goes back from whichever thread the source calls from (its
 * media thread). */
#include "libcamera-camera.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <libcamera/libcamera.h>
#include <linux/videodev2.h>

#include "hdmirtc/capture.h"
#include "hdmirtc/v4l2.h"

using namespace libcamera;

namespace {

/* One CameraManager per process (libcamera allows no more), started on
 * first use and kept while a camera is open.  It learns of cameras that
 * come later from udevd's events; where no udevd runs (a container, the
 * test VM) only a new manager sees them, so a camera not found while none
 * is open gets a fresh manager and a second look. */
std::mutex manager_lock;
CameraManager *camera_manager;
unsigned int cameras_open;
/* Cameras given up on (hdmirtc_camera_abandon): their manager still
 * lists them, but they are not to be opened again. */
std::vector<Camera *> abandoned_cameras;   /* under manager_lock */

CameraManager *manager(bool fresh, GError **error)
{
	std::lock_guard<std::mutex> guard(manager_lock);

	if (camera_manager && fresh && cameras_open == 0) {
		camera_manager->stop();
		delete camera_manager;
		camera_manager = nullptr;
		abandoned_cameras.clear();
	}
	if (!camera_manager) {
		auto made = std::make_unique<CameraManager>();
		int ret = made->start();

		if (ret < 0) {
			g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
				    "libcamera: the camera manager does not start: %s", g_strerror(-ret));
			return nullptr;
		}
		camera_manager = made.release();
	}
	return camera_manager;
}

std::shared_ptr<Camera> find_camera(CameraManager *cm, const char *id)
{
	std::lock_guard<std::mutex> guard(manager_lock);

	for (const std::shared_ptr<Camera> &camera : cm->cameras()) {
		if (std::find(abandoned_cameras.begin(), abandoned_cameras.end(), camera.get()) !=
		    abandoned_cameras.end())
			continue;
		if (!id || !*id || camera->id() == id)
			return camera;
	}
	return nullptr;
}

} /* namespace */

struct HdmirtcCamera {
	std::shared_ptr<Camera> camera;
	std::string id;
	std::unique_ptr<CameraConfiguration> config;
	std::unique_ptr<FrameBufferAllocator> allocator;
	std::vector<std::unique_ptr<Request>> requests;
	Stream *stream = nullptr;
	HdmirtcCameraFormat format = {};
	ControlList start_controls;
	bool acquired = false;
	bool running = false;
	bool abandoned = false;
	HdmirtcCameraDoneFunc done = nullptr;
	HdmirtcCameraGoneFunc gone = nullptr;
	gpointer user_data = nullptr;

	void onRequestCompleted(Request *request)
	{
		const FrameBuffer *buffer = request->buffers().begin()->second;
		const FrameMetadata &meta = buffer->metadata();
		bool ok = request->status() == Request::RequestComplete &&
			  meta.status == FrameMetadata::FrameSuccess;

		done((guint)request->cookie(), ok, (gint64)meta.timestamp, user_data);
	}

	void onDisconnected()
	{
		gone(user_data);
	}
};

static bool choose_format(StreamConfiguration &sc, const guint32 *fourccs, guint n)
{
	std::vector<PixelFormat> offered = sc.formats().pixelformats();

	for (guint i = 0; i < n; i++) {
		PixelFormat want(fourccs[i]);

		if (std::find(offered.begin(), offered.end(), want) != offered.end()) {
			sc.pixelFormat = want;
			return true;
		}
	}
	return false;
}

static std::string offered_formats(const StreamConfiguration &sc)
{
	std::string s;

	for (const PixelFormat &f : sc.formats().pixelformats())
		s += (s.empty() ? "" : ", ") + f.toString();
	return s.empty() ? "none" : s;
}

/* libcamera's colour space in V4L2's terms (libcamera itself maps each
 * to V4L2's), so that hdmirtc_colour_from_v4l2 gives the code points as it
 * does for a V4L2 bridge.  Raw, none, or no YCbCr encoding (RGB, not what
 * a YUV stream can be): all 0 (unknown). */
static HdmirtcColour colour_of(const std::optional<ColorSpace> &cs)
{
	guint32 colorspace, xfer, enc;

	if (!cs)
		return {};
	switch (cs->primaries) {
	case ColorSpace::Primaries::Smpte170m: colorspace = V4L2_COLORSPACE_SMPTE170M; break;
	case ColorSpace::Primaries::Rec709: colorspace = V4L2_COLORSPACE_REC709; break;
	case ColorSpace::Primaries::Rec2020: colorspace = V4L2_COLORSPACE_BT2020; break;
	default: return {};
	}
	switch (cs->transferFunction) {
	case ColorSpace::TransferFunction::Linear: xfer = V4L2_XFER_FUNC_NONE; break;
	case ColorSpace::TransferFunction::Srgb: xfer = V4L2_XFER_FUNC_SRGB; break;
	default: xfer = V4L2_XFER_FUNC_709; break;
	}
	switch (cs->ycbcrEncoding) {
	case ColorSpace::YcbcrEncoding::Rec601: enc = V4L2_YCBCR_ENC_601; break;
	case ColorSpace::YcbcrEncoding::Rec709: enc = V4L2_YCBCR_ENC_709; break;
	case ColorSpace::YcbcrEncoding::Rec2020: enc = V4L2_YCBCR_ENC_BT2020; break;
	default: return {};
	}
	return hdmirtc_colour_from_v4l2(colorspace, enc,
	                                cs->range == ColorSpace::Range::Full ? V4L2_QUANTIZATION_FULL_RANGE
	                                                                     : V4L2_QUANTIZATION_LIM_RANGE,
	                                xfer);
}

static bool configure(HdmirtcCamera *cam, guint32 width, guint32 height, guint32 fps,
                      const guint32 *fourccs, guint n_fourccs, GError **error)
{
	cam->config = cam->camera->generateConfiguration({ StreamRole::VideoRecording });
	if (!cam->config || cam->config->size() != 1) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
			    "libcamera: camera %s has no video stream", cam->id.c_str());
		return false;
	}
	StreamConfiguration &sc = cam->config->at(0);
	if (!choose_format(sc, fourccs, n_fourccs)) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
			    "libcamera: camera %s offers no pixel format the encoder takes (it offers %s)",
			    cam->id.c_str(), offered_formats(sc).c_str());
		return false;
	}
	if (width && height)
		sc.size = Size(width, height);
	/* Adjusted is fine: the camera's nearest size, say. */
	if (cam->config->validate() == CameraConfiguration::Invalid) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_INVALID_CONFIG,
			    "libcamera: camera %s refuses %s", cam->id.c_str(), sc.toString().c_str());
		return false;
	}
	int ret = cam->camera->configure(cam->config.get());
	if (ret < 0) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
			    "libcamera: configuring camera %s as %s: %s", cam->id.c_str(), sc.toString().c_str(),
			    g_strerror(-ret));
		return false;
	}
	cam->stream = sc.stream();
	cam->format.fourcc = sc.pixelFormat.fourcc();
	cam->format.width = sc.size.width;
	cam->format.height = sc.size.height;
	cam->format.stride[0] = sc.stride;
	cam->format.colour = colour_of(sc.colorSpace);
	g_strlcpy(cam->format.colour_space, ColorSpace::toString(sc.colorSpace).c_str(),
	          sizeof(cam->format.colour_space));

	const ControlInfoMap &controls = cam->camera->controls();
	cam->start_controls = ControlList(controls);
	if (fps && controls.find(&controls::FrameDurationLimits) != controls.end()) {
		int64_t us = 1000000 / fps;

		cam->start_controls.set(controls::FrameDurationLimits, Span<const int64_t, 2>({ us, us }));
	}
	return true;
}

static bool allocate(HdmirtcCamera *cam, GError **error)
{
	cam->allocator = std::make_unique<FrameBufferAllocator>(cam->camera);
	int ret = cam->allocator->allocate(cam->stream);

	if (ret <= 0) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
			    "libcamera: no buffers for camera %s: %s", cam->id.c_str(),
			    ret < 0 ? g_strerror(-ret) : "none allocated");
		return false;
	}
	const auto &buffers = cam->allocator->buffers(cam->stream);
	cam->format.n_buffers = buffers.size();
	cam->format.n_planes = std::min<size_t>(buffers[0]->planes().size(), HDMIRTC_CAMERA_MAX_PLANES);
	for (size_t i = 0; i < buffers.size(); i++) {
		std::unique_ptr<Request> request = cam->camera->createRequest(i);

		if (!request || request->addBuffer(cam->stream, buffers[i].get()) < 0) {
			g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
				    "libcamera: camera %s: no request for buffer %zu", cam->id.c_str(), i);
			return false;
		}
		cam->requests.push_back(std::move(request));
	}
	return true;
}

HdmirtcCamera *hdmirtc_camera_open(const char *id, guint32 width, guint32 height, guint32 fps,
                                   const guint32 *fourccs, guint n_fourccs,
                                   HdmirtcCameraDoneFunc done, HdmirtcCameraGoneFunc gone,
                                   gpointer user_data, GError **error)
{
	CameraManager *cm = manager(false, error);

	if (!cm)
		return nullptr;
	auto cam = std::make_unique<HdmirtcCamera>();
	cam->camera = find_camera(cm, id);
	if (!cam->camera) {
		cm = manager(true, error);
		if (!cm)
			return nullptr;
		cam->camera = find_camera(cm, id);
	}
	if (!cam->camera) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_NO_DEVICE,
			    id && *id ? "libcamera: no camera %s" : "libcamera: no camera%s", id && *id ? id : "");
		return nullptr;
	}
	cam->id = cam->camera->id();
	int ret = cam->camera->acquire();
	if (ret < 0) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_BUSY,
			    "libcamera: camera %s is in use: %s", cam->id.c_str(), g_strerror(-ret));
		return nullptr;
	}
	cam->acquired = true;
	{
		std::lock_guard<std::mutex> guard(manager_lock);
		cameras_open++;
	}
	cam->done = done;
	cam->gone = gone;
	cam->user_data = user_data;
	if (!configure(cam.get(), width, height, fps, fourccs, n_fourccs, error) || !allocate(cam.get(), error)) {
		hdmirtc_camera_close(cam.release());
		return nullptr;
	}
	cam->camera->requestCompleted.connect(cam.get(), &HdmirtcCamera::onRequestCompleted);
	cam->camera->disconnected.connect(cam.get(), &HdmirtcCamera::onDisconnected);
	return cam.release();
}

const char *hdmirtc_camera_get_id(HdmirtcCamera *cam)
{
	return cam->id.c_str();
}

const HdmirtcCameraFormat *hdmirtc_camera_get_format(HdmirtcCamera *cam)
{
	return &cam->format;
}

HdmirtcCameraPlane hdmirtc_camera_get_plane(HdmirtcCamera *cam, guint buffer, guint plane)
{
	const FrameBuffer::Plane &p = cam->allocator->buffers(cam->stream)[buffer]->planes()[plane];

	return HdmirtcCameraPlane{ p.fd.get(), p.offset, p.length };
}

gboolean hdmirtc_camera_start(HdmirtcCamera *cam, GError **error)
{
	int ret = cam->camera->start(&cam->start_controls);

	if (ret < 0) {
		g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
			    "libcamera: camera %s does not start: %s", cam->id.c_str(), g_strerror(-ret));
		return FALSE;
	}
	cam->running = true;
	for (auto &request : cam->requests) {
		ret = cam->camera->queueRequest(request.get());
		if (ret < 0) {
			g_set_error(error, HDMIRTC_CAPTURE_ERROR, HDMIRTC_CAPTURE_ERROR_FAILED,
				    "libcamera: camera %s takes no request: %s", cam->id.c_str(), g_strerror(-ret));
			hdmirtc_camera_stop(cam);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean hdmirtc_camera_queue(HdmirtcCamera *cam, guint buffer)
{
	if (!cam->running || buffer >= cam->requests.size())
		return FALSE;
	Request *request = cam->requests[buffer].get();
	request->reuse(Request::ReuseBuffers);
	return cam->camera->queueRequest(request) == 0;
}

void hdmirtc_camera_abandon(HdmirtcCamera *cam)
{
	cam->camera->requestCompleted.disconnect(cam);
	cam->camera->disconnected.disconnect(cam);
	cam->abandoned = true;
	cam->running = false;
	std::lock_guard<std::mutex> guard(manager_lock);
	abandoned_cameras.push_back(cam->camera.get());
	cameras_open--;
}

void hdmirtc_camera_stop(HdmirtcCamera *cam)
{
	if (!cam->running)
		return;
	cam->running = false;
	cam->camera->stop();
}

void hdmirtc_camera_close(HdmirtcCamera *cam)
{
	if (!cam)
		return;
	if (cam->abandoned) {
		/* Its buffers may still be queued in a device that is gone:
		 * libcamera's objects are left as they are (see abandon). */
		static std::vector<HdmirtcCamera *> kept;

		kept.push_back(cam);
		return;
	}
	hdmirtc_camera_stop(cam);
	if (cam->camera) {
		cam->camera->requestCompleted.disconnect(cam);
		cam->camera->disconnected.disconnect(cam);
	}
	cam->requests.clear();
	cam->allocator.reset();
	if (cam->acquired) {
		cam->camera->release();
		std::lock_guard<std::mutex> guard(manager_lock);
		cameras_open--;
	}
	delete cam;
}
