#pragma once
// The geometry of zoom clips (spec deforum.md 5, the v8hid infinite-zoom extension): each
// keyframe is the previous one shrunk by the zoom factor in the middle of a new picture whose
// ring is outpainted; the frames between keyframes are views of that keyframe stack at a
// geometric (constant-rate) scale, so consecutive frames always differ by the same zoom.
// Pure image functions (CV_32FC3 RGB [0,255]), no model.
#include <opencv2/core.hpp>

#include <vector>

namespace k3::anim {

// Where the shrunk previous keyframe sits inside the next one. The inner size is rounded so
// that the ring has the same width on both sides, and the zoom per keyframe is the exact
// ratio of the sizes (per axis), so keyframes stack without drift.
struct ZoomGeometry {
  cv::Size size;      // the frame size
  cv::Rect inner;     // the previous keyframe's place in the next one
  double factor_x = 2;  // size.width / inner.width
  double factor_y = 2;
};
// Throws k3::ConfigError when the ring would be empty or the inner picture vanish.
ZoomGeometry zoom_geometry(cv::Size size, double factor);

// Outpainting input for the next keyframe: `previous` shrunk into geometry.inner on a canvas
// whose ring is a mirrored, blurred continuation of it; `mask` (CV_8U) is 255 on the ring.
struct ZoomCanvas {
  cv::Mat image;
  cv::Mat mask;
};
ZoomCanvas make_zoom_canvas(const cv::Mat& previous, const ZoomGeometry& geometry);

// The ring of `canvas` filled by mirroring the picture inside `inner` outwards and blurring
// the result (what the preview backend paints instead of a model).
cv::Mat fill_ring_by_mirror(const cv::Mat& canvas, const cv::Rect& inner);

// Weight of `painted` when joining it with the canvas: 1 on the ring, falling linearly to 0
// over `blur` pixels inside `inner` (CV_32F). blur = 0 is a hard seam.
cv::Mat seam_weight(cv::Size size, const cv::Rect& inner, int blur);
// painted x weight + canvas x (1 - weight).
cv::Mat join_at_seam(const cv::Mat& painted, const cv::Mat& canvas, const cv::Mat& weight);

// The view at zoom position `position` in [0, keyframes.size()-1] of a zoom-out: keyframe k at
// scale factor^(k - position) about the centre, drawn from the widest keyframe needed down to
// the sharpest, each feathered over `feather` of its own pixels at its border so that inner
// keyframes add detail without an edge. Position k gives keyframe k (with the detail of the
// keyframes inside it).
cv::Mat compose_zoom_frame(const std::vector<cv::Mat>& keyframes, const ZoomGeometry& geometry, double position,
                           double feather);

// Zoom position of output frame `frame` of a clip of keyframes x frames_per_keyframe + 1
// frames: frame / frames_per_keyframe for a zoom-out; the reverse for a zoom-in.
double zoom_position(int frame, int frames_per_keyframe, int keyframe_steps, bool zoom_in);

}  // namespace k3::anim
