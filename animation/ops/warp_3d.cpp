// Follows sd-webui-deforum scripts/deforum_helpers/animation.py (anim_frame_warp_3d, transform_image_3d)
// and py3d_tools (FoVPerspectiveCameras, euler_angles_to_matrix).
#include "animation/ops/warp_3d.h"

#include <cmath>
#include <string>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/image_convert.h"
#include "base/errors.h"

namespace k3::ops {
namespace {

constexpr double kPi = 3.14159265358979323846;

void validate(cv::Size size, const cv::Mat& depth, const Warp3D& warp) {
  if (size.width < 2 || size.height < 2)
    throw ConfigError("warp_3d: expected an image of at least 2x2, got " + std::to_string(size.width) + "x" +
                      std::to_string(size.height));
  if (!(warp.fov > 0.0 && warp.fov < 180.0))
    throw ConfigError("fov: expected degrees in (0, 180), got " + std::to_string(warp.fov));
  if (!(warp.aspect_ratio > 0.0) || !std::isfinite(warp.aspect_ratio))
    throw ConfigError("aspect_ratio: expected a positive number, got " + std::to_string(warp.aspect_ratio));
  if (!(warp.near > 0.0 && warp.far > warp.near) || !std::isfinite(warp.far))
    throw ConfigError("near/far: expected 0 < near < far, got near " + std::to_string(warp.near) + ", far " +
                      std::to_string(warp.far));
  if (!depth.empty() && (depth.type() != CV_32FC1 || depth.size() != size))
    throw ConfigError("depth: expected a CV_32FC1 map of " + std::to_string(size.width) + "x" +
                      std::to_string(size.height) + ", got " + std::to_string(depth.cols) + "x" +
                      std::to_string(depth.rows) + " " + cv::typeToString(depth.type()));
}

// R = Rx(x) * Ry(y) * Rz(z): pytorch3d euler_angles_to_matrix(angles, "XYZ").
cv::Matx33d rotation_xyz(double x, double y, double z) {
  const double sx = std::sin(x), cx = std::cos(x), sy = std::sin(y), cy = std::cos(y);
  const double sz = std::sin(z), cz = std::cos(z);
  const cv::Matx33d rx(1, 0, 0, 0, cx, -sx, 0, sx, cx);
  const cv::Matx33d ry(cy, 0, sy, 0, 1, 0, -sy, 0, cy);
  const cv::Matx33d rz(cz, -sz, 0, sz, cz, 0, 0, 0, 1);
  return rx * ry * rz;
}

}  // namespace

void warp_3d_maps(cv::Size size, const cv::Mat& depth, const Warp3D& warp, cv::Mat& map_x, cv::Mat& map_y) {
  validate(size, depth, warp);
  const double deg = kPi / 180.0;
  const cv::Matx33d r = rotation_xyz(warp.rotation_x * deg, warp.rotation_y * deg, warp.rotation_z * deg);
  // PyTorch3D's world-to-view transform takes row vectors: X_view = X * R + T.
  const double tx = -warp.translation_x * kDeforumTranslationScale;
  const double ty = warp.translation_y * kDeforumTranslationScale;
  const double tz = -warp.translation_z * kDeforumTranslationScale;
  const double tan_half = std::tan(warp.fov * deg / 2.0);
  const double k00 = 1.0 / (tan_half * warp.aspect_ratio);
  const double k11 = 1.0 / tan_half;
  const int w = size.width, h = size.height;
  // World x, y: torch.linspace(-1, 1) over the pixels (first pixel -1, last +1). The sampling
  // grid is affine_grid(align_corners=False) minus the NDC offset; back in pixels that is
  // source = destination - offset * size / 2.
  const double step_x = 2.0 / (w - 1), step_y = 2.0 / (h - 1);
  const double half_w = w / 2.0, half_h = h / 2.0;
  map_x.create(size, CV_32FC1);
  map_y.create(size, CV_32FC1);
  const bool flat = depth.empty();
  cv::parallel_for_(cv::Range(0, h), [&](const cv::Range& rows) {
    for (int row = rows.start; row < rows.end; ++row) {
      const float* z_row = flat ? nullptr : depth.ptr<float>(row);
      float* mx = map_x.ptr<float>(row);
      float* my = map_y.ptr<float>(row);
      const double y = -1.0 + row * step_y;
      for (int col = 0; col < w; ++col) {
        const double x = -1.0 + col * step_x;
        const double z = flat ? 1.0 : static_cast<double>(z_row[col]);
        const double xv = x * r(0, 0) + y * r(1, 0) + z * r(2, 0) + tx;
        const double yv = x * r(0, 1) + y * r(1, 1) + z * r(2, 1) + ty;
        const double zv = x * r(0, 2) + y * r(1, 2) + z * r(2, 2) + tz;
        if (!(zv > 1e-9) || !(z > 1e-9)) {
          // Behind the camera (or an invalid depth): nothing to see there; read the border.
          mx[col] = -static_cast<float>(w);
          my[col] = -static_cast<float>(h);
          continue;
        }
        const double offset_x = k00 * xv / zv - k00 * x / z;
        const double offset_y = k11 * yv / zv - k11 * y / z;
        mx[col] = static_cast<float>(col - offset_x * half_w);
        my[col] = static_cast<float>(row - offset_y * half_h);
      }
    }
  });
}

cv::Mat warp_3d(const cv::Mat& image, const cv::Mat& depth, const Warp3D& warp, const SamplingOptions& sampling) {
  require_float_rgb(image, "warp_3d");
  cv::Mat map_x, map_y;
  warp_3d_maps(image.size(), depth, warp, map_x, map_y);
  cv::Mat out;
  cv::remap(image, out, map_x, map_y, to_cv_interpolation(sampling.interpolation), to_cv_border(sampling.border),
            cv::Scalar::all(0));
  if (interpolation_overshoots(sampling.interpolation)) {
    cv::max(out, 0.0, out);
    cv::min(out, 255.0, out);
  }
  return out;
}

}  // namespace k3::ops
