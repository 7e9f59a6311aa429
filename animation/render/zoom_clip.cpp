// Follows the v8hid infinite-zoom extension (spec deforum.md 5.1: shrink, outpaint the ring,
// geometric tween, paste the sharper inner frame), with one change: every view is one affine
// scale per keyframe about the centre, so the zoom rate is exactly constant across keyframes.
#include "animation/render/zoom_clip.h"

#include "base/errors.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace k3::anim {

namespace {

int inner_length(int length, double factor) {
  int ring = static_cast<int>(std::lround((length - length / factor) / 2));
  return length - 2 * ring;
}

// Scale about the pixel centre of the frame ((n-1)/2 in pixel-index coordinates, which is the
// edge-coordinate centre n/2 that cv::resize keeps), so nested keyframes stay concentric.
cv::Mat scale_about_centre(const cv::Mat& source, cv::Size size, double sx, double sy, int interpolation, int border) {
  double cx = (size.width - 1) / 2.0, cy = (size.height - 1) / 2.0;
  double scx = (source.cols - 1) / 2.0, scy = (source.rows - 1) / 2.0;
  cv::Matx23d m(sx, 0, cx - sx * scx, 0, sy, cy - sy * scy);
  cv::Mat out;
  cv::warpAffine(source, out, m, size, interpolation, border, cv::Scalar::all(0));
  return out;
}

// Distance in pixels from each pixel of `size` to the outside of `rect` (0 on its first and
// last rows and columns, negative outside).
float inside_distance(int x, int y, const cv::Rect& rect) {
  int d = std::min({x - rect.x, rect.x + rect.width - 1 - x, y - rect.y, rect.y + rect.height - 1 - y});
  return static_cast<float>(d);
}

// 1 in the middle, falling linearly to about 0 over `width` pixels at the picture's border.
cv::Mat border_feather(cv::Size size, double width) {
  cv::Mat weight(size, CV_32F);
  cv::Rect all(0, 0, size.width, size.height);
  for (int y = 0; y < size.height; ++y) {
    auto* row = weight.ptr<float>(y);
    for (int x = 0; x < size.width; ++x)
      row[x] = width <= 0 ? 1.f : std::min(1.f, static_cast<float>((inside_distance(x, y, all) + 0.5) / width));
  }
  return weight;
}

cv::Mat blend(const cv::Mat& under, const cv::Mat& over, const cv::Mat& weight) {
  cv::Mat weight3;
  cv::merge(std::vector<cv::Mat>{weight, weight, weight}, weight3);
  cv::Mat inverse = cv::Scalar::all(1.0) - weight3;
  return over.mul(weight3) + under.mul(inverse);
}

}  // namespace

ZoomGeometry zoom_geometry(cv::Size size, double factor) {
  if (!(factor > 1.0))
    throw ConfigError("zoom.factor: expected a factor > 1, got " + std::to_string(factor));
  ZoomGeometry g;
  g.size = size;
  int w = inner_length(size.width, factor), h = inner_length(size.height, factor);
  if (w == size.width || h == size.height)
    throw ConfigError("zoom.factor: expected a ring of at least one pixel at " + std::to_string(size.width) + "x" +
                      std::to_string(size.height) + ", got factor " + std::to_string(factor) + " (too close to 1)");
  if (w < 4 || h < 4)
    throw ConfigError("zoom.factor: expected the shrunk keyframe to keep at least 4x4 pixels, got " + std::to_string(w) +
                      "x" + std::to_string(h) + " (factor " + std::to_string(factor) + " too large)");
  g.inner = cv::Rect((size.width - w) / 2, (size.height - h) / 2, w, h);
  g.factor_x = static_cast<double>(size.width) / w;
  g.factor_y = static_cast<double>(size.height) / h;
  return g;
}

cv::Mat fill_ring_by_mirror(const cv::Mat& canvas, const cv::Rect& inner) {
  cv::Mat grown = canvas(inner).clone();
  int left = inner.x, top = inner.y;
  int right = canvas.cols - inner.x - inner.width, bottom = canvas.rows - inner.y - inner.height;
  // Mirroring reaches at most one picture width per pass: wide rings take several.
  while (left + right + top + bottom > 0) {
    int l = std::min(left, grown.cols - 1), r = std::min(right, grown.cols - 1);
    int t = std::min(top, grown.rows - 1), b = std::min(bottom, grown.rows - 1);
    cv::Mat next;
    cv::copyMakeBorder(grown, next, t, b, l, r, cv::BORDER_REFLECT_101);
    grown = next;
    left -= l, right -= r, top -= t, bottom -= b;
  }
  int ring = std::max(1, std::min(inner.x, inner.y));
  cv::Mat blurred;
  cv::GaussianBlur(grown, blurred, cv::Size(0, 0), std::max(1.0, ring / 3.0), 0, cv::BORDER_REFLECT_101);
  canvas(inner).copyTo(blurred(inner));
  return blurred;
}

ZoomCanvas make_zoom_canvas(const cv::Mat& previous, const ZoomGeometry& geometry) {
  cv::Mat shrunk;
  cv::resize(previous, shrunk, geometry.inner.size(), 0, 0, cv::INTER_AREA);
  cv::Mat canvas(geometry.size, previous.type(), cv::Scalar::all(0));
  shrunk.copyTo(canvas(geometry.inner));
  ZoomCanvas out;
  out.image = fill_ring_by_mirror(canvas, geometry.inner);
  out.mask = cv::Mat(geometry.size, CV_8U, cv::Scalar(255));
  out.mask(geometry.inner).setTo(0);
  return out;
}

cv::Mat seam_weight(cv::Size size, const cv::Rect& inner, int blur) {
  cv::Mat weight(size, CV_32F);
  for (int y = 0; y < size.height; ++y) {
    auto* row = weight.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      float d = inside_distance(x, y, inner);
      if (d < 0) row[x] = 1.f;
      else row[x] = blur <= 0 ? 0.f : std::max(0.f, 1.f - (d + 0.5f) / static_cast<float>(blur));
    }
  }
  return weight;
}

cv::Mat join_at_seam(const cv::Mat& painted, const cv::Mat& canvas, const cv::Mat& weight) {
  return blend(canvas, painted, weight);
}

cv::Mat compose_zoom_frame(const std::vector<cv::Mat>& keyframes, const ZoomGeometry& geometry, double position,
                           double feather) {
  if (keyframes.empty()) throw ConfigError("zoom: expected at least one keyframe, got none");
  const int last = static_cast<int>(keyframes.size()) - 1;
  position = std::clamp(position, 0.0, static_cast<double>(last));
  // The widest keyframe needed covers the whole view (its scale is >= 1).
  int widest = std::min(last, static_cast<int>(std::ceil(position - 1e-9)));
  auto scale_x = [&](int k) { return std::pow(geometry.factor_x, k - position); };
  auto scale_y = [&](int k) { return std::pow(geometry.factor_y, k - position); };
  cv::Mat frame = scale_about_centre(keyframes[widest], geometry.size, scale_x(widest), scale_y(widest), cv::INTER_CUBIC,
                                     cv::BORDER_REPLICATE);
  for (int k = widest - 1; k >= 0; --k) {
    double sx = scale_x(k), sy = scale_y(k);
    if (geometry.size.width * sx < 2 || geometry.size.height * sy < 2) break;
    // Shrinking by warpAffine aliases: low-pass first (sigma for the new sampling rate).
    cv::Mat source = keyframes[k];
    double sigma = 0.5 * std::sqrt(std::max(0.0, 1.0 / (sx * sy) - 1.0));
    if (sigma > 0.01) {
      cv::Mat blurred;  // never in place: `source` shares the caller's keyframe
      cv::GaussianBlur(keyframes[k], blurred, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
      source = blurred;
    }
    cv::Mat layer = scale_about_centre(source, geometry.size, sx, sy, cv::INTER_CUBIC, cv::BORDER_REPLICATE);
    // The feather grows from nothing (the layer fills the view, as the widest one did just
    // before) to its full width one keyframe later, so the view changes smoothly with position.
    double growth = std::clamp(position - k, 0.0, 1.0);
    cv::Mat feather_weight = border_feather(geometry.size, feather * growth);
    cv::Mat weight = scale_about_centre(feather_weight, geometry.size, sx, sy, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    frame = blend(frame, layer, weight);
  }
  return frame;
}

double zoom_position(int frame, int frames_per_keyframe, int keyframe_steps, bool zoom_in) {
  double position = static_cast<double>(frame) / frames_per_keyframe;
  return zoom_in ? keyframe_steps - position : position;
}

}  // namespace k3::anim
